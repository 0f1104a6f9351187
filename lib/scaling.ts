/**
 * `CutoverScaling`: what starts the scale handler, and the native scaling of each scaled service —
 * only what the configuration asks for (`services[].scaling`); a configuration without scaling gets
 * nothing from here.
 *
 * Once per control plane (when any service scales):
 * - one EventBridge rule on `CloudWatch Alarm State Change` to ALARM of the scaling rules' alarms
 *   (`scaling.rules[].alarmName`) -> the scale handler;
 * - one rule on Cutover's bus for deployments of scaled services starting and ending -> the scale
 *   handler (target tracking's scale-in is suspended during a deployment; a deferred scale-in replays
 *   after it);
 * - with any `scaling.rules[].schedule`: one role EventBridge Scheduler assumes to invoke the handler.
 *
 * Per scaled service (the only resources that grow with the configuration; see
 * {@link scalingResourcesPerService}):
 * - one Application Auto Scaling scalable target on `ecs:service:DesiredCount` with the configured
 *   bounds (CloudFormation's `AWS::ApplicationAutoScaling::ScalableTarget` with the service-linked
 *   role: no role per target);
 * - with `targetCpuPercent`: one target-tracking policy on `ECSServiceAverageCPUUtilization`;
 * - one EventBridge Scheduler schedule per rule with a `schedule`, whose input names the rule
 *   (`{ source: "cutover.scheduler", kind: "scheduled-scaling", service, environment, ruleIndex }`).
 *
 * Every asynchronous delivery has the scale handler's dead-letter queue and a retry policy.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { CfnScalableTarget, CfnScalingPolicy } from 'aws-cdk-lib/aws-applicationautoscaling';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CutoverConfig, ServiceConfig } from '../functions/core/config.js';
import { alarmStatePattern, deploymentEventsPattern, type ListenPattern } from './event-patterns.js';

/** Application Auto Scaling: the service namespace and dimension Cutover scales (functions/core/maintenance.ts). */
export const ECS_SERVICE_NAMESPACE = 'ecs';
export const ECS_DESIRED_COUNT = 'ecs:service:DesiredCount';
/** The target-tracking metric for `scaling.targetCpuPercent`. */
export const CPU_METRIC = 'ECSServiceAverageCPUUtilization';
/** The `source` and `kind` of a scheduled scaling input (functions/core/scaling.ts `ScheduledScalingInput`). */
export const SCHEDULED_SCALING_SOURCE = 'cutover.scheduler';
export const SCHEDULED_SCALING_KIND = 'scheduled-scaling';

/** How long and how often EventBridge (rules and Scheduler) retries delivering to the scale handler. */
export const SCALING_DELIVERY = { maxEventAge: Duration.hours(1), retryAttempts: 10 } as const;

/** What one schedule rule sends to the scale handler. */
export interface ScheduledScalingInput {
  readonly source: typeof SCHEDULED_SCALING_SOURCE;
  readonly kind: typeof SCHEDULED_SCALING_KIND;
  readonly service: string;
  readonly environment: string;
  readonly ruleIndex: number;
}

/** One schedule rule of one service. */
export interface ScalingScheduleSpec {
  readonly service: string;
  readonly environment: string;
  readonly ruleIndex: number;
  readonly expression: string;
  readonly timezone: string;
  readonly input: ScheduledScalingInput;
}

/** Every `scaling.rules[]` entry with a `schedule`, in configuration order. */
export function scalingScheduleSpecs(config: CutoverConfig): ScalingScheduleSpec[] {
  return config.services.flatMap((s) =>
    (s.scaling?.rules ?? []).flatMap((r, ruleIndex) =>
      r.schedule === undefined
        ? []
        : [
            {
              service: s.name,
              environment: s.environment,
              ruleIndex,
              expression: r.schedule,
              timezone: r.timezone,
              input: { source: SCHEDULED_SCALING_SOURCE, kind: SCHEDULED_SCALING_KIND, service: s.name, environment: s.environment, ruleIndex },
            },
          ],
    ),
  );
}

/** Every alarm a scaling rule names, once, sorted. */
export function scalingAlarmNames(config: CutoverConfig): string[] {
  return [...new Set(config.services.flatMap((s) => (s.scaling?.rules ?? []).flatMap((r) => (r.alarmName === undefined ? [] : [r.alarmName]))))].sort();
}

/**
 * CloudFormation resources one scaled service adds: its scalable target, its target-tracking policy
 * (with `targetCpuPercent`) and one schedule per schedule rule.
 */
export function scalingResourcesPerService(service: ServiceConfig): number {
  const scaling = service.scaling;
  if (scaling === undefined) return 0;
  return 1 + (scaling.targetCpuPercent === undefined ? 0 : 1) + scaling.rules.filter((r) => r.schedule !== undefined).length;
}

export interface CutoverScalingProps {
  readonly config: CutoverConfig;
  /** The scale handler. */
  readonly handler: IFunction;
  /** Its dead-letter queue (rule targets and schedules deliver failures here). */
  readonly deadLetterQueue: IQueue;
  /** Cutover's bus (deployment events). */
  readonly bus: IEventBus;
  /** Longest EventBridge pattern to write (lib/event-patterns.ts). */
  readonly eventPatternMaxChars: number;
}

