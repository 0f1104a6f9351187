/**
 * Strategies -> step plans, and the weight and capacity math of a plan. Pure: no I/O, no clock.
 *
 * A {@link Plan} is the list of steps a deployment walks through after green is healthy:
 * `shift` sets production traffic on green to a percentage, `bake` waits (alarms armed, analysis
 * at the end), `approval` waits for an operator. The state machine executes `plan.steps[i]` for
 * i = 0, 1, ...; the functions here answer "what weights / how many healthy targets / how big a
 * green task set" for a given step index, in the spirit of argo-rollouts' utils/replicaset/canary.go.
 *
 * Every plan this module returns satisfies (and {@link planProblems} checks):
 * - shift percentages are integers in 0..100 and never decrease,
 * - there is at least one shift and the last shift is 100,
 * - bakes and approval timeouts are finite and non-negative (planSteps omits 0-second bakes).
 */
import type { StrategyConfig } from './config.js';
import { ValidationError } from './errors.js';
import type { Plan, PlanStep, TargetGroupWeight } from './model.js';

/** How green is sized: `full` from the start, or `proportional` to the traffic it is about to take. */
export type Capacity = 'full' | 'proportional';

function assertNever(x: never): never {
  throw new TypeError(`unhandled variant: ${JSON.stringify(x)}`);
}

const isPercent = (p: number): boolean => Number.isInteger(p) && p >= 0 && p <= 100;

/**
 * The steps of a strategy. Bakes of 0 seconds are omitted.
 *
 * Worked examples:
 * - canary `{ percent: 10, bakeSeconds: 300, finalBakeSeconds: 60 }`
 *   -> shift 10, bake 300, shift 100, bake 60
 * - canary `{ percent: 10, bakeSeconds: 300, finalBakeSeconds: 0 }` -> shift 10, bake 300, shift 100
 * - linear `{ stepPercent: 30, intervalSeconds: 60 }`
 *   -> shift 30, bake 60, shift 60, bake 60, shift 90, bake 60, shift 100 (clamped; no bake after it)
 * - linear `{ stepPercent: 100, intervalSeconds: 60 }` -> shift 100
 * - blue-green `{ bakeSeconds: 300, finalBakeSeconds: 120 }`
 *   -> bake 300 (0 % production: green only on the test listener), shift 100, bake 120
 * - all-at-once `{ bakeSeconds: 0 }` -> shift 100
 * - steps `[{ percent: 20, bakeSeconds: 60 }, { approval: { timeoutSeconds: 3600, onTimeout: 'abort' } },
 *   { percent: 100, bakeSeconds: 0 }]` -> shift 20, bake 60, approval 3600/abort, shift 100
 *
 * Throws {@link ValidationError} when the result would break an invariant (possible only for an
 * explicit `steps` strategy that did not go through `parseConfig`, e.g. percentages going down or
 * no final 100).
 */
export function planSteps(strategy: StrategyConfig): Plan {
  const steps: PlanStep[] = [];
  const shift = (percent: number): void => {
    steps.push({ kind: 'shift', percent });
  };
  const bake = (seconds: number): void => {
    if (seconds !== 0) steps.push({ kind: 'bake', seconds });
  };

  switch (strategy.type) {
    case 'canary':
      shift(strategy.percent);
      bake(strategy.bakeSeconds);
      shift(100);
      bake(strategy.finalBakeSeconds);
      break;
    case 'linear': {
      const step = strategy.stepPercent;
      if (!Number.isInteger(step) || step < 1 || step > 100) {
        throw new ValidationError('strategy', [`stepPercent: ${step} must be an integer from 1 to 100`]);
      }
      for (let percent = step; ; percent += step) {
        const clamped = Math.min(percent, 100);
        shift(clamped);
        if (clamped === 100) break;
        bake(strategy.intervalSeconds);
      }
      break;
    }
    case 'blue-green':
      bake(strategy.bakeSeconds);
      shift(100);
      bake(strategy.finalBakeSeconds);
      break;
    case 'all-at-once':
      shift(100);
      bake(strategy.bakeSeconds);
      break;
    case 'steps':
      for (const step of strategy.steps) {
        if ('approval' in step) {
          steps.push({
            kind: 'approval',
            timeoutSeconds: step.approval.timeoutSeconds,
            onTimeout: step.approval.onTimeout,
          });
        } else {
          shift(step.percent);
          bake(step.bakeSeconds);
        }
      }
      break;
    default:
      return assertNever(strategy);
  }

  const problems = planProblems(steps);
  if (problems.length > 0) throw new ValidationError(`strategy "${strategy.type}"`, problems);
  return { strategy: strategy.type, steps };
}

