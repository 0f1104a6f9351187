/**
 * The alarms a scenario can rehearse beyond a target group's 5xx count: a p99 latency alarm
 * (ExtendedStatistic, computed from the simulated latency distribution), an unhealthy-host alarm
 * (UnHealthyHostCount, TargetGroup + LoadBalancer dimensions), and an alarm over the whole service
 * (both target groups summed with metric math, or the LoadBalancer dimension) rather than one target
 * group. World-level tests check the CloudWatch semantics; rehearsals check that each rolls back a
 * bad release end to end.
 */
import { DescribeAlarmsCommand, GetMetricDataCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/core/errors.js';
import { ALARM_ENTRY_KIND } from '../../functions/core/recorded-alarm.js';
import { runScenario } from '../../local/rehearsal.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { builtinScenario } from '../../local/scenarios/builtin.js';
import { MetricStore } from '../../local/world/cloudwatch.js';
import { lognormalFor, mixtureQuantile } from '../../local/world/latency.js';
import { BAD, createGreen, GOOD, LISTENER_ARN, NEXT, setup, T0, TG_BLUE, TG_GREEN } from './world.fixtures.js';

/** Green (`digest`) healthy behind TG_GREEN by T0+60s; production split blue/green from then on. */
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

const tgName = (arn: string) => arn.slice(arn.indexOf('targetgroup/'));

describe('latency distribution', () => {
  it('a lognormal fitted to a mean and a p99 gives them back (worked example of local/world/latency.ts)', () => {
    const blue = lognormalFor(0.08, 0.2);
    expect(Math.exp(blue.mu + (blue.sigma * blue.sigma) / 2)).toBeCloseTo(0.08, 9);
    expect(mixtureQuantile([blue], 0.99)).toBeCloseTo(0.2, 5);
    expect(mixtureQuantile([blue], 0.5)).toBeCloseTo(0.0728, 4);
    // 90 % blue, 10 % of a release with mean 150 ms and p99 1.8 s.
    const mixed = mixtureQuantile([{ ...blue, weight: 0.9 }, lognormalFor(0.15, 1.8, 0.1)], 0.99) as number;
    expect(mixed).toBeGreaterThan(0.3);
    expect(mixed).toBeLessThan(0.35);
    expect(() => lognormalFor(0.08, 2)).toThrow(RangeError);
  });
});

describe('local world: percentile, unhealthy-host and service-wide alarms', () => {
  it('a p99 alarm: ExtendedStatistic in DescribeAlarms (no Statistic), computed from the latency distribution, fires on a long tail the average hides', async () => {
    // Prepare: green's mean 150 ms (blue 80 ms), its p99 1.8 s; 50/50.
    const ctx = setup();
    ctx.world.setImageProfile(NEXT, { latencyMs: 150, p99LatencyMs: 1800 });
    ctx.world.createAlarm({ name: 'green-p99', metric: 'TargetResponseTime', statistic: 'p99', targetGroupArn: TG_GREEN, threshold: 1 });
    ctx.world.createAlarm({ name: 'green-avg', metric: 'TargetResponseTime', statistic: 'Average', targetGroupArn: TG_GREEN, threshold: 1 });
    ctx.world.createAlarm({ name: 'blue-p99', metric: 'TargetResponseTime', statistic: 'p99', targetGroupArn: TG_BLUE, threshold: 1 });
    ctx.world.start();
    await greenTakesTraffic(ctx, NEXT, 50, 50);
    // Act
    await ctx.clock.advance(4 * 60_000);
    // Assess: the percentile alarm fires, the average one does not, blue's p99 (200 ms) stays OK.
    expect(ctx.world.alarmState('green-p99')).toBe('ALARM');
    expect(ctx.world.alarmState('green-avg')).toBe('OK');
    expect(ctx.world.alarmState('blue-p99')).toBe('OK');
    const described = await ctx.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['green-p99', 'green-avg'] }));
    const p99 = described.MetricAlarms?.find((a) => a.AlarmName === 'green-p99');
    expect(p99?.ExtendedStatistic).toBe('p99');
    expect(p99).not.toHaveProperty('Statistic');
    expect(described.MetricAlarms?.find((a) => a.AlarmName === 'green-avg')?.Statistic).toBe('Average');
    // The values: green's p99 near 1.8 s (5 % noise per minute), blue's near 0.2 s; averages near the means.
    const dims = (tg: string) => [
      { Name: 'TargetGroup', Value: tgName(tg) },
      { Name: 'LoadBalancer', Value: ctx.shop.loadBalancerFullName },
    ];
    const stats = async (tg: string) =>
      (
        await ctx.cw.send(
          new GetMetricStatisticsCommand({
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'TargetResponseTime',
            Dimensions: dims(tg),
            StartTime: new Date(T0 + 2 * 60_000),
            EndTime: new Date(T0 + 4 * 60_000),
            Period: 120,
            ExtendedStatistics: ['p50', 'p99'],
          }),
        )
      ).Datapoints?.[0]?.ExtendedStatistics;
    const green = await stats(TG_GREEN);
    const blue = await stats(TG_BLUE);
    expect(green?.p99).toBeGreaterThan(1.6);
    expect(green?.p99).toBeLessThan(2);
    expect(blue?.p99).toBeGreaterThan(0.17);
    expect(blue?.p99).toBeLessThan(0.23);
    expect(blue?.p50).toBeLessThan(blue?.p99 as number);
    ctx.world.stop();
  });

  it('an unhealthy-host alarm fires when green\'s targets fail their health checks; blue\'s stays OK', async () => {
    // Prepare: green's image never passes health checks.
    const ctx = setup();
    ctx.world.setImageProfile(BAD, { healthy: false });
    ctx.world.createAlarm({ name: 'green-unhealthy', metric: 'UnHealthyHostCount', statistic: 'Maximum', targetGroupArn: TG_GREEN, threshold: 0 });
    ctx.world.createAlarm({ name: 'blue-unhealthy', metric: 'UnHealthyHostCount', statistic: 'Maximum', targetGroupArn: TG_BLUE, threshold: 0 });
    ctx.world.start();
    await createGreen(ctx, BAD);
    // Act
    await ctx.clock.advance(5 * 60_000);
    // Assess
    expect(ctx.world.alarmState('green-unhealthy')).toBe('ALARM');
    expect(ctx.world.alarmState('blue-unhealthy')).toBe('OK');
    const [alarm] = (await ctx.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['green-unhealthy'] }))).MetricAlarms ?? [];
    expect(alarm?.Dimensions).toEqual([
      { Name: 'TargetGroup', Value: tgName(TG_GREEN) },
      { Name: 'LoadBalancer', Value: ctx.shop.loadBalancerFullName },
    ]);
    expect(alarm?.Statistic).toBe('Maximum');
    ctx.world.stop();
  });

  it('a service-wide alarm: the 5xx count of both target groups summed (metric math) fires where each target group alone stays below', async () => {
    // Prepare: both versions answer 5 % 5xx; 1200 rpm split 50/50 is about 30 errors a minute each
    // (binomial noise: sd about 5), 60 for the service.
    const ctx = setup();
    ctx.world.setImageProfile(GOOD, { errorRate: 0.05 });
    ctx.world.setImageProfile(NEXT, { errorRate: 0.05 });
    const threshold = 45;
    ctx.world.createAlarm({ name: 'service-5xx', metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: TG_BLUE, serviceTargetGroupArns: [TG_BLUE, TG_GREEN], threshold });
    ctx.world.createAlarm({ name: 'blue-5xx', metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: TG_BLUE, threshold });
    ctx.world.createAlarm({ name: 'green-5xx', metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: TG_GREEN, threshold });
    ctx.world.createAlarm({ name: 'service-p99', metric: 'TargetResponseTime', statistic: 'p99', targetGroupArn: TG_BLUE, serviceTargetGroupArns: [TG_BLUE, TG_GREEN], threshold: 5 });
    ctx.world.start();
    await greenTakesTraffic(ctx, NEXT, 50, 50);
    // Act
    await ctx.clock.advance(4 * 60_000);
    // Assess
    expect(ctx.world.alarmState('service-5xx')).toBe('ALARM');
    expect(ctx.world.alarmState('blue-5xx')).toBe('OK');
    expect(ctx.world.alarmState('green-5xx')).toBe('OK');
    const described = await ctx.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['service-5xx', 'service-p99'] }));
    const sum = described.MetricAlarms?.find((a) => a.AlarmName === 'service-5xx');
    expect(sum?.Metrics?.find((m) => m.ReturnData !== false)?.Expression).toBe('FILL(m0, 0) + FILL(m1, 0)');
    expect(sum?.Metrics?.filter((m) => m.MetricStat).map((m) => m.MetricStat?.Metric?.Dimensions?.[0]?.Value)).toEqual([tgName(TG_BLUE), tgName(TG_GREEN)]);
    // A latency percentile of the whole service reads the LoadBalancer dimension, which ALB publishes.
    const p99 = described.MetricAlarms?.find((a) => a.AlarmName === 'service-p99');
    expect(p99?.Dimensions).toEqual([{ Name: 'LoadBalancer', Value: ctx.shop.loadBalancerFullName }]);
    expect(p99?.ExtendedStatistic).toBe('p99');
    const lb = await ctx.cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(T0 + 2 * 60_000),
        EndTime: new Date(T0 + 4 * 60_000),
        MetricDataQueries: [
          { Id: 'lb', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'LoadBalancer', Value: ctx.shop.loadBalancerFullName }] }, Period: 60, Stat: 'Sum' } },
          { Id: 'svc', Expression: 'FILL(b, 0) + FILL(g, 0)' },
          { Id: 'b', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'TargetGroup', Value: tgName(TG_BLUE) }, { Name: 'LoadBalancer', Value: ctx.shop.loadBalancerFullName }] }, Period: 60, Stat: 'Sum' }, ReturnData: false },
          { Id: 'g', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'TargetGroup', Value: tgName(TG_GREEN) }, { Name: 'LoadBalancer', Value: ctx.shop.loadBalancerFullName }] }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        ],
      }),
    );
    // The load balancer's own 5xx count is the two target groups' (this load balancer serves the shop alone).
    expect(lb.MetricDataResults?.[0]?.Values).toEqual(lb.MetricDataResults?.[1]?.Values);
    expect(lb.MetricDataResults?.[0]?.Values?.length).toBe(2);
    ctx.world.stop();
  });

  it('a percentile of a statistic set of several values is unavailable, as in CloudWatch; single values (host counts) have one', async () => {
    // The store itself: a statistic set (4 values, min 1, max 4) has no p50; single values do.
    const store = new MetricStore();
    const dims = { TargetGroup: 'tg' };
    store.put('N', 'set', dims, T0, { sum: 10, count: 4, min: 1, max: 4 });
    store.put('N', 'single', dims, T0, { sum: 3, count: 1, min: 3, max: 3 });
    store.put('N', 'single', dims, T0 + 60_000, { sum: 9, count: 1, min: 9, max: 9 });
    expect([...store.series('N', 'set', dims, 'p50', 60_000, T0, T0 + 60_000)]).toEqual([]);
    expect([...store.series('N', 'set', dims, 'Average', 60_000, T0, T0 + 60_000)]).toEqual([[T0, 2.5]]);
    expect([...store.series('N', 'single', dims, 'p50', 120_000, T0, T0 + 120_000)]).toEqual([[T0, 3]]);
    expect([...store.series('N', 'single', dims, 'p100', 120_000, T0, T0 + 120_000)]).toEqual([[T0, 9]]);
    // The world: host counts and request counts are one value a minute.
    const ctx = setup();
    ctx.world.start();
    await greenTakesTraffic(ctx, NEXT, 50, 50);
    await ctx.clock.advance(3 * 60_000);
    const q = (id: string, metric: string, stat: string) => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metric, Dimensions: [{ Name: 'TargetGroup', Value: tgName(TG_BLUE) }, { Name: 'LoadBalancer', Value: ctx.shop.loadBalancerFullName }] },
        Period: 60,
        Stat: stat,
      },
    });
    const out = await ctx.cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(T0 + 2 * 60_000),
        EndTime: new Date(T0 + 4 * 60_000),
        MetricDataQueries: [q('healthy', 'HealthyHostCount', 'p50'), q('requests', 'RequestCount', 'p50')],
      }),
    );
    expect(out.MetricDataResults?.[0]?.Values).toEqual([4, 4]);
    // RequestCount is one value a minute here (count 1): its p50 is that value.
    expect(out.MetricDataResults?.[1]?.Values).toEqual([600, 600]);
    ctx.world.stop();
  });
});

