-- The first page of 20 in the default order (newest first), for a random user.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local users

function init(args)
  users = common.load()
end

function request()
  local user = common.pick(users)
  return wrk.format("GET", "/api/v1/tasks?limit=20", { Authorization = user.authorization })
end

done = common.done
