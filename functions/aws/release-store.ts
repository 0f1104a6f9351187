/**
 * Release records over DynamoDB (ReleaseStore), in the deployments table (store-table.ts):
 *
 * | item | pk | sk | extra |
 * | --- | --- | --- | --- |
 * | release | `REL#<releaseId>` | `RELEASE` | the record; `expiresAt` (TTL) once it ended; never on the `inflight` index |
 *
 * Every change is one conditional write on `status = IN_PROGRESS` (a release that ended is not
 * changed again).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, ValidationError } from '../core/errors.js';
import type { DeploymentReason } from '../core/model.js';
import type { Clock, ReleaseStore } from '../core/ports.js';
import { isReleaseTerminal, type ReleaseRecord, type ReleaseStage, ReleaseStatus } from '../core/release.js';
import { awsCall, conditionalWrite } from './aws-errors.js';
import { STORE_TABLE } from './store-table.js';

export const releaseKey = (releaseId: string): string => `REL#${releaseId}`;
export const RELEASE_SK = 'RELEASE';

const systemClock: Clock = { now: () => Date.now() };

/** JSON round trip: drops `undefined` (DynamoDB rejects it) and copies. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export class DynamoReleaseStore implements ReleaseStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async createRelease(record: ReleaseRecord): Promise<{ record: ReleaseRecord; created: boolean }> {
    const item = { ...plain(record), pk: releaseKey(record.releaseId), sk: RELEASE_SK, entity: 'RELEASE' };
    const created = await conditionalWrite('DynamoDB:PutItem', () =>
      this.doc.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    if (created) return { record: plain(record), created: true };
    const existing = await this.getRelease(record.releaseId);
    if (!existing) throw new ConflictError(`Release ${record.releaseId} exists but could not be read`, { details: { releaseId: record.releaseId } });
    return { record: existing, created: false };
  }

  async getRelease(releaseId: string): Promise<ReleaseRecord | undefined> {
    const out = await awsCall('DynamoDB:GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: releaseKey(releaseId), sk: RELEASE_SK }, ConsistentRead: true })),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, entity: _entity, ...rest } = out.Item;
    return rest as ReleaseRecord;
  }

  async updateStage(releaseId: string, index: number, stage: ReleaseStage): Promise<void> {
    if (!Number.isInteger(index) || index < 0 || index > 99) {
      throw new ValidationError('Release stage', [`index: ${index} is not a stage index (0-99)`]);
    }
    const ok = await this.inProgressUpdate('DynamoDB:UpdateItem', releaseId, `SET #stages[${index}] = :stage, #updatedAt = :now`, {
      ':stage': plain(stage),
    });
    if (!ok) await this.explain(releaseId, `update environment ${stage.environment} of`);
  }

  async setApprovalToken(releaseId: string, token: string | undefined, environment?: string): Promise<void> {
    if (token === undefined) {
      await awsCall('DynamoDB:UpdateItem', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: releaseKey(releaseId), sk: RELEASE_SK },
            UpdateExpression: 'REMOVE #taskToken, #waitingFor SET #updatedAt = :now',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#taskToken': 'taskToken', '#waitingFor': 'waitingFor', '#updatedAt': 'updatedAt' },
            ExpressionAttributeValues: { ':now': this.nowIso() },
          }),
        ),
      );
      return;
    }
    const ok = await this.inProgressUpdate('DynamoDB:UpdateItem', releaseId, 'SET #taskToken = :token, #waitingFor = :waiting, #updatedAt = :now', {
      ':token': token,
      ':waiting': { environment: environment ?? '', since: this.nowIso() },
    }, { '#taskToken': 'taskToken', '#waitingFor': 'waitingFor' });
    if (!ok) await this.explain(releaseId, 'store the approval token of');
  }

  async finishRelease(
    releaseId: string,
    status: ReleaseStatus,
    reason: DeploymentReason,
    stages: readonly ReleaseStage[],
    expiresAt: number,
  ): Promise<boolean> {
    if (!isReleaseTerminal(status)) throw new ValidationError('Release finish', [`status: ${status} is not terminal`]);
    return this.inProgressUpdate(
      'DynamoDB:UpdateItem',
      releaseId,
      'SET #status = :status, #reason = :reason, #stages = :stages, #expiresAt = :expiresAt, #updatedAt = :now REMOVE #taskToken, #waitingFor',
      { ':status': status, ':reason': plain(reason), ':stages': plain(stages), ':expiresAt': Math.floor(expiresAt) },
      { '#reason': 'reason', '#expiresAt': STORE_TABLE.timeToLiveAttribute, '#taskToken': 'taskToken', '#waitingFor': 'waitingFor' },
    );
  }

  private inProgressUpdate(
    operation: string,
    releaseId: string,
    expression: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<boolean> {
    return conditionalWrite(operation, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: releaseKey(releaseId), sk: RELEASE_SK },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk) AND #status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', ...(expression.includes('#stages') ? { '#stages': 'stages' } : {}), ...names },
          ExpressionAttributeValues: { ':inProgress': ReleaseStatus.IN_PROGRESS, ':now': this.nowIso(), ...values },
        }),
      ),
    );
  }

  private async explain(releaseId: string, what: string): Promise<never> {
    const existing = await this.getRelease(releaseId);
    throw new ConflictError(
      existing ? `Cannot ${what} release ${releaseId}: it already ended as ${existing.status}` : `Cannot ${what} release ${releaseId}: no such release`,
      { details: { releaseId, ...(existing ? { status: existing.status } : {}) } },
    );
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
