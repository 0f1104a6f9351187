/**
 * Deploy state machine, the native branch (engine native, issue #17): ECS's own deployment of an
 * ECS-controller service, with Cutover's lifecycle hook (functions/handlers/native-hook.ts) at the
 * gated stages.
 * - `start`: UpdateService with the registered revision, the strategy Inspect mapped (strategyFor)
 *   and Cutover's hook; records the service deployment ARN (timeline `native-started`).
 * - `wait` (waitForTaskToken): keeps the token on the record and answers it at once when the
 *   deployment already ended; otherwise the "ECS Deployment State Change" event answers it.
 * - `check`: DescribeServiceDeployments (the late-event fallback, after the wait's timeout).
 * - `succeed` / `rolled-back`: the record ends SUCCEEDED or ROLLED_BACK with the reason (the hook's
 *   FAILED answer, the alarm watcher's StopServiceDeployment, or ECS's own statusReason), the lock
 *   is released and the lifecycle event published.
 * - `stop`: StopServiceDeployment ROLLBACK (an error while following the deployment).
 * The "ECS Deployment State Change" events answer the wait (functions/handlers/native-event.ts).
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsNativeDeployments } from '../aws/ecs-native.js';
import type { DeployState } from '../core/deploy-state.js';
import { userLifecycleHooks } from '../core/native.js';
import { ErrorName, LiveStateInvalid } from '../core/errors.js';
import { type DeploymentReason, type DeploymentRecord, DeploymentStatus, LifecycleEvent } from '../core/model.js';
import type { Clock, DeploymentStore, EventPublisher, NativeDeploymentInfo, NativeDeployments, Orchestrator } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { orchestratorFor, publisherFor } from './shared/clients.js';
import { ctxOf, entry, eventDetail, finishOnce, publishOnce, reasonFromError, serviceFor } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { wakeLockWaiter } from './shared/lock-wake.js';
import { type DeploymentMetrics, emfMetrics, METRIC } from './shared/metrics.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';
import { endedOf, NATIVE_CONTINUED, NATIVE_DECISION_KIND, NATIVE_STARTED } from './shared/native.js';
import { signalProven } from './shared/signal-proof.js';
import { storeFor } from './shared/store.js';

export interface NativeDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly native: NativeDeployments;
  readonly store: DeploymentStore;
  readonly events: EventPublisher;
  readonly orchestrator: Orchestrator;
  /** Cutover's lifecycle-hook Lambda and the role ECS assumes to invoke it. */
  readonly hook: { readonly functionArn: string; readonly roleArn: string };
  readonly deploymentMetrics?: DeploymentMetrics;
  readonly logLevel?: string;
}

const Payload = z.object({
  action: z.enum(['start', 'wait', 'check', 'succeed', 'rolled-back', 'stop']),
  state: z.unknown(),
  taskToken: z.optional(z.string()),
});

/** Why a native deployment rolled back: Cutover's decision when it made one, else ECS's reason. */
function rollbackReason(record: DeploymentRecord | undefined, d: NativeDeploymentInfo | undefined, userHookArns: readonly string[]): DeploymentReason {
  const decisions = (record?.timeline ?? []).filter((t) => t.kind === NATIVE_DECISION_KIND);
  const last = decisions[decisions.length - 1]?.detail as { code?: string; message?: string } | undefined;
  if (last?.code) return { code: last.code, message: last.message ?? last.code };
  const said = `${d?.rollbackReason ?? ''} ${d?.statusReason ?? ''}`;
  if (/Pause hook .* timed out/.test(said)) return { code: ErrorName.ApprovalExpired, message: `nobody approved in time: ${d?.rollbackReason ?? d?.statusReason ?? ''}` };
  const hook = userHookArns.find((arn) => said.includes(arn));
  if (hook) return { code: ErrorName.HookFailed, message: `the service's hook ${hook} stopped ECS's deployment: ${d?.rollbackReason ?? d?.statusReason ?? ''}` };
  if (d?.triggeredAlarmNames?.length) return { code: ErrorName.AlarmTriggered, message: `ECS deployment alarm(s) ${d.triggeredAlarmNames.join(', ')} in ALARM: ${d.rollbackReason ?? d.statusReason ?? ''}` };
  return { code: ErrorName.DeploymentFailed, message: `ECS ended the service deployment ${d?.status ?? 'MISSING'}: ${d?.rollbackReason ?? d?.statusReason ?? 'no reason given'}` };
}

function serviceDeploymentArn(state: DeployState): string {
  const arn = state.native?.serviceDeploymentArn;
  if (!arn) throw new LiveStateInvalid('deploy state: native.serviceDeploymentArn is missing (StartNativeDeployment sets it)');
  return arn;
}

