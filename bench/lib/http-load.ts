// Closed-loop HTTP load: `concurrency` keep-alive clients each send requests
// back to back; returns req/s and latency percentiles.
import { Pool } from 'undici';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50us: number;
  p99us: number;
  /** Answers whose X-M2M-RSC differed from the expected one. */
  unexpected: number;
}

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export function summarize(latenciesNs: number[], seconds: number, unexpected = 0): LoadResult {
  const sorted = Float64Array.from(latenciesNs).sort();
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000);
  return { requests: sorted.length, seconds, rps: sorted.length / seconds, p50us: at(0.5), p99us: at(0.99), unexpected };
}

const retrieve = (n: number): LoadRequest => ({
  method: 'GET',
  path: '/cse-in/ae/cnt',
  headers: { 'x-m2m-origin': 'Cbench', 'x-m2m-ri': `r${n}`, 'x-m2m-rvi': '3', accept: 'application/json' },
});

export async function httpLoad(origin: string, concurrency: number, total: number, make: (n: number) => LoadRequest = retrieve, expectRsc?: string): Promise<LoadResult> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let sent = 0;
  let unexpected = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < total) {
        const r = make(sent++);
        const t0 = process.hrtime.bigint();
        const res = await pool.request(r);
        await res.body.arrayBuffer();
        latencies.push(Number(process.hrtime.bigint() - t0));
        if (expectRsc !== undefined && res.headers['x-m2m-rsc'] !== expectRsc) unexpected++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return summarize(latencies, seconds, unexpected);
}
