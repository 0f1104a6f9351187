/**
 * Scaling a worker during its canary keeps the share of tasks (issue #18): after a desired-count
 * change, green's and blue's scales are set again for the share in force, so their tasks sum to the
 * new count at the real share (ECS rounds each task set up: the old scales leave each side off by
 * about a task). The scale handler with the real store (dynalite) and FakeTaskSets, which computes
 * ceil(desired x scale / 100) as ECS does.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoMaintenanceStore } from '../../functions/aws/store-maintenance.js';
import { DynamoStore } from '../../functions/aws/store.js';
import type { DeploymentRecord, TimelineEntry } from '../../functions/core/model.js';
import type { ScalableTargetInfo, ScalableTargets, ServiceCapacity, TaskSetInfo } from '../../functions/core/ports.js';
import { shareInForce, TaskShareTraffic, taskShare } from '../../functions/core/traffic.js';
import { createHandler, type ScaleResult } from '../../functions/handlers/scale.js';
import { dynaliteClient, freshStoreTable, type RunningDynalite, startDynalite } from '../helpers/dynalite.js';
import { ACCOUNT, CLUSTER, CONTAINER, FakeAlarms, FakeEvents, FakeTaskSets, ManualClock, REGION, REPOSITORY, T0, testConfig, testEnv } from '../helpers/fakes.js';

const SERVICE = 'orders';
const BLUE = 'ts-blue';
const GREEN = 'ts-green';
const TD = (n: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/orders:${n}`;

/** The service's desired count is the fake ECS's: task sets are rescaled with it (ceil), as ECS does. */
class EcsCapacity implements ServiceCapacity {
  constructor(private readonly ecs: FakeTaskSets) {}
  async desiredCount(cluster: string, service: string): Promise<number> {
    return (await this.ecs.describeService(cluster, service)).desiredCount;
  }
  async setDesiredCount(cluster: string, service: string, n: number): Promise<void> {
    this.ecs.setDesiredCount(cluster, service, n);
  }
}
class Targets implements ScalableTargets {
  async describe(): Promise<ScalableTargetInfo | undefined> {
    return { resourceId: `service/${CLUSTER}/${SERVICE}`, minCapacity: 1, maxCapacity: 12, scaleInSuspended: false };
  }
  async setBounds(): Promise<void> {}
  async setScaleInSuspended(): Promise<void> {}
}

const WORKER = {
  name: SERVICE,
  environment: 'production',
  cluster: CLUSTER,
  service: SERVICE,
  containerName: CONTAINER,
  repository: REPOSITORY,
  strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
  analysis: { enabled: false },
  scaling: { minCount: 1, maxCount: 12, rules: [{ alarmName: 'orders-backlog', adjustment: 3, cooldownSeconds: 60 }] },
};
const PLAN = { strategy: 'canary', steps: [{ kind: 'shift' as const, percent: 10 }, { kind: 'bake' as const, seconds: 300 }, { kind: 'shift' as const, percent: 100 }] };
const at = new Date(T0).toISOString();
const shifted = (percent: number, achievedPercent: number): TimelineEntry => ({ key: 'shift-0', at, kind: 'shift', detail: { traffic: 'task-share', percent, achievedPercent } });

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
let ecs: FakeTaskSets;
let store: DynamoStore;
let handler: (e: unknown) => Promise<ScaleResult>;
beforeEach(async () => {
  const t = await freshStoreTable(client);
  clock = new ManualClock(T0);
  ecs = new FakeTaskSets(clock);
  store = new DynamoStore(t.doc, t.tableName, clock);
  const h = createHandler({
    env: testEnv(testConfig({ extraServices: [WORKER] })),
    clock,
    capacity: new EcsCapacity(ecs),
    taskSets: ecs,
    targets: new Targets(),
    alarms: new FakeAlarms(),
    store,
    scaling: new DynamoMaintenanceStore(t.doc, t.tableName),
    events: new FakeEvents(),
    logLevel: 'SILENT',
  });
  handler = (e) => h(e) as Promise<ScaleResult>;
});

