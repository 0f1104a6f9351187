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
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { MAX_REQUESTED_AT_SKEW_SECONDS } from '../core/deploy-state.js';
import { ConflictError, ValidationError } from '../core/errors.js';
import {
  type DeploymentReason,
  type DeploymentRecord,
  type DeploymentStatus,
  isTerminal,
  type LockState,
  type OperatorAction,
  type StablePointer,
  TERMINAL_STATUSES,
  type TimelineEntry,
} from '../core/model.js';
import type { Clock, DeploymentStore } from '../core/ports.js';
import { boundedEntry, compactTimeline, MAX_TIMELINE_ENTRIES } from '../core/timeline.js';
import { awsCall, conditionalWrite } from './aws-errors.js';
import { STORE_TABLE } from './store-table.js';

export const INFLIGHT = 'INFLIGHT';
export const LOCK_SK = 'LOCK';
export const STABLE_SK = 'STABLE';
export const MANAGED_SK = 'MANAGED';
/** How often a lock or stable-pointer write that lost a race is retried before ConflictError. */
export const MAX_CONDITIONAL_ATTEMPTS = 10;

export const serviceKey = (service: string, environment: string): string => `SVC#${service}#${environment}`;
export const deploymentKey = (deploymentId: string): string => `DEP#${deploymentId}`;
export const inFlightSortKey = (service: string, environment: string, deploymentId: string): string =>
  `${service}#${environment}#${deploymentId}`;

/** Attributes of the table layout that are not part of the domain data. */
const INTERNAL_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'timelineKeys', 'entity', 'version', 'granted'] as const;

const systemClock: Clock = { now: () => Date.now() };

type LockRequest = { deploymentId: string; digest: string; requestedAt: string; leaseSeconds: number; nowMs: number };
type LockOutcome =
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

/** Deep copy without `undefined` (DynamoDB cannot store it; the doc client's options are not ours). */
/**
 * Attributes of a deployment record that are credentials, not history: the waiting task's token (a
 * bearer credential for SendTaskSuccess/Failure, which has no resource-level permission) and the hash
 * of the control path's signal nonce. Issue #14 (5).
 */
export const SECRET_RECORD_ATTRIBUTES = ['taskToken', 'signalNonceHash'] as const;

/**
 * The read model of a deployment record for people and tools (`cutover status --json`,
 * `history --json`, reports): everything but {@link SECRET_RECORD_ATTRIBUTES}; `waiting: true` says
 * a callback is pending without handing out its token.
 */
export function publicRecord<R extends object>(record: R): Omit<R, (typeof SECRET_RECORD_ATTRIBUTES)[number]> {
  const out = { ...record } as Record<string, unknown>;
  for (const key of SECRET_RECORD_ATTRIBUTES) delete out[key];
  return out as Omit<R, (typeof SECRET_RECORD_ATTRIBUTES)[number]>;
}

export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(withoutUndefined) as T;
  if (value instanceof Set || value instanceof Uint8Array || value instanceof Date) return value;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    ) as T;
  }
  return value;
}

function stripInternal<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...item };
  for (const a of INTERNAL_ATTRIBUTES) delete out[a];
  return out as T;
}

function validateKeyPart(what: string, value: string): void {
  if (value === '' || value.includes('#')) {
    throw new ValidationError('Store key', [`${what}: "${value}" must be non-empty and must not contain "#"`]);
  }
}

const TERMINAL_VALUES = Object.fromEntries(TERMINAL_STATUSES.map((s, i) => [`:terminal${i}`, s]));
const NOT_TERMINAL = `NOT (#status IN (${Object.keys(TERMINAL_VALUES).join(', ')}))`;

