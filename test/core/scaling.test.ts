import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig, Scaling, ScalingRule } from '../../functions/core/config.js';
import { EMPTY_SCALING_STATE, type MaintenanceAction, type ScalingState } from '../../functions/core/maintenance.js';
import {
  decideScaling,
  effectiveBounds,
  nextScalingState,
  ruleBounds,
  ruleKey,
  rulesForAlarm,
  scalableTargets,
  scalingAction,
  scalingAlarmNames,
  scalingSchedules,
} from '../../functions/core/scaling.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const scaling = (over: Record<string, unknown> = {}) => Scaling.parse({ minCount: 2, maxCount: 8, ...over });
const rule = (over: Record<string, unknown>) => ScalingRule.parse({ alarmName: 'busy', cooldownSeconds: 300, ...over });
const state = (over: Partial<ScalingState> = {}): ScalingState => ({ ...EMPTY_SCALING_STATE, ...over });

describe('bounds', () => {
  it.each([
    ['no scalable target: the configured bounds', undefined, { min: 2, max: 8 }],
    ['a target inside them', { minCapacity: 3, maxCapacity: 6 }, { min: 3, max: 6 }],
    ['a target wider than the config: the config wins', { minCapacity: 0, maxCapacity: 50 }, { min: 2, max: 8 }],
    ['a target entirely above', { minCapacity: 20, maxCapacity: 30 }, { min: 8, max: 8 }],
  ])('effectiveBounds: %s', (_name, target, expected) => {
    expect(effectiveBounds(scaling(), target)).toEqual(expected);
  });

  it.each([
    ['sets both', { minCount: 4, maxCount: 6 }, { min: 4, max: 6 }],
    ['raises the minimum above the current maximum: the maximum follows', { minCount: 7 }, { min: 7, max: 7 }],
    ['lowers the maximum below the current minimum: the minimum follows', { maxCount: 2 }, { min: 2, max: 2 }],
    ['sets none', { adjustment: 1 }, { min: 3, max: 6 }],
  ])('ruleBounds: %s', (_name, r, expected) => {
    expect(ruleBounds(scaling(), rule(r), { min: 3, max: 6 })).toEqual(expected);
  });
});

describe('decideScaling', () => {
  const base = { scaling: scaling(), ruleKey: '0:alarm:busy', state: state(), nowMs: NOW };
  it.each([
    ['scale out by the step', { rule: rule({ adjustment: 2 }), desired: 4 }, { kind: 'scale', from: 4, to: 6 }],
    ['clamped to the maximum', { rule: rule({ adjustment: 5 }), desired: 6 }, { kind: 'scale', from: 6, to: 8 }],
    ['clamped to the minimum', { rule: rule({ adjustment: -5 }), desired: 4 }, { kind: 'scale', from: 4, to: 2 }],
    ['already at the maximum', { rule: rule({ adjustment: 1 }), desired: 8 }, { kind: 'skip', from: 8, reason: 'already at the maximum 8' }],
    ['already at the minimum', { rule: rule({ adjustment: -1 }), desired: 2 }, { kind: 'skip', from: 2, reason: 'already at the minimum 2' }],
    ['within the rule cooldown', { rule: rule({ adjustment: 1 }), desired: 4, state: state({ lastActionAt: { '0:alarm:busy': NOW - 100_000 } }) }, { kind: 'skip', from: 4 }],
    ['scale-in right after a scale-out', { rule: rule({ adjustment: -1 }), desired: 6, state: state({ lastScaleOutAt: NOW - 60_000 }) }, { kind: 'skip', from: 6 }],
    ['scale-in during a deployment', { rule: rule({ adjustment: -2 }), desired: 6, deploymentInProgress: 'd1' }, { kind: 'defer', from: 6, to: 4 }],
    ['scale-out during a deployment', { rule: rule({ adjustment: 2 }), desired: 4, deploymentInProgress: 'd1' }, { kind: 'scale', from: 4, to: 6 }],
    ['a replay ignores the cooldown', { rule: rule({ adjustment: -2 }), desired: 6, replay: true, state: state({ lastScaleOutAt: NOW - 1000 }) }, { kind: 'scale', from: 6, to: 4 }],
    ['a window raises the bounds and the count', { rule: rule({ alarmName: undefined, schedule: 'cron(0 8 * * ? *)', minCount: 5, maxCount: 8 }), desired: 4, target: { minCapacity: 2, maxCapacity: 8 } }, { kind: 'set-bounds', from: 4, to: 5, bounds: { min: 5, max: 8 } }],
    ['a window whose bounds are already set', { rule: rule({ alarmName: undefined, schedule: 'cron(0 8 * * ? *)', minCount: 2, maxCount: 8 }), desired: 4, target: { minCapacity: 2, maxCapacity: 8 } }, { kind: 'skip', reason: 'bounds already 2-8' }],
    ['a window that lowers the maximum during a deployment is deferred', { rule: rule({ alarmName: undefined, schedule: 'cron(0 20 * * ? *)', minCount: 2, maxCount: 4 }), desired: 6, deploymentInProgress: 'd1' }, { kind: 'defer', from: 6, to: 4 }],
  ])('%s', (_name, input, expected) => {
    expect(decideScaling({ ...base, ...input })).toMatchObject(expected);
  });

  it('explains a clamped step in its reason', () => {
    const d = decideScaling({ ...base, rule: rule({ adjustment: 20 }), desired: 4 });
    expect(d.reason).toBe('4 -> 8 (+20, clamped to the maximum 8; bounds 2-8)');
  });
});

