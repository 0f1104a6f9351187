/**
 * Scaling decisions, pure: what one scaling rule (an alarm or a schedule) does to a service's
 * desired count or scalable-target bounds, given where the service is now, its scaling state
 * (cooldowns, a deferred action) and whether a deployment is in progress.
 *
 * Rules, in the order they are checked:
 * 1. The effective bounds are the scalable target's, inside the configured `minCount`/`maxCount`
 *    (the config always wins); a rule with `minCount`/`maxCount` sets new bounds, also inside them.
 * 2. The target count is `desired + adjustment`, clamped into the bounds: never outside them.
 * 3. A rule acts at most once per `cooldownSeconds`; a scale-in also waits out that cooldown after
 *    the service's last scale-out (no flapping).
 * 4. A scale-in while a deployment is in progress is deferred: it is replayed when the deployment
 *    ends. A scale-out goes ahead: task sets are percentages of the desired count, so blue and
 *    green grow together and no traffic moves.
 *
 * @example
 * // bounds 2-8, desired 6, rule adjustment +4        -> scale 6 -> 8 (clamped to the maximum 8)
 * // bounds 2-8, desired 8, rule adjustment +1        -> skip (already at the maximum 8)
 * // desired 6, rule -2, a deployment in progress     -> defer (replayed after the deployment)
 * // bounds 2-8, desired 4, rule minCount 6 maxCount 12 (config max 10) -> set-bounds 6-10, 4 -> 6
 */
import * as z from 'zod/mini';
import type { CutoverConfig, ScalingConfig, ScalingRuleConfig, ServiceConfig } from './config.js';
import {
  ecsResourceId,
  type MaintenanceAction,
  MaintenanceActionKind,
  MaintenanceOutcome,
  SCALING_HISTORY_LENGTH,
  type ScalingState,
} from './maintenance.js';

export interface ScalingBounds {
  readonly min: number;
  readonly max: number;
}

export const clamp = (n: number, min: number, max: number): number => Math.min(max, Math.max(min, n));

/** The key a rule's cooldown is kept under: its index and trigger (`0:alarm:api-busy`, `2:schedule`). */
export function ruleKey(rule: ScalingRuleConfig, index: number): string {
  return rule.alarmName !== undefined ? `${index}:alarm:${rule.alarmName}` : `${index}:schedule`;
}

/** The scalable target's bounds inside the configured ones; without a target, the configured ones. */
export function effectiveBounds(scaling: ScalingConfig, target?: { minCapacity: number; maxCapacity: number }): ScalingBounds {
  if (target === undefined) return { min: scaling.minCount, max: scaling.maxCount };
  const min = clamp(target.minCapacity, scaling.minCount, scaling.maxCount);
  const max = clamp(target.maxCapacity, min, scaling.maxCount);
  return { min, max };
}

/** The bounds a rule sets (inside the configured ones), or the current ones when it sets none. */
export function ruleBounds(scaling: ScalingConfig, rule: ScalingRuleConfig, current: ScalingBounds): ScalingBounds {
  if (rule.minCount === undefined && rule.maxCount === undefined) return current;
  let min = clamp(rule.minCount ?? current.min, scaling.minCount, scaling.maxCount);
  let max = clamp(rule.maxCount ?? current.max, scaling.minCount, scaling.maxCount);
  if (min > max) {
    // Only one side was set and it crossed the other: the side the rule set wins.
    if (rule.minCount !== undefined && rule.maxCount === undefined) max = min;
    else min = max;
  }
  return { min, max };
}

export interface ScalingInput {
  readonly scaling: ScalingConfig;
  readonly rule: ScalingRuleConfig;
  readonly ruleKey: string;
  /** The service's desired count now. */
  readonly desired: number;
  /** The scalable target now (undefined: none registered). */
  readonly target?: { readonly minCapacity: number; readonly maxCapacity: number };
  readonly state: ScalingState;
  readonly nowMs: number;
  /** The id of a deployment of this service in progress, if any. */
  readonly deploymentInProgress?: string;
  /** A deferred action replayed after its deployment: its cooldown was checked when it arrived. */
  readonly replay?: boolean;
}

export type ScalingDecision =
  /** Change the desired count. */
  | { readonly kind: 'scale'; readonly from: number; readonly to: number; readonly bounds: ScalingBounds; readonly reason: string }
  /** Set the scalable target's bounds (and the desired count into them). */
  | {
      readonly kind: 'set-bounds';
      readonly from: number;
      readonly to: number;
      readonly bounds: ScalingBounds;
      readonly previous: ScalingBounds;
      readonly reason: string;
    }
  | { readonly kind: 'skip'; readonly from: number; readonly reason: string }
  /** Postponed until the deployment in progress ends. */
  | { readonly kind: 'defer'; readonly from: number; readonly to: number; readonly reason: string };

