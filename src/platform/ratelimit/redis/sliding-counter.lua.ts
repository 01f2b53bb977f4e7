import { PRELUDE_LUA } from './prelude.lua.js';

/**
 * algorithms/sliding-counter.ts in Lua. ARGV 4 limit, 5 windowMs. State:
 * 'start:curr:prev', the current window's start and count and the previous window's count.
 */
export const SLIDING_COUNTER_LUA = `${PRELUDE_LUA}
local limit, w = tonumber(ARGV[4]), tonumber(ARGV[5])
local cap = limit * w
local start = now - (now % w)
local curr, prev = 0, 0
local s, c, p = load()
if s ~= nil then
  if s >= start then
    start, curr, prev = s, c, p
  elseif s == start - w then
    prev = c
  end
end
local e = 0
if now > start then e = now - start end
local weighted = prev * (w - e) + curr * w
local reset = 0
if curr > 0 then reset = start + 2 * w - now elseif prev > 0 then reset = start + w - now end
local remaining = math.max(math.floor((cap - weighted) / w), 0)
if cost > limit then return {0, limit, remaining, reset, -1, 0} end
if weighted + cost * w > cap then
  local room = limit - curr - cost
  local retry
  if room >= 0 then
    retry = start + w - math.floor(room * w / prev) - now
  else
    retry = start + w + math.max(w - math.floor((limit - cost) * w / curr), 0) - now
  end
  return {0, limit, remaining, reset, retry, 0}
end
local after = curr + cost
if after > 0 then reset = start + 2 * w - now end
if cost > 0 then
  save(reset, string.format('%.0f:%.0f:%.0f', start, after, prev))
end
return {1, limit, math.floor((cap - weighted - cost * w) / w), reset, 0, 0}
`;
