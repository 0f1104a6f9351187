/**
 * The narrow interfaces (ports) the domain needs from the outside world. functions/aws implements
 * each over one SDK v3 client; tests and the local runtime reach the same adapters through the
 * real SDK clients. No SDK types leak through here.
 */
import type {
  DeploymentReason,
  DeploymentRecord,
  DeploymentStatus,
  LifecycleEvent,
  LockState,
  OperatorAction,
  Route,
  StablePointer,
  TargetGroupWeight,
  TimelineEntry,
  WaitingFor,
} from './model.js';
import type { ScalingState } from './maintenance.js';
import type { HookReply } from './hooks.js';
import type { ReleaseRecord, ReleaseStage, ReleaseStatus } from './release.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Production (or test) traffic on an ALB listener default action or a listener rule. */
export interface TrafficRouter {
  /** The weighted forward of the route, as AWS holds it. A plain forward to one group reads as weight 100. */
  readWeights(route: Route): Promise<TargetGroupWeight[]>;
  /**
   * Set the forward weights, keeping every other setting of the action (stickiness, other actions
   * such as authenticate-oidc, the rule's conditions). Only the given target groups are named.
   */
  setWeights(route: Route, weights: readonly TargetGroupWeight[]): Promise<void>;
}

/**
 * How a traffic shape moves production to green (functions/core/traffic.ts implements one per shape):
 * `alb-weights`, a listener's forward weights between two target groups; `task-share`, the share of
 * a worker's tasks (no load balancer: competing consumers split the work in proportion to tasks).
 */
export type TrafficKind = 'alb-weights' | 'task-share';

/** What a shape holds, read back from AWS (never what was asked for). */
export interface TrafficReading {
  readonly kind: TrafficKind;
  /**
   * Green's share actually held, percent: its weight (alb-weights), or its tasks over all tasks
   * ECS computes for the two task sets, rounded (task-share: 1 task of 3 is 33).
   */
  readonly greenPercent: number;
  /** What was read (weights, or desired/computed/running counts per task set). */
  readonly detail: Record<string, unknown>;
}

/** A verification answers verified, or pending with why (never absent, never a bare boolean). */
export type TrafficVerification =
  | { readonly status: 'verified'; readonly reading: TrafficReading }
  | { readonly status: 'pending'; readonly reading: TrafficReading; readonly why: string };

/** One traffic shape, bound to one deployment's blue and green. */
export interface TrafficShape {
  readonly kind: TrafficKind;
  /**
   * Capability: a set that is not held yet may still settle (task-share: tasks start), so pending
   * is looked at again until the deadline; false (alb-weights: a listener holds what was set at
   * once) makes pending a WeightVerificationFailed.
   */
  readonly settles: boolean;
  /** Put `percent` of production on green (0-100), then read back what AWS holds. */
  setShare(percent: number): Promise<TrafficReading>;
  readShare(): Promise<TrafficReading>;
  /** Does AWS hold `percent` on green (task-share: the counts computed and running)? */
  verify(percent: number): Promise<TrafficVerification>;
  /**
   * Everything back on blue and read back: weights blue 100 / green 0 and the test listener on blue
   * (alb-weights); blue's task set at 100 % and green's at 0 (task-share, green is deleted by the caller).
   */
  resetToBlue(): Promise<TrafficReading>;
}

/** A task of a task set, as DescribeTasks reports it (what the worker health gate reads). */
export interface TaskInfo {
  readonly taskArn: string;
  readonly lastStatus: string;
  readonly desiredStatus?: string;
  /** HEALTHY / UNHEALTHY / UNKNOWN (UNKNOWN also when the task definition has no health check). */
  readonly healthStatus?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containers: ReadonlyArray<{ readonly name: string; readonly exitCode?: number; readonly reason?: string; readonly healthStatus?: string; readonly lastStatus?: string }>;
}

export interface TaskReader {
  /** The tasks a task set started (ListTasks startedBy = the task set id, then DescribeTasks), at most `limit`. */
  tasksOfTaskSet(cluster: string, taskSetId: string, desiredStatus: 'RUNNING' | 'STOPPED', limit?: number): Promise<TaskInfo[]>;
}

