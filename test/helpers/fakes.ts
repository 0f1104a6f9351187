/**
 * Small, honest in-memory implementations of the ports in functions/core/ports.ts, for handler
 * tests. "Honest" means: each behaves the way the AWS adapter in functions/aws behaves (the same
 * errors for the same situations, idempotency where AWS has it, nothing more), keeps what was done
 * so a test can assert outcomes, and has no knowledge of the handlers.
 *
 * The deployment store is NOT faked: {@link useDynalite} gives each test the real DynamoStore over a
 * fresh table in dynalite (a real DynamoDB implementation in this process).
 *
 * The last section drives the real handlers through the deploy path (validate, lock, inspect, ...)
 * so tests start from states the handlers themselves produced, not hand-made ones.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { DynamoStore } from '../../functions/aws/store.js';
import { type CutoverConfig, type CutoverConfigInput, parseConfig } from '../../functions/core/config.js';
import type { DeployRequest, DeployState, StepItem } from '../../functions/core/deploy-state.js';
import { AwsRequestFailed, AwsUnavailable, type CutoverError, LiveStateInvalid } from '../../functions/core/errors.js';
import type { LifecycleEvent, Route, TargetGroupWeight } from '../../functions/core/model.js';
import type {
  AlarmInfo,
  Alarms,
  Clock,
  CreateTaskSetInput,
  DeploymentStore,
  EventPublisher,
  ImageInfo,
  ImageRegistry,
  ImageScanInfo,
  MetricSource,
  Orchestrator,
  RegisterWithImageOptions,
  RevisionDescription,
  ServiceInfo,
  TargetGroupSamples,
  TargetHealthReader,
  TaskDefinitionRoles,
  TaskDefinitions,
  TaskSetInfo,
  TaskSets,
  TrafficRouter,
} from '../../functions/core/ports.js';
import { createHandler as createAlarmWatcher } from '../../functions/handlers/alarm-watcher.js';
import { createHandler as createAnalyze } from '../../functions/handlers/analyze.js';
import { createHandler as createBake } from '../../functions/handlers/bake.js';
import { createHandler as createFinish } from '../../functions/handlers/finish.js';
import { createHandler as createGreen } from '../../functions/handlers/green.js';
import { createHandler as createIntake } from '../../functions/handlers/intake.js';
import { createHandler as createLock } from '../../functions/handlers/lock.js';
import { createHandler as createPrepare } from '../../functions/handlers/prepare.js';
import { createHandler as createPromote } from '../../functions/handlers/promote.js';
import { createHandler as createRegister } from '../../functions/handlers/register.js';
import { createHandler as createRollback } from '../../functions/handlers/rollback.js';
import { createHandler as createShift } from '../../functions/handlers/shift.js';
import type { HandlerEnv } from '../../functions/handlers/shared/env.js';
import { dynaliteClient, freshStoreTable, type RunningDynalite, startDynalite } from './dynalite.js';

// =============================================================================================
// Identity: one account and region, ARNs that match the patterns in functions/core/config.ts
// =============================================================================================

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const LB = 'app/shop-alb/50dc6c495c0c9188';

export const ARN = {
  deployStateMachine: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:cutover-deploy`,
  listener: `${ELB}:listener/${LB}/f2f7dc8efc522ab2`,
  testListener: `${ELB}:listener/${LB}/0123456789abcdef`,
  stagingRule: `${ELB}:listener-rule/${LB}/f2f7dc8efc522ab2/9683b2d02a6cabee`,
  webBlue: `${ELB}:targetgroup/web-blue/6d0ecf831eec9f09`,
  webGreen: `${ELB}:targetgroup/web-green/2a4b6c8d0e1f3a5b`,
  stagingA: `${ELB}:targetgroup/web-stg-a/1111111111111111`,
  stagingB: `${ELB}:targetgroup/web-stg-b/2222222222222222`,
  workerA: `${ELB}:targetgroup/worker-a/3333333333333333`,
  workerB: `${ELB}:targetgroup/worker-b/4444444444444444`,
  webTaskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:7`,
} as const;

/** The repository of the AWS-documented ECR push fixture; `web` (both environments) and `worker` deploy from it. */
export const REPOSITORY = 'my-repository-name';
export const CLUSTER = 'shop';
export const ECS_SERVICE = 'web';
export const CONTAINER = 'app';
export const CONTAINER_PORT = 8080;
export const WEB_ALARMS = ['web-5xx-rate', 'web-p99-latency'] as const;

/** A realistic image digest (sha256: + 64 lowercase hex), distinct per label. */
export function digestOf(label: string | number): string {
  return `sha256:${createHash('sha256').update(`image-${label}`).digest('hex')}`;
}

// =============================================================================================
// Configuration and environment
// =============================================================================================

/**
 * A valid configuration (account 123456789012, us-east-1):
 * - `web` / production: repository my-repository-name, any tag, listener default action, canary
 *   10 % with a 300 s bake, alarms {@link WEB_ALARMS}, a test listener;
 * - `web` / staging: same repository, tag `latest` only, a listener rule, all-at-once;
 * - `worker` / production: same repository, tags `v*` only;
 * - `checkout` / production: another repository (shop/checkout).
 * `overrides.web` is merged into the web/production service.
 */
