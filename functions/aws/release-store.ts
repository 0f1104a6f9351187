/**
 * Release records over DynamoDB (ReleaseStore), in the deployments table (store-table.ts):
 *
 * | item | pk | sk | extra |
 * | --- | --- | --- | --- |
 * | release | `REL#<releaseId>` | `RELEASE` | the record; `expiresAt` (TTL) once it ended; on the `inflight` index only while it waits for approval: `gsi1pk = RELEASE-APPROVAL`, `gsi1sk = <environment>#<releaseId>` (never the `INFLIGHT` partition deployments use) |
 *
 * Every change is one conditional write on `status = IN_PROGRESS` (a release that ended is not
 * changed again). Each operation is a function over the table, so a handler that uses a few binds
 * only those (`bindTable`, store-items.ts); DynamoReleaseStore binds them all.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, ValidationError } from '../core/errors.js';
import type { DeploymentReason } from '../core/model.js';
import type { Clock, ReleaseStore } from '../core/ports.js';
import { isReleaseTerminal, type ReleaseRecord, type ReleaseStage, ReleaseStatus } from '../core/release.js';
import { awsCall, conditionalWrite } from './aws-errors.js';
import { type DocumentTable, nowIso, systemClock } from './store-items.js';
import { STORE_TABLE } from './store-table.js';

export const releaseKey = (releaseId: string): string => `REL#${releaseId}`;
export const RELEASE_SK = 'RELEASE';
/** The `inflight` index partition of the releases waiting for approval (sparse: removed when the wait ends). */
export const WAITING_RELEASES = 'RELEASE-APPROVAL';

const GSI_NAMES = { '#gsi1pk': STORE_TABLE.inFlightPartitionKey, '#gsi1sk': STORE_TABLE.inFlightSortKey } as const;

