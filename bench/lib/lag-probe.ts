// The outside view of a process's event loop: GET a URL every 10 ms, one at a
// time, and keep the slowest answer. Each line on stdin prints the slowest
// since the previous line (ms) and starts over. Args: url.
import { createInterface } from 'node:readline';
import { probeForever } from './probe-loop.js';

const url = new URL(process.argv[2]);
let slowest = 0;
createInterface({ input: process.stdin }).on('line', () => {
  process.stdout.write(`${slowest.toFixed(1)}\n`);
  slowest = 0;
});
await probeForever(url, 10, (ms) => {
  if (ms > slowest) slowest = ms;
});
