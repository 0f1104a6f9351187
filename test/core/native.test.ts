/** The native engine's pure core (issue #17): engineOf, strategyFor, hookAnswer, and the config's `engine` field. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig, type StrategyConfig } from '../../functions/core/config.js';
import { CodeDeployNotSupported, ConfigError, EngineMismatch, ErrorName, NativeStrategyRefused } from '../../functions/core/errors.js';
import type { Plan } from '../../functions/core/model.js';
import {
  ANALYSIS_GRACE_SECONDS,
  CODE_DEPLOY_MIGRATION_STEPS,
  type EcsDeploymentStrategy,
  engineOf,
  gateAt,
  gateHoldSeconds,
  HOOKABLE_STAGES,
  type HookFacts,
  hookAnswer,
  MAX_CALLBACK_DELAY_SECONDS,
  type NativeGate,
  readHookState,
  strategyFor,
  userLifecycleHooks,
  writeHookState,
} from '../../functions/core/native.js';
import { planSteps } from '../../functions/core/plan.js';

const refusal = (f: () => unknown): NativeStrategyRefused => {
  try {
    f();
  } catch (e) {
    if (e instanceof NativeStrategyRefused) return e;
    throw e;
  }
  throw new Error('expected NativeStrategyRefused, got a mapping');
};

describe('engineOf', () => {
  it('EXTERNAL is the task-set engine; ECS (or no controller: the default) is native', () => {
    expect(engineOf({ serviceName: 'api', deploymentController: { type: 'EXTERNAL' } })).toBe('task-set');
    expect(engineOf({ serviceName: 'api', deploymentController: { type: 'ECS' } })).toBe('native');
    expect(engineOf({ serviceName: 'api' })).toBe('native');
    expect(engineOf({ serviceName: 'api', deploymentController: { type: 'ECS' } }, 'native')).toBe('native');
    expect(engineOf({ serviceName: 'api', deploymentController: { type: 'EXTERNAL' } }, 'task-set')).toBe('task-set');
  });

  it('a configured engine that disagrees with the live controller is EngineMismatch, naming the fix', () => {
    expect(() => engineOf({ serviceName: 'api', deploymentController: { type: 'ECS' } }, 'task-set')).toThrow(EngineMismatch);
    expect(() => engineOf({ serviceName: 'api', deploymentController: { type: 'ECS' } }, 'task-set')).toThrow(/set engine "native" or remove engine/);
    expect(() => engineOf({ serviceName: 'api', deploymentController: { type: 'EXTERNAL' } }, 'native')).toThrow(/set engine "task-set" or remove engine/);
    expect(() => engineOf({ serviceName: 'api', deploymentController: { type: 'SOMETHING' } })).toThrow(EngineMismatch);
  });

  it('CODE_DEPLOY is refused with every step to switch to the ECS controller in place', () => {
    let err: unknown;
    try {
      engineOf({ serviceName: 'legacy', deploymentController: { type: 'CODE_DEPLOY' } }, 'native');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodeDeployNotSupported);
    const e = err as CodeDeployNotSupported;
    expect(e.name).toBe(ErrorName.CodeDeployNotSupported);
    expect(e.message).toContain('legacy');
    expect(e.message).toContain('migrate-code-deploy-to-ecs-blue-green');
    for (const step of CODE_DEPLOY_MIGRATION_STEPS) expect(e.message).toContain(step);
    expect(e.details.steps).toEqual(CODE_DEPLOY_MIGRATION_STEPS);
  });
});

describe('strategyFor: examples', () => {
  it('canary -> CANARY with percent and whole-minute bakes; the hook gates the canary point', () => {
    const m = strategyFor({ type: 'canary', percent: 10, bakeSeconds: 300, finalBakeSeconds: 60 });
    expect(m.deploymentConfiguration).toEqual({ strategy: 'CANARY', bakeTimeInMinutes: 1, canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 0 } });
    expect(m.productionPercents).toEqual([10, 100]);
    expect(m.gates).toEqual([
      { stage: 'POST_SCALE_UP', percent: 0, healthTimeoutSeconds: 600, bakeSeconds: 0, analyse: false },
      { stage: 'PRODUCTION_TRAFFIC_SHIFT', percent: 10, bakeSeconds: 300, analyse: true },
    ]);
    expect(m.lifecycleStages).toEqual(['POST_SCALE_UP', 'PRODUCTION_TRAFFIC_SHIFT']);
    // The longest gate is the 600 s health wait (the 10 % gate holds 300 + 180 s): 10 minutes + 10 of margin.
    expect(m.hookTimeoutMinutes).toBe(20);
  });

  it('linear -> LINEAR with the step and its bake; ECS moves 30, 60, 90, 100', () => {
    const m = strategyFor({ type: 'linear', stepPercent: 30, intervalSeconds: 120 });
    expect(m.deploymentConfiguration).toEqual({ strategy: 'LINEAR', bakeTimeInMinutes: 0, linearConfiguration: { stepPercent: 30, stepBakeTimeInMinutes: 0 } });
    expect(m.productionPercents).toEqual([30, 60, 90, 100]);
    expect(m.gates.filter((g) => g.stage === 'PRODUCTION_TRAFFIC_SHIFT').map((g) => g.percent)).toEqual([30, 60, 90]);
  });

  it('blue-green -> BLUE_GREEN; the 0 % bake is held after the test traffic shift, the final bake is ECS bake time', () => {
    const m = strategyFor({ type: 'blue-green', bakeSeconds: 300, finalBakeSeconds: 120 });
    expect(m.deploymentConfiguration).toEqual({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 2 });
    expect(m.gates[1]).toEqual({ stage: 'POST_TEST_TRAFFIC_SHIFT', percent: 0, bakeSeconds: 300, analyse: false });
  });

  it('an approval between steps is held after the bake at that point; one after 100 % at POST_PRODUCTION_TRAFFIC_SHIFT', () => {
    const m = strategyFor({
      type: 'steps',
      steps: [
        { percent: 10, bakeSeconds: 60 },
        { approval: { timeoutSeconds: 3600, onTimeout: 'abort' } },
        { percent: 100, bakeSeconds: 0 },
        { approval: { timeoutSeconds: 600, onTimeout: 'promote' } },
        { percent: 100, bakeSeconds: 180 },
      ],
    });
    expect(m.deploymentConfiguration).toEqual({ strategy: 'CANARY', bakeTimeInMinutes: 3, canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 0 } });
    expect(gateAt(m, 'PRODUCTION_TRAFFIC_SHIFT', 10)).toEqual({
      stage: 'PRODUCTION_TRAFFIC_SHIFT',
      percent: 10,
      bakeSeconds: 60,
      analyse: true,
      approval: { timeoutSeconds: 3600, onTimeout: 'abort' },
    });
    expect(gateAt(m, 'POST_PRODUCTION_TRAFFIC_SHIFT', 100)?.approval).toEqual({ timeoutSeconds: 600, onTimeout: 'promote' });
    expect(gateAt(m, 'PRODUCTION_TRAFFIC_SHIFT', 0)).toBeUndefined();
    expect(m.lifecycleStages.every((s) => (HOOKABLE_STAGES as readonly string[]).includes(s))).toBe(true);
  });

  it('a headless service (worker) gets blue/green with its gates at POST_SCALE_UP', () => {
    const m = strategyFor({ type: 'blue-green', bakeSeconds: 90, finalBakeSeconds: 0 }, { headless: true, healthTimeoutSeconds: 300 });
    expect(m.deploymentConfiguration).toEqual({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
    expect(m.gates).toEqual([{ stage: 'POST_SCALE_UP', percent: 0, healthTimeoutSeconds: 300, bakeSeconds: 90, analyse: false }]);
  });

  const refused: Array<[string, StrategyConfig, boolean, RegExp]> = [
    ['uneven steps', { type: 'steps', steps: [{ percent: 10, bakeSeconds: 60 }, { percent: 25, bakeSeconds: 60 }, { percent: 100, bakeSeconds: 0 }] }, false, /moves 10, 25, 100 %.*CANARY.*LINEAR/],
    ['a 2 % linear step', { type: 'linear', stepPercent: 2, intervalSeconds: 60 }, false, /linear step of 2 %.*3-100 %/],
    ['a final bake that is not whole minutes', { type: 'all-at-once', bakeSeconds: 45 }, false, /45 s bake after 100 %/],
    ['canary on a headless service', { type: 'canary', percent: 10, bakeSeconds: 300, finalBakeSeconds: 0 }, true, /no load balancer.*blue\/green only/],
    ['linear on a headless service', { type: 'linear', stepPercent: 50, intervalSeconds: 60 }, true, /blue\/green only/],
    ['a bake after an approval at one point', { type: 'steps', steps: [{ percent: 10, bakeSeconds: 0 }, { approval: { timeoutSeconds: 60, onTimeout: 'abort' } }, { percent: 10, bakeSeconds: 60 }, { percent: 100, bakeSeconds: 0 }] }, false, /bake after the approval at 10 %/],
  ];
  it("bakes between steps are the hook's: any seconds, unequal per step, ECS's own step bake 0 (one bake, whichever order ECS runs its bake and the hook)", () => {
    const c = strategyFor({ type: 'canary', percent: 10, bakeSeconds: 90, finalBakeSeconds: 0 }, { analyse: false });
    expect(c.deploymentConfiguration).toEqual({ strategy: 'CANARY', bakeTimeInMinutes: 0, canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 0 } });
    expect(gateAt(c, 'PRODUCTION_TRAFFIC_SHIFT', 10)?.bakeSeconds).toBe(90);
    const l = strategyFor({ type: 'steps', steps: [{ percent: 25, bakeSeconds: 60 }, { percent: 50, bakeSeconds: 120 }, { percent: 75, bakeSeconds: 60 }, { percent: 100, bakeSeconds: 0 }] }, { analyse: false });
    expect(l.deploymentConfiguration).toMatchObject({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 0 } });
    expect(l.gates.filter((g) => g.stage === 'PRODUCTION_TRAFFIC_SHIFT').map((g) => [g.percent, g.bakeSeconds])).toEqual([[25, 60], [50, 120], [75, 60]]);
  });

  it.each(refused)('refuses %s with the reason', (_name, strategy, headless, reason) => {
    const e = refusal(() => strategyFor(strategy, { headless }));
    expect(e.name).toBe('NativeStrategyRefused');
    expect(e.message).toMatch(reason);
    expect(e.reason).not.toBe('');
  });
});

// Strategies exactly as the config schema allows them (as in test/core/plan.test.ts), bakes often whole minutes.
const bakeArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 24 * 60 }).map((m) => m * 60), fc.integer({ min: 0, max: 24 * 3600 }));
const stepsArb = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.record({ percent: fc.integer({ min: 1, max: 100 }), bakeSeconds: bakeArb }),
        fc.record({ approval: fc.record({ timeoutSeconds: fc.integer({ min: 1, max: 7 * 24 * 3600 }), onTimeout: fc.constantFrom('abort' as const, 'promote' as const) }) }),
      ),
      { maxLength: 8 },
    ),
    bakeArb,
  )
  .map(([raw, finalBake]) => {
    const sorted = raw.flatMap((s) => ('percent' in s ? [s.percent] : [])).sort((a, b) => a - b);
    let k = 0;
    return [...raw.map((s) => ('percent' in s ? { ...s, percent: sorted[k++] as number } : s)), { percent: 100, bakeSeconds: finalBake }];
  });
const strategyArb: fc.Arbitrary<StrategyConfig> = fc.oneof(
  fc.record({ type: fc.constant('canary' as const), percent: fc.integer({ min: 1, max: 99 }), bakeSeconds: bakeArb, finalBakeSeconds: bakeArb }),
  fc.record({ type: fc.constant('linear' as const), stepPercent: fc.integer({ min: 1, max: 100 }), intervalSeconds: bakeArb }),
  fc.record({ type: fc.constant('blue-green' as const), bakeSeconds: bakeArb, finalBakeSeconds: bakeArb }),
  fc.record({ type: fc.constant('all-at-once' as const), bakeSeconds: bakeArb }),
  fc.record({ type: fc.constant('steps' as const), steps: stepsArb }),
);

/** The production percentages ECS moves through for a deploymentConfiguration (its documented shapes). */
function ecsPercents(c: EcsDeploymentStrategy): number[] {
  switch (c.strategy) {
    case 'BLUE_GREEN':
      return [100];
    case 'CANARY':
      return [c.canaryConfiguration.canaryPercent, 100];
    case 'LINEAR': {
      const out: number[] = [];
      for (let p = c.linearConfiguration.stepPercent; ; p += c.linearConfiguration.stepPercent) {
        out.push(Math.min(p, 100));
        if (p >= 100) return out;
      }
    }
  }
}
/** Seconds ECS bakes after each of its shifts but the last (canary bake, linear step bakes). */
function ecsStepBakes(c: EcsDeploymentStrategy): number[] {
  const n = ecsPercents(c).length - 1;
  if (c.strategy === 'CANARY') return [c.canaryConfiguration.canaryBakeTimeInMinutes * 60];
  if (c.strategy === 'LINEAR') return Array(Math.max(0, n)).fill(c.linearConfiguration.stepBakeTimeInMinutes * 60);
  return [];
}
/** The plan's distinct shifts, and the bake seconds before the first shift, between shifts, and after 100 %. */
function planShape(plan: Plan): { percents: number[]; before: number; between: number[]; after: number } {
  const percents: number[] = [];
  const bakes: number[] = [0];
  for (const s of plan.steps) {
    if (s.kind === 'shift' && s.percent !== (percents.at(-1) ?? 0)) {
      percents.push(s.percent);
      bakes.push(0);
    } else if (s.kind === 'bake') bakes[bakes.length - 1] = (bakes.at(-1) as number) + s.seconds;
  }
  return { percents, before: bakes[0] as number, between: bakes.slice(1, -1), after: bakes.at(-1) as number };
}

