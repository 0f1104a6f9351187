/** hook: invoke the current hook of a phase with the documented payload, read its answer, say what comes next. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeployState, StepItem } from '../../functions/core/deploy-state.js';
import { HookFailed, ValidationError } from '../../functions/core/errors.js';
import type { HookReply } from '../../functions/core/hooks.js';
import type { HookInvoker } from '../../functions/core/ports.js';
import type { ReleaseStageItem } from '../../functions/core/release.js';
import { createHandler } from '../../functions/handlers/hook.js';
import { ARN, testConfig, useDynalite, World } from '../helpers/fakes.js';

const hook = (n: string) => `arn:aws:lambda:us-east-1:123456789012:function:${n}`;

/** Answers per function (in order; the last repeats), recording every payload. */
class ScriptedHooks implements HookInvoker {
  readonly calls: Array<{ functionArn: string; payload: Record<string, unknown>; timeoutSeconds: number }> = [];
  constructor(private readonly script: Record<string, HookReply[]>) {}
  async invoke(functionArn: string, payload: unknown, timeoutSeconds: number): Promise<HookReply> {
    const n = this.calls.filter((c) => c.functionArn === functionArn).length;
    this.calls.push({ functionArn, payload: payload as Record<string, unknown>, timeoutSeconds });
    const replies = this.script[functionArn] ?? [{ kind: 'error', errorType: 'ResourceNotFoundException', message: 'Function not found' }];
    return replies[Math.min(n, replies.length - 1)] as HookReply;
  }
}
const pass: HookReply = { kind: 'answered', answer: { hookStatus: 'SUCCEEDED' } };
const askAgain = (callBackDelay?: number): HookReply => ({ kind: 'answered', answer: { hookStatus: 'IN_PROGRESS', ...(callBackDelay === undefined ? {} : { callBackDelay }) } });

const HOOKS = {
  afterHealthy: [hook('warm')],
  afterTestTraffic: [hook('smoke')],
  beforeShift: [hook('load')],
  afterFullTraffic: [hook('notify')],
  testUrl: 'https://web.example.com:8443',
  invocationTimeoutSeconds: 20,
};

const db = useDynalite();
let w: World;
beforeEach(async () => {
  w = (await World.create(db, testConfig({ web: { hooks: HOOKS } }))).seed();
});

function handlerWith(script: Record<string, HookReply[]>) {
  const invoker = new ScriptedHooks(script);
  const handler = createHandler({ env: w.env, clock: w.clock, invoker, store: w.store, logLevel: 'SILENT' });
  return { invoker, run: (event: unknown) => handler(event) as Promise<DeployState & StepItem & ReleaseStageItem> };
}

