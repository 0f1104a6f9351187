/**
 * The report model: what the HTML report and the live view show, built from a rehearsal's
 * {@link ScenarioTrace} (pure: no I/O, no clock). Times are virtual epoch milliseconds; the report
 * prints them relative to the scenario start.
 *
 * Per deployment:
 * - the production weight on green over time (a step function: it changes only when Cutover sets it),
 * - per target group and minute: requests, 5xx error rate and mean latency (as CloudWatch holds them),
 * - markers: traffic shifts, alarm state changes, analysis verdicts, promotion, the rollback,
 * - the step table: the deployment record's timeline, one row per entry.
 */
import type { DeploymentRecord, TargetGroupWeight, TimelineEntry } from '../../functions/core/model.js';
import type { DeploymentSummary, ScenarioTrace } from '../rehearsal.js';

export const MarkerKind = {
  shift: 'shift',
  alarm: 'alarm',
  verdict: 'verdict',
  promote: 'promote',
  rollback: 'rollback',
  control: 'control',
} as const;
export type MarkerKind = (typeof MarkerKind)[keyof typeof MarkerKind];

/** Markers at the same instant, in cause-and-effect order (the alarm before the rollback it caused). */
const SAME_INSTANT_ORDER: readonly MarkerKind[] = ['alarm', 'verdict', 'control', 'shift', 'rollback', 'promote'];

export interface Marker {
  readonly kind: MarkerKind;
  readonly at: number;
  /** Short text on the chart. */
  readonly label: string;
  /** Longer text (tooltip). */
  readonly detail: string;
  /** Extra attributes the SVG carries as `data-*` (percent, state, verdict...). */
  readonly data: Readonly<Record<string, string>>;
}

export interface MetricPoint {
  /** Start of the one-minute period. */
  readonly at: number;
  readonly requests: number;
  readonly errors: number;
  /** Percent of requests answered 5xx; null without requests. */
  readonly errorRatePct: number | null;
  readonly latencyMs: number | null;
}

export interface TargetGroupSeries {
  readonly targetGroupArn: string;
  /** `api-a` from `...:targetgroup/api-a/0123...`. */
  readonly name: string;
  readonly role: 'blue' | 'green';
  readonly points: readonly MetricPoint[];
}

export interface StepRow {
  readonly at: number;
  readonly kind: string;
  readonly title: string;
  readonly detail: string;
  readonly tone: 'ok' | 'bad' | 'info';
}

export interface DeploymentReport {
  readonly deploymentId: string;
  readonly service: string;
  readonly environment: string;
  readonly status: string;
  readonly reason: string | null;
  readonly reasonCode: string | null;
  readonly image: { readonly repository?: string; readonly digest?: string; readonly tag?: string };
  readonly strategy: string | null;
  readonly plan: string | null;
  readonly startMs: number;
  readonly endMs: number;
  /** The chart's x range: the deployment with a little margin. */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly blueTargetGroup: string | null;
  readonly greenTargetGroup: string | null;
  /** Production weight on green (0-100), as a step function: each point holds until the next. */
  readonly greenWeight: ReadonlyArray<{ readonly at: number; readonly percent: number }>;
  readonly targetGroups: readonly TargetGroupSeries[];
  readonly markers: readonly Marker[];
  readonly steps: readonly StepRow[];
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  readonly virtualSeconds: number;
  readonly rollbackReaction: DeploymentSummary['rollbackReaction'];
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly description: string | null;
  readonly startMs: number;
  readonly endMs: number;
  readonly deployments: readonly DeploymentReport[];
  readonly invariantViolations: readonly string[];
  readonly apiCalls: number;
  /** The releases (several environments in order): each environment's status, and its approval wait and answer. */
  readonly releases?: readonly ReleaseReport[];
}

/** One release as the report shows it (times in ms since the scenario start). */
export interface ReleaseReport {
  readonly releaseId: string;
  readonly status: string;
  readonly reason: string | null;
  readonly environments: ReadonlyArray<{
    readonly environment: string;
    readonly status: string;
    readonly services: string;
    /** `waited for approval 04:10 → 04:11; approved by alice at 04:11`, or '' when it required none. */
    readonly approval: string;
  }>;
}

