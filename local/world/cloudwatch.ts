/**
 * CloudWatch in memory: a per-minute metric store (filled by the traffic model), metric alarms
 * (single metric or metric math), composite alarms, and the API: GetMetricData,
 * GetMetricStatistics, DescribeAlarms, PutMetricAlarm, PutCompositeAlarm, DeleteAlarms,
 * SetAlarmState.
 *
 * Alarms are evaluated by {@link CloudWatchWorld.evaluate} (once per virtual minute, from the
 * world's tick): M out of N datapoints with treatMissingData, as CloudWatch does. Every state change
 * emits a `CloudWatch Alarm State Change` event in exactly AWS's shape; composite alarms re-evaluate
 * after their children change (at a tick or on SetAlarmState).
 */
import type {
  CompositeAlarm,
  DeleteAlarmsCommandInput,
  DescribeAlarmsCommandInput,
  DescribeAlarmsCommandOutput,
  Dimension,
  GetMetricDataCommandInput,
  GetMetricDataCommandOutput,
  GetMetricStatisticsCommandInput,
  GetMetricStatisticsCommandOutput,
  LogAlarm,
  MetricAlarm,
  MetricDataQuery,
  MetricDataResult,
  PutCompositeAlarmCommandInput,
  PutMetricAlarmCommandInput,
  SetAlarmStateCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { type AlarmStateValue, alarmNameOf, childrenOf, evaluateRule, parseAlarmRule, type RuleNode } from './alarm-rule.js';
import { fault } from './errors.js';
import { type LatencyComponent, mixtureQuantile, percentileOf } from './latency.js';
import { evaluate, type MathScope, MetricMathError, type Series } from './metric-math.js';
import { cwTimestamp, floorTo, isoSeconds, javaDouble, longDate, MINUTE_MS, reasonDate } from './time.js';
import type { AwsEvent, WorldContext } from './types.js';

type Out<T> = Omit<T, '$metadata'>;
export type Operation = (input: never) => unknown;
export type { AlarmStateValue };

// ---------------------------------------------------------------------------------------------
// Metric store
// ---------------------------------------------------------------------------------------------
export interface Datum {
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  /**
   * The distribution of the values (local/world/latency.ts): what makes percentiles available, as
   * raw values do in CloudWatch. Without it, a percentile is available only when the datum is a
   * single value (count 1, or min equal to max), as for a statistic set in CloudWatch.
   */
  readonly distribution?: readonly LatencyComponent[];
}
export type Dimensions = Readonly<Record<string, string>>;

const seriesKey = (namespace: string, name: string, dims: Dimensions): string =>
  `${namespace}|${name}|${Object.keys(dims)
    .sort()
    .map((k) => `${k}=${dims[k]}`)
    .join(',')}`;

const STATS = new Set(['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount']);
const PERCENTILE = /^p\d{1,2}(\.\d+)?$|^p100$/;

export class MetricStore {
  private readonly data = new Map<string, Map<number, Datum>>();

  /** Record one minute (`minuteStart`, aligned) of a metric. Adds to what is there. */
  put(namespace: string, name: string, dims: Dimensions, minuteStart: number, d: Datum): void {
    const key = seriesKey(namespace, name, dims);
    const s = this.data.get(key) ?? new Map<number, Datum>();
    const prev = s.get(minuteStart);
    s.set(
      minuteStart,
      prev
        ? {
            sum: prev.sum + d.sum,
            count: prev.count + d.count,
            min: Math.min(prev.min, d.min),
            max: Math.max(prev.max, d.max),
            ...(prev.distribution && d.distribution ? { distribution: [...prev.distribution, ...d.distribution] } : {}),
          }
        : d,
    );
    this.data.set(key, s);
  }

  /**
   * The statistic per period over [start, end): period starts aligned to the period; periods
   * without data are absent. A percentile (`pNN.NN`) is computed from the values' distribution
   * (local/world/latency.ts); a period holding a datum without one (a statistic set of several
   * different values) has no percentile, as in CloudWatch ("CloudWatch needs raw data points to
   * calculate percentile statistics", GetMetricStatistics).
   */
  series(namespace: string, name: string, dims: Dimensions, stat: string, periodMs: number, start: number, end: number): Series {
    const s = this.data.get(seriesKey(namespace, name, dims));
    const buckets = new Map<number, { sum: number; count: number; min: number; max: number; parts: Datum[] }>();
    if (s) {
      for (const [t, d] of s) {
        if (t < start || t >= end) continue;
        const b = floorTo(t, periodMs);
        const acc = buckets.get(b);
        if (acc) {
          acc.sum += d.sum;
          acc.count += d.count;
          acc.min = Math.min(acc.min, d.min);
          acc.max = Math.max(acc.max, d.max);
          acc.parts.push(d);
        } else buckets.set(b, { sum: d.sum, count: d.count, min: d.min, max: d.max, parts: [d] });
      }
    }
    const out: Series = new Map();
    const q = percentileOf(stat);
    for (const [b, d] of [...buckets.entries()].sort((x, y) => x[0] - y[0])) {
      if (q !== undefined) {
        const v = percentileOfParts(d.parts, q, d.min, d.max);
        if (v !== undefined && Number.isFinite(v)) out.set(b, v);
        continue;
      }
      const v =
        stat === 'Sum'
          ? d.sum
          : stat === 'SampleCount'
            ? d.count
            : stat === 'Minimum'
              ? d.min
              : stat === 'Maximum'
                ? d.max
                : d.count > 0
                  ? d.sum / d.count
                  : Number.NaN;
      if (Number.isFinite(v)) out.set(b, v);
    }
    return out;
  }
}

/**
 * The `q` percentile of a period's data: from the distributions when every datum has one; else,
 * when every datum is a single value (count 1 or min = max), the nearest-rank percentile of those
 * values weighted by count; else undefined (CloudWatch cannot compute it from statistic sets).
 * p0 and p100 are the minimum and maximum.
 */
function percentileOfParts(parts: readonly Datum[], q: number, min: number, max: number): number | undefined {
  if (q <= 0) return min;
  if (q >= 1) return max;
  if (parts.every((p) => p.distribution && p.distribution.length > 0)) {
    const v = mixtureQuantile(parts.flatMap((p) => p.distribution ?? []), q);
    return v === undefined ? undefined : Math.min(max, Math.max(min, v));
  }
  if (!parts.every((p) => p.count === 1 || p.min === p.max)) return undefined;
  const values = parts.map((p) => ({ v: p.count === 1 ? p.sum : p.min, w: p.count })).sort((a, b) => a.v - b.v);
  const total = values.reduce((n, x) => n + x.w, 0);
  let seen = 0;
  for (const x of values) {
    seen += x.w;
    if (seen >= q * total - 1e-9) return x.v;
  }
  return values.at(-1)?.v;
}

const toMs = (d: Date | string | number | undefined): number => {
  if (d === undefined) return Number.NaN;
  return d instanceof Date ? d.getTime() : typeof d === 'number' ? (d < 1e11 ? d * 1000 : d) : Date.parse(d);
};
const dimsOf = (dims: readonly Dimension[] | undefined): Dimensions =>
  Object.fromEntries((dims ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));

// ---------------------------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------------------------
interface StateRec {
  value: AlarmStateValue;
  reason: string;
  reasonData?: string;
  /** When the state value last changed. */
  at: number;
  /** When state, reason or data last changed. */
  updatedAt: number;
}
interface AlarmBase {
  readonly name: string;
  readonly arn: string;
  description?: string;
  actionsEnabled: boolean;
  alarmActions: string[];
  okActions: string[];
  insufficientDataActions: string[];
  configUpdatedAt: number;
  state: StateRec;
  /** A scenario pinned the state (setAlarmState with holdMs): no evaluation until then. */
  holdUntil?: number;
}
interface MetricAlarmRec extends AlarmBase {
  readonly kind: 'metric';
  input: PutMetricAlarmCommandInput;
  /** The id AWS puts on a single-metric alarm's metric in events. */
  readonly eventMetricId: string;
}
interface CompositeAlarmRec extends AlarmBase {
  readonly kind: 'composite';
  rule: string;
  ast: RuleNode;
}
/**
 * A log alarm (a CloudWatch Logs scheduled query's result against a threshold). The world does not
 * run queries: its state is set (setState / SetAlarmState). DescribeAlarms returns it only when
 * AlarmTypes asks for LogAlarm ("DescribeAlarms", CloudWatch API Reference: "If you omit this
 * parameter, only metric alarms are returned, even if composite alarms or log alarms exist").
 */
interface LogAlarmRec extends AlarmBase {
  readonly kind: 'log';
}
type AlarmRec = MetricAlarmRec | CompositeAlarmRec | LogAlarmRec;

const ALARM_TYPE_OF: Readonly<Record<AlarmRec['kind'], string>> = { metric: 'MetricAlarm', composite: 'CompositeAlarm', log: 'LogAlarm' };

const COMPARISON_TEXT: Readonly<Record<string, string>> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};
const compare = (op: string, v: number, t: number): boolean =>
  op === 'GreaterThanThreshold' ? v > t : op === 'GreaterThanOrEqualToThreshold' ? v >= t : op === 'LessThanThreshold' ? v < t : v <= t;
