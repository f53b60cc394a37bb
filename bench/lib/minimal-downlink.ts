// The floor for the downlink: the least an HTTP→WebSocket bridge can do — no
// validation, no registration gate, no metrics, no store, no logging. A
// registration (op 1) is answered at once with poa /r/<fr>; a POST to
// /r/<fr>/... becomes a NOTIFY primitive on that registree's socket and its
// answer's rsc the HTTP answer. Prints "<ws port> <http port>".
// Never shipped: bench/downlink.ts measures the real bridge against it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

const sockets = new Map<string, WebSocket>();
const waiting = new Map<string, (rsc: number) => void>();
const wsServer = createServer();
const wss = new WebSocketServer({ server: wsServer, perMessageDeflate: false, handleProtocols: (p) => [...p][0] ?? false });
wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as { op?: number; fr?: string; rqi: string; rsc?: number };
    if (m.op === 1 && m.fr !== undefined) {
      sockets.set(m.fr, ws);
      ws.send(JSON.stringify({ rsc: 2001, rqi: m.rqi, rvi: '3', pc: { 'm2m:ae': { aei: m.fr, poa: [`http://127.0.0.1/r/${m.fr}`] } } }));
      return;
    }
    waiting.get(m.rqi)?.(m.rsc ?? 5000);
    waiting.delete(m.rqi);
  });
});
const http = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const fr = (req.url ?? '').split('/')[2] ?? '';
    const ws = sockets.get(fr);
    const rqi = String(req.headers['x-m2m-ri']);
    if (ws === undefined) {
      res.writeHead(404, { 'x-m2m-rsc': '5103' }).end();
      return;
    }
    waiting.set(rqi, (rsc) => res.writeHead(200, { 'x-m2m-rsc': String(rsc), 'x-m2m-ri': rqi, 'content-length': 0 }).end());
    ws.send(`{"op":5,"to":${JSON.stringify(fr)},"fr":"/id-in","rqi":${JSON.stringify(rqi)},"rvi":"3","pc":${Buffer.concat(chunks).toString()}}`);
  });
});
http.keepAliveTimeout = 60_000;
wsServer.listen(0, '127.0.0.1', () =>
  http.listen(0, '127.0.0.1', () => process.stdout.write(`${(wsServer.address() as AddressInfo).port} ${(http.address() as AddressInfo).port}\n`)),
);