/** Blue and green of a worker canary at `desired` tasks, steady, with their scales; the deployment in flight on record. */
async function canary(desired: number, blueScale: number, greenScale: number, timeline: TimelineEntry[]): Promise<void> {
  ecs.addService(CLUSTER, SERVICE, { desiredCount: desired });
  ecs.addTaskSet(CLUSTER, SERVICE, { id: BLUE, taskDefinitionArn: TD(1), targetGroupArn: '', scalePercent: blueScale, status: 'PRIMARY' });
  ecs.addTaskSet(CLUSTER, SERVICE, { id: GREEN, taskDefinitionArn: TD(2), targetGroupArn: '', scalePercent: greenScale, status: 'ACTIVE' });
  await store.acquireLock(SERVICE, 'production', { deploymentId: 'd-1', digest: 'sha256:1', requestedAt: at, leaseSeconds: 3600, nowMs: clock.now() });
  const record: DeploymentRecord = {
    deploymentId: 'd-1',
    service: SERVICE,
    environment: 'production',
    status: 'IN_PROGRESS',
    image: { repository: REPOSITORY, digest: `sha256:${'1'.repeat(64)}`, uri: `x@sha256:${'1'.repeat(64)}` },
    strategy: 'canary',
    plan: PLAN,
    blue: { taskSetId: BLUE, taskDefinitionArn: TD(1) },
    green: { taskSetId: GREEN, taskDefinitionArn: TD(2), version: 'd-1' },
    alarmNames: [],
    timeline: [],
    createdAt: at,
    updatedAt: at,
  };
  await store.createDeployment(record);
  for (const e of timeline) await store.appendTimeline(SERVICE, 'production', 'd-1', e);
}

const alarm = (id = 'e1') => ({
  version: '0',
  id,
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: ACCOUNT,
  time: at,
  region: REGION,
  resources: [],
  detail: { alarmName: 'orders-backlog', state: { value: 'ALARM', reason: 'r', timestamp: at } },
});
const sides = (): { green: TaskSetInfo; blue: TaskSetInfo } => ({
  green: ecs.find(CLUSTER, SERVICE, GREEN) as TaskSetInfo,
  blue: ecs.find(CLUSTER, SERVICE, BLUE) as TaskSetInfo,
});

describe('shareInForce', () => {
  it('reads the newest shift, rollback or promotion; before any shift, the first step of the plan', () => {
    expect(shareInForce([], PLAN)).toEqual({ phase: 'before-shift', percent: 10 });
    expect(shareInForce([shifted(10, 50)], PLAN)).toEqual({ phase: 'shifted', percent: 10 });
    expect(shareInForce([shifted(10, 50), { key: 'rollback-traffic', at, kind: 'rollback', detail: { achievedPercent: 0 } }], PLAN)).toEqual({
      phase: 'settled',
      percent: 0,
    });
    expect(shareInForce([shifted(10, 50), { key: 'shift-2', at, kind: 'shift', detail: { percent: 100 } }], PLAN)).toEqual({ phase: 'settled', percent: 100 });
    expect(shareInForce([shifted(10, 50), { key: 'promoted', at, kind: 'promote' }], PLAN)).toEqual({ phase: 'settled', percent: 100 });
    expect(shareInForce([], { strategy: 'first-deployment', steps: [{ kind: 'shift', percent: 100 }] })).toEqual({ phase: 'settled', percent: 100 });
  });
});

