// The floor: the least a WebSocket→HTTP bridge can do, as the issue's
// "bare ws+http bridge" — no validation, no registration gate, no metrics,
// no store, no logging. It parses the JSON primitive, sends GET /<to> to the
// CSE over undici, and answers {rsc, rqi, rvi, pc}. Answers registrations
// (op 1) itself so the same load generator binds, or, with a second argument
// `create`, forwards them too (POST /<to> with ty, the floor of
// bench/registration-storm.ts). Prints its port.
// Never shipped: bench/uplink.ts measures the real bridge against it.
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { WebSocketServer } from 'ws';

const upstream = process.argv[2];
const forwardCreate = process.argv[3] === 'create';
const pool = new Pool(upstream, { connections: 64, pipelining: 1 });
const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false, handleProtocols: (p) => [...p][0] ?? false });
wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => {
    const req = JSON.parse(data.toString()) as { op: number; to: string; fr: string; rqi: string; rvi?: string; ty?: number; pc?: unknown };
    if (req.op === 1 && forwardCreate) {
      pool.request({ path: `/${req.to}`, method: 'POST', headers: { 'x-m2m-origin': req.fr, 'x-m2m-ri': req.rqi, 'x-m2m-rvi': req.rvi ?? '3', 'content-type': `application/json;ty=${req.ty}`, accept: 'application/json' }, body: JSON.stringify(req.pc) }).then(
        async (res) => ws.send(`{"rsc":${Number(res.headers['x-m2m-rsc'])},"rqi":${JSON.stringify(req.rqi)},"rvi":"3","pc":${await res.body.text()}}`),
        () => ws.send(JSON.stringify({ rsc: 5103, rqi: req.rqi })),
      );
      return;
    }
    if (req.op === 1) {
      ws.send(JSON.stringify({ rsc: 2001, rqi: req.rqi, rvi: '3', pc: { 'm2m:ae': { aei: req.fr } } }));
      return;
    }
    pool.request({ path: `/${req.to}`, method: 'GET', headers: { 'x-m2m-origin': req.fr, 'x-m2m-ri': req.rqi, 'x-m2m-rvi': req.rvi ?? '3', accept: 'application/json' } }).then(
      async (res) => {
        const body = await res.body.text();
        ws.send(`{"rsc":${Number(res.headers['x-m2m-rsc'])},"rqi":${JSON.stringify(req.rqi)},"rvi":"3","pc":${body}}`);
      },
      () => ws.send(JSON.stringify({ rsc: 5103, rqi: req.rqi })),
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${typeof a === 'object' && a ? a.port : 0}\n`);
});
