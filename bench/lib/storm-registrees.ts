// N registrees in one process for bench/storm.ts, driven by JSON lines on
// stdin, each answered by one JSON line on stdout. Args: n prefix wsUrl[,wsUrl…]
// (registree i talks to url i % count: spread over replicas).
//   {"cmd":"register"}                 register each (AE CREATE), then stay bound → {"keys":[…]}
//   {"cmd":"close"}                    close every socket → {"closed":n}
//   {"cmd":"connect","spreadMs":1000,"expect":10}
//        reconnect each with X-M2M-Origin, spread evenly over spreadMs; answers
//        once every registree got `expect` stored NOTIFYs (rqi s<n>) — with
//        expect 0, once every socket is open → per-registree times and checks
//   {"cmd":"live","expect":k}          once k live NOTIFYs (rqi L<k>_<sentAtMs>) arrived (or 30 s passed) → what they saw
// Every request is answered with rsc 2000 at once. Sources spread over
// 127.0.0.2… (1000 sockets per address), so ephemeral ports never run out.
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

const [nText, prefix, urlList] = process.argv.slice(2);
const n = Number(nText);
const urls = urlList.split(',');
const sockets: Array<WebSocket | undefined> = new Array(n);
const startedAt = new Float64Array(n);
const doneAt = new Float64Array(n);
const storedCount = new Uint32Array(n);
const lastStored = new Float64Array(n);
let expect = 0;
let done = 0;
let orderViolations = 0;
let unexpectedCloses = 0;
let retries = 0;
let phase = 0;
let onAllDone: (() => void) | undefined;
interface Live {
  registree: number;
  sentAt: number;
  at: number;
  storedBefore: number;
}
const live: Live[] = [];
let onLive: (() => void) | undefined;

const localAddress = (i: number) => `127.0.0.${2 + (Math.floor(i / 1000) % 250)}`;
const out = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');

function finish(i: number): void {
  doneAt[i] = Date.now();
  done++;
  if (done === n) onAllDone?.();
}

function open(i: number, headers: Record<string, string>, onOpen: (ws: WebSocket) => void): void {
  const myPhase = phase;
  const ws = new WebSocket(urls[i % urls.length], 'oneM2M.json', { perMessageDeflate: false, localAddress: localAddress(i), headers });
  sockets[i] = ws;
  let opened = false;
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    if (text.includes('"rsc"')) return; // the answer to our registration
    const rqi = /"rqi":"([^"]*)"/.exec(text)?.[1] ?? '';
    ws.send(`{"rsc":2000,"rqi":"${rqi}","rvi":"3"}`);
    if (rqi.startsWith('s')) {
      const seq = Number(rqi.slice(1));
      if (seq < lastStored[i]) orderViolations++; // DESIGN 4: FIFO per registree
      lastStored[i] = seq;
      storedCount[i]++;
      if (expect > 0 && storedCount[i] === expect) finish(i);
    } else if (rqi.startsWith('L')) {
      live.push({ registree: i, sentAt: Number(rqi.slice(rqi.indexOf('_') + 1)), at: Date.now(), storedBefore: storedCount[i] });
      onLive?.();
    }
  });
  ws.once('open', () => {
    opened = true;
    onOpen(ws);
  });
  ws.once('error', () => undefined);
  ws.once('close', () => {
    if (myPhase !== phase || sockets[i] !== ws) return;
    // Refused at the door (listen backlog full) or closed by the bridge: try again, as a device would.
    if (!opened) retries++;
    else unexpectedCloses++;
    setTimeout(() => open(i, headers, onOpen), 100);
  });
}

function register(): Promise<string[]> {
  const keys: string[] = new Array(n);
  let left = n;
  return new Promise((resolve) => {
    // In batches of 500, so the listen backlog never overflows.
    const batch = (from: number) => {
      let inBatch = Math.min(500, n - from);
      for (let i = from; i < from + Math.min(500, n - from); i++) {
        const aei = `${prefix}${i}`;
        open(i, {}, (ws) => {
          ws.on('message', function answer(data: Buffer) {
            const text = data.toString();
            if (!text.includes('"rsc"')) return;
            ws.off('message', answer);
            keys[i] = /"poa":\["[^"]*\/r\/([^"/]+)"/.exec(text)?.[1] ?? '';
            left--;
            inBatch--;
            if (left === 0) resolve(keys);
            else if (inBatch === 0) batch(from + 500);
          });
          ws.send(JSON.stringify({ op: 1, to: 'cse-in', fr: aei, rqi: `reg-${aei}`, rvi: '3', ty: 2, pc: { 'm2m:ae': { rn: aei, api: 'Nbench', rr: true, srv: ['3'] } } }));
        });
      }
    };
    batch(0);
  });
}

async function closeAll(): Promise<number> {
  phase++;
  const closing = sockets.filter((ws): ws is WebSocket => ws !== undefined && ws.readyState !== WebSocket.CLOSED);
  await Promise.all(closing.map((ws) => new Promise((resolve) => {
    ws.once('close', resolve);
    ws.close(1000);
  })));
  sockets.fill(undefined);
  return closing.length;
}

function connect(spreadMs: number, expected: number): Promise<unknown> {
  phase++;
  expect = expected;
  done = 0;
  orderViolations = 0;
  unexpectedCloses = 0;
  retries = 0;
  storedCount.fill(0);
  lastStored.fill(-1);
  doneAt.fill(0);
  live.length = 0;
  const t0 = Date.now();
  return new Promise((resolve) => {
    onAllDone = () => {
      const own = Array.from(doneAt, (d, i) => d - startedAt[i]).sort((a, b) => a - b);
      const at = (q: number) => own[Math.min(n - 1, Math.floor(q * n))];
      let lastDoneAt = 0;
      for (const d of doneAt) if (d > lastDoneAt) lastDoneAt = d;
      resolve({ t0, lastDoneAt, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: own[n - 1], orderViolations, unexpectedCloses, retries });
    };
    // One timer per millisecond-slice, not one per registree.
    let next = 0;
    const tick = () => {
      const due = spreadMs <= 0 ? n : Math.min(n, Math.ceil(((Date.now() - t0 + 1) / spreadMs) * n));
      for (; next < due; next++) {
        const i = next;
        startedAt[i] = Date.now();
        open(i, { 'X-M2M-Origin': `${prefix}${i}` }, () => {
          if (expect === 0) finish(i);
        });
      }
      if (next < n) setTimeout(tick, 1);
    };
    tick();
  });
}

function liveAfter(k: number): Promise<unknown> {
  return new Promise((resolve) => {
    const answer = () => {
      onLive = undefined;
      clearTimeout(timer);
      resolve({ live, orderViolations, unexpectedCloses });
    };
    const timer = setTimeout(answer, 30_000);
    onLive = () => {
      if (live.length >= k) answer();
    };
    onLive();
  });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as { cmd: string; spreadMs?: number; expect?: number };
  if (c.cmd === 'register') void register().then((keys) => out({ keys }));
  else if (c.cmd === 'close') void closeAll().then((closed) => out({ closed }));
  else if (c.cmd === 'connect') void connect(c.spreadMs ?? 1000, c.expect ?? 0).then(out);
  else if (c.cmd === 'live') void liveAfter(c.expect ?? 0).then(out);
});
