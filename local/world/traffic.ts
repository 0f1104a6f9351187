/**
 * The traffic model: every route (a listener's default action or a listener rule) receives
 * `requestsPerMinute`, split across its forward target groups by weight (as the weights stood at
 * each moment: six 10-second slices per minute). A target group's share is served by its healthy
 * targets (when none is healthy, ALB fails open to all registered ones; with no target at all the
 * load balancer answers 503 itself). Each target answers per its image's profile: errorRate,
 * latencyMs (the mean) and p99LatencyMs (its tail: local/world/latency.ts, from which
 * TargetResponseTime percentiles are computed). Per minute the ALB metrics are recorded in
 * AWS/ApplicationELB with TargetGroup + LoadBalancer dimensions (RequestCount,
 * HTTPCode_Target_5XX_Count, HTTPCode_Target_2XX_Count, TargetResponseTime, HealthyHostCount,
 * UnHealthyHostCount) and per LoadBalancer (RequestCount, HTTPCode_Target_5XX_Count,
 * HTTPCode_Target_2XX_Count, TargetResponseTime, HTTPCode_ELB_5XX_Count), as the ALB metrics
 * reference lists their dimensions: host counts exist per target group only. Like ALB, count
 * metrics with no requests are not published at all.
 * Noise is seeded per target group and minute, so a run is reproducible.
 *
 * A route on a Network Load Balancer publishes what NLB publishes instead (AWS/NetworkELB, the
 * Elastic Load Balancing guide "CloudWatch metrics for your Network Load Balancer"): per
 * TargetGroup + LoadBalancer only HealthyHostCount and UnHealthyHostCount; per LoadBalancer
 * NewFlowCount (one flow per request: the world's model), ActiveFlowCount (Average: flows per second
 * x their duration), ProcessedBytes ({@link NLB_BYTES_PER_FLOW} a flow), TCP_Target_Reset_Count
 * (a failing request is a reset from the target: the world's model) and TCP_ELB_Reset_Count (flows
 * with no target to go to). NLB has no HTTP codes and no response time.
 */
import { ALB_NAMESPACE, type MetricStore } from './cloudwatch.js';

export const NLB_NAMESPACE = 'AWS/NetworkELB';
/** Bytes a flow carries through the NLB (request, response and TCP/IP headers): the world's constant. */
export const NLB_BYTES_PER_FLOW = 4_096;
interface NlbAcc {
  flows: number;
  resets: number;
  elbResets: number;
  /** Flow-seconds (sum of each flow's duration). */
  flowSeconds: number;
}
import { DEFAULT_TAIL_RATIO, lognormalFor, MAX_TAIL_RATIO, mixtureQuantile } from './latency.js';
import type { ElbWorld } from './elb.js';
import { streamFor } from './random.js';
import { MINUTE_MS } from './time.js';
import type { WorldContext } from './types.js';

const SLICES = 6;

interface TgAcc {
  lbFullName: string;
  requests: number;
  errors: number;
  latencyWeighted: number;
  /** Requests served per image, with its mean and p99 latency (ms). */
  byImage: Map<string, { requests: number; meanMs: number; p99Ms: number }>;
}

export class TrafficModel {
  private readonly rpm = new Map<string, number>();

  constructor(
    private readonly ctx: WorldContext,
    private readonly elb: ElbWorld,
    private readonly metrics: MetricStore,
  ) {}

  setRequestsPerMinute(routeArn: string, requestsPerMinute: number): void {
    if (!(requestsPerMinute >= 0)) throw new Error(`requestsPerMinute must be >= 0 (got ${requestsPerMinute})`);
    if (!this.elb.hasListener(routeArn) && !this.elb.hasRule(routeArn)) throw new Error(`no listener or rule ${routeArn} in the world`);
    this.rpm.set(routeArn, requestsPerMinute);
  }
  requestsPerMinute(routeArn: string): number {
    return this.rpm.get(routeArn) ?? 0;
  }

