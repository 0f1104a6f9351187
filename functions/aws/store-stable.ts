/**
 * The deployment store's stable pointer (the `STABLE` item of store.ts): what runs as the service's
 * stable version, and the one before it.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../core/errors.js';
import type { StablePointer } from '../core/model.js';
import { conditionalWrite } from './aws-errors.js';
import { type DocumentTable, getItem, MAX_CONDITIONAL_ATTEMPTS, STABLE_SK, serviceKey, stripInternal, withoutUndefined } from './store-items.js';

export async function getStable(t: DocumentTable, service: string, environment: string): Promise<StablePointer | undefined> {
  const item = await getItem(t, serviceKey(service, environment), STABLE_SK);
  return item === undefined ? undefined : stripInternal<StablePointer>(item);
}

/**
 * The new pointer with the current one as `previous`. Setting the pointer of the deployment that
 * is already stable again keeps its `previous` (so a replay changes nothing).
 */
export async function setStable(t: DocumentTable, service: string, environment: string, pointer: Omit<StablePointer, 'previous'>): Promise<void> {
  const pk = serviceKey(service, environment);
  for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt += 1) {
    const current = await getStable(t, service, environment);
    const previous =
      current === undefined
        ? undefined
        : current.deploymentId === pointer.deploymentId
          ? current.previous
          : withoutUndefined({ ...current, previous: undefined });
    const written = await conditionalWrite('DynamoDB:PutItem', () =>
      t.doc.send(
        new PutCommand({
          TableName: t.tableName,
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
