// The Lua scripts of the Redis store (redis-store.ts), each run atomically
// inside Redis: that is what keeps registration + key index, and stream +
// counters + sur index, changing together, and the caps exact across
// replicas. Key names are described at the top of redis-store.ts; all keys
// are under the store's prefix.
//
// The queue scripts (ENQUEUE, ACK, PURGE, DROP) share LUA_PRELUDE and take the
// same KEYS, in this order:
//   1 q:<id>  2 qm:<id>  3 qb:<id>  4 sur:<id>  5 qm  6 qb  7 queues  (8 seq, enqueue only)
// and ARGV[1] is always the registree id. "m, b" in a reply are the
// registree's messages and bytes after the change, "gm, gb" those of all
// queues together (the store's stats cache takes them as they are).

// Helpers the queue scripts start with (not a script of its own): field()
// reads a stream entry's flat field list, surRemove() takes a seq out of the
// sur index, account() moves the four counters and clears an emptied queue.
const LUA_PRELUDE = `
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
local function surRemove(sur, seq)
  local list = redis.call('HGET', KEYS[4], sur)
  if not list then return end
  local keep = {}
  for s in string.gmatch(list, '%S+') do
    if s ~= seq then keep[#keep + 1] = s end
  end
  if #keep == 0 then
    redis.call('HDEL', KEYS[4], sur)
  else
    redis.call('HSET', KEYS[4], sur, table.concat(keep, ' '))
  end
end
-- moves all four counters; an emptied queue leaves no keys behind
-- (deltas go out as integer strings: Lua would write -0 as "-0", which INCRBY refuses)
local function account(dm, db)
  local sdm = string.format('%d', dm)
  local sdb = string.format('%d', db)
  local m = redis.call('INCRBY', KEYS[2], sdm)
  local b = redis.call('INCRBY', KEYS[3], sdb)
  local gm = redis.call('INCRBY', KEYS[5], sdm)
  local gb = redis.call('INCRBY', KEYS[6], sdb)
  if m <= 0 then
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
    redis.call('SREM', KEYS[7], ARGV[1])
    m = 0
    b = 0
  else
    redis.call('SADD', KEYS[7], ARGV[1])
  end
  return {m, b, gm, gb}
end
`;

// Stores one request unless a cap refuses it; with replace, first removes the
// requests stored with the same sur (their bytes count as freed for the caps).
// KEYS: the queue keys 1-7, 8 seq
// ARGV: id, bytes, expiresAt, storedAt, sur ('' = none), replace ('1'/'0'), request JSON,
//       maxMessages, maxBytes, globalMaxBytes
// → {1, seq, replaced, m, b, gm, gb} | {0, reason, m, b, gm, gb}
//   (reason: max_messages | max_bytes | global_max_bytes; nothing written)
export const LUA_ENQUEUE = `${LUA_PRELUDE}
local bytes = tonumber(ARGV[2])
local sur = ARGV[5]
local m = num(redis.call('GET', KEYS[2]))
local b = num(redis.call('GET', KEYS[3]))
local gm = num(redis.call('GET', KEYS[5]))
local gb = num(redis.call('GET', KEYS[6]))
local removed = {}
local removedBytes = 0
if ARGV[6] == '1' and sur ~= '' then
  local list = redis.call('HGET', KEYS[4], sur)
  if list then
    for s in string.gmatch(list, '%S+') do
      local id = s .. '-0'
      local e = redis.call('XRANGE', KEYS[1], id, id)
      if e[1] then
        removed[#removed + 1] = id
        removedBytes = removedBytes + num(field(e[1][2], 'b'))
      end
    end
  end
end
if m - #removed + 1 > tonumber(ARGV[8]) then return {0, 'max_messages', m, b, gm, gb} end
if b - removedBytes + bytes > tonumber(ARGV[9]) then return {0, 'max_bytes', m, b, gm, gb} end
if gb - removedBytes + bytes > tonumber(ARGV[10]) then return {0, 'global_max_bytes', m, b, gm, gb} end
for _, id in ipairs(removed) do redis.call('XDEL', KEYS[1], id) end
local seq = redis.call('INCR', KEYS[8])
local seqStr = string.format('%d', seq)
if sur ~= '' then
  redis.call('XADD', KEYS[1], seqStr .. '-0', 'r', ARGV[7], 'b', ARGV[2], 'e', ARGV[3], 't', ARGV[4], 's', sur)
  local list = nil
  if ARGV[6] ~= '1' then list = redis.call('HGET', KEYS[4], sur) end
  if list then
    redis.call('HSET', KEYS[4], sur, list .. ' ' .. seqStr)
  else
    redis.call('HSET', KEYS[4], sur, seqStr)
  end
else
  redis.call('XADD', KEYS[1], seqStr .. '-0', 'r', ARGV[7], 'b', ARGV[2], 'e', ARGV[3], 't', ARGV[4])
end
local c = account(1 - #removed, bytes - removedBytes)
return {1, seq, #removed, c[1], c[2], c[3], c[4]}
`;

