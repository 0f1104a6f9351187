/**
 * The traffic side of a deployment as one port (ports.ts TrafficShape) with one implementation per
 * shape, and one selector keyed on the shape the configuration gives a service:
 *
 * | kind          | service                     | green's share is                 | verified when                    |
 * | ------------- | --------------------------- | -------------------------------- | -------------------------------- |
 * | `alb-weights` | web (listener + 2 TGs)      | its forward weight               | the route holds the weights set  |
 * | `task-share`  | worker (no load balancer)   | its tasks over blue's + green's  | ECS computes the counts and green runs them |
 *
 * Both set, then read back what AWS holds (never what was asked for) and answer verified or pending.
 * Built over the narrow ports (TrafficRouter, TaskSets), so the same code runs against AWS, the
 * in-memory world and moto; no SDK here.
 */
import { LiveStateInvalid, WeightVerificationFailed } from './errors.js';
import type { Route, TargetGroupWeight } from './model.js';
import { weightsFor } from './plan.js';
import type {
  MetricRef,
  TaskSetInfo,
  TaskSetScales,
  TrafficKind,
  TrafficReading,
  TrafficRouter,
  TrafficShape,
  TrafficVerification,
  VersionMetricQueries,
} from './ports.js';

// ---------------------------------------------------------------------------------------------
// Share of tasks: the pure math
// ---------------------------------------------------------------------------------------------

export interface TaskShare {
  /** Tasks green should run, and blue. */
  readonly greenTasks: number;
  readonly blueTasks: number;
  /** UpdateTaskSet scale (percent of the service's desired count, 2 decimals) giving exactly those tasks. */
  readonly greenScale: number;
  readonly blueScale: number;
  /** Green's share actually achieved, percent, rounded: greenTasks / (greenTasks + blueTasks). */
  readonly achievedPercent: number;
}

/**
 * The task counts and scales for `percent` of a worker's work on green, when the service's desired
 * count is `desired`. Argo Rollouts' rule for replica canaries: a step of 1-99 % never leaves green
 * (or blue) with 0 tasks when there are 2 or more, and the share reported is the one achieved.
 *
 * - `greenTasks` = round(desired x percent / 100), clamped to 1..desired-1 for 1-99 % (desired >= 2);
 *   0 % -> 0; 100 % -> desired. One task (desired 1) at 1-99 %: green 1 beside blue 1 (50 %),
 *   so the canary runs without stopping the only consumer.
 * - `blueTasks` = desired - greenTasks (one task: 1).
 * - scale = floor(tasks x 10000 / desired) / 100, plus 0.01 when ECS's ceil(desired x scale / 100)
 *   (task sets are "always rounded up") would fall short: ECS then runs exactly `tasks`.
 *
 * Worked examples:
 * - desired 10, 10 %  -> green 1 (10 %), blue 9 (90 %), achieved 10
 * - desired 3, 10 %   -> green 1 (33.33 %), blue 2 (66.66 %), achieved 33 (1 task of 3 is 33 %, not 10 %)
 * - desired 2, 10 %   -> green 1 (50 %), blue 1 (50 %), achieved 50
 * - desired 4, 95 %   -> green 3 (75 %), blue 1 (25 %), achieved 75 (blue keeps 1 until 100 %)
 * - desired 1, 10 %   -> green 1 (100 %), blue 1 (100 %), achieved 50
 * - desired 0, 10 %   -> 0 and 0 (a worker scaled to zero runs nothing), achieved 0
 */
export function taskShare(desired: number, percent: number): TaskShare {
  if (!Number.isInteger(desired) || desired < 0) throw new RangeError(`desired count must be a non-negative integer, got ${desired}`);
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new RangeError(`percent must be an integer from 0 to 100, got ${percent}`);
  let green: number;
  let blue: number;
  if (percent === 0) [green, blue] = [0, desired];
  else if (percent === 100) [green, blue] = [desired, 0];
  else if (desired === 0) [green, blue] = [0, 0];
  else if (desired === 1) [green, blue] = [1, 1];
  else {
    green = Math.min(desired - 1, Math.max(1, Math.round((desired * percent) / 100)));
    blue = desired - green;
  }
  const scale = (tasks: number): number => (desired === 1 ? tasks * 100 : scaleFor(desired, tasks));
  return {
    greenTasks: green,
    blueTasks: blue,
    greenScale: scale(green),
    blueScale: scale(blue),
    achievedPercent: sharePercent(green, blue),
  };
}

