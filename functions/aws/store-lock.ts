/**
 * The deployment store's service lock (the `LOCK` item of store.ts): the lock decision, pure, and
 * each operation a function over the table. Every write is conditional on the item's version as
 * read; a write that lost a race is retried a bounded number of times.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_REQUESTED_AT_SKEW_SECONDS } from '../core/deploy-state.js';
import { ConflictError } from '../core/errors.js';
import type { LockState } from '../core/model.js';
import { conditionalWrite } from './aws-errors.js';
import { type DocumentTable, getItem, LOCK_SK, MAX_CONDITIONAL_ATTEMPTS, serviceKey, stripKeys, withoutUndefined } from './store-items.js';

export type LockRequest = { deploymentId: string; digest: string; requestedAt: string; leaseSeconds: number; nowMs: number };
export type LockOutcome =
  | { outcome: 'acquired' }
  | { outcome: 'busy'; holder: string }
  | { outcome: 'superseded'; by: { deploymentId: string; digest: string } };

/** A deployment that asked for the lock. */
export interface LockClaim {
  readonly deploymentId: string;
  readonly digest: string;
  readonly requestedAt: string;
}

/** The lock item's data: LockState plus `granted`, the newest claim ever given the lock. */
export interface LockItem {
  readonly version: number;
  readonly holder?: string;
  /** Epoch milliseconds. */
  readonly leaseExpiresAt?: number;
  readonly granted?: LockClaim;
  readonly waiter?: LockClaim;
  /**
   * The waiter's parked callback (deploy WaitForLockRelease): whoever releases the lock wakes it
   * (SendTaskSuccess). Dropped when a new holder takes the lock (decideLock writes a fresh item).
   */
  readonly parked?: { readonly deploymentId: string; readonly token: string };
}

/**
 * True when a claim is dated beyond the allowed clock skew from `nowMs`: it is never taken as newer
 * than anything, and the reconcile sweep clears it (issue #14, item 3: one input dated 2099 made
 * every later push SUPERSEDED, rollbacks included).
 */
export function isFutureClaim(claim: LockClaim, nowMs: number): boolean {
  const t = Date.parse(claim.requestedAt);
  return Number.isNaN(t) || t > nowMs + MAX_REQUESTED_AT_SKEW_SECONDS * 1000;
}

/** True when claim `a` is newer than `b` (later requestedAt; ties broken by deploymentId). */
export function isNewerClaim(a: LockClaim, b: LockClaim): boolean {
  const ta = Date.parse(a.requestedAt);
  const tb = Date.parse(b.requestedAt);
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta > tb;
  if (Number.isNaN(ta) || Number.isNaN(tb)) {
    if (a.requestedAt !== b.requestedAt) return a.requestedAt > b.requestedAt;
  }
  return a.deploymentId > b.deploymentId;
}

/**
 * The lock decision, pure: the outcome for `req` given the lock item as read, and the item to
 * write (conditional on the version read), if any.
 *
 * 1. The holder asks again: `acquired`, lease renewed.
 * 2. A newer claim exists (the live or last holder, or the waiter): `superseded` by it. A push
 *    older than what already holds (or held) the lock must never deploy after it.
 * 3. No live holder (none, released, or lease expired): `acquired`; an older waiter is dropped
 *    (superseded by this newer request).
 * 4. Otherwise `busy`; the request becomes the waiter (it is newer than any waiter, by 2).
 *
 * `granted` is kept after a release, so rule 2 also covers the last holder: the deployment that
 * released the lock can take it again (it is not newer than itself), an older one cannot.
 */
export function decideLock(item: LockItem | undefined, req: LockRequest): { result: LockOutcome; next?: LockItem } {
  // A claim is ordered by at most "now" (the deploy input is refused beyond the skew at its first state).
  const claimed = Date.parse(req.requestedAt);
  const requestedAt = Number.isNaN(claimed) || claimed > req.nowMs ? new Date(req.nowMs).toISOString() : req.requestedAt;
  const me: LockClaim = { deploymentId: req.deploymentId, digest: req.digest, requestedAt };
  const version = (item?.version ?? 0) + 1;
  const leaseExpiresAt = req.nowMs + req.leaseSeconds * 1000;
  if (item?.holder !== undefined && item.holder === req.deploymentId) {
    const waiter = item.waiter?.deploymentId === req.deploymentId ? undefined : item.waiter;
    return {
      result: { outcome: 'acquired' },
      next: { ...item, version, leaseExpiresAt, ...(waiter === undefined ? { waiter: undefined } : { waiter }) },
    };
  }
  const others = [item?.granted, item?.waiter].filter(
    (c): c is LockClaim => c !== undefined && c.deploymentId !== req.deploymentId && !isFutureClaim(c, req.nowMs),
  );
  const newest = others.reduce<LockClaim | undefined>((n, c) => (n === undefined || isNewerClaim(c, n) ? c : n), undefined);
  if (newest !== undefined && isNewerClaim(newest, me)) {
    return { result: { outcome: 'superseded', by: { deploymentId: newest.deploymentId, digest: newest.digest } } };
  }
  const live = item?.holder !== undefined && (item.leaseExpiresAt ?? 0) > req.nowMs;
  if (!live) {
    return { result: { outcome: 'acquired' }, next: { version, holder: req.deploymentId, leaseExpiresAt, granted: me } };
  }
  const holder = item?.holder as string;
  if (item?.waiter?.deploymentId === req.deploymentId) return { result: { outcome: 'busy', holder } };
  return { result: { outcome: 'busy', holder }, next: { ...(item as LockItem), version, waiter: me } };
}

