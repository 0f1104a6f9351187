/**
 * The maintenance side of the deployments table (same table and keys as store.ts):
 * - RecordExpiry: set the TTL (`expiresAt`) of an ended deployment record, one conditional update;
 * - ScalingStateStore: one item per service and environment (`sk = SCALING`) with the scaling
 *   handler's cooldowns, deferred action and recent history, written conditionally on its version
 *   so two alarm events at once cannot both act.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ScalingState } from '../core/maintenance.js';
import { TERMINAL_STATUSES } from '../core/model.js';
import type { RecordExpiry, ScalingStateStore } from '../core/ports.js';
import { awsCall, conditionalWrite } from './aws-errors.js';
import { deploymentKey, serviceKey, withoutUndefined } from './store-items.js';
import { STORE_TABLE } from './store-table.js';

export const SCALING_SK = 'SCALING';

const TERMINAL_VALUES = Object.fromEntries(TERMINAL_STATUSES.map((s, i) => [`:terminal${i}`, s]));

export class DynamoMaintenanceStore implements RecordExpiry, ScalingStateStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async expire(service: string, environment: string, deploymentId: string, expiresAt: number): Promise<boolean> {
    return conditionalWrite('DynamoDB:UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: serviceKey(service, environment), sk: deploymentKey(deploymentId) },
          UpdateExpression: 'SET #expiresAt = :expiresAt',
          ConditionExpression: `attribute_exists(pk) AND #status IN (${Object.keys(TERMINAL_VALUES).join(', ')}) AND (attribute_not_exists(#expiresAt) OR #expiresAt > :expiresAt)`,
          ExpressionAttributeNames: { '#expiresAt': STORE_TABLE.timeToLiveAttribute, '#status': 'status' },
          ExpressionAttributeValues: { ...TERMINAL_VALUES, ':expiresAt': Math.floor(expiresAt) },
        }),
      ),
    );
  }

  async get(service: string, environment: string): Promise<ScalingState | undefined> {
    const out = await awsCall('DynamoDB:GetItem', () =>
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: serviceKey(service, environment), sk: SCALING_SK }, ConsistentRead: true }),
      ),
    );
    if (out.Item === undefined) return undefined;
    const { pk: _pk, sk: _sk, entity: _entity, ...state } = out.Item;
    return state as unknown as ScalingState;
  }

  async put(service: string, environment: string, next: ScalingState): Promise<boolean> {
    const previous = next.version - 1;
    return conditionalWrite('DynamoDB:PutItem', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: withoutUndefined({ ...next, pk: serviceKey(service, environment), sk: SCALING_SK, entity: 'SCALING' }),
          ...(previous <= 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':version': previous },
              }),
        }),
      ),
    );
  }
}
