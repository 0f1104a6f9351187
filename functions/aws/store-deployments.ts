/**
 * The deployment store's records and their timelines (the `DEP#<deploymentId>` items of store.ts):
 * each operation a function over the table, one conditional write per change.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, ValidationError } from '../core/errors.js';
import {
  type DeploymentReason,
  type DeploymentRecord,
  type DeploymentStatus,
  isTerminal,
  type OperatorAction,
  TERMINAL_STATUSES,
  type TimelineEntry,
} from '../core/model.js';
import { boundedEntry, compactTimeline, MAX_TIMELINE_ENTRIES } from '../core/timeline.js';
import { conditionalWrite } from './aws-errors.js';
import {
  type DocumentTable,
  deploymentKey,
  getItem,
  INFLIGHT,
  inFlightSortKey,
  MAX_CONDITIONAL_ATTEMPTS,
  NOT_TERMINAL,
  notFound,
  nowIso,
  queryAll,
  serviceKey,
  stripInternal,
  TERMINAL_VALUES,
  validateKeyPart,
  withoutUndefined,
} from './store-items.js';
import { STORE_TABLE } from './store-table.js';

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

export async function createDeployment(t: DocumentTable, record: DeploymentRecord): Promise<{ record: DeploymentRecord; created: boolean }> {
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
    t.doc.send(new PutCommand({ TableName: t.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
  );
  if (created) return { record: withoutUndefined(record), created: true };
  const existing = await getDeployment(t, record.service, record.environment, record.deploymentId);
  if (existing === undefined) {
    throw new ConflictError(`Deployment ${record.deploymentId} exists but could not be read`, {
      details: { deploymentId: record.deploymentId },
    });
  }
  return { record: existing, created: false };
}

export async function getDeployment(t: DocumentTable, service: string, environment: string, deploymentId: string): Promise<DeploymentRecord | undefined> {
  const item = await getItem(t, serviceKey(service, environment), deploymentKey(deploymentId));
  return item === undefined ? undefined : stripInternal<DeploymentRecord>(item);
}

/**
 * Newest first (by `createdAt`, then deploymentId). Reads every record of the service and
 * environment (ended ones expire by TTL), since deployment ids need not sort by time.
 */
export async function listDeployments(t: DocumentTable, service: string, environment: string, limit?: number): Promise<DeploymentRecord[]> {
  const items = await queryAll(t, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dep)',
    ExpressionAttributeValues: { ':pk': serviceKey(service, environment), ':dep': 'DEP#' },
  });
  const records = items
    .map((i) => stripInternal<DeploymentRecord>(i))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.deploymentId.localeCompare(a.deploymentId));
  return limit === undefined ? records : records.slice(0, Math.max(0, limit));
}

/** Via the `inflight` GSI (eventually consistent); records already terminal are left out. */
export async function listInFlight(t: DocumentTable): Promise<DeploymentRecord[]> {
  const items = await queryAll(t, {
    IndexName: STORE_TABLE.inFlightIndex,
    KeyConditionExpression: 'gsi1pk = :inflight',
    ExpressionAttributeValues: { ':inflight': INFLIGHT },
  });
  return items.map((i) => stripInternal<DeploymentRecord>(i)).filter((r) => !isTerminal(r.status));
}

