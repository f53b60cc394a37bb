// CSE → registree. An HTTP request on the downlink door for `/r/<key>`
// becomes a request primitive on the registree's WebSocket; its response
// primitive becomes the HTTP answer (DESIGN 4, ref B11).
import type { Logger } from 'pino';
import { BridgeError, bridgeError, errorMessage } from '../errors.js';
import type { ContentCodec } from '../primitive/codec.js';
import { ResponseTypeValue, Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive, Serialization } from '../primitive/types.js';
import { parseContentType } from '../http/content-type.js';
import type { DownlinkHttpRequest, DownlinkHttpResponse } from '../http/downlink-server.js';
import { fromHttpRequest } from '../http/from-http-request.js';
import { toHttpResponse } from '../http/to-http-response.js';
import type { Store, QueueLimits, Registration } from '../store/store.js';
import type { QueueEvent } from '../metrics/metrics.js';
import { DEFAULT_RVI, codedResponse, responseForError } from '../http/error-answer.js';
import { decideOffline, expiryOf } from './offline-policy.js';
import type { QueueDelivery } from './queue-delivery.js';
import type { Registry } from './registry.js';
import type { Cluster } from '../cluster/cluster.js';
import type { WsSession } from '../ws/ws-session.js';
import { ThrottledLog } from '../log.js';
import { requestLine } from './request-log.js';

export interface DownlinkOptions {
  store: Store;
  registry: Registry;
  logger: Logger;
  timeoutMs: number;
  /** Serialization of answers when the CSE's request names none. */
  defaultSerialization: Serialization;
  contentFor(s: Serialization): ContentCodec | undefined;
  delivery: QueueDelivery;
  /** Where registrees bound on other replicas are (SingleNode: nowhere else). */
  cluster: Cluster;
  /** rsc that acknowledges a stored NOTIFY (--offline-ack). */
  offlineAck: number;
  autoVerify: boolean;
  queueTtlMs: number;
  limits: QueueLimits;
  onPrimitive?(op: number, rsc: number, seconds: number): void;
  onQueueEvent?(event: QueueEvent, n?: number): void;
}

/** A failure of the store (or of Redis routing) that every request would hit while it lasts. */
function isStoreFailure(err: unknown): err is BridgeError {
  return err instanceof BridgeError && (err.code === 'BRIDGE_ERR_STORE_UNAVAILABLE' || err.code === 'BRIDGE_ERR_STORE');
}

export class Downlink {
  private readonly o: DownlinkOptions;
  /** Store failures: a line per kind and second with a count, not one per request. */
  private readonly storeFailures: ThrottledLog;
  /** Requests from the CSE that are not a readable primitive (issue 17: Mobius's short Content-Length cuts the body). */
  private readonly unreadable: ThrottledLog;

  constructor(options: DownlinkOptions) {
    this.o = options;
    this.storeFailures = new ThrottledLog(options.logger);
    this.unreadable = new ThrottledLog(options.logger);
  }

