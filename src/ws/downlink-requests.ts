// Requests a session sends down to its registree and waits for (TS-0020 5.2:
// the answer carries the request's rqi), and whoever waits for one of them to
// settle (queue delivery under backpressure). Created by the session on first
// use, so idle connections stay small.
import { bridgeError } from '../errors.js';
import type { PrimitiveCodec } from '../primitive/codec.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';
import { PendingRequests } from './pending-requests.js';

export class DownlinkRequests {
  private readonly pending = new PendingRequests<ResponsePrimitive>(() => this.wakeSettled());
  private rqiSuffix = 0;
  /** Waiting for the next request to settle; created on first use. */
  private settleWaiters: Array<() => void> | undefined;

  /** Requests sent and not yet answered. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Encodes and writes `req`, resolving with its answer. An rqi already in
   * flight on this connection is made unique for the WS leg so two answers
   * never mix (ref G21); the answer carries the original rqi again.
   */
  send(req: RequestPrimitive, timeoutMs: number, codec: Pick<PrimitiveCodec, 'encodeRequest' | 'binary'>, socket: { send(data: Buffer | string, options: { binary: boolean }): void }): Promise<ResponsePrimitive> {
    const pending = this.pending;
    const originalRqi = req.rqi;
    let wireRqi = originalRqi;
    if (pending.has(wireRqi)) {
      do wireRqi = `${originalRqi}~${++this.rqiSuffix}`;
      while (pending.has(wireRqi));
      req = { ...req, rqi: wireRqi };
    }
    let data: Buffer | string;
    try {
      data = codec.encodeRequest(req);
    } catch (err) {
      return Promise.reject(err);
    }
    const answer = pending.wait(wireRqi, timeoutMs, undefined, () => bridgeError('BRIDGE_ERR_REGISTREE_TIMEOUT', `registree did not answer within ${timeoutMs} ms`));
    // No write callback: a failed write closes the socket, and the session's
    // handleClose() rejects what waits here (and the send stays on the pre-framed fast path).
    socket.send(data, { binary: codec.binary });
    return wireRqi === originalRqi ? answer : answer.then((rsp) => ({ ...rsp, rqi: originalRqi }));
  }

  /** An answer came: true when a request waited for it. */
  settle(rsp: ResponsePrimitive): boolean {
    const waiter = this.pending.take(rsp.rqi);
    if (waiter === undefined) return false;
    waiter.resolve(rsp);
    if (this.settleWaiters !== undefined) this.wakeSettled();
    return true;
  }

  /** The connection is gone: every waiting request fails, and whoever waits for a settlement wakes. */
  failAll(why: string): void {
    for (const [rqi, waiter] of this.pending.takeAll()) waiter.reject(bridgeError('BRIDGE_ERR_REGISTREE_GONE', `${why} ${rqi}`));
    this.wakeSettled();
  }

  /** Resolves when a request sent down is answered or times out, or the connection closes. */
  nextSettlement(): Promise<void> {
    return new Promise((resolve) => (this.settleWaiters ??= []).push(resolve));
  }

  private wakeSettled(): void {
    const waiters = this.settleWaiters;
    if (waiters === undefined) return;
    this.settleWaiters = undefined;
    for (const w of waiters) w();
  }
}
