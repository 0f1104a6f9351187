/**
 * Traffic of native (ECS-controller) web services that the load-balancer model does not cover:
 *
 * - Service Connect: a client-server service (serviceConnectConfiguration with a `services` entry,
 *   no load balancer) receives `requestsPerMinute` from its clients through the Service Connect
 *   proxy, split between its service revisions by the production weights the deployment set
 *   ({@link NativeDeployments.productionSharesAt}), each revision's share spread evenly over its
 *   running tasks, each task answering per its image's profile. Per minute the world publishes what
 *   ECS publishes for Service Connect (namespace AWS/ECS, ECS developer guide "Amazon ECS CloudWatch
 *   metrics", Service Connect metrics): RequestCount with DiscoveryName (alone, and with ClusterName
 *   and ServiceName), and the target-side HTTPCode_Target_2XX_Count, HTTPCode_Target_5XX_Count and
 *   TargetResponseTime (milliseconds) with TargetDiscoveryName, summed over every client. They are per
 *   service (discovery name), never per service revision: there is no per-revision Service Connect
 *   metric to compare green with blue.
 * - Version metrics: a native web service (ALB, NLB or Service Connect) whose application publishes
 *   its own metrics per version (CUTOVER_VERSION of the task's revision, in each dimension value
 *   holding `{version}`), like a worker (local/world/workers.ts): per minute and version
 *   {@link VERSION_METRICS} — Requests and Errors (Sum per minute) and Latency (ms, one datapoint per
 *   task-minute) — from the requests that version's tasks served (production weight x
 *   requestsPerMinute; behind a load balancer, what the listener's weights and the targets' health
 *   sent them), errors and latency from each image's profile; the same values go to the dimensions
 *   without the version ones. What a config's `analysis.metrics` reads with GetMetricData.
 *
 * Six 10-second slices per minute; noise seeded per service, version and minute.
 */
import type { MetricStore } from './cloudwatch.js';
import type { EcsWorld } from './ecs.js';
import type { NativeDeployments } from './ecs-native.js';
import type { ElbWorld } from './elb.js';
import { streamFor } from './random.js';
import { MINUTE_MS } from './time.js';
import type { TrafficModel } from './traffic.js';
import type { WorldContext } from './types.js';
import { serviceDimensions, UNVERSIONED, versionDimensions } from './workers.js';

export const SERVICE_CONNECT_NAMESPACE = 'AWS/ECS';
/** The per-version metrics a native web service's application publishes (names in its namespace). */
export const VERSION_METRICS = ['Requests', 'Errors', 'Latency'] as const;
export type VersionMetricName = (typeof VERSION_METRICS)[number];

const SLICES = 6;

export interface ServiceConnectTrafficSpec {
  readonly cluster: string;
  readonly service: string;
  /** The Service Connect discovery name (the DiscoveryName / TargetDiscoveryName dimension). */
  readonly discoveryName: string;
  /** Requests per minute the service's clients send it. */
  readonly requestsPerMinute: number;
}

export interface VersionMetricsSpec {
  readonly cluster: string;
  readonly service: string;
  /** The container whose environment names the version (CUTOVER_VERSION). */
  readonly containerName: string;
  /** Custom CloudWatch namespace (not AWS/...). */
  readonly namespace: string;
  /** Dimensions; a value may hold `{version}`. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Behind a load balancer: the production listener or rule whose requests the service serves. */
  readonly routeArn?: string;
}

/** Requests one task served in a slice. */
interface Served {
  readonly taskDefinitionArn: string;
  readonly taskArn: string;
  readonly digest: string | undefined;
  readonly requests: number;
}

interface Acc {
  requests: number;
  errors: number;
  latencyWeighted: number;
  /** Per task running this minute: its latency (ms). */
  readonly tasks: Map<string, number>;
}

export class NativeTrafficModel {
  private readonly meshed: ServiceConnectTrafficSpec[] = [];
  private readonly versioned: VersionMetricsSpec[] = [];

  constructor(
    private readonly ctx: WorldContext,
    private readonly ecs: EcsWorld,
    private readonly elb: ElbWorld,
    private readonly native: NativeDeployments,
    private readonly traffic: TrafficModel,
    private readonly metrics: MetricStore,
  ) {}