const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

export class CloudWatchWorld {
  readonly metrics = new MetricStore();
  private readonly alarms = new Map<string, AlarmRec>();

  constructor(private readonly ctx: WorldContext) {}

  private get now(): number {
    return this.ctx.clock.now();
  }
  private alarmArn(name: string): string {
    return `arn:aws:cloudwatch:${this.ctx.region}:${this.ctx.accountId}:alarm:${name}`;
  }

  // ------------------------------------------------------------------ world-facing
  alarmState(name: string): { value: AlarmStateValue; reason: string; reasonData?: string } | undefined {
    const a = this.alarms.get(name);
    return a ? { value: a.state.value, reason: a.state.reason, ...(a.state.reasonData ? { reasonData: a.state.reasonData } : {}) } : undefined;
  }
  alarmNames(): string[] {
    return [...this.alarms.keys()];
  }

  /** Evaluate every metric alarm at `now`, then the composites. */
  evaluate(): void {
    for (const a of this.alarms.values()) if (a.kind === 'metric') this.evaluateMetricAlarm(a);
    this.evaluateComposites();
  }

  /** Set an alarm's state (SetAlarmState semantics); `holdMs` pins it against evaluation. */
  setState(name: string, value: AlarmStateValue, reason: string, reasonData?: string, holdMs?: number): void {
    const a = this.alarms.get(name);
    if (!a) throw fault('ResourceNotFound', `Alarm ${name} not found`);
    if (holdMs !== undefined) a.holdUntil = this.now + holdMs;
    this.transition(a, value, reason, reasonData);
    this.evaluateComposites();
  }