export function testConfig(overrides: { web?: Record<string, unknown>; extraServices?: unknown[] } = {}): CutoverConfigInput {
  return {
    account: ACCOUNT,
    region: REGION,
    environments: [{ name: 'production' }, { name: 'staging' }],
    services: [
      {
        name: 'web',
        environment: 'production',
        cluster: CLUSTER,
        service: ECS_SERVICE,
        containerName: CONTAINER,
        repository: REPOSITORY,
        tagFilter: '*',
        listenerArn: ARN.listener,
        testListenerArn: ARN.testListener,
        targetGroupArns: [ARN.webBlue, ARN.webGreen],
        alarms: [...WEB_ALARMS],
        strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
        healthTimeoutSeconds: 600,
        terminationWaitSeconds: 300,
        ...overrides.web,
      },
      {
        name: 'web',
        environment: 'staging',
        cluster: CLUSTER,
        service: 'web-staging',
        containerName: CONTAINER,
        repository: REPOSITORY,
        tagFilter: 'latest',
        listenerRuleArn: ARN.stagingRule,
        targetGroupArns: [ARN.stagingA, ARN.stagingB],
        strategy: { type: 'all-at-once' },
      },
      {
        name: 'worker',
        environment: 'production',
        cluster: CLUSTER,
        service: 'worker',
        containerName: CONTAINER,
        repository: REPOSITORY,
        tagFilter: 'v*',
        listenerArn: ARN.listener,
        targetGroupArns: [ARN.workerA, ARN.workerB],
        strategy: { type: 'all-at-once' },
      },
      {
        name: 'checkout',
        environment: 'production',
        cluster: CLUSTER,
        service: 'checkout',
        containerName: CONTAINER,
        repository: 'shop/checkout',
        listenerArn: ARN.listener,
        targetGroupArns: [`${ELB}:targetgroup/checkout-a/5555555555555555`, `${ELB}:targetgroup/checkout-b/6666666666666666`],
        strategy: { type: 'all-at-once' },
      },
      ...((overrides.extraServices ?? []) as CutoverConfigInput['services']),
    ],
  } as CutoverConfigInput;
}

/** The HandlerEnv a handler would read from process.env, with the configuration validated by parseConfig. */
export function testEnv(config: CutoverConfigInput = testConfig(), overrides: Partial<HandlerEnv> = {}): HandlerEnv {
  return {
    tableName: 'cutover-test',
    eventBusName: 'cutover',
    accountId: ACCOUNT,
    region: REGION,
    deployStateMachineArn: ARN.deployStateMachine,
    config: parseConfig(config, 'test config'),
    ...overrides,
  };
}

// =============================================================================================
// Clock
// =============================================================================================

export const T0 = Date.parse('2025-06-02T09:00:00.000Z');

/** Time moves only when a test says so. */
export class ManualClock implements Clock {
  constructor(private ms: number = T0) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  advanceSeconds(s: number): void {
    this.ms += s * 1000;
  }
  iso(): string {
    return new Date(this.ms).toISOString();
  }
}

// =============================================================================================
// Traffic: ALB listeners / rules and target health
// =============================================================================================

const routeKey = (r: Route): string => `${r.kind}:${r.arn}`;
const copyWeights = (w: readonly TargetGroupWeight[]): TargetGroupWeight[] => w.map((x) => ({ ...x }));

/**
 * Weighted forwards per route. A route must be seeded (an unknown listener is ListenerNotFound, as
 * in AWS). `doNotHold(route)` makes the next write(s) be accepted but not held — what
 * WeightVerificationFailed exists for.
 */
export class FakeTrafficRouter implements TrafficRouter {
  private readonly held = new Map<string, TargetGroupWeight[]>();
  private readonly dropping = new Map<string, number>();
  /** Every setWeights call, in order, and whether AWS held it. */
  readonly writes: Array<{ route: Route; weights: TargetGroupWeight[]; held: boolean }> = [];

  seed(route: Route, weights: readonly TargetGroupWeight[]): void {
    this.held.set(routeKey(route), copyWeights(weights));
  }
  /** What AWS holds for the route now. */
  weightsOf(route: Route): TargetGroupWeight[] {
    return copyWeights(this.held.get(routeKey(route)) ?? []);
  }
  /** The next `count` writes to `route` succeed but change nothing. */
  doNotHold(route: Route, count = Number.POSITIVE_INFINITY): void {
    this.dropping.set(routeKey(route), count);
  }
  /** Writes that AWS actually applied to `route`. */
  heldWrites(route: Route): TargetGroupWeight[][] {
    return this.writes.filter((w) => w.held && routeKey(w.route) === routeKey(route)).map((w) => w.weights);
  }

  async readWeights(route: Route): Promise<TargetGroupWeight[]> {
    const w = this.held.get(routeKey(route));
    if (!w) throw new AwsRequestFailed(`ListenerNotFound: ${route.kind} ${route.arn} does not exist`);
    return copyWeights(w);
  }

  async setWeights(route: Route, weights: readonly TargetGroupWeight[]): Promise<void> {
    const key = routeKey(route);
    if (!this.held.has(key)) throw new AwsRequestFailed(`ListenerNotFound: ${route.kind} ${route.arn} does not exist`);
    for (const w of weights) {
      // ALB accepts integer weights 0..999 per target group.
      if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > 999) {
        throw new AwsRequestFailed(`ValidationError: weight ${w.weight} for ${w.targetGroupArn} is not an integer 0..999`);
      }
    }
    const left = this.dropping.get(key) ?? 0;
    const hold = left <= 0;
    if (!hold) this.dropping.set(key, left - 1);
    else this.held.set(key, copyWeights(weights));
    this.writes.push({ route, weights: copyWeights(weights), held: hold });
  }
}

