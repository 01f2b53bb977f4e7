import { PRELUDE_LUA } from './prelude.lua.js';

/**
 * algorithms/gcra.ts (redis-cell's CL.THROTTLE) in Lua. ARGV 4 emission interval (µs),
 * 5 tolerance (µs), 6 limit (burst + 1). State: a string, the theoretical arrival time in µs.
 */
export const GCRA_LUA = `${PRELUDE_LUA}
local interval, tolerance, limit = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local nowUs = now * 1000
local tat = nowUs
local stored = tonumber(redis.call('GET', key))
if stored ~= nil and stored > nowUs then tat = stored end
local function remaining(ttl)
  local n = tolerance - ttl
  if n > 0 then return math.floor(n / interval) end
  return 0
end
if cost > limit then
  return {0, limit, remaining(tat - nowUs), math.ceil((tat - nowUs) / 1000), -1, 0}
end
local newTat = tat + interval * cost
local allowAt = newTat - tolerance
if allowAt > nowUs then
  return {0, limit, remaining(tat - nowUs), math.ceil((tat - nowUs) / 1000), math.ceil((allowAt - nowUs) / 1000), 0}
end
local ttl = math.ceil((newTat - nowUs) / 1000)
if cost > 0 then
  redis.call('SET', key, str(newTat), 'PX', str(ttl + slack))
end
return {1, limit, remaining(newTat - nowUs), ttl, 0, 0}
`;
