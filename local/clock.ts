/**
 * The virtual clock of the local runtime, with its timer scheduler and activity tracker.
 *
 * Time moves only when someone calls {@link VirtualClockImpl.advance}: it jumps to the earliest
 * pending timer and fires every timer due at that instant, in (time, insertion order). Nothing here
 * reads the wall clock.
 *
 * Activities: work that must finish before virtual time may move (a Lambda handler doing real
 * loopback I/O, a scenario event, an invariant hook) runs through {@link VirtualClockImpl.track}.
 * An activity is *busy* unless it is blocked on virtual time: {@link VirtualClockImpl.sleep} and
 * {@link VirtualClockImpl.blockedOn} mark the calling activity (found through AsyncLocalStorage, so a
 * sleep deep inside a handler or the in-memory world counts too) as blocked while they wait. The
 * runner advances the clock only when no activity is busy. Timer callbacks are activities.
 *
 * Background timers ({@link VirtualClockImpl.every} by default) do not keep a run alive: "run until
 * quiescent" stops when only background timers remain and nothing else is pending or running.
 *
 * Limitation (documented, not detected): inside one activity, work that runs concurrently with a
 * clock sleep (`Promise.all([clock.sleep(5), realIo()])`) is treated as blocked while the sleep
 * waits. Run such work as its own activity (`clock.track`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { VirtualClock } from './contracts.js';

/** 2026-01-01T00:00:00Z: the default start of virtual time. */
export const DEFAULT_START_MS = Date.UTC(2026, 0, 1);

export interface TimerOptions {
  /** Shown in {@link VirtualClockImpl.pendingTimers} and in activity labels. */
  readonly label?: string;
  /** A background timer does not keep a run alive. Default: false for `at`, true for `every`. */
  readonly background?: boolean;
}

export interface PendingTimer {
  readonly id: number;
  /** Virtual ms at which the timer fires. */
  readonly at: number;
  readonly label: string;
  readonly background: boolean;
  /** Set for periodic timers. */
  readonly periodMs?: number;
}

/** An error thrown (or a rejection) by a timer callback; collected instead of crashing the process. */
export interface ActivityError {
  readonly label: string;
  /** Virtual ms when the callback failed. */
  readonly at: number;
  readonly error: unknown;
}

interface Timer {
  readonly id: number;
  seq: number;
  at: number;
  readonly fn: () => void | Promise<void>;
  readonly label: string;
  readonly background: boolean;
  readonly periodMs?: number;
  /** Internal timers (sleep wake-ups) are called directly, not as a tracked activity. */
  readonly raw: boolean;
  cancelled: boolean;
}

interface Activity {
  readonly id: number;
  readonly label: string;
  /** > 0 while the activity waits on virtual time (sleep / blockedOn). */
  blocked: number;
}

export class VirtualClockImpl implements VirtualClock {
  private nowMs: number;
  private readonly timers: Timer[] = [];
  private nextTimerId = 1;
  private nextSeq = 1;
  private readonly als = new AsyncLocalStorage<Activity>();
  private readonly activities = new Set<Activity>();
  private nextActivityId = 1;
  private idleWaiters: Array<() => void> = [];
  private errors: ActivityError[] = [];
  private firedCount = 0;

  constructor(startMs: number = DEFAULT_START_MS) {
    if (!Number.isFinite(startMs)) throw new RangeError(`startMs must be a finite number, got ${startMs}`);
    this.nowMs = startMs;
  }

  // ---------------------------------------------------------------------------------------------
  // VirtualClock

  now(): number {
    return this.nowMs;
  }

  /**
   * Resolve after `ms` virtual milliseconds (`ms <= 0`: at the next advance). Inside a tracked
   * activity, that activity counts as blocked (not busy) until the sleep ends.
   */
  sleep(ms: number): Promise<void> {
    const activity = this.als.getStore();
    const label = `sleep ${Math.max(0, ms)}ms${activity ? ` (${activity.label})` : ''}`;
    const woken = new Promise<void>((resolve) => {
      this.schedule(this.nowMs + Math.max(0, ms), resolve, { label, background: false }, undefined, true);
    });
    return this.blockedOn(woken);
  }

  /** Run `fn` (as a tracked activity) at virtual time `atMs`; a time in the past means "at the next advance". */
  at(atMs: number, fn: () => void | Promise<void>, options: TimerOptions = {}): () => void {
    return this.schedule(atMs, fn, { label: options.label ?? 'at', background: options.background ?? false });
  }

  /** Run `fn` `ms` virtual milliseconds from now. */
  after(ms: number, fn: () => void | Promise<void>, options: TimerOptions = {}): () => void {
    return this.at(this.nowMs + Math.max(0, ms), fn, options);
  }

