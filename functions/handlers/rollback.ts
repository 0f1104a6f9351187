/**
 * Deploy state machine: rollback, from any failure after the task definition is registered.
 *
 * Idempotent and safe from any point — half-shifted weights, a green task set that was never
 * created or is already gone, a promotion that half happened: production weights back to 100/0 on
 * blue (read back), blue primary again at full scale, the test listener back on blue, green deleted
 * (found by id, or by its external id when the state lost it), ROLLED_BACK with the reason, lock
 * released, `Deployment Rolled Back` on the bus.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsTaskSets } from '../aws/ecs.js';
import { EcsNativeDeployments } from '../aws/ecs-native.js';
import { ElbTrafficRouter } from '../aws/elb.js';
import type { DeployState } from '../core/deploy-state.js';
import { DeploymentStatus, isTerminal, LifecycleEvent } from '../core/model.js';
import { trafficFor, trafficKindOfCtx } from '../core/traffic.js';
import type { Clock, DeploymentStore, EventPublisher, NativeDeployments, Orchestrator, TaskSets, TrafficRouter } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { orchestratorFor, publisherFor } from './shared/clients.js';
import { wakeLockWaiter } from './shared/lock-wake.js';
import { nativeDeploymentOf } from './shared/native.js';
import { storeFor } from './shared/store.js';
import { ctxOf, entry, eventDetail, finishOnce, publishOnce, reasonFromError } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type DeploymentMetrics, emfMetrics, METRIC } from './shared/metrics.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface RollbackDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly router: TrafficRouter;
  readonly taskSets: TaskSets;
  readonly store: DeploymentStore;
  readonly events: EventPublisher;
  /** Wakes the deployment parked on the lock once it is released. */
  readonly orchestrator?: Orchestrator;
  /** ECS's own deployments (engine native): a native deployment is rolled back by ECS. */
  readonly native?: Pick<NativeDeployments, 'stopWithRollback'>;
  readonly deploymentMetrics?: DeploymentMetrics;
  readonly logLevel?: string;
}

const Payload = z.object({ state: z.unknown() });

