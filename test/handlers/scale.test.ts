/**
 * The scale handler with the real store and scaling state (dynalite) and small fakes for ECS
 * capacity and the scalable target: claim-first concurrency, failure handling, deployment events.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoMaintenanceStore } from '../../functions/aws/store-maintenance.js';
import { DynamoStore } from '../../functions/aws/store.js';
import { AwsThrottled, ValidationError } from '../../functions/core/errors.js';
import type { MaintenanceAction } from '../../functions/core/maintenance.js';
import type { DeploymentRecord } from '../../functions/core/model.js';
import type { ScalableTargetInfo, ScalableTargets, ServiceCapacity } from '../../functions/core/ports.js';
import { createHandler, type ScaleResult } from '../../functions/handlers/scale.js';
import { dynaliteClient, freshStoreTable, type RunningDynalite, startDynalite } from '../helpers/dynalite.js';
import { ACCOUNT, CLUSTER, ECS_SERVICE, FakeAlarms, FakeEvents, FakeTaskSets, ManualClock, REGION, T0, testConfig, testEnv } from '../helpers/fakes.js';

class FakeCapacity implements ServiceCapacity {
  desired = 4;
  failNext = 0;
  async desiredCount(): Promise<number> {
    return this.desired;
  }
  async setDesiredCount(_c: string, _s: string, n: number): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new AwsThrottled('ECS:UpdateService failed: ThrottlingException: Rate exceeded');
    }
    this.desired = n;
  }
}
class FakeTargets implements ScalableTargets {
  target: ScalableTargetInfo | undefined = { resourceId: `service/${CLUSTER}/${ECS_SERVICE}`, minCapacity: 2, maxCapacity: 8, scaleInSuspended: false };
  constructor(private readonly capacity: FakeCapacity) {}
  async describe(): Promise<ScalableTargetInfo | undefined> {
    return this.target ? { ...this.target } : undefined;
  }
  async setBounds(resourceId: string, minCapacity: number, maxCapacity: number): Promise<void> {
    this.target = { resourceId, minCapacity, maxCapacity, scaleInSuspended: this.target?.scaleInSuspended ?? false };
    this.capacity.desired = Math.min(maxCapacity, Math.max(minCapacity, this.capacity.desired));
  }
  async setScaleInSuspended(_id: string, suspended: boolean): Promise<void> {
    if (this.target) this.target = { ...this.target, scaleInSuspended: suspended };
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

const SCALING = {
  minCount: 2,
  maxCount: 8,
  targetCpuPercent: 60,
  rules: [
    { alarmName: 'web-busy', adjustment: 2, cooldownSeconds: 300 },
    { alarmName: 'web-quiet', adjustment: -2, cooldownSeconds: 60 },
    { schedule: 'cron(0 8 * * ? *)', minCount: 4, maxCount: 8 },
  ],
};

let clock: ManualClock;
let capacity: FakeCapacity;
let targets: FakeTargets;
let alarms: FakeAlarms;
let events: FakeEvents;
let store: DynamoStore;
let scaling: DynamoMaintenanceStore;
let handler: (e: unknown) => Promise<ScaleResult>;
beforeEach(async () => {
  const t = await freshStoreTable(client);
  clock = new ManualClock(T0);
  capacity = new FakeCapacity();
  targets = new FakeTargets(capacity);
  alarms = new FakeAlarms();
  events = new FakeEvents();
  store = new DynamoStore(t.doc, t.tableName, clock);
  scaling = new DynamoMaintenanceStore(t.doc, t.tableName);
  const h = createHandler({
    env: testEnv(testConfig({ web: { scaling: SCALING } })),
    clock,
    capacity,
    taskSets: new FakeTaskSets(clock),
    targets,
    alarms,
    store,
    scaling,
    events,
    logLevel: 'SILENT',
  });
  handler = (e) => h(e) as Promise<ScaleResult>;
});

const alarmEvent = (alarmName: string, value = 'ALARM', id = 'e1') => ({
  version: '0',
  id,
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: ACCOUNT,
  time: new Date(clock.now()).toISOString(),
  region: REGION,
  resources: [],
  detail: { alarmName, state: { value, reason: 'r', timestamp: new Date(clock.now()).toISOString() } },
});
const deploymentEvent = (detailType: string, deploymentId = 'd-1') => ({
  version: '0',
  id: `x-${detailType}`,
  'detail-type': detailType,
  source: 'cutover',
  account: ACCOUNT,
  time: new Date(clock.now()).toISOString(),
  region: REGION,
  resources: [],
  detail: { service: 'web', environment: 'production', deploymentId },
});
/** A deployment record as validate writes it (IN_PROGRESS). */
const inFlightRecord = (deploymentId: string): DeploymentRecord => ({
  deploymentId,
  service: 'web',
  environment: 'production',
  status: 'IN_PROGRESS',
  image: { repository: 'web', digest: `sha256:${'1'.repeat(64)}`, uri: `x@sha256:${'1'.repeat(64)}` },
  strategy: 'canary',
  alarmNames: [],
  timeline: [],
  createdAt: new Date(T0).toISOString(),
  updatedAt: new Date(T0).toISOString(),
});
const outcomes = (actions: readonly MaintenanceAction[]) => actions.map((a) => `${a.kind} ${a.outcome}`);