/** Healthy/total targets per target group; unknown target groups are TargetGroupNotFound. */
export class FakeTargetHealth implements TargetHealthReader {
  private readonly byTg = new Map<string, { healthy: number; total: number }>();
  set(targetGroupArn: string, healthy: number, total = healthy): void {
    this.byTg.set(targetGroupArn, { healthy, total });
  }
  async health(targetGroupArn: string): Promise<{ healthy: number; total: number }> {
    const h = this.byTg.get(targetGroupArn);
    if (!h) throw new AwsRequestFailed(`TargetGroupNotFound: ${targetGroupArn}`);
    return { ...h };
  }
}

// =============================================================================================
// ECS: task sets and task definitions
// =============================================================================================

interface MutableTaskSet {
  id: string;
  arn: string;
  status: string;
  taskDefinitionArn: string;
  targetGroupArns: string[];
  scalePercent: number;
  runningCount: number;
  pendingCount: number;
  computedDesiredCount: number;
  stabilityStatus: string;
  externalId?: string;
  createdAt: string;
  containerPort: number;
  template: unknown;
  clientToken?: string;
}

interface FakeService {
  arn: string;
  desiredCount: number;
  deploymentController: string;
  taskSets: MutableTaskSet[];
}

export interface TaskSetSeed {
  readonly id?: string;
  readonly status?: 'PRIMARY' | 'ACTIVE';
  readonly taskDefinitionArn: string;
  readonly targetGroupArn: string;
  readonly scalePercent?: number;
  readonly containerPort?: number;
  readonly template?: unknown;
  readonly externalId?: string;
  /** Running and steady at its computed size (default true). */
  readonly steady?: boolean;
}

/**
 * Task sets of EXTERNAL-controller services, as ECS keeps them:
 * - computedDesiredCount = ceil(desiredCount × scale %); a new or scaled-up task set is STABILIZING
 *   until {@link FakeTaskSets.settle} starts its tasks (tests decide when tasks come up);
 * - CreateTaskSet is idempotent by clientToken (at most 36 characters, as ECS requires);
 * - UpdateTaskSet / UpdateServicePrimaryTaskSet on a missing task set fail (AwsRequestFailed,
 *   TaskSetNotFoundException), DeleteTaskSet of a missing one is not an error (the port's contract).
 */
export class FakeTaskSets implements TaskSets {
  private readonly services = new Map<string, FakeService>();
  private counter = 0;
  /** Task sets actually created by CreateTaskSet (not replays). */
  readonly created: TaskSetInfo[] = [];
  /** Deleted task sets, with the scale and status they had when deleted. */
  readonly deleted: Array<{ id: string; scalePercent: number; status: string; targetGroupArns: string[] }> = [];

  constructor(private readonly clock: Clock) {}

