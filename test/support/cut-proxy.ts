// A TCP hop between a device and the bridge that can go silent: cut() stops
// forwarding in both directions and stops reading, yet closes nothing. The
// bridge keeps an open connection to a peer that no longer answers, as it does
// when a NAT entry expires or a mobile link drops without FIN or RST
// (a half-open TCP connection).
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface CutProxy {
  readonly port: number;
  /** Nothing passes any more, nothing is closed. */
  cut(): void;
  close(): Promise<void>;
}

export async function startCutProxy(targetPort: number): Promise<CutProxy> {
  const pairs: Array<[Socket, Socket]> = [];
  const server: Server = createServer((device) => {
    const bridge = connect({ host: '127.0.0.1', port: targetPort });
    device.pipe(bridge).pipe(device);
    const drop = () => {
      device.destroy();
      bridge.destroy();
    };
    device.once('error', drop);
    bridge.once('error', drop);
    pairs.push([device, bridge]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    cut() {
      for (const [device, bridge] of pairs) {
        device.unpipe(bridge);
        bridge.unpipe(device);
        device.pause();
        bridge.pause();
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const [device, bridge] of pairs) {
          device.destroy();
          bridge.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
