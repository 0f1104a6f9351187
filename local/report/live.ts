/**
 * The live view of a rehearsal: one block per deployment — current step, a blue/green weights
 * bar, green's health, the watched alarms, the analysis verdict, virtual elapsed time — redrawn in
 * place on a terminal; plain timestamped lines (one per milestone) when the output is not a
 * terminal (CI logs, pipes).
 *
 * A rehearsal runs about a second of wall time for a 10-minute rollout. On a terminal the view
 * paces itself on virtual time so a person can follow it: a background ticker on the virtual clock
 * sleeps `paceMsPerVirtualMinute` of real time per virtual minute (the runner waits for it, so
 * virtual time moves at that pace), and the screen is redrawn at most every `minRedrawMs`.
 *
 * It attaches through the public seams of a run: `RunOptions.actions` (an action at virtual time 0
 * receives the {@link RehearsalContext} and subscribes to the runner's state hooks and the world's
 * alarm events) and `RunOptions.onProgress`.
 */
import type { ServiceConfig } from '../../functions/core/config.js';
import { findService } from '../../functions/core/services.js';
import { sharePercent } from '../../functions/core/traffic.js';
import type { TargetGroupWeight } from '../../functions/core/model.js';
import type { ExecutionRecord, StateEventInfo, StateExitedInfo } from '../runner/index.js';
import type { ProgressEvent, RehearsalContext, RunOptions, ScenarioTrace } from '../rehearsal.js';
import type { Scenario } from '../scenario.js';
import { clockText } from './model.js';

export interface LiveOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface LiveViewOptions {
  readonly out: LiveOutput;
  /** `tty`: redraw in place; `plain`: timestamped lines. @default tty when out.isTTY */
  readonly mode?: 'tty' | 'plain';
  /** Real ms slept per virtual minute (pacing). @default 350 on a terminal, 0 otherwise */
  readonly paceMsPerVirtualMinute?: number;
  /** Redraw at most this often (wall ms). @default 80 */
  readonly minRedrawMs?: number;
  /** Virtual seconds between ticker redraws. @default 5 */
  readonly tickSeconds?: number;
  /** ANSI colours. @default on a terminal unless NO_COLOR is set */
  readonly color?: boolean;
  /** Wall clock (ms) for redraw throttling. @default performance.now */
  readonly wallNow?: () => number;
  /** Real sleep for pacing. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What the view knows about one deployment. */
export interface DeploymentView {
  readonly deploymentId: string;
  readonly service: string;
  readonly environment: string;
  readonly startedAt: number;
  step: string;
  stepSince: number;
  blue?: string;
  green?: string;
  weights: TargetGroupWeight[];
  /** A worker (no route): green's and blue's tasks as ECS computes them, and green's real share. */
  share?: { greenTasks: number; blueTasks: number; percent: number };
  greenHealthy: number | null;
  greenTotal: number | null;
  alarms: Array<{ name: string; state: string }>;
  verdict: string | null;
  status: string;
  reason: string | null;
  endedAt: number | null;
}

const STATE_TEXT: Record<string, string> = {
  Validate: 'validating the request',
  AcquireLock: 'taking the service lock',
  LockOutcome: 'taking the service lock',
  WaitForLockRelease: 'waiting for the service lock',
  Supersede: 'superseded by a newer push',
  Inspect: 'reading the live side, gating the image',
  RegisterTaskDefinition: 'registering the task definition',
  CreateGreen: 'creating the green task set',
  WaitForGreen: 'waiting for green to be healthy',
  CheckGreen: 'waiting for green to be healthy',
  GreenHealthy: 'waiting for green to be healthy',
  Analyze: 'canary analysis: green against blue',
  ExtendedBake: 'bake extended by an operator (alarms armed)',
  Hold: 'held by an operator: waiting for approve or abort',
  PromoteFully: 'promoting fully: green to 100 %',
  ShiftFully: 'promoting fully: green to 100 %',
  WaitForFullScale: 'scaling green to full size',
  Approval: 'waiting for approval',
  Promote: 'promoting green',
  TerminationWait: 'termination wait (blue kept for an instant rollback)',
  RetireBlue: 'retiring blue',
  Rollback: 'ROLLING BACK: traffic to blue',
};
/** Choice/Succeed states that only route: they do not change what the view says. */
const ROUTING_STATES = new Set([
  'LockOutcome',
  'GreenHealthy',
  'StepKind',
  'ShiftDone',
  'StepDone',
  'Verdict',
  'AfterSignal',
  'AfterApproval',
  'ApprovalExpired',
  'HoldExpired',
  'FullyShifted',
  'HasTerminationWait',
  'PromotedFully',
  'Steps',
]);

const TERMINAL_BY_ERROR: Record<string, string> = {
  DeploymentRolledBack: 'ROLLED_BACK',
  DeploymentFailed: 'FAILED',
  ValidationError: 'REJECTED',
  UnknownService: 'REJECTED',
};

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
} as const;

