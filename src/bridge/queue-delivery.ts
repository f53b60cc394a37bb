// Delivers a registree's stored requests when it is bound again (DESIGN 4,
// TS-0020 6.5): in order, a window at a time, each removed from the store only
// after its response primitive arrived (at-least-once). Requests for the
// registree that arrive while its queue drains are queued behind it, so the
// order holds.
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { WsSession } from '../ws/ws-session.js';

export interface QueueDeliveryOptions {
  store: Store;
  logger: Logger;
  /** Time the registree has to answer each stored request. */
  timeoutMs: number;
  /** Requests sent before waiting for their answers. */
  window: number;
  onDelivered?(n: number): void;
}

interface DrainState {
  /** Something was stored for this session while it drained: look again before stopping. */
  more: boolean;
}

export class QueueDelivery {
  private readonly o: QueueDeliveryOptions;
  private readonly draining = new WeakMap<WsSession, DrainState>();

  constructor(options: QueueDeliveryOptions) {
    this.o = options;
  }

  /** True while the session's queue is being delivered: new requests must queue behind it. */
  isDraining(session: WsSession): boolean {
    return this.draining.has(session);
  }

  /** Starts delivering (or, when already delivering, makes it look for newly stored requests). */
  kick(session: WsSession): void {
    const state = this.draining.get(session);
    if (state !== undefined) {
      state.more = true;
      return;
    }
    const id = session.registreeId;
    if (id === undefined) return;
    // Nothing stored: stay out of the way of live traffic. A shared store's
    // counts may lag what another replica just stored: look in the queue itself.
    if (!this.o.store.shared && this.o.store.queueStats(id).messages === 0) return;
    const fresh: DrainState = { more: false };
    this.draining.set(session, fresh);
    this.drain(session, id, fresh).then(
      () => this.draining.delete(session),
      (err: unknown) => {
        this.draining.delete(session);
        this.o.logger.error({ registree: id, err: String(err) }, 'queue delivery failed');
      },
    );
  }

  private async drain(session: WsSession, id: string, state: DrainState): Promise<void> {
    let after = 0;
    let delivered = 0;
    for (;;) {
      if (session.closed || session.registreeId !== id) break;
      const batch = await this.o.store.peek(id, after, this.o.window);
      if (batch.length === 0) {
        if (!state.more) break;
        state.more = false;
        continue;
      }
      // session.request() writes to the socket synchronously, so the send order is the queue order.
      const answers: Array<Promise<boolean>> = [];
      for (const item of batch) {
        // Backpressure (issue 13): the connection's caps hold for stored
        // requests too; the rest stays stored, in order. With nothing of its
        // own waiting, one is sent regardless, so the queue always moves.
        if ((answers.length > 0 || session.inFlightDownlink > 0) && session.downlinkRefusal() !== undefined) break;
        answers.push(
          session.request(item.request, this.o.timeoutMs).then(
            async () => {
              await this.o.store.ack(id, item.seq);
              delivered++;
              this.o.onDelivered?.(1);
              return true;
            },
            () => false, // stays stored; sent again on the next binding
          ),
        );
      }
      if (answers.length === 0) {
        // Full with live requests: wait until one of them is answered or times out.
        await session.nextSettlement();
        continue;
      }
      await Promise.all(answers);
      after = batch[answers.length - 1].seq;
    }
    if (delivered > 0) {
      this.o.logger.info({ registree: id, delivered }, 'stored requests delivered');
    }
  }
}
