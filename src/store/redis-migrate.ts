// Converting a redis store written by an earlier bridge to the current layout
// (issue 19), once, at open(). The earlier layout indexed a registree's
// requests by sur in a hash `sur:<id>` (sur -> "seq seq ...", rewritten whole
// on every enqueue and acknowledgement) and had no expiry index. The current
// one has `sx:<id>` and `qx` (described in redis-scripts.ts), and the key
// `layout` says so (LAYOUT).
//
// The indexes are built from the streams themselves (each entry's `s` and `e`
// fields), not from the old hash: the stream is what gets delivered, so an
// index built from it can neither lose nor invent a request. Nothing in a
// stream is moved or rewritten, so seqs, order and bodies stay as they were.
//
// Bounded: one script call indexes at most MIGRATE_BUDGET entries (of one or
// many registrees) and says where it stopped; the store calls it again. Safe
// when several replicas open the same Redis at once: every call is atomic and
// only adds members that describe entries present at that moment (ZADD of a
// member already there changes nothing), so two replicas walking the same
// queues, or a replica that already serves acknowledging meanwhile, leave
// exactly one member per stored request. A replica opens only after its own
// walk went over every queue that was not empty when it began, so whichever
// finishes first leaves every old entry indexed; new entries are indexed by
// the scripts that store them. A crash midway leaves LAYOUT unset: the next
// open walks again.
//
// Every replica must run this version before any of them stores again: a
// replica of the earlier version still writing would add entries without
// index members (CHANGELOG, upgrade note).
import type { Redis } from 'ioredis';
import { LUA_PRELUDE } from './redis-scripts.js';

/** The key (under the prefix) that says the store is in the current layout, and its value. */
export const LAYOUT_KEY = 'layout';
export const LAYOUT = '2';

/** Stream entries indexed per script call. */
const MIGRATE_BUDGET = 1000;
/** Registree ids handed to one call (SSCAN COUNT). */
const IDS_PER_CALL = 200;

// Indexes the entries of the queues of id1, id2, … (the member formats are the
// prelude's surMember() and `<seq> <id>`, as the enqueue script writes them) from `cursor` (a stream ID of
// id1's queue already indexed; '' = from its start), at most `budget` entries;
// drops each finished registree's old `sur:<id>` hash.
// KEYS: qx; ARGV: prefix, budget, cursor, id1, id2, …
// → {registrees finished, cursor in the next one ('' when all are)}
export const LUA_MIGRATE = `${LUA_PRELUDE}
local prefix = ARGV[1]
local budget = tonumber(ARGV[2])
local cursor = ARGV[3]
local used = 0
local done = 0
for i = 4, #ARGV do
  local id = ARGV[i]
  local q = prefix .. 'q:' .. id
  local sx = prefix .. 'sx:' .. id
  while true do
    local n = budget - used
    if n <= 0 then return {done, cursor} end
    local start = '-'
    if cursor ~= '' then start = '(' .. cursor end
    local page = redis.call('XRANGE', q, start, '+', 'COUNT', n)
    for _, e in ipairs(page) do
      local seq = string.match(e[1], '^(%d+)%-')
      local f = e[2]
      local sur = field(f, 's')
      if sur then redis.call('ZADD', sx, 0, surMember(sur, seq)) end
      redis.call('ZADD', KEYS[1], tonumber(field(f, 'e')) or 0, seq .. ' ' .. id)
      cursor = e[1]
    end
    used = used + #page
    if #page < n then break end
  end
  redis.call('DEL', prefix .. 'sur:' .. id)
  done = done + 1
  cursor = ''
end
return {done, ''}
`;

interface MigrateCommand {
  bridgeMigrate(qx: string, prefix: string, budget: number, cursor: string, ...ids: string[]): Promise<[number, string]>;
}

/**
 * Brings the store under `prefix` to the current layout unless `layout` says
 * it is; → how many queued registrees were walked (0 when nothing was to do).
 */
export async function migrateLayout(redis: Redis, prefix: string): Promise<number> {
  if ((await redis.get(prefix + LAYOUT_KEY)) === LAYOUT) return 0;
  redis.defineCommand('bridgeMigrate', { numberOfKeys: 1, lua: LUA_MIGRATE });
  const conn = redis as Redis & MigrateCommand;
  let walked = 0;
  let scan = '0';
  do {
    // SSCAN returns every member present from start to end at least once; a repeat is harmless (ZADD)
    const [next, ids] = await conn.sscan(prefix + 'queues', scan, 'COUNT', IDS_PER_CALL);
    scan = next;
    let rest = ids;
    let cursor = '';
    while (rest.length > 0) {
      const [finished, at] = await conn.bridgeMigrate(prefix + 'qx', prefix, MIGRATE_BUDGET, cursor, ...rest);
      rest = rest.slice(Number(finished));
      cursor = String(at);
    }
    walked += ids.length;
  } while (scan !== '0');
  await redis.set(prefix + LAYOUT_KEY, LAYOUT);
  return walked;
}
