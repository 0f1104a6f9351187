/**
 * Worker services in the world (issue #18): an EXTERNAL service with no load balancer, task sets
 * without loadBalancers, ECS's rounding of computedDesiredCount, tasks that crash or run out of
 * memory as DescribeTasks reports them, container health checks, and the per-version application
 * metrics and queue age published every virtual minute (local/world/workers.ts).
 */
import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateServiceCommand,
  UpdateTaskSetCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { ESSENTIAL_EXITED, FAILED_HEALTH_CHECKS, OOM_REASON } from '../../local/world/ecs.js';
import { type CreateWorkerServiceSpec, World } from '../../local/world/world.js';
import { QUEUE_AGE_METRIC } from '../../local/world/workers.js';
import { BAD, clientsFor, GOOD, ManualClock, NEXT } from './world.fixtures.js';

const WORKER: CreateWorkerServiceSpec = {
  cluster: 'prod',
  service: 'orders-worker',
  desiredCount: 4,
  containerName: 'worker',
  initialImage: { repository: 'orders', digest: GOOD, tag: 'v1' },
  metrics: { namespace: 'Orders', processedPerMinute: 600, dimensions: { service: 'orders-worker', version: '{version}' }, queueName: 'orders' },
};

function setupWorker(spec: Partial<CreateWorkerServiceSpec> = {}) {
  const clock = new ManualClock();
  const world = new World({ clock, seed: 11 });
  const seeded = world.createWorkerService({ ...WORKER, ...spec });
  world.start();
  return { clock, world, seeded, ...clientsFor(world) };
}

type Ctx = ReturnType<typeof setupWorker>;

/** Register a revision of the worker with `digest` and CUTOVER_VERSION `version`, and create its task set (no loadBalancers). */
async function createGreenWorker(ctx: Ctx, digest: string, version: string, scale: number) {
  const { ecs, world, seeded } = ctx;
  world.pushImage('orders', digest, []);
  const current = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: seeded.taskDefinitionArn }));
  const { taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt, registeredBy, ...rest } = current.taskDefinition ?? {};
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      ...(rest as RegisterTaskDefinitionCommandInput),
      containerDefinitions: rest.containerDefinitions?.map((c) => ({
        ...c,
        image: world.imageUri('orders', digest),
        environment: [
          { name: 'CUTOVER_VERSION', value: version },
          { name: 'CUTOVER_COLOR', value: 'green' },
        ],
      })),
    }),
  );
  const template = world.taskSets('prod', 'orders-worker')[0];
  const described = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['orders-worker'] }))).services?.[0]?.taskSets?.[0];
  const out = await ecs.send(
    new CreateTaskSetCommand({
      cluster: 'prod',
      service: 'orders-worker',
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      externalId: version,
      clientToken: version,
      launchType: described?.launchType,
      networkConfiguration: described?.networkConfiguration,
      scale: { unit: 'PERCENT', value: scale },
    }),
  );
  return { green: out.taskSet, blue: template };
}

async function stoppedTasks(ctx: Ctx, taskSetId: string) {
  const listed = await ctx.ecs.send(new ListTasksCommand({ cluster: 'prod', startedBy: taskSetId, desiredStatus: 'STOPPED' }));
  if (!listed.taskArns?.length) return [];
  return (await ctx.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: listed.taskArns.slice(0, 100) }))).tasks ?? [];
}

async function metricSum(ctx: Ctx, namespace: string, metricName: string, dims: Record<string, string>, stat: string, minutes: number) {
  const end = Math.floor(ctx.clock.now() / 60_000) * 60_000;
  const out = await ctx.cw.send(
    new GetMetricDataCommand({
      StartTime: new Date(end - minutes * 60_000),
      EndTime: new Date(end),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'm',
          MetricStat: { Metric: { Namespace: namespace, MetricName: metricName, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) }, Period: 60, Stat: stat },
        },
      ],
    }),
  );
  return out.MetricDataResults?.[0]?.Values ?? [];
}

