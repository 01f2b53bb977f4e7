/**
 * The head of every rate-limit script. ARGV: 1 now in ms ('' = read Redis's TIME, so that every
 * process agrees on the time), 2 cost, 3 TTL slack in ms added to every PEXPIRE, then the
 * algorithm's integer parameters from 4. KEYS[1] is the limiter's key.
 *
 * Lua numbers are doubles; every value here is an integer below 2^52 (the rule checks ensure it),
 * so the arithmetic is exact and identical to the JavaScript algorithms'. `str` formats integers
 * for Redis in full: redis.call would print a large number with 14 significant digits. `load` and
 * `save` keep a small state as one string, 'a:b[:c]' (written with string.format('%.0f:%.0f')).
 */
export const PRELUDE_LUA = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local cost = tonumber(ARGV[2])
local slack = tonumber(ARGV[3])
local function str(n) return string.format('%.0f', n) end
local function keep(ttl) redis.call('PEXPIRE', key, str(ttl + slack)) end
-- Small states are one string of integers joined by ':' (GET, then SET with PX: one call fewer
-- than a hash and its PEXPIRE). load() returns them as numbers, or nil for no key.
local function load()
  local v = redis.call('GET', key)
  if not v then return nil end
  local i = string.find(v, ':', 1, true)
  local j = string.find(v, ':', i + 1, true)
  if j == nil then return tonumber(string.sub(v, 1, i - 1)), tonumber(string.sub(v, i + 1)) end
  return tonumber(string.sub(v, 1, i - 1)), tonumber(string.sub(v, i + 1, j - 1)), tonumber(string.sub(v, j + 1))
end
local function save(ttl, value) redis.call('SET', key, value, 'PX', str(ttl + slack)) end
`;
