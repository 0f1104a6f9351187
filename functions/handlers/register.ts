/**
 * Deploy state machine: register the new task-definition revision — the stable revision (or, on a
 * first deployment, the configured bootstrap one) with only the target container's image changed to
 * the pushed digest. Idempotent: a retry after a registration reuses the revision on the record. A
 * rollback deployment names the earlier revision itself (`request.taskDefinitionArn`): reused as is.
 * The task and execution roles carried over must be ones `taskRoleArns` names (the roles the
 * register role may pass): otherwise `TaskRoleNotAllowed`, before anything is registered.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsTaskDefinitions } from '../aws/ecs.js';
import type { DeployState } from '../core/deploy-state.js';
import { familyProblems, revisionProblems } from '../core/boundary.js';
import { LiveStateInvalid, ValidationError } from '../core/errors.js';
import type { Clock, DeploymentStore, TaskDefinitions } from '../core/ports.js';
import { assertRolesAllowed } from '../core/task-roles.js';
import { parseOrThrow } from '../core/validation.js';
import { storeFor } from './shared/store.js';
import { ctxOf, entry, serviceFor } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface RegisterDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly taskDefinitions: TaskDefinitions;
  readonly store: DeploymentStore;
  readonly logLevel?: string;
}

const Payload = z.object({ state: z.unknown() });

/** The variables a registered revision carries: its version (the deployment id) and the color it starts as. */
export function revisionEnvironment(deploymentId: string): Record<string, string> {
  return { CUTOVER_VERSION: deploymentId, CUTOVER_COLOR: 'green' };
}

/** Green's side on the record: its target group for a web service, nothing for a worker. */
const greenSide = (tg: string | undefined) => (tg === undefined ? {} : { targetGroupArn: tg });

export function createHandler(deps: RegisterDeps): Handler<unknown, DeployState> {
  const logger = makeLogger('cutover-register', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const state = parseOrThrow(Payload, event, 'register payload').state as DeployState;
    const ctx = ctxOf(state, deps.env);
    const { service, environment, deploymentId } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment });
    const record = await deps.store.getDeployment(service, environment, deploymentId);
    const already = record?.green?.taskDefinitionArn;
    if (already) return { ...state, taskDefinitionArn: already };
    const svc = serviceFor(deps.env, state);
    const pinned = state.request.taskDefinitionArn;
    if (pinned) {
      // A rollback to a revision Cutover deployed before: that exact revision, nothing registered.
      // Validate checked it; checked again here, where it is used (this function may be invoked directly).
      const problems = state.request.trigger.kind === 'rollback'
        ? revisionProblems(svc, deps.env.config.taskRoleArns, await deps.taskDefinitions.describeRevision(pinned), pinned, state.request.image.digest, deps.env)
        : ['taskDefinitionArn: a pinned revision is accepted only for a rollback (trigger.kind "rollback")'];
      if (problems.length > 0) throw new ValidationError('deploy state', problems);
      await deps.store.updateDeployment(service, environment, deploymentId, {
        green: { ...greenSide(ctx.greenTargetGroupArn), taskDefinitionArn: pinned },
      });
      await deps.store.appendTimeline(service, environment, deploymentId,
        entry('registered', 'register', deps.clock.now(), { taskDefinitionArn: pinned, reused: true, image: ctx.image.uri }));
      return { ...state, taskDefinitionArn: pinned };
    }

    const from = ctx.blue?.taskDefinitionArn ?? svc.bootstrap?.taskDefinition;
    if (!from) throw new LiveStateInvalid('No task definition to start from: the service has no task set and no bootstrap.taskDefinition');
    // Registering copies the source's family: only the service's own (ctxOf checked blue's; bootstrap's here).
    const familyProblem = familyProblems(svc, 'bootstrap.taskDefinition', from);
    if (familyProblem.length > 0) throw new ValidationError('deploy state', familyProblem);
    // Registering passes the carried-over roles to ECS: only those taskRoleArns names (TaskRoleNotAllowed).
    // Every revision Cutover registers says which version it is (web services and workers), so an
    // application can tag its metrics by version (README "Workers": Powertools Metrics, EMF).
    const variables = revisionEnvironment(deploymentId);
    const { arn } = await deps.taskDefinitions.registerWithImage(from, ctx.containerName, ctx.image.uri, {
      checkRoles: (roles) => assertRolesAllowed(deps.env.config.taskRoleArns, roles, from),
      environment: variables,
    });
    await deps.store.updateDeployment(service, environment, deploymentId, {
      green: { ...greenSide(ctx.greenTargetGroupArn), taskDefinitionArn: arn, ...(ctx.traffic === 'task-share' ? { version: deploymentId } : {}) },
    });
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry('registered', 'register', deps.clock.now(), { from, taskDefinitionArn: arn, image: ctx.image.uri, environment: variables }));
    return { ...state, taskDefinitionArn: arn };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): RegisterDeps {
  return { env, clock, taskDefinitions: new EcsTaskDefinitions(makeClient(ECSClient, opts)), store: storeFor(opts, env) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
