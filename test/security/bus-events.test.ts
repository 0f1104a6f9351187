/**
 * Issue #14 (8): anyone in the account could put events on Cutover's bus, and a forged
 * `Deployment Started` suspended scale-in with nothing in flight. The scale handler now checks a
 * start against the store, ignores archive replays (`replay-name`) and events of another account or
 * region. (The bus policy that admits only Cutover's roles is checked in iam.test.ts.)
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoMaintenanceStore } from '../../functions/aws/store-maintenance.js';
import { DynamoStore } from '../../functions/aws/store.js';
import type { DeploymentRecord } from '../../functions/core/model.js';
import type { ScalableTargetInfo, ScalableTargets, ServiceCapacity } from '../../functions/core/ports.js';
import { createHandler, type ScaleResult } from '../../functions/handlers/scale.js';
import { dynaliteClient, freshStoreTable, type RunningDynalite, startDynalite } from '../helpers/dynalite.js';
import { ACCOUNT, CLUSTER, ECS_SERVICE, FakeAlarms, FakeEvents, FakeTaskSets, ManualClock, REGION, T0, testConfig, testEnv } from '../helpers/fakes.js';

class Capacity implements ServiceCapacity {
  desired = 4;
  async desiredCount(): Promise<number> {
    return this.desired;
  }
  async setDesiredCount(_c: string, _s: string, n: number): Promise<void> {
    this.desired = n;
  }
}
class Targets implements ScalableTargets {
  target: ScalableTargetInfo = { resourceId: `service/${CLUSTER}/${ECS_SERVICE}`, minCapacity: 2, maxCapacity: 8, scaleInSuspended: false };
  async describe(): Promise<ScalableTargetInfo | undefined> {
    return { ...this.target };
  }
  async setBounds(resourceId: string, minCapacity: number, maxCapacity: number): Promise<void> {
    this.target = { ...this.target, resourceId, minCapacity, maxCapacity };
  }
  async setScaleInSuspended(_id: string, suspended: boolean): Promise<void> {
    this.target = { ...this.target, scaleInSuspended: suspended };
  }
}

let db: RunningDynalite;
let client: DynamoDBClient;
beforeAll(async () => {
  db = await startDynalite();
  client = dynaliteClient(db.endpoint);
});
afterAll(async () => {
  client.destroy();
  await db.close();
});

let clock: ManualClock;
let targets: Targets;
let store: DynamoStore;
let handler: (e: unknown) => Promise<ScaleResult>;
beforeEach(async () => {
  const t = await freshStoreTable(client);
  clock = new ManualClock(T0);
  targets = new Targets();
  store = new DynamoStore(t.doc, t.tableName, clock);
  const h = createHandler({
    env: testEnv(testConfig({ web: { scaling: { minCount: 2, maxCount: 8, targetCpuPercent: 60, rules: [] } } })),
    clock,
    capacity: new Capacity(),
    taskSets: new FakeTaskSets(clock),
    targets,
    alarms: new FakeAlarms(),
    store,
    scaling: new DynamoMaintenanceStore(t.doc, t.tableName),
    events: new FakeEvents(),
    logLevel: 'SILENT',
  });
  handler = (e) => h(e) as Promise<ScaleResult>;
});

const started = (deploymentId: string, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: `forged-${deploymentId}`,
  'detail-type': 'Deployment Started',
  source: 'cutover',
  account: ACCOUNT,
  time: new Date(clock.now()).toISOString(),
  region: REGION,
  resources: [],
  detail: { service: 'web', environment: 'production', deploymentId },
  ...extra,
});
const record = (deploymentId: string, status: DeploymentRecord['status']): DeploymentRecord => ({
  deploymentId,
  service: 'web',
  environment: 'production',
  status,
  image: { repository: 'web', digest: `sha256:${'2'.repeat(64)}`, uri: `x@sha256:${'2'.repeat(64)}` },
  strategy: 'canary',
  alarmNames: [],
  timeline: [],
  createdAt: new Date(T0).toISOString(),
  updatedAt: new Date(T0).toISOString(),
});

describe('forged and replayed deployment events on Cutover bus', () => {
  it('a forged Deployment Started with nothing in flight suspends nothing', async () => {
    const r = await handler(started('d-forged'));

    expect(r.actions).toEqual([]);
    expect(r.ignored).toMatch(/no deployment d-forged of web\/production is in flight on record/);
    expect(targets.target.scaleInSuspended).toBe(false);
  });

  it('a start naming a deployment that already ended suspends nothing', async () => {
    await store.createDeployment(record('d-old', 'IN_PROGRESS'));
    await store.finish('web', 'production', 'd-old', 'SUCCEEDED', { code: 'Succeeded', message: 'done' }, T0 / 1000 + 86400);

    const r = await handler(started('d-old'));

    expect(r.ignored).toMatch(/it is SUCCEEDED/);
    expect(targets.target.scaleInSuspended).toBe(false);
  });

  it('an archive replay of a real start is ignored, even while that deployment is in flight', async () => {
    await store.createDeployment(record('d-1', 'IN_PROGRESS'));

    const r = await handler(started('d-1', { 'replay-name': 'investigate-2026-01-01' }));

    expect(r.ignored).toMatch(/replayed from an archive/);
    expect(targets.target.scaleInSuspended).toBe(false);
  });

  it('an event of another account or region is ignored', async () => {
    await store.createDeployment(record('d-1', 'IN_PROGRESS'));

    expect((await handler(started('d-1', { account: '999999999999' }))).ignored).toMatch(/not this control plane's/);
    expect((await handler(started('d-1', { region: 'ap-south-1' }))).ignored).toMatch(/not this control plane's/);
    expect(targets.target.scaleInSuspended).toBe(false);
  });

  it('the start of a deployment in flight on record suspends scale-in', async () => {
    await store.createDeployment(record('d-1', 'IN_PROGRESS'));

    const r = await handler(started('d-1'));

    expect(r.actions.map((a) => `${a.kind} ${a.outcome}`)).toEqual(['suspend-scale-in done']);
    expect(targets.target.scaleInSuspended).toBe(true);
  });
});