  // ------------------------------------------------------------------ evaluation
  private alarmPeriodMs(input: PutMetricAlarmCommandInput): number {
    if (input.Period) return input.Period * 1000;
    const q = (input.Metrics ?? []).find((m) => m.MetricStat?.Period || m.Period);
    return ((q?.MetricStat?.Period ?? q?.Period ?? 60) as number) * 1000;
  }

  /** The alarm's evaluated values per period over [start, end). */
  private alarmValues(input: PutMetricAlarmCommandInput, start: number, end: number, periodMs: number): Series {
    if (input.Metrics && input.Metrics.length > 0) {
      const results = this.runQueries(input.Metrics, start, end, periodMs);
      const ret = input.Metrics.find((m) => m.ReturnData !== false);
      return (ret ? results.get(ret.Id ?? '') : undefined) ?? new Map();
    }
    const stat = input.Statistic ?? input.ExtendedStatistic ?? 'Average';
    return this.metrics.series(input.Namespace ?? '', input.MetricName ?? '', dimsOf(input.Dimensions), stat, periodMs, start, end);
  }

  private evaluateMetricAlarm(a: MetricAlarmRec): void {
    const now = this.now;
    if (a.holdUntil !== undefined && now < a.holdUntil) return;
    const i = a.input;
    const p = this.alarmPeriodMs(i);
    const n = i.EvaluationPeriods ?? 1;
    const m = i.DatapointsToAlarm ?? n;
    const end = floorTo(now, p);
    const starts = Array.from({ length: n }, (_, k) => end - (n - k) * p);
    const values = this.alarmValues(i, starts[0] as number, end, p);
    const points = starts.map((t) => ({ t, v: values.get(t) }));
    const present = points.filter((x): x is { t: number; v: number } => x.v !== undefined);
    const missing = n - present.length;
    const threshold = i.Threshold ?? 0;
    const op = i.ComparisonOperator ?? 'GreaterThanThreshold';
    const breaching = present.filter((x) => compare(op, x.v, threshold));
    const tmd = i.TreatMissingData ?? 'missing';
    const bad = breaching.length + (tmd === 'breaching' ? missing : 0);
    let next: AlarmStateValue;
    if (bad >= m) next = 'ALARM';
    else if (present.length === 0 && tmd === 'missing') next = 'INSUFFICIENT_DATA';
    else if (present.length === 0 && tmd === 'ignore') return;
    else next = 'OK';
    if (next === a.state.value) return;

    const cmpText = COMPARISON_TEXT[op] ?? op;
    const list = (xs: Array<{ t: number; v: number }>): string =>
      [...xs]
        .sort((x, y) => y.t - x.t)
        .map((x) => `${javaDouble(x.v)} (${reasonDate(x.t)})`)
        .join(', ');
    const prev = a.state.value;
    let reason: string;
    if (next === 'ALARM') {
      reason =
        breaching.length > 0
          ? `Threshold Crossed: ${breaching.length} out of the last ${n} datapoints [${list(breaching)}] ${plural(breaching.length, 'was', 'were')} ${cmpText} the threshold (${javaDouble(threshold)}) (minimum ${m} ${plural(m, 'datapoint', 'datapoints')} for ${prev} -> ALARM transition).`
          : `Threshold Crossed: no datapoints were received for ${n} ${plural(n, 'period', 'periods')} and ${missing} missing ${plural(missing, 'datapoint was', 'datapoints were')} treated as [Breaching].`;
    } else if (next === 'OK') {
      const ok = present.filter((x) => !compare(op, x.v, threshold));
      const need = n - m + 1;
      reason =
        ok.length > 0
          ? `Threshold Crossed: ${ok.length} out of the last ${n} datapoints [${list(ok)}] ${plural(ok.length, 'was', 'were')} not ${cmpText} the threshold (${javaDouble(threshold)}) (minimum ${need} ${plural(need, 'datapoint', 'datapoints')} for ${prev} -> OK transition).`
          : `Threshold Crossed: no datapoints were received for ${n} ${plural(n, 'period', 'periods')} and ${missing} missing ${plural(missing, 'datapoint was', 'datapoints were')} treated as [NonBreaching].`;
    } else {
      reason = `Insufficient Data: ${n} ${plural(n, 'datapoint was', 'datapoints were')} unknown.`;
    }
    const stat = i.Metrics && i.Metrics.length > 0 ? '' : `"statistic":"${i.Statistic ?? i.ExtendedStatistic ?? 'Average'}",`;
    const reasonData =
      `{"version":"1.0","queryDate":"${cwTimestamp(now)}","startDate":"${cwTimestamp(starts[0] as number)}",${stat}` +
      `"period":${p / 1000},"recentDatapoints":[${present.map((x) => javaDouble(x.v)).join(',')}],"threshold":${javaDouble(threshold)}}`;
    this.transition(a, next, reason, reasonData);
  }

