-- What every bench script shares: the callers from the runner's data file, and the one JSON line
-- the runner reads back. wrk's Lua is LuaJIT (5.1).
local common = {}

-- The data file (written by bench/run.py) returns { {token=, cursor=, ids="id id ...", writer=}, ... };
-- `writer` is the token of the user that user's creates go to (bench/dataset.py, writer_of).
-- Ids travel as one string per user: a chunk with 100,000 string constants is too much for LuaJIT.
function common.load()
  local users = dofile(os.getenv("BENCH_WRK_DATA"))
  for _, user in ipairs(users) do
    local ids = {}
    for id in string.gmatch(user.ids, "%S+") do
      ids[#ids + 1] = id
    end
    user.ids = ids
    user.authorization = "Bearer " .. user.token
    user.writer_authorization = "Bearer " .. user.writer
  end
  -- A fixed seed: every app gets the same sequence of requests.
  math.randomseed(tonumber(os.getenv("BENCH_WRK_SEED") or "8"))
  return users
end

function common.pick(users)
  return users[math.random(#users)]
end

-- latency is in microseconds; summary.errors.status counts answers that were not 2xx or 3xx.
function common.done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_ms": %.3f, "p99_ms": %.3f, '
      .. '"non_2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end

return common
