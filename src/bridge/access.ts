// Who a connection may be (DESIGN 3, issue: security). Two optional sources,
// both ending in "this connection may only register or bind as these
// originators":
// - an identity map: client-certificate subject CN or SAN entry → originators;
// - handshake credentials: per originator a Basic or Bearer secret, checked
//   against the handshake's Authorization and X-M2M-Origin headers.
// Pure: decisions only (the handshake decision reads the request it is given,
// nothing else); the two files are parsed in config/access-files.ts.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { idMatches, sameId } from './canonical-id.js';
import type { CseIdentity } from './canonical-id.js';
import { identityHint } from './identity-mode.js';

import type { Credential, Credentials, IdentityMap } from '../config/access-files.js';

/** A JSON string literal at the start of the text, as Node writes a quoted SAN value. */
const JSON_STRING = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/;

/**
 * The entries of a subject alternative name list as Node exposes it
 * (`X509Certificate.subjectAltName`, `subjectaltname`): `TYPE:value`
 * separated by ", ", where Node writes a value holding a comma, a quote, a
 * backslash or a control character as a JSON string (`URI:"urn:a\u002cb"`;
 * the RFC 5280 4.2.1.6 GeneralName is any IA5String). Split as Node's own
 * tls.checkServerIdentity does; quoted values come back unquoted. A list that
 * does not follow these rules yields undefined (the certificate is then known
 * by its CN only).
 */
export function splitAltNames(text: string): string[] | undefined {
  const out: string[] = [];
  let token = '';
  let at = 0;
  while (at < text.length) {
    const sep = text.indexOf(', ', at);
    const quote = text.indexOf('"', at);
    if (quote !== -1 && (sep === -1 || quote < sep)) {
      token += text.slice(at, quote);
      const m = JSON_STRING.exec(text.slice(quote));
      if (m === null) return undefined;
      token += JSON.parse(m[0]) as string;
      at = quote + m[0].length;
    } else if (sep !== -1) {
      out.push(token + text.slice(at, sep));
      token = '';
      at = sep + 2;
    } else {
      token += text.slice(at);
      at = text.length;
    }
  }
  if (token.length > 0) out.push(token);
  return out.filter((entry) => entry.length > 0);
}

/** The names a verified client certificate is known by in an identity map. */
export function certificateNames(cert: Pick<PeerCertificate, 'subject'> & { subjectaltname?: string }): string[] {
  const names: string[] = [];
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') names.push(`CN=${cn}`);
  else if (Array.isArray(cn)) for (const c of cn) names.push(`CN=${c}`);
  names.push(...(splitAltNames(cert.subjectaltname ?? '') ?? []));
  return names;
}

/** Originators the map allows for these certificate names; empty when none matches. */
export function allowedByCertificate(map: IdentityMap, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) out.push(...(map.get(n) ?? []));
  return out;
}

/** Whether `id` is one of the allowed originators (`*` at the end = prefix), compared as IDs in canonical form (TS-0001 7.2). */
export function originatorAllowed(allowed: readonly string[], id: string, self: CseIdentity): boolean {
  return allowed.some((a) => idMatches(a, id, self));
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The credential of `origin`: the entry naming the same ID (canonical form). */
function credentialOf(credentials: Credentials, origin: string, self: CseIdentity): Credential | undefined {
  const exact = credentials.get(origin);
  if (exact !== undefined) return exact;
  for (const [id, c] of credentials) if (sameId(id, origin, self)) return c;
  return undefined;
}

/** Checks `Authorization: Basic|Bearer …` against the credential of `origin`. */
export function credentialsMatch(credentials: Credentials, origin: string | undefined, authorization: string | undefined, self: CseIdentity): boolean {
  if (origin === undefined || origin === '' || authorization === undefined) return false;
  const c = credentialOf(credentials, origin, self);
  if (c === undefined) return false;
  const space = authorization.indexOf(' ');
  if (space === -1) return false;
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (scheme === 'basic' && c.basic !== undefined) return sameSecret(Buffer.from(value, 'base64').toString('utf8'), c.basic);
  if (scheme === 'bearer' && c.bearer !== undefined) return sameSecret(value, c.bearer);
  return false;
}

/** The names of the verified client certificate on this TLS socket (none when it did not verify). */
export function verifiedCertificateNames(socket: unknown): string[] {
  const tls = socket as Partial<TLSSocket>;
  if (tls.authorized !== true || tls.getPeerCertificate === undefined) return [];
  // SANs from X509Certificate, in the escaped form splitAltNames reads.
  const x509 = tls.getPeerX509Certificate?.();
  return certificateNames({ subject: tls.getPeerCertificate().subject, subjectaltname: x509?.subjectAltName });
}

/** SHA-256 fingerprint of the verified client certificate on this socket; undefined when none verified. */
export function verifiedFingerprint(socket: unknown): string | undefined {
  const tls = socket as Partial<TLSSocket>;
  if (tls.authorized !== true || tls.getPeerCertificate === undefined) return undefined;
  const fp = tls.getPeerCertificate()?.fingerprint256;
  return typeof fp === 'string' && fp !== '' ? fp : undefined;
}

export type HandshakeDecision = { ok: true; allowed?: readonly string[] } | { ok: false; status: number; reason: string };

/**
 * The handshake check for the WebSocket server: credentials (401 without a
 * match) and the identity map (403 when the certificate is allowed nothing)
 * narrow who the connection may be. Undefined when neither is configured.
 */
export function handshakeAuthorizer(identityMap: IdentityMap | undefined, credentials: Credentials | undefined, self: CseIdentity, identityTls = false): ((req: IncomingMessage) => HandshakeDecision) | undefined {
  if (identityMap === undefined && credentials === undefined) return undefined;
  const hint = identityHint({ tls: identityTls, identityMap: identityMap !== undefined, credentials: credentials !== undefined });
  return (req) => {
    let allowed: string[] | undefined;
    if (credentials !== undefined) {
      const header = req.headers['x-m2m-origin'];
      const origin = typeof header === 'string' ? header : undefined;
      if (origin === undefined || !credentialsMatch(credentials, origin, req.headers.authorization, self)) {
        return { ok: false, status: 401, reason: `the handshake needs X-M2M-Origin and a matching Authorization: Basic or Bearer (--credentials); ${hint}` };
      }
      allowed = [origin];
    }
    if (identityMap !== undefined) {
      const names = verifiedCertificateNames(req.socket);
      const byCertificate = allowedByCertificate(identityMap, names);
      allowed = allowed === undefined ? byCertificate : allowed.filter((a) => originatorAllowed(byCertificate, a, self));
      if (allowed.length === 0) {
        const known = names.length === 0 ? 'no verified client certificate' : `the client certificate (${names.join(', ').slice(0, 300)})`;
        const what = credentials !== undefined && byCertificate.length > 0 ? 'is not given the X-M2M-Origin of this handshake' : 'is given no originator';
        return { ok: false, status: 403, reason: `${known} ${what} by --identity-map; ${hint}` };
      }
    }
    return { ok: true, allowed };
  };
}
