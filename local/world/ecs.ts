/**
 * ECS in memory: clusters, services with the EXTERNAL deployment controller, task definitions,
 * task sets and their tasks, one-off tasks (RunTask).
 *
 * Task state is derived lazily from the virtual clock: a scale change (CreateTaskSet, UpdateTaskSet,
 * UpdateService desiredCount, DeleteTaskSet) launches or stops tasks at that instant; a task is
 * PENDING for `taskStartDelayMs` after launch, then RUNNING (never, when its image `crashes` or
 * cannot be pulled from ECR). A task set is STEADY_STATE when runningCount == computedDesiredCount,
 * nothing is pending and every target of it is healthy in its target group (as ECS defines it).
 */
import type {
  Compatibility,
  ContainerDefinition,
  CreateTaskSetCommandInput,
  CreateTaskSetCommandOutput,
  DeleteTaskDefinitionsCommandInput,
  DeleteTaskDefinitionsCommandOutput,
  DeleteTaskSetCommandInput,
  DeleteTaskSetCommandOutput,
  DeregisterTaskDefinitionCommandInput,
  DeregisterTaskDefinitionCommandOutput,
  DescribeClustersCommandInput,
  DescribeClustersCommandOutput,
  DescribeServicesCommandInput,
  DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommandInput,
  DescribeTaskDefinitionCommandOutput,
  DescribeTaskSetsCommandInput,
  DescribeTaskSetsCommandOutput,
  DescribeTasksCommandInput,
  DescribeTasksCommandOutput,
  Failure,
  ListTaskDefinitionFamiliesCommandInput,
  ListTaskDefinitionFamiliesCommandOutput,
  ListTaskDefinitionsCommandInput,
  ListTaskDefinitionsCommandOutput,
  ListTasksCommandInput,
  ListTasksCommandOutput,
  LoadBalancer,
  NetworkConfiguration,
  RegisterTaskDefinitionCommandInput,
  RegisterTaskDefinitionCommandOutput,
  RunTaskCommandInput,
  RunTaskCommandOutput,
  Service,
  StopTaskCommandInput,
  StopTaskCommandOutput,
  Tag,
  Task,
  TaskDefinition,
  TaskOverride,
  TaskSet,
  UpdateServiceCommandInput,
  UpdateServiceCommandOutput,
  UpdateServicePrimaryTaskSetCommandInput,
  UpdateServicePrimaryTaskSetCommandOutput,
  UpdateTaskSetCommandInput,
  UpdateTaskSetCommandOutput,
} from '@aws-sdk/client-ecs';
import { fault } from './errors.js';
import type { WorldContext } from './types.js';

type Out<T> = Omit<T, '$metadata'>;
export type Operation = (input: never) => unknown;

// ---------------------------------------------------------------------------------------------
// Ports to the load balancer side
// ---------------------------------------------------------------------------------------------
/** One task of a task set as a load-balancer target. */
export interface TaskTarget {
  readonly taskArn: string;
  readonly taskSetId: string;
  readonly ip: string;
  readonly port: number;
  readonly availabilityZone: string;
  /** When it became RUNNING (undefined: never). */
  readonly runningAt: number | undefined;
  /** When it was stopped (undefined: still alive). */
  readonly stoppedAt: number | undefined;
  readonly digest: string | undefined;
}
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';
export interface TargetGroupPort {
  /** undefined when the target group does not exist. */
  describe(targetGroupArn: string): { readonly hasLoadBalancer: boolean; readonly deregistrationDelayMs: number } | undefined;
  /** The health state of a target (undefined when it is not registered at `now`). */
  targetState(targetGroupArn: string, target: TaskTarget, now: number): TargetState | undefined;
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------
type TaskDefinitionStatus = 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';
interface TaskDefRec {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  status: TaskDefinitionStatus;
  /** The request fields as registered (without tags). */
  readonly request: Omit<RegisterTaskDefinitionCommandInput, 'tags'>;
  readonly tags: Tag[];
  readonly registeredAt: number;
  readonly registeredBy: string;
  deregisteredAt?: number;
  deleteRequestedAt?: number;
}

interface TaskRec {
  readonly arn: string;
  readonly id: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly taskSetId?: string;
  readonly group: string;
  readonly startedBy?: string;
  readonly ip: string;
  readonly availabilityZone: string;
  readonly launchedAt: number;
  readonly runningAt: number;
  /** The image could not be pulled when the task launched: it never runs. */
  readonly pullFailed: boolean;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  /** Task-set tasks that exited on their own (crash, out of memory): each exited container's code and reason. */
  exitCodes?: Record<string, number>;
  containerReasons?: Record<string, string>;
  /** One-off tasks: the container overrides. */
  readonly overrides?: TaskOverride;
  readonly launchType?: string;
  readonly oneOff: boolean;
}

type TaskSetStatus = 'PRIMARY' | 'ACTIVE' | 'DRAINING';
interface TaskSetRec {
  readonly id: string;
  readonly arn: string;
  readonly cluster: string;
  readonly service: string;
  readonly serviceArn: string;
  readonly clusterArn: string;
  status: TaskSetStatus;
  readonly taskDefinitionArn: string;
  readonly externalId?: string;
  scale: number;
  readonly launchType?: string;
  readonly capacityProviderStrategy?: CreateTaskSetCommandInput['capacityProviderStrategy'];
  readonly platformVersion?: string;
  readonly networkConfiguration?: NetworkConfiguration;
  readonly loadBalancers: LoadBalancer[];
  readonly tags: Tag[];
  readonly createdAt: number;
  updatedAt: number;
  /** Last time the task set's desired tasks changed. */
  changedAt: number;
  deletedAt?: number;
  readonly tasks: TaskRec[];
  /**
   * The tasks of a service revision of an ECS-controller service (local/world/ecs-native.ts): ECS
   * shows no task sets for them, so DescribeServices, DescribeTaskSets and taskSetViews leave them out.
   */
  hidden?: boolean;
}

interface ServiceRec {
  readonly name: string;
  readonly arn: string;
  readonly cluster: string;
  readonly clusterArn: string;
  desiredCount: number;
  readonly createdAt: number;
  readonly controller: 'EXTERNAL' | 'ECS' | 'CODE_DEPLOY';
  readonly taskSets: TaskSetRec[];
  readonly clientTokens: Map<string, TaskSetRec>;
  readonly tags: Tag[];
}

interface ClusterRec {
  readonly name: string;
  readonly arn: string;
}

/** The fields RegisterTaskDefinition accepts. */
const REGISTER_FIELDS = new Set([
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'tags',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
]);
/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses. */
export const READ_ONLY_TASK_DEFINITION_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** How and when a task-set task stops on its own (a crash, an out-of-memory kill, failed container health checks). */
interface ExitPlan {
  readonly at: number;
  readonly stopCode: string;
  readonly reason: string;
  readonly exitCodes: Record<string, number>;
  readonly containerReasons: Record<string, string>;
}
/** What ECS reports for an essential container killed for its memory (ECS developer guide, "Troubleshooting Amazon ECS OutOfMemoryError errors"). */
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';
export const ESSENTIAL_EXITED = 'Essential container in task exited';
export const FAILED_HEALTH_CHECKS = 'Task failed container health checks';
type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
/** Amazon ECS service quotas: task sets per service (not adjustable). */
export const MAX_TASK_SETS_PER_SERVICE = 5;

export interface SeedServiceSpec {
  readonly cluster: string;
  readonly service: string;
  readonly desiredCount: number;
  readonly taskDefinitionArn: string;
  /** Omit for a service with no load balancer (a worker): its task set has no loadBalancers. */
  readonly targetGroupArn?: string;
  readonly containerName: string;
  readonly containerPort: number;
  /** The primary task set's tasks have been running (and healthy) since this long ago. */
  readonly runningSinceMs: number;
  /** Default EXTERNAL. ECS or CODE_DEPLOY: the tasks are the service's first revision's (no task set shown). */
  readonly controller?: 'EXTERNAL' | 'ECS' | 'CODE_DEPLOY';
}

/**
 * What ECS's own deployments (local/world/ecs-native.ts) answer for a service whose deployment
 * controller is not EXTERNAL: UpdateService, and their part of DescribeServices.
 */
export interface NativeEnginePort {
  updateService(i: UpdateServiceCommandInput, svc: { readonly arn: string; readonly controller: 'ECS' | 'CODE_DEPLOY' }): void;
  serviceView(serviceArn: string): Partial<Service> | undefined;
}

export class EcsWorld {
  private readonly clusters = new Map<string, ClusterRec>();
  private readonly services = new Map<string, ServiceRec>();
  private readonly taskDefs = new Map<string, TaskDefRec[]>();
  private readonly tasks = new Map<string, TaskRec>();
  /** Every task set ever created (gone ones included), by id: a task finds its set in O(1). */
  private readonly taskSetsById = new Map<string, TaskSetRec>();
  /** Every task set ever created, by target group, in creation order (target health asks per target group). */
  private readonly taskSetsByTargetGroup = new Map<string, TaskSetRec[]>();
  private readonly runTaskTokens = new Map<string, TaskRec[]>();
  /** Per family: until when the last RegisterTaskDefinition is in flight (virtual ms). */
  private readonly familyBusyUntil = new Map<string, number>();
  private ipCounter = 10;
  /** Task-set tasks that will stop on their own, with how (settled lazily, in time order: {@link settle}). */
  private readonly exiting = new Map<TaskRec, ExitPlan>();
  private targetGroups: TargetGroupPort = {
    describe: () => undefined,
    targetState: () => undefined,
  };

  constructor(private readonly ctx: WorldContext) {}

  attachTargetGroups(port: TargetGroupPort): void {
    this.targetGroups = port;
  }

  private native: NativeEnginePort | undefined;
  /** ECS's own deployments (local/world/ecs-native.ts) for services whose controller is not EXTERNAL. */
  attachNative(port: NativeEnginePort): void {
    this.native = port;
  }

