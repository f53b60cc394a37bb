// TS-0020 6.2.2.7 / 6.2.2.9: the client lists subprotocols in order of
// preference, possibly across several Sec-WebSocket-Protocol headers; the
// server picks one it supports and echoes that exact token (6.2.3.5).
import type { Serialization } from '../primitive/types.js';

/** Supported names, lower-cased, with the Release-2 aliases still in the IANA registry (ref B5). */
const SUPPORTED: ReadonlyMap<string, Serialization> = new Map([
  ['onem2m.json', 'json'],
  ['onem2m.xml', 'xml'],
  ['onem2m.cbor', 'cbor'],
  ['onem2m.r2.0.json', 'json'],
  ['onem2m.r2.0.xml', 'xml'],
  ['onem2m.r2.0.cbor', 'cbor'],
]);

export const SUPPORTED_SUBPROTOCOLS = ['oneM2M.json', 'oneM2M.xml', 'oneM2M.cbor', 'oneM2M.R2.0.json', 'oneM2M.R2.0.xml', 'oneM2M.R2.0.cbor'] as const;

/** The registered spellings as shared strings: a connection that offers one exactly holds no copy of its own. */
const CANONICAL: ReadonlyMap<string, string> = new Map(SUPPORTED_SUBPROTOCOLS.map((t) => [t, t]));

export type Negotiation =
  | { ok: true; token: string; serialization: Serialization }
  | { ok: false; reason: string };

/**
 * Picks the first offered subprotocol the bridge supports, matched
 * case-insensitively (Mobius clients send lower-case names). `header` is the
 * raw header value; Node joins repeated headers with ", " so order survives.
 */
export function negotiateSubprotocol(header: string | string[] | undefined): Negotiation {
  if (header === undefined || header.length === 0) {
    return { ok: false, reason: `missing Sec-WebSocket-Protocol header; offer one of ${SUPPORTED_SUBPROTOCOLS.join(', ')} (TS-0020 6.2.2.7)` };
  }
  const value = Array.isArray(header) ? header.join(',') : header;
  for (const raw of value.split(',')) {
    const token = raw.trim();
    if (token.length === 0) continue;
    const serialization = SUPPORTED.get(token.toLowerCase());
    // TS-0020 6.2.3.5: the token echoed is the one offered, letter for letter.
    if (serialization !== undefined) return { ok: true, token: CANONICAL.get(token) ?? token, serialization };
  }
  return {
    ok: false,
    reason: `no supported subprotocol in "${value.slice(0, 200)}"; supported: ${SUPPORTED_SUBPROTOCOLS.join(', ')} (TS-0020 6.2.2.9)`,
  };
}
