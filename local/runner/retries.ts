/**
 * Task state retries as Step Functions decides them: which ErrorEquals matches an error name, the
 * backoff (IntervalSeconds x BackoffRate^n capped by MaxDelaySeconds, FULL jitter) and the seeded
 * PRNG behind the jitter. The backoff sleeps on the virtual clock in tasks.ts.
 */

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

export interface RetryDecision {
  readonly retrierIndex: number;
  /** 1-based attempt number of this retry. */
  readonly attempt: number;
  readonly delayMs: number;
}

function isTimeoutName(name: string): boolean {
  return name === 'States.Timeout' || name === 'States.HeartbeatTimeout';
}

/** Does an ErrorEquals list match an error name (Step Functions rules, Task state)? */
export function errorMatches(errorEquals: readonly string[], name: string): boolean {
  // States.ALL (and States.TaskFailed) cannot catch the States.DataLimitExceeded terminal error (error-handling page).
  if (name === 'States.DataLimitExceeded') return errorEquals.includes(name);
  return errorEquals.some(
    (e) =>
      e === name ||
      e === 'States.ALL' ||
      (e === 'States.TaskFailed' && !isTimeoutName(name)) ||
      (e === 'States.Timeout' && name === 'States.HeartbeatTimeout'),
  );
}

/**
 * Decide whether a Task failure with error `name` is retried, given the attempts so far per
 * retrier (mutated: the chosen retrier's count goes up). Undefined: not retried (go to Catch).
 */
export function decideRetry(
  retriers: readonly Retrier[],
  attempts: number[],
  name: string,
  random: () => number,
): RetryDecision | undefined {
  for (let i = 0; i < retriers.length; i++) {
    const r = retriers[i] as Retrier;
    if (!errorMatches(r.ErrorEquals, name)) continue;
    const done = attempts[i] ?? 0;
    if (done >= (r.MaxAttempts ?? 3)) return undefined;
    let seconds = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** done;
    if (r.MaxDelaySeconds !== undefined && seconds > r.MaxDelaySeconds) seconds = r.MaxDelaySeconds;
    let delayMs = Math.round(seconds * 1000);
    if (r.JitterStrategy === 'FULL') delayMs = Math.floor(random() * delayMs);
    attempts[i] = done + 1;
    return { retrierIndex: i, attempt: done + 1, delayMs };
  }
  return undefined;
}

/** mulberry32: a tiny seeded PRNG (deterministic jitter). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
