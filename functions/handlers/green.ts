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
import { EcsTaskSets } from '../aws/ecs.js';
import { ElbTargetHealth, ElbTrafficRouter } from '../aws/elb.js';
import type { DeployState } from '../core/deploy-state.js';
import { HealthCheckTimeout, LiveStateInvalid, TaskSetLimitReached } from '../core/errors.js';
import { MAX_TASK_SETS_PER_SERVICE, taskSetRoom } from '../core/live-side.js';
import { greenScalePercent, weightsFor } from '../core/plan.js';
import type { Clock, DeploymentStore, TargetHealthReader, TaskSets, TrafficRouter } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { storeFor } from './shared/store.js';
import { clientTokenFor, ctxOf, entry, serviceFor } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface GreenDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly taskSets: TaskSets;
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
  const weights = ctx.blue ? weightsFor(0, ctx.blue.targetGroupArn, ctx.greenTargetGroupArn) : [{ targetGroupArn: ctx.greenTargetGroupArn, weight: 100 }];
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
  if (ctx.blue?.taskSetId) {
    ({ containerPort, template } = await deps.taskSets.describeTaskSetTemplate(ctx.cluster, ctx.ecsService, ctx.blue.taskSetId));
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
  const scalePercent = greenScalePercent(ctx.capacity, ctx.plan, 0);
  const taskSet = await deps.taskSets.createTaskSet({
    cluster: ctx.cluster,
    service: ctx.ecsService,
    taskDefinitionArn: state.taskDefinitionArn,
    targetGroupArn: ctx.greenTargetGroupArn,
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
      targetGroupArn: ctx.greenTargetGroupArn,
      taskDefinitionArn: state.taskDefinitionArn,
      taskSetId: taskSet.id,
      taskSetArn: taskSet.arn,
    },
  });
  await deps.store.appendTimeline(service, environment, deploymentId,
    entry('green-created', 'green', now, { taskSetId: taskSet.id, scalePercent }));
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

async function check(deps: GreenDeps, state: DeployState): Promise<DeployState> {
  const ctx = ctxOf(state, deps.env);
  const { service, environment, deploymentId } = state.request;
  if (!state.green || !state.health) throw new LiveStateInvalid('green/health missing: CreateGreen sets them');
  const now = deps.clock.now();
  const [svc, health] = await Promise.all([
    deps.taskSets.describeService(ctx.cluster, ctx.ecsService),
    deps.health.health(ctx.greenTargetGroupArn),
  ]);
  const green = svc.taskSets.find((t) => t.id === state.green?.taskSetId);
  if (!green) throw new LiveStateInvalid(`Green task set ${state.green.taskSetId} disappeared from ${ctx.cluster}/${ctx.ecsService}`);
  const required = Math.max(green.computedDesiredCount, 1);
  const steady = green.stabilityStatus === 'STEADY_STATE' && green.runningCount >= green.computedDesiredCount;
  if (steady && health.healthy >= required) {
    if (ctx.testListenerArn && ctx.blue) {
      await deps.router.setWeights({ kind: 'listener', arn: ctx.testListenerArn }, weightsFor(100, ctx.blue.targetGroupArn, ctx.greenTargetGroupArn));
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
  return {
    env,
    clock,
    taskSets: new EcsTaskSets(makeClient(ECSClient, opts)),
    health: new ElbTargetHealth(elb),
    router: new ElbTrafficRouter(elb),
    store: storeFor(opts, env),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