describe('scenario alarms: the schema refuses what AWS would not compute, naming the fix', () => {
  const withAlarms = (name: string, alarms: unknown[], mutate: (s: ScenarioInput) => void = () => {}): unknown => {
    const s = structuredClone(builtinScenario(name)) as ScenarioInput;
    (s.world as { alarms: unknown[] }).alarms = alarms;
    mutate(s);
    return s;
  };
  const problems = (raw: unknown): string[] => {
    try {
      parseScenario(raw, 't');
    } catch (e) {
      if (e instanceof ValidationError) return [...e.problems];
      throw e;
    }
    return [];
  };

  it('percentiles only on TargetResponseTime; targetGroupIndex only per target group; a tail no lognormal has', () => {
    const got = problems(
      withAlarms(
        'good-canary',
        [
          { name: 'x', service: 'api', metric: 'HTTPCode_Target_5XX_Count', statistic: 'p99', threshold: 1 },
          { name: 'y', service: 'api', scope: 'service', targetGroupIndex: 1, metric: 'UnHealthyHostCount', threshold: 0 },
          { name: 'z', service: 'nope', metric: 'TargetResponseTime', threshold: 1 },
        ],
        (s) => {
          (s.world.images[0] as { profile: unknown }).profile = { latencyMs: 80, p99LatencyMs: 2000 };
        },
      ),
    );
    expect(got).toEqual([
      'world.alarms[0].statistic: a percentile (p99) is computed only for TargetResponseTime (ALB publishes its per-request values); use Sum for HTTPCode_Target_5XX_Count',
      'world.alarms[1].targetGroupIndex: only with scope "target-group"; scope "service" watches both target groups',
      'world.alarms[2].service: "nope" is not a service in config.services',
      'world.images[0].profile.p99LatencyMs: 2000 must be above latencyMs (80, the mean) and at most 14 times it; raise latencyMs for a longer tail',
    ]);
  });

  it('a service-wide latency alarm on a load balancer another service shares is refused; a summed 5xx alarm there is fine', () => {
    // two-services-one-repo: api and checkout, each on its own ALB; rule-listener-like sharing: both on `demo`.
    const shared = (s: ScenarioInput) => {
      const services = (s.config as { services: Array<Record<string, unknown>> }).services;
      for (const svc of services) {
        delete svc.listenerArn;
        svc.listenerRuleArn = `arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/demo/1111111111111111/2222222222222222/${svc.name === 'api' ? '3333333333333333' : '4444444444444444'}`;
      }
    };
    const got = problems(
      withAlarms(
        'two-services-one-repo',
        [
          { name: 'p', service: 'api', scope: 'service', metric: 'TargetResponseTime', statistic: 'p99', threshold: 1 },
          { name: 's', service: 'api', scope: 'service', metric: 'HTTPCode_Target_5XX_Count', threshold: 10 },
        ],
        shared,
      ),
    );
    expect(got).toEqual([
      'world.alarms[0].scope: TargetResponseTime p99 over the whole service reads the LoadBalancer dimension of app/demo/1111111111111111, which also serves checkout/production: use scope "target-group" (one alarm per target group), or give api its own load balancer',
    ]);
    // On their own load balancers (the builtin as it is), the same alarms are accepted.
    expect(problems(withAlarms('two-services-one-repo', [{ name: 'p', service: 'api', scope: 'service', metric: 'TargetResponseTime', statistic: 'p99', threshold: 1 }]))).toEqual([]);
  });
});