/** JSON round trip: drops `undefined` (DynamoDB rejects it) and copies. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export async function createRelease(t: DocumentTable, record: ReleaseRecord): Promise<{ record: ReleaseRecord; created: boolean }> {
  const item = { ...plain(record), pk: releaseKey(record.releaseId), sk: RELEASE_SK, entity: 'RELEASE' };
  const created = await conditionalWrite('DynamoDB:PutItem', () =>
    t.doc.send(new PutCommand({ TableName: t.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
  );
  if (created) return { record: plain(record), created: true };
  const existing = await getRelease(t, record.releaseId);
  if (!existing) throw new ConflictError(`Release ${record.releaseId} exists but could not be read`, { details: { releaseId: record.releaseId } });
  return { record: existing, created: false };
}

export async function getRelease(t: DocumentTable, releaseId: string): Promise<ReleaseRecord | undefined> {
  const out = await awsCall('DynamoDB:GetItem', () =>
    t.doc.send(new GetCommand({ TableName: t.tableName, Key: { pk: releaseKey(releaseId), sk: RELEASE_SK }, ConsistentRead: true })),
  );
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, entity: _entity, gsi1pk: _gpk, gsi1sk: _gsk, ...rest } = out.Item;
  return rest as ReleaseRecord;
}

export async function updateStage(t: DocumentTable, releaseId: string, index: number, stage: ReleaseStage): Promise<void> {
  if (!Number.isInteger(index) || index < 0 || index > 99) {
    throw new ValidationError('Release stage', [`index: ${index} is not a stage index (0-99)`]);
  }
  const ok = await inProgressUpdate(t, 'DynamoDB:UpdateItem', releaseId, `SET #stages[${index}] = :stage, #updatedAt = :now`, {
    ':stage': plain(stage),
  });
  if (!ok) await explain(t, releaseId, `update environment ${stage.environment} of`);
}

export async function setApprovalToken(t: DocumentTable, releaseId: string, token: string | undefined, environment?: string): Promise<void> {
  if (token === undefined) {
    await awsCall('DynamoDB:UpdateItem', () =>
      t.doc.send(
        new UpdateCommand({
          TableName: t.tableName,
          Key: { pk: releaseKey(releaseId), sk: RELEASE_SK },
          UpdateExpression: 'REMOVE #taskToken, #waitingFor, #gsi1pk, #gsi1sk SET #updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#taskToken': 'taskToken', '#waitingFor': 'waitingFor', '#updatedAt': 'updatedAt', ...GSI_NAMES },
          ExpressionAttributeValues: { ':now': nowIso(t) },
        }),
      ),
    );
    return;
  }
  const ok = await inProgressUpdate(
    t,
    'DynamoDB:UpdateItem',
    releaseId,
    'SET #taskToken = :token, #waitingFor = :waiting, #updatedAt = :now, #gsi1pk = :waitingPk, #gsi1sk = :waitingSk REMOVE #approvalSignal',
    {
      ':token': token,
      ':waiting': { environment: environment ?? '', since: nowIso(t) },
      ':waitingPk': WAITING_RELEASES,
      ':waitingSk': `${environment ?? ''}#${releaseId}`,
    },
    { '#taskToken': 'taskToken', '#waitingFor': 'waitingFor', '#approvalSignal': 'approvalSignal', ...GSI_NAMES },
  );
  if (!ok) await explain(t, releaseId, 'store the approval token of');
}

export async function recordApprovalSignal(t: DocumentTable, releaseId: string, proof: NonNullable<ReleaseRecord['approvalSignal']>): Promise<void> {
  const ok = await inProgressUpdate(t, 'DynamoDB:UpdateItem', releaseId, 'SET #approvalSignal = :proof, #updatedAt = :now', { ':proof': plain(proof) }, {
    '#approvalSignal': 'approvalSignal',
  });
  if (!ok) await explain(t, releaseId, 'record the approval of');
}

export async function listWaitingReleases(t: DocumentTable): Promise<ReleaseRecord[]> {
  const out = await awsCall('DynamoDB:Query', () =>
    t.doc.send(
      new QueryCommand({
        TableName: t.tableName,
        IndexName: STORE_TABLE.inFlightIndex,
        KeyConditionExpression: '#gsi1pk = :waiting',
        ExpressionAttributeNames: { '#gsi1pk': STORE_TABLE.inFlightPartitionKey },
        ExpressionAttributeValues: { ':waiting': WAITING_RELEASES },
      }),
    ),
  );
  // The index is eventually consistent: re-read each record.
  const ids = (out.Items ?? []).map((i) => i.releaseId as string).filter((id) => typeof id === 'string');
  const records = await Promise.all(ids.map((id) => getRelease(t, id)));
  return records.filter((r): r is ReleaseRecord => r !== undefined && r.status === ReleaseStatus.IN_PROGRESS && r.taskToken !== undefined);
}

export async function finishRelease(
  t: DocumentTable,
  releaseId: string,
  status: ReleaseStatus,
  reason: DeploymentReason,
  stages: readonly ReleaseStage[],
  expiresAt: number,
): Promise<boolean> {
  if (!isReleaseTerminal(status)) throw new ValidationError('Release finish', [`status: ${status} is not terminal`]);
  return inProgressUpdate(
    t,
    'DynamoDB:UpdateItem',
    releaseId,
    'SET #status = :status, #reason = :reason, #stages = :stages, #expiresAt = :expiresAt, #updatedAt = :now REMOVE #taskToken, #waitingFor, #gsi1pk, #gsi1sk',
    { ':status': status, ':reason': plain(reason), ':stages': plain(stages), ':expiresAt': Math.floor(expiresAt) },
    { '#reason': 'reason', '#expiresAt': STORE_TABLE.timeToLiveAttribute, '#taskToken': 'taskToken', '#waitingFor': 'waitingFor', ...GSI_NAMES },
  );
}

function inProgressUpdate(
  t: DocumentTable,
  operation: string,
  releaseId: string,
  expression: string,
  values: Record<string, unknown>,
  names: Record<string, string> = {},
): Promise<boolean> {
  return conditionalWrite(operation, () =>
    t.doc.send(
      new UpdateCommand({
        TableName: t.tableName,
        Key: { pk: releaseKey(releaseId), sk: RELEASE_SK },
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(pk) AND #status = :inProgress',
        ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', ...(expression.includes('#stages') ? { '#stages': 'stages' } : {}), ...names },
        ExpressionAttributeValues: { ':inProgress': ReleaseStatus.IN_PROGRESS, ':now': nowIso(t), ...values },
      }),
    ),
  );
}

async function explain(t: DocumentTable, releaseId: string, what: string): Promise<never> {
  const existing = await getRelease(t, releaseId);
  throw new ConflictError(
    existing ? `Cannot ${what} release ${releaseId}: it already ended as ${existing.status}` : `Cannot ${what} release ${releaseId}: no such release`,
    { details: { releaseId, ...(existing ? { status: existing.status } : {}) } },
  );
}

export class DynamoReleaseStore implements ReleaseStore {
  private readonly table: DocumentTable;

  constructor(doc: DynamoDBDocumentClient, tableName: string, clock: Clock = systemClock) {
    this.table = { doc, tableName, clock };
  }

  createRelease(record: ReleaseRecord): Promise<{ record: ReleaseRecord; created: boolean }> {
    return createRelease(this.table, record);
  }

  getRelease(releaseId: string): Promise<ReleaseRecord | undefined> {
    return getRelease(this.table, releaseId);
  }

  updateStage(releaseId: string, index: number, stage: ReleaseStage): Promise<void> {
    return updateStage(this.table, releaseId, index, stage);
  }

  setApprovalToken(releaseId: string, token: string | undefined, environment?: string): Promise<void> {
    return setApprovalToken(this.table, releaseId, token, environment);
  }

  recordApprovalSignal(releaseId: string, proof: NonNullable<ReleaseRecord['approvalSignal']>): Promise<void> {
    return recordApprovalSignal(this.table, releaseId, proof);
  }

  listWaitingReleases(): Promise<ReleaseRecord[]> {
    return listWaitingReleases(this.table);
  }

  finishRelease(releaseId: string, status: ReleaseStatus, reason: DeploymentReason, stages: readonly ReleaseStage[], expiresAt: number): Promise<boolean> {
    return finishRelease(this.table, releaseId, status, reason, stages, expiresAt);
  }
}
