/**
 * The store against a real DynamoDB implementation (dynalite, in process): conditional writes,
 * the GSI and the lock protocol are exercised for real, not mocked.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoStore, decideLock, type LockItem } from '../../functions/aws/store.js';
import { appendTimeline, getDeployment, recordControl } from '../../functions/aws/store-deployments.js';
import { bindTable } from '../../functions/aws/store-items.js';
import { getLock } from '../../functions/aws/store-lock.js';
import { ConflictError, ValidationError } from '../../functions/core/errors.js';
import type { DeploymentRecord } from '../../functions/core/model.js';
import { dynaliteClient, freshStoreTable, type RunningDynalite, startDynalite } from '../helpers/dynalite.js';

let db: RunningDynalite;
let client: DynamoDBClient;
let store: DynamoStore;
let tableName: string;
let docGet: (pk: string, sk: string) => Promise<Record<string, unknown> | undefined>;
const clock = { t: Date.parse('2025-01-01T00:00:00Z'), now() { return this.t; } };

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
  tableName = t.tableName;
  store = new DynamoStore(t.doc, tableName, clock);
  docGet = async (pk, sk) => (await t.doc.send(new GetCommand({ TableName: tableName, Key: { pk, sk } }))).Item;
});

const record = (over: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
  deploymentId: 'd-1',
  service: 'web',
  environment: 'prod',
  status: 'QUEUED',
  image: { repository: 'web', digest: 'sha256:aaa', tag: 'v1', uri: '1.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:aaa' },
  strategy: 'canary',
  alarmNames: ['web-5xx'],
  timeline: [],
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  ...over,
});

describe('DynamoStore deployments', () => {
  it('creates a record once and returns the stored one on replay', async () => {
    // Prepare
    const first = record();
    // Act
    const a = await store.createDeployment(first);
    const b = await store.createDeployment(record({ strategy: 'linear' }));
    // Assess
    expect(a.created).toBe(true);
    expect(b).toEqual({ record: first, created: false });
    expect(await store.getDeployment('web', 'prod', 'd-1')).toEqual(first);
  });

  it('drops undefined fields instead of failing (the doc client is not configured to)', async () => {
    await store.createDeployment(record({ plan: undefined, green: { targetGroupArn: 'tg-g', taskSetId: undefined } }));
    expect(await store.getDeployment('web', 'prod', 'd-1')).toEqual(record({ green: { targetGroupArn: 'tg-g' } }));
  });

  it('lays items out as the CDK table expects: pk/sk and the inflight GSI keys', async () => {
    await store.createDeployment(record());
    const item = await docGet('SVC#web#prod', 'DEP#d-1');
    expect(item).toMatchObject({ pk: 'SVC#web#prod', sk: 'DEP#d-1', gsi1pk: 'INFLIGHT', gsi1sk: 'web#prod#d-1' });
  });

  it('appends a timeline entry once per key', async () => {
    // Prepare
    await store.createDeployment(record());
    const entry = { key: 'shift-1', at: '2025-01-01T00:01:00.000Z', kind: 'shift', detail: { percent: 10 } };
    // Act
    await store.appendTimeline('web', 'prod', 'd-1', entry);
    await store.appendTimeline('web', 'prod', 'd-1', { ...entry, detail: { percent: 99 } });
    await store.appendTimeline('web', 'prod', 'd-1', { key: 'shift-2', at: '2025-01-01T00:02:00.000Z', kind: 'shift' });
    // Assess
    const got = await store.getDeployment('web', 'prod', 'd-1');
    expect(got?.timeline).toEqual([entry, { key: 'shift-2', at: '2025-01-01T00:02:00.000Z', kind: 'shift' }]);
  });

  it('keeps keys of entries the record was created with', async () => {
    const entry = { key: 'created', at: '2025-01-01T00:00:00.000Z', kind: 'created' };
    await store.createDeployment(record({ timeline: [entry] }));
    await store.appendTimeline('web', 'prod', 'd-1', entry);
    expect((await store.getDeployment('web', 'prod', 'd-1'))?.timeline).toEqual([entry]);
  });

  it('rejects appending to a deployment that does not exist', async () => {
    await expect(
      store.appendTimeline('web', 'prod', 'nope', { key: 'k', at: '2025-01-01T00:00:00.000Z', kind: 'x' }),
    ).rejects.toThrow(ConflictError);
  });

  it('merges an update into a non-terminal record and stamps updatedAt from the clock', async () => {
    await store.createDeployment(record());
    clock.t = Date.parse('2025-01-01T00:05:00Z');
    await store.updateDeployment('web', 'prod', 'd-1', { status: 'IN_PROGRESS', blue: { targetGroupArn: 'tg-b' } });
    expect(await store.getDeployment('web', 'prod', 'd-1')).toMatchObject({
      status: 'IN_PROGRESS',
      blue: { targetGroupArn: 'tg-b' },
      strategy: 'canary',
      updatedAt: '2025-01-01T00:05:00.000Z',
    });
  });

  it('refuses to update a terminal record, and to finish through update', async () => {
    await store.createDeployment(record());
    await expect(store.updateDeployment('web', 'prod', 'd-1', { status: 'SUCCEEDED' })).rejects.toThrow(ValidationError);
    await store.finish('web', 'prod', 'd-1', 'FAILED', { code: 'HealthCheckTimeout', message: 'slow' }, 1_800_000_000);
    await expect(store.updateDeployment('web', 'prod', 'd-1', { status: 'IN_PROGRESS' })).rejects.toThrow(ConflictError);
  });

  it('finishes once: sets reason and the TTL, removes the GSI keys and the task token', async () => {
    // Prepare
    await store.createDeployment(record({ status: 'IN_PROGRESS' }));
    await store.setTaskToken('web', 'prod', 'd-1', 'token-1', 'bake');
    const reason = { code: 'AlarmTriggered', message: 'web-5xx in ALARM' };
    // Act
    const first = await store.finish('web', 'prod', 'd-1', 'ROLLED_BACK', reason, 1_800_000_000.7);
    const replay = await store.finish('web', 'prod', 'd-1', 'ROLLED_BACK', reason, 1_900_000_000);
    // Assess
    expect([first, replay]).toEqual([true, false]);
    const item = await docGet('SVC#web#prod', 'DEP#d-1');
    expect(item).toMatchObject({ status: 'ROLLED_BACK', reason, expiresAt: 1_800_000_000 });
    expect(item).not.toHaveProperty('gsi1pk');
    expect(item).not.toHaveProperty('gsi1sk');
    expect(item).not.toHaveProperty('taskToken');
    expect(item).not.toHaveProperty('waitingFor');
  });

  it('throws ConflictError when finishing with a different terminal status', async () => {
    await store.createDeployment(record());
    await store.finish('web', 'prod', 'd-1', 'SUCCEEDED', { code: 'Promoted', message: 'ok' }, 1_800_000_000);
    await expect(
      store.finish('web', 'prod', 'd-1', 'ROLLED_BACK', { code: 'Aborted', message: 'late' }, 1_800_000_000),
    ).rejects.toThrow(ConflictError);
    expect((await store.getDeployment('web', 'prod', 'd-1'))?.status).toBe('SUCCEEDED');
  });

  it('refuses a non-terminal status in finish', async () => {
    await store.createDeployment(record());
    await expect(
      store.finish('web', 'prod', 'd-1', 'IN_PROGRESS', { code: 'x', message: 'y' }, 1),
    ).rejects.toThrow(ValidationError);
  });

  it('lists in-flight deployments across services via the GSI, ended ones left out', async () => {
    // Prepare
    await store.createDeployment(record({ deploymentId: 'a' }));
    await store.createDeployment(record({ deploymentId: 'b', service: 'api' }));
    await store.createDeployment(record({ deploymentId: 'c', environment: 'staging' }));
    await store.finish('web', 'prod', 'a', 'SUCCEEDED', { code: 'Promoted', message: 'ok' }, 1_800_000_000);
    // Act
    const inFlight = await store.listInFlight();
    // Assess
    expect(inFlight.map((r) => `${r.service}/${r.environment}/${r.deploymentId}`).sort()).toEqual([
      'api/prod/b',
      'web/staging/c',
    ]);
  });

  it('lists deployments of a service newest first, with a limit', async () => {
    await store.createDeployment(record({ deploymentId: 'z-old', createdAt: '2025-01-01T00:00:00.000Z' }));
    await store.createDeployment(record({ deploymentId: 'a-new', createdAt: '2025-01-02T00:00:00.000Z' }));
    await store.createDeployment(record({ deploymentId: 'm-mid', createdAt: '2025-01-01T12:00:00.000Z' }));
    await store.createDeployment(record({ deploymentId: 'other', service: 'api' }));
    expect((await store.listDeployments('web', 'prod')).map((r) => r.deploymentId)).toEqual(['a-new', 'm-mid', 'z-old']);
    expect((await store.listDeployments('web', 'prod', 2)).map((r) => r.deploymentId)).toEqual(['a-new', 'm-mid']);
  });

  it('stores and clears the task token; refuses to store one on an ended deployment', async () => {
    await store.createDeployment(record());
    await store.setTaskToken('web', 'prod', 'd-1', 'tok', 'approval');
    expect(await store.getDeployment('web', 'prod', 'd-1')).toMatchObject({ taskToken: 'tok', waitingFor: 'approval' });
    await store.setTaskToken('web', 'prod', 'd-1', undefined);
    const cleared = await store.getDeployment('web', 'prod', 'd-1');
    expect(cleared).not.toHaveProperty('taskToken');
    expect(cleared).not.toHaveProperty('waitingFor');
    await store.finish('web', 'prod', 'd-1', 'FAILED', { code: 'x', message: 'y' }, 1);
    await expect(store.setTaskToken('web', 'prod', 'd-1', 'late', 'bake')).rejects.toThrow(ConflictError);
  });

  it('records operator controls in order', async () => {
    await store.createDeployment(record());
    const promote = { action: 'promote', by: 'alice', at: '2025-01-01T00:03:00.000Z' };
    const abort = { action: 'abort', by: 'bob', at: '2025-01-01T00:04:00.000Z', detail: { why: 'x' } };
    await store.recordControl('web', 'prod', 'd-1', promote);
    await store.recordControl('web', 'prod', 'd-1', abort);
    expect((await store.getDeployment('web', 'prod', 'd-1'))?.controls).toEqual([promote, abort]);
  });
});

describe('DynamoStore lock', () => {
  const req = (deploymentId: string, requestedAt: string, nowMs = clock.t) => ({
    deploymentId,
    digest: `sha256:${deploymentId}`,
    requestedAt,
    leaseSeconds: 600,
    nowMs,
  });

  it('two deployments, three pushes: the middle one is superseded and the newest takes the lock', async () => {
    // Prepare: A holds; B then C push while A runs
    const a = req('A', '2025-01-01T00:00:00.000Z');
    const b = req('B', '2025-01-01T00:01:00.000Z');
    const c = req('C', '2025-01-01T00:02:00.000Z');
    // Act
    const outcomes = {
      a: await store.acquireLock('web', 'prod', a),
      b: await store.acquireLock('web', 'prod', b),
      c: await store.acquireLock('web', 'prod', c),
      bAgain: await store.acquireLock('web', 'prod', b),
    };
    await store.releaseLock('web', 'prod', 'A');
    const bAfterRelease = await store.acquireLock('web', 'prod', b);
    const cAfterRelease = await store.acquireLock('web', 'prod', c);
    // Assess
    expect(outcomes).toEqual({
      a: { outcome: 'acquired' },
      b: { outcome: 'busy', holder: 'A' },
      c: { outcome: 'busy', holder: 'A' },
      bAgain: { outcome: 'superseded', by: { deploymentId: 'C', digest: 'sha256:C' } },
    });
    expect(bAfterRelease).toEqual({ outcome: 'superseded', by: { deploymentId: 'C', digest: 'sha256:C' } });
    expect(cAfterRelease).toEqual({ outcome: 'acquired' });
    expect(await store.getLock('web', 'prod')).toEqual({ holder: 'C', leaseExpiresAt: clock.t + 600_000 });
  });

  it('an older waiter never replaces a newer one', async () => {
    await store.acquireLock('web', 'prod', req('A', '2025-01-01T00:00:00.000Z'));
    await store.acquireLock('web', 'prod', req('C', '2025-01-01T00:02:00.000Z'));
    const late = await store.acquireLock('web', 'prod', req('B', '2025-01-01T00:01:00.000Z'));
    expect(late).toEqual({ outcome: 'superseded', by: { deploymentId: 'C', digest: 'sha256:C' } });
    expect((await store.getLock('web', 'prod'))?.waiter?.deploymentId).toBe('C');
  });

  it('re-acquiring by the holder succeeds and renews the lease', async () => {
    await store.acquireLock('web', 'prod', req('A', '2025-01-01T00:00:00.000Z', 1_000));
    const again = await store.acquireLock('web', 'prod', req('A', '2025-01-01T00:00:00.000Z', 5_000));
    expect(again).toEqual({ outcome: 'acquired' });
    expect((await store.getLock('web', 'prod'))?.leaseExpiresAt).toBe(605_000);
  });

  it('a holder whose lease expired is replaced by a newer deployment', async () => {
    // Times after both claims: a claim dated after "now" (beyond the skew) is not trusted (issue #14, 3).
    const t0 = Date.parse('2025-01-01T00:02:00.000Z');
    await store.acquireLock('web', 'prod', req('A', '2025-01-01T00:00:00.000Z', t0));
    const busy = await store.acquireLock('web', 'prod', req('B', '2025-01-01T00:01:00.000Z', t0 + 599_999));
    const taken = await store.acquireLock('web', 'prod', req('B', '2025-01-01T00:01:00.000Z', t0 + 600_000));
    const stale = await store.acquireLock('web', 'prod', req('A', '2025-01-01T00:00:00.000Z', t0 + 600_001));
    expect([busy, taken, stale]).toEqual([
      { outcome: 'busy', holder: 'A' },
      { outcome: 'acquired' },
      { outcome: 'superseded', by: { deploymentId: 'B', digest: 'sha256:B' } },
    ]);
  });

  it('an older push arriving after a newer one finished is superseded, not deployed', async () => {
    await store.acquireLock('web', 'prod', req('NEW', '2025-01-01T00:05:00.000Z'));
    await store.releaseLock('web', 'prod', 'NEW');
    const old = await store.acquireLock('web', 'prod', req('OLD', '2025-01-01T00:01:00.000Z'));
    expect(old).toEqual({ outcome: 'superseded', by: { deploymentId: 'NEW', digest: 'sha256:NEW' } });
  });

  it('release by a non-holder changes nothing; release keeps the waiter so it can take the lock', async () => {
    // Prepare
    await store.acquireLock('web', 'prod', req('A', '2025-01-01T00:00:00.000Z'));
    await store.acquireLock('web', 'prod', req('B', '2025-01-01T00:01:00.000Z'));
    // Act
    await store.releaseLock('web', 'prod', 'B');
    const afterForeignRelease = await store.getLock('web', 'prod');
    await store.releaseLock('web', 'prod', 'A');
    const afterRelease = await store.getLock('web', 'prod');
    const b = await store.acquireLock('web', 'prod', req('B', '2025-01-01T00:01:00.000Z'));
    // Assess
    expect(afterForeignRelease?.holder).toBe('A');
    expect(afterRelease).toEqual({
      waiter: { deploymentId: 'B', digest: 'sha256:B', requestedAt: '2025-01-01T00:01:00.000Z' },
    });
    expect(b).toEqual({ outcome: 'acquired' });
    expect(await store.getLock('web', 'prod')).toEqual({ holder: 'B', leaseExpiresAt: clock.t + 600_000 });
  });

  it('releasing a lock that does not exist is not an error', async () => {
    await expect(store.releaseLock('web', 'prod', 'A')).resolves.toBeUndefined();
    expect(await store.getLock('web', 'prod')).toBeUndefined();
  });

  it('concurrent first requests: exactly one acquires, the others are busy or superseded', async () => {
    // Act: five deployments race for a free lock
    const ids = Array.from({ length: 5 }, (_, i) => `D${i}`);
    const results = await Promise.all(
      ids.map((id, i) => store.acquireLock('web', 'prod', req(id, `2025-01-01T00:00:0${i}.000Z`))),
    );
    // Assess
    const acquired = results.filter((r) => r.outcome === 'acquired');
    expect(acquired).toHaveLength(1);
    const lock = await store.getLock('web', 'prod');
    expect(lock?.holder).toBeDefined();
    expect(results.every((r) => r.outcome !== 'busy' || r.holder === lock?.holder)).toBe(true);
  });

  it('concurrent requests of the same deployment both see it acquired', async () => {
    const [x, y] = await Promise.all([
      store.acquireLock('web', 'prod', req('A', '2025-01-01T00:00:00.000Z')),
      store.acquireLock('web', 'prod', req('A', '2025-01-01T00:00:00.000Z')),
    ]);
    expect([x, y]).toEqual([{ outcome: 'acquired' }, { outcome: 'acquired' }]);
  });
});

describe('decideLock (pure)', () => {
  const claim = (id: string, at: string) => ({ deploymentId: id, digest: `d-${id}`, requestedAt: at });
  // "Now" is after every claim below: a claim dated beyond now (and the skew) is not trusted (issue #14, 3).
  const NOW = Date.parse('2025-01-02T00:00:00Z');
  const request = (id: string, at: string, nowMs = NOW) => ({ ...claim(id, at), leaseSeconds: 10, nowMs });
  const held: LockItem = { version: 3, holder: 'A', leaseExpiresAt: NOW + 900, granted: claim('A', '2025-01-01T00:00:00Z') };

  it.each([
    ['free lock', undefined, request('A', '2025-01-01T00:00:00Z'), { outcome: 'acquired' }],
    ['holder again', held, request('A', '2025-01-01T00:00:00Z'), { outcome: 'acquired' }],
    ['newer while held', held, request('B', '2025-01-01T00:01:00Z'), { outcome: 'busy', holder: 'A' }],
    ['older than the holder', held, request('Z', '2024-12-31T00:00:00Z'), { outcome: 'superseded', by: { deploymentId: 'A', digest: 'd-A' } }],
    [
      'older than the waiter',
      { ...held, waiter: claim('C', '2025-01-01T00:02:00Z') },
      request('B', '2025-01-01T00:01:00Z'),
      { outcome: 'superseded', by: { deploymentId: 'C', digest: 'd-C' } },
    ],
    ['expired holder', held, request('B', '2025-01-01T00:01:00Z', NOW + 900), { outcome: 'acquired' }],
  ] as const)('%s', (_name, item, req, expected) => {
    expect(decideLock(item, req).result).toEqual(expected);
  });

  it('the waiter asking again writes nothing', () => {
    const item = { ...held, waiter: claim('B', '2025-01-01T00:01:00Z') };
    expect(decideLock(item, request('B', '2025-01-01T00:01:00Z'))).toEqual({ result: { outcome: 'busy', holder: 'A' } });
  });
});

describe('DynamoStore stable pointer', () => {
  const pointer = (deploymentId: string, updatedAt = '2025-01-01T00:00:00.000Z') => ({
    deploymentId,
    taskDefinitionArn: `arn:aws:ecs:eu-west-1:1:task-definition/web:${deploymentId}`,
    digest: `sha256:${deploymentId}`,
    targetGroupArn: 'tg-blue',
    taskSetId: `ts-${deploymentId}`,
    updatedAt,
  });

  it('keeps the previous pointer and is idempotent per deploymentId', async () => {
    // Act
    await store.setStable('web', 'prod', pointer('d1'));
    await store.setStable('web', 'prod', pointer('d2', '2025-01-02T00:00:00.000Z'));
    await store.setStable('web', 'prod', pointer('d2', '2025-01-02T00:00:00.000Z'));
    // Assess
    expect(await store.getStable('web', 'prod')).toEqual({ ...pointer('d2', '2025-01-02T00:00:00.000Z'), previous: pointer('d1') });
  });

  it('has no pointer before the first success', async () => {
    expect(await store.getStable('web', 'prod')).toBeUndefined();
  });

  it('keeps only one level of history', async () => {
    await store.setStable('web', 'prod', pointer('d1'));
    await store.setStable('web', 'prod', pointer('d2'));
    await store.setStable('web', 'prod', pointer('d3'));
    const got = await store.getStable('web', 'prod');
    expect(got?.previous).toEqual(pointer('d2'));
  });
});

describe('createStoreTable', () => {
  it('creates the layout the CDK construct uses: pk/sk, GSI inflight on gsi1pk/gsi1sk with ALL', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((i) => ({ name: i.IndexName, keys: i.KeySchema, projection: i.Projection })))
      .toEqual([
        {
          name: 'inflight',
          keys: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          projection: { ProjectionType: 'ALL' },
        },
      ]);
  });
});

describe('bindTable (a handler binds only the store operations it uses)', () => {
  it('the bound operations read and write the same items as DynamoStore, and nothing else is bound', async () => {
    // Prepare: a record and a lock written through the whole store.
    await store.createDeployment(record({ status: 'IN_PROGRESS' }));
    await store.acquireLock('web', 'prod', { deploymentId: 'd-1', digest: 'sha256:aaa', requestedAt: '2025-01-01T00:00:00.000Z', leaseSeconds: 60, nowMs: clock.t });
    const bound = bindTable(store.table, { getDeployment, appendTimeline, recordControl, getLock });
    // Act
    await bound.appendTimeline('web', 'prod', 'd-1', { key: 'k-1', kind: 'control', at: '2025-01-01T00:00:01.000Z' });
    await bound.recordControl('web', 'prod', 'd-1', { action: 'hold', by: 'alice', at: '2025-01-01T00:00:02.000Z' });
    // Assess
    expect(Object.keys(bound).sort()).toEqual(['appendTimeline', 'getDeployment', 'getLock', 'recordControl']);
    const read = await bound.getDeployment('web', 'prod', 'd-1');
    expect(read).toEqual(await store.getDeployment('web', 'prod', 'd-1'));
    expect(read?.timeline.map((e) => e.key)).toEqual(['k-1']);
    expect(read?.controls).toEqual([{ action: 'hold', by: 'alice', at: '2025-01-01T00:00:02.000Z' }]);
    expect(await bound.getLock('web', 'prod')).toEqual(await store.getLock('web', 'prod'));
    expect((await bound.getLock('web', 'prod'))?.holder).toBe('d-1');
    await expect(bound.recordControl('web', 'prod', 'd-missing', { action: 'hold', by: 'a', at: '2025-01-01T00:00:03.000Z' })).rejects.toThrow(ConflictError);
  });
});
