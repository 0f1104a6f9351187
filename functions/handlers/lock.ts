/**
 * Deploy state machine: take the per service-and-environment lock (a conditional write with a
 * lease). Busy and superseded are answers, not errors: the LockOutcome choice waits and asks again,
 * or ends this deployment SUPERSEDED when a newer push is waiting.
 */
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv } from '../aws/clients.js';
import type { DeployState } from '../core/deploy-state.js';
import { longestRunSeconds, RUN_MARGIN_SECONDS } from '../core/budgets.js';
import type { Clock, DeploymentStore } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { storeFor } from './shared/store.js';
import { entry, serviceFor } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface LockDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly store: DeploymentStore;
  readonly logLevel?: string;
}

/** How long a waiting deployment sleeps before asking for the lock again. */
export const LOCK_RETRY_SECONDS = 15;
/** Margin added to the longest a deployment can take, for the lease. */
export const LEASE_MARGIN_SECONDS = RUN_MARGIN_SECONDS;

const Payload = z.object({ action: z.literal('acquire'), state: z.unknown() });

/** The lease: the longest a deployment of `svc` can run (the reconcile sweep closes any that outlive it). */
export const leaseSecondsFor = longestRunSeconds;

export function createHandler(deps: LockDeps): Handler<unknown, DeployState> {
  const logger = makeLogger('cutover-lock', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
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
  return { env, clock, store: storeFor(opts, env) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
