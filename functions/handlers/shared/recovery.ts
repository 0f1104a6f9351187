/**
 * Rolling back a deployment whose own execution can no longer do it (stopped by an abort or from
 * the console, timed out, failed without closing its record): the deploy state that the deploy
 * state machine's rollback handler needs, rebuilt from the record, the configuration and what AWS
 * holds. Used by the control Lambda (abort without a task token) and the reconcile sweep; the
 * rollback itself stays in one place (functions/handlers/rollback.ts).
 *
 * AWS is only touched when the deployment may own it: it holds the service lock, or nobody holds a
 * live lease. A deployment that never got the lock (QUEUED), or whose lock a newer deployment has
 * taken since, is only closed (record, lock, event) — its traffic and task sets are not its own.
 */
import type { ServiceConfig } from '../../core/config.js';
import { findService, trafficKindOf } from '../../core/services.js';
import type { DeployContext, DeployRequest, DeployState } from '../../core/deploy-state.js';
import { albDimensionOf } from '../../core/metrics-dimensions.js';
import { type DeploymentReason, type DeploymentRecord, isTerminal, type Route, type Side } from '../../core/model.js';
import type { Clock, DeploymentStore, TaskSets } from '../../core/ports.js';
import type { HandlerEnv } from './env.js';

/** The deployment store operations recovery reads. */
export type RecoveryStore = Pick<DeploymentStore, 'getDeployment' | 'getLock'>;

export interface RecoveryDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly store: RecoveryStore;
  readonly taskSets: TaskSets;
}

const routeOf = (svc: ServiceConfig): Route =>
  svc.listenerRuleArn ? { kind: 'rule', arn: svc.listenerRuleArn } : { kind: 'listener', arn: svc.listenerArn as string };

/** The error a Catch would have put at `$.error`, for a reason the caller decided. */
export function errorFor(reason: DeploymentReason): { Error: string; Cause: string } {
  return { Error: reason.code, Cause: JSON.stringify({ errorType: reason.code, errorMessage: reason.message }) };
}

/** The execution input of a deployment, rebuilt from its record. */
export function requestFromRecord(record: DeploymentRecord): DeployRequest {
  return {
    deploymentId: record.deploymentId,
    service: record.service,
    environment: record.environment,
    image: {
      repository: record.image.repository,
      digest: record.image.digest,
      ...(record.image.tag ? { tag: record.image.tag } : {}),
      uri: record.image.uri,
    },
    requestedAt: record.createdAt,
    trigger: { kind: 'reconcile' },
  };
}

/** The deploy context of a deployment from the configuration and its record (and blue as found). */
export function contextFromRecord(svc: ServiceConfig, record: DeploymentRecord, blue: Side | undefined, greenTargetGroupArn: string | undefined): DeployContext {
  const worker = trafficKindOf(svc) === 'task-share';
  const route = worker ? undefined : routeOf(svc);
  return {
    cluster: svc.cluster,
    ecsService: svc.service,
    containerName: svc.containerName,
    ...(worker ? { traffic: 'task-share' as const } : {}),
    ...(route ? { route } : {}),
    ...(svc.testListenerArn ? { testListenerArn: svc.testListenerArn } : {}),
    ...(svc.targetGroupArns ? { targetGroupArns: svc.targetGroupArns } : {}),
    ...(blue ? { blue } : {}),
    ...(greenTargetGroupArn === undefined || worker ? {} : { greenTargetGroupArn }),
    firstDeployment: blue === undefined,
    plan: record.plan ?? { strategy: record.strategy, steps: [] },
    capacity: svc.capacity,
    desiredCount: 0,
    healthTimeoutSeconds: svc.healthTimeoutSeconds,
    terminationWaitSeconds: svc.terminationWaitSeconds,
    // The configuration's, not the record's (a table write does not choose the alarms; ctxOf checks).
    alarmNames: [...svc.alarms],
    analysis: svc.analysis,
    ...(route && albDimensionOf(route.arn) ? { loadBalancerDimension: albDimensionOf(route.arn) } : {}),
    image: record.image,
    startedAt: record.createdAt,
  };
}

/** True when the deployment may change AWS: it holds the lock, or no live lease is held by anyone. */
export async function mayTouchAws(deps: RecoveryDeps, record: DeploymentRecord): Promise<boolean> {
  const lock = await deps.store.getLock(record.service, record.environment);
  if (!lock?.holder) return true;
  if (lock.holder === record.deploymentId) return true;
  return (lock.leaseExpiresAt ?? 0) <= deps.clock.now();
}

/**
 * Blue when the record lost it: the task set that is not this deployment's (PRIMARY first) on one
 * of the service's target groups. Trust AWS over the store.
 */
async function blueFromAws(deps: RecoveryDeps, svc: ServiceConfig, record: DeploymentRecord): Promise<Side | undefined> {
  const info = await deps.taskSets.describeService(svc.cluster, svc.service);
  const others = info.taskSets
    .filter((t) => t.externalId !== record.deploymentId && t.id !== record.green?.taskSetId)
    .sort((a, b) => Number(b.status === 'PRIMARY') - Number(a.status === 'PRIMARY'));
  const tgs = svc.targetGroupArns;
  if (!tgs) {
    // A worker: blue is the PRIMARY task set that is not this deployment's.
    const t = others.find((x) => x.status === 'PRIMARY');
    return t ? { taskSetId: t.id, taskSetArn: t.arn, taskDefinitionArn: t.taskDefinitionArn } : undefined;
  }
  for (const t of others) {
    const tg = t.targetGroupArns.find((x) => tgs.includes(x));
    if (tg && tg !== record.green?.targetGroupArn) {
      return { targetGroupArn: tg, taskSetId: t.id, taskSetArn: t.arn, taskDefinitionArn: t.taskDefinitionArn };
    }
  }
  return undefined;
}

/**
 * The deploy state to roll `deploymentId` back with `reason`, or null when there is nothing to
 * close (no record, or it already ended).
 */
export async function closeStateFor(
  deps: RecoveryDeps,
  service: string,
  environment: string,
  deploymentId: string,
  reason: DeploymentReason,
): Promise<DeployState | null> {
  const record = await deps.store.getDeployment(service, environment, deploymentId);
  if (!record || isTerminal(record.status)) return null;
  const base: DeployState = {
    request: requestFromRecord(record),
    ...(record.executionArn ? { executionArn: record.executionArn } : {}),
    ...(record.green?.taskSetId
      ? { green: { taskSetId: record.green.taskSetId, taskSetArn: record.green.taskSetArn ?? record.green.taskSetId } }
      : {}),
    error: errorFor(reason),
  };
  const svc = findService(deps.env.config, service, environment);
  const started = record.blue !== undefined || record.green !== undefined;
  if (!svc || !started || !(await mayTouchAws(deps, record))) return base;
  const blue = record.blue ?? (await blueFromAws(deps, svc, record));
  const tgs = svc.targetGroupArns;
  const greenTg = tgs ? (record.green?.targetGroupArn ?? tgs.find((tg) => tg !== blue?.targetGroupArn) ?? tgs[1]) : undefined;
  return { ...base, ctx: contextFromRecord(svc, record, blue, greenTg) };
}
