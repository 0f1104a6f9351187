/**
 * PAUSE lifecycle hooks and ContinueServiceDeployment in the world's model of ECS's own deployments
 * (local/world/ecs-native.ts), driven through real SDK clients bound to the world, as the ECS
 * developer guide describes them ("Pause hooks for Amazon ECS service deployments", "Continuing
 * service deployments", "Amazon ECS service deployment hook state change events"). No product code.
 */
import {
  ContinueServiceDeploymentCommand,
  type DeploymentConfiguration,
  type DeploymentLifecycleHook,
  type ServiceDeployment,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import type { HookPayload } from '../../local/world/ecs-native.js';
import type { AwsEvent } from '../../local/world/types.js';
import { World } from '../../local/world/world.js';
import { clientsFor, LISTENER_ARN, ManualClock, SHOP, TG_BLUE, TG_GREEN } from './world.fixtures.js';
import { deployRevision, describeDeployment, runUntil } from './world-native.fixtures.js';

const HOOK = 'arn:aws:lambda:us-east-1:123456789012:function:cutover-hook';
const HOOK_ROLE = 'arn:aws:iam::123456789012:role/ecs-invokes-cutover-hook';
const MIN = 60_000;

const lambda = (stages: string[]): DeploymentLifecycleHook => ({ hookTargetArn: HOOK, roleArn: HOOK_ROLE, lifecycleStages: stages as never });
const pause = (stages: string[], timeout?: { timeoutInMinutes?: number; action?: 'ROLLBACK' | 'CONTINUE' }): DeploymentLifecycleHook => ({
  targetType: 'PAUSE',
  lifecycleStages: stages as never,
  ...(timeout ? { timeoutConfiguration: timeout } : {}),
});

function nativeSetup(deploymentConfiguration: DeploymentConfiguration, answer: (p: HookPayload, n: number) => unknown = () => ({ hookStatus: 'SUCCEEDED' })) {
  const clock = new ManualClock();
  const world = new World({ clock, seed: 11 });
  const shop = world.createService({
    ...SHOP,
    listener: undefined,
    rule: { listenerArn: LISTENER_ARN, priority: 10 },
    deploymentController: 'ECS',
    deploymentConfiguration,
    nativeTestRule: true,
  });
  const calls: Array<{ at: number; payload: HookPayload }> = [];
  world.setHookInvoker((_arn, payload) => {
    calls.push({ at: clock.now(), payload });
    return answer(payload, calls.length);
  });
  return { clock, world, shop, calls, ...clientsFor(world) };
}
type Ctx = ReturnType<typeof nativeSetup>;
const deploy = (ctx: Ctx) => deployRevision(ctx.world, ctx.ecs, ctx.shop.taskDefinitionArn as string);
const describe1 = (ctx: Pick<Ctx, 'ecs'>, arn: string) => describeDeployment(ctx.ecs, arn);

const hookEvents = (world: World): AwsEvent[] => world.awsEvents.filter((e) => e['detail-type'] === 'ECS Hook State Change');
const deploymentEvents = (world: World) =>
  world.awsEvents.filter((e) => e['detail-type'] === 'ECS Deployment State Change').map((e) => `${e.detail.eventType}:${e.detail.eventName}`);
/** When the pause hook `hookId` started: its HOOK_AWAITING_ACTION event's time. */
const pausedAtOf = (world: World, hookId: string | undefined) => Date.parse(hookEvents(world).find((e) => e.detail.eventName === 'HOOK_AWAITING_ACTION' && e.detail.hookId === hookId)?.time as string);
const weightOf = (world: World, rule: string, tg: string) => world.weights(rule).find((w) => w.targetGroupArn === tg)?.weight ?? 0;

/** Run until a pause hook awaits action; returns its detail as DescribeServiceDeployments shows it. */
async function awaitPause(ctx: Ctx, arn: string, skip: ReadonlySet<string> = new Set()) {
  let found: NonNullable<ServiceDeployment['lifecycleHookDetails']>[number] | undefined;
  await runUntil(ctx.clock, async () => {
    found = (await describe1(ctx, arn)).lifecycleHookDetails?.find((h) => h.targetType === 'PAUSE' && h.status === 'AWAITING_ACTION' && !skip.has(h.hookId as string));
    return found !== undefined;
  });
  return found as NonNullable<typeof found>;
}

const cont = (ctx: Ctx, serviceDeploymentArn: string, hookId: string, action?: 'CONTINUE' | 'ROLLBACK') =>
  ctx.ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn, hookId, ...(action ? { action } : {}) }));

