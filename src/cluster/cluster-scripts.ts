// The Lua scripts of the Redis cluster (redis-cluster.ts): ownership records
// with their fencing epoch, the replica's lease, and routing, each one atomic
// inside Redis. Keys and channels are described at the top of ownership.ts
// (owner:<id>, epoch:<id>, lease:<name>, revoked:<name>, replicas) and
// replica-messages.ts (replica:<name>, msg:...), all under the shared prefix.
//
// Epochs travel as decimal strings; '0' is "this replica's claim was never
// answered" (Redis away): the record is compared by name only.

// Claims <id> for this replica: a new epoch, the record naming me. A previous
// owner whose lease runs is told in its revoked:<name> set too (its refresh
// reads it), not only by the release message, which pub/sub may lose.
// KEYS[1] owner:<id>, KEYS[2] epoch:<id>; ARGV[1] me, ARGV[2] record TTL ms,
// ARGV[3] epoch TTL ms, ARGV[4] the prefix, ARGV[5] <id>
// → {previous owner or nil, this claim's epoch}
export const LUA_CLAIM = `
local prev = redis.call('GET', KEYS[1])
local epoch = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if prev and prev ~= ARGV[1] and redis.call('EXISTS', ARGV[4] .. 'lease:' .. prev) == 1 then
  local revoked = ARGV[4] .. 'revoked:' .. prev
  redis.call('SADD', revoked, ARGV[5])
  redis.call('PEXPIRE', revoked, ARGV[2])
end
return {prev, epoch}
`;
// The refresh of one period, whatever the number of registrees: extends this
// replica's lease, whose value is the number of registrees bound here (the
// registrees gauge of every replica sums them, LUA_BOUND), names the replica
// in the replicas set, and takes the IDs other replicas' claims took from it.
// KEYS[1] lease:<me>, KEYS[2] revoked:<me>, KEYS[3] replicas; ARGV[1] lease
// TTL ms, ARGV[2] most IDs taken, ARGV[3] registrees bound here, ARGV[4] me
// → {1 the lease was still running (0: it had lapsed), {IDs}}
export const LUA_LEASE = `
local running = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[1])
redis.call('SADD', KEYS[3], ARGV[4])
return {running, redis.call('SPOP', KEYS[2], ARGV[2])}
`;
// Registrees bound on the other replicas, from their leases (issue 19): one
// GET per replica, however many registrees; a replica counts only while its
// lease runs, and one whose lease has lapsed leaves the replicas set (its
// next lease round, if it comes back, names it again).
// KEYS[1] replicas; ARGV[1] the prefix, ARGV[2] me → the sum of their counts
export const LUA_BOUND = `
local n = 0
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if name ~= ARGV[2] then
    local v = redis.call('GET', ARGV[1] .. 'lease:' .. name)
    if v then n = n + (tonumber(v) or 0) else redis.call('SREM', KEYS[1], name) end
  end
end
return n
`;
// Compare-and-delete. KEYS[1] owner:<id>, KEYS[2] epoch:<id>; ARGV[1] me,
// ARGV[2] my epoch → 1 deleted, 0 the record is not mine (anymore). A missing
// counter means no claim came since mine: the record is mine.
export const LUA_RELEASE = `
local v = redis.call('MGET', KEYS[1], KEYS[2])
if v[1] == ARGV[1] and (ARGV[2] == '0' or not v[2] or v[2] == ARGV[2]) then return redis.call('DEL', KEYS[1]) end
return 0
`;
// The check of ownership records with fencing (ownership.ts, issue 14 4b):
// extends, puts back, claims ('0') or reports lost each record it is given.
// One call per batch, two commands per record (MGET, PEXPIRE); a round gives
// it only the records that need it (refresh-plan.ts), not every idle one.
// KEYS[2i-1] owner:<id i>, KEYS[2i] epoch:<id i>; ARGV[1] me, ARGV[2] owner
// TTL ms, ARGV[3] epoch TTL ms, ARGV[3+i] my epoch for id i
// → {lost: indexes i another claim superseded, claimed: {i, epoch, ...} for
// the '0's claimed now}
export const LUA_REFRESH = `
local me, lost, claimed = ARGV[1], {}, {}
for i = 1, #KEYS / 2 do
  local okey, ekey, mine = KEYS[2 * i - 1], KEYS[2 * i], ARGV[3 + i]
  local v = redis.call('MGET', okey, ekey)
  local owner, epoch = v[1], v[2]
  if mine == '0' then
    if owner and owner ~= me then
      lost[#lost + 1] = i
    else
      local e = redis.call('INCR', ekey)
      redis.call('PEXPIRE', ekey, ARGV[3])
      redis.call('SET', okey, me, 'PX', ARGV[2])
      claimed[#claimed + 1] = i
      claimed[#claimed + 1] = e
    end
  elseif owner == me and epoch == mine then
    redis.call('PEXPIRE', okey, ARGV[2])
  elseif (owner == me or not owner) and (not epoch or epoch == mine) then
    redis.call('SET', okey, me, 'PX', ARGV[2])
    redis.call('SET', ekey, mine, 'PX', ARGV[3])
  else
    lost[#lost + 1] = i
  end
end
return {lost, claimed}
`;

// One round trip per routed request: read the owner and, when it is another
// replica whose lease runs, publish on its channel. KEYS[1] owner:<id>,
// KEYS[2] the key for a large message; ARGV me, channel prefix, message, its
// reference ('' = publish the message itself), the key's TTL ms, lease prefix
// → {owner or '', subscribers reached; -1: the owner's lease has lapsed}
export const LUA_ROUTE = `
local owner = redis.call('GET', KEYS[1])
if not owner or owner == ARGV[1] then return {owner or '', 0} end
if redis.call('EXISTS', ARGV[6] .. owner) == 0 then return {owner, -1} end
if ARGV[4] == '' then return {owner, redis.call('PUBLISH', ARGV[2] .. owner, ARGV[3])} end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
local n = redis.call('PUBLISH', ARGV[2] .. owner, ARGV[4])
if n == 0 then redis.call('DEL', KEYS[2]) end
return {owner, n}
`;