/**
 * What is wrong with a plan (empty when it is sound): shifts are integers 0..100, non-decreasing,
 * at least one and the last is 100; bakes and approval timeouts are finite and non-negative.
 *
 * Example: `[shift 50, shift 20]` -> `["steps[1]: shift to 20 % is below the previous 50 %; ...",
 * "the last shift is 20 %, not 100 %; ..."]`.
 */
export function planProblems(planOrSteps: Plan | readonly PlanStep[]): string[] {
  const steps = 'steps' in planOrSteps ? planOrSteps.steps : planOrSteps;
  const problems: string[] = [];
  let last: number | undefined;
  steps.forEach((step, i) => {
    switch (step.kind) {
      case 'shift':
        if (!isPercent(step.percent)) {
          problems.push(`steps[${i}]: shift to ${step.percent} % is not an integer from 0 to 100`);
        } else if (last !== undefined && step.percent < last) {
          problems.push(
            `steps[${i}]: shift to ${step.percent} % is below the previous ${last} %; steps may not move traffic back`,
          );
        }
        last = step.percent;
        break;
      case 'bake':
        if (!Number.isFinite(step.seconds) || step.seconds < 0) {
          problems.push(`steps[${i}]: bake of ${step.seconds} seconds must be a non-negative number`);
        }
        break;
      case 'approval':
        if (!Number.isFinite(step.timeoutSeconds) || step.timeoutSeconds < 0) {
          problems.push(`steps[${i}]: approval timeout of ${step.timeoutSeconds} seconds must be a non-negative number`);
        }
        break;
      default:
        assertNever(step);
    }
  });
  if (last === undefined) problems.push('the plan has no traffic shift; add a final shift to 100 %');
  else if (last !== 100) problems.push(`the last shift is ${last} %, not 100 %; add a final shift to 100 %`);
  return problems;
}

/**
 * The production weights with `percentOnGreen` on green: blue first, integers summing to 100.
 *
 * Examples: `weightsFor(10, 'tg-a', 'tg-b')` -> `[{ tg-a: 90 }, { tg-b: 10 }]`;
 * `weightsFor(0, ...)` -> `[{ blue: 100 }, { green: 0 }]` (green stays named, with weight 0).
 *
 * Throws RangeError when the percentage is not an integer from 0 to 100, or when blue and green are
 * the same target group (a programming error: the config schema rules both out).
 */
export function weightsFor(percentOnGreen: number, blueTg: string, greenTg: string): TargetGroupWeight[] {
  if (!isPercent(percentOnGreen)) {
    throw new RangeError(`percentOnGreen must be an integer from 0 to 100, got ${percentOnGreen}`);
  }
  if (blueTg === greenTg) {
    throw new RangeError(`blue and green must be different target groups, both are ${blueTg}`);
  }
  return [
    { targetGroupArn: blueTg, weight: 100 - percentOnGreen },
    { targetGroupArn: greenTg, weight: percentOnGreen },
  ];
}

function assertStepIndex(plan: Plan, stepIndex: number, min: number, max: number): void {
  if (!Number.isInteger(stepIndex) || stepIndex < min || stepIndex > max) {
    throw new RangeError(
      `stepIndex must be an integer from ${min} to ${max} for a plan of ${plan.steps.length} steps, got ${stepIndex}`,
    );
  }
}

/**
 * The percentage on green in force after step `stepIndex` has run: the last shift at or before it,
 * 0 before any shift. `stepIndex` -1 means "before the first step" (always 0).
 *
 * Example, canary 10 % / bake 300 / 100 % (`[shift 10, bake 300, shift 100]`):
 * -1 -> 0, 0 -> 10, 1 -> 10, 2 -> 100.
 * Blue-green (`[bake 300, shift 100, bake 60]`): 0 -> 0, 1 -> 100, 2 -> 100.
 */
export function percentAfter(plan: Plan, stepIndex: number): number {
  assertStepIndex(plan, stepIndex, -1, plan.steps.length - 1);
  let percent = 0;
  for (let i = 0; i <= stepIndex; i++) {
    const step = plan.steps[i];
    if (step?.kind === 'shift') percent = step.percent;
  }
  return percent;
}

/**
 * The production weights in force after step `stepIndex` (see {@link percentAfter}).
 *
 * Example, linear 30 % every 60 s (`[shift 30, bake 60, shift 60, bake 60, shift 90, bake 60, shift 100]`),
 * blue `A`, green `B`: step 0 -> A 70 / B 30; step 3 -> A 40 / B 60; step 6 -> A 0 / B 100.
 */
