import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiveStateInvalid } from '../../functions/core/errors.js';
import { resolveLiveSide } from '../../functions/core/live-side.js';
import type { TargetGroupWeight } from '../../functions/core/model.js';

const A = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api-a/0123456789abcdef';
const B = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api-b/fedcba9876543210';
const C = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/other/00000000000000aa';
const TGS = [A, B] as const;
const w = (targetGroupArn: string, weight: number): TargetGroupWeight => ({ targetGroupArn, weight });

describe('resolveLiveSide', () => {
  const cases: Array<{
    name: string;
    weights: TargetGroupWeight[];
    primary?: string;
    expected: { blue: string; green: string; split: boolean };
  }> = [
    { name: 'forward to A only (steady state)', weights: [w(A, 100)], expected: { blue: A, green: B, split: false } },
    { name: 'forward to B only', weights: [w(B, 100)], expected: { blue: B, green: A, split: false } },
    { name: 'A=100, B=0', weights: [w(A, 100), w(B, 0)], expected: { blue: A, green: B, split: false } },
    { name: 'A=0, B=100 (after a promotion)', weights: [w(A, 0), w(B, 100)], expected: { blue: B, green: A, split: false } },
    {
      name: 'first deployment: no primary task set, listener on A',
      weights: [w(A, 100)],
      primary: undefined,
      expected: { blue: A, green: B, split: false },
    },
    {
      name: 'the listener wins over a primary task set on the other side',
      weights: [w(A, 100), w(B, 0)],
      primary: B,
      expected: { blue: A, green: B, split: false },
    },
    {
      name: 'split 90/10 after an interrupted deployment: the primary is blue',
      weights: [w(A, 90), w(B, 10)],
      primary: A,
      expected: { blue: A, green: B, split: true },
    },
    {
      name: 'split 10/90 with the primary still on B',
      weights: [w(A, 10), w(B, 90)],
      primary: B,
      expected: { blue: B, green: A, split: true },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(resolveLiveSide(c.weights, TGS, c.primary)).toEqual(c.expected);
    });
  }

  const invalid: Array<{ name: string; weights: TargetGroupWeight[]; primary?: string; message: RegExp }> = [
    { name: 'no forward at all', weights: [], message: /forwards to no target group.*found weights \(none\)/ },
    {
      name: 'a target group that is not the service\'s',
      weights: [w(A, 100), w(C, 0)],
      message: /forwards to .*targetgroup\/other\/00000000000000aa, which is not one of the service's target groups.*Forward only to/,
    },
    { name: 'weights that do not sum to 100', weights: [w(A, 50), w(B, 30)], message: /the weights sum to 80, not 100.*Set the weights to 100 on the stable target group/ },
    { name: 'a target group named twice', weights: [w(A, 50), w(A, 50)], message: /names .* twice/ },
    { name: 'a non-integer weight', weights: [w(A, 99.5), w(B, 0.5)], message: /weight 99.5 .* is not an integer from 0 to 100/ },
    { name: 'a split without a primary task set', weights: [w(A, 90), w(B, 10)], message: /traffic is split .* the service has no primary task set/ },
    {
      name: 'a split with the primary on an unrelated target group',
      weights: [w(A, 50), w(B, 50)],
      primary: C,
      message: /the primary task set is on .*other.*, neither of them/,
    },
  ];
  for (const c of invalid) {
    it(`throws LiveStateInvalid for ${c.name}`, () => {
      expect(() => resolveLiveSide(c.weights, TGS, c.primary)).toThrow(LiveStateInvalid);
      expect(() => resolveLiveSide(c.weights, TGS, c.primary)).toThrow(c.message);
    });
  }

  it('throws LiveStateInvalid when the service names one target group twice', () => {
    expect(() => resolveLiveSide([w(A, 100)], [A, A])).toThrow(LiveStateInvalid);
  });

  it('puts what it found into the error details', () => {
    let caught: unknown;
    try {
      resolveLiveSide([w(A, 60)], TGS);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LiveStateInvalid);
    expect((caught as LiveStateInvalid).details).toMatchObject({ weights: [w(A, 60)], serviceTargetGroups: TGS });
  });

  it('blue and green are always the service\'s two target groups, blue holding the traffic (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        fc.constantFrom(A, B, undefined),
        fc.boolean(),
        (onA, dropZero, primary, reverse) => {
          let weights = [w(A, onA), w(B, 100 - onA)];
          if (dropZero) weights = weights.filter((x) => x.weight > 0);
          if (reverse) weights.reverse();
          const split = onA > 0 && onA < 100;
          if (split && primary === undefined) {
            expect(() => resolveLiveSide(weights, TGS, primary)).toThrow(LiveStateInvalid);
            return;
          }
          const live = resolveLiveSide(weights, TGS, primary);
          expect([live.blue, live.green].sort()).toEqual([A, B].sort());
          expect(live.split).toBe(split);
          if (!split) expect(live.blue).toBe(onA === 100 ? A : B);
          else expect(live.blue).toBe(primary);
        },
      ),
    );
  });
});
