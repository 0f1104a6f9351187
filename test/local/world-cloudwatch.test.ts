import { DescribeAlarmsCommand, GetMetricDataCommand, ResourceNotFound, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import type { AwsEvent } from '../../local/world/types.js';
import { BAD, createGreen, LISTENER_ARN, NEXT, setup, T0, TG_BLUE, TG_GREEN } from './world.fixtures.js';

/** The AWS documentation's example event (shared/events/cloudwatch-alarm-state-change-metric-alarm.json). */
const AWS_ALARM_EVENT = {
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2019-10-02T17:04:40Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh'],
  detail: {
    alarmName: 'ServerCpuTooHigh',
    configuration: {
      description: 'Goes into alarm when server CPU utilization is too high!',
      metrics: [
        {
          id: '30b6c6b2-a864-43a2-4877-c09a1afc3b87',
          metricStat: {
            metric: { dimensions: { InstanceId: 'i-12345678901234567' }, name: 'CPUUtilization', namespace: 'AWS/EC2' },
            period: 300,
            stat: 'Average',
          },
          returnData: true,
        },
      ],
    },
    previousState: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).',
      reasonData:
        '{"version":"1.0","queryDate":"2019-10-01T13:56:40.985+0000","startDate":"2019-10-01T13:46:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[0.0666851903306472],"threshold":50.0}',
      timestamp: '2019-10-01T13:56:40.987+0000',
      value: 'OK',
    },
    state: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
      reasonData:
        '{"version":"1.0","queryDate":"2019-10-02T17:04:40.985+0000","startDate":"2019-10-02T16:59:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[99.50160229693434],"threshold":50.0}',
      timestamp: '2019-10-02T17:04:40.989+0000',
      value: 'ALARM',
    },
  },
};

/** The structure of a JSON value: keys (in order) and leaf types; `dimensions` maps are string records. */
function shape(v: unknown, key = ''): unknown {
  if (key === 'dimensions' && v && typeof v === 'object') return Object.values(v).every((x) => typeof x === 'string') ? 'record<string>' : 'bad';
  if (Array.isArray(v)) return v.map((x) => shape(x));
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, shape(x, k)]);
  return typeof v;
}

/** Green (NEXT or BAD) running healthy behind TG_GREEN by T0+60s; production split blue/green from then on. */
async function greenTakesTraffic(ctx: ReturnType<typeof setup>, digest: string, blue: number, green: number) {
  await createGreen(ctx, digest);
  await ctx.clock.advance(60_000);
  await ctx.elb.send(
    new ModifyListenerCommand({
      ListenerArn: LISTENER_ARN,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: TG_BLUE, Weight: blue },
              { TargetGroupArn: TG_GREEN, Weight: green },
            ],
          },
        },
      ],
    }),
  );
}

describe('local world: traffic and metrics', () => {
  it('GetMetricData returns the production traffic split by the listener weights, newest first', async () => {
    // Prepare
    const ctx = setup();
    await greenTakesTraffic(ctx, NEXT, 80, 20);
    ctx.world.start();
    // Act
    await ctx.clock.advance(5 * 60_000);
    ctx.world.stop();
    const dims = (tg: string) => [
      { Name: 'TargetGroup', Value: tg.slice(tg.indexOf('targetgroup/')) },
      { Name: 'LoadBalancer', Value: ctx.shop.loadBalancerFullName },
    ];
    const q = (id: string, tg: string, metric = 'RequestCount') => ({
      Id: id,
      MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metric, Dimensions: dims(tg) }, Period: 60, Stat: 'Sum' },
    });
    const out = await ctx.cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(T0 + 60_000),
        EndTime: new Date(T0 + 6 * 60_000),
        MetricDataQueries: [q('blue', TG_BLUE), q('green', TG_GREEN), { Id: 'share', Expression: '100 * green / (blue + green)' }],
      }),
    );
    // Assess
    const [blue, green, share] = out.MetricDataResults ?? [];
    expect(blue?.Values).toEqual([960, 960, 960, 960, 960]);
    expect(green?.Values).toEqual([240, 240, 240, 240, 240]);
    expect(share?.Values).toEqual([20, 20, 20, 20, 20]);
    const ts = blue?.Timestamps?.map((d) => d.getTime()) ?? [];
    expect(ts).toEqual([5, 4, 3, 2, 1].map((m) => T0 + m * 60_000));
    expect(blue?.StatusCode).toBe('Complete');
  });

  it('the target response time follows the image latency profile', async () => {
    const ctx = setup();
    ctx.world.setImageProfile(NEXT, { latencyMs: 400 });
    await greenTakesTraffic(ctx, NEXT, 50, 50);
    await ctx.clock.advance(2 * 60_000);
    ctx.world.tick();
    const metric = (tg: string) => ({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'TargetResponseTime',
      Dimensions: [
        { Name: 'TargetGroup', Value: tg.slice(tg.indexOf('targetgroup/')) },
        { Name: 'LoadBalancer', Value: ctx.shop.loadBalancerFullName },
      ],
    });
    const out = await ctx.cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(T0 + 60_000),
        EndTime: new Date(T0 + 180_000),
        MetricDataQueries: [
          { Id: 'b', MetricStat: { Metric: metric(TG_BLUE), Period: 120, Stat: 'Average' } },
          { Id: 'g', MetricStat: { Metric: metric(TG_GREEN), Period: 120, Stat: 'Average' } },
        ],
      }),
    );
    const [b, g] = out.MetricDataResults ?? [];
    expect(b?.Values?.[0]).toBeGreaterThan(0.06);
    expect(b?.Values?.[0]).toBeLessThan(0.1);
    expect(g?.Values?.[0]).toBeGreaterThan(0.3);
    expect(g?.Values?.[0]).toBeLessThan(0.5);
  });
});

