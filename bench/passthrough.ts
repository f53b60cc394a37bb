// Public-door passthrough: the bridge's undici forwarder against http-proxy,
// both in front of the same CSE, side by side with direct HTTP.
// Prints req/s, p50/p99 and the ratios to direct HTTP.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import { Agent } from 'node:http';
import { createPassthrough } from '../src/http/passthrough.js';
import { httpLoad } from './lib/http-load.js';
import type { LoadResult } from './lib/http-load.js';
import { startProcess } from './lib/process.js';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TOTAL = Number(process.env.BENCH_REQUESTS ?? 40000);

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ port: number; close(): void }> {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() })));
}

/** The alternative the issue named: http-proxy with a keep-alive agent. */
function httpProxyForwarder(upstream: string): { handle: Parameters<typeof createServer>[1]; close(): void } {
  const proxy = httpProxy.createProxyServer({ target: upstream, agent: new Agent({ keepAlive: true, maxSockets: 256 }), changeOrigin: false, xfwd: false });
  proxy.on('error', (_err, _req, res) => {
    if ('writeHead' in res) res.writeHead(502).end();
  });
  return { handle: (req, res) => proxy.web(req, res), close: () => proxy.close() };
}

function line(name: string, r: LoadResult, direct: LoadResult): string {
  return `${name.padEnd(22)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50us.toFixed(0).padStart(5)} µs  p99 ${r.p99us.toFixed(0).padStart(6)} µs  ratio to direct ${(r.rps / direct.rps).toFixed(2)}`;
}

const cse = await startProcess('bench/lib/tiny-cse.ts');
const upstream = `http://127.0.0.1:${cse.port}`;
const shipped = createPassthrough({ upstream: new URL(upstream), timeoutMs: 30_000 });
const proxy = httpProxyForwarder(upstream);
const viaProxy = await listen(proxy.handle);
const viaUndici = await listen(shipped.handle);
try {
  // Warm-up, then interleaved rounds so drift hits every variant alike.
  for (const port of [cse.port, viaProxy.port, viaUndici.port]) await httpLoad(`http://127.0.0.1:${port}`, CONCURRENCY, 2000);
  const rounds = { direct: [] as LoadResult[], proxy: [] as LoadResult[], undici: [] as LoadResult[] };
  for (let i = 0; i < 3; i++) {
    rounds.direct.push(await httpLoad(upstream, CONCURRENCY, TOTAL / 3));
    rounds.proxy.push(await httpLoad(`http://127.0.0.1:${viaProxy.port}`, CONCURRENCY, TOTAL / 3));
    rounds.undici.push(await httpLoad(`http://127.0.0.1:${viaUndici.port}`, CONCURRENCY, TOTAL / 3));
  }
  const best = (rs: LoadResult[]) => rs.reduce((a, b) => (b.rps > a.rps ? b : a));
  const direct = best(rounds.direct);
  console.log(`passthrough, ${CONCURRENCY} keep-alive clients, ${TOTAL} GETs per variant`);
  console.log(line('direct HTTP', direct, direct));
  console.log(line('undici (shipped)', best(rounds.undici), direct));
  console.log(line('http-proxy', best(rounds.proxy), direct));
} finally {
  viaProxy.close();
  viaUndici.close();
  proxy.close();
  await shipped.close();
  cse.proc.kill();
}