  private evaluateComposites(): void {
    // Children first: repeat until nothing changes (composites of composites), bounded.
    for (let pass = 0; pass < 10; pass++) {
      let changed = false;
      for (const a of this.alarms.values()) {
        if (a.kind !== 'composite') continue;
        if (a.holdUntil !== undefined && this.now < a.holdUntil) continue;
        const stateOf = (n: string): AlarmStateValue | undefined => this.alarms.get(n)?.state.value;
        const next: AlarmStateValue = evaluateRule(a.ast, stateOf) ? 'ALARM' : 'OK';
        if (next === a.state.value) continue;
        const children = childrenOf(a.ast)
          .map((n) => this.alarms.get(n))
          .filter((c): c is AlarmRec => c !== undefined);
        const triggering = next === 'ALARM' ? children.filter((c) => c.state.value === 'ALARM') : children;
        const latest = [...triggering].sort((x, y) => y.state.at - x.state.at)[0];
        const reason = latest
          ? `${latest.arn} transitioned to ${latest.state.value} at ${longDate(latest.state.at)}`
          : `Composite alarm rule evaluated to ${next === 'ALARM' ? 'TRUE' : 'FALSE'}`;
        const reasonData = JSON.stringify({
          triggeringAlarms: triggering.map((c) => ({ arn: c.arn, state: { value: c.state.value, timestamp: cwTimestamp(c.state.at) } })),
        });
        this.transition(a, next, reason, reasonData);
        changed = true;
      }
      if (!changed) return;
    }
  }

  private transition(a: AlarmRec, value: AlarmStateValue, reason: string, reasonData?: string): void {
    const now = this.now;
    const prev = a.state;
    if (prev.value === value) {
      a.state = { ...prev, reason, ...(reasonData !== undefined ? { reasonData } : {}), updatedAt: now };
      return;
    }
    a.state = { value, reason, ...(reasonData !== undefined ? { reasonData } : {}), at: now, updatedAt: now };
    this.ctx.emit(this.stateChangeEvent(a, prev, a.state));
  }

  private stateJson(s: StateRec): Record<string, string> {
    return {
      reason: s.reason,
      ...(s.reasonData !== undefined ? { reasonData: s.reasonData } : {}),
      timestamp: cwTimestamp(s.updatedAt),
      value: s.value,
    };
  }

  private eventConfiguration(a: AlarmRec): Record<string, unknown> {
    if (a.kind === 'composite') return { alarmRule: a.rule, ...(a.description ? { description: a.description } : {}) };
    if (a.kind === 'log') return { ...(a.description ? { description: a.description } : {}) };
    const i = a.input;
    const metricOf = (ns: string | undefined, name: string | undefined, dims: readonly Dimension[] | undefined) => ({
      dimensions: dimsOf(dims),
      name,
      namespace: ns,
    });
    const metrics =
      i.Metrics && i.Metrics.length > 0
        ? i.Metrics.map((q) =>
            q.Expression !== undefined
              ? { expression: q.Expression, id: q.Id, ...(q.Label !== undefined ? { label: q.Label } : {}), returnData: q.ReturnData ?? true }
              : {
                  id: q.Id,
                  metricStat: {
                    metric: metricOf(q.MetricStat?.Metric?.Namespace, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Metric?.Dimensions),
                    period: q.MetricStat?.Period,
                    stat: q.MetricStat?.Stat,
                  },
                  returnData: q.ReturnData ?? true,
                },
          )
        : [
            {
              id: a.eventMetricId,
              metricStat: {
                metric: metricOf(i.Namespace, i.MetricName, i.Dimensions),
                period: i.Period,
                stat: i.Statistic ?? i.ExtendedStatistic,
              },
              returnData: true,
            },
          ];
    return { ...(a.description ? { description: a.description } : {}), metrics };
  }