export async function updateDeployment(
  t: DocumentTable,
  service: string,
  environment: string,
  deploymentId: string,
  patch: Partial<Pick<DeploymentRecord, 'status' | 'plan' | 'blue' | 'green' | 'executionArn' | 'alarmNames'>>,
): Promise<void> {
  if (patch.status !== undefined && isTerminal(patch.status)) {
    throw new ValidationError('Deployment update', [`status: ${patch.status} is terminal; use finish()`]);
  }
  const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ...TERMINAL_VALUES, ':updatedAt': nowIso(t) };
  const sets = ['#updatedAt = :updatedAt'];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = withoutUndefined(value);
    sets.push(`#${field} = :${field}`);
  }
  const ok = await conditionalWrite('DynamoDB:UpdateItem', () =>
    t.doc.send(
      new UpdateCommand({
        TableName: t.tableName,
        Key: { pk: serviceKey(service, environment), sk: deploymentKey(deploymentId) },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: `attribute_exists(pk) AND ${NOT_TERMINAL}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
  if (!ok) await explainRejectedChange(t, service, environment, deploymentId, 'update');
}

/**
 * Append `entry` once per key. The timeline stays under DynamoDB's 400 KB item limit (issue #14,
 * Low; functions/core/timeline.ts): the entry is bounded in size, and a timeline of
 * MAX_TIMELINE_ENTRIES is compacted (first entries, first of each kind, latest entries, and a count
 * of the dropped ones) in the same conditional write as the append. An append never fails for size.
 */
export async function appendTimeline(t: DocumentTable, service: string, environment: string, deploymentId: string, entry: TimelineEntry): Promise<void> {
  const key = { pk: serviceKey(service, environment), sk: deploymentKey(deploymentId) };
  const bounded = withoutUndefined(boundedEntry(entry));
  for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt++) {
    const ok = await conditionalWrite('DynamoDB:UpdateItem', () =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.tableName,
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
            ':updatedAt': nowIso(t),
          },
        }),
      ),
    );
    if (ok) return;
    // Lost the condition: the entry is already there (a replay: success), no record, or a full timeline.
    const item = await getItem(t, key.pk, key.sk);
    if (item === undefined) throw notFound(deploymentId, 'append to the timeline of');
    const keys = item.timelineKeys instanceof Set ? (item.timelineKeys as Set<string>) : new Set<string>();
    const timeline = Array.isArray(item.timeline) ? (item.timeline as TimelineEntry[]) : [];
    if (keys.has(entry.key)) return;
    if (timeline.length < MAX_TIMELINE_ENTRIES) continue;
    // Full: compact and append in one write, conditional on the timeline read (a concurrent
    // append or compaction makes it lose, and the loop starts again).
    const compacted = [...compactTimeline(timeline, nowIso(t)), bounded];
    const last = timeline[timeline.length - 1] as TimelineEntry;
    const written = await conditionalWrite('DynamoDB:UpdateItem', () =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.tableName,
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
            ':updatedAt': nowIso(t),
          },
        }),
      ),
    );
    if (written) return;
  }
  // Still racing after every attempt: the entry is there, or the record is gone.
  const existing = await getDeployment(t, service, environment, deploymentId);
  if (existing === undefined) throw notFound(deploymentId, 'append to the timeline of');
  if (!existing.timeline.some((e) => e.key === entry.key)) {
    throw new ConflictError(`Could not append ${entry.key} to the timeline of ${deploymentId}: ${MAX_CONDITIONAL_ATTEMPTS} attempts lost a race`, { details: { deploymentId, key: entry.key } });
  }
}

export async function setTaskToken(
  t: DocumentTable,
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
          TableName: t.tableName,
          Key: key,
          UpdateExpression: 'SET #updatedAt = :updatedAt REMOVE #taskToken, #waitingFor',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':updatedAt': nowIso(t) },
        })
      : new UpdateCommand({
          TableName: t.tableName,
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
            ':updatedAt': nowIso(t),
            ...(waitingFor === undefined ? {} : { ':waitingFor': waitingFor }),
          },
        });
  const ok = await conditionalWrite('DynamoDB:UpdateItem', () => t.doc.send(command));
  if (!ok) await explainRejectedChange(t, service, environment, deploymentId, 'store a task token on');
}

export async function recordControl(t: DocumentTable, service: string, environment: string, deploymentId: string, action: OperatorAction): Promise<void> {
  const ok = await conditionalWrite('DynamoDB:UpdateItem', () =>
    t.doc.send(
      new UpdateCommand({
        TableName: t.tableName,
        Key: { pk: serviceKey(service, environment), sk: deploymentKey(deploymentId) },
        UpdateExpression: 'SET #controls = list_append(if_not_exists(#controls, :empty), :actions), #updatedAt = :updatedAt',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#controls': 'controls', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':empty': [], ':actions': [withoutUndefined(action)], ':updatedAt': nowIso(t) },
      }),
    ),
  );
  if (!ok) throw notFound(deploymentId, 'record a control on');
}

/**
 * One conditional update: status, reason, `expiresAt` (TTL, epoch seconds) set; the in-flight
 * GSI keys and any waiting task token removed.
 */
export async function finish(
  t: DocumentTable,
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
    t.doc.send(
      new UpdateCommand({
        TableName: t.tableName,
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
          ':updatedAt': nowIso(t),
        },
      }),
    ),
  );
  if (ok) return true;
  const existing = await getDeployment(t, service, environment, deploymentId);
  if (existing === undefined) throw notFound(deploymentId, 'finish');
  if (existing.status === status) return false;
  throw new ConflictError(`Deployment ${deploymentId} already ended as ${existing.status}; cannot finish it as ${status}`, {
    details: { deploymentId, status: existing.status, requested: status },
  });
}

async function explainRejectedChange(t: DocumentTable, service: string, environment: string, deploymentId: string, what: string): Promise<never> {
  const existing = await getDeployment(t, service, environment, deploymentId);
  if (existing === undefined) throw notFound(deploymentId, what);
  throw new ConflictError(`Cannot ${what} deployment ${deploymentId}: it already ended as ${existing.status}`, {
    details: { deploymentId, status: existing.status },
  });
}