describe('deploy hooks', () => {
  it('preTraffic: afterHealthy then afterTestTraffic, each with the documented payload', async () => {
    // Prepare
    const req = w.request(1);
    const healthy = await w.greenHealthy(req);
    const { invoker, run } = handlerWith({ [hook('warm')]: [pass], [hook('smoke')]: [pass] });
    // Act
    const first = await run({ phase: 'preTraffic', state: healthy });
    const second = await run({ phase: 'preTraffic', state: first });
    // Assess
    expect(first.hooks).toMatchObject({ phase: 'preTraffic', index: 1, status: 'invoke' });
    expect(second.hooks).toMatchObject({ phase: 'preTraffic', index: 1, status: 'done' });
    expect(invoker.calls.map((c) => [c.functionArn, c.timeoutSeconds])).toEqual([
      [hook('warm'), 20],
      [hook('smoke'), 20],
    ]);
    expect(invoker.calls[1]?.payload).toEqual({
      cutoverHookVersion: '1',
      stage: 'afterTestTraffic',
      deploymentId: req.deploymentId,
      service: 'web',
      environment: 'production',
      image: healthy.request.image,
      versions: {
        blue: { targetGroupArn: ARN.webBlue, taskDefinitionArn: ARN.webTaskDefinition, taskSetId: healthy.ctx?.blue?.taskSetId },
        green: { targetGroupArn: ARN.webGreen, taskDefinitionArn: healthy.taskDefinitionArn, taskSetId: healthy.green?.taskSetId },
      },
      trafficPercent: 0,
      testUrl: 'https://web.example.com:8443',
      attempt: 1,
    });
    const record = await w.store.getDeployment('web', 'production', req.deploymentId);
    expect(record?.timeline.filter((e) => e.kind === 'hook').map((e) => [e.key, e.detail?.stage, e.detail?.answer])).toEqual([
      ['hook-preTraffic-0-1', 'afterHealthy', 'pass'],
      ['hook-preTraffic-1-1', 'afterTestTraffic', 'pass'],
    ]);
  });

  it('IN_PROGRESS waits its callBackDelay and asks the same hook again (attempt 2), then moves on', async () => {
    const healthy = await w.greenHealthy(w.request(1));
    const { invoker, run } = handlerWith({ [hook('warm')]: [askAgain(40), pass], [hook('smoke')]: [pass] });
    const waiting = await run({ phase: 'preTraffic', state: healthy });
    expect(waiting.hooks).toMatchObject({ index: 0, attempt: 1, status: 'wait', waitSeconds: 40 });
    w.clock.advanceSeconds(40);
    const next = await run({ phase: 'preTraffic', state: waiting });
    expect(next.hooks).toMatchObject({ index: 1, status: 'invoke' });
    expect(invoker.calls.map((c) => c.payload.attempt)).toEqual([1, 2]);
  });

  it('a FAILED answer is HookFailed naming the hook, and goes on the timeline', async () => {
    const req = w.request(1);
    const healthy = await w.greenHealthy(req);
    const { run } = handlerWith({ [hook('warm')]: [{ kind: 'answered', answer: { hookStatus: 'FAILED', reason: 'cache cold' } }] });
    await expect(run({ phase: 'preTraffic', state: healthy })).rejects.toThrow(HookFailed);
    await expect(run({ phase: 'preTraffic', state: healthy })).rejects.toThrow(/function:warm \(afterHealthy\) failed: cache cold/);
    const record = await w.store.getDeployment('web', 'production', req.deploymentId);
    expect(record?.timeline.find((e) => e.key === 'hook-preTraffic-0-1')?.detail).toMatchObject({ answer: 'failed', message: expect.stringContaining('cache cold') });
  });

  it('a hook that keeps asking fails once its timeoutSeconds have passed', async () => {
    const healthy = await w.greenHealthy(w.request(1));
    const { run } = handlerWith({ [hook('warm')]: [askAgain(120)] });
    let state = await run({ phase: 'preTraffic', state: healthy });
    w.clock.advanceSeconds(120);
    state = await run({ phase: 'preTraffic', state });
    w.clock.advanceSeconds(state.hooks?.waitSeconds ?? 0);
    state = await run({ phase: 'preTraffic', state });
    expect(state.hooks).toMatchObject({ status: 'wait', waitSeconds: 60 });
    w.clock.advanceSeconds(60);
    await expect(run({ phase: 'preTraffic', state })).rejects.toThrow(/did not pass within 300 s/);
  });

  it('beforeShift: per step, with the weight before and after the shift; afterFullTraffic at 100 %', async () => {
    const healthy = await w.greenHealthy(w.request(1));
    const { invoker, run } = handlerWith({ [hook('load')]: [pass], [hook('notify')]: [pass] });
    const lastShift = (healthy.ctx?.plan.steps.length ?? 0) - 1;
    const before0 = await run({ phase: 'beforeShift', item: w.item(healthy, 0) });
    const before2 = await run({ phase: 'beforeShift', item: { ...w.item(healthy, lastShift), hooks: before0.hooks } });
    const after = await run({ phase: 'afterFullTraffic', item: { ...w.item(healthy, lastShift), hooks: before2.hooks } });
    expect([before0.hooks?.status, before2.hooks?.status, after.hooks?.status]).toEqual(['done', 'done', 'done']);
    expect(invoker.calls.map((c) => [c.payload.stage, c.payload.trafficPercent, c.payload.nextPercent])).toEqual([
      ['beforeShift', 0, 10],
      ['beforeShift', 10, 100],
      ['afterFullTraffic', 100, undefined],
    ]);
  });

  it('a replayed invocation of a hook that already passed is done at once, invoking nothing', async () => {
    const healthy = await w.greenHealthy(w.request(1));
    const { invoker, run } = handlerWith({ [hook('load')]: [pass] });
    const done = await run({ phase: 'beforeShift', item: w.item(healthy, 0) });
    const replay = await run({ phase: 'beforeShift', item: done });
    expect(replay.hooks?.status).toBe('done');
    expect(invoker.calls).toHaveLength(1);
  });

  it('a hook function that is not there is HookFailed with what Lambda said', async () => {
    const healthy = await w.greenHealthy(w.request(1));
    const { run } = handlerWith({});
    await expect(run({ phase: 'preTraffic', state: healthy })).rejects.toThrow(/failed: ResourceNotFoundException: Function not found/);
  });

  it('a payload without its state is a ValidationError', async () => {
    const { run } = handlerWith({});
    await expect(run({ phase: 'preTraffic' })).rejects.toThrow(ValidationError);
    await expect(run({ phase: 'beforeShift', item: { state: {} } })).rejects.toThrow(ValidationError);
    await expect(run({ phase: 'later' })).rejects.toThrow(ValidationError);
  });
});

describe('verification hooks (release)', () => {
  it('run the environment\'s hooks with the release id, the deployments and the environment URL', async () => {
    // Prepare
    const config = testConfig();
    const envs = [{ name: 'production', verification: { hooks: [hook('e2e')], url: 'https://web.example.com', invocationTimeoutSeconds: 45 } }, { name: 'staging' }];
    w = (await World.create(db, { ...config, environments: envs })).seed();
    const { invoker, run } = handlerWith({ [hook('e2e')]: [askAgain(), pass] });
    const item: ReleaseStageItem = {
      release: { releaseId: 'rel-1', image: { repository: 'my-repository-name', digest: 'sha256:1', uri: 'u' }, requestedAt: w.clock.iso(), deployTrigger: { kind: 'release', eventId: 'rel-1' } },
      stage: { index: 0, environment: 'production', requiresApproval: false, approvalTimeoutSeconds: 1, onApprovalTimeout: 'abort', verify: true, deployments: [] },
      index: 0,
      deployed: [{ service: 'web', deploymentId: 'web-production-1', status: 'SUCCEEDED' }],
    };
    // Act
    const waiting = await run({ phase: 'verify', item });
    w.clock.advanceSeconds(30);
    const done = await run({ phase: 'verify', item: waiting });
    // Assess
    expect([waiting.hooks?.status, waiting.hooks?.waitSeconds, done.hooks?.status]).toEqual(['wait', 30, 'done']);
    expect(invoker.calls[0]).toEqual({
      functionArn: hook('e2e'),
      timeoutSeconds: 45,
      payload: {
        cutoverHookVersion: '1',
        stage: 'verify',
        releaseId: 'rel-1',
        environment: 'production',
        image: item.release.image,
        deployments: item.deployed,
        testUrl: 'https://web.example.com',
        attempt: 1,
      },
    });
  });
});
