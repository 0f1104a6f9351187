/**
 * Deploy state machine, the callback side of a bake (or an approval step).
 *
 * The Task is `.waitForTaskToken` with the bake time as its timeout: this handler stores the token
 * on the deployment record FIRST and then checks the watched alarms, so an alarm that fires in
 * between is seen by one of the two (this check, or the alarm watcher that finds the stored token).
 * An alarm already in ALARM fails the bake at once (`AlarmTriggered`). A quiet bake costs no
 * transitions and no Lambda time: `States.Timeout` means it passed.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { CloudWatchAlarms } from '../aws/cloudwatch.js';
import type { StepItem } from '../core/deploy-state.js';
import { AlarmTriggered } from '../core/errors.js';
import type { Alarms, Clock, DeploymentStore } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { storeFor } from './shared/clients.js';
import { ctxOf, entry } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface BakeDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly alarms: Alarms;
  readonly store: DeploymentStore;
  readonly logLevel?: string;
}

const Payload = z.object({
  item: z.unknown(),
  taskToken: z.string().check(z.minLength(1), z.maxLength(2048)),
  kind: z.enum(['bake', 'approval']),
});

export function createHandler(deps: BakeDeps): Handler<unknown, { stored: true }> {
  const logger = makeLogger('cutover-bake', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'bake payload');
    const item = payload.item as StepItem;
    const state = item.state;
    const ctx = ctxOf(state);
    const { service, environment, deploymentId } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment, step: item.index });
    const now = deps.clock.now();
    await deps.store.setTaskToken(service, environment, deploymentId, payload.taskToken, payload.kind);
    const suffix = item.extensions ? `-x${item.extensions}` : '';
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry(`${payload.kind}-${item.index}${suffix}`, payload.kind, now, { step: item.step }));
    if (payload.kind === 'bake' && ctx.alarmNames.length > 0) {
      const firing = (await deps.alarms.describe(ctx.alarmNames)).filter((a) => a.state === 'ALARM');
      const first = firing[0];
      if (first) {
        throw new AlarmTriggered(`Alarm ${first.name} is in ALARM: ${first.reason}`, {
          details: { alarmName: first.name, alarms: firing.map((a) => a.name) },
        });
      }
    }
    return { stored: true };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): BakeDeps {
  return { env, clock, alarms: new CloudWatchAlarms(makeClient(CloudWatchClient, opts)), store: storeFor(opts, env) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
