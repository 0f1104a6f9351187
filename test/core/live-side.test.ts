import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiveStateInvalid } from '../../functions/core/errors.js';
import { resolveLiveSide, taskSetRoom } from '../../functions/core/live-side.js';
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

describe('taskSetRoom (ECS: 5 task sets per service, DRAINING included)', () => {
  const W = [{ targetGroupArn: 'A', weight: 100 }, { targetGroupArn: 'B', weight: 0 }];
  const ts = (id: string, status: string, tg: string, externalId?: string) => ({ id, status, targetGroupArns: [tg], ...(externalId ? { externalId } : {}) });
  const opts = { deploymentId: 'd-9', blueTaskSetId: 'blue', weights: W };

  it.each([
    ['fewer than 5: room', [ts('blue', 'PRIMARY', 'A'), ts('g1', 'DRAINING', 'B')], { kind: 'room', count: 2 }],
    ['this deployment\'s task set exists (a retry): ours', [ts('blue', 'PRIMARY', 'A'), ts('g', 'ACTIVE', 'B', 'd-9')], { kind: 'ours', id: 'g' }],
    [
      'at 5: orphans on the 0-weight group are deletable, DRAINING ones awaited',
      [ts('blue', 'PRIMARY', 'A'), ts('d1', 'DRAINING', 'B'), ts('d2', 'DRAINING', 'B'), ts('o1', 'ACTIVE', 'B', 'd-1'), ts('o2', 'ACTIVE', 'B')],
      { kind: 'full', count: 5, orphans: ['o1', 'o2'], draining: ['d1', 'd2'] },
    ],
    [
      'at 5: never the primary, blue, or a task set on a group with traffic',
      [ts('blue', 'ACTIVE', 'A'), ts('p', 'PRIMARY', 'B'), ts('x1', 'ACTIVE', 'A'), ts('x2', 'ACTIVE', 'A'), ts('x3', 'ACTIVE', 'A')],
      { kind: 'stuck', count: 5, kept: ['blue', 'p', 'x1', 'x2', 'x3'] },
    ],
  ])('%s', (_name, sets, expected) => {
    expect(taskSetRoom(sets, opts)).toEqual(expected);
  });

  it('property: an orphan is never PRIMARY, DRAINING, blue, this deployment\'s, or on a target group with weight > 0', () => {
    const status = fc.constantFrom('PRIMARY', 'ACTIVE', 'DRAINING');
    const set = fc.record({ status, targetGroupArns: fc.array(fc.constantFrom('A', 'B'), { minLength: 1, maxLength: 2 }), externalId: fc.constantFrom('d-9', 'd-1', '') });
    fc.assert(
      fc.property(fc.array(set, { maxLength: 8 }), fc.integer({ min: 0, max: 100 }), (raw, onB) => {
        const sets = raw.map((s, k) => ({ id: `ts-${k}`, status: s.status, targetGroupArns: s.targetGroupArns, ...(s.externalId ? { externalId: s.externalId } : {}) }));
        const weights = [{ targetGroupArn: 'A', weight: 100 - onB }, { targetGroupArn: 'B', weight: onB }];
        const room = taskSetRoom(sets, { deploymentId: 'd-9', ...(sets[0] ? { blueTaskSetId: sets[0].id } : {}), weights });
        if (room.kind !== 'full') return;
        for (const id of room.orphans) {
          const s = sets.find((x) => x.id === id && x.status === 'ACTIVE' && x.id !== sets[0]?.id && x.externalId !== 'd-9');
          expect(s).toBeDefined();
          expect(s?.targetGroupArns.every((tg) => (weights.find((w) => w.targetGroupArn === tg)?.weight ?? 0) === 0)).toBe(true);
        }
      }),
    );
  });
});