export function nextWeights(plan: Plan, stepIndex: number, blueTg: string, greenTg: string): TargetGroupWeight[] {
  return weightsFor(percentAfter(plan, stepIndex), blueTg, greenTg);
}

/**
 * The longest time the plan's waits can take, in seconds: bakes plus approval timeouts. Shifts
 * count 0 (setting weights takes seconds, not minutes); add a margin for health checks, hooks and
 * extensions when sizing a lock lease or a stuck-deployment alarm.
 *
 * Example: `[shift 10, bake 300, approval 3600, shift 100, bake 60]` -> 3960.
 */
export function planDurationSeconds(plan: Plan): number {
  let total = 0;
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'shift':
        break;
      case 'bake':
        total += step.seconds;
        break;
      case 'approval':
        total += step.timeoutSeconds;
        break;
      default:
        assertNever(step);
    }
  }
  return total;
}

/**
 * How many healthy green targets a shift to `percent` requires before traffic may move.
 * - 0 when `percent` is 0 (no production traffic goes to green);
 * - `full`: `desiredCount`, and at least 1;
 * - `proportional`: `ceil(desiredCount * percent / 100)` (the way ECS sizes a task set at a scale
 *   percentage), and at least 1.
 *
 * Examples (desiredCount 10): full, 10 % -> 10; proportional, 10 % -> 1; proportional, 25 % -> 3
 * (2.5 rounded up); proportional, 100 % -> 10. desiredCount 0 (scaled to zero), full, 10 % -> 1.
 *
 * Throws RangeError when `desiredCount` is not a non-negative integer or `percent` not an integer 0..100.
 */
export function requiredHealthyTargets(desiredCount: number, percent: number, capacity: Capacity): number {
  if (!Number.isInteger(desiredCount) || desiredCount < 0) {
    throw new RangeError(`desiredCount must be a non-negative integer, got ${desiredCount}`);
  }
  if (!isPercent(percent)) throw new RangeError(`percent must be an integer from 0 to 100, got ${percent}`);
  if (percent === 0) return 0;
  switch (capacity) {
    case 'full':
      return Math.max(1, desiredCount);
    case 'proportional':
      // desiredCount * percent is an exact integer; the quotient is either exact or at least 0.01
      // away from an integer, so ceil() of the double is the true ceiling.
      return Math.max(1, Math.ceil((desiredCount * percent) / 100));
    default:
      return assertNever(capacity);
  }
}

/**
 * The scale (percent of the service's desired count) green should have before step `stepIndex` runs.
 * - `full`: always 100.
 * - `proportional`: the percentage of the next shift at or after `stepIndex`, at least 1 (a task set
 *   of scale 0 has no targets to check); 100 when no shift is left (from the final shift on, green
 *   carries everything).
 *
 * Examples, canary `[shift 10, bake 300, shift 100]` proportional: 0 -> 10, 1 -> 100, 2 -> 100, 3 -> 100.
 * Blue-green `[bake 300, shift 100]` proportional: 0 -> 100 (green takes all traffic in one step).
 * Explicit `[shift 0, bake 60, shift 100]` proportional: 0 -> 1.
 *
 * `stepIndex` may equal `plan.steps.length` (the plan is done: 100).
 */
export function greenScalePercent(capacity: Capacity, plan: Plan, stepIndex: number): number {
  assertStepIndex(plan, stepIndex, 0, plan.steps.length);
  switch (capacity) {
    case 'full':
      return 100;
    case 'proportional': {
      for (let i = stepIndex; i < plan.steps.length; i++) {
        const step = plan.steps[i];
        if (step?.kind === 'shift') return Math.max(1, step.percent);
      }
      return 100;
    }
    default:
      return assertNever(capacity);
  }
}

/**
 * A worker's plan (share of tasks): there is no test listener, so a 0 % bake (blue-green's first)
 * would watch nothing. Green starts at the first shift instead, and the bakes before it follow it:
 * blue-green `[bake 300, shift 100, bake 60]` -> `[shift 100, bake 300, bake 60]` (green at 100 %,
 * blue kept for the termination wait). Plans that start with a shift are unchanged.
 */
export function workerPlan(plan: Plan): Plan {
  const first = plan.steps.findIndex((s) => s.kind === 'shift');
  if (first <= 0) return plan;
  const before = plan.steps.slice(0, first);
  if (!before.every((s) => s.kind === 'bake')) return plan;
  return { ...plan, steps: [plan.steps[first] as PlanStep, ...before, ...plan.steps.slice(first + 1)] };
}
