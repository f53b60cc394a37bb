// One page of the registree list "sorted by what is waiting" (issue 20): first
// the registrees with stored requests, most first (ties by ID), then all the
// others in ID order. Pages are cut by an opaque cursor, so 100k registrees
// are never read at once: the waiting ones come from the store's queue view
// (queuedIds/queueStats, in memory), the others from listRegistrationsPage.
// Counts move between two pages; a registree whose count changed meanwhile may
// show twice or not at all while paging — this is a status view, not an export.
import type { Registration, Store } from '../store/store.js';

/** A query the API cannot answer: the server says 400 with this message. */
export class BadQuery extends Error {}

export interface RegistreePageQuery {
  /** 1..MAX_PAGE. */
  limit: number;
  /** A cursor from a previous page's `next`. */
  after?: string;
  /** Part of the ID, case-insensitive. */
  q?: string;
  /** Only registrees bound (true) or not bound (false) on any replica. */
  online?: boolean;
}

export const MAX_PAGE = 1000;

type Position = { phase: 'waiting'; messages: number; id: string } | { phase: 'idle'; id: string };

/** Registrations read, and kept or filtered out, per request at most: a filter that matches little returns a short page with a cursor, never a long scan. */
const SCAN_BUDGET = 5000;
const CHUNK = 250;

export function encodeCursor(p: Position): string {
  return Buffer.from(p.phase === 'waiting' ? `w ${p.messages} ${p.id}` : `i ${p.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  const raw = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const w = /^w (\d{1,15}) (.+)$/s.exec(raw);
  if (w !== null) return { phase: 'waiting', messages: Number(w[1]), id: w[2] };
  const i = /^i (.+)$/s.exec(raw);
  if (i !== null) return { phase: 'idle', id: i[1] };
  throw new BadQuery('after: not a cursor this API gave (use the "next" link of the previous page)');
}

interface Waiting {
  id: string;
  messages: number;
}

/** Most messages first, then by ID. */
function byWaiting(a: Waiting, b: Waiting): number {
  return b.messages - a.messages || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * `keep` decides, for a batch of registrations, which stay (the online filter);
 * it sees each registration once. Returns up to `limit` registrations and the
 * cursor of the next page when more may follow.
 */
export async function registreePage(
  store: Store,
  query: RegistreePageQuery,
  keep: (regs: Registration[]) => Promise<boolean[]>,
): Promise<{ registrations: Registration[]; next?: string }> {
  const start = query.after !== undefined && query.after !== '' ? decodeCursor(query.after) : undefined;
  const needle = (query.q ?? '').toLowerCase();
  const out: Array<{ reg: Registration; pos: Position }> = [];
  let examined = 0;
  let last: Position | undefined;
  const full = () => out.length > query.limit;
  const take = async (regs: Registration[], pos: (r: Registration) => Position) => {
    const kept = await keep(regs);
    regs.forEach((r, i) => {
      if (kept[i] && !full()) out.push({ reg: r, pos: pos(r) });
    });
  };
  const result = (exhausted: boolean) => {
    if (full()) return { registrations: out.slice(0, query.limit).map((c) => c.reg), next: encodeCursor(out[query.limit - 1].pos) };
    const registrations = out.map((c) => c.reg);
    return exhausted || last === undefined ? { registrations } : { registrations, next: encodeCursor(last) };
  };

  // 1. what is waiting, most first
  if (start === undefined || start.phase === 'waiting') {
    const waiting: Waiting[] = [];
    for (const id of store.queuedIds()) {
      if (needle !== '' && !id.toLowerCase().includes(needle)) continue;
      const messages = store.queueStats(id).messages;
      if (messages > 0) waiting.push({ id, messages });
    }
    waiting.sort(byWaiting);
    let i = start === undefined ? 0 : waiting.findIndex((w) => byWaiting(w, { id: start.id, messages: start.messages }) > 0);
    if (i < 0) i = waiting.length;
    const messagesOf = new Map<string, number>();
    while (i < waiting.length && !full() && examined < SCAN_BUDGET) {
      const chunk = waiting.slice(i, i + CHUNK);
      i += chunk.length;
      examined += chunk.length;
      for (const w of chunk) messagesOf.set(w.id, w.messages);
      const regs = (await Promise.all(chunk.map((w) => store.getRegistration(w.id)))).filter((r): r is Registration => r !== undefined);
      await take(regs, (r) => ({ phase: 'waiting', messages: messagesOf.get(r.id) ?? 0, id: r.id }));
      const tail = chunk[chunk.length - 1];
      last = { phase: 'waiting', messages: tail.messages, id: tail.id };
    }
    if (full() || i < waiting.length) return result(false);
  }

  // 2. everything else, in ID order
  let after = start?.phase === 'idle' ? start.id : '';
  while (!full() && examined < SCAN_BUDGET) {
    const page = await store.listRegistrationsPage({ after, limit: CHUNK, q: needle });
    examined += page.registrations.length;
    // Those with a queue were listed in part 1.
    await take(page.registrations.filter((r) => store.queueStats(r.id).messages === 0), (r) => ({ phase: 'idle', id: r.id }));
    if (page.registrations.length > 0) {
      after = page.registrations[page.registrations.length - 1].id;
      last = { phase: 'idle', id: after };
    }
    if (page.next === undefined) return result(true);
  }
  return result(false);
}
