-- Create a small task for a random user's writer (so the reads keep seeing the loaded rows).
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local users
local body = '{"title": "Benchmark task", "description": "made by wrk", "priority": "high", '
  .. '"tags": ["bench", "wrk"]}'

function init(args)
  users = common.load()
end

function request()
  local user = common.pick(users)
  local headers = { Authorization = user.writer_authorization, ["Content-Type"] = "application/json" }
  return wrk.format("POST", "/api/v1/tasks", headers, body)
end

done = common.done