describe('strategyFor: properties', () => {
  it('is total over valid strategies: a mapping or a NativeStrategyRefused with a reason, never another error', () => {
    fc.assert(
      fc.property(strategyArb, fc.boolean(), fc.boolean(), (strategy, headless, analyse) => {
        try {
          strategyFor(strategy, { headless, analyse });
        } catch (e) {
          expect(e).toBeInstanceOf(NativeStrategyRefused);
          expect((e as NativeStrategyRefused).message).toMatch(/cannot run on ECS's own deployments \(engine "native"\): .+/);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a mapping reproduces the plan: ECS's percents are the plan's shifts, its bakes the plan's bakes", () => {
    let mapped = 0;
    fc.assert(
      fc.property(strategyArb, fc.boolean(), (strategy, headless) => {
        let m: ReturnType<typeof strategyFor>;
        try {
          m = strategyFor(strategy, { headless });
        } catch {
          return;
        }
        mapped++;
        const shape = planShape(planSteps(strategy));
        const c = m.deploymentConfiguration;
        expect(ecsPercents(c)).toEqual(shape.percents);
        expect(m.productionPercents).toEqual(shape.percents);
        // ECS bakes nothing between its shifts: the hook holds each of those bakes, once.
        expect(ecsStepBakes(c).every((b) => b === 0)).toBe(true);
        const held = (stage: string): number => m.gates.filter((g) => g.stage === stage).reduce((s, g) => s + g.bakeSeconds, 0);
        expect(c.bakeTimeInMinutes * 60 + held('POST_PRODUCTION_TRAFFIC_SHIFT')).toBe(shape.after);
        expect(held(headless ? 'POST_SCALE_UP' : 'POST_TEST_TRAFFIC_SHIFT')).toBe(shape.before);
        // Each bake between shifts is held by the hook's gate at that point (no gate: no bake there).
        shape.percents.slice(0, -1).forEach((p, i) => {
          const g = m.gates.find((x) => x.stage === 'PRODUCTION_TRAFFIC_SHIFT' && x.percent === p);
          expect(g?.bakeSeconds ?? 0).toBe(shape.between[i]);
        });
        if (headless) expect(c.strategy).toBe('BLUE_GREEN');
        expect(m.hookTimeoutMinutes * 60).toBeGreaterThan(Math.max(...m.gates.map(gateHoldSeconds)));
        expect(m.hookTimeoutMinutes).toBeLessThanOrEqual(20160);
      }),
      { numRuns: 500 },
    );
    expect(mapped).toBeGreaterThan(50);
  });
});

describe('strategyFor: approvals held by ECS PAUSE hooks (approvals "pause")', () => {
  const approval = (onTimeout: 'abort' | 'promote') => ({ approval: { timeoutSeconds: 1800, onTimeout } });
  it('an approval before the first shift or after 100 % becomes a PAUSE hook at that stage (timeout in minutes, onTimeout as the action); the Lambda gate no longer holds it', () => {
    const m = strategyFor({ type: 'steps', steps: [approval('abort'), { percent: 10, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 0 }, approval('promote')] }, { approvals: 'pause', analyse: false });
    expect(m.pauses).toEqual([
      { stage: 'POST_TEST_TRAFFIC_SHIFT', timeoutInMinutes: 30, action: 'ROLLBACK' },
      { stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', timeoutInMinutes: 30, action: 'CONTINUE' },
    ]);
    expect(m.gates.some((g) => g.approval !== undefined)).toBe(false);
    // The same strategy with the Lambda hook: no pauses, the gates hold the approvals.
    const l = strategyFor({ type: 'steps', steps: [approval('abort'), { percent: 10, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 0 }, approval('promote')] }, { analyse: false });
    expect(l.pauses).toEqual([]);
    expect(l.gates.filter((g) => g.approval !== undefined).map((g) => g.stage)).toEqual(['POST_TEST_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT']);
  });

  it('an approval between traffic steps is refused with "pause" (a PAUSE hook at PRODUCTION_TRAFFIC_SHIFT would pause every step), with what to do', () => {
    expect(() => strategyFor({ type: 'steps', steps: [{ percent: 10, bakeSeconds: 300 }, approval('abort'), { percent: 100, bakeSeconds: 0 }] }, { approvals: 'pause' })).toThrow(
      /approval at 10 % with approvals "pause".*every traffic step.*nativeApproval "lambda"/,
    );
  });
});

describe('userLifecycleHooks', () => {
  it("maps the service's hooks to the ECS stages of the same moments, after Cutover's, with the timeout in whole minutes and ROLLBACK", () => {
    const fn = (n: string) => `arn:aws:lambda:us-east-1:123456789012:function:${n}`;
    const hooks = userLifecycleHooks({ afterHealthy: [fn('a')], afterTestTraffic: [fn('b')], beforeShift: [fn('c')], afterFullTraffic: [fn('d'), fn('e')], timeoutSeconds: 90 }, 'arn:aws:iam::123456789012:role/invoke');
    expect(hooks.map((h) => [h.hookTargetArn.split(':').at(-1), h.lifecycleStages])).toEqual([
      ['a', ['POST_SCALE_UP']],
      ['b', ['POST_TEST_TRAFFIC_SHIFT']],
      ['c', ['PRODUCTION_TRAFFIC_SHIFT']],
      ['d', ['POST_PRODUCTION_TRAFFIC_SHIFT']],
      ['e', ['POST_PRODUCTION_TRAFFIC_SHIFT']],
    ]);
    expect(new Set(hooks.map((h) => JSON.stringify([h.roleArn, h.timeoutConfiguration, h.targetType])))).toEqual(new Set([JSON.stringify(['arn:aws:iam::123456789012:role/invoke', { timeoutInMinutes: 2, action: 'ROLLBACK' }, 'AWS_LAMBDA'])]));
    expect(userLifecycleHooks({ afterHealthy: [], afterTestTraffic: [], beforeShift: [], afterFullTraffic: [], timeoutSeconds: 300 }, 'r')).toEqual([]);
  });
});

describe('hookAnswer: examples', () => {
  const gate: NativeGate = { stage: 'PRODUCTION_TRAFFIC_SHIFT', percent: 10, bakeSeconds: 300, analyse: true };
  const facts = (over: Partial<HookFacts>): HookFacts => ({ now: 0, gate, percentSince: 0, alarmsInAlarm: [], ...over });
  const s = 1000;

  it('holds the bake with IN_PROGRESS, then passes on a passing verdict', () => {
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ now: 100 * s }), undefined)).toMatchObject({ hookStatus: 'IN_PROGRESS', callBackDelay: 60 });
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ now: 290 * s }), undefined)).toMatchObject({ hookStatus: 'IN_PROGRESS', callBackDelay: 10 });
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ now: 300 * s, verdict: 'pass' }), undefined)).toMatchObject({ hookStatus: 'SUCCEEDED' });
  });

  it('fails on a failed analysis, an alarm in ALARM, or an abort, with the reason', () => {
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ now: 300 * s, verdict: 'fail' }), undefined).reason.code).toBe('AnalysisFailed');
    const alarm = hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ now: 120 * s, alarmsInAlarm: ['api-5xx'] }), undefined);
    expect(alarm).toMatchObject({ hookStatus: 'FAILED', reason: { code: 'AlarmTriggered' } });
    expect(alarm.reason.message).toContain('api-5xx');
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ now: 120 * s, aborted: true }), undefined)).toMatchObject({ hookStatus: 'FAILED', reason: { code: 'Aborted' } });
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ now: 300 * s + ANALYSIS_GRACE_SECONDS * s }), undefined)).toMatchObject({ hookStatus: 'FAILED', reason: { code: 'AnalysisFailed' } });
  });

  it('at POST_SCALE_UP: an alarm already in ALARM fails before any production traffic; health is waited for up to its timeout', () => {
    const scale: NativeGate = { stage: 'POST_SCALE_UP', percent: 0, healthTimeoutSeconds: 600, bakeSeconds: 0, analyse: false };
    const f = (over: Partial<HookFacts>): HookFacts => ({ now: 0, gate: scale, alarmsInAlarm: [], ...over });
    expect(hookAnswer('POST_SCALE_UP', f({ alarmsInAlarm: ['api-latency'], greenHealth: 'healthy' }), undefined).reason.code).toBe('AlarmTriggered');
    const first = hookAnswer('POST_SCALE_UP', f({ greenHealth: 'pending' }), undefined);
    expect(first).toMatchObject({ hookStatus: 'IN_PROGRESS', callBackDelay: 60 });
    expect(hookAnswer('POST_SCALE_UP', f({ now: 600 * s, greenHealth: 'pending' }), first.hookDetails).reason.code).toBe('HealthCheckTimeout');
    expect(hookAnswer('POST_SCALE_UP', f({ now: 30 * s, greenHealth: 'failed' }), first.hookDetails).reason.code).toBe('HealthCheckTimeout');
    expect(hookAnswer('POST_SCALE_UP', f({ now: 30 * s, greenHealth: 'healthy' }), first.hookDetails).hookStatus).toBe('SUCCEEDED');
  });

  it('an approval waits from its first invocation (kept in hookDetails) until approved or its timeout', () => {
    const ag: NativeGate = { ...gate, analyse: false, bakeSeconds: 0, approval: { timeoutSeconds: 3600, onTimeout: 'abort' } };
    const a1 = hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ gate: ag, now: 10 * s, approval: 'pending' }), { team: 'payments' });
    expect(a1).toMatchObject({ hookStatus: 'IN_PROGRESS', callBackDelay: 60 });
    expect(a1.hookDetails.team).toBe('payments');
    expect(readHookState(a1.hookDetails)?.approvalSince).toBe(10 * s);
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ gate: ag, now: 3609 * s, approval: 'pending' }), a1.hookDetails).hookStatus).toBe('IN_PROGRESS');
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ gate: ag, now: 3610 * s, approval: 'pending' }), a1.hookDetails).reason.code).toBe('ApprovalExpired');
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ gate: ag, now: 20 * s, approval: 'approved' }), a1.hookDetails).hookStatus).toBe('SUCCEEDED');
    expect(hookAnswer('PRODUCTION_TRAFFIC_SHIFT', facts({ gate: ag, now: 20 * s, approval: 'rejected' }), a1.hookDetails).reason.code).toBe('Aborted');
  });

  it('a stage Cutover does not gate succeeds at once', () => {
    expect(hookAnswer('PRE_SCALE_UP', { now: 0, gate: undefined, alarmsInAlarm: [] }, undefined).hookStatus).toBe('SUCCEEDED');
  });
});