/** A weights bar: blue then green cells, `width` cells in all. */
export function weightsBar(bluePct: number, width: number): { blue: number; green: number } {
  const blue = Math.round((Math.max(0, Math.min(100, bluePct)) / 100) * width);
  return { blue, green: width - blue };
}

function stepText(info: StateEventInfo): string | undefined {
  const item = (info.input ?? {}) as { step?: { kind?: string; percent?: number; seconds?: number; timeoutSeconds?: number } };
  switch (info.stateName) {
    case 'Shift':
    case 'WaitForScale':
      return `shifting traffic: green to ${item.step?.percent ?? '?'} %`;
    case 'Bake':
      return `bake ${clockText((item.step?.seconds ?? 0) * 1000)} (alarms armed)`;
    case 'Approval':
      return 'waiting for approval (cutover approve)';
    default:
      return STATE_TEXT[info.stateName];
  }
}

/** The detail of Cutover's release events (and of a control execution's release output). */
interface ReleaseEventDetail {
  readonly releaseId?: string;
  readonly environment?: string;
  readonly status?: string;
  readonly by?: string;
  readonly reason?: { readonly code?: string } & Record<string, unknown> | string;
}

interface DeployInput {
  deploymentId?: string;
  service?: string;
  environment?: string;
}

export class LiveView {
  private readonly mode: 'tty' | 'plain';
  private readonly pace: number;
  private readonly minRedrawMs: number;
  private readonly tickMs: number;
  private readonly color: boolean;
  private readonly wallNow: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly deployments = new Map<string, DeploymentView>();
  private readonly byExecution = new Map<string, DeploymentView>();
  private ctx: RehearsalContext | undefined;
  private startMs = 0;
  private nowMs = 0;
  private drawnLines = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private readonly unsubscribe: Array<() => void> = [];
  /** The weights last printed per deployment (plain mode). */
  private readonly printedWeights = new Map<string, string>();
  /** Each release's latest milestone (waiting for approval, approved or aborted by whom, its outcome), by release id. */
  private readonly releases = new Map<string, string>();

