// The same device workload against a real CSE three ways (issue 22): direct
// HTTP (TS-0009), through the bridge (TS-0020 over the bridge's public door),
// and through the CSE's own WebSocket binding. Each client registers an AE,
// creates a container under it, then sends RETRIEVEs of the container or
// CREATEs of a contentInstance in it, one at a time; 1 and 8 clients;
// rounds alternate the three ways. Then a burst check: 50 requests written
// back to back on one WebSocket, answers counted by rqi.
//
// Not run by `npm run bench` (it needs the CSE running). Every URL is an
// argument; a way whose URL is '' is skipped:
//   npx tsx bench/real-cse.ts --http http://127.0.0.1:8080 --bridge ws://127.0.0.1:18180/ \
//     --ws ws://127.0.0.1:8180/ --cse cse-in --op retrieve
// Options: --cse (CSEBase resource name), --op retrieve|create, --clients 1,8,
// --requests N per client count and round, --rounds 3, --subprotocol
// (for --ws; the bridge gets oneM2M.json), --rvi 3, --origin C (AE originator
// prefix), --burst 50.
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import WebSocket from 'ws';

const { values: args } = parseArgs({
  options: {
    http: { type: 'string', default: '' },
    bridge: { type: 'string', default: '' },
    ws: { type: 'string', default: '' },
    cse: { type: 'string', default: 'cse-in' },
    op: { type: 'string', default: 'retrieve' },
    clients: { type: 'string', default: '1,8' },
    requests: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    subprotocol: { type: 'string', default: 'oneM2M.json' },
    'bridge-subprotocol': { type: 'string', default: 'oneM2M.json' },
    rvi: { type: 'string', default: '3' },
    origin: { type: 'string', default: 'C' },
    burst: { type: 'string', default: '50' },
    label: { type: 'string', default: '' },
  },
});

const CSE = args.cse!;
const OP = args.op === 'create' ? 'create' : 'retrieve';
const RVI = args.rvi!;
const run = `${Date.now().toString(36)}`;
let seq = 0;
const rqi = () => `b${run}-${++seq}`;

interface Prim {
  op: number;
  to: string;
  fr: string;
  rqi: string;
  rvi: string;
  ty?: number;
  pc?: Record<string, unknown>;
}
interface Answer {
  rsc: number;
  pc?: Record<string, unknown>;
}

/** One device: sends a primitive and waits for its answer. */
interface Device {
  send(p: Prim): Promise<Answer>;
  close(): void;
}