const gateArb: fc.Arbitrary<NativeGate> = fc.record(
  {
    stage: fc.constantFrom('POST_SCALE_UP' as const, 'POST_TEST_TRAFFIC_SHIFT' as const, 'PRODUCTION_TRAFFIC_SHIFT' as const, 'POST_PRODUCTION_TRAFFIC_SHIFT' as const),
    percent: fc.integer({ min: 0, max: 100 }),
    healthTimeoutSeconds: fc.integer({ min: 1, max: 6 * 3600 }),
    bakeSeconds: fc.integer({ min: 0, max: 24 * 3600 }),
    analyse: fc.boolean(),
    approval: fc.record({ timeoutSeconds: fc.integer({ min: 1, max: 2 * 24 * 3600 }), onTimeout: fc.constantFrom('abort' as const, 'promote' as const) }),
  },
  { requiredKeys: ['stage', 'percent', 'bakeSeconds', 'analyse'] },
);

describe('hookAnswer: properties', () => {
  it('IN_PROGRESS always has a callBackDelay of 1-60 s; a gate nobody answers ends by its longest hold', () => {
    fc.assert(
      fc.property(
        gateArb,
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.constantFrom<HookFacts['greenHealth']>('healthy', 'pending', undefined),
        fc.constantFrom<HookFacts['verdict']>('pass', undefined),
        (gate, start, greenHealth, verdict) => {
          let details: unknown = { user: 'kept' };
          let now = start;
          let calls = 0;
          for (;;) {
            const a = hookAnswer(gate.stage, { now, gate, alarmsInAlarm: [], greenHealth, verdict, approval: 'pending', ...(gate.healthTimeoutSeconds === undefined ? { percentSince: start } : {}) }, details);
            expect(a.hookDetails.user).toBe('kept');
            calls++;
            if (a.hookStatus !== 'IN_PROGRESS') break;
            expect(Number.isInteger(a.callBackDelay)).toBe(true);
            expect(a.callBackDelay).toBeGreaterThanOrEqual(1);
            expect(a.callBackDelay).toBeLessThanOrEqual(MAX_CALLBACK_DELAY_SECONDS);
            details = a.hookDetails;
            now += (a.callBackDelay as number) * 1000;
          }
          // Each phase (health, bake, analysis, approval) overshoots its deadline by under 1 s.
          expect(now - start).toBeLessThan(gateHoldSeconds(gate) * 1000 + 4000);
          expect(calls).toBeLessThan(gateHoldSeconds(gate) + 5);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a callBackDelay never reaches past the deadline it waits for (the bake end)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 * 3600 }), fc.integer({ min: 0, max: 24 * 3600 * 1000 }), (bakeSeconds, elapsedMs) => {
        const gate: NativeGate = { stage: 'PRODUCTION_TRAFFIC_SHIFT', percent: 10, bakeSeconds, analyse: false };
        const a = hookAnswer('PRODUCTION_TRAFFIC_SHIFT', { now: elapsedMs, gate, percentSince: 0, alarmsInAlarm: [] }, undefined);
        if (elapsedMs >= bakeSeconds * 1000) expect(a.hookStatus).toBe('SUCCEEDED');
        else {
          expect(a.hookStatus).toBe('IN_PROGRESS');
          expect(elapsedMs + (a.callBackDelay as number) * 1000).toBeLessThan(bakeSeconds * 1000 + 1000);
        }
      }),
    );
  });

  it('an alarm in ALARM fails every gate at every stage', () => {
    fc.assert(
      fc.property(gateArb, fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }), (gate, alarms) => {
        const a = hookAnswer(gate.stage, { now: 0, gate, alarmsInAlarm: alarms, greenHealth: 'healthy', verdict: 'pass', approval: 'approved' }, undefined);
        expect(a).toMatchObject({ hookStatus: 'FAILED', reason: { code: 'AlarmTriggered' } });
        expect(a.callBackDelay).toBeUndefined();
      }),
    );
  });

  it('hookDetails round-trips: Cutover state reads back as written, the user keys are kept', () => {
    const stateArb = fc.record(
      {
        gate: fc.string(),
        firstSeenAt: fc.integer({ min: 0, max: 10 ** 13 }),
        readyAt: fc.integer({ min: 0, max: 10 ** 13 }),
        approvalSince: fc.integer({ min: 0, max: 10 ** 13 }),
        invocations: fc.nat(),
      },
      { requiredKeys: ['gate', 'firstSeenAt', 'invocations'] },
    );
    const userArb = fc.dictionary(fc.string().filter((k) => k !== 'cutover' && k !== '__proto__'), fc.jsonValue());
    fc.assert(
      fc.property(stateArb, userArb, (state, user) => {
        const written = JSON.parse(JSON.stringify(writeHookState(user, state)));
        expect(readHookState(written)).toEqual(state);
        for (const [k, v] of Object.entries(user)) expect(written[k]).toEqual(JSON.parse(JSON.stringify(v)) ?? v);
      }),
    );
    expect(readHookState({ cutover: { gate: 1 } })).toBeUndefined();
    expect(readHookState('nonsense')).toBeUndefined();
  });
});