  private stateChangeEvent(a: AlarmRec, prev: StateRec, next: StateRec): AwsEvent {
    return {
      version: '0',
      id: this.ctx.ids.uuid(),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: this.ctx.accountId,
      time: isoSeconds(this.now),
      region: this.ctx.region,
      resources: [a.arn],
      detail: {
        alarmName: a.name,
        configuration: this.eventConfiguration(a),
        previousState: this.stateJson(prev),
        state: this.stateJson(next),
      },
    };
  }

  // ------------------------------------------------------------------ queries
  /** Run metric-data queries over [start, end) with `periodMs` buckets; returns every query's series. */
  private runQueries(queries: readonly MetricDataQuery[], start: number, end: number, defaultPeriodMs: number): Map<string, Series> {
    const byId = new Map<string, MetricDataQuery>();
    for (const q of queries) {
      const id = q.Id ?? '';
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(id)) {
        throw fault('ValidationError', `The value ${id} for parameter MetricDataQueries.member.Id is not valid: it must start with a lowercase letter and contain only letters, numbers and underscores.`);
      }
      if (byId.has(id)) throw fault('ValidationError', `The value ${id} for parameter MetricDataQueries.member.Id is not unique.`);
      if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
        throw fault('ValidationError', `Exactly one of MetricStat and Expression must be set in query ${id}.`);
      }
      byId.set(id, q);
    }
    const periodOf = (q: MetricDataQuery): number => ((q.MetricStat?.Period ?? q.Period ?? defaultPeriodMs / 1000) as number) * 1000;
    const done = new Map<string, Series>();
    const active = new Set<string>();
    const resolve = (id: string): Series | undefined => {
      const cached = done.get(id);
      if (cached) return cached;
      const q = byId.get(id);
      if (!q) return undefined;
      if (active.has(id)) throw fault('ValidationError', `Circular reference in metric math at ${id}.`);
      active.add(id);
      let s: Series;
      const p = periodOf(q);
      if (p <= 0 || p % 60_000 !== 0) throw fault('InvalidParameterValueException', `The parameter Period must be a multiple of 60 (query ${id}).`);
      const alignedStart = floorTo(start, p);
      if (q.MetricStat) {
        const stat = q.MetricStat.Stat ?? '';
        if (!STATS.has(stat) && !PERCENTILE.test(stat)) throw fault('InvalidParameterValueException', `The statistic ${stat} is not supported (query ${id}).`);
        const metric = q.MetricStat.Metric;
        s = this.metrics.series(metric?.Namespace ?? '', metric?.MetricName ?? '', dimsOf(metric?.Dimensions), stat, p, alignedStart, end);
      } else {
        const timestamps: number[] = [];
        for (let t = alignedStart; t < end; t += p) timestamps.push(t);
        const scope: MathScope = { series: resolve, timestamps };
        try {
          const v = evaluate(q.Expression as string, scope);
          s = typeof v === 'number' ? new Map(timestamps.map((t) => [t, v])) : v;
        } catch (e) {
          if (e instanceof MetricMathError) throw fault('ValidationError', `Error in expression '${q.Expression}' (query ${id}): ${e.message}`);
          throw e;
        }
      }
      active.delete(id);
      done.set(id, s);
      return s;
    };
    for (const id of byId.keys()) resolve(id);
    return done;
  }

  // ------------------------------------------------------------------ API
  operations(): Record<string, Operation> {
    return {
      GetMetricData: (i: GetMetricDataCommandInput) => this.getMetricData(i),
      GetMetricStatistics: (i: GetMetricStatisticsCommandInput) => this.getMetricStatistics(i),
      DescribeAlarms: (i: DescribeAlarmsCommandInput) => this.describeAlarms(i),
      PutMetricAlarm: (i: PutMetricAlarmCommandInput) => this.putMetricAlarm(i),
      PutCompositeAlarm: (i: PutCompositeAlarmCommandInput) => this.putCompositeAlarm(i),
      DeleteAlarms: (i: DeleteAlarmsCommandInput) => this.deleteAlarms(i),
      SetAlarmState: (i: SetAlarmStateCommandInput) => this.setAlarmStateApi(i),
    };
  }

  getMetricData(i: GetMetricDataCommandInput): Out<GetMetricDataCommandOutput> {
    const start = toMs(i.StartTime);
    const end = toMs(i.EndTime);
    if (!Number.isFinite(start) || !Number.isFinite(end)) throw fault('ValidationError', 'StartTime and EndTime are required.');
    if (start >= end) throw fault('ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');
    const queries = i.MetricDataQueries ?? [];
    if (queries.length === 0 || queries.length > 500) throw fault('ValidationError', 'MetricDataQueries must contain between 1 and 500 queries.');
    const metricPeriod = queries.find((q) => q.MetricStat?.Period)?.MetricStat?.Period ?? 60;
    const results = this.runQueries(queries, start, end, metricPeriod * 1000);
    const descending = (i.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
    const out: MetricDataResult[] = queries
      .filter((q) => q.ReturnData !== false)
      .map((q) => {
        const entries = [...(results.get(q.Id ?? '') ?? new Map<number, number>()).entries()].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]));
        return {
          Id: q.Id,
          Label: q.Label ?? (q.MetricStat ? q.MetricStat.Metric?.MetricName : q.Id),
          Timestamps: entries.map(([t]) => new Date(t)),
          Values: entries.map(([, v]) => v),
          StatusCode: 'Complete',
          Messages: [],
        };
      });
    return { MetricDataResults: out, Messages: [] };
  }

  getMetricStatistics(i: GetMetricStatisticsCommandInput): Out<GetMetricStatisticsCommandOutput> {
    const start = toMs(i.StartTime);
    const end = toMs(i.EndTime);
    const period = (i.Period ?? 0) * 1000;
    if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) throw fault('InvalidParameterValueException', 'The parameter StartTime must be less than the parameter EndTime.');
    if (period <= 0 || period % 60_000 !== 0) throw fault('InvalidParameterValueException', 'The parameter Period must be a multiple of 60.');
    const stats = i.Statistics ?? [];
    const ext = i.ExtendedStatistics ?? [];
    if (stats.length + ext.length === 0) throw fault('MissingRequiredParameterException', 'Statistics or ExtendedStatistics must be specified.');
    const dims = dimsOf(i.Dimensions);
    const alignedStart = floorTo(start, period);
    const per = (stat: string): Series => this.metrics.series(i.Namespace ?? '', i.MetricName ?? '', dims, stat, period, alignedStart, end);
    const sample = per('SampleCount');
    const series = Object.fromEntries(stats.map((s) => [s, per(s)]));
    const extSeries = Object.fromEntries(ext.map((s) => [s, per(s)]));
    return {
      Label: i.MetricName,
      Datapoints: [...sample.keys()].map((t) => ({
        Timestamp: new Date(t),
        ...Object.fromEntries(stats.map((s) => [s, series[s]?.get(t)])),
        ...(ext.length > 0 ? { ExtendedStatistics: Object.fromEntries(ext.map((s) => [s, extSeries[s]?.get(t) as number])) } : {}),
        Unit: i.MetricName === 'TargetResponseTime' ? 'Seconds' : 'Count',
      })),
    };
  }

  /** What DescribeAlarms answers for every alarm type: name, ARN, actions and state. */
  private alarmHeaderView(a: AlarmBase) {
    return {
      AlarmName: a.name,
      AlarmArn: a.arn,
      ...(a.description ? { AlarmDescription: a.description } : {}),
      AlarmConfigurationUpdatedTimestamp: new Date(a.configUpdatedAt),
      ActionsEnabled: a.actionsEnabled,
      OKActions: [...a.okActions],
      AlarmActions: [...a.alarmActions],
      InsufficientDataActions: [...a.insufficientDataActions],
      StateValue: a.state.value,
      StateReason: a.state.reason,
      ...(a.state.reasonData !== undefined ? { StateReasonData: a.state.reasonData } : {}),
      StateUpdatedTimestamp: new Date(a.state.updatedAt),
    };
  }

  private metricAlarmView(a: MetricAlarmRec): MetricAlarm {
    const i = a.input;
    return {
      ...this.alarmHeaderView(a),
      ...(i.MetricName !== undefined ? { MetricName: i.MetricName } : {}),
      ...(i.Namespace !== undefined ? { Namespace: i.Namespace } : {}),
      ...(i.Statistic !== undefined ? { Statistic: i.Statistic } : {}),
      ...(i.ExtendedStatistic !== undefined ? { ExtendedStatistic: i.ExtendedStatistic } : {}),
      Dimensions: structuredClone(i.Dimensions ?? []),
      ...(i.Period !== undefined ? { Period: i.Period } : {}),
      ...(i.Unit !== undefined ? { Unit: i.Unit } : {}),
      EvaluationPeriods: i.EvaluationPeriods,
      ...(i.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: i.DatapointsToAlarm } : {}),
      Threshold: i.Threshold,
      ComparisonOperator: i.ComparisonOperator,
      TreatMissingData: i.TreatMissingData ?? 'missing',
      ...(i.Metrics ? { Metrics: structuredClone(i.Metrics) } : {}),
      StateTransitionedTimestamp: new Date(a.state.at),
    };
  }

  private logAlarmView(a: LogAlarmRec): LogAlarm {
    return this.alarmHeaderView(a);
  }

  /** A log alarm (world-facing: seeding). Its state starts INSUFFICIENT_DATA and moves by setState. */
  createLogAlarm(name: string, description?: string): void {
    if (this.alarms.has(name)) throw new Error(`alarm ${name} already exists`);
    const now = this.now;
    this.alarms.set(name, {
      kind: 'log',
      name,
      arn: this.alarmArn(name),
      ...(description ? { description } : {}),
      actionsEnabled: true,
      alarmActions: [],
      okActions: [],
      insufficientDataActions: [],
      configUpdatedAt: now,
      state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', at: now, updatedAt: now },
    });
  }

  private compositeAlarmView(a: CompositeAlarmRec): CompositeAlarm {
    return { ...this.alarmHeaderView(a), AlarmRule: a.rule, StateTransitionedTimestamp: new Date(a.state.at) };
  }

  describeAlarms(i: DescribeAlarmsCommandInput): Out<DescribeAlarmsCommandOutput> {
    if (i.AlarmNames?.length && i.AlarmNamePrefix !== undefined) {
      throw fault('InvalidParameterCombinationException', 'AlarmNames and AlarmNamePrefix cannot be specified together.');
    }
    if (i.AlarmNames && i.AlarmNames.length > 100) throw fault('ValidationError', 'AlarmNames may list at most 100 names.');
    const max = i.MaxRecords ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 100) throw fault('ValidationError', 'MaxRecords must be between 1 and 100.');
    // Like CloudWatch: without AlarmTypes only metric alarms are returned.
    const types = new Set(i.AlarmTypes && i.AlarmTypes.length > 0 ? i.AlarmTypes : ['MetricAlarm']);
    let list = [...this.alarms.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (i.AlarmNames?.length) list = list.filter((a) => (i.AlarmNames as string[]).includes(a.name));
    if (i.AlarmNamePrefix !== undefined) list = list.filter((a) => a.name.startsWith(i.AlarmNamePrefix as string));
    if (i.StateValue) list = list.filter((a) => a.state.value === i.StateValue);
    if (i.ChildrenOfAlarmName !== undefined) {
      const parent = this.alarms.get(i.ChildrenOfAlarmName);
      const kids = parent?.kind === 'composite' ? childrenOf(parent.ast) : [];
      list = list.filter((a) => kids.includes(a.name));
    }
    if (i.ParentsOfAlarmName !== undefined) {
      const child = i.ParentsOfAlarmName;
      list = list.filter((a) => a.kind === 'composite' && childrenOf(a.ast).includes(child));
    }
    list = list.filter((a) => types.has(ALARM_TYPE_OF[a.kind]));
    const start = i.NextToken ? Number(Buffer.from(i.NextToken, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw fault('InvalidNextToken', 'The service returned an invalid NextToken.');
    const page = list.slice(start, start + max);
    const next = start + page.length < list.length ? Buffer.from(String(start + page.length)).toString('base64') : undefined;
    return {
      MetricAlarms: page.filter((a): a is MetricAlarmRec => a.kind === 'metric').map((a) => this.metricAlarmView(a)),
      CompositeAlarms: page.filter((a): a is CompositeAlarmRec => a.kind === 'composite').map((a) => this.compositeAlarmView(a)),
      ...(types.has('LogAlarm') ? { LogAlarms: page.filter((a): a is LogAlarmRec => a.kind === 'log').map((a) => this.logAlarmView(a)) } : {}),
      ...(next ? { NextToken: next } : {}),
    };
  }

  putMetricAlarm(i: PutMetricAlarmCommandInput): Record<string, never> {
    const name = i.AlarmName ?? '';
    if (!/^[^\s](?:[\x20-\x7E]{0,253}[^\s])?$/.test(name)) throw fault('ValidationError', 'AlarmName must be 1-255 printable characters.');
    const existing = this.alarms.get(name);
    if (existing?.kind === 'composite') throw fault('ValidationError', `${name} is a composite alarm.`);
    const n = i.EvaluationPeriods;
    if (!n || !Number.isInteger(n) || n < 1) throw fault('ValidationError', 'EvaluationPeriods must be a positive integer.');
    if (i.DatapointsToAlarm !== undefined && (i.DatapointsToAlarm < 1 || i.DatapointsToAlarm > n)) {
      throw fault('ValidationError', 'DatapointsToAlarm must be between 1 and EvaluationPeriods.');
    }
    if (!i.ComparisonOperator || !COMPARISON_TEXT[i.ComparisonOperator]) throw fault('ValidationError', 'ComparisonOperator is required (anomaly detection bands are not supported here).');
    if (i.Threshold === undefined) throw fault('ValidationError', 'Threshold is required.');
    if (i.TreatMissingData !== undefined && !['breaching', 'notBreaching', 'ignore', 'missing'].includes(i.TreatMissingData)) {
      throw fault('ValidationError', 'TreatMissingData must be one of breaching, notBreaching, ignore, missing.');
    }
    const single = i.MetricName !== undefined || i.Namespace !== undefined;
    const math = (i.Metrics ?? []).length > 0;
    if (single === math) throw fault('ValidationError', 'Specify either MetricName and Namespace, or Metrics, but not both.');
    if (single) {
      if (!i.MetricName || !i.Namespace || !i.Period) throw fault('MissingRequiredParameterException', 'MetricName, Namespace and Period are required for a single-metric alarm.');
      if ((i.Statistic === undefined) === (i.ExtendedStatistic === undefined)) throw fault('ValidationError', 'Specify exactly one of Statistic and ExtendedStatistic.');
      if (i.Statistic !== undefined && !STATS.has(i.Statistic)) throw fault('ValidationError', `Statistic must be one of ${[...STATS].join(', ')}.`);
      if (i.ExtendedStatistic !== undefined && !PERCENTILE.test(i.ExtendedStatistic)) throw fault('ValidationError', 'ExtendedStatistic must be a percentile between p0.0 and p100.');
      if (i.Period % 60 !== 0 && ![10, 30].includes(i.Period)) throw fault('ValidationError', 'Period must be 10, 30 or a multiple of 60.');
    } else {
      const returning = (i.Metrics ?? []).filter((m) => m.ReturnData !== false);
      if (returning.length !== 1) throw fault('ValidationError', 'Exactly one element of Metrics must have ReturnData set to true.');
      this.runQueries(i.Metrics ?? [], this.now - 60_000, this.now, this.alarmPeriodMs(i)); // validate ids and expressions
    }
    const now = this.now;
    const base = {
      description: i.AlarmDescription,
      actionsEnabled: i.ActionsEnabled ?? true,
      alarmActions: [...(i.AlarmActions ?? [])],
      okActions: [...(i.OKActions ?? [])],
      insufficientDataActions: [...(i.InsufficientDataActions ?? [])],
      configUpdatedAt: now,
    };
    if (existing) {
      Object.assign(existing, base, { input: structuredClone(i) });
    } else {
      this.alarms.set(name, {
        kind: 'metric',
        name,
        arn: this.alarmArn(name),
        ...base,
        input: structuredClone(i),
        eventMetricId: this.ctx.ids.uuid(),
        state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', at: now, updatedAt: now },
      });
    }
    return {};
  }

  putCompositeAlarm(i: PutCompositeAlarmCommandInput): Record<string, never> {
    const name = i.AlarmName ?? '';
    if (!name) throw fault('ValidationError', 'AlarmName is required.');
    const existing = this.alarms.get(name);
    if (existing?.kind === 'metric') throw fault('ValidationError', `${name} is a metric alarm.`);
    let ast: RuleNode;
    try {
      ast = parseAlarmRule(i.AlarmRule ?? '');
    } catch (e) {
      throw fault('ValidationError', `AlarmRule is invalid: ${(e as Error).message}`);
    }
    const missing = childrenOf(ast).filter((c) => !this.alarms.has(c));
    if (missing.length > 0) throw fault('ValidationError', `Could not save the composite alarm as alarms [${missing.join(', ')}] in the alarm rule do not exist`);
    const now = this.now;
    const fields = {
      description: i.AlarmDescription,
      actionsEnabled: i.ActionsEnabled ?? true,
      alarmActions: [...(i.AlarmActions ?? [])],
      okActions: [...(i.OKActions ?? [])],
      insufficientDataActions: [...(i.InsufficientDataActions ?? [])],
      configUpdatedAt: now,
      rule: i.AlarmRule as string,
      ast,
    };
    if (existing) Object.assign(existing, fields);
    else {
      this.alarms.set(name, {
        kind: 'composite',
        name,
        arn: this.alarmArn(name),
        ...fields,
        state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', at: now, updatedAt: now },
      });
    }
    this.evaluateComposites();
    return {};
  }

  deleteAlarms(i: DeleteAlarmsCommandInput): Record<string, never> {
    const names = i.AlarmNames ?? [];
    const unknown = names.filter((n) => !this.alarms.has(n));
    if (unknown.length > 0) throw fault('ResourceNotFound', `Alarms [${unknown.join(', ')}] not found`);
    for (const n of names) {
      const parents = [...this.alarms.values()].filter((a) => a.kind === 'composite' && !names.includes(a.name) && childrenOf(a.ast).includes(n));
      if (parents.length > 0) throw fault('ValidationError', `Alarm ${n} is referenced by composite alarm(s) ${parents.map((p) => p.name).join(', ')}`);
    }
    for (const n of names) this.alarms.delete(n);
    return {};
  }

  setAlarmStateApi(i: SetAlarmStateCommandInput): Record<string, never> {
    const value = i.StateValue as AlarmStateValue;
    if (!['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(value)) throw fault('ValidationError', 'StateValue must be OK, ALARM or INSUFFICIENT_DATA.');
    if (i.StateReasonData !== undefined) {
      try {
        JSON.parse(i.StateReasonData);
      } catch {
        throw fault('InvalidFormatFault', 'StateReasonData is not valid JSON.');
      }
    }
    this.setState(alarmNameOf(i.AlarmName ?? ''), value, i.StateReason ?? '', i.StateReasonData);
    return {};
  }
}

export const ALB_NAMESPACE = 'AWS/ApplicationELB';
export { MINUTE_MS };
