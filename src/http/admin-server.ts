// Admin door (DESIGN 1): process health for operators and orchestrators.
import { createServer } from 'node:http';
import type { Server } from 'node:http';

export interface AdminStatus {
  /** Process alive: always true while the server answers. */
  healthy(): boolean;
}

export function createAdminServer(status: AdminStatus): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      const ok = status.healthy();
      const body = JSON.stringify({ status: ok ? 'ok' : 'failing' });
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const body = 'admin door serves GET /healthz\n';
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}
