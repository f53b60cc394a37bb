// The outside view of a process's event loop: GET a URL every 10 ms, one at a
// time, and keep the slowest answer. Each line on stdin prints the slowest
// since the previous line (ms) and starts over. Args: url.
import { createInterface } from 'node:readline';
import { Pool } from 'undici';

const url = new URL(process.argv[2]);
const pool = new Pool(url.origin, { connections: 1 });
let slowest = 0;
createInterface({ input: process.stdin }).on('line', () => {
  process.stdout.write(`${slowest.toFixed(1)}\n`);
  slowest = 0;
});
for (;;) {
  const t0 = performance.now();
  try {
    const res = await pool.request({ method: 'GET', path: url.pathname });
    await res.body.dump();
  } catch {
    // the bridge may be restarting; the next probe says
  }
  const ms = performance.now() - t0;
  if (ms > slowest) slowest = ms;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10 - ms)));
}
