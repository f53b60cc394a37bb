// Registree → CSE. Every request a connection sends passes the registration
// gate (TS-0020 6.4, DESIGN 3), goes to the CSE over HTTP, and gets exactly one
// response (none for rt.rtv = 5).
import type { Logger } from 'pino';
import type { TurnBudget } from './turn-budget.js';
import type { PoaMode } from '../config/config.js';
import { BridgeError, bridgeError, errorMessage } from '../errors.js';
import { UpstreamError } from '../http/upstream-client.js';
import type { PrimitiveDecodeError } from '../errors.js';
import { isObject } from '../primitive/is-object.js';
import { Operation, ResponseTypeValue, Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';
import type { Registration, Store } from '../store/store.js';
import type { SessionHandler, WsSession } from '../ws/ws-session.js';
import { responseForError } from '../http/error-answer.js';
import { ThrottledLog } from '../log.js';
import { requestLine } from './request-log.js';
import { originatorAllowed } from './access.js';
import { isAeIdForm, isCseIdForm, parentCseId } from './canonical-id.js';
import { addressesOwnResource, registrationKind, registreeFromResponse, withRewrittenPoa } from './registration.js';
import { newRegistreeKey } from './registree-key.js';
import type { UpstreamCseId } from './upstream-cse-id.js';
import type { Registry } from './registry.js';
import { identityHint, modeInForce } from './identity-mode.js';
import type { IdentityModes } from './identity-mode.js';

/** What the uplink needs from the upstream CSE client. */
export interface UpstreamSender {
  send(req: RequestPrimitive): Promise<ResponsePrimitive | null>;
}

export interface RegistreeRequestsOptions {
  /** Bounded work per event-loop turn (issue 19): a binding by handshake origin takes a unit first. */
  turns?: TurnBudget;
  upstream: UpstreamSender;
  store: Store;
  registry: Registry;
  logger: Logger;
  poaMode: PoaMode;
  /** DESIGN 3: with true, a registree is bound only by the client certificate it registered with. */
  identityTls: boolean;
  /** Which identity settings are on, for the words of refusals (default: identityTls alone). */
  identityModes?: IdentityModes;
  /** --allow-originator entries (IDs or `prefix*` patterns). */
  allowOriginator: readonly string[];
  /** The upstream CSE's CSE-ID/SP-ID: every ID is compared in canonical form (TS-0001 7.2). */
  cse: UpstreamCseId;
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

/** 4103 refusals logged at warn with the remote address (the rest of 4xxx is the client's business). */
const REFUSALS_LOGGED: ReadonlySet<string> = new Set(['BRIDGE_ERR_ID_HELD', 'BRIDGE_ERR_FOREIGN_ORIGINATOR']);

export class RegistreeRequests implements SessionHandler {
  private readonly o: RegistreeRequestsOptions;
  private readonly storeFailures: ThrottledLog;
  /** 5xxx answers of the CSE: a warn line per rsc and second with a count (issue 17). */
  private readonly cseErrors: ThrottledLog;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(options: RegistreeRequestsOptions) {
    this.o = options;
    this.storeFailures = new ThrottledLog(options.logger);
    this.cseErrors = new ThrottledLog(options.logger);
  }

  async onRequest(session: WsSession, req: RequestPrimitive): Promise<ResponsePrimitive | null> {
    const started = process.hrtime.bigint();
    this.inFlight++;
    // TS-0004 6.3.4.2.6 / ref A7: noResponse gets no answer, not even an error.
    const silent = req.rt?.rtv === ResponseTypeValue.NoResponse;
    let rsp: ResponsePrimitive | null;
    /** The answer is the CSE's (not one the bridge made up for a failure or refusal). */
    let fromCse = false;
    try {
      await session.ready;
      rsp = await this.route(session, req);
      fromCse = true;
    } catch (err) {
      if (err instanceof UpstreamError) this.o.onUpstreamError?.(err.kind);
      if (err instanceof BridgeError && (err.code === 'BRIDGE_ERR_STORE' || err.code === 'BRIDGE_ERR_STORE_UNAVAILABLE')) {
        // A store outage fails every request at once: one line per second with a count (issue 13).
        this.storeFailures.error(err.code, { rqi: req.rqi, registree: session.registreeId, err: err.message }, 'device request failed: store');
      } else if (!(err instanceof BridgeError) || err.rsc >= 5000) {
        this.o.logger.warn({ rqi: req.rqi, registree: session.registreeId, err: errorMessage(err) }, 'device request failed');
      } else if (REFUSALS_LOGGED.has(err.code)) {
        // Security refusals are worth an operator's eye (issue 12): who tried to be whom.
        this.o.logger.warn({ conn: session.id, rqi: req.rqi, registree: session.registreeId, fr: req.fr, remote: session.remoteAddress, code: err.code, err: err.message }, 'request refused: originator');
      }
      rsp = responseForError(req, err);
    } finally {
      if (--this.inFlight === 0) this.wakeIdle();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.o.onPrimitive?.(req.op, rsp?.rsc ?? 0, seconds);
    const logger = this.o.logger;
    // The hot path builds no log object unless debug is on.
    if (logger.isLevelEnabled('debug')) logger.debug(requestLine('uplink', req, rsp, seconds, session.registreeId, session.id), 'device request answered');
    // Error answers of the CSE: 4xxx at debug (above), 5xxx also at warn.
    if (fromCse && rsp !== null && rsp.rsc >= 5000) {
      this.cseErrors.warn(`cse ${rsp.rsc}`, { rqi: req.rqi, registree: session.registreeId, op: req.op, to: req.to, rsc: rsp.rsc }, 'the CSE answered a device request with a 5xxx error');
    }
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
    // A reconnect storm's handshakes arrive thousands per poll phase: not all of them look up
    // (a Redis command each) and bind in one turn (issue 19). The lookup waits for its unit.
    const turn = this.o.turns?.take();
    const lookup = turn === undefined ? this.findRegistration(origin) : turn.then(() => (session.closed ? undefined : this.findRegistration(origin)));
    session.ready = lookup.then(
      (reg) => {
        if (reg === undefined || session.closed) return;
        if (!this.identityAllows(session, reg)) {
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
      if (req.fr !== undefined && req.fr !== '' && originatorAllowed(this.o.allowOriginator, req.fr, this.o.cse)) return this.o.upstream.send(req);
      const known = req.fr === undefined || req.fr === '' ? undefined : await this.findRegistration(req.fr);
      if (known === undefined) {
        throw bridgeError('BRIDGE_ERR_NOT_REGISTERED', `connection is not bound to a registree: register first (CREATE <AE> ty=2 or <remoteCSE> ty=16) or send as a registered originator (TS-0020 6.4); ${identityHint(this.modes)}`);
      }
      if (session.closed) throw bridgeError('BRIDGE_ERR_REGISTREE_GONE', 'connection closed');
      if (!this.identityAllows(session, known)) {
        this.o.logger.warn({ conn: session.id, registree: known.id, remote: session.remoteAddress, rqi: req.rqi }, 'request as a registree from a connection without its identity refused');
        throw bridgeError('BRIDGE_ERR_IDENTITY', this.identityRefusal(session, known.id));
      }
      reg = known;
      this.bind(session, reg, 'originator');
    }

    if (req.fr === undefined || req.fr === '') {
      // The connection's identity is known: a bound registree may omit fr.
      req = { ...req, fr: reg.id };
    } else if (!this.mayActAs(reg, req.fr)) {
      throw bridgeError('BRIDGE_ERR_FOREIGN_ORIGINATOR', `connection is bound to ${reg.id} and may not send as ${req.fr} (TS-0020 6.4): send as ${reg.id}, or open a connection of its own for ${req.fr}; ${this.modeText()}`);
    }

    // Only UPDATE (poa rewrite) and DELETE (deregistration) care whether the target is the registree itself.
    const own = (req.op === Operation.Update || req.op === Operation.Delete) && addressesOwnResource(req.to, reg);
    if (own && req.op === Operation.Update) {
      req = withRewrittenPoa(req, reg.kind, this.o.downlinkBase() + reg.key, this.o.poaMode, true);
    }
    const rsp = await this.o.upstream.send(req);
    if (own && req.op === Operation.Delete && rsp !== null && rsp.rsc === Rsc.DELETED) {
      // TS-0020 6.4: deleting the <AE>/<remoteCSE> ends the registration. The CSE's
      // answer stands whatever the store says: the <AE> is gone (issue 14).
      try {
        await this.o.store.deleteRegistration(reg.id);
        await this.o.store.dropQueue(reg.id);
      } catch (err) {
        this.o.logger.error({ conn: session.id, registree: reg.id, err: errorMessage(err) }, 'registree deregistered at the CSE, but the store could not forget it (an operator can DELETE /api/registrees/<id>)');
      }
      this.o.registry.unbind(session);
      this.o.logger.info({ conn: session.id, registree: reg.id }, 'registree deregistered');
      this.o.onDeregistered?.(reg);
    }
    return rsp;
  }

  /**
   * DESIGN 3: a bound AE's requests carry its own ID; a bound CSE's may also
   * come from entities under its own CSE-ID (it relays for them). Those are
   * never registrees of this bridge: an AE registers here only with an ID of
   * the upstream CSE or SP (claimedId). IDs are compared in canonical form.
   */
  private mayActAs(reg: Registration, fr: string): boolean {
    const id = this.o.cse.canonical(fr);
    if (id === reg.id) return true;
    return reg.kind === 'cse' && parentCseId(id) === reg.id;
  }

  /**
   * The ID a registration claims before the CSE sees it (canonical form), or
   * undefined when the CSE is to assign it (`C`, `S` or no fr). Refuses what
   * no connection may claim (DESIGN 3, issue 12).
   */
  private claimedId(req: RequestPrimitive, kind: 'ae' | 'cse'): string | undefined {
    const fr = req.fr ?? '';
    if (kind === 'ae') {
      if (fr === '' || fr === 'C' || fr === 'S') return undefined;
      const claimed = this.o.cse.canonical(fr);
      // TS-0001 7.2: an AE registering here gets an AE-ID of this CSE (C…) or of the SP (S…). An ID under
      // another CSE or SP (/x/Calice) is not one, and a CSE that files it under its last segment (ACME 2026.05.1
      // makes ri "Calice" of it) would hand Calice's notifications to its sender. Without the CSE-ID,
      // /id-in/Calice cannot be told apart from Calice either: fail closed.
      if (!isAeIdForm(claimed) || parentCseId(claimed) !== undefined || claimed.startsWith('//')) {
        const why = this.o.cse.cseId === undefined ? ` (the upstream's CSE-ID is unknown: set --cse-id${claimed.startsWith('//') ? ' and --sp-id' : ''})` : '';
        throw bridgeError('BRIDGE_ERR_ID_HELD', `an AE registers as C…, S… or its AE-ID at this CSE, not as ${fr}${why}; ${this.modeText()}`);
      }
      return claimed;
    }
    // TS-0001 7.2 / TS-0004 7.4.4: a remoteCSE registers with its own CSE-ID as originator and csi.
    const claimed = this.o.cse.canonical(fr);
    if (!isCseIdForm(claimed)) throw bridgeError('BRIDGE_ERR_ID_HELD', `a remoteCSE registers with its own CSE-ID as originator (/<csi>), not ${fr === '' ? 'none' : fr}; ${this.modeText()}`);
    const csr = req.pc?.['m2m:csr'];
    const csi = isObject(csr) ? csr.csi : undefined;
    if (typeof csi === 'string' && this.o.cse.canonical(csi) !== claimed) throw bridgeError('BRIDGE_ERR_ID_HELD', `a remoteCSE may claim only its own CSE-ID: originator ${fr} and csi ${csi} differ; ${this.modeText()}`);
    if (this.o.cse.cseId !== undefined && claimed === this.o.cse.canonical(this.o.cse.cseId)) throw bridgeError('BRIDGE_ERR_ID_HELD', `${claimed} is the upstream CSE's own CSE-ID; ${this.modeText()}`);
    return claimed;
  }

  private async register(session: WsSession, req: RequestPrimitive, kind: 'ae' | 'cse'): Promise<ResponsePrimitive | null> {
    await this.o.cse.ensure();
    const allowed = session.allowedOriginators;
    if (this.o.identityTls && session.identity === undefined) {
      throw bridgeError('BRIDGE_ERR_IDENTITY', `a registration needs a verified client certificate: the registree is tied to it; ${identityHint(this.modes)}`);
    }
    const claimed = this.claimedId(req, kind);
    // With an identity map or credentials the device names who it is up front;
    // a CSE-assigned ID ("C") could not be checked before the CSE creates it.
    if (allowed !== undefined && (claimed === undefined || !originatorAllowed(allowed, claimed, this.o.cse))) {
      this.o.logger.warn({ conn: session.id, fr: req.fr, remote: session.remoteAddress, rqi: req.rqi }, 'registration as an originator this connection may not use refused');
      throw bridgeError('BRIDGE_ERR_IDENTITY', `this connection may register only as ${allowed.join(', ')}, named in its registration's fr (${this.allowedSource()}); ${this.modeText()}`);
    }
    // A registration never takes what belongs to another identity: refused before the CSE sees it.
    const previous = claimed === undefined ? undefined : await this.o.store.getRegistration(claimed);
    if (previous !== undefined && !this.identityAllows(session, previous)) {
      this.o.logger.warn({ conn: session.id, registree: previous.id, remote: session.remoteAddress, rqi: req.rqi }, 'registration as an ID another identity holds refused');
      throw bridgeError('BRIDGE_ERR_ID_HELD', `${previous.id} is held by another identity at this bridge: ${this.identityRefusal(session, previous.id)}`);
    }
    // Without the store the registration could not be kept: refuse before the CSE creates the <AE>.
    if (!this.o.store.available()) throw bridgeError('BRIDGE_ERR_STORE_UNAVAILABLE', `cannot register now: ${this.o.store.description} is unreachable`);
    // A key belongs to one registration for its whole life: never reused, never copied to another ID.
    const key = newRegistreeKey();
    const prepared = withRewrittenPoa(req, kind, this.o.downlinkBase() + key, this.o.poaMode, false);
    const rsp = await this.o.upstream.send(prepared);
    if (rsp === null || rsp.rsc !== Rsc.CREATED) return rsp;
    const who = registreeFromResponse(prepared, kind, rsp);
    if (who === undefined) {
      this.o.logger.warn({ conn: session.id, rqi: req.rqi }, 'registration succeeded but the registree ID could not be read (no aei/csi); connection stays unbound');
      return rsp;
    }
    const id = this.o.cse.canonical(who.id);
    const unbound = (why: string): ResponsePrimitive => {
      this.o.logger.warn({ conn: session.id, registree: id, remote: session.remoteAddress, rqi: req.rqi }, `${why}; connection stays unbound`);
      return rsp;
    };
    if (allowed !== undefined && !originatorAllowed(allowed, id, this.o.cse)) return unbound('the CSE assigned an ID this connection may not use');
    if (kind === 'cse' && id !== claimed) return unbound('the CSE registered a remoteCSE under another CSE-ID than the one claimed');
    if (kind === 'ae' && parentCseId(id) !== undefined) return unbound('the CSE answered with an AE-ID under another CSE');
    const existing = await this.o.store.getRegistration(id);
    if (existing !== undefined && !this.identityAllows(session, existing)) return unbound('the CSE assigned an ID another identity holds at this bridge');
    // A literal, not `{ ...who, … }`: that spread gave every registration a hidden class of its own (a
    // Map, descriptors and a property array, ~300 bytes per bound connection; docs/benchmarks.md, fleet).
    const reg: Registration = { id, kind: who.kind, ri: who.ri, rn: who.rn, key, createdAt: Date.now(), identity: this.o.identityTls ? session.identity : undefined };
    await this.o.store.putRegistration(reg);
    void this.o.cse.learnAs(reg.id);
    this.o.onRegistered?.(reg, existing === undefined);
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
   * DESIGN 3: with --identity tls only the certificate a registree registered
   * with may bind it or register it again; an identity map or credentials
   * narrow who a connection may be; with neither, anyone may (trusted networks).
   */
  private identityAllows(session: WsSession, reg: Registration): boolean {
    if (session.allowedOriginators !== undefined && !originatorAllowed(session.allowedOriginators, reg.id, this.o.cse)) return false;
    return !this.o.identityTls || (reg.identity !== undefined && reg.identity === session.identity);
  }

  private get modes(): IdentityModes {
    return this.o.identityModes ?? { tls: this.o.identityTls, identityMap: false, credentials: false };
  }

  private modeText(): string {
    return `identity mode in force: ${modeInForce(this.modes)}`;
  }

  /** What a refused client can do, naming the mode in force (issue 21 item 5). */
  private identityRefusal(session: WsSession, id: string): string {
    const allowed = session.allowedOriginators;
    const mine = allowed === undefined ? '' : `; this connection may act only as ${allowed.join(', ')}`;
    return `this connection may not act as ${id}${mine}; ${identityHint(this.modes)}`;
  }

  /** Who narrowed this connection's originators: the handshake's credentials and/or the certificate's map entry. */
  private allowedSource(): string {
    const m = this.modes;
    return [m.credentials ? 'its handshake credentials, --credentials' : '', m.identityMap ? "its certificate's entry in --identity-map" : ''].filter((x) => x !== '').join(' and ') || modeInForce(m);
  }

  private async findRegistration(fr: string): Promise<Registration | undefined> {
    return this.o.store.getRegistration(this.o.cse.canonical(fr));
  }
}