  // ------------------------------------------------------------------ revisions of ECS-controller services
  /** A service's controller, ARN and desired count (undefined when there is no such service). */
  serviceRecord(cluster: string, service: string): { arn: string; clusterArn: string; cluster: string; name: string; controller: 'EXTERNAL' | 'ECS' | 'CODE_DEPLOY'; desiredCount: number } | undefined {
    const svc = this.services.get(`${this.clusterName(cluster)}/${this.serviceName(service)}`);
    return svc && { arn: svc.arn, clusterArn: svc.clusterArn, cluster: svc.cluster, name: svc.name, controller: svc.controller, desiredCount: svc.desiredCount };
  }
  /** The (hidden) task sets of an ECS-controller service, newest last: what its revisions run. */
  revisionTaskSets(cluster: string, service: string): Array<{ id: string; taskDefinitionArn: string; loadBalancers: LoadBalancer[]; networkConfiguration?: NetworkConfiguration; launchType?: string; platformVersion?: string; scale: number }> {
    const svc = this.service(cluster, service);
    return this.liveTaskSets(svc)
      .filter((ts) => ts.hidden && ts.status !== 'DRAINING')
      .map((ts) => ({
        id: ts.id,
        taskDefinitionArn: ts.taskDefinitionArn,
        loadBalancers: structuredClone(ts.loadBalancers),
        ...(ts.networkConfiguration ? { networkConfiguration: structuredClone(ts.networkConfiguration) } : {}),
        ...(ts.launchType ? { launchType: ts.launchType } : {}),
        ...(ts.platformVersion ? { platformVersion: ts.platformVersion } : {}),
        scale: ts.scale,
      }));
  }
  /** Launch a revision's tasks (a hidden task set at `scalePercent` of the desired count). Returns its id. */
  launchRevision(cluster: string, service: string, spec: { taskDefinitionArn: string; loadBalancers: LoadBalancer[]; networkConfiguration?: NetworkConfiguration; launchType?: string; platformVersion?: string; scalePercent: number }): string {
    const svc = this.service(cluster, service);
    const ts = this.newTaskSet(
      svc,
      {
        cluster: svc.cluster,
        service: svc.name,
        taskDefinition: spec.taskDefinitionArn,
        ...(spec.launchType ? { launchType: spec.launchType as CreateTaskSetCommandInput['launchType'] } : {}),
        ...(spec.platformVersion ? { platformVersion: spec.platformVersion } : {}),
        ...(spec.networkConfiguration ? { networkConfiguration: spec.networkConfiguration } : {}),
        loadBalancers: spec.loadBalancers,
        scale: { unit: 'PERCENT', value: spec.scalePercent },
      },
      this.now,
    );
    ts.hidden = true;
    return ts.id;
  }
  /** Scale a revision's tasks to `percent` of the desired count (0 stops them all). */
  scaleRevision(taskSetId: string, percent: number): void {
    const ts = this.findTaskSet(taskSetId);
    const svc = ts ? this.services.get(`${ts.cluster}/${ts.service}`) : undefined;
    if (!ts || !svc) throw new Error(`no revision task set ${taskSetId}`);
    ts.scale = percent;
    ts.updatedAt = this.now;
    this.reconcile(svc, ts, this.now);
  }
  /** Remove a revision's tasks (they drain like a deleted task set's). */
  retireRevision(taskSetId: string): void {
    const ts = this.findTaskSet(taskSetId);
    const svc = ts ? this.services.get(`${ts.cluster}/${ts.service}`) : undefined;
    if (!ts || !svc || ts.status === 'DRAINING') return;
    ts.status = 'DRAINING';
    ts.deletedAt = this.now;
    ts.updatedAt = this.now;
    this.reconcile(svc, ts, this.now);
  }
  /** A revision's task counts and whether it is steady (running = desired, healthy in its target groups). */
  revisionState(taskSetId: string): { running: number; pending: number; desired: number; steady: boolean } {
    this.settle();
    const ts = this.findTaskSet(taskSetId);
    const svc = ts ? this.services.get(`${ts.cluster}/${ts.service}`) : undefined;
    if (!ts || !svc) throw new Error(`no revision task set ${taskSetId}`);
    const { running, pending } = this.counts(ts);
    return { running, pending, desired: this.computedDesired(svc, ts), steady: this.stability(svc, ts).status === 'STEADY_STATE' };
  }

  private get now(): number {
    return this.ctx.clock.now();
  }
  private arn(resource: string): string {
    return `arn:aws:ecs:${this.ctx.region}:${this.ctx.accountId}:${resource}`;
  }

  // ------------------------------------------------------------------ seeding
  ensureCluster(name: string): ClusterRec {
    const existing = this.clusters.get(name);
    if (existing) return existing;
    if (!NAME.test(name)) throw new Error(`ECS cluster name '${name}' is invalid`);
    const rec = { name, arn: this.arn(`cluster/${name}`) };
    this.clusters.set(name, rec);
    return rec;
  }

  /** Register a task definition revision as the API would (validation included). */
  /** Seeding: registers without the concurrency window (nothing else is registering then). */
  register(input: RegisterTaskDefinitionCommandInput, registeredBy?: string): TaskDefinition {
    return this.registerTaskDefinition(input, registeredBy, true).taskDefinition as TaskDefinition;
  }

