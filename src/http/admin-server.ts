// Admin door (DESIGN 1): metrics, health, readiness and the registree API for
// operators, Prometheus and Kubernetes. Never on the hot path.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import express from 'express';
import type { Request, Response } from 'express';

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

export function createAdminServer(api: AdminApi): Server {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

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
  return createServer(app);
}