describe('world: worker services (no load balancer)', () => {
  it('creates an EXTERNAL service with no load balancer, a steady primary task set without loadBalancers, and the version in its environment', async () => {
    // Prepare
    const ctx = setupWorker();
    // Act
    const svc = (await ctx.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['orders-worker'] }))).services?.[0];
    const td = (await ctx.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ctx.seeded.taskDefinitionArn }))).taskDefinition;
    // Assess
    expect(svc?.deploymentController?.type).toBe('EXTERNAL');
    expect(svc?.loadBalancers).toEqual([]);
    expect(svc?.taskSets).toHaveLength(1);
    expect(svc?.taskSets?.[0]).toMatchObject({ status: 'PRIMARY', loadBalancers: [], runningCount: 4, computedDesiredCount: 4, stabilityStatus: 'STEADY_STATE' });
    expect(td?.containerDefinitions?.[0]?.environment).toEqual(expect.arrayContaining([{ name: 'CUTOVER_VERSION', value: 'initial' }]));
    expect(td?.containerDefinitions?.[0]?.portMappings).toEqual([]);
  });

  it('CreateTaskSet without loadBalancers runs the green tasks and reaches STEADY_STATE with no target group', async () => {
    // Prepare
    const ctx = setupWorker();
    // Act
    const { green } = await createGreenWorker(ctx, NEXT, 'd-2', 25);
    await ctx.clock.advance(30_000);
    // Assess
    expect(green?.loadBalancers).toEqual([]);
    expect(ctx.world.taskSets('prod', 'orders-worker').find((t) => t.id === green?.id)).toMatchObject({
      targetGroupArns: [],
      computedDesiredCount: 1,
      runningCount: 1,
      stabilityStatus: 'STEADY_STATE',
    });
  });

  it.each([
    { desired: 4, scale: 10, tasks: 1 },
    { desired: 2, scale: 50, tasks: 1 },
    { desired: 2, scale: 0.01, tasks: 1 },
    { desired: 3, scale: 33.33, tasks: 1 },
    { desired: 3, scale: 33.34, tasks: 2 },
    { desired: 3, scale: 66.66, tasks: 2 },
    { desired: 10, scale: 12.5, tasks: 2 },
    { desired: 7, scale: 100, tasks: 7 },
    { desired: 5, scale: 0, tasks: 0 },
  ])('computedDesiredCount of $scale % of $desired tasks is $tasks (rounded up)', async ({ desired, scale, tasks }) => {
    // Prepare
    const ctx = setupWorker({ desiredCount: desired });
    // Act
    const { green } = await createGreenWorker(ctx, NEXT, 'd-2', scale);
    // Assess
    expect(green?.computedDesiredCount).toBe(tasks);
  });

  it('a crashing image: its tasks stop with ECS stopped reason and exit code, and are replaced (a crash loop)', async () => {
    // Prepare
    const ctx = setupWorker();
    ctx.world.setImageProfile(BAD, { crashes: true, exitCode: 3 });
    const { green } = await createGreenWorker(ctx, BAD, 'd-2', 50);
    // Act
    await ctx.clock.advance(5 * 60_000);
    // Assess
    const stopped = await stoppedTasks(ctx, green?.id as string);
    expect(stopped.length).toBeGreaterThanOrEqual(2 * 10);
    expect(stopped[0]).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: ESSENTIAL_EXITED });
    expect(stopped[0]?.containers?.[0]).toMatchObject({ name: 'worker', exitCode: 3, lastStatus: 'STOPPED' });
    expect(ctx.world.taskSets('prod', 'orders-worker').find((t) => t.id === green?.id)).toMatchObject({ runningCount: 0, pendingCount: 2, stabilityStatus: 'STABILIZING' });
  });

  it('a crash without an exit code exits 1', async () => {
    const ctx = setupWorker();
    ctx.world.setImageProfile(BAD, { crashes: true });
    const { green } = await createGreenWorker(ctx, BAD, 'd-2', 25);
    await ctx.clock.advance(60_000);
    const [task] = await stoppedTasks(ctx, green?.id as string);
    expect(task?.containers?.[0]?.exitCode).toBe(1);
    expect(task?.containers?.[0]?.reason).toBeUndefined();
  });

  it('an image killed for its memory: exit code 137 and the OutOfMemoryError reason on the container', async () => {
    // Prepare
    const ctx = setupWorker();
    ctx.world.setImageProfile(BAD, { oom: true });
    const { green } = await createGreenWorker(ctx, BAD, 'd-2', 25);
    // Act
    await ctx.clock.advance(60_000);
    // Assess
    const [task] = await stoppedTasks(ctx, green?.id as string);
    expect(task).toMatchObject({ stopCode: 'EssentialContainerExited', stoppedReason: ESSENTIAL_EXITED });
    expect(task?.containers?.[0]).toMatchObject({ exitCode: 137, reason: OOM_REASON });
    expect(ctx.world.taskSets('prod', 'orders-worker').find((t) => t.id === green?.id)?.runningCount).toBe(0);
  });

  it('container health checks: UNKNOWN until the first interval, then HEALTHY; the task set is steady only then', async () => {
    // Prepare
    const ctx = setupWorker({ healthCheck: { command: ['CMD-SHELL', 'test -f /tmp/alive'], interval: 10, retries: 3 } });
    const { green } = await createGreenWorker(ctx, NEXT, 'd-2', 25);
    const view = () => ctx.world.taskSets('prod', 'orders-worker').find((t) => t.id === green?.id);
    const task = async () => {
      const arns = (await ctx.ecs.send(new ListTasksCommand({ cluster: 'prod', startedBy: green?.id }))).taskArns ?? [];
      return (await ctx.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: arns }))).tasks?.[0];
    };
    // Act + Assess: running at 20 s, first check passes at 30 s
    await ctx.clock.advance(25_000);
    expect((await task())?.healthStatus).toBe('UNKNOWN');
    expect(view()).toMatchObject({ runningCount: 1, stabilityStatus: 'STABILIZING' });
    await ctx.clock.advance(10_000);
    const t = await task();
    expect(t?.healthStatus).toBe('HEALTHY');
    expect(t?.containers?.[0]?.healthStatus).toBe('HEALTHY');
    expect(view()?.stabilityStatus).toBe('STEADY_STATE');
  });

  it('a task failing its container health checks is UNHEALTHY, stopped ("Task failed container health checks") and replaced', async () => {
    // Prepare
    const ctx = setupWorker({ healthCheck: { command: ['CMD-SHELL', 'test -f /tmp/alive'], interval: 10, retries: 3 } });
    ctx.world.setImageProfile(BAD, { healthy: false });
    const { green } = await createGreenWorker(ctx, BAD, 'd-2', 25);
    // Act
    await ctx.clock.advance(3 * 60_000);
    // Assess
    const stopped = await stoppedTasks(ctx, green?.id as string);
    expect(stopped.length).toBeGreaterThanOrEqual(2);
    expect(stopped[0]).toMatchObject({ stoppedReason: FAILED_HEALTH_CHECKS, healthStatus: 'UNHEALTHY' });
    expect(stopped[0]?.containers?.[0]?.healthStatus).toBe('UNHEALTHY');
    expect(ctx.world.taskSets('prod', 'orders-worker').find((t) => t.id === green?.id)?.stabilityStatus).toBe('STABILIZING');
  });

  it('publishes the application metrics per version, split by share of running tasks, readable by GetMetricData', async () => {
    // Prepare: 1 green task of 4 (25 %), blue at 75 % (3 tasks)
    const ctx = setupWorker();
    ctx.world.setImageProfile(NEXT, { errorRate: 0.5, latencyMs: 300 });
    const { green, blue } = await createGreenWorker(ctx, NEXT, 'd-2', 25);
    await ctx.ecs.send(new UpdateTaskSetCommand({ cluster: 'prod', service: 'orders-worker', taskSet: blue?.id, scale: { unit: 'PERCENT', value: 75 } }));
    expect(green?.computedDesiredCount).toBe(1);
    // Act: the green task runs from 20 s; read the 5 complete minutes after the first
    await ctx.clock.advance(7 * 60_000);
    const dims = (version: string) => ({ service: 'orders-worker', version });
    const processedGreen = await metricSum(ctx, 'Orders', 'MessagesProcessed', dims('d-2'), 'Sum', 5);
    const processedBlue = await metricSum(ctx, 'Orders', 'MessagesProcessed', dims('initial'), 'Sum', 5);
    const failedGreen = await metricSum(ctx, 'Orders', 'MessagesFailed', dims('d-2'), 'Sum', 5);
    const failedBlue = await metricSum(ctx, 'Orders', 'MessagesFailed', dims('initial'), 'Sum', 5);
    const latencyGreen = await metricSum(ctx, 'Orders', 'ProcessingTime', dims('d-2'), 'Average', 5);
    const latencyBlue = await metricSum(ctx, 'Orders', 'ProcessingTime', dims('initial'), 'Average', 5);
    const all = await metricSum(ctx, 'Orders', 'MessagesProcessed', { service: 'orders-worker' }, 'Sum', 5);
    // Assess
    expect(processedGreen).toEqual([150, 150, 150, 150, 150]);
    expect(processedBlue).toEqual([450, 450, 450, 450, 450]);
    expect(all).toEqual([600, 600, 600, 600, 600]);
    for (const f of failedGreen) expect(f).toBeGreaterThan(45);
    for (const f of failedGreen) expect(f).toBeLessThan(105);
    for (const f of failedBlue) expect(f).toBeLessThan(5);
    for (const l of latencyGreen) expect(Math.abs(l - 300)).toBeLessThan(60);
    for (const l of latencyBlue) expect(Math.abs(l - 80)).toBeLessThan(20);
  });

  it('the queue ages 60 s a minute while green fails a quarter of the messages, its alarm goes to ALARM, and recovers after green is gone', async () => {
    // Prepare
    const ctx = setupWorker();
    const metric = ctx.world.workers.alarmMetric('prod', 'orders-worker', QUEUE_AGE_METRIC);
    ctx.world.createMetricAlarm({ name: 'orders-queue-age', ...metric, statistic: 'Maximum', threshold: 300, evaluationPeriods: 1 });
    await ctx.clock.advance(3 * 60_000);
    const before = await metricSum(ctx, 'AWS/SQS', QUEUE_AGE_METRIC, { QueueName: 'orders' }, 'Maximum', 2);
    ctx.world.setImageProfile(BAD, { errorRate: 1 });
    const { green } = await createGreenWorker(ctx, BAD, 'd-2', 25);
    // Act
    await ctx.clock.advance(10 * 60_000);
    const during = await metricSum(ctx, 'AWS/SQS', QUEUE_AGE_METRIC, { QueueName: 'orders' }, 'Maximum', 8);
    const state = (await ctx.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['orders-queue-age'] }))).MetricAlarms?.[0]?.StateValue;
    await ctx.ecs.send(new UpdateTaskSetCommand({ cluster: 'prod', service: 'orders-worker', taskSet: green?.id, scale: { unit: 'PERCENT', value: 0 } }));
    await ctx.clock.advance(3 * 60_000);
    const after = await metricSum(ctx, 'AWS/SQS', QUEUE_AGE_METRIC, { QueueName: 'orders' }, 'Maximum', 1);
    // Assess
    for (const a of before) expect(a).toBeLessThan(10);
    expect(during.slice(1).every((a, k) => a - (during[k] as number) === 60)).toBe(true);
    expect(state).toBe('ALARM');
    expect(after[0]).toBeLessThan(10);
    expect(ctx.world.alarmState('orders-queue-age')).toBe('OK');
  });

  it('no task running: the queue ages too', async () => {
    const ctx = setupWorker();
    await ctx.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'orders-worker', desiredCount: 0 }));
    await ctx.clock.advance(4 * 60_000);
    const ages = await metricSum(ctx, 'AWS/SQS', QUEUE_AGE_METRIC, { QueueName: 'orders' }, 'Maximum', 3);
    expect(ages.slice(1).map((a, k) => a - (ages[k] as number))).toEqual([60, 60]);
  });
});