  readonly handle = async (key: string, http: DownlinkHttpRequest): Promise<DownlinkHttpResponse> => {
    const started = process.hrtime.bigint();
    const content = this.answerCodec(http);
    const headerRqi = http.headers['x-m2m-ri'];
    const rqi = typeof headerRqi === 'string' ? headerRqi : '';
    const rvi = typeof http.headers['x-m2m-rvi'] === 'string' ? http.headers['x-m2m-rvi'] : DEFAULT_RVI;

    const session = this.o.registry.sessionForKey(key);
    let reg;
    try {
      reg = session?.registration ?? (await this.o.store.getRegistrationByKey(key));
    } catch (err) {
      this.storeFailures.error(`lookup ${err instanceof BridgeError ? err.code : 'BRIDGE_ERR_STORE'}`, { rqi, err: errorMessage(err) }, 'store lookup for a downlink request failed');
      const rsp = err instanceof BridgeError ? responseForError({ rqi, rvi }, err) : codedResponse(rqi, 'BRIDGE_ERR_STORE', 'the bridge cannot read its store', rvi);
      return toHttpResponse(rsp, content, rqi);
    }
    if (reg === undefined) {
      if (this.o.logger.isLevelEnabled('debug')) this.o.logger.debug({ direction: 'downlink', key, rqi, rsc: Rsc.NOT_FOUND }, 'CSE request for an unknown key answered');
      return toHttpResponse(codedResponse(rqi, 'BRIDGE_ERR_UNKNOWN_KEY', `no registree is known under /r/${key}`, rvi), content, rqi);
    }
    let req: RequestPrimitive;
    try {
      req = fromHttpRequest({ method: http.method, path: http.path, headers: http.headers, body: http.body }, reg.id, this.o.contentFor);
    } catch (err) {
      this.unreadable.warn('unreadable', { door: 'downlink', rqi, registree: reg.id, method: http.method, err: errorMessage(err) }, 'request from the CSE is not a readable primitive: answered 4000');
      return toHttpResponse(responseForError({ rqi, rvi }, err), content, rqi);
    }
    let rsp: ResponsePrimitive | null;
    try {
      rsp = await this.route(reg, req);
    } catch (err) {
      if (isStoreFailure(err)) this.storeFailures.error(`route ${err.code}`, { rqi: req.rqi, registree: reg.id, err: err.message }, 'routing a downlink request failed');
      else if (!(err instanceof BridgeError)) this.o.logger.error({ rqi: req.rqi, registree: reg.id, err: String(err) }, 'downlink request failed');
      rsp = responseForError(req, err);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.o.onPrimitive?.(req.op, rsp?.rsc ?? 0, seconds);
    // The hot path builds no log object unless debug is on.
    if (this.o.logger.isLevelEnabled('debug')) this.o.logger.debug(requestLine('downlink', req, rsp, seconds, reg.id), 'CSE request answered');
    // rt=5 (noResponse): written or stored is all the CSE hears — 204 without oneM2M headers, as ACME answers (ref A7).
    if (rsp === null) return { status: 204, headers: {} };
    return toHttpResponse(rsp, content, req.rqi);
  };

  /** Bound here: send it down; bound on another replica: route it there (DESIGN 6); else offline. */
  private async route(reg: Registration, req: RequestPrimitive): Promise<ResponsePrimitive | null> {
    const session = this.o.registry.sessionForId(reg.id);
    if (session === undefined) {
      const routed = await this.o.cluster.route(reg.id, req, this.o.timeoutMs);
      if (routed.routed) return noResponse(req) && routed.rsp.rsc < 4000 ? null : routed.rsp;
      // Routing awaited Redis: the registree may have bound here meanwhile.
      return this.deliverHere(reg, req, this.o.registry.sessionForId(reg.id));
    }
    return this.deliverHere(reg, req, session);
  }

  /**
   * A request for a registree, never routed further: to its socket when it is
   * bound on this replica and can take it, else by the offline rules (DESIGN 4).
   */
  private async deliverHere(reg: Registration, req: RequestPrimitive, session: WsSession | undefined): Promise<ResponsePrimitive | null> {
    const rsp = await this.deliverOrStore(reg, req, session);
    // rt=5 (noResponse): once written or stored the CSE gets 204 at once; refusals keep their answer.
    return noResponse(req) && rsp !== null && rsp.rsc < 4000 ? null : rsp;
  }

  private async deliverOrStore(reg: Registration, req: RequestPrimitive, session: WsSession | undefined): Promise<ResponsePrimitive | null> {
    if (session === undefined || session.closed) return this.offline(reg, req);
    // Backpressure (issue 13): a registree that has enough waiting on its
    // connection is treated as offline for this request.
    const busy = session.downlinkRefusal();
    if (busy === undefined && !this.o.delivery.isDraining(session)) return this.send(session, req);
    // Its stored requests are still being delivered (or it is busy): only what
    // would be stored queues behind them, so the order holds (DESIGN 4).
    const decision = decideOffline(req, this.o.autoVerify);
    if (decision.action !== 'store' && busy === undefined) return this.send(session, req);
    const rsp = await this.offline(reg, req, busy);
    this.o.delivery.kick(session);
    return rsp;
  }

  /** To the online registree: rt=5 is written and not waited for (null), anything else waits for its answer. */
  private send(session: WsSession, req: RequestPrimitive): Promise<ResponsePrimitive | null> {
    if (!noResponse(req)) return session.request(req, this.o.timeoutMs);
    session.sendNoResponse(req);
    return Promise.resolve(null);
  }

  /** A request another replica routed here for registree `id` (DESIGN 6). */
  // Counted in primitives_total by the replica the CSE asked, not here too.
  readonly deliverRouted = async (id: string, req: RequestPrimitive): Promise<ResponsePrimitive> => {
    try {
      const reg = this.o.registry.sessionForId(id)?.registration ?? (await this.o.store.getRegistration(id));
      if (reg === undefined) return codedResponse(req.rqi, 'BRIDGE_ERR_UNKNOWN_KEY', `no registree ${id} is known`, req.rvi ?? DEFAULT_RVI);
      // rt=5: the replica the CSE asked answers 204 itself; this only says it was written or stored.
      return (await this.deliverHere(reg, req, this.o.registry.sessionForId(id))) ?? { rsc: Rsc.OK, rqi: req.rqi, rvi: req.rvi ?? DEFAULT_RVI };
    } catch (err) {
      return responseForError(req, err);
    }
  };

  /**
   * DESIGN 4 table: store a NOTIFY durably, answer a verification, or refuse.
   * `busy`: the registree is online, but its connection takes no more now (why).
   */
  private async offline(reg: Registration, req: RequestPrimitive, busy?: string): Promise<ResponsePrimitive> {
    const rvi = req.rvi ?? DEFAULT_RVI;
    const decision = decideOffline(req, this.o.autoVerify);
    if (decision.action === 'refuse') {
      if (busy !== undefined) return codedResponse(req.rqi, 'BRIDGE_ERR_REGISTREE_BUSY', `registree ${reg.id} takes no more requests now: ${busy}; only notifications are stored`, rvi);
      return codedResponse(req.rqi, 'BRIDGE_ERR_OFFLINE_NOT_STORED', `${decision.reason} (${reg.id})`, rvi);
    }
    if (decision.action === 'verify') return { rsc: Rsc.OK, rqi: req.rqi, rvi };
    const now = Date.now();
    const expiresAt = expiryOf(req, now, this.o.queueTtlMs);
    if (expiresAt <= now) return codedResponse(req.rqi, 'BRIDGE_ERR_OFFLINE_EXPIRED', 'request expired (rqet) before it could be stored', rvi);
    const bytes = estimateBytes(req);
    let result;
    try {
      result = await this.o.store.enqueue(reg.id, { request: req, bytes, expiresAt, sur: decision.sur, replaceSameSur: decision.latest }, this.o.limits);
    } catch (err) {
      // Redis away, also in the middle of this request: 5103 like any unreachable target; else 5000.
      const unavailable = err instanceof BridgeError && err.code === 'BRIDGE_ERR_STORE_UNAVAILABLE';
      this.storeFailures.error(`store ${unavailable ? 'BRIDGE_ERR_STORE_UNAVAILABLE' : 'BRIDGE_ERR_STORE'}`, { registree: reg.id, rqi: req.rqi, err: String(err) }, 'storing a request failed');
      return unavailable
        ? codedResponse(req.rqi, 'BRIDGE_ERR_STORE_UNAVAILABLE', `registree ${reg.id} is offline and the store is unreachable: request not stored`, rvi)
        : codedResponse(req.rqi, 'BRIDGE_ERR_STORE', 'request could not be stored', rvi);
    }
    if (!result.stored) {
      this.o.onQueueEvent?.('refused');
      // TS-0004 Annex H: when the buffer is full the newest request is the one refused.
      return codedResponse(req.rqi, 'BRIDGE_ERR_QUEUE_FULL', `registree ${reg.id} is offline and its queue is full (${result.reason})`, rvi);
    }
    this.o.onQueueEvent?.('stored');
    // Bound on another replica since we looked: that one delivers it (DESIGN 6).
    this.o.cluster.stored(reg.id);
    if (result.replaced > 0) this.o.onQueueEvent?.('replaced', result.replaced);
    return { rsc: this.o.offlineAck, rqi: req.rqi, rvi };
  }

  /** Answer in what the CSE asked for (Accept), else what it sent, else the configured format. */
  private answerCodec(http: DownlinkHttpRequest): ContentCodec {
    for (const header of [http.headers.accept, http.headers['content-type']]) {
      if (typeof header !== 'string') continue;
      const first = header.split(',')[0];
      const s = parseContentType(first).serialization;
      const codec = s === undefined ? undefined : this.o.contentFor(s);
      if (codec !== undefined) return codec;
    }
    const fallback = this.o.contentFor(this.o.defaultSerialization);
    if (fallback === undefined) throw bridgeError('BRIDGE_ERR_CONFIG', 'no codec for the default serialization');
    return fallback;
  }
}

/** Size accounted against the queue caps: the request's bytes as JSON (UTF-8, not UTF-16 units: issue 14). */
function estimateBytes(req: RequestPrimitive): number {
  return Buffer.byteLength(JSON.stringify(req));
}

/** TS-0004 6.3.4.2.6: rt.rtv = 5 expects no response. */
function noResponse(req: RequestPrimitive): boolean {
  return req.rt?.rtv === ResponseTypeValue.NoResponse;
}
