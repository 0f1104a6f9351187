/** CloudWatch adapters: alarm states (Alarms) and ALB target-group metrics (MetricSource). */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmInfo, Alarms, MetricRef, MetricSource, TargetGroupSamples, VersionMetricQueries } from '../core/ports.js';
import { awsCall } from './aws-errors.js';

/** DescribeAlarms accepts at most 100 alarm names per call. */
export const ALARM_NAMES_PER_CALL = 100;
/** Metric period (seconds): ALB metrics are per minute. */
export const METRIC_PERIOD_SECONDS = 60;

const ALARM_STATES: readonly AlarmInfo['state'][] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const toState = (s: string | undefined): AlarmInfo['state'] =>
  ALARM_STATES.includes(s as AlarmInfo['state']) ? (s as AlarmInfo['state']) : 'INSUFFICIENT_DATA';

export class CloudWatchAlarms implements Alarms {
  constructor(private readonly client: CloudWatchClient) {}

  /**
   * Metric, composite and log alarms by name, 100 names per call, every page. Unknown names are
   * omitted. DescribeAlarms returns only the alarm types AlarmTypes asks for (metric alarms alone
   * when it is left out; CloudWatch API Reference, DescribeAlarms), and LogAlarm is a type of its
   * own: a configured log alarm is watched like any other.
   */
  async describe(names: readonly string[]): Promise<AlarmInfo[]> {
    const unique = [...new Set(names)];
    const found: AlarmInfo[] = [];
    for (let i = 0; i < unique.length; i += ALARM_NAMES_PER_CALL) {
      const batch = unique.slice(i, i + ALARM_NAMES_PER_CALL);
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const out = await awsCall('CloudWatch:DescribeAlarms', () =>
          this.client.send(
            new DescribeAlarmsCommand({
              AlarmNames: batch,
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm', 'LogAlarm'],
              MaxRecords: ALARM_NAMES_PER_CALL,
              ...(token === undefined ? {} : { NextToken: token }),
            }),
          ),
        );
        for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? []), ...(out.LogAlarms ?? [])]) {
          if (a.AlarmName === undefined) continue;
          found.push({ name: a.AlarmName, state: toState(a.StateValue), reason: a.StateReason ?? '' });
        }
        nextToken = out.NextToken;
      } while (nextToken !== undefined);
    }
    return found;
  }
}

const QUERY_IDS = { requests: 'requests', errors: 'errors5xx', latency: 'latency' } as const;

export function targetGroupQueries(loadBalancerFullName: string, targetGroupFullName: string): MetricDataQuery[] {
  const metric = (id: string, metricName: string, stat: 'Sum' | 'Average'): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: metricName,
        Dimensions: [
          { Name: 'LoadBalancer', Value: loadBalancerFullName },
          { Name: 'TargetGroup', Value: targetGroupFullName },
        ],
      },
      Period: METRIC_PERIOD_SECONDS,
      Stat: stat,
    },
    ReturnData: true,
  });
  return [
    metric(QUERY_IDS.requests, 'RequestCount', 'Sum'),
    metric(QUERY_IDS.errors, 'HTTPCode_Target_5XX_Count', 'Sum'),
    metric(QUERY_IDS.latency, 'TargetResponseTime', 'Average'),
  ];
}

/**
 * The GetMetricData queries of a worker's version-tagged metrics (the dimension values already hold
 * the version): processed and errors as Sum per minute, latency as Average per minute, under the
 * same ids as a target group's, so {@link foldSamples} reads both.
 */
export function versionQueries(q: VersionMetricQueries): MetricDataQuery[] {
  const metric = (id: string, ref: MetricRef, stat: 'Sum' | 'Average'): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: ref.namespace,
        MetricName: ref.metricName,
        Dimensions: Object.entries(ref.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: METRIC_PERIOD_SECONDS,
      Stat: stat,
    },
    ReturnData: true,
  });
  return [
    metric(QUERY_IDS.requests, q.processed, 'Sum'),
    ...(q.errors ? [metric(QUERY_IDS.errors, q.errors, 'Sum')] : []),
    ...(q.latency ? [metric(QUERY_IDS.latency, q.latency, 'Average')] : []),
  ];
}

/**
 * Fold GetMetricData results into samples: totals of requests and 5xx, and the per-period average
 * latency of each period that had requests (ordered by time). Pure.
 */
export function foldSamples(results: readonly MetricDataResult[]): TargetGroupSamples {
  const series = (id: string): Map<number, number> => {
    const m = new Map<number, number>();
    for (const r of results.filter((r) => r.Id === id)) {
      (r.Timestamps ?? []).forEach((t, i) => {
        const v = r.Values?.[i];
        if (v !== undefined) m.set(new Date(t).getTime(), (m.get(new Date(t).getTime()) ?? 0) + v);
      });
    }
    return m;
  };
  const requests = series(QUERY_IDS.requests);
  const errors = series(QUERY_IDS.errors);
  const latency = series(QUERY_IDS.latency);
  const sum = (m: Map<number, number>) => [...m.values()].reduce((s, v) => s + v, 0);
  const latencies = [...latency.entries()]
    .filter(([t]) => (requests.get(t) ?? 0) > 0)
    .sort(([a], [b]) => a - b)
    .map(([, v]) => v);
  return { requests: sum(requests), errors5xx: sum(errors), latencies };
}

export class CloudWatchMetrics implements MetricSource {
  constructor(private readonly client: CloudWatchClient) {}

  async targetGroupSamples(
    loadBalancerFullName: string,
    targetGroupFullName: string,
    startMs: number,
    endMs: number,
  ): Promise<TargetGroupSamples> {
    return foldSamples(await this.fetch(targetGroupQueries(loadBalancerFullName, targetGroupFullName), startMs, endMs));
  }

  /** A worker's version-tagged metrics; latency is published in ms and judged in seconds like ALB's. */
  async versionSamples(queries: VersionMetricQueries, startMs: number, endMs: number): Promise<TargetGroupSamples> {
    const samples = foldSamples(await this.fetch(versionQueries(queries), startMs, endMs));
    return { ...samples, latencies: samples.latencies.map((ms) => ms / 1000) };
  }

  private async fetch(queries: MetricDataQuery[], startMs: number, endMs: number): Promise<MetricDataResult[]> {
    const results: MetricDataResult[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const out = await awsCall('CloudWatch:GetMetricData', () =>
        this.client.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: new Date(startMs),
            EndTime: new Date(endMs),
            ScanBy: 'TimestampAscending',
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        ),
      );
      results.push(...(out.MetricDataResults ?? []));
      nextToken = out.NextToken;
    } while (nextToken !== undefined);
    return results;
  }
}
