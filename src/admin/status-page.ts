// GET / on the admin door: the status page (issue 20) and its two assets. The
// shell holds no data, so it is served without the admin token (like
// /metrics); the script asks for the token before it reads /api. A strict
// Content-Security-Policy: only this door's own script, style and API.
import { createHash } from 'node:crypto';
import type { Express, Response } from 'express';
import { STATUS_CSS } from './page/status-css.js';
import { STATUS_HTML } from './page/status-html.js';
import { STATUS_JS } from './page/status-js.js';

export const STATUS_PAGE_PATHS = ['/', '/status.css', '/status.js'] as const;

/** Nothing inline, nothing from elsewhere, no framing, no forms, no plugins. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  type: string;
  body: Buffer;
  etag: string;
}

function asset(type: string, text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  return { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

const ASSETS: Record<(typeof STATUS_PAGE_PATHS)[number], Asset> = {
  '/': asset('text/html; charset=utf-8', STATUS_HTML),
  '/status.css': asset('text/css; charset=utf-8', STATUS_CSS),
  '/status.js': asset('text/javascript; charset=utf-8', STATUS_JS),
};

function send(res: Response, a: Asset, ifNoneMatch: string | undefined): void {
  res.setHeader('Content-Type', a.type);
  res.setHeader('Content-Security-Policy', STATUS_PAGE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', a.etag);
  if (ifNoneMatch === a.etag) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Length', a.body.length);
  res.end(a.body);
}

export function serveStatusPage(app: Express): void {
  for (const path of STATUS_PAGE_PATHS) {
    app.get(path, (req, res) => send(res, ASSETS[path], req.headers['if-none-match']));
  }
}
