/**
 * Application Auto Scaling in memory, for ECS services' desired count: scalable targets (with
 * their suspended state) and scaling policies. API: RegisterScalableTarget,
 * DescribeScalableTargets, DeregisterScalableTarget, PutScalingPolicy, DescribeScalingPolicies,
 * DeleteScalingPolicy.
 *
 * Like AWS, registering bounds that exclude the current desired count moves it into them; the
 * desired count changes go through the world's ECS UpdateService (so task sets follow as
 * percentages). Target tracking itself is not simulated (the world has no CPU model): policies are
 * stored and described, and their suspended state is kept.
 */
import type {
  DeleteScalingPolicyCommandInput,
  DeleteScalingPolicyCommandOutput,
  DeregisterScalableTargetCommandInput,
  DeregisterScalableTargetCommandOutput,
  DescribeScalableTargetsCommandInput,
  DescribeScalableTargetsCommandOutput,
  DescribeScalingPoliciesCommandInput,
  DescribeScalingPoliciesCommandOutput,
  PutScalingPolicyCommandInput,
  PutScalingPolicyCommandOutput,
  RegisterScalableTargetCommandInput,
  RegisterScalableTargetCommandOutput,
  ScalableTarget,
  ScalingPolicy,
  SuspendedState,
} from '@aws-sdk/client-application-auto-scaling';
import type { EcsWorld } from './ecs.js';
import { fault } from './errors.js';
import type { WorldContext } from './types.js';

type Out<T> = Omit<T, '$metadata'>;
export type Operation = (input: never) => unknown;

const DIMENSION = 'ecs:service:DesiredCount';
const RESOURCE_ID = /^service\/([A-Za-z0-9_-]{1,255})\/([A-Za-z0-9_-]{1,255})$/;

interface TargetRec {
  readonly resourceId: string;
  readonly cluster: string;
  readonly service: string;
  minCapacity: number;
  maxCapacity: number;
  readonly roleArn: string;
  readonly createdAt: number;
  suspended: Required<SuspendedState>;
  readonly arn: string;
}

interface PolicyRec {
  readonly name: string;
  readonly resourceId: string;
  readonly arn: string;
  readonly input: PutScalingPolicyCommandInput;
  readonly createdAt: number;
}

export class AutoScalingWorld {
  private readonly targets = new Map<string, TargetRec>();
  private readonly policies = new Map<string, PolicyRec>();

  constructor(
    private readonly ctx: WorldContext,
    private readonly ecs: EcsWorld,
  ) {}

  // ------------------------------------------------------------------ queries for the world and tests
  /** The target's bounds and suspended state now (undefined: not registered). */
  target(resourceId: string): { minCapacity: number; maxCapacity: number; scaleInSuspended: boolean } | undefined {
    const t = this.targets.get(resourceId);
    return t ? { minCapacity: t.minCapacity, maxCapacity: t.maxCapacity, scaleInSuspended: t.suspended.DynamicScalingInSuspended } : undefined;
  }
  /** Names of the policies of a target. */
  policyNames(resourceId: string): string[] {
    return [...this.policies.values()].filter((p) => p.resourceId === resourceId).map((p) => p.name).sort();
  }

  operations(): Record<string, Operation> {
    return {
      RegisterScalableTarget: (i: RegisterScalableTargetCommandInput) => this.registerScalableTarget(i),
      DescribeScalableTargets: (i: DescribeScalableTargetsCommandInput) => this.describeScalableTargets(i),
      DeregisterScalableTarget: (i: DeregisterScalableTargetCommandInput) => this.deregisterScalableTarget(i),
      PutScalingPolicy: (i: PutScalingPolicyCommandInput) => this.putScalingPolicy(i),
      DescribeScalingPolicies: (i: DescribeScalingPoliciesCommandInput) => this.describeScalingPolicies(i),
      DeleteScalingPolicy: (i: DeleteScalingPolicyCommandInput) => this.deleteScalingPolicy(i),
    };
  }