/** Targets not healthy, by state and ELB's reason code (Target.NotInUse, Elb.InitialHealthChecking ...). */
export interface TargetHealthReason {
  readonly state: string;
  readonly reason?: string;
  readonly description?: string;
  readonly count: number;
}

export interface TargetHealthReader {
  /**
   * Healthy and total registered targets of a target group, and why the others are not healthy
   * (absent when every target is healthy or the reader cannot tell).
   */
  health(targetGroupArn: string): Promise<{ healthy: number; total: number; reasons?: readonly TargetHealthReason[] }>;
}

export interface TaskSetInfo {
  readonly id: string;
  readonly arn: string;
  readonly status: 'PRIMARY' | 'ACTIVE' | 'DRAINING' | string;
  readonly taskDefinitionArn: string;
  readonly targetGroupArns: readonly string[];
  readonly scalePercent: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly computedDesiredCount: number;
  readonly stabilityStatus: 'STEADY_STATE' | 'STABILIZING' | string;
  readonly externalId?: string;
  readonly createdAt?: string;
}

export interface ServiceInfo {
  readonly arn: string;
  readonly desiredCount: number;
  readonly deploymentController: string;
  readonly taskSets: readonly TaskSetInfo[];
}

export interface CreateTaskSetInput {
  readonly cluster: string;
  readonly service: string;
  readonly taskDefinitionArn: string;
  /** Absent for a worker (a service with no load balancer): the task set gets no loadBalancers. */
  readonly targetGroupArn?: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly scalePercent: number;
  /** Idempotency: the deployment id. A retry with the same token returns the same task set. */
  readonly clientToken: string;
  readonly externalId: string;
  /** Network configuration etc. copied from the stable task set. */
  readonly template?: unknown;
}

export interface TaskSets {
  describeService(cluster: string, service: string): Promise<ServiceInfo>;
  createTaskSet(input: CreateTaskSetInput): Promise<TaskSetInfo>;
  updateScale(cluster: string, service: string, taskSetId: string, scalePercent: number): Promise<void>;
  setPrimary(cluster: string, service: string, taskSetId: string): Promise<void>;
  /** Deleting a task set that is already gone is not an error. */
  deleteTaskSet(cluster: string, service: string, taskSetId: string): Promise<void>;
  /**
   * Retire a task set: scale it to 0, then delete it. One that is already gone (a retry after the
   * delete) is retired; every other failure is the caller's (nothing is swallowed).
   */
  retireTaskSet(cluster: string, service: string, taskSetId: string): Promise<void>;
  /**
   * The container port and network template of an existing task set (to copy to green).
   * `loadBalanced` false (a worker): a task set with no load balancer answers port 0.
   */
  describeTaskSetTemplate(cluster: string, service: string, taskSetId: string, loadBalanced?: boolean): Promise<{
    containerPort: number;
    template: unknown;
  }>;
}

/** A service's task sets and their scales, nothing else (a worker's share of tasks: TaskShareTraffic, the scale handler). */
export type TaskSetScales = Pick<TaskSets, 'describeService' | 'updateScale'>;

/** The IAM roles a task definition passes to its tasks (absent: none). */
export interface TaskDefinitionRoles {
  readonly taskRoleArn?: string;
  readonly executionRoleArn?: string;
}

export interface RegisterWithImageOptions {
  /**
   * Called with the roles the new revision carries over, after the source revision is read and
   * before anything is registered; what it throws stops the registration and is rethrown.
   */
  readonly checkRoles?: (roles: TaskDefinitionRoles) => void;
  /** Variables set in the target container's environment, replacing earlier values of the same names. */
  readonly environment?: Readonly<Record<string, string>>;
}

/** A task-definition revision as ECS describes it: what Cutover checks before it deploys one as is. */
export interface RevisionDescription extends TaskDefinitionRoles {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly containers: ReadonlyArray<{
    readonly name: string;
    readonly image: string;
    /** The container's environment (name -> value), when it has one. */
    readonly environment?: Readonly<Record<string, string>>;
    /** True when the container has a health check (ECS then reports its health). */
    readonly hasHealthCheck?: boolean;
  }>;
}

