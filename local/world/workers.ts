/**
 * Worker services (no load balancer): queue consumers whose application publishes its own metrics
 * per version, and the queue they consume.
 *
 * Per virtual minute (six 10-second slices, like the traffic model) each running task of a worker
 * service takes an equal part of the messages that arrive (`processedPerMinute`, the service total
 * at full size): a task's part is processedPerMinute / max(running tasks, desiredCount), so fewer
 * tasks than desired process less and more (a canary beside a full blue) share the same messages.
 * The task's image profile applies to what it processes: `errorRate` fails that fraction,
 * `latencyMs` is its processing time. The application publishes, in `namespace`, per version (the
 * CUTOVER_VERSION of the task's revision, in each dimension value holding `{version}`):
 * MessagesProcessed and MessagesFailed (Sum per minute) and ProcessingTime (ms, one datapoint per
 * task-minute), as an application does with Powertools Metrics (EMF); the same values also go to
 * the dimension set without the version dimensions (what an alarm over the whole service reads).
 *
 * The queue: AWS/SQS ApproximateAgeOfOldestMessage (Maximum per minute, seconds) with dimension
 * QueueName, published every minute as SQS does. When the failing share of the minute (each
 * version's errorRate weighted by its share of task time) exceeds {@link FAILING_SHARE_LIMIT}, or no
 * task runs, the oldest message ages 60 s a minute; otherwise it drops back to a few seconds.
 * Noise is seeded per service, version and minute, so a run is reproducible.
 */
import type { MetricStore } from './cloudwatch.js';
import type { EcsWorld } from './ecs.js';
import { streamFor } from './random.js';
import { MINUTE_MS } from './time.js';
import type { WorldContext } from './types.js';

export const VERSION_PLACEHOLDER = '{version}';
export const SQS_NAMESPACE = 'AWS/SQS';
export const QUEUE_AGE_METRIC = 'ApproximateAgeOfOldestMessage';
/** The application metrics of a worker. */
export const WORKER_METRICS = ['MessagesProcessed', 'MessagesFailed', 'ProcessingTime'] as const;
export type WorkerMetricName = (typeof WORKER_METRICS)[number] | typeof QUEUE_AGE_METRIC;
/** Above this failing share of a minute, messages pile up (they fail and come back) and the oldest one ages. */
export const FAILING_SHARE_LIMIT = 0.2;
/** The version of a revision without CUTOVER_VERSION in the worker container's environment. */
export const UNVERSIONED = 'unversioned';

const SLICES = 6;

export interface WorkerSpec {
  readonly cluster: string;
  readonly service: string;
  /** The container whose environment names the version (CUTOVER_VERSION). */
  readonly containerName: string;
  /** CloudWatch namespace of the application metrics. */
  readonly namespace: string;
  /** Messages per minute the service processes at full size. */
  readonly processedPerMinute: number;
  /** Dimensions of the application metrics; a value may hold `{version}`. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** The SQS queue it consumes (its ApproximateAgeOfOldestMessage is published). */
  readonly queueName?: string;
}

interface WorkerState {
  readonly spec: WorkerSpec;
  ageSeconds: number;
}

interface VersionAcc {
  processed: number;
  failedMean: number;
  taskSlices: number;
  errorRate: number;
  /** Per task running this minute: its processing time (ms). */
  readonly tasks: Map<string, number>;
}

export class WorkerModel {
  private readonly workers: WorkerState[] = [];

  constructor(
    private readonly ctx: WorldContext,
    private readonly ecs: EcsWorld,
    private readonly metrics: MetricStore,
  ) {}

  add(spec: WorkerSpec): void {
    if (!(spec.processedPerMinute >= 0)) throw new Error(`worker ${spec.service}: processedPerMinute must be >= 0 (got ${spec.processedPerMinute})`);
    if (!spec.namespace || spec.namespace.startsWith('AWS/')) throw new Error(`worker ${spec.service}: namespace must be a custom namespace (not AWS/...), got '${spec.namespace}'`);
    if (this.workers.some((w) => w.spec.cluster === spec.cluster && w.spec.service === spec.service)) throw new Error(`worker ${spec.cluster}/${spec.service} already exists`);
    this.workers.push({ spec, ageSeconds: 0 });
  }

  /** The worker spec of a service, if it is a worker. */
  spec(cluster: string, service: string): WorkerSpec | undefined {
    return this.workers.find((w) => w.spec.cluster === cluster && w.spec.service === service)?.spec;
  }

  /** The age of the oldest message of a queue now (seconds), as the last minute published it. */
  queueAge(queueName: string): number | undefined {
    return this.workers.find((w) => w.spec.queueName === queueName)?.ageSeconds;
  }

