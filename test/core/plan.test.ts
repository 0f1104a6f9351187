import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StrategyConfig } from '../../functions/core/config.js';
import { ValidationError } from '../../functions/core/errors.js';
import type { Plan, PlanStep } from '../../functions/core/model.js';
import {
  greenScalePercent,
  nextWeights,
  percentAfter,
  planDurationSeconds,
  planProblems,
  planSteps,
  requiredHealthyTargets,
  weightsFor,
} from '../../functions/core/plan.js';

const shift = (percent: number): PlanStep => ({ kind: 'shift', percent });
const bake = (seconds: number): PlanStep => ({ kind: 'bake', seconds });
const approval = (timeoutSeconds: number, onTimeout: 'abort' | 'promote' = 'abort'): PlanStep => ({
  kind: 'approval',
  timeoutSeconds,
  onTimeout,
});
const BLUE = 'tg-blue';
const GREEN = 'tg-green';

describe('planSteps', () => {
  const cases: Array<{ name: string; strategy: StrategyConfig; steps: PlanStep[] }> = [
    {
      name: 'canary: shift, bake, shift 100, final bake',
      strategy: { type: 'canary', percent: 10, bakeSeconds: 300, finalBakeSeconds: 60 },
      steps: [shift(10), bake(300), shift(100), bake(60)],
    },
    {
      name: 'canary without a final bake omits the 0-second bake',
      strategy: { type: 'canary', percent: 10, bakeSeconds: 300, finalBakeSeconds: 0 },
      steps: [shift(10), bake(300), shift(100)],
    },
    {
      name: 'canary with no bake at all',
      strategy: { type: 'canary', percent: 25, bakeSeconds: 0, finalBakeSeconds: 0 },
      steps: [shift(25), shift(100)],
    },
    {
      name: 'linear 30 %: last shift clamped to 100 with no bake after it',
      strategy: { type: 'linear', stepPercent: 30, intervalSeconds: 60 },
      steps: [shift(30), bake(60), shift(60), bake(60), shift(90), bake(60), shift(100)],
    },
    {
      name: 'linear 25 %: reaches 100 exactly',
      strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 120 },
      steps: [shift(25), bake(120), shift(50), bake(120), shift(75), bake(120), shift(100)],
    },
    {
      name: 'linear 100 %: one shift',
      strategy: { type: 'linear', stepPercent: 100, intervalSeconds: 60 },
      steps: [shift(100)],
    },
    {
      name: 'linear with a 0-second interval has no bakes',
      strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 },
      steps: [shift(50), shift(100)],
    },
    {
      name: 'blue-green: bake at 0 % first, then switch, then final bake',
      strategy: { type: 'blue-green', bakeSeconds: 300, finalBakeSeconds: 120 },
      steps: [bake(300), shift(100), bake(120)],
    },
    {
      name: 'blue-green without bakes is a single switch',
      strategy: { type: 'blue-green', bakeSeconds: 0, finalBakeSeconds: 0 },
      steps: [shift(100)],
    },
    {
      name: 'all-at-once with a bake',
      strategy: { type: 'all-at-once', bakeSeconds: 600 },
      steps: [shift(100), bake(600)],
    },
    {
      name: 'all-at-once without a bake',
      strategy: { type: 'all-at-once', bakeSeconds: 0 },
      steps: [shift(100)],
    },
    {
      name: 'explicit steps with an approval gate',
      strategy: {
        type: 'steps',
        steps: [
          { percent: 20, bakeSeconds: 60 },
          { approval: { timeoutSeconds: 3600, onTimeout: 'abort' } },
          { percent: 50, bakeSeconds: 0 },
          { percent: 100, bakeSeconds: 300 },
          { approval: { timeoutSeconds: 600, onTimeout: 'promote' } },
        ],
      },
      steps: [shift(20), bake(60), approval(3600), shift(50), shift(100), bake(300), approval(600, 'promote')],
    },
    {
      name: 'explicit steps may repeat a percentage',
      strategy: {
        type: 'steps',
        steps: [
          { percent: 10, bakeSeconds: 60 },
          { percent: 10, bakeSeconds: 60 },
          { percent: 100, bakeSeconds: 0 },
        ],
      },
      steps: [shift(10), bake(60), shift(10), bake(60), shift(100)],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      // Act
      const plan = planSteps(c.strategy);
      // Assess
      expect(plan).toEqual({ strategy: c.strategy.type, steps: c.steps });
    });
  }

  const invalid: Array<{ name: string; strategy: StrategyConfig; message: RegExp }> = [
    {
      name: 'explicit steps that move traffic back',
      strategy: {
        type: 'steps',
        steps: [
          { percent: 50, bakeSeconds: 0 },
          { percent: 20, bakeSeconds: 0 },
          { percent: 100, bakeSeconds: 0 },
        ],
      },
      message: /steps\[1\]: shift to 20 % is below the previous 50 %/,
    },
    {
      name: 'explicit steps that do not end at 100',
      strategy: { type: 'steps', steps: [{ percent: 50, bakeSeconds: 60 }] },
      message: /the last shift is 50 %, not 100 %/,
    },
    {
      name: 'explicit steps with only an approval',
      strategy: { type: 'steps', steps: [{ approval: { timeoutSeconds: 60, onTimeout: 'abort' } }] },
      message: /no traffic shift/,
    },
    {
      name: 'a negative bake (input that bypassed the schema)',
      strategy: { type: 'all-at-once', bakeSeconds: -5 },
      message: /bake of -5 seconds must be a non-negative number/,
    },
    {
      name: 'a linear step of 0 (would never reach 100)',
      strategy: { type: 'linear', stepPercent: 0, intervalSeconds: 60 },
      message: /stepPercent: 0 must be an integer from 1 to 100/,
    },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name} with ValidationError`, () => {
      expect(() => planSteps(c.strategy)).toThrow(ValidationError);
      expect(() => planSteps(c.strategy)).toThrow(c.message);
    });
  }
});

// Strategies exactly as the config schema allows them (config.ts `Strategy`).
const bakeSecondsArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 24 * 3600 }));
const explicitStepsArb = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.record({ percent: fc.integer({ min: 0, max: 100 }), bakeSeconds: bakeSecondsArb }),
        fc.record({
          approval: fc.record({
            timeoutSeconds: fc.integer({ min: 0, max: 7 * 24 * 3600 }),
            onTimeout: fc.constantFrom('abort' as const, 'promote' as const),
          }),
        }),
      ),
      { maxLength: 48 },
    ),
    bakeSecondsArb,
  )
  .map(([raw, finalBake]) => {
    // Make shift percentages non-decreasing and end with 100, as parseConfig requires.
    const sorted = raw
      .filter((s): s is { percent: number; bakeSeconds: number } => 'percent' in s)
      .map((s) => s.percent)
      .sort((a, b) => a - b);
    let k = 0;
    const steps = raw.map((s) => ('percent' in s ? { ...s, percent: sorted[k++] as number } : s));
    return [...steps, { percent: 100, bakeSeconds: finalBake }];
  });
const strategyArb: fc.Arbitrary<StrategyConfig> = fc.oneof(
  fc.record({
    type: fc.constant('canary' as const),
    percent: fc.integer({ min: 1, max: 99 }),
    bakeSeconds: bakeSecondsArb,
    finalBakeSeconds: bakeSecondsArb,
  }),
  fc.record({
    type: fc.constant('linear' as const),
    stepPercent: fc.integer({ min: 1, max: 100 }),
    intervalSeconds: bakeSecondsArb,
  }),
  fc.record({ type: fc.constant('blue-green' as const), bakeSeconds: bakeSecondsArb, finalBakeSeconds: bakeSecondsArb }),
  fc.record({ type: fc.constant('all-at-once' as const), bakeSeconds: bakeSecondsArb }),
  fc.record({ type: fc.constant('steps' as const), steps: explicitStepsArb }),
);

const shiftsOf = (plan: Plan): number[] => plan.steps.flatMap((s) => (s.kind === 'shift' ? [s.percent] : []));

describe('planSteps properties (every strategy the schema allows)', () => {
  it('shifts never decrease and the last shift is 100', () => {
    fc.assert(
      fc.property(strategyArb, (strategy) => {
        const shifts = shiftsOf(planSteps(strategy));
        expect(shifts.length).toBeGreaterThan(0);
        expect(shifts.at(-1)).toBe(100);
        for (let i = 1; i < shifts.length; i++) expect(shifts[i]).toBeGreaterThanOrEqual(shifts[i - 1] as number);
      }),
    );
  });

  it('bakes are positive (0-second bakes omitted) and approvals non-negative', () => {
    fc.assert(
      fc.property(strategyArb, (strategy) => {
        for (const step of planSteps(strategy).steps) {
          if (step.kind === 'bake') expect(step.seconds).toBeGreaterThan(0);
          if (step.kind === 'approval') expect(step.timeoutSeconds).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('has no plan problems and the weights after every step sum to 100', () => {
    fc.assert(
      fc.property(strategyArb, (strategy) => {
        const plan = planSteps(strategy);
        expect(planProblems(plan)).toEqual([]);
        for (let i = -1; i < plan.steps.length; i++) {
          const weights = nextWeights(plan, i, BLUE, GREEN);
          expect(weights.map((w) => w.targetGroupArn)).toEqual([BLUE, GREEN]);
          expect(weights.reduce((a, w) => a + w.weight, 0)).toBe(100);
          for (const w of weights) expect(Number.isInteger(w.weight) && w.weight >= 0 && w.weight <= 100).toBe(true);
        }
        expect(nextWeights(plan, plan.steps.length - 1, BLUE, GREEN)).toEqual([
          { targetGroupArn: BLUE, weight: 0 },
          { targetGroupArn: GREEN, weight: 100 },
        ]);
      }),
    );
  });

  it('plan duration is the sum of bakes and approval timeouts', () => {
    fc.assert(
      fc.property(strategyArb, (strategy) => {
        const plan = planSteps(strategy);
        const expected = plan.steps.reduce(
          (a, s) => a + (s.kind === 'bake' ? s.seconds : s.kind === 'approval' ? s.timeoutSeconds : 0),
          0,
        );
        expect(planDurationSeconds(plan)).toBe(expected);
      }),
    );
  });

  it('proportional green scale covers the traffic in force after each step', () => {
    fc.assert(
      fc.property(strategyArb, (strategy) => {
        const plan = planSteps(strategy);
        for (let i = 0; i < plan.steps.length; i++) {
          expect(greenScalePercent('proportional', plan, i)).toBeGreaterThanOrEqual(percentAfter(plan, i));
          expect(greenScalePercent('full', plan, i)).toBe(100);
        }
      }),
    );
  });
});

describe('weightsFor', () => {
  const cases = [
    { name: '0 % keeps all traffic on blue, green named with 0', percent: 0, blue: 100, green: 0 },
    { name: '10 %', percent: 10, blue: 90, green: 10 },
    { name: '100 % moves everything to green', percent: 100, blue: 0, green: 100 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(weightsFor(c.percent, BLUE, GREEN)).toEqual([
        { targetGroupArn: BLUE, weight: c.blue },
        { targetGroupArn: GREEN, weight: c.green },
      ]);
    });
  }
  for (const bad of [-1, 101, 10.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`throws RangeError for ${bad}`, () => {
      expect(() => weightsFor(bad, BLUE, GREEN)).toThrow(RangeError);
    });
  }
  it('throws RangeError when blue and green are the same target group', () => {
    expect(() => weightsFor(10, BLUE, BLUE)).toThrow(RangeError);
  });
  it('always sums to 100 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), (p) => {
        const [b, g] = weightsFor(p, BLUE, GREEN);
        expect((b?.weight ?? 0) + (g?.weight ?? 0)).toBe(100);
      }),
    );
  });
});

describe('nextWeights / percentAfter', () => {
  const linear = planSteps({ type: 'linear', stepPercent: 30, intervalSeconds: 60 });
  const blueGreen = planSteps({ type: 'blue-green', bakeSeconds: 300, finalBakeSeconds: 60 });
  const cases: Array<{ name: string; plan: Plan; stepIndex: number; green: number }> = [
    { name: 'before any step: 0', plan: linear, stepIndex: -1, green: 0 },
    { name: 'after the first shift', plan: linear, stepIndex: 0, green: 30 },
    { name: 'during a bake: the shift before it', plan: linear, stepIndex: 1, green: 30 },
    { name: 'after the second shift', plan: linear, stepIndex: 2, green: 60 },
    { name: 'after the final clamped shift', plan: linear, stepIndex: 6, green: 100 },
    { name: 'blue-green bake before any shift: 0', plan: blueGreen, stepIndex: 0, green: 0 },
    { name: 'blue-green after the switch', plan: blueGreen, stepIndex: 1, green: 100 },
    { name: 'blue-green final bake', plan: blueGreen, stepIndex: 2, green: 100 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(percentAfter(c.plan, c.stepIndex)).toBe(c.green);
      expect(nextWeights(c.plan, c.stepIndex, BLUE, GREEN)).toEqual([
        { targetGroupArn: BLUE, weight: 100 - c.green },
        { targetGroupArn: GREEN, weight: c.green },
      ]);
    });
  }
  for (const bad of [-2, 7, 1.5]) {
    it(`throws RangeError for step index ${bad}`, () => {
      expect(() => nextWeights(linear, bad, BLUE, GREEN)).toThrow(RangeError);
    });
  }
});

describe('planDurationSeconds', () => {
  const cases: Array<{ name: string; plan: Plan; seconds: number }> = [
    { name: 'bakes and approvals add up', plan: { strategy: 'steps', steps: [shift(10), bake(300), approval(3600), shift(100), bake(60)] }, seconds: 3960 },
    { name: 'shifts only: 0', plan: { strategy: 'all-at-once', steps: [shift(100)] }, seconds: 0 },
    { name: 'canary 10 % 5-minute bake', plan: planSteps({ type: 'canary', percent: 10, bakeSeconds: 300, finalBakeSeconds: 0 }), seconds: 300 },
  ];
  for (const c of cases) it(c.name, () => expect(planDurationSeconds(c.plan)).toBe(c.seconds));
});

describe('requiredHealthyTargets', () => {
  const cases = [
    { name: 'no traffic needs no healthy targets (full)', desired: 10, percent: 0, capacity: 'full', required: 0 },
    { name: 'no traffic needs no healthy targets (proportional)', desired: 10, percent: 0, capacity: 'proportional', required: 0 },
    { name: 'full: every desired task', desired: 10, percent: 10, capacity: 'full', required: 10 },
    { name: 'full: at least one when scaled to zero', desired: 0, percent: 10, capacity: 'full', required: 1 },
    { name: 'proportional: 10 % of 10', desired: 10, percent: 10, capacity: 'proportional', required: 1 },
    { name: 'proportional: 25 % of 10 rounds up to 3', desired: 10, percent: 25, capacity: 'proportional', required: 3 },
    { name: 'proportional: 1 % of 3 is at least 1', desired: 3, percent: 1, capacity: 'proportional', required: 1 },
    { name: 'proportional: 100 % of 7', desired: 7, percent: 100, capacity: 'proportional', required: 7 },
    { name: 'proportional: at least one when scaled to zero', desired: 0, percent: 50, capacity: 'proportional', required: 1 },
    { name: 'proportional: 33 % of 300 is exact', desired: 300, percent: 33, capacity: 'proportional', required: 99 },
  ] as const;
  for (const c of cases) {
    it(c.name, () => expect(requiredHealthyTargets(c.desired, c.percent, c.capacity)).toBe(c.required));
  }
  it('throws RangeError for a negative desired count or a bad percent', () => {
    expect(() => requiredHealthyTargets(-1, 10, 'full')).toThrow(RangeError);
    expect(() => requiredHealthyTargets(10, 101, 'full')).toThrow(RangeError);
    expect(() => requiredHealthyTargets(10, 12.5, 'proportional')).toThrow(RangeError);
  });
  it('proportional never exceeds full and is the exact integer ceiling (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 100 }), (desired, percent) => {
        const p = requiredHealthyTargets(desired, percent, 'proportional');
        expect(p).toBeLessThanOrEqual(requiredHealthyTargets(desired, percent, 'full'));
        const exactCeil = Math.max(1, Math.floor((desired * percent + 99) / 100));
        expect(p).toBe(exactCeil);
      }),
    );
  });
});

describe('greenScalePercent', () => {
  const canary = planSteps({ type: 'canary', percent: 10, bakeSeconds: 300, finalBakeSeconds: 0 }); // shift 10, bake, shift 100
  const blueGreen = planSteps({ type: 'blue-green', bakeSeconds: 300, finalBakeSeconds: 0 }); // bake, shift 100
  const zeroFirst: Plan = { strategy: 'steps', steps: [shift(0), bake(60), shift(100)] };
  const cases: Array<{ name: string; capacity: 'full' | 'proportional'; plan: Plan; stepIndex: number; scale: number }> = [
    { name: 'full is always 100', capacity: 'full', plan: canary, stepIndex: 0, scale: 100 },
    { name: 'proportional canary starts at the canary percent', capacity: 'proportional', plan: canary, stepIndex: 0, scale: 10 },
    { name: 'proportional canary during the bake: ready for the next shift', capacity: 'proportional', plan: canary, stepIndex: 1, scale: 100 },
    { name: 'proportional at the final shift', capacity: 'proportional', plan: canary, stepIndex: 2, scale: 100 },
    { name: 'proportional after the plan: 100', capacity: 'proportional', plan: canary, stepIndex: 3, scale: 100 },
    { name: 'proportional blue-green: the switch is to 100', capacity: 'proportional', plan: blueGreen, stepIndex: 0, scale: 100 },
    { name: 'proportional shift to 0 still gets one task', capacity: 'proportional', plan: zeroFirst, stepIndex: 0, scale: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => expect(greenScalePercent(c.capacity, c.plan, c.stepIndex)).toBe(c.scale));
  }
  it('throws RangeError for a step index out of range', () => {
    expect(() => greenScalePercent('proportional', canary, -1)).toThrow(RangeError);
    expect(() => greenScalePercent('proportional', canary, 4)).toThrow(RangeError);
  });
});

describe('planProblems', () => {
  it('accepts a sound plan', () => {
    expect(planProblems([shift(10), bake(60), shift(100)])).toEqual([]);
  });
  it('names every problem', () => {
    expect(planProblems([shift(50), bake(-1), shift(20), approval(Number.NaN), shift(101)])).toEqual([
      'steps[1]: bake of -1 seconds must be a non-negative number',
      'steps[2]: shift to 20 % is below the previous 50 %; steps may not move traffic back',
      'steps[3]: approval timeout of NaN seconds must be a non-negative number',
      'steps[4]: shift to 101 % is not an integer from 0 to 100',
      'the last shift is 101 %, not 100 %; add a final shift to 100 %',
    ]);
  });
});
