-- GET one task: a random user, a random one of that user's tasks.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local users

function init(args)
  users = common.load()
end

function request()
  local user = common.pick(users)
  local id = user.ids[math.random(#user.ids)]
  return wrk.format("GET", "/api/v1/tasks/" .. id, { Authorization = user.authorization })
end

done = common.done
