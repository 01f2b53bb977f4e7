/**
 * Acquisition: KEYS 1 the lock, 2 its fence counter; ARGV 1 the holder's random token, 2 the TTL
 * in ms. The SET and the INCR are one script, so a fence is handed out exactly when the lock is
 * taken, and in the order locks are taken. Returns the fence, or nil when the lock is held.
 */
export const ACQUIRE_LUA = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return false
`;

/** Release: KEYS 1 the lock; ARGV 1 the token. Deletes only the holder's own lock: 1 if it did, else 0. */
export const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** Extension: KEYS 1 the lock; ARGV 1 the token, 2 the new TTL in ms. 1 if the holder's lock got it, else 0. */
export const EXTEND_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/**
 * A fenced write: KEYS 1 the resource (a hash of `fence` and `value`); ARGV 1 the fence, 2 the
 * value's JSON. Refused (0) when a larger fence was accepted before, else stored (1). Fences are
 * safe integers, exact in Lua's doubles.
 */
export const FENCED_WRITE_LUA = `
local highest = redis.call('HGET', KEYS[1], 'fence')
if highest and tonumber(highest) > tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'value', ARGV[2])
return 1
`;