describe('nextScalingState', () => {
  const act = (outcome: MaintenanceAction['outcome']): MaintenanceAction => ({
    kind: 'scale',
    service: 'web',
    environment: 'production',
    target: 'service/demo/web',
    outcome,
    at: new Date(NOW).toISOString(),
    reason: 'r',
  });

  it('a done scale-out restarts the rule cooldown, is remembered as the last scale-out, and clears a deferred action', () => {
    const s0 = state({ version: 3, pending: { ruleKey: '1:alarm:quiet', ruleIndex: 1, requestedAt: 'x', trigger: 'alarm' } });
    const d = decideScaling({ scaling: scaling(), rule: rule({ adjustment: 2 }), ruleKey: '0:alarm:busy', desired: 4, state: s0, nowMs: NOW });
    const s1 = nextScalingState(s0, act('done'), d, '0:alarm:busy', NOW, 'clear');
    expect(s1).toMatchObject({ version: 4, lastActionAt: { '0:alarm:busy': NOW }, lastScaleOutAt: NOW });
    expect(s1.pending).toBeUndefined();
  });

  it('a skip changes no cooldown and keeps a deferred action; the history is bounded', () => {
    const pending = { ruleKey: '1:alarm:quiet', ruleIndex: 1, requestedAt: 'x', trigger: 'alarm' as const };
    let s = state({ pending });
    for (let i = 0; i < 30; i++) s = nextScalingState(s, act('skipped'), { kind: 'skip', from: 4, reason: 'r' }, 'k', NOW);
    expect(s.lastActionAt).toEqual({});
    expect(s.pending).toEqual(pending);
    expect(s.history).toHaveLength(20);
    expect(s.version).toBe(30);
  });
});

