import {
  ClientException,
  CreateTaskSetCommand,
  DeleteTaskDefinitionsCommand,
  DeleteTaskSetCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSServiceException,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  StopTaskCommand,
  TaskSetNotFoundException,
  UpdateServiceCommand,
  UpdateTaskSetCommand,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { World } from '../../local/world/world.js';
import { BAD, clientsFor, createGreen, GOOD, LISTENER_ARN, ManualClock, NEXT, SHOP, setup, TG_BLUE, TG_GREEN } from './world.fixtures.js';

describe('local world: ECS', () => {
  it('seeds an EXTERNAL service with a PRIMARY task set that is steady and healthy', async () => {
    // Prepare
    const { ecs, shop, world } = setup();
    // Act
    const out = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] }));
    // Assess
    const svc = out.services?.[0];
    expect(svc?.deploymentController?.type).toBe('EXTERNAL');
    expect(svc?.desiredCount).toBe(4);
    expect(svc?.taskSets).toHaveLength(1);
    expect(svc?.taskSets?.[0]).toMatchObject({ status: 'PRIMARY', runningCount: 4, computedDesiredCount: 4, stabilityStatus: 'STEADY_STATE' });
    expect(svc?.taskSets?.[0]?.taskSetArn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task-set\/prod\/shop\/ecs-svc\/\d{19}$/);
    expect(world.healthyTargets(shop.targetGroupArns[0])).toBe(4);
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it('CreateTaskSet with the same clientToken returns the same task set and creates nothing twice', async () => {
    // Prepare
    const ctx = setup();
    const first = await createGreen(ctx, NEXT, 'deploy-42');
    // Act
    const again = await ctx.ecs.send(
      new CreateTaskSetCommand({
        cluster: 'prod',
        service: 'shop',
        taskDefinition: first.taskDefinitionArn,
        clientToken: 'deploy-42',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
        loadBalancers: [{ targetGroupArn: TG_GREEN, containerName: 'web', containerPort: 8080 }],
        scale: { unit: 'PERCENT', value: 100 },
      }),
    );
    // Assess
    expect(again.taskSet?.id).toBe(first.taskSet?.id);
    expect(ctx.world.taskSets('prod', 'shop')).toHaveLength(2);
  });

  it('a new task set is STABILIZING until its tasks started and its targets passed the health lag, then STEADY_STATE', async () => {
    // Prepare
    const ctx = setup();
    const { taskSet } = await createGreen(ctx, NEXT);
    const green = () => ctx.world.taskSets('prod', 'shop').find((t) => t.id === taskSet?.id);
    // Assess: at creation
    expect(taskSet).toMatchObject({ status: 'ACTIVE', computedDesiredCount: 4, runningCount: 0, pendingCount: 4, stabilityStatus: 'STABILIZING' });
    // Act + Assess: running after the 20 s start delay, still stabilizing during the 30 s health lag
    await ctx.clock.advance(20_000);
    expect(green()).toMatchObject({ runningCount: 4, pendingCount: 0, stabilityStatus: 'STABILIZING' });
    expect(ctx.world.targetHealth(TG_GREEN).map((t) => t.state)).toEqual(['initial', 'initial', 'initial', 'initial']);
    await ctx.clock.advance(29_999);
    expect(green()?.stabilityStatus).toBe('STABILIZING');
    await ctx.clock.advance(1);
    expect(green()?.stabilityStatus).toBe('STEADY_STATE');
    expect(ctx.world.healthyTargets(TG_GREEN)).toBe(4);
  });

  it('computedDesiredCount is ceil(desiredCount x scale) and follows UpdateService and UpdateTaskSet', async () => {
    // Prepare
    const ctx = setup();
    const { taskSet } = await createGreen(ctx, NEXT, 'd', 10);
    // Act
    const scaled = await ctx.ecs.send(new UpdateTaskSetCommand({ cluster: 'prod', service: 'shop', taskSet: taskSet?.id, scale: { unit: 'PERCENT', value: 30 } }));
    await ctx.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', desiredCount: 10 }));
    // Assess
    expect(taskSet?.computedDesiredCount).toBe(1); // ceil(4 x 0.1)
    expect(scaled.taskSet?.computedDesiredCount).toBe(2); // ceil(4 x 0.3)
    const sets = ctx.world.taskSets('prod', 'shop');
    expect(sets.find((t) => t.id === taskSet?.id)?.computedDesiredCount).toBe(3); // ceil(10 x 0.3)
    expect(sets.find((t) => t.status === 'PRIMARY')?.computedDesiredCount).toBe(10);
  });

  it('an image whose profile is unhealthy never gets healthy targets and never reaches STEADY_STATE', async () => {
    // Prepare
    const ctx = setup();
    ctx.world.setImageProfile(BAD, { healthy: false });
    const { taskSet } = await createGreen(ctx, BAD);
    // Act
    await ctx.clock.advance(30 * 60_000);
    // Assess
    const out = await ctx.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG_GREEN }));
    expect(out.TargetHealthDescriptions?.map((d) => d.TargetHealth?.State)).toEqual(['unhealthy', 'unhealthy', 'unhealthy', 'unhealthy']);
    expect(out.TargetHealthDescriptions?.[0]?.TargetHealth?.Reason).toBe('Target.ResponseCodeMismatch');
    expect(ctx.world.taskSets('prod', 'shop').find((t) => t.id === taskSet?.id)?.stabilityStatus).toBe('STABILIZING');
  });

  it('an image that crashes never reaches RUNNING and registers no targets', async () => {
    // Prepare
    const ctx = setup();
    ctx.world.setImageProfile(BAD, { crashes: true });
    const { taskSet } = await createGreen(ctx, BAD);
    // Act
    await ctx.clock.advance(10 * 60_000);
    // Assess
    expect(ctx.world.taskSets('prod', 'shop').find((t) => t.id === taskSet?.id)).toMatchObject({ runningCount: 0, pendingCount: 4 });
    expect(ctx.world.targetHealth(TG_GREEN)).toEqual([]);
  });

  it('DeleteTaskSet leaves the task set DRAINING with draining targets, then it is gone', async () => {
    // Prepare
    const ctx = setup();
    const { taskSet } = await createGreen(ctx, NEXT);
    await ctx.clock.advance(60_000);
    // Act
    const out = await ctx.ecs.send(new DeleteTaskSetCommand({ cluster: 'prod', service: 'shop', taskSet: taskSet?.id, force: true }));
    // Assess
    expect(out.taskSet?.status).toBe('DRAINING');
    expect(ctx.world.targetHealth(TG_GREEN).map((t) => t.state)).toEqual(['draining', 'draining', 'draining', 'draining']);
    await ctx.clock.advance(30_000);
    expect(ctx.world.taskSets('prod', 'shop').map((t) => t.id)).not.toContain(taskSet?.id);
    expect(ctx.world.targetHealth(TG_GREEN)).toEqual([]);
    await expect(ctx.ecs.send(new DeleteTaskSetCommand({ cluster: 'prod', service: 'shop', taskSet: taskSet?.id, force: true }))).rejects.toThrow(
      TaskSetNotFoundException,
    );
  });

  it('refuses to delete a task set that still has scale without force', async () => {
    const ctx = setup();
    const { taskSet } = await createGreen(ctx, NEXT);
    await expect(ctx.ecs.send(new DeleteTaskSetCommand({ cluster: 'prod', service: 'shop', taskSet: taskSet?.id }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('UpdateTaskSet on an unknown task set throws TaskSetNotFoundException', async () => {
    const { ecs } = setup();
    await expect(
      ecs.send(new UpdateTaskSetCommand({ cluster: 'prod', service: 'shop', taskSet: 'ecs-svc/0000000000000000000', scale: { unit: 'PERCENT', value: 0 } })),
    ).rejects.toThrow(TaskSetNotFoundException);
  });

  it('CreateTaskSet validates the task definition, the target group and the container port like ECS', async () => {
    const ctx = setup();
    const base = {
      cluster: 'prod',
      service: 'shop',
      taskDefinition: ctx.shop.taskDefinitionArn,
      launchType: 'FARGATE' as const,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
    };
    await expect(
      ctx.ecs.send(new CreateTaskSetCommand({ ...base, loadBalancers: [{ targetGroupArn: TG_GREEN, containerName: 'web', containerPort: 9999 }] })),
    ).rejects.toThrow(/did not have a container port 9999/);
    await expect(
      ctx.ecs.send(new CreateTaskSetCommand({ ...base, launchType: undefined, loadBalancers: [{ targetGroupArn: TG_GREEN, containerName: 'web', containerPort: 8080 }] })),
    ).rejects.toThrow(/does not support launch_type EC2/);
    await expect(
      ctx.ecs.send(new CreateTaskSetCommand({ ...base, networkConfiguration: undefined, loadBalancers: [{ targetGroupArn: TG_GREEN, containerName: 'web', containerPort: 8080 }] })),
    ).rejects.toThrow(/Network Configuration must be provided/);
  });
});

describe('local world: task definitions', () => {
  it('DescribeTaskDefinition returns the read-only fields and tags; RegisterTaskDefinition rejects them like AWS', async () => {
    // Prepare
    const { ecs, shop } = setup();
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: shop.taskDefinitionArn, include: ['TAGS'] }));
    const td = described.taskDefinition ?? {};
    // Assess the describe
    expect(td).toMatchObject({ revision: 1, status: 'ACTIVE', compatibilities: ['EC2', 'FARGATE'], taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop:1' });
    expect(td.registeredAt).toBeInstanceOf(Date);
    expect(td.requiresAttributes?.length).toBeGreaterThan(0);
    expect(described.tags).toEqual([{ key: 'service', value: 'shop' }]);
    // Act + Assess: the whole describe output is refused
    await expect(ecs.send(new RegisterTaskDefinitionCommand(td as RegisterTaskDefinitionCommandInput))).rejects.toThrow(ClientException);
    await expect(ecs.send(new RegisterTaskDefinitionCommand(td as RegisterTaskDefinitionCommandInput))).rejects.toThrow(/revision/);
  });

  it('round trips: the describe output minus read-only fields registers the next revision unchanged', async () => {
    // Prepare
    const { ecs, shop } = setup({ taskDefinition: { secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf' }] } });
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: shop.taskDefinitionArn, include: ['TAGS'] }));
    const { taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt, registeredBy, ...rest } =
      described.taskDefinition ?? {};
    // Act
    const out = await ecs.send(new RegisterTaskDefinitionCommand({ ...(rest as RegisterTaskDefinitionCommandInput), tags: described.tags }));
    const again = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'shop', include: ['TAGS'] }));
    // Assess
    expect(out.taskDefinition?.taskDefinitionArn).toBe('arn:aws:ecs:us-east-1:123456789012:task-definition/shop:2');
    expect(again.taskDefinition?.revision).toBe(2);
    expect(again.taskDefinition?.containerDefinitions).toEqual(described.taskDefinition?.containerDefinitions);
    expect(again.taskDefinition?.containerDefinitions?.[0]?.secrets).toEqual([
      { name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf' },
    ]);
    expect(again.tags).toEqual(described.tags);
  });

  it('RegisterTaskDefinition rejects an empty tags list', async () => {
    const { ecs } = setup();
    await expect(
      ecs.send(
        new RegisterTaskDefinitionCommand({ family: 'x', containerDefinitions: [{ name: 'c', image: 'nginx:1' }], tags: [] }),
      ),
    ).rejects.toThrow('Tags can not be empty.');
  });
});

