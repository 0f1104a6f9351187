/**
 * What the maintenance handlers (cleanup, scale) share: the maintenance side of the table, the
 * production route of a service, and "is a deployment of this service in flight?".
 */
import type { ClientOptions } from '../../aws/clients.js';
import { DynamoMaintenanceStore } from '../../aws/store-maintenance.js';
import { inFlightFor } from '../../core/cleanup.js';
import type { ServiceConfig } from '../../core/config.js';
import { findService } from '../../core/services.js';
import { UnknownService } from '../../core/errors.js';
import { DeploymentStatus, type Route } from '../../core/model.js';
import type { DeploymentStore } from '../../core/ports.js';
import type { HandlerEnv } from './env.js';
import { documentClientFor } from './store.js';

export function maintenanceStoreFor(opts: ClientOptions, env: HandlerEnv): DynamoMaintenanceStore {
  return new DynamoMaintenanceStore(documentClientFor(opts), env.tableName);
}

export function routeOf(svc: ServiceConfig): Route {
  return svc.listenerRuleArn ? { kind: 'rule', arn: svc.listenerRuleArn } : { kind: 'listener', arn: svc.listenerArn as string };
}

export function requireService(env: HandlerEnv, service: string, environment: string): ServiceConfig {
  const svc = findService(env.config, service, environment);
  if (!svc) {
    throw new UnknownService(
      `Service "${service}" in environment "${environment}" is not in the Cutover configuration; add it to cutover.config.json and redeploy`,
    );
  }
  return svc;
}

/**
 * Why the service counts as having a deployment in flight, or undefined. `inProgress` only: a live
 * lock holder or an IN_PROGRESS record (what scaling cares about); otherwise also QUEUED records
 * (cleanup leaves a service alone from the moment a push is queued).
 */
export async function deploymentInFlight(
  store: Pick<DeploymentStore, 'getLock' | 'listDeployments'>,
  service: string,
  environment: string,
  nowMs: number,
  mode: 'inProgress' | 'any' = 'any',
): Promise<{ deploymentId: string; why: string } | undefined> {
  const lock = await store.getLock(service, environment);
  if (lock?.holder !== undefined && (lock.leaseExpiresAt ?? 0) > nowMs) {
    return { deploymentId: lock.holder, why: `deployment ${lock.holder} holds the lock` };
  }
  const records = inFlightFor(await store.listDeployments(service, environment)).filter(
    (r) => mode === 'any' || r.status === DeploymentStatus.IN_PROGRESS,
  );
  const r = records[0];
  return r === undefined ? undefined : { deploymentId: r.deploymentId, why: `deployment ${r.deploymentId} is ${r.status}` };
}
