// A fake oneM2M CSE speaking the TS-0009 HTTP binding, modelled on the ACME CSE
// (ankraft/ACME-oneM2M-CSE) as described in /work/shared/ONEM2M-REFERENCE.md.
// It is a test double for the bridge: it keeps a small resource tree in memory,
// checks requests the way ACME does (and rejects what ACME rejects), and sends
// verification requests and notifications the way ACME sends them, judging the
// answers by ACME's rules. Everything it received and sent is logged for
// assertions.
//
// Not a CSE: no ACPs (a simplified rule instead), no announcement, no
// non-blocking requests, no expiry, no batch notifications, no XML.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { Agent, request as undiciRequest } from 'undici';
import { Encoder } from 'cbor-x';
import type { JsonObject, JsonValue } from '../../src/primitive/types.js';

// ---------------------------------------------------------------------------
// Public API

export interface FakeCseOptions {
  /** CSE-ID without the leading slash (default `id-in`). */
  cseId?: string;
  /** Resource name of the CSEBase (default `cse-in`). */
  csebaseName?: string;
  /** Originator that may do anything without registering (default `CAdmin`). */
  adminOriginator?: string;
  /** Send verification requests on SUB CREATE/UPDATE (default true, like ACME). */
  verifySubscriptions?: boolean;
  /** headersTimeout/bodyTimeout for outgoing notifications (default 2000 ms). */
  notifyTimeoutMs?: number;
  /** `X-M2M-RVI` the CSE uses for its own requests when the target has no `srv` (default `5`, ACME's default). */
  releaseVersion?: string;
  /**
   * `acme` (default): `Content-Location` only when the CREATE response content is
   * `m2m:uri` or `m2m:rce` (rcn 2/3), exactly like ACME. `always`: on every successful CREATE.
   */
  contentLocation?: 'acme' | 'always';
  /** Answer every request with `Connection: close` and end the connection, as ACME's default HTTP server does (default false). */
  connectionClose?: boolean;
}

/** One HTTP request the fake CSE received. */
export interface FakeCseRequestRecord {
  method: string;
  /** Request target as received (path and query). */
  path: string;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Buffer;
  /** Date.now() when the request was complete. */
  time: number;
}

/** `forward`: a NOTIFY another originator addressed to a registree, passed on to its poa (ACME does this). */
export type FakeNotificationKind = 'verification' | 'notification' | 'deletion' | 'forward';

/** One verification request / notification the fake CSE sent, with its outcome. */
export interface FakeNotificationRecord {
  kind: FakeNotificationKind;
  /** `ri` of the subscription (empty for `forward`). */
  subscription: string;
  /** The notification target as written in `nu` (or `su` for deletion notifications). */
  target: string;
  /** URL the request was POSTed to; empty when the target could not be resolved. */
  url: string;
  /** Headers sent, names in lower case. */
  headers: Record<string, string>;
  /** Body sent (always JSON). */
  body: JsonObject;
  time: number;
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** `X-M2M-RSC` of the answer, when present and numeric. */
  rsc?: number;
  /** `X-M2M-RI` of the answer, when present. */
  ri?: string;
  /** `X-M2M-OT` of the answer, when present. */
  ot?: string;
  responseBody?: Buffer;
  /** True when ACME would accept the answer (RI echoed, OT valid or absent). */
  accepted: boolean;
  /**
   * The result as ACME sees it: the answer's rsc (5000 when `X-M2M-RSC` is missing or
   * HTTP 401), 4000 when rejected (wrong RI / bad OT), 4008 on timeout, 5103 when the
   * target is not reachable.
   */
  result: number;
  error?: string;
}

/** A stored resource as seen by assertions (attributes without the `m2m:` wrapper). */
export interface FakeResource {
  ty: number;
  ri: string;
  /** Structured CSE-relative path, e.g. `cse-in/myAE/cnt1`. */
  path: string;
  /** Wrapper key, e.g. `m2m:cnt`. */
  key: string;
  attributes: JsonObject;
}

export interface FakeCseResources {
  /** Look a resource up by any ID form the CSE accepts (structured, unstructured, SP-relative, absolute). */
  get(id: string): FakeResource | undefined;
  /** Direct children of a resource. */
  children(id: string): FakeResource[];
  /** All resources, in creation order. */
  all(): FakeResource[];
  /** Registered AE-IDs. */
  aes(): string[];
  /** Registered remote CSE-IDs (`/id-mn`). */
  cses(): string[];
}

export interface FakeCse {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly cseId: string;
  readonly csebaseName: string;
  readonly requests: FakeCseRequestRecord[];
  readonly notifications: FakeNotificationRecord[];
  readonly resources: FakeCseResources;
  /** Answer every request only after `ms` (0 = immediately). */
  setDelay(ms: number): void;
  /** Stop listening and drop all connections (connection refused from now on). */
  setDown(): Promise<void>;
  /** Listen again on the same port. */
  setUp(): Promise<void>;
  /** Create a CIN as the admin originator; triggers notifications. Returns the CIN attributes. */
  createContentInstance(containerPath: string, con: JsonValue, attributes?: JsonObject): Promise<JsonObject>;
  /** Resolves with the log once at least `n` notifications are complete; rejects after `timeoutMs` (default 5000). */
  waitForNotifications(n: number, timeoutMs?: number): Promise<FakeNotificationRecord[]>;
  /** Resolves when all queued notifications have been sent and answered. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Constants and helpers

const SUPPORTED_RVI = ['2a', '3', '4', '5'];

const SHORT_NAMES: Record<number, string> = {
  1: 'acp', 2: 'ae', 3: 'cnt', 4: 'cin', 5: 'cb', 9: 'grp', 14: 'nod', 15: 'pch', 16: 'csr',
  23: 'sub', 28: 'fcnt', 29: 'ts', 30: 'tsi', 48: 'crs',
};

/** Which parent types a new resource may have (ACME: INVALID_CHILD_RESOURCE_TYPE otherwise). */
const ALLOWED_PARENTS: Record<number, number[]> = {
  1: [5, 2, 16],
  2: [5],
  3: [5, 2, 3, 16],
  4: [3],
  9: [5, 2, 16],
  14: [5],
  15: [2, 16],
  16: [5],
  23: [5, 2, 3, 16, 1, 9, 14, 28, 29],
  28: [5, 2, 3, 16, 28],
  29: [5, 2, 3, 16],
  30: [29],
  48: [5, 2, 16],
};

/** Attributes an originator may never provide (ACME: NP in CREATE and UPDATE). */
const NEVER_PROVIDED = ['ri', 'pi', 'ct', 'lt', 'ty', 'st', 'cni', 'cbs', 'cs', 'aei'];
const NOT_UPDATABLE = [...NEVER_PROVIDED, 'rn', 'api', 'cr', 'cb', 'csi', 'mgd'];

const HTTP_STATUS: Record<number, number> = {
  1000: 202, 1001: 202, 1002: 202,
  2000: 200, 2001: 201, 2002: 200, 2004: 200,
  4000: 400, 4001: 501, 4004: 404, 4005: 405, 4008: 504, 4015: 415, 4101: 403, 4102: 400,
  4103: 403, 4105: 409, 4107: 403, 4108: 403, 4110: 400, 4117: 403, 4126: 403, 4127: 403,
  5000: 500, 5001: 501, 5103: 404, 5105: 403, 5106: 409, 5107: 404, 5203: 403, 5204: 500,
  5205: 403, 5207: 406,
};

function httpStatusFor(rsc: number): number {
  const s = HTTP_STATUS[rsc];
  if (s !== undefined) return s;
  if (rsc >= 1000 && rsc < 2000) return 202;
  if (rsc >= 2000 && rsc < 3000) return 200;
  if (rsc >= 4000 && rsc < 5000) return 400;
  return 500;
}

/** m2m:timestamp as ACME writes it: `YYYYMMDDThhmmss,ffffff` (UTC). */
export function m2mTimestamp(date: Date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}T` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())},` +
    `${p(date.getUTCMilliseconds(), 3)}000`
  );
}

