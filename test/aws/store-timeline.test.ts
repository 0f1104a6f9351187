/**
 * The deployment item stays under DynamoDB's 400 KB item limit however much is appended to its
 * timeline (issue #14, Low), against dynalite — the local runtime's DynamoDB, which refuses an item
 * over 400 KB as AWS does — and a rollback after thousands of alarm entries still completes.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeClient } from '../../functions/aws/clients.js';
import { ALARM_ENTRY_KIND } from '../../functions/core/recorded-alarm.js';
import { COMPACTED_KIND, MAX_TIMELINE_ENTRIES } from '../../functions/core/timeline.js';
import { entry } from '../../functions/handlers/shared/deploy.js';
import { LOCAL_CREDENTIALS, type LocalDynamo, startLocalDynamo } from '../../local/dynamo.js';
import { useDynalite, World } from '../helpers/fakes.js';

const ITEM_LIMIT = 400 * 1024;
const ALARM_NAME = `web-5xx-rate-${'a'.repeat(80)}`;
/** What the alarm watcher appends for one alarm event: a CloudWatch reason can be long. */
const alarmEntry = (i: number, at: number) =>
  entry(`alarm-${ALARM_NAME}-${randomUUID()}`, ALARM_ENTRY_KIND, at + i, {
    alarmName: ALARM_NAME,
    reason: `Threshold Crossed: 1 out of the last 1 datapoints [${i}.0 (01/01/26 00:00:00)] was greater than the threshold (1.0). ${'r'.repeat(900)}`,
  });

describe('the local DynamoDB enforces the 400 KB item limit', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  beforeAll(async () => {
    dynamo = await startLocalDynamo('cutover-limit-test');
    client = makeClient(DynamoDBClient, { region: 'us-east-1', dynamodbEndpoint: dynamo.endpoint, credentials: LOCAL_CREDENTIALS }, 'dynamodb');
    doc = DynamoDBDocumentClient.from(client);
  });
  afterAll(async () => {
    client.destroy();
    await dynamo.close();
  });

  it('refuses a put over 400 KB and accepts one under it', async () => {
    const put = (bytes: number, sk: string) => doc.send(new PutCommand({ TableName: dynamo.tableName, Item: { pk: 'SVC#x#y', sk, blob: 'z'.repeat(bytes) } }));
    await expect(put(ITEM_LIMIT + 1, 'big')).rejects.toThrow(/Item size has exceeded the maximum allowed size/);
    await expect(put(ITEM_LIMIT - 1_000, 'fits')).resolves.toBeDefined();
  });

  it('refuses an append that takes the item over 400 KB: an unbounded timeline fails after a few hundred alarm entries', async () => {
    await doc.send(new PutCommand({ TableName: dynamo.tableName, Item: { pk: 'SVC#x#y', sk: 'DEP#naive', timeline: [] } }));
    const append = (i: number) =>
      doc.send(
        new UpdateCommand({
          TableName: dynamo.tableName,
          Key: { pk: 'SVC#x#y', sk: 'DEP#naive' },
          UpdateExpression: 'SET #t = list_append(#t, :e)',
          ExpressionAttributeNames: { '#t': 'timeline' },
          ExpressionAttributeValues: { ':e': [alarmEntry(i, 0)] },
        }),
      );
    let failedAt: number | undefined;
    for (let i = 0; i < 1_000 && failedAt === undefined; i++) {
      await append(i).catch((e: Error) => {
        expect(e.message).toMatch(/Item size to update has exceeded the maximum allowed size/);
        failedAt = i;
      });
    }
    expect(failedAt).toBeGreaterThan(200);
    expect(failedAt).toBeLessThan(1_000);
  });
});

describe('appendTimeline keeps the deployment item under 400 KB', () => {
  const db = useDynalite();
  let w: World;
  beforeEach(async () => {
    w = await World.create(db);
  });

  it('600 alarm entries (five full timelines) during a bake: every append succeeds, the item stays under 400 KB, and the rollback completes', { timeout: 120_000 }, async () => {
    // Prepare: web/production baking at 10 %.
    w.seed();
    const state = await w.greenHealthy(w.request(1));
    await w.shiftedThrough(state, 0);
    const { service, environment, deploymentId } = state.request;
    // The item as DynamoDB holds it (through the store's own client and table).
    const { doc, tableName } = (w.store as unknown as { table: { doc: DynamoDBDocumentClient; tableName: string } }).table;
    const raw = async () =>
      (await doc.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `SVC#${service}#${environment}` }, sk: { S: `DEP#${deploymentId}` } } }))).Item ?? {};
    // Act: a flapping alarm (what the alarm watcher appends for each event).
    const start = w.clock.now();
    let largest = 0;
    for (let i = 0; i < 600; i++) {
      await w.store.appendTimeline(service, environment, deploymentId, alarmEntry(i, start));
      // An upper bound of DynamoDB's size: the item's DynamoDB JSON (names, type tags and quotes included).
      if (i % 100 === 99) largest = Math.max(largest, Buffer.byteLength(JSON.stringify(await raw())));
    }
    // Assess 1: bounded, with the first alarm and the latest kept and the rest counted.
    expect(largest).toBeLessThan(ITEM_LIMIT);
    const record = await w.store.getDeployment(service, environment, deploymentId);
    const timeline = record?.timeline ?? [];
    expect(timeline.length).toBeLessThanOrEqual(MAX_TIMELINE_ENTRIES);
    const alarms = timeline.filter((e) => e.kind === ALARM_ENTRY_KIND);
    const compacted = timeline.filter((e) => e.kind === COMPACTED_KIND);
    expect(compacted).toHaveLength(1);
    expect(alarms.length + (compacted[0]?.detail?.dropped as number)).toBe(600);
    expect(alarms.at(-1)?.at).toBe(new Date(start + 599).toISOString());
    expect(timeline[0]?.kind).not.toBe(ALARM_ENTRY_KIND);

    // Act 2: the rollback (its traffic flip, then its own timeline entries and the terminal write).
    const rolled = await w.rollback({ state: { ...state, error: { Error: 'AlarmTriggered', Cause: JSON.stringify({ errorType: 'AlarmTriggered', errorMessage: `Alarm ${ALARM_NAME} is in ALARM` }) } } });
    // Assess 2
    expect(rolled.outcome?.code).toBe('AlarmTriggered');
    const after = await w.store.getDeployment(service, environment, deploymentId);
    expect(after?.status).toBe('ROLLED_BACK');
    expect(after?.timeline.some((e) => e.key === 'rollback-traffic')).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(await raw()))).toBeLessThan(ITEM_LIMIT);
  });
});
