// The redis store's local view of the queue counters (redis-store.ts), what
// the synchronous queueStats()/totals()/queuedIds() read. Every queue script
// answers with the absolute counters after its change and the store hands
// them to apply(), so this replica's own changes are exact at once; other
// replicas' changes arrive by the refresh: a walk over the queued registrees,
// SNAPSHOT_CHUNK per snapshot script call (LUA_SNAPSHOT), at open() and then
// every REFRESH_MS, or REFRESH_PACE times as long as the last walk took when
// that is longer (issue 19: one script over 100k queued registrees every
// second held Redis 750 ms of it).
import type { QueueTotals } from './store.js';

type Reply = Array<string | number>;

/** How often the counters are refreshed from Redis (other replicas' changes), at most. */
const REFRESH_MS = 1000;
/**
 * Between two refreshes at least this many times as long as the last one took:
 * with 100k queued registrees a walk reads 200k counters, and back to back
 * that would be most of Redis's time.
 */
const REFRESH_PACE = 4;
/** Queued registrees whose counters one snapshot call reads (SSCAN COUNT). */
export const SNAPSHOT_CHUNK = 1000;

/** One call of the snapshot script from `cursor`: {next cursor ('0' at the end), gm, gb, id1, m1, b1, …}. */
export type SnapshotStep = (cursor: string, count: number) => Promise<Reply>;

/** The counters as a walk read them. */
interface Snapshot {
  stats: Map<string, QueueTotals>;
  global: QueueTotals;
}

export class RedisQueueStats {
  private stats = new Map<string, QueueTotals>();
  private global: QueueTotals = { messages: 0, bytes: 0 };
  /** Ids whose counters this replica changed while a walk was reading: its own numbers are newer. */
  private touched: Set<string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Which start() the running refresh belongs to: a round of an earlier one changes nothing. */
  private generation = 0;

  /** Takes the absolute counters `[m, b, gm, gb]` a script returned. */
  apply(id: string, counters: Reply): void {
    const [m, b, gm, gb] = counters.map(Number);
    this.touched?.add(id);
    if (m > 0) this.stats.set(id, { messages: m, bytes: b });
    else this.stats.delete(id);
    this.global = { messages: gm, bytes: gb };
  }

  of(id: string): QueueTotals {
    const s = this.stats.get(id);
    return { messages: s?.messages ?? 0, bytes: s?.bytes ?? 0 };
  }

  totals(): QueueTotals {
    return { ...this.global };
  }

  ids(): string[] {
    return [...this.stats.keys()];
  }

  /** Reads every queued registree's counters (open()). */
  async load(step: SnapshotStep): Promise<void> {
    this.replace(await walk(step));
  }

  /** Refreshes from Redis until stop(); `ready` says whether the connection can take commands now. */
  start(step: SnapshotStep, ready: () => boolean): void {
    this.stop();
    const generation = ++this.generation;
    const round = async (): Promise<void> => {
      const started = performance.now();
      try {
        if (ready()) {
          this.touched = new Set();
          const snap = await walk(step);
          if (generation === this.generation) this.replace(snap);
        }
      } catch {
        // next round (the operations report Redis errors)
      } finally {
        if (generation === this.generation) {
          this.touched = undefined;
          this.timer = setTimeout(() => void round(), Math.max(REFRESH_MS, REFRESH_PACE * (performance.now() - started)));
          this.timer.unref();
        }
      }
    };
    this.timer = setTimeout(() => void round(), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    this.generation++;
    this.touched = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private replace(snap: Snapshot): void {
    const touched = this.touched;
    this.touched = undefined;
    // what this replica changed meanwhile is newer than what the walk read
    if (touched !== undefined) {
      for (const id of touched) {
        const mine = this.stats.get(id);
        if (mine === undefined) snap.stats.delete(id);
        else snap.stats.set(id, mine);
      }
    }
    this.stats = snap.stats;
    this.global = snap.global;
  }
}

/** Every queued registree's counters, SNAPSHOT_CHUNK per call (each call bounded, the event loop free between them). */
async function walk(step: SnapshotStep): Promise<Snapshot> {
  const stats = new Map<string, QueueTotals>();
  let global: QueueTotals = { messages: 0, bytes: 0 };
  let cursor = '0';
  do {
    const reply = await step(cursor, SNAPSHOT_CHUNK);
    cursor = String(reply[0]);
    global = { messages: Number(reply[1]), bytes: Number(reply[2]) };
    for (let i = 3; i + 2 < reply.length; i += 3) {
      stats.set(String(reply[i]), { messages: Number(reply[i + 1]), bytes: Number(reply[i + 2]) });
    }
  } while (cursor !== '0');
  return { stats, global };
}
