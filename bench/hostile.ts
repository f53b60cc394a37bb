// Hostile load on the doors (issue 13): stalled request heads, bodies that
// stop after one byte or trickle in, and an endless oversized chunked body,
// against the built bridge in its own process. Prints when each kind of
// connection was cut against its limit (alone and in a crowd), whether the
// bridge answered 408/413, its resident memory before, at the peak of, and
// after the attack, and how a legitimate request fares meanwhile. Times run
// from the client's TCP connection being up, so in a crowd they include how
// long the bridge took to accept it and read its head (a body's time starts
// at its head).
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'undici';
import { startBridgeProcess } from './lib/bridge-process.js';
import { startProcess } from './lib/process.js';

/** Hostile connections of each kind in the crowd. */
const N = Number(process.env.BENCH_HOSTILE ?? 300);
const HEAD_MS = 2000;
const BODY_MS = 3000;
const MAX_PASSTHROUGH = 1 << 20;

interface Cut {
  /** ms from the TCP connection being up to the bridge closing it. */
  ms: number;
  /** The status line the bridge answered with before closing ('' = none). */
  status: string;
}

/** Opens a connection, writes `text`, optionally keeps trickling, and resolves when the bridge closes it. */
function hostile(port: number, text: string, trickleEveryMs = 0): Promise<Cut> {
  return new Promise((resolve) => {
    let start = performance.now();
    let answer = '';
    let trickle: NodeJS.Timeout | undefined;
    const socket = connect(port, '127.0.0.1', () => {
      // From the TCP handshake on: in a crowd the bridge may still take a while to accept it.
      start = performance.now();
      socket.write(text);
      if (trickleEveryMs > 0) trickle = setInterval(() => socket.write(' '), trickleEveryMs);
    });
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(trickle);
      resolve({ ms: performance.now() - start, status: answer.slice(0, answer.indexOf('\r\n')) });
    });
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

function summary(name: string, cuts: Cut[], limitMs: number, expected: string): string {
  const ms = cuts.map((c) => c.ms).sort((a, b) => a - b);
  const answered = cuts.filter((c) => c.status.startsWith(`HTTP/1.1 ${expected}`)).length;
  return `  ${name.padEnd(34)} ${String(cuts.length).padStart(4)} cut at p50 ${ms[Math.floor(ms.length / 2)].toFixed(0).padStart(5)} ms, max ${ms[ms.length - 1].toFixed(0).padStart(5)} ms (limit ${limitMs} ms), ${expected} answered ${answered}/${cuts.length}`;
}

const stalledHead = 'GET / HTTP/1.1\r\nHost: x\r\n';
const oneByte = (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-M2M-Origin: CAdmin\r\nX-M2M-RI: h\r\nContent-Length: 1000\r\n\r\n{`;

const cse = await startProcess('bench/lib/tiny-cse.ts');
const bridge = await startBridgeProcess(`http://127.0.0.1:${cse.port}`, [
  '--handshake-timeout', `${HEAD_MS}ms`,
  '--body-timeout', `${BODY_MS}ms`,
  '--max-passthrough-body', String(MAX_PASSTHROUGH),
]);
const pid = bridge.proc.pid!;
try {
  const doors = { public: bridge.publicPort, downlink: bridge.downlinkPort, admin: bridge.adminPort };
  console.log(`hostile load      --handshake-timeout ${HEAD_MS} ms, --body-timeout ${BODY_MS} ms, --max-passthrough-body ${MAX_PASSTHROUGH} B`);

  // 1. One stalled client alone on each door: the case Node's interval check let live for tens of seconds.
  const lone: string[] = [];
  for (const [door, port] of Object.entries(doors)) {
    const cut = await hostile(port, stalledHead);
    lone.push(`${door} ${cut.ms.toFixed(0)} ms ${cut.status.slice(9, 12) || 'no answer'}`);
  }
  console.log(`  lone stalled head cut at: ${lone.join(', ')} (limit ${HEAD_MS} ms)`);

  // 2. A crowd: N of each kind at once, and a legitimate request now and then meanwhile.
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  const kinds = {
    'stalled head, public door': () => hostile(doors.public, stalledHead),
    'stalled head, downlink door': () => hostile(doors.downlink, stalledHead),
    'stalled head, admin door': () => hostile(doors.admin, stalledHead),
    'one-byte body, passthrough': () => hostile(doors.public, oneByte('/cse-in')),
    'one-byte body, downlink door': () => hostile(doors.downlink, oneByte('/r/nokey')),
    'trickled body (2 B/s), downlink': () => hostile(doors.downlink, oneByte('/r/nokey'), 500),
  };
  const crowd = Object.entries(kinds).map(([name, open]) => ({ name, cuts: Promise.all(Array.from({ length: N }, open)) }));
  const legit: number[] = [];
  let attacking = true;
  const all = Promise.all(crowd.map((k) => k.cuts)).then(() => (attacking = false));
  while (attacking) {
    const t = performance.now();
    const res = await request(`http://127.0.0.1:${doors.admin}/healthz`);
    await res.body.dump();
    legit.push(performance.now() - t);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await all;
  clearInterval(sampler);
  console.log(`  crowd of ${N * crowd.length} hostile connections (${N} of each kind at once):`);
  for (const k of crowd) {
    const name = k.name;
    console.log(summary(name, await k.cuts, name.startsWith('stalled') ? HEAD_MS : BODY_MS, '408'));
  }
  legit.sort((a, b) => a - b);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  console.log(`  bridge RSS ${before.toFixed(1)} MiB before, ${peak.toFixed(1)} MiB at the peak (${(((peak - before) * 1024) / (N * crowd.length)).toFixed(1)} KiB per hostile connection), ${rssMiB(pid).toFixed(1)} MiB after`);
  console.log(`  GET /healthz during the attack: ${legit.length} requests, p50 ${legit[Math.floor(legit.length / 2)].toFixed(1)} ms, max ${legit[legit.length - 1].toFixed(1)} ms`);

  // 3. An endless chunked passthrough body: how much the bridge took before its 413.
  const chunk = 'x'.repeat(64 * 1024);
  const framed = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
  const oversize = await new Promise<{ sent: number; cut: Cut }>((resolve) => {
    const start = performance.now();
    let sent = 0;
    let answer = '';
    const socket = connect(doors.public, '127.0.0.1', () => {
      socket.write('POST /cse-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      pump();
    });
    const pump = () => {
      while (answer === '' && socket.writable) {
        sent += chunk.length;
        if (!socket.write(framed)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ sent, cut: { ms: performance.now() - start, status: answer.slice(0, answer.indexOf('\r\n')) } }));
  });
  console.log(`  endless chunked passthrough body: "${oversize.cut.status}" after ${(oversize.sent / (1 << 20)).toFixed(1)} MiB written by the client (limit ${(MAX_PASSTHROUGH / (1 << 20)).toFixed(0)} MiB; the rest sat in socket buffers), closed at ${oversize.cut.ms.toFixed(0)} ms`);
} finally {
  await bridge.stop();
  cse.proc.kill();
}
