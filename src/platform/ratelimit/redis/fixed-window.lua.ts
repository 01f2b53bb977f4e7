import { PRELUDE_LUA } from './prelude.lua.js';

/** algorithms/fixed-window.ts in Lua. ARGV 4 limit, 5 windowMs. State: 'start:count'. */
export const FIXED_WINDOW_LUA = `${PRELUDE_LUA}
local limit, w = tonumber(ARGV[4]), tonumber(ARGV[5])
local start = now - (now % w)
local count = 0
local s, c = load()
if s ~= nil and s >= start then
  start = s
  count = c
end
local untilEnd = start + w - now
if cost > limit or count + cost > limit then
  local retry = untilEnd
  if cost > limit then retry = -1 end
  local reset = 0
  if count > 0 then reset = untilEnd end
  return {0, limit, limit - count, reset, retry, 0}
end
local after = count + cost
if cost > 0 then
  save(untilEnd, string.format('%.0f:%.0f', start, after))
end
local reset = 0
if after > 0 then reset = untilEnd end
return {1, limit, limit - after, reset, 0, 0}
`;
