/**
 * Application Load Balancer adapters: weighted forwards on a listener's default action or on a
 * listener rule (TrafficRouter), and target health (TargetHealthReader).
 */
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type TargetGroupTuple,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { LiveStateInvalid, ValidationError } from '../core/errors.js';
import type { Route, TargetGroupWeight } from '../core/model.js';
import type { TargetHealthReason, TargetHealthReader, TrafficRouter } from '../core/ports.js';
import { awsCall } from './aws-errors.js';

/** AWS accepts forward weights 0..999. */
export const MAX_FORWARD_WEIGHT = 999;

/**
 * Read a forward action's weights as percentages.
 *
 * - `ForwardConfig.TargetGroups` when present (AWS fills it even for a plain forward), else the
 *   legacy `TargetGroupArn` at 100.
 * - One target group reads as 100 whatever its relative weight (it gets all the traffic).
 * - Weights are relative in AWS; when they do not sum to 100 they are scaled to percentages
 *   (largest remainder, so they still sum to 100): `[1, 1]` reads as `[50, 50]`, `[1, 3]` as
 *   `[25, 75]`. All-zero weights are returned as they are. A missing weight counts as 1 (AWS's
 *   default for a tuple).
 */
export function forwardWeights(action: Action): TargetGroupWeight[] {
  const tuples = (action.ForwardConfig?.TargetGroups ?? []).filter(
    (t): t is TargetGroupTuple & { TargetGroupArn: string } => typeof t.TargetGroupArn === 'string',
  );
  if (tuples.length === 0) {
    return action.TargetGroupArn === undefined ? [] : [{ targetGroupArn: action.TargetGroupArn, weight: 100 }];
  }
  if (tuples.length === 1) return [{ targetGroupArn: tuples[0]!.TargetGroupArn, weight: 100 }];
  const raw = tuples.map((t) => ({ targetGroupArn: t.TargetGroupArn, weight: t.Weight ?? 1 }));
  return toPercentages(raw);
}

