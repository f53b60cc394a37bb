// The Lua scripts of the Redis store (redis-store.ts), each run atomically
// inside Redis: that is what keeps registration + key index, and stream +
// counters + sur index, changing together, and the caps exact across
// replicas. Key names are described at the top of redis-store.ts; all keys
// are under the store's prefix.
//
// The per-registree queue scripts (ENQUEUE, ACK, DROP) share LUA_PRELUDE and
// take the same KEYS, in this order:
//   1 q:<id>  2 qm:<id>  3 qb:<id>  4 sx:<id>  5 qm  6 qb  7 queues  8 qx  (9 seq, enqueue only)
// and ARGV[1] is always the registree id. "m, b" in a reply are the
// registree's messages and bytes after the change, "gm, gb" those of all
// queues together (the store's stats cache takes them as they are).
//
// Two indexes keep every per-request cost independent of the backlog (issue 19):
//   sx:<id>  zset, score 0: one member `<#sur>:<sur><seq>` per stored request with a sur.
//            The requests of one sur are the lex range ["<#sur>:<sur>", "(<#sur>:<sur>:"):
//            the length in front makes the prefix unambiguous (no other sur's
//            member starts with it), seq digits sort below ':'. Adding, removing
//            one and finding a sur's requests are O(log n), never a rewrite.
//   qx       zset over all registrees: score expiresAt, member `<seq> <id>` per
//            stored request: the purge reads what is due from its head.
// The previous layout (a hash sur:<id>, sur -> "seq seq ...", rewritten whole
// on every enqueue and ack, and no qx) is converted at open (redis-migrate.ts).

// Helpers the queue scripts and the layout conversion (redis-migrate.ts) start
// with (not a script of its own): field()
// reads a stream entry's flat field list, surMember() names a request in sx,
// unqueue() takes one entry out of the stream and both indexes, account()
// moves the four counters and clears an emptied queue.
export const LUA_PRELUDE = `
local function field(flat, name)
  for i = 1, #flat, 2 do
    if flat[i] == name then return flat[i + 1] end
  end
  return nil
end
local function num(v)
  if not v then return 0 end
  return tonumber(v) or 0
end
local function seqOf(streamId)
  return string.match(streamId, '^(%d+)%-')
end
local function surPrefix(sur)
  return string.format('%d', #sur) .. ':' .. sur
end
local function surMember(sur, seq)
  return surPrefix(sur) .. seq
end
-- removes the entry <seq>-0 of q (and its sx and qx members); → its bytes, or nil when it was gone
local function unqueue(q, sx, qx, id, seq)
  local streamId = seq .. '-0'
  local e = redis.call('XRANGE', q, streamId, streamId)
  if not e[1] then return nil end
  redis.call('XDEL', q, streamId)
  local sur = field(e[1][2], 's')
  if sur then redis.call('ZREM', sx, surMember(sur, seq)) end
  redis.call('ZREM', qx, seq .. ' ' .. id)
  return num(field(e[1][2], 'b'))
end
-- moves all four counters; an emptied queue leaves no keys behind
-- (deltas go out as integer strings: Lua would write -0 as "-0", which INCRBY refuses)
-- k: {q, qm, qb, sx, gqm, gqb, queues}
local function accountKeys(k, id, dm, db)
  local sdm = string.format('%d', dm)
  local sdb = string.format('%d', db)
  local m = redis.call('INCRBY', k[2], sdm)
  local b = redis.call('INCRBY', k[3], sdb)
  local gm = redis.call('INCRBY', k[5], sdm)
  local gb = redis.call('INCRBY', k[6], sdb)
  if m <= 0 then
    redis.call('DEL', k[1], k[2], k[3], k[4])
    redis.call('SREM', k[7], id)
    m = 0
    b = 0
  else
    redis.call('SADD', k[7], id)
  end
  return {m, b, gm, gb}
end
local function account(dm, db)
  return accountKeys(KEYS, ARGV[1], dm, db)
end
`;