describe('rehearsals: each alarm kind rolls a bad release back', () => {
  it('bad-release-p99: the p99 alarm on green\'s target group fires during the canary bake; rolled back with AlarmTriggered', async () => {
    const trace = await runScenario(parseScenario(builtinScenario('bad-release-p99'), 'bad-release-p99'));
    const [d] = trace.summary.deployments;
    expect(d?.status).toBe('ROLLED_BACK');
    expect(d?.reasonCode).toBe('AlarmTriggered');
    expect(d?.reason).toMatch(/^AlarmTriggered: Alarm api-p99-b is in ALARM: Threshold Crossed: 1 out of the last 1 datapoints \[1\.\d+ /);
    const alarmEvents = trace.awsEvents.filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change' && (e.detail as { state: { value: string } }).state.value === 'ALARM');
    expect(alarmEvents.map((e) => (e.detail as { alarmName: string }).alarmName)).toEqual(['api-p99-b']);
    const config = (alarmEvents[0]?.detail as { configuration: { metrics: Array<{ metricStat: { stat: string } }> } } | undefined)?.configuration;
    expect(config?.metrics[0]?.metricStat.stat).toBe('p99');
  }, 60_000);

  it('an unhealthy-host alarm on green\'s target group fires while green fails its health checks; the deployment records it and rolls back', async () => {
    const input = structuredClone(builtinScenario('unhealthy-release')) as ScenarioInput;
    const svc = (input.config as { services: Array<{ alarms: string[] }> }).services[0] as { alarms: string[] };
    svc.alarms = ['api-unhealthy-a', 'api-unhealthy-b'];
    (input.world as { alarms: unknown[] }).alarms = svc.alarms.map((name, i) => ({ name, service: 'api', targetGroupIndex: i, metric: 'UnHealthyHostCount', statistic: 'Maximum', threshold: 0 }));
    const trace = await runScenario(parseScenario(input, 'unhealthy-host'));
    const [d] = trace.summary.deployments;
    expect(d?.status).toBe('ROLLED_BACK');
    const alarmed = trace.awsEvents
      .filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change' && (e.detail as { state: { value: string } }).state.value === 'ALARM')
      .map((e) => (e.detail as { alarmName: string }).alarmName);
    expect(alarmed).toEqual(['api-unhealthy-b']);
    // Green holds no production traffic while Cutover waits for it to be healthy: the alarm is
    // recorded on the deployment, and the health wait ends it (the wait is not one an alarm ends).
    expect(trace.records[0]?.timeline.filter((e) => e.kind === ALARM_ENTRY_KIND).map((e) => e.detail?.alarmName)).toEqual(['api-unhealthy-b']);
    expect(d?.reasonCode).toBe('HealthCheckTimeout');
  }, 60_000);

  it('a service-wide 5xx alarm (both target groups summed) rolls back bad-release-alarm with no per-target-group alarm', async () => {
    const input = structuredClone(builtinScenario('bad-release-alarm')) as ScenarioInput;
    const svc = (input.config as { services: Array<{ alarms: string[] }> }).services[0] as { alarms: string[] };
    svc.alarms = ['api-5xx'];
    (input.world as { alarms: unknown[] }).alarms = [{ name: 'api-5xx', service: 'api', scope: 'service', metric: 'HTTPCode_Target_5XX_Count', threshold: 10 }];
    const trace = await runScenario(parseScenario(input, 'service-wide'));
    const [d] = trace.summary.deployments;
    expect(d?.status).toBe('ROLLED_BACK');
    expect(d?.reason).toMatch(/^AlarmTriggered: Alarm api-5xx is in ALARM/);
  }, 60_000);
});