/** A release summary as report rows: which environment waited for approval, from when, and who answered. */
export function releaseReport(r: NonNullable<ScenarioTrace['summary']['releases']>[number]): ReleaseReport {
  return {
    releaseId: r.releaseId,
    status: r.status,
    reason: r.reason,
    environments: r.environments.map((e) => {
      const wait = r.approvalWaits?.find((w) => w.environment === e.environment);
      const parts = [
        ...(wait ? [`waited for approval ${clockText(wait.since * 1000)} → ${wait.until === null ? 'still waiting' : clockText(wait.until * 1000)}`] : e.requiresApproval ? ['requires approval'] : []),
        ...(e.approval
          ? [`${e.approval.action === 'promoted-on-expiry' ? 'promoted on expiry' : `${e.approval.action === 'approve' ? 'approved' : e.approval.action === 'abort' ? 'aborted' : e.approval.action}${e.approval.by ? ` by ${e.approval.by}` : ''}`} at ${clockText(e.approval.at * 1000)}${e.approval.reason ? ` (${e.approval.reason})` : ''}`]
          : []),
      ];
      return { environment: e.environment, status: e.status, services: e.deployments.map((d) => `${d.service}${d.status ? ` ${d.status}` : ''}`).join(', '), approval: parts.join('; ') };
    }),
  };
}

/** `arn:...:targetgroup/api-a/0123456789abcdef` -> `api-a`. */
export function targetGroupName(arn: string): string {
  const m = /:targetgroup\/([^/]+)\//.exec(arn);
  return m?.[1] ?? arn;
}

