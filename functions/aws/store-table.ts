/**
 * The deployment table's layout, and a function that creates it (for dynalite in tests and the
 * local runtime; in AWS the CDK construct creates the same table).
 *
 * | key | attribute | type |
 * | --- | --- | --- |
 * | partition | `pk` | S |
 * | sort | `sk` | S |
 * | GSI `inflight` partition | `gsi1pk` | S |
 * | GSI `inflight` sort | `gsi1sk` | S |
 * | TTL | `expiresAt` | N (epoch seconds) |
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

export const STORE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  inFlightIndex: 'inflight',
  inFlightPartitionKey: 'gsi1pk',
  inFlightSortKey: 'gsi1sk',
  timeToLiveAttribute: 'expiresAt',
} as const;

/**
 * Create the table (on-demand billing) and wait until it is ACTIVE; then try to enable TTL on
 * `expiresAt` (dynalite has no UpdateTimeToLive: that one is skipped).
 */
export async function createStoreTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const t = STORE_TABLE;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: t.partitionKey, AttributeType: 'S' },
        { AttributeName: t.sortKey, AttributeType: 'S' },
        { AttributeName: t.inFlightPartitionKey, AttributeType: 'S' },
        { AttributeName: t.inFlightSortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: t.partitionKey, KeyType: 'HASH' },
        { AttributeName: t.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: t.inFlightIndex,
          KeySchema: [
            { AttributeName: t.inFlightPartitionKey, KeyType: 'HASH' },
            { AttributeName: t.inFlightSortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  for (let attempt = 0; ; attempt += 1) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (out.Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (out.Table?.TableStatus === 'ACTIVE' && indexesActive) break;
    if (attempt >= 200) throw new Error(`Table ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: t.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (err) {
    if ((err as { name?: string }).name !== 'UnknownOperationException') throw err;
  }
}
