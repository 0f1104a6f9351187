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
