/**
 * The safety invariants of DESIGN.md as pure checks. The local runner calls them after every state
 * transition (and scenario tests assert they never report anything); each returns human-readable
 * violations, one string per problem, and an empty array when all is well.
 */
import { TerminalReason } from './errors.js';
import { type DeploymentReason, type DeploymentStatus, DeploymentStatus as Status, isTerminal, type TargetGroupWeight } from './model.js';

/**
 * Listener weights always sum to 100 and only name the service's two target groups (each at most
 * once), with integer weights 0..100.
 *
 * Example: `checkWeights([{A, 90}, {C, 10}], [A, B])` ->
 * `["weights name C, which is not one of the service's target groups (A, B)"]`.
 */
export function checkWeights(weights: readonly TargetGroupWeight[], serviceTgs: readonly [string, string]): string[] {
  const violations: string[] = [];
  const seen = new Set<string>();
  let sum = 0;
  for (const w of weights) {
    if (!serviceTgs.includes(w.targetGroupArn)) {
      violations.push(
        `weights name ${w.targetGroupArn}, which is not one of the service's target groups (${serviceTgs.join(', ')})`,
      );
    }
    if (seen.has(w.targetGroupArn)) violations.push(`weights name ${w.targetGroupArn} more than once`);
    seen.add(w.targetGroupArn);
    if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > 100) {
      violations.push(`weight ${w.weight} on ${w.targetGroupArn} is not an integer from 0 to 100`);
    }
    sum += w.weight;
  }
  if (sum !== 100) violations.push(`weights sum to ${sum}, not 100 (${weights.map((w) => `${w.targetGroupArn}=${w.weight}`).join(', ') || 'none'})`);
  return violations;
}

export interface TrafficOnHealthyInput {
  readonly weights: readonly TargetGroupWeight[];
  /** Healthy targets per target group; a target group not listed has 0. */
  readonly healthyByTg: Readonly<Record<string, number>>;
  /** Healthy targets the current step requires per target group; a target group not listed requires 0. */
  readonly requiredByTg: Readonly<Record<string, number>>;
}

/**
 * Traffic never goes to a target group with fewer healthy targets than the step requires.
 *
 * Example: weights `[{A, 90}, {B, 10}]`, healthy `{A: 4, B: 0}`, required `{B: 1}` ->
 * `["B receives 10 % of traffic with 0 healthy targets; the step requires 1"]`.
 */
export function checkTrafficOnHealthy(input: TrafficOnHealthyInput): string[] {
  const violations: string[] = [];
  for (const w of input.weights) {
    if (!(w.weight > 0)) continue;
    const healthy = input.healthyByTg[w.targetGroupArn] ?? 0;
    const required = input.requiredByTg[w.targetGroupArn] ?? 0;
    if (healthy < required) {
      violations.push(
        `${w.targetGroupArn} receives ${w.weight} % of traffic with ${healthy} healthy target${healthy === 1 ? '' : 's'}; the step requires ${required}`,
      );
    }
  }
  return violations;
}

export interface InFlightRecord {
  readonly service: string;
  readonly environment: string;
  readonly status: DeploymentStatus;
  readonly deploymentId?: string;
}

/**
 * At most one deployment is IN_PROGRESS per service and environment (QUEUED ones wait for the lock
 * and may be many).
 *
 * Example: two IN_PROGRESS records for api/production ->
 * `["api/production has 2 deployments IN_PROGRESS (d-1, d-2); at most one may be in flight"]`.
 */
export function checkSingleInFlight(records: readonly InFlightRecord[]): string[] {
  const byKey = new Map<string, InFlightRecord[]>();
  for (const r of records) {
    if (r.status !== Status.IN_PROGRESS) continue;
    const key = `${r.service}/${r.environment}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  const violations: string[] = [];
  for (const [key, inFlight] of byKey) {
    if (inFlight.length > 1) {
      const ids = inFlight.map((r, i) => r.deploymentId ?? `#${i + 1}`).join(', ');
      violations.push(`${key} has ${inFlight.length} deployments IN_PROGRESS (${ids}); at most one may be in flight`);
    }
  }
  return violations;
}

