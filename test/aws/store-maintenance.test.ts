/** The maintenance side of the table against dynalite (a real DynamoDB implementation). */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoMaintenanceStore } from '../../functions/aws/store-maintenance.js';
import { DynamoStore } from '../../functions/aws/store.js';
import { EMPTY_SCALING_STATE } from '../../functions/core/maintenance.js';
import type { DeploymentRecord } from '../../functions/core/model.js';
import { dynaliteClient, freshStoreTable, type RunningDynalite, startDynalite } from '../helpers/dynalite.js';

let db: RunningDynalite;
let client: DynamoDBClient;
let store: DynamoStore;
let maintenance: DynamoMaintenanceStore;
beforeAll(async () => {
  db = await startDynalite();
  client = dynaliteClient(db.endpoint);
});
afterAll(async () => {
  client.destroy();
  await db.close();
});
beforeEach(async () => {
  const t = await freshStoreTable(client);
  store = new DynamoStore(t.doc, t.tableName);
  maintenance = new DynamoMaintenanceStore(t.doc, t.tableName);
});

const record = (id: string, over: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
  deploymentId: id,
  service: 'web',
  environment: 'prod',
  status: 'SUCCEEDED',
  image: { repository: 'web', digest: 'sha256:a', uri: 'x@sha256:a' },
  strategy: 'canary',
  alarmNames: [],
  timeline: [],
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  ...over,
});

describe('RecordExpiry', () => {
  it('sets a TTL on an ended record without one, shortens a later one, never lengthens one nor touches an in-flight record', async () => {
    await store.createDeployment(record('no-ttl'));
    await store.createDeployment(record('late', { expiresAt: 9_000 }));
    await store.createDeployment(record('soon', { expiresAt: 100 }));
    await store.createDeployment(record('live', { status: 'IN_PROGRESS' }));
    expect(await maintenance.expire('web', 'prod', 'no-ttl', 500)).toBe(true);
    expect(await maintenance.expire('web', 'prod', 'late', 500)).toBe(true);
    expect(await maintenance.expire('web', 'prod', 'soon', 500)).toBe(false);
    expect(await maintenance.expire('web', 'prod', 'live', 500)).toBe(false);
    expect(await maintenance.expire('web', 'prod', 'missing', 500)).toBe(false);
    const by = async (id: string) => (await store.getDeployment('web', 'prod', id))?.expiresAt;
    expect([await by('no-ttl'), await by('late'), await by('soon'), await by('live')]).toEqual([500, 500, 100, undefined]);
  });
});

describe('ScalingStateStore', () => {
  it('writes version 1 once, then only on top of the version read (two writers: one wins)', async () => {
    expect(await maintenance.get('web', 'prod')).toBeUndefined();
    const first = { ...EMPTY_SCALING_STATE, version: 1, lastActionAt: { '0:alarm:busy': 1000 } };
    expect(await maintenance.put('web', 'prod', first)).toBe(true);
    expect(await maintenance.put('web', 'prod', { ...EMPTY_SCALING_STATE, version: 1 })).toBe(false);
    const a = { ...first, version: 2, lastScaleOutAt: 2000 };
    const b = { ...first, version: 2, lastScaleOutAt: 3000 };
    expect([await maintenance.put('web', 'prod', a), await maintenance.put('web', 'prod', b)]).toEqual([true, false]);
    expect(await maintenance.get('web', 'prod')).toEqual({ version: 2, lastActionAt: { '0:alarm:busy': 1000 }, lastScaleOutAt: 2000, history: [] });
  });
});
