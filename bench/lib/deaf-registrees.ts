// Registrees that stop reading: each registers over the bridge, then its
// socket is paused, as a device does that hangs or sits behind a dead link
// that still accepts bytes. Prints one JSON line [{aei, key}] once all are
// registered and paused. Args: wsUrl n [prefix].
import type { Socket } from 'node:net';
import WebSocket from 'ws';

const [wsUrl, nText, prefix = 'Cdeaf'] = process.argv.slice(2);

function register(i: number): Promise<{ aei: string; key: string }> {
  const aei = `${prefix}${i}`;
  const ws = new WebSocket(wsUrl, 'oneM2M.json', { perMessageDeflate: false });
  ws.on('error', () => undefined); // the bridge closing a stalled socket is expected
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer) => {
      const key = /"poa":\["[^"]*\/r\/([^"/]+)"/.exec(data.toString())?.[1] ?? '';
      (ws as unknown as { _socket: Socket })._socket.pause();
      resolve({ aei, key });
    });
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ op: 1, to: 'cse-in', fr: aei, rqi: `reg-${aei}`, rvi: '3', ty: 2, pc: { 'm2m:ae': { rn: aei, api: 'Nbench', rr: true, srv: ['3'] } } })));
  });
}

const bound = await Promise.all(Array.from({ length: Number(nText) }, (_, i) => register(i)));
process.stdout.write(JSON.stringify(bound) + '\n');
// A socket that does not read keeps no event loop alive: stay until killed.
setInterval(() => undefined, 1 << 30);
