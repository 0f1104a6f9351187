/**
 * Deploy state machine: the green task set.
 * - `create`: CreateTaskSet on the green target group (client token derived from the deployment id,
 *   so a retry creates nothing twice), at full scale or proportional to the first shift.
 * - `check`: steady and as many healthy green targets as it needs; `HealthCheckTimeout` after the
 *   deadline. When a test listener is configured, it is pointed at green once green is healthy.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsTaskDefinitions, EcsTasks, EcsTaskSets } from '../aws/ecs.js';
import { ElbTargetHealth, ElbTrafficRouter } from '../aws/elb.js';
import type { DeployState } from '../core/deploy-state.js';
import { HealthCheckTimeout, LiveStateInvalid, TaskSetLimitReached } from '../core/errors.js';
import { MAX_TASK_SETS_PER_SERVICE, taskSetRoom } from '../core/live-side.js';
import { greenScalePercent, weightsFor } from '../core/plan.js';
import type { Plan } from '../core/model.js';
import type { Clock, DeploymentStore, TargetHealthReader, TaskDefinitions, TaskInfo, TaskReader, TaskSets, TrafficRouter } from '../core/ports.js';
import { scaleFor, taskShare, trafficKindOfCtx } from '../core/traffic.js';
import { parseOrThrow } from '../core/validation.js';
import { storeFor } from './shared/store.js';
import { clientTokenFor, ctxOf, entry, serviceFor } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface GreenDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly taskSets: TaskSets;
  /** A worker's green tasks (running health, stopped reasons). Required for workers only. */
  readonly tasks?: TaskReader;
  /** Whether green's revision has container health checks (workers). */
  readonly taskDefinitions?: Pick<TaskDefinitions, 'describeRevision'>;
  readonly health: TargetHealthReader;
  readonly router: TrafficRouter;
  readonly store: DeploymentStore;
  readonly logLevel?: string;
}

/** First look after creation: tasks need about this long to start and pass health checks. */
export const FIRST_CHECK_SECONDS = 30;
/** Later looks. */
export const CHECK_INTERVAL_SECONDS = 15;

const Payload = z.object({ action: z.enum(['create', 'check']), state: z.unknown() });

/** The percent of the plan's first shift (100 when it has none). */
function firstShiftPercent(plan: Plan): number {
  const first = plan.steps.find((s) => s.kind === 'shift');
  return first?.kind === 'shift' ? first.percent : 100;
}

/**
 * ECS allows 5 task sets per service, DRAINING ones included (see taskSetRoom). At the limit,
 * orphans (ACTIVE, not blue, not this deployment's, on no target group with traffic) are deleted
 * and TaskSetLimitReached asks the state machine to retry while they and the DRAINING ones go
 * (bounded, about 6 minutes); with nothing Cutover may remove, LiveStateInvalid says what to do.
 */
async function makeRoomForGreen(deps: GreenDeps, state: DeployState): Promise<void> {
  const ctx = ctxOf(state, deps.env);
  const { service, environment, deploymentId } = state.request;
  const svc = await deps.taskSets.describeService(ctx.cluster, ctx.ecsService);
  // Before any shift the route holds blue 100 / green 0 (Inspect put green on it, or repaired a
  // split); on a first deployment green's target group is the one at 100.
  // A worker has no route: no task set carries traffic by weight (its orphans are sized 0 by Inspect).
  const greenTg = ctx.greenTargetGroupArn;
  const weights =
    greenTg === undefined ? [] : ctx.blue?.targetGroupArn ? weightsFor(0, ctx.blue.targetGroupArn, greenTg) : [{ targetGroupArn: greenTg, weight: 100 }];
  const room = taskSetRoom(svc.taskSets, {
    deploymentId,
    ...(ctx.blue?.taskSetId ? { blueTaskSetId: ctx.blue.taskSetId } : {}),
    weights,
  });
  if (room.kind === 'room' || room.kind === 'ours') return;
  const where = `${ctx.cluster}/${ctx.ecsService}`;
  if (room.kind === 'stuck') {
    throw new LiveStateInvalid(
      `${where} holds ${room.count} task sets, ECS's limit of ${MAX_TASK_SETS_PER_SERVICE} per service, and every one is primary, blue or takes traffic, so Cutover deletes none: delete the task sets that should not run (aws ecs delete-task-set --force) and deploy again`,
      { details: { taskSets: room.kept, limit: MAX_TASK_SETS_PER_SERVICE } },
    );
  }
  for (const id of room.orphans) await deps.taskSets.deleteTaskSet(ctx.cluster, ctx.ecsService, id);
  await deps.store.appendTimeline(service, environment, deploymentId,
    entry(`task-set-room-${room.count}-${room.orphans.length}-${room.draining.length}`, 'green', deps.clock.now(), {
      taskSets: room.count, deletedOrphans: [...room.orphans], draining: [...room.draining], limit: MAX_TASK_SETS_PER_SERVICE,
    }));
  throw new TaskSetLimitReached(
    `${where} holds ${room.count} task sets, ECS's limit of ${MAX_TASK_SETS_PER_SERVICE} per service (DRAINING ones count until they are gone): ${room.orphans.length} orphan(s) deleted now, ${room.draining.length} already draining; waiting for them to go. If this persists, lower the target groups' deregistration delay or delete task sets that take no traffic (aws ecs delete-task-set --force), then deploy again`,
    { details: { taskSets: room.count, deletedOrphans: room.orphans, draining: room.draining, limit: MAX_TASK_SETS_PER_SERVICE } },
  );
}