/** A scaled service's native scaling resources. */
export interface ServiceScaling {
  readonly scalableTarget: CfnScalableTarget;
  readonly cpuPolicy?: CfnScalingPolicy;
  readonly schedules: readonly CfnSchedule[];
}

export class CutoverScaling extends Construct {
  /** The rule on the scaling alarms (when a scaling rule names an alarm). */
  readonly alarmRule: Rule | undefined;
  readonly alarmPattern: ListenPattern | undefined;
  /** The rule on Cutover's bus for deployments of scaled services (when any service scales). */
  readonly deploymentRule: Rule | undefined;
  /** The role EventBridge Scheduler invokes the handler with (when a scaling rule has a schedule). */
  readonly schedulerRole: Role | undefined;
  /** Per scaled service, by `name/environment`. */
  readonly services: Readonly<Record<string, ServiceScaling>>;

  constructor(scope: Construct, id: string, props: CutoverScalingProps) {
    super(scope, id);
    const { config, handler, deadLetterQueue } = props;
    const stack = Stack.of(this);
    const scaled = config.services.filter((s) => s.scaling !== undefined);
    const target = () =>
      new LambdaFunction(handler, {
        deadLetterQueue,
        retryAttempts: SCALING_DELIVERY.retryAttempts,
        maxEventAge: SCALING_DELIVERY.maxEventAge,
      });

    const alarms = scalingAlarmNames(config);
    if (alarms.length > 0) {
      this.alarmPattern = alarmStatePattern(alarms, props.eventPatternMaxChars, stack.account);
      this.alarmRule = new Rule(this, 'AlarmRule', {
        description: 'Cutover: the scaling rules\' alarms going to ALARM change the desired count of their services',
        eventPattern: this.alarmPattern.pattern,
        targets: [target()],
      });
    }
    if (scaled.length > 0) {
      this.deploymentRule = new Rule(this, 'DeploymentRule', {
        description: 'Cutover: deployments of scaled services suspend and resume scale-in (and replay a deferred scale-in)',
        eventBus: props.bus,
        eventPattern: deploymentEventsPattern(
          scaled.map((s) => s.name),
          props.eventPatternMaxChars,
          stack.account,
        ).pattern,
        targets: [target()],
      });
    }

    const schedules = scalingScheduleSpecs(config);
    if (schedules.length > 0) {
      this.schedulerRole = new Role(this, 'SchedulerRole', {
        description: 'Cutover: EventBridge Scheduler invokes the scale handler for the scaling schedules',
        // Only schedules of this account may use the role (confused deputy).
        assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      });
      // Exactly the function (not `function:*` versions) and the dead-letter queue.
      this.schedulerRole.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [handler.functionArn] }));
      this.schedulerRole.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [deadLetterQueue.queueArn] }));
    }

    const services: Record<string, ServiceScaling> = {};
    for (const s of scaled) {
      const scaling = s.scaling as NonNullable<ServiceConfig['scaling']>;
      const key = `${s.name}/${s.environment}`;
      const scope = new Construct(this, `${s.name}.${s.environment}`);
      const scalableTarget = new CfnScalableTarget(scope, 'ScalableTarget', {
        serviceNamespace: ECS_SERVICE_NAMESPACE,
        scalableDimension: ECS_DESIRED_COUNT,
        resourceId: `service/${s.cluster}/${s.service}`,
        minCapacity: scaling.minCount,
        maxCapacity: scaling.maxCount,
      });
      const cpuPolicy =
        scaling.targetCpuPercent === undefined
          ? undefined
          : new CfnScalingPolicy(scope, 'CpuTargetTracking', {
              policyName: `cutover-cpu-${s.name}-${s.environment}`,
              policyType: 'TargetTrackingScaling',
              scalingTargetId: scalableTarget.ref,
              targetTrackingScalingPolicyConfiguration: {
                targetValue: scaling.targetCpuPercent,
                predefinedMetricSpecification: { predefinedMetricType: CPU_METRIC },
              },
            });
      const own = schedules.filter((x) => x.service === s.name && x.environment === s.environment);
      const created = own.map(
        (x) =>
          new CfnSchedule(scope, `Schedule${x.ruleIndex}`, {
            description: `Cutover: scaling rule ${x.ruleIndex} of ${key} (${x.expression})`,
            scheduleExpression: x.expression,
            // A time zone applies to cron() and at() expressions.
            ...(x.expression.startsWith('rate(') ? {} : { scheduleExpressionTimezone: x.timezone }),
            flexibleTimeWindow: { mode: 'OFF' },
            state: 'ENABLED',
            target: {
              arn: handler.functionArn,
              roleArn: (this.schedulerRole as Role).roleArn,
              input: JSON.stringify(x.input),
              retryPolicy: {
                maximumEventAgeInSeconds: SCALING_DELIVERY.maxEventAge.toSeconds(),
                maximumRetryAttempts: SCALING_DELIVERY.retryAttempts,
              },
              deadLetterConfig: { arn: deadLetterQueue.queueArn },
            },
          }),
      );
      // The role's policy exists before a schedule can fire.
      for (const schedule of created) schedule.node.addDependency(this.schedulerRole as Role);
      services[key] = { scalableTarget, ...(cpuPolicy ? { cpuPolicy } : {}), schedules: created };
    }
    this.services = services;
  }
}