export function createHandler(deps: RollbackDeps): Handler<unknown, DeployState> {
  const logger = makeLogger('cutover-rollback', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const state = parseOrThrow(Payload, event, 'rollback payload').state as DeployState;
    const { service, environment, deploymentId } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment });
    const reason = reasonFromError(state.error);
    const record = await deps.store.getDeployment(service, environment, deploymentId);
    if (record && isTerminal(record.status) && record.status !== DeploymentStatus.ROLLED_BACK) {
      // It ended another way first (e.g. a sweep or an abort racing its last state): AWS may belong
      // to a newer deployment by now, so nothing is touched.
      const code = record.reason?.code ?? record.status;
      return { ...state, outcome: { status: record.status, code, message: `${code}: ${record.reason?.message ?? 'already ended'}` } };
    }
    // A replay after the record was closed only completes the bookkeeping (lock, event).
    // A context is checked against the configuration (a crafted one names no foreign route or task set).
    const ctx = record?.status === DeploymentStatus.ROLLED_BACK || !state.ctx ? undefined : ctxOf(state, deps.env);
    const blue = ctx?.blue ?? record?.blue;
    const greenTg = ctx?.greenTargetGroupArn ?? record?.green?.targetGroupArn;

    const serviceDeployment = nativeDeploymentOf(record);
    if (serviceDeployment || ctx?.engine === 'native') {
      // A native deployment (issue #17; e.g. an orphan the sweep found after its execution stopped):
      // ECS owns the traffic and the revisions, so ECS rolls it back (StopServiceDeployment ROLLBACK;
      // one that already ended is no error). Nothing on the listener or the task sets is written.
      if (serviceDeployment && deps.native) await deps.native.stopWithRollback(serviceDeployment);
      await deps.store.appendTimeline(service, environment, deploymentId,
        entry('rollback-native', 'rollback', deps.clock.now(), { serviceDeploymentArn: serviceDeployment ?? null, stopped: !!(serviceDeployment && deps.native), reason }));
    } else if (ctx && trafficKindOfCtx(ctx) === 'task-share') {
      // 1. Work first: blue back to 100 % of the tasks, green to 0 (deleted below), read back.
      const greenId = state.green?.taskSetId ?? record?.green?.taskSetId;
      const traffic = trafficFor(
        { kind: 'task-share', cluster: ctx.cluster, service: ctx.ecsService, ...(blue?.taskSetId ? { blueTaskSetId: blue.taskSetId } : {}), greenTaskSetId: greenId ?? '' },
        { taskSets: deps.taskSets },
      );
      const reading = await traffic.resetToBlue();
      await deps.store.appendTimeline(service, environment, deploymentId,
        entry('rollback-traffic', 'rollback', deps.clock.now(), { traffic: traffic.kind, achievedPercent: reading.greenPercent, tasks: reading.detail, reason }));
    } else if (ctx && blue?.targetGroupArn && greenTg && ctx.route) {
      // 1. Traffic first: every second counts. Weights blue 100 / green 0, read back (a route that
      // does not hold them is WeightVerificationFailed), and the test listener back on blue.
      const traffic = trafficFor(
        { kind: 'alb-weights', route: ctx.route, blueTargetGroupArn: blue.targetGroupArn, greenTargetGroupArn: greenTg, ...(ctx.testListenerArn ? { testListenerArn: ctx.testListenerArn } : {}) },
        { router: deps.router },
      );
      const reading = await traffic.resetToBlue();
      await deps.store.appendTimeline(service, environment, deploymentId,
        entry('rollback-traffic', 'rollback', deps.clock.now(), { traffic: traffic.kind, weights: reading.detail.weights, reason }));
    }
    if (ctx && !serviceDeployment && ctx.engine !== 'native') {
      // 2. Blue primary at full scale again (a failed promotion may have moved it).
      const svc = await deps.taskSets.describeService(ctx.cluster, ctx.ecsService);
      const blueSet = blue?.taskSetId ? svc.taskSets.find((t) => t.id === blue.taskSetId) : undefined;
      if (blueSet && blueSet.status !== 'PRIMARY') await deps.taskSets.setPrimary(ctx.cluster, ctx.ecsService, blueSet.id);
      if (blueSet && blueSet.scalePercent < 100) await deps.taskSets.updateScale(ctx.cluster, ctx.ecsService, blueSet.id, 100);
      // 3. Green gone: by id, or by the external id the create used.
      const greenIds = new Set<string>();
      if (state.green?.taskSetId) greenIds.add(state.green.taskSetId);
      if (record?.green?.taskSetId) greenIds.add(record.green.taskSetId);
      for (const t of svc.taskSets) if (t.externalId === deploymentId && t.id !== blueSet?.id) greenIds.add(t.id);
      for (const id of greenIds) {
        if (id !== blueSet?.id) await deps.taskSets.deleteTaskSet(ctx.cluster, ctx.ecsService, id);
      }
    }
    // 4. Record, lock, event.
    const now = deps.clock.now();
    await deps.store.setTaskToken(service, environment, deploymentId, undefined);
    // A failed promotion may have moved the stable pointer to this deployment: put it back.
    const stable = await deps.store.getStable(service, environment);
    if (stable?.deploymentId === deploymentId) {
      if (stable.previous) await deps.store.setStable(service, environment, stable.previous);
      else if (blue?.taskDefinitionArn) {
        // Blue predates Cutover's records: point at it by what ECS knows.
        await deps.store.setStable(service, environment, {
          deploymentId: `baseline-${blue.taskSetId ?? 'unknown'}`,
          taskDefinitionArn: blue.taskDefinitionArn,
          targetGroupArn: blue.targetGroupArn,
          ...(blue.taskSetId ? { taskSetId: blue.taskSetId } : {}),
          updatedAt: new Date(now).toISOString(),
        });
      }
    }
    await finishOnce(deps.store, state, DeploymentStatus.ROLLED_BACK, reason, Math.floor(now / 1000) + deps.env.config.recordRetentionSeconds);
    await deps.store.appendTimeline(service, environment, deploymentId, entry('rolled_back', 'terminal', now, { reason }));
    await deps.store.releaseLock(service, environment, deploymentId);
    await wakeLockWaiter(deps.store, deps.orchestrator, service, environment);
    await publishOnce(deps.store, deps.events, state, LifecycleEvent.RolledBack,
      eventDetail(state, { status: DeploymentStatus.ROLLED_BACK, reason }), deps.clock.now());
    if (record?.status !== DeploymentStatus.ROLLED_BACK) {
      // First time through (a replay finds the record already ROLLED_BACK and counts nothing).
      deps.deploymentMetrics?.put(METRIC.rolledBack, 1, 'Count', { service, environment });
      deps.deploymentMetrics?.put(METRIC.rollbackReason, 1, 'Count', { reason: reason.code });
      const after = await deps.store.getDeployment(service, environment, deploymentId);
      const alarm = after?.timeline.find((e) => e.kind === 'alarm');
      const restored = after?.timeline.find((e) => e.key === 'rollback-traffic');
      if (reason.code === 'AlarmTriggered' && alarm && restored) {
        deps.deploymentMetrics?.put(METRIC.timeToRestore, (Date.parse(restored.at) - Date.parse(alarm.at)) / 1000, 'Seconds', { service, environment });
      }
    }
    return { ...state, outcome: { status: DeploymentStatus.ROLLED_BACK, code: reason.code, message: `${reason.code}: ${reason.message}` } };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): RollbackDeps {
  const ecs = makeClient(ECSClient, opts);
  return {
    env,
    clock,
    router: new ElbTrafficRouter(makeClient(ElasticLoadBalancingV2Client, opts)),
    taskSets: new EcsTaskSets(ecs),
    native: new EcsNativeDeployments(ecs),
    store: storeFor(opts, env),
    events: publisherFor(opts, env),
    orchestrator: orchestratorFor(opts),
    deploymentMetrics: emfMetrics('cutover-rollback'),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