  addServiceConnect(spec: ServiceConnectTrafficSpec): void {
    if (!(spec.requestsPerMinute >= 0)) throw new Error(`service connect ${spec.service}: requestsPerMinute must be >= 0 (got ${spec.requestsPerMinute})`);
    if (this.meshed.some((m) => m.cluster === spec.cluster && m.service === spec.service)) throw new Error(`service connect ${spec.cluster}/${spec.service} already exists`);
    this.meshed.push(spec);
  }

  addVersionMetrics(spec: VersionMetricsSpec): void {
    if (!spec.namespace || spec.namespace.startsWith('AWS/')) throw new Error(`version metrics of ${spec.service}: namespace must be a custom namespace (not AWS/...), got '${spec.namespace}'`);
    if (!Object.values(spec.dimensions).some((v) => v.includes('{version}'))) throw new Error(`version metrics of ${spec.service}: no dimension value holds {version}, so every version would publish the same series`);
    if (this.versioned.some((m) => m.cluster === spec.cluster && m.service === spec.service)) throw new Error(`version metrics of ${spec.cluster}/${spec.service} already exist`);
    this.versioned.push(spec);
  }

  /** Produce the metrics of the minute starting at `minuteStart` (aligned). */
  runMinute(minuteStart: number): void {
    for (const m of this.meshed) {
      const acc = this.accumulate(this.meshServed(m, minuteStart), m.cluster, m.service, () => 'all');
      const a = acc.get('all');
      if (a) this.publishServiceConnect(m, a, minuteStart);
    }
    for (const v of this.versioned) {
      const mesh = this.meshed.find((m) => m.cluster === v.cluster && m.service === v.service);
      const served = v.routeArn ? this.routeServed(v, minuteStart) : mesh ? this.meshServed(mesh, minuteStart) : [];
      const acc = this.accumulate(served, v.cluster, v.service, (td) => this.ecs.containerOf(td, v.containerName)?.environment.CUTOVER_VERSION || UNVERSIONED);
      for (const [version, a] of acc) this.publishVersion(v, version, a, minuteStart);
    }
  }

  /** Service Connect: each slice's requests split by the production weights, then evenly over each revision's running tasks. */
  private meshServed(m: ServiceConnectTrafficSpec, minuteStart: number): Served[] {
    const rec = this.ecs.serviceRecord(m.cluster, m.service);
    if (!rec || m.requestsPerMinute <= 0) return [];
    const out: Served[] = [];
    for (let s = 0; s < SLICES; s++) {
      const t = minuteStart + ((s + 0.5) * MINUTE_MS) / SLICES;
      const running = this.ecs.runningTasksAt(m.cluster, m.service, t);
      // A revision with weight but no running task sends nothing: the proxy routes to the endpoints there are.
      const shares = this.native.productionSharesAt(rec.arn, t).filter((x) => x.weight > 0 && running.some((r) => r.taskSetId === x.taskSetId));
      const total = shares.reduce((n, x) => n + x.weight, 0);
      if (total === 0) continue;
      for (const sh of shares) {
        const tasks = running.filter((r) => r.taskSetId === sh.taskSetId);
        const each = ((m.requestsPerMinute / SLICES) * sh.weight) / total / tasks.length;
        for (const task of tasks) out.push({ taskArn: task.taskArn, taskDefinitionArn: task.taskDefinitionArn, digest: this.digestOf(task.taskDefinitionArn), requests: each });
      }
    }
    return out;
  }

  /** Behind a load balancer: what the route's weights sent to each serving target (as the load-balancer traffic model splits it). */
  private routeServed(v: VersionMetricsSpec, minuteStart: number): Served[] {
    const route = v.routeArn as string;
    const rpm = this.traffic.requestsPerMinute(route);
    const created = this.elb.routeCreatedAt(route);
    if (rpm <= 0 || created === undefined) return [];
    const out: Served[] = [];
    for (let s = 0; s < SLICES; s++) {
      const t = minuteStart + ((s + 0.5) * MINUTE_MS) / SLICES;
      if (t < created) continue;
      const tdOf = new Map(this.ecs.runningTasksAt(v.cluster, v.service, t).map((r) => [r.taskArn, r.taskDefinitionArn]));
      const groups = (this.elb.weightsAt(route, t) ?? []).filter((g) => g.weight > 0);
      const total = groups.reduce((n, g) => n + g.weight, 0);
      if (total === 0) continue;
      for (const g of groups) {
        const targets = this.elb.targets(g.targetGroupArn, t);
        const healthy = targets.filter((x) => x.state === 'healthy');
        const serving = healthy.length > 0 ? healthy : targets.filter((x) => x.state === 'unhealthy' || x.state === 'initial');
        for (const x of serving) {
          const td = tdOf.get(x.target.taskArn);
          if (!td) continue;
          out.push({ taskArn: x.target.taskArn, taskDefinitionArn: td, digest: x.target.digest, requests: ((rpm / SLICES) * g.weight) / total / serving.length });
        }
      }
    }
    return out;
  }