export interface TaskDefinitions {
  /** The revision (family, containers' images, roles), or undefined when ECS does not know it. */
  describeRevision(arn: string): Promise<RevisionDescription | undefined>;
  /**
   * Register a revision copied from `fromArn` with only `containerName`'s image replaced by
   * `imageUri`. Every field RegisterTaskDefinition accepts is carried over; tags too.
   */
  registerWithImage(fromArn: string, containerName: string, imageUri: string, options?: RegisterWithImageOptions): Promise<{ arn: string }>;
}

export interface AlarmInfo {
  readonly name: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly reason: string;
}
export interface Alarms {
  /** Current state of the named alarms (metric and composite); unknown names are omitted. */
  describe(names: readonly string[]): Promise<AlarmInfo[]>;
}

/** Per-minute samples of one target group over a window. */
export interface TargetGroupSamples {
  readonly requests: number;
  readonly errors5xx: number;
  /** Per-period average response time (seconds), one per period with traffic. */
  readonly latencies: readonly number[];
}
/** One CloudWatch metric, its dimension values already holding the version (no `{version}`). */
export interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}
export interface VersionMetricQueries {
  readonly processed: MetricRef;
  readonly errors?: MetricRef;
  readonly latency?: MetricRef;
}
export interface MetricSource {
  /**
   * A worker's version-tagged metrics over a window, folded like a target group's: processed (Sum)
   * as requests, errors (Sum) as errors5xx, latency (Average per minute, ms) as latencies in seconds.
   */
  versionSamples?(queries: VersionMetricQueries, startMs: number, endMs: number): Promise<TargetGroupSamples>;
  targetGroupSamples(
    loadBalancerFullName: string,
    targetGroupFullName: string,
    startMs: number,
    endMs: number,
  ): Promise<TargetGroupSamples>;
}

export interface ImageInfo {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt?: string;
  readonly scanStatus?: string;
  readonly findingCounts?: Readonly<Record<string, number>>;
}
/** An image's vulnerability scan as ECR reports it (DescribeImageScanFindings). */
export interface ImageScanInfo {
  /** COMPLETE, IN_PROGRESS, FAILED, ACTIVE ...; undefined when the image was never scanned. */
  readonly status?: string;
  readonly description?: string;
  /**
   * Findings per severity (CRITICAL, HIGH, ..., UNTRIAGED for enhanced scanning), when ECR reports
   * them; absent while it does not (never scanned, in progress, or counts not available yet after
   * COMPLETE/ACTIVE: the gate then waits).
   */
  readonly findingCounts?: Readonly<Record<string, number>>;
}
export interface ImageRegistry {
  /** The image with this digest, or undefined when the repository does not hold it. */
  describeImage(repository: string, digest: string): Promise<ImageInfo | undefined>;
  /** The image's scan status and finding counts (no status: never scanned). */
  scanFindings(repository: string, digest: string): Promise<ImageScanInfo>;
}

/** Invoke a hook (a user Lambda function) synchronously; a function error or no answer in time is a value. */
export interface HookInvoker {
  invoke(functionArn: string, payload: unknown, timeoutSeconds: number): Promise<HookReply>;
}

/** Release records (one per release, the outcome of every environment). */
export interface ReleaseStore {
  /** Create the record if it does not exist; returns the stored one (the existing one on replay). */
  createRelease(record: ReleaseRecord): Promise<{ record: ReleaseRecord; created: boolean }>;
  getRelease(releaseId: string): Promise<ReleaseRecord | undefined>;
  /** Replace one environment's entry (by its index in `stages`) of a release in progress. */
  updateStage(releaseId: string, index: number, stage: ReleaseStage): Promise<void>;
  /** Store (or clear with undefined) the approval token of the environment waiting for approval. */
  setApprovalToken(releaseId: string, token: string | undefined, environment?: string): Promise<void>;
  /** Record the control path's proof (hashes of the token answered and of the nonce sent) before an approve. */
  recordApprovalSignal(releaseId: string, proof: NonNullable<ReleaseRecord['approvalSignal']>): Promise<void>;
  /** The releases in progress that wait for an approval (strongly consistent re-reads of what the index names). */
  listWaitingReleases(): Promise<ReleaseRecord[]>;
  /**
   * End the release once, with every stage as given. False (nothing changed) when it already ended.
   */
  finishRelease(
    releaseId: string,
    status: ReleaseStatus,
    reason: DeploymentReason,
    stages: readonly ReleaseStage[],
    expiresAt: number,
  ): Promise<boolean>;
}

