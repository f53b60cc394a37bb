// Delivers a registree's stored requests when it is bound again (DESIGN 4,
// TS-0020 6.5): in order, a window at a time, each removed from the store only
// after its response primitive arrived (at-least-once) and only once every
// request before it was (go-back-N). A stored request that is not answered
// blocks the ones behind it: the connection is closed (1008) and the queue
// resumes with it at the next binding, so nothing overtakes it. Storable
// requests that arrive while the queue drains are stored behind it.
import type { Logger } from 'pino';
import { AckWriter } from './ack-writer.js';
import type { TurnBudget } from './turn-budget.js';
import { ResponseTypeValue } from '../primitive/types.js';
import type { QueuedRequest, Store } from '../store/store.js';
import type { WsSession } from '../ws/ws-session.js';
import { CloseCode } from '../ws/ws-session.js';

export interface QueueDeliveryOptions {
  store: Store;
  logger: Logger;
  /** Time the registree has to answer each stored request. */
  timeoutMs: number;
  /** Requests sent before waiting for their answers. */
  window: number;
  onDelivered?(n: number): void;
  /** Bounded work per event-loop turn (issue 19): each window takes a unit first. */
  turns?: TurnBudget;
}

const NOTHING: readonly QueuedRequest[] = [];

interface DrainState {
  /** Something was stored for this session while it drained: look again before stopping. */
  more: boolean;
  /** Bound, not yet draining (cluster: the claim is on its way): requests already queue behind. */
  held: boolean;
}

export class QueueDelivery {
  private readonly o: QueueDeliveryOptions;
  private readonly draining = new WeakMap<WsSession, DrainState>();
  /** One acknowledgement writer for every drain: many registrees' acknowledgements per store write (issue 19). */
  private readonly acks: AckWriter;

  constructor(options: QueueDeliveryOptions) {
    this.o = options;
    this.acks = new AckWriter(options.store);
  }

  /** True while the session's queue is being delivered: new requests must queue behind it. */
  isDraining(session: WsSession): boolean {
    return this.draining.has(session);
  }

  /**
   * The session was bound this tick and its drain starts after an await
   * (cluster: the claim): mark it draining now, so no live request overtakes
   * a stored one meanwhile (issue 14). kick() starts the drain.
   */
  hold(session: WsSession): void {
    const id = session.registreeId;
    if (id === undefined || this.draining.has(session)) return;
    if (!this.o.store.shared && this.o.store.queueStats(id).messages === 0) return;
    this.draining.set(session, { more: false, held: true });
  }

  /** Starts delivering (or, when already delivering, makes it look for newly stored requests). */
  kick(session: WsSession): void {
    const state = this.draining.get(session);
    if (state !== undefined && !state.held) {
      state.more = true;
      return;
    }
    const id = session.registreeId;
    if (id === undefined) {
      if (state !== undefined) this.draining.delete(session);
      return;
    }
    // Nothing stored: stay out of the way of live traffic. A shared store's
    // counts may lag what another replica just stored: look in the queue itself.
    if (state === undefined && !this.o.store.shared && this.o.store.queueStats(id).messages === 0) return;
    const fresh: DrainState = state ?? { more: false, held: false };
    fresh.held = false;
    this.draining.set(session, fresh);
    this.drain(session, id, fresh).then(
      () => this.ended(session, fresh, true),
      (err: unknown) => {
        this.ended(session, fresh, false);
        this.o.logger.error({ registree: id, err: String(err) }, 'queue delivery failed');
      },
    );
  }

  /**
   * A drain ended. Between its last look at the queue and here (its
   * acknowledgements settling, its promise resolving) a request may have been
   * stored and kicked it: that kick only set `more`, so the next drain starts
   * now, in the same tick the state goes (DESIGN 4: every stored request is
   * delivered while the registree is bound, not at its next binding). After a
   * failed store write the next stored request's kick (or binding) starts it.
   */
  private ended(session: WsSession, state: DrainState, ok: boolean): void {
    if (this.draining.get(session) === state) this.draining.delete(session);
    if (ok && state.more && !session.closed) this.kick(session);
  }