  private digestOf(taskDefinitionArn: string): string | undefined {
    const td = this.ecs.taskDefinitionRecord(taskDefinitionArn);
    const image = td?.containerDefinitions?.[0]?.image;
    return image ? this.ctx.digestOfImage(image) : undefined;
  }

  private accumulate(served: readonly Served[], _cluster: string, _service: string, keyOf: (taskDefinitionArn: string) => string): Map<string, Acc> {
    const out = new Map<string, Acc>();
    for (const x of served) {
      const p = this.ctx.profile(x.digest);
      const key = keyOf(x.taskDefinitionArn);
      const a = out.get(key) ?? { requests: 0, errors: 0, latencyWeighted: 0, tasks: new Map() };
      a.requests += x.requests;
      a.errors += x.requests * Math.min(1, Math.max(0, p.errorRate));
      a.latencyWeighted += x.requests * p.latencyMs;
      a.tasks.set(x.taskArn, p.latencyMs);
      out.set(key, a);
    }
    return out;
  }

  /** Rounded requests and binomially noised errors of a minute. */
  private counts(a: Acc, key: string): { requests: number; errors: number; noise: () => number } {
    const rng = streamFor(this.ctx.seed, key);
    const requests = Math.round(a.requests);
    const rate = a.requests > 0 ? a.errors / a.requests : 0;
    const mean = requests * rate;
    const errors = Math.min(requests, Math.max(0, Math.round(mean + rng.normal() * Math.sqrt(mean * (1 - rate)))));
    return { requests, errors, noise: () => rng.normal() };
  }

  private publishServiceConnect(m: ServiceConnectTrafficSpec, a: Acc, minuteStart: number): void {
    const { requests, errors, noise } = this.counts(a, `service-connect|${m.cluster}/${m.service}|${minuteStart}`);
    if (requests <= 0) return;
    const server: Array<Record<string, string>> = [{ DiscoveryName: m.discoveryName }, { ClusterName: m.cluster, ServiceName: m.service, DiscoveryName: m.discoveryName }];
    const target = { TargetDiscoveryName: m.discoveryName };
    for (const d of server) this.metrics.put(SERVICE_CONNECT_NAMESPACE, 'RequestCount', d, minuteStart, one(requests));
    if (requests - errors > 0) this.metrics.put(SERVICE_CONNECT_NAMESPACE, 'HTTPCode_Target_2XX_Count', target, minuteStart, one(requests - errors));
    if (errors > 0) this.metrics.put(SERVICE_CONNECT_NAMESPACE, 'HTTPCode_Target_5XX_Count', target, minuteStart, one(errors));
    const ms = Math.max(0.1, (a.latencyWeighted / a.requests) * (1 + 0.05 * noise()));
    this.metrics.put(SERVICE_CONNECT_NAMESPACE, 'TargetResponseTime', target, minuteStart, { sum: ms * requests, count: requests, min: ms * 0.4, max: ms * 3 });
  }

  private publishVersion(v: VersionMetricsSpec, version: string, a: Acc, minuteStart: number): void {
    const { requests, errors, noise } = this.counts(a, `version|${v.cluster}/${v.service}|${version}|${minuteStart}`);
    const sets = [versionDimensions(v.dimensions, version), serviceDimensions(v.dimensions)].filter((d, k, all) => k === 0 || JSON.stringify(d) !== JSON.stringify(all[0]));
    for (const dims of sets) {
      this.metrics.put(v.namespace, 'Requests', dims, minuteStart, one(requests));
      this.metrics.put(v.namespace, 'Errors', dims, minuteStart, one(errors));
    }
    for (const latencyMs of a.tasks.values()) {
      const ms = Math.max(0.1, latencyMs * (1 + 0.05 * noise()));
      for (const dims of sets) this.metrics.put(v.namespace, 'Latency', dims, minuteStart, one(ms));
    }
  }
}

const one = (n: number) => ({ sum: n, count: 1, min: n, max: n });
