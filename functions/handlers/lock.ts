/**
 * Deploy state machine: take the per service-and-environment lock (a conditional write with a
 * lease). Busy and superseded are answers, not errors: the LockOutcome choice waits and asks again,
 * or ends this deployment SUPERSEDED when a newer push is waiting.
 *
 * `park` (WaitForLockRelease, a `.waitForTaskToken` task): a busy deployment parks its callback
 * token on the lock item; whoever releases the lock (finish, rollback, the reconcile sweep) wakes it
 * with SendTaskSuccess, and it asks again. Waiting costs a few history events, not ~9 every 15 s
 * (issue #12, defect 7: a queue behind a 7-day approval passed the 25,000-event limit). The task's
 * timeout (LOCK_RETRY_SECONDS) re-checks anyway, so a lost wake is only late. A newer push that
 * parks after an older waiter wakes that one, which is then superseded.
 */
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv } from '../aws/clients.js';
import type { DeployState } from '../core/deploy-state.js';
import { longestRunSeconds, RUN_MARGIN_SECONDS } from '../core/budgets.js';
import type { Clock, DeploymentStore, Orchestrator } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { orchestratorFor } from './shared/clients.js';
import { storeFor } from './shared/store.js';
import { entry, serviceFor } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface LockDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly store: DeploymentStore;
  /** Wakes parked waiters (SendTaskSuccess); required for `park`. */
  readonly orchestrator?: Orchestrator;
  readonly logLevel?: string;
}

/**
 * The WaitForLockRelease timeout (its TimeoutSecondsPath): a parked deployment asks for the lock
 * again after this long even if no release woke it. 30 minutes: a 7-day wait is 336 re-checks of
 * about 12 history events each (~4,000 events of the 25,000 allowed).
 */
export const LOCK_RETRY_SECONDS = 1800;
/** Margin added to the longest a deployment can take, for the lease. */
export const LEASE_MARGIN_SECONDS = RUN_MARGIN_SECONDS;

const Payload = z.object({ action: z.literal('acquire'), state: z.unknown() });
const ParkPayload = z.object({
  action: z.literal('park'),
  state: z.unknown(),
  taskToken: z.string().check(z.minLength(1), z.maxLength(2048)),
});



/** The lease: the longest a deployment of `svc` can run (the reconcile sweep closes any that outlive it). */
export const leaseSecondsFor = longestRunSeconds;

export function createHandler(deps: LockDeps): Handler<unknown, DeployState> {
  const logger = makeLogger('cutover-lock', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    if ((event as { action?: unknown } | null)?.action === 'park') {
      const park = parseOrThrow(ParkPayload, event, 'lock park payload');
      const parked = park.state as DeployState;
      const { service, environment, deploymentId } = parked.request;
      logger.appendKeys({ deploymentId, cutoverService: service, environment });
      serviceFor(deps.env, parked);
      if (!deps.orchestrator) throw new Error('lock handler: park needs an orchestrator');
      const result = await deps.store.parkLockWaiter(service, environment, { deploymentId, token: park.taskToken, nowMs: deps.clock.now() });
      if (!result.parked) {
        // Released (or a newer waiter) since AcquireLock answered busy: ask again now.
        await deps.orchestrator.sendTaskSuccess(park.taskToken, { woken: 'not-parked' });
        logger.info('lock free or waiter replaced: asking again now');
        return parked;
      }
      // An older waiter this one replaced: wake it, it is superseded.
      if (result.displaced) await deps.orchestrator.sendTaskSuccess(result.displaced, { woken: 'newer-waiter' });
      logger.info('parked on the lock', { wokeDisplaced: result.displaced !== undefined });
      // The callback task ignores a Lambda's return value; the state is returned for the logs only.
      return parked;
    }
    const payload = parseOrThrow(Payload, event, 'lock payload');
    const state = payload.state as DeployState;
    const { service, environment, deploymentId, image, requestedAt } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment });
    const svc = serviceFor(deps.env, state);
    const leaseSeconds = leaseSecondsFor(svc);
    const now = deps.clock.now();
    const result = await deps.store.acquireLock(service, environment, {
      deploymentId,
      digest: image.digest,
      requestedAt,
      leaseSeconds,
      nowMs: now,
    });
    switch (result.outcome) {
      case 'acquired':
        await deps.store.appendTimeline(service, environment, deploymentId, entry('lock-acquired', 'lock', now, { leaseSeconds }));
        return { ...state, lock: { outcome: 'acquired', retryAfterSeconds: 0 } };
      case 'busy':
        await deps.store.appendTimeline(service, environment, deploymentId,
          entry(`lock-busy-${result.holder}`, 'lock', now, { holder: result.holder }));
        return { ...state, lock: { outcome: 'busy', retryAfterSeconds: LOCK_RETRY_SECONDS, holder: result.holder } };
      case 'superseded':
        return { ...state, lock: { outcome: 'superseded', retryAfterSeconds: 0, supersededBy: result.by } };
      default: {
        const never: never = result;
        throw new Error(`unexpected lock outcome ${JSON.stringify(never)}`);
      }
    }
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): LockDeps {
  return { env, clock, store: storeFor(opts, env), orchestrator: orchestratorFor(opts) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
