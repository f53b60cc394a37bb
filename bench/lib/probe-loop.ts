// GET a URL every `periodMs`, one request at a time, forever, and hand each
// answer's latency (ms) to `sample`: the outside view of a process's event
// loop that lag-probe.ts and gap-probe.ts summarise in their own ways.
import { Pool } from 'undici';

export async function probeForever(url: URL, periodMs: number, sample: (ms: number) => void): Promise<never> {
  const pool = new Pool(url.origin, { connections: 1 });
  for (;;) {
    const t0 = performance.now();
    try {
      const res = await pool.request({ method: 'GET', path: url.pathname });
      await res.body.dump();
    } catch {
      // the process may be restarting or gone; the bench notices on its own
    }
    const ms = performance.now() - t0;
    sample(ms);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, periodMs - ms)));
  }
}