  /** Produce the metrics of the minute starting at `minuteStart` (aligned). */
  runMinute(minuteStart: number): void {
    const acc = new Map<string, TgAcc>();
    const elb5xx = new Map<string, number>();
    const lbRequests = new Map<string, number>();
    const nlb = new Map<string, NlbAcc>();
    for (const [route, rpm] of this.rpm) {
      if (rpm <= 0) continue;
      const lb = this.elb.loadBalancerOfRoute(route);
      const created = this.elb.routeCreatedAt(route);
      if (!lb || created === undefined) continue;
      if (this.elb.loadBalancerType(route) === 'network') {
        this.runNlbRoute(route, rpm, created, minuteStart, nlb.get(lb.fullName) ?? nlb.set(lb.fullName, { flows: 0, resets: 0, elbResets: 0, flowSeconds: 0 }).get(lb.fullName) as NlbAcc);
        continue;
      }
      for (let s = 0; s < SLICES; s++) {
        const t = minuteStart + ((s + 0.5) * MINUTE_MS) / SLICES;
        if (t < created) continue;
        const groups = (this.elb.weightsAt(route, t) ?? []).filter((g) => g.weight > 0);
        const total = groups.reduce((n, g) => n + g.weight, 0);
        const sliceRequests = rpm / SLICES;
        lbRequests.set(lb.fullName, (lbRequests.get(lb.fullName) ?? 0) + sliceRequests);
        if (total === 0) {
          elb5xx.set(lb.fullName, (elb5xx.get(lb.fullName) ?? 0) + sliceRequests);
          continue;
        }
        for (const g of groups) {
          const req = (sliceRequests * g.weight) / total;
          const targets = this.elb.targets(g.targetGroupArn, t);
          const healthy = targets.filter((x) => x.state === 'healthy');
          const serving = healthy.length > 0 ? healthy : targets.filter((x) => x.state === 'unhealthy' || x.state === 'initial');
          if (serving.length === 0) {
            elb5xx.set(lb.fullName, (elb5xx.get(lb.fullName) ?? 0) + req);
            continue;
          }
          const a = acc.get(g.targetGroupArn) ?? { lbFullName: lb.fullName, requests: 0, errors: 0, latencyWeighted: 0, byImage: new Map() };
          for (const x of serving) {
            const p = this.ctx.profile(x.target.digest);
            const r = req / serving.length;
            a.requests += r;
            a.errors += r * Math.min(1, Math.max(0, p.errorRate));
            a.latencyWeighted += r * p.latencyMs;
            const img = a.byImage.get(x.target.digest);
            if (img) img.requests += r;
            else a.byImage.set(x.target.digest, { requests: r, meanMs: p.latencyMs, p99Ms: p.p99LatencyMs ?? p.latencyMs * DEFAULT_TAIL_RATIO });
          }
          acc.set(g.targetGroupArn, a);
        }
      }
    }
    for (const [tgArn, a] of acc) this.recordTargetGroup(tgArn, a, minuteStart);
    for (const [lbName, n] of lbRequests) {
      const requests = Math.round(n);
      if (requests > 0) this.metrics.put(ALB_NAMESPACE, 'RequestCount', { LoadBalancer: lbName }, minuteStart, count(requests));
    }
    for (const [lbName, n] of elb5xx) {
      const errors = Math.round(n);
      if (errors > 0) {
        this.metrics.put(ALB_NAMESPACE, 'HTTPCode_ELB_5XX_Count', { LoadBalancer: lbName }, minuteStart, count(errors));
        this.metrics.put(ALB_NAMESPACE, 'HTTPCode_ELB_503_Count', { LoadBalancer: lbName }, minuteStart, count(errors));
      }
    }
    for (const [lbName, a] of nlb) this.recordNlb(lbName, a, minuteStart);
    this.recordHostCounts(minuteStart);
  }

  /** One NLB route's minute: flows split by weight, each target answering per its image's profile. */
  private runNlbRoute(route: string, rpm: number, created: number, minuteStart: number, a: NlbAcc): void {
    for (let s = 0; s < SLICES; s++) {
      const t = minuteStart + ((s + 0.5) * MINUTE_MS) / SLICES;
      if (t < created) continue;
      const groups = (this.elb.weightsAt(route, t) ?? []).filter((g) => g.weight > 0);
      const total = groups.reduce((n, g) => n + g.weight, 0);
      const flows = rpm / SLICES;
      if (total === 0) {
        a.elbResets += flows;
        continue;
      }
      for (const g of groups) {
        const req = (flows * g.weight) / total;
        const targets = this.elb.targets(g.targetGroupArn, t);
        const healthy = targets.filter((x) => x.state === 'healthy');
        // NLB fails open to all registered targets when none is healthy.
        const serving = healthy.length > 0 ? healthy : targets.filter((x) => x.state === 'unhealthy' || x.state === 'initial');
        if (serving.length === 0) {
          a.elbResets += req;
          continue;
        }
        for (const x of serving) {
          const p = this.ctx.profile(x.target.digest);
          const r = req / serving.length;
          a.flows += r;
          a.resets += r * Math.min(1, Math.max(0, p.errorRate));
          a.flowSeconds += (r * p.latencyMs) / 1000;
        }
      }
    }
  }