describe('scale handler', () => {
  it('an alarm scales by its step, records the action and announces it; the same alarm within the cooldown does nothing', async () => {
    const first = await handler(alarmEvent('web-busy'));
    clock.advance(60_000);
    const second = await handler(alarmEvent('web-busy', 'ALARM', 'e2'));
    expect(outcomes([...first.actions, ...second.actions])).toEqual(['scale done', 'scale skipped']);
    expect(capacity.desired).toBe(6);
    expect((await scaling.get('web', 'production'))?.history.map((a) => a.outcome)).toEqual(['done', 'skipped']);
    expect(events.of('Scaling Action')).toHaveLength(2);
  });

  it('two events at once: the conditional claim lets exactly one act', async () => {
    const both = await Promise.all([handler(alarmEvent('web-busy', 'ALARM', 'a')), handler(alarmEvent('web-busy', 'ALARM', 'b'))]);
    expect(outcomes(both.flatMap((r) => r.actions)).sort()).toEqual(['scale done', 'scale skipped']);
    expect(capacity.desired).toBe(6);
  });

  it('an ECS failure gives the cooldown back and rethrows (EventBridge retries), and the retry acts', async () => {
    capacity.failNext = 1;
    await expect(handler(alarmEvent('web-busy'))).rejects.toThrow(AwsThrottled);
    expect(capacity.desired).toBe(4);
    const retry = await handler(alarmEvent('web-busy'));
    expect(outcomes(retry.actions)).toEqual(['scale done']);
    expect((await scaling.get('web', 'production'))?.history.map((a) => a.outcome)).toEqual(['done', 'failed', 'done']);
  });

  it('ignores OK states and alarms no rule names; rejects foreign events and a schedule index that is not a schedule', async () => {
    await expect(handler(alarmEvent('web-busy', 'OK'))).resolves.toEqual({ ignored: 'state OK: only ALARM scales', actions: [] });
    await expect(handler(alarmEvent('other'))).resolves.toMatchObject({ ignored: 'no scaling rule names alarm other' });
    await expect(handler({ source: 'aws.ec2' })).rejects.toThrow(ValidationError);
    await expect(
      handler({ source: 'cutover.scheduler', kind: 'scheduled-scaling', service: 'web', environment: 'production', ruleIndex: 0 }),
    ).rejects.toThrow(/ruleIndex: 0 is not a schedule rule/);
    expect(capacity.desired).toBe(4);
  });

  it('a schedule sets the bounds and moves the desired count into them', async () => {
    const r = await handler({ source: 'cutover.scheduler', kind: 'scheduled-scaling', service: 'web', environment: 'production', ruleIndex: 2 });
    expect(outcomes(r.actions)).toEqual(['set-bounds done']);
    expect(targets.target).toMatchObject({ minCapacity: 4, maxCapacity: 8 });
  });

  it('during a deployment: scale-in suspended and deferred; at its end resumed and replayed while the alarm still fires, dropped when it does not', async () => {
    // Prepare: a deployment in progress holds the lock and is on record (a start event is checked against it).
    await store.acquireLock('web', 'production', { deploymentId: 'd-1', digest: 'sha256:1', requestedAt: new Date(T0).toISOString(), leaseSeconds: 3600, nowMs: clock.now() });
    await store.createDeployment(inFlightRecord('d-1'));
    capacity.desired = 6;
    const started = await handler(deploymentEvent('Deployment Started'));
    const quiet = await handler(alarmEvent('web-quiet'));
    expect(outcomes([...started.actions, ...quiet.actions])).toEqual(['suspend-scale-in done', 'scale deferred']);
    expect(targets.target?.scaleInSuspended).toBe(true);
    expect(capacity.desired).toBe(6);
    // Act: the deployment ends while web-quiet is still in ALARM.
    await store.finish('web', 'production', 'd-1', 'SUCCEEDED', { code: 'Succeeded', message: 'done' }, T0 / 1000 + 86400);
    await store.releaseLock('web', 'production', 'd-1');
    alarms.set('web-quiet', 'ALARM');
    const ended = await handler(deploymentEvent('Deployment Succeeded'));
    // Assess
    expect(outcomes(ended.actions)).toEqual(['resume-scale-in done', 'scale done']);
    expect(capacity.desired).toBe(4);
    expect((await scaling.get('web', 'production'))?.pending).toBeUndefined();
  });

  it('a deferred scale-in is dropped when its alarm is no longer in ALARM', async () => {
    await store.acquireLock('web', 'production', { deploymentId: 'd-1', digest: 'sha256:1', requestedAt: new Date(T0).toISOString(), leaseSeconds: 3600, nowMs: clock.now() });
    capacity.desired = 6;
    await handler(alarmEvent('web-quiet'));
    await store.releaseLock('web', 'production', 'd-1');
    alarms.set('web-quiet', 'OK');
    const ended = await handler(deploymentEvent('Deployment Rolled Back'));
    expect(ended.actions.map((a) => `${a.outcome}: ${a.reason}`)).toEqual(['skipped: deferred scale-in dropped: alarm web-quiet is OK now']);
    expect((await scaling.get('web', 'production'))?.pending).toBeUndefined();
    expect(capacity.desired).toBe(6);
  });
});
