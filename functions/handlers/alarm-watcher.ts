/**
 * EventBridge target for `CloudWatch Alarm State Change` (to ALARM; metric and composite alarms):
 * fails the bake (or the termination wait: blue still runs, so the rollback is a weight flip; or an
 * approval or hold: green keeps its share of production traffic while it waits for a person) of
 * every in-flight deployment that watches that exact alarm name with
 * `AlarmTriggered` and the alarm's reason, so the deploy state machine rolls back within one
 * transition. An unknown alarm is ignored with a log line; a late or repeated event for a finished
 * deployment changes nothing (its token is gone, or Step Functions answers TaskTimedOut). An event it
 * refuses (malformed, foreign, wrong source or detail-type) is answered `rejected`, not thrown
 * (shared/rejection.ts): a retry would fail the same way.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsNativeDeployments } from '../aws/ecs-native.js';
import { AlarmStateChangeEvent, parseEvent } from '../core/events.js';
import type { WaitingFor } from '../core/model.js';
import { ALARM_ENTRY_KIND } from '../core/recorded-alarm.js';
import type { Clock, DeploymentStore, NativeDeployments, Orchestrator } from '../core/ports.js';
import { orchestratorFor } from './shared/clients.js';
import { storeFor } from './shared/store.js';
import { entry } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type DeploymentMetrics, emfMetrics } from './shared/metrics.js';
import { parseOrReject, type RejectedEvent } from './shared/rejection.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';
import { NATIVE_DECISION_KIND, nativeDeploymentOf } from './shared/native.js';

/**
 * The waits an alarm ends. All three hold green in production: a bake and an approval (or an
 * operator's hold) at the step's weight, the termination wait at 100 % with blue still running.
 * Waiting for an approver must not keep a release that sets off an alarm in front of users.
 */
const WATCHED_WAITS: readonly WaitingFor[] = ['bake', 'approval', 'termination'];

export interface AlarmWatcherDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly store: DeploymentStore;
  readonly orchestrator: Orchestrator;
  /** ECS's own deployments (engine native): StopServiceDeployment ROLLBACK at once. */
  readonly native?: Pick<NativeDeployments, 'stopWithRollback'>;
  /** `RejectedEvents` (EMF). */
  readonly deploymentMetrics?: DeploymentMetrics;
  readonly logLevel?: string;
}

export interface AlarmWatcherResult {
  readonly ignored?: string;
  /** The event was refused (logged at WARN, counted in `RejectedEvents`); nothing was read or written. */
  readonly rejected?: RejectedEvent;
  readonly failed: readonly string[];
}

export function createHandler(deps: AlarmWatcherDeps): Handler<unknown, AlarmWatcherResult> {
  const logger = makeLogger('cutover-alarm-watcher', deps.logLevel);
  return wrap(logger, async (raw: unknown) => {
    const parsed = parseOrReject(
      () => parseEvent(AlarmStateChangeEvent, raw, { source: 'aws.cloudwatch', detailType: 'CloudWatch Alarm State Change' }, deps.env),
      logger,
      deps.deploymentMetrics,
    );
    if (parsed.rejected) return { rejected: parsed.rejected, failed: [] };
    const event = parsed.event;
    const { alarmName, state } = event.detail;
    logger.appendKeys({ eventId: event.id, alarmName });
    if (state.value !== 'ALARM') return { ignored: `state ${state.value}: only ALARM rolls back`, failed: [] };
    const watching = (await deps.store.listInFlight()).filter((r) => r.alarmNames.includes(alarmName));
    if (watching.length === 0) {
      logger.info('no in-flight deployment watches this alarm');
      return { ignored: `no in-flight deployment watches ${alarmName}`, failed: [] };
    }
    const failed: string[] = [];
    for (const record of watching) {
      const now = deps.clock.now();
      await deps.store.appendTimeline(record.service, record.environment, record.deploymentId,
        entry(`alarm-${alarmName}-${event.id}`, ALARM_ENTRY_KIND, now, { alarmName, reason: state.reason }));
      const serviceDeployment = nativeDeploymentOf(record);
      if (serviceDeployment && deps.native) {
        // A native deployment (issue #17): ECS rolls back at once on StopServiceDeployment ROLLBACK;
        // the deploy state machine follows it to ROLLED_BACK with this alarm as the reason.
        const message = `Alarm ${alarmName} is in ALARM: ${state.reason}`;
        await deps.store.appendTimeline(record.service, record.environment, record.deploymentId,
          entry(`native-stop-${alarmName}-${event.id}`, NATIVE_DECISION_KIND, now, { code: 'AlarmTriggered', message, alarmName, serviceDeploymentArn: serviceDeployment }));
        await deps.native.stopWithRollback(serviceDeployment);
        logger.info('native deployment stopped with rollback', { deploymentId: record.deploymentId });
        failed.push(record.deploymentId);
        continue;
      }
      if (!record.taskToken || !record.waitingFor || !WATCHED_WAITS.includes(record.waitingFor)) {
        // No wait holds a token (a Shift, an Analyze, a Promote, health checks run): the entry just
        // appended is the record. Shift, Analyze, Promote and the start of every wait read it before
        // they act (functions/core/recorded-alarm.ts), so the alarm stops the deployment there.
        continue;
      }
      const message = `Alarm ${alarmName} is in ALARM: ${state.reason}`;
      await deps.orchestrator.sendTaskFailure(
        record.taskToken,
        'AlarmTriggered',
        JSON.stringify({ errorType: 'AlarmTriggered', errorMessage: message, alarmName }),
      );
      logger.info('bake failed', { deploymentId: record.deploymentId });
      failed.push(record.deploymentId);
    }
    return { failed };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): AlarmWatcherDeps {
  return { env, clock, store: storeFor(opts, env), orchestrator: orchestratorFor(opts), native: new EcsNativeDeployments(makeClient(ECSClient, opts)), deploymentMetrics: emfMetrics('cutover-alarm-watcher') };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
