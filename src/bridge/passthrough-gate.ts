// Passthrough follows identity (DESIGN 3, issue 12): when any identity mode is
// on, a plain HTTP request on the public door authenticates the way a
// WebSocket handshake does — client certificate, Authorization — and may only
// use an X-M2M-Origin that identity allows. Otherwise it never reaches the CSE.
import type { IncomingMessage } from 'node:http';
import type { Store } from '../store/store.js';
import { allowedByCertificate, credentialsMatch, originatorAllowed, verifiedCertificateNames, verifiedFingerprint } from './access.js';
import type { Credentials, IdentityMap } from '../config/access-files.js';
import { parentCseId } from './canonical-id.js';
import type { UpstreamCseId } from './upstream-cse-id.js';
import { identityHint } from './identity-mode.js';

export interface PassthroughGateOptions {
  identityTls: boolean;
  identityMap: IdentityMap | undefined;
  credentials: Credentials | undefined;
  allowOriginator: readonly string[];
  cse: UpstreamCseId;
  store: Pick<Store, 'getRegistration'>;
}

export type PassthroughVerdict = { ok: true } | { ok: false; reason: string };

/** Undefined when no identity mode is on: passthrough is then unchanged (the CSE's access control judges). */
export function passthroughGate(o: PassthroughGateOptions): ((req: IncomingMessage) => Promise<PassthroughVerdict>) | undefined {
  if (!o.identityTls && o.identityMap === undefined && o.credentials === undefined) return undefined;
  // Every refusal names the mode in force and what the client can do (issue 21 item 5).
  const hint = identityHint({ tls: o.identityTls, identityMap: o.identityMap !== undefined, credentials: o.credentials !== undefined });

  /** --identity tls: the originator is a registree (or relayed by a remoteCSE registree) tied to this certificate. */
  async function heldByCertificate(origin: string, fingerprint: string): Promise<boolean> {
    const id = o.cse.canonical(origin);
    const reg = await o.store.getRegistration(id);
    if (reg !== undefined) return reg.identity === fingerprint;
    const parent = parentCseId(id);
    if (parent === undefined) return false;
    const relay = await o.store.getRegistration(parent);
    return relay !== undefined && relay.kind === 'cse' && relay.identity === fingerprint;
  }

  return async (req) => {
    const header = req.headers['x-m2m-origin'];
    const origin = typeof header === 'string' && header !== '' ? header : undefined;
    if (origin === undefined) return { ok: false, reason: `passthrough needs X-M2M-Origin naming who sends; ${hint}` };
    // Operators' own originators (e.g. CAdmin) pass as on the WebSocket; the CSE's access control judges them.
    if (originatorAllowed(o.allowOriginator, origin, o.cse)) return { ok: true };
    if (o.credentials !== undefined && !credentialsMatch(o.credentials, origin, req.headers.authorization, o.cse)) {
      return { ok: false, reason: `X-M2M-Origin ${origin} needs its Authorization: Basic or Bearer (--credentials); ${hint}` };
    }
    if (o.identityMap !== undefined && !originatorAllowed(allowedByCertificate(o.identityMap, verifiedCertificateNames(req.socket)), origin, o.cse)) {
      return { ok: false, reason: `the client certificate is not allowed to act as ${origin} (--identity-map); ${hint}` };
    }
    if (o.identityTls) {
      const fingerprint = verifiedFingerprint(req.socket);
      if (fingerprint === undefined) return { ok: false, reason: `passthrough needs a verified client certificate (--identity tls); ${hint}` };
      if (!(await heldByCertificate(origin, fingerprint))) {
        return { ok: false, reason: `${origin} is not a registree of this client certificate (--identity tls): register it over the WebSocket first; ${hint}` };
      }
    }
    return { ok: true };
  };
}
