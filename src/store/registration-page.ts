// Shared pieces of Store.listRegistrationsPage and Store.queueSummary: the
// filter, the cut into a page, and the per-`sur` summing (admin API).
import type { QueueSummary, Registration, RegistrationPage, RegistrationPageQuery } from './store.js';

/** `q` lower-cased once per query; '' matches everything. */
export function needleOf(query: RegistrationPageQuery): string {
  return (query.q ?? '').toLowerCase();
}

export function idMatches(id: string, needle: string): boolean {
  return needle === '' || id.toLowerCase().includes(needle);
}

/** `found` holds up to limit + 1 matches in ID order: the one past the limit only says that a next page exists. */
export function pageOf(found: Registration[], limit: number): RegistrationPage {
  if (found.length <= limit) return { registrations: found };
  const registrations = found.slice(0, limit);
  return { registrations, next: registrations[registrations.length - 1].id };
}

/** What the summary needs of one stored request. */
export interface SummaryEntry {
  bytes: number;
  expiresAt: number;
  storedAt: number;
  sur?: string;
}

/** Sums stored requests (in any order) into a QueueSummary. */
export class SummaryBuilder {
  private messages = 0;
  private bytes = 0;
  private oldest: number | undefined;
  private nextExpiry: number | undefined;
  private readonly bySur = new Map<string | null, { messages: number; bytes: number; oldestStoredAt: number }>();

  add(e: SummaryEntry): void {
    this.messages += 1;
    this.bytes += e.bytes;
    if (this.oldest === undefined || e.storedAt < this.oldest) this.oldest = e.storedAt;
    if (this.nextExpiry === undefined || e.expiresAt < this.nextExpiry) this.nextExpiry = e.expiresAt;
    const key = e.sur ?? null;
    const s = this.bySur.get(key);
    if (s === undefined) this.bySur.set(key, { messages: 1, bytes: e.bytes, oldestStoredAt: e.storedAt });
    else {
      s.messages += 1;
      s.bytes += e.bytes;
      if (e.storedAt < s.oldestStoredAt) s.oldestStoredAt = e.storedAt;
    }
  }

  build(): QueueSummary {
    const bySur = [...this.bySur].map(([sur, s]) => ({ sur, ...s }));
    // most waiting first, then the oldest; requests without a sur last among equals
    bySur.sort((a, b) => b.messages - a.messages || a.oldestStoredAt - b.oldestStoredAt || (a.sur === null ? 1 : 0) - (b.sur === null ? 1 : 0));
    const out: QueueSummary = { messages: this.messages, bytes: this.bytes, bySur };
    if (this.oldest !== undefined) out.oldestStoredAt = this.oldest;
    if (this.nextExpiry !== undefined) out.nextExpiresAt = this.nextExpiry;
    return out;
  }
}
