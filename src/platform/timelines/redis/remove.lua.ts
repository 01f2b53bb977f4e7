import { PRELUDE_LUA } from './prelude.lua.js';

/**
 * Deletion retraction: KEYS are timelines; ARGV 1 the 8-byte tweet id, 2 the capacity in bytes.
 * A timeline holding the tweet is rewritten whole (a string cannot shrink in place; deletions are
 * rare), which also cuts the slack. Returns how many held it.
 */
export const REMOVE_TWEET_LUA = `${PRELUDE_LUA}
local hi, lo = unpack('>I4I4', ARGV[1])
local cap = tonumber(ARGV[2])
local removed = 0
for k = 1, #KEYS do
  local key = KEYS[k]
  local len = redis.call('STRLEN', key)
  local first = math.max(0, len - cap) / 16
  local at = lowerBound(key, first, len / 16, hi, lo)
  if at < len / 16 then
    local h, l = idAt(key, at)
    if h == hi and l == lo then
      local older = ''
      if at > first then older = redis.call('GETRANGE', key, first * 16, at * 16 - 1) end
      redis.call('SET', key, older .. redis.call('GETRANGE', key, at * 16 + 16, -1))
      removed = removed + 1
    end
  end
end
return removed
`;

/**
 * Unfollow retraction: KEYS 1 the timeline; ARGV 1 the 8-byte author id, 2 the capacity in bytes.
 * A plain find jumps from one occurrence of the id's bytes to the next; only those at an author's
 * offset in an entry (byte 9 of 16) count. The runs between removed entries are joined once.
 * Returns how many went.
 */
export const REMOVE_AUTHOR_LUA = `
local key, author, cap = KEYS[1], ARGV[1], tonumber(ARGV[2])
local v = redis.call('GETRANGE', key, -cap, -1)
local parts, keep, from, removed = {}, 1, 1, 0
while true do
  local f = string.find(v, author, from, true)
  if not f then break end
  if (f - 9) % 16 == 0 then
    parts[#parts + 1] = string.sub(v, keep, f - 9)
    keep = f + 8
    from = f + 8
    removed = removed + 1
  else
    from = f + 1
  end
end
if removed > 0 then
  parts[#parts + 1] = string.sub(v, keep)
  redis.call('SET', key, table.concat(parts))
end
return removed
`;