describe('config: engine', () => {
  const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
  const LISTENER = `${ELB}:listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
  const TG_A = `${ELB}:targetgroup/orders-a/6d0ecf831eec9f09`;
  const TG_B = `${ELB}:targetgroup/orders-b/2a4b6c8d0e1f3a5b`;
  const METRIC = (metricName: string) => ({ namespace: 'Orders', metricName, dimensions: { service: 'orders', version: '{version}' } });
  // biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
  const config = (service: Record<string, any>, web = true) => ({
    services: [
      {
        name: 'orders',
        environment: 'production',
        cluster: 'shop',
        service: 'orders',
        containerName: 'app',
        repository: 'shop/orders',
        ...(web
          ? { listenerArn: LISTENER, targetGroupArns: [TG_A, TG_B] }
          : { analysis: { metrics: { processed: METRIC('Processed'), errors: METRIC('Failed'), latency: METRIC('Latency') } } }),
        ...service,
      },
    ],
  });
  const problems = (raw: unknown): readonly string[] => {
    try {
      parseConfig(raw);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it('accepts engine task-set or native with a strategy ECS can express, and leaves it unset by default', () => {
    expect(problems(config({ engine: 'native', strategy: { type: 'canary', percent: 10, bakeSeconds: 300 } }))).toEqual([]);
    expect(problems(config({ engine: 'task-set', strategy: { type: 'steps', steps: [{ percent: 10, bakeSeconds: 300 }, { percent: 25, bakeSeconds: 300 }, { percent: 100 }] } }))).toEqual([]);
    expect(parseConfig(config({ strategy: { type: 'blue-green' } })).services[0]?.engine).toBeUndefined();
  });

  it('refuses, at synth, a native step list ECS cannot express, with the reason', () => {
    const p = problems(config({ engine: 'native', strategy: { type: 'steps', steps: [{ percent: 10, bakeSeconds: 300 }, { percent: 25, bakeSeconds: 300 }, { percent: 100 }] } }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^services\[0\]\.strategy: strategy "steps" cannot run on ECS's own deployments.*moves 10, 25, 100 %/);
  });

  it('a native worker is blue/green only: canary and linear are refused with the reason, blue-green is accepted', () => {
    expect(problems(config({ engine: 'native', strategy: { type: 'canary', percent: 10, bakeSeconds: 600 } }, false))[0]).toMatch(/no load balancer.*blue\/green only/);
    expect(problems(config({ engine: 'native', strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 600 } }, false))[0]).toMatch(/blue\/green only/);
    expect(problems(config({ engine: 'native', strategy: { type: 'blue-green', bakeSeconds: 300 } }, false))).toEqual([]);
    expect(problems(config({ engine: 'task-set', strategy: { type: 'canary', percent: 10, bakeSeconds: 600 } }, false))).toEqual([]);
  });

  it('Service Connect (serviceConnect true, no load balancer): canary and linear accepted; serviceConnect refused elsewhere with what to do', () => {
    expect(problems(config({ engine: 'native', serviceConnect: true, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 240 } }, false))).toEqual([]);
    expect(problems(config({ engine: 'native', serviceConnect: true, strategy: { type: 'canary', percent: 10, bakeSeconds: 300 } }, false))).toEqual([]);
    expect(problems(config({ engine: 'native', serviceConnect: true, strategy: { type: 'blue-green' } }))[0]).toMatch(/^services\[0\]\.serviceConnect: only for engine "native" with no load balancer/);
    expect(problems(config({ serviceConnect: true, strategy: { type: 'blue-green' } }, false))[0]).toMatch(/serviceConnect: only for engine "native"/);
  });

  it('an NLB listener: only with engine native, and analysed on version-tagged metrics (NLB has no per-target-group request metric)', () => {
    const NLB = `${ELB}:listener/net/orders-nlb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
    const metrics = { processed: METRIC('Requests'), errors: METRIC('Errors'), latency: METRIC('Latency') };
    expect(problems(config({ engine: 'native', listenerArn: NLB, analysis: { metrics }, strategy: { type: 'canary', percent: 10, bakeSeconds: 300 } }))).toEqual([]);
    expect(problems(config({ listenerArn: NLB, analysis: { metrics }, strategy: { type: 'canary', percent: 10, bakeSeconds: 300 } }))[0]).toMatch(/Network Load Balancer listener is for engine "native"/);
    expect(problems(config({ engine: 'native', listenerArn: NLB, strategy: { type: 'canary', percent: 10, bakeSeconds: 300 } }))[0]).toMatch(/analysis\.metrics: a service behind a Network Load Balancer/);
    // ALB services keep their target groups' metrics: analysis.metrics there is refused.
    expect(problems(config({ engine: 'native', analysis: { metrics }, strategy: { type: 'canary', percent: 10, bakeSeconds: 300 } }))[0]).toMatch(/analysis\.metrics: only for a worker.*or a service behind a Network Load Balancer/);
  });

  it('refuses an unknown engine by name', () => {
    expect(problems(config({ engine: 'codedeploy', strategy: { type: 'blue-green' } })).join('\n')).toMatch(/engine/);
  });
});
