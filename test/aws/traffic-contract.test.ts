/**
 * One contract suite run over every traffic shape (functions/core/traffic.ts) against the in-memory
 * world through the real SDK clients: set a share, read back what AWS holds, verify (verified or
 * pending, never a throw), and reset to blue 100 %. A shape added later gets the same cases by
 * adding one fixture to SHAPES.
 */
import { DescribeTaskDefinitionCommand, type ECSClient, UpdateServiceCommand, RegisterTaskDefinitionCommand, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { EcsTaskSets } from '../../functions/aws/ecs.js';
import { ElbTrafficRouter } from '../../functions/aws/elb.js';
import { LiveStateInvalid } from '../../functions/core/errors.js';
import type { TrafficKind, TrafficShape } from '../../functions/core/ports.js';
import { trafficFor } from '../../functions/core/traffic.js';
import { World } from '../../local/world/world.js';
import { clientsFor, createGreen, GOOD, LISTENER_ARN, ManualClock, NEXT, setup, TG_BLUE, TG_GREEN } from '../local/world.fixtures.js';

interface Fixture {
  readonly shape: TrafficShape;
  /** Let AWS settle (tasks start): virtual time moves on. */
  settle(): Promise<void>;
}

/** Green's share a request for `percent` achieves on the fixture's service (4 tasks / plain weights). */
type Achieved = (percent: number) => number;

async function albFixture(): Promise<Fixture> {
  const ctx = setup();
  await createGreen(ctx, NEXT, 'deploy-alb', 100);
  await ctx.clock.advance(60_000);
  const shape = trafficFor(
    { kind: 'alb-weights', route: { kind: 'listener', arn: LISTENER_ARN }, blueTargetGroupArn: TG_BLUE, greenTargetGroupArn: TG_GREEN },
    { router: new ElbTrafficRouter(ctx.elb) },
  );
  return { shape, settle: () => ctx.clock.advance(60_000) };
}

/** A worker of `desired` tasks with a green task set (no load balancer) at scale 0 beside blue. */
async function workerFixture(desired = 4): Promise<Fixture & { world: World; ecs: ECSClient; greenTaskSetId: string; blueTaskSetId: string; taskSets: EcsTaskSets }> {
  const clock = new ManualClock();
  const world = new World({ clock, seed: 11 });
  const seeded = world.createWorkerService({
    cluster: 'prod',
    service: 'orders',
    desiredCount: desired,
    containerName: 'worker',
    initialImage: { repository: 'orders', digest: GOOD, tag: 'v1' },
  });
  const { ecs } = clientsFor(world);
  world.pushImage('orders', NEXT, []);
  const current = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: seeded.taskDefinitionArn }));
  const { taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt, registeredBy, ...rest } = current.taskDefinition ?? {};
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      ...(rest as RegisterTaskDefinitionCommandInput),
      containerDefinitions: rest.containerDefinitions?.map((c) => ({ ...c, image: world.imageUri('orders', NEXT) })),
    }),
  );
  const taskSets = new EcsTaskSets(ecs);
  const { template } = await taskSets.describeTaskSetTemplate('prod', 'orders', seeded.taskSetId as string, false);
  // No targetGroupArn: CreateTaskSet without loadBalancers (a worker).
  const green = await taskSets.createTaskSet({
    cluster: 'prod',
    service: 'orders',
    taskDefinitionArn: td.taskDefinition?.taskDefinitionArn as string,
    containerName: 'worker',
    containerPort: 0,
    scalePercent: 0,
    clientToken: 'deploy-worker',
    externalId: 'deploy-worker',
    template,
  });
  const shape = trafficFor(
    { kind: 'task-share', cluster: 'prod', service: 'orders', blueTaskSetId: seeded.taskSetId as string, greenTaskSetId: green.id },
    { taskSets },
  );
  return { shape, settle: () => clock.advance(60_000), world, ecs, greenTaskSetId: green.id, blueTaskSetId: seeded.taskSetId as string, taskSets };
}

const SHAPES: ReadonlyArray<{ kind: TrafficKind; make: () => Promise<Fixture>; achieved: Achieved }> = [
  { kind: 'alb-weights', make: albFixture, achieved: (p) => p },
  // 4 tasks: a share is whole tasks (round(4 x p / 100), at least 1 for 1-99 %).
  { kind: 'task-share', make: () => workerFixture(4), achieved: (p) => (p === 0 ? 0 : p === 100 ? 100 : 25 * Math.min(3, Math.max(1, Math.round((4 * p) / 100)))) },
];

