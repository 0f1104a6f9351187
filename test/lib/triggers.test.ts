/**
 * What starts the operator and maintenance work, as synthesized: the schedules that start the
 * reconcile and cleanup state machines, and the scale handler's triggers and each scaled service's
 * native scaling — checked against the handlers' own contracts (functions/core) — and how many
 * resources a scaled service adds.
 */
import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { EVENT_SOURCE, LifecycleEvent } from '../../functions/core/model.js';
import {
  scalableTargets,
  ScheduledScalingInput,
  scalingAlarmNames as coreScalingAlarmNames,
  scalingSchedules,
} from '../../functions/core/scaling.js';
import { DEFAULT_SCHEDULES } from '../../lib/control-plane.js';
import type { CutoverStack } from '../../lib/cutover-stack.js';
import { CUTOVER_EVENT_SOURCE, DEPLOYMENT_LIFECYCLE_EVENTS } from '../../lib/event-patterns.js';
import { CPU_METRIC, ECS_DESIRED_COUNT, scalingAlarmNames, scalingResourcesPerService, scalingScheduleSpecs } from '../../lib/scaling.js';
import {
  ACCOUNT,
  type CfnResource,
  everyFeatureConfig,
  exampleConfig,
  FIXTURES,
  grantsOf,
  manyServices,
  type ManyServicesOptions,
  policyStatements,
  resourcesOfType,
  synthStack,
} from '../helpers/cdk.js';

const idOf = (t: Template, type: string, prefix: string): string => {
  const hit = resourcesOfType(t, type).find(([id]) => id.startsWith(prefix));
  if (!hit) throw new Error(`no ${type} ${prefix}`);
  return hit[0];
};
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const rules = (t: Template) => resourcesOfType(t, 'AWS::Events::Rule');
const ruleWith = (t: Template, prefix: string): CfnResource => {
  const hit = rules(t).find(([id]) => id.startsWith(prefix));
  if (!hit) throw new Error(`no rule ${prefix}`);
  return hit[1];
};
const DELIVERY_RETRY = { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 };

describe('schedules start the reconcile and cleanup state machines', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack());
  });

  it.each([
    ['reconcile', 'ControlPlaneReconcileSchedule', 'rate(5 minutes)', 'ControlPlaneReconcileStateMachine'],
    ['cleanup', 'ControlPlaneCleanupSchedule', 'cron(0 3 * * ? *)', 'ControlPlaneCleanupStateMachine'],
  ])('%s: a schedule rule whose target is the state machine, with a role, a DLQ and a retry policy', (_name, rule, expression, machine) => {
    const r = ruleWith(template, rule);
    expect(r.Properties?.ScheduleExpression).toBe(expression);
    expect(r.Properties?.State).toBe('ENABLED');
    const targets = r.Properties?.Targets as Array<Record<string, unknown>>;
    expect(targets).toHaveLength(1);
    expect(targets[0]).toEqual({
      Id: expect.any(String),
      Arn: { Ref: idOf(template, 'AWS::StepFunctions::StateMachine', machine) },
      RoleArn: getAtt(idOf(template, 'AWS::IAM::Role', 'ControlPlaneScheduleRole')),
      DeadLetterConfig: { Arn: getAtt(idOf(template, 'AWS::SQS::Queue', 'ControlPlaneScheduleDeadLetterQueue')) },
      RetryPolicy: DELIVERY_RETRY,
      // No Input: the scheduled event is the execution input (cleanup reads it as a scheduled, real run).
    });
  });

  it('the schedule role may start exactly those two state machines, assumed by EventBridge of this account', () => {
    const g = grantsOf(policyStatements(template, 'ControlPlaneScheduleRoleDefaultPolicy'));
    expect([...g.keys()]).toEqual(['states:StartExecution']);
    expect(g.get('states:StartExecution')).toEqual(
      ['ControlPlaneCleanupStateMachine', 'ControlPlaneReconcileStateMachine']
        .map((m) => JSON.stringify({ Ref: idOf(template, 'AWS::StepFunctions::StateMachine', m) }))
        .sort(),
    );
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          }),
        ],
      },
    });
  });

  it('the schedules\' dead-letter queue is encrypted, TLS-only, and alarmed on', () => {
    const queueId = idOf(template, 'AWS::SQS::Queue', 'ControlPlaneScheduleDeadLetterQueue');
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
  });

  it('the defaults are documented values, and the props change them', () => {
    expect(DEFAULT_SCHEDULES.reconcile.expressionString).toBe('rate(5 minutes)');
    expect(DEFAULT_SCHEDULES.cleanup.expressionString).toBe('cron(0 3 * * ? *)');
    const { template: t } = synthStack({
      controlPlane: {
        handlersDir: FIXTURES.handlersDir,
        stateMachinesDir: FIXTURES.stateMachinesDir,
        reconcileSchedule: Schedule.rate(Duration.minutes(15)),
        cleanupSchedule: Schedule.cron({ minute: '30', hour: '1', weekDay: 'SUN' }),
      },
    });
    expect(ruleWith(t, 'ControlPlaneReconcileSchedule').Properties?.ScheduleExpression).toBe('rate(15 minutes)');
    expect(ruleWith(t, 'ControlPlaneCleanupSchedule').Properties?.ScheduleExpression).toBe('cron(30 1 ? * SUN *)');
  });

  it("'off' keeps a schedule's rule, disabled (same resources)", () => {
    const { template: t } = synthStack({
      controlPlane: { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.stateMachinesDir, cleanupSchedule: 'off' },
    });
    expect(ruleWith(t, 'ControlPlaneCleanupSchedule').Properties?.State).toBe('DISABLED');
    expect(ruleWith(t, 'ControlPlaneReconcileSchedule').Properties?.State).toBe('ENABLED');
    expect(Object.keys(t.toJSON().Resources)).toHaveLength(Object.keys(template.toJSON().Resources).length);
  });

  it('no schedule (nor its role or queue) for a state machine that is not loaded', () => {
    const { template: t, stack } = synthStack({
      controlPlane: { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.allIntegrationsDir },
    });
    expect(rules(t).filter(([id]) => id.includes('Schedule'))).toEqual([]);
    expect(resourcesOfType(t, 'AWS::SQS::Queue').filter(([id]) => id.includes('Schedule'))).toEqual([]);
    expect(stack.controlPlane.schedules).toEqual({});
  });
});