// Removes the delivered requests <seq>… (and their sur index entries); seqs
// already gone are skipped. Their sur entries go in one pass per sur: a drain
// acknowledges in queue order, so they are the head of the sur's list and
// are cut off in one piece (issue 19: one pass over the whole list per seq
// made a drain O(n²) in the NOTIFYs of one subscription: 235 msg/s).
// KEYS: the queue keys 1-7; ARGV: id, seq, seq… → {removed, m, b, gm, gb}
export const LUA_ACK = `${LUA_PRELUDE}
local function surRemoveMany(sur, set, n)
  local list = redis.call('HGET', KEYS[4], sur)
  if not list then return end
  local pos = 1
  local found = 0
  while found < n do
    local stop = string.find(list, ' ', pos, true)
    if not set[string.sub(list, pos, (stop or 0) - 1)] then break end
    found = found + 1
    if not stop then
      pos = #list + 1
      break
    end
    pos = stop + 1
  end
  local rest
  if found == n then
    rest = string.sub(list, pos)
  else
    local keep = {}
    for s in string.gmatch(list, '%S+') do
      if not set[s] then keep[#keep + 1] = s end
    end
    rest = table.concat(keep, ' ')
  end
  if rest == '' then
    redis.call('HDEL', KEYS[4], sur)
  else
    redis.call('HSET', KEYS[4], sur, rest)
  end
end
local removed = 0
local bytes = 0
local bySur = {}
local perSur = {}
for i = 2, #ARGV do
  local id = ARGV[i] .. '-0'
  local e = redis.call('XRANGE', KEYS[1], id, id)
  if e[1] then
    redis.call('XDEL', KEYS[1], id)
    local sur = field(e[1][2], 's')
    if sur then
      if not bySur[sur] then
        bySur[sur] = {}
        perSur[sur] = 0
      end
      bySur[sur][ARGV[i]] = true
      perSur[sur] = perSur[sur] + 1
    end
    removed = removed + 1
    bytes = bytes + num(field(e[1][2], 'b'))
  end
end
if removed == 0 then
  return {0, num(redis.call('GET', KEYS[2])), num(redis.call('GET', KEYS[3])), num(redis.call('GET', KEYS[5])), num(redis.call('GET', KEYS[6]))}
end
for sur, set in pairs(bySur) do surRemoveMany(sur, set, perSur[sur]) end
local c = account(-removed, -bytes)
return {removed, c[1], c[2], c[3], c[4]}
`;

// Removes every request of the queue whose expiresAt is at or before now.
// KEYS: the queue keys 1-7; ARGV: id, now (ms) → {removed, m, b, gm, gb}
export const LUA_PURGE = `${LUA_PRELUDE}
local now = tonumber(ARGV[2])
local entries = redis.call('XRANGE', KEYS[1], '-', '+')
local dm = 0
local db = 0
for _, e in ipairs(entries) do
  local f = e[2]
  if num(field(f, 'e')) <= now then
    redis.call('XDEL', KEYS[1], e[1])
    local sur = field(f, 's')
    if sur then surRemove(sur, seqOf(e[1])) end
    dm = dm + 1
    db = db + num(field(f, 'b'))
  end
end
if dm == 0 then
  return {0, num(redis.call('GET', KEYS[2])), num(redis.call('GET', KEYS[3])), num(redis.call('GET', KEYS[5])), num(redis.call('GET', KEYS[6]))}
end
local c = account(-dm, -db)
return {dm, c[1], c[2], c[3], c[4]}
`;

// Drops the whole queue (registree deleted).
// KEYS: the queue keys 1-7; ARGV: id → {removed, 0, 0, gm, gb}
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

// Reads all counters for the stats cache (at open() and every refresh). Reads
// qm:<id>/qb:<id> by names it builds from the prefix (see redis-store.ts on Redis Cluster).
// KEYS: queues, qm, qb; ARGV: prefix → {gm, gb, id1, m1, b1, id2, ...} (non-empty queues only)
export const LUA_SNAPSHOT = `
local function num(v)
  if not v then return 0 end
  return tonumber(v) or 0
end
local out = {num(redis.call('GET', KEYS[2])), num(redis.call('GET', KEYS[3]))}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
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
