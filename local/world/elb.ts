/**
 * Elastic Load Balancing v2 in memory: Application Load Balancers (`app/`) and Network Load
 * Balancers (`net/`), their listeners, listener rules (ALB), target groups and target health.
 *
 * A Network Load Balancer (type `network`, ARNs `loadbalancer/net/NAME/ID`, `listener/net/NAME/ID/LID`,
 * CloudWatch dimension `net/NAME/ID`) has TCP, TLS, UDP or TCP_UDP listeners whose only action is
 * `forward`, to target groups of those protocols; the forward may name several target groups with
 * weights 0..999 (NLB weighted target groups, Nov 2024: ModifyListener DefaultActions ForwardConfig),
 * which is how ECS shifts traffic on an NLB listener (docs/aws-behaviour.md, "ECS's own deployments").
 *
 * Targets are not registered by hand: each RUNNING task of a task set attached to a target group is a
 * target (as ECS registers them). A target is `initial` for the group's health lag (interval x
 * healthy threshold) after its task started, then `healthy` — or `unhealthy` forever when its image
 * profile says `healthy: false`; targets of stopped tasks are `draining` for the deregistration delay.
 *
 * ModifyListener / ModifyRule validate like ELB does (weights 0..999, target groups must exist,
 * ForwardConfig together with a different TargetGroupArn is refused, exactly one terminal action
 * last, authenticate-oidc needs ClientSecret or UseExistingClientSecret) and store every action as
 * given. Describe* never return an OIDC ClientSecret, like AWS.
 */