const sameBounds = (a: ScalingBounds, b: ScalingBounds): boolean => a.min === b.min && a.max === b.max;

/** What one rule does now. Pure; see the module comment for the rules. */
export function decideScaling(input: ScalingInput): ScalingDecision {
  const { scaling, rule, desired, state, nowMs } = input;
  const current = effectiveBounds(scaling, input.target);
  const bounds = ruleBounds(scaling, rule, current);
  const wanted = desired + (rule.adjustment ?? 0);
  const to = clamp(wanted, bounds.min, bounds.max);
  const cooldownMs = rule.cooldownSeconds * 1000;

  if (!input.replay) {
    const last = state.lastActionAt[input.ruleKey];
    if (last !== undefined && nowMs - last < cooldownMs) {
      return {
        kind: 'skip',
        from: desired,
        reason: `cooldown: this rule acted ${Math.round((nowMs - last) / 1000)} s ago (cooldown ${rule.cooldownSeconds} s)`,
      };
    }
    if (to < desired && state.lastScaleOutAt !== undefined && nowMs - state.lastScaleOutAt < cooldownMs) {
      return {
        kind: 'skip',
        from: desired,
        reason: `cooldown: no scale-in within ${rule.cooldownSeconds} s of the last scale-out (${Math.round((nowMs - state.lastScaleOutAt) / 1000)} s ago)`,
      };
    }
  }
  if (to < desired && input.deploymentInProgress !== undefined) {
    return {
      kind: 'defer',
      from: desired,
      to,
      reason: `scale-in ${desired} -> ${to} deferred until deployment ${input.deploymentInProgress} ends`,
    };
  }
  const targetBounds = input.target === undefined ? undefined : { min: input.target.minCapacity, max: input.target.maxCapacity };
  const setsBounds = rule.minCount !== undefined || rule.maxCount !== undefined;
  if (setsBounds && (targetBounds === undefined || !sameBounds(bounds, targetBounds))) {
    return {
      kind: 'set-bounds',
      from: desired,
      to,
      bounds,
      previous: targetBounds ?? current,
      reason: `bounds ${bounds.min}-${bounds.max} (were ${(targetBounds ?? current).min}-${(targetBounds ?? current).max})${to !== desired ? `; desired ${desired} -> ${to}` : ''}`,
    };
  }
  if (to === desired) {
    const reason =
      (rule.adjustment ?? 0) > 0 && desired >= bounds.max
        ? `already at the maximum ${bounds.max}`
        : (rule.adjustment ?? 0) < 0 && desired <= bounds.min
          ? `already at the minimum ${bounds.min}`
          : setsBounds
            ? `bounds already ${bounds.min}-${bounds.max}`
            : 'nothing to change';
    return { kind: 'skip', from: desired, reason };
  }
  const clampedNote = to !== wanted ? `, clamped to the ${to === bounds.max ? 'maximum' : 'minimum'} ${to}` : '';
  const sign = (rule.adjustment ?? 0) >= 0 ? '+' : '';
  return {
    kind: 'scale',
    from: desired,
    to,
    bounds,
    reason: `${desired} -> ${to} (${sign}${rule.adjustment ?? 0}${clampedNote}; bounds ${bounds.min}-${bounds.max})`,
  };
}

/**
 * The state after an action: the rule's cooldown restarts when something changed, a scale-out is
 * remembered, the history keeps the last SCALING_HISTORY_LENGTH actions. `pending` says what
 * becomes of the deferred action: `{ set }` (a deferral), `'clear'` (replayed, or superseded by a
 * newer change) or `'keep'`.
 */
export function nextScalingState(
  state: ScalingState,
  action: MaintenanceAction,
  decision: ScalingDecision,
  key: string,
  nowMs: number,
  pending: { readonly set: NonNullable<ScalingState['pending']> } | 'clear' | 'keep' = 'keep',
): ScalingState {
  const changed = action.outcome === MaintenanceOutcome.Done && (decision.kind === 'scale' || decision.kind === 'set-bounds');
  const scaledOut = changed && (decision.kind === 'scale' || decision.kind === 'set-bounds') && decision.to > decision.from;
  const nextPending = pending === 'keep' ? state.pending : pending === 'clear' ? undefined : pending.set;
  return {
    version: state.version + 1,
    lastActionAt: changed ? { ...state.lastActionAt, [key]: nowMs } : state.lastActionAt,
    ...(scaledOut ? { lastScaleOutAt: nowMs } : state.lastScaleOutAt !== undefined ? { lastScaleOutAt: state.lastScaleOutAt } : {}),
    ...(nextPending ? { pending: nextPending } : {}),
    history: [...state.history, action].slice(-SCALING_HISTORY_LENGTH),
  };
}