  addService(cluster: string, service: string, opts: { desiredCount: number; deploymentController?: string }): void {
    this.services.set(`${cluster}/${service}`, {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${service}`,
      desiredCount: opts.desiredCount,
      deploymentController: opts.deploymentController ?? 'EXTERNAL',
      taskSets: [],
    });
  }

  addTaskSet(cluster: string, service: string, seed: TaskSetSeed): TaskSetInfo {
    const svc = this.service(cluster, service);
    const ts = this.newTaskSet(svc, cluster, {
      taskDefinitionArn: seed.taskDefinitionArn,
      targetGroupArn: seed.targetGroupArn,
      scalePercent: seed.scalePercent ?? 100,
      containerPort: seed.containerPort ?? CONTAINER_PORT,
      template: seed.template ?? null,
      ...(seed.externalId === undefined ? {} : { externalId: seed.externalId }),
      ...(seed.id === undefined ? {} : { id: seed.id }),
    });
    ts.status = seed.status ?? 'PRIMARY';
    if (seed.steady ?? true) this.settleTaskSet(ts);
    return view(ts);
  }

  /** The task set's tasks are all running: RUNNING = computed desired, STEADY_STATE. */
  settle(cluster: string, service: string, taskSetId: string): void {
    this.settleTaskSet(this.taskSet(this.service(cluster, service), taskSetId));
  }

  /** The live task sets of a service (deleted ones are gone). */
  taskSetsOf(cluster: string, service: string): TaskSetInfo[] {
    return this.service(cluster, service).taskSets.map(view);
  }

  find(cluster: string, service: string, taskSetId: string): TaskSetInfo | undefined {
    const ts = this.service(cluster, service).taskSets.find((t) => t.id === taskSetId);
    return ts ? view(ts) : undefined;
  }

  setDesiredCount(cluster: string, service: string, desiredCount: number): void {
    const svc = this.service(cluster, service);
    svc.desiredCount = desiredCount;
    for (const ts of svc.taskSets) this.rescale(svc, ts);
  }

  // ------------------------------------------------------------------ the port

  async describeService(cluster: string, service: string): Promise<ServiceInfo> {
    const svc = this.services.get(`${cluster}/${service}`);
    if (!svc) throw new LiveStateInvalid(`ECS service ${service} not found in cluster ${cluster}`);
    return {
      arn: svc.arn,
      desiredCount: svc.desiredCount,
      deploymentController: svc.deploymentController,
      taskSets: svc.taskSets.map(view),
    };
  }

  async createTaskSet(input: CreateTaskSetInput): Promise<TaskSetInfo> {
    const svc = this.service(input.cluster, input.service);
    if (svc.deploymentController !== 'EXTERNAL') {
      throw new AwsRequestFailed('InvalidParameterException: task sets need the EXTERNAL deployment controller');
    }
    if (input.clientToken.length === 0 || input.clientToken.length > 36) {
      throw new AwsRequestFailed(`InvalidParameterException: clientToken must be 1-36 characters, got ${input.clientToken.length}`);
    }
    const replay = svc.taskSets.find((t) => t.clientToken === input.clientToken);
    if (replay) return view(replay);
    if (!(Number.isFinite(input.scalePercent) && input.scalePercent >= 0 && input.scalePercent <= 100)) {
      throw new AwsRequestFailed(`InvalidParameterException: scale.value ${input.scalePercent} must be 0..100`);
    }
    const ts = this.newTaskSet(svc, input.cluster, {
      taskDefinitionArn: input.taskDefinitionArn,
      targetGroupArn: input.targetGroupArn ?? '',
      scalePercent: input.scalePercent,
      containerPort: input.containerPort,
      template: input.template ?? null,
      externalId: input.externalId,
    });
    ts.clientToken = input.clientToken;
    this.created.push(view(ts));
    return view(ts);
  }

  async updateScale(cluster: string, service: string, taskSetId: string, scalePercent: number): Promise<void> {
    const svc = this.service(cluster, service);
    const ts = this.taskSet(svc, taskSetId);
    if (!(scalePercent >= 0 && scalePercent <= 100)) throw new AwsRequestFailed(`InvalidParameterException: scale ${scalePercent}`);
    ts.scalePercent = scalePercent;
    this.rescale(svc, ts);
  }

  async setPrimary(cluster: string, service: string, taskSetId: string): Promise<void> {
    const svc = this.service(cluster, service);
    const ts = this.taskSet(svc, taskSetId);
    for (const other of svc.taskSets) if (other !== ts && other.status === 'PRIMARY') other.status = 'ACTIVE';
    ts.status = 'PRIMARY';
  }

  async deleteTaskSet(cluster: string, service: string, taskSetId: string): Promise<void> {
    const svc = this.service(cluster, service);
    const i = svc.taskSets.findIndex((t) => t.id === taskSetId);
    if (i < 0) return; // already gone: not an error
    const [ts] = svc.taskSets.splice(i, 1);
    if (ts) this.deleted.push({ id: ts.id, scalePercent: ts.scalePercent, status: ts.status, targetGroupArns: [...ts.targetGroupArns] });
  }

  async retireTaskSet(cluster: string, service: string, taskSetId: string): Promise<void> {
    const svc = this.service(cluster, service);
    if (!svc.taskSets.some((t) => t.id === taskSetId)) return; // already gone: retired
    await this.updateScale(cluster, service, taskSetId, 0);
    await this.deleteTaskSet(cluster, service, taskSetId);
  }

  async describeTaskSetTemplate(cluster: string, service: string, taskSetId: string): Promise<{ containerPort: number; template: unknown }> {
    const ts = this.service(cluster, service).taskSets.find((t) => t.id === taskSetId);
    if (!ts) throw new LiveStateInvalid(`Task set ${taskSetId} of ${service} not found`);
    return { containerPort: ts.containerPort, template: structuredClone(ts.template) };
  }

  // ------------------------------------------------------------------ internals

  private service(cluster: string, service: string): FakeService {
    const svc = this.services.get(`${cluster}/${service}`);
    if (!svc) throw new AwsRequestFailed(`ServiceNotFoundException: ${cluster}/${service}`);
    return svc;
  }

  private taskSet(svc: FakeService, taskSetId: string): MutableTaskSet {
    const ts = svc.taskSets.find((t) => t.id === taskSetId || t.arn === taskSetId);
    if (!ts) throw new AwsRequestFailed(`TaskSetNotFoundException: the specified task set does not exist: ${taskSetId}`);
    return ts;
  }

  private newTaskSet(
    svc: FakeService,
    cluster: string,
    i: { id?: string; taskDefinitionArn: string; targetGroupArn: string; scalePercent: number; containerPort: number; template: unknown; externalId?: string },
  ): MutableTaskSet {
    this.counter += 1;
    const id = i.id ?? `ecs-svc/9${String(this.counter).padStart(18, '0')}`;
    const serviceName = svc.arn.split('/').pop() ?? 'service';
    const ts: MutableTaskSet = {
      id,
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-set/${cluster}/${serviceName}/${id}`,
      status: 'ACTIVE',
      taskDefinitionArn: i.taskDefinitionArn,
      targetGroupArns: [i.targetGroupArn],
      scalePercent: i.scalePercent,
      runningCount: 0,
      pendingCount: 0,
      computedDesiredCount: 0,
      stabilityStatus: 'STABILIZING',
      ...(i.externalId === undefined ? {} : { externalId: i.externalId }),
      createdAt: new Date(this.clock.now()).toISOString(),
      containerPort: i.containerPort,
      template: structuredClone(i.template),
    };
    svc.taskSets.push(ts);
    this.rescale(svc, ts);
    return ts;
  }

  private rescale(svc: FakeService, ts: MutableTaskSet): void {
    ts.computedDesiredCount = Math.ceil((svc.desiredCount * ts.scalePercent) / 100);
    if (ts.runningCount > ts.computedDesiredCount) ts.runningCount = ts.computedDesiredCount; // scale-in is immediate
    ts.pendingCount = Math.max(0, ts.computedDesiredCount - ts.runningCount);
    ts.stabilityStatus = ts.pendingCount === 0 ? 'STEADY_STATE' : 'STABILIZING';
  }

  private settleTaskSet(ts: MutableTaskSet): void {
    ts.runningCount = ts.computedDesiredCount;
    ts.pendingCount = 0;
    ts.stabilityStatus = 'STEADY_STATE';
  }
}

function view(ts: MutableTaskSet): TaskSetInfo {
  return {
    id: ts.id,
    arn: ts.arn,
    status: ts.status,
    taskDefinitionArn: ts.taskDefinitionArn,
    targetGroupArns: [...ts.targetGroupArns],
    scalePercent: ts.scalePercent,
    runningCount: ts.runningCount,
    pendingCount: ts.pendingCount,
    computedDesiredCount: ts.computedDesiredCount,
    stabilityStatus: ts.stabilityStatus,
    ...(ts.externalId === undefined ? {} : { externalId: ts.externalId }),
    createdAt: ts.createdAt,
  };
}

/**
 * Task-definition revisions. Registering copies a known revision (by ARN, `family:revision` or
 * `family` for the latest) with one container's image replaced; an unknown source or container is
 * a ClientException, as in ECS.
 */
export class FakeTaskDefinitions implements TaskDefinitions {
  private readonly revisions = new Map<
    string,
    { family: string; revision: number; images: Record<string, string>; roles: TaskDefinitionRoles }
  >();
  readonly registrations: Array<{ fromArn: string; containerName: string; imageUri: string; arn: string }> = [];

