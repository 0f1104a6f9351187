/**
 * The world's model of ECS's own deployments (local/world/ecs-native.ts), driven through real SDK
 * clients bound to the world: blue/green, canary and linear on an ALB rule, Lambda lifecycle hooks,
 * bake time, rollback (hook FAILED, StopServiceDeployment, deployment alarm), headless blue/green,
 * and the "ECS Deployment State Change" events. No product code.
 */
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskSetsCommand,
  type DeploymentConfiguration,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import type { HookPayload } from '../../local/world/ecs-native.js';
import { World } from '../../local/world/world.js';
import { clientsFor, GOOD, LISTENER_ARN, ManualClock, NEXT, SHOP, TG_BLUE, TG_GREEN } from './world.fixtures.js';
import { deployRevision, describeDeployment, registerRevision, runUntil } from './world-native.fixtures.js';

const HOOK = 'arn:aws:lambda:us-east-1:123456789012:function:cutover-hook';
const HOOK_ROLE = 'arn:aws:iam::123456789012:role/ecs-invokes-cutover-hook';
type Answer = { hookStatus?: unknown; callBackDelay?: unknown; hookDetails?: unknown } | unknown;

const hook = (stages: string[], extra: Record<string, unknown> = {}) => ({ hookTargetArn: HOOK, roleArn: HOOK_ROLE, lifecycleStages: stages as never, ...extra });

function nativeSetup(deploymentConfiguration: DeploymentConfiguration, answer: (p: HookPayload, n: number) => Answer = () => ({ hookStatus: 'SUCCEEDED' })) {
  const clock = new ManualClock();
  const world = new World({ clock, seed: 7 });
  const shop = world.createService({
    ...SHOP,
    listener: undefined,
    rule: { listenerArn: LISTENER_ARN, priority: 10 },
    deploymentController: 'ECS',
    deploymentConfiguration,
    nativeTestRule: true,
  });
  const calls: Array<{ at: number; payload: HookPayload }> = [];
  world.setHookInvoker((arn, payload) => {
    expect(arn).toBe(HOOK);
    calls.push({ at: clock.now(), payload });
    return answer(payload, calls.length);
  });
  return { clock, world, shop, calls, ...clientsFor(world) };
}
type Ctx = ReturnType<typeof nativeSetup>;
const registerNext = (ctx: Pick<Ctx, 'world' | 'ecs'>, taskDefinitionArn: string, digest = NEXT) => registerRevision(ctx.world, ctx.ecs, taskDefinitionArn, digest);
const deploy = (ctx: Ctx, digest = NEXT) => deployRevision(ctx.world, ctx.ecs, ctx.shop.taskDefinitionArn as string, digest);
const describe1 = (ctx: Pick<Ctx, 'ecs'>, arn: string) => describeDeployment(ctx.ecs, arn);

const weightOf = (world: World, rule: string, tg: string) => world.weights(rule).find((w) => w.targetGroupArn === tg)?.weight ?? 0;
const deploymentEvents = (world: World) =>
  world.awsEvents.filter((e) => e['detail-type'] === 'ECS Deployment State Change').map((e) => `${e.detail.eventType}:${e.detail.eventName}`);