async function create(deps: GreenDeps, state: DeployState): Promise<DeployState> {
  const ctx = ctxOf(state, deps.env);
  const { service, environment, deploymentId } = state.request;
  if (!state.taskDefinitionArn) throw new LiveStateInvalid('taskDefinitionArn is missing: RegisterTaskDefinition sets it');
  let containerPort: number;
  let template: unknown;
  const worker = trafficKindOfCtx(ctx) === 'task-share';
  if (ctx.blue?.taskSetId) {
    ({ containerPort, template } = await deps.taskSets.describeTaskSetTemplate(ctx.cluster, ctx.ecsService, ctx.blue.taskSetId, !worker));
  } else {
    const boot = serviceFor(deps.env, state).bootstrap;
    if (!boot) throw new LiveStateInvalid('First deployment needs services[].bootstrap in the configuration');
    containerPort = boot.containerPort;
    template = {
      launchType: boot.launchType,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: boot.subnets,
          securityGroups: boot.securityGroups,
          assignPublicIp: boot.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
    };
  }
  await makeRoomForGreen(deps, state);
  // A worker's green starts at its share of the first shift (beside blue at 100 %), so its health is
  // checked at the size that step needs and the shift only scales blue down.
  const scalePercent = worker ? taskShare(ctx.desiredCount, firstShiftPercent(ctx.plan)).greenScale || scaleFor(ctx.desiredCount, 1) : greenScalePercent(ctx.capacity, ctx.plan, 0);
  const taskSet = await deps.taskSets.createTaskSet({
    cluster: ctx.cluster,
    service: ctx.ecsService,
    taskDefinitionArn: state.taskDefinitionArn,
    ...(ctx.greenTargetGroupArn === undefined ? {} : { targetGroupArn: ctx.greenTargetGroupArn }),
    containerName: ctx.containerName,
    containerPort,
    scalePercent,
    clientToken: clientTokenFor(deploymentId),
    externalId: deploymentId,
    template,
  });
  const now = deps.clock.now();
  await deps.store.updateDeployment(service, environment, deploymentId, {
    green: {
      ...(ctx.greenTargetGroupArn === undefined ? {} : { targetGroupArn: ctx.greenTargetGroupArn }),
      taskDefinitionArn: state.taskDefinitionArn,
      taskSetId: taskSet.id,
      taskSetArn: taskSet.arn,
      ...(worker ? { version: deploymentId } : {}),
    },
  });
  await deps.store.appendTimeline(service, environment, deploymentId,
    entry('green-created', 'green', now, { taskSetId: taskSet.id, scalePercent, traffic: trafficKindOfCtx(ctx) }));
  return {
    ...state,
    green: { taskSetId: taskSet.id, taskSetArn: taskSet.arn },
    health: {
      status: 'waiting',
      waitSeconds: FIRST_CHECK_SECONDS,
      deadlineMs: now + ctx.healthTimeoutSeconds * 1000,
      healthy: 0,
      required: taskSet.computedDesiredCount,
    },
  };
}

