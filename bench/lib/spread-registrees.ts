// N idle registrees in their own process for bench/cluster-scale.ts: each
// registers over the bridge and then only answers what it gets (2000). The
// connections come from 127.<octet>.<1 + i/20000>.1, so several such
// processes never share a source address and none runs out of ephemeral
// ports. Prints one line with the count once every one is bound.
// Args: wsUrl n prefix octet.
import WebSocket from 'ws';

const [wsUrl, nText, prefix, octetText] = process.argv.slice(2);
const n = Number(nText);
const octet = Number(octetText);
const sockets: WebSocket[] = [];

/** One registree, registered and bound; a refused or timed-out handshake (a loaded machine) is tried again. */
async function connect(i: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(i);
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

function connectOnce(i: number): Promise<void> {
  const aei = `${prefix}${i}`;
  const ws = new WebSocket(wsUrl, 'oneM2M.json', { perMessageDeflate: false, localAddress: `127.${octet}.${1 + Math.floor(i / 20000)}.1` });
  return new Promise((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.includes('"rsc"')) {
        if (!text.includes('"rsc":2001')) reject(new Error(`registration of ${aei}: ${text.slice(0, 200)}`));
        else {
          sockets.push(ws);
          resolve();
        }
        return;
      }
      const rqi = /"rqi":"([^"]*)"/.exec(text)?.[1] ?? '';
      ws.send(`{"rsc":2000,"rqi":"${rqi}","rvi":"3"}`);
    });
    ws.once('error', (err) => {
      ws.terminate();
      reject(err);
    });
    ws.once('open', () => ws.send(JSON.stringify({ op: 1, to: 'cse-in', fr: aei, rqi: `reg-${aei}`, rvi: '3', ty: 2, pc: { 'm2m:ae': { rn: aei, api: 'Nbench', rr: true, srv: ['3'] } } })));
  });
}

// In batches, so the listen backlog never overflows.
for (let start = 0; start < n; start += 500) {
  await Promise.all(Array.from({ length: Math.min(500, n - start) }, (_, j) => connect(start + j)));
}
process.stdout.write(`${sockets.length}\n`);
