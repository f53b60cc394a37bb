// The outside view of a process's event loop, sample by sample: GET a URL
// every 5 ms (one at a time) and keep each answer's latency. A stdin line
// `start` drops what was kept; `stop` prints {n, p50, p99, max} in ms of what
// was kept since. Args: url [periodMs].
import { createInterface } from 'node:readline';
import { probeForever } from './probe-loop.js';

const url = new URL(process.argv[2]);
const period = Number(process.argv[3] ?? 5);
let samples: number[] = [];
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'start') {
    samples = [];
    return;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
  process.stdout.write(JSON.stringify({ n: sorted.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1] ?? 0 }) + '\n');
});
process.stdout.write('probing\n');
await probeForever(url, period, (ms) => samples.push(ms));
