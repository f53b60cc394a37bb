// Starts a real bridge on port 0 in front of a real (fake) CSE for one test.
import { createBridge } from '../../src/bridge/bridge.js';
import type { Bridge, BridgeAddresses } from '../../src/bridge/bridge.js';
import { configWith } from '../../src/config/config.js';
import type { BridgeConfig } from '../../src/config/config.js';
import { startFakeCse } from './fake-cse.js';
import type { FakeCse, FakeCseOptions } from './fake-cse.js';

export interface Running {
  cse: FakeCse;
  bridge: Bridge;
  addresses: BridgeAddresses;
  /** ws://127.0.0.1:<public port>/ */
  wsUrl: string;
  /** http://127.0.0.1:<downlink port> */
  downlinkUrl: string;
  stop(): Promise<void>;
}

const LOOPBACK_PORT_0 = { host: '127.0.0.1', port: 0 };

export function testConfig(upstream: string, overrides: Partial<BridgeConfig> = {}): BridgeConfig {
  return configWith({
    upstream: new URL(upstream),
    listen: LOOPBACK_PORT_0,
    downlinkListen: LOOPBACK_PORT_0,
    adminListen: LOOPBACK_PORT_0,
    store: 'memory',
    logLevel: 'silent',
    ...overrides,
  });
}

export async function startBridge(overrides: Partial<BridgeConfig> = {}, cseOptions: FakeCseOptions = {}): Promise<Running> {
  const cse = await startFakeCse(cseOptions);
  const bridge = createBridge(testConfig(cse.url, overrides));
  const addresses = await bridge.start();
  return {
    cse,
    bridge,
    addresses,
    wsUrl: `ws://127.0.0.1:${addresses.public.port}/`,
    downlinkUrl: `http://127.0.0.1:${addresses.downlink.port}`,
    async stop() {
      await bridge.stop();
      await cse.close();
    },
  };
}
