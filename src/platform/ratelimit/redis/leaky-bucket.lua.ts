import { PRELUDE_LUA } from './prelude.lua.js';

/**
 * algorithms/leaky-bucket.ts (nginx limit_req) in Lua. ARGV 4 rate (requests per 1000 s),
 * 5 burst and 6 delay (in 1/1000 requests), 7 limit (burst + 1). State: 'excess:last'.
 */
export const LEAKY_BUCKET_LUA = `${PRELUDE_LUA}
local rate, burst, delay, limit = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local function drainMs(excess) return math.ceil((excess + 1000) * 1000 / rate) end
local prev, prevLast = load()
local level, last = -1000, now
if prev ~= nil then
  local ms = now - prevLast
  if ms < -60000 then ms = 1 elseif ms < 0 then ms = 0 end
  if ms >= drainMs(prev) then
    level = -1000
  else
    level = math.max(prev - math.floor(rate * ms / 1000), -1000)
  end
  if ms == 0 then last = prevLast end
end
local function resetOfPrev()
  if prev == nil then return 0 end
  return math.max(prevLast + drainMs(prev) - now, 0)
end
local function refused(retry)
  return {0, limit, math.max(math.floor((burst - level) / 1000), 0), resetOfPrev(), retry, 0}
end
if cost > limit then return refused(-1) end
local excess = level + 1000 * cost
if excess > burst then
  local need = prev + 1000 * cost - burst
  return refused(math.max(prevLast + math.ceil(need * 1000 / rate) - now, 1))
end
if cost == 0 then
  return {1, limit, math.floor((burst - excess) / 1000), resetOfPrev(), 0, 0}
end
local wait = 0
if excess > delay then wait = math.floor((excess - delay) * 1000 / rate) end
local reset = last + drainMs(excess) - now
save(reset, string.format('%.0f:%.0f', excess, last))
return {1, limit, math.floor((burst - excess) / 1000), reset, 0, wait}
`;