import type {
  Action,
  DescribeListenersCommandInput,
  DescribeListenersCommandOutput,
  DescribeLoadBalancersCommandInput,
  DescribeLoadBalancersCommandOutput,
  DescribeRulesCommandInput,
  DescribeRulesCommandOutput,
  DescribeTargetGroupAttributesCommandInput,
  DescribeTargetGroupAttributesCommandOutput,
  DescribeTargetGroupsCommandInput,
  DescribeTargetGroupsCommandOutput,
  DescribeTargetHealthCommandInput,
  DescribeTargetHealthCommandOutput,
  Listener,
  LoadBalancer,
  ModifyListenerCommandInput,
  ModifyListenerCommandOutput,
  ModifyRuleCommandInput,
  ModifyRuleCommandOutput,
  Rule,
  RuleCondition,
  TargetGroup,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { fault } from './errors.js';
import type { EcsWorld, TargetGroupPort, TargetState, TaskTarget } from './ecs.js';
import type { WorldContext } from './types.js';

type Out<T> = Omit<T, '$metadata'>;
export type Operation = (input: never) => unknown;

export interface WeightedGroup {
  readonly targetGroupArn: string;
  readonly weight: number;
}

export type LoadBalancerType = 'application' | 'network';
/** Listener and target-group protocols of a Network Load Balancer (ELB API reference, CreateListener / CreateTargetGroup). */
export const NLB_PROTOCOLS = new Set(['TCP', 'TLS', 'UDP', 'TCP_UDP']);

interface LbRec {
  readonly arn: string;
  readonly name: string;
  readonly id: string;
  readonly type: LoadBalancerType;
  /** `app/NAME/ID` or `net/NAME/ID`: the CloudWatch `LoadBalancer` dimension. */
  readonly fullName: string;
  readonly dnsName: string;
  readonly createdAt: number;
  readonly vpcId: string;
  readonly securityGroups: string[];
}
interface ListenerRec {
  readonly arn: string;
  readonly lbArn: string;
  port: number;
  protocol: string;
  defaultActions: Action[];
  certificates?: ListenerRecCertificates;
  sslPolicy?: string;
  readonly defaultRuleArn: string;
}
type ListenerRecCertificates = NonNullable<ModifyListenerCommandInput['Certificates']>;
interface RuleRec {
  readonly arn: string;
  readonly listenerArn: string;
  readonly priority: number;
  conditions: RuleCondition[];
  actions: Action[];
}
interface TgRec {
  readonly arn: string;
  readonly name: string;
  readonly id: string;
  /** `targetgroup/NAME/ID`: the CloudWatch `TargetGroup` dimension. */
  readonly fullName: string;
  readonly port: number;
  readonly protocol: string;
  readonly vpcId: string;
  readonly healthCheckIntervalSeconds: number;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
  readonly healthCheckPath: string;
  readonly deregistrationDelayMs: number;
}

export interface TargetGroupSpec {
  readonly arn?: string;
  readonly name?: string;
  readonly port?: number;
  /** Default HTTP (ALB); TCP for a Network Load Balancer's groups. */
  readonly protocol?: string;
  readonly healthCheckIntervalSeconds?: number;
  readonly healthyThresholdCount?: number;
  readonly deregistrationDelaySeconds?: number;
}
export interface ListenerSpec {
  readonly arn?: string;
  /** Load balancer name when the listener (and its load balancer) are new and no ARN is given. */
  readonly loadBalancerName?: string;
  /** With `loadBalancerName` (no ARN): the new load balancer's type. Default application. */
  readonly loadBalancerType?: LoadBalancerType;
  readonly port?: number;
  readonly protocol?: string;
  readonly defaultActions: Action[];
}
export interface RuleSpec {
  readonly arn?: string;
  readonly listenerArn: string;
  readonly priority?: number;
  readonly conditions?: RuleCondition[];
  readonly actions: Action[];
}

const TERMINAL = new Set(['forward', 'redirect', 'fixed-response']);
const ACTION_TYPES = new Set(['forward', 'redirect', 'fixed-response', 'authenticate-oidc', 'authenticate-cognito', 'jwt-validation']);
const ELB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/** Parse `...:listener/{app|net}/NAME/LBID/LID`, `...:listener-rule/{app|net}/NAME/LBID/LID/RID`, `...:targetgroup/NAME/ID`. */
export function parseElbArn(arn: string):
  | { kind: 'listener'; prefix: string; lbType: LoadBalancerType; lbName: string; lbId: string; listenerId: string }
  | { kind: 'rule'; prefix: string; lbType: LoadBalancerType; lbName: string; lbId: string; listenerId: string; ruleId: string }
  | { kind: 'targetgroup'; prefix: string; name: string; id: string }
  | { kind: 'loadbalancer'; prefix: string; lbType: LoadBalancerType; lbName: string; lbId: string }
  | undefined {
  const m = /^(arn:[^:]+:elasticloadbalancing:[^:]+:\d{12}):(.+)$/.exec(arn);
  if (!m) return undefined;
  const prefix = m[1] as string;
  const parts = (m[2] as string).split('/');
  const [res, ...rest] = parts;
  const lbType: LoadBalancerType | undefined = rest[0] === 'app' ? 'application' : rest[0] === 'net' ? 'network' : undefined;
  if (res === 'listener' && lbType && rest.length === 4) {
    return { kind: 'listener', prefix, lbType, lbName: rest[1] as string, lbId: rest[2] as string, listenerId: rest[3] as string };
  }
  if (res === 'listener-rule' && lbType && rest.length === 5) {
    return { kind: 'rule', prefix, lbType, lbName: rest[1] as string, lbId: rest[2] as string, listenerId: rest[3] as string, ruleId: rest[4] as string };
  }
  if (res === 'targetgroup' && rest.length === 2) return { kind: 'targetgroup', prefix, name: rest[0] as string, id: rest[1] as string };
  if (res === 'loadbalancer' && lbType && rest.length === 3) return { kind: 'loadbalancer', prefix, lbType, lbName: rest[1] as string, lbId: rest[2] as string };
  return undefined;
}

export class ElbWorld implements TargetGroupPort {
  private readonly lbs = new Map<string, LbRec>();
  private readonly listeners = new Map<string, ListenerRec>();
  private readonly rules = new Map<string, RuleRec>();
  private readonly tgs = new Map<string, TgRec>();
  /** Forward weights over time per route (listener default action or rule), for the traffic model. */
  /** Per route, its forward groups over time; `seeded` entries were there before the scenario (settled). */
  private readonly history = new Map<string, Array<{ at: number; groups: WeightedGroup[]; seeded?: boolean }>>();

  constructor(
    private readonly ctx: WorldContext,
    private readonly ecs: EcsWorld,
  ) {}

  private get now(): number {
    return this.ctx.clock.now();
  }
  private get prefix(): string {
    return `arn:aws:elasticloadbalancing:${this.ctx.region}:${this.ctx.accountId}`;
  }

  // ------------------------------------------------------------------ seeding
  ensureLoadBalancer(name: string, id?: string, prefix = this.prefix, type: LoadBalancerType = 'application'): LbRec {
    for (const lb of this.lbs.values()) {
      if (lb.name === name && (id === undefined || lb.id === id)) {
        if (lb.type !== type) throw new Error(`load balancer ${name} is of type ${lb.type}, not ${type}`);
        return lb;
      }
    }
    if (!ELB_NAME.test(name)) throw new Error(`load balancer name '${name}' is invalid`);
    const lbId = id ?? this.ctx.ids.hex(16);
    const seg = type === 'network' ? 'net' : 'app';
    const rec: LbRec = {
      arn: `${prefix}:loadbalancer/${seg}/${name}/${lbId}`,
      name,
      id: lbId,
      type,
      fullName: `${seg}/${name}/${lbId}`,
      dnsName: `${name}-${this.ctx.ids.digits(10)}.${this.ctx.region}.elb.amazonaws.com`,
      createdAt: this.now,
      vpcId: `vpc-0${this.ctx.ids.hex(16)}`,
      securityGroups: [`sg-0${this.ctx.ids.hex(16)}`],
    };
    this.lbs.set(rec.arn, rec);
    return rec;
  }

  ensureTargetGroup(spec: TargetGroupSpec): TgRec {
    if (spec.arn && this.tgs.has(spec.arn)) return this.tgs.get(spec.arn) as TgRec;
    const parsed = spec.arn ? parseElbArn(spec.arn) : undefined;
    if (spec.arn && parsed?.kind !== 'targetgroup') throw new Error(`'${spec.arn}' is not a target group ARN`);
    const name = parsed?.kind === 'targetgroup' ? parsed.name : (spec.name ?? `tg-${this.ctx.ids.hex(6)}`);
    const id = parsed?.kind === 'targetgroup' ? parsed.id : this.ctx.ids.hex(16);
    const arn = spec.arn ?? `${this.prefix}:targetgroup/${name}/${id}`;
    const rec: TgRec = {
      arn,
      name,
      id,
      fullName: `targetgroup/${name}/${id}`,
      port: spec.port ?? 80,
      protocol: spec.protocol ?? 'HTTP',
      vpcId: `vpc-0${this.ctx.ids.hex(16)}`,
      healthCheckIntervalSeconds: spec.healthCheckIntervalSeconds ?? this.ctx.settings.healthCheckIntervalSeconds,
      healthyThresholdCount: spec.healthyThresholdCount ?? this.ctx.settings.healthyThresholdCount,
      unhealthyThresholdCount: 2,
      healthCheckPath: '/health',
      deregistrationDelayMs:
        spec.deregistrationDelaySeconds !== undefined ? spec.deregistrationDelaySeconds * 1000 : this.ctx.settings.deregistrationDelayMs,
    };
    this.tgs.set(arn, rec);
    return rec;
  }

  /** Create a listener (and its load balancer when new). Actions are validated like ModifyListener. */
  createListener(spec: ListenerSpec): ListenerRec {
    if (spec.arn && this.listeners.has(spec.arn)) throw new Error(`listener ${spec.arn} already exists`);
    const parsed = spec.arn ? parseElbArn(spec.arn) : undefined;
    if (spec.arn && parsed?.kind !== 'listener') throw new Error(`'${spec.arn}' is not a listener ARN`);
    const type = parsed?.kind === 'listener' ? parsed.lbType : (spec.loadBalancerType ?? 'application');
    const lb =
      parsed?.kind === 'listener'
        ? this.ensureLoadBalancer(parsed.lbName, parsed.lbId, parsed.prefix, type)
        : this.ensureLoadBalancer(spec.loadBalancerName ?? `${type === 'network' ? 'nlb' : 'alb'}-${this.ctx.ids.hex(6)}`, undefined, this.prefix, type);
    const listenerId = parsed?.kind === 'listener' ? parsed.listenerId : this.ctx.ids.hex(16);
    const arn = spec.arn ?? `${lb.arn.replace(':loadbalancer/', ':listener/')}/${listenerId}`;
    const protocol = spec.protocol ?? (type === 'network' ? 'TCP' : 'HTTPS');
    this.checkListenerProtocol(lb, protocol);
    const actions = this.validateActions(spec.defaultActions, [], lb.arn, 'DefaultActions');
    const rec: ListenerRec = {
      arn,
      lbArn: lb.arn,
      port: spec.port ?? (type === 'network' ? 80 : 443),
      protocol,
      defaultActions: actions,
      defaultRuleArn: `${arn.replace(':listener/', ':listener-rule/')}/${this.ctx.ids.hex(16)}`,
    };
    this.listeners.set(arn, rec);
    this.record(arn, actions, true);
    return rec;
  }

  createRule(spec: RuleSpec): RuleRec {
    if (spec.arn && this.rules.has(spec.arn)) throw new Error(`rule ${spec.arn} already exists`);
    const listener = this.listeners.get(spec.listenerArn);
    if (!listener) throw new Error(`listener ${spec.listenerArn} does not exist`);
    if (this.lbs.get(listener.lbArn)?.type === 'network') throw new Error(`createRule: ${spec.listenerArn} is a Network Load Balancer listener; the world models NLB listeners with their default action only`);
    const parsed = spec.arn ? parseElbArn(spec.arn) : undefined;
    if (spec.arn && parsed?.kind !== 'rule') throw new Error(`'${spec.arn}' is not a listener-rule ARN`);
    const arn = spec.arn ?? `${listener.arn.replace(':listener/', ':listener-rule/')}/${this.ctx.ids.hex(16)}`;
    const used = new Set([...this.rules.values()].filter((r) => r.listenerArn === listener.arn).map((r) => r.priority));
    let priority = spec.priority ?? 1;
    if (spec.priority !== undefined && used.has(priority)) throw new Error(`priority ${priority} is in use on ${listener.arn}`);
    while (used.has(priority)) priority++;
    const actions = this.validateActions(spec.actions, [], listener.lbArn, 'Actions');
    const rec: RuleRec = {
      arn,
      listenerArn: listener.arn,
      priority,
      conditions: structuredClone(spec.conditions ?? [{ Field: 'path-pattern', Values: ['/*'] }]),
      actions,
    };
    this.rules.set(arn, rec);
    this.record(arn, actions, true);
    return rec;
  }

  // ------------------------------------------------------------------ queries for the world
  hasListener(arn: string): boolean {
    return this.listeners.has(arn);
  }
  hasRule(arn: string): boolean {
    return this.rules.has(arn);
  }
  targetGroupArns(): string[] {
    return [...this.tgs.keys()];
  }
  hasTargetGroup(arn: string): boolean {
    return this.tgs.has(arn);
  }
  targetGroupFullName(arn: string): string | undefined {
    return this.tgs.get(arn)?.fullName;
  }
  /** The load balancers (full names) whose listeners or rules forward to the target group. */
  loadBalancersOf(targetGroupArn: string): Array<{ arn: string; fullName: string }> {
    const arns = this.lbArnsOf(targetGroupArn);
    return arns.map((a) => ({ arn: a, fullName: (this.lbs.get(a) as LbRec).fullName }));
  }
  /** The load balancer a route (listener or rule) belongs to. */
  loadBalancerOfRoute(routeArn: string): { arn: string; fullName: string } | undefined {
    const l = this.listeners.get(routeArn) ?? this.listeners.get(this.rules.get(routeArn)?.listenerArn ?? '');
    const lb = l ? this.lbs.get(l.lbArn) : undefined;
    return lb ? { arn: lb.arn, fullName: lb.fullName } : undefined;
  }
  listenerOfRule(ruleArn: string): string | undefined {
    return this.rules.get(ruleArn)?.listenerArn;
  }
  /** The type of the load balancer a listener, rule or target group belongs to (a target group on no listener: undefined). */
  loadBalancerType(arn: string): LoadBalancerType | undefined {
    const l = this.listeners.get(arn) ?? this.listeners.get(this.rules.get(arn)?.listenerArn ?? '');
    if (l) return this.lbs.get(l.lbArn)?.type;
    const lbArn = this.lbArnsOf(arn)[0];
    return lbArn ? this.lbs.get(lbArn)?.type : undefined;
  }
  /** A target group's protocol (HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP). */
  targetGroupProtocol(arn: string): string | undefined {
    return this.tgs.get(arn)?.protocol;
  }

  /** The forward weights of a route now (a plain forward to one group reads as that group at weight 1 as AWS stores it). */
  weights(routeArn: string): WeightedGroup[] {
    const actions = this.listeners.get(routeArn)?.defaultActions ?? this.rules.get(routeArn)?.actions;
    if (!actions) throw new Error(`no listener or rule ${routeArn} in the world`);
    return forwardGroups(actions);
  }

  /** The forward weights of a route at virtual time `at` (from its change history). */
  weightsAt(routeArn: string, at: number): WeightedGroup[] | undefined {
    const h = this.history.get(routeArn);
    if (!h) return undefined;
    let found: WeightedGroup[] | undefined;
    for (const e of h) {
      if (e.at <= at) found = e.groups;
      else break;
    }
    return found;
  }
  routeCreatedAt(routeArn: string): number | undefined {
    return this.history.get(routeArn)?.[0]?.at;
  }

  private record(routeArn: string, actions: Action[], seeded = false): void {
    const h = this.history.get(routeArn) ?? [];
    h.push({ at: this.now, groups: forwardGroups(actions), ...(seeded ? { seeded } : {}) });
    this.history.set(routeArn, h);
    if (!seeded) for (const fn of this.routingObservers) fn(routeArn);
  }

  private readonly routingObservers = new Set<(routeArn: string) => void>();
  /**
   * Called after every write of a listener's or rule's actions (whoever wrote it: Cutover, or ECS's
   * own deployments moving traffic between Cutover's states). Returns an unsubscribe function.
   */
  onRoutingChange(fn: (routeArn: string) => void): () => void {
    this.routingObservers.add(fn);
    return () => this.routingObservers.delete(fn);
  }

  /** The registered targets of a group with their state now. */
  targets(targetGroupArn: string, now = this.now): Array<{ target: TaskTarget; state: TargetState }> {
    const out: Array<{ target: TaskTarget; state: TargetState }> = [];
    for (const t of this.ecs.targetsOf(targetGroupArn)) {
      const state = this.targetState(targetGroupArn, t, now);
      if (state) out.push({ target: t, state });
    }
    return out;
  }

  // ------------------------------------------------------------------ TargetGroupPort (for ECS)
  /**
   * `hasLoadBalancer` as ECS sees it: a route names the group, and has for at least
   * settings.targetGroupAssociationMs (ELB and ECS are eventually consistent: right after a
   * listener starts naming a target group, CreateTaskSet can still answer "does not have an
   * associated load balancer"; callers retry briefly).
   */
  describe(targetGroupArn: string): { hasLoadBalancer: boolean; deregistrationDelayMs: number } | undefined {
    const tg = this.tgs.get(targetGroupArn);
    if (!tg) return undefined;
    const since = this.associatedSince(targetGroupArn);
    const settled = since !== undefined && this.now >= since + this.ctx.settings.targetGroupAssociationMs;
    return { hasLoadBalancer: this.lbArnsOf(targetGroupArn).length > 0 && settled, deregistrationDelayMs: tg.deregistrationDelayMs };
  }

  /** Since when (virtual ms) some route has named the group without a break; undefined: none names it. */
  private associatedSince(targetGroupArn: string): number | undefined {
    let earliest: number | undefined;
    for (const h of this.history.values()) {
      let since: number | undefined;
      for (let k = h.length - 1; k >= 0; k--) {
        const e = h[k] as { at: number; groups: WeightedGroup[]; seeded?: boolean };
        if (!e.groups.some((g) => g.targetGroupArn === targetGroupArn)) break;
        since = e.seeded ? Number.NEGATIVE_INFINITY : e.at;
      }
      if (since !== undefined && (earliest === undefined || since < earliest)) earliest = since;
    }
    return earliest;
  }

  targetState(targetGroupArn: string, t: TaskTarget, now: number): TargetState | undefined {
    const tg = this.tgs.get(targetGroupArn);
    if (!tg || t.runningAt === undefined || t.runningAt > now) return undefined;
    if (t.stoppedAt !== undefined && t.stoppedAt <= now) {
      if (t.stoppedAt < t.runningAt) return undefined;
      return now < t.stoppedAt + tg.deregistrationDelayMs ? 'draining' : undefined;
    }
    if (this.lbArnsOf(targetGroupArn).length === 0) return 'unused';
    const lagMs = tg.healthCheckIntervalSeconds * tg.healthyThresholdCount * 1000;
    if (now < t.runningAt + lagMs) return 'initial';
    return this.ctx.profile(t.digest).healthy ? 'healthy' : 'unhealthy';
  }

  private lbArnsOf(targetGroupArn: string): string[] {
    const out = new Set<string>();
    for (const l of this.listeners.values()) {
      if (forwardGroups(l.defaultActions).some((g) => g.targetGroupArn === targetGroupArn)) out.add(l.lbArn);
    }
    for (const r of this.rules.values()) {
      if (forwardGroups(r.actions).some((g) => g.targetGroupArn === targetGroupArn)) {
        const l = this.listeners.get(r.listenerArn);
        if (l) out.add(l.lbArn);
      }
    }
    return [...out];
  }

  // ------------------------------------------------------------------ validation
  /** ALB listeners are HTTP or HTTPS; NLB listeners TCP, TLS, UDP or TCP_UDP (ELB API reference, CreateListener Protocol). */
  private checkListenerProtocol(lb: LbRec, protocol: string): void {
    const ok = lb.type === 'network' ? NLB_PROTOCOLS.has(protocol) : protocol === 'HTTP' || protocol === 'HTTPS';
    if (!ok) {
      throw fault(
        'InvalidConfigurationRequestException',
        `Protocol '${protocol}' is not supported for load balancers of type '${lb.type}'; use ${lb.type === 'network' ? 'TCP, TLS, UDP or TCP_UDP' : 'HTTP or HTTPS'}`,
      );
    }
  }

  /** Validate actions like ELB and return what to store (secrets resolved, forward normalized). */
  private validateActions(actions: Action[] | undefined, existing: Action[], lbArn: string, field: string): Action[] {
    if (!actions || actions.length === 0) throw fault('ValidationError', `${field} must contain at least one action`);
    if (this.lbs.get(lbArn)?.type === 'network') {
      // A Network Load Balancer's listener has one action, a forward (ELB API reference, Action Type).
      if (actions.length !== 1 || actions[0]?.Type !== 'forward') {
        throw fault('InvalidLoadBalancerActionException', `A listener of a Network Load Balancer supports a single forward action (got ${actions.map((a) => a.Type).join(', ')})`);
      }
    }
    if (actions.length > 1 && actions.some((a) => a.Order === undefined)) {
      throw fault('ValidationError', `An order must be specified for each action when ${field} contains more than one action`);
    }
    const orders = actions.map((a) => a.Order).filter((o): o is number => o !== undefined);
    if (new Set(orders).size !== orders.length) throw fault('ValidationError', 'Action orders must be unique');
    for (const o of orders) if (!Number.isInteger(o) || o < 1 || o > 50000) throw fault('ValidationError', `Action order ${o} must be between 1 and 50000`);
    const sorted = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
    const terminals = sorted.filter((a) => TERMINAL.has(a.Type ?? ''));
    if (terminals.length !== 1 || !TERMINAL.has(sorted[sorted.length - 1]?.Type ?? '')) {
      throw fault('InvalidLoadBalancerActionException', 'The last action must be one of forward, redirect or fixed-response, and there must be exactly one such action');
    }
    return actions.map((a) => this.validateAction(a, existing, lbArn));
  }

  private validateAction(a: Action, existing: Action[], lbArn: string): Action {
    const type = a.Type ?? '';
    if (!ACTION_TYPES.has(type)) throw fault('ValidationError', `Action type '${type}' must be one of ${[...ACTION_TYPES].join(', ')}`);
    const stored = structuredClone(a);
    switch (type) {
      case 'forward': {
        const fc = a.ForwardConfig;
        if (a.TargetGroupArn === undefined && fc === undefined) throw fault('ValidationError', 'A forward action must specify TargetGroupArn or ForwardConfig');
        const groups = fc?.TargetGroups ?? [];
        if (a.TargetGroupArn !== undefined && fc !== undefined) {
          if (groups.length > 1 || (groups.length === 1 && groups[0]?.TargetGroupArn !== a.TargetGroupArn)) {
            throw fault(
              'ValidationError',
              "You cannot specify both 'TargetGroupArn' and a 'ForwardConfig' that names other target groups; if you specify both, ForwardConfig may name only the same single target group",
            );
          }
        }
        const tuples = fc ? (groups.length > 0 ? groups : a.TargetGroupArn ? [{ TargetGroupArn: a.TargetGroupArn }] : []) : [{ TargetGroupArn: a.TargetGroupArn }];
        if (tuples.length === 0) throw fault('ValidationError', 'ForwardConfig.TargetGroups must name at least one target group');
        if (tuples.length > 5) throw fault('ValidationError', 'ForwardConfig.TargetGroups may name at most 5 target groups');
        const seen = new Set<string>();
        for (const t of tuples) {
          const arn = t.TargetGroupArn ?? '';
          if (seen.has(arn)) throw fault('ValidationError', `Target group '${arn}' is named more than once in ForwardConfig`);
          seen.add(arn);
          if (!this.tgs.has(arn)) throw fault('TargetGroupNotFoundException', `Target groups '${arn}' not found`);
          const network = this.lbs.get(lbArn)?.type === 'network';
          const tgProtocol = (this.tgs.get(arn) as TgRec).protocol;
          if (network !== NLB_PROTOCOLS.has(tgProtocol)) {
            throw fault('InvalidConfigurationRequestException', `The protocol of target group '${arn}' (${tgProtocol}) is not supported by a load balancer of type '${network ? 'network' : 'application'}'`);
          }
          const w = (t as { Weight?: number }).Weight;
          if (w !== undefined && (!Number.isInteger(w) || w < 0 || w > 999)) {
            throw fault('ValidationError', `1 validation error detected: Value '${w}' at 'weight' failed to satisfy constraint: Member must have value between 0 and 999`);
          }
          const other = this.lbArnsOf(arn).filter((l) => l !== lbArn);
          if (other.length > 0) {
            throw fault('TargetGroupAssociationLimitException', `The following target groups cannot be associated with more than one load balancer: ${arn}`);
          }
        }
        const st = fc?.TargetGroupStickinessConfig;
        if (st?.Enabled && (st.DurationSeconds === undefined || st.DurationSeconds < 1 || st.DurationSeconds > 604800)) {
          throw fault('ValidationError', 'TargetGroupStickinessConfig.DurationSeconds must be between 1 and 604800 when stickiness is enabled');
        }
        return {
          Type: 'forward',
          ...(a.Order !== undefined ? { Order: a.Order } : {}),
          ForwardConfig: {
            TargetGroups: tuples.map((t) => ({ TargetGroupArn: t.TargetGroupArn as string, Weight: (t as { Weight?: number }).Weight ?? 1 })),
            TargetGroupStickinessConfig: st ? structuredClone(st) : { Enabled: false },
          },
        };
      }
      case 'authenticate-oidc': {
        const c = a.AuthenticateOidcConfig;
        if (!c?.Issuer || !c.AuthorizationEndpoint || !c.TokenEndpoint || !c.UserInfoEndpoint || !c.ClientId) {
          throw fault('ValidationError', 'AuthenticateOidcConfig requires Issuer, AuthorizationEndpoint, TokenEndpoint, UserInfoEndpoint and ClientId');
        }
        const { UseExistingClientSecret, ...rest } = structuredClone(c);
        if (rest.ClientSecret === undefined) {
          const prior = existing.find((x) => x.Type === 'authenticate-oidc')?.AuthenticateOidcConfig?.ClientSecret;
          if (!UseExistingClientSecret || prior === undefined) {
            throw fault('ValidationError', 'You must specify a client secret for an authenticate-oidc action (or set UseExistingClientSecret to true)');
          }
          rest.ClientSecret = prior;
        }
        return { ...stored, AuthenticateOidcConfig: rest };
      }
      case 'fixed-response':
        if (!a.FixedResponseConfig?.StatusCode) throw fault('ValidationError', 'FixedResponseConfig.StatusCode is required');
        return stored;
      case 'redirect':
        if (!a.RedirectConfig?.StatusCode) throw fault('ValidationError', 'RedirectConfig.StatusCode is required');
        return stored;
      default:
        return stored;
    }
  }

  /** Actions as Describe* returns them: forward with TargetGroupArn when single, no OIDC secret. */
  private view(actions: Action[]): Action[] {
    return actions.map((a) => {
      const c = structuredClone(a);
      if (c.Type === 'forward' && c.ForwardConfig?.TargetGroups?.length === 1) {
        return { Type: c.Type, TargetGroupArn: c.ForwardConfig.TargetGroups[0]?.TargetGroupArn, ...(c.Order !== undefined ? { Order: c.Order } : {}), ForwardConfig: c.ForwardConfig };
      }
      if (c.AuthenticateOidcConfig) delete c.AuthenticateOidcConfig.ClientSecret;
      return c;
    });
  }

  // ------------------------------------------------------------------ API
  operations(): Record<string, Operation> {
    return {
      DescribeLoadBalancers: (i: DescribeLoadBalancersCommandInput) => this.describeLoadBalancers(i),
      DescribeListeners: (i: DescribeListenersCommandInput) => this.describeListeners(i),
      ModifyListener: (i: ModifyListenerCommandInput) => this.modifyListener(i),
      DescribeRules: (i: DescribeRulesCommandInput) => this.describeRules(i),
      ModifyRule: (i: ModifyRuleCommandInput) => this.modifyRule(i),
      DescribeTargetGroups: (i: DescribeTargetGroupsCommandInput) => this.describeTargetGroups(i),
      DescribeTargetGroupAttributes: (i: DescribeTargetGroupAttributesCommandInput) => this.describeTargetGroupAttributes(i),
      DescribeTargetHealth: (i: DescribeTargetHealthCommandInput) => this.describeTargetHealth(i),
    };
  }

  private lbView(lb: LbRec): LoadBalancer {
    return {
      LoadBalancerArn: lb.arn,
      DNSName: lb.dnsName,
      CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
      CreatedTime: new Date(lb.createdAt),
      LoadBalancerName: lb.name,
      Scheme: 'internet-facing',
      VpcId: lb.vpcId,
      State: { Code: 'active' },
      Type: lb.type,
      AvailabilityZones: ['a', 'b', 'c'].map((z) => ({ ZoneName: `${this.ctx.region}${z}`, SubnetId: `subnet-0${z}${lb.id.slice(0, 15)}` })),
      ...(lb.type === 'application' ? { SecurityGroups: [...lb.securityGroups] } : {}),
      IpAddressType: 'ipv4',
    };
  }

  describeLoadBalancers(i: DescribeLoadBalancersCommandInput): Out<DescribeLoadBalancersCommandOutput> {
    let list = [...this.lbs.values()];
    if (i.LoadBalancerArns?.length) {
      list = i.LoadBalancerArns.map((a) => {
        const lb = this.lbs.get(a);
        if (!lb) throw fault('LoadBalancerNotFoundException', `Load balancers '[${a}]' not found`);
        return lb;
      });
    } else if (i.Names?.length) {
      list = i.Names.map((n) => {
        const lb = [...this.lbs.values()].find((x) => x.name === n);
        if (!lb) throw fault('LoadBalancerNotFoundException', `Load balancers '[${n}]' not found`);
        return lb;
      });
    }
    return { LoadBalancers: list.map((lb) => this.lbView(lb)) };
  }

  private listenerView(l: ListenerRec): Listener {
    return {
      ListenerArn: l.arn,
      LoadBalancerArn: l.lbArn,
      Port: l.port,
      Protocol: l.protocol as Listener['Protocol'],
      ...(l.certificates ? { Certificates: structuredClone(l.certificates) } : {}),
      ...(l.sslPolicy ? { SslPolicy: l.sslPolicy } : l.protocol === 'HTTPS' ? { SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' } : {}),
      DefaultActions: this.view(l.defaultActions),
    };
  }

  private listener(arn: string | undefined): ListenerRec {
    const l = arn ? this.listeners.get(arn) : undefined;
    if (!l) throw fault('ListenerNotFoundException', `One or more listeners not found`);
    return l;
  }

  describeListeners(i: DescribeListenersCommandInput): Out<DescribeListenersCommandOutput> {
    if (i.ListenerArns?.length && i.LoadBalancerArn) throw fault('ValidationError', 'Listener ARNs and a load balancer ARN cannot be specified at the same time');
    if (i.ListenerArns?.length) return { Listeners: i.ListenerArns.map((a) => this.listenerView(this.listener(a))) };
    if (i.LoadBalancerArn) {
      if (!this.lbs.has(i.LoadBalancerArn)) throw fault('LoadBalancerNotFoundException', `Load balancers '[${i.LoadBalancerArn}]' not found`);
      return { Listeners: [...this.listeners.values()].filter((l) => l.lbArn === i.LoadBalancerArn).map((l) => this.listenerView(l)) };
    }
    throw fault('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
  }

  modifyListener(i: ModifyListenerCommandInput): Out<ModifyListenerCommandOutput> {
    const l = this.listener(i.ListenerArn);
    if (i.Protocol !== undefined) this.checkListenerProtocol(this.lbs.get(l.lbArn) as LbRec, i.Protocol);
    const actions = i.DefaultActions !== undefined ? this.validateActions(i.DefaultActions, l.defaultActions, l.lbArn, 'DefaultActions') : undefined;
    if (i.Port !== undefined) {
      if (!Number.isInteger(i.Port) || i.Port < 1 || i.Port > 65535) throw fault('ValidationError', 'Port must be between 1 and 65535');
      if ([...this.listeners.values()].some((x) => x !== l && x.lbArn === l.lbArn && x.port === i.Port)) {
        throw fault('DuplicateListenerException', 'A listener already exists on this port for this load balancer');
      }
      l.port = i.Port;
    }
    if (i.Protocol !== undefined) l.protocol = i.Protocol;
    if (i.Certificates !== undefined) l.certificates = structuredClone(i.Certificates);
    if (i.SslPolicy !== undefined) l.sslPolicy = i.SslPolicy;
    if (actions) {
      l.defaultActions = actions;
      this.record(l.arn, actions);
    }
    return { Listeners: [this.listenerView(l)] };
  }

  private ruleView(r: RuleRec): Rule {
    return {
      RuleArn: r.arn,
      Priority: String(r.priority),
      Conditions: structuredClone(r.conditions),
      Actions: this.view(r.actions),
      IsDefault: false,
    };
  }
  private defaultRuleView(l: ListenerRec): Rule {
    return { RuleArn: l.defaultRuleArn, Priority: 'default', Conditions: [], Actions: this.view(l.defaultActions), IsDefault: true };
  }

  describeRules(i: DescribeRulesCommandInput): Out<DescribeRulesCommandOutput> {
    if (i.RuleArns?.length && i.ListenerArn) throw fault('ValidationError', 'Rule ARNs and a listener ARN cannot be specified at the same time');
    if (i.RuleArns?.length) {
      return {
        Rules: i.RuleArns.map((a) => {
          const r = this.rules.get(a);
          if (r) return this.ruleView(r);
          const l = [...this.listeners.values()].find((x) => x.defaultRuleArn === a);
          if (l) return this.defaultRuleView(l);
          throw fault('RuleNotFoundException', 'One or more rules not found');
        }),
      };
    }
    if (i.ListenerArn) {
      const l = this.listener(i.ListenerArn);
      const rules = [...this.rules.values()].filter((r) => r.listenerArn === l.arn).sort((a, b) => a.priority - b.priority);
      return { Rules: [...rules.map((r) => this.ruleView(r)), this.defaultRuleView(l)] };
    }
    throw fault('ValidationError', 'You must specify either listener ARN or rule ARNs');
  }

  modifyRule(i: ModifyRuleCommandInput): Out<ModifyRuleCommandOutput> {
    const r = i.RuleArn ? this.rules.get(i.RuleArn) : undefined;
    if (!r) {
      if ([...this.listeners.values()].some((l) => l.defaultRuleArn === i.RuleArn)) {
        throw fault('OperationNotPermittedException', 'Default rule cannot be modified; modify the listener default actions instead');
      }
      throw fault('RuleNotFoundException', 'One or more rules not found');
    }
    const listener = this.listener(r.listenerArn);
    const actions = i.Actions !== undefined ? this.validateActions(i.Actions, r.actions, listener.lbArn, 'Actions') : undefined;
    if (i.Conditions !== undefined) {
      if (i.Conditions.length === 0) throw fault('ValidationError', 'A rule must have at least one condition');
      r.conditions = structuredClone(i.Conditions);
    }
    if (actions) {
      r.actions = actions;
      this.record(r.arn, actions);
    }
    return { Rules: [this.ruleView(r)] };
  }

  private tgView(tg: TgRec): TargetGroup {
    return {
      TargetGroupArn: tg.arn,
      TargetGroupName: tg.name,
      Protocol: tg.protocol as TargetGroup['Protocol'],
      Port: tg.port,
      VpcId: tg.vpcId,
      HealthCheckProtocol: NLB_PROTOCOLS.has(tg.protocol) ? 'TCP' : 'HTTP',
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: tg.healthCheckIntervalSeconds,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: tg.healthyThresholdCount,
      UnhealthyThresholdCount: tg.unhealthyThresholdCount,
      ...(NLB_PROTOCOLS.has(tg.protocol) ? {} : { HealthCheckPath: tg.healthCheckPath, Matcher: { HttpCode: '200' }, ProtocolVersion: 'HTTP1' }),
      LoadBalancerArns: this.lbArnsOf(tg.arn),
      TargetType: 'ip',
      IpAddressType: 'ipv4',
    };
  }

  describeTargetGroups(i: DescribeTargetGroupsCommandInput): Out<DescribeTargetGroupsCommandOutput> {
    let list = [...this.tgs.values()];
    if (i.TargetGroupArns?.length) {
      list = i.TargetGroupArns.map((a) => {
        const tg = this.tgs.get(a);
        if (!tg) throw fault('TargetGroupNotFoundException', `Target groups '[${a}]' not found`);
        return tg;
      });
    } else if (i.Names?.length) {
      list = i.Names.map((n) => {
        const tg = [...this.tgs.values()].find((x) => x.name === n);
        if (!tg) throw fault('TargetGroupNotFoundException', `Target groups '[${n}]' not found`);
        return tg;
      });
    } else if (i.LoadBalancerArn) {
      if (!this.lbs.has(i.LoadBalancerArn)) throw fault('LoadBalancerNotFoundException', `Load balancers '[${i.LoadBalancerArn}]' not found`);
      list = list.filter((tg) => this.lbArnsOf(tg.arn).includes(i.LoadBalancerArn as string));
    }
    return { TargetGroups: list.map((tg) => this.tgView(tg)) };
  }

  describeTargetGroupAttributes(i: DescribeTargetGroupAttributesCommandInput): Out<DescribeTargetGroupAttributesCommandOutput> {
    const tg = i.TargetGroupArn ? this.tgs.get(i.TargetGroupArn) : undefined;
    if (!tg) throw fault('TargetGroupNotFoundException', 'One or more target groups not found');
    return {
      Attributes: [
        { Key: 'deregistration_delay.timeout_seconds', Value: String(Math.round(tg.deregistrationDelayMs / 1000)) },
        { Key: 'stickiness.enabled', Value: 'false' },
        { Key: 'load_balancing.algorithm.type', Value: 'round_robin' },
        { Key: 'slow_start.duration_seconds', Value: '0' },
      ],
    };
  }

  describeTargetHealth(i: DescribeTargetHealthCommandInput): Out<DescribeTargetHealthCommandOutput> {
    const tg = i.TargetGroupArn ? this.tgs.get(i.TargetGroupArn) : undefined;
    if (!tg) throw fault('TargetGroupNotFoundException', 'One or more target groups not found');
    let list = this.targets(tg.arn);
    if (i.Targets?.length) {
      const wanted = i.Targets;
      list = list.filter(({ target }) => wanted.some((w) => w.Id === target.ip && (w.Port === undefined || w.Port === target.port)));
    }
    const descriptions: TargetHealthDescription[] = list.map(({ target, state }) => ({
      Target: { Id: target.ip, Port: target.port, AvailabilityZone: target.availabilityZone },
      HealthCheckPort: String(target.port),
      TargetHealth: healthOf(state),
    }));
    return { TargetHealthDescriptions: descriptions };
  }
}

function healthOf(state: TargetState): NonNullable<TargetHealthDescription['TargetHealth']> {
  switch (state) {
    case 'healthy':
      return { State: 'healthy' };
    case 'initial':
      return { State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' };
    case 'unhealthy':
      return { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [500]' };
    case 'draining':
      return { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' };
    case 'unused':
      return { State: 'unused', Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' };
  }
}

/** The weighted target groups of the terminal forward action (empty for redirect / fixed-response). */
export function forwardGroups(actions: readonly Action[]): WeightedGroup[] {
  const fwd = actions.find((a) => a.Type === 'forward');
  if (!fwd) return [];
  const groups = fwd.ForwardConfig?.TargetGroups;
  if (groups && groups.length > 0) return groups.map((g) => ({ targetGroupArn: g.TargetGroupArn as string, weight: g.Weight ?? 1 }));
  return fwd.TargetGroupArn ? [{ targetGroupArn: fwd.TargetGroupArn, weight: 1 }] : [];
}