  /**
   * The metric a service-wide alarm of a worker watches: the queue's age (AWS/SQS, QueueName), or an
   * application metric on the dimensions without the version ones.
   */
  alarmMetric(cluster: string, service: string, metric: WorkerMetricName): { namespace: string; metricName: string; dimensions: Record<string, string> } {
    const spec = this.spec(cluster, service);
    if (!spec) throw new Error(`${cluster}/${service} is not a worker service of the world`);
    if (metric === QUEUE_AGE_METRIC) {
      if (!spec.queueName) throw new Error(`worker ${service} has no queueName: its queue-age metric does not exist`);
      return { namespace: SQS_NAMESPACE, metricName: QUEUE_AGE_METRIC, dimensions: { QueueName: spec.queueName } };
    }
    return { namespace: spec.namespace, metricName: metric, dimensions: serviceDimensions(spec.dimensions) };
  }

  /** Produce the metrics of the minute starting at `minuteStart` (aligned). */
  runMinute(minuteStart: number): void {
    for (const w of this.workers) this.runWorker(w, minuteStart);
  }

  private runWorker(w: WorkerState, minuteStart: number): void {
    const { spec } = w;
    const desired = this.ecs.desiredCountOf(spec.cluster, spec.service) ?? 0;
    const byVersion = new Map<string, VersionAcc>();
    let taskSlices = 0;
    for (let s = 0; s < SLICES; s++) {
      const t = minuteStart + ((s + 0.5) * MINUTE_MS) / SLICES;
      const running = this.ecs.runningTasksAt(spec.cluster, spec.service, t);
      if (running.length === 0) continue;
      const part = spec.processedPerMinute / SLICES / Math.max(running.length, desired);
      for (const task of running) {
        const c = this.ecs.containerOf(task.taskDefinitionArn, spec.containerName);
        const version = c?.environment.CUTOVER_VERSION || UNVERSIONED;
        const p = this.ctx.profile(c?.digest);
        const acc = byVersion.get(version) ?? { processed: 0, failedMean: 0, taskSlices: 0, errorRate: p.errorRate, tasks: new Map() };
        acc.processed += part;
        acc.failedMean += part * Math.min(1, Math.max(0, p.errorRate));
        acc.taskSlices++;
        acc.tasks.set(task.taskArn, p.latencyMs);
        byVersion.set(version, acc);
        taskSlices++;
      }
    }
    let failingShare = 0;
    for (const [version, acc] of byVersion) {
      failingShare += (acc.taskSlices / Math.max(taskSlices, 1)) * Math.min(1, Math.max(0, acc.errorRate));
      this.publishVersion(spec, version, acc, minuteStart);
    }
    if (spec.queueName) {
      const rng = streamFor(this.ctx.seed, `worker-queue|${spec.queueName}|${minuteStart}`);
      if (taskSlices === 0 || failingShare > FAILING_SHARE_LIMIT) w.ageSeconds += 60;
      else w.ageSeconds = Math.max(1, Math.round(4 + rng.normal()));
      const age = w.ageSeconds;
      this.metrics.put(SQS_NAMESPACE, QUEUE_AGE_METRIC, { QueueName: spec.queueName }, minuteStart, { sum: age, count: 1, min: age, max: age });
    }
  }

  private publishVersion(spec: WorkerSpec, version: string, acc: VersionAcc, minuteStart: number): void {
    const rng = streamFor(this.ctx.seed, `worker|${spec.cluster}/${spec.service}|${version}|${minuteStart}`);
    const processed = Math.round(acc.processed);
    const rate = acc.processed > 0 ? acc.failedMean / acc.processed : 0;
    const mean = processed * rate;
    const failed = Math.min(processed, Math.max(0, Math.round(mean + rng.normal() * Math.sqrt(mean * (1 - rate)))));
    const sets = [versionDimensions(spec.dimensions, version), serviceDimensions(spec.dimensions)].filter((d, k, all) => k === 0 || JSON.stringify(d) !== JSON.stringify(all[0]));
    for (const dims of sets) {
      this.metrics.put(spec.namespace, 'MessagesProcessed', dims, minuteStart, one(processed));
      this.metrics.put(spec.namespace, 'MessagesFailed', dims, minuteStart, one(failed));
    }
    for (const latencyMs of acc.tasks.values()) {
      const v = Math.max(0.1, latencyMs * (1 + 0.05 * rng.normal()));
      for (const dims of sets) this.metrics.put(spec.namespace, 'ProcessingTime', dims, minuteStart, one(v));
    }
  }
}

const one = (n: number) => ({ sum: n, count: 1, min: n, max: n });

/** The dimensions with `{version}` replaced by the version. */
export function versionDimensions(dims: Readonly<Record<string, string>>, version: string): Record<string, string> {
  return Object.fromEntries(Object.entries(dims).map(([k, v]) => [k, v.split(VERSION_PLACEHOLDER).join(version)]));
}
/** The dimensions without those naming the version (the service-wide set). */
export function serviceDimensions(dims: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(dims).filter(([, v]) => !v.includes(VERSION_PLACEHOLDER)));
}