describe('scaling triggers and native scaling, for what services[].scaling asks', () => {
  let template: Template;
  let stack: CutoverStack;
  const config = everyFeatureConfig();
  beforeAll(() => {
    ({ template, stack } = synthStack({ config }));
  });
  const scaleFn = (t: Template) => idOf(t, 'AWS::Lambda::Function', 'ControlPlaneScaleHandlerFunction');
  const scaleDlq = (t: Template) => idOf(t, 'AWS::SQS::Queue', 'ControlPlaneScaleHandlerDeadLetterQueue');

  it('lib and the handler agree on alarms, schedules and the scheduled input (functions/core/scaling.ts)', () => {
    expect(scalingAlarmNames(config)).toEqual(coreScalingAlarmNames(config));
    expect(scalingScheduleSpecs(config).map((s) => ({ ...s.input }))).toEqual(scalingSchedules(config).map((s) => s.input));
    expect(CUTOVER_EVENT_SOURCE).toBe(EVENT_SOURCE);
    expect([...DEPLOYMENT_LIFECYCLE_EVENTS].sort()).toEqual(
      [LifecycleEvent.Started, LifecycleEvent.Succeeded, LifecycleEvent.RolledBack, LifecycleEvent.Failed, LifecycleEvent.Superseded].sort(),
    );
  });

  it('the scaling alarms going to ALARM invoke the scale handler (DLQ, retries)', () => {
    const r = ruleWith(template, 'ControlPlaneScalingAlarmRule');
    expect(r.Properties?.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      // Issue #14 (Low): only this account's alarms.
      account: [ACCOUNT],
      detail: { state: { value: ['ALARM'] }, alarmName: ['checkout-busy'] },
    });
    expect(r.Properties?.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: getAtt(scaleFn(template)),
        DeadLetterConfig: { Arn: getAtt(scaleDlq(template)) },
        RetryPolicy: DELIVERY_RETRY,
      },
    ]);
    // The watcher's rule keeps listening to the deployment alarms only.
    expect(stack.controlPlane.patterns.alarmStateChange?.pattern.detail?.alarmName).toEqual(['checkout-5xx-rate', 'checkout-p99-latency']);
  });

  it("deployments of scaled services starting and ending, on Cutover's bus, invoke the scale handler", () => {
    const r = ruleWith(template, 'ControlPlaneScalingDeploymentRule');
    expect(r.Properties?.EventBusName).toEqual({ Ref: idOf(template, 'AWS::Events::EventBus', 'ControlPlaneBus') });
    expect(r.Properties?.EventPattern).toEqual({
      source: ['cutover'],
      'detail-type': [...DEPLOYMENT_LIFECYCLE_EVENTS],
      account: [ACCOUNT],
      detail: { service: ['checkout'] },
    });
    expect(r.Properties?.Targets?.[0]).toMatchObject({ Arn: getAtt(scaleFn(template)), RetryPolicy: DELIVERY_RETRY });
  });

  it('one EventBridge Scheduler schedule per schedule rule, sending the rule to the scale handler', () => {
    const schedules = resourcesOfType(template, 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties ?? {});
    const expected = scalingSchedules(config);
    expect(schedules).toHaveLength(expected.length);
    const roleId = idOf(template, 'AWS::IAM::Role', 'ControlPlaneScalingSchedulerRole');
    for (const want of expected) {
      const got = schedules.find((s) => JSON.parse(s.Target.Input).ruleIndex === want.ruleIndex);
      expect(got, `rule ${want.ruleIndex}`).toBeDefined();
      const input = JSON.parse(got?.Target.Input);
      expect(ScheduledScalingInput.safeParse(input).success).toBe(true);
      expect(input).toEqual(want.input);
      expect(got?.ScheduleExpression).toBe(want.schedule);
      expect(got?.ScheduleExpressionTimezone).toBe(want.schedule.startsWith('rate(') ? undefined : want.timezone);
      expect(got?.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      expect(got?.Target).toMatchObject({
        Arn: getAtt(scaleFn(template)),
        RoleArn: getAtt(roleId),
        DeadLetterConfig: { Arn: getAtt(scaleDlq(template)) },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
      });
    }
  });

  it('the scheduler role invokes exactly the scale handler and writes to its DLQ, for this account only', () => {
    const g = grantsOf(policyStatements(template, 'ControlPlaneScalingSchedulerRoleDefaultPolicy'));
    expect(Object.fromEntries(g)).toEqual({
      'lambda:InvokeFunction': [JSON.stringify(getAtt(scaleFn(template)))],
      'sqs:SendMessage': [JSON.stringify(getAtt(scaleDlq(template)))],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }),
        ],
      },
    });
  });

  it('a scalable target per scaled service with its bounds, and target tracking on CPU', () => {
    const targets = resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
    const expected = scalableTargets(config);
    expect(targets.map(([, r]) => r.Properties)).toEqual(
      expected.map((e) => ({
        ServiceNamespace: 'ecs',
        ScalableDimension: ECS_DESIRED_COUNT,
        ResourceId: e.resourceId,
        MinCapacity: e.minCapacity,
        MaxCapacity: e.maxCapacity,
      })),
    );
    const [targetId] = targets[0] ?? [];
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: targetId },
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: CPU_METRIC },
      },
    });
    // The service-linked role, not a role per target.
    expect(targets[0]?.[1].Properties?.RoleARN).toBeUndefined();
  });

  it('nothing of it without scaling', () => {
    const { template: t, stack: s } = synthStack({ config: exampleConfig() });
    for (const type of ['AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::ApplicationAutoScaling::ScalingPolicy', 'AWS::Scheduler::Schedule']) {
      expect(resourcesOfType(t, type), type).toEqual([]);
    }
    expect(rules(t).filter(([id]) => id.includes('Scaling'))).toEqual([]);
    expect(s.controlPlane.scaling.schedulerRole).toBeUndefined();
  });
});

