// Admin door (DESIGN 1): metrics, health, readiness and the registree API for
// operators, Prometheus and Kubernetes. Never on the hot path.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { BadQuery, MAX_PAGE } from './registree-page.js';
import type { RegistreePageQuery } from './registree-page.js';
import { STATUS_PAGE_PATHS, serveStatusPage } from './status-page.js';

export interface RegistreeView {
  id: string;
  kind: 'ae' | 'cse';
  online: boolean;
  /** Cluster mode: the replica holding its connection. */
  replica?: string;
  /** Set when the connection is on this replica. */
  subprotocol?: string;
  remoteAddress?: string;
  /** Set when the connection is on this replica: when its WebSocket opened. */
  connectedSince?: string;
  queuedMessages: number;
  queuedBytes: number;
  /** When the oldest stored request was stored; absent when nothing waits. */
  oldestQueuedAt?: string;
  registeredAt: string;
}

/** GET /api/registrees/<id>: the view plus the registration (its key left out) and what waits, by `sur`. */
export interface RegistreeDetail extends RegistreeView {
  registration: { kind: 'ae' | 'cse'; ri?: string; rn?: string; identity?: string; createdAt: string };
  queue: {
    messages: number;
    bytes: number;
    oldestStoredAt?: string;
    nextExpiresAt?: string;
    bySur: Array<{ sur: string | null; messages: number; bytes: number; oldestStoredAt: string }>;
  };
}

/** GET /api/status: the bridge at a glance (the status page's header). */
export interface BridgeStatus {
  version: string;
  node: string;
  startedAt: string;
  uptimeSeconds: number;
  replica: string;
  clustered: boolean;
  ready: boolean;
  store: { description: string; up: boolean };
  upstream: { url: string; up: boolean };
  connections: { total: number; bySubprotocol: Record<string, number> };
  registrees: { online: number; offline: number };
  requestsPerSecond: { uplink: number; downlink: number };
  queue: { messages: number; bytes: number };
}

export interface AdminApi {
  /** Upstream reachable and store open. */
  ready(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  /** The downlink door can deliver to the registrees bound here: it listens and the bridge is not stopping (no upstream, no store needed). */
  downlinkReady?(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  metrics(): Promise<{ contentType: string; body: string }>;
  status(): Promise<BridgeStatus>;
  listRegistrees(): Promise<RegistreeView[]>;
  /** One page, what waits first (registree-page.ts); `next` is the cursor of the following page. */
  listRegistreesPage(query: RegistreePageQuery): Promise<{ registrees: RegistreeView[]; next?: string }>;
  getRegistree(id: string): Promise<RegistreeDetail | undefined>;
  /** Drops the binding and the queue and forgets the registration; false when unknown. */
  deleteRegistree(id: string): Promise<boolean>;
}

const REGISTREE_PREFIX = '/api/registrees/';

/** `/api/registrees/<id>`: the id is percent-encoded, and may contain slashes (CSE-IDs like /mn-cse). */
function registreeId(req: Request): string | undefined {
  const raw = req.path.slice(REGISTREE_PREFIX.length);
  if (raw.length === 0) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

export interface AdminServerOptions {
  /** `--admin-token`: when not empty, every request but the open paths needs `Authorization: Bearer <token>`. */
  token?: string;
  /** A request failed inside the bridge (answered 500 without details): for the log. */
  onError?(err: unknown, req: Request): void;
}

/**
 * The admin door's own error handler, in place of Express's default one,
 * which sends the stack unless NODE_ENV=production: a client error keeps its
 * 4xx status and says what was wrong; anything else is a 500 without details.
 */
function errorHandler(onError: AdminServerOptions['onError']): (err: unknown, req: Request, res: Response, next: NextFunction) => void {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown } | null;
    const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 500;
    if (status >= 400 && status < 500) {
      res.status(status).json({ error: e?.expose === true && typeof e.message === 'string' ? e.message : 'bad request' });
      return;
    }
    onError?.(err, req);
    res.status(500).json({ error: 'internal error (see the bridge log)' });
  };
}

/**
 * Probes and Prometheus reach these without a token (they cannot be given one
 * easily, and they reveal no registree); so does the status page's static
 * shell, which holds no data: it asks for the token before it reads /api.
 */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/metrics', '/healthz', '/readyz', '/readyz/downlink', ...STATUS_PAGE_PATHS]);

const PAGE_PARAMS = ['limit', 'after', 'q', 'online'] as const;
const DEFAULT_PAGE = 100;
const MAX_Q = 256;

/** `?limit=&after=&q=&online=` → a page query; a BadQuery names the parameter. */
function pageQuery(query: Request['query']): RegistreePageQuery {
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new BadQuery(`${name}: give it once, as text`);
    return v;
  };
  const limit = one('limit');
  if (limit !== undefined && (!/^\d{1,7}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE)) throw new BadQuery(`limit: a whole number from 1 to ${MAX_PAGE}`);
  const online = one('online');
  if (online !== undefined && online !== 'true' && online !== 'false') throw new BadQuery('online: true or false');
  const q = one('q');
  if (q !== undefined && q.length > MAX_Q) throw new BadQuery(`q: at most ${MAX_Q} characters`);
  const out: RegistreePageQuery = { limit: limit === undefined ? DEFAULT_PAGE : Number(limit) };
  const after = one('after');
  if (after !== undefined && after !== '') out.after = after;
  if (q !== undefined && q !== '') out.q = q;
  if (online !== undefined) out.online = online === 'true';
  return out;
}

