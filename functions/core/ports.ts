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
} from './model.js';

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

export interface TargetHealthReader {
  /** Healthy and total registered targets of a target group. */
  health(targetGroupArn: string): Promise<{ healthy: number; total: number }>;
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
  readonly targetGroupArn: string;
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
  /** The container port and network template of an existing task set (to copy to green). */
  describeTaskSetTemplate(cluster: string, service: string, taskSetId: string): Promise<{
    containerPort: number;
    template: unknown;
  }>;
}

export interface TaskDefinitions {
  /**
   * Register a revision copied from `fromArn` with only `containerName`'s image replaced by
   * `imageUri`. Every field RegisterTaskDefinition accepts is carried over; tags too.
   */
  registerWithImage(fromArn: string, containerName: string, imageUri: string): Promise<{ arn: string }>;
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
export interface MetricSource {
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
export interface ImageRegistry {
  /** The image with this digest, or undefined when the repository does not hold it. */
  describeImage(repository: string, digest: string): Promise<ImageInfo | undefined>;
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
    waitingFor?: 'bake' | 'approval',
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
}
