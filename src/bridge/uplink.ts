// Registree → CSE. Every request a connection sends passes the registration
// gate (TS-0020 6.4, DESIGN 3), goes to the CSE over HTTP, and gets exactly one
// response (none for rt.rtv = 5).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { PoaMode } from '../config/config.js';
import { BridgeError, bridgeError } from '../errors.js';
import { UpstreamError } from '../http/upstream-client.js';
import type { PrimitiveDecodeError } from '../errors.js';
import { Operation, ResponseTypeValue, Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';
import type { Registration, Store } from '../store/store.js';
import type { SessionHandler, WsSession } from '../ws/ws-session.js';
import { responseForError } from './error-response.js';
import { originatorAllowed } from './access.js';
import { addressesOwnResource, mayActAs, originatorCandidates, registrationKind, registreeFromResponse, withRewrittenPoa } from './registration.js';
import type { Registry } from './registry.js';

/** What the uplink needs from the upstream CSE client. */
export interface UpstreamSender {
  send(req: RequestPrimitive): Promise<ResponsePrimitive | null>;
}

export interface UplinkOptions {
  upstream: UpstreamSender;
  store: Store;
  registry: Registry;
  logger: Logger;
  poaMode: PoaMode;
  /** DESIGN 3: with true, a registree is bound only by the client certificate it registered with. */
  identityTls: boolean;
  allowOriginator: ReadonlySet<string>;
  /** `<downlink-url>/r/` — the key is appended. */
  downlinkBase(): string;
  /** Observers for metrics; all optional. */
  onBound?(session: WsSession, reg: Registration, how: 'registration' | 'originator' | 'handshake'): void;
  /** A registration was stored; isNew is false when it replaced one with the same ID. */
  onRegistered?(reg: Registration, isNew: boolean): void;
  onDeregistered?(reg: Registration): void;
  onPrimitive?(op: number, rsc: number, seconds: number): void;
  onUpstreamError?(kind: string): void;
}

export function newRegistreeKey(): string {
  return randomBytes(12).toString('base64url');
}

export class Uplink implements SessionHandler {
  private readonly o: UplinkOptions;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(options: UplinkOptions) {
    this.o = options;
  }

  async onRequest(session: WsSession, req: RequestPrimitive): Promise<ResponsePrimitive | null> {
    const started = process.hrtime.bigint();
    this.inFlight++;
    // TS-0004 6.3.4.2.6 / ref A7: noResponse gets no answer, not even an error.
    const silent = req.rt?.rtv === ResponseTypeValue.NoResponse;
    let rsp: ResponsePrimitive | null;
    try {
      await session.ready;
      rsp = await this.route(session, req);
    } catch (err) {
      if (err instanceof UpstreamError) this.o.onUpstreamError?.(err.kind);
      if (!(err instanceof BridgeError) || err.rsc >= 5000) {
        this.o.logger.warn({ rqi: req.rqi, registree: session.registreeId, err: err instanceof Error ? err.message : String(err) }, 'uplink request failed');
      }
      rsp = responseForError(req, err);
    } finally {
      if (--this.inFlight === 0) this.wakeIdle();
    }
    this.o.onPrimitive?.(req.op, rsp?.rsc ?? 0, Number(process.hrtime.bigint() - started) / 1e9);
    return silent ? null : rsp;
  }

  /** Resolves when no uplink request is in flight (for a graceful stop). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  onMalformed(session: WsSession, err: PrimitiveDecodeError): void {
    this.o.logger.info({ conn: session.id, registree: session.registreeId, rqi: err.rqi, err: err.message }, 'malformed primitive answered with 4000');
  }

  onUnmatchedResponse(session: WsSession, rsp: ResponsePrimitive): void {
    this.o.logger.info({ conn: session.id, registree: session.registreeId, rqi: rsp.rqi }, 'response matches no request in flight; dropped');
  }

  /** Binds a new connection named by the handshake's X-M2M-Origin to its registration. */
  bindHandshakeOrigin(session: WsSession): void {
    const origin = session.handshakeOrigin;
    if (origin === undefined) return;
    session.ready = this.findRegistration(origin).then(
      (reg) => {
        if (reg === undefined || session.closed) return;
        if (!this.identityMatches(session, reg)) {
          this.o.logger.warn({ conn: session.id, registree: reg.id, remote: session.remoteAddress }, 'handshake names a registree whose certificate this connection does not present; left unbound');
          return;
        }
        this.bind(session, reg, 'handshake');
      },
      (err: unknown) => {
        this.o.logger.warn({ conn: session.id, err: String(err) }, 'registration lookup for handshake origin failed');
      },
    );
  }

  private async route(session: WsSession, req: RequestPrimitive): Promise<ResponsePrimitive | null> {
    const kind = registrationKind(req);
    if (kind !== undefined) return this.register(session, req, kind);

    let reg = session.registration;
    if (reg === undefined) {
      // TS-0020 6.4: before registration only registration requests pass,
      // except originators the operator trusts (--allow-originator).
      if (req.fr !== undefined && this.o.allowOriginator.has(req.fr)) return this.o.upstream.send(req);
      const known = req.fr === undefined ? undefined : await this.findRegistration(req.fr);
      if (known === undefined) {
        throw bridgeError('BRIDGE_ERR_NOT_REGISTERED', 'connection is not bound to a registree: register first (CREATE <AE> ty=2 or <remoteCSE> ty=16) or send as a registered originator (TS-0020 6.4)',
        );
      }
      if (session.closed) throw bridgeError('BRIDGE_ERR_REGISTREE_GONE', 'connection closed');
      if (!this.identityMatches(session, known)) {
        this.o.logger.warn({ conn: session.id, registree: known.id, remote: session.remoteAddress, rqi: req.rqi }, 'request as a registree from a connection without its certificate refused');
        throw bridgeError('BRIDGE_ERR_IDENTITY', `connection does not present the client certificate ${known.id} registered with (--identity tls)`);
      }
      reg = known;
      this.bind(session, reg, 'originator');
    }

    if (req.fr === undefined || req.fr === '') {
      // The connection's identity is known: a bound registree may omit fr.
      req = { ...req, fr: reg.id };
    } else if (!mayActAs(reg, req.fr)) {
      throw bridgeError('BRIDGE_ERR_FOREIGN_ORIGINATOR', `connection is bound to ${reg.id} and may not send as ${req.fr} (TS-0020 6.4)`,
      );
    }

    // Only UPDATE (poa rewrite) and DELETE (deregistration) care whether the target is the registree itself.
    const own = (req.op === Operation.Update || req.op === Operation.Delete) && addressesOwnResource(req.to, reg);
    if (own && req.op === Operation.Update) {
      req = withRewrittenPoa(req, reg.kind, this.o.downlinkBase() + reg.key, this.o.poaMode, true);
    }
    const rsp = await this.o.upstream.send(req);
    if (own && req.op === Operation.Delete && rsp !== null && rsp.rsc === Rsc.DELETED) {
      // TS-0020 6.4: deleting the <AE>/<remoteCSE> ends the registration.
      await this.o.store.deleteRegistration(reg.id);
      await this.o.store.dropQueue(reg.id);
      this.o.registry.unbind(session);
      this.o.logger.info({ conn: session.id, registree: reg.id }, 'registree deregistered');
      this.o.onDeregistered?.(reg);
    }
    return rsp;
  }

  private async register(session: WsSession, req: RequestPrimitive, kind: 'ae' | 'cse'): Promise<ResponsePrimitive | null> {
    const allowed = session.allowedOriginators;
    // With an identity map or credentials the device names who it is up front;
    // a CSE-assigned ID ("C") could not be checked before the CSE creates it.
    if (allowed !== undefined && (req.fr === undefined || req.fr.length < 2 || !originatorAllowed(allowed, req.fr))) {
      this.o.logger.warn({ conn: session.id, fr: req.fr, remote: session.remoteAddress, rqi: req.rqi }, 'registration as an originator this connection may not use refused');
      throw bridgeError('BRIDGE_ERR_IDENTITY', `this connection may register only as ${allowed.join(', ')} (--identity-map / --credentials)`);
    }
    // Without the store the registration could not be kept: refuse before the CSE creates the <AE>.
    if (!this.o.store.available()) throw bridgeError('BRIDGE_ERR_STORE_UNAVAILABLE', `cannot register now: ${this.o.store.description} is unreachable`);
    const previous = req.fr === undefined || req.fr === '' ? undefined : await this.findRegistration(req.fr);
    const key = previous?.key ?? newRegistreeKey();
    const prepared = withRewrittenPoa(req, kind, this.o.downlinkBase() + key, this.o.poaMode, false);
    const rsp = await this.o.upstream.send(prepared);
    if (rsp === null || rsp.rsc !== Rsc.CREATED) return rsp;
    const who = registreeFromResponse(prepared, kind, rsp);
    if (who === undefined) {
      this.o.logger.warn({ conn: session.id, rqi: req.rqi }, 'registration succeeded but the registree ID could not be read (no aei/csi); connection stays unbound');
      return rsp;
    }
    if (allowed !== undefined && !originatorAllowed(allowed, who.id)) {
      this.o.logger.warn({ conn: session.id, registree: who.id }, 'the CSE assigned an ID this connection may not use; connection stays unbound');
      return rsp;
    }
    const reg: Registration = { ...who, key, createdAt: Date.now(), identity: session.identity };
    const isNew = previous?.id !== who.id && (await this.o.store.getRegistration(who.id)) === undefined;
    await this.o.store.putRegistration(reg);
    this.o.onRegistered?.(reg, isNew);
    if (!session.closed) this.bind(session, reg, 'registration');
    return rsp;
  }

  private bind(session: WsSession, reg: Registration, how: 'registration' | 'originator' | 'handshake'): void {
    const replaced = this.o.registry.bind(session, reg);
    this.o.logger.info(
      { conn: session.id, registree: reg.id, subprotocol: session.subprotocol, remote: session.remoteAddress, how, replaced: replaced?.id },
      'connection bound',
    );
    this.o.onBound?.(session, reg, how);
  }

  /**
   * With --identity tls only the certificate a registree registered with may
   * bind it (DESIGN 3); an identity map or credentials narrow it further.
   */
  private identityMatches(session: WsSession, reg: Registration): boolean {
    if (session.allowedOriginators !== undefined && !originatorAllowed(session.allowedOriginators, reg.id)) return false;
    return !this.o.identityTls || (reg.identity !== undefined && reg.identity === session.identity);
  }

  private async findRegistration(fr: string): Promise<Registration | undefined> {
    for (const candidate of originatorCandidates(fr)) {
      const reg = await this.o.store.getRegistration(candidate);
      if (reg !== undefined) return reg;
    }
    return undefined;
  }
}