  private async drain(session: WsSession, id: string, state: DrainState): Promise<void> {
    let after = 0;
    let delivered = 0;
    // Acknowledgements are written in batches, behind the sends, together with other drains' (issue 19).
    const acks = this.acks.drain(id, (n) => {
      delivered += n;
      this.o.onDelivered?.(n);
    });
    // The last peek returned less than a window and all of it was sent: the
    // queue had nothing more then (Store.peek), and whatever was stored since
    // kicked this drain (kick() sets more). So no second, empty peek per
    // registree (issue 19: 10k of them in a reconnect storm).
    let exhausted = false;
    try {
      for (;;) {
        if (session.closed || session.registreeId !== id || acks.failed) break;
        const batch: readonly QueuedRequest[] = exhausted ? NOTHING : await this.o.store.peek(id, after, this.o.window);
        exhausted = false;
        if (batch.length === 0) {
          // Done only once its acknowledgements are written; a request stored
          // meanwhile (kick() sets more) is delivered by this drain, not left behind.
          await acks.settled();
          if (!state.more) break;
          state.more = false;
          continue;
        }
        // A storm's thousands of drains do not all send in one turn (issue 19).
        const turn = this.o.turns?.take();
        if (turn !== undefined) {
          await turn;
          if (session.closed || session.registreeId !== id) break;
        }
        // session.request() writes to the socket synchronously, so the send order is the queue order.
        // Go-back-N: a request leaves the store as soon as it and every one before it were answered
        // (so a replica killed mid-drain loses no acknowledgement); from the first unanswered one on
        // everything stays, in order, for the next binding.
        const results: Array<boolean | undefined> = [];
        let acked = 0;
        const advance = (): void => {
          while (acked < results.length && results[acked] === true) acks.add(batch[acked++].seq);
        };
        const answers: Array<Promise<boolean>> = [];
        // The window leaves in one socket write (issue 19), uncorked on every path.
        session.cork();
        try {
          for (const item of batch) {
            // Backpressure (issue 13): the connection's caps hold for stored
            // requests too; the rest stays stored, in order. With nothing of its
            // own waiting, one is sent regardless, so the queue always moves.
            if ((answers.length > 0 || session.inFlightDownlink > 0) && session.downlinkRefusal() !== undefined) break;
            const i = answers.length;
            results.push(undefined);
            answers.push(
              this.deliverOne(session, item).then((answered) => {
                results[i] = answered;
                advance();
                return answered;
              }),
            );
          }
        } finally {
          session.uncork();
        }
        if (answers.length === 0) {
          // Full with live requests: wait until one of them is answered or times out.
          await session.nextSettlement();
          continue;
        }
        const outcomes = await Promise.all(answers);
        const firstFailed = outcomes.indexOf(false);
        if (firstFailed !== -1) {
          // What was answered before it leaves the store before the connection closes.
          await acks.settled();
          if (!session.closed) {
            this.o.logger.warn({ registree: id, rqi: batch[firstFailed].request.rqi }, 'stored request not answered in time: connection closed, the queue resumes with it at the next binding');
            session.close(CloseCode.PolicyViolation, `stored request ${batch[firstFailed].request.rqi} not answered within --downlink-timeout; the queue resumes with it at the next binding`);
          }
          break;
        }
        after = batch[answers.length - 1].seq;
        exhausted = batch.length < this.o.window && answers.length === batch.length;
      }
    } finally {
      // Nothing is reported drained (and no new drain starts) before its acknowledgements are written.
      await acks.settled().finally(() => {
        if (delivered > 0) this.o.logger.debug({ registree: id, delivered }, 'stored requests delivered');
      });
    }
  }

  /** One stored request: true once answered (or, for rt=5, written). */
  private deliverOne(session: WsSession, item: QueuedRequest): Promise<boolean> {
    if (item.request.rt?.rtv === ResponseTypeValue.NoResponse) {
      // TS-0004 6.3.4.2.6: no answer will come; written is delivered.
      try {
        session.sendNoResponse(item.request);
        return Promise.resolve(true);
      } catch {
        return Promise.resolve(false);
      }
    }
    return session.request(item.request, this.o.timeoutMs).then(
      () => true,
      () => false,
    );
  }
}
