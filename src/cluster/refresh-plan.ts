// Which ownership records one refresh round checks (ownership.ts, issue 19).
//
// A replica's liveness is its lease (one key, extended every round); its
// records need no refresh to stay true. A round checks, with fencing, only:
//   - the IDs another replica's claim took from this one (revoked:<me>) —
//     the release message may have been lost;
//   - claims Redis never answered (epoch 0): recorded now;
//   - a slice of every record, so each is checked (and its long TTL
//     extended) once every `rounds` rounds (SWEEP_ROUNDS or fewer): what
//     Redis lost or what was written over without a claim is found within
//     that time;
//   - every record, when the lease had lapsed (Redis lost everything, or this
//     replica was away longer than the TTL and others may have taken over).
// So an idle fleet costs a round ceil(n / rounds) records, not n.

/** Rounds in which every record is checked once (one hour with the default --owner-ttl 30s). */
export const SWEEP_ROUNDS = 360;

export class RefreshPlan {
  /** @param rounds every record is checked once in this many rounds */
  constructor(readonly rounds: number = SWEEP_ROUNDS) {}

  /** IDs named in revoked:<me>, checked at the next round where no claim of ours is under way. */
  private readonly suspects = new Set<string>();
  private sweep: string[] = [];
  private sweepAt = 0;

  /** Another replica's claim named these IDs. */
  suspect(ids: readonly string[]): void {
    for (const id of ids) this.suspects.add(id);
  }

  /**
   * The IDs to check this round. `owned`: this replica's records with their
   * epochs (0: not recorded yet); `claiming`: claims on their way (a check
   * now could mistake the old owner's record for a loss); `everything`: the
   * lease had lapsed.
   */
  next(owned: ReadonlyMap<string, number>, claiming: ReadonlyMap<string, number>, everything: boolean): string[] {
    if (everything) {
      this.suspects.clear();
      this.sweepAt = this.sweep.length;
      return [...owned.keys()].filter((id) => !claiming.has(id));
    }
    const out = new Set<string>();
    for (const id of this.suspects) {
      if (claiming.has(id)) continue;
      this.suspects.delete(id);
      if (owned.has(id)) out.add(id);
    }
    for (const [id, epoch] of owned) if (epoch === 0 && !claiming.has(id)) out.add(id);
    if (this.sweepAt >= this.sweep.length) {
      this.sweep = [...owned.keys()];
      this.sweepAt = 0;
    }
    const end = Math.min(this.sweep.length, this.sweepAt + Math.ceil(this.sweep.length / this.rounds));
    for (; this.sweepAt < end; this.sweepAt++) {
      const id = this.sweep[this.sweepAt];
      if (owned.has(id) && !claiming.has(id)) out.add(id);
    }
    return [...out];
  }
}
