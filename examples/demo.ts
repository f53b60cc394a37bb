// npm run demo — the five-minute tour: a CSE that only speaks HTTP, the bridge
// in front of it, and a device behind NAT that registers over one WebSocket,
// subscribes, goes offline, and gets what it missed when it comes back.
import WebSocket from 'ws';
import { createBridge } from '../src/bridge/bridge.js';
import { configWith } from '../src/config/config.js';
import type { JsonObject, RequestPrimitive, ResponsePrimitive } from '../src/primitive/types.js';
import { startFakeCse } from '../test/support/fake-cse.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
let stepNo = 0;
function step(title: string): void {
  console.log(`\n${bold(`${++stepNo}. ${title}`)}`);
}
function show(label: string, value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  console.log(`   ${label.padEnd(9)} ${text.length > 160 ? text.slice(0, 157) + '...' : text}`);
}

/** A device: one WebSocket, JSON primitives, answers every notification with 2000. */
class Device {
  private waiting = new Map<string, (r: ResponsePrimitive) => void>();
  readonly notifications: RequestPrimitive[] = [];
  private static n = 0;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString()) as { rsc?: number };
      if (typeof parsed.rsc === 'number') {
        const rsp = parsed as ResponsePrimitive;
        this.waiting.get(rsp.rqi)?.(rsp);
        return;
      }
      const msg = parsed as RequestPrimitive;
      this.notifications.push(msg);
      const sgn = msg.pc?.['m2m:sgn'] as JsonObject | undefined;
      const cin = ((sgn?.nev as JsonObject | undefined)?.rep as JsonObject | undefined)?.['m2m:cin'] as JsonObject | undefined;
      show('⇐ notify', sgn?.vrq === true ? `verification request for ${String(sgn.sur)}` : `new reading con=${JSON.stringify(cin?.con)} (rqi ${msg.rqi})`);
      ws.send(JSON.stringify({ rsc: 2000, rqi: msg.rqi, rvi: msg.rvi ?? '3' }));
      show('⇒ answer', 'rsc 2000');
    });
  }
  static async connect(url: string, origin?: string): Promise<Device> {
    const ws = new WebSocket(url, 'oneM2M.json', origin === undefined ? {} : { headers: { 'X-M2M-Origin': origin } });
    const device = new Device(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return device;
  }
  async send(req: Omit<RequestPrimitive, 'rqi' | 'rvi'>): Promise<ResponsePrimitive> {
    const full = { ...req, rqi: `demo-${++Device.n}`, rvi: '3' };
    show('⇒ request', full);
    const rsp = await new Promise<ResponsePrimitive>((resolve) => {
      this.waiting.set(full.rqi, resolve);
      this.ws.send(JSON.stringify(full));
    });
    show('⇐ answer', rsp);
    return rsp;
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
    });
  }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cse = await startFakeCse();
const bridge = createBridge(
  configWith({
    upstream: new URL(cse.url),
    listen: { host: '127.0.0.1', port: 0 },
    downlinkListen: { host: '127.0.0.1', port: 0 },
    adminListen: { host: '127.0.0.1', port: 0 },
    store: 'memory',
  }),
);
const at = await bridge.start();
const wsUrl = `ws://127.0.0.1:${at.public.port}/`;
try {
  step('An HTTP-only CSE and the bridge in front of it');
  show('CSE', `${cse.url}  (speaks TS-0009 HTTP only, like ACME)`);
  show('bridge', `${wsUrl}  WebSocket for devices (TS-0020)`);
  show('downlink', `${at.downlinkUrl}/r/<key>  where the CSE sends notifications`);
  show('admin', `http://127.0.0.1:${at.admin.port}/metrics`);

  step('The device opens one WebSocket (subprotocol oneM2M.json) and registers (TS-0020 Annex A)');
  let device = await Device.connect(wsUrl);
  const reg = await device.send({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'SmartHomeApplication', api: 'Na56', rr: true, srv: ['3'], poa: ['ws://default'] } } });
  const aei = (reg.pc?.['m2m:ae'] as JsonObject).aei as string;
  show('note', dim(`the CSE stored poa ${JSON.stringify(cse.resources.get('cse-in/SmartHomeApplication')?.attributes.poa)}: the bridge put its downlink URL there`));

  step('It creates a container and subscribes to new readings in it');
  await device.send({ op: 1, to: 'cse-in/SmartHomeApplication', fr: aei, ty: 3, pc: { 'm2m:cnt': { rn: 'temperature', mni: 100 } } });
  await device.send({ op: 1, to: 'cse-in/SmartHomeApplication/temperature', fr: aei, ty: 23, pc: { 'm2m:sub': { rn: 'onNewReading', nu: [aei], enc: { net: [3] } } } });

  step('A sensor writes a reading; the CSE notifies over HTTP, the device gets it over its WebSocket');
  await cse.createContentInstance('cse-in/SmartHomeApplication/temperature', '21.5');
  await cse.idle();
  await wait(50);

  step('The device goes offline (closes its WebSocket); two readings arrive meanwhile');
  await device.close();
  await wait(50);
  for (const con of ['22.0', '22.5']) await cse.createContentInstance('cse-in/SmartHomeApplication/temperature', con);
  await cse.idle();
  for (const n of cse.notifications.slice(-2)) show('CSE got', `HTTP ${n.status}, X-M2M-RSC ${n.rsc} — stored by the bridge`);
  show('queue', `${bridge.store.queueStats(aei).messages} notifications stored for ${aei}`);

  step('The device reconnects (X-M2M-Origin in the handshake) and receives what it missed, in order');
  device = await Device.connect(wsUrl, aei);
  for (let i = 0; i < 100 && bridge.store.queueStats(aei).messages > 0; i++) await wait(20);
  show('queue', `${bridge.store.queueStats(aei).messages} notifications left`);

  step('It deregisters: DELETE of its own AE ends the registration');
  await device.send({ op: 4, to: 'cse-in/SmartHomeApplication', fr: aei });
  await device.close();
  console.log(`\n${bold('Done.')} Next: README.md for every setting, docs/architecture.md for the data flow.`);
} finally {
  await bridge.stop();
  await cse.close();
}