describe('local world: PAUSE lifecycle hooks and ContinueServiceDeployment', () => {
  it('a pause at POST_TEST_TRAFFIC_SHIFT holds with AWAITING_ACTION and emits HOOK_AWAITING_ACTION; ContinueServiceDeployment (default CONTINUE) resumes to SUCCESSFUL', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [pause(['POST_TEST_TRAFFIC_SHIFT'], { timeoutInMinutes: 30, action: 'ROLLBACK' })] });
    const rule = ctx.shop.ruleArn as string;
    // Act
    const arn = await deploy(ctx);
    const detail = await awaitPause(ctx, arn);
    const pausedAt = pausedAtOf(ctx.world, detail.hookId);
    await ctx.clock.advance(20 * MIN);
    const held = await describe1(ctx, arn);
    const prodWhileHeld = weightOf(ctx.world, rule, TG_GREEN);
    const out = await cont(ctx, arn, detail.hookId as string);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'SUCCESSFUL');
    // Assess
    expect(detail).toEqual({ hookId: expect.stringMatching(/^ecs-pause-[A-Za-z0-9_-]{43}$/), targetType: 'PAUSE', status: 'AWAITING_ACTION', expiresAt: new Date(pausedAt + 30 * MIN), timeoutAction: 'ROLLBACK' });
    expect(detail).not.toHaveProperty('targetArn');
    expect(held).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT' });
    expect(prodWhileHeld).toBe(0);
    expect(out.serviceDeploymentArn).toBe(arn);
    const events = hookEvents(ctx.world);
    expect(events.map((e) => e.detail.eventName)).toEqual(['HOOK_AWAITING_ACTION', 'HOOK_SUCCEEDED']);
    expect(events[0]).toMatchObject({
      version: '0',
      'detail-type': 'ECS Hook State Change',
      source: 'aws.ecs',
      account: '123456789012',
      region: 'us-east-1',
      time: new Date(pausedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      resources: [arn],
      detail: {
        eventType: 'INFO',
        eventName: 'HOOK_AWAITING_ACTION',
        hookId: detail.hookId,
        hookType: 'PAUSE',
        expiresAt: new Date(pausedAt + 30 * MIN).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
        serviceArn: ctx.shop.serviceArn,
        serviceDeploymentArn: arn,
      },
    });
    expect(deploymentEvents(ctx.world)).toEqual(['INFO:SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO:SERVICE_DEPLOYMENT_COMPLETED']);
    expect(weightOf(ctx.world, rule, TG_GREEN)).toBe(100);
  });

  it('ContinueServiceDeployment ROLLBACK rolls the deployment back (ROLLBACK_REQUESTED, then ROLLBACK_SUCCESSFUL), the hook FAILED with HOOK_FAILED', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [pause(['POST_TEST_TRAFFIC_SHIFT'])] });
    const arn = await deploy(ctx);
    const detail = await awaitPause(ctx, arn);
    // Act
    await cont(ctx, arn, detail.hookId as string, 'ROLLBACK');
    const requested = await describe1(ctx, arn);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    // Assess
    expect(requested).toMatchObject({
      status: 'ROLLBACK_REQUESTED',
      rollback: { reason: `Service deployment rolled back because of a ContinueServiceDeployment request (action ROLLBACK) on pause hook ${detail.hookId} at POST_TEST_TRAFFIC_SHIFT.` },
    });
    expect(requested.lifecycleHookDetails).toEqual([expect.objectContaining({ hookId: detail.hookId, status: 'FAILED' })]);
    expect(hookEvents(ctx.world).map((e) => `${e.detail.eventType}:${e.detail.eventName}`)).toEqual(['INFO:HOOK_AWAITING_ACTION', 'ERROR:HOOK_FAILED']);
    expect(ctx.world.healthyTargets(TG_BLUE)).toBe(4);
  });

  it('a pause that times out with action ROLLBACK: TIMED_OUT at expiresAt, HOOK_TIMED_OUT, the deployment rolls back with "Pause hook ... timed out."', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [pause(['POST_SCALE_UP'], { timeoutInMinutes: 5 })] });
    const arn = await deploy(ctx);
    const detail = await awaitPause(ctx, arn);
    const expiresAt = detail.expiresAt?.getTime() as number;
    // Act
    await ctx.clock.advance(expiresAt - ctx.clock.now() - 1000);
    const justBefore = await describe1(ctx, arn);
    await ctx.clock.advance(1000);
    const after = await describe1(ctx, arn);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    const late = cont(ctx, arn, detail.hookId as string);
    // Assess
    expect(detail.timeoutAction).toBe('ROLLBACK');
    expect(justBefore).toMatchObject({ status: 'IN_PROGRESS', lifecycleHookDetails: [{ hookId: detail.hookId, status: 'AWAITING_ACTION' }] });
    expect(after.status).toMatch(/^ROLLBACK_/);
    expect(after.rollback?.reason).toBe(`Pause hook ${detail.hookId} at POST_SCALE_UP timed out.`);
    expect(after.lifecycleHookDetails).toEqual([expect.objectContaining({ status: 'TIMED_OUT' })]);
    expect(hookEvents(ctx.world).map((e) => `${e.detail.eventType}:${e.detail.eventName}`)).toEqual(['INFO:HOOK_AWAITING_ACTION', 'ERROR:HOOK_TIMED_OUT']);
    expect(deploymentEvents(ctx.world)).toEqual(['INFO:SERVICE_DEPLOYMENT_IN_PROGRESS', 'ERROR:SERVICE_DEPLOYMENT_FAILED', 'INFO:SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO:SERVICE_DEPLOYMENT_COMPLETED']);
    await expect(late).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('ROLLBACK_SUCCESSFUL') });
  });

  it('a pause that times out with action CONTINUE: TIMED_OUT, and the deployment goes on to SUCCESSFUL', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [pause(['POST_SCALE_UP'], { timeoutInMinutes: 5, action: 'CONTINUE' })] });
    const arn = await deploy(ctx);
    const detail = await awaitPause(ctx, arn);
    // Act
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).lifecycleStage !== 'POST_SCALE_UP');
    const movedAt = ctx.clock.now();
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'SUCCESSFUL');
    // Assess
    expect(detail.timeoutAction).toBe('CONTINUE');
    expect(movedAt).toBeGreaterThanOrEqual(detail.expiresAt?.getTime() as number);
    expect(hookEvents(ctx.world).map((e) => e.detail.eventName)).toEqual(['HOOK_AWAITING_ACTION', 'HOOK_TIMED_OUT']);
    expect(deploymentEvents(ctx.world)).toEqual(['INFO:SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO:SERVICE_DEPLOYMENT_COMPLETED']);
  });

  it('the default timeout is 1440 minutes with action ROLLBACK', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', lifecycleHooks: [pause(['PRE_SCALE_UP'])] });
    const arn = await deploy(ctx);
    // Act
    const detail = await awaitPause(ctx, arn);
    // Assess
    expect(detail.timeoutAction).toBe('ROLLBACK');
    expect((detail.expiresAt?.getTime() as number) - pausedAtOf(ctx.world, detail.hookId)).toBe(1440 * MIN);
  });

  it('a Lambda hook and a pause hook at the same stage run in parallel: the stage goes on only when both are done', async () => {
    // Prepare: the Lambda hook answers IN_PROGRESS twice (30 s apart), then SUCCEEDED.
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [lambda(['POST_TEST_TRAFFIC_SHIFT']), pause(['POST_TEST_TRAFFIC_SHIFT'])] }, (p) => {
      const n = ((p.hookDetails as { n?: number } | undefined)?.n ?? 0) + 1;
      return n < 3 ? { hookStatus: 'IN_PROGRESS', hookDetails: { n } } : { hookStatus: 'SUCCEEDED' };
    });
    const arn = await deploy(ctx);
    // Act
    const detail = await awaitPause(ctx, arn);
    const pausedAt = pausedAtOf(ctx.world, detail.hookId);
    await ctx.clock.advance(5 * MIN);
    const lambdaDoneWhilePaused = await describe1(ctx, arn);
    const invocations = ctx.calls.filter((c) => c.payload.lifecycleStage === 'POST_TEST_TRAFFIC_SHIFT').map((c) => c.at - pausedAt);
    await cont(ctx, arn, detail.hookId as string, 'CONTINUE');
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'SUCCESSFUL');
    // Assess: the Lambda hook was invoked while the pause awaited (from the stage's start) and finished;
    // the stage still held until the pause was continued.
    expect(invocations).toEqual([0, 30_000, 60_000]);
    expect(lambdaDoneWhilePaused).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT' });
    expect(lambdaDoneWhilePaused.lifecycleHookDetails?.map((h) => `${h.targetType}:${h.status}`).sort()).toEqual(['AWS_LAMBDA:SUCCEEDED', 'PAUSE:AWAITING_ACTION']);
    expect(lambdaDoneWhilePaused.lifecycleHookDetails?.find((h) => h.targetType === 'AWS_LAMBDA')?.targetArn).toBe(HOOK);
  });

  it('a Lambda hook that answers FAILED while a pause at the same stage awaits rolls the deployment back; the pause ends FAILED', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', lifecycleHooks: [pause(['POST_SCALE_UP']), lambda(['POST_SCALE_UP'])] }, () => ({ hookStatus: 'FAILED' }));
    const arn = await deploy(ctx);
    // Act
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    const done = await describe1(ctx, arn);
    // Assess
    expect(done.rollback?.reason).toBe(`Lifecycle hook ${HOOK} returned FAILED at POST_SCALE_UP.`);
    expect(done.lifecycleHookDetails?.map((h) => `${h.targetType}:${h.status}`).sort()).toEqual(['AWS_LAMBDA:FAILED', 'PAUSE:FAILED']);
    expect(hookEvents(ctx.world).map((e) => e.detail.eventName)).toEqual(['HOOK_AWAITING_ACTION', 'HOOK_FAILED']);
  });

  it('CANARY with a pause at PRE_PRODUCTION_TRAFFIC_SHIFT pauses before every traffic step, each time with a new hookId', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 2 }, bakeTimeInMinutes: 0, lifecycleHooks: [pause(['PRE_PRODUCTION_TRAFFIC_SHIFT'])] });
    const rule = ctx.shop.ruleArn as string;
    const arn = await deploy(ctx);
    // Act
    const first = await awaitPause(ctx, arn);
    await ctx.clock.advance(10 * MIN);
    const greenBeforeFirst = weightOf(ctx.world, rule, TG_GREEN);
    await cont(ctx, arn, first.hookId as string);
    const second = await awaitPause(ctx, arn, new Set([first.hookId as string]));
    await ctx.clock.advance(10 * MIN);
    const greenBeforeSecond = weightOf(ctx.world, rule, TG_GREEN);
    const stillInProgress = (await describe1(ctx, arn)).status;
    await cont(ctx, arn, second.hookId as string);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'SUCCESSFUL');
    // Assess
    expect(second.hookId).not.toBe(first.hookId);
    expect(greenBeforeFirst).toBe(0);
    expect(greenBeforeSecond).toBe(10);
    expect(stillInProgress).toBe('IN_PROGRESS');
    expect(hookEvents(ctx.world).map((e) => `${e.detail.eventName}:${e.detail.lifecycleStage}`)).toEqual([
      'HOOK_AWAITING_ACTION:PRE_PRODUCTION_TRAFFIC_SHIFT',
      'HOOK_SUCCEEDED:PRE_PRODUCTION_TRAFFIC_SHIFT',
      'HOOK_AWAITING_ACTION:PRE_PRODUCTION_TRAFFIC_SHIFT',
      'HOOK_SUCCEEDED:PRE_PRODUCTION_TRAFFIC_SHIFT',
    ]);
    expect(weightOf(ctx.world, rule, TG_GREEN)).toBe(100);
  });

  it('StopServiceDeployment during a pause rolls back as always; the pause hook ends FAILED (HOOK_FAILED) and can no longer be continued', async () => {
    // Prepare
    const ctx = nativeSetup({ strategy: 'BLUE_GREEN', lifecycleHooks: [pause(['POST_TEST_TRAFFIC_SHIFT'])] });
    const arn = await deploy(ctx);
    const detail = await awaitPause(ctx, arn);
    // Act
    await ctx.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }));
    const stopped = await describe1(ctx, arn);
    const late = cont(ctx, arn, detail.hookId as string);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    // Assess
    expect(stopped).toMatchObject({ status: 'ROLLBACK_REQUESTED', rollback: { reason: expect.stringContaining('StopServiceDeployment') } });
    expect(stopped.lifecycleHookDetails).toEqual([expect.objectContaining({ hookId: detail.hookId, status: 'FAILED' })]);
    expect(hookEvents(ctx.world).map((e) => e.detail.eventName)).toEqual(['HOOK_AWAITING_ACTION', 'HOOK_FAILED']);
    await expect(late).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('ROLLBACK_REQUESTED') });
  });

  describe('ContinueServiceDeployment errors', () => {
    it('an unknown deployment is ServiceDeploymentNotFoundException; a bad action, a missing hookId, a Lambda hook, an unknown hookId and a hook already continued are InvalidParameterException', async () => {
      // Prepare
      const ctx = nativeSetup({ strategy: 'BLUE_GREEN', lifecycleHooks: [lambda(['POST_SCALE_UP']), pause(['POST_SCALE_UP']), pause(['POST_TEST_TRAFFIC_SHIFT'])] }, () => ({ hookStatus: 'IN_PROGRESS', callBackDelay: 60 }));
      const arn = await deploy(ctx);
      const detail = await awaitPause(ctx, arn);
      const lambdaHook = (await describe1(ctx, arn)).lifecycleHookDetails?.find((h) => h.targetType === 'AWS_LAMBDA')?.hookId as string;
      // Act
      const unknown = cont(ctx, `${arn}x`, detail.hookId as string);
      const badAction = ctx.ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: detail.hookId, action: 'ABORT' as never }));
      const noHook = ctx.ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: '' }));
      const onLambda = cont(ctx, arn, lambdaHook);
      const unknownHook = cont(ctx, arn, 'ecs-pause-nope');
      await cont(ctx, arn, detail.hookId as string);
      const twice = cont(ctx, arn, detail.hookId as string);
      // Assess
      await expect(unknown).rejects.toMatchObject({ name: 'ServiceDeploymentNotFoundException' });
      await expect(badAction).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('CONTINUE and ROLLBACK') });
      await expect(noHook).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('hookId is required') });
      await expect(onLambda).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('is not a pause hook') });
      await expect(unknownHook).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('is not a pause hook') });
      await expect(twice).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('is SUCCEEDED, not AWAITING_ACTION') });
      // The Lambda hook still runs: the stage has not gone on.
      expect((await describe1(ctx, arn)).lifecycleStage).toBe('POST_SCALE_UP');
    });

    it('a deployment that is no longer IN_PROGRESS is InvalidParameterException', async () => {
      // Prepare
      const ctx = nativeSetup({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [pause(['POST_SCALE_UP'])] });
      const arn = await deploy(ctx);
      const detail = await awaitPause(ctx, arn);
      await cont(ctx, arn, detail.hookId as string);
      await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'SUCCESSFUL');
      // Act
      const out = cont(ctx, arn, detail.hookId as string, 'ROLLBACK');
      // Assess
      await expect(out).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('SUCCESSFUL') });
      expect((await describe1(ctx, arn)).status).toBe('SUCCESSFUL');
    });
  });

  describe('strict where ECS is strict', () => {
    const refused = async (config: DeploymentConfiguration, message: RegExp) => {
      const ctx = nativeSetup({ strategy: 'BLUE_GREEN' });
      await expect(ctx.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', deploymentConfiguration: config }))).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(message) });
    };
    it.each([
      ['a pause at PRODUCTION_TRAFFIC_SHIFT', { strategy: 'CANARY', lifecycleHooks: [pause(['PRODUCTION_TRAFFIC_SHIFT'])] }, /a PAUSE hook cannot be configured at PRODUCTION_TRAFFIC_SHIFT .*PRE_PRODUCTION_TRAFFIC_SHIFT pauses before every production traffic step/],
      ['a pause at TEST_TRAFFIC_SHIFT', { strategy: 'BLUE_GREEN', lifecycleHooks: [pause(['TEST_TRAFFIC_SHIFT'])] }, /a PAUSE hook cannot be configured at TEST_TRAFFIC_SHIFT/],
      ['a pause at BAKE_TIME', { strategy: 'BLUE_GREEN', lifecycleHooks: [pause(['BAKE_TIME'])] }, /'BAKE_TIME' is not a lifecycle stage a hook can run at/],
      ['a pause with a hookTargetArn', { strategy: 'BLUE_GREEN', lifecycleHooks: [{ ...pause(['POST_SCALE_UP']), hookTargetArn: HOOK }] }, /PAUSE lifecycle hook takes no hookTargetArn/],
      ['a pause with a roleArn', { strategy: 'BLUE_GREEN', lifecycleHooks: [{ ...pause(['POST_SCALE_UP']), roleArn: HOOK_ROLE }] }, /PAUSE lifecycle hook takes no roleArn/],
      ['a pause without stages', { strategy: 'BLUE_GREEN', lifecycleHooks: [pause([])] }, /lifecycleStages must name at least one stage/],
      ['a pause timeout over 20160 minutes', { strategy: 'BLUE_GREEN', lifecycleHooks: [pause(['POST_SCALE_UP'], { timeoutInMinutes: 20161 })] }, /timeoutInMinutes must be 1..20160/],
      ['eleven pause hooks', { strategy: 'BLUE_GREEN', lifecycleHooks: Array.from({ length: 11 }, () => pause(['POST_SCALE_UP'])) }, /at most 10 PAUSE hooks per service \(got 11\)/],
      ['an unknown targetType', { strategy: 'BLUE_GREEN', lifecycleHooks: [{ ...pause(['POST_SCALE_UP']), targetType: 'SNS' as never }] }, /targetType must be AWS_LAMBDA or PAUSE/],
    ] as Array<[string, DeploymentConfiguration, RegExp]>)('refuses %s', async (_name, config, message) => {
      await refused(config, message);
    });

    it('accepts ten pause hooks at the stages pause hooks may use', async () => {
      // Prepare
      const ctx = nativeSetup({ strategy: 'BLUE_GREEN' });
      const stages = ['RECONCILE_SERVICE', 'PRE_SCALE_UP', 'POST_SCALE_UP', 'POST_TEST_TRAFFIC_SHIFT', 'PRE_PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'];
      // Act
      const out = await ctx.ecs.send(
        new UpdateServiceCommand({ cluster: 'prod', service: 'shop', deploymentConfiguration: { strategy: 'LINEAR', linearConfiguration: { stepPercent: 50 }, lifecycleHooks: Array.from({ length: 10 }, () => pause(stages)) } }),
      );
      // Assess
      expect(out.service?.deploymentConfiguration?.lifecycleHooks).toHaveLength(10);
    });
  });
});
