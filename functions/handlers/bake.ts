/**
 * Deploy state machine, the callback side of a bake, an approval step (or an operator's hold), and
 * the termination wait after promotion.
 *
 * The Task is `.waitForTaskToken` with the bake time as its timeout: this handler stores the token
 * on the deployment record FIRST and then checks the watched alarms, so an alarm that fires in
 * between is seen by one of the two (this check, or the alarm watcher that finds the stored token).
 * An alarm already in ALARM fails the bake at once (`AlarmTriggered`). A quiet bake costs no
 * transitions and no Lambda time: `States.Timeout` means it passed. The termination wait works the
 * same way (alarms armed while blue still runs, so a rollback is a weight flip); an approval does not
 * look at alarms.
 *
 * `pre-traffic` (a plain invoke, no token): the alarm check right before the steps start, after green
 * is healthy and its hooks passed — the first bake of a canary comes after its first shift, so this
 * is what keeps production traffic off green while a watched alarm is already firing.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { CloudWatchAlarms } from '../aws/cloudwatch.js';
import type { DeployState, StepItem } from '../core/deploy-state.js';
import { AlarmTriggered, SignalNotVerified, ValidationError } from '../core/errors.js';
import { isTerminal } from '../core/model.js';
import type { AlarmInfo, Alarms, Clock, DeploymentStore } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { storeFor } from './shared/store.js';
import { failIfAlarmRecorded } from './shared/alarm-check.js';
import { ctxOf, entry } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';
import { signalProven } from './shared/signal-proof.js';

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
  kind: z.enum(['bake', 'approval', 'termination']),
});
const PreTrafficPayload = z.object({ kind: z.literal('pre-traffic'), state: z.unknown() });
/** After a callback task ended with a success: `item.signal` is that success's output (issue #14, 5). */
const VerifySignalPayload = z.object({ kind: z.literal('verify-signal'), item: z.object({ state: z.unknown(), signal: z.unknown() }) });

async function firingAlarm(alarms: Alarms, names: readonly string[]): Promise<{ first: AlarmInfo; all: string[] } | undefined> {
  if (names.length === 0) return undefined;
  const firing = (await alarms.describe(names)).filter((a) => a.state === 'ALARM');
  const first = firing[0];
  return first ? { first, all: firing.map((a) => a.name) } : undefined;
}

export function createHandler(deps: BakeDeps): Handler<unknown, { stored: true } | { checked: true }> {
  const logger = makeLogger('cutover-bake', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    if ((event as { kind?: unknown } | null)?.kind === 'verify-signal') {
      // A success must come with the nonce the control function recorded for the token this
      // deployment waited on (shared/signal-proof.ts); anything else is a forged answer.
      const { item } = parseOrThrow(VerifySignalPayload, event, 'verify-signal payload');
      const state = item.state as DeployState;
      const { service, environment, deploymentId } = state.request;
      logger.appendKeys({ deploymentId, cutoverService: service, environment });
      const record = await deps.store.getDeployment(service, environment, deploymentId);
      const nonce = (item.signal as { nonce?: unknown } | null)?.nonce;
      if (!record || !signalProven(record.controls, record.taskToken, nonce)) {
        throw new SignalNotVerified(
          `The ${record?.waitingFor ?? 'callback'} of deployment ${deploymentId} (${service}/${environment}) was answered with SendTaskSuccess outside Cutover's control path (no signal nonce recorded for its token); rolling back. Promote, approve and extend through the control state machine (cutover promote/approve/extend)`,
          { details: { deploymentId, waitingFor: record?.waitingFor ?? null, nonce: typeof nonce === 'string' ? 'present' : 'missing' } },
        );
      }
      return { checked: true };
    }
    if ((event as { kind?: unknown } | null)?.kind === 'pre-traffic') {
      const state = parseOrThrow(PreTrafficPayload, event, 'pre-traffic check payload').state as DeployState;
      const ctx = ctxOf(state, deps.env);
      logger.appendKeys({ deploymentId: state.request.deploymentId, cutoverService: state.request.service, environment: state.request.environment });
      // An alarm in ALARM now says the most; one that fired and cleared since the watcher recorded it
      // stops the deployment all the same.
      const firing = await firingAlarm(deps.alarms, ctx.alarmNames);
      if (firing) {
        throw new AlarmTriggered(`Alarm ${firing.first.name} is in ALARM before any production traffic moved to green: ${firing.first.reason}`, {
          details: { alarmName: firing.first.name, alarms: firing.all, preTraffic: true },
        });
      }
      await failIfAlarmRecorded(deps.store, state.request, 'any production traffic moved to green');
      return { checked: true };
    }
    const payload = parseOrThrow(Payload, event, 'bake payload');
    const item = payload.item as StepItem;
    const state = item.state;
    const ctx = ctxOf(state, deps.env);
    const { service, environment, deploymentId } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment, step: item.index });
    const now = deps.clock.now();
    // The token goes only on the deployment this execution runs: one in flight whose record names
    // this execution (a payload handed in directly plants no token on another deployment).
    const record = await deps.store.getDeployment(service, environment, deploymentId);
    if (!record || isTerminal(record.status) || record.executionArn !== state.executionArn) {
      throw new ValidationError('bake payload', [
        `item.state.request.deploymentId: ${deploymentId} is not a deployment of ${service}/${environment} in flight under execution ${state.executionArn ?? '(none)'} (${record ? `${record.status}, execution ${record.executionArn ?? 'none'}` : 'no record'})`,
      ]);
    }
    await deps.store.setTaskToken(service, environment, deploymentId, payload.taskToken, payload.kind);
    const suffix = item.extensions ? `-x${item.extensions}` : '';
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry(`${payload.kind}-${item.index}${suffix}`, payload.kind, now, { step: item.step }));
    // The token is stored: an alarm from now on reaches it through the watcher. One recorded before
    // (while a Shift or an Analyze ran, with no token to fail) stops the deployment here.
    await failIfAlarmRecorded(deps.store, state.request, `the ${payload.kind} of step ${item.index}`);
    const firing = payload.kind === 'approval' ? undefined : await firingAlarm(deps.alarms, ctx.alarmNames);
    if (firing) {
      throw new AlarmTriggered(`Alarm ${firing.first.name} is in ALARM: ${firing.first.reason}`, {
        details: { alarmName: firing.first.name, alarms: firing.all },
      });
    }
    return { stored: true };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): BakeDeps {
  return { env, clock, alarms: new CloudWatchAlarms(makeClient(CloudWatchClient, opts)), store: storeFor(opts, env) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
