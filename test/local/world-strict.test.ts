/**
 * The local world as strict as AWS where Cutover depends on it (issue #13, items 1-10), each case
 * with its AWS source in local/world and docs/aws-behaviour.md. The real adapters run against the
 * world through the real SDK clients.
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTaskSetCommand, DeleteTaskSetCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { AppAutoScalingTargets } from '../../functions/aws/autoscaling.js';
import { CloudWatchAlarms } from '../../functions/aws/cloudwatch.js';
import { EcrImages } from '../../functions/aws/ecr.js';
import { EcsTaskDefinitions, EcsTaskSets } from '../../functions/aws/ecs.js';
import { ElbTargetHealth, ElbTrafficRouter } from '../../functions/aws/elb.js';
import { AwsThrottled, AwsUnavailable } from '../../functions/core/errors.js';
import { scanResultOf } from '../../functions/core/gates.js';
import { MAX_TASK_SETS_PER_SERVICE } from '../../functions/core/live-side.js';
import { World } from '../../local/world/world.js';
import { clientsFor, createGreen, GOOD, LISTENER_ARN, ManualClock, NEXT, SHOP, setup, TG_BLUE, TG_GREEN } from './world.fixtures.js';

const route = { kind: 'listener' as const, arn: LISTENER_ARN };

describe('world strictness: a route that forwards to blue alone (item 1)', () => {
  it.each(['blue-only', 'blue-only-forward-config'] as const)(
    'starts as %s: green is on no listener, ECS refuses its task set until green is named and settled',
    async (shape) => {
      // Prepare
      const ctx = setup({ productionForward: shape });
      const router = new ElbTrafficRouter(ctx.elb);
      const described = await ctx.elb.send(new DescribeListenersCommand({ ListenerArns: [LISTENER_ARN] }));
      // Assess the seed: blue alone, read as 100
      expect(JSON.stringify(described.Listeners?.[0]?.DefaultActions)).not.toContain(TG_GREEN);
      expect(await router.readWeights(route)).toEqual([{ targetGroupArn: TG_BLUE, weight: 100 }]);
      // Act + Assess: CreateTaskSet on green answers ECS's InvalidParameterException
      await expect(createGreen(ctx, NEXT)).rejects.toThrow(/does not have an associated load balancer/);
      // Green added at weight 0: right after, ECS has not seen it yet (AwsUnavailable through the adapter) ...
      await router.setWeights(route, [{ targetGroupArn: TG_BLUE, weight: 100 }, { targetGroupArn: TG_GREEN, weight: 0 }]);
      const taskSets = new EcsTaskSets(ctx.ecs);
      const input = {
        cluster: 'prod', service: 'shop', taskDefinitionArn: 'shop:2', targetGroupArn: TG_GREEN, containerName: 'web', containerPort: 8080,
        scalePercent: 100, clientToken: 'd-1', externalId: 'd-1',
        template: { launchType: 'FARGATE', networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } },
      };
      await expect(taskSets.createTaskSet(input)).rejects.toThrow(AwsUnavailable);
      // ... and once the association settled, it is created
      await ctx.clock.advance(ctx.world.settings.targetGroupAssociationMs);
      await expect(taskSets.createTaskSet(input)).resolves.toMatchObject({ targetGroupArns: [TG_GREEN] });
    },
  );
});

describe('world strictness: task sets per service (item 2)', () => {
  it('refuses a sixth task set with ECS\'s InvalidParameterException, DRAINING ones counted until they are gone', async () => {
    // Prepare: the primary plus four greens, two of them deleted (DRAINING)
    const ctx = setup();
    const ids: string[] = [];
    for (let k = 0; k < MAX_TASK_SETS_PER_SERVICE - 1; k++) {
      ids.push((await createGreen(ctx, NEXT, `d-${k}`, 0)).taskSet?.id as string);
      await ctx.clock.advance(2_000);
    }
    for (const id of ids.slice(0, 2)) await ctx.ecs.send(new DeleteTaskSetCommand({ cluster: 'prod', service: 'shop', taskSet: id, force: true }));
    // Act + Assess
    await expect(createGreen(ctx, NEXT, 'd-next', 0)).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: '5 deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.',
    });
    // Once the draining ones are gone (deregistration delay), there is room again
    await ctx.clock.advance(ctx.world.settings.deregistrationDelayMs);
    await expect(createGreen(ctx, NEXT, 'd-next', 0)).resolves.toMatchObject({ taskSet: { status: 'ACTIVE' } });
  });
});

describe('world strictness: ECR basic and enhanced scans (item 3)', () => {
  it('enhanced (Inspector) findings come in enhancedFindings with UNTRIAGED; counts arrive after ACTIVE; the adapter never reads "no counts" as clean', async () => {
    // Prepare
    const ctx = setup();
    const t0 = ctx.clock.now();
    ctx.world.pushImage('shop', NEXT, ['v2'], { scan: { type: 'ENHANCED', findingSeverityCounts: { HIGH: 2, UNTRIAGED: 1 }, countsAtMs: t0 + 60_000 } });
    const images = new EcrImages(ctx.ecr);
    // Act: ACTIVE, findings listed, counts not there yet -> counted from the enhanced findings
    const early = await images.scanFindings('shop', NEXT);
    // Assess
    expect(early).toMatchObject({ status: 'ACTIVE', findingCounts: { HIGH: 2, UNTRIAGED: 1 } });
    expect(scanResultOf(early.status, early.findingCounts)).toEqual({ kind: 'complete', counts: { HIGH: 2, UNTRIAGED: 1 } });
    await ctx.clock.advance(60_000);
    expect((await images.scanFindings('shop', NEXT)).findingCounts).toEqual({ HIGH: 2, UNTRIAGED: 1 });
  });

  it('a basic scan COMPLETE whose counts are not there yet reads as pending, not clean', async () => {
    const ctx = setup();
    ctx.world.pushImage('shop', NEXT, ['v2'], { scan: { findingSeverityCounts: {}, countsAtMs: ctx.clock.now() + 30_000 } });
    const scan = await new EcrImages(ctx.ecr).scanFindings('shop', NEXT);
    expect(scan).toEqual({ status: 'COMPLETE', description: 'The scan was completed successfully.' });
    expect(scanResultOf(scan.status, scan.findingCounts).kind).toBe('pending');
    await ctx.clock.advance(30_000);
    const later = await new EcrImages(ctx.ecr).scanFindings('shop', NEXT);
    expect(scanResultOf(later.status, later.findingCounts)).toEqual({ kind: 'complete', counts: {} });
  });
});

describe('world strictness: concurrent revisions of one family (item 4)', () => {
  it('a second RegisterTaskDefinition of the family while one is in flight answers the ClientException; the adapter makes it AwsThrottled', async () => {
    // Prepare: a world where a registration occupies its family for 1 s (virtual)
    const clock = new ManualClock();
    const world = new World({ clock, seed: 7, settings: { familyRegistrationMs: 1_000 } });
    const ctx = { clock, world, shop: world.createService(SHOP), ...clientsFor(world) };
    const input = { family: 'shop', containerDefinitions: [{ name: 'web', image: 'nginx:1', essential: true }] };
    await ctx.ecs.send(new RegisterTaskDefinitionCommand(input));
    // Act + Assess: the same virtual instant
    await expect(ctx.ecs.send(new RegisterTaskDefinitionCommand(input))).rejects.toMatchObject({
      name: 'ClientException',
      message: 'Too many concurrent attempts to create a new revision of the specified family.',
    });
    await expect(new EcsTaskDefinitions(ctx.ecs).registerWithImage(ctx.shop.taskDefinitionArn as string, 'web', 'nginx:2')).rejects.toThrow(AwsThrottled);
    // A moment later (a retry with backoff) it registers
    await ctx.clock.advance(ctx.world.settings.familyRegistrationMs);
    await expect(new EcsTaskDefinitions(ctx.ecs).registerWithImage(ctx.shop.taskDefinitionArn as string, 'web', 'nginx:2')).resolves.toMatchObject({
      arn: expect.stringMatching(/task-definition\/shop:3$/),
    });
  });
});

describe('world strictness: log alarms (item 5)', () => {
  it('DescribeAlarms returns log alarms only when AlarmTypes asks for them; the adapter watches them', async () => {
    // Prepare
    const ctx = setup();
    ctx.world.cloudwatch.createLogAlarm('shop-errors-in-logs');
    ctx.world.setAlarmState('shop-errors-in-logs', 'ALARM', 'query result 42 > 10');
    // Assess the API
    const plain = await ctx.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['shop-errors-in-logs'] }));
    expect(plain.MetricAlarms).toEqual([]);
    expect(plain.LogAlarms).toBeUndefined();
    const asked = await ctx.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['shop-errors-in-logs'], AlarmTypes: ['LogAlarm'] }));
    expect(asked.LogAlarms?.map((a) => [a.AlarmName, a.StateValue])).toEqual([['shop-errors-in-logs', 'ALARM']]);
    // Assess the adapter
    expect(await new CloudWatchAlarms(ctx.cw).describe(['shop-errors-in-logs'])).toEqual([
      { name: 'shop-errors-in-logs', state: 'ALARM', reason: 'query result 42 > 10' },
    ]);
  });
});

describe('world strictness: SuspendedState (item 6)', () => {
  it('a flag left out of SuspendedState is false; the adapter sends all three as read', async () => {
    // Prepare
    const ctx = setup();
    const aas = new ApplicationAutoScalingClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    aas.middlewareStack.use(ctx.world.plugin);
    const resourceId = 'service/prod/shop';
    const base = { ServiceNamespace: 'ecs' as const, ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount' as const };
    await aas.send(new RegisterScalableTargetCommand({ ...base, MinCapacity: 2, MaxCapacity: 8, SuspendedState: { DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true } }));
    const state = async () => (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId] }))).ScalableTargets?.[0]?.SuspendedState;
    // Act: the adapter suspends scale-in
    await new AppAutoScalingTargets(aas).setScaleInSuspended(resourceId, true);
    // Assess: the other two flags stay as they were
    expect(await state()).toEqual({ DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true });
    // And the world is as strict as AWS about one flag alone
    await aas.send(new RegisterScalableTargetCommand({ ...base, SuspendedState: { DynamicScalingInSuspended: false } }));
    expect(await state()).toEqual({ DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false });
  });
});

describe('world strictness: deleting a DRAINING task set (item 7)', () => {
  it('a second delete of a task set being deleted is done, whatever ECS answers', async () => {
    const ctx = setup();
    const { taskSet } = await createGreen(ctx, NEXT);
    const sets = new EcsTaskSets(ctx.ecs);
    await sets.deleteTaskSet('prod', 'shop', taskSet?.id as string);
    await expect(sets.deleteTaskSet('prod', 'shop', taskSet?.id as string)).resolves.toBeUndefined();
    await ctx.clock.advance(ctx.world.settings.deregistrationDelayMs);
    await expect(sets.deleteTaskSet('prod', 'shop', taskSet?.id as string)).resolves.toBeUndefined();
  });
});

describe('world strictness: one load balancer per task set (item 9)', () => {
  it('CreateTaskSet with two target groups is refused (several only with the ECS deployment controller)', async () => {
    const ctx = setup();
    await expect(
      ctx.ecs.send(
        new CreateTaskSetCommand({
          cluster: 'prod', service: 'shop', taskDefinition: ctx.shop.taskDefinitionArn, launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
          loadBalancers: [
            { targetGroupArn: TG_GREEN, containerName: 'web', containerPort: 8080 },
            { targetGroupArn: TG_BLUE, containerName: 'web', containerPort: 8080 },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('world strictness: target health reasons (item 10)', () => {
  it('targets on a target group no listener names are unused with Target.NotInUse, and the reader says so', async () => {
    // Prepare: green's target group on no listener (blue-only), its tasks registered through a task set created once settled
    const ctx = setup({ productionForward: 'blue-only' });
    const router = new ElbTrafficRouter(ctx.elb);
    await router.setWeights(route, [{ targetGroupArn: TG_BLUE, weight: 100 }, { targetGroupArn: TG_GREEN, weight: 0 }]);
    await ctx.clock.advance(5_000);
    await createGreen(ctx, GOOD);
    await router.setWeights(route, [{ targetGroupArn: TG_BLUE, weight: 100 }]);
    await ctx.clock.advance(60_000);
    // Act
    const health = await new ElbTargetHealth(ctx.elb).health(TG_GREEN);
    // Assess
    expect(health).toMatchObject({ healthy: 0, total: 4 });
    expect(health.reasons).toEqual([
      { state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer', count: 4 },
    ]);
  });
});
