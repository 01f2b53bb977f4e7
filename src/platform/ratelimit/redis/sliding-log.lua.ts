import { PRELUDE_LUA } from './prelude.lua.js';

/**
 * algorithms/sliding-log.ts in Lua. ARGV 4 limit, 5 windowMs. State: a sorted set scored by
 * admission time. Members must be unique: each is a zero-padded sequence number, one more than
 * the newest member's, so the newest (highest score, then highest member) carries the last one.
 */
export const SLIDING_LOG_LUA = `${PRELUDE_LUA}
local limit, w = tonumber(ARGV[4]), tonumber(ARGV[5])
local t = now
local seq = 0
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local newestAt = nil
if newest[2] ~= nil then
  newestAt = tonumber(newest[2])
  seq = tonumber(newest[1])
  if newestAt > t then t = newestAt end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', str(t - w))
local count = redis.call('ZCARD', key)
local untilEmpty = 0
if count > 0 then untilEmpty = newestAt + w - now end
if cost > limit then return {0, limit, limit - count, untilEmpty, -1, 0} end
if count + cost > limit then
  local k = count + cost - limit - 1
  local oldest = redis.call('ZRANGE', key, k, k, 'WITHSCORES')
  return {0, limit, limit - count, untilEmpty, tonumber(oldest[2]) + w - now, 0}
end
if cost == 0 then return {1, limit, limit - count, untilEmpty, 0, 0} end
local at = str(t)
local i = 0
while i < cost do
  -- ZADD in chunks: unpack() of a huge table would overflow Lua's C stack.
  local args = {}
  local n = math.min(cost - i, 500)
  for j = 1, n do
    args[2 * j - 1] = at
    args[2 * j] = string.format('%015.0f', seq + i + j)
  end
  redis.call('ZADD', key, unpack(args))
  i = i + n
end
keep(t + w - now)
return {1, limit, limit - count - cost, t + w - now, 0, 0}
`;