/** RFC 8288 Link to the next page, with the same filter. */
function nextLink(query: RegistreePageQuery, next: string): string {
  const params = new URLSearchParams({ limit: String(query.limit) });
  if (query.q !== undefined) params.set('q', query.q);
  if (query.online !== undefined) params.set('online', String(query.online));
  params.set('after', next);
  return `</api/registrees?${params.toString()}>; rel="next"`;
}

const BEARER = /^Bearer[ \t]+(.+)$/i;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * `Authorization: Bearer <token>` (RFC 6750 2.1) on everything but the open
 * paths: default-deny, so a route added later, or a path spelled differently
 * (`/API/…`), is not open by accident. The presented and the expected token
 * are compared as SHA-256 digests with timingSafeEqual: fixed length, so
 * neither the position of the first wrong byte nor the token's length leaks.
 */
function requireToken(token: string): (req: Request, res: Response, next: NextFunction) => void {
  const expected = sha256(token);
  return (req, res, next) => {
    if (OPEN_PATHS.has(req.path)) {
      next();
      return;
    }
    const m = BEARER.exec(req.headers.authorization ?? '');
    if (m !== null && timingSafeEqual(sha256(m[1].trim()), expected)) {
      next();
      return;
    }
    // RFC 6750 3: a challenge always; error="invalid_token" when one was presented.
    res.setHeader('WWW-Authenticate', m === null ? 'Bearer realm="onem2m-ws-bridge admin"' : 'Bearer realm="onem2m-ws-bridge admin", error="invalid_token"');
    res.status(401).json({ error: m === null ? 'the admin API needs Authorization: Bearer <token> (--admin-token)' : 'wrong admin token' });
  };
}

export function createAdminServer(api: AdminApi, options: AdminServerOptions = {}): Server {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  if (options.token !== undefined && options.token !== '') app.use(requireToken(options.token));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await api.ready();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
  });
  // Cluster mode (issue 17.4): while Redis is down /readyz is false, yet the CSE's
  // requests for registrees bound here are still delivered. A load balancer in
  // front of the downlink doors checks this instead.
  const downlinkReady = api.downlinkReady;
  if (downlinkReady !== undefined) {
    app.get('/readyz/downlink', async (_req, res) => {
      const r = await downlinkReady();
      res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
    });
  }
  app.get('/metrics', async (_req, res) => {
    const m = await api.metrics();
    res.type(m.contentType).send(m.body);
  });
  serveStatusPage(app);
  app.get('/api/status', async (_req, res) => {
    res.json(await api.status());
  });
  // Without paging parameters: every registree, as before. With any: one page, what waits first.
  app.get('/api/registrees', async (req, res) => {
    if (!PAGE_PARAMS.some((p) => p in req.query)) {
      res.json(await api.listRegistrees());
      return;
    }
    let query: RegistreePageQuery;
    let page: Awaited<ReturnType<AdminApi['listRegistreesPage']>>;
    try {
      query = pageQuery(req.query);
      page = await api.listRegistreesPage(query);
    } catch (err) {
      if (!(err instanceof BadQuery)) throw err;
      res.status(400).json({ error: err.message });
      return;
    }
    if (page.next !== undefined) res.setHeader('Link', nextLink(query, page.next));
    res.json(page.registrees);
  });
  app.get(/^\/api\/registrees\/.+/, async (req: Request, res: Response) => {
    const id = registreeId(req);
    const view = id === undefined ? undefined : await api.getRegistree(id);
    if (view === undefined) res.status(404).json({ error: `no registree ${id ?? ''}` });
    else res.json(view);
  });
  app.delete(/^\/api\/registrees\/.+/, async (req: Request, res: Response) => {
    const id = registreeId(req);
    const gone = id === undefined ? false : await api.deleteRegistree(id);
    if (!gone) res.status(404).json({ error: `no registree ${id ?? ''}` });
    else res.status(204).end();
  });
  app.use((_req, res) => {
    res.status(404).json({ error: 'admin door serves / (status page), /metrics, /healthz, /readyz, /api/status, /api/registrees[/<id>]' });
  });
  app.use(errorHandler(options.onError));
  return createServer(app);
}
