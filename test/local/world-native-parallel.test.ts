/**
 * Several Lambda lifecycle hooks at one stage in the world's model of ECS's own deployments
 * (local/world/ecs-native.ts), driven through real SDK clients bound to the world. The ECS developer
 * guide ("Pause hooks for Amazon ECS service deployments", Multiple hooks at the same stage): "All
 * hooks configured at the same lifecycle stage run in parallel"; the deployment goes on only when all
 * of them are done, and a rollback by any one rolls the whole deployment back. No product code.
 */
import type {
  DeploymentConfiguration,
  DeploymentLifecycleHook,
  ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import type { HookPayload } from '../../local/world/ecs-native.js';
import { World } from '../../local/world/world.js';
import { clientsFor, LISTENER_ARN, ManualClock, SHOP } from './world.fixtures.js';
import { deployRevision, describeDeployment, runUntil } from './world-native.fixtures.js';

const FN = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const SLOW = FN('slow-check');
const FAST = FN('fast-check');
const HOOK_ROLE = 'arn:aws:iam::123456789012:role/ecs-invokes-hooks';
const MIN = 60_000;

const lambda = (arn: string, stages: string[], extra: Partial<DeploymentLifecycleHook> = {}): DeploymentLifecycleHook => ({
  hookTargetArn: arn,
  roleArn: HOOK_ROLE,
  lifecycleStages: stages as never,
  ...extra,
});

interface Call {
  readonly at: number;
  readonly arn: string;
  readonly payload: HookPayload;
}

/** `answers[arn](payload, n)`: the n-th (1-based) answer of that function. */
function nativeSetup(deploymentConfiguration: DeploymentConfiguration, answers: Record<string, (p: HookPayload, n: number) => unknown>) {
  const clock = new ManualClock();
  const world = new World({ clock, seed: 13 });
  const shop = world.createService({
    ...SHOP,
    listener: undefined,
    rule: { listenerArn: LISTENER_ARN, priority: 10 },
    deploymentController: 'ECS',
    deploymentConfiguration,
    nativeTestRule: true,
  });
  const calls: Call[] = [];
  world.setHookInvoker((arn, payload) => {
    calls.push({ at: clock.now(), arn, payload });
    const answer = answers[arn];
    if (!answer) throw new Error(`ResourceNotFoundException: no function ${arn}`);
    return answer(payload, calls.filter((c) => c.arn === arn).length);
  });
  return { clock, world, shop, calls, ...clientsFor(world) };
}
type Ctx = ReturnType<typeof nativeSetup>;
const deploy = (ctx: Ctx) => deployRevision(ctx.world, ctx.ecs, ctx.shop.taskDefinitionArn as string);
const describe1 = (ctx: Pick<Ctx, 'ecs'>, arn: string) => describeDeployment(ctx.ecs, arn);

/** Times (ms after `t0`) at which `arn` was invoked at `stage`. */
const timesOf = (calls: readonly Call[], arn: string, stage: string, t0: number) => calls.filter((c) => c.arn === arn && c.payload.lifecycleStage === stage).map((c) => c.at - t0);
const hookStates = (d: ServiceDeployment) => (d.lifecycleHookDetails ?? []).map((h) => `${h.targetArn}:${h.status}`).sort();

describe('local world: several Lambda hooks at one stage run in parallel', () => {
  it('two Lambda hooks at POST_SCALE_UP are invoked at the same time; the stage ends when the slow one (IN_PROGRESS twice, callBackDelay 30) succeeds', async () => {
    // Prepare: SLOW answers IN_PROGRESS (callBackDelay 30) twice, then SUCCEEDED; FAST answers SUCCEEDED
    // at once; FAST is also the POST_TEST_TRAFFIC_SHIFT hook, which tells when POST_SCALE_UP ended.
    const ctx = nativeSetup(
      {
        strategy: 'BLUE_GREEN',
        bakeTimeInMinutes: 0,
        lifecycleHooks: [
          lambda(SLOW, ['POST_SCALE_UP'], { hookDetails: { mine: 'slow' } }),
          lambda(FAST, ['POST_SCALE_UP', 'POST_TEST_TRAFFIC_SHIFT'], { hookDetails: { mine: 'fast' } }),
        ],
      },
      {
        [SLOW]: (_p, n) => (n < 3 ? { hookStatus: 'IN_PROGRESS', callBackDelay: 30, hookDetails: { mine: 'slow', round: n } } : { hookStatus: 'SUCCEEDED' }),
        [FAST]: () => ({ hookStatus: 'SUCCEEDED' }),
      },
    );
    const arn = await deploy(ctx);
    // Act
    await runUntil(ctx.clock, () => ctx.calls.length >= 2);
    const t0 = ctx.calls[0]?.at as number;
    await ctx.clock.advance(15_000);
    const midway = await describe1(ctx, arn);
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'SUCCESSFUL');
    // Assess: both invoked at the stage's start; SLOW again at +30 s and +60 s; FAST once at the stage;
    // the next stage's hook ran when SLOW succeeded (+60 s), not when FAST did (+0 s).
    expect(timesOf(ctx.calls, SLOW, 'POST_SCALE_UP', t0)).toEqual([0, 30_000, 60_000]);
    expect(timesOf(ctx.calls, FAST, 'POST_SCALE_UP', t0)).toEqual([0]);
    expect(timesOf(ctx.calls, FAST, 'POST_TEST_TRAFFIC_SHIFT', t0)).toEqual([60_000]);
    expect(midway).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'POST_SCALE_UP' });
    expect(hookStates(midway)).toEqual([`${FAST}:SUCCEEDED`, `${SLOW}:IN_PROGRESS`].sort());
    // Each hook its own cycle: its own executionId, its own hookDetails.
    const slow = ctx.calls.filter((c) => c.arn === SLOW);
    const fast = ctx.calls.find((c) => c.arn === FAST);
    expect(new Set(slow.map((c) => c.payload.executionId)).size).toBe(1);
    expect(fast?.payload.executionId).not.toBe(slow[0]?.payload.executionId);
    expect(slow.map((c) => c.payload.hookDetails)).toEqual([{ mine: 'slow' }, { mine: 'slow', round: 1 }, { mine: 'slow', round: 2 }]);
    expect(fast?.payload.hookDetails).toEqual({ mine: 'fast' });
  });

  it.each([
    ['SLOW (listed first) answers FAILED at once', SLOW, 1, [0]],
    ['FAST (listed second) answers FAILED at once', FAST, 1, [0]],
    ['SLOW answers FAILED on its second call (+30 s)', SLOW, 2, [0, 20_000]],
    ['FAST answers FAILED on its second call (+30 s)', FAST, 2, [0, 20_000]],
  ] as const)('a FAILED answer from either Lambda hook rolls back and the other is not invoked again: %s', async (_name, failing, failOn, otherTimes) => {
    // Prepare: the failing hook answers IN_PROGRESS (callBackDelay 30) until call `failOn`, then FAILED;
    // the other answers IN_PROGRESS with callBackDelay 20 for ever (every 20 s while the stage lasts).
    const other = failing === SLOW ? FAST : SLOW;
    const ctx = nativeSetup(
      { strategy: 'BLUE_GREEN', lifecycleHooks: [lambda(SLOW, ['POST_SCALE_UP']), lambda(FAST, ['POST_SCALE_UP'])] },
      {
        [failing]: (_p, n) => (n < failOn ? { hookStatus: 'IN_PROGRESS', callBackDelay: 30 } : { hookStatus: 'FAILED' }),
        [other]: () => ({ hookStatus: 'IN_PROGRESS', callBackDelay: 20 }),
      },
    );
    const arn = await deploy(ctx);
    // Act
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === 'ROLLBACK_SUCCESSFUL');
    const t0 = ctx.calls[0]?.at as number;
    await ctx.clock.advance(10 * MIN);
    const done = await describe1(ctx, arn);
    // Assess
    expect(timesOf(ctx.calls, failing, 'POST_SCALE_UP', t0)).toEqual(failOn === 1 ? [0] : [0, 30_000]);
    expect(timesOf(ctx.calls, other, 'POST_SCALE_UP', t0)).toEqual(otherTimes);
    expect(ctx.calls.every((c) => c.payload.lifecycleStage === 'POST_SCALE_UP')).toBe(true);
    expect(done.rollback?.reason).toBe(`Lifecycle hook ${failing} returned FAILED at POST_SCALE_UP.`);
    expect(hookStates(done)).toEqual([`${FAST}:FAILED`, `${SLOW}:FAILED`]);
  });

  it.each([
    ['CONTINUE: the stage goes on once the other hook has succeeded too', 'CONTINUE'],
    ['ROLLBACK: the deployment rolls back and the other hook is not invoked again', 'ROLLBACK'],
  ] as const)('a hook still IN_PROGRESS at its own timeout (1 min) beside one that keeps going, action %s', async (_name, action) => {
    // Prepare: SLOW answers IN_PROGRESS every 30 s with a 1-minute timeout (it times out at its +60 s
    // call); FAST answers IN_PROGRESS (callBackDelay 45) twice, then SUCCEEDED at +90 s. FAST is also
    // the POST_TEST_TRAFFIC_SHIFT hook, which tells when POST_SCALE_UP ended.
    const ctx = nativeSetup(
      {
        strategy: 'BLUE_GREEN',
        bakeTimeInMinutes: 0,
        lifecycleHooks: [lambda(SLOW, ['POST_SCALE_UP'], { timeoutConfiguration: { timeoutInMinutes: 1, action } }), lambda(FAST, ['POST_SCALE_UP', 'POST_TEST_TRAFFIC_SHIFT'])],
      },
      {
        [SLOW]: () => ({ hookStatus: 'IN_PROGRESS', callBackDelay: 30 }),
        [FAST]: (p, n) => (p.lifecycleStage === 'POST_SCALE_UP' && n < 3 ? { hookStatus: 'IN_PROGRESS', callBackDelay: 45 } : { hookStatus: 'SUCCEEDED' }),
      },
    );
    const arn = await deploy(ctx);
    // Act
    await runUntil(ctx.clock, () => ctx.calls.length >= 2);
    const t0 = ctx.calls[0]?.at as number;
    await ctx.clock.advance(t0 + 75_000 - ctx.clock.now());
    const at75 = await describe1(ctx, arn);
    const end = action === 'CONTINUE' ? 'SUCCESSFUL' : 'ROLLBACK_SUCCESSFUL';
    await runUntil(ctx.clock, async () => (await describe1(ctx, arn)).status === end);
    await ctx.clock.advance(10 * MIN);
    const done = await describe1(ctx, arn);
    // Assess: SLOW is invoked at +0 and +30 s and times out at +60 s.
    expect(timesOf(ctx.calls, SLOW, 'POST_SCALE_UP', t0)).toEqual([0, 30_000]);
    if (action === 'CONTINUE') {
      expect(at75).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'POST_SCALE_UP' });
      expect(hookStates(at75)).toEqual([`${FAST}:IN_PROGRESS`, `${SLOW}:TIMED_OUT`]);
      expect(timesOf(ctx.calls, FAST, 'POST_SCALE_UP', t0)).toEqual([0, 45_000, 90_000]);
      expect(timesOf(ctx.calls, FAST, 'POST_TEST_TRAFFIC_SHIFT', t0)).toEqual([90_000]);
      expect(done.rollback).toBeUndefined();
    } else {
      expect(at75.status).not.toBe('IN_PROGRESS');
      expect(timesOf(ctx.calls, FAST, 'POST_SCALE_UP', t0)).toEqual([0, 45_000]);
      expect(done.rollback?.reason).toBe(`Lifecycle hook ${SLOW} at POST_SCALE_UP timed out.`);
      expect(hookStates(done)).toEqual([`${FAST}:FAILED`, `${SLOW}:TIMED_OUT`]);
    }
  });
});
