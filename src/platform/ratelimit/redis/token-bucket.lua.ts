import { PRELUDE_LUA } from './prelude.lua.js';

/**
 * algorithms/token-bucket.ts in Lua. ARGV 4 capacity, 5 limit, 6 windowMs. State: 'tokens:at',
 * tokens in 1/windowMs units as of time `at`.
 */
export const TOKEN_BUCKET_LUA = `${PRELUDE_LUA}
local capacity, limit, w = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local full = capacity * w
local tokens, at = load()
local level, base = full, now
if tokens ~= nil then
  if at > base then base = at end
  local refill = (base - at) * limit
  if refill >= full - tokens then level = full else level = tokens + refill end
end
local ahead = base - now
local function untilFull(units)
  if units >= full then return 0 end
  return ahead + math.ceil((full - units) / limit)
end
if cost > capacity then
  return {0, capacity, math.floor(level / w), untilFull(level), -1, 0}
end
local need = cost * w
if level < need then
  return {0, capacity, math.floor(level / w), untilFull(level), ahead + math.ceil((need - level) / limit), 0}
end
local left = level - need
local reset = untilFull(left)
if cost > 0 then
  save(reset, string.format('%.0f:%.0f', left, base))
end
return {1, capacity, math.floor(left / w), reset, 0, 0}
`;