export interface TerminalCheckRecord {
  readonly status: DeploymentStatus;
  readonly reason?: DeploymentReason;
  readonly deploymentId?: string;
}

const KNOWN_REASON_CODES: ReadonlySet<string> = new Set(Object.values(TerminalReason));

/**
 * A deployment in a terminal state (SUCCEEDED, ROLLED_BACK, FAILED, SUPERSEDED) has a reason whose
 * code is an error name from errors.ts or `Promoted` and whose message is not empty. Non-terminal
 * records pass.
 *
 * Example: `{ status: 'ROLLED_BACK' }` -> `["deployment d-1 is ROLLED_BACK without a reason"]`.
 */
export function checkTerminal(record: TerminalCheckRecord): string[] {
  if (!isTerminal(record.status)) return [];
  const who = `deployment ${record.deploymentId ?? '(unknown id)'}`;
  const reason = record.reason;
  if (reason === undefined) return [`${who} is ${record.status} without a reason`];
  const violations: string[] = [];
  if (!KNOWN_REASON_CODES.has(reason.code)) {
    violations.push(
      `${who} is ${record.status} with reason code "${reason.code}", which is neither an error name from errors.ts nor Promoted`,
    );
  }
  if (typeof reason.message !== 'string' || reason.message.trim() === '') violations.push(`${who} is ${record.status} with an empty reason message`);
  return violations;
}

export interface WorkerShareInput {
  /** The service's desired count. */
  readonly desiredCount: number;
  /** Tasks ECS computes for green's and blue's task sets (computedDesiredCount), and green's running tasks. */
  readonly green: { readonly computedDesiredCount: number; readonly runningCount: number };
  readonly blue?: { readonly computedDesiredCount: number; readonly runningCount: number };
  /** The share of the step in force (0-100), as planned. */
  readonly percent: number;
  /** The share a report or the timeline states for green (what the product read back), when it states one. */
  readonly reportedPercent?: number;
}

/**
 * A worker's share of tasks (traffic `task-share`, functions/core/traffic.ts) keeps the rules of a
 * replica canary, by the real share ECS computes:
 * - a step of 1-99 % on a service of 2+ tasks gives green at least 1 task and blue at least 1;
 * - work moves off blue only to running green tasks: blue's tasks plus green's running ones cover
 *   the desired count once blue is scaled below it;
 * - a share that is reported is the one achieved (green's tasks over both task sets', rounded).
 *
 * Example: desired 3, 10 %, green 0 / blue 3 -> `["green has 0 tasks at a 10 % step of 3 tasks; a 1-99 % step gives it at least 1"]`.
 */
export function checkWorkerShare(input: WorkerShareInput): string[] {
  const v: string[] = [];
  const { desiredCount: d, green, blue, percent } = input;
  const g = green.computedDesiredCount;
  const b = blue?.computedDesiredCount ?? 0;
  if (percent >= 1 && percent <= 99 && d >= 2) {
    if (g < 1) v.push(`green has 0 tasks at a ${percent} % step of ${d} tasks; a 1-99 % step gives it at least 1`);
    if (blue && b < 1) v.push(`blue has 0 tasks at a ${percent} % step of ${d} tasks; blue keeps at least 1 until 100 %`);
  }
  if (blue && b < d && b + green.runningCount < d && g > 0) {
    v.push(`blue was scaled to ${b} of ${d} tasks while green runs ${green.runningCount}: ${d - b - green.runningCount} task(s) of work have no running consumer`);
  }
  if (input.reportedPercent !== undefined) {
    const real = g + b === 0 ? 0 : Math.round((g * 100) / (g + b));
    if (input.reportedPercent !== real) v.push(`green's share is reported as ${input.reportedPercent} % but ECS computes ${g} of ${g + b} tasks (${real} %)`);
  }
  return v;
}
