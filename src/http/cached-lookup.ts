// Name resolution for the upstream pool, done once per TTL instead of once
// per connection (issue 22). With a CSE that closes its connection after
// each answer, every forwarded request opens a connection, and Node resolves
// the CSE's host name for each one (getaddrinfo on the libuv thread pool;
// /etc/hosts or a DNS query). The CSE's address does not change per request:
// the answer is kept for a few seconds, shared by concurrent connects, and
// dropped at once when a connection to the CSE fails.
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOptions } from 'node:dns';

/** How long a resolved address is used before it is looked up again. */
export const LOOKUP_TTL_MS = 5000;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup with `all: true`: the resolver underneath (replaceable to count calls). */
export type Resolver = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

interface Entry {
  at: number;
  err: NodeJS.ErrnoException | null;
  addresses: LookupAddress[];
  /** Callbacks waiting for the lookup in flight. */
  waiting?: Array<(err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void>;
}

/** A `lookup` for net.connect/tls.connect (undici's `connect` options) with a short cache. */
export class CachedLookup {
  private readonly ttlMs: number;
  private readonly resolver: Resolver;
  private readonly entries = new Map<string, Entry>();
  /** Bound once: handed to undici's connector, called per connection. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => this.resolve(hostname, options, callback);

  constructor(ttlMs = LOOKUP_TTL_MS, resolver: Resolver = dnsLookup) {
    this.ttlMs = ttlMs;
    this.resolver = resolver;
  }

  /** Forget every answer (a connection to the CSE failed: its address may have moved). */
  clear(): void {
    for (const [key, entry] of this.entries) if (entry.waiting === undefined) this.entries.delete(key);
  }

  private resolve(hostname: string, options: LookupOptions, callback: LookupCallback): void {
    const family = typeof options.family === 'number' ? options.family : 0;
    const key = `${family}/${options.hints ?? 0}/${hostname}`;
    const answer = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (options.all === true) callback(err, addresses);
      else if (err !== null || addresses.length === 0) callback(err ?? Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      else callback(null, addresses[0].address, addresses[0].family);
    };
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (entry.waiting !== undefined) {
        entry.waiting.push(answer);
        return;
      }
      if (entry.err === null && Date.now() - entry.at < this.ttlMs) {
        answer(null, entry.addresses);
        return;
      }
    }
    const pending: Entry = { at: 0, err: null, addresses: [], waiting: [answer] };
    this.entries.set(key, pending);
    this.resolver(hostname, { family, hints: options.hints, all: true }, (err, addresses) => {
      const waiting = pending.waiting ?? [];
      pending.waiting = undefined;
      pending.at = Date.now();
      pending.err = err;
      pending.addresses = err === null ? addresses : [];
      // A failed lookup is not kept: the next connection asks again.
      if (err !== null) this.entries.delete(key);
      for (const w of waiting) w(err, pending.addresses);
    });
  }
}
