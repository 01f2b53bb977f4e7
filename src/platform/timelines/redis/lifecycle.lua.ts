/**
 * A rebuild: KEYS 1 the timeline, 2 the count of timelines; ARGV 1 the encoded entries (possibly
 * '', which Redis keeps as an existing key when SET explicitly: the empty timeline). The count
 * goes up only when the timeline did not exist.
 */
export const REPLACE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('INCR', KEYS[2]) end
redis.call('SET', KEYS[1], ARGV[1])
`;

/** Forgetting: KEYS 1 the timeline, 2 the count of timelines, which goes down only if it existed. */
export const DROP_LUA = `
if redis.call('DEL', KEYS[1]) == 1 then redis.call('DECR', KEYS[2]) end
`;
