// A CSE that accepts what it is sent (issue 12's attacker setting): every
// registration succeeds with the ID the originator asked for, every other
// request gets 2000. It is still a CSE on the wire — real HTTP, TS-0009
// headers, a CSEBase with its csi — and like a CSE it remembers each
// registree's poa and sends NOTIFYs there. It records every request so a test
// can assert what never reached it.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  origin: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface PermissiveCse {
  url: string;
  readonly seen: SeenRequest[];
  /** The poa each registree ID was registered (or last updated) with. */
  readonly poa: Map<string, string[]>;
  /** Forgets a registree, as when its <AE> expires or an admin deletes it at the CSE (no DELETE through the bridge). */
  forget(id: string): void;
  /** Sends a NOTIFY to the registree's poa, as the CSE would for a subscription; resolves with the HTTP status and X-M2M-RSC. */
  notify(id: string, body: object, headers?: Record<string, string>): Promise<{ status: number; rsc: string | null; body: string }>;
  close(): Promise<void>;
}

let counter = 0;

/** `knowsCseBaseShortcut: false`: RETRIEVE `-` gets 4004, as from a CSE without the shortcut. */
export async function startPermissiveCse(cseId = '/id-in', options: { knowsCseBaseShortcut?: boolean } = {}): Promise<PermissiveCse> {
  const seen: SeenRequest[] = [];
  const poa = new Map<string, string[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const origin = typeof req.headers['x-m2m-origin'] === 'string' ? req.headers['x-m2m-origin'] : undefined;
      seen.push({ method: req.method ?? '', path: req.url ?? '', origin, headers: req.headers, body });
      const ri = String(req.headers['x-m2m-ri'] ?? '');
      const answer = (status: number, rsc: number, pc?: object) => {
        const text = pc === undefined ? '' : JSON.stringify(pc);
        res.writeHead(status, { 'x-m2m-rsc': String(rsc), 'x-m2m-ri': ri, 'x-m2m-rvi': '3', 'x-m2m-ot': '20260101T000000', 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const ty = /;\s*ty=(\d+)/.exec(String(req.headers['content-type'] ?? ''))?.[1];
      if (req.method === 'GET' && (req.url === '/-' || req.url?.startsWith('/-?'))) {
        if (options.knowsCseBaseShortcut === false) return answer(404, 4004, { 'm2m:dbg': 'resource not found: -' });
        return answer(200, 2000, { 'm2m:cb': { rn: 'cse-in', ri: cseId.slice(1), csi: cseId, ty: 5 } });
      }
      if (req.method === 'POST' && ty === '2') {
        const ae = (JSON.parse(body) as { 'm2m:ae': { rn?: string; poa?: string[] } })['m2m:ae'];
        const aei = origin === undefined || origin === '' || origin === 'C' || origin === 'S' ? `C${++counter}auto` : origin;
        poa.set(aei, ae.poa ?? []);
        return answer(201, 2001, { 'm2m:ae': { ...ae, aei, ri: aei, rn: ae.rn ?? aei } });
      }
      if (req.method === 'POST' && ty === '16') {
        const csr = (JSON.parse(body) as { 'm2m:csr': { csi?: string; poa?: string[] } })['m2m:csr'];
        const csi = csr.csi ?? origin ?? '';
        poa.set(csi, csr.poa ?? []);
        return answer(201, 2001, { 'm2m:csr': { ...csr, csi, ri: csi.replace(/^\//, '') } });
      }
      if (req.method === 'DELETE') return answer(200, 2002);
      if (req.method === 'POST') return answer(201, 2001, {});
      return answer(200, 2000, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    poa,
    forget: (id) => void poa.delete(id),
    async notify(id, body, headers = {}) {
      const target = poa.get(id)?.find((p) => p.startsWith('http'));
      if (target === undefined) throw new Error(`no http poa for ${id}`);
      const res = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-m2m-origin': cseId, 'x-m2m-ri': `n-${++counter}`, 'x-m2m-rvi': '3', ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, rsc: res.headers.get('x-m2m-rsc'), body: await res.text() };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
