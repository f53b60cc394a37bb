// A device that is reachable over HTTP: answers every NOTIFY with 2000, the
// comparison point for delivering through the bridge. Prints its port.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'x-m2m-rsc': '2000', 'x-m2m-ri': String(req.headers['x-m2m-ri'] ?? ''), 'x-m2m-rvi': '3', 'content-length': 0 });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${typeof a === 'object' && a ? a.port : 0}\n`);
});