// Stores one request unless a cap refuses it; with replace, first removes the
// requests stored with the same sur (their bytes count as freed for the caps).
// Finding them is one range of sx:<id>: the cost follows the requests of that
// sur, not the queue's length.
// KEYS: the queue keys 1-8, 9 seq
// ARGV: id, bytes, expiresAt, storedAt, sur ('' = none), replace ('1'/'0'), request JSON,
//       maxMessages, maxBytes, globalMaxBytes
// → {1, seq, replaced, m, b, gm, gb} | {0, reason, m, b, gm, gb}
//   (reason: max_messages | max_bytes | global_max_bytes; nothing written)
export const LUA_ENQUEUE = `${LUA_PRELUDE}
local id = ARGV[1]
local bytes = tonumber(ARGV[2])
local sur = ARGV[5]
local m = num(redis.call('GET', KEYS[2]))
local b = num(redis.call('GET', KEYS[3]))
local gm = num(redis.call('GET', KEYS[5]))
local gb = num(redis.call('GET', KEYS[6]))
local removed = {}
local removedBytes = 0
if ARGV[6] == '1' and sur ~= '' then
  local p = surPrefix(sur)
  for _, member in ipairs(redis.call('ZRANGEBYLEX', KEYS[4], '[' .. p, '(' .. p .. ':')) do
    local s = string.sub(member, #p + 1)
    local streamId = s .. '-0'
    local e = redis.call('XRANGE', KEYS[1], streamId, streamId)
    if e[1] then
      removed[#removed + 1] = s
      removedBytes = removedBytes + num(field(e[1][2], 'b'))
    end
  end
end
if m - #removed + 1 > tonumber(ARGV[8]) then return {0, 'max_messages', m, b, gm, gb} end
if b - removedBytes + bytes > tonumber(ARGV[9]) then return {0, 'max_bytes', m, b, gm, gb} end
if gb - removedBytes + bytes > tonumber(ARGV[10]) then return {0, 'global_max_bytes', m, b, gm, gb} end
for _, s in ipairs(removed) do unqueue(KEYS[1], KEYS[4], KEYS[8], id, s) end
local seq = redis.call('INCR', KEYS[9])
local seqStr = string.format('%d', seq)
if sur ~= '' then
  redis.call('XADD', KEYS[1], seqStr .. '-0', 'r', ARGV[7], 'b', ARGV[2], 'e', ARGV[3], 't', ARGV[4], 's', sur)
  redis.call('ZADD', KEYS[4], 0, surMember(sur, seqStr))
else
  redis.call('XADD', KEYS[1], seqStr .. '-0', 'r', ARGV[7], 'b', ARGV[2], 'e', ARGV[3], 't', ARGV[4])
end
redis.call('ZADD', KEYS[8], ARGV[3], seqStr .. ' ' .. id)
local c = account(1 - #removed, bytes - removedBytes)
return {1, seq, #removed, c[1], c[2], c[3], c[4]}
`;

// Removes the delivered requests <seq>… (and their index members); seqs
// already gone are skipped. Each is O(log n) in the queue's length (issue 19:
// the previous layout rewrote the sur's whole seq list).
// KEYS: the queue keys 1-8; ARGV: id, seq, seq… → {removed, m, b, gm, gb}
export const LUA_ACK = `${LUA_PRELUDE}
local removed = 0
local bytes = 0
for i = 2, #ARGV do
  local b = unqueue(KEYS[1], KEYS[4], KEYS[8], ARGV[1], ARGV[i])
  if b then
    removed = removed + 1
    bytes = bytes + b
  end
end
if removed == 0 then
  return {0, num(redis.call('GET', KEYS[2])), num(redis.call('GET', KEYS[3])), num(redis.call('GET', KEYS[5])), num(redis.call('GET', KEYS[6]))}
end
local c = account(-removed, -bytes)
return {removed, c[1], c[2], c[3], c[4]}
`;

// Removes up to `limit` requests whose expiresAt is at or before now, whatever
// registrees they belong to: the head of qx. One call is bounded work (the
// store calls it again, after a yield, while `more` is 1); a sweep with
// nothing due is one ZRANGEBYSCORE. Members whose entry is gone already (the
// queue was dropped: DROP leaves its qx members to this) are only removed.
// The per-registree keys are built from the prefix (see redis-store.ts on
// Redis Cluster: one hash-tagged slot).
// KEYS: qx, qm, qb, queues; ARGV: prefix, now (ms), limit
// → {removed, more (1/0), gm, gb, id1, m1, b1, id2, …} (each registree it changed, counters after)
export const LUA_PURGE = `${LUA_PRELUDE}
local prefix = ARGV[1]
local limit = tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, limit)
local order = {}
local per = {}
local removed = 0
for _, member in ipairs(due) do
  local seq, id = string.match(member, '^(%d+) (.*)$')
  if seq then
    local b = unqueue(prefix .. 'q:' .. id, prefix .. 'sx:' .. id, KEYS[1], id, seq)
    if b then
      if not per[id] then
        per[id] = {0, 0}
        order[#order + 1] = id
      end
      per[id][1] = per[id][1] + 1
      per[id][2] = per[id][2] + b
      removed = removed + 1
    else
      redis.call('ZREM', KEYS[1], member)
    end
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
local out = {removed, (#due >= limit) and 1 or 0, num(redis.call('GET', KEYS[2])), num(redis.call('GET', KEYS[3]))}
for _, id in ipairs(order) do
  local k = {prefix .. 'q:' .. id, prefix .. 'qm:' .. id, prefix .. 'qb:' .. id, prefix .. 'sx:' .. id, KEYS[2], KEYS[3], KEYS[4]}
  local c = accountKeys(k, id, -per[id][1], -per[id][2])
  out[3] = c[3]
  out[4] = c[4]
  out[#out + 1] = id
  out[#out + 1] = c[1]
  out[#out + 1] = c[2]
end
return out
`;

