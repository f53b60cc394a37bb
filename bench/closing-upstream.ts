// The cost of a new upstream connection (issue 22): a CSE that answers every
// request with `Connection: close` (as ACME's default HTTP server does), so
// each forwarded request opens a TCP connection. The bridge against the
// minimal ws+undici forwarder (bench/lib/minimal-bridge.ts, the floor) and
// direct HTTP, in one run, interleaved rounds; then the same with a keep-alive
// CSE. Prints each forwarder's CPU per forwarded request (user+system time of
// its process, as process.cpuUsage() counts it) and throughput ratios.
import { httpLoad } from './lib/http-load.js';
import type { LoadResult } from './lib/http-load.js';
import { startBridgeProcess } from './lib/bridge-process.js';
import { cpuMicros } from './lib/cpu.js';
import { startProcess } from './lib/process.js';
import { openRegistrees, wsLoad } from './lib/ws-load.js';
import type { WsClient } from './lib/ws-load.js';

const N = Number(process.env.BENCH_CLOSING_CLIENTS ?? 8);
const PER_ROUND = Number(process.env.BENCH_CLOSING_REQUESTS ?? 4000);
const ROUNDS = 3;

interface Measured {
  load: LoadResult;
  /** CPU µs per request of the forwarder's process (0 for direct). */
  cpuUs: number;
  /** CPU µs per request of the CSE's process. */
  cseCpuUs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

async function measure(csePid: number, forwarderPid: number | undefined, run: () => Promise<LoadResult>): Promise<Measured> {
  const c0 = forwarderPid === undefined ? 0 : cpuMicros(forwarderPid);
  const s0 = cpuMicros(csePid);
  const load = await run();
  const cpu = forwarderPid === undefined ? 0 : cpuMicros(forwarderPid) - c0;
  return { load, cpuUs: cpu / load.requests, cseCpuUs: (cpuMicros(csePid) - s0) / load.requests };
}

async function scenario(label: string, cseArgs: string[]): Promise<void> {
  const cse = await startProcess('bench/lib/tiny-cse.ts', cseArgs);
  // BENCH_CLOSING_HOST=localhost: the name is resolved for every new connection.
  const upstream = `http://${process.env.BENCH_CLOSING_HOST ?? '127.0.0.1'}:${cse.port}`;
  const bridge = await startBridgeProcess(upstream);
  const minimal = await startProcess('bench/lib/minimal-bridge.ts', [upstream]);
  let clients: WsClient[] = [];
  let floorClients: WsClient[] = [];
  try {
    clients = await openRegistrees(`ws://127.0.0.1:${bridge.publicPort}/`, N);
    floorClients = await openRegistrees(`ws://127.0.0.1:${minimal.port}/`, N);
    // Warm-up: JIT, pools.
    await wsLoad(clients, PER_ROUND / 2);
    await wsLoad(floorClients, PER_ROUND / 2);
    await httpLoad(upstream, N, PER_ROUND / 2);
    const pid = cse.proc.pid!;
    const rounds = { direct: [] as Measured[], bridge: [] as Measured[], minimal: [] as Measured[] };
    for (let i = 0; i < ROUNDS; i++) {
      rounds.direct.push(await measure(pid, undefined, () => httpLoad(upstream, N, PER_ROUND)));
      rounds.bridge.push(await measure(pid, bridge.proc.pid!, () => wsLoad(clients, PER_ROUND)));
      rounds.minimal.push(await measure(pid, minimal.proc.pid!, () => wsLoad(floorClients, PER_ROUND)));
    }
    const rps = (ms: Measured[]) => ms.map((m) => m.load.rps);
    const cpu = (ms: Measured[]) => ms.map((m) => m.cpuUs);
    const perRound = (f: (i: number) => number) => Array.from({ length: ROUNDS }, (_, i) => f(i));
    const cpuRatio = perRound((i) => rounds.bridge[i].cpuUs / rounds.minimal[i].cpuUs);
    console.log(
      `${label} ${N} clients: CPU per request bridge ${median(cpu(rounds.bridge)).toFixed(0)} µs, minimal forwarder ${median(cpu(rounds.minimal)).toFixed(0)} µs, ` +
        `bridge/minimal ${median(cpuRatio).toFixed(2)} (rounds ${range(cpuRatio)}); CSE ${median(rounds.direct.map((m) => m.cseCpuUs)).toFixed(0)} µs direct`,
    );
    console.log(
      `${label} ${N} clients: direct ${median(rps(rounds.direct)).toFixed(0)} req/s, bridge ${median(rps(rounds.bridge)).toFixed(0)}, minimal ${median(rps(rounds.minimal)).toFixed(0)}; ` +
        `bridge/direct ${range(perRound((i) => rounds.bridge[i].load.rps / rounds.direct[i].load.rps))}, ` +
        `minimal/direct ${range(perRound((i) => rounds.minimal[i].load.rps / rounds.direct[i].load.rps))}, ` +
        `bridge/minimal ${range(perRound((i) => rounds.bridge[i].load.rps / rounds.minimal[i].load.rps))}`,
    );
  } finally {
    for (const c of [...clients, ...floorClients]) c.ws.close();
    await bridge.stop();
    minimal.proc.kill();
    cse.proc.kill();
  }
}

await scenario('closing upstream   ', ['close']);
await scenario('keep-alive upstream', []);
