// A CSE stand-in that answers as fast as Node can: the benchmarks measure the
// bridge, not the CSE. Run as its own process: prints its port on stdout.
// Arg `close`: every answer carries `Connection: close` and the connection
// ends after it, as ACME's default HTTP server does (bench/closing-upstream.ts).
import { createServer } from 'node:http';

const closing = process.argv[2] === 'close';

const body = Buffer.from(JSON.stringify({ 'm2m:cnt': { rn: 'cnt', ty: 3, ri: 'cnt1', pi: 'ae1', ct: '20240101T000000', lt: '20240101T000000', st: 0, cni: 0, cbs: 0 } }));
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const ct = String(req.headers['content-type']);
    const create = req.method === 'POST' && /ty=/.test(ct);
    // Registrations get an AE back whose aei is the originator and whose poa is
    // what the bridge wrote, so registrees bind and learn their downlink key.
    let answer = body;
    if (create && /ty=2\b/.test(ct)) {
      const sent = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { 'm2m:ae'?: { poa?: string[] } };
      const origin = String(req.headers['x-m2m-origin']);
      answer = Buffer.from(JSON.stringify({ 'm2m:ae': { rn: 'ae', ty: 2, ri: origin, aei: origin, api: 'Nbench', rr: true, poa: sent['m2m:ae']?.poa ?? [] } }));
    }
    res.writeHead(create ? 201 : 200, {
      'content-type': 'application/json',
      'content-length': answer.length,
      'x-m2m-rsc': create ? '2001' : '2000',
      'x-m2m-ri': String(req.headers['x-m2m-ri'] ?? ''),
      'x-m2m-rvi': '3',
      ...(closing ? { connection: 'close' } : {}),
    });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${typeof a === 'object' && a ? a.port : 0}\n`);
});