  /**
   * Run `fn` every `periodMs` virtual milliseconds (first at now + periodMs) until cancelled.
   * Periodic timers are background timers unless `options.background` is false.
   */
  every(periodMs: number, fn: () => void | Promise<void>, options: TimerOptions = {}): () => void {
    if (!(periodMs > 0) || !Number.isFinite(periodMs)) {
      throw new RangeError(`every(periodMs): periodMs must be a positive finite number, got ${periodMs}`);
    }
    return this.schedule(
      this.nowMs + periodMs,
      fn,
      { label: options.label ?? `every ${periodMs}ms`, background: options.background ?? true },
      periodMs,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduler

  /** Pending timers in firing order. */
  pendingTimers(): readonly PendingTimer[] {
    return this.timers.map((t) => ({
      id: t.id,
      at: t.at,
      label: t.label,
      background: t.background,
      ...(t.periodMs === undefined ? {} : { periodMs: t.periodMs }),
    }));
  }

  /** Virtual time of the earliest pending timer (background included), or undefined. */
  nextTimerAt(): number | undefined {
    return this.timers[0]?.at;
  }

  /** True when a non-background timer is pending. */
  hasForegroundTimers(): boolean {
    return this.timers.some((t) => !t.background);
  }

  /** Number of timers fired so far. */
  timersFired(): number {
    return this.firedCount;
  }

  /**
   * Jump to the earliest pending timer and fire every timer due at that time, in (time, insertion)
   * order, including timers that callbacks schedule synchronously for the same instant. Callbacks
   * start synchronously; their asynchronous work is tracked as activities (see {@link busyCount}).
   * Returns the new virtual time, or undefined when no timer is pending (time does not move).
   */
  advance(): number | undefined {
    const first = this.timers[0];
    if (!first) return undefined;
    if (first.at > this.nowMs) this.nowMs = first.at;
    for (let next = this.timers[0]; next && next.at <= this.nowMs; next = this.timers[0]) {
      this.timers.shift();
      if (next.periodMs !== undefined) {
        next.at += next.periodMs;
        next.seq = this.nextSeq++;
        this.insert(next);
      }
      this.fire(next);
    }
    return this.nowMs;
  }

  /**
   * Move virtual time forward to `ms` without firing anything. Throws when a timer is due before
   * `ms` (fire it first with {@link advance}): time never skips over a timer.
   */
  advanceTo(ms: number): void {
    const next = this.timers[0];
    if (next && next.at < ms) {
      throw new Error(`advanceTo(${ms}): timer '${next.label}' is due earlier, at ${next.at}; advance() first`);
    }
    if (ms > this.nowMs) this.nowMs = ms;
  }

  // ---------------------------------------------------------------------------------------------
  // Activities

  /**
   * Run `fn` as a tracked activity: virtual time does not move (under the runner) while it is busy.
   * Always a new, independent activity, also when called from inside another one; an activity that
   * awaits another one should await it through {@link blockedOn}.
   */
  track<T>(label: string, fn: () => T | Promise<T>): Promise<T> {
    const activity: Activity = { id: this.nextActivityId++, label, blocked: 0 };
    this.activities.add(activity);
    return this.als.run(activity, async () => {
      try {
        return await fn();
      } finally {
        this.activities.delete(activity);
        this.notify();
      }
    });
  }

  /**
   * Await `p` with the current activity marked as blocked on virtual time (a parked callback task,
   * a wait on another activity that sleeps). Outside an activity it simply awaits `p`.
   */
  async blockedOn<T>(p: PromiseLike<T>): Promise<T> {
    const activity = this.als.getStore();
    if (!activity || !this.activities.has(activity)) return await p;
    activity.blocked++;
    this.notify();
    try {
      return await p;
    } finally {
      activity.blocked--;
    }
  }

  /** Run `fn` outside any activity (work it starts is not attributed to the caller's activity). */
  detached<T>(fn: () => T): T {
    return this.als.exit(fn);
  }

  /** Label of the activity the caller runs in, if any. */
  currentActivity(): string | undefined {
    return this.als.getStore()?.label;
  }

  /** Activities that are running and not blocked on virtual time. */
  busyCount(): number {
    let n = 0;
    for (const a of this.activities) if (a.blocked === 0) n++;
    return n;
  }

  /** Labels of the busy activities (for diagnostics). */
  busyLabels(): string[] {
    return [...this.activities].filter((a) => a.blocked === 0).map((a) => a.label);
  }

  /** All tracked activities, busy or blocked (for diagnostics). */
  activityLabels(): Array<{ label: string; blocked: boolean }> {
    return [...this.activities].map((a) => ({ label: a.label, blocked: a.blocked > 0 }));
  }

  /** Resolves when no activity is busy. */
  whenIdle(): Promise<void> {
    if (this.busyCount() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Errors thrown by timer callbacks since the last call (and forget them). */
  takeErrors(): ActivityError[] {
    const out = this.errors;
    this.errors = [];
    return out;
  }

  // ---------------------------------------------------------------------------------------------

  private schedule(
    atMs: number,
    fn: () => void | Promise<void>,
    options: { label: string; background: boolean },
    periodMs?: number,
    raw = false,
  ): () => void {
    if (Number.isNaN(atMs)) throw new RangeError(`timer '${options.label}': time is NaN`);
    const timer: Timer = {
      id: this.nextTimerId++,
      seq: this.nextSeq++,
      at: Math.max(atMs, this.nowMs),
      fn,
      label: options.label,
      background: options.background,
      ...(periodMs === undefined ? {} : { periodMs }),
      raw,
      cancelled: false,
    };
    this.insert(timer);
    return () => {
      if (timer.cancelled) return;
      timer.cancelled = true;
      const i = this.timers.indexOf(timer);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  private insert(timer: Timer): void {
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.timers[mid] as Timer;
      if (m.at < timer.at || (m.at === timer.at && m.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
  }

  private fire(timer: Timer): void {
    this.firedCount++;
    if (timer.raw) {
      void timer.fn();
      return;
    }
    const at = this.nowMs;
    this.detached(() => this.track(timer.label, timer.fn)).catch((error: unknown) => {
      this.errors.push({ label: timer.label, at, error });
    });
  }

  private notify(): void {
    if (this.idleWaiters.length === 0 || this.busyCount() > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