/** Stops Cutover or ECS caused on purpose (a scale-in, a deleted task set): not the application's failure. */
const ORDERLY_STOP = /^(Scaling activity initiated by|Task set deleted|Service .* deployment)/i;

/** One line per stopped task: ECS's stopped reason, then each container's exit code and reason. */
export function stoppedSummary(tasks: readonly TaskInfo[]): string {
  return tasks
    .map((t) => {
      const containers = t.containers
        .filter((c) => c.exitCode !== undefined || c.reason)
        .map((c) => `container ${c.name}${c.exitCode === undefined ? '' : ` exit code ${c.exitCode}`}${c.reason ? ` (${c.reason})` : ''}`);
      return `task ${t.taskArn.split('/').pop()} stopped: ${t.stoppedReason ?? t.stopCode ?? 'no reason given'}${containers.length ? `; ${containers.join(', ')}` : ''}`;
    })
    .join('; ');
}

/**
 * A worker's green (no target group): steady, running what the step needs, every running task
 * HEALTHY when the revision has container health checks; a green task that stopped (exit code,
 * out of memory, essential container exit) fails the gate at once with ECS's stopped reason.
 */
async function checkWorker(deps: GreenDeps, state: DeployState): Promise<DeployState> {
  const ctx = ctxOf(state, deps.env);
  const { service, environment, deploymentId } = state.request;
  if (!state.green || !state.health) throw new LiveStateInvalid('green/health missing: CreateGreen sets them');
  if (!deps.tasks) throw new LiveStateInvalid('[traffic: task-share] the green function needs a TaskReader (ECS ListTasks/DescribeTasks)');
  const now = deps.clock.now();
  const svc = await deps.taskSets.describeService(ctx.cluster, ctx.ecsService);
  const green = svc.taskSets.find((t) => t.id === state.green?.taskSetId);
  if (!green) throw new LiveStateInvalid(`Green task set ${state.green.taskSetId} disappeared from ${ctx.cluster}/${ctx.ecsService}`);
  const [stopped, running, revision] = await Promise.all([
    deps.tasks.tasksOfTaskSet(ctx.cluster, green.id, 'STOPPED', 20),
    deps.tasks.tasksOfTaskSet(ctx.cluster, green.id, 'RUNNING'),
    state.taskDefinitionArn && deps.taskDefinitions ? deps.taskDefinitions.describeRevision(state.taskDefinitionArn) : Promise.resolve(undefined),
  ]);
  const failed = stopped.filter((t) => !ORDERLY_STOP.test(t.stoppedReason ?? '') || t.containers.some((c) => (c.exitCode ?? 0) !== 0));
  const required = green.computedDesiredCount;
  if (failed.length > 0) {
    throw new HealthCheckTimeout(
      `Green task set ${green.id} failed its health gate: ${failed.length} task(s) stopped: ${stoppedSummary(failed.slice(0, 3))}`,
      { details: { traffic: 'task-share', stopped: failed.slice(0, 5), running: green.runningCount, required } },
    );
  }
  const checked = revision?.containers.find((c) => c.name === ctx.containerName)?.hasHealthCheck === true;
  const live = running.filter((t) => t.lastStatus === 'RUNNING');
  const healthy = checked ? live.filter((t) => t.healthStatus === 'HEALTHY').length : live.length;
  const steady = green.stabilityStatus === 'STEADY_STATE' && green.runningCount >= required;
  if (steady && healthy >= required) {
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry('green-healthy', 'green', now, { traffic: 'task-share', healthy, required, running: green.runningCount, containerHealthChecks: checked }));
    return { ...state, health: { ...state.health, status: 'healthy', waitSeconds: 0, healthy, required } };
  }
  if (now >= state.health.deadlineMs) {
    const unhealthy = checked ? live.filter((t) => t.healthStatus !== 'HEALTHY').map((t) => `${t.taskArn.split('/').pop()} ${t.healthStatus ?? 'UNKNOWN'}`) : [];
    throw new HealthCheckTimeout(
      `Green task set ${green.id} was not healthy within ${ctx.healthTimeoutSeconds} s: ${green.runningCount}/${required} running (${green.stabilityStatus})${checked ? `, ${healthy}/${required} HEALTHY by the container health check${unhealthy.length ? ` (${unhealthy.join(', ')})` : ''}` : ''}`,
      { details: { traffic: 'task-share', healthy, required, running: green.runningCount, stability: green.stabilityStatus } },
    );
  }
  const remaining = Math.ceil((state.health.deadlineMs - now) / 1000);
  return { ...state, health: { ...state.health, status: 'waiting', waitSeconds: Math.max(1, Math.min(CHECK_INTERVAL_SECONDS, remaining)), healthy, required } };
}

