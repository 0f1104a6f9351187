/**
 * Driving the virtual clock: time jumps to the next timer only when nothing is busy and the event
 * loop has drained.
 */
import { nextTurn } from './deferred.js';
import { errorMessageOf, errorNameOf } from './errors.js';
import { DAY_MS } from './limits.js';
import type { RunnerState } from './state.js';
import type { RunReport, RunUntilQuiescentOptions } from './types.js';

/**
 * Drive the virtual clock: whenever nothing is busy, jump to the next timer. Stops when no
 * execution is running and no foreground timer is pending, when the next timer lies beyond
 * `maxVirtualMs` from now, or when running executions can never wake up.
 */
export async function runUntilQuiescent(rt: RunnerState, options: RunUntilQuiescentOptions = {}): Promise<RunReport> {
  assertNotInsideActivity(rt, 'runUntilQuiescent');
  const startedAt = rt.clock.now();
  const limit = startedAt + (options.maxVirtualMs ?? DAY_MS);
  let outcome: RunReport['outcome'];
  for (;;) {
    await settle(rt);
    const running = rt.runningExecutions();
    if (running.length === 0 && !rt.clock.hasForegroundTimers()) {
      outcome = 'quiescent';
      break;
    }
    const next = rt.clock.nextTimerAt();
    if (next === undefined) {
      outcome = 'stalled';
      break;
    }
    if (next > limit) {
      outcome = 'maxVirtualMs';
      break;
    }
    rt.clock.advance();
  }
  return report(rt, outcome, startedAt, options.failOnErrors ?? true);
}

/**
 * Drive the clock for exactly `ms` virtual milliseconds (firing every timer due on the way), then
 * settle. Outcome `quiescent` when nothing runs and no foreground timer is left, else `maxVirtualMs`.
 */
export async function runFor(rt: RunnerState, ms: number, options: { failOnErrors?: boolean } = {}): Promise<RunReport> {
  assertNotInsideActivity(rt, 'runFor');
  const startedAt = rt.clock.now();
  const target = startedAt + ms;
  for (;;) {
    await settle(rt);
    const next = rt.clock.nextTimerAt();
    if (next === undefined || next > target) break;
    rt.clock.advance();
  }
  rt.clock.advanceTo(target);
  await settle(rt);
  const quiescent = rt.runningExecutions().length === 0 && !rt.clock.hasForegroundTimers();
  return report(rt, quiescent ? 'quiescent' : 'maxVirtualMs', startedAt, options.failOnErrors ?? true);
}

/** Wait (in real time) until nothing is busy and the event loop has drained; time does not move. */
export async function settle(rt: RunnerState): Promise<void> {
  let quiet = 0;
  while (quiet < rt.quietTurns) {
    await nextTurn();
    if (rt.clock.busyCount() > 0) {
      quiet = 0;
      await waitIdle(rt);
      continue;
    }
    quiet++;
  }
}

function assertNotInsideActivity(rt: RunnerState, what: string): void {
  const label = rt.clock.currentActivity();
  if (label !== undefined) throw new Error(`${what}() called from inside the tracked activity '${label}': it would wait for itself`);
}

async function waitIdle(rt: RunnerState): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new Error(
          `local runner: activities still busy after ${rt.stallTimeoutMs} real ms: ${rt.clock.busyLabels().join(', ')}`,
        ),
      );
    }, rt.stallTimeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([rt.clock.whenIdle(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

function report(rt: RunnerState, outcome: RunReport['outcome'], startedAt: number, failOnErrors: boolean): RunReport {
  const errors = rt.takeErrors();
  const report: RunReport = {
    outcome,
    startedAt,
    endedAt: rt.clock.now(),
    running: rt.runningExecutions().map((e) => ({
      executionArn: e.executionArn,
      name: e.name,
      openStates: e.open.map((o) => o.name),
    })),
    errors,
  };
  if (failOnErrors && errors.length > 0) {
    throw new AggregateError(
      errors.map((e) => e.error),
      `local runner: ${errors.length} error(s): ${errors.map((e) => `[${e.label}] ${errorNameOf(e.error)}: ${errorMessageOf(e.error)}`).join('; ')}`,
    );
  }
  return report;
}
