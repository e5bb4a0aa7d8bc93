-- Page 50 of 20 (keyset), for a random user: the cursor is the one that app gave for that page.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local users

function init(args)
  users = common.load()
end

function request()
  local user = common.pick(users)
  local path = "/api/v1/tasks?limit=20&cursor=" .. user.cursor
  return wrk.format("GET", path, { Authorization = user.authorization })
end

done = common.done
