// Registers an AE over a real WebSocket, the way a device does.
import assert from 'node:assert/strict';
import type { JsonObject } from '../../src/primitive/types.js';
import type { Running } from './harness.js';
import { waitUntil } from './wait.js';
import { WsRegistree } from './ws-registree.js';
import type { ConnectOptions } from './ws-registree.js';

export async function registerAe(
  url: string,
  rn: string,
  extra: JsonObject = {},
  subprotocol = 'oneM2M.json',
  options: ConnectOptions = {},
): Promise<{ ae: WsRegistree; aei: string }> {
  const ae = await WsRegistree.connect(url, subprotocol, options);
  const rsp = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn, api: 'Ntest', rr: true, srv: ['3'], ...extra } } });
  assert.equal(rsp.rsc, 2001, JSON.stringify(rsp));
  return { ae, aei: (rsp.pc?.['m2m:ae'] as JsonObject).aei as string };
}

/** Creates a container under the AE and a subscription on it that notifies the AE (net 3: new child). */
export async function subscribe(ae: WsRegistree, aei: string, aeName: string, cnt = 'data'): Promise<void> {
  const c = await ae.request({ op: 1, to: `cse-in/${aeName}`, fr: aei, ty: 3, pc: { 'm2m:cnt': { rn: cnt } } });
  assert.equal(c.rsc, 2001, JSON.stringify(c));
  const s = await ae.request({ op: 1, to: `cse-in/${aeName}/${cnt}`, fr: aei, ty: 23, pc: { 'm2m:sub': { rn: 'sub', nu: [aei], enc: { net: [3] } } } });
  assert.equal(s.rsc, 2001, JSON.stringify(s));
}

/** Registers an AE and takes it offline again: its ID and downlink key (DESIGN 4 tests). */
export async function offlineAe(run: Running, rn: string): Promise<{ aei: string; key: string }> {
  const { ae, aei } = await registerAe(run.wsUrl, rn);
  const key = run.bridge.registry.sessionForId(aei)?.registration?.key as string;
  await ae.close();
  await waitUntil(() => run.bridge.registry.sessionForId(aei) === undefined, 2000, 'unbound');
  return { aei, key };
}