/** `mm:ss` (or `h:mm:ss`) of a duration in ms. */
export function clockText(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** `sha256:3d7bf616c0c3...` -> `sha256:3d7bf616c0c3`. */
export const shortDigest = (digest: string | undefined): string => (digest ? digest.slice(0, 19) : '');

const weightOf = (weights: readonly TargetGroupWeight[], tg: string | null): number =>
  tg ? (weights.find((w) => w.targetGroupArn === tg)?.weight ?? 0) : 0;

function weightsText(weights: unknown, blue: string | null, green: string | null): string {
  if (!Array.isArray(weights)) return '';
  const ws = weights as TargetGroupWeight[];
  if (blue && green) return `blue ${weightOf(ws, blue)} / green ${weightOf(ws, green)}`;
  return ws.map((w) => `${targetGroupName(w.targetGroupArn)} ${w.weight}`).join(' / ');
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

/**
 * A worker's share of tasks as an entry records it (traffic `task-share`: `achievedPercent` and the
 * `tasks` read back), or '' for an entry without one: `green 1 / blue 1 of 2 tasks: 50 % on green`.
 * The share is the real one ECS computes (1 task of 2 is 50 % whatever the step asked).
 */
export function shareText(d: Record<string, unknown>): string {
  if (typeof d.achievedPercent !== 'number') return '';
  const t = (d.tasks ?? {}) as { greenTasks?: number; blueTasks?: number; desiredCount?: number };
  const counts = t.greenTasks !== undefined && t.blueTasks !== undefined ? `green ${t.greenTasks} / blue ${t.blueTasks}${t.desiredCount !== undefined ? ` of ${t.desiredCount}` : ''} tasks: ` : '';
  return `${counts}${d.achievedPercent} % on green`;
}

/** One timeline entry as a table row (every kind a handler writes, and a generic fallback). */
export function stepRow(entry: TimelineEntry, blue: string | null, green: string | null): StepRow {
  const at = Date.parse(entry.at);
  const d = (entry.detail ?? {}) as Record<string, unknown>;
  const reason = d.reason as { code?: string; message?: string } | undefined;
  switch (entry.kind) {
    case 'queued':
      return { at, kind: entry.kind, title: 'Queued', detail: `trigger ${str((d.trigger as { kind?: string } | undefined)?.kind)}`, tone: 'info' };
    case 'lock':
      return { at, kind: entry.kind, title: 'Lock acquired', detail: d.leaseSeconds ? `lease ${d.leaseSeconds} s` : '', tone: 'info' };
    case 'started': {
      const plan = Array.isArray(d.plan) ? planText(d.plan as PlanLike[]) : '';
      return { at, kind: entry.kind, title: 'Started', detail: [weightsText(d.weights, blue, green), plan && `plan ${plan}`].filter(Boolean).join('; '), tone: 'info' };
    }
    case 'register':
      return { at, kind: entry.kind, title: 'Task definition registered', detail: str(d.taskDefinitionArn).replace(/^.*:task-definition\//, ''), tone: 'info' };
    case 'green':
      return entry.key === 'green-healthy'
        ? { at, kind: entry.kind, title: 'Green healthy', detail: `${str(d.healthy)}/${str(d.required)} healthy targets`, tone: 'ok' }
        : { at, kind: entry.kind, title: 'Green task set created', detail: `scale ${str(d.scalePercent)} %`, tone: 'info' };
    case 'shift':
      // A worker's step: the title says the share achieved, the detail what the step asked.
      return typeof d.achievedPercent === 'number'
        ? { at, kind: entry.kind, title: `Shift to ${d.achievedPercent} % of tasks`, detail: `${shareText(d)} (step ${str(d.percent)} %)`, tone: 'info' }
        : { at, kind: entry.kind, title: `Shift to ${str(d.percent)} %`, detail: weightsText(d.weights, blue, green), tone: 'info' };
    case 'bake': {
      const step = d.step as { seconds?: number } | undefined;
      return { at, kind: entry.kind, title: 'Bake', detail: step?.seconds !== undefined ? `${step.seconds} s, alarms armed` : '', tone: 'info' };
    }
    case 'analysis': {
      const verdict = str(d.verdict ?? d.kind);
      const reasons = Array.isArray(d.reasons) ? (d.reasons as string[]).join('; ') : '';
      // The metric window the verdict read (whole minutes after the shift, ALB's data delay waited out).
      const w = d.window as { start?: string; end?: string; minutes?: number; dataDelaySeconds?: number } | undefined;
      const window = w?.start && w.end
        ? `window ${w.start.slice(11, 16)}-${w.end.slice(11, 16)} UTC (${w.minutes ?? 0} min, last ${w.dataDelaySeconds ?? 0} s not yet published)`
        : '';
      return { at, kind: entry.kind, title: `Analysis: ${verdict}`, detail: [reasons, window].filter(Boolean).join('; '), tone: d.decision === 'fail' ? 'bad' : 'ok' };
    }
    case 'alarm':
      return { at, kind: entry.kind, title: `Alarm ${str(d.alarmName)}`, detail: str(d.reason), tone: 'bad' };
    case 'rollback':
      return {
        at,
        kind: entry.kind,
        title: 'Rollback: traffic back on blue',
        detail: [weightsText(d.weights, blue, green), shareText(d), reason?.code].filter(Boolean).join('; '),
        tone: 'bad',
      };
    case 'promote':
      return { at, kind: entry.kind, title: 'Promoted', detail: d.terminationWaitSeconds !== undefined ? `blue kept ${d.terminationWaitSeconds} s` : '', tone: 'ok' };
    case 'terminal': {
      const status = str(d.status) || entry.key.toUpperCase();
      return { at, kind: entry.kind, title: status, detail: reason ? `${reason.code ?? ''}: ${reason.message ?? ''}` : '', tone: /SUCCEEDED/i.test(status) ? 'ok' : 'bad' };
    }
    case 'control': {
      const action = str(d.action);
      const extra = [d.by ? `by ${str(d.by)}` : '', d.reason ? str(d.reason) : '', d.message ? str(d.message) : ''].filter(Boolean).join('; ');
      return { at, kind: entry.kind, title: action ? `Operator: ${action}` : 'Operator action', detail: extra, tone: action === 'abort' ? 'bad' : 'info' };
    }
    case 'event':
      return { at, kind: entry.kind, title: 'Event sent', detail: `${str(d.kind)} on the Cutover bus`, tone: 'info' };
    default: {
      const text = Object.entries(d)
        .filter(([, v]) => v !== undefined && typeof v !== 'object')
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(', ');
      return { at, kind: entry.kind, title: entry.key, detail: text, tone: 'info' };
    }
  }
}

type PlanLike = { kind: string; percent?: number; seconds?: number };
/** `10 % ▸ bake 300 s ▸ 100 %`. */
export function planText(steps: readonly PlanLike[]): string {
  return steps
    .map((s) => (s.kind === 'shift' ? `${s.percent} %` : s.kind === 'bake' ? `bake ${s.seconds} s` : s.kind))
    .join(' ▸ ');
}

interface AlarmEventLike {
  source?: string;
  'detail-type'?: string;
  time?: string;
  detail?: { alarmName?: string; state?: { value?: string; reason?: string; timestamp?: string }; previousState?: { value?: string } };
}

/** Alarm state changes of `names` in [from, to]: into ALARM, and back to OK from ALARM. */
function alarmMarkers(trace: ScenarioTrace, names: readonly string[], from: number, to: number): Marker[] {
  const out: Marker[] = [];
  for (const raw of trace.awsEvents as unknown as AlarmEventLike[]) {
    if (raw.source !== 'aws.cloudwatch' || raw['detail-type'] !== 'CloudWatch Alarm State Change') continue;
    const name = raw.detail?.alarmName;
    if (!name || !names.includes(name)) continue;
    const state = raw.detail?.state?.value ?? '';
    const previous = raw.detail?.previousState?.value ?? '';
    if (state !== 'ALARM' && !(state === 'OK' && previous === 'ALARM')) continue;
    const at = Date.parse(raw.detail?.state?.timestamp?.replace(/\+0000$/, 'Z') ?? raw.time ?? '');
    if (Number.isNaN(at) || at < from || at > to) continue;
    out.push({
      kind: MarkerKind.alarm,
      at,
      label: `${name} ${state}`,
      detail: `${name}: ${previous} → ${state}. ${raw.detail?.state?.reason ?? ''}`,
      data: { alarm: name, state },
    });
  }
  return out;
}

function markersFrom(record: DeploymentRecord, blue: string | null, green: string | null): Marker[] {
  const out: Marker[] = [];
  for (const entry of record.timeline) {
    const at = Date.parse(entry.at);
    const d = (entry.detail ?? {}) as Record<string, unknown>;
    switch (entry.kind) {
      case 'shift':
        out.push(
          typeof d.achievedPercent === 'number'
            ? {
                kind: MarkerKind.shift,
                at,
                label: `${d.achievedPercent} %`,
                detail: `Shift: ${shareText(d)} (step ${str(d.percent)} %)`,
                data: { percent: String(d.achievedPercent), step: str(d.percent) },
              }
            : { kind: MarkerKind.shift, at, label: `${str(d.percent)} %`, detail: `Shift: ${weightsText(d.weights, blue, green)}`, data: { percent: str(d.percent) } },
        );
        break;
      case 'analysis': {
        const verdict = str(d.verdict ?? d.kind);
        out.push({
          kind: MarkerKind.verdict,
          at,
          label: verdict,
          detail: `Analysis ${verdict}${Array.isArray(d.reasons) ? `: ${(d.reasons as string[]).join('; ')}` : ''}`,
          data: { verdict, decision: str(d.decision) },
        });
        break;
      }
      case 'rollback': {
        const reason = d.reason as { code?: string; message?: string } | undefined;
        out.push({
          kind: MarkerKind.rollback,
          at,
          label: 'rollback',
          detail: `Rollback (${reason?.code ?? ''}): ${weightsText(d.weights, blue, green)}. ${reason?.message ?? ''}`,
          data: { reason: reason?.code ?? '' },
        });
        break;
      }
      case 'promote':
        out.push({ kind: MarkerKind.promote, at, label: 'promoted', detail: 'Green is the primary task set', data: {} });
        break;
      case 'control':
        out.push({ kind: MarkerKind.control, at, label: str(d.action) || 'operator', detail: `Operator: ${str(d.action)} ${str(d.by)}`, data: { action: str(d.action) } });
        break;
      default:
        break;
    }
  }
  return out;
}

/** The production weight on green through [from, to] (the value holding at `from` first). */
function greenWeightSeries(trace: ScenarioTrace, record: { service: string; environment: string }, green: string | null, from: number, to: number) {
  const ws = trace.weights.filter((w) => w.service === record.service && w.environment === record.environment);
  const before = ws.filter((w) => w.at <= from).at(-1);
  const points = [{ at: from, percent: before ? weightOf(before.weights, green) : 0 }];
  for (const w of ws) {
    if (w.at <= from || w.at > to) continue;
    points.push({ at: w.at, percent: weightOf(w.weights, green) });
  }
  return points;
}

/**
 * A worker's share of tasks on green through [from, to], from its timeline (no route to read
 * weights from): 0 before the first shift, then each shift's and the rollback's `achievedPercent`.
 */
function greenShareSeries(record: DeploymentRecord, from: number, to: number) {
  const points = [{ at: from, percent: 0 }];
  for (const e of record.timeline) {
    const p = e.detail?.achievedPercent;
    const at = Date.parse(e.at);
    if (typeof p !== 'number') continue;
    if (at <= from) points[0] = { at: from, percent: p };
    else if (at <= to) points.push({ at, percent: p });
  }
  return points;
}

function metricSeries(trace: ScenarioTrace, tg: string, from: number, to: number): MetricPoint[] {
  return trace.metrics
    .filter((m) => m.targetGroupArn === tg && m.at + 60_000 > from && m.at < to)
    .map((m) => ({
      at: m.at,
      requests: m.requests,
      errors: m.errors,
      errorRatePct: m.requests > 0 ? (100 * m.errors) / m.requests : null,
      latencyMs: m.latencyMs,
    }));
}

function sideFromStarted(record: DeploymentRecord): { blue: string | null; green: string | null } {
  const started = record.timeline.find((e) => e.kind === 'started')?.detail as
    | { blue?: { targetGroupArn?: string }; greenTargetGroupArn?: string }
    | undefined;
  return {
    blue: record.blue?.targetGroupArn ?? started?.blue?.targetGroupArn ?? null,
    green: record.green?.targetGroupArn ?? started?.greenTargetGroupArn ?? null,
  };
}

/** The report of one rehearsal. */
export function buildReport(trace: ScenarioTrace, meta: { description?: string } = {}): ScenarioReport {
  const deployments = trace.summary.deployments.map((summary): DeploymentReport => {
    const exec = trace.executions.find((x) => x.name === summary.deploymentId);
    const record = trace.records.find((r) => r.deploymentId === summary.deploymentId);
    const startMs = exec?.startMs ?? trace.startMs;
    const endMs = exec?.stopMs ?? trace.endMs;
    // A little before the start, and enough after the end to see where traffic settled.
    const windowStartMs = Math.max(trace.startMs, startMs - Math.max(10_000, Math.round((endMs - startMs) * 0.04)));
    const windowEndMs = endMs + Math.max(30_000, Math.round((endMs - startMs) * 0.08));
    const { blue, green } = record ? sideFromStarted(record) : { blue: null, green: null };
    const markers = record
      ? [...markersFrom(record, blue, green), ...alarmMarkers(trace, record.alarmNames, windowStartMs, windowEndMs)].sort(
          (a, b) => a.at - b.at || SAME_INSTANT_ORDER.indexOf(a.kind) - SAME_INSTANT_ORDER.indexOf(b.kind),
        )
      : [];
    const targetGroups: TargetGroupSeries[] = [];
    if (blue) targetGroups.push({ targetGroupArn: blue, name: targetGroupName(blue), role: 'blue', points: metricSeries(trace, blue, windowStartMs, windowEndMs) });
    if (green) targetGroups.push({ targetGroupArn: green, name: targetGroupName(green), role: 'green', points: metricSeries(trace, green, windowStartMs, windowEndMs) });
    return {
      deploymentId: summary.deploymentId,
      service: summary.service,
      environment: summary.environment,
      status: summary.status,
      reason: summary.reason,
      reasonCode: summary.reasonCode,
      image: record
        ? { repository: record.image.repository, digest: record.image.digest, ...(record.image.tag ? { tag: record.image.tag } : {}) }
        : {},
      strategy: record?.strategy ?? null,
      plan: record?.plan ? planText(record.plan.steps as PlanLike[]) : null,
      startMs,
      endMs,
      windowStartMs,
      windowEndMs,
      blueTargetGroup: blue,
      greenTargetGroup: green,
      greenWeight: record && green
        ? greenWeightSeries(trace, record, green, windowStartMs, windowEndMs)
        : record?.timeline.some((e) => typeof e.detail?.achievedPercent === 'number')
          ? greenShareSeries(record, windowStartMs, windowEndMs)
          : [],
      targetGroups,
      markers,
      steps: record ? record.timeline.map((e) => stepRow(e, blue, green)) : [],
      stateTransitions: summary.stateTransitions,
      lambdaInvocations: summary.lambdaInvocations,
      virtualSeconds: summary.virtualSeconds,
      rollbackReaction: summary.rollbackReaction,
    };
  });
  return {
    scenario: trace.summary.scenario,
    description: meta.description ?? null,
    startMs: trace.startMs,
    endMs: trace.endMs,
    deployments,
    invariantViolations: trace.summary.invariantViolations,
    apiCalls: trace.apiCalls,
    ...(trace.summary.releases && trace.summary.releases.length > 0 ? { releases: trace.summary.releases.map(releaseReport) } : {}),
  };
}
