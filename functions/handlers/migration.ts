/**
 * Deploy state machine: the optional migration task (services[].migration), around the
 * `ecs:runTask.sync` state that runs it and waits for it to stop.
 * - `prepare`: the RunTask parameters — the new revision, the configured command on the named
 *   container, the stable task set's network (or the bootstrap's on a first deployment). A
 *   migration that already passed for this deployment is not run again (`status: done`).
 * - `verdict`: exit code 0 of the named container continues; anything else (another exit code, a
 *   task that never started, a timeout) is `MigrationFailed` with the exit code and ECS's stopped
 *   reason. The outcome goes on the deployment's timeline.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsTaskSets } from '../aws/ecs.js';
import type { DeployState } from '../core/deploy-state.js';
import { LiveStateInvalid, MigrationFailed } from '../core/errors.js';
import { migrationOutcome, migrationRunParameters, type TaskPlacement } from '../core/gates.js';
import type { Clock, DeploymentStore, TaskSets } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { storeFor } from './shared/store.js';
import { ctxOf, entry, serviceFor } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface MigrationDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly taskSets: TaskSets;
  readonly store: DeploymentStore;
  readonly logLevel?: string;
}

const Payload = z.object({ action: z.enum(['prepare', 'verdict']), state: z.unknown() });

/** Timeline key of a migration that passed: its presence means "already ran for this deployment". */
export const MIGRATION_SUCCEEDED = 'migration-succeeded';

async function prepare(deps: MigrationDeps, state: DeployState): Promise<DeployState> {
  const svc = serviceFor(deps.env, state);
  const ctx = ctxOf(state, deps.env);
  const { service, environment, deploymentId } = state.request;
  const m = svc.migration;
  if (!m) return { ...state, migration: { status: 'done' } };
  const record = await deps.store.getDeployment(service, environment, deploymentId);
  const passed = record?.timeline.find((e) => e.key === MIGRATION_SUCCEEDED);
  if (passed) {
    const taskArn = passed.detail?.taskArn;
    return { ...state, migration: { status: 'done', ...(typeof taskArn === 'string' ? { taskArn } : {}) } };
  }
  if (!state.taskDefinitionArn) throw new LiveStateInvalid('taskDefinitionArn is missing: RegisterTaskDefinition sets it');
  let placement: TaskPlacement;
  if (ctx.engine === 'native') {
    // An ECS-controller service has no task sets: the service's own launch type and network (Inspect read them).
    placement = (ctx.native?.placement ?? {}) as TaskPlacement;
  } else if (ctx.blue?.taskSetId) {
    placement = (await deps.taskSets.describeTaskSetTemplate(ctx.cluster, ctx.ecsService, ctx.blue.taskSetId)).template as TaskPlacement;
  } else {
    const boot = svc.bootstrap;
    placement = boot
      ? {
          launchType: boot.launchType,
          networkConfiguration: {
            awsvpcConfiguration: { subnets: boot.subnets, securityGroups: boot.securityGroups, assignPublicIp: boot.assignPublicIp ? 'ENABLED' : 'DISABLED' },
          },
        }
      : {};
  }
  const containerName = m.containerName ?? svc.containerName;
  const run = migrationRunParameters({
    cluster: ctx.cluster,
    taskDefinitionArn: state.taskDefinitionArn,
    containerName,
    command: m.command,
    placement,
    defaultLaunchType: svc.bootstrap?.launchType ?? 'FARGATE',
  });
  if ('problem' in run) throw new MigrationFailed(`Migration of ${service} cannot run: ${run.problem}`, { details: { containerName } });
  await deps.store.appendTimeline(service, environment, deploymentId,
    entry('migration-started', 'migration', deps.clock.now(), { taskDefinitionArn: state.taskDefinitionArn, container: containerName, command: m.command }));
  return { ...state, migration: { status: 'run', run, timeoutSeconds: Math.max(1, m.timeoutSeconds) } };
}

async function verdict(deps: MigrationDeps, state: DeployState): Promise<DeployState> {
  const svc = serviceFor(deps.env, state);
  const { service, environment, deploymentId } = state.request;
  const containerName = svc.migration?.containerName ?? svc.containerName;
  const outcome = migrationOutcome({
    containerName,
    timeoutSeconds: state.migration?.timeoutSeconds ?? svc.migration?.timeoutSeconds ?? 0,
    ...(state.migration?.task === undefined ? {} : { task: state.migration.task }),
    ...(state.migration?.error === undefined ? {} : { error: state.migration.error }),
  });
  const now = deps.clock.now();
  if (!outcome.ok) {
    await deps.store.appendTimeline(service, environment, deploymentId, entry('migration-failed', 'migration', now, { message: outcome.message, ...outcome.details }));
    throw new MigrationFailed(outcome.message, { details: outcome.details });
  }
  await deps.store.appendTimeline(service, environment, deploymentId,
    entry(MIGRATION_SUCCEEDED, 'migration', now, { container: containerName, exitCode: 0, ...(outcome.taskArn ? { taskArn: outcome.taskArn } : {}) }));
  // The stopped task's description is not carried on: the state stays small.
  return { ...state, migration: { status: 'done', ...(outcome.taskArn ? { taskArn: outcome.taskArn } : {}) } };
}

export function createHandler(deps: MigrationDeps): Handler<unknown, DeployState> {
  const logger = makeLogger('cutover-migration', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'migration payload');
    const state = payload.state as DeployState;
    logger.appendKeys({ deploymentId: state.request?.deploymentId, cutoverService: state.request?.service, action: payload.action });
    return payload.action === 'prepare' ? prepare(deps, state) : verdict(deps, state);
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): MigrationDeps {
  return { env, clock, taskSets: new EcsTaskSets(makeClient(ECSClient, opts)), store: storeFor(opts, env) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
