// pointOfAccess across the uplink. The registrar speaks WebSocket, the
// upstream CSE HTTP only, and neither can use what the other writes in poa:
//
// - toward the registrar, the upstream CSE's own http(s) poa entries (an
//   address behind NAT, often 127.0.0.1) in <CSEBase> and <remoteCSE>
//   content become --uplink-poa, a ws:// entry: TS-0020 5.2, the registrar
//   reaches a WebSocket registree over its connection, but it picks the
//   binding from the poa's scheme — ACME drops a <remoteCSE> without a poa
//   as unreachable, and with `ws://default` (its marker for "only over an
//   open connection") it uses the socket and never dials out;
// - toward the upstream CSE, the registrar's ws(s):// poa entries
//   (TS-0020 6.2.1) become the uplink door URL, the one HTTP address the
//   upstream CSE can reach it at (the mirror of the bridge's poa rewrite
//   toward registrees, README "poa rewrite").
import type { JsonObject, JsonValue, PrimitiveContent } from '../primitive/types.js';

/** Resource wrappers whose poa describes a CSE (TS-0004 <CSEBase>, <remoteCSE>). */
const CSE_WRAPPERS = ['m2m:cb', 'm2m:csr'] as const;

const HTTP = /^https?:\/\//i;
const WS = /^wss?:\/\//i;

function rewritePoa(pc: PrimitiveContent, map: (poa: readonly JsonValue[]) => JsonValue[] | undefined): PrimitiveContent {
  let out: PrimitiveContent | undefined;
  for (const wrapper of CSE_WRAPPERS) {
    const resource = pc[wrapper];
    if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) continue;
    const poa = resource.poa;
    if (!Array.isArray(poa)) continue;
    const next = map(poa);
    const copy: JsonObject = { ...resource };
    if (next === undefined) delete copy.poa;
    else copy.poa = next;
    out ??= { ...pc };
    out[wrapper] = copy;
  }
  return out ?? pc;
}

/**
 * Content going to the registrar: the upstream CSE's http(s) poa entries
 * become `registreePoa` (once, where the first was); with '' they are left
 * out (an emptied list is left out whole).
 */
export function contentForRegistrar(pc: PrimitiveContent, registreePoa = ''): PrimitiveContent {
  return rewritePoa(pc, (poa) => {
    if (!poa.some((p) => typeof p === 'string' && HTTP.test(p))) return [...poa];
    const out: JsonValue[] = [];
    let placed = registreePoa === '' || poa.includes(registreePoa);
    for (const p of poa) {
      if (typeof p === 'string' && HTTP.test(p)) {
        if (!placed) out.push(registreePoa);
        placed = true;
      } else out.push(p);
    }
    return out.length === 0 ? undefined : out;
  });
}

/** Content going to the upstream CSE: the registrar's ws(s):// poa entries become the uplink door URL (once, where the first was). */
export function contentForUpstream(pc: PrimitiveContent, uplinkUrl: string): PrimitiveContent {
  return rewritePoa(pc, (poa) => {
    const out: JsonValue[] = [];
    let placed = false;
    for (const p of poa) {
      if (typeof p === 'string' && WS.test(p)) {
        if (!placed) out.push(uplinkUrl);
        placed = true;
      } else out.push(p);
    }
    return out;
  });
}
