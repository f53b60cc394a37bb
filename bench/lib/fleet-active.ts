// The active registrees of bench/fleet.ts, in a process of their own: A
// registrees (Cbench0…) register, then every line on stdin (a number K) makes
// them send K RETRIEVEs closed-loop (one in flight each) and print one line
// `{"requests":K,"seconds":s,"rps":r,"p50us":p}`. Args: wsUrl A.
import { createInterface } from 'node:readline';
import { openRegistrees, wsLoad } from './ws-load.js';

const [wsUrl, aText] = process.argv.slice(2);
const clients = await openRegistrees(wsUrl, Number(aText));
process.stdout.write('ready\n');
let running = Promise.resolve();
const lines = createInterface({ input: process.stdin });
// The parent went away: so does this process.
lines.on('close', () => process.exit(0));
lines.on('line', (line) => {
  running = running.then(async () => {
    const r = await wsLoad(clients, Number(line));
    process.stdout.write(JSON.stringify({ requests: r.requests, seconds: r.seconds, rps: r.rps, p50us: r.p50us }) + '\n');
  });
});