/** The scale percent (2 decimals) for which ECS computes exactly `tasks` of `desired` (ceil rounding). */
export function scaleFor(desired: number, tasks: number): number {
  if (desired === 0 || tasks === 0) return 0;
  if (tasks >= desired) return 100;
  let scale = Math.floor((tasks * 10000) / desired) / 100;
  if (Math.ceil((desired * scale) / 100) < tasks) scale = Math.round((scale + 0.01) * 100) / 100;
  return scale;
}

/** Green's share of the tasks, percent rounded (0 when neither runs anything). */
export function sharePercent(greenTasks: number, blueTasks: number): number {
  const total = greenTasks + blueTasks;
  return total === 0 ? 0 : Math.round((greenTasks * 100) / total);
}

// ---------------------------------------------------------------------------------------------
// The two shapes
// ---------------------------------------------------------------------------------------------

/** What a shape acts on: one deployment's blue and green. */
export type TrafficTarget =
  | {
      readonly kind: 'alb-weights';
      readonly route: Route;
      /** The group that is not green: blue's, or on a first deployment the idle one. */
      readonly blueTargetGroupArn: string;
      readonly greenTargetGroupArn: string;
      /** Put back on blue by resetToBlue (the test listener Cutover points at green). */
      readonly testListenerArn?: string;
    }
  | {
      readonly kind: 'task-share';
      readonly cluster: string;
      readonly service: string;
      /** Absent on a first deployment. */
      readonly blueTaskSetId?: string;
      readonly greenTaskSetId: string;
    };

export interface TrafficPorts {
  readonly router?: TrafficRouter;
  readonly taskSets?: TaskSetScales;
}

const norm = (w: readonly TargetGroupWeight[]): string =>
  w
    .filter((x) => x.weight > 0)
    .map((x) => `${x.targetGroupArn}=${x.weight}`)
    .sort()
    .join(',');

/** ALB weights: today's path (prepare, shift, rollback), as a shape. */
export class AlbWeights implements TrafficShape {
  readonly kind = 'alb-weights' as const;
  readonly settles = false;
  constructor(
    private readonly router: TrafficRouter,
    private readonly target: Extract<TrafficTarget, { kind: 'alb-weights' }>,
  ) {}

  private wanted(percent: number): TargetGroupWeight[] {
    return weightsFor(percent, this.target.blueTargetGroupArn, this.target.greenTargetGroupArn);
  }

  async setShare(percent: number): Promise<TrafficReading> {
    await this.router.setWeights(this.target.route, this.wanted(percent));
    return this.readShare();
  }

  async readShare(): Promise<TrafficReading> {
    const held = await this.router.readWeights(this.target.route);
    const green = held.find((w) => w.targetGroupArn === this.target.greenTargetGroupArn)?.weight ?? 0;
    return { kind: this.kind, greenPercent: green, detail: { route: this.target.route, weights: held } };
  }

  async verify(percent: number): Promise<TrafficVerification> {
    const reading = await this.readShare();
    const wanted = this.wanted(percent);
    const held = reading.detail.weights as TargetGroupWeight[];
    return norm(wanted) === norm(held)
      ? { status: 'verified', reading }
      : { status: 'pending', reading, why: `set ${JSON.stringify(wanted)} but the ${this.target.route.kind} holds ${JSON.stringify(held)}` };
  }

  async resetToBlue(): Promise<TrafficReading> {
    await this.router.setWeights(this.target.route, this.wanted(0));
    const v = await this.verify(0);
    if (v.status === 'pending') throw new WeightVerificationFailed(`[traffic: ${this.kind}] rollback ${v.why}`, { details: { reading: v.reading } });
    if (this.target.testListenerArn) await this.router.setWeights({ kind: 'listener', arn: this.target.testListenerArn }, this.wanted(0));
    return v.reading;
  }
}

/**
 * Share of tasks: a worker's green and blue task sets scaled so green runs the step's share of the
 * service's desired count (taskShare). Green is scaled first and blue gives up tasks only once
 * green's run (setShare again after a pending verify), so work never lacks a consumer while a step
 * moves; at 100 % blue is kept at 0 tasks (a rollback in the termination wait scales it back).
 */