export class DynamoStore implements DeploymentStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Stamps `updatedAt` on changes (the local runtime passes its virtual clock). */
    private readonly clock: Clock = systemClock,
  ) {}

  // ---------------------------------------------------------------- deployments

  async createDeployment(record: DeploymentRecord): Promise<{ record: DeploymentRecord; created: boolean }> {
    validateKeyPart('service', record.service);
    validateKeyPart('environment', record.environment);
    const keys = [...new Set(record.timeline.map((e) => e.key))];
    const item = {
      ...withoutUndefined(record),
      pk: serviceKey(record.service, record.environment),
      sk: deploymentKey(record.deploymentId),
      entity: 'DEPLOYMENT',
      ...(keys.length > 0 ? { timelineKeys: new Set(keys) } : {}),
      ...(isTerminal(record.status)
        ? {}
        : { gsi1pk: INFLIGHT, gsi1sk: inFlightSortKey(record.service, record.environment, record.deploymentId) }),
    };
    const created = await conditionalWrite('DynamoDB:PutItem', () =>
      this.doc.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    if (created) return { record: withoutUndefined(record), created: true };
    const existing = await this.getDeployment(record.service, record.environment, record.deploymentId);
    if (existing === undefined) {
      throw new ConflictError(`Deployment ${record.deploymentId} exists but could not be read`, {
        details: { deploymentId: record.deploymentId },
      });
    }
    return { record: existing, created: false };
  }

  async getDeployment(service: string, environment: string, deploymentId: string): Promise<DeploymentRecord | undefined> {
    const item = await this.getItem(serviceKey(service, environment), deploymentKey(deploymentId));
    return item === undefined ? undefined : stripInternal<DeploymentRecord>(item);
  }

  /**
   * Newest first (by `createdAt`, then deploymentId). Reads every record of the service and
   * environment (ended ones expire by TTL), since deployment ids need not sort by time.
   */
  async listDeployments(service: string, environment: string, limit?: number): Promise<DeploymentRecord[]> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dep)',
      ExpressionAttributeValues: { ':pk': serviceKey(service, environment), ':dep': 'DEP#' },
    });
    const records = items
      .map((i) => stripInternal<DeploymentRecord>(i))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.deploymentId.localeCompare(a.deploymentId));
    return limit === undefined ? records : records.slice(0, Math.max(0, limit));
  }

  /** Via the `inflight` GSI (eventually consistent); records already terminal are left out. */
  async listInFlight(): Promise<DeploymentRecord[]> {
    const items = await this.query({
      IndexName: STORE_TABLE.inFlightIndex,
      KeyConditionExpression: 'gsi1pk = :inflight',
      ExpressionAttributeValues: { ':inflight': INFLIGHT },
    });
    return items.map((i) => stripInternal<DeploymentRecord>(i)).filter((r) => !isTerminal(r.status));
  }

  async updateDeployment(
    service: string,
    environment: string,
    deploymentId: string,
    patch: Partial<Pick<DeploymentRecord, 'status' | 'plan' | 'blue' | 'green' | 'executionArn' | 'alarmNames'>>,
  ): Promise<void> {
    if (patch.status !== undefined && isTerminal(patch.status)) {
      throw new ValidationError('Deployment update', [`status: ${patch.status} is terminal; use finish()`]);
    }
    const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ...TERMINAL_VALUES, ':updatedAt': this.nowIso() };
    const sets = ['#updatedAt = :updatedAt'];
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = withoutUndefined(value);
      sets.push(`#${field} = :${field}`);
    }
    const ok = await conditionalWrite('DynamoDB:UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: serviceKey(service, environment), sk: deploymentKey(deploymentId) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND ${NOT_TERMINAL}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    if (!ok) await this.explainRejectedChange(service, environment, deploymentId, 'update');
  }

  /**
   * Append `entry` once per key. The timeline stays under DynamoDB's 400 KB item limit (issue #14,
   * Low; functions/core/timeline.ts): the entry is bounded in size, and a timeline of
   * MAX_TIMELINE_ENTRIES is compacted (first entries, first of each kind, latest entries, and a count
   * of the dropped ones) in the same conditional write as the append. An append never fails for size.
   */
  async appendTimeline(service: string, environment: string, deploymentId: string, entry: TimelineEntry): Promise<void> {
    const key = { pk: serviceKey(service, environment), sk: deploymentKey(deploymentId) };
    const bounded = withoutUndefined(boundedEntry(entry));
    for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt++) {
      const ok = await conditionalWrite('DynamoDB:UpdateItem', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              'SET #timeline = list_append(if_not_exists(#timeline, :empty), :entries), #updatedAt = :updatedAt ADD #keys :keySet',
            ConditionExpression: 'attribute_exists(pk) AND NOT contains(#keys, :key) AND (attribute_not_exists(#timeline) OR size(#timeline) < :max)',
            ExpressionAttributeNames: { '#timeline': 'timeline', '#keys': 'timelineKeys', '#updatedAt': 'updatedAt' },
            ExpressionAttributeValues: {
              ':empty': [],
              ':entries': [bounded],
              ':keySet': new Set([entry.key]),
              ':key': entry.key,
              ':max': MAX_TIMELINE_ENTRIES,
              ':updatedAt': this.nowIso(),
            },
          }),
        ),
      );
      if (ok) return;
      // Lost the condition: the entry is already there (a replay: success), no record, or a full timeline.
      const item = await this.getItem(key.pk, key.sk);
      if (item === undefined) throw this.notFound(deploymentId, 'append to the timeline of');
      const keys = item.timelineKeys instanceof Set ? (item.timelineKeys as Set<string>) : new Set<string>();
      const timeline = Array.isArray(item.timeline) ? (item.timeline as TimelineEntry[]) : [];
      if (keys.has(entry.key)) return;
      if (timeline.length < MAX_TIMELINE_ENTRIES) continue;
      // Full: compact and append in one write, conditional on the timeline read (a concurrent
      // append or compaction makes it lose, and the loop starts again).
      const compacted = [...compactTimeline(timeline, this.nowIso()), bounded];
      const last = timeline[timeline.length - 1] as TimelineEntry;
      const written = await conditionalWrite('DynamoDB:UpdateItem', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET #timeline = :timeline, #keys = :keys, #updatedAt = :updatedAt',
            ConditionExpression: `attribute_exists(pk) AND size(#timeline) = :size AND #timeline[${timeline.length - 1}].#key = :lastKey AND NOT contains(#keys, :key)`,
            ExpressionAttributeNames: { '#timeline': 'timeline', '#keys': 'timelineKeys', '#updatedAt': 'updatedAt', '#key': 'key' },
            ExpressionAttributeValues: {
              ':timeline': compacted,
              // The dedupe set keeps the keys of the entries kept (a replay of a dropped one appends it again).
              ':keys': new Set(compacted.map((e) => e.key)),
              ':size': timeline.length,
              ':lastKey': last.key,
              ':key': entry.key,
              ':updatedAt': this.nowIso(),
            },
          }),
        ),
      );
      if (written) return;
    }
    // Still racing after every attempt: the entry is there, or the record is gone.
    const existing = await this.getDeployment(service, environment, deploymentId);
    if (existing === undefined) throw this.notFound(deploymentId, 'append to the timeline of');
    if (!existing.timeline.some((e) => e.key === entry.key)) {
      throw new ConflictError(`Could not append ${entry.key} to the timeline of ${deploymentId}: ${MAX_CONDITIONAL_ATTEMPTS} attempts lost a race`, { details: { deploymentId, key: entry.key } });
    }
  }

  async setTaskToken(
    service: string,
    environment: string,
    deploymentId: string,
    token: string | undefined,
    waitingFor?: 'bake' | 'approval',
  ): Promise<void> {
    const key = { pk: serviceKey(service, environment), sk: deploymentKey(deploymentId) };
    const names = { '#taskToken': 'taskToken', '#waitingFor': 'waitingFor', '#updatedAt': 'updatedAt' };
    const command =
      token === undefined
        ? new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET #updatedAt = :updatedAt REMOVE #taskToken, #waitingFor',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':updatedAt': this.nowIso() },
          })
        : new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              waitingFor === undefined
                ? 'SET #taskToken = :token, #updatedAt = :updatedAt REMOVE #waitingFor'
                : 'SET #taskToken = :token, #waitingFor = :waitingFor, #updatedAt = :updatedAt',
            ConditionExpression: `attribute_exists(pk) AND ${NOT_TERMINAL}`,
            ExpressionAttributeNames: { ...names, '#status': 'status' },
            ExpressionAttributeValues: {
              ...TERMINAL_VALUES,
              ':token': token,
              ':updatedAt': this.nowIso(),
              ...(waitingFor === undefined ? {} : { ':waitingFor': waitingFor }),
            },
          });
    const ok = await conditionalWrite('DynamoDB:UpdateItem', () => this.doc.send(command));
    if (!ok) await this.explainRejectedChange(service, environment, deploymentId, 'store a task token on');
  }

  async recordControl(service: string, environment: string, deploymentId: string, action: OperatorAction): Promise<void> {
    const ok = await conditionalWrite('DynamoDB:UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: serviceKey(service, environment), sk: deploymentKey(deploymentId) },
          UpdateExpression: 'SET #controls = list_append(if_not_exists(#controls, :empty), :actions), #updatedAt = :updatedAt',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#controls': 'controls', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':empty': [], ':actions': [withoutUndefined(action)], ':updatedAt': this.nowIso() },
        }),
      ),
    );
    if (!ok) throw this.notFound(deploymentId, 'record a control on');
  }

  /**
   * One conditional update: status, reason, `expiresAt` (TTL, epoch seconds) set; the in-flight
   * GSI keys and any waiting task token removed.
   */
  async finish(
    service: string,
    environment: string,
    deploymentId: string,
    status: DeploymentStatus,
    reason: DeploymentReason,
    expiresAt: number,
  ): Promise<boolean> {
    if (!isTerminal(status)) {
      throw new ValidationError('Deployment finish', [`status: ${status} is not terminal; one of ${TERMINAL_STATUSES.join(', ')}`]);
    }
    const ok = await conditionalWrite('DynamoDB:UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: serviceKey(service, environment), sk: deploymentKey(deploymentId) },
          UpdateExpression:
            'SET #status = :status, #reason = :reason, #expiresAt = :expiresAt, #updatedAt = :updatedAt ' +
            'REMOVE #gsi1pk, #gsi1sk, #taskToken, #waitingFor',
          ConditionExpression: `attribute_exists(pk) AND ${NOT_TERMINAL}`,
          ExpressionAttributeNames: {
            '#status': 'status',
            '#reason': 'reason',
            '#expiresAt': STORE_TABLE.timeToLiveAttribute,
            '#updatedAt': 'updatedAt',
            '#gsi1pk': STORE_TABLE.inFlightPartitionKey,
            '#gsi1sk': STORE_TABLE.inFlightSortKey,
            '#taskToken': 'taskToken',
            '#waitingFor': 'waitingFor',
          },
          ExpressionAttributeValues: {
            ...TERMINAL_VALUES,
            ':status': status,
            ':reason': withoutUndefined(reason),
            ':expiresAt': Math.floor(expiresAt),
            ':updatedAt': this.nowIso(),
          },
        }),
      ),
    );
    if (ok) return true;
    const existing = await this.getDeployment(service, environment, deploymentId);
    if (existing === undefined) throw this.notFound(deploymentId, 'finish');
    if (existing.status === status) return false;
    throw new ConflictError(`Deployment ${deploymentId} already ended as ${existing.status}; cannot finish it as ${status}`, {
      details: { deploymentId, status: existing.status, requested: status },
    });
  }

  // ---------------------------------------------------------------- lock

  async acquireLock(service: string, environment: string, request: LockRequest): Promise<LockOutcome> {
    const pk = serviceKey(service, environment);
    for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt += 1) {
      const item = await this.getItem(pk, LOCK_SK);
      const current = item === undefined ? undefined : stripKeys<LockItem>(item);
      const { result, next } = decideLock(current, request);
      if (next === undefined) return result;
      const written = await conditionalWrite('DynamoDB:PutItem', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
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

  async releaseLock(service: string, environment: string, deploymentId: string): Promise<void> {
    await conditionalWrite('DynamoDB:UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
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
  async clearFutureClaims(service: string, environment: string, nowMs: number): Promise<LockClaim[]> {
    const pk = serviceKey(service, environment);
    for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt += 1) {
      const item = await this.getItem(pk, LOCK_SK);
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
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
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

  async getLock(service: string, environment: string): Promise<LockState | undefined> {
    const item = await this.getItem(serviceKey(service, environment), LOCK_SK);
    if (item === undefined) return undefined;
    const lock = stripKeys<LockItem>(item);
    return withoutUndefined({ holder: lock.holder, leaseExpiresAt: lock.leaseExpiresAt, waiter: lock.waiter, parked: lock.parked });
  }

  async parkLockWaiter(
    service: string,
    environment: string,
    request: { deploymentId: string; token: string; nowMs: number },
  ): Promise<{ parked: boolean; displaced?: string }> {
    let old: Record<string, unknown> | undefined;
    // Only the current waiter parks, and only while a live holder (another deployment) has the lock;
    // the version moves, so a lock decision read before this write cannot overwrite it.
    const ok = await conditionalWrite('DynamoDB:UpdateItem', async () => {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
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

  // ---------------------------------------------------------------- under management since

  async markManaged(service: string, environment: string, atIso: string): Promise<string> {
    const pk = serviceKey(service, environment);
    // Read first: every sweep asks, and only the first writes (a read costs a quarter of a write).
    const known = (await this.getItem(pk, MANAGED_SK))?.since;
    if (typeof known === 'string') return known;
    const written = await conditionalWrite('DynamoDB:PutItem', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk, sk: MANAGED_SK, entity: 'MANAGED', since: atIso },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (written) return atIso;
    const since = (await this.getItem(pk, MANAGED_SK))?.since;
    if (typeof since !== 'string') throw new ConflictError(`The management record of ${service}/${environment} has no time`, { details: { service, environment } });
    return since;
  }

  // ---------------------------------------------------------------- stable pointer

  async getStable(service: string, environment: string): Promise<StablePointer | undefined> {
    const item = await this.getItem(serviceKey(service, environment), STABLE_SK);
    return item === undefined ? undefined : stripInternal<StablePointer>(item);
  }

  /**
   * The new pointer with the current one as `previous`. Setting the pointer of the deployment that
   * is already stable again keeps its `previous` (so a replay changes nothing).
   */
  async setStable(service: string, environment: string, pointer: Omit<StablePointer, 'previous'>): Promise<void> {
    const pk = serviceKey(service, environment);
    for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt += 1) {
      const current = await this.getStable(service, environment);
      const previous =
        current === undefined
          ? undefined
          : current.deploymentId === pointer.deploymentId
            ? current.previous
            : withoutUndefined({ ...current, previous: undefined });
      const written = await conditionalWrite('DynamoDB:PutItem', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: withoutUndefined({ ...pointer, previous, pk, sk: STABLE_SK, entity: 'STABLE' }),
            ...(current === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: '#deploymentId = :current AND #updatedAt = :updatedAt',
                  ExpressionAttributeNames: { '#deploymentId': 'deploymentId', '#updatedAt': 'updatedAt' },
                  ExpressionAttributeValues: { ':current': current.deploymentId, ':updatedAt': current.updatedAt },
                }),
          }),
        ),
      );
      if (written) return;
    }
    throw new ConflictError(`Stable pointer of ${service}/${environment} is contended`, {
      details: { service, environment, deploymentId: pointer.deploymentId },
    });
  }

  // ---------------------------------------------------------------- helpers

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private async getItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await awsCall('DynamoDB:GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true })),
    );
    return out.Item;
  }

  private async query(input: {
    IndexName?: string;
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
  }): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const exclusiveStartKey = startKey;
      const out = await awsCall('DynamoDB:Query', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            ...input,
            ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  private notFound(deploymentId: string, what: string): ConflictError {
    return new ConflictError(`Cannot ${what} deployment ${deploymentId}: no such deployment`, { details: { deploymentId } });
  }

  private async explainRejectedChange(service: string, environment: string, deploymentId: string, what: string): Promise<never> {
    const existing = await this.getDeployment(service, environment, deploymentId);
    if (existing === undefined) throw this.notFound(deploymentId, what);
    throw new ConflictError(`Cannot ${what} deployment ${deploymentId}: it already ended as ${existing.status}`, {
      details: { deploymentId, status: existing.status },
    });
  }
}

/** The lock item without the table keys (its `version` and `granted` kept). */
function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest as T;
}