  /**
   * An EXTERNAL service with one PRIMARY task set on `targetGroupArn` at 100 %, its tasks running
   * since `runningSinceMs` ago (so already steady and, after the health lag, healthy).
   */
  seedService(spec: SeedServiceSpec): { serviceArn: string; taskSetId: string; taskSetArn: string; clusterArn: string } {
    const cluster = this.ensureCluster(spec.cluster);
    const key = `${cluster.name}/${spec.service}`;
    if (this.services.has(key)) throw new Error(`ECS service ${key} already exists`);
    if (!NAME.test(spec.service)) throw new Error(`ECS service name '${spec.service}' is invalid`);
    const since = this.now - spec.runningSinceMs;
    const svc: ServiceRec = {
      name: spec.service,
      arn: this.arn(`service/${cluster.name}/${spec.service}`),
      cluster: cluster.name,
      clusterArn: cluster.arn,
      desiredCount: spec.desiredCount,
      createdAt: since,
      controller: spec.controller ?? 'EXTERNAL',
      taskSets: [],
      clientTokens: new Map(),
      tags: [],
    };
    this.services.set(key, svc);
    const ts = this.newTaskSet(
      svc,
      {
        cluster: cluster.name,
        service: svc.name,
        taskDefinition: spec.taskDefinitionArn,
        launchType: 'FARGATE',
        platformVersion: '1.4.0',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: [`subnet-0${this.ctx.ids.hex(16)}`, `subnet-0${this.ctx.ids.hex(16)}`],
            securityGroups: [`sg-0${this.ctx.ids.hex(16)}`],
            assignPublicIp: 'DISABLED',
          },
        },
        loadBalancers: spec.targetGroupArn ? [{ targetGroupArn: spec.targetGroupArn, containerName: spec.containerName, containerPort: spec.containerPort }] : [],
        scale: { unit: 'PERCENT', value: 100 },
      },
      since,
    );
    ts.status = 'PRIMARY';
    if (svc.controller !== 'EXTERNAL') ts.hidden = true;
    return { serviceArn: svc.arn, taskSetId: ts.id, taskSetArn: ts.arn, clusterArn: cluster.arn };
  }

  /** An EXTERNAL service with no task set yet (a first deployment is pending). */
  seedEmptyService(cluster: string, service: string, desiredCount: number, controller: 'EXTERNAL' | 'ECS' | 'CODE_DEPLOY' = 'EXTERNAL'): { serviceArn: string } {
    const c = this.ensureCluster(cluster);
    const key = `${c.name}/${service}`;
    if (this.services.has(key)) throw new Error(`ECS service ${key} already exists`);
    if (!NAME.test(service)) throw new Error(`ECS service name '${service}' is invalid`);
    const svc: ServiceRec = {
      name: service,
      arn: this.arn(`service/${c.name}/${service}`),
      cluster: c.name,
      clusterArn: c.arn,
      desiredCount,
      createdAt: this.now,
      controller,
      taskSets: [],
      clientTokens: new Map(),
      tags: [],
    };
    this.services.set(key, svc);
    return { serviceArn: svc.arn };
  }

  // ------------------------------------------------------------------ queries for the world
  /** Every task (alive or recently stopped) of task sets that use `targetGroupArn`. */
  targetsOf(targetGroupArn: string): TaskTarget[] {
    this.settle();
    const out: TaskTarget[] = [];
    // Task sets are never removed (a deleted one drains), so the index holds what a walk over the
    // services would find, in creation order.
    for (const ts of this.taskSetsByTargetGroup.get(targetGroupArn) ?? []) {
      const lb = ts.loadBalancers.find((l) => l.targetGroupArn === targetGroupArn);
      if (!lb) continue;
      for (const t of ts.tasks) out.push(this.asTarget(ts, t, lb));
    }
    return out;
  }

  private asTarget(ts: TaskSetRec, t: TaskRec, lb: LoadBalancer): TaskTarget {
    return {
      taskArn: t.arn,
      taskSetId: ts.id,
      ip: t.ip,
      port: lb.containerPort ?? 80,
      availabilityZone: t.availabilityZone,
      runningAt: this.runsAt(t, ts),
      stoppedAt: t.stoppedAt,
      digest: this.digestOf(ts.taskDefinitionArn, lb.containerName),
    };
  }

  /** The task sets of a service as DescribeServices would return them now. */
  taskSetViews(cluster: string, service: string): TaskSet[] {
    this.settle();
    const svc = this.service(cluster, service);
    return this.liveTaskSets(svc).filter((ts) => !ts.hidden).map((ts) => this.taskSetView(svc, ts));
  }

  /** The service's desired count (undefined when there is no such service). */
  desiredCountOf(cluster: string, service: string): number | undefined {
    return this.services.get(`${this.clusterName(cluster)}/${this.serviceName(service)}`)?.desiredCount;
  }

  /**
   * The tasks of a service's task sets (gone ones included) that run at `at` (started, not yet
   * stopped), each with its task set and task definition: what the worker metrics read.
   */
  runningTasksAt(cluster: string, service: string, at: number): Array<{ taskArn: string; taskSetId: string; taskDefinitionArn: string }> {
    this.settle();
    const svc = this.services.get(`${this.clusterName(cluster)}/${this.serviceName(service)}`);
    const out: Array<{ taskArn: string; taskSetId: string; taskDefinitionArn: string }> = [];
    for (const ts of svc?.taskSets ?? []) {
      for (const t of ts.tasks) {
        const r = this.runsAt(t, ts);
        if (r !== undefined && r <= at && (t.stoppedAt === undefined || t.stoppedAt > at)) out.push({ taskArn: t.arn, taskSetId: ts.id, taskDefinitionArn: ts.taskDefinitionArn });
      }
    }
    return out;
  }

  /** A container's environment in a task definition (name to value), and its image digest. */
  containerOf(taskDefinitionArn: string, containerName: string): { environment: Record<string, string>; digest: string | undefined } | undefined {
    const td = this.findTaskDef(taskDefinitionArn);
    const c = td ? this.container(td, containerName) : undefined;
    if (!c) return undefined;
    return { environment: Object.fromEntries((c.environment ?? []).map((e) => [e.name ?? '', e.value ?? ''])), digest: this.ctx.digestOfImage(c.image) };
  }

  taskDefinitionRecord(arn: string): TaskDefinition | undefined {
    try {
      return this.describeTaskDefinition({ taskDefinition: arn }).taskDefinition;
    } catch {
      return undefined;
    }
  }

  /**
   * What the safety checks need of a task definition (as {@link taskDefinitionRecord} would name
   * it: status and container images) without building the API view: they ask after every state.
   */
  taskDefinitionUsage(arn: string): { status: TaskDefinitionStatus; images: string[] } | undefined {
    let td: TaskDefRec | undefined;
    try {
      td = this.findTaskDef(arn);
    } catch {
      return undefined;
    }
    if (!td) return undefined;
    return { status: td.status, images: (td.request.containerDefinitions ?? []).flatMap((c) => (c.image === undefined ? [] : [c.image])) };
  }

  /**
   * The tasks of a cluster that are not stopped (what ListTasks with desiredStatus RUNNING lists),
   * with their task definitions, without building the API views. Throws ClusterNotFoundException.
   */
  liveTasks(cluster: string): Array<{ taskArn: string; taskDefinitionArn: string }> {
    this.settle();
    const c = this.cluster(cluster);
    const out: Array<{ taskArn: string; taskDefinitionArn: string }> = [];
    for (const t of this.tasks.values()) {
      if (t.clusterArn === c.arn && this.desiredStatus(t) === 'RUNNING') out.push({ taskArn: t.arn, taskDefinitionArn: t.taskDefinitionArn });
    }
    return out;
  }

  // ------------------------------------------------------------------ API
  operations(): Record<string, Operation> {
    const ops: Record<string, Operation> = {
      DescribeClusters: (i: DescribeClustersCommandInput) => this.describeClusters(i),
      DescribeServices: (i: DescribeServicesCommandInput) => this.describeServices(i),
      UpdateService: (i: UpdateServiceCommandInput) => this.updateService(i),
      RegisterTaskDefinition: (i: RegisterTaskDefinitionCommandInput) => this.registerTaskDefinition(i),
      DescribeTaskDefinition: (i: DescribeTaskDefinitionCommandInput) => this.describeTaskDefinition(i),
      DeregisterTaskDefinition: (i: DeregisterTaskDefinitionCommandInput) => this.deregisterTaskDefinition(i),
      DeleteTaskDefinitions: (i: DeleteTaskDefinitionsCommandInput) => this.deleteTaskDefinitions(i),
      ListTaskDefinitions: (i: ListTaskDefinitionsCommandInput) => this.listTaskDefinitions(i),
      ListTaskDefinitionFamilies: (i: ListTaskDefinitionFamiliesCommandInput) => this.listTaskDefinitionFamilies(i),
      CreateTaskSet: (i: CreateTaskSetCommandInput) => this.createTaskSet(i),
      DescribeTaskSets: (i: DescribeTaskSetsCommandInput) => this.describeTaskSets(i),
      UpdateTaskSet: (i: UpdateTaskSetCommandInput) => this.updateTaskSet(i),
      UpdateServicePrimaryTaskSet: (i: UpdateServicePrimaryTaskSetCommandInput) => this.updateServicePrimaryTaskSet(i),
      DeleteTaskSet: (i: DeleteTaskSetCommandInput) => this.deleteTaskSet(i),
      RunTask: (i: RunTaskCommandInput) => this.runTask(i),
      DescribeTasks: (i: DescribeTasksCommandInput) => this.describeTasks(i),
      StopTask: (i: StopTaskCommandInput) => this.stopTask(i),
      ListTasks: (i: ListTasksCommandInput) => this.listTasks(i),
    };
    // Every call first settles the tasks that stopped on their own since the last one.
    return Object.fromEntries(
      Object.entries(ops).map(([name, op]) => [
        name,
        (i: never) => {
          this.settle();
          return op(i);
        },
      ]),
    );
  }

  /**
   * Stop, in time order, every task-set task whose exit (crash, out of memory, failed container
   * health checks) is due by now, each at its own instant, and let the service scheduler replace it
   * at that instant (reconcile): a crashing image loops launch, exit, replacement. Called before
   * every API call and world query.
   */
  settle(): void {
    const now = this.now;
    for (;;) {
      let next: [TaskRec, ExitPlan] | undefined;
      for (const entry of this.exiting) {
        if (entry[0].stoppedAt !== undefined) {
          this.exiting.delete(entry[0]);
          continue;
        }
        if (entry[1].at <= now && (!next || entry[1].at < next[1].at)) next = entry;
      }
      if (!next) return;
      const [t, plan] = next;
      this.exiting.delete(t);
      t.stoppedAt = plan.at;
      t.stopCode = plan.stopCode;
      t.stoppedReason = plan.reason;
      t.exitCodes = plan.exitCodes;
      t.containerReasons = plan.containerReasons;
      const ts = this.findTaskSet(t.taskSetId);
      const svc = ts ? this.services.get(`${ts.cluster}/${ts.service}`) : undefined;
      if (ts && svc) this.reconcile(svc, ts, plan.at);
    }
  }

  /** How a task-set task will stop on its own, if it will (read from its images' profiles at launch). */
  private exitPlan(t: TaskRec): ExitPlan | undefined {
    if (t.pullFailed || t.oneOff) return undefined;
    const td = this.findTaskDef(t.taskDefinitionArn);
    const essential = (td?.request.containerDefinitions ?? []).filter((c) => c.essential !== false);
    const dying = essential.map((c) => ({ c, p: this.ctx.profile(this.ctx.digestOfImage(c.image)) })).filter((x) => x.p.crashes || x.p.oom);
    if (dying.length > 0) {
      return {
        // A crash loop needs time to pass: at least a second per attempt.
        at: Math.max(t.runningAt, t.launchedAt + 1000),
        stopCode: 'EssentialContainerExited',
        reason: ESSENTIAL_EXITED,
        exitCodes: Object.fromEntries(dying.map(({ c, p }) => [c.name ?? '', p.oom ? 137 : p.exitCode || 1])),
        containerReasons: Object.fromEntries(dying.filter(({ p }) => p.oom).map(({ c }) => [c.name ?? '', OOM_REASON])),
      };
    }
    // Container health checks: an essential container that fails them gets its task stopped and replaced
    // (ECS API reference, HealthCheck: "For tasks that are part of a service, if the task reports as
    // unhealthy then the task will be stopped and the service scheduler will replace it").
    const failing = essential.filter((c) => c.healthCheck && !this.ctx.profile(this.ctx.digestOfImage(c.image)).healthy);
    if (failing.length > 0) {
      const at = Math.min(...failing.map((c) => t.runningAt + unhealthyAfterMs(c)));
      return { at: Math.max(at, t.launchedAt + 1000), stopCode: 'TaskFailedToStart', reason: FAILED_HEALTH_CHECKS, exitCodes: {}, containerReasons: {} };
    }
    return undefined;
  }

  /** A container's health check status at `at` (UNKNOWN without a health check or before the first result). */
  private containerHealth(c: ContainerDefinition, ranAt: number | undefined, at: number): HealthStatus {
    if (!c.healthCheck || ranAt === undefined || at < ranAt) return 'UNKNOWN';
    if (!this.ctx.profile(this.ctx.digestOfImage(c.image)).healthy) return at >= ranAt + unhealthyAfterMs(c) ? 'UNHEALTHY' : 'UNKNOWN';
    return at >= ranAt + healthyAfterMs(c) ? 'HEALTHY' : 'UNKNOWN';
  }

  /**
   * A task's health from its essential containers' (ECS API reference, HealthCheck): UNHEALTHY if
   * one is, else UNKNOWN if one is still being evaluated, else HEALTHY; UNKNOWN with no health check.
   */
  private taskHealth(containers: readonly ContainerDefinition[], ranAt: number | undefined, at: number): HealthStatus {
    const checked = containers.filter((c) => c.essential !== false && c.healthCheck);
    if (checked.length === 0) return 'UNKNOWN';
    const states = checked.map((c) => this.containerHealth(c, ranAt, at));
    return states.includes('UNHEALTHY') ? 'UNHEALTHY' : states.includes('UNKNOWN') ? 'UNKNOWN' : 'HEALTHY';
  }

  // ---- lookups
  private clusterName(ref: string | undefined): string {
    const name = ref === undefined ? 'default' : ref.startsWith('arn:') ? (ref.split('/').pop() ?? '') : ref;
    return name;
  }
  private cluster(ref: string | undefined): ClusterRec {
    const c = this.clusters.get(this.clusterName(ref));
    if (!c) throw fault('ClusterNotFoundException', 'Cluster not found.');
    return c;
  }
  private serviceName(ref: string): string {
    return ref.startsWith('arn:') ? (ref.split('/').pop() ?? '') : ref;
  }
  private service(clusterRef: string | undefined, serviceRef: string | undefined): ServiceRec {
    const c = this.cluster(clusterRef);
    const svc = serviceRef === undefined ? undefined : this.services.get(`${c.name}/${this.serviceName(serviceRef)}`);
    if (!svc) throw fault('ServiceNotFoundException', 'Service not found.');
    return svc;
  }
  private liveTaskSets(svc: ServiceRec): TaskSetRec[] {
    return svc.taskSets.filter((ts) => !this.isGone(ts));
  }
  private isGone(ts: TaskSetRec): boolean {
    return ts.deletedAt !== undefined && this.now >= ts.deletedAt + this.drainMs(ts);
  }
  private drainMs(ts: TaskSetRec): number {
    const delays = ts.loadBalancers.map(
      (lb) => this.targetGroups.describe(lb.targetGroupArn ?? '')?.deregistrationDelayMs ?? this.ctx.settings.deregistrationDelayMs,
    );
    return delays.length > 0 ? Math.max(...delays) : this.ctx.settings.deregistrationDelayMs;
  }
  private taskSet(svc: ServiceRec, ref: string | undefined): TaskSetRec {
    const ts = ref === undefined ? undefined : this.liveTaskSets(svc).find((t) => t.id === ref || t.arn === ref);
    if (!ts) throw fault('TaskSetNotFoundException', `The specified task set does not exist: ${ref}`);
    return ts;
  }

  // ---- task definitions
  private parseTaskDefRef(ref: string | undefined): { family: string; revision?: number } {
    if (!ref) throw fault('ClientException', 'Task definition is required.');
    const tail = ref.startsWith('arn:') ? ref.slice(ref.indexOf('task-definition/') + 'task-definition/'.length) : ref;
    const [family, rev] = tail.split(':');
    if (!family) throw fault('ClientException', 'Unable to describe task definition.');
    if (rev === undefined) return { family };
    const revision = Number(rev);
    if (!Number.isInteger(revision) || revision < 1) throw fault('ClientException', `Invalid revision number. Number: ${rev}`);
    return { family, revision };
  }
  private findTaskDef(ref: string | undefined, activeOnlyForFamily = true): TaskDefRec | undefined {
    const { family, revision } = this.parseTaskDefRef(ref);
    const revs = this.taskDefs.get(family) ?? [];
    if (revision !== undefined) return revs.find((r) => r.revision === revision);
    const candidates = activeOnlyForFamily ? revs.filter((r) => r.status === 'ACTIVE') : revs;
    return candidates[candidates.length - 1];
  }
  private requireTaskDef(ref: string | undefined): TaskDefRec {
    const td = this.findTaskDef(ref);
    if (!td) throw fault('ClientException', 'Unable to describe task definition.');
    return td;
  }
  private container(td: TaskDefRec, name: string | undefined): ContainerDefinition | undefined {
    const cs = td.request.containerDefinitions ?? [];
    return name === undefined ? (cs.find((c) => c.essential !== false) ?? cs[0]) : cs.find((c) => c.name === name);
  }
  private digestOf(taskDefinitionArn: string, containerName: string | undefined): string | undefined {
    const td = this.findTaskDef(taskDefinitionArn);
    return td ? this.ctx.digestOfImage(this.container(td, containerName)?.image) : undefined;
  }

  registerTaskDefinition(input: RegisterTaskDefinitionCommandInput, registeredBy?: string, seeding = false): Out<RegisterTaskDefinitionCommandOutput> {
    const raw = input as unknown as Record<string, unknown>;
    const readOnly = READ_ONLY_TASK_DEFINITION_FIELDS.filter((k) => raw[k] !== undefined);
    if (readOnly.length > 0) {
      throw fault(
        'ClientException',
        `RegisterTaskDefinition does not accept the read-only field(s) ${readOnly.join(', ')} (they come from DescribeTaskDefinition; remove them).`,
      );
    }
    const unknown = Object.keys(raw).filter((k) => raw[k] !== undefined && !REGISTER_FIELDS.has(k));
    if (unknown.length > 0) throw fault('ClientException', `Unknown parameter(s) in RegisterTaskDefinition: ${unknown.join(', ')}.`);
    const family = input.family;
    if (!family || !NAME.test(family)) {
      throw fault('ClientException', 'Family must be 1-255 characters of letters (uppercase and lowercase), numbers, hyphens and underscores.');
    }
    if (input.tags !== undefined) {
      if (input.tags.length === 0) throw fault('ClientException', 'Tags can not be empty.');
      for (const t of input.tags) {
        if (!t.key || t.key.length > 128 || (t.value ?? '').length > 256) throw fault('ClientException', 'Tag keys must be 1-128 characters and values at most 256.');
      }
    }
    const containers = input.containerDefinitions ?? [];
    if (containers.length === 0) throw fault('ClientException', 'Container list cannot be empty.');
    const names = new Set<string>();
    for (const c of containers) {
      if (!c.name || !NAME.test(c.name)) throw fault('ClientException', 'Container.name should not be null or empty and may contain only letters, numbers, hyphens and underscores.');
      if (names.has(c.name)) throw fault('ClientException', `Duplicate container name: ${c.name}.`);
      names.add(c.name);
      if (!c.image) throw fault('ClientException', 'Container.image should not be null or empty.');
      for (const s of c.secrets ?? []) {
        if (!s.name || !s.valueFrom) throw fault('ClientException', `Container ${c.name}: each secret needs name and valueFrom.`);
      }
      if (input.networkMode === 'awsvpc') {
        for (const p of c.portMappings ?? []) {
          if (p.hostPort !== undefined && p.containerPort !== undefined && p.hostPort !== p.containerPort) {
            throw fault('ClientException', 'When networkMode=awsvpc, the host ports and container ports in port mappings must match.');
          }
        }
      }
    }
    if (!containers.some((c) => c.essential !== false)) throw fault('ClientException', 'Task definition must have at least one essential container.');
    const fargate = (input.requiresCompatibilities ?? []).includes('FARGATE');
    if (fargate) {
      if (input.networkMode !== 'awsvpc') throw fault('ClientException', "Fargate only supports network mode 'awsvpc'.");
      if (!input.cpu || !input.memory) throw fault('ClientException', 'Fargate requires task definition to have cpu and memory values set.');
      const usesEcr = containers.some((c) => (c.image ?? '').includes('.dkr.ecr.'));
      const usesSecrets = containers.some((c) => (c.secrets ?? []).length > 0);
      if ((usesEcr || usesSecrets) && !input.executionRoleArn) {
        throw fault('ClientException', 'Fargate requires that an execution role (executionRoleArn) be defined to pull ECR images and read secrets.');
      }
    }
    const revs = this.taskDefs.get(family) ?? [];
    // ECS serialises the revisions of a family: a registration while another one of the same family
    // is in flight is refused with this ClientException (no error name of its own; retry with
    // backoff). Seen in the wild: hashicorp/terraform-provider-aws#9777, PrefectHQ/prefect#15865.
    const window = this.ctx.settings.familyRegistrationMs;
    const busyUntil = this.familyBusyUntil.get(family);
    if (!seeding && window > 0 && busyUntil !== undefined && this.now < busyUntil) {
      throw fault('ClientException', 'Too many concurrent attempts to create a new revision of the specified family.');
    }
    if (window > 0 && !seeding) this.familyBusyUntil.set(family, this.now + window);
    const revision = (revs[revs.length - 1]?.revision ?? 0) + 1;
    const { tags, ...request } = structuredClone(input);
    const rec: TaskDefRec = {
      arn: this.arn(`task-definition/${family}:${revision}`),
      family,
      revision,
      status: 'ACTIVE',
      request,
      tags: tags ?? [],
      registeredAt: this.now,
      registeredBy: registeredBy ?? `arn:aws:sts::${this.ctx.accountId}:assumed-role/cutover-deployer/session`,
    };
    revs.push(rec);
    this.taskDefs.set(family, revs);
    return { taskDefinition: this.taskDefView(rec), ...(rec.tags.length > 0 ? { tags: structuredClone(rec.tags) } : {}) };
  }

  /** The task definition as DescribeTaskDefinition returns it, with AWS's defaults filled in. */
  private taskDefView(rec: TaskDefRec): TaskDefinition {
    const r = structuredClone(rec.request);
    const awsvpc = r.networkMode === 'awsvpc';
    const containerDefinitions = (r.containerDefinitions ?? []).map((c) => ({
      ...c,
      cpu: c.cpu ?? 0,
      portMappings: (c.portMappings ?? []).map((p) => ({
        ...p,
        ...(awsvpc && p.containerPort !== undefined ? { hostPort: p.hostPort ?? p.containerPort } : {}),
        protocol: p.protocol ?? 'tcp',
      })),
      essential: c.essential ?? true,
      environment: c.environment ?? [],
      mountPoints: c.mountPoints ?? [],
      volumesFrom: c.volumesFrom ?? [],
      systemControls: c.systemControls ?? [],
    }));
    const requiresAttributes = [
      { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' },
      ...(awsvpc ? [{ name: 'ecs.capability.task-eni' }] : []),
      ...(containerDefinitions.some((c) => (c.image ?? '').includes('.dkr.ecr.'))
        ? [{ name: 'com.amazonaws.ecs.capability.ecr-auth' }, { name: 'ecs.capability.execution-role-ecr-pull' }]
        : []),
      ...(containerDefinitions.some((c) => (c.secrets ?? []).some((s) => (s.valueFrom ?? '').includes(':secretsmanager:')))
        ? [{ name: 'ecs.capability.secrets.asm.environment-variables' }]
        : []),
      ...(containerDefinitions.some((c) => (c.secrets ?? []).some((s) => !(s.valueFrom ?? '').includes(':secretsmanager:')))
        ? [{ name: 'ecs.capability.secrets.ssm.environment-variables' }]
        : []),
      ...(r.taskRoleArn ? [{ name: 'com.amazonaws.ecs.capability.task-iam-role' }] : []),
    ];
    const compatibilities: Compatibility[] = (r.requiresCompatibilities ?? []).includes('FARGATE') ? ['EC2', 'FARGATE'] : ['EC2'];
    return {
      taskDefinitionArn: rec.arn,
      containerDefinitions,
      family: rec.family,
      ...(r.taskRoleArn !== undefined ? { taskRoleArn: r.taskRoleArn } : {}),
      ...(r.executionRoleArn !== undefined ? { executionRoleArn: r.executionRoleArn } : {}),
      ...(r.networkMode !== undefined ? { networkMode: r.networkMode } : {}),
      revision: rec.revision,
      volumes: r.volumes ?? [],
      status: rec.status,
      requiresAttributes,
      placementConstraints: r.placementConstraints ?? [],
      compatibilities,
      ...(r.runtimePlatform !== undefined ? { runtimePlatform: r.runtimePlatform } : {}),
      ...(r.requiresCompatibilities !== undefined ? { requiresCompatibilities: r.requiresCompatibilities } : {}),
      ...(r.cpu !== undefined ? { cpu: r.cpu } : {}),
      ...(r.memory !== undefined ? { memory: r.memory } : {}),
      ...(r.inferenceAccelerators !== undefined ? { inferenceAccelerators: r.inferenceAccelerators } : {}),
      ...(r.pidMode !== undefined ? { pidMode: r.pidMode } : {}),
      ...(r.ipcMode !== undefined ? { ipcMode: r.ipcMode } : {}),
      ...(r.proxyConfiguration !== undefined ? { proxyConfiguration: r.proxyConfiguration } : {}),
      registeredAt: new Date(rec.registeredAt),
      ...(rec.deregisteredAt !== undefined ? { deregisteredAt: new Date(rec.deregisteredAt) } : {}),
      ...(rec.deleteRequestedAt !== undefined ? { deleteRequestedAt: new Date(rec.deleteRequestedAt) } : {}),
      registeredBy: rec.registeredBy,
      ...(r.ephemeralStorage !== undefined ? { ephemeralStorage: r.ephemeralStorage } : {}),
      enableFaultInjection: r.enableFaultInjection ?? false,
    };
  }

  describeTaskDefinition(i: DescribeTaskDefinitionCommandInput): Out<DescribeTaskDefinitionCommandOutput> {
    const td = this.findTaskDef(i.taskDefinition);
    if (!td) throw fault('ClientException', 'Unable to describe task definition.');
    const withTags = (i.include ?? []).includes('TAGS');
    return { taskDefinition: this.taskDefView(td), ...(withTags ? { tags: structuredClone(td.tags) } : {}) };
  }

  deregisterTaskDefinition(i: DeregisterTaskDefinitionCommandInput): Out<DeregisterTaskDefinitionCommandOutput> {
    const ref = this.parseTaskDefRef(i.taskDefinition);
    if (ref.revision === undefined) throw fault('ClientException', 'Invalid revision number. Number: (none); use family:revision or the task definition ARN.');
    const td = this.findTaskDef(i.taskDefinition);
    if (!td || td.status === 'DELETE_IN_PROGRESS') throw fault('ClientException', 'Unable to describe task definition.');
    if (td.status === 'ACTIVE') {
      td.status = 'INACTIVE';
      td.deregisteredAt = this.now;
    }
    return { taskDefinition: this.taskDefView(td) };
  }

  deleteTaskDefinitions(i: DeleteTaskDefinitionsCommandInput): Out<DeleteTaskDefinitionsCommandOutput> {
    const refs = i.taskDefinitions ?? [];
    if (refs.length === 0 || refs.length > 10) throw fault('InvalidParameterException', 'taskDefinitions must list between 1 and 10 task definitions.');
    const taskDefinitions: TaskDefinition[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const parsed = this.parseTaskDefRef(ref);
      const td = parsed.revision === undefined ? undefined : this.findTaskDef(ref);
      if (!td) {
        failures.push({ arn: ref, reason: 'TASK_DEFINITION_NOT_FOUND', detail: 'The specified task definition does not exist.' });
      } else if (td.status === 'ACTIVE') {
        failures.push({
          arn: td.arn,
          reason: 'TASK_DEFINITION_IS_ACTIVE',
          detail: 'The specified task definition is still in ACTIVE status. Deregister it before deleting it.',
        });
      } else {
        if (td.status === 'INACTIVE') {
          td.status = 'DELETE_IN_PROGRESS';
          td.deleteRequestedAt = this.now;
        }
        taskDefinitions.push(this.taskDefView(td));
      }
    }
    return { taskDefinitions, failures };
  }

  private pageOf<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined, limit = 100): { page: T[]; nextToken?: string } {
    const size = Math.min(maxResults ?? limit, limit);
    const start = nextToken ? Number(Buffer.from(nextToken, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw fault('InvalidParameterException', 'Invalid nextToken.');
    const page = items.slice(start, start + size);
    const end = start + page.length;
    return end < items.length ? { page, nextToken: Buffer.from(String(end)).toString('base64') } : { page };
  }

  listTaskDefinitions(i: ListTaskDefinitionsCommandInput): Out<ListTaskDefinitionsCommandOutput> {
    const status = i.status ?? 'ACTIVE';
    const all = [...this.taskDefs.entries()]
      .filter(([family]) => i.familyPrefix === undefined || family === i.familyPrefix)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([, revs]) => revs.filter((r) => r.status === status).map((r) => r.arn));
    if (i.sort === 'DESC') all.reverse();
    const { page, nextToken } = this.pageOf(all, i.maxResults, i.nextToken);
    return { taskDefinitionArns: page, ...(nextToken ? { nextToken } : {}) };
  }

  listTaskDefinitionFamilies(i: ListTaskDefinitionFamiliesCommandInput): Out<ListTaskDefinitionFamiliesCommandOutput> {
    const status = i.status ?? 'ACTIVE';
    const families = [...this.taskDefs.entries()]
      .filter(([family]) => i.familyPrefix === undefined || family.startsWith(i.familyPrefix))
      .filter(([, revs]) => status === 'ALL' || revs.some((r) => r.status === status))
      .map(([family]) => family)
      .sort();
    const { page, nextToken } = this.pageOf(families, i.maxResults, i.nextToken);
    return { families: page, ...(nextToken ? { nextToken } : {}) };
  }

  // ---- clusters and services
  describeClusters(i: DescribeClustersCommandInput): Out<DescribeClustersCommandOutput> {
    const refs = i.clusters && i.clusters.length > 0 ? i.clusters : ['default'];
    const clusters = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const c = this.clusters.get(this.clusterName(ref));
      if (!c) failures.push({ arn: ref.startsWith('arn:') ? ref : this.arn(`cluster/${ref}`), reason: 'MISSING' });
      else {
        const svcs = [...this.services.values()].filter((s) => s.cluster === c.name);
        clusters.push({
          clusterArn: c.arn,
          clusterName: c.name,
          status: 'ACTIVE',
          activeServicesCount: svcs.length,
          runningTasksCount: svcs.reduce((n, s) => n + this.liveTaskSets(s).reduce((m, ts) => m + this.counts(ts).running, 0), 0),
          pendingTasksCount: svcs.reduce((n, s) => n + this.liveTaskSets(s).reduce((m, ts) => m + this.counts(ts).pending, 0), 0),
          registeredContainerInstancesCount: 0,
        });
      }
    }
    return { clusters, failures };
  }

  private serviceView(svc: ServiceRec, withTags: boolean): Service {
    const sets = this.liveTaskSets(svc);
    const primary = sets.find((t) => t.status === 'PRIMARY');
    const counts = sets.map((ts) => this.counts(ts));
    return {
      serviceArn: svc.arn,
      serviceName: svc.name,
      clusterArn: svc.clusterArn,
      loadBalancers: [],
      serviceRegistries: [],
      status: 'ACTIVE',
      desiredCount: svc.desiredCount,
      runningCount: counts.reduce((n, c) => n + c.running, 0),
      pendingCount: counts.reduce((n, c) => n + c.pending, 0),
      ...(primary?.launchType ? { launchType: primary.launchType as Service['launchType'] } : {}),
      ...(primary ? { taskDefinition: primary.taskDefinitionArn } : {}),
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
      taskSets: sets.filter((ts) => !ts.hidden).map((ts) => this.taskSetView(svc, ts)),
      deployments: [],
      events: [],
      createdAt: new Date(svc.createdAt),
      placementConstraints: [],
      placementStrategy: [],
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: svc.controller },
      createdBy: `arn:aws:iam::${this.ctx.accountId}:role/deployer`,
      enableECSManagedTags: false,
      propagateTags: 'NONE',
      enableExecuteCommand: false,
      ...(withTags ? { tags: structuredClone(svc.tags) } : {}),
      ...(svc.controller !== 'EXTERNAL' ? (this.native?.serviceView(svc.arn) ?? {}) : {}),
    };
  }

  describeServices(i: DescribeServicesCommandInput): Out<DescribeServicesCommandOutput> {
    const c = this.cluster(i.cluster);
    const refs = i.services ?? [];
    if (refs.length === 0 || refs.length > 10) throw fault('InvalidParameterException', 'services must list between 1 and 10 services.');
    const withTags = (i.include ?? []).includes('TAGS');
    const services: Service[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const svc = this.services.get(`${c.name}/${this.serviceName(ref)}`);
      if (!svc) failures.push({ arn: ref.startsWith('arn:') ? ref : this.arn(`service/${c.name}/${ref}`), reason: 'MISSING' });
      else services.push(this.serviceView(svc, withTags));
    }
    return { services, failures };
  }

  updateService(i: UpdateServiceCommandInput): Out<UpdateServiceCommandOutput> {
    const svc = this.service(i.cluster, i.service);
    if (svc.controller === 'EXTERNAL' && i.deploymentConfiguration?.strategy !== undefined) {
      // ECS developer guide, "Amazon ECS deployment types": the strategies are the ECS controller's.
      throw fault('InvalidParameterException', `deploymentConfiguration.strategy ${i.deploymentConfiguration.strategy} is only valid for services with the ECS deployment controller; this service uses EXTERNAL.`);
    }
    if (svc.controller !== 'EXTERNAL') {
      if (!this.native) throw fault('InvalidParameterException', `UpdateService of a service with the ${svc.controller} deployment controller is not modelled without the native engine.`);
      this.native.updateService(i, { arn: svc.arn, controller: svc.controller });
    }
    if (svc.controller === 'EXTERNAL') {
      const refused = (['taskDefinition', 'networkConfiguration', 'platformVersion', 'loadBalancers', 'capacityProviderStrategy', 'forceNewDeployment'] as const).filter(
        (k) => (i as unknown as Record<string, unknown>)[k] !== undefined,
      );
      if (refused.length > 0) {
        throw fault(
          'InvalidParameterException',
          `Unable to update ${refused.join(', ')} on a service with the EXTERNAL deployment controller; use task sets.`,
        );
      }
    }
    if (i.desiredCount !== undefined) {
      if (!Number.isInteger(i.desiredCount) || i.desiredCount < 0) throw fault('InvalidParameterException', 'desiredCount must be a non-negative integer.');
      svc.desiredCount = i.desiredCount;
      for (const ts of this.liveTaskSets(svc)) this.reconcile(svc, ts, this.now);
    }
    return { service: this.serviceView(svc, false) };
  }

  // ---- task sets
  private computedDesired(svc: ServiceRec, ts: TaskSetRec): number {
    if (ts.status === 'DRAINING') return 0;
    // "Always rounded up" (TaskSet computedDesiredCount); the epsilon absorbs floating point (4 x 12.5 / 100); never -0.
    return Math.max(0, Math.ceil((svc.desiredCount * ts.scale) / 100 - 1e-9));
  }

  /** Launch or stop tasks so the task set's live tasks match its computed desired count at `at`. */
  private reconcile(svc: ServiceRec, ts: TaskSetRec, at: number): void {
    const desired = this.computedDesired(svc, ts);
    const alive = ts.tasks.filter((t) => t.stoppedAt === undefined);
    if (alive.length < desired) {
      for (let k = alive.length; k < desired; k++) ts.tasks.push(this.launch(ts.clusterArn, ts.taskDefinitionArn, at, { taskSetId: ts.id, group: `service:${svc.name}`, startedBy: ts.id, ...(ts.launchType ? { launchType: ts.launchType } : {}) }));
      ts.changedAt = at;
    } else if (alive.length > desired) {
      const byStopPriority = [...alive].sort((a, b) => {
        const ar = this.runsAt(a, ts) !== undefined && (this.runsAt(a, ts) as number) <= at ? 1 : 0;
        const br = this.runsAt(b, ts) !== undefined && (this.runsAt(b, ts) as number) <= at ? 1 : 0;
        return ar - br || b.launchedAt - a.launchedAt;
      });
      for (const t of byStopPriority.slice(0, alive.length - desired)) {
        t.stoppedAt = at;
        t.stopCode = 'ServiceSchedulerInitiated';
        t.stoppedReason = ts.status === 'DRAINING' ? 'Task set deleted' : 'Scaling activity initiated by (deployment ' + ts.id + ')';
      }
      ts.changedAt = at;
    }
  }

  private launch(
    clusterArn: string,
    taskDefinitionArn: string,
    at: number,
    opts: { taskSetId?: string; group: string; startedBy?: string; overrides?: TaskOverride; launchType?: string; oneOff?: boolean },
  ): TaskRec {
    const id = this.ctx.ids.hex(32);
    const n = this.ipCounter++;
    const td = this.findTaskDef(taskDefinitionArn);
    const image = td ? this.container(td, undefined)?.image : undefined;
    const clusterName = clusterArn.split('/').pop();
    const t: TaskRec = {
      arn: this.arn(`task/${clusterName}/${id}`),
      id,
      clusterArn,
      taskDefinitionArn,
      ...(opts.taskSetId ? { taskSetId: opts.taskSetId } : {}),
      group: opts.group,
      ...(opts.startedBy ? { startedBy: opts.startedBy } : {}),
      ip: `10.0.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`,
      availabilityZone: `${this.ctx.region}${'abc'[n % 3]}`,
      launchedAt: at,
      runningAt: at + this.ctx.settings.taskStartDelayMs,
      pullFailed: !this.pullable(image),
      ...(opts.overrides ? { overrides: opts.overrides } : {}),
      ...(opts.launchType ? { launchType: opts.launchType } : {}),
      oneOff: opts.oneOff ?? false,
    };
    this.tasks.set(t.arn, t);
    const plan = this.exitPlan(t);
    if (plan) this.exiting.set(t, plan);
    return t;
  }

  /** ECR images of this account must exist to be pulled; other registries are assumed reachable. */
  private pullable(image: string | undefined): boolean {
    if (!image) return false;
    const registry = `${this.ctx.accountId}.dkr.ecr.${this.ctx.region}.amazonaws.com/`;
    if (!image.startsWith(registry)) return true;
    return this.ctx.ecrHasImage(image);
  }

  /** When a task-set task runs (undefined: never — crash or pull failure). */
  private runsAt(t: TaskRec, ts: TaskSetRec): number | undefined {
    if (t.pullFailed) return undefined;
    const lb = ts.loadBalancers[0];
    const digest = this.digestOf(ts.taskDefinitionArn, lb?.containerName);
    const p = this.ctx.profile(digest);
    if (p.crashes || p.oom) return undefined;
    return t.runningAt;
  }

  private counts(ts: TaskSetRec): { running: number; pending: number } {
    const now = this.now;
    let running = 0;
    let pending = 0;
    for (const t of ts.tasks) {
      if (t.stoppedAt !== undefined && t.stoppedAt <= now) continue;
      const r = this.runsAt(t, ts);
      if (r !== undefined && r <= now) running++;
      else pending++;
    }
    return { running, pending };
  }

  private stability(svc: ServiceRec, ts: TaskSetRec): { status: 'STEADY_STATE' | 'STABILIZING'; at: number } {
    const now = this.now;
    const { running, pending } = this.counts(ts);
    if (ts.status === 'DRAINING' || running !== this.computedDesired(svc, ts) || pending > 0) return { status: 'STABILIZING', at: ts.changedAt };
    let steadySince = ts.changedAt;
    const containers = this.findTaskDef(ts.taskDefinitionArn)?.request.containerDefinitions ?? [];
    const checked = containers.filter((c) => c.essential !== false && c.healthCheck);
    for (const t of ts.tasks) {
      if (t.stoppedAt !== undefined) continue;
      const r = this.runsAt(t, ts) as number;
      steadySince = Math.max(steadySince, r);
      // With container health checks, a task counts once its essential containers are HEALTHY.
      if (checked.length > 0) {
        if (this.taskHealth(containers, r, now) !== 'HEALTHY') return { status: 'STABILIZING', at: ts.changedAt };
        steadySince = Math.max(steadySince, r + Math.max(...checked.map(healthyAfterMs)));
      }
      for (const lb of ts.loadBalancers) {
        const tg = lb.targetGroupArn ?? '';
        const state = this.targetGroups.targetState(tg, this.asTarget(ts, t, lb), now);
        if (state !== 'healthy') return { status: 'STABILIZING', at: ts.changedAt };
      }
    }
    return { status: 'STEADY_STATE', at: steadySince };
  }

  private taskSetView(svc: ServiceRec, ts: TaskSetRec): TaskSet {
    const { running, pending } = this.counts(ts);
    const stab = this.stability(svc, ts);
    return {
      id: ts.id,
      taskSetArn: ts.arn,
      serviceArn: ts.serviceArn,
      clusterArn: ts.clusterArn,
      ...(ts.externalId !== undefined ? { externalId: ts.externalId } : {}),
      status: ts.status,
      taskDefinition: ts.taskDefinitionArn,
      computedDesiredCount: this.computedDesired(svc, ts),
      pendingCount: pending,
      runningCount: running,
      createdAt: new Date(ts.createdAt),
      updatedAt: new Date(ts.updatedAt),
      ...(ts.launchType ? { launchType: ts.launchType as TaskSet['launchType'] } : {}),
      ...(ts.capacityProviderStrategy ? { capacityProviderStrategy: structuredClone(ts.capacityProviderStrategy) } : {}),
      ...(ts.platformVersion ? { platformVersion: ts.platformVersion } : {}),
      ...(ts.launchType === 'FARGATE' ? { platformFamily: 'Linux' } : {}),
      ...(ts.networkConfiguration ? { networkConfiguration: structuredClone(ts.networkConfiguration) } : {}),
      loadBalancers: structuredClone(ts.loadBalancers),
      serviceRegistries: [],
      scale: { value: ts.scale, unit: 'PERCENT' },
      stabilityStatus: stab.status,
      stabilityStatusAt: new Date(stab.at),
      tags: structuredClone(ts.tags),
    };
  }

  private newTaskSet(svc: ServiceRec, i: CreateTaskSetCommandInput, at: number): TaskSetRec {
    const td = this.requireTaskDef(i.taskDefinition);
    const id = `ecs-svc/${this.ctx.ids.digits(19)}`;
    const ts: TaskSetRec = {
      id,
      arn: this.arn(`task-set/${svc.cluster}/${svc.name}/${id}`),
      cluster: svc.cluster,
      service: svc.name,
      serviceArn: svc.arn,
      clusterArn: svc.clusterArn,
      status: 'ACTIVE',
      taskDefinitionArn: td.arn,
      ...(i.externalId !== undefined ? { externalId: i.externalId } : {}),
      scale: i.scale?.value ?? 100,
      ...(i.launchType ? { launchType: i.launchType } : {}),
      ...(i.capacityProviderStrategy ? { capacityProviderStrategy: structuredClone(i.capacityProviderStrategy) } : {}),
      ...(i.platformVersion || i.launchType === 'FARGATE' ? { platformVersion: i.platformVersion ?? '1.4.0' } : {}),
      ...(i.networkConfiguration ? { networkConfiguration: structuredClone(i.networkConfiguration) } : {}),
      loadBalancers: structuredClone(i.loadBalancers ?? []),
      tags: structuredClone(i.tags ?? []),
      createdAt: at,
      updatedAt: at,
      changedAt: at,
      tasks: [],
    };
    svc.taskSets.push(ts);
    this.taskSetsById.set(id, ts);
    for (const tg of new Set(ts.loadBalancers.map((l) => l.targetGroupArn))) {
      if (tg === undefined) continue;
      const sets = this.taskSetsByTargetGroup.get(tg);
      if (sets) sets.push(ts);
      else this.taskSetsByTargetGroup.set(tg, [ts]);
    }
    this.reconcile(svc, ts, at);
    return ts;
  }

  createTaskSet(i: CreateTaskSetCommandInput): Out<CreateTaskSetCommandOutput> {
    const svc = this.service(i.cluster, i.service);
    if (svc.controller !== 'EXTERNAL') {
      throw fault('InvalidParameterException', 'Task sets can only be created for services that use the EXTERNAL deployment controller.');
    }
    if (i.clientToken !== undefined) {
      const existing = svc.clientTokens.get(i.clientToken);
      if (existing) return { taskSet: this.taskSetView(svc, existing) };
    }
    // "Task sets per service: 5" (Amazon ECS service quotas,
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html), DRAINING ones
    // included until they are gone; the answer as ECS gives it (aws-samples/ecs-bg-external-controller#6).
    const live = this.liveTaskSets(svc);
    if (live.length >= MAX_TASK_SETS_PER_SERVICE) {
      throw fault(
        'InvalidParameterException',
        `${live.length} deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.`,
      );
    }
    const td = this.findTaskDef(i.taskDefinition);
    if (!td) throw fault('ClientException', 'Unable to describe task definition.');
    if (td.status !== 'ACTIVE') throw fault('ClientException', `TaskDefinition is inactive: ${td.arn}`);
    if (i.scale !== undefined) {
      if (i.scale.unit !== undefined && i.scale.unit !== 'PERCENT') throw fault('InvalidParameterException', 'scale.unit must be PERCENT.');
      const v = i.scale.value;
      if (v === undefined || !(v >= 0 && v <= 100)) throw fault('InvalidParameterException', 'scale.value must be between 0 and 100.');
    }
    const lbs = i.loadBalancers ?? [];
    // Several target groups per service only with the ECS deployment controller ("Registering
    // multiple target groups with an Amazon ECS service", Considerations,
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/register-multiple-targetgroups.html):
    // a task set of an EXTERNAL service takes one.
    if (lbs.length > 1) throw fault('InvalidParameterException', 'A task set supports one load balancer (target group).');
    for (const lb of lbs) {
      const tg = lb.targetGroupArn ? this.targetGroups.describe(lb.targetGroupArn) : undefined;
      if (!lb.targetGroupArn || !tg) {
        throw fault('InvalidParameterException', `Unable to validate the target group ${lb.targetGroupArn ?? '(none)'}: it does not exist.`);
      }
      if (!tg.hasLoadBalancer) {
        throw fault('InvalidParameterException', `The target group with targetGroupArn ${lb.targetGroupArn} does not have an associated load balancer.`);
      }
      const c = this.container(td, lb.containerName);
      if (!lb.containerName || !c) throw fault('InvalidParameterException', `The container ${lb.containerName} does not exist in the task definition.`);
      if (!(c.portMappings ?? []).some((p) => p.containerPort === lb.containerPort)) {
        throw fault('InvalidParameterException', `The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`);
      }
    }
    if (td.request.networkMode === 'awsvpc' && !(i.networkConfiguration?.awsvpcConfiguration?.subnets ?? []).length) {
      throw fault('InvalidParameterException', "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    }
    const launchType = i.launchType ?? (i.capacityProviderStrategy ? undefined : 'EC2');
    const compat = td.request.requiresCompatibilities;
    if (launchType !== undefined && compat !== undefined && compat.length > 0 && !compat.includes(launchType as Compatibility)) {
      throw fault('InvalidParameterException', `Task definition does not support launch_type ${launchType}.`);
    }
    const ts = this.newTaskSet(svc, { ...i, ...(launchType ? { launchType } : {}) }, this.now);
    if (i.clientToken !== undefined) svc.clientTokens.set(i.clientToken, ts);
    return { taskSet: this.taskSetView(svc, ts) };
  }

  describeTaskSets(i: DescribeTaskSetsCommandInput): Out<DescribeTaskSetsCommandOutput> {
    const svc = this.service(i.cluster, i.service);
    if (svc.controller !== 'EXTERNAL') throw fault('InvalidParameterException', 'Task sets are only available for services that use the EXTERNAL deployment controller.');
    const live = this.liveTaskSets(svc);
    if (!i.taskSets || i.taskSets.length === 0) return { taskSets: live.map((ts) => this.taskSetView(svc, ts)), failures: [] };
    const taskSets: TaskSet[] = [];
    const failures: Failure[] = [];
    for (const ref of i.taskSets) {
      const ts = live.find((t) => t.id === ref || t.arn === ref);
      if (ts) taskSets.push(this.taskSetView(svc, ts));
      else failures.push({ arn: ref, reason: 'MISSING' });
    }
    return { taskSets, failures };
  }

  updateTaskSet(i: UpdateTaskSetCommandInput): Out<UpdateTaskSetCommandOutput> {
    const svc = this.service(i.cluster, i.service);
    const ts = this.taskSet(svc, i.taskSet);
    if (ts.status === 'DRAINING') throw fault('InvalidParameterException', 'The task set is being deleted and cannot be updated.');
    const v = i.scale?.value;
    if (i.scale?.unit !== undefined && i.scale.unit !== 'PERCENT') throw fault('InvalidParameterException', 'scale.unit must be PERCENT.');
    if (v === undefined || !(v >= 0 && v <= 100)) throw fault('InvalidParameterException', 'scale.value must be between 0 and 100.');
    ts.scale = v;
    ts.updatedAt = this.now;
    this.reconcile(svc, ts, this.now);
    return { taskSet: this.taskSetView(svc, ts) };
  }

  updateServicePrimaryTaskSet(i: UpdateServicePrimaryTaskSetCommandInput): Out<UpdateServicePrimaryTaskSetCommandOutput> {
    const svc = this.service(i.cluster, i.service);
    const ts = this.taskSet(svc, i.primaryTaskSet);
    if (ts.status === 'DRAINING') throw fault('InvalidParameterException', 'A task set that is being deleted cannot become primary.');
    for (const other of this.liveTaskSets(svc)) {
      if (other !== ts && other.status === 'PRIMARY') {
        other.status = 'ACTIVE';
        other.updatedAt = this.now;
      }
    }
    if (ts.status !== 'PRIMARY') {
      ts.status = 'PRIMARY';
      ts.updatedAt = this.now;
    }
    return { taskSet: this.taskSetView(svc, ts) };
  }

  deleteTaskSet(i: DeleteTaskSetCommandInput): Out<DeleteTaskSetCommandOutput> {
    const svc = this.service(i.cluster, i.service);
    const ts = this.taskSet(svc, i.taskSet);
    if (ts.status !== 'DRAINING') {
      if (!i.force && ts.scale > 0) {
        throw fault('InvalidParameterException', 'The task set cannot be deleted until it is scaled to 0; scale it down first or set force.');
      }
      ts.status = 'DRAINING';
      ts.deletedAt = this.now;
      ts.updatedAt = this.now;
      this.reconcile(svc, ts, this.now);
    }
    return { taskSet: this.taskSetView(svc, ts) };
  }

  // ---- one-off tasks
  runTask(i: RunTaskCommandInput): Out<RunTaskCommandOutput> {
    const c = this.cluster(i.cluster);
    if (i.clientToken !== undefined) {
      const prior = this.runTaskTokens.get(`${c.name}/${i.clientToken}`);
      if (prior) return { tasks: prior.map((t) => this.taskView(t)), failures: [] };
    }
    const td = this.findTaskDef(i.taskDefinition);
    if (!td) throw fault('ClientException', 'Unable to describe task definition.');
    if (td.status !== 'ACTIVE') throw fault('ClientException', `TaskDefinition is inactive: ${td.arn}`);
    const count = i.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10) throw fault('InvalidParameterException', 'count must be between 1 and 10.');
    if (td.request.networkMode === 'awsvpc' && !(i.networkConfiguration?.awsvpcConfiguration?.subnets ?? []).length) {
      throw fault('InvalidParameterException', "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    }
    for (const o of i.overrides?.containerOverrides ?? []) {
      if (!o.name || !this.container(td, o.name)) throw fault('InvalidParameterException', `Override for container named ${o.name} is not a container in the TaskDefinition.`);
    }
    const launchType = i.launchType ?? (i.capacityProviderStrategy ? undefined : 'EC2');
    const compat = td.request.requiresCompatibilities;
    if (launchType !== undefined && compat !== undefined && compat.length > 0 && !compat.includes(launchType as Compatibility)) {
      throw fault('InvalidParameterException', `Task definition does not support launch_type ${launchType}.`);
    }
    const tasks: TaskRec[] = [];
    for (let k = 0; k < count; k++) {
      tasks.push(
        this.launch(c.arn, td.arn, this.now, {
          group: i.group ?? `family:${td.family}`,
          ...(i.startedBy ? { startedBy: i.startedBy } : {}),
          ...(i.overrides ? { overrides: structuredClone(i.overrides) } : {}),
          ...(launchType ? { launchType } : {}),
          oneOff: true,
        }),
      );
    }
    if (i.clientToken !== undefined) this.runTaskTokens.set(`${c.name}/${i.clientToken}`, tasks);
    return { tasks: tasks.map((t) => this.taskView(t)), failures: [] };
  }

  /** Lifecycle of a one-off task at `now`. */
  private oneOffState(t: TaskRec): { status: 'PENDING' | 'RUNNING' | 'STOPPED'; stoppedAt?: number; exit?: Record<string, number>; stopCode?: string; reason?: string } {
    const now = this.now;
    if (t.stoppedAt !== undefined) return { status: 'STOPPED', stoppedAt: t.stoppedAt, ...(t.stopCode ? { stopCode: t.stopCode } : {}), ...(t.stoppedReason ? { reason: t.stoppedReason } : {}) };
    const td = this.findTaskDef(t.taskDefinitionArn);
    const containers = td?.request.containerDefinitions ?? [];
    if (t.pullFailed) {
      if (now < t.runningAt) return { status: 'PENDING' };
      return {
        status: 'STOPPED',
        stoppedAt: t.runningAt,
        stopCode: 'TaskFailedToStart',
        reason: 'CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref: not found',
      };
    }
    const profiles = containers.map((c) => this.ctx.profile(this.ctx.digestOfImage(c.image)));
    if (profiles.some((p) => p.crashes || p.oom)) {
      if (now < t.runningAt) return { status: 'PENDING' };
      const exit = Object.fromEntries(containers.map((c, k) => [c.name ?? '', profiles[k]?.oom ? 137 : profiles[k]?.crashes ? profiles[k]?.exitCode || 1 : 0]));
      return { status: 'STOPPED', stoppedAt: t.runningAt, exit, stopCode: 'EssentialContainerExited', reason: 'Essential container in task exited' };
    }
    if (now < t.runningAt) return { status: 'PENDING' };
    const essential = containers.find((c) => c.essential !== false);
    const runMs = this.ctx.profile(this.ctx.digestOfImage(essential?.image)).runMs ?? this.ctx.settings.runTaskDurationMs;
    const stopAt = t.runningAt + runMs;
    if (now < stopAt) return { status: 'RUNNING' };
    const exit = Object.fromEntries(containers.map((c, k) => [c.name ?? '', profiles[k]?.exitCode ?? 0]));
    return { status: 'STOPPED', stoppedAt: stopAt, exit, stopCode: 'EssentialContainerExited', reason: 'Essential container in task exited' };
  }

  private taskView(t: TaskRec): Task {
    const td = this.findTaskDef(t.taskDefinitionArn);
    const containers = td?.request.containerDefinitions ?? [];
    let status: 'PENDING' | 'RUNNING' | 'STOPPED';
    let stoppedAt: number | undefined;
    let exit: Record<string, number> | undefined;
    let stopCode: string | undefined;
    let reason: string | undefined;
    if (t.oneOff) {
      const s = this.oneOffState(t);
      ({ status, stoppedAt, exit, stopCode, reason } = s);
    } else {
      const r = this.taskSetRunsAt(t);
      if (t.stoppedAt !== undefined && t.stoppedAt <= this.now) {
        status = 'STOPPED';
        stoppedAt = t.stoppedAt;
        stopCode = t.stopCode;
        reason = t.stoppedReason;
        exit = t.exitCodes;
      } else status = r !== undefined && r <= this.now ? 'RUNNING' : 'PENDING';
    }
    // A task-set task that exited on its own had started (its containers ran, however briefly).
    const ranAt = t.oneOff || t.exitCodes !== undefined ? (exit !== undefined || status === 'RUNNING' ? t.runningAt : undefined) : this.taskSetRunsAt(t);
    const running = ranAt !== undefined && ranAt <= (stoppedAt ?? this.now);
    const healthAt = Math.min(this.now, stoppedAt ?? this.now);
    const containerReason = (name: string | undefined) => (name !== undefined ? (t.oneOff ? undefined : t.containerReasons?.[name]) : undefined);
    return {
      taskArn: t.arn,
      clusterArn: t.clusterArn,
      taskDefinitionArn: t.taskDefinitionArn,
      ...(t.startedBy ? { startedBy: t.startedBy } : {}),
      group: t.group,
      lastStatus: status,
      desiredStatus: status === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      ...(t.launchType ? { launchType: t.launchType as Task['launchType'] } : {}),
      availabilityZone: t.availabilityZone,
      createdAt: new Date(t.launchedAt),
      ...(running ? { startedAt: new Date(t.runningAt), pullStartedAt: new Date(t.launchedAt + 2000), pullStoppedAt: new Date(t.runningAt - 2000) } : {}),
      ...(status === 'STOPPED' && stoppedAt !== undefined
        ? { stoppedAt: new Date(stoppedAt), stoppingAt: new Date(stoppedAt), executionStoppedAt: new Date(stoppedAt) }
        : {}),
      ...(stopCode ? { stopCode: stopCode as Task['stopCode'] } : {}),
      ...(reason ? { stoppedReason: reason } : {}),
      ...(t.overrides ? { overrides: structuredClone(t.overrides) } : { overrides: { containerOverrides: [] } }),
      cpu: td?.request.cpu,
      memory: td?.request.memory,
      connectivity: status === 'PENDING' ? 'DISCONNECTED' : 'CONNECTED',
      version: status === 'PENDING' ? 1 : status === 'RUNNING' ? 2 : 3,
      attachments: [
        {
          id: `${t.id.slice(0, 8)}-${t.id.slice(8, 12)}-${t.id.slice(12, 16)}-${t.id.slice(16, 20)}-${t.id.slice(20)}`,
          type: 'ElasticNetworkInterface',
          status: status === 'STOPPED' ? 'DELETED' : 'ATTACHED',
          details: [{ name: 'privateIPv4Address', value: t.ip }],
        },
      ],
      containers: containers.map((c) => ({
        containerArn: this.arn(`container/${t.clusterArn.split('/').pop()}/${t.id}/${c.name}`),
        taskArn: t.arn,
        name: c.name,
        image: c.image,
        ...(this.ctx.digestOfImage(c.image) ? { imageDigest: this.ctx.digestOfImage(c.image) } : {}),
        lastStatus: status,
        ...(exit && c.name !== undefined && exit[c.name] !== undefined ? { exitCode: exit[c.name] } : {}),
        ...(containerReason(c.name) ? { reason: containerReason(c.name) } : {}),
        networkInterfaces: [{ attachmentId: t.id, privateIpv4Address: t.ip }],
        healthStatus: running ? this.containerHealth(c, ranAt, healthAt) : 'UNKNOWN',
      })),
      healthStatus: running ? this.taskHealth(containers, ranAt, healthAt) : 'UNKNOWN',
    };
  }

  /** The task's `desiredStatus` as {@link taskView} reports it, without building the view. */
  private desiredStatus(t: TaskRec): 'RUNNING' | 'STOPPED' {
    if (t.stoppedAt !== undefined) return 'STOPPED';
    return t.oneOff && this.oneOffState(t).status === 'STOPPED' ? 'STOPPED' : 'RUNNING';
  }

  private taskSetRunsAt(t: TaskRec): number | undefined {
    const ts = this.findTaskSet(t.taskSetId);
    return ts ? this.runsAt(t, ts) : t.runningAt;
  }

  private findTaskSet(id: string | undefined): TaskSetRec | undefined {
    return id ? this.taskSetsById.get(id) : undefined;
  }

  private findTask(clusterName: string, ref: string): TaskRec | undefined {
    if (ref.startsWith('arn:')) return this.tasks.get(ref);
    return this.tasks.get(this.arn(`task/${clusterName}/${ref}`));
  }

  describeTasks(i: DescribeTasksCommandInput): Out<DescribeTasksCommandOutput> {
    const c = this.cluster(i.cluster);
    const refs = i.tasks ?? [];
    if (refs.length === 0 || refs.length > 100) throw fault('InvalidParameterException', 'tasks must list between 1 and 100 tasks.');
    const tasks: Task[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const t = this.findTask(c.name, ref);
      if (t && t.clusterArn === c.arn) tasks.push(this.taskView(t));
      else failures.push({ arn: ref, reason: 'MISSING' });
    }
    return { tasks, failures };
  }

  stopTask(i: StopTaskCommandInput): Out<StopTaskCommandOutput> {
    const c = this.cluster(i.cluster);
    const t = i.task ? this.findTask(c.name, i.task) : undefined;
    if (!t) throw fault('InvalidParameterException', 'The referenced task was not found.');
    if (t.stoppedAt === undefined && !(t.oneOff && this.oneOffState(t).status === 'STOPPED')) {
      t.stoppedAt = this.now;
      t.stopCode = 'UserInitiated';
      t.stoppedReason = i.reason ?? 'Task stopped by user';
    }
    return { task: this.taskView(t) };
  }

  listTasks(i: ListTasksCommandInput): Out<ListTasksCommandOutput> {
    const c = this.cluster(i.cluster);
    const desired = i.desiredStatus ?? 'RUNNING';
    const arns = [...this.tasks.values()]
      .filter((t) => t.clusterArn === c.arn)
      .filter((t) => i.startedBy === undefined || t.startedBy === i.startedBy)
      .filter((t) => i.serviceName === undefined || t.group === `service:${this.serviceName(i.serviceName)}`)
      .filter((t) => i.family === undefined || t.taskDefinitionArn.includes(`task-definition/${i.family}:`))
      .filter((t) => this.desiredStatus(t) === desired)
      .map((t) => t.arn);
    const { page, nextToken } = this.pageOf(arns, i.maxResults, i.nextToken, 100);
    return { taskArns: page, ...(nextToken ? { nextToken } : {}) };
  }
}

/** Container health check timing (ECS API reference, HealthCheck: interval default 30 s, retries 3, startPeriod 0). */
const healthyAfterMs = (c: ContainerDefinition): number => (c.healthCheck?.interval ?? 30) * 1000;
const unhealthyAfterMs = (c: ContainerDefinition): number =>
  ((c.healthCheck?.startPeriod ?? 0) + (c.healthCheck?.interval ?? 30) * (c.healthCheck?.retries ?? 3)) * 1000;