async function wsDevice(url: string, subprotocol: string, origin?: string): Promise<Device & { ws: WebSocket; answers: Map<string, number>; rscs: Map<string, number> }> {
  const ws = new WebSocket(url, subprotocol, { perMessageDeflate: false, headers: origin === undefined ? {} : { 'X-M2M-Origin': origin } });
  const waiting = new Map<string, (a: Answer) => void>();
  const answers = new Map<string, number>();
  const rscs = new Map<string, number>();
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as Answer & { rqi?: string; op?: number };
    if (m.op !== undefined) return; // a request from the CSE: not part of this workload
    const id = String(m.rqi ?? '');
    answers.set(id, (answers.get(id) ?? 0) + 1);
    if (!rscs.has(id)) rscs.set(id, Number(m.rsc));
    const w = waiting.get(id);
    waiting.delete(id);
    w?.({ rsc: Number(m.rsc), pc: m.pc });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake: HTTP ${res.statusCode}`)));
  });
  return {
    ws,
    answers,
    rscs,
    send: (p) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(p.rqi);
          reject(new Error(`no answer to ${p.rqi} within 30 s`));
        }, 30_000);
        waiting.set(p.rqi, (a) => {
          clearTimeout(timer);
          resolve(a);
        });
        ws.send(JSON.stringify(p));
      }),
    close: () => ws.close(),
  };
}

function httpDevice(origin: string): Device {
  const url = new URL(origin);
  const root = url.pathname.replace(/\/+$/, '');
  const pool = new Pool(url.origin, { connections: 1, pipelining: 1 });
  return {
    async send(p) {
      const headers: Record<string, string> = { 'x-m2m-origin': p.fr, 'x-m2m-ri': p.rqi, 'x-m2m-rvi': p.rvi, accept: 'application/json' };
      if (p.ty !== undefined) headers['content-type'] = `application/json;ty=${p.ty}`;
      const res = await pool.request({ method: p.op === 1 ? 'POST' : 'GET', path: `${root}/${p.to}`, headers, body: p.pc === undefined ? undefined : JSON.stringify(p.pc) });
      const text = await res.body.text();
      return { rsc: Number(res.headers['x-m2m-rsc']), pc: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
    },
    close: () => void pool.close(),
  };
}

interface Registered {
  device: Device;
  aei: string;
  cnt: string;
}

/**
 * Registers an AE and creates its container. `reconnect`: the CSE's own
 * WebSocket binding (ACME) takes requests other than a registration only on
 * a connection opened with X-M2M-Origin, so the device reconnects with it.
 */
async function register(first: Device, name: string, reconnect?: (aei: string) => Promise<Device>): Promise<Registered> {
  let device = first;
  const reg = await device.send({ op: 1, to: CSE, fr: args.origin === 'C' ? 'C' : `${args.origin}${name}`, rqi: rqi(), rvi: RVI, ty: 2, pc: { 'm2m:ae': { rn: name, api: 'Nbench', rr: true, srv: [RVI] } } });
  if (reg.rsc !== 2001) throw new Error(`registration of ${name}: rsc ${reg.rsc} ${JSON.stringify(reg.pc)}`);
  const aei = String((reg.pc?.['m2m:ae'] as { aei?: string } | undefined)?.aei);
  if (reconnect !== undefined) {
    device.close();
    device = await reconnect(aei);
  }
  const cnt = await device.send({ op: 1, to: `${CSE}/${name}`, fr: aei, rqi: rqi(), rvi: RVI, ty: 3, pc: { 'm2m:cnt': { rn: 'cnt', mni: 10 } } });
  if (cnt.rsc !== 2001) throw new Error(`container of ${name}: rsc ${cnt.rsc} ${JSON.stringify(cnt.pc)}`);
  return { device, aei, cnt: `${CSE}/${name}/cnt` };
}

function work(r: Registered): Prim {
  return OP === 'create'
    ? { op: 1, to: r.cnt, fr: r.aei, rqi: rqi(), rvi: RVI, ty: 4, pc: { 'm2m:cin': { con: '21.5' } } }
    : { op: 2, to: r.cnt, fr: r.aei, rqi: rqi(), rvi: RVI };
}

/** Closed loop: each registered device keeps one request in flight; req/s over `total` requests. */
async function load(devices: Registered[], total: number): Promise<{ rps: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  const expected = OP === 'create' ? 2001 : 2000;
  const t0 = performance.now();
  await Promise.all(
    devices.map(async (d) => {
      while (sent < total) {
        sent++;
        const a = await d.device.send(work(d));
        if (a.rsc !== expected) failed++;
      }
    }),
  );
  return { rps: total / ((performance.now() - t0) / 1000), failed };
}

type Way = 'direct' | 'bridge' | 'ws';
const ways: Array<[Way, string]> = ([['direct', args.http!], ['bridge', args.bridge!], ['ws', args.ws!]] as Array<[Way, string]>).filter(([, u]) => u !== '');

async function devicesFor(way: Way, url: string, n: number): Promise<Registered[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const device = way === 'direct' ? httpDevice(url) : await wsDevice(url, way === 'ws' ? args.subprotocol! : args['bridge-subprotocol']!);
      return register(device, `bench${run}${way}${n}x${i}`, way === 'ws' ? (aei) => wsDevice(url, args.subprotocol!, aei) : undefined);
    }),
  );
}

const rounds = Number(args.rounds);
const perRound = Number(args.requests);
const fmt = (xs: number[]) => (xs.length === 0 ? '—' : `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`);
console.log(`# ${args.label} op=${OP} ways=${ways.map(([w, u]) => `${w}=${u}`).join(' ')} requests/round=${perRound} rounds=${rounds}`);
for (const n of args.clients!.split(',').map(Number)) {
  const devices = new Map<Way, Registered[]>();
  for (const [way, url] of ways) devices.set(way, await devicesFor(way, url, n));
  // Warm-up.
  for (const [way] of ways) await load(devices.get(way)!, Math.min(50, perRound));
  const rps = new Map<Way, number[]>(ways.map(([w]) => [w, []]));
  let failed = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [way] of ways) {
      const res = await load(devices.get(way)!, perRound);
      rps.get(way)!.push(res.rps);
      failed += res.failed;
    }
  }
  const ratio = (a: Way, b: Way) => (rps.has(a) && rps.has(b) ? rps.get(a)!.map((x, i) => x / rps.get(b)![i]) : []);
  const each = ways.map(([w]) => `${w} ${rps.get(w)!.map((x) => x.toFixed(0)).join('/')} req/s`).join(', ');
  console.log(`${args.label} ${OP} ${n} client(s): ${each}; bridge÷direct ${fmt(ratio('bridge', 'direct'))}, bridge÷ws ${fmt(ratio('bridge', 'ws'))}${failed > 0 ? `; ${failed} unexpected rsc` : ''}`);
  for (const list of devices.values()) for (const d of list) d.device.close();
}

// Burst: 50 requests written back to back on one connection, answers counted by rqi.
const burst = Number(args.burst);
for (const [way, url] of ways) {
  if (way === 'direct' || burst === 0) continue;
  const r = await register(await wsDevice(url, way === 'ws' ? args.subprotocol! : args['bridge-subprotocol']!), `burst${run}${way}`, way === 'ws' ? (aei) => wsDevice(url, args.subprotocol!, aei) : undefined);
  const device = r.device as Awaited<ReturnType<typeof wsDevice>>;
  const ids: string[] = [];
  for (let i = 0; i < burst; i++) {
    const p = work(r);
    ids.push(p.rqi);
    device.ws.send(JSON.stringify(p));
  }
  // Wait until every answer came or nothing arrived for 35 s (beyond the
  // bridge's default --upstream-timeout of 30 s, after which it answers 4008).
  let last = -1;
  while (last !== device.answers.size && !ids.every((id) => device.answers.has(id))) {
    last = device.answers.size;
    await new Promise((resolve) => setTimeout(resolve, 35_000));
  }
  const missing = ids.filter((id) => !device.answers.has(id)).length;
  const twice = ids.filter((id) => (device.answers.get(id) ?? 0) > 1).length;
  const failed = ids.filter((id) => device.rscs.has(id) && device.rscs.get(id)! >= 4000).map((id) => device.rscs.get(id));
  console.log(`${args.label} burst of ${burst} on one ${way} connection: ${burst - missing} answered (${failed.length} of them with an error rsc${failed.length > 0 ? `: ${[...new Set(failed)].join(', ')}` : ''}), ${missing} never, ${twice} answered more than once`);
  device.close();
}
process.exit(0);