describe('resources per scaled service', () => {
  // Overflow managed policies carry the exact write lists of many services (issue #14, 9): not counted here.
  const count = (options: ManyServicesOptions, services = 50): number =>
    Object.values(synthStack({ config: parseConfig(manyServices(services, options)) }).template.toJSON().Resources as Record<string, { Type: string }>).filter(
      (r) => r.Type !== 'AWS::IAM::ManagedPolicy',
    ).length;

  it.each([
    ['an alarm rule', { targetCpu: false, schedules: 0, alarms: 1 }, 1],
    ['target tracking and an alarm rule', { targetCpu: true, schedules: 0, alarms: 1 }, 2],
    ['target tracking, an alarm rule and two schedules', { targetCpu: true, schedules: 2, alarms: 1 }, 4],
  ])('%s: %j -> %i resources per scaled service (scalable target, policy, schedules)', (_name, scaling, perService) => {
    const none = count({});
    const one = count({ scaling: { services: 1, ...scaling } });
    const ten = count({ scaling: { services: 10, ...scaling } });

    // Once, when any service scales: the alarm rule and the deployment-events rule (each with its
    // Lambda permission), and with schedules the scheduler role and its policy.
    const fixed = 4 + (scaling.schedules > 0 ? 2 : 0);
    expect(one - none).toBe(fixed + perService);
    expect((ten - one) / 9).toBe(perService);
    const config = parseConfig(manyServices(10, { scaling: { services: 10, ...scaling } }));
    expect(config.services.map(scalingResourcesPerService)).toEqual(Array(10).fill(perService));
  });

  it('services without scaling add nothing: 1 scaled service among 1 or among 50', () => {
    const scaling = { services: 1, targetCpu: true, schedules: 1, alarms: 1 };
    expect(count({ scaling }, 50)).toBe(count({ scaling }, 1));
  });
});
