/**
 * Types shared by the services of the local AWS world.
 */
import type { VirtualClock } from '../contracts.js';
import type { Rng } from './random.js';

/** How an image behaves when it runs: what the traffic model and the task lifecycle read. */
export interface ImageProfile {
  /** Fraction of requests answered with a 5xx by the target, 0..1. */
  readonly errorRate: number;
  /** Mean target response time in milliseconds. */
  readonly latencyMs: number;
  /**
   * 99th percentile of the target response time in milliseconds: above latencyMs, at most 14 times
   * it (a lognormal fitted to both: local/world/latency.ts). Default 2.5 x latencyMs.
   */
  readonly p99LatencyMs?: number;
  /** false: targets of this image fail their health checks forever (state `unhealthy`). Default true. */
  readonly healthy?: boolean;
  /**
   * true: tasks of this image exit as they start and never count as RUNNING: a task-set task stops
   * with stopCode EssentialContainerExited, stoppedReason "Essential container in task exited" and
   * the container's exitCode (`exitCode` when not 0, else 1), and the service scheduler launches a
   * replacement at once (a crash loop). Default false.
   */
  readonly crashes?: boolean;
  /**
   * true: the container is killed for its memory as it starts: like `crashes`, with the container's
   * reason "OutOfMemoryError: Container killed due to memory usage" and exit code 137. Default false.
   */
  readonly oom?: boolean;
  /** Exit code of a one-off task (RunTask) of this image; of a crashing task when not 0. Default 0. */
  readonly exitCode?: number;
  /** How long a one-off task of this image runs before it exits (virtual ms). Default: world setting. */
  readonly runMs?: number;
}
export type ResolvedImageProfile = Required<Omit<ImageProfile, 'runMs' | 'p99LatencyMs'>> & { readonly runMs?: number; readonly p99LatencyMs?: number };

/** Used for any image without a profile: a healthy, quiet release. */
export const DEFAULT_IMAGE_PROFILE: ResolvedImageProfile = {
  errorRate: 0.001,
  latencyMs: 80,
  healthy: true,
  crashes: false,
  oom: false,
  exitCode: 0,
};

/** An event exactly as EventBridge delivers it (the envelope AWS services emit). */
export interface AwsEvent<D = Record<string, unknown>> {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: D;
}
export type AwsEventSink = (event: AwsEvent) => void;

/** Timing knobs of the world (all virtual milliseconds). */
export interface WorldSettings {
  /** From task launch to RUNNING. Default 20 s. */
  readonly taskStartDelayMs: number;
  /** Default health lag of a target group (interval x healthy threshold = 10 s x 3). */
  readonly healthCheckIntervalSeconds: number;
  readonly healthyThresholdCount: number;
  /** Deregistration delay of target groups; also how long a deleted task set stays DRAINING. Default 30 s. */
  readonly deregistrationDelayMs: number;
  /** How long a one-off task (RunTask) runs before it exits. Default 30 s. */
  readonly runTaskDurationMs: number;
  /** Production requests per minute of a service created with createService. Default 600. */
  readonly requestsPerMinute: number;
  /**
   * How long a RegisterTaskDefinition call occupies its family: another registration of the same
   * family within this window answers `ClientException: Too many concurrent attempts to create a
   * new revision of the specified family.`, as ECS does for concurrent registrations (issue #13,
   * item 4). The world runs calls one at a time on a virtual clock, so "concurrent" is "within this
   * window"; 0 (the default) turns it off, since sequential registrations at one virtual instant
   * (a test's setup) are not concurrent in AWS. A scenario that fans out one push to services on
   * one family sets it (e.g. 1000).
   */
  readonly familyRegistrationMs: number;
  /**
   * How long after a listener or rule starts naming a target group ECS still answers CreateTaskSet
   * with "The target group ... does not have an associated load balancer" (ELB and ECS settle
   * eventually). Default 1 s.
   */
  readonly targetGroupAssociationMs: number;
  /**
   * How often ECS checks the CloudWatch alarms of a native (ECS-controller) deployment
   * (deploymentConfiguration.alarms): ECS polls them. Default 60 s (local/world/ecs-native.ts).
   */
  readonly nativeAlarmPollMs: number;
  /**
   * The delay ECS adds to TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT when a native deployment's
   * load balancer is a Network Load Balancer (ECS developer guide, "Network Load Balancer resources
   * for Amazon ECS blue/green, linear and canary deployments": 10 minutes). Default 600 s.
   */
  readonly nativeNlbShiftDelayMs: number;
}
export const DEFAULT_SETTINGS: WorldSettings = {
  taskStartDelayMs: 20_000,
  healthCheckIntervalSeconds: 10,
  healthyThresholdCount: 3,
  deregistrationDelayMs: 30_000,
  runTaskDurationMs: 30_000,
  requestsPerMinute: 600,
  familyRegistrationMs: 0,
  targetGroupAssociationMs: 1_000,
  nativeAlarmPollMs: 60_000,
  nativeNlbShiftDelayMs: 600_000,
};

/** What every service of the world can reach. */
export interface WorldContext {
  readonly clock: VirtualClock;
  readonly accountId: string;
  readonly region: string;
  readonly seed: number;
  /** Ids and ARN suffixes. */
  readonly ids: Rng;
  readonly settings: WorldSettings;
  /** The profile of an image digest (the default one when none was set). */
  profile(digest: string | undefined): ResolvedImageProfile;
  /** The digest an image reference runs: `...@sha256:..` directly, `repo:tag` through ECR. */
  digestOfImage(image: string | undefined): string | undefined;
  /** Whether an image URI of this account's ECR registry exists (so a task can pull it). */
  ecrHasImage(image: string): boolean;
  /** Hand an AWS-shaped event to the registered sinks. */
  emit(event: AwsEvent): void;
}
