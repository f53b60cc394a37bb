// N registrees in their own process: each registers over the bridge, answers
// every request it gets with 2000, and the process prints one JSON line
// [{aei, key}] once all are bound. Args: wsUrl n [prefix] [subprotocol].
// With n registrees already known (args[4] === 'rebind'), it reconnects with
// X-M2M-Origin instead of registering, and prints how many requests it got
// every time stdin receives a line.
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

const [wsUrl, nText, prefix = 'Cdl', subprotocol = 'oneM2M.json', mode = 'register'] = process.argv.slice(2);
const n = Number(nText);
let received = 0;

function connect(i: number): Promise<{ aei: string; key: string }> {
  const aei = `${prefix}${i}`;
  // Beyond ~28k connections one source address runs out of ports: spread over 127.0.0.x.
  const localAddress = n > 20000 ? `127.0.0.${2 + Math.floor(i / 20000)}` : undefined;
  const ws = new WebSocket(wsUrl, subprotocol, { perMessageDeflate: false, localAddress, headers: mode === 'rebind' ? { 'X-M2M-Origin': aei } : {} });
  return new Promise((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.includes('"rsc"')) {
        const poa = /"poa":\["[^"]*\/r\/([^"/]+)"/.exec(text);
        resolve({ aei, key: poa?.[1] ?? '' });
        return;
      }
      received++;
      const rqi = /"rqi":"([^"]*)"/.exec(text)?.[1] ?? '';
      ws.send(`{"rsc":2000,"rqi":"${rqi}","rvi":"3"}`);
    });
    ws.once('error', reject);
    ws.once('open', () => {
      if (mode === 'rebind') resolve({ aei, key: '' });
      else ws.send(JSON.stringify({ op: 1, to: 'cse-in', fr: aei, rqi: `reg-${aei}`, rvi: '3', ty: 2, pc: { 'm2m:ae': { rn: aei, api: 'Nbench', rr: true, srv: ['3'] } } }));
    });
  });
}

// In batches, so the listen backlog never overflows.
const bound: Array<{ aei: string; key: string }> = [];
for (let start = 0; start < n; start += 500) {
  bound.push(...(await Promise.all(Array.from({ length: Math.min(500, n - start) }, (_, j) => connect(start + j)))));
}
process.stdout.write(JSON.stringify(bound) + '\n');
createInterface({ input: process.stdin }).on('line', () => process.stdout.write(`${received}\n`));
