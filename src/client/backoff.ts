// Reconnect delays: exponential backoff with jitter, so that thousands of
// devices dropped by one bridge restart do not all knock again at once.

export interface BackoffOptions {
  /** Delay before the first reconnect attempt. */
  initialDelayMs: number;
  /** Upper bound of any delay. */
  maxDelayMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Fraction of the delay that is random: 0.5 → a delay between half and all of it. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5 });

/**
 * The delay before reconnect attempt `attempt` (0 = the first after a drop):
 * `min(max, initial × factor^attempt)`, less a random share of up to `jitter`
 * of it. `random` returns [0, 1) like Math.random.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = options.initialDelayMs * Math.pow(options.factor, Math.max(0, attempt));
  const ceiling = Math.min(options.maxDelayMs, Number.isFinite(exp) ? exp : options.maxDelayMs);
  return Math.round(ceiling * (1 - options.jitter * random()));
}

/** Problems with backoff options, each naming the option; empty when they are usable. */
export function backoffProblems(options: BackoffOptions): string[] {
  const problems: string[] = [];
  if (!(options.initialDelayMs >= 0) || !Number.isFinite(options.initialDelayMs)) problems.push('reconnect.initialDelayMs must be a finite number ≥ 0');
  if (!(options.maxDelayMs >= options.initialDelayMs) || !Number.isFinite(options.maxDelayMs)) problems.push('reconnect.maxDelayMs must be a finite number ≥ initialDelayMs');
  if (!(options.factor >= 1) || !Number.isFinite(options.factor)) problems.push('reconnect.factor must be a finite number ≥ 1');
  if (!(options.jitter >= 0 && options.jitter <= 1)) problems.push('reconnect.jitter must be between 0 and 1');
  return problems;
}
