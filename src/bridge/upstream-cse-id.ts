// What the bridge knows of the upstream CSE's own identity (DESIGN 3): its
// CSE-ID and SP-ID, given by --cse-id/--sp-id or learned with a RETRIEVE of
// its CSEBase (`-`, the CSEBase shortcut of TS-0004 6.2.3), so that every ID
// can be put in its canonical form (src/bridge/canonical-id.ts).
import type { Logger } from 'pino';
import { isObject } from '../primitive/is-object.js';
import { Operation, Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';
import { canonicalId } from './canonical-id.js';
import type { CseIdentity } from './canonical-id.js';
import { errorMessage } from '../errors.js';

/** A failed attempt to learn the CSE-ID is not repeated sooner than this. */
const RETRY_AFTER_MS = 5000;
/** The originator of the bridge's own CSEBase RETRIEVE. */
export const CSEBASE_PROBE_ORIGINATOR = 'Conem2m-ws-bridge';

export interface UpstreamCseIdOptions {
  /** --cse-id ('' = learn it). */
  cseId: string;
  /** --sp-id ('' = unknown). */
  spId: string;
  /** Originator of the CSEBase RETRIEVE: an operator's --allow-originator entry is one the CSE knows. */
  probeOriginator?: string;
  send(req: RequestPrimitive): Promise<ResponsePrimitive | null>;
  logger: Logger;
}

export class UpstreamCseId implements CseIdentity {
  cseId: string | undefined;
  spId: string | undefined;
  private readonly configured: boolean;
  private readonly spConfigured: boolean;
  private readonly o: UpstreamCseIdOptions;
  private attempt: Promise<void> | undefined;
  private lastAttemptAt = 0;
  private warned = false;
  private probes = 0;

  constructor(options: UpstreamCseIdOptions) {
    this.o = options;
    this.configured = options.cseId !== '';
    this.cseId = this.configured ? options.cseId : undefined;
    this.spConfigured = options.spId !== '';
    this.spId = this.spConfigured ? options.spId : undefined;
  }

  /** The canonical form of an ID (TS-0001 7.2) with what is known now. */
  canonical(id: string): string {
    return canonicalId(id, this);
  }

  /**
   * Resolves once the CSE-ID is known, or once one attempt to learn it has
   * failed (then IDs in their longer forms stay unequal to their short ones:
   * fail closed). Never rejects.
   */
  ensure(): Promise<void> {
    if (this.cseId !== undefined) return Promise.resolve();
    return this.learn(false);
  }

  /**
   * A registree just registered: CSEs that refuse unknown originators (ACME
   * answers 4103) let it RETRIEVE their CSEBase. Read-only, once, only while
   * the CSE-ID is unknown.
   */
  learnAs(originator: string): Promise<void> {
    if (this.cseId !== undefined || this.attempt !== undefined) return Promise.resolve();
    this.lastAttemptAt = Date.now();
    this.attempt = this.retrieve(originator).finally(() => {
      this.attempt = undefined;
    });
    return this.attempt;
  }

  /** Asks the CSEBase again (kept fresh unless --cse-id was given). */
  refresh(): Promise<void> {
    if (this.configured) return Promise.resolve();
    return this.learn(true);
  }

  private learn(force: boolean): Promise<void> {
    if (this.attempt !== undefined) return this.attempt;
    if (!force && Date.now() - this.lastAttemptAt < RETRY_AFTER_MS) return Promise.resolve();
    this.lastAttemptAt = Date.now();
    this.attempt = this.retrieve(this.o.probeOriginator ?? CSEBASE_PROBE_ORIGINATOR).finally(() => {
      this.attempt = undefined;
    });
    return this.attempt;
  }

  private async retrieve(originator: string): Promise<void> {
    let found: string | undefined;
    let why = '';
    try {
      const rsp = await this.o.send({ op: Operation.Retrieve, to: '-', fr: originator, rqi: `bridge-csebase-${++this.probes}`, rvi: '3' });
      const cb = rsp?.pc?.['m2m:cb'];
      const csi = isObject(cb) ? cb.csi : undefined;
      if (rsp?.rsc === Rsc.OK && typeof csi === 'string' && /^\/?[^/\s]+$/.test(csi)) found = csi.startsWith('/') ? csi : '/' + csi;
      // Release 4 CSEBases carry the SP-ID too (ACME: spi "//acme.example.com").
      const spi = isObject(cb) ? cb.spi : undefined;
      if (found !== undefined && !this.spConfigured && typeof spi === 'string' && /^(\/\/)?[^/\s]+$/.test(spi)) this.spId = spi.replace(/^\/\//, '');
      else why = `the CSE answered ${rsp?.rsc ?? 'nothing'}${rsp?.rsc === Rsc.OK ? ' without a csi' : ''}`;
    } catch (err) {
      why = errorMessage(err);
    }
    if (found !== undefined) {
      if (found !== this.cseId) this.o.logger.info({ cseId: found, spId: this.spId, as: originator }, 'upstream CSE-ID learned from its CSEBase');
      this.cseId = found;
      return;
    }
    if (this.cseId === undefined && !this.warned) {
      this.warned = true;
      this.o.logger.warn(
        { why, as: originator },
        "the upstream CSE's CSE-ID is unknown (RETRIEVE of its CSEBase failed): IDs written with it (/id-in/Cabc) are not taken for their short forms until it is learned (tried again as the next registree and every minute); set --cse-id to be sure",
      );
    }
  }
}