export async function acquireLock(t: DocumentTable, service: string, environment: string, request: LockRequest): Promise<LockOutcome> {
  const pk = serviceKey(service, environment);
  for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt += 1) {
    const item = await getItem(t, pk, LOCK_SK);
    const current = item === undefined ? undefined : stripKeys<LockItem>(item);
    const { result, next } = decideLock(current, request);
    if (next === undefined) return result;
    const written = await conditionalWrite('DynamoDB:PutItem', () =>
      t.doc.send(
        new PutCommand({
          TableName: t.tableName,
          Item: withoutUndefined({ ...next, pk, sk: LOCK_SK, entity: 'LOCK' }),
          ...(current === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':version': current.version },
              }),
        }),
      ),
    );
    if (written) return result;
  }
  throw new ConflictError(`Lock of ${service}/${environment} is contended; gave up after ${MAX_CONDITIONAL_ATTEMPTS} attempts`, {
    details: { service, environment, deploymentId: request.deploymentId },
  });
}

export async function releaseLock(t: DocumentTable, service: string, environment: string, deploymentId: string): Promise<void> {
  await conditionalWrite('DynamoDB:UpdateItem', () =>
    t.doc.send(
      new UpdateCommand({
        TableName: t.tableName,
        Key: { pk: serviceKey(service, environment), sk: LOCK_SK },
        UpdateExpression: 'SET #version = #version + :one REMOVE #holder, #leaseExpiresAt',
        ConditionExpression: '#holder = :holder',
        ExpressionAttributeNames: { '#version': 'version', '#holder': 'holder', '#leaseExpiresAt': 'leaseExpiresAt' },
        ExpressionAttributeValues: { ':one': 1, ':holder': deploymentId },
      }),
    ),
  );
}

/**
 * Remove the lock's `granted` and `waiter` claims dated beyond the clock skew (the reconcile
 * sweep). The holder and its lease are left as they are. Returns the claims removed.
 */
export async function clearFutureClaims(t: DocumentTable, service: string, environment: string, nowMs: number): Promise<LockClaim[]> {
  const pk = serviceKey(service, environment);
  for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt += 1) {
    const item = await getItem(t, pk, LOCK_SK);
    if (item === undefined) return [];
    const current = stripKeys<LockItem>(item);
    const removed = [current.granted, current.waiter].filter((c): c is LockClaim => c !== undefined && isFutureClaim(c, nowMs));
    if (removed.length === 0) return [];
    const next: LockItem = {
      ...current,
      version: current.version + 1,
      granted: current.granted && isFutureClaim(current.granted, nowMs) ? undefined : current.granted,
      waiter: current.waiter && isFutureClaim(current.waiter, nowMs) ? undefined : current.waiter,
    };
    const written = await conditionalWrite('DynamoDB:PutItem', () =>
      t.doc.send(
        new PutCommand({
          TableName: t.tableName,
          Item: withoutUndefined({ ...next, pk, sk: LOCK_SK, entity: 'LOCK' }),
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': current.version },
        }),
      ),
    );
    if (written) return removed;
  }
  throw new ConflictError(`Lock of ${service}/${environment} is contended; gave up after ${MAX_CONDITIONAL_ATTEMPTS} attempts`, {
    details: { service, environment },
  });
}

export async function getLock(t: DocumentTable, service: string, environment: string): Promise<LockState | undefined> {
  const item = await getItem(t, serviceKey(service, environment), LOCK_SK);
  if (item === undefined) return undefined;
  const lock = stripKeys<LockItem>(item);
  return withoutUndefined({ holder: lock.holder, leaseExpiresAt: lock.leaseExpiresAt, waiter: lock.waiter, parked: lock.parked });
}

export async function parkLockWaiter(
  t: DocumentTable,
  service: string,
  environment: string,
  request: { deploymentId: string; token: string; nowMs: number },
): Promise<{ parked: boolean; displaced?: string }> {
  let old: Record<string, unknown> | undefined;
  // Only the current waiter parks, and only while a live holder (another deployment) has the lock;
  // the version moves, so a lock decision read before this write cannot overwrite it.
  const ok = await conditionalWrite('DynamoDB:UpdateItem', async () => {
    const out = await t.doc.send(
      new UpdateCommand({
        TableName: t.tableName,
        Key: { pk: serviceKey(service, environment), sk: LOCK_SK },
        UpdateExpression: 'SET #parked = :parked, #version = #version + :one',
        ConditionExpression: 'attribute_exists(#holder) AND #holder <> :me AND #leaseExpiresAt > :now AND #waiter.#deploymentId = :me',
        ExpressionAttributeNames: {
          '#parked': 'parked',
          '#version': 'version',
          '#holder': 'holder',
          '#leaseExpiresAt': 'leaseExpiresAt',
          '#waiter': 'waiter',
          '#deploymentId': 'deploymentId',
        },
        ExpressionAttributeValues: {
          ':parked': { deploymentId: request.deploymentId, token: request.token },
          ':one': 1,
          ':me': request.deploymentId,
          ':now': request.nowMs,
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    old = out.Attributes;
  });
  if (!ok) return { parked: false };
  const before = (old as Partial<LockItem> | undefined)?.parked;
  return before && before.deploymentId !== request.deploymentId ? { parked: true, displaced: before.token } : { parked: true };
}
