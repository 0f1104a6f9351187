/**
 * The deployment store over DynamoDB (DeploymentStore), one table (see store-table.ts):
 *
 * | item | pk | sk | extra |
 * | --- | --- | --- | --- |
 * | deployment | `SVC#<service>#<environment>` | `DEP#<deploymentId>` | in flight: `gsi1pk = INFLIGHT`, `gsi1sk = <service>#<environment>#<deploymentId>`; ended: `expiresAt` (TTL) |
 * | lock | same | `LOCK` | `holder`, `leaseExpiresAt` (epoch ms), `granted`, `waiter`, `version` |
 * | stable pointer | same | `STABLE` | the pointer, `previous` |
 * | under management since | same | `MANAGED` | `since` (ISO time, written once) |
 *
 * Every change is one conditional write: no read-modify-write races. Where a decision needs the
 * current item (the lock, the stable pointer) the write is conditional on the item's version as
 * read, and the small loop retries a bounded number of times when it lost a race.
 *
 * Each kind of item has its own module of functions over the table (store-deployments.ts,
 * store-lock.ts, store-stable.ts, store-managed.ts; shared keys and helpers in store-items.ts).
 * DynamoStore binds them all, for callers that need the whole port; a handler that uses a few binds
 * only those (`bindTable`) and bundles nothing else.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  DeploymentReason,
  DeploymentRecord,
  DeploymentStatus,
  LockState,
  OperatorAction,
  StablePointer,
  TimelineEntry,
} from '../core/model.js';
import type { Clock, DeploymentStore } from '../core/ports.js';
import {
  appendTimeline,
  createDeployment,
  finish,
  getDeployment,
  listDeployments,
  listInFlight,
  recordControl,
  setTaskToken,
  updateDeployment,
} from './store-deployments.js';
import { type DocumentTable, systemClock } from './store-items.js';
import { acquireLock, clearFutureClaims, getLock, type LockClaim, type LockOutcome, type LockRequest, parkLockWaiter, releaseLock } from './store-lock.js';
import { markManaged } from './store-managed.js';
import { getStable, setStable } from './store-stable.js';

export { publicRecord, SECRET_RECORD_ATTRIBUTES } from './store-deployments.js';
export {
  bindTable,
  type DocumentTable,
  deploymentKey,
  INFLIGHT,
  inFlightSortKey,
  LOCK_SK,
  MANAGED_SK,
  MAX_CONDITIONAL_ATTEMPTS,
  STABLE_SK,
  serviceKey,
  withoutUndefined,
} from './store-items.js';
export { decideLock, isFutureClaim, isNewerClaim, type LockClaim, type LockItem } from './store-lock.js';

export class DynamoStore implements DeploymentStore {
  /** The table every operation runs on (bind single operations to it with `bindTable`). */
  readonly table: DocumentTable;

  constructor(
    doc: DynamoDBDocumentClient,
    tableName: string,
    /** Stamps `updatedAt` on changes (the local runtime passes its virtual clock). */
    clock: Clock = systemClock,
  ) {
    this.table = { doc, tableName, clock };
  }

  // ---------------------------------------------------------------- deployments (store-deployments.ts)

  createDeployment(record: DeploymentRecord): Promise<{ record: DeploymentRecord; created: boolean }> {
    return createDeployment(this.table, record);
  }

  getDeployment(service: string, environment: string, deploymentId: string): Promise<DeploymentRecord | undefined> {
    return getDeployment(this.table, service, environment, deploymentId);
  }

  listDeployments(service: string, environment: string, limit?: number): Promise<DeploymentRecord[]> {
    return listDeployments(this.table, service, environment, limit);
  }

  listInFlight(): Promise<DeploymentRecord[]> {
    return listInFlight(this.table);
  }

  updateDeployment(
    service: string,
    environment: string,
    deploymentId: string,
    patch: Partial<Pick<DeploymentRecord, 'status' | 'plan' | 'blue' | 'green' | 'executionArn' | 'alarmNames'>>,
  ): Promise<void> {
    return updateDeployment(this.table, service, environment, deploymentId, patch);
  }

  appendTimeline(service: string, environment: string, deploymentId: string, entry: TimelineEntry): Promise<void> {
    return appendTimeline(this.table, service, environment, deploymentId, entry);
  }

  setTaskToken(service: string, environment: string, deploymentId: string, token: string | undefined, waitingFor?: 'bake' | 'approval'): Promise<void> {
    return setTaskToken(this.table, service, environment, deploymentId, token, waitingFor);
  }

  recordControl(service: string, environment: string, deploymentId: string, action: OperatorAction): Promise<void> {
    return recordControl(this.table, service, environment, deploymentId, action);
  }

  finish(service: string, environment: string, deploymentId: string, status: DeploymentStatus, reason: DeploymentReason, expiresAt: number): Promise<boolean> {
    return finish(this.table, service, environment, deploymentId, status, reason, expiresAt);
  }

  // ---------------------------------------------------------------- lock (store-lock.ts)

  acquireLock(service: string, environment: string, request: LockRequest): Promise<LockOutcome> {
    return acquireLock(this.table, service, environment, request);
  }

  releaseLock(service: string, environment: string, deploymentId: string): Promise<void> {
    return releaseLock(this.table, service, environment, deploymentId);
  }

  clearFutureClaims(service: string, environment: string, nowMs: number): Promise<LockClaim[]> {
    return clearFutureClaims(this.table, service, environment, nowMs);
  }

  getLock(service: string, environment: string): Promise<LockState | undefined> {
    return getLock(this.table, service, environment);
  }

  parkLockWaiter(service: string, environment: string, request: { deploymentId: string; token: string; nowMs: number }): Promise<{ parked: boolean; displaced?: string }> {
    return parkLockWaiter(this.table, service, environment, request);
  }

  // ---------------------------------------------------------------- under management since (store-managed.ts)

  markManaged(service: string, environment: string, atIso: string): Promise<string> {
    return markManaged(this.table, service, environment, atIso);
  }

  // ---------------------------------------------------------------- stable pointer (store-stable.ts)

  getStable(service: string, environment: string): Promise<StablePointer | undefined> {
    return getStable(this.table, service, environment);
  }

  setStable(service: string, environment: string, pointer: Omit<StablePointer, 'previous'>): Promise<void> {
    return setStable(this.table, service, environment, pointer);
  }
}