/** Scale relative weights to integer percentages summing to 100 (largest remainder). */
export function toPercentages(raw: readonly TargetGroupWeight[]): TargetGroupWeight[] {
  const sum = raw.reduce((s, w) => s + w.weight, 0);
  if (sum === 0 || sum === 100) return raw.map((w) => ({ ...w }));
  const exact = raw.map((w) => (w.weight * 100) / sum);
  const floors = exact.map(Math.floor);
  let remaining = 100 - floors.reduce((s, f) => s + f, 0);
  const order = exact.map((e, i) => ({ i, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (remaining <= 0) break;
    floors[i]! += 1;
    remaining -= 1;
  }
  return raw.map((w, i) => ({ targetGroupArn: w.targetGroupArn, weight: floors[i]! }));
}

const dropUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * An action as it can be sent back to ModifyListener/ModifyRule: the same settings, minus what
 * Describe* returns but Modify* must not receive. An `authenticate-oidc` action is described
 * without its client secret, so it is sent with `UseExistingClientSecret: true` (the secret stays
 * where it is, never read or copied).
 */
export function writableAction(action: Action): Action {
  const copy: Action = dropUndefined({ ...action });
  if (copy.AuthenticateOidcConfig !== undefined) {
    const { ClientSecret: _secret, ...oidc } = copy.AuthenticateOidcConfig;
    copy.AuthenticateOidcConfig = dropUndefined({ ...oidc, UseExistingClientSecret: true });
  }
  return copy;
}

/** The forward action with these weights: ForwardConfig only, stickiness and Order kept. */
export function weightedForward(action: Action, weights: readonly TargetGroupWeight[]): Action {
  const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig;
  return dropUndefined({
    Type: 'forward',
    Order: action.Order,
    ForwardConfig: dropUndefined({
      TargetGroups: weights.map((w) => ({ TargetGroupArn: w.targetGroupArn, Weight: w.weight })),
      TargetGroupStickinessConfig: stickiness === undefined ? undefined : dropUndefined({ ...stickiness }),
    }),
  });
}

/** The full action list to send: every other action kept, the forward replaced. */
export function actionsWithWeights(actions: readonly Action[], weights: readonly TargetGroupWeight[]): Action[] {
  return actions.map((a) => (a.Type === 'forward' ? weightedForward(a, weights) : writableAction(a)));
}

export function validateWeights(weights: readonly TargetGroupWeight[]): void {
  const problems: string[] = [];
  if (weights.length === 0) problems.push('weights: empty; name at least one target group');
  const arns = new Set<string>();
  weights.forEach((w, i) => {
    if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > MAX_FORWARD_WEIGHT) {
      problems.push(`weights[${i}].weight: ${w.weight}; an integer 0..${MAX_FORWARD_WEIGHT}`);
    }
    if (arns.has(w.targetGroupArn)) problems.push(`weights[${i}].targetGroupArn: ${w.targetGroupArn} named twice`);
    arns.add(w.targetGroupArn);
  });
  const sum = weights.reduce((s, w) => s + w.weight, 0);
  if (weights.length > 0 && sum !== 100) problems.push(`weights: sum to ${sum}; they must sum to 100`);
  if (problems.length > 0) throw new ValidationError('Traffic weights', problems);
}

export class ElbTrafficRouter implements TrafficRouter {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  async readWeights(route: Route): Promise<TargetGroupWeight[]> {
    const actions = await this.actions(route);
    return forwardWeights(this.forwardOf(route, actions));
  }

  async setWeights(route: Route, weights: readonly TargetGroupWeight[]): Promise<void> {
    validateWeights(weights);
    const actions = await this.actions(route);
    this.forwardOf(route, actions);
    const next = actionsWithWeights(actions, weights);
    switch (route.kind) {
      case 'listener':
        await awsCall('ElasticLoadBalancingV2:ModifyListener', () =>
          this.client.send(new ModifyListenerCommand({ ListenerArn: route.arn, DefaultActions: next })),
        );
        return;
      case 'rule':
        await awsCall('ElasticLoadBalancingV2:ModifyRule', () =>
          this.client.send(new ModifyRuleCommand({ RuleArn: route.arn, Actions: next })),
        );
        return;
      default:
        return assertNever(route);
    }
  }

  private async actions(route: Route): Promise<Action[]> {
    switch (route.kind) {
      case 'listener': {
        const out = await awsCall('ElasticLoadBalancingV2:DescribeListeners', () =>
          this.client.send(new DescribeListenersCommand({ ListenerArns: [route.arn] })),
        );
        const listener = out.Listeners?.[0];
        if (listener === undefined) throw new LiveStateInvalid(`Listener ${route.arn} not found`, { details: { route } });
        return listener.DefaultActions ?? [];
      }
      case 'rule': {
        const out = await awsCall('ElasticLoadBalancingV2:DescribeRules', () =>
          this.client.send(new DescribeRulesCommand({ RuleArns: [route.arn] })),
        );
        const rule = out.Rules?.[0];
        if (rule === undefined) throw new LiveStateInvalid(`Listener rule ${route.arn} not found`, { details: { route } });
        return rule.Actions ?? [];
      }
      default:
        return assertNever(route);
    }
  }

  private forwardOf(route: Route, actions: readonly Action[]): Action {
    const forward = actions.find((a) => a.Type === 'forward');
    if (forward === undefined) {
      throw new LiveStateInvalid(`The ${route.kind} ${route.arn} has no forward action to weight`, {
        details: { route, actionTypes: actions.map((a) => a.Type) },
      });
    }
    return forward;
  }
}

/** Target states that count as registered (in `total`). */
const LEAVING_STATES: readonly string[] = ['draining', 'unhealthy.draining'];

export class ElbTargetHealth implements TargetHealthReader {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  /**
   * `healthy`: targets in state `healthy`. `total`: every registered target except those
   * deregistering (`draining`, `unhealthy.draining`), which are leaving the group. Targets in
   * `initial`, `unhealthy`, `unused` and `unavailable` count in `total` but not in `healthy`, so a
   * group whose targets are not yet checked reads as not healthy rather than as empty.
   */
  async health(targetGroupArn: string): Promise<{ healthy: number; total: number; reasons?: TargetHealthReason[] }> {
    const out = await awsCall('ElasticLoadBalancingV2:DescribeTargetHealth', () =>
      this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    let healthy = 0;
    let total = 0;
    // Why targets are not healthy, as ELB says (TargetHealth.Reason and Description, "Target health
    // status", https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html):
    // Target.NotInUse, Elb.InitialHealthChecking, Target.FailedHealthChecks ... so a timeout says what to fix.
    const reasons = new Map<string, TargetHealthReason & { count: number }>();
    for (const d of out.TargetHealthDescriptions ?? []) {
      const state = d.TargetHealth?.State ?? 'unavailable';
      if (LEAVING_STATES.includes(state)) continue;
      total += 1;
      if (state === 'healthy') {
        healthy += 1;
        continue;
      }
      const reason = d.TargetHealth?.Reason;
      const key = `${state}|${reason ?? ''}`;
      const seen = reasons.get(key);
      if (seen) seen.count += 1;
      else {
        reasons.set(key, {
          state,
          ...(reason === undefined ? {} : { reason }),
          ...(d.TargetHealth?.Description === undefined ? {} : { description: d.TargetHealth.Description }),
          count: 1,
        });
      }
    }
    return { healthy, total, ...(reasons.size > 0 ? { reasons: [...reasons.values()] } : {}) };
  }
}

function assertNever(x: never): never {
  throw new Error(`Unexpected value ${JSON.stringify(x)}`);
}