describe('triggers and resources from the config', () => {
  const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
  const config = parseConfig({
    services: ['web', 'api'].map((name, i) => ({
      name,
      environment: 'production',
      cluster: 'demo',
      service: name,
      containerName: 'app',
      repository: `shop/${name}`,
      listenerArn: `${ARN}:listener/app/${name}/0123456789abcdef/0123456789abcdef`,
      targetGroupArns: [`${ARN}:targetgroup/${name}-a/0123456789abcdef`, `${ARN}:targetgroup/${name}-b/0123456789abcdef`],
      strategy: { type: 'all-at-once' },
      ...(i === 0
        ? {
            scaling: {
              minCount: 2,
              maxCount: 10,
              targetCpuPercent: 60,
              rules: [
                { alarmName: 'shared-busy', adjustment: 2 },
                { schedule: 'cron(0 8 ? * MON-FRI *)', timezone: 'Europe/Paris', minCount: 4, maxCount: 10 },
              ],
            },
          }
        : { scaling: { minCount: 1, maxCount: 3, rules: [{ alarmName: 'shared-busy', adjustment: 1 }] } }),
    })),
  });

  it('lists the scaling alarms (one EventBridge rule for all), the schedules and the scalable targets', () => {
    expect(scalingAlarmNames(config)).toEqual(['shared-busy']);
    expect(rulesForAlarm(config, 'shared-busy').map((r) => `${r.service.name}#${r.index}`)).toEqual(['web#0', 'api#0']);
    expect(scalingSchedules(config)).toEqual([
      {
        service: 'web',
        environment: 'production',
        ruleIndex: 1,
        schedule: 'cron(0 8 ? * MON-FRI *)',
        timezone: 'Europe/Paris',
        input: { source: 'cutover.scheduler', kind: 'scheduled-scaling', service: 'web', environment: 'production', ruleIndex: 1 },
      },
    ]);
    expect(scalableTargets(config)).toEqual([
      { service: 'web', environment: 'production', resourceId: 'service/demo/web', minCapacity: 2, maxCapacity: 10, targetCpuPercent: 60 },
      { service: 'api', environment: 'production', resourceId: 'service/demo/api', minCapacity: 1, maxCapacity: 3 },
    ]);
    expect(ruleKey(config.services[0]?.scaling?.rules[1] as never, 1)).toBe('1:schedule');
  });

  it('rejects a rule whose bounds leave the service bounds', () => {
    const bad = structuredClone(config) as unknown as { services: Array<{ scaling: { rules: Array<Record<string, unknown>> } }> };
    (bad.services[0] as { scaling: { rules: Array<Record<string, unknown>> } }).scaling.rules[1] = { schedule: 'rate(1 day)', minCount: 1, maxCount: 20 };
    expect(() => parseConfig(bad)).toThrow(/scaling\.rules\[1\]\.minCount: 1 is outside the service's bounds 2-10/);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: always within bounds; no scale-in during a deployment; cooldowns hold
// ---------------------------------------------------------------------------------------------

const arbCase = fc
  .record({
    min: fc.integer({ min: 0, max: 20 }),
    span: fc.integer({ min: 0, max: 20 }),
    desired: fc.integer({ min: 0, max: 60 }),
    adjustment: fc.option(fc.integer({ min: -50, max: 50 }), { nil: undefined }),
    ruleMin: fc.option(fc.integer({ min: 0, max: 45 }), { nil: undefined }),
    ruleMax: fc.option(fc.integer({ min: 0, max: 45 }), { nil: undefined }),
    target: fc.option(fc.record({ minCapacity: fc.integer({ min: 0, max: 50 }), maxCapacity: fc.integer({ min: 0, max: 50 }) }), { nil: undefined }),
    lastActionAgo: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    lastScaleOutAgo: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    cooldown: fc.integer({ min: 0, max: 600 }),
    deploying: fc.boolean(),
    replay: fc.boolean(),
  })
  .filter((c) => c.adjustment !== undefined || c.ruleMin !== undefined || c.ruleMax !== undefined)
  .map((c) => {
    const sc = scaling({ minCount: c.min, maxCount: Math.max(1, c.min + c.span) });
    const r = ScalingRule.parse({
      alarmName: 'a',
      cooldownSeconds: c.cooldown,
      ...(c.adjustment !== undefined ? { adjustment: c.adjustment } : {}),
      ...(c.ruleMin !== undefined ? { minCount: c.ruleMin } : {}),
      ...(c.ruleMax !== undefined ? { maxCount: c.ruleMax } : {}),
    });
    const st = state({
      ...(c.lastActionAgo !== undefined ? { lastActionAt: { k: NOW - c.lastActionAgo * 1000 } } : {}),
      ...(c.lastScaleOutAgo !== undefined ? { lastScaleOutAt: NOW - c.lastScaleOutAgo * 1000 } : {}),
    });
    return { c, input: { scaling: sc, rule: r, ruleKey: 'k', desired: c.desired, ...(c.target ? { target: c.target } : {}), state: st, nowMs: NOW, ...(c.deploying ? { deploymentInProgress: 'd' } : {}), replay: c.replay } };
  });

describe('properties', () => {
  it('a scale or bounds change always lands within the configured min and max (and the bounds it sets lie within them)', () => {
    fc.assert(
      fc.property(arbCase, ({ input }) => {
        const d = decideScaling(input);
        if (d.kind === 'scale' || d.kind === 'set-bounds' || d.kind === 'defer') {
          expect(d.to).toBeGreaterThanOrEqual(input.scaling.minCount);
          expect(d.to).toBeLessThanOrEqual(input.scaling.maxCount);
        }
        if (d.kind === 'scale' || d.kind === 'set-bounds') {
          expect(d.bounds.min).toBeGreaterThanOrEqual(input.scaling.minCount);
          expect(d.bounds.max).toBeLessThanOrEqual(input.scaling.maxCount);
          expect(d.bounds.min).toBeLessThanOrEqual(d.bounds.max);
          expect(d.to).toBeGreaterThanOrEqual(d.bounds.min);
          expect(d.to).toBeLessThanOrEqual(d.bounds.max);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never scales in while a deployment is in progress', () => {
    fc.assert(
      fc.property(arbCase, ({ input }) => {
        const d = decideScaling(input);
        if (input.deploymentInProgress && (d.kind === 'scale' || d.kind === 'set-bounds')) expect(d.to).toBeGreaterThanOrEqual(d.from);
      }),
      { numRuns: 1000 },
    );
  });

  it('acts at most once per cooldown (a replay aside), and scales in only after the cooldown of the last scale-out', () => {
    fc.assert(
      fc.property(arbCase, ({ c, input }) => {
        const d = decideScaling(input);
        if (input.replay || !(d.kind === 'scale' || d.kind === 'set-bounds')) return;
        if (c.lastActionAgo !== undefined) expect(c.lastActionAgo * 1000).toBeGreaterThanOrEqual(c.cooldown * 1000);
        if (d.to < d.from && c.lastScaleOutAgo !== undefined) expect(c.lastScaleOutAgo).toBeGreaterThanOrEqual(c.cooldown);
      }),
      { numRuns: 1000 },
    );
  });

  it('the action of a decision carries its trigger, the from/to and the bounds', () => {
    const d = decideScaling({ scaling: scaling(), rule: rule({ adjustment: 2 }), ruleKey: 'k', desired: 4, state: state(), nowMs: NOW });
    const a = scalingAction(d, { service: 'web', environment: 'production', resourceId: 'service/demo/web' }, 'alarm busy in ALARM', 'done', 'now');
    expect(a).toMatchObject({ kind: 'scale', outcome: 'done', reason: 'alarm busy in ALARM: 4 -> 6 (+2; bounds 2-8)', detail: { from: 4, to: 6, min: 2, max: 8 } });
  });
});
