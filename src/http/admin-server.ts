// Admin door (DESIGN 1): metrics, health, readiness and the registree API for
// operators, Prometheus and Kubernetes. Never on the hot path.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';

export interface RegistreeView {
  id: string;
  kind: 'ae' | 'cse';
  online: boolean;
  /** Cluster mode: the replica holding its connection. */
  replica?: string;
  /** Set when the connection is on this replica. */
  subprotocol?: string;
  remoteAddress?: string;
  queuedMessages: number;
  queuedBytes: number;
  registeredAt: string;
}

export interface AdminApi {
  /** Upstream reachable and store open. */
  ready(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  metrics(): Promise<{ contentType: string; body: string }>;
  listRegistrees(): Promise<RegistreeView[]>;
  getRegistree(id: string): Promise<RegistreeView | undefined>;
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

/** Probes and Prometheus reach these without a token (they cannot be given one easily, and they reveal no registree). */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/metrics', '/healthz', '/readyz']);

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
  app.get('/metrics', async (_req, res) => {
    const m = await api.metrics();
    res.type(m.contentType).send(m.body);
  });
  app.get('/api/registrees', async (_req, res) => {
    res.json(await api.listRegistrees());
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
    res.status(404).json({ error: 'admin door serves /metrics, /healthz, /readyz, /api/registrees[/<id>]' });
  });
  app.use(errorHandler(options.onError));
  return createServer(app);
}