export class TaskShareTraffic implements TrafficShape {
  readonly kind = 'task-share' as const;
  readonly settles = true;
  constructor(
    private readonly taskSets: TaskSetScales,
    private readonly target: Extract<TrafficTarget, { kind: 'task-share' }>,
  ) {}

  private async sets(): Promise<{ desired: number; green?: TaskSetInfo; blue?: TaskSetInfo }> {
    const svc = await this.taskSets.describeService(this.target.cluster, this.target.service);
    const green = svc.taskSets.find((t) => t.id === this.target.greenTaskSetId);
    const blue = this.target.blueTaskSetId ? svc.taskSets.find((t) => t.id === this.target.blueTaskSetId) : undefined;
    return { desired: svc.desiredCount, ...(green ? { green } : {}), ...(blue ? { blue } : {}) };
  }

  async setShare(percent: number): Promise<TrafficReading> {
    const { desired, green, blue } = await this.sets();
    if (!green) throw new LiveStateInvalid(`[traffic: ${this.kind}] green task set ${this.target.greenTaskSetId} is not in ${this.target.cluster}/${this.target.service}`);
    const share = taskShare(desired, percent);
    const { cluster, service } = this.target;
    if (green.scalePercent !== share.greenScale) await this.taskSets.updateScale(cluster, service, green.id, share.greenScale);
    // Blue gives up tasks only once green runs its own: until then verify answers pending and the
    // caller sets again (the shift handler's wait loop), so no work is left without a consumer.
    const blueDown = blue !== undefined && share.blueScale < blue.scalePercent;
    const greenReady = green.runningCount >= share.greenTasks && green.computedDesiredCount >= share.greenTasks;
    if (blue && blue.scalePercent !== share.blueScale && (!blueDown || greenReady)) await this.taskSets.updateScale(cluster, service, blue.id, share.blueScale);
    return this.readShare();
  }

  async readShare(): Promise<TrafficReading> {
    const { desired, green, blue } = await this.sets();
    const counts = (t: TaskSetInfo | undefined) =>
      t ? { taskSetId: t.id, scale: t.scalePercent, computedDesiredCount: t.computedDesiredCount, runningCount: t.runningCount } : null;
    const greenTasks = green?.computedDesiredCount ?? 0;
    const blueTasks = blue?.computedDesiredCount ?? 0;
    return {
      kind: this.kind,
      greenPercent: sharePercent(greenTasks, blueTasks),
      detail: { desiredCount: desired, green: counts(green), blue: counts(blue), greenTasks, blueTasks },
    };
  }

  async verify(percent: number): Promise<TrafficVerification> {
    const reading = await this.readShare();
    const { desired, green, blue } = await this.sets();
    const want = taskShare(desired, percent);
    const d = reading.detail as { greenTasks: number; blueTasks: number };
    if (!green) return { status: 'pending', reading, why: `green task set ${this.target.greenTaskSetId} is not there` };
    if (green.runningCount < want.greenTasks) {
      return { status: 'pending', reading, why: `green runs ${green.runningCount} of its ${want.greenTasks} tasks (blue gives up tasks once they run)` };
    }
    if (d.greenTasks !== want.greenTasks || (blue !== undefined && d.blueTasks !== want.blueTasks)) {
      return {
        status: 'pending',
        reading,
        why: `${percent} % of ${desired} tasks is green ${want.greenTasks} / blue ${want.blueTasks}, ECS computes green ${d.greenTasks} / blue ${d.blueTasks}`,
      };
    }
    return { status: 'verified', reading };
  }

  async resetToBlue(): Promise<TrafficReading> {
    const { green, blue } = await this.sets();
    const { cluster, service } = this.target;
    if (blue && blue.scalePercent < 100) await this.taskSets.updateScale(cluster, service, blue.id, 100);
    if (green && green.scalePercent > 0) await this.taskSets.updateScale(cluster, service, green.id, 0);
    return this.readShare();
  }
}

/**
 * The one selector: the shape a target names, over the ports it needs. A missing port is an error
 * naming the shape (no silent fallback to another shape).
 */
