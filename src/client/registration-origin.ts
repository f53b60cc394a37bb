// Which originator a successful registration made this client, so that a
// reconnect can name it in the handshake (X-M2M-Origin, the ACME/tinyIoT
// extension the bridge honours) and the registrar binds the new connection
// to the old registration (TS-0020 6.4: closing the connection does not
// deregister).
import { Operation, ResourceType, Rsc } from '../primitive/types.js';
import type { JsonObject, RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';

function member(rsp: ResponsePrimitive, wrapper: string, name: string): string | undefined {
  const resource = rsp.pc?.[wrapper];
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) return undefined;
  const value = (resource as JsonObject)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A complete originator (not the bare `C`/`S` that asks the CSE to assign one). */
function complete(fr: string | undefined): string | undefined {
  return fr !== undefined && fr.length > 1 ? fr : undefined;
}

/**
 * The registree ID a 2001 answer to CREATE <AE> (aei) or CREATE <remoteCSE>
 * (csi) gives, else the request's own complete `fr` (rcn 0 answers carry no
 * content); undefined for anything else.
 */
export function registeredOrigin(req: RequestPrimitive, rsp: ResponsePrimitive): string | undefined {
  if (req.op !== Operation.Create || rsp.rsc !== Rsc.CREATED) return undefined;
  if (req.ty === ResourceType.AE) return member(rsp, 'm2m:ae', 'aei') ?? complete(req.fr);
  if (req.ty === ResourceType.RemoteCSE) return member(rsp, 'm2m:csr', 'csi') ?? complete(req.fr);
  return undefined;
}
