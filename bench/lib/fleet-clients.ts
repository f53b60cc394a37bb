// Idle registrees for bench/fleet.ts and bench/registration-storm.ts, in a
// process of their own: each opens a WebSocket, registers an AE and then
// stays quiet (ws answers the bridge's pings). At most `window` handshakes
// are in flight at once. A registree whose handshake or registration fails
// (the machine is loaded: a handshake timeout, a refused connection) tries
// again, up to 3 times, as a device would. Prints one line once all are
// bound: `{"bound":n,"seconds":s,"failed":f,"retries":r,"why":[…]}`.
// Args: wsUrl n prefix addressBase [window] [perAddress].
// addressBase like `127.3.1.`: registree i connects from addressBase +
// (1 + i / perAddress), because one source address has only ~28k ephemeral
// ports (net.ipv4.ip_local_port_range). The whole 127/8 is loopback.
import WebSocket from 'ws';

const [wsUrl, nText, prefix = 'Cfleet', addressBase = '127.0.0.', windowText = '200', perAddressText = '20000'] = process.argv.slice(2);
const n = Number(nText);
const window = Number(windowText);
const perAddress = Number(perAddressText);
const keep: WebSocket[] = [];
let failed = 0;
let retries = 0;
const why: string[] = [];

function connect(i: number): Promise<boolean> {
  const aei = `${prefix}${i}`;
  const ws = new WebSocket(wsUrl, 'oneM2M.json', { perMessageDeflate: false, localAddress: `${addressBase}${1 + Math.floor(i / perAddress)}` });
  return new Promise((resolve) => {
    const done = (ok: boolean, reason: string) => {
      if (!ok) {
        if (why.length < 5) why.push(reason);
        ws.terminate();
      }
      resolve(ok);
    };
    ws.once('message', (data: Buffer) => {
      const text = data.toString();
      done(text.includes('"rsc":2001'), text.slice(0, 200));
    });
    ws.once('error', (err) => done(false, err.message));
    ws.once('open', () => {
      keep.push(ws);
      ws.send(`{"op":1,"to":"cse-in","fr":"${aei}","rqi":"reg-${aei}","rvi":"3","ty":2,"pc":{"m2m:ae":{"rn":"${aei}","api":"Nfleet","rr":true,"srv":["3"]}}}`);
    });
  });
}

const started = process.hrtime.bigint();
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(window, n) }, async () => {
    while (next < n) {
      const i = next++;
      let attempt = 0;
      while (!(await connect(i))) {
        if (++attempt > 3) {
          failed++;
          break;
        }
        retries++;
      }
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(JSON.stringify({ bound: n - failed, seconds, failed, retries, why }) + '\n');
// The sockets stay open until the parent kills this process or goes away (stdin ends).
process.stdin.on('end', () => process.exit(0)).resume();