describe('local world: one-off tasks', () => {
  it('RunTask runs, then stops with the exit code of the image profile', async () => {
    // Prepare
    const { ecs, world, shop, clock } = setup();
    world.setImageProfile(GOOD, { exitCode: 3, runMs: 5_000 });
    // Act
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'prod',
        taskDefinition: shop.taskDefinitionArn,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
        overrides: { containerOverrides: [{ name: 'web', command: ['migrate'] }] },
      }),
    );
    const arn = run.tasks?.[0]?.taskArn as string;
    const at = async () => (await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [arn] }))).tasks?.[0];
    // Assess
    expect((await at())?.lastStatus).toBe('PENDING');
    await clock.advance(20_000);
    expect((await at())?.lastStatus).toBe('RUNNING');
    await clock.advance(5_000);
    const stopped = await at();
    expect(stopped?.lastStatus).toBe('STOPPED');
    expect(stopped?.containers?.[0]?.exitCode).toBe(3);
    expect(stopped?.stopCode).toBe('EssentialContainerExited');
  });
});

describe('local world: dispatch', () => {
  it('an operation the world does not implement fails loudly, naming it', async () => {
    const { ecs } = setup();
    await expect(ecs.send(new ListServicesCommand({ cluster: 'prod' }))).rejects.toThrow(/ECS:ListServices/);
  });

  it('records every call with its input and outcome, and counts only mutating calls as writes', async () => {
    // Prepare
    const { ecs, world } = setup();
    // Act
    await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] }));
    await expect(ecs.send(new DescribeServicesCommand({ cluster: 'nope', services: ['shop'] }))).rejects.toThrow(ECSServiceException);
    // Assess
    expect(world.calls.map((c) => [c.service, c.operation, c.outcome])).toEqual([
      ['ECS', 'DescribeServices', 'ok'],
      ['ECS', 'DescribeServices', 'error'],
    ]);
    expect(world.calls[1]?.error?.name).toBe('ClusterNotFoundException');
    expect(world.calls[0]?.input).toEqual({ cluster: 'prod', services: ['shop'] });
    expect(world.writeCount()).toBe(0);
  });

  it('is deterministic: the same seed gives the same ids', () => {
    const mk = () => {
      const w = new World({ clock: new ManualClock(), seed: 99 });
      clientsFor(w);
      return w.createService({
        cluster: 'c',
        service: 's',
        desiredCount: 2,
        containerName: 'web',
        containerPort: 80,
        initialImage: { repository: 'repo', digest: BAD },
      });
    };
    const a = mk();
    expect(mk()).toEqual(a);
    expect(a.listenerArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:listener\/app\/s-alb\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
    expect(a.targetGroupArns[0]).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/s-blue\/[0-9a-f]{16}$/);
  });
});