// Drops the whole queue (registree deleted). Its qx members stay until they
// come due: the purge then finds no entry and only removes them (walking the
// stream here would make a deregistration O(backlog) inside one script).
// KEYS: the queue keys 1-8; ARGV: id → {removed, 0, 0, gm, gb}
export const LUA_DROP = `${LUA_PRELUDE}
local m = num(redis.call('GET', KEYS[2]))
local b = num(redis.call('GET', KEYS[3]))
local gm = num(redis.call('GET', KEYS[5]))
local gb = num(redis.call('GET', KEYS[6]))
if m > 0 then
  local c = account(-m, -b)
  gm = c[3]
  gb = c[4]
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SREM', KEYS[7], ARGV[1])
return {m, 0, 0, gm, gb}
`;

// One page of a queue for queueSummary: only the fields it sums, so the
// request bodies (most of a queue's bytes) never leave Redis.
// KEYS: q:<id>; ARGV: start (an XRANGE start: '-' or '(<id>'), count
// → {entries read, last stream ID or '', b1, e1, t1, s1 ('' = no sur), b2, …}
export const LUA_SUMMARY_PAGE = `
local page = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
local out = {#page, ''}
for _, e in ipairs(page) do
  local b, x, t, s = '0', '0', '0', ''
  local f = e[2]
  for i = 1, #f, 2 do
    local name = f[i]
    if name == 'b' then b = f[i + 1]
    elseif name == 'e' then x = f[i + 1]
    elseif name == 't' then t = f[i + 1]
    elseif name == 's' then s = f[i + 1] end
  end
  out[#out + 1] = b
  out[#out + 1] = x
  out[#out + 1] = t
  out[#out + 1] = s
  out[2] = e[1]
end
return out
`;

// Reads the counters for the stats cache (at open() and every refresh), one
// SSCAN step of the queued registrees per call, so no call holds Redis for
// long however many there are (issue 19: reading all 100k in one script held
// it 750 ms). Reads qm:<id>/qb:<id> by names it builds from the prefix (see
// redis-store.ts on Redis Cluster).
// KEYS: queues, qm, qb; ARGV: prefix, SSCAN cursor ('0' to start), count
// → {next cursor ('0' when done), gm, gb, id1, m1, b1, id2, ...} (non-empty queues only)
export const LUA_SNAPSHOT = `
local function num(v)
  if not v then return 0 end
  return tonumber(v) or 0
end
local step = redis.call('SSCAN', KEYS[1], ARGV[2], 'COUNT', ARGV[3])
local out = {step[1], num(redis.call('GET', KEYS[2])), num(redis.call('GET', KEYS[3]))}
for _, id in ipairs(step[2]) do
  local m = num(redis.call('GET', ARGV[1] .. 'qm:' .. id))
  if m > 0 then
    out[#out + 1] = id
    out[#out + 1] = m
    out[#out + 1] = num(redis.call('GET', ARGV[1] .. 'qb:' .. id))
  end
end
return out
`;

// Writes a registration, its key index entry and its place in regs; drops the
// old key's index entry when the key changed and it still points at this id.
// KEYS: reg:<id>, key:<newKey>, regs; ARGV: id, registration JSON, newKey, prefix .. 'key:' → 1
export const LUA_PUT_REG = `
local old = redis.call('GET', KEYS[1])
if old then
  local ok, dec = pcall(cjson.decode, old)
  if ok and type(dec) == 'table' and type(dec.key) == 'string' and dec.key ~= ARGV[3] then
    local ik = ARGV[4] .. dec.key
    if redis.call('GET', ik) == ARGV[1] then redis.call('DEL', ik) end
  end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
return 1
`;

// Deletes a registration, its regs entry and its key index entry (if that still points at this id).
// KEYS: reg:<id>, regs; ARGV: id, prefix .. 'key:' → 1 deleted | 0 there was none
export const LUA_DELETE_REG = `
redis.call('ZREM', KEYS[2], ARGV[1])
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
local ok, dec = pcall(cjson.decode, old)
if ok and type(dec) == 'table' and type(dec.key) == 'string' then
  local ik = ARGV[2] .. dec.key
  if redis.call('GET', ik) == ARGV[1] then redis.call('DEL', ik) end
end
redis.call('DEL', KEYS[1])
return 1
`;

// Looks a registration up by its downlink key in one round trip.
// KEYS[1] key:<key>; ARGV[1] the reg: prefix → the registration JSON or nil
export const LUA_REG_BY_KEY = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('GET', ARGV[1] .. id)
`;