describe('scale handler: a worker during its canary', () => {
  it('a scale-out (2 -> 5 tasks at 10 %) sets the scales again: green 1 + blue 4 = 5 (20 %), not 3 + 3', async () => {
    // Arrange: 10 % of 2 tasks is green 1 / blue 1 (scales 50 / 50), shifted and running.
    const s2 = taskShare(2, 10);
    await canary(2, s2.blueScale, s2.greenScale, [shifted(10, 50)]);
    // Act
    const out = await handler(alarm());
    // Assess: the count changed and the share held at the new count.
    const [action] = out.actions;
    expect(action?.outcome).toBe('done');
    expect((await ecs.describeService(CLUSTER, SERVICE)).desiredCount).toBe(5);
    const { green, blue } = sides();
    expect([green.scalePercent, blue.scalePercent]).toEqual([20, 80]);
    expect([green.computedDesiredCount, blue.computedDesiredCount]).toEqual([1, 4]);
    expect(green.computedDesiredCount + blue.computedDesiredCount).toBe(5);
    expect(action?.detail).toMatchObject({ traffic: 'task-share', share: 'verified', percent: 10, achievedPercent: 20, greenTasks: 1, blueTasks: 4 });
    expect(action?.reason).toMatch(/share of tasks \(shifted 10 %\) verified: green 1 \/ blue 4 of 5 \(20 % on green\)/);
  });

  it('without the re-apply ECS would run 3 + 3 (the drift the handler removes)', async () => {
    // The same start, the count changed directly (no handler): ECS's ceil leaves each side a task over.
    const s2 = taskShare(2, 10);
    await canary(2, s2.blueScale, s2.greenScale, [shifted(10, 50)]);
    ecs.setDesiredCount(CLUSTER, SERVICE, 5);
    const { green, blue } = sides();
    expect([green.computedDesiredCount, blue.computedDesiredCount]).toEqual([3, 3]);
  });

  it('when green must grow first (4 -> 7 at 50 %), blue gives up tasks only once they run: pending, never below the count green lacks', async () => {
    const s4 = taskShare(4, 50);
    await canary(4, s4.blueScale, s4.greenScale, [shifted(50, 50)]);
    const out = await handler(alarm());
    const want = taskShare(7, 50); // green 4 (57.15 %), blue 3 (42.86 %)
    const { green, blue } = sides();
    expect(green.scalePercent).toBe(want.greenScale);
    expect(green.computedDesiredCount).toBe(want.greenTasks);
    // Green runs 2 of its 4: blue is not scaled down (ceil(7 x 50 %) = 4 tasks), so no consumer of
    // the 4 before the change is lost while green's new tasks start.
    expect(green.runningCount).toBe(2);
    expect(blue.scalePercent).toBe(50);
    expect(blue.computedDesiredCount + green.runningCount).toBeGreaterThanOrEqual(4);
    expect(out.actions[0]?.detail).toMatchObject({ share: 'pending', percent: 50 });
    expect(out.actions[0]?.reason).toMatch(/green runs 2 of its 4 tasks/);
    // Once they run, the next set of the share (the shift's check) gives blue its 3: 4 + 3 = 7.
    ecs.settle(CLUSTER, SERVICE, GREEN);
    await new TaskShareTraffic(ecs, { kind: 'task-share', cluster: CLUSTER, service: SERVICE, blueTaskSetId: BLUE, greenTaskSetId: GREEN }).setShare(50);
    const after = sides();
    expect([after.green.computedDesiredCount, after.blue.computedDesiredCount]).toEqual([want.greenTasks, want.blueTasks]);
    expect(want.greenTasks + want.blueTasks).toBe(7);
  });

  it('before the first shift: green at the first step share of the new count, blue stays at 100 %', async () => {
    await canary(2, 100, taskShare(2, 10).greenScale, []);
    const out = await handler(alarm());
    const { green, blue } = sides();
    expect([green.scalePercent, green.computedDesiredCount]).toEqual([20, 1]);
    expect([blue.scalePercent, blue.computedDesiredCount]).toEqual([100, 5]);
    expect(out.actions[0]?.detail).toMatchObject({ share: 'verified', percent: 10 });
  });

  it('while a shift settles (green already at the next step) nothing is set: the shift sets the scales for the count it reads', async () => {
    // The timeline says 10 % of 4 (green 25 %), green is already at 50 %: a shift to 50 % is under way.
    await canary(4, 75, 50, [shifted(10, 25)]);
    const out = await handler(alarm());
    const { green, blue } = sides();
    expect([green.scalePercent, blue.scalePercent]).toEqual([50, 75]);
    expect(out.actions[0]?.detail).toMatchObject({ share: 'unchanged' });
    expect(out.actions[0]?.reason).toMatch(/a shift is settling/);
  });

  it('with no deployment in flight only the count changes (one task set at 100 % follows exactly)', async () => {
    ecs.addService(CLUSTER, SERVICE, { desiredCount: 2 });
    ecs.addTaskSet(CLUSTER, SERVICE, { id: BLUE, taskDefinitionArn: TD(1), targetGroupArn: '', scalePercent: 100 });
    const out = await handler(alarm());
    expect(out.actions[0]?.detail).not.toHaveProperty('share');
    expect(sides().blue.computedDesiredCount).toBe(5);
  });
});