export function trafficFor(target: TrafficTarget, ports: TrafficPorts): TrafficShape {
  switch (target.kind) {
    case 'alb-weights':
      if (!ports.router) throw new LiveStateInvalid('[traffic: alb-weights] needs a TrafficRouter (ELB)');
      return new AlbWeights(ports.router, target);
    case 'task-share':
      if (!ports.taskSets) throw new LiveStateInvalid('[traffic: task-share] needs TaskSets (ECS)');
      return new TaskShareTraffic(ports.taskSets, target);
    default: {
      const never: never = target;
      throw new LiveStateInvalid(`unknown traffic shape ${JSON.stringify(never)}`);
    }
  }
}

/** The kind of a deploy context (absent: a web service's state from before shapes existed). */
export function trafficKindOfCtx(ctx: { readonly traffic?: TrafficKind }): TrafficKind {
  return ctx.traffic ?? 'alb-weights';
}

/**
 * The target of a deploy context: the route and target groups of a web service, or the task sets of
 * a worker. `greenTaskSetId` is required for task-share (green exists before any shift).
 */
export function targetOf(
  ctx: {
    readonly traffic?: TrafficKind;
    readonly cluster: string;
    readonly ecsService: string;
    readonly route?: Route;
    readonly testListenerArn?: string;
    readonly targetGroupArns?: readonly [string, string];
    readonly greenTargetGroupArn?: string;
    readonly blue?: { readonly targetGroupArn?: string; readonly taskSetId?: string };
  },
  greenTaskSetId: string | undefined,
): TrafficTarget {
  if (trafficKindOfCtx(ctx) === 'task-share') {
    if (!greenTaskSetId) throw new LiveStateInvalid('[traffic: task-share] green task set missing from the state: CreateGreen sets it');
    return {
      kind: 'task-share',
      cluster: ctx.cluster,
      service: ctx.ecsService,
      ...(ctx.blue?.taskSetId ? { blueTaskSetId: ctx.blue.taskSetId } : {}),
      greenTaskSetId,
    };
  }
  const green = ctx.greenTargetGroupArn;
  const other = ctx.blue?.targetGroupArn ?? ctx.targetGroupArns?.find((tg) => tg !== green);
  if (!ctx.route || !green || !other) throw new LiveStateInvalid('[traffic: alb-weights] the context has no route or second target group');
  return {
    kind: 'alb-weights',
    route: ctx.route,
    blueTargetGroupArn: other,
    greenTargetGroupArn: green,
    ...(ctx.testListenerArn ? { testListenerArn: ctx.testListenerArn } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Share of tasks across a desired-count change
// ---------------------------------------------------------------------------------------------

/**
 * Where a worker deployment's share of tasks stands, read from its timeline:
 * - `before-shift`: green runs the first step's share of tasks beside blue at 100 % (no shift yet);
 * - `shifted`: the last shift put `percent` on green (green and blue split the desired count);
 * - `settled`: a rollback (0) or a promotion (100) ended the split; ECS's counts are exact at 0 and 100.
 */
export type ShareInForce =
  | { readonly phase: 'before-shift'; readonly percent: number }
  | { readonly phase: 'shifted'; readonly percent: number }
  | { readonly phase: 'settled'; readonly percent: 0 | 100 };

/** The share in force from the timeline (the newest shift, rollback or promotion entry) and the plan. */
export function shareInForce(
  timeline: readonly { readonly key: string; readonly detail?: Record<string, unknown> }[],
  plan: { readonly strategy?: string; readonly steps: readonly { readonly kind: string; readonly percent?: number }[] } | undefined,
): ShareInForce {
  for (let i = timeline.length - 1; i >= 0; i--) {
    const e = timeline[i] as (typeof timeline)[number];
    if (e.key === 'rollback-traffic') return { phase: 'settled', percent: 0 };
    if (e.key === 'promoted') return { phase: 'settled', percent: 100 };
    const percent = e.detail?.percent;
    if (e.key.startsWith('shift-') && typeof percent === 'number') return percent >= 100 ? { phase: 'settled', percent: 100 } : { phase: 'shifted', percent };
  }
  const first = plan?.steps.find((s) => s.kind === 'shift')?.percent ?? 100;
  return first >= 100 ? { phase: 'settled', percent: 100 } : { phase: 'before-shift', percent: first };
}

/** What keepShare did after a desired-count change. */
export interface ShareKept {
  /**
   * `verified`: green and blue run exactly their tasks of the new count; `pending`: set, blue gives
   * up its extra tasks once green's new ones run (the next shift's check finishes it); `unchanged`:
   * nothing to set (why says what).
   */
  readonly status: 'verified' | 'pending' | 'unchanged';
  readonly percent: number;
  readonly reading: TrafficReading;
  readonly why?: string;
}

/**
 * After a worker's desired count changed from `previousDesired` with a deployment in flight, set
 * green's and blue's scales again for the share in force at the new count. Task sets are percentages
 * of the desired count and ECS rounds each up, so the scales of the old count leave each side off by
 * about a task (2 -> 5 at 10 %: scales 50/50 give 3 + 3 tasks; re-applied, 1 + 4 = 5, 20 %).
 *
 * - `before-shift`: green's scale for the first step at the new count; blue stays at 100 %.
 * - `shifted`: TaskShareTraffic.setShare (green first; blue down only once green's tasks run).
 * - `settled`, or green's scale is not the one the share gives at `previousDesired` (a shift is
 *   settling; its check sets the scales for the count it reads): nothing is set.
 */
export async function keepShare(
  taskSets: TaskSetScales,
  target: Extract<TrafficTarget, { kind: 'task-share' }>,
  inForce: ShareInForce,
  previousDesired: number,
): Promise<ShareKept> {
  const traffic = new TaskShareTraffic(taskSets, target);
  const before = await traffic.readShare();
  const { percent } = inForce;
  if (inForce.phase === 'settled') return { status: 'unchanged', percent, reading: before, why: `the deployment is at ${percent} %: ECS's counts are exact` };
  const svc = await taskSets.describeService(target.cluster, target.service);
  const green = svc.taskSets.find((t) => t.id === target.greenTaskSetId);
  if (!green) return { status: 'unchanged', percent, reading: before, why: `green task set ${target.greenTaskSetId} is not there` };
  const wasGreenScale = taskShare(previousDesired, percent).greenScale;
  if (green.scalePercent !== wasGreenScale) {
    return {
      status: 'unchanged',
      percent,
      reading: before,
      why: `green's scale is ${green.scalePercent} %, not the ${wasGreenScale} % of ${percent} % of ${previousDesired} tasks: a shift is settling and sets the scales for the new count`,
    };
  }
  if (inForce.phase === 'before-shift') {
    const want = taskShare(svc.desiredCount, percent).greenScale || scaleFor(svc.desiredCount, 1);
    if (want !== green.scalePercent) await taskSets.updateScale(target.cluster, target.service, green.id, want);
    const reading = await traffic.readShare();
    const tasks = taskShare(svc.desiredCount, percent).greenTasks;
    const computed = (reading.detail as { greenTasks: number }).greenTasks;
    return computed === tasks
      ? { status: 'verified', percent, reading }
      : { status: 'pending', percent, reading, why: `green's scale ${want} % gives ${tasks} of ${svc.desiredCount} tasks, ECS computes ${computed}` };
  }
  await traffic.setShare(percent);
  const v = await traffic.verify(percent);
  return v.status === 'verified' ? { status: 'verified', percent, reading: v.reading } : { status: 'pending', percent, reading: v.reading, why: v.why };
}

/** The placeholder a metric's dimension value may hold; replaced by each side's version. */
export const VERSION_PLACEHOLDER = '{version}';

/**
 * A worker's configured analysis metrics for one version: every `{version}` in a dimension value
 * replaced. Example: `{ service: "orders", version: "{version}" }` for green `orders-prod-1a2b`
 * -> `{ service: "orders", version: "orders-prod-1a2b" }`.
 */
export function versionQueries(
  metrics: { readonly processed: MetricRef; readonly errors?: MetricRef; readonly latency?: MetricRef },
  version: string,
): VersionMetricQueries {
  const tag = (m: MetricRef): MetricRef => ({
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: Object.fromEntries(Object.entries(m.dimensions).map(([k, v]) => [k, v.split(VERSION_PLACEHOLDER).join(version)])),
  });
  return {
    processed: tag(metrics.processed),
    ...(metrics.errors ? { errors: tag(metrics.errors) } : {}),
    ...(metrics.latency ? { latency: tag(metrics.latency) } : {}),
  };
}

export type { TrafficKind };