async function check(deps: GreenDeps, state: DeployState): Promise<DeployState> {
  const ctx = ctxOf(state, deps.env);
  if (trafficKindOfCtx(ctx) === 'task-share') return checkWorker(deps, state);
  const greenTg = ctx.greenTargetGroupArn as string;
  const { service, environment, deploymentId } = state.request;
  if (!state.green || !state.health) throw new LiveStateInvalid('green/health missing: CreateGreen sets them');
  const now = deps.clock.now();
  const [svc, health] = await Promise.all([
    deps.taskSets.describeService(ctx.cluster, ctx.ecsService),
    deps.health.health(greenTg),
  ]);
  const green = svc.taskSets.find((t) => t.id === state.green?.taskSetId);
  if (!green) throw new LiveStateInvalid(`Green task set ${state.green.taskSetId} disappeared from ${ctx.cluster}/${ctx.ecsService}`);
  const required = Math.max(green.computedDesiredCount, 1);
  const steady = green.stabilityStatus === 'STEADY_STATE' && green.runningCount >= green.computedDesiredCount;
  if (steady && health.healthy >= required) {
    if (ctx.testListenerArn && ctx.blue?.targetGroupArn) {
      await deps.router.setWeights({ kind: 'listener', arn: ctx.testListenerArn }, weightsFor(100, ctx.blue.targetGroupArn, greenTg));
    }
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry('green-healthy', 'green', now, { healthy: health.healthy, required, running: green.runningCount }));
    return { ...state, health: { ...state.health, status: 'healthy', waitSeconds: 0, healthy: health.healthy, required } };
  }
  if (now >= state.health.deadlineMs) {
    const why = (health.reasons ?? [])
      .map((r) => `${r.count} ${r.state}${r.reason ? ` (${r.reason}${r.description ? `: ${r.description}` : ''})` : ''}`)
      .join(', ');
    throw new HealthCheckTimeout(
      `Green task set ${green.id} was not healthy within ${ctx.healthTimeoutSeconds} s: ${health.healthy}/${required} healthy targets, ${green.runningCount}/${green.computedDesiredCount} running (${green.stabilityStatus})${why ? `; targets: ${why}` : ''}`,
      {
        details: {
          healthy: health.healthy,
          required,
          running: green.runningCount,
          stability: green.stabilityStatus,
          ...(health.reasons ? { targetReasons: health.reasons } : {}),
        },
      },
    );
  }
  const remaining = Math.ceil((state.health.deadlineMs - now) / 1000);
  return {
    ...state,
    health: { ...state.health, status: 'waiting', waitSeconds: Math.max(1, Math.min(CHECK_INTERVAL_SECONDS, remaining)), healthy: health.healthy, required },
  };
}

export function createHandler(deps: GreenDeps): Handler<unknown, DeployState> {
  const logger = makeLogger('cutover-green', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'green payload');
    const state = payload.state as DeployState;
    logger.appendKeys({ deploymentId: state.request?.deploymentId, cutoverService: state.request?.service });
    return payload.action === 'create' ? create(deps, state) : check(deps, state);
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): GreenDeps {
  const elb = makeClient(ElasticLoadBalancingV2Client, opts);
  const ecs = makeClient(ECSClient, opts);
  return {
    env,
    clock,
    taskSets: new EcsTaskSets(ecs),
    tasks: new EcsTasks(ecs),
    taskDefinitions: new EcsTaskDefinitions(ecs),
    health: new ElbTargetHealth(elb),
    router: new ElbTrafficRouter(elb),
    store: storeFor(opts, env),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
