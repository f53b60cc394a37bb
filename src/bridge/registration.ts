// Registration rules of DESIGN 3: what counts as a registration, the poa/rr
// rewrite that makes the registree reachable through the downlink door, and
// how registree IDs are read from the CSE's answer.
import type { PoaMode } from '../config/config.js';
import { Operation, ResourceType } from '../primitive/types.js';
import { isObject } from '../primitive/is-object.js';
import type { JsonObject, JsonValue, RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';
import type { Registration, RegistreeKind } from '../store/store.js';

const ELEMENT: Record<RegistreeKind, string> = { ae: 'm2m:ae', cse: 'm2m:csr' };

/** TS-0020 6.4: CREATE <AE> (ty 2) or CREATE <remoteCSE> (ty 16). */
export function registrationKind(req: RequestPrimitive): RegistreeKind | undefined {
  if (req.op !== Operation.Create) return undefined;
  if (req.ty === ResourceType.AE) return 'ae';
  if (req.ty === ResourceType.RemoteCSE) return 'cse';
  return undefined;
}

/**
 * poa rewrite (DESIGN 3). auto: http(s) (and other non-ws) entries stay, ws(s) entries and an
 * absent or empty poa become the downlink URL. always: the downlink URL only.
 * Returns the new list and whether the downlink URL is in it.
 */
export function rewritePoa(poa: JsonValue | undefined, downlinkUrl: string, mode: PoaMode): { poa: string[]; viaBridge: boolean } {
  if (mode === 'always') return { poa: [downlinkUrl], viaBridge: true };
  const entries = Array.isArray(poa) ? poa.filter((p): p is string => typeof p === 'string' && p.length > 0) : [];
  // Other schemes (http, https, mqtt, coap...) say where the registree is reachable itself.
  const kept = entries.filter((p) => !/^wss?:\/\//i.test(p));
  const dropped = entries.length - kept.length;
  if (kept.length === 0 || dropped > 0) return { poa: [...kept, downlinkUrl], viaBridge: true };
  return { poa: kept, viaBridge: false };
}

/**
 * A copy of the request with the resource's poa rewritten and, when the
 * bridge is in the poa, rr = true so the CSE sends requests to it (ref G13).
 * An explicit `rr: false` is the registree's word (issue 15): it is not
 * request-reachable and polls a <pollingChannel>, so in auto mode the request
 * goes on unchanged, rr and poa as given; only `--poa-mode always` overrides it.
 */
export function withRewrittenPoa(req: RequestPrimitive, kind: RegistreeKind, downlinkUrl: string, mode: PoaMode, isUpdate: boolean): RequestPrimitive {
  const element = ELEMENT[kind];
  const resource = req.pc?.[element];
  if (!isObject(resource)) return req;
  if (resource.rr === false && mode !== 'always') return req;
  // An UPDATE only rewrites a poa it carries; a registration always gets one.
  if (isUpdate && !('poa' in resource)) return req;
  if (isUpdate && resource.poa === null) return req;
  const { poa, viaBridge } = rewritePoa(resource.poa, downlinkUrl, mode);
  const rewritten: JsonObject = { ...resource, poa };
  if (viaBridge) rewritten.rr = true;
  return { ...req, pc: { ...req.pc, [element]: rewritten } };
}

/** Who registered, read from a 2001 answer (aei / csi), else from the request. */
export function registreeFromResponse(req: RequestPrimitive, kind: RegistreeKind, rsp: ResponsePrimitive): Pick<Registration, 'id' | 'kind' | 'ri' | 'rn'> | undefined {
  const element = ELEMENT[kind];
  const pc = rsp.pc;
  let resource: JsonValue | undefined = pc?.[element];
  if (resource === undefined && isObject(pc?.['m2m:rce'])) {
    // rcn 3: ACME writes the inner key without the prefix (ref G18).
    const rce = pc['m2m:rce'];
    resource = rce[element] ?? rce[element.slice(4)];
  }
  const sent = req.pc?.[element];
  const fromRsp = isObject(resource) ? resource : undefined;
  const fromReq = isObject(sent) ? sent : undefined;
  const str = (o: JsonObject | undefined, k: string): string | undefined => (typeof o?.[k] === 'string' && (o[k] as string).length > 0 ? (o[k] as string) : undefined);
  let id: string | undefined;
  if (kind === 'ae') {
    id = str(fromRsp, 'aei');
    // rcn 0/2 answers carry no aei: a complete originator (`Cxyz`/`Sxyz`) is the AE-ID.
    if (id === undefined && req.fr !== undefined && /^[CS][^/]+$/.test(req.fr) && req.fr.length > 1) id = req.fr;
  } else {
    id = str(fromRsp, 'csi') ?? str(fromReq, 'csi') ?? req.fr;
  }
  if (id === undefined) return undefined;
  return { id, kind, ri: str(fromRsp, 'ri'), rn: str(fromRsp, 'rn') ?? str(fromReq, 'rn') };
}

/** Strips `//sp` and SP-relative prefixes: the ID's last segment. */
function lastSegment(id: string): string {
  const i = id.lastIndexOf('/');
  return i === -1 ? id : id.slice(i + 1);
}

/** Whether `to` addresses the registree's own <AE>/<remoteCSE> resource. */
export function addressesOwnResource(to: string, reg: Registration): boolean {
  let path = to;
  if (path.startsWith('//')) path = '/' + path.slice(2).split('/').slice(1).join('/');
  // SP-relative: drop the CSE-ID segment.
  if (path.startsWith('/')) path = path.split('/').slice(2).join('/');
  const segments = path.split('/').filter((s) => s.length > 0);
  if (segments.length === 0 || segments.length > 2) return false;
  const last = segments[segments.length - 1];
  if (segments.length === 1) return last === reg.ri || last === lastSegment(reg.id);
  // structured: <csebase>/<rn>
  return last === reg.rn;
}
