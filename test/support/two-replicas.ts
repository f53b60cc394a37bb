// Two replicas on one Redis with a fake CSE and one AE bound to replica A:
// the scene of the cluster tests that take Redis away under a bound registree.
import { request } from 'undici';
import { createBridge } from '../../src/bridge/bridge.js';
import type { Bridge, BridgeAddresses } from '../../src/bridge/bridge.js';
import type { BridgeConfig } from '../../src/config/config.js';
import { startFakeCse } from './fake-cse.js';
import type { FakeCse } from './fake-cse.js';
import { testConfig } from './harness.js';
import { registerAe } from './register.js';
import type { WsRegistree } from './ws-registree.js';

export interface TwoReplicas {
  cse: FakeCse;
  a: Bridge;
  b: Bridge;
  at: { a: BridgeAddresses; b: BridgeAddresses };
  /** The AE bound to replica A. */
  ae: WsRegistree;
  aei: string;
  /** Its downlink key (/r/<key>/…). */
  key: string;
  /** The CSE's NOTIFY for the AE sent to one replica's downlink door. */
  notify(door: BridgeAddresses, rqi: string): Promise<{ status: number; rsc: number; body: string }>;
  stop(): Promise<void>;
}

export async function startTwoReplicas(redisUrl: string, prefix: string, aeName: string, overrides: Partial<BridgeConfig> = {}): Promise<TwoReplicas> {
  const cse = await startFakeCse();
  const a = createBridge(testConfig(cse.url, { store: redisUrl, redisPrefix: prefix, replicaId: 'A', ...overrides }));
  const b = createBridge(testConfig(cse.url, { store: redisUrl, redisPrefix: prefix, replicaId: 'B', ...overrides }));
  const at = { a: await a.start(), b: await b.start() };
  const { ae, aei } = await registerAe(`ws://127.0.0.1:${at.a.public.port}/`, aeName);
  const key = a.registry.sessionForId(aei)?.registration?.key as string;
  return {
    cse,
    a,
    b,
    at,
    ae,
    aei,
    key,
    async notify(door, rqi) {
      const res = await request(`http://127.0.0.1:${door.downlink.port}/r/${key}/${aei}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': rqi, 'x-m2m-rvi': '3' },
        body: JSON.stringify({ 'm2m:sgn': { sur: `/id-in/sub-${aeName}` } }),
      });
      const body = await res.body.text();
      return { status: res.statusCode, rsc: Number(res.headers['x-m2m-rsc']), body };
    },
    async stop() {
      await ae.close();
      await a.stop();
      await b.stop();
      await cse.close();
    },
  };
}