  constructor(
    private readonly scenario: Scenario,
    private readonly options: LiveViewOptions,
  ) {
    this.mode = options.mode ?? (options.out.isTTY ? 'tty' : 'plain');
    this.pace = options.paceMsPerVirtualMinute ?? (this.mode === 'tty' ? 350 : 0);
    this.minRedrawMs = options.minRedrawMs ?? 80;
    this.tickMs = (options.tickSeconds ?? 5) * 1000;
    this.color = options.color ?? (this.mode === 'tty' && !process.env.NO_COLOR);
    this.wallNow = options.wallNow ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Pass these to `runScenario` (merge with your own actions). */
  runOptions(): Required<Pick<RunOptions, 'onProgress' | 'actions'>> {
    return {
      onProgress: (e) => this.onProgress(e),
      actions: [{ at: 0, label: 'live view', run: (ctx: RehearsalContext) => this.attach(ctx) }],
    };
  }

  /** Snapshot of what the view shows (for tests). */
  views(): DeploymentView[] {
    return [...this.deployments.values()];
  }

  /** The run is over: the final statuses from its summary, the last frame, and detach. */
  finish(trace: ScenarioTrace): void {
    this.nowMs = trace.endMs;
    for (const d of trace.summary.deployments) {
      const view = this.deployments.get(d.deploymentId);
      if (!view) continue;
      const changed = view.status !== d.status;
      view.status = d.status;
      view.reason = d.reason;
      if (changed && this.mode === 'plain') this.line(view.endedAt ?? trace.endMs, view, this.statusText(view));
    }
    if (this.mode === 'tty') this.draw(true);
    // One line per raw `event` input of the timeline and what became of it (issue #15).
    for (const e of trace.summary.events ?? []) {
      const why = [e.error, e.message].filter(Boolean).join(': ');
      const tone = e.outcome === 'rejected' || e.outcome === 'failed' ? ANSI.red : e.outcome === 'ignored' ? ANSI.dim : ANSI.green;
      this.options.out.write(`[+${clockText(e.at * 1000)}] event -> ${e.target}: ${this.paint(e.outcome, tone)}${why ? ` — ${truncate(why, 160)}` : ''}\n`);
    }
    for (const off of this.unsubscribe.splice(0)) off();
  }

  // ------------------------------------------------------------------------------------ wiring

  private attach(ctx: RehearsalContext): void {
    this.ctx = ctx;
    this.startMs = ctx.clock.now();
    this.nowMs = this.startMs;
    const deployArn = ctx.stateMachines.deploy;
    this.unsubscribe.push(
      ctx.runner.onStateEntered((info) => {
        const view = this.viewFor(info.executionArn, deployArn, info.at);
        if (view) this.entered(view, info);
      }),
      ctx.runner.onStateExited((info) => {
        const view = this.viewFor(info.executionArn, deployArn, info.at);
        if (view) this.exited(view, info);
      }),
      ctx.runner.onExecutionFinished((record) => {
        const view = this.byExecution.get(record.executionArn);
        if (view) this.ended(view, record);
      }),
      // ECS's own deployments (the native engine) move the traffic between Cutover's states: print
      // each move when it happens, not at the next state's exit.
      ctx.world.elb.onRoutingChange(() => {
        this.nowMs = Math.max(this.nowMs, ctx.clock.now());
        this.refreshFromWorld();
        for (const view of this.byExecution.values()) this.trafficMoved(view, ctx.clock.now());
        this.draw(false);
      }),
      // Release milestones: which release waits for approval before which environment, who approved
      // or aborted it (the control execution's output) and how it ended.
      ctx.world.onPutEvent((e) => this.releaseMilestone(ctx.clock.now(), e.detailType, e.detail as ReleaseEventDetail)),
      ctx.runner.onExecutionFinished((record) => {
        if (record.stateMachineArn !== ctx.stateMachines.control || record.status !== 'SUCCEEDED' || !record.output) return;
        const out = JSON.parse(record.output) as { by?: string; release?: { releaseId: string; environment: string; action: string; reason?: string } };
        if (out.release) this.releaseMilestone(ctx.clock.now(), `Release ${out.release.action}`, { ...out.release, by: out.by });
      }),
      ctx.world.onAwsEvent((event) => {
        if (event.source !== 'aws.cloudwatch') return;
        const detail = event.detail as { alarmName?: string; state?: { value?: string } } | undefined;
        const name = detail?.alarmName;
        const state = detail?.state?.value;
        if (!name || !state) return;
        const previous = (event.detail as { previousState?: { value?: string } }).previousState?.value;
        for (const view of this.deployments.values()) {
          const alarm = view.alarms.find((a) => a.name === name);
          if (!alarm) continue;
          alarm.state = state;
          // Into ALARM, and back out of it, is news; INSUFFICIENT_DATA -> OK at the first datapoint is not.
          const news = state === 'ALARM' || previous === 'ALARM';
          if (this.mode === 'plain' && view.endedAt === null && news) this.line(ctx.clock.now(), view, `alarm ${name} is ${state}`);
        }
        this.draw(false);
      }),
      ctx.clock.every(
        this.tickMs,
        async () => {
          this.nowMs = ctx.clock.now();
          this.refreshFromWorld();
          this.draw(false);
          if (this.pace > 0 && this.active()) await this.sleep((this.pace * this.tickMs) / 60_000);
        },
        { label: 'live view', background: true },
      ),
    );
  }

  private onProgress(e: ProgressEvent): void {
    this.nowMs = Math.max(this.nowMs, e.at);
    const view = this.deployments.get(e.deploymentId);
    if (view && e.weights) view.weights = e.weights;
  }

  private active(): boolean {
    return [...this.deployments.values()].some((d) => d.endedAt === null);
  }

  private serviceOf(view: { service: string; environment: string }): ServiceConfig | undefined {
    return findService(this.scenario.config, view.service, view.environment);
  }

  private viewFor(executionArn: string, deployArn: string | undefined, at: number): DeploymentView | undefined {
    const known = this.byExecution.get(executionArn);
    if (known) return known;
    const ctx = this.ctx;
    if (!ctx) return undefined;
    let exec: ExecutionRecord;
    try {
      exec = ctx.runner.getExecution(executionArn);
    } catch {
      return undefined;
    }
    if (deployArn && exec.stateMachineArn !== deployArn) return undefined;
    let input: DeployInput;
    try {
      input = JSON.parse(exec.input) as DeployInput;
    } catch {
      return undefined;
    }
    if (!input.deploymentId || !input.service || !input.environment) return undefined;
    const svc = findService(this.scenario.config, input.service, input.environment);
    const view: DeploymentView = {
      deploymentId: input.deploymentId,
      service: input.service,
      environment: input.environment,
      startedAt: at,
      step: 'starting',
      stepSince: at,
      weights: [],
      greenHealthy: null,
      greenTotal: null,
      alarms: (svc?.alarms ?? []).map((name) => ({ name, state: ctx.world.alarmState(name) ?? 'INSUFFICIENT_DATA' })),
      verdict: null,
      status: 'IN_PROGRESS',
      reason: null,
      endedAt: null,
    };
    this.byExecution.set(executionArn, view);
    this.deployments.set(view.deploymentId, view);
    this.refreshFromWorld();
    if (this.mode === 'plain') this.line(at, view, `deployment ${view.deploymentId} started`);
    return view;
  }

  /** Weights, green health and alarm states as the world holds them now. */
  private refreshFromWorld(): void {
    const world = this.ctx?.world;
    if (!world) return;
    for (const view of this.deployments.values()) {
      if (view.endedAt !== null) continue;
      const svc = this.serviceOf(view);
      if (!svc) continue;
      if (svc.listenerArn === undefined && svc.listenerRuleArn === undefined) {
        // A worker: its share of tasks, green being the task set this deployment created.
        try {
          const sets = world.taskSets(svc.cluster, svc.service).filter((t) => t.status !== 'DRAINING');
          const greenTasks = sets.filter((t) => t.externalId === view.deploymentId).reduce((n, t) => n + t.computedDesiredCount, 0);
          const blueTasks = sets.filter((t) => t.externalId !== view.deploymentId).reduce((n, t) => n + t.computedDesiredCount, 0);
          view.share = { greenTasks, blueTasks, percent: sharePercent(greenTasks, blueTasks) };
        } catch {
          // Not in this world (an --endpoint run).
        }
      } else try {
        view.weights = world.weights(svc.listenerRuleArn ?? (svc.listenerArn as string));
      } catch {
        // Not in this world (an --endpoint run): keep what progress events said.
      }
      if (!view.blue && view.weights.length > 0 && svc.targetGroupArns) {
        const blue = view.weights.find((w) => w.weight === 100)?.targetGroupArn ?? svc.targetGroupArns[0];
        view.blue = blue;
        view.green = svc.targetGroupArns.find((tg) => tg !== blue);
      }
      if (view.green) {
        try {
          view.greenHealthy = world.healthyTargets(view.green);
          view.greenTotal = world.targetHealth(view.green).length;
        } catch {
          view.greenHealthy = null;
        }
      }
      for (const alarm of view.alarms) alarm.state = world.alarmState(alarm.name) ?? alarm.state;
    }
  }

  private entered(view: DeploymentView, info: StateEventInfo): void {
    this.nowMs = Math.max(this.nowMs, info.at);
    if (ROUTING_STATES.has(info.stateName)) return;
    const text = stepText(info);
    if (!text || text === view.step) return;
    view.step = text;
    view.stepSince = info.at;
    this.refreshFromWorld();
    if (this.mode === 'plain') this.line(info.at, view, text);
    this.draw(false);
  }

  private exited(view: DeploymentView, info: StateExitedInfo): void {
    this.nowMs = Math.max(this.nowMs, info.at);
    this.refreshFromWorld();
    if (info.stateName === 'Analyze') {
      const verdict = (info.output as { verdict?: { kind?: string; decision?: string } } | undefined)?.verdict;
      if (verdict?.kind) {
        view.verdict = `${verdict.kind}${verdict.decision && verdict.decision !== verdict.kind.toLowerCase() ? ` (${verdict.decision})` : ''}`;
        if (this.mode === 'plain') this.line(info.at, view, `analysis verdict: ${view.verdict}`);
      }
    }
    this.trafficMoved(view, info.at);
    this.draw(false);
  }

  /** A plain line when the deployment's traffic differs from what was last printed. */
  private trafficMoved(view: DeploymentView, at: number): void {
    const after = this.weightsText(view);
    const before = this.printedWeights.get(view.deploymentId);
    if (before === undefined) this.printedWeights.set(view.deploymentId, after);
    else if (this.mode === 'plain' && after !== before && (view.weights.length > 0 || view.share)) {
      this.printedWeights.set(view.deploymentId, after);
      this.line(at, view, `traffic ${after}`);
    }
  }

  private ended(view: DeploymentView, record: ExecutionRecord): void {
    view.endedAt = record.stopMs ?? this.nowMs;
    const out = parseJson(record.output) as { outcome?: { status?: string; code?: string; message?: string } } | undefined;
    if (record.status === 'SUCCEEDED') {
      view.status = out?.outcome?.status ?? 'SUCCEEDED';
      view.reason = out?.outcome ? `${out.outcome.code ?? ''}: ${out.outcome.message ?? ''}` : null;
    } else {
      view.status = TERMINAL_BY_ERROR[record.error ?? ''] ?? record.status;
      view.reason = record.cause ?? record.error ?? null;
    }
    view.step = 'done';
    view.stepSince = view.endedAt;
    if (this.mode === 'plain') this.line(view.endedAt, view, this.statusText(view));
    this.draw(true);
  }

  // ---------------------------------------------------------------------------------- rendering

  private paint(text: string, ...codes: string[]): string {
    return this.color ? `${codes.join('')}${text}${ANSI.reset}` : text;
  }

  private weightsText(view: DeploymentView): string {
    if (view.share) return `blue ${100 - view.share.percent} / green ${view.share.percent} (tasks: blue ${view.share.blueTasks} / green ${view.share.greenTasks})`;
    if (view.weights.length === 0) return '';
    const w = (tg: string | undefined) => view.weights.find((x) => x.targetGroupArn === tg)?.weight ?? 0;
    return view.blue ? `blue ${w(view.blue)} / green ${w(view.green)}` : view.weights.map((x) => x.weight).join(' / ');
  }

  private statusText(view: DeploymentView): string {
    return `${view.status}${view.reason ? ` — ${view.reason}` : ''}`;
  }

  private releaseMilestone(at: number, kind: string, d: ReleaseEventDetail): void {
    if (!d?.releaseId) return;
    let text: string | undefined;
    if (kind === 'Release Approval Requested') {
      text = `waits for approval before ${d.environment} (cutover release approve ${d.releaseId}, or abort)`;
    } else if (kind === 'Release approve' || kind === 'Release abort') {
      text = `${d.environment} ${kind === 'Release approve' ? 'approved' : 'aborted'} by ${d.by ?? 'an operator'}${typeof d.reason === 'string' ? `: ${d.reason}` : ''}`;
    } else if (kind === 'Release Succeeded' || kind === 'Release Failed') {
      const code = typeof d.reason === 'object' ? d.reason.code : undefined;
      text = `${d.status ?? (kind === 'Release Succeeded' ? 'SUCCEEDED' : 'FAILED')}${code ? ` (${code})` : ''}`;
    }
    if (text === undefined) return;
    this.releases.set(d.releaseId, `${text} at +${clockText(at - this.startMs)}`);
    if (this.mode === 'plain') this.options.out.write(`[+${clockText(at - this.startMs)}] release ${d.releaseId} ${truncate(text, 160)}\n`);
    else this.draw(false);
  }

  private line(at: number, view: DeploymentView, text: string): void {
    this.options.out.write(`[+${clockText(at - this.startMs)}] ${view.service}/${view.environment} ${truncate(text, 160)}\n`);
  }

  /** The lines of the current frame. */
  frame(): string[] {
    const width = Math.max(60, Math.min(this.options.out.columns || 100, 120));
    const lines: string[] = [];
    const p = (t: string, ...c: string[]) => this.paint(t, ...c);
    lines.push(`${p(`Cutover rehearsal · ${this.scenario.name}`, ANSI.bold)}   ${p(`virtual time ${clockText(this.nowMs - this.startMs)}`, ANSI.dim)}`);
    for (const [id, text] of this.releases) lines.push(`${p('release', ANSI.bold)} ${id}  ${text.startsWith('waits') ? p(text, ANSI.yellow) : text}`);
    for (const view of this.deployments.values()) {
      const w = (tg: string | undefined) => view.weights.find((x) => x.targetGroupArn === tg)?.weight ?? 0;
      const blueW = view.share ? 100 - view.share.percent : view.blue ? w(view.blue) : 100;
      const greenW = view.share ? view.share.percent : view.green ? w(view.green) : 0;
      const cells = Math.max(20, Math.min(50, width - 40));
      const bar = weightsBar(blueW, cells);
      const statusTone = view.status === 'SUCCEEDED' ? ANSI.green : view.status === 'IN_PROGRESS' ? ANSI.yellow : ANSI.red;
      const elapsed = clockText((view.endedAt ?? this.nowMs) - view.startedAt);
      lines.push('');
      lines.push(`${p(`${view.service}/${view.environment}`, ANSI.bold)}  ${view.deploymentId}  ${p(view.status, ANSI.bold, statusTone)}  ${p(`elapsed ${elapsed}`, ANSI.dim)}`);
      const since = view.endedAt === null ? p(`  (for ${clockText(this.nowMs - view.stepSince)})`, ANSI.dim) : '';
      lines.push(`  step     ${view.step.startsWith('ROLLING') ? p(view.step, ANSI.red, ANSI.bold) : view.step}${since}`);
      lines.push(
        `  traffic  ${p('blue', ANSI.blue)} ${p('█'.repeat(bar.blue), ANSI.blue)}${p((this.color ? '█' : '░').repeat(bar.green), ANSI.green)} ${p('green', ANSI.green)}  ${String(blueW).padStart(3)} / ${greenW}${view.share ? `  (tasks ${view.share.blueTasks} / ${view.share.greenTasks})` : ''}`,
      );
      const health = view.greenHealthy === null ? '—' : `${view.greenHealthy}/${view.greenTotal ?? '?'} targets healthy`;
      lines.push(`  green    ${health}`);
      const alarms = view.alarms.length === 0 ? '(none watched)' : view.alarms.map((a) => `${a.name} ${a.state === 'ALARM' ? p('ALARM', ANSI.red, ANSI.bold) : a.state === 'OK' ? p('OK', ANSI.green) : p(a.state, ANSI.dim)}`).join('   ');
      lines.push(`  alarms   ${alarms}`);
      lines.push(`  verdict  ${view.verdict === null ? p('—', ANSI.dim) : view.verdict.startsWith('Pass') ? p(view.verdict, ANSI.green) : p(view.verdict, ANSI.magenta)}`);
      if (view.reason && view.endedAt !== null) lines.push(`  reason   ${truncate(view.reason, width - 11)}`);
    }
    return lines;
  }

  private draw(force: boolean): void {
    if (this.mode !== 'tty') return;
    const now = this.wallNow();
    if (!force && now - this.lastDraw < this.minRedrawMs) return;
    this.lastDraw = now;
    const columns = this.options.out.columns || 80;
    const lines = this.frame().map((l) => fitAnsi(l, columns - 1));
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : '';
    this.options.out.write(`${up}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
    this.drawnLines = lines.length;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: an ANSI escape sequence starts with ESC
const ANSI_CODE = /^\x1b\[[0-9;]*[A-Za-z]/;

/** Cut `line` to `width` visible characters, keeping its ANSI colour codes (so it never wraps). */
export function fitAnsi(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    const m = ANSI_CODE.exec(line.slice(i));
    if (m) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i) as number);
    if (visible >= width) {
      if (out.includes('\x1b[')) out += ANSI.reset;
      break;
    }
    out += ch;
    visible += 1;
    i += ch.length;
  }
  return out;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
