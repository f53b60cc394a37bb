// The Lua scripts of the Redis cluster (redis-cluster.ts): ownership records
// with their fencing epoch, and routing, each one atomic inside Redis. Keys
// and channels are described at the top of redis-cluster.ts (owner:<id>,
// epoch:<id>, replica:<name>, msg:...), all under the shared prefix.
//
// Epochs travel as decimal strings; '0' is "this replica's claim was never
// answered" (Redis away): the record is compared by name only.

// Claims <id> for this replica: a new epoch, the record naming me.
// KEYS[1] owner:<id>, KEYS[2] epoch:<id>; ARGV[1] me, ARGV[2] owner TTL ms,
// ARGV[3] epoch TTL ms → {previous owner or nil, this claim's epoch}
export const LUA_CLAIM = `
local prev = redis.call('GET', KEYS[1])
local epoch = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {prev, epoch}
`;
// Compare-and-delete. KEYS[1] owner:<id>, KEYS[2] epoch:<id>; ARGV[1] me,
// ARGV[2] my epoch → 1 deleted, 0 the record is not mine (anymore). A missing
// counter means no claim came since mine: the record is mine.
export const LUA_RELEASE = `
local v = redis.call('MGET', KEYS[1], KEYS[2])
if v[1] == ARGV[1] and (ARGV[2] == '0' or not v[2] or v[2] == ARGV[2]) then return redis.call('DEL', KEYS[1]) end
return 0
`;
// The ownership refresh with fencing (redis-cluster.ts, issue 14 4b): extends,
// puts back, claims ('0') or reports lost each of this replica's records.
// One call per batch, two commands per idle registree (MGET, PEXPIRE).
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
// replica, publish on its channel. KEYS[1] owner:<id>, KEYS[2] the key for a
// large message; ARGV me, channel prefix, message, its reference ('' = publish
// the message itself), the key's TTL ms → {owner or '', subscribers reached}
export const LUA_ROUTE = `
local owner = redis.call('GET', KEYS[1])
if not owner or owner == ARGV[1] then return {owner or '', 0} end
if ARGV[4] == '' then return {owner, redis.call('PUBLISH', ARGV[2] .. owner, ARGV[3])} end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
local n = redis.call('PUBLISH', ARGV[2] .. owner, ARGV[4])
if n == 0 then redis.call('DEL', KEYS[2]) end
return {owner, n}
`;