const TIMESTAMP_RE = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d{1,9}))?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses an m2m:timestamp (ISO 8601 basic; like ACME's isodate also extended form, `.` fractions, ignored zone). */
export function parseM2mTimestamp(s: string): number | undefined {
  const m = TIMESTAMP_RE.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(se) > 60) return undefined;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  return Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(se), ms);
}

function randomId(len = 10): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

function randomDigits(len = 10): string {
  let s = String(randomInt(1, 10));
  for (let i = 1; i < len; i++) s += String(randomInt(0, 10));
  return s;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T extends JsonValue>(v: T): T {
  return structuredClone(v);
}

// Floats as ACME (Python) keeps them: a JSON number written with a fraction or
// an exponent is a float, `5.0` included, and comes back as written. Kept here
// as a `{"\u0001float": "<lexeme>"}` member, written back as the bare lexeme.
// Independent of the bridge's own float handling on purpose.
const FAKE_FLOAT = '\u0001float';

/** JSON text → data; numbers with a fraction or exponent become float markers. */
function parseJsonKeepingFloats(text: string): unknown {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (m === null) continue;
      if (m[1] !== undefined || m[2] !== undefined) {
        out += text.slice(last, i) + JSON.stringify({ [FAKE_FLOAT]: m[0] });
        last = i + m[0].length;
      }
      i += m[0].length - 1;
    }
  }
  return JSON.parse(last === 0 ? text : out + text.slice(last));
}

function isFakeFloat(v: unknown): boolean {
  return isObject(v) && typeof v[FAKE_FLOAT] === 'string';
}

const FAKE_FLOAT_JSON = /\{"\\u0001float":"([^"]*)"\}/g;

/** Data → JSON text with every float marker written as its lexeme. */
function stringifyKeepingFloats(v: JsonValue): string {
  return JSON.stringify(v).replace(FAKE_FLOAT_JSON, '$1');
}

function byteSize(con: JsonValue): number {
  return Buffer.byteLength(typeof con === 'string' ? con : stringifyKeepingFloats(con), 'utf8');
}

/** ACME's toHttpUrl: escape `///` → `/_/`, else `//` → `/~/` anywhere in the path. */
export function acmeToHttpUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^?#]*)(.*)$/i.exec(url);
  if (!m) return url;
  let path = m[2];
  if (path.includes('///')) path = path.split('///').join('/_/');
  else if (path.includes('//')) path = path.split('//').join('/~/');
  return m[1] + path + m[3];
}

class OneM2mError extends Error {
  constructor(readonly rsc: number, message: string) {
    super(message);
  }
}

interface Res {
  ty: number;
  ri: string;
  rn: string;
  srn: string;
  parent: string | null;
  children: string[];
  attrs: JsonObject;
  /** Creation sequence number (stable ordering for `la`/`ol`). */
  seq: number;
}

type Originator =
  | { kind: 'admin' | 'cse'; id: string }
  | { kind: 'ae'; id: string }
  | { kind: 'csr'; id: string }
  | { kind: 'unknown'; id: string };

interface ParsedRequest {
  op: number;
  to: string;
  fr: string | undefined;
  rqi: string;
  rvi: string;
  ty: number | undefined;
  pc: JsonObject | undefined;
  query: URLSearchParams;
}

interface Outcome {
  rsc: number;
  pc?: JsonObject;
  contentLocation?: string;
}

const cborEncoder = new Encoder({ useRecords: false, mapsAsObjects: true });

// ---------------------------------------------------------------------------

export async function startFakeCse(options: FakeCseOptions = {}): Promise<FakeCse> {
  const cse = new FakeCseImpl(options);
  await cse.listen();
  return cse;
}

class FakeCseImpl implements FakeCse {
  readonly cseId: string;
  readonly csebaseName: string;
  readonly requests: FakeCseRequestRecord[] = [];
  readonly notifications: FakeNotificationRecord[] = [];
  readonly resources: FakeCseResources;

  private readonly admin: string;
  private readonly verify: boolean;
  private readonly notifyTimeoutMs: number;
  private readonly releaseVersion: string;
  private readonly contentLocationMode: 'acme' | 'always';
  private readonly connectionClose: boolean;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly agent: Agent;
  private readonly store = new Map<string, Res>();
  private readonly aeIds = new Set<string>();
  private readonly csrIds = new Map<string, string>(); // csi (`/id-mn`) → ri
  private readonly queues = new Map<string, Promise<void>>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;
  private delayMs = 0;
  private down = false;
  private closed = false;
  private _port = 0;

  constructor(options: FakeCseOptions) {
    this.cseId = (options.cseId ?? 'id-in').replace(/^\//, '');
    this.csebaseName = options.csebaseName ?? 'cse-in';
    this.admin = options.adminOriginator ?? 'CAdmin';
    this.verify = options.verifySubscriptions ?? true;
    this.connectionClose = options.connectionClose ?? false;
    this.notifyTimeoutMs = options.notifyTimeoutMs ?? 2000;
    this.releaseVersion = options.releaseVersion ?? '5';
    this.contentLocationMode = options.contentLocation ?? 'acme';
    this.agent = new Agent({
      headersTimeout: this.notifyTimeoutMs,
      bodyTimeout: this.notifyTimeoutMs,
      connectTimeout: this.notifyTimeoutMs,
    });
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    const now = m2mTimestamp();
    const cb: Res = {
      ty: 5,
      ri: this.cseId,
      rn: this.csebaseName,
      srn: this.csebaseName,
      parent: null,
      children: [],
      seq: this.seq++,
      attrs: {
        rn: this.csebaseName,
        ty: 5,
        ri: this.cseId,
        pi: '',
        ct: now,
        lt: now,
        cst: 1,
        csi: `/${this.cseId}`,
        srt: [1, 2, 3, 4, 5, 9, 14, 15, 16, 23, 28, 29, 30, 48],
        poa: [],
        srv: [...SUPPORTED_RVI],
        csz: ['application/json', 'application/cbor'],
      },
    };
    this.store.set(cb.ri, cb);
    this.resources = {
      get: (id) => {
        const r = this.lookup(id);
        return r ? this.view(r) : undefined;
      },
      children: (id) => {
        const r = this.lookup(id);
        return r ? r.children.map((c) => this.view(this.store.get(c) as Res)) : [];
      },
      all: () => [...this.store.values()].map((r) => this.view(r)),
      aes: () => [...this.aeIds],
      cses: () => [...this.csrIds.keys()],
    };
  }

  get port(): number {
    return this._port;
  }

  get url(): string {
    return `http://127.0.0.1:${this._port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this._port, '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const addr = this.server.address();
    if (addr && typeof addr === 'object') this._port = addr.port;
    const cb = this.store.get(this.cseId) as Res;
    cb.attrs.poa = [this.url];
  }

  setDelay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  async setDown(): Promise<void> {
    if (this.down) return;
    this.down = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async setUp(): Promise<void> {
    if (!this.down) return;
    await this.listen();
    this.down = false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.down) {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
      await closed;
    }
    await this.agent.destroy().catch(() => undefined);
    await Promise.allSettled([...this.queues.values()]);
    for (const w of this.waiters) w();
  }

  async createContentInstance(containerPath: string, con: JsonValue, attributes: JsonObject = {}): Promise<JsonObject> {
    const target = this.resolveTarget(containerPath);
    if (!target.res || target.virtual) throw new Error(`no such container: ${containerPath}`);
    const out = await this.create(
      { op: 1, to: containerPath, fr: this.admin, rqi: `fake-${randomId(6)}`, rvi: '3', ty: 4, pc: { 'm2m:cin': { ...attributes, con } }, query: new URLSearchParams() },
      { kind: 'admin', id: this.admin },
      target.res,
    );
    const cin = out.pc?.['m2m:cin'];
    if (!isObject(cin)) throw new Error(`CIN creation failed: ${out.rsc}`);
    return cin;
  }

  waitForNotifications(n: number, timeoutMs = 5000): Promise<FakeNotificationRecord[]> {
    return new Promise((resolve, reject) => {
      if (this.notifications.length >= n) {
        resolve(this.notifications);
        return;
      }
      const check = (): void => {
        if (this.notifications.length >= n || this.closed) {
          clearTimeout(timer);
          this.waiters.delete(check);
          if (this.notifications.length >= n) resolve(this.notifications);
          else reject(new Error(`fake CSE closed with ${this.notifications.length} of ${n} notifications`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${n} notifications (have ${this.notifications.length})`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  async idle(): Promise<void> {
    while (true) {
      const pending = [...this.queues.values()];
      await Promise.allSettled(pending);
      if ([...this.queues.values()].every((p) => pending.includes(p))) return;
    }
  }

  // -------------------------------------------------------------------------
  // HTTP front

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return;
    }
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    this.requests.push({ method: req.method ?? '', path: req.url ?? '/', headers, body, time: Date.now() });

    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.down || this.closed) {
      req.socket.destroy();
      return;
    }