export interface DeploymentStore {
  /** Create the record if it does not exist; returns the stored record (existing one on replay). */
  createDeployment(record: DeploymentRecord): Promise<{ record: DeploymentRecord; created: boolean }>;
  getDeployment(service: string, environment: string, deploymentId: string): Promise<DeploymentRecord | undefined>;
  listDeployments(service: string, environment: string, limit?: number): Promise<DeploymentRecord[]>;
  /** In-flight (non-terminal) deployments across all services. */
  listInFlight(): Promise<DeploymentRecord[]>;
  /** Merge fields into a non-terminal record. */
  updateDeployment(
    service: string,
    environment: string,
    deploymentId: string,
    patch: Partial<Pick<DeploymentRecord, 'status' | 'plan' | 'blue' | 'green' | 'executionArn' | 'alarmNames'>>,
  ): Promise<void>;
  /** Append a timeline entry; an entry with a key already present changes nothing. */
  appendTimeline(service: string, environment: string, deploymentId: string, entry: TimelineEntry): Promise<void>;
  /** Store (or clear with undefined) the waiting callback token. */
  setTaskToken(
    service: string,
    environment: string,
    deploymentId: string,
    token: string | undefined,
    waitingFor?: WaitingFor,
  ): Promise<void>;
  recordControl(service: string, environment: string, deploymentId: string, action: OperatorAction): Promise<void>;
  /**
   * Move to a terminal status once. Returns false (and changes nothing) when the record is already
   * terminal; throws ConflictError when it is terminal with a different status.
   */
  finish(
    service: string,
    environment: string,
    deploymentId: string,
    status: DeploymentStatus,
    reason: DeploymentReason,
    expiresAt: number,
  ): Promise<boolean>;

  /**
   * Take the lock for `deploymentId`. Returns `acquired` when held by it (again), `busy` when
   * another live holder has it (and records this deployment as the waiter if it is newer than the
   * current waiter), `superseded` (with the newer waiter) when a newer deployment is waiting.
   */
  acquireLock(
    service: string,
    environment: string,
    request: { deploymentId: string; digest: string; requestedAt: string; leaseSeconds: number; nowMs: number },
  ): Promise<
    | { outcome: 'acquired' }
    | { outcome: 'busy'; holder: string }
    | { outcome: 'superseded'; by: { deploymentId: string; digest: string } }
  >;
  /** Release if held by `deploymentId`; releasing a lock one does not hold changes nothing. */
  releaseLock(service: string, environment: string, deploymentId: string): Promise<void>;
  getLock(service: string, environment: string): Promise<LockState | undefined>;
  /**
   * Park the waiter's callback token on the lock (deploy WaitForLockRelease), so whoever releases
   * the lock wakes it. `parked: false` when `deploymentId` is not the waiter or the lock has no live
   * holder any more (ask for the lock again now); `displaced`: an older waiter's token it replaced
   * (wake it: it is superseded).
   */
  parkLockWaiter(
    service: string,
    environment: string,
    request: { deploymentId: string; token: string; nowMs: number },
  ): Promise<{ parked: boolean; displaced?: string }>;
  /** Remove lock claims dated beyond the clock skew from `nowMs` (the sweep); returns what was removed. */
  clearFutureClaims(
    service: string,
    environment: string,
    nowMs: number,
  ): Promise<ReadonlyArray<{ deploymentId: string; digest: string; requestedAt: string }>>;

