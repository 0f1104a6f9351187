/**
 * The deployment store's "under management since" record (the `MANAGED` item of store.ts): when
 * Cutover first saw the service, written once.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../core/errors.js';
import { conditionalWrite } from './aws-errors.js';
import { type DocumentTable, getItem, MANAGED_SK, serviceKey } from './store-items.js';

export async function markManaged(t: DocumentTable, service: string, environment: string, atIso: string): Promise<string> {
  const pk = serviceKey(service, environment);
  // Read first: every sweep asks, and only the first writes (a read costs a quarter of a write).
  const known = (await getItem(t, pk, MANAGED_SK))?.since;
  if (typeof known === 'string') return known;
  const written = await conditionalWrite('DynamoDB:PutItem', () =>
    t.doc.send(
      new PutCommand({
        TableName: t.tableName,
        Item: { pk, sk: MANAGED_SK, entity: 'MANAGED', since: atIso },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
  if (written) return atIso;
  const since = (await getItem(t, pk, MANAGED_SK))?.since;
  if (typeof since !== 'string') throw new ConflictError(`The management record of ${service}/${environment} has no time`, { details: { service, environment } });
  return since;
}
