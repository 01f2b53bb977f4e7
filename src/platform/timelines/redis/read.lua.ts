import { PRELUDE_LUA } from './prelude.lua.js';

/**
 * A page: KEYS 1 the timeline; ARGV 1 the limit, 2 '' or the 8-byte `before` bound, 3 the capacity
 * in bytes. Returns nil for an absent timeline, else the page's bytes, oldest first (the caller
 * reverses): only the window leaves Redis, found by probes, never the whole timeline.
 */
export const RANGE_LUA = `${PRELUDE_LUA}
local key, limit, cap = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[3])
local len = redis.call('STRLEN', key)
if len == 0 then
  if redis.call('EXISTS', key) == 0 then return false end
  return ''
end
local first = math.max(0, len - cap) / 16
local stop = len / 16
if ARGV[2] ~= '' then
  local hi, lo = unpack('>I4I4', ARGV[2])
  stop = lowerBound(key, first, stop, hi, lo)
end
local start = math.max(first, stop - limit)
if start >= stop then return '' end
return redis.call('GETRANGE', key, start * 16, stop * 16 - 1)
`;