  /**
   * When the service (in this environment) came under Cutover's management: the first call writes
   * `atIso` (a conditional put, so concurrent first calls agree); every later call returns the time
   * first written. The reconcile sweep never deploys a push made before it (a first install or a
   * newly added service must not roll out an image pushed before Cutover managed it).
   */
  markManaged(service: string, environment: string, atIso: string): Promise<string>;

  getStable(service: string, environment: string): Promise<StablePointer | undefined>;
  /** Set the stable pointer, keeping the old one as `previous`. Idempotent per deploymentId. */
  setStable(service: string, environment: string, pointer: Omit<StablePointer, 'previous'>): Promise<void>;
}

export interface EventPublisher {
  publish(kind: LifecycleEvent, detail: Record<string, unknown>): Promise<void>;
}

export interface Orchestrator {
  /** Start an execution with a deterministic name; an existing one with that name is not an error. */
  start(
    stateMachineArn: string,
    name: string,
    input: unknown,
  ): Promise<{ executionArn: string; alreadyStarted: boolean }>;
  sendTaskSuccess(token: string, output: unknown): Promise<void>;
  sendTaskFailure(token: string, error: string, cause: string): Promise<void>;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or undefined when unknown. */
  executionStatus(executionArn: string): Promise<string | undefined>;
  /** Status and start time (ISO) of an execution (DescribeExecution), or undefined when unknown. */
  describe(executionArn: string): Promise<{ status: string; startedAt: string } | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Maintenance (cleanup and scaling): narrow ports of their own, so the deploy path's are untouched.
// ---------------------------------------------------------------------------------------------

export type RevisionStatus = 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';

/** A task-definition revision as cleanup sees it. */
export interface RevisionInfo {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly status: RevisionStatus;
  readonly registeredAt?: string;
  readonly deregisteredAt?: string;
  /** The image of every container, as registered (by digest, or by tag). */
  readonly images: readonly string[];
}

export interface TaskDefinitionRevisions {
  /** Revision ARNs of a family in this status: `newest` or `oldest` first, at most `limit`. */
  list(family: string, status: 'ACTIVE' | 'INACTIVE', order: 'newest' | 'oldest', limit: number): Promise<string[]>;
  /** One revision, or undefined when ECS does not know it. */
  describe(arn: string): Promise<RevisionInfo | undefined>;
  /** ACTIVE -> INACTIVE. A revision that is already INACTIVE is not an error. */
  deregister(arn: string): Promise<void>;
  /** DeleteTaskDefinitions (at most 10): per-revision failures are returned, not thrown. */
  delete(arns: readonly string[]): Promise<{ deleted: string[]; failures: Array<{ arn: string; reason: string }> }>;
  /** Task-definition ARNs of the cluster's tasks of this family that are not stopped (services and one-off tasks). */
  runningTaskDefinitions(cluster: string, family: string): Promise<string[]>;
}

export interface RepositoryImage {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt?: string;
}

export interface ImageInventory {
  /** The repository's images (every page, at most `limit`). */
  list(repository: string, limit: number): Promise<RepositoryImage[]>;
  /** BatchDeleteImage by digest (at most 100): per-image failures are returned, not thrown. */
  delete(repository: string, digests: readonly string[]): Promise<{ deleted: string[]; failures: Array<{ digest: string; reason: string }> }>;
}

export interface RecordExpiry {
  /**
   * Set the TTL (`expiresAt`, epoch seconds) of an ended deployment record when it has none or a
   * later one. False (and nothing changed) when the record is in flight, gone, or already expires sooner.
   */
  expire(service: string, environment: string, deploymentId: string, expiresAt: number): Promise<boolean>;
}

/** An Application Auto Scaling scalable target on an ECS service's desired count. */
export interface ScalableTargetInfo {
  readonly resourceId: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Dynamic (target-tracking) scale-in is suspended. */
  readonly scaleInSuspended: boolean;
}

export interface ScalableTargets {
  describe(resourceId: string): Promise<ScalableTargetInfo | undefined>;
  /** Register (or update) the target's bounds; AAS then moves the desired count into them. */
  setBounds(resourceId: string, minCapacity: number, maxCapacity: number): Promise<void>;
  /** Suspend or resume dynamic scale-in (target tracking) on an existing target. */
  setScaleInSuspended(resourceId: string, suspended: boolean): Promise<void>;
}

/** The desired count of an ECS service (task sets are percentages of it). */
export interface ServiceCapacity {
  desiredCount(cluster: string, service: string): Promise<number>;
  setDesiredCount(cluster: string, service: string, desiredCount: number): Promise<void>;
}

export interface ScalingStateStore {
  get(service: string, environment: string): Promise<ScalingState | undefined>;
  /** Write `next` if the stored version is still `next.version - 1`. False: another writer won. */
  put(service: string, environment: string, next: ScalingState): Promise<boolean>;
}

/**
 * Stop a running execution (Step Functions StopExecution): it ends ABORTED and its Catch does not
 * run; a Lambda it had invoked runs to its end. Stopping one that already ended changes nothing.
 */
export interface ExecutionStopper {
  stop(executionArn: string, error: string, cause: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The native engine (issue #17): ECS's own deployments of an ECS-controller service.
// ---------------------------------------------------------------------------------------------

/** An ECS-controller service as DescribeServices reads it (what the native engine keeps of it). */
export interface NativeServiceInfo {
  readonly arn: string;
  readonly deploymentController: string;
  readonly taskDefinitionArn?: string;
  readonly desiredCount: number;
  /** The production target group of its load balancer, and the alternate one (advancedConfiguration); absent: headless. */
  readonly targetGroupArn?: string;
  readonly alternateTargetGroupArn?: string;
  /** advancedConfiguration.productionListenerRule: the rule (ALB) or listener (NLB) ECS shifts production on. */
  readonly productionListenerRule?: string;
  /** Service Connect is on (ECS shifts production between revisions at the Service Connect proxy). */
  readonly serviceConnect?: boolean;
  /** Where the service's tasks run (a migration task runs the same way): launch type and awsvpc network. */
  readonly placement?: {
    readonly launchType?: string;
    readonly networkConfiguration?: { readonly awsvpcConfiguration?: { readonly subnets?: readonly string[]; readonly securityGroups?: readonly string[]; readonly assignPublicIp?: string } };
  };
}

/** One service deployment, as DescribeServiceDeployments reads it. */
export interface NativeDeploymentInfo {
  readonly arn: string;
  /** PENDING, IN_PROGRESS, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED, SUCCESSFUL, STOPPED, STOP_REQUESTED. */
  readonly status: string;
  readonly statusReason?: string;
  readonly lifecycleStage?: string;
  readonly targetTaskDefinitionArn?: string;
  readonly rollbackReason?: string;
  readonly triggeredAlarmNames?: readonly string[];
  /** PAUSE hooks waiting for ContinueServiceDeployment (lifecycleHookDetails AWAITING_ACTION). */
  readonly pausedHookIds?: readonly string[];
}

export interface NativeUpdate {
  readonly cluster: string;
  readonly service: string;
  readonly taskDefinitionArn: string;
  /** The deploymentConfiguration fields Cutover sets (strategy, its configuration, bake, lifecycle hooks). */
  readonly deploymentConfiguration: Record<string, unknown>;
}

export interface NativeDeployments {
  describeService(cluster: string, service: string): Promise<NativeServiceInfo>;
  /** UpdateService with the new revision and strategy; returns the service deployment it started (or the one in progress for that revision: idempotent). */
  startDeployment(input: NativeUpdate): Promise<NativeDeploymentInfo>;
  describeDeployment(arn: string): Promise<NativeDeploymentInfo | undefined>;
  /** The service's deployments not yet ended, newest first. */
  listInProgress(cluster: string, service: string): Promise<NativeDeploymentInfo[]>;
  /** StopServiceDeployment with stopType ROLLBACK; one already ended is not an error. */
  stopWithRollback(arn: string): Promise<void>;
  /** ContinueServiceDeployment CONTINUE of a PAUSE hook waiting on the deployment (an approval given). */
  continuePause(arn: string, hookId: string): Promise<void>;
}