describe('local world: what the safety checks read after every state', () => {
  it('liveTasks lists what ListTasks (RUNNING) lists across every page, with each task definition', async () => {
    // Prepare: 4 service tasks, 4 green tasks, 120 one-off tasks of which the first stops at once.
    const ctx = setup();
    const { ecs, world, shop, clock } = ctx;
    await createGreen(ctx, NEXT);
    world.setImageProfile(GOOD, { runMs: 60_000 });
    for (let i = 0; i < 12; i++) {
      await ecs.send(
        new RunTaskCommand({
          cluster: 'prod',
          taskDefinition: shop.taskDefinitionArn,
          count: 10,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
        }),
      );
    }
    const listed = async () => {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await ecs.send(new ListTasksCommand({ cluster: 'prod', desiredStatus: 'RUNNING', ...(nextToken ? { nextToken } : {}) }));
        arns.push(...(page.taskArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return arns;
    };
    const first = (await listed()).at(-1) as string;
    await ecs.send(new StopTaskCommand({ cluster: 'prod', task: first }));
    await clock.advance(30_000);

    // Act
    const live = world.ecs.liveTasks('prod');

    // Assess
    const arns = await listed();
    expect(arns.length).toBe(127);
    expect(live.map((t) => t.taskArn).sort()).toEqual([...arns].sort());
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: arns.slice(0, 100) }));
    for (const t of described.tasks ?? []) expect(live.find((l) => l.taskArn === t.taskArn)?.taskDefinitionArn).toBe(t.taskDefinitionArn);
    // Past the one-off tasks' run time they stop on their own and drop out, as from ListTasks.
    await clock.advance(60_000);
    expect(world.ecs.liveTasks('prod').map((t) => t.taskArn).sort()).toEqual((await listed()).sort());
    expect(() => world.ecs.liveTasks('nope')).toThrow(/Cluster not found/);
  });

  it('taskDefinitionUsage agrees with DescribeTaskDefinition: status and images; undefined once deleted or unknown', async () => {
    // Prepare
    const ctx = setup();
    const { taskDefinitionArn } = await createGreen(ctx, NEXT);
    const usage = () => ctx.world.ecs.taskDefinitionUsage(taskDefinitionArn);
    const described = async () => (await ctx.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }))).taskDefinition;

    // Act + Assess
    expect(usage()).toEqual({ status: 'ACTIVE', images: (await described())?.containerDefinitions?.map((c) => c.image) });
    await ctx.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
    expect(usage()?.status).toBe('INACTIVE');
    await ctx.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [taskDefinitionArn] }));
    expect(usage()?.status).toBe((await described())?.status);
    expect(usage()?.status).toBe('DELETE_IN_PROGRESS');
    expect(ctx.world.ecs.taskDefinitionUsage('shop:99')).toBeUndefined();
    expect(ctx.world.ecs.taskDefinitionUsage('')).toBeUndefined();
  });

  it('target health per target group: only that target group\'s tasks, whichever service was created first', async () => {
    // Prepare: a second service before the green task set of the first.
    const ctx = setup();
    const other = ctx.world.createService({
      ...SHOP,
      service: 'other',
      listener: { arn: LISTENER_ARN.replace('shop-alb', 'other-alb') },
      targetGroupArns: [TG_BLUE.replace('shop-blue', 'other-blue'), TG_GREEN.replace('shop-green', 'other-green')],
      desiredCount: 2,
    });
    await createGreen(ctx, NEXT);
    await ctx.clock.advance(60_000);

    // Act
    const health = await ctx.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG_GREEN }));

    // Assess
    expect(health.TargetHealthDescriptions).toHaveLength(4);
    expect(ctx.world.healthyTargets(TG_GREEN)).toBe(4);
    expect(ctx.world.healthyTargets(TG_BLUE)).toBe(4);
    expect(ctx.world.healthyTargets(other.targetGroupArns[0])).toBe(2);
  });
});
