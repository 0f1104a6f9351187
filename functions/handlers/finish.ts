/**
 * Deploy state machine, the terminal states other than rollback:
 * - `succeed`: after the termination wait, scale blue to zero and delete it; SUCCEEDED; lock released.
 * - `supersede`: a newer push was waiting; SUPERSEDED naming the digest that replaced this one.
 * - `fail`: a failure before anything was created (or a rollback that could not finish); FAILED
 *   with the reason; lock released.
 * Each moves the record to its terminal status exactly once; a replay changes nothing.
 * - `rollback-incomplete`: the rollback failed after its whole retry budget. NOT terminal: the
 *   record stays in flight (traffic may still be split, green may run) with its lock held, and gets
 *   a `rollback-incomplete` timeline entry (kind `rollback`, detail `{ reason, error, cause }`);
 *   the reconcile sweep finds the in-flight record whose execution is no longer RUNNING and runs the
 *   rollback again. A deployment never ends terminal with traffic on a task set that is not primary.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsTaskSets } from '../aws/ecs.js';
import type { DeployState } from '../core/deploy-state.js';
import { type DeploymentReason, DeploymentStatus, LifecycleEvent } from '../core/model.js';
import type { Clock, DeploymentStore, EventPublisher, Orchestrator, TaskSets } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { orchestratorFor, publisherFor } from './shared/clients.js';
import { wakeLockWaiter } from './shared/lock-wake.js';
import { storeFor } from './shared/store.js';
import { ctxOf, entry, eventDetail, finishOnce, publishOnce, reasonFromError } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type DeploymentMetrics, emfMetrics, METRIC } from './shared/metrics.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface FinishDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly taskSets: TaskSets;
  readonly store: DeploymentStore;
  readonly events: EventPublisher;
  /** Wakes the deployment parked on the lock once it is released. */
  readonly orchestrator?: Orchestrator;
  readonly deploymentMetrics?: DeploymentMetrics;
  readonly logLevel?: string;
}

const Payload = z.object({ action: z.enum(['succeed', 'supersede', 'fail', 'rollback-incomplete']), state: z.unknown() });

/** The error the rollback's Catch put at `$.rollbackError` (deploy.asl.json, RollbackIncomplete). */
type WithRollbackError = DeployState & { readonly rollbackError?: { readonly Error?: string; readonly Cause?: string } };

export function createHandler(deps: FinishDeps): Handler<unknown, DeployState> {
  const logger = makeLogger('cutover-finish', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'finish payload');
    const state = payload.state as DeployState;
    const { service, environment, deploymentId } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment });
    if (payload.action === 'rollback-incomplete') {
      // Leave the record in flight and the lock held: only say what happened, for the sweep and for people.
      const failure = (state as WithRollbackError).rollbackError;
      const reason = reasonFromError(state.error);
      await deps.store.appendTimeline(service, environment, deploymentId,
        entry('rollback-incomplete', 'rollback', deps.clock.now(), {
          reason,
          error: failure?.Error ?? 'unknown',
          cause: (failure?.Cause ?? '').slice(0, 1024),
        }));
      logger.error('rollback failed after every retry; left in flight for the reconcile sweep', { error: failure?.Error });
      return state;
    }
    const expiresAt = Math.floor(deps.clock.now() / 1000) + deps.env.config.recordRetentionSeconds;
    let status: DeploymentStatus;
    let reason: DeploymentReason;
    let kind: LifecycleEvent;
    switch (payload.action) {
      case 'succeed': {
        // Checked against the configuration: a crafted context retires no foreign task set.
        const ctx = state.ctx ? ctxOf(state, deps.env) : undefined;
        const blue = ctx?.blue;
        if (ctx && blue?.taskSetId) {
          // The stable task set is only scaled down now: green is primary and every bake passed.
          await deps.taskSets.retireTaskSet(ctx.cluster, ctx.ecsService, blue.taskSetId);
        }
        status = DeploymentStatus.SUCCEEDED;
        reason = { code: 'Promoted', message: `${state.request.image.digest} is live on ${state.ctx?.greenTargetGroupArn ?? (state.green ? `green task set ${state.green.taskSetId}` : 'green')}` };
        kind = LifecycleEvent.Succeeded;
        break;
      }
      case 'supersede': {
        const by = state.lock?.supersededBy;
        status = DeploymentStatus.SUPERSEDED;
        reason = {
          code: 'Superseded',
          message: by ? `superseded by ${by.deploymentId} (${by.digest}) before it started` : 'superseded by a newer push',
        };
        kind = LifecycleEvent.Superseded;
        break;
      }
      case 'fail': {
        status = DeploymentStatus.FAILED;
        reason = reasonFromError(state.error);
        kind = LifecycleEvent.Failed;
        break;
      }
      default: {
        const never: 'rollback-incomplete' = payload.action;
        throw new Error(`unknown action ${String(never)}`);
      }
    }
    await deps.store.setTaskToken(service, environment, deploymentId, undefined).catch(() => undefined);
    // Already terminal (a replay, or a failure after the rollback ended the record): keep what it
    // says, but still release the lock and make sure the event went out.
    await finishOnce(deps.store, state, status, reason, expiresAt);
    const record = await deps.store.getDeployment(service, environment, deploymentId);
    const final = record?.status ?? status;
    const finalReason = record?.reason ?? reason;
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry(final.toLowerCase(), 'terminal', deps.clock.now(), { status: final, reason: finalReason }));
    if (payload.action !== 'supersede') {
      await deps.store.releaseLock(service, environment, deploymentId);
      await wakeLockWaiter(deps.store, deps.orchestrator, service, environment);
    }
    if (final === status) {
      await publishOnce(deps.store, deps.events, state, kind, eventDetail(state, { status, reason }), deps.clock.now());
      const dims = { service, environment };
      if (status === DeploymentStatus.SUCCEEDED) {
        deps.deploymentMetrics?.put(METRIC.succeeded, 1, 'Count', dims);
        const pushedAt = Date.parse(state.request.requestedAt);
        if (!Number.isNaN(pushedAt)) deps.deploymentMetrics?.put(METRIC.leadTime, Math.max(0, (deps.clock.now() - pushedAt) / 1000), 'Seconds', dims);
      } else if (status === DeploymentStatus.FAILED) {
        deps.deploymentMetrics?.put(METRIC.failed, 1, 'Count', dims);
      }
    }
    return { ...state, outcome: { status, code: reason.code, message: reason.message } };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): FinishDeps {
  return {
    env,
    clock,
    taskSets: new EcsTaskSets(makeClient(ECSClient, opts)),
    store: storeFor(opts, env),
    events: publisherFor(opts, env),
    orchestrator: orchestratorFor(opts),
    deploymentMetrics: emfMetrics('cutover-finish'),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
