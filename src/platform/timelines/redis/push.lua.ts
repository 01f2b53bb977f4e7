import { PRELUDE_LUA } from './prelude.lua.js';

/**
 * A fan-out batch: KEYS are the followers' timelines; ARGV 1 the 16-byte entry, 2 the capacity in
 * bytes, 3 the trim slack in bytes. Absent keys are skipped (rebuilt on read); a tweet already
 * there, or older than all of a full timeline, is not inserted. Returns how many took it.
 *
 * The newest tweet (the common case) costs a GETRANGE of the last id and an APPEND; the oldest
 * entries then fall out of the last `cap` bytes, and are cut once `slack` bytes of them gathered.
 * A late tweet is found by probes and inserted with one SETRANGE of itself and the newer entries.
 */
export const PUSH_LUA = `${PRELUDE_LUA}
local entry, cap, slack = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local hi, lo = unpack('>I4I4', entry)
local function trim(key, len)
  if len > cap + slack then redis.call('SET', key, redis.call('GETRANGE', key, -cap, -1)) end
end
local function late(key)
  local len = redis.call('STRLEN', key)
  local first = math.max(0, len - cap) / 16
  local at = lowerBoundFromTop(key, first, len / 16 - 1, hi, lo)
  local h, l = idAt(key, at)
  if h == hi and l == lo then return 0 end
  if at == first and len >= cap then return 0 end
  redis.call('SETRANGE', key, at * 16, entry .. redis.call('GETRANGE', key, at * 16, -1))
  trim(key, len + 16)
  return 1
end
local added = 0
for k = 1, #KEYS do
  local key = KEYS[k]
  local last = redis.call('GETRANGE', key, -16, -9)
  if last ~= '' then
    local h, l = unpack('>I4I4', last)
    if h < hi or (h == hi and l < lo) then
      trim(key, redis.call('APPEND', key, entry))
      added = added + 1
    elseif h ~= hi or l ~= lo then
      added = added + late(key)
    end
  elseif redis.call('EXISTS', key) == 1 then
    redis.call('APPEND', key, entry)
    added = added + 1
  end
end
return added
`;