describe('local world: ECS-controller services (ECS\'s own deployments)', () => {
  it('blue/green with a Lambda hook answered SUCCEEDED: stages in order, the documented payload, traffic moved, blue cleaned up, events', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5, lifecycleHooks: [hook(['PRE_SCALE_UP', 'POST_SCALE_UP', 'POST_TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'])] });
    const rule = ctx.shop.ruleArn as string;
    // Act
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).lifecycleStage === 'BAKE_TIME');
    const baking = await describe1(ctx, arn);
    const weightsInBake = [weightOf(ctx.world, rule, TG_BLUE), weightOf(ctx.world, rule, TG_GREEN)];
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'SUCCESSFUL');
    const done = await describe1(ctx, arn);
    // Assess
    expect(arn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:service-deployment\/prod\/shop\/[0-9a-f]{22}$/);
    expect(ctx.calls.map((c) => c.payload.lifecycleStage)).toEqual(['PRE_SCALE_UP', 'POST_SCALE_UP', 'POST_TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT']);
    const target = done.targetServiceRevision?.arn as string;
    const source = done.sourceServiceRevisions?.[0]?.arn as string;
    expect(source).toBe(ctx.shop.serviceRevisionArn);
    const post = ctx.calls[1]?.payload as HookPayload;
    expect(post).toMatchObject({
      lifecycleStage: 'POST_SCALE_UP',
      resourceArn: arn,
      executionDetails: { serviceArn: ctx.shop.serviceArn, targetServiceRevisionArn: target, productionTrafficWeights: { [source]: 100, [target]: 0 } },
    });
    expect(ctx.calls[3]?.payload.executionDetails.productionTrafficWeights).toEqual({ [source]: 0, [target]: 100 });
    expect(ctx.calls[2]?.payload.executionDetails.testTrafficWeights).toEqual({ [source]: 0, [target]: 100 });
    // Green ran healthy before the POST_SCALE_UP hook: after the 20 s start and the 30 s health lag.
    expect((ctx.calls[1]?.at ?? 0) - (ctx.calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(50_000);
    expect(baking.status).toBe('IN_PROGRESS');
    expect(weightsInBake).toEqual([0, 100]);
    expect(done).toMatchObject({ status: 'SUCCESSFUL', lifecycleStage: 'CLEAN_UP', targetServiceRevision: { runningTaskCount: 4, requestedProductionTrafficWeight: 100 } });
    expect((done.finishedAt?.getTime() ?? 0) - (baking.updatedAt?.getTime() ?? 0)).toBeGreaterThanOrEqual(5 * 60_000);
    await ctx.clock.advance(60_000);
    expect(ctx.world.healthyTargets(TG_GREEN)).toBe(4);
    expect(ctx.world.healthyTargets(TG_BLUE)).toBe(0);
    const svc = (await ctx.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] }))).services?.[0];
    expect(svc).toMatchObject({ deploymentController: { type: 'ECS' }, taskSets: [], runningCount: 4, taskDefinition: expect.stringMatching(/:task-definition\/shop:2$/) });
    const revs = await ctx.ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [target, 'arn:aws:ecs:us-east-1:123456789012:service-revision/prod/shop/1'] }));
    expect(revs.serviceRevisions?.[0]?.containerImages?.[0]?.imageDigest).toBe(NEXT);
    expect(revs.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:123456789012:service-revision/prod/shop/1', reason: 'MISSING' }]);
    expect(deploymentEvents(ctx.world)).toEqual(['INFO:SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO:SERVICE_DEPLOYMENT_COMPLETED']);
    const ev = ctx.world.awsEvents.find((e) => e['detail-type'] === 'ECS Deployment State Change');
    expect(ev).toMatchObject({ source: 'aws.ecs', resources: [ctx.shop.serviceArn], detail: { deploymentId: expect.stringMatching(/^ecs-svc\/\d{19}$/) } });
  });

  it('the next deployment runs on the other target group: blue and green alternate', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
    const rule = ctx.shop.ruleArn as string;
    const first = await deploy(ctx, NEXT);
    await runUntil(ctx.clock, async () => (await describe1(ctx, first)).status === 'SUCCESSFUL');
    // Act
    ctx.world.pushImage('shop', GOOD, []);
    const td = await registerNext(ctx, (await ctx.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] }))).services?.[0]?.taskDefinition as string, GOOD);
    await ctx.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', taskDefinition: td }));
    const second = (await ctx.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'shop' }))).serviceDeployments?.[0]?.serviceDeploymentArn as string;
    await runUntil(ctx.clock, async () => (await describe1(ctx, second)).status === 'SUCCESSFUL');
    // Assess
    expect(second).not.toBe(first);
    expect([weightOf(ctx.world, rule, TG_BLUE), weightOf(ctx.world, rule, TG_GREEN)]).toEqual([100, 0]);
    await ctx.clock.advance(60_000);
    expect(ctx.world.healthyTargets(TG_BLUE)).toBe(4);
    expect(ctx.world.healthyTargets(TG_GREEN)).toBe(0);
  });

  it('IN_PROGRESS with callBackDelay holds the stage, re-invokes after the delay with the hookDetails it returned, then SUCCEEDED moves on', async () => {
    // Prepare
    const ctx = nativeSetup(
      { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [hook(['POST_SCALE_UP'], { hookDetails: { bake: 'start' } })] },
      (_p, n) => (n < 3 ? { hookStatus: 'IN_PROGRESS', callBackDelay: 60, hookDetails: { round: n } } : { hookStatus: 'SUCCEEDED' }),
    );
    const rule = ctx.shop.ruleArn as string;
    // Act
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, () => ctx.calls.length >= 1);
    const held = await describe1(ctx, arn);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'SUCCESSFUL');
    // Assess
    expect(ctx.calls.map((c) => c.payload.hookDetails)).toEqual([{ bake: 'start' }, { round: 1 }, { round: 2 }]);
    expect(ctx.calls.map((c) => c.payload.executionId)).toEqual(Array(3).fill(ctx.calls[0]?.payload.executionId));
    expect([(ctx.calls[1]?.at ?? 0) - (ctx.calls[0]?.at ?? 0), (ctx.calls[2]?.at ?? 0) - (ctx.calls[1]?.at ?? 0)]).toEqual([60_000, 60_000]);
    expect(held).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'POST_SCALE_UP', lifecycleHookDetails: [{ targetType: 'AWS_LAMBDA', targetArn: HOOK, status: 'IN_PROGRESS', timeoutAction: 'ROLLBACK' }] });
    expect(weightOf(ctx.world, rule, TG_GREEN)).toBe(100);
  });

  it('IN_PROGRESS without callBackDelay waits ECS\'s default 30 s', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', lifecycleHooks: [hook(['PRE_SCALE_UP'])] }, (_p, n) => ({ hookStatus: n === 1 ? 'IN_PROGRESS' : 'SUCCEEDED' }));
    // Act
    await deploy(ctx);
    await runUntil(ctx.clock, () => ctx.calls.length >= 2);
    // Assess
    expect((ctx.calls[1]?.at ?? 0) - (ctx.calls[0]?.at ?? 0)).toBe(30_000);
  });

  it('a hook answering FAILED rolls back: traffic stays on blue, green stops, ROLLBACK_SUCCESSFUL with the reason, FAILED / IN_PROGRESS / COMPLETED events', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', lifecycleHooks: [hook(['POST_TEST_TRAFFIC_SHIFT'])] }, () => ({ hookStatus: 'FAILED' }));
    const rule = ctx.shop.ruleArn as string;
    // Act
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    const d = await describe1(ctx, arn);
    await ctx.clock.advance(60_000);
    // Assess
    expect(d.rollback).toMatchObject({ reason: expect.stringContaining('returned FAILED at POST_TEST_TRAFFIC_SHIFT'), serviceRevisionArn: ctx.shop.serviceRevisionArn });
    expect([weightOf(ctx.world, rule, TG_BLUE), weightOf(ctx.world, rule, TG_GREEN)]).toEqual([100, 0]);
    expect([weightOf(ctx.world, ctx.shop.testRuleArn as string, TG_BLUE), weightOf(ctx.world, ctx.shop.testRuleArn as string, TG_GREEN)]).toEqual([100, 0]);
    expect(ctx.world.healthyTargets(TG_GREEN)).toBe(0);
    expect(ctx.world.healthyTargets(TG_BLUE)).toBe(4);
    expect(deploymentEvents(ctx.world)).toEqual(['INFO:SERVICE_DEPLOYMENT_IN_PROGRESS', 'ERROR:SERVICE_DEPLOYMENT_FAILED', 'INFO:SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO:SERVICE_DEPLOYMENT_COMPLETED']);
    expect(ctx.world.native.currentRevision(ctx.shop.serviceArn)).toBe(ctx.shop.serviceRevisionArn);
  });

  it.each([
    ['a hookStatus that is not documented', { hookStatus: 'OK' }],
    ['no hookStatus', {}],
    ['a callBackDelay that is not whole seconds', { hookStatus: 'IN_PROGRESS', callBackDelay: 'soon' }],
  ])('%s rolls the deployment back (ECS: no valid hookStatus rolls back)', async (_name, answer) => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', lifecycleHooks: [hook(['PRE_SCALE_UP'])] }, () => answer);
    // Act
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    // Assess
    expect((await describe1(ctx, arn)).rollback?.reason).toContain('no valid hookStatus');
  });

  it('a hook whose invocation throws rolls back with the error', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', lifecycleHooks: [hook(['PRE_SCALE_UP'])] }, () => {
      throw new Error('Task timed out after 15.00 seconds');
    });
    // Act
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    // Assess
    expect((await describe1(ctx, arn)).rollback?.reason).toContain('Task timed out after 15.00 seconds');
  });

  it('canary on an ALB rule: canaryPercent on green for the canary bake, then 100, then the bake time', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 }, bakeTimeInMinutes: 3, lifecycleHooks: [hook(['PRE_PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT'])] });
    const rule = ctx.shop.ruleArn as string;
    const w = () => [weightOf(ctx.world, rule, TG_BLUE), weightOf(ctx.world, rule, TG_GREEN)];
    // Act
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, () => w()[1] === 10);
    const firstShiftAt = ctx.clock.now();
    await ctx.clock.advance(4 * 60_000);
    const inCanaryBake = w();
    await runUntil(ctx.clock, () => w()[1] === 100);
    const secondShiftAt = ctx.clock.now();
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'SUCCESSFUL');
    // Assess
    expect(inCanaryBake).toEqual([90, 10]);
    expect(secondShiftAt - firstShiftAt).toBeGreaterThanOrEqual(5 * 60_000);
    expect(secondShiftAt - firstShiftAt).toBeLessThan(5 * 60_000 + 2000);
    expect(ctx.clock.now() - secondShiftAt).toBeGreaterThanOrEqual(3 * 60_000);
    const target = (await describe1(ctx, arn)).targetServiceRevision?.arn as string;
    expect(ctx.calls.map((c) => [c.payload.lifecycleStage, c.payload.executionDetails.productionTrafficWeights[target]])).toEqual([
      ['PRE_PRODUCTION_TRAFFIC_SHIFT', 0],
      ['PRODUCTION_TRAFFIC_SHIFT', 10],
      ['PRE_PRODUCTION_TRAFFIC_SHIFT', 10],
      ['PRODUCTION_TRAFFIC_SHIFT', 100],
    ]);
  });

  it('linear on an ALB rule: stepPercent every stepBakeTimeInMinutes, no step bake after 100', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 2 }, bakeTimeInMinutes: 1 });
    const rule = ctx.shop.ruleArn as string;
    const seen: Array<[number, number]> = [];
    // Act
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, async () => {
      const g = weightOf(ctx.world, rule, TG_GREEN);
      if (seen.at(-1)?.[1] !== g) seen.push([ctx.clock.now(), g]);
      return (await describe1(ctx, arn)).status === 'SUCCESSFUL';
    });
    // Assess
    expect(seen.map(([, g]) => g)).toEqual([0, 25, 50, 75, 100]);
    const gaps = seen.slice(2).map(([t], k) => t - (seen[k + 1]?.[0] ?? 0));
    expect(gaps).toEqual([120_000, 120_000, 120_000]);
    expect(weightOf(ctx.world, rule, TG_BLUE)).toBe(0);
    expect(ctx.clock.now() - (seen.at(-1)?.[0] ?? 0)).toBeLessThan(2 * 60_000);
  });

  it('StopServiceDeployment ROLLBACK mid-bake: ROLLBACK_REQUESTED at once, traffic back on blue, ROLLBACK_SUCCESSFUL; a second stop is a ConflictException', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 20, canaryBakeTimeInMinutes: 10 } });
    const rule = ctx.shop.ruleArn as string;
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, () => weightOf(ctx.world, rule, TG_GREEN) === 20);
    await ctx.clock.advance(60_000);
    // Act
    const out = await ctx.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }));
    const requested = await describe1(ctx, arn);
    await ctx.clock.advance(1000);
    const weightsAfter = [weightOf(ctx.world, rule, TG_BLUE), weightOf(ctx.world, rule, TG_GREEN)];
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    const again = ctx.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }));
    // Assess
    expect(out.serviceDeploymentArn).toBe(arn);
    expect(requested).toMatchObject({ status: 'ROLLBACK_REQUESTED', rollback: { reason: expect.stringContaining('StopServiceDeployment') } });
    expect(weightsAfter).toEqual([100, 0]);
    await expect(again).rejects.toMatchObject({ name: 'ConflictException' });
    await ctx.clock.advance(11 * 60_000);
    expect((await describe1(ctx, arn)).status).toBe('ROLLBACK_SUCCESSFUL');
    expect(weightOf(ctx.world, rule, TG_GREEN)).toBe(0);
  });

  it('StopServiceDeployment: an unknown deployment is ServiceDeploymentNotFoundException, stopType ABORT is refused', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10 });
    const arn = await deploy(ctx);
    // Act
    const unknown = ctx.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: `${arn}x` }));
    const abort = ctx.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ABORT' }));
    // Assess
    await expect(unknown).rejects.toMatchObject({ name: 'ServiceDeploymentNotFoundException' });
    await expect(abort).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('ROLLBACK') });
    expect((await describe1(ctx, arn)).status).toBe('IN_PROGRESS');
  });

  it('a deployment alarm going to ALARM during the bake rolls back within one poll, naming the alarm', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10, alarms: { alarmNames: ['shop-5xx'], enable: true, rollback: true } });
    ctx.world.createMetricAlarm({ name: 'shop-5xx', namespace: 'App', metricName: 'Errors', dimensions: { service: 'shop' }, threshold: 1 });
    ctx.world.setAlarmState('shop-5xx', 'OK', 'fine', { holdMs: 3_600_000 });
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).lifecycleStage === 'BAKE_TIME');
    // Act
    const firedAt = ctx.clock.now();
    ctx.world.setAlarmState('shop-5xx', 'ALARM', 'errors', { holdMs: 3_600_000 });
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status !== 'IN_PROGRESS');
    const reactedAt = ctx.clock.now();
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    const d = await describe1(ctx, arn);
    // Assess
    expect(reactedAt - firedAt).toBeLessThanOrEqual(60_000 + 1000);
    expect(d).toMatchObject({ alarms: { status: 'TRIGGERED', alarmNames: ['shop-5xx'], triggeredAlarmNames: ['shop-5xx'] }, rollback: { reason: expect.stringContaining('shop-5xx') } });
    expect(weightOf(ctx.world, ctx.shop.ruleArn as string, TG_BLUE)).toBe(100);
  });

  it('a deployment alarm already in ALARM when the deployment starts is ignored (until it leaves ALARM)', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 2, alarms: { alarmNames: ['shop-5xx'], enable: true, rollback: true } });
    ctx.world.createMetricAlarm({ name: 'shop-5xx', namespace: 'App', metricName: 'Errors', dimensions: { service: 'shop' }, threshold: 1 });
    ctx.world.setAlarmState('shop-5xx', 'ALARM', 'already firing', { holdMs: 3_600_000 });
    // Act
    const arn = await deploy(ctx);
    await runUntil(ctx.clock, async () => !['IN_PROGRESS', 'PENDING'].includes((await describe1(ctx, arn)).status as string));
    // Assess
    expect(await describe1(ctx, arn)).toMatchObject({ status: 'SUCCESSFUL', alarms: { status: 'MONITORING_COMPLETE' } });
  });

  it('headless blue/green (no load balancer): the new revision scales up, the old one stops, SUCCESSFUL', async () => {
    // Prepare
    const clock = new ManualClock();
    const world = new World({ clock, seed: 3 });
    const worker = world.createWorkerService({
      cluster: 'prod',
      service: 'shop',
      desiredCount: 2,
      containerName: 'web',
      initialImage: { repository: 'shop', digest: GOOD },
      deploymentController: 'ECS',
      deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1, lifecycleHooks: [hook(['POST_SCALE_UP'])] },
    });
    const stages: string[] = [];
    world.setHookInvoker((_arn, p) => {
      stages.push(p.lifecycleStage);
      return { hookStatus: 'SUCCEEDED' };
    });
    const { ecs } = clientsFor(world);
    const td = await registerNext({ world, ecs }, worker.taskDefinitionArn as string);
    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', taskDefinition: td }));
    const arn = (await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'shop' }))).serviceDeployments?.[0]?.serviceDeploymentArn as string;
    await runUntil(clock, async () => (await describe1({ ecs }, arn)).status === 'SUCCESSFUL');
    await clock.advance(60_000);
    // Assess
    expect(stages).toEqual(['POST_SCALE_UP']);
    expect(world.ecs.runningTasksAt('prod', 'shop', clock.now()).map((t) => t.taskDefinitionArn)).toEqual([td, td]);
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] }))).services?.[0];
    expect(svc).toMatchObject({ loadBalancers: [], taskDefinition: td, deploymentConfiguration: { strategy: 'BLUE_GREEN' } });
  });

  describe('strict where ECS is strict', () => {
    const refused = async (config: DeploymentConfiguration, message: RegExp) => {
      const ctx = nativeSetup({ strategy: 'BLUE_GREEN' });
      await expect(ctx.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', deploymentConfiguration: config }))).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(message) });
    };
    it.each([
      ['an unknown strategy', { strategy: 'RED_BLACK' as never }, /strategy must be one of/],
      ['canaryPercent not a multiple of 0.1', { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 0.05 } }, /canaryPercent must be a multiple of 0.1 from 0.1 to 100.0/],
      ['stepPercent under 3', { strategy: 'LINEAR', linearConfiguration: { stepPercent: 2 } }, /stepPercent must be a multiple of 0.1 from 3.0/],
      ['a bake over 1440 minutes', { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1441 }, /bakeTimeInMinutes must be a whole number of minutes from 0 to 1440/],
      ['linearConfiguration with CANARY', { strategy: 'CANARY', linearConfiguration: { stepPercent: 10 } }, /linearConfiguration is only valid with strategy LINEAR/],
      ['a hook at a stage hooks cannot use', { strategy: 'BLUE_GREEN', lifecycleHooks: [hook(['BAKE_TIME'])] }, /'BAKE_TIME' is not a lifecycle stage a hook can run at/],
      ['a hook without its role', { strategy: 'BLUE_GREEN', lifecycleHooks: [{ hookTargetArn: HOOK, lifecycleStages: ['POST_SCALE_UP'] }] }, /roleArn is required/],
      ['alarms enabled without names', { strategy: 'BLUE_GREEN', alarms: { alarmNames: [], enable: true, rollback: true } }, /alarmNames must name at least one alarm/],
    ] as Array<[string, DeploymentConfiguration, RegExp]>)('refuses %s', async (_name, config, message) => {
      await refused(config, message);
    });

    it('refuses deploymentConfiguration.strategy on an EXTERNAL service, and task sets on an ECS-controller one', async () => {
      // Prepare
      const clock = new ManualClock();
      const world = new World({ clock, seed: 7 });
      world.createService(SHOP);
      world.createService({ ...SHOP, service: 'cart', listener: undefined, rule: { listenerArn: LISTENER_ARN, priority: 20 }, targetGroupArns: undefined, deploymentController: 'ECS', deploymentConfiguration: { strategy: 'BLUE_GREEN' } });
      const { ecs } = clientsFor(world);
      // Act
      const strategy = ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', deploymentConfiguration: { strategy: 'BLUE_GREEN' } }));
      const taskSets = ecs.send(new DescribeTaskSetsCommand({ cluster: 'prod', service: 'cart' }));
      // Assess
      await expect(strategy).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('EXTERNAL') });
      await expect(taskSets).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('EXTERNAL') });
    });

    it('a CODE_DEPLOY service refuses a new task definition through UpdateService, as ECS does', async () => {
      // Prepare
      const clock = new ManualClock();
      const world = new World({ clock, seed: 7 });
      const shop = world.createService({ ...SHOP, deploymentController: 'CODE_DEPLOY' });
      const { ecs } = clientsFor(world);
      const td = await registerNext({ world, ecs }, shop.taskDefinitionArn as string);
      // Act
      const out = ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', taskDefinition: td }));
      // Assess
      await expect(out).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('Use AWS CodeDeploy') });
      const svc = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] }))).services?.[0];
      expect(svc?.deploymentController?.type).toBe('CODE_DEPLOY');
      expect(svc?.taskSets).toEqual([]);
    });

    it('CANARY on a service with no load balancer is refused', async () => {
      // Prepare
      const clock = new ManualClock();
      const world = new World({ clock, seed: 3 });
      world.createWorkerService({ cluster: 'prod', service: 'jobs', desiredCount: 1, containerName: 'w', initialImage: { repository: 'jobs', digest: GOOD }, deploymentController: 'ECS' });
      const { ecs } = clientsFor(world);
      // Act
      const out = ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'jobs', deploymentConfiguration: { strategy: 'CANARY' } }));
      // Assess
      await expect(out).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('needs a load balancer') });
    });
  });
});