describe.each(SHAPES)('traffic contract: $kind', ({ kind, make, achieved }) => {
  it('names its kind and starts with green at 0 % (read back from AWS)', async () => {
    const { shape } = await make();
    expect(shape.kind).toBe(kind);
    const reading = await shape.readShare();
    expect(reading.kind).toBe(kind);
    expect(reading.greenPercent).toBe(0);
  });

  it('sets a share, reads back what AWS holds, and verifies it once settled', async () => {
    const { shape, settle } = await make();
    await shape.setShare(25);
    await settle();
    // Set again after settling, as the shift handler does after a pending verify (idempotent).
    const set = await shape.setShare(25);
    expect(set.greenPercent).toBe(achieved(25));
    const v = await shape.verify(25);
    expect(v.status).toBe('verified');
    expect(v.reading.greenPercent).toBe(achieved(25));
  });

  it('answers pending (with why) for a share AWS does not hold, never throws', async () => {
    const { shape, settle } = await make();
    await shape.setShare(25);
    await settle();
    const v = await shape.verify(75);
    expect(v.status).toBe('pending');
    if (v.status === 'pending') expect(v.why.length).toBeGreaterThan(10);
  });

  it('moves to 100 % and back: resetToBlue leaves green at 0 and blue at 100 %', async () => {
    const { shape, settle } = await make();
    await shape.setShare(100);
    await settle();
    await shape.setShare(100);
    expect((await shape.verify(100)).status).toBe('verified');
    expect((await shape.readShare()).greenPercent).toBe(100);
    const reset = await shape.resetToBlue();
    expect(reset.greenPercent).toBe(0);
    await settle();
    expect((await shape.verify(0)).status).toBe('verified');
  });

  it('declares whether a pending set may settle (capability)', async () => {
    const { shape } = await make();
    expect(shape.settles).toBe(kind === 'task-share');
  });
});

describe('traffic selector', () => {
  it('a shape without the port it needs is an error naming the shape, never another shape', () => {
    expect(() => trafficFor({ kind: 'task-share', cluster: 'c', service: 's', greenTaskSetId: 'g' }, { router: {} as never })).toThrow(
      /\[traffic: task-share\] needs TaskSets/,
    );
    expect(() =>
      trafficFor({ kind: 'alb-weights', route: { kind: 'listener', arn: LISTENER_ARN }, blueTargetGroupArn: TG_BLUE, greenTargetGroupArn: TG_GREEN }, {}),
    ).toThrow(LiveStateInvalid);
  });
});

describe('task-share on the world: the real share is read back', () => {
  it('3 tasks at 10 %: green gets 1 task and the share is 33 %; blue keeps 2', async () => {
    const f = await workerFixture(3);
    await f.shape.setShare(10);
    await f.settle();
    const reading = await f.shape.setShare(10);
    expect(reading.greenPercent).toBe(33);
    expect(reading.detail).toMatchObject({ greenTasks: 1, blueTasks: 2, desiredCount: 3 });
    await f.settle();
    expect((await f.shape.verify(10)).status).toBe('verified');
  });

  it('2 tasks at 10 %: green 1, blue 1 (50 %)', async () => {
    const f = await workerFixture(2);
    await f.shape.setShare(10);
    await f.settle();
    expect((await f.shape.setShare(10)).greenPercent).toBe(50);
  });

  it('pending while green tasks start, and blue keeps all its tasks until they run', async () => {
    const f = await workerFixture(4);
    const first = await f.shape.setShare(50);
    expect(first.detail).toMatchObject({ greenTasks: 2, blueTasks: 4 });
    const before = await f.shape.verify(50);
    expect(before.status).toBe('pending');
    if (before.status === 'pending') expect(before.why).toMatch(/green runs 0 of its 2 tasks/);
    await f.settle();
    const again = await f.shape.setShare(50);
    expect(again.detail).toMatchObject({ greenTasks: 2, blueTasks: 2 });
    expect((await f.shape.verify(50)).status).toBe('verified');
  });

  it('ECS computes exactly the tasks the scales were chosen for (ceil rounding)', async () => {
    const f = await workerFixture(4);
    await f.shape.setShare(25);
    await f.settle();
    await f.shape.setShare(25);
    const svc = await f.taskSets.describeService('prod', 'orders');
    const green = svc.taskSets.find((t) => t.id === f.greenTaskSetId);
    expect(green?.computedDesiredCount).toBe(1);
    expect(svc.taskSets.find((t) => t.id === f.blueTaskSetId)?.computedDesiredCount).toBe(3);
  });

  it('scaling the service during the canary keeps the shares (task sets are percentages of it)', async () => {
    const f = await workerFixture(3);
    await f.shape.setShare(10);
    await f.settle();
    await f.shape.setShare(10);
    await f.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'orders', desiredCount: 6 }));
    const reading = await f.shape.readShare();
    expect(reading.detail).toMatchObject({ desiredCount: 6, greenTasks: 2, blueTasks: 4 });
    expect(reading.greenPercent).toBe(33);
  });
});

