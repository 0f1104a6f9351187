/**
 * Deploy state machine: promote. Green becomes the primary task set and the stable pointer moves
 * (the previous one is kept for rollback after success). Blue keeps running through the
 * termination wait, so a rollback in that window is a weight flip.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsTaskSets } from '../aws/ecs.js';
import type { DeployState } from '../core/deploy-state.js';
import { LiveStateInvalid } from '../core/errors.js';
import type { Clock, DeploymentStore, TaskSets } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { storeFor } from './shared/store.js';
import { failIfAlarmRecorded } from './shared/alarm-check.js';
import { ctxOf, entry } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface PromoteDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly taskSets: TaskSets;
  readonly store: DeploymentStore;
  readonly logLevel?: string;
}

const Payload = z.object({ state: z.unknown() });

export function createHandler(deps: PromoteDeps): Handler<unknown, DeployState> {
  const logger = makeLogger('cutover-promote', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const state = parseOrThrow(Payload, event, 'promote payload').state as DeployState;
    const ctx = ctxOf(state, deps.env);
    const { service, environment, deploymentId } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment });
    if (!state.green || !state.taskDefinitionArn) throw new LiveStateInvalid('green task set missing from the state');
    await deps.store.setTaskToken(service, environment, deploymentId, undefined);
    await failIfAlarmRecorded(deps.store, state.request, 'the promotion');
    await deps.taskSets.setPrimary(ctx.cluster, ctx.ecsService, state.green.taskSetId);
    const now = deps.clock.now();
    await deps.store.setStable(service, environment, {
      deploymentId,
      taskDefinitionArn: state.taskDefinitionArn,
      digest: ctx.image.digest,
      ...(ctx.greenTargetGroupArn ? { targetGroupArn: ctx.greenTargetGroupArn } : {}),
      taskSetId: state.green.taskSetId,
      updatedAt: new Date(now).toISOString(),
    });
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry('promoted', 'promote', now, { taskSetId: state.green.taskSetId, terminationWaitSeconds: ctx.terminationWaitSeconds, traffic: ctx.traffic ?? 'alb-weights' }));
    return state;
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): PromoteDeps {
  return { env, clock, taskSets: new EcsTaskSets(makeClient(ECSClient, opts)), store: storeFor(opts, env) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
