/**
 * The head of the timeline scripts. A timeline is one string of 16-byte entries: the tweet id then
 * the author id, each 8 bytes big-endian, sorted by tweet id ASCENDING (the newest last) so that
 * the common push, the newest tweet, is an APPEND. The timeline is the last `cap` bytes (capacity
 * entries); up to `slack` older bytes may precede them, trimmed in one SET once they exceed it.
 *
 * The scripts read a timeline through 8-byte GETRANGE probes and never load it whole on a hot
 * path: every Lua string costs about 1 µs per kB here (allocation and Lua's collector), so a full
 * copy of an 800-entry timeline costs ~15 µs where a probe costs ~1.5 µs.
 *
 * Ids are read as two unsigned 32-bit halves (`struct.unpack('>I4I4')`) and compared half by half:
 * Lua numbers are doubles, exact only up to 2^53, and Lua's string `<` goes through strcoll, whose
 * order depends on the server's locale.
 */
export const PRELUDE_LUA = `
local unpack = struct.unpack
-- The tweet id of entry i (0-based) of the string at key, as (high, low) halves.
local function idAt(key, i)
  return unpack('>I4I4', redis.call('GETRANGE', key, i * 16, i * 16 + 7))
end
-- The first index in [a, b) whose tweet id is >= (hi, lo); b if none.
local function lowerBound(key, a, b, hi, lo)
  while a < b do
    local m = math.floor((a + b) / 2)
    local h, l = idAt(key, m)
    if h < hi or (h == hi and l < lo) then a = m + 1 else b = m end
  end
  return a
end
-- The same, searched from the newest end with growing steps, when entry top (>= (hi, lo)) is
-- known: a late tweet is most often only a little late, and then found in a few probes.
local function lowerBoundFromTop(key, first, top, hi, lo)
  local step = 1
  while true do
    local i = top - step
    if i < first then return lowerBound(key, first, top, hi, lo) end
    local h, l = idAt(key, i)
    if h < hi or (h == hi and l < lo) then return lowerBound(key, i + 1, top, hi, lo) end
    top = i
    step = step * 2
  end
end
`;
