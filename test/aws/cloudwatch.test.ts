import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchAlarms, CloudWatchMetrics, foldSamples } from '../../functions/aws/cloudwatch.js';
import { AwsThrottled } from '../../functions/core/errors.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new CloudWatchClient({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });
const cw = mockClient(client);
beforeEach(() => cw.reset());

describe('CloudWatchAlarms', () => {
  it('describes metric and composite alarms; unknown names are omitted', async () => {
    // Prepare
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'web-5xx', StateValue: 'ALARM', StateReason: 'Threshold crossed' }],
      CompositeAlarms: [{ AlarmName: 'web-health', StateValue: 'OK', StateReason: 'fine' }],
    });
    // Act
    const alarms = await new CloudWatchAlarms(client).describe(['web-5xx', 'web-health', 'unknown']);
    // Assess
    expect(alarms).toEqual([
      { name: 'web-5xx', state: 'ALARM', reason: 'Threshold crossed' },
      { name: 'web-health', state: 'OK', reason: 'fine' },
    ]);
    expect(cw.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({
      AlarmNames: ['web-5xx', 'web-health', 'unknown'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm', 'LogAlarm'],
      MaxRecords: 100,
    });
  });

  it('watches log alarms too: LogAlarms is read and LogAlarm is asked for (DescribeAlarms returns only the types asked for)', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ LogAlarms: [{ AlarmName: 'web-errors-in-logs', StateValue: 'ALARM', StateReason: 'query result 42 > 10' }] });
    const alarms = await new CloudWatchAlarms(client).describe(['web-errors-in-logs']);
    expect(alarms).toEqual([{ name: 'web-errors-in-logs', state: 'ALARM', reason: 'query result 42 > 10' }]);
    expect(cw.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input.AlarmTypes).toContain('LogAlarm');
  });

  it('asks in batches of 100 names and follows NextToken', async () => {
    // Prepare
    const names = Array.from({ length: 150 }, (_, i) => `a${i}`);
    cw.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[]; NextToken?: string }) => {
      const half = Math.ceil(input.AlarmNames.length / 2);
      const page = input.NextToken === undefined ? input.AlarmNames.slice(0, half) : input.AlarmNames.slice(half);
      return {
        MetricAlarms: page.map((AlarmName) => ({ AlarmName, StateValue: 'OK', StateReason: '' })),
        ...(input.NextToken === undefined ? { NextToken: 'next' } : {}),
      };
    });
    // Act
    const alarms = await new CloudWatchAlarms(client).describe(names);
    // Assess
    const inputs = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.AlarmNames?.length, i.NextToken])).toEqual([
      [100, undefined],
      [100, 'next'],
      [50, undefined],
      [50, 'next'],
    ]);
    expect(alarms.map((a) => a.name).sort()).toEqual([...names].sort());
  });

  it('makes no call for no names', async () => {
    await expect(new CloudWatchAlarms(client).describe([])).resolves.toEqual([]);
    expect(cw.calls()).toHaveLength(0);
  });
});

describe('CloudWatchMetrics', () => {
  const LB = 'app/web-alb/50dc6c495c0c9188';
  const TG = 'targetgroup/green/73e2d6bc24d8a067';
  const t = (m: number) => new Date(Date.UTC(2025, 0, 1, 0, m));

  it('queries RequestCount, 5xx and TargetResponseTime per minute for the target group, and follows NextToken', async () => {
    // Prepare
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'requests', Timestamps: [t(0), t(1)], Values: [100, 0] },
          { Id: 'errors5xx', Timestamps: [t(0)], Values: [2] },
          { Id: 'latency', Timestamps: [t(0), t(1)], Values: [0.12, 9.9] },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'requests', Timestamps: [t(2)], Values: [50] },
          { Id: 'errors5xx', Timestamps: [t(2)], Values: [1] },
          { Id: 'latency', Timestamps: [t(2)], Values: [0.2] },
        ],
      });
    // Act
    const samples = await new CloudWatchMetrics(client).targetGroupSamples(LB, TG, t(0).getTime(), t(3).getTime());
    // Assess
    expect(samples).toEqual({ requests: 150, errors5xx: 3, latencies: [0.12, 0.2] });
    const [first, second] = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    const dims = [
      { Name: 'LoadBalancer', Value: LB },
      { Name: 'TargetGroup', Value: TG },
    ];
    const q = (Id: string, MetricName: string, Stat: string) => ({
      Id,
      MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName, Dimensions: dims }, Period: 60, Stat },
      ReturnData: true,
    });
    expect(first).toEqual({
      MetricDataQueries: [
        q('requests', 'RequestCount', 'Sum'),
        q('errors5xx', 'HTTPCode_Target_5XX_Count', 'Sum'),
        q('latency', 'TargetResponseTime', 'Average'),
      ],
      StartTime: t(0),
      EndTime: t(3),
      ScanBy: 'TimestampAscending',
    });
    expect(second?.NextToken).toBe('page-2');
  });

  it('classifies throttling', async () => {
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    await expect(new CloudWatchMetrics(client).targetGroupSamples(LB, TG, 0, 60_000)).rejects.toThrow(AwsThrottled);
  });

  it('foldSamples: no data is zero requests and no latencies', () => {
    expect(foldSamples([])).toEqual({ requests: 0, errors5xx: 0, latencies: [] });
  });
});
