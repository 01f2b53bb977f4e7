/*
 * The presence scripts. A user is one hash `<prefix><userId>`: a field per node holding the time
 * (ms, Redis server clock) that connection expires, and the field `@seen`, when the user was last
 * connected. Every script reads the clock with TIME inside Redis, so the processes' clocks never
 * need to agree, and sweeps the users it touches: expired nodes are deleted, and a user left with
 * none is last seen at the latest expiry. Every write renews the key's own expiry (`retainMs`), so
 * users who never come back cost nothing after that.
 */

/** The common part: `now` from the server clock, and `sweep(key)` returning the live nodes. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function sweep(key)
  local all = redis.call('HGETALL', key)
  local live, expired, latest = {}, {}, nil
  for i = 1, #all, 2 do
    local field = all[i]
    if field ~= '@seen' then
      local expires = tonumber(all[i + 1])
      if expires > now then
        live[#live + 1] = field
      else
        expired[#expired + 1] = field
        if latest == nil or expires > latest then latest = expires end
      end
    end
  end
  if #expired > 0 then
    redis.call('HDEL', key, unpack(expired))
    if #live == 0 then
      local seen = tonumber(redis.call('HGET', key, '@seen') or '0')
      if latest > seen then redis.call('HSET', key, '@seen', latest) end
    end
  end
  return live
end
`;

/** KEYS: the users' hashes. ARGV: node, ttl ms, retain ms. Connects (or renews) each on the node. */
export const UPSERT_LUA = `${PRELUDE}
local expires = now + tonumber(ARGV[2])
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], ARGV[1], expires)
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return now
`;

/** KEYS[1]: the user's hash. ARGV: node, retain ms. Removes that node; the last one gone sets `@seen`. */
export const DISCONNECT_LUA = `${PRELUDE}
local live = sweep(KEYS[1])
local held = false
for i = 1, #live do if live[i] == ARGV[1] then held = true end end
if not held then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if #live == 1 then redis.call('HSET', KEYS[1], '@seen', now) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** KEYS: the users' hashes. Answers, per key in order, the list of its live nodes (possibly empty). */
export const NODES_LUA = `${PRELUDE}
local answer = {}
for i = 1, #KEYS do answer[i] = sweep(KEYS[i]) end
return answer
`;

/** KEYS: the users' hashes. Answers, per key in order, its `@seen` (ms as text) or '' for none. */
export const SEEN_LUA = `${PRELUDE}
local answer = {}
for i = 1, #KEYS do
  sweep(KEYS[i])
  answer[i] = redis.call('HGET', KEYS[i], '@seen') or ''
end
return answer
`;