    const rqi = headers['x-m2m-ri'] ?? '';
    const rvi = headers['x-m2m-rvi'] ?? '';
    const accept = this.acceptSerialization(headers['accept']);
    let outcome: Outcome;
    let op = 0;
    try {
      const parsed = this.parseHttp(req.method ?? '', req.url ?? '/', headers, body);
      op = parsed.op;
      outcome = await this.dispatch(parsed);
    } catch (err) {
      if (err instanceof OneM2mError) outcome = { rsc: err.rsc, pc: { 'm2m:dbg': err.message } };
      else outcome = { rsc: 5000, pc: { 'm2m:dbg': `internal error: ${(err as Error).message}` } };
    }

    const out: Record<string, string> = {
      Server: 'FakeCSE',
      'X-M2M-RSC': String(outcome.rsc),
      'X-M2M-RI': rqi,
      'X-M2M-OT': m2mTimestamp(),
    };
    if (rvi) out['X-M2M-RVI'] = rvi;
    if (headers['x-m2m-vsi']) out['X-M2M-VSI'] = headers['x-m2m-vsi'];
    if (headers['x-m2m-rst']) out['X-M2M-RST'] = headers['x-m2m-rst'];
    let payload: Buffer | undefined;
    if (outcome.pc) {
      payload = accept === 'cbor' ? Buffer.from(cborEncoder.encode(outcome.pc)) : Buffer.from(stringifyKeepingFloats(outcome.pc));
      out['Content-Type'] = accept === 'cbor' ? 'application/cbor' : 'application/json';
      out['Content-Length'] = String(payload.length);
    } else {
      out['Content-Length'] = '0';
    }
    if (op === 1 && outcome.contentLocation) out['Content-Location'] = outcome.contentLocation;
    if (this.connectionClose) out['Connection'] = 'close';
    if (res.destroyed || res.writableEnded) return;
    try {
      res.writeHead(httpStatusFor(outcome.rsc), out);
      res.end(payload);
    } catch {
      // client went away
    }
  }

  /** ACME: first Accept entry that is not `*\/*`; cbor only for a bare cbor media type. */
  private acceptSerialization(accept: string | undefined): 'json' | 'cbor' {
    if (!accept) return 'json';
    const first = accept.split(',').map((a) => a.trim()).find((a) => a && !a.startsWith('*/*'));
    if (first === 'application/cbor' || first === 'application/vnd.onem2m-res+cbor') return 'cbor';
    return 'json';
  }

  private parseHttp(method: string, rawUrl: string, headers: Record<string, string>, body: Buffer): ParsedRequest {
    const qIndex = rawUrl.indexOf('?');
    const rawPath = qIndex >= 0 ? rawUrl.slice(0, qIndex) : rawUrl;
    const query = new URLSearchParams(qIndex >= 0 ? rawUrl.slice(qIndex + 1) : '');

    // Content-Type (ACME _dissectHttpRequest): only `ty` may follow the media type.
    let serialization: 'json' | 'cbor' | undefined;
    let ty: number | undefined;
    const ct = headers['content-type'];
    if (ct !== undefined) {
      const parts = ct.split(';');
      const media = parts[0].trim().toLowerCase();
      if (media === 'application/json' || media === 'application/vnd.onem2m-res+json') serialization = 'json';
      else if (media === 'application/cbor' || media === 'application/vnd.onem2m-res+cbor') serialization = 'cbor';
      if (serialization) {
        for (const param of parts.slice(1)) {
          const m = /^\s*ty\s*=\s*(.*)$/i.exec(param);
          const value = m ? m[1].trim() : param.slice(param.indexOf('=') + 1).trim();
          if (!m || !/^-?\d+$/.test(value)) throw new OneM2mError(4000, `invalid arguments/attributes: resource type must be an integer: ${value}`);
          ty = Number(value);
        }
      }
    }

    let op: number;
    switch (method) {
      case 'GET': op = 2; break;
      case 'PUT': op = 3; break;
      case 'DELETE': op = 4; break;
      case 'POST': op = ct !== undefined && ct.split(';').slice(1).some((s) => /^\s*ty\s*=/i.test(s)) ? 1 : 5; break;
      default: throw new OneM2mError(4005, `method not allowed: ${method}`);
    }

    // Same order as ACME fillAndValidateCSERequest: rqi, rvi, originator, ot, rqet/rset.
    const rqi = headers['x-m2m-ri'];
    if (!rqi) throw new OneM2mError(4000, 'invalid arguments/attributes: request identifier parameter is mandatory in request');
    const rvi = headers['x-m2m-rvi'];
    if (!rvi) throw new OneM2mError(4001, "invalid arguments/attributes: release Version Indicator is missing in request, falling back to RVI='1'. But Release Version '1' is not supported");
    if (!SUPPORTED_RVI.includes(rvi)) throw new OneM2mError(4001, `invalid arguments/attributes: release version unsupported: ${rvi}`);
    const fr = headers['x-m2m-origin'];
    if (!fr && !(op === 1 && ty === 2)) throw new OneM2mError(4000, 'invalid arguments/attributes: from/originator parameter is mandatory in request');
    if (op !== 1 && ty !== undefined) throw new OneM2mError(4000, 'invalid arguments/attributes: resource type parameter is only allowed in CREATE');
    const ot = headers['x-m2m-ot'];
    if (ot && parseM2mTimestamp(ot) === undefined) throw new OneM2mError(4000, 'invalid arguments/attributes: error in provided Originating Timestamp');
    for (const [name, label] of [['x-m2m-ret', 'request'], ['x-m2m-rst', 'result']] as const) {
      const v = headers[name];
      if (!v) continue;
      const abs = /^\d+$/.test(v) ? Date.now() + Number(v) : parseM2mTimestamp(v);
      if (abs === undefined) throw new OneM2mError(4000, `invalid arguments/attributes: error in provided ${label} expiration timestamp`);
      if (abs < Date.now()) throw new OneM2mError(4008, `${label} timeout reached: ${v}`);
    }

    let pc: JsonObject | undefined;
    if (op === 1 || op === 3 || op === 5) {
      if (body.length === 0) throw new OneM2mError(4000, 'missing content');
      let decoded: unknown;
      try {
        decoded = serialization === 'cbor' ? cborEncoder.decode(body) : parseJsonKeepingFloats(body.toString('utf8'));
      } catch (err) {
        throw new OneM2mError(4000, `cannot parse content: ${(err as Error).message}`);
      }
      if (!isObject(decoded)) throw new OneM2mError(4000, 'content must be an object');
      pc = decoded;
    }

    // Request-Target → `to` (ACME fromHttpURL).
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw new OneM2mError(4000, 'invalid path encoding');
    }
    let to: string;
    if (path.startsWith('/~/')) to = path.slice(2);
    else if (path.startsWith('/_/')) to = `//${path.slice(3)}`;
    else to = path.slice(1);
    if (to.endsWith('/') && to.length > 1) to = to.replace(/\/+$/, '');

    return { op, to, fr: fr === undefined || fr === '' ? undefined : fr, rqi, rvi, ty, pc, query };
  }

  // -------------------------------------------------------------------------
  // Dispatch

  private async dispatch(req: ParsedRequest): Promise<Outcome> {
    const target = this.resolveTarget(req.to);
    if (!target.res) throw new OneM2mError(4004, `resource not found: ${req.to}`);

    // AE / remoteCSE registration is decided before access control.
    if (req.op === 1 && req.ty === undefined) throw new OneM2mError(4000, 'invalid arguments/attributes: resource type is missing');
    if (req.op === 1 && (req.ty === 2 || req.ty === 16)) {
      if (target.virtual) throw new OneM2mError(4005, 'operation not allowed on a virtual resource');
      return req.ty === 2 ? this.registerAe(req, target.res) : this.registerCsr(req, target.res);
    }

    const originator = this.classify(req.fr);
    if (originator.kind === 'unknown') {
      throw new OneM2mError(4103, `originator has no privilege: ${req.fr ?? '(none)'} is not registered`);
    }
    this.checkAccess(originator, req.op, target.res);

    if (target.virtual) return this.virtualOperation(req, target.res, target.virtual, originator);

    switch (req.op) {
      case 1: return this.create(req, originator, target.res);
      case 2: return this.retrieve(req, target.res);
      case 3: return this.update(req, originator, target.res);
      case 4: return this.remove(req, originator, target.res);
      default: return this.notifyCse(req, target.res);
    }
  }

  private classify(fr: string | undefined): Originator {
    if (fr === undefined || fr === '') return { kind: 'unknown', id: '' };
    if (fr === this.admin) return { kind: 'admin', id: fr };
    if (fr === this.cseId || fr === `/${this.cseId}`) return { kind: 'cse', id: fr };
    let id = fr;
    if (id.startsWith('//')) {
      const i = id.indexOf('/', 2);
      id = i >= 0 ? id.slice(i) : '';
    }
    const own = `/${this.cseId}/`;
    if (id.startsWith(own)) id = id.slice(own.length);
    if (this.aeIds.has(id)) return { kind: 'ae', id };
    if (id.startsWith('/') && this.aeIds.has(id.slice(1)) && id.slice(1).startsWith('S')) return { kind: 'ae', id: id.slice(1) };
    if (id.startsWith('/')) {
      const csi = `/${id.split('/')[1]}`;
      if (this.csrIds.has(csi)) return { kind: 'csr', id: csi };
    }
    return { kind: 'unknown', id: fr };
  }

  /** Simplified ACME access control: own subtree = everything; elsewhere CREATE, RETRIEVE, NOTIFY. */
  private checkAccess(originator: Originator, op: number, target: Res): void {
    if (originator.kind === 'admin' || originator.kind === 'cse') return;
    const owner = this.ownerOf(target);
    if (owner !== undefined && owner === originator.id) return;
    if (op === 1 || op === 2 || op === 5) return;
    throw new OneM2mError(4103, `originator has no privilege: ${originator.id} may not ${['', 'CREATE', 'RETRIEVE', 'UPDATE', 'DELETE', 'NOTIFY'][op]} ${target.srn}`);
  }

  /** The registree (AE-ID or CSE-ID) whose subtree holds the resource. */
  private ownerOf(r: Res): string | undefined {
    let cur: Res | undefined = r;
    while (cur) {
      if (cur.ty === 2) return String(cur.attrs.aei);
      if (cur.ty === 16) return String(cur.attrs.csi);
      cur = cur.parent ? this.store.get(cur.parent) : undefined;
    }
    return undefined;
  }

  // -------------------------------------------------------------------------
  // Addressing

  /** Maps any ID form to a CSE-relative one; undefined when it names another CSE. */
  private toCseRelative(id: string): string | undefined {
    let to = id;
    if (to.startsWith('//')) {
      const i = to.indexOf('/', 2);
      if (i < 0) return undefined;
      to = to.slice(i);
    }
    if (to.startsWith('/')) {
      const own = `/${this.cseId}`;
      if (to === own) return this.cseId;
      if (to.startsWith(`${own}/`)) return to.slice(own.length + 1);
      // SP-relative SP-assigned AE-ID (`/Sxxx`)
      const stem = to.slice(1);
      if (this.aeIds.has(stem) && stem.startsWith('S')) return stem;
      return undefined;
    }
    return to;
  }

  private resolveTarget(id: string): { res?: Res; virtual?: 'la' | 'ol' } {
    const rel = this.toCseRelative(id);
    if (rel === undefined || rel === '') return {};
    const segments = rel.split('/').filter((s) => s !== '');
    if (segments.length === 0) return {};
    const first = segments[0];
    let cur: Res | undefined;
    if (first === this.csebaseName || first === '-') {
      cur = this.store.get(this.cseId);
    } else {
      cur = this.store.get(first);
    }
    if (!cur) return {};
    for (let i = 1; i < segments.length; i++) {
      const name = segments[i];
      const child: Res | undefined = cur.children.map((c) => this.store.get(c) as Res).find((c) => c.rn === name);
      if (child) {
        cur = child;
        continue;
      }
      if (i === segments.length - 1 && (name === 'la' || name === 'ol') && (cur.ty === 3 || cur.ty === 29)) {
        return { res: cur, virtual: name };
      }
      return {};
    }
    return { res: cur };
  }

  private lookup(id: string): Res | undefined {
    const t = this.resolveTarget(id);
    if (!t.res) return undefined;
    if (t.virtual) return this.latestOrOldest(t.res, t.virtual);
    return t.res;
  }

  private view(r: Res): FakeResource {
    return { ty: r.ty, ri: r.ri, path: r.srn, key: this.keyOf(r), attributes: clone(r.attrs) };
  }

  private keyOf(r: Res): string {
    return `m2m:${SHORT_NAMES[r.ty] ?? 'unknown'}`;
  }

  private wrap(r: Res): JsonObject {
    return { [this.keyOf(r)]: clone(r.attrs) };
  }

  private childrenOf(r: Res): Res[] {
    return r.children.map((c) => this.store.get(c)).filter((c): c is Res => c !== undefined);
  }

  private latestOrOldest(cnt: Res, which: 'la' | 'ol'): Res | undefined {
    const instances = this.childrenOf(cnt).filter((c) => c.ty === 4 || c.ty === 30);
    if (instances.length === 0) return undefined;
    return which === 'la' ? instances[instances.length - 1] : instances[0];
  }

  // -------------------------------------------------------------------------
  // Registration

  private registerAe(req: ParsedRequest, parent: Res): Outcome {
    if (parent.ty !== 5) throw new OneM2mError(4108, 'invalid child resource type: an AE can only be created under the CSEBase');
    const body = this.contentFor(req, 2);
    const rcn = this.rcnFor(req, [0, 1, 2, 3], 1);

    let aei: string;
    const fr = req.fr ?? '';
    if (fr === '' || fr === 'C') aei = `C${randomId(12)}`;
    else if (fr === 'S') aei = `S${randomId(12)}`;
    else if (fr.startsWith('C') || fr.startsWith('S')) {
      if (fr.includes('/')) throw new OneM2mError(4000, `invalid originator: ${fr}`);
      aei = fr;
    } else if (fr.startsWith(`/${this.cseId}/C`)) {
      aei = fr.slice(this.cseId.length + 2);
    } else {
      throw new OneM2mError(4126, `app rule validation failed: originator not allowed: ${fr}`);
    }
    if (this.aeIds.has(aei) || this.store.has(aei)) {
      throw new OneM2mError(4117, `originator has already registered: ${aei}`);
    }

    const api = body.api;
    if (typeof api !== 'string' || api.length < 2) throw new OneM2mError(4000, 'invalid arguments/attributes: attribute "api" is mandatory');
    if (!['2a', '3'].includes(req.rvi) && !/^[RN]/.test(api)) {
      throw new OneM2mError(4000, `invalid arguments/attributes: wrong format for "api": must start with "R" or "N": ${api}`);
    }
    if (body.rr === undefined || body.rr === null) throw new OneM2mError(4000, 'invalid arguments/attributes: attribute "rr" is mandatory');
    if (typeof body.rr !== 'boolean') throw new OneM2mError(4000, 'invalid arguments/attributes: attribute "rr" must be a boolean');
    this.checkListOfStrings(body, ['poa', 'srv', 'lbl', 'acpi', 'csz']);
    if (Array.isArray(body.srv)) {
      for (const v of body.srv) {
        if (!SUPPORTED_RVI.includes(String(v))) throw new OneM2mError(4000, `invalid arguments/attributes: unsupported release version in "srv": ${String(v)}`);
      }
    }

    const attrs: JsonObject = { ...clone(body) };
    attrs.aei = aei;
    const r = this.insert(parent, 2, aei, body.rn ?? aei, attrs, 'ae');
    this.aeIds.add(aei);
    this.fireChildCreated(parent, r, fr || aei);
    return this.createdOutcome(r, rcn);
  }

  private registerCsr(req: ParsedRequest, parent: Res): Outcome {
    if (parent.ty !== 5) throw new OneM2mError(4108, 'invalid child resource type: a remoteCSE can only be created under the CSEBase');
    const body = this.contentFor(req, 16);
    const rcn = this.rcnFor(req, [0, 1, 2, 3], 1);
    const csiRaw = body.csi;
    if (typeof csiRaw !== 'string' || csiRaw === '') throw new OneM2mError(4000, 'invalid arguments/attributes: attribute "csi" is mandatory');
    const csi = csiRaw.startsWith('/') ? csiRaw : `/${csiRaw}`;
    if (typeof body.cb !== 'string') throw new OneM2mError(4000, 'invalid arguments/attributes: attribute "cb" is mandatory');
    if (typeof body.rr !== 'boolean') throw new OneM2mError(4000, 'invalid arguments/attributes: attribute "rr" is mandatory');
    const fr = req.fr ?? '';
    if (fr !== csi && fr !== csi.slice(1)) throw new OneM2mError(4000, `originator must be the registering CSE's CSE-ID: ${fr} != ${csi}`);
    if (csi === `/${this.cseId}`) throw new OneM2mError(4000, 'a CSE cannot register to itself');
    if (this.csrIds.has(csi)) throw new OneM2mError(4117, `originator has already registered: ${csi}`);
    this.checkListOfStrings(body, ['poa', 'srv', 'lbl', 'acpi', 'csz', 'dcse']);
    const attrs: JsonObject = { ...clone(body), csi };
    const ri = csi.slice(1);
    if (this.store.has(ri)) throw new OneM2mError(4105, `resource already exists: ${ri}`);
    const r = this.insert(parent, 16, ri, body.rn ?? ri, attrs, 'csr');
    this.csrIds.set(csi, r.ri);
    this.fireChildCreated(parent, r, fr);
    return this.createdOutcome(r, rcn);
  }

  // -------------------------------------------------------------------------
  // CRUD

  private contentFor(req: ParsedRequest, ty: number): JsonObject {
    const short = SHORT_NAMES[ty];
    if (!short) throw new OneM2mError(4000, `unsupported resource type: ${ty}`);
    const pc = req.pc ?? {};
    const keys = Object.keys(pc);
    const key = `m2m:${short}`;
    if (keys.length !== 1 || keys[0] !== key) {
      throw new OneM2mError(4000, `invalid arguments/attributes: content must have exactly one member "${key}" for ty=${ty} (got ${keys.join(', ') || 'none'})`);
    }
    const body = pc[key];
    if (!isObject(body)) throw new OneM2mError(4000, `invalid arguments/attributes: "${key}" must be an object`);
    for (const a of ty === 16 ? NEVER_PROVIDED : [...NEVER_PROVIDED, 'csi']) {
      if (a in body) throw new OneM2mError(4000, `invalid arguments/attributes: attribute "${a}" is not allowed`);
    }
    if (body.rn !== undefined && (typeof body.rn !== 'string' || !/^[A-Za-z0-9\-._~]+$/.test(body.rn) || body.rn === 'la' || body.rn === 'ol')) {
      throw new OneM2mError(4000, `invalid arguments/attributes: invalid resource name: ${JSON.stringify(body.rn)}`);
    }
    return body;
  }

  private checkListOfStrings(body: JsonObject, names: string[]): void {
    for (const n of names) {
      const v = body[n];
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) {
        throw new OneM2mError(4000, `invalid arguments/attributes: attribute "${n}" must be a list of strings`);
      }
    }
  }

  private rcnFor(req: ParsedRequest, allowed: number[], dflt: number): number {
    const raw = req.query.get('rcn');
    if (raw === null) return dflt;
    if (!/^\d+$/.test(raw)) throw new OneM2mError(4000, `invalid arguments/attributes: rcn must be an integer: ${raw}`);
    const rcn = Number(raw);
    if (!allowed.includes(rcn)) throw new OneM2mError(4000, `invalid arguments/attributes: rcn ${rcn} is not allowed for this operation`);
    return rcn;
  }

  private insert(parent: Res, ty: number, ri: string, rnIn: JsonValue | undefined, attrs: JsonObject, short: string): Res {
    const rn = typeof rnIn === 'string' ? rnIn : `${short}_${randomId(8)}`;
    if (this.childrenOf(parent).some((c) => c.rn === rn)) throw new OneM2mError(4105, `conflict: a resource with the name "${rn}" already exists`);
    if (this.store.has(ri)) throw new OneM2mError(4105, `conflict: resource ID already exists: ${ri}`);
    const now = m2mTimestamp();
    const et = m2mTimestamp(new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000));
    const full: JsonObject = { rn, ty, ri, pi: parent.ri, ct: now, lt: now, et, ...attrs };
    full.rn = rn;
    full.ty = ty;
    full.ri = ri;
    full.pi = parent.ri;
    const r: Res = { ty, ri, rn, srn: `${parent.srn}/${rn}`, parent: parent.ri, children: [], attrs: full, seq: this.seq++ };
    this.store.set(ri, r);
    parent.children.push(ri);
    return r;
  }

  private createdOutcome(r: Res, rcn: number): Outcome {
    let pc: JsonObject | undefined;
    switch (rcn) {
      case 0: pc = undefined; break;
      case 2: pc = { 'm2m:uri': r.srn }; break;
      case 3: pc = { 'm2m:rce': { [SHORT_NAMES[r.ty] ?? 'unknown']: clone(r.attrs), uri: r.srn } }; break;
      default: pc = this.wrap(r);
    }
    const contentLocation = rcn === 2 || rcn === 3 || this.contentLocationMode === 'always' ? r.srn : undefined;
    return { rsc: 2001, pc, contentLocation };
  }

  private async create(req: ParsedRequest, originator: Originator, parent: Res): Promise<Outcome> {
    const ty = req.ty as number;
    const body = this.contentFor(req, ty);
    const rcn = this.rcnFor(req, [0, 1, 2, 3, 9], 1);
    const allowedParents = ALLOWED_PARENTS[ty];
    if (allowedParents && !allowedParents.includes(parent.ty)) {
      throw new OneM2mError(4108, `invalid child resource type: ${SHORT_NAMES[ty]} under ${SHORT_NAMES[parent.ty] ?? parent.ty}`);
    }
    if (parent.ty === 4) throw new OneM2mError(4108, 'invalid child resource type: contentInstance has no children');
    this.checkListOfStrings(body, ['lbl', 'acpi']);
    const attrs: JsonObject = clone(body);
    const creator = originator.kind === 'cse' ? `/${this.cseId}` : originator.id;
    if ('cr' in attrs) {
      if (attrs.cr !== null) throw new OneM2mError(4000, 'invalid arguments/attributes: "cr" must be null in CREATE');
      attrs.cr = creator;
    }
    const short = SHORT_NAMES[ty];
    const ri = `${short}${randomDigits(10)}`;

    switch (ty) {
      case 3: {
        this.checkContainerLimits(attrs);
        attrs.cni = 0;
        attrs.cbs = 0;
        attrs.st = 0;
        break;
      }
      case 4: {
        if (!('con' in attrs)) throw new OneM2mError(4000, 'invalid arguments/attributes: attribute "con" is mandatory');
        attrs.cs = byteSize(attrs.con as JsonValue);
        const mbs = parent.attrs.mbs;
        if (typeof mbs === 'number' && (attrs.cs as number) > mbs) throw new OneM2mError(5207, 'not acceptable: contentInstance is larger than the container\'s mbs');
        attrs.st = (typeof parent.attrs.st === 'number' ? parent.attrs.st : 0) + 1;
        break;
      }
      case 23: {
        const nu = attrs.nu;
        if (!Array.isArray(nu) || nu.length === 0 || nu.some((u) => typeof u !== 'string' || u === '')) {
          throw new OneM2mError(4000, 'invalid arguments/attributes: attribute "nu" is mandatory and must be a non-empty list');
        }
        const enc = isObject(attrs.enc) ? attrs.enc : {};
        if (enc.net === undefined) enc.net = [1];
        if (!Array.isArray(enc.net) || enc.net.some((n) => typeof n !== 'number')) throw new OneM2mError(4000, 'invalid arguments/attributes: "enc/net" must be a list of integers');
        attrs.enc = enc;
        if (attrs.nct === undefined) attrs.nct = 1;
        if (typeof attrs.nct !== 'number' || ![1, 2, 3].includes(attrs.nct)) {
          throw new OneM2mError(attrs.nct === 4 || attrs.nct === 5 ? 5001 : 4000, `invalid arguments/attributes: unsupported "nct": ${JSON.stringify(attrs.nct)}`);
        }
        if (attrs.su !== undefined && typeof attrs.su !== 'string') throw new OneM2mError(4000, 'invalid arguments/attributes: "su" must be a string');
        break;
      }
      default:
        break;
    }

    // SUB: the resource ID exists before verification (sur names it), but the
    // resource is only stored when every verification succeeded (ACME).
    if (ty === 23) {
      if (this.childrenOf(parent).some((c) => c.rn === attrs.rn)) throw new OneM2mError(4105, `conflict: a resource with the name "${String(attrs.rn)}" already exists`);
      const nus = attrs.nu as string[];
      for (const nu of nus) await this.verifyTarget(ri, nu, req.fr ?? creator);
    }

    const r = this.insert(parent, ty, ri, attrs.rn, attrs, short);
    if (ty === 4) {
      parent.attrs.cni = (typeof parent.attrs.cni === 'number' ? parent.attrs.cni : 0) + 1;
      parent.attrs.cbs = (typeof parent.attrs.cbs === 'number' ? parent.attrs.cbs : 0) + (attrs.cs as number);
      parent.attrs.st = attrs.st as number;
      parent.attrs.lt = r.attrs.ct as string;
      this.enforceContainerLimits(parent, req.fr ?? creator);
    }
    this.fireChildCreated(parent, r, req.fr ?? creator);
    return this.createdOutcome(r, rcn === 9 ? 1 : rcn);
  }

  private enforceContainerLimits(cnt: Res, originator: string): void {
    const mni = cnt.attrs.mni;
    const mbs = cnt.attrs.mbs;
    while (true) {
      const instances = this.childrenOf(cnt).filter((c) => c.ty === 4);
      const count = instances.length;
      const bytes = instances.reduce((s, c) => s + (typeof c.attrs.cs === 'number' ? c.attrs.cs : 0), 0);
      const over = (typeof mni === 'number' && count > mni) || (typeof mbs === 'number' && bytes > mbs);
      if (!over || instances.length === 0) break;
      this.deleteSubtree(instances[0], originator);
    }
  }

  private retrieve(req: ParsedRequest, target: Res): Outcome {
    const fu = req.query.get('fu');
    if (fu === '1') return this.discover(req, target);
    const rcn = this.rcnFor(req, [1, 4, 5, 6, 8], 1);
    const lvlRaw = req.query.get('lvl');
    const lvl = lvlRaw !== null && /^\d+$/.test(lvlRaw) ? Number(lvlRaw) : Infinity;
    const atrl = req.query.get('atrl');
    let attrs = clone(target.attrs);
    if (atrl !== null) {
      const names = atrl.split(/\s+/).filter(Boolean);
      for (const n of names) if (!(n in attrs)) throw new OneM2mError(4000, `invalid arguments/attributes: unknown attribute in atrl: ${n}`);
      attrs = Object.fromEntries(names.map((n) => [n, attrs[n]])) as JsonObject;
    }
    switch (rcn) {
      case 4: return { rsc: 2000, pc: { [this.keyOf(target)]: { ...attrs, ...this.nestedChildren(target, lvl) } } };
      case 8: return { rsc: 2000, pc: { [this.keyOf(target)]: this.nestedChildren(target, lvl) } };
      case 5: return { rsc: 2000, pc: { [this.keyOf(target)]: { ...attrs, ch: this.childRefs(target) } } };
      case 6: return { rsc: 2000, pc: { 'm2m:rrl': { rrf: this.childRefs(target) } } };
      default: return { rsc: 2000, pc: { [this.keyOf(target)]: attrs } };
    }
  }

  private nestedChildren(r: Res, lvl: number): JsonObject {
    const out: JsonObject = {};
    if (lvl <= 0) return out;
    for (const c of this.childrenOf(r)) {
      const key = this.keyOf(c);
      const entry: JsonObject = { ...clone(c.attrs), ...this.nestedChildren(c, lvl - 1) };
      const list = out[key];
      if (Array.isArray(list)) list.push(entry);
      else out[key] = [entry];
    }
    return out;
  }

  private childRefs(r: Res): JsonValue[] {
    return this.childrenOf(r).map((c) => ({ nm: c.rn, typ: c.ty, val: c.srn }));
  }

  private discover(req: ParsedRequest, target: Res): Outcome {
    const multi = (name: string): string[] => req.query.getAll(name).flatMap((v) => v.split(/\s+/)).filter(Boolean);
    const tys = multi('ty').map(Number);
    if (tys.some((t) => !Number.isInteger(t))) throw new OneM2mError(4000, 'invalid arguments/attributes: ty must be an integer');
    const lbls = multi('lbl');
    const limRaw = req.query.get('lim');
    const lim = limRaw !== null ? Number(limRaw) : Infinity;
    if (limRaw !== null && (!Number.isInteger(lim) || lim < 0)) throw new OneM2mError(4000, 'invalid arguments/attributes: lim must be a non-negative integer');
    const lvlRaw = req.query.get('lvl');
    const lvl = lvlRaw !== null ? Number(lvlRaw) : Infinity;
    const drt = req.query.get('drt') ?? '1';
    const fo = req.query.get('fo') ?? '1';
    const result: string[] = [];
    const visit = (r: Res, depth: number): void => {
      for (const c of this.childrenOf(r)) {
        if (result.length >= lim) return;
        const tyOk = tys.length === 0 || tys.includes(c.ty);
        const labels = Array.isArray(c.attrs.lbl) ? c.attrs.lbl.map(String) : [];
        const lblOk = lbls.length === 0 || lbls.some((l) => labels.includes(l));
        const conditions = [tys.length > 0 ? tyOk : undefined, lbls.length > 0 ? lblOk : undefined].filter((x): x is boolean => x !== undefined);
        const match = conditions.length === 0 || (fo === '2' ? conditions.some(Boolean) : conditions.every(Boolean));
        if (match) result.push(drt === '2' ? c.ri : c.srn);
        if (depth < lvl) visit(c, depth + 1);
      }
    };
    visit(target, 1);
    return { rsc: 2000, pc: { 'm2m:uril': result.slice(0, lim === Infinity ? undefined : lim) } };
  }

  private update(req: ParsedRequest, originator: Originator, target: Res): Promise<Outcome> {
    if (target.ty === 5) throw new OneM2mError(4005, 'operation not allowed: the CSEBase cannot be updated');
    if (target.ty === 4) throw new OneM2mError(4005, 'operation not allowed: a contentInstance cannot be updated');
    const rcn = this.rcnFor(req, [0, 1, 9], 1);
    const pc = req.pc ?? {};
    const key = this.keyOf(target);
    const keys = Object.keys(pc);
    if (keys.length !== 1 || keys[0] !== key) throw new OneM2mError(4000, `invalid arguments/attributes: content must have exactly one member "${key}"`);
    const body = pc[key];
    if (!isObject(body)) throw new OneM2mError(4000, `invalid arguments/attributes: "${key}" must be an object`);
    for (const a of NOT_UPDATABLE) {
      if (a in body) throw new OneM2mError(4000, `invalid arguments/attributes: attribute "${a}" cannot be updated`);
    }
    if (target.ty === 3) this.checkContainerLimits(body);
    if (target.ty === 2) {
      if ('rr' in body && typeof body.rr !== 'boolean') throw new OneM2mError(4000, 'invalid arguments/attributes: "rr" must be a boolean');
      this.checkListOfStrings(body, ['poa', 'srv', 'lbl', 'acpi', 'csz']);
    }
    const previousNus = target.ty === 23 && Array.isArray(target.attrs.nu) ? target.attrs.nu.map(String) : [];
    if (target.ty === 23 && 'nu' in body) {
      const nu = body.nu;
      if (!Array.isArray(nu) || nu.length === 0 || nu.some((u) => typeof u !== 'string')) throw new OneM2mError(4000, 'invalid arguments/attributes: "nu" must be a non-empty list');
    }
    return this.applyUpdate(req, originator, target, body, previousNus, rcn);
  }

  private async applyUpdate(req: ParsedRequest, originator: Originator, target: Res, body: JsonObject, previousNus: string[], rcn: number): Promise<Outcome> {
    if (target.ty === 23 && Array.isArray(body.nu)) {
      const creator = typeof target.attrs.cr === 'string' ? target.attrs.cr : req.fr ?? originator.id;
      for (const nu of body.nu.map(String)) {
        if (!previousNus.includes(nu)) await this.verifyTarget(target.ri, nu, req.fr ?? creator);
      }
    }
    const modified: JsonObject = {};
    for (const [k, v] of Object.entries(body)) {
      if (v === null) delete target.attrs[k];
      else target.attrs[k] = clone(v);
      modified[k] = clone(v);
    }
    target.attrs.lt = m2mTimestamp();
    if (target.ty === 3) target.attrs.st = (typeof target.attrs.st === 'number' ? target.attrs.st : 0) + 1;
    modified.lt = target.attrs.lt;
    if (target.ty === 3) {
      this.enforceContainerLimits(target, req.fr ?? originator.id);
    }
    this.fireEvent(target, 1, target, modified);
    let pc: JsonObject | undefined;
    if (rcn === 1) pc = this.wrap(target);
    else if (rcn === 9) pc = { [this.keyOf(target)]: modified };
    return { rsc: 2004, pc };
  }

  /** mni, mbs, mia: non-negative integers; `5.0` is refused as ACME does (4000 "invalid type: float"). */
  private checkContainerLimits(attrs: JsonObject): void {
    for (const n of ['mni', 'mbs', 'mia']) {
      const v = attrs[n];
      if (isFakeFloat(v)) throw new OneM2mError(4000, `invalid arguments/attributes: invalid type: float for attribute "${n}"`);
      if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new OneM2mError(4000, `invalid arguments/attributes: "${n}" must be a non-negative integer`);
    }
  }

  private remove(req: ParsedRequest, originator: Originator, target: Res): Outcome {
    // ACME: a DELETE with atrl is refused and deletes nothing (testMisc.test_partialDeleteCSEBaseFail).
    if (req.query.has('atrl')) throw new OneM2mError(4000, 'invalid arguments/attributes: Partial retrieve is only valid for RETRIEVE');
    if (target.ty === 5) throw new OneM2mError(4005, 'operation not allowed: the CSEBase cannot be deleted');
    const rcn = this.rcnFor(req, [0, 1], 0);
    const pc = rcn === 1 ? this.wrap(target) : undefined;
    this.deleteSubtree(target, req.fr ?? originator.id);
    return { rsc: 2002, pc };
  }

  private deleteSubtree(r: Res, originator: string, top = true): void {
    // net 2 (delete of the subscribed resource) goes out before the subscriptions
    // themselves are removed (they are children of r and die with it).
    for (const sub of this.subscriptionsOf(r)) {
      const enc = isObject(sub.attrs.enc) ? sub.attrs.enc : {};
      const nets = Array.isArray(enc.net) ? enc.net : [1];
      if (!nets.includes(2)) continue;
      const sgn: JsonObject = { nev: { net: 2, rep: this.representation(sub, r) }, sur: `/${this.cseId}/${sub.ri}` };
      if (typeof sub.attrs.cr === 'string') sgn.cr = sub.attrs.cr;
      const nus = Array.isArray(sub.attrs.nu) ? sub.attrs.nu.map(String) : [];
      const subRi = sub.ri;
      for (const nu of nus) this.enqueue(subRi, () => this.deliver('notification', subRi, nu, { 'm2m:sgn': clone(sgn) }));
    }
    for (const c of [...this.childrenOf(r)]) this.deleteSubtree(c, originator, false);
    const parent = r.parent ? this.store.get(r.parent) : undefined;
    this.store.delete(r.ri);
    if (parent) {
      parent.children = parent.children.filter((c) => c !== r.ri);
      if (r.ty === 4 && parent.ty === 3) {
        parent.attrs.cni = Math.max(0, (typeof parent.attrs.cni === 'number' ? parent.attrs.cni : 1) - 1);
        parent.attrs.cbs = Math.max(0, (typeof parent.attrs.cbs === 'number' ? parent.attrs.cbs : 0) - (typeof r.attrs.cs === 'number' ? r.attrs.cs : 0));
      }
    }
    if (r.ty === 2) this.aeIds.delete(String(r.attrs.aei));
    if (r.ty === 16) this.csrIds.delete(String(r.attrs.csi));
    if (r.ty === 23) {
      // ACME removeSubscription: deletion notification to the subscriberURI only
      const su = r.attrs.su;
      const subRi = r.ri;
      if (typeof su === 'string' && su !== '') {
        this.enqueue(subRi, () => this.deliver('deletion', subRi, su, { 'm2m:sgn': { sud: true, sur: `/${this.cseId}/${subRi}` } }));
      }
    }
    if (parent && top) this.fireEvent(parent, 4, r, undefined, originator);
  }

  private virtualOperation(req: ParsedRequest, cnt: Res, which: 'la' | 'ol', originator: Originator): Outcome {
    const inst = this.latestOrOldest(cnt, which);
    if (req.op === 2) {
      if (!inst) throw new OneM2mError(4004, `resource not found: ${which} (container is empty)`);
      return { rsc: 2000, pc: this.wrap(inst) };
    }
    if (req.op === 4) {
      if (!inst) throw new OneM2mError(4004, `resource not found: ${which} (container is empty)`);
      const pc = this.rcnFor(req, [0, 1], 0) === 1 ? this.wrap(inst) : undefined;
      this.deleteSubtree(inst, req.fr ?? originator.id);
      return { rsc: 2002, pc };
    }
    throw new OneM2mError(4005, `operation not allowed on <${which}>`);
  }

  private async notifyCse(req: ParsedRequest, target: Res): Promise<Outcome> {
    if (target.ty === 5) return { rsc: 2000 };
    if (target.ty === 2 || target.ty === 16) {
      // ACME forwards a NOTIFY addressed to a registree to that registree's poa.
      const fr = req.fr ?? '';
      const origin = fr.startsWith('/') ? fr : `/${this.cseId}/${fr}`;
      const rec = await this.deliver('forward', '', req.to, req.pc ?? {}, origin);
      if (rec.status === undefined) throw new OneM2mError(rec.result, `target not reachable: ${rec.error ?? req.to}`);
      if (!rec.accepted) throw new OneM2mError(rec.result, rec.error ?? 'bad response');
      let pc: JsonObject | undefined;
      if (rec.responseBody && rec.responseBody.length > 0) {
        try {
          const parsed: unknown = JSON.parse(rec.responseBody.toString('utf8'));
          if (isObject(parsed)) pc = parsed;
        } catch {
          pc = undefined;
        }
      }
      return { rsc: rec.result, pc };
    }
    throw new OneM2mError(4004, `target is not a notification target: ${target.srn}`);
  }

  // -------------------------------------------------------------------------
  // Subscriptions and notifications

  private subscriptionsOf(r: Res): Res[] {
    return this.childrenOf(r).filter((c) => c.ty === 23);
  }

  private fireChildCreated(parent: Res, child: Res, originator: string): void {
    this.fireEvent(parent, 3, child, undefined, originator);
  }

  /**
   * Sends notifications for an event on `resource` (net 1 update, 3 child created,
   * 4 child deleted) to the subscriptions that are children of `resource`.
   */
  private fireEvent(resource: Res, net: number, subject: Res, modified?: JsonObject, _originator?: string): void {
    for (const sub of this.subscriptionsOf(resource)) {
      if (sub.ri === subject.ri) continue; // ACME: no own notifications for the sub itself
      const enc = isObject(sub.attrs.enc) ? sub.attrs.enc : {};
      const nets = Array.isArray(enc.net) ? enc.net : [1];
      if (!nets.includes(net)) continue;
      if ((net === 3 || net === 4) && Array.isArray(enc.chty) && enc.chty.length > 0 && !enc.chty.includes(subject.ty)) continue;
      if (net === 1 && Array.isArray(enc.atr) && enc.atr.length > 0 && modified && !enc.atr.some((a) => typeof a === 'string' && a in modified)) continue;
      const rep = this.representation(sub, subject, modified);
      const sgn: JsonObject = { nev: { net, rep }, sur: `/${this.cseId}/${sub.ri}` };
      if (typeof sub.attrs.cr === 'string') sgn.cr = sub.attrs.cr;
      const body: JsonObject = { 'm2m:sgn': sgn };
      const nus = Array.isArray(sub.attrs.nu) ? sub.attrs.nu.map(String) : [];
      const subRi = sub.ri;
      for (const nu of nus) this.enqueue(subRi, () => this.deliver('notification', subRi, nu, clone(body)));
    }
  }

  /** `nev/rep` by the subscription's nct (1 all attributes, 2 modified attributes, 3 resource ID). */
  private representation(sub: Res, subject: Res, modified?: JsonObject): JsonObject {
    const nct = typeof sub.attrs.nct === 'number' ? sub.attrs.nct : 1;
    if (nct === 3) return { 'm2m:uri': subject.ri };
    if (nct === 2 && modified) return { [this.keyOf(subject)]: clone(modified) };
    return this.wrap(subject);
  }

  private enqueue(key: string, job: () => Promise<unknown>): void {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(job).then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  /** Verification request during SUB CREATE/UPDATE; throws 5204 on any failure (ACME). */
  private async verifyTarget(subRi: string, nu: string, originator: string): Promise<void> {
    if (!this.verify) return;
    if (this.sameId(nu, originator)) return; // ACME skips the subscription's own originator
    const sgn: JsonObject = { vrq: true, sur: `/${this.cseId}/${subRi}` };
    if (originator) sgn.cr = originator;
    const rec = await this.deliver('verification', subRi, nu, { 'm2m:sgn': sgn });
    if (rec.result !== 2000) {
      throw new OneM2mError(5204, `subscription verification initiation failed: verification request failed for: ${nu} (${rec.result}${rec.error ? `: ${rec.error}` : ''})`);
    }
  }

  /** ACME compareIDs, roughly: equal after mapping both to CSE-relative form. */
  private sameId(a: string, b: string): boolean {
    if (a === b) return true;
    if (/^[a-z]+:\/\//i.test(a) || /^[a-z]+:\/\//i.test(b)) return false;
    const ra = this.toCseRelative(a);
    const rb = this.toCseRelative(b);
    return ra !== undefined && ra === rb;
  }

  /** Resolves a notification target to the URLs ACME would POST to. */
  private resolveNotificationUrls(nu: string): { urls: string[]; rvi: string; error?: string } {
    if (/^https?:\/\//i.test(nu)) return { urls: [acmeToHttpUrl(nu)], rvi: this.releaseVersion };
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(nu)) return { urls: [], rvi: this.releaseVersion, error: `unsupported scheme in notification target: ${nu}` };
    let entity: Res | undefined;
    const rel = this.toCseRelative(nu);
    if (rel !== undefined) {
      const t = this.resolveTarget(nu);
      if (t.res && !t.virtual) entity = t.res;
    } else {
      // SP-relative ID of another CSE: a registered remoteCSE or something under it
      const csi = `/${nu.replace(/^\/\/[^/]*/, '').split('/')[1] ?? ''}`;
      const ri = this.csrIds.get(csi);
      if (ri) entity = this.store.get(ri);
    }
    if (!entity) return { urls: [], rvi: this.releaseVersion, error: `notification target not found: ${nu}` };
    if (entity.ty !== 2 && entity.ty !== 16) return { urls: [], rvi: this.releaseVersion, error: `notification target has no poa: ${nu}` };
    const srv = Array.isArray(entity.attrs.srv) ? entity.attrs.srv.map(String).filter((v) => SUPPORTED_RVI.includes(v)) : [];
    const rvi = srv.length > 0 ? srv.sort((x, y) => SUPPORTED_RVI.indexOf(x) - SUPPORTED_RVI.indexOf(y))[srv.length - 1] : this.releaseVersion;
    if (entity.attrs.rr !== true) return { urls: [], rvi, error: `target is not request reachable (rr=false) and has no <pch>: ${nu}` };
    const poas = Array.isArray(entity.attrs.poa) ? entity.attrs.poa.map(String) : [];
    const urls = poas
      .filter((p) => /^https?:\/\//i.test(p))
      .map((p) => acmeToHttpUrl(`${p.endsWith('/') ? p : `${p}/`}${nu}`));
    if (urls.length === 0) return { urls: [], rvi, error: `target has no http poa: ${nu}` };
    return { urls, rvi };
  }

  /** Sends one NOTIFY the way ACME does and records the outcome by ACME's rules. */
  private async deliver(kind: FakeNotificationKind, subRi: string, nu: string, body: JsonObject, origin = `/${this.cseId}`): Promise<FakeNotificationRecord> {
    const { urls, rvi, error } = this.resolveNotificationUrls(nu);
    const rqi = randomId(16);
    const payload = stringifyKeepingFloats(body);
    const headers: Record<string, string> = {
      date: new Date().toUTCString(),
      'user-agent': 'FakeCSE',
      'content-type': 'application/json',
      'cache-control': 'no-cache',
      'x-m2m-origin': origin,
      'x-m2m-ri': rqi,
      'x-m2m-rvi': rvi,
      'x-m2m-ot': m2mTimestamp(),
    };
    const base = { kind, subscription: subRi, target: nu, headers, body, time: Date.now() };
    if (urls.length === 0 || this.closed) {
      return this.record({ ...base, url: '', accepted: false, result: 5103, error: error ?? 'fake CSE closed' });
    }
    let last: FakeNotificationRecord | undefined;
    for (const url of urls) {
      last = await this.post(url, headers, payload, base);
      if (last.status !== undefined) break; // got an HTTP answer; ACME stops here
    }
    return this.record(last as FakeNotificationRecord);
  }

  private async post(
    url: string,
    headers: Record<string, string>,
    payload: string,
    base: Omit<FakeNotificationRecord, 'url' | 'accepted' | 'result'>,
  ): Promise<FakeNotificationRecord> {
    try {
      const res = await undiciRequest(url, {
        method: 'POST',
        headers,
        body: payload,
        dispatcher: this.agent,
        headersTimeout: this.notifyTimeoutMs,
        bodyTimeout: this.notifyTimeoutMs,
      });
      const responseBody = Buffer.from(await res.body.arrayBuffer());
      const h = (n: string): string | undefined => {
        const v = res.headers[n];
        return Array.isArray(v) ? v[0] : v;
      };
      const rscHeader = h('x-m2m-rsc');
      const ri = h('x-m2m-ri');
      const ot = h('x-m2m-ot');
      const rsc = rscHeader !== undefined && /^\d+$/.test(rscHeader.trim()) ? Number(rscHeader) : undefined;
      const rec: FakeNotificationRecord = { ...base, url, status: res.statusCode, rsc, ri, ot, responseBody, accepted: true, result: 0 };
      if (ot !== undefined && parseM2mTimestamp(ot) === undefined) {
        rec.accepted = false;
        rec.result = 4000;
        rec.error = `received wrong format for X-M2M-OT: ${ot}`;
      } else if (ri !== headers['x-m2m-ri']) {
        rec.accepted = false;
        rec.result = 4000;
        rec.error = `received wrong or missing request identifier: ${ri ?? '(none)'}`;
      } else if (res.statusCode === 401) {
        rec.result = 5000;
      } else {
        rec.result = rsc ?? 5000;
      }
      return rec;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const timeout = /TIMEOUT/i.test(code);
      return { ...base, url, accepted: false, result: timeout ? 4008 : 5103, error: `${code || 'error'}: ${(err as Error).message}` };
    }
  }

  private record(rec: FakeNotificationRecord): FakeNotificationRecord {
    this.notifications.push(rec);
    for (const w of [...this.waiters]) w();
    return rec;
  }
}