  /** A revision; `roles` are the task and execution roles it carries (none by default). */
  add(arn: string, images: Record<string, string>, roles: TaskDefinitionRoles = {}): void {
    const m = /task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
    if (!m) throw new Error(`not a task-definition ARN: ${arn}`);
    this.revisions.set(arn, { family: m[1] as string, revision: Number(m[2]), images: { ...images }, roles: { ...roles } });
  }

  imagesOf(arn: string): Record<string, string> | undefined {
    const r = this.revisions.get(arn);
    return r ? { ...r.images } : undefined;
  }

  async describeRevision(arn: string): Promise<RevisionDescription | undefined> {
    const r = this.revisions.get(arn);
    if (!r) return undefined;
    return {
      arn,
      family: r.family,
      revision: r.revision,
      containers: Object.entries(r.images).map(([name, image]) => ({ name, image })),
      ...r.roles,
    };
  }

  async registerWithImage(
    fromArn: string,
    containerName: string,
    imageUri: string,
    options: RegisterWithImageOptions = {},
  ): Promise<{ arn: string }> {
    const from = this.resolve(fromArn);
    if (!from) throw new AwsRequestFailed(`ClientException: Unable to describe task definition ${fromArn}`);
    if (!(containerName in from.images)) {
      throw new AwsRequestFailed(`ClientException: container ${containerName} is not in ${fromArn}`);
    }
    options.checkRoles?.({ ...from.roles });
    const latest = Math.max(...[...this.revisions.values()].filter((r) => r.family === from.family).map((r) => r.revision));
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${from.family}:${latest + 1}`;
    this.revisions.set(arn, {
      family: from.family,
      revision: latest + 1,
      images: { ...from.images, [containerName]: imageUri },
      roles: { ...from.roles },
    });
    this.registrations.push({ fromArn, containerName, imageUri, arn });
    return { arn };
  }

  private resolve(ref: string): { family: string; revision: number; images: Record<string, string>; roles: TaskDefinitionRoles } | undefined {
    const exact = this.revisions.get(ref);
    if (exact) return exact;
    const [family, rev] = ref.split(':');
    const ofFamily = [...this.revisions.values()].filter((r) => r.family === family);
    if (rev !== undefined) return ofFamily.find((r) => r.revision === Number(rev));
    return ofFamily.sort((a, b) => b.revision - a.revision)[0];
  }
}

// =============================================================================================
// CloudWatch: alarms and metrics
// =============================================================================================

/** Alarm states by name; `onDescribe` lets a test look at the world at the moment alarms are read. */
export class FakeAlarms implements Alarms {
  private readonly states = new Map<string, AlarmInfo>();
  readonly describeCalls: string[][] = [];
  onDescribe?: (names: readonly string[]) => void | Promise<void>;

  set(name: string, state: AlarmInfo['state'], reason = `Threshold Crossed (${state})`): void {
    this.states.set(name, { name, state, reason });
  }
  async describe(names: readonly string[]): Promise<AlarmInfo[]> {
    this.describeCalls.push([...names]);
    await this.onDescribe?.(names);
    return names.flatMap((n) => {
      const a = this.states.get(n);
      return a ? [{ ...a }] : [];
    });
  }
}

/** Per-target-group samples (keyed by the `targetgroup/NAME/ID` dimension); no traffic by default. */
export class FakeMetrics implements MetricSource {
  private readonly byTg = new Map<string, TargetGroupSamples>();
  readonly queries: Array<{ loadBalancer: string; targetGroup: string; startMs: number; endMs: number }> = [];

  set(targetGroupArn: string, samples: TargetGroupSamples): void {
    this.byTg.set(tgDimension(targetGroupArn), samples);
  }
  async targetGroupSamples(loadBalancerFullName: string, targetGroupFullName: string, startMs: number, endMs: number): Promise<TargetGroupSamples> {
    this.queries.push({ loadBalancer: loadBalancerFullName, targetGroup: targetGroupFullName, startMs, endMs });
    const s = this.byTg.get(targetGroupFullName);
    return s ? { ...s, latencies: [...s.latencies] } : { requests: 0, errors5xx: 0, latencies: [] };
  }
}
const tgDimension = (arn: string): string => arn.split(':').slice(5).join(':');

/** Per-minute samples: `minutes` periods of `perMinute` requests with `errorRate` 5xx and a latency around `latencyS`. */
export function samples(opts: { minutes: number; perMinute: number; errorRate: number; latencyS: number }): TargetGroupSamples {
  const requests = opts.minutes * opts.perMinute;
  const latencies = Array.from({ length: opts.minutes }, (_, i) => opts.latencyS * (1 + ((i % 5) - 2) * 0.01));
  return { requests, errors5xx: Math.round(requests * opts.errorRate), latencies };
}

// =============================================================================================
// ECR
// =============================================================================================

export class FakeImages implements ImageRegistry {
  private readonly images = new Map<string, ImageInfo>();
  put(repository: string, info: ImageInfo): void {
    this.images.set(`${repository}@${info.digest}`, { ...info });
  }
  async describeImage(repository: string, digest: string): Promise<ImageInfo | undefined> {
    const i = this.images.get(`${repository}@${digest}`);
    return i ? { ...i } : undefined;
  }
  /** From the stored image: its scanStatus (none: never scanned) and findingCounts. */
  async scanFindings(repository: string, digest: string): Promise<ImageScanInfo> {
    const i = this.images.get(`${repository}@${digest}`);
    return { ...(i?.scanStatus ? { status: i.scanStatus } : {}), findingCounts: { ...(i?.findingCounts ?? {}) } };
  }
}

// =============================================================================================
// EventBridge and Step Functions
// =============================================================================================

/** Records every lifecycle event; `failNext(n)` makes the next n publishes fail like a 5xx from EventBridge. */
export class FakeEvents implements EventPublisher {
  readonly published: Array<{ kind: LifecycleEvent; detail: Record<string, unknown> }> = [];
  private failures = 0;
  failNext(n = 1): void {
    this.failures = n;
  }
  of(kind: LifecycleEvent): Array<Record<string, unknown>> {
    return this.published.filter((e) => e.kind === kind).map((e) => e.detail);
  }
  async publish(kind: LifecycleEvent, detail: Record<string, unknown>): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new AwsUnavailable('EventBridge:PutEvents answered 503');
    }
    this.published.push({ kind, detail: structuredClone(detail) });
  }
}

/** Step Functions execution names: 1-80 characters, no whitespace, brackets, wildcards or special characters. */
const SFN_NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (c: string): boolean => {
  const code = c.charCodeAt(0);
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
};
const isSfnName = (name: string): boolean =>
  name.length >= 1 && name.length <= 80 && !SFN_NAME_FORBIDDEN.test(name) && ![...name].some(isControl);
const SFN_MAX_INPUT_BYTES = 256 * 1024;

export interface Signal {
  readonly kind: 'success' | 'failure';
  readonly token: string;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/**
 * Executions by name (StartExecution with an existing name is `alreadyStarted`, as the adapter maps
 * ExecutionAlreadyExists), and the task signals sent. A signal to a token marked {@link close}d is a
 * late signal: swallowed, as the adapter swallows TaskTimedOut / TaskDoesNotExist.
 */
export class FakeOrchestrator implements Orchestrator {
  readonly executions = new Map<string, { executionArn: string; stateMachineArn: string; name: string; input: unknown }>();
  /** Executions actually started (not replays). */
  readonly started: Array<{ stateMachineArn: string; name: string; input: unknown }> = [];
  readonly signals: Signal[] = [];
  private readonly closed = new Set<string>();

  close(token: string): void {
    this.closed.add(token);
  }

  async start(stateMachineArn: string, name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    if (!isSfnName(name)) throw new AwsRequestFailed(`InvalidName: "${name}" is not a valid execution name`);
    const json = JSON.stringify(input ?? {});
    if (Buffer.byteLength(json) > SFN_MAX_INPUT_BYTES) throw new AwsRequestFailed('InvalidExecutionInput: input exceeds 256 KiB');
    const key = `${stateMachineArn}|${name}`;
    const existing = this.executions.get(key);
    if (existing) return { executionArn: existing.executionArn, alreadyStarted: true };
    const parts = stateMachineArn.split(':');
    const executionArn = [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
    const parsed = JSON.parse(json) as unknown; // what the execution receives: JSON, not the object
    this.executions.set(key, { executionArn, stateMachineArn, name, input: parsed });
    this.started.push({ stateMachineArn, name, input: parsed });
    return { executionArn, alreadyStarted: false };
  }
  async sendTaskSuccess(token: string, output: unknown): Promise<void> {
    if (this.closed.has(token)) return;
    this.signals.push({ kind: 'success', token, output: JSON.parse(JSON.stringify(output ?? {})) });
  }
  async sendTaskFailure(token: string, error: string, cause: string): Promise<void> {
    if (this.closed.has(token)) return;
    this.signals.push({ kind: 'failure', token, error, cause });
  }
  async executionStatus(executionArn: string): Promise<string | undefined> {
    return (await this.describe(executionArn))?.status;
  }
  /** Executions ended by the test (`end`): status and start time; others are RUNNING. */
  readonly ended = new Map<string, string>();
  readonly startedAt = new Map<string, string>();
  end(executionArn: string, status = 'SUCCEEDED'): void {
    this.ended.set(executionArn, status);
  }
  async describe(executionArn: string): Promise<{ status: string; startedAt: string } | undefined> {
    if (![...this.executions.values()].some((e) => e.executionArn === executionArn)) return undefined;
    return { status: this.ended.get(executionArn) ?? 'RUNNING', startedAt: this.startedAt.get(executionArn) ?? '2026-01-01T00:00:00.000Z' };
  }
}

// =============================================================================================
// The real store over dynalite
// =============================================================================================

export interface DynaliteStores {
  /** A DynamoStore over a fresh, empty table, stamping `updatedAt` from `clock`. */
  newStore(clock: Clock): Promise<DynamoStore>;
}

/** Start one dynalite for the test file (beforeAll/afterAll); each `newStore` gets its own table. */
export function useDynalite(): DynaliteStores {
  let db: RunningDynalite | undefined;
  let client: DynamoDBClient | undefined;
  beforeAll(async () => {
    db = await startDynalite();
    client = dynaliteClient(db.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await db?.close();
  });
  return {
    async newStore(clock: Clock): Promise<DynamoStore> {
      if (!client) throw new Error('useDynalite(): call newStore from a test or beforeEach');
      const { doc, tableName } = await freshStoreTable(client);
      return new DynamoStore(doc, tableName, clock);
    },
  };
}

// =============================================================================================
// A world: every port, one clock, one env — structurally the deps of every handler
// =============================================================================================

/** How Lambda reports a thrown error to Step Functions, as a Catch puts it at `$.error`. */
export function lambdaError(err: CutoverError | Error): { Error: string; Cause: string } {
  return { Error: err.name, Cause: JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: [] }) };
}

export const WEB_ROUTE: Route = { kind: 'listener', arn: ARN.listener };
export const TEST_ROUTE: Route = { kind: 'listener', arn: ARN.testListener };
export const BLUE_TASK_SET = 'ecs-svc/0000000000000000001';
/** The network template of the live task set (what green copies). */
export const TEMPLATE = {
  launchType: 'FARGATE',
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0abc1234'], securityGroups: ['sg-0abc1234'], assignPublicIp: 'DISABLED' } },
} as const;

export class World {
  readonly clock: ManualClock;
  readonly env: HandlerEnv;
  readonly router = new FakeTrafficRouter();
  readonly health = new FakeTargetHealth();
  readonly taskSets: FakeTaskSets;
  readonly taskDefinitions = new FakeTaskDefinitions();
  readonly alarms = new FakeAlarms();
  readonly metrics = new FakeMetrics();
  readonly images = new FakeImages();
  readonly events = new FakeEvents();
  readonly orchestrator = new FakeOrchestrator();
  readonly logLevel = 'SILENT';

  private constructor(
    readonly store: DeploymentStore,
    clock: ManualClock,
    config: CutoverConfigInput,
  ) {
    this.clock = clock;
    this.env = testEnv(config);
    this.taskSets = new FakeTaskSets(clock);
  }

  /** A world with an empty store; `seed()` adds the live web/production service. */
  static async create(stores: DynaliteStores, config: CutoverConfigInput = testConfig()): Promise<World> {
    const clock = new ManualClock();
    return new World(await stores.newStore(clock), clock, config);
  }

  get config(): CutoverConfig {
    return this.env.config;
  }

  /**
   * web/production live: listener 100 % on the live target group (web-blue unless `liveOn` says
   * web-green) with 0 on the other, a steady PRIMARY task set (4 tasks of web:7) on it, all its
   * targets healthy, no targets on the other, alarms OK, the test listener on the live group, and
   * image `digestOf(label)` in ECR (scan COMPLETE, no findings) for each label (default 1, 2, 3).
   */
  seed(opts: { desiredCount?: number; images?: Array<string | number>; liveOn?: 'web-blue' | 'web-green' } = {}): this {
    const desiredCount = opts.desiredCount ?? 4;
    const live = opts.liveOn === 'web-green' ? ARN.webGreen : ARN.webBlue;
    const idle = live === ARN.webBlue ? ARN.webGreen : ARN.webBlue;
    this.router.seed(WEB_ROUTE, [
      { targetGroupArn: live, weight: 100 },
      { targetGroupArn: idle, weight: 0 },
    ]);
    this.router.seed(TEST_ROUTE, [{ targetGroupArn: live, weight: 100 }]);
    this.taskSets.addService(CLUSTER, ECS_SERVICE, { desiredCount });
    this.taskSets.addTaskSet(CLUSTER, ECS_SERVICE, {
      id: BLUE_TASK_SET,
      status: 'PRIMARY',
      taskDefinitionArn: ARN.webTaskDefinition,
      targetGroupArn: live,
      template: TEMPLATE,
    });
    this.taskDefinitions.add(ARN.webTaskDefinition, {
      [CONTAINER]: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}@${digestOf('stable')}`,
      sidecar: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.12.0-prod',
    });
    this.health.set(live, desiredCount);
    this.health.set(idle, 0);
    for (const a of WEB_ALARMS) this.alarms.set(a, 'OK');
    for (const label of opts.images ?? [1, 2, 3]) {
      this.images.put(REPOSITORY, { digest: digestOf(label), tags: [`v${label}`], scanStatus: 'COMPLETE', findingCounts: {} });
    }
    return this;
  }

  /** This world with some ports replaced (e.g. a flaky store); its handlers use the replacements. */
  with(overrides: Partial<Pick<World, 'store' | 'router' | 'taskSets' | 'events'>>): World {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as World, this, overrides);
  }

  // ------------------------------------------------------------------ handlers over this world

  get prepare() {
    return createPrepare(this);
  }
  get lock() {
    return createLock(this);
  }
  get register() {
    return createRegister(this);
  }
  get green() {
    return createGreen(this);
  }
  get shift() {
    return createShift(this);
  }
  get bake() {
    return createBake(this);
  }
  get analyze() {
    return createAnalyze(this);
  }
  get promote() {
    return createPromote(this);
  }
  get rollback() {
    return createRollback(this);
  }
  get finish() {
    return createFinish(this);
  }
  get intake() {
    return createIntake(this);
  }
  get alarmWatcher() {
    return createAlarmWatcher(this);
  }

  // ------------------------------------------------------------------ driving the deploy path

  /** The execution input for web/production and image `digestOf(label)`, as intake would build it. */
  request(label: string | number = 1, over: Partial<DeployRequest> = {}): DeployRequest {
    const digest = digestOf(label);
    return {
      deploymentId: `web-production-${digest.slice(7, 23)}`,
      service: 'web',
      environment: 'production',
      image: { repository: REPOSITORY, digest, tag: `v${label}` },
      requestedAt: this.clock.iso(),
      trigger: { kind: 'manual', by: 'test' },
      ...over,
    };
  }

  executionArn(req: DeployRequest): string {
    return `arn:aws:states:${REGION}:${ACCOUNT}:execution:cutover-deploy:${req.deploymentId}`;
  }

  async validated(req: DeployRequest): Promise<DeployState> {
    return this.prepare({ action: 'validate', state: req, executionArn: this.executionArn(req) });
  }

  /** Validate and take the lock (throws when the lock is not acquired). */
  async locked(req: DeployRequest): Promise<DeployState> {
    const state = await this.lock({ action: 'acquire', state: await this.validated(req) });
    if (state.lock?.outcome !== 'acquired') throw new Error(`lock not acquired: ${JSON.stringify(state.lock)}`);
    return state;
  }

  async inspected(req: DeployRequest): Promise<DeployState> {
    return this.prepare({ action: 'inspect', state: await this.locked(req) });
  }

  async registered(req: DeployRequest): Promise<DeployState> {
    return this.register({ state: await this.inspected(req) });
  }

  async greenCreated(req: DeployRequest): Promise<DeployState> {
    return this.green({ action: 'create', state: await this.registered(req) });
  }

  /** Green's tasks come up and its targets pass health checks; CheckGreen answers healthy. */
  async greenHealthy(req: DeployRequest): Promise<DeployState> {
    const state = await this.greenCreated(req);
    this.makeGreenHealthy(state);
    const checked = await this.green({ action: 'check', state });
    if (checked.health?.status !== 'healthy') throw new Error(`green not healthy: ${JSON.stringify(checked.health)}`);
    return checked;
  }

  makeGreenHealthy(state: DeployState): void {
    const id = state.green?.taskSetId;
    if (!id) throw new Error('no green task set in the state');
    this.taskSets.settle(CLUSTER, ECS_SERVICE, id);
    const ts = this.taskSets.find(CLUSTER, ECS_SERVICE, id);
    this.health.set(ARN.webGreen, ts?.computedDesiredCount ?? 0);
  }

  /** The steps-Map item for `state.ctx.plan.steps[index]`, as the ItemSelector builds it. */
  item(state: DeployState, index: number, extra: Partial<StepItem> = {}): StepItem {
    const step = state.ctx?.plan.steps[index];
    if (!step) throw new Error(`no step ${index} in the plan`);
    return { state, step, index, ...extra };
  }

  /** Run every shift step up to and including `index` (bakes skipped). */
  async shiftedThrough(state: DeployState, index: number): Promise<StepItem> {
    let last: StepItem | undefined;
    for (let i = 0; i <= index; i++) {
      const it = this.item(state, i);
      if (it.step.kind === 'shift') last = await this.shift({ item: it });
    }
    if (!last) throw new Error(`no shift at or before step ${index}`);
    return last;
  }
}

/**
 * The store with `method` failing like a DynamoDB 5xx (AwsUnavailable) for its next `times` calls:
 * what a handler sees when a write is lost mid-way and Step Functions retries or catches.
 */
export function flakyStore(store: DeploymentStore, method: keyof DeploymentStore, times = 1): DeploymentStore {
  let left = times;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === method) {
        return async (...args: unknown[]) => {
          if (left > 0) {
            left -= 1;
            throw new AwsUnavailable(`DynamoDB:${String(prop)} answered 500`);
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