  // ------------------------------------------------------------------ API
  private checkTargetKey(i: { ServiceNamespace?: string; ResourceId?: string; ScalableDimension?: string }): { cluster: string; service: string } {
    if (i.ServiceNamespace !== 'ecs') throw fault('ValidationException', `Unsupported service namespace ${i.ServiceNamespace ?? '(none)'}: the world models ecs only`);
    if (i.ScalableDimension !== DIMENSION) throw fault('ValidationException', `Unsupported scalable dimension ${i.ScalableDimension ?? '(none)'}`);
    const m = RESOURCE_ID.exec(i.ResourceId ?? '');
    if (!m) throw fault('ValidationException', `Unsupported resource ID ${i.ResourceId ?? '(none)'}; expected service/CLUSTER/SERVICE`);
    return { cluster: m[1] as string, service: m[2] as string };
  }

  private desiredCount(cluster: string, service: string): number | undefined {
    try {
      return this.ecs.describeServices({ cluster, services: [service] }).services?.[0]?.desiredCount;
    } catch {
      return undefined;
    }
  }

  registerScalableTarget(i: RegisterScalableTargetCommandInput): Out<RegisterScalableTargetCommandOutput> {
    const { cluster, service } = this.checkTargetKey(i);
    const resourceId = i.ResourceId as string;
    const desired = this.desiredCount(cluster, service);
    if (desired === undefined) throw fault('ValidationException', `ECS service doesn't exist: ${resourceId}`);
    for (const [k, v] of [['MinCapacity', i.MinCapacity], ['MaxCapacity', i.MaxCapacity]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw fault('ValidationException', `${k} must be a non-negative integer`);
    }
    let t = this.targets.get(resourceId);
    if (!t) {
      if (i.MinCapacity === undefined || i.MaxCapacity === undefined) {
        throw fault('ValidationException', 'MinCapacity and MaxCapacity are required to register a new scalable target');
      }
      t = {
        resourceId,
        cluster,
        service,
        minCapacity: i.MinCapacity,
        maxCapacity: i.MaxCapacity,
        roleArn:
          i.RoleARN ??
          `arn:aws:iam::${this.ctx.accountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
        createdAt: this.ctx.clock.now(),
        suspended: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
        arn: `arn:aws:application-autoscaling:${this.ctx.region}:${this.ctx.accountId}:scalable-target/${this.ctx.ids.hex(32)}`,
      };
    }
    const min = i.MinCapacity ?? t.minCapacity;
    const max = i.MaxCapacity ?? t.maxCapacity;
    if (min > max) throw fault('ValidationException', `Minimum capacity cannot be greater than maximum capacity (${min} > ${max})`);
    t.minCapacity = min;
    t.maxCapacity = max;
    // A flag left out of SuspendedState is false, not "unchanged" ("SuspendedState", Application
    // Auto Scaling API Reference: "The default is false" for each of the three).
    if (i.SuspendedState) {
      t.suspended = {
        DynamicScalingInSuspended: i.SuspendedState.DynamicScalingInSuspended === true,
        DynamicScalingOutSuspended: i.SuspendedState.DynamicScalingOutSuspended === true,
        ScheduledScalingSuspended: i.SuspendedState.ScheduledScalingSuspended === true,
      };
    }
    this.targets.set(resourceId, t);
    // Like AWS: a desired count outside the new bounds is moved into them.
    const clamped = Math.min(max, Math.max(min, desired));
    if (clamped !== desired) this.ecs.updateService({ cluster, service, desiredCount: clamped });
    return { ScalableTargetARN: t.arn };
  }

  describeScalableTargets(i: DescribeScalableTargetsCommandInput): Out<DescribeScalableTargetsCommandOutput> {
    if (i.ServiceNamespace !== 'ecs') return { ScalableTargets: [] };
    const ids = i.ResourceIds && i.ResourceIds.length > 0 ? new Set(i.ResourceIds) : undefined;
    const list: ScalableTarget[] = [...this.targets.values()]
      .filter((t) => (ids ? ids.has(t.resourceId) : true) && (i.ScalableDimension === undefined || i.ScalableDimension === DIMENSION))
      .map((t) => ({
        ServiceNamespace: 'ecs',
        ResourceId: t.resourceId,
        ScalableDimension: DIMENSION,
        MinCapacity: t.minCapacity,
        MaxCapacity: t.maxCapacity,
        RoleARN: t.roleArn,
        CreationTime: new Date(t.createdAt),
        SuspendedState: { ...t.suspended },
        ScalableTargetARN: t.arn,
      }));
    return { ScalableTargets: list };
  }

  deregisterScalableTarget(i: DeregisterScalableTargetCommandInput): Out<DeregisterScalableTargetCommandOutput> {
    this.checkTargetKey(i);
    if (!this.targets.delete(i.ResourceId as string)) throw fault('ObjectNotFoundException', `No scalable target registered for ${i.ResourceId}`);
    for (const [k, p] of this.policies) if (p.resourceId === i.ResourceId) this.policies.delete(k);
    return {};
  }

  putScalingPolicy(i: PutScalingPolicyCommandInput): Out<PutScalingPolicyCommandOutput> {
    this.checkTargetKey(i);
    const resourceId = i.ResourceId as string;
    if (!this.targets.has(resourceId)) throw fault('ObjectNotFoundException', `No scalable target registered for service namespace: ecs, resource ID: ${resourceId}, scalable dimension: ${DIMENSION}`);
    if (!i.PolicyName) throw fault('ValidationException', 'PolicyName is required');
    const type = i.PolicyType ?? 'StepScaling';
    if (type === 'TargetTrackingScaling' && i.TargetTrackingScalingPolicyConfiguration?.TargetValue === undefined) {
      throw fault('ValidationException', 'TargetTrackingScalingPolicyConfiguration.TargetValue is required');
    }
    const key = `${resourceId}|${i.PolicyName}`;
    const existing = this.policies.get(key);
    const arn =
      existing?.arn ??
      `arn:aws:autoscaling:${this.ctx.region}:${this.ctx.accountId}:scalingPolicy:${this.ctx.ids.uuid()}:resource/ecs/${resourceId}:policyName/${i.PolicyName}`;
    this.policies.set(key, { name: i.PolicyName, resourceId, arn, input: structuredClone(i), createdAt: existing?.createdAt ?? this.ctx.clock.now() });
    return { PolicyARN: arn, Alarms: [] };
  }

  describeScalingPolicies(i: DescribeScalingPoliciesCommandInput): Out<DescribeScalingPoliciesCommandOutput> {
    if (i.ServiceNamespace !== 'ecs') return { ScalingPolicies: [] };
    const names = i.PolicyNames && i.PolicyNames.length > 0 ? new Set(i.PolicyNames) : undefined;
    const list: ScalingPolicy[] = [...this.policies.values()]
      .filter((p) => (i.ResourceId === undefined || p.resourceId === i.ResourceId) && (names ? names.has(p.name) : true))
      .map((p) => ({
        PolicyARN: p.arn,
        PolicyName: p.name,
        ServiceNamespace: 'ecs',
        ResourceId: p.resourceId,
        ScalableDimension: DIMENSION,
        PolicyType: p.input.PolicyType ?? 'StepScaling',
        ...(p.input.TargetTrackingScalingPolicyConfiguration
          ? { TargetTrackingScalingPolicyConfiguration: structuredClone(p.input.TargetTrackingScalingPolicyConfiguration) }
          : {}),
        ...(p.input.StepScalingPolicyConfiguration ? { StepScalingPolicyConfiguration: structuredClone(p.input.StepScalingPolicyConfiguration) } : {}),
        Alarms: [],
        CreationTime: new Date(p.createdAt),
      }));
    return { ScalingPolicies: list };
  }

  deleteScalingPolicy(i: DeleteScalingPolicyCommandInput): Out<DeleteScalingPolicyCommandOutput> {
    this.checkTargetKey(i);
    if (!this.policies.delete(`${i.ResourceId}|${i.PolicyName}`)) throw fault('ObjectNotFoundException', `No scaling policy ${i.PolicyName} for ${i.ResourceId}`);
    return {};
  }
}