describe('local world: alarms', () => {
  it('goes to ALARM when a bad image takes traffic and emits the event in exactly the shape AWS sends', async () => {
    // Prepare
    const ctx = setup();
    ctx.world.setImageProfile(BAD, { errorRate: 0.25 });
    const { alarmArn } = ctx.world.createAlarm({
      name: 'shop-green-5xx',
      metric: 'HTTPCode_Target_5XX_Count',
      targetGroupArn: TG_GREEN,
      threshold: 5,
      description: 'Green answers 5xx',
    });
    const events: AwsEvent[] = [];
    ctx.world.onAwsEvent((e) => events.push(e));
    ctx.world.start();
    await greenTakesTraffic(ctx, BAD, 90, 10);
    // Act
    await ctx.clock.advance(2 * 60_000);
    // Assess
    expect(ctx.world.alarmState('shop-green-5xx')).toBe('ALARM');
    const alarm = events.find((e) => (e.detail as { state: { value: string } }).state.value === 'ALARM') as AwsEvent;
    expect(shape(alarm)).toEqual(shape(AWS_ALARM_EVENT));
    expect(alarm.resources).toEqual([alarmArn]);
    const detail = alarm.detail as typeof AWS_ALARM_EVENT.detail;
    expect(detail.previousState.value).toBe('OK');
    expect(detail.configuration.metrics[0]?.metricStat).toEqual({
      metric: {
        dimensions: { TargetGroup: 'targetgroup/shop-green/2222222222222222', LoadBalancer: ctx.shop.loadBalancerFullName },
        name: 'HTTPCode_Target_5XX_Count',
        namespace: 'AWS/ApplicationELB',
      },
      period: 60,
      stat: 'Sum',
    });
    expect(detail.state.reason).toMatch(
      /^Threshold Crossed: 1 out of the last 1 datapoints \[\d+\.0 \(01\/01\/25 00:0\d:00\)\] was greater than the threshold \(5\.0\) \(minimum 1 datapoint for OK -> ALARM transition\)\.$/,
    );
    expect(JSON.parse(detail.state.reasonData)).toMatchObject({ version: '1.0', statistic: 'Sum', period: 60, threshold: 5 });
    expect(detail.state.timestamp).toMatch(/^2025-01-01T00:0\d:00\.000\+0000$/);
    expect(alarm.time).toMatch(/^2025-01-01T00:0\d:00Z$/);
    ctx.world.stop();
  });

  it('a healthy release keeps the alarm OK', async () => {
    const ctx = setup();
    ctx.world.createAlarm({ name: 'shop-green-5xx', metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: TG_GREEN, threshold: 5 });
    ctx.world.start();
    await greenTakesTraffic(ctx, NEXT, 50, 50);
    await ctx.clock.advance(10 * 60_000);
    expect(ctx.world.alarmState('shop-green-5xx')).toBe('OK');
  });

  it('an ErrorRate metric-math alarm and a composite over it follow the bad image', async () => {
    // Prepare
    const ctx = setup();
    ctx.world.setImageProfile(BAD, { errorRate: 0.5 });
    ctx.world.createAlarm({ name: 'shop-error-rate', metric: 'ErrorRate', targetGroupArn: TG_GREEN, threshold: 10, evaluationPeriods: 2 });
    ctx.world.createAlarm({ name: 'shop-latency', metric: 'TargetResponseTime', targetGroupArn: TG_GREEN, threshold: 2 });
    ctx.world.createCompositeAlarm({ name: 'shop-any', rule: 'ALARM("shop-error-rate") OR ALARM(shop-latency)' });
    const events: AwsEvent[] = [];
    ctx.world.onAwsEvent((e) => events.push(e));
    ctx.world.start();
    await greenTakesTraffic(ctx, BAD, 50, 50);
    // Act
    await ctx.clock.advance(4 * 60_000);
    // Assess
    expect(ctx.world.alarmState('shop-error-rate')).toBe('ALARM');
    expect(ctx.world.alarmState('shop-latency')).toBe('OK');
    expect(ctx.world.alarmState('shop-any')).toBe('ALARM');
    const composite = events.filter((e) => (e.detail as { alarmName: string }).alarmName === 'shop-any').pop() as AwsEvent;
    const detail = composite.detail as { configuration: unknown; state: { reason: string; reasonData: string } };
    expect(detail.configuration).toEqual({ alarmRule: 'ALARM("shop-error-rate") OR ALARM(shop-latency)' });
    expect(detail.state.reason).toMatch(/^arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-error-rate transitioned to ALARM at Wednesday 1 January, 2025 00:0\d:00 UTC$/);
    expect(JSON.parse(detail.state.reasonData).triggeringAlarms[0].arn).toBe('arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-error-rate');
    const math = events.find((e) => (e.detail as { alarmName: string }).alarmName === 'shop-error-rate') as AwsEvent;
    expect((math.detail as { configuration: { metrics: unknown[] } }).configuration.metrics[0]).toEqual({
      expression: '100 * FILL(m1, 0) / m2',
      id: 'e1',
      label: 'ErrorRate',
      returnData: true,
    });
    ctx.world.stop();
  });

  it('DescribeAlarms returns only metric alarms unless AlarmTypes asks for composites, like CloudWatch', async () => {
    const { cw, world } = setup();
    world.createAlarm({ name: 'a', metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: TG_GREEN, threshold: 1 });
    world.createCompositeAlarm({ name: 'c', rule: 'ALARM(a)' });
    const plain = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['a', 'c', 'unknown'] }));
    const both = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['a', 'c'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
    expect(plain.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['a']);
    expect(plain.CompositeAlarms).toEqual([]);
    expect(both.CompositeAlarms?.map((a) => [a.AlarmName, a.StateValue])).toEqual([['c', 'OK']]);
    expect(both.MetricAlarms?.[0]?.StateValue).toBe('INSUFFICIENT_DATA');
  });

  it('SetAlarmState emits the event; the next evaluation sets the computed state again unless held', async () => {
    // Prepare
    const { cw, world, clock } = setup();
    world.createAlarm({ name: 'a', metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: TG_GREEN, threshold: 1 });
    world.tick();
    const events: AwsEvent[] = [];
    world.onAwsEvent((e) => events.push(e));
    // Act
    await cw.send(new SetAlarmStateCommand({ AlarmName: 'a', StateValue: 'ALARM', StateReason: 'testing' }));
    // Assess
    expect(world.alarmState('a')).toBe('ALARM');
    expect((events[0]?.detail as { state: unknown } | undefined)?.state).toEqual({ reason: 'testing', timestamp: '2025-01-01T00:00:00.000+0000', value: 'ALARM' });
    await clock.advance(60_000);
    world.tick();
    expect(world.alarmState('a')).toBe('OK');
    world.setAlarmState('a', 'ALARM', 'scenario', { holdMs: 5 * 60_000 });
    await clock.advance(60_000);
    world.tick();
    expect(world.alarmState('a')).toBe('ALARM');
    await expect(cw.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' }))).rejects.toThrow(ResourceNotFound);
  });
});