// ---------------------------------------------------------------------------------------------
// Triggers: which rules an event starts, and what the CDK construct creates per scaled service
// ---------------------------------------------------------------------------------------------

/** Every alarm name a scaling rule listens to (the EventBridge rule's `alarmName` filter). */
export function scalingAlarmNames(config: CutoverConfig): string[] {
  return [
    ...new Set(config.services.flatMap((s) => (s.scaling?.rules ?? []).flatMap((r) => (r.alarmName === undefined ? [] : [r.alarmName])))),
  ].sort();
}

/** The (service, rule) pairs an alarm triggers. */
export function rulesForAlarm(config: CutoverConfig, alarmName: string): Array<{ service: ServiceConfig; rule: ScalingRuleConfig; index: number }> {
  return config.services.flatMap((service) =>
    (service.scaling?.rules ?? []).flatMap((rule, index) => (rule.alarmName === alarmName ? [{ service, rule, index }] : [])),
  );
}

/** The input an EventBridge Scheduler schedule sends to the scaling handler. */
export const ScheduledScalingInput = z.strictObject({
  source: z.literal('cutover.scheduler'),
  kind: z.literal('scheduled-scaling'),
  service: z.string(),
  environment: z.string(),
  ruleIndex: z.int().check(z.minimum(0)),
});
export type ScheduledScalingInput = z.output<typeof ScheduledScalingInput>;

/** One EventBridge Scheduler schedule per schedule rule: expression, time zone and the input it sends. */
export function scalingSchedules(config: CutoverConfig): Array<{
  service: string;
  environment: string;
  ruleIndex: number;
  schedule: string;
  timezone: string;
  input: ScheduledScalingInput;
}> {
  return config.services.flatMap((s) =>
    (s.scaling?.rules ?? []).flatMap((r, ruleIndex) =>
      r.schedule === undefined
        ? []
        : [
            {
              service: s.name,
              environment: s.environment,
              ruleIndex,
              schedule: r.schedule,
              timezone: r.timezone,
              input: { source: 'cutover.scheduler' as const, kind: 'scheduled-scaling' as const, service: s.name, environment: s.environment, ruleIndex },
            },
          ],
    ),
  );
}

/**
 * The native scaling resources per scaled service (what the construct, and the local rehearsal,
 * create): one scalable target on `ecs:service:DesiredCount` with the configured bounds and, with
 * `targetCpuPercent`, one target-tracking policy on ECSServiceAverageCPUUtilization.
 */
export function scalableTargets(config: CutoverConfig): Array<{
  service: string;
  environment: string;
  resourceId: string;
  minCapacity: number;
  maxCapacity: number;
  targetCpuPercent?: number;
}> {
  return config.services.flatMap((s) =>
    s.scaling === undefined
      ? []
      : [
          {
            service: s.name,
            environment: s.environment,
            resourceId: ecsResourceId(s.cluster, s.service),
            minCapacity: s.scaling.minCount,
            maxCapacity: s.scaling.maxCount,
            ...(s.scaling.targetCpuPercent === undefined ? {} : { targetCpuPercent: s.scaling.targetCpuPercent }),
          },
        ],
  );
}

/** The scaling action a decision becomes (its outcome decided by the caller). */
export function scalingAction(
  decision: ScalingDecision,
  who: { service: string; environment: string; resourceId: string },
  trigger: string,
  outcome: MaintenanceAction['outcome'],
  at: string,
): MaintenanceAction {
  const kind = decision.kind === 'set-bounds' ? MaintenanceActionKind.SetBounds : MaintenanceActionKind.Scale;
  const detail: Record<string, number | string> = { from: decision.from, trigger };
  if (decision.kind !== 'skip') detail.to = decision.to;
  if (decision.kind === 'scale' || decision.kind === 'set-bounds') {
    detail.min = decision.bounds.min;
    detail.max = decision.bounds.max;
  }
  return {
    kind,
    service: who.service,
    environment: who.environment,
    target: who.resourceId,
    outcome,
    at,
    reason: `${trigger}: ${decision.reason}`,
    detail,
  };
}