export function createHandler(deps: NativeDeps): Handler<unknown, unknown> {
  const logger = makeLogger('cutover-native', deps.logLevel);

  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'native payload');
    const state = payload.state as DeployState;
    const { service, environment, deploymentId } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment });
    const ctx = ctxOf(state, deps.env);
    const svc = serviceFor(deps.env, state);
    if (ctx.engine !== 'native' || !ctx.native) throw new LiveStateInvalid('deploy state: ctx.engine is not native (Inspect decides the engine)');
    const now = deps.clock.now();
    switch (payload.action) {
      case 'start': {
        if (!state.taskDefinitionArn) throw new LiveStateInvalid('deploy state: taskDefinitionArn is missing (RegisterTaskDefinition sets it)');
        const deploymentConfiguration = {
          ...ctx.native.deploymentConfiguration,
          lifecycleHooks: [
            {
              targetType: 'AWS_LAMBDA',
              hookTargetArn: deps.hook.functionArn,
              roleArn: deps.hook.roleArn,
              lifecycleStages: [...ctx.native.lifecycleStages],
              timeoutConfiguration: { timeoutInMinutes: ctx.native.hookTimeoutMinutes, action: 'ROLLBACK' },
            },
            // Approvals held by ECS PAUSE hooks (nativeApproval "pause"), beside Cutover's gate at their stage (ECS runs a stage's hooks in parallel).
            ...(ctx.native.pauses ?? []).map((p) => ({
              targetType: 'PAUSE',
              lifecycleStages: [p.stage],
              timeoutConfiguration: { timeoutInMinutes: p.timeoutInMinutes, action: p.action },
            })),
            // The service's own hooks beside Cutover's gate at each stage (functions/core/native.ts userLifecycleHooks).
            ...userLifecycleHooks(svc.hooks, deps.hook.roleArn),
          ],
        };
        const d = await deps.native.startDeployment({ cluster: ctx.cluster, service: ctx.ecsService, taskDefinitionArn: state.taskDefinitionArn, deploymentConfiguration });
        await deps.store.appendTimeline(service, environment, deploymentId,
          entry(NATIVE_STARTED, 'native', now, { serviceDeploymentArn: d.arn, taskDefinitionArn: state.taskDefinitionArn, deploymentConfiguration }));
        return { ...state, native: { serviceDeploymentArn: d.arn } };
      }
      case 'wait': {
        if (!payload.taskToken) throw new LiveStateInvalid('native wait: taskToken is required (waitForTaskToken)');
        // waitingFor native: an operator's abort answers this token (SendTaskFailure Aborted), and the
        // Catch stops the ECS deployment with ROLLBACK (functions/core/control.ts).
        await deps.store.setTaskToken(service, environment, deploymentId, payload.taskToken, 'native');
        // An event that came before the token was stored would be lost: look once now.
        const ended = endedOf(await deps.native.describeDeployment(serviceDeploymentArn(state)));
        if (ended.terminal) {
          await deps.store.setTaskToken(service, environment, deploymentId, undefined);
          await deps.orchestrator.sendTaskSuccess(payload.taskToken, ended);
        }
        return { waiting: !ended.terminal };
      }
      case 'check': {
        const arn = serviceDeploymentArn(state);
        const d = await deps.native.describeDeployment(arn);
        const ended = endedOf(d);
        const hookId = d?.pausedHookIds?.[0];
        if (!ended.terminal && hookId) {
          // A PAUSE hook holds an approval. It is continued only on a wake-up the control path sent
          // (its nonce proven against the record, as VerifyApprovalSignal proves a task-set
          // approval: shared/signal-proof.ts) for an approve recorded since the deployment started
          // (or since the last pause it answered); the next pause needs its own approve.
          const record = await deps.store.getDeployment(service, environment, deploymentId);
          const timeline = record?.timeline ?? [];
          const since = Math.max(...timeline.filter((e) => e.key === NATIVE_STARTED || e.key.startsWith(NATIVE_CONTINUED)).map((e) => Date.parse(e.at)));
          const woken = signalProven(record?.controls, record?.taskToken, (state.native?.ended as { nonce?: unknown } | undefined)?.nonce);
          const approve = (record?.controls ?? []).find((c) => c.action === 'approve' && Date.parse(c.at) >= since);
          if (woken && approve) {
            await deps.native.continuePause(arn, hookId);
            await deps.store.appendTimeline(service, environment, deploymentId,
              entry(`${NATIVE_CONTINUED}${hookId}`, 'native', now, { hookId, by: approve.by, approvedAt: approve.at, action: 'CONTINUE' }));
          }
        }
        return ended;
      }
      case 'stop': {
        await deps.store.setTaskToken(service, environment, deploymentId, undefined);
        await deps.native.stopWithRollback(serviceDeploymentArn(state));
        // An operator's abort or rollback keeps its name as the reason; any other error while
        // following the deployment is a DeploymentFailed naming it.
        const why = reasonFromError(state.error);
        const operator = why.code === ErrorName.Aborted || why.code === ErrorName.RollbackRequested;
        await deps.store.appendTimeline(service, environment, deploymentId,
          entry(`native-stop-${why.code}`, NATIVE_DECISION_KIND, now, operator ? { code: why.code, message: why.message } : { code: ErrorName.DeploymentFailed, message: `StopServiceDeployment ROLLBACK after ${why.code}: ${why.message}` }));
        return state;
      }
      case 'succeed':
      case 'rolled-back': {
        // No service deployment yet: a gate before StartNativeDeployment failed (the migration); nothing on the service changed.
        const started = state.native?.serviceDeploymentArn;
        const d = started ? await deps.native.describeDeployment(started) : undefined;
        const record = await deps.store.getDeployment(service, environment, deploymentId);
        const success = payload.action === 'succeed';
        if (success && !started) throw new LiveStateInvalid('deploy state: native.serviceDeploymentArn is missing (StartNativeDeployment sets it)');
        const status = success ? DeploymentStatus.SUCCEEDED : DeploymentStatus.ROLLED_BACK;
        const reason: DeploymentReason = success
          ? { code: 'Promoted', message: `${state.request.image.digest} is live: ECS service deployment ${d?.arn ?? ''} ${d?.status ?? ''}` }
          : started
            ? rollbackReason(record, d, userLifecycleHooks(svc.hooks, deps.hook.roleArn).map((h) => h.hookTargetArn))
            : reasonFromError(state.error);
        await deps.store.setTaskToken(service, environment, deploymentId, undefined).catch(() => undefined);
        if (success && state.taskDefinitionArn) {
          await deps.store.setStable(service, environment, {
            deploymentId,
            taskDefinitionArn: state.taskDefinitionArn,
            digest: state.request.image.digest,
            ...(ctx.greenTargetGroupArn ? { targetGroupArn: ctx.greenTargetGroupArn } : {}),
            updatedAt: new Date(now).toISOString(),
          });
        }
        await finishOnce(deps.store, state, status, reason, Math.floor(now / 1000) + deps.env.config.recordRetentionSeconds);
        await deps.store.appendTimeline(service, environment, deploymentId, entry(status.toLowerCase(), 'terminal', now, { status, reason, ecs: d ?? null }));
        await deps.store.releaseLock(service, environment, deploymentId);
        await wakeLockWaiter(deps.store, deps.orchestrator, service, environment);
        await publishOnce(deps.store, deps.events, state, success ? LifecycleEvent.Succeeded : LifecycleEvent.RolledBack, eventDetail(state, { status, reason, engine: 'native' }), now);
        if (record && record.status !== status) {
          // DORA, as the task-set engine counts them (finish.ts, rollback.ts): lead time from the
          // push to live; time to restore from the alarm to ECS's rollback having ended (this call
          // runs when the ROLLBACK_SUCCESSFUL state change arrives).
          const dims = { service, environment };
          if (success) {
            deps.deploymentMetrics?.put(METRIC.succeeded, 1, 'Count', dims);
            const pushedAt = Date.parse(state.request.requestedAt);
            if (!Number.isNaN(pushedAt)) deps.deploymentMetrics?.put(METRIC.leadTime, Math.max(0, (now - pushedAt) / 1000), 'Seconds', dims);
          } else {
            deps.deploymentMetrics?.put(METRIC.rolledBack, 1, 'Count', dims);
            deps.deploymentMetrics?.put(METRIC.rollbackReason, 1, 'Count', { reason: reason.code });
            const alarm = record.timeline.find((e) => e.kind === 'alarm');
            if (reason.code === ErrorName.AlarmTriggered && alarm && started) {
              deps.deploymentMetrics?.put(METRIC.timeToRestore, Math.max(0, (now - Date.parse(alarm.at)) / 1000), 'Seconds', dims);
            }
          }
        }
        return { ...state, outcome: { status, code: reason.code, message: success ? reason.message : `${reason.code}: ${reason.message}` } };
      }
      default: {
        const never: never = payload.action;
        throw new Error(`unknown action ${String(never)}`);
      }
    }
  });
}

/** Cutover's hook Lambda and the role ECS assumes to invoke it: from the environment, or the stack's names. */
export function hookTarget(env: HandlerEnv, vars: Record<string, string | undefined> = {}): { functionArn: string; roleArn: string } {
  return {
    functionArn: vars.CUTOVER_NATIVE_HOOK_FUNCTION_ARN ?? `arn:aws:lambda:${env.region}:${env.accountId}:function:cutover-native-hook`,
    roleArn: vars.CUTOVER_NATIVE_HOOK_ROLE_ARN ?? `arn:aws:iam::${env.accountId}:role/cutover-native-hook-invoke`,
  };
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): NativeDeps {
  return {
    env,
    clock,
    native: new EcsNativeDeployments(makeClient(ECSClient, opts)),
    store: storeFor(opts, env),
    events: publisherFor(opts, env),
    orchestrator: orchestratorFor(opts),
    hook: hookTarget(env, process.env),
    deploymentMetrics: emfMetrics('cutover-native'),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