  private recordNlb(lbName: string, a: NlbAcc, minuteStart: number): void {
    const dims = { LoadBalancer: lbName };
    const rng = streamFor(this.ctx.seed, `traffic-nlb|${lbName}|${minuteStart}`);
    const flows = Math.round(a.flows);
    const rate = a.flows > 0 ? a.resets / a.flows : 0;
    const mean = flows * rate;
    const resets = Math.min(flows, Math.max(0, Math.round(mean + rng.normal() * Math.sqrt(mean * (1 - rate)))));
    const active = a.flowSeconds / 60;
    // ActiveFlowCount is reported always; the counts only when not zero (as NLB reports them).
    this.metrics.put(NLB_NAMESPACE, 'ActiveFlowCount', dims, minuteStart, { sum: active, count: 1, min: active, max: active });
    if (flows > 0) {
      this.metrics.put(NLB_NAMESPACE, 'NewFlowCount', dims, minuteStart, count(flows));
      this.metrics.put(NLB_NAMESPACE, 'ProcessedBytes', dims, minuteStart, count(flows * NLB_BYTES_PER_FLOW));
    }
    if (resets > 0) this.metrics.put(NLB_NAMESPACE, 'TCP_Target_Reset_Count', dims, minuteStart, count(resets));
    const elbResets = Math.round(a.elbResets);
    if (elbResets > 0) this.metrics.put(NLB_NAMESPACE, 'TCP_ELB_Reset_Count', dims, minuteStart, count(elbResets));
  }

  private recordTargetGroup(tgArn: string, a: TgAcc, minuteStart: number): void {
    const tgName = this.elb.targetGroupFullName(tgArn);
    if (!tgName) return;
    const dims = { TargetGroup: tgName, LoadBalancer: a.lbFullName };
    const requests = Math.round(a.requests);
    if (requests <= 0) return;
    const rng = streamFor(this.ctx.seed, `traffic|${tgArn}|${minuteStart}`);
    const meanErrors = (a.errors * requests) / a.requests;
    const rate = meanErrors / requests;
    const errors = Math.min(requests, Math.max(0, Math.round(meanErrors + rng.normal() * Math.sqrt(meanErrors * (1 - rate)))));
    const noise = 1 + 0.05 * rng.normal();
    const latencySec = Math.max(0.001, (a.latencyWeighted / a.requests / 1000) * noise);
    // Each image's lognormal, scaled by the minute's noise and weighted by the requests it served.
    const distribution = [...a.byImage.values()].map((img) => {
      const meanSec = Math.max(0.001, (img.meanMs / 1000) * noise);
      const ratio = Math.min(MAX_TAIL_RATIO, Math.max(1.01, img.p99Ms / Math.max(img.meanMs, 1e-9)));
      return lognormalFor(meanSec, meanSec * ratio, (img.requests * requests) / a.requests);
    });
    const latency = {
      sum: latencySec * requests,
      count: requests,
      min: latencySec * 0.4,
      max: Math.max(latencySec * 3, mixtureQuantile(distribution, 0.9999) ?? 0),
      distribution,
    };
    const lbDims = { LoadBalancer: a.lbFullName };
    this.metrics.put(ALB_NAMESPACE, 'RequestCount', dims, minuteStart, count(requests));
    for (const d of [dims, lbDims]) {
      if (errors > 0) this.metrics.put(ALB_NAMESPACE, 'HTTPCode_Target_5XX_Count', d, minuteStart, count(errors));
      if (requests - errors > 0) this.metrics.put(ALB_NAMESPACE, 'HTTPCode_Target_2XX_Count', d, minuteStart, count(requests - errors));
      this.metrics.put(ALB_NAMESPACE, 'TargetResponseTime', d, minuteStart, latency);
    }
  }

  /** HealthyHostCount / UnHealthyHostCount (minute averages) of every target group behind a load balancer. */
  private recordHostCounts(minuteStart: number): void {
    for (const tg of this.elb.targetGroupArns()) {
      const lbs = this.elb.loadBalancersOf(tg);
      const tgName = this.elb.targetGroupFullName(tg);
      if (lbs.length === 0 || !tgName) continue;
      let healthy = 0;
      let unhealthy = 0;
      for (let s = 0; s < SLICES; s++) {
        const t = minuteStart + ((s + 0.5) * MINUTE_MS) / SLICES;
        for (const x of this.elb.targets(tg, t)) {
          if (x.state === 'healthy') healthy++;
          else if (x.state === 'unhealthy') unhealthy++;
        }
      }
      for (const lb of lbs) {
        const dims = { TargetGroup: tgName, LoadBalancer: lb.fullName };
        const ns = lb.fullName.startsWith('net/') ? NLB_NAMESPACE : ALB_NAMESPACE;
        const h = healthy / SLICES;
        const u = unhealthy / SLICES;
        this.metrics.put(ns, 'HealthyHostCount', dims, minuteStart, { sum: h, count: 1, min: h, max: h });
        this.metrics.put(ns, 'UnHealthyHostCount', dims, minuteStart, { sum: u, count: 1, min: u, max: u });
      }
    }
  }
}

const count = (n: number) => ({ sum: n, count: 1, min: n, max: n });
