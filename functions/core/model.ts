/**
 * The deployment domain model shared by core, adapters, handlers and the local runtime.
 * Plain data only (it travels through Step Functions state as JSON).
 */

export const DeploymentStatus = {
  QUEUED: 'QUEUED',
  IN_PROGRESS: 'IN_PROGRESS',
  SUCCEEDED: 'SUCCEEDED',
  ROLLED_BACK: 'ROLLED_BACK',
  FAILED: 'FAILED',
  SUPERSEDED: 'SUPERSEDED',
} as const;
export type DeploymentStatus = (typeof DeploymentStatus)[keyof typeof DeploymentStatus];

export const TERMINAL_STATUSES: readonly DeploymentStatus[] = [
  DeploymentStatus.SUCCEEDED,
  DeploymentStatus.ROLLED_BACK,
  DeploymentStatus.FAILED,
  DeploymentStatus.SUPERSEDED,
];
export const isTerminal = (s: DeploymentStatus): boolean => TERMINAL_STATUSES.includes(s);

/** True when the record's revision once went live (promoted): it SUCCEEDED, or its timeline has a `promote`. */
export function wasPromoted(r: Pick<DeploymentRecord, 'status' | 'timeline'>): boolean {
  return r.status === DeploymentStatus.SUCCEEDED || r.timeline.some((e) => e.kind === 'promote');
}

/** One step of a plan: a discriminated union, handled with exhaustive switches. */
export type PlanStep =
  | { readonly kind: 'shift'; readonly percent: number }
  | { readonly kind: 'bake'; readonly seconds: number }
  | { readonly kind: 'approval'; readonly timeoutSeconds: number; readonly onTimeout: 'abort' | 'promote' };

export interface Plan {
  readonly strategy: string;
  readonly steps: readonly PlanStep[];
}

/** A weighted forward: the production weight per target group. Always sums to 100. */
export interface TargetGroupWeight {
  readonly targetGroupArn: string;
  readonly weight: number;
}

/** Where production traffic is routed: a listener's default action or one listener rule. */
export type Route = { readonly kind: 'listener'; readonly arn: string } | { readonly kind: 'rule'; readonly arn: string };

export interface ImageRef {
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string;
  /** `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:...` — always by digest. */
  readonly uri: string;
}

/** What a deployment is moving from (blue) and to (green). */
export interface Side {
  /** The target group of a web service's side; absent for a worker (no load balancer). */
  readonly targetGroupArn?: string;
  readonly taskSetId?: string;
  readonly taskSetArn?: string;
  readonly taskDefinitionArn?: string;
  /** A worker's side: the CUTOVER_VERSION its revision carries (what its metrics are tagged with). */
  readonly version?: string;
}

export interface TimelineEntry {
  /** Unique per deployment (e.g. `shift-2`): appending the same key twice changes nothing. */
  readonly key: string;
  readonly at: string;
  readonly kind: string;
  readonly detail?: Record<string, unknown>;
}

export interface DeploymentReason {
  /** An error name from functions/core/errors.ts, or `Promoted`. */
  readonly code: string;
  readonly message: string;
}

export interface DeploymentRecord {
  readonly deploymentId: string;
  readonly service: string;
  readonly environment: string;
  readonly status: DeploymentStatus;
  readonly image: ImageRef;
  readonly strategy: string;
  readonly plan?: Plan;
  readonly blue?: Side;
  readonly green?: Side;
  readonly alarmNames: readonly string[];
  readonly reason?: DeploymentReason;
  readonly timeline: readonly TimelineEntry[];
  /** The callback token of the bake, approval (or hold) or termination wait currently waiting, if any. */
  readonly taskToken?: string;
  readonly waitingFor?: WaitingFor;
  readonly executionArn?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Epoch seconds; DynamoDB TTL. Set when the deployment ends. */
  readonly expiresAt?: number;
  readonly controls?: readonly OperatorAction[];
  readonly analysis?: readonly unknown[];
}

/**
 * What a stored callback token waits for: a `bake` (alarms armed, analysis at the end), an
 * `approval` (an approval step of the plan, or an operator's hold), or the `termination` wait after
 * promotion (blue still running: a rollback is a weight flip; alarms armed).
 */
/**
 * What a deployment's stored task token waits for. `native`: the deploy state machine follows ECS's
 * own deployment (engine native, issue #17); ECS and Cutover's lifecycle hook hold its bakes and
 * approvals, so only an abort (SendTaskFailure: StopServiceDeployment ROLLBACK) answers that token.
 */
export type WaitingFor = 'bake' | 'approval' | 'termination' | 'native';

export interface OperatorAction {
  readonly action: string;
  readonly by: string;
  readonly at: string;
  readonly detail?: Record<string, unknown>;
}

/** The per service-and-environment lock. */
export interface LockState {
  readonly holder?: string;
  readonly leaseExpiresAt?: number;
  /** The newest deployment waiting for the lock (older waiters are superseded by it). */
  readonly waiter?: { readonly deploymentId: string; readonly digest: string; readonly requestedAt: string };
  /** The waiter's parked callback token (deploy WaitForLockRelease): a release wakes it. */
  readonly parked?: { readonly deploymentId: string; readonly token: string };
}

/** The stable-version pointer per service and environment. */
export interface StablePointer {
  readonly deploymentId: string;
  readonly taskDefinitionArn: string;
  readonly digest?: string;
  /** Absent for a worker (no load balancer). */
  readonly targetGroupArn?: string;
  readonly taskSetId?: string;
  readonly updatedAt: string;
  /** The previous stable version (for rollback after success). */
  readonly previous?: Omit<StablePointer, 'previous'>;
}

/**
 * Cutover's own events on its bus: `detail-type` is `Deployment <Kind>` for deployments, and the
 * maintenance reports (`Cleanup Report` per service or repository, `Cleanup Completed` per run,
 * `Scaling Action` per scaling decision).
 */
export const LifecycleEvent = {
  Started: 'Deployment Started',
  StepCompleted: 'Deployment Step Completed',
  Succeeded: 'Deployment Succeeded',
  RolledBack: 'Deployment Rolled Back',
  Failed: 'Deployment Failed',
  Superseded: 'Deployment Superseded',
  CleanupReport: 'Cleanup Report',
  CleanupCompleted: 'Cleanup Completed',
  ScalingAction: 'Scaling Action',
  /** A release waits for an approval before an environment (functions/core/release.ts). */
  ReleaseApprovalRequested: 'Release Approval Requested',
  ReleaseSucceeded: 'Release Succeeded',
  ReleaseFailed: 'Release Failed',
} as const;
export type LifecycleEvent = (typeof LifecycleEvent)[keyof typeof LifecycleEvent];
export const EVENT_SOURCE = 'cutover';
