import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALB_METRIC_DELAY_SECONDS,
  analysisWindow,
  assess,
  decideAfterVerdict,
  MIN_ANALYSIS_BAKE_SECONDS,
  tooShortForAnalysis,
  erfc,
  mannWhitneyU,
  normalCdf,
  normalQuantile,
  twoProportionTest,
  type Verdict,
  VerdictKind,
} from '../../functions/core/analysis.js';
import type { AnalysisConfig } from '../../functions/core/config.js';
import type { TargetGroupSamples } from '../../functions/core/ports.js';

/** |actual - expected| <= rel * |expected| (or <= rel when expected is 0). */
function expectClose(actual: number, expected: number, rel = 1e-12): void {
  const tolerance = expected === 0 ? rel : Math.abs(expected) * rel;
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

// Reference values: scipy 1.17 (scipy.special.erfc, scipy.stats.norm.cdf / norm.ppf,
// scipy.stats.mannwhitneyu), which compute these with Cephes to full double precision.
describe('erfc (Cody)', () => {
  const cases = [
    { x: 0, expected: 1 },
    { x: 0.3, expected: 0.6713732405408726 }, // first interval (|x| <= 0.46875)
    { x: -0.3, expected: 1.3286267594591274 },
    { x: 1, expected: 0.15729920705028516 }, // second interval (0.46875, 4]
    { x: -1, expected: 1.8427007929497148 },
    { x: 2, expected: 0.004677734981047266 },
    { x: 3.9, expected: 3.479224859723178e-8 },
    { x: 4.5, expected: 1.9661604415428878e-10 }, // third interval (> 4)
    { x: 5, expected: 1.5374597944280347e-12 },
    { x: 10, expected: 2.0884875837625446e-45 },
    { x: 26, expected: 5.663192408856145e-296 },
    { x: 27, expected: 0 }, // underflows
  ];
  for (const c of cases) it(`erfc(${c.x}) = ${c.expected}`, () => expectClose(erfc(c.x), c.expected, 1e-13));
});

describe('normalCdf', () => {
  const cases = [
    { z: 0, expected: 0.5 },
    { z: 1.96, expected: 0.9750021048517795 }, // the textbook 0.9750021
    { z: -1.96, expected: 0.024997895148220435 },
    { z: 1, expected: 0.8413447460685429 },
    { z: -1, expected: 0.15865525393145707 },
    { z: 2.5, expected: 0.9937903346742238 },
    { z: -3, expected: 0.0013498980316300933 },
    { z: -5, expected: 2.866515718791933e-7 },
    { z: -8, expected: 6.22096057427174e-16 },
    { z: -10, expected: 7.61985302416047e-24 },
    { z: -20, expected: 2.7536241186061556e-89 },
    { z: 6, expected: 0.9999999990134123 },
  ];
  for (const c of cases) it(`Φ(${c.z}) = ${c.expected}`, () => expectClose(normalCdf(c.z), c.expected, 1e-12));
  it('textbook value Φ(1.96) = 0.9750021 to 7 places', () => expect(normalCdf(1.96)).toBeCloseTo(0.9750021, 7));
  it('is 0 and 1 at the infinities and NaN for NaN', () => {
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });
  it('is symmetric: Φ(z) + Φ(-z) = 1 (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -40, max: 40, noNaN: true }), (z) => {
        expect(Math.abs(normalCdf(z) + normalCdf(-z) - 1)).toBeLessThan(1e-15);
      }),
    );
  });
  it('is non-decreasing (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -40, max: 40, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true }), (z, d) => {
        expect(normalCdf(z + d)).toBeGreaterThanOrEqual(normalCdf(z));
      }),
    );
  });
});

describe('normalQuantile', () => {
  const cases = [
    { p: 0.5, expected: 0 },
    { p: 0.95, expected: 1.6448536269514722 }, // the textbook 1.6448536
    { p: 0.975, expected: 1.959963984540054 },
    { p: 0.99, expected: 2.3263478740408408 },
    { p: 0.999, expected: 3.090232306167813 },
    { p: 0.01, expected: -2.3263478740408408 },
    { p: 0.3, expected: -0.5244005127080409 },
    { p: 0.02425, expected: -1.972961051311885 }, // Acklam's region boundary
    { p: 0.97575, expected: 1.972961051311885 },
    { p: 1e-10, expected: -6.361340902404056 },
    { p: 0.9999999, expected: 5.199337582290661 },
  ];
  for (const c of cases) it(`Φ⁻¹(${c.p}) = ${c.expected}`, () => expectClose(normalQuantile(c.p), c.expected, 1e-9));
  it('textbook value Φ⁻¹(0.95) = 1.6448536 to 7 places', () => expect(normalQuantile(0.95)).toBeCloseTo(1.6448536, 7));
  it('is ∓∞ at 0 and 1', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
  });
  for (const bad of [-0.1, 1.1, Number.NaN]) {
    it(`throws RangeError for ${bad}`, () => expect(() => normalQuantile(bad)).toThrow(RangeError));
  }
  it('inverts normalCdf (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1 - 1e-12, noNaN: true }), (p) => {
        expectClose(normalCdf(normalQuantile(p)), p, 1e-9);
      }),
    );
  });
});

describe('twoProportionTest', () => {
  it('pooled worked example: 30/1000 vs 15/1000, tolerance 0', () => {
    // p̂ = 45/2000 = 0.0225; se = √(0.0225 × 0.9775 × (1/1000 + 1/1000)) = √0.0000439875 = 0.00663231
    // z = (0.03 - 0.015) / 0.00663231 = 2.26166; p = 1 - Φ(2.26166) = 0.0118593
    const r = twoProportionTest({ errorsGreen: 30, requestsGreen: 1000, errorsBlue: 15, requestsBlue: 1000, tolerance: 0 });
    expect(r.variance).toBe('pooled');
    expectClose(r.rateGreen, 0.03);
    expectClose(r.rateBlue, 0.015);
    expectClose(r.difference, 0.015);
    expectClose(r.z, 2.261656365159503, 1e-12);
    expectClose(r.pValue, 0.011859321316095729, 1e-10);
  });

  it('unpooled worked example: 50/1000 vs 20/1000, tolerance 0.01', () => {
    // se = √(0.05 × 0.95 / 1000 + 0.02 × 0.98 / 1000) = √0.0000671 = 0.00819146
    // z = (0.05 - 0.02 - 0.01) / 0.00819146 = 2.44157; p = 1 - Φ(2.44157) = 0.00731183
    const r = twoProportionTest({ errorsGreen: 50, requestsGreen: 1000, errorsBlue: 20, requestsBlue: 1000, tolerance: 0.01 });
    expect(r.variance).toBe('unpooled');
    expectClose(r.z, 2.4415675011949203, 1e-12);
    expectClose(r.pValue, 0.007311827105383014, 1e-10);
  });

  const edge = [
    { name: 'both sides without errors (pooled, zero variance): no evidence', input: [0, 1000, 0, 1000, 0], z: 0, p: 0.5 },
    { name: 'both sides without errors (unpooled): below tolerance', input: [0, 1000, 0, 1000, 0.01], z: Number.NEGATIVE_INFINITY, p: 1 },
    { name: 'all green requests fail, no blue ones (unpooled)', input: [100, 100, 0, 100, 0.01], z: Number.POSITIVE_INFINITY, p: 0 },
    { name: 'blue rate plus tolerance reaches 1: H1 impossible', input: [100, 100, 95, 100, 0.05], z: Number.NEGATIVE_INFINITY, p: 1 },
    { name: 'green better than blue', input: [0, 1000, 10, 1000, 0], z: -3.1702131247412066, p: 0.9992383641761766 },
  ] as const;
  for (const c of edge) {
    it(c.name, () => {
      const [errorsGreen, requestsGreen, errorsBlue, requestsBlue, tolerance] = c.input;
      const r = twoProportionTest({ errorsGreen, requestsGreen, errorsBlue, requestsBlue, tolerance });
      if (Number.isFinite(c.z)) expectClose(r.z, c.z, 1e-9);
      else expect(r.z).toBe(c.z);
      expectClose(r.pValue, c.p, 1e-9);
    });
  }

  const invalid = [
    { name: 'no green requests', input: { errorsGreen: 0, requestsGreen: 0, errorsBlue: 0, requestsBlue: 10, tolerance: 0 } },
    { name: 'errors above requests', input: { errorsGreen: 11, requestsGreen: 10, errorsBlue: 0, requestsBlue: 10, tolerance: 0 } },
    { name: 'negative count', input: { errorsGreen: -1, requestsGreen: 10, errorsBlue: 0, requestsBlue: 10, tolerance: 0 } },
    { name: 'NaN count', input: { errorsGreen: Number.NaN, requestsGreen: 10, errorsBlue: 0, requestsBlue: 10, tolerance: 0 } },
    { name: 'tolerance above 1', input: { errorsGreen: 0, requestsGreen: 10, errorsBlue: 0, requestsBlue: 10, tolerance: 1.5 } },
  ];
  for (const c of invalid) it(`throws RangeError for ${c.name}`, () => expect(() => twoProportionTest(c.input)).toThrow(RangeError));

  const countsArb = fc
    .tuple(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 100_000 }))
    .chain(([nG, nB]) => fc.tuple(fc.constant(nG), fc.integer({ min: 0, max: nG }), fc.constant(nB), fc.integer({ min: 0, max: nB })));
  const toleranceArb = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.2, noNaN: true }));

  it('p-values are in [0, 1] (property)', () => {
    fc.assert(
      fc.property(countsArb, toleranceArb, ([nG, eG, nB, eB], tolerance) => {
        const { pValue } = twoProportionTest({ errorsGreen: eG, requestsGreen: nG, errorsBlue: eB, requestsBlue: nB, tolerance });
        expect(pValue).toBeGreaterThanOrEqual(0);
        expect(pValue).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('a green with one more error never has a higher p-value (property)', () => {
    fc.assert(
      fc.property(countsArb, toleranceArb, ([nG, eG, nB, eB], tolerance) => {
        fc.pre(eG < nG);
        const better = twoProportionTest({ errorsGreen: eG, requestsGreen: nG, errorsBlue: eB, requestsBlue: nB, tolerance });
        const worse = twoProportionTest({ errorsGreen: eG + 1, requestsGreen: nG, errorsBlue: eB, requestsBlue: nB, tolerance });
        expect(worse.pValue).toBeLessThanOrEqual(better.pValue + 1e-12);
      }),
    );
  });

  it('identical rates never reject at any allowed confidence (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), toleranceArb, (n, rate, tolerance) => {
        const e = Math.round(n * rate);
        const { pValue } = twoProportionTest({ errorsGreen: e, requestsGreen: n, errorsBlue: e, requestsBlue: n, tolerance });
        expect(pValue).toBeGreaterThanOrEqual(0.5);
      }),
    );
  });
});

describe('mannWhitneyU', () => {
  // Wikipedia, "Mann–Whitney U test", illustration: finishing order T H H H H H T T T T T H.
  // Positions: tortoises {1, 7, 8, 9, 10, 11}, hares {2, 3, 4, 5, 6, 12}. Counting (tortoise, hare)
  // pairs where the tortoise's position is larger (it finished behind): 0 + 5 × 5 = 25, the
  // article's U_H; its U_T = 11 = 6 × 6 - 25.
  const tortoises = [1, 7, 8, 9, 10, 11];
  const hares = [2, 3, 4, 5, 6, 12];

  it('tortoise and hare: U = 25, exact one-sided p = 143/924', () => {
    const r = mannWhitneyU(tortoises, hares);
    expect(r.u).toBe(25);
    expect(r.method).toBe('exact');
    expect(r.effect).toBeCloseTo(25 / 36, 12);
    expectClose(r.pValue, 143 / 924, 1e-12); // scipy: 0.15476190476190477
  });

  it('tortoise and hare, asymptotic: z = (25 - 18 - 0.5)/√39 = 1.04083, p = 0.148977', () => {
    const r = mannWhitneyU(tortoises, hares, { method: 'asymptotic' });
    expect(r.method).toBe('asymptotic');
    expectClose(r.z, 6.5 / Math.sqrt(39), 1e-12);
    expectClose(r.pValue, 0.1489765308040839, 1e-9); // scipy method='asymptotic'
  });

  it('the other way round: hares U = 11, p = 0.87987', () => {
    const r = mannWhitneyU(hares, tortoises);
    expect(r.u).toBe(11);
    expectClose(r.pValue, 0.8798701298701299, 1e-12);
  });

  const cases: Array<{ name: string; green: number[]; blue: number[]; u: number; p: number; method: 'exact' | 'asymptotic' }> = [
    // Smallest samples the analysis accepts: all 3 green above all 3 blue. Exact p = 1/C(6,3) = 1/20.
    { name: '3 vs 3, complete separation (exact)', green: [4, 5, 6], blue: [1, 2, 3], u: 9, p: 0.05, method: 'exact' },
    // Ties: mid-ranks and the tie correction (t = 3 at 0.25 plus pairs at 0.21, 0.22).
    {
      name: '7 vs 6 with ties (asymptotic, tie-corrected)',
      green: [0.21, 0.25, 0.25, 0.3, 0.28, 0.22, 0.25],
      blue: [0.2, 0.22, 0.21, 0.25, 0.19, 0.23],
      u: 34.5,
      p: 0.02947718850952871,
      method: 'asymptotic',
    },
    {
      name: '10 vs 10 with one tie (asymptotic)',
      green: [0.1, 0.12, 0.13, 0.5, 0.11, 0.2, 0.3, 0.25, 0.22, 0.18],
      blue: [0.1, 0.11, 0.09, 0.12, 0.13, 0.095, 0.105, 0.115, 0.125, 0.135],
      u: 82,
      p: 0.008545017375625399,
      method: 'asymptotic',
    },
    { name: 'identical samples: U = n²/2, p > 0.5', green: [1, 2, 3], blue: [1, 2, 3], u: 4.5, p: 0.5902615116112394, method: 'asymptotic' },
    // Exact with one small and one large sample (the Gaussian-binomial path, degree 5 × 40).
    { name: '5 vs 40, green low (exact)', green: [3.5, 4.5, 5.5, 6.5, 7.5], blue: range(1, 40), u: 25, p: 0.9981788552406817, method: 'exact' },
    { name: '5 vs 40, mixed (exact)', green: [35.5, 4.5, 38.5, 6.5, 37.5], blue: range(1, 40), u: 120, p: 0.2464029321658363, method: 'exact' },
  ];
  for (const c of cases) {
    it(`${c.name}: U = ${c.u}, p = ${c.p} (scipy)`, () => {
      const r = mannWhitneyU(c.green, c.blue);
      expect(r.u).toBe(c.u);
      expect(r.method).toBe(c.method);
      expectClose(r.pValue, c.p, 1e-9);
    });
  }

  it('every value tied: no evidence, p = 1', () => {
    const r = mannWhitneyU([0.2, 0.2, 0.2], [0.2, 0.2, 0.2, 0.2]);
    expect(r.u).toBe(6);
    expect(r.pValue).toBe(1);
  });

  it('throws RangeError for an empty sample or a non-finite value', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(RangeError);
    expect(() => mannWhitneyU([1, Number.NaN], [1])).toThrow(RangeError);
  });

  it('the exact p-value equals brute-force enumeration of all labelings (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 11 }),
        fc.integer({ min: 1, max: 10 }),
        (values, split) => {
          fc.pre(split < values.length);
          const green = values.slice(0, split);
          const blue = values.slice(split);
          const r = mannWhitneyU(green, blue);
          fc.pre(r.method === 'exact');
          expectClose(r.pValue, bruteForceUpperTail(green, blue), 1e-12);
        },
      ),
    );
  });

  const sampleArb = (min: number) => fc.array(fc.integer({ min: 0, max: 200 }), { minLength: min, maxLength: 30 });

  it('p-values are in [0, 1] and U = Σ pairs green > blue + ½ ties (property)', () => {
    fc.assert(
      fc.property(sampleArb(1), sampleArb(1), (green, blue) => {
        const r = mannWhitneyU(green, blue);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        let pairs = 0;
        for (const g of green) for (const b of blue) pairs += g > b ? 1 : g === b ? 0.5 : 0;
        expect(r.u).toBe(pairs);
      }),
    );
  });

  it('a slower green never has a higher p-value (property)', () => {
    // Green on half-integers, blue on integers: shifting green changes no tie, so the method and the
    // tie correction stay the same and only U moves.
    fc.assert(
      fc.property(sampleArb(1), sampleArb(1), fc.integer({ min: 1, max: 100 }), (g, blue, delta) => {
        const better = g.map((x) => x + 0.5);
        const worse = better.map((x) => x + delta);
        expect(mannWhitneyU(worse, blue).pValue).toBeLessThanOrEqual(mannWhitneyU(better, blue).pValue + 1e-12);
      }),
    );
  });

  it('identical samples never reject (p >= 0.5) (property)', () => {
    fc.assert(
      fc.property(sampleArb(1), (s) => {
        expect(mannWhitneyU(s, [...s]).pValue).toBeGreaterThanOrEqual(0.5);
      }),
    );
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** P(U >= observed) over all C(n, m) ways to choose which values are green. */
function bruteForceUpperTail(green: number[], blue: number[]): number {
  const all = [...green, ...blue];
  const m = green.length;
  const uOf = (g: number[], b: number[]): number => {
    let u = 0;
    for (const x of g) for (const y of b) u += x > y ? 1 : x === y ? 0.5 : 0;
    return u;
  };
  const observed = uOf(green, blue);
  let total = 0;
  let atLeast = 0;
  const choose = (start: number, picked: number[]): void => {
    if (picked.length === m) {
      const g = picked.map((i) => all[i] as number);
      const b = all.filter((_, i) => !picked.includes(i));
      total++;
      if (uOf(g, b) >= observed) atLeast++;
      return;
    }
    for (let i = start; i < all.length; i++) choose(i + 1, [...picked, i]);
  };
  choose(0, []);
  return atLeast / total;
}

// ---------------------------------------------------------------------------------------------
// assess / decideAfterVerdict
// ---------------------------------------------------------------------------------------------
const CONFIG: AnalysisConfig = {
  enabled: true,
  confidence: 0.95,
  errorRateTolerance: 0,
  latencyTolerance: 0.1,
  minRequests: 100,
  onInconclusive: 'extend',
  maxExtensions: 2,
};
const steady = (base: number, n: number): number[] => Array.from({ length: n }, (_, i) => base + (i % 5) * 0.002 + i * 1e-5);
const side = (requests: number, errors5xx: number, latencies: number[]): TargetGroupSamples => ({ requests, errors5xx, latencies });

describe('assess', () => {
  const cases: Array<{
    name: string;
    green: TargetGroupSamples;
    blue: TargetGroupSamples;
    config?: Partial<AnalysisConfig>;
    kind: VerdictKind;
    reason: RegExp;
    errorRate: 'tested' | 'null';
    latency: 'tested' | 'null';
  }> = [
    {
      name: 'a green like blue passes',
      green: side(1000, 10, steady(0.2, 10)),
      blue: side(1000, 12, steady(0.2, 10)),
      kind: VerdictKind.Pass,
      reason: /no evidence green is worse/,
      errorRate: 'tested',
      latency: 'tested',
    },
    {
      name: 'a higher error rate fails (the worked example: p = 0.0119)',
      green: side(1000, 30, steady(0.2, 10)),
      blue: side(1000, 15, steady(0.2, 10)),
      kind: VerdictKind.Fail,
      reason: /error rate: green 3\.00 % vs blue 1\.50 % \(tolerance 0\.00 %\): p = 0\.0119 < alpha 0\.0500, green is worse/,
      errorRate: 'tested',
      latency: 'tested',
    },
    {
      name: 'a higher error rate within the tolerance passes',
      green: side(1000, 30, steady(0.2, 10)),
      blue: side(1000, 15, steady(0.2, 10)),
      config: { errorRateTolerance: 0.05 },
      kind: VerdictKind.Pass,
      reason: /error rate: .* no evidence green is worse/,
      errorRate: 'tested',
      latency: 'tested',
    },
    {
      name: 'slower green (50 % over blue) fails on latency',
      green: side(1000, 10, steady(0.3, 10)),
      blue: side(1000, 10, steady(0.2, 10)),
      kind: VerdictKind.Fail,
      reason: /latency: median green .* green is slower/,
      errorRate: 'tested',
      latency: 'tested',
    },
    {
      name: 'green 5 % slower passes with a 10 % latency tolerance',
      green: side(1000, 10, steady(0.21, 10)),
      blue: side(1000, 10, steady(0.2, 10)),
      kind: VerdictKind.Pass,
      reason: /latency: .* no evidence green is slower/,
      errorRate: 'tested',
      latency: 'tested',
    },
    {
      name: 'green 5 % slower fails with no latency tolerance',
      green: side(1000, 10, steady(0.21, 10)),
      blue: side(1000, 10, steady(0.2, 10)),
      config: { latencyTolerance: 0 },
      kind: VerdictKind.Fail,
      reason: /green is slower/,
      errorRate: 'tested',
      latency: 'tested',
    },
    {
      name: 'too few requests is Inconclusive even when a test would reject',
      green: side(50, 10, steady(0.2, 10)),
      blue: side(5000, 1, steady(0.2, 10)),
      kind: VerdictKind.Inconclusive,
      reason: /too few requests: green 50, blue 5000 \(need at least 100 per side\)/,
      errorRate: 'tested',
      latency: 'tested',
    },
    {
      name: 'fewer than 3 periods skips the latency test',
      green: side(1000, 10, [0.9, 0.9]),
      blue: side(1000, 10, steady(0.2, 10)),
      kind: VerdictKind.Pass,
      reason: /latency: not tested, 2 period\(s\) on green and 10 on blue \(need at least 3 per side\)/,
      errorRate: 'tested',
      latency: 'null',
    },
    {
      name: 'no traffic on green (blue-green at 0 %) is Inconclusive',
      green: side(0, 0, []),
      blue: side(1000, 10, steady(0.2, 10)),
      kind: VerdictKind.Inconclusive,
      reason: /error rate: not tested, green received no requests/,
      errorRate: 'null',
      latency: 'null',
    },
    {
      name: 'errors above requests is an invalid measurement, not an exception',
      green: side(100, 120, steady(0.2, 10)),
      blue: side(1000, 10, steady(0.2, 10)),
      kind: VerdictKind.Inconclusive,
      reason: /measurement invalid: green: errors5xx 120 exceed requests 100/,
      errorRate: 'null',
      latency: 'null',
    },
    {
      name: 'a NaN count is an invalid measurement',
      green: side(Number.NaN, 0, steady(0.2, 10)),
      blue: side(1000, 10, steady(0.2, 10)),
      kind: VerdictKind.Inconclusive,
      reason: /measurement invalid: green: requests NaN is not a non-negative number/,
      errorRate: 'null',
      latency: 'null',
    },
    {
      name: 'a non-finite latency is an invalid measurement',
      green: side(1000, 10, [0.2, Number.POSITIVE_INFINITY, 0.2]),
      blue: side(1000, 10, steady(0.2, 10)),
      kind: VerdictKind.Inconclusive,
      reason: /measurement invalid: green: 1 latency value\(s\)/,
      errorRate: 'null',
      latency: 'null',
    },
    {
      name: 'analysis disabled passes without testing',
      green: side(1000, 900, steady(5, 10)),
      blue: side(1000, 0, steady(0.2, 10)),
      config: { enabled: false },
      kind: VerdictKind.Pass,
      reason: /analysis disabled/,
      errorRate: 'null',
      latency: 'null',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      // Act
      const verdict = assess({ green: c.green, blue: c.blue }, { ...CONFIG, ...c.config });
      // Assess
      expect(verdict.kind).toBe(c.kind);
      expect(verdict.reasons.join('\n')).toMatch(c.reason);
      expect(verdict.errorRate === null ? 'null' : 'tested').toBe(c.errorRate);
      expect(verdict.latency === null ? 'null' : 'tested').toBe(c.latency);
      // JSON-safe: it travels through Step Functions state unchanged.
      expect(JSON.parse(JSON.stringify(verdict))).toEqual(verdict);
    });
  }

  it('reports the numbers of both tests', () => {
    const verdict = assess({ green: side(1000, 30, steady(0.3, 10)), blue: side(1000, 15, steady(0.2, 10)) }, CONFIG);
    expect(verdict.samples).toEqual({ requestsGreen: 1000, requestsBlue: 1000, errorsGreen: 30, errorsBlue: 15, periodsGreen: 10, periodsBlue: 10 });
    expect(verdict.alpha).toBeCloseTo(0.05, 12);
    expect(verdict.errorRate).toMatchObject({ rateGreen: 0.03, rateBlue: 0.015, variance: 'pooled', rejected: true });
    expectClose(verdict.errorRate?.pValue ?? Number.NaN, 0.011859321316095729, 1e-10);
    expect(verdict.latency).toMatchObject({ u: 100, effect: 1, method: 'asymptotic', rejected: true, tolerance: 0.1 });
    expect(verdict.latency?.medianGreen).toBeCloseTo(0.304, 3);
  });

  it('a zero-variance z is reported as null, keeping the verdict JSON-safe', () => {
    const verdict = assess({ green: side(1000, 0, steady(0.2, 10)), blue: side(1000, 0, steady(0.2, 10)) }, { ...CONFIG, errorRateTolerance: 0.01 });
    expect(verdict.errorRate?.z).toBeNull();
    expect(verdict.errorRate?.pValue).toBe(1);
    expect(verdict.kind).toBe(VerdictKind.Pass);
  });

  const samplesArb = fc
    .tuple(fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { maxLength: 40 }))
    .map(([requests, rate, latencies]) => side(requests, Math.round(requests * rate), latencies));
  const configArb = fc.record({
    enabled: fc.constant(true),
    confidence: fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
    errorRateTolerance: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
    latencyTolerance: fc.double({ min: 0, max: 10, noNaN: true }),
    minRequests: fc.integer({ min: 1, max: 1000 }),
    onInconclusive: fc.constantFrom('extend' as const, 'fail' as const, 'pass' as const),
    maxExtensions: fc.integer({ min: 0, max: 20 }),
  });

  it('identical samples never Fail, at any allowed configuration (property)', () => {
    fc.assert(
      fc.property(samplesArb, configArb, (s, config) => {
        const verdict = assess({ green: s, blue: { ...s, latencies: [...s.latencies] } }, config);
        expect(verdict.kind).not.toBe(VerdictKind.Fail);
      }),
    );
  });

  it('every verdict has a reason, p-values in [0, 1], and survives JSON (property)', () => {
    fc.assert(
      fc.property(samplesArb, samplesArb, configArb, (green, blue, config) => {
        const verdict = assess({ green, blue }, config);
        expect(verdict.reasons.length).toBeGreaterThan(0);
        for (const p of [verdict.errorRate?.pValue, verdict.latency?.pValue]) {
          if (p !== undefined) expect(p >= 0 && p <= 1).toBe(true);
        }
        expect(JSON.parse(JSON.stringify(verdict))).toEqual(verdict);
      }),
    );
  });
});

describe('decideAfterVerdict', () => {
  const v = (kind: VerdictKind): Pick<Verdict, 'kind'> => ({ kind });
  const cases = [
    { name: 'Pass passes', kind: VerdictKind.Pass, onInconclusive: 'extend', max: 2, ext: 0, decision: 'pass' },
    { name: 'Fail fails', kind: VerdictKind.Fail, onInconclusive: 'pass', max: 2, ext: 0, decision: 'fail' },
    { name: 'Inconclusive extends while extensions remain', kind: VerdictKind.Inconclusive, onInconclusive: 'extend', max: 2, ext: 1, decision: 'extend' },
    { name: 'Inconclusive fails once extensions are used up', kind: VerdictKind.Inconclusive, onInconclusive: 'extend', max: 2, ext: 2, decision: 'fail' },
    { name: 'Inconclusive with maxExtensions 0 fails at once', kind: VerdictKind.Inconclusive, onInconclusive: 'extend', max: 0, ext: 0, decision: 'fail' },
    { name: 'Inconclusive with onInconclusive pass', kind: VerdictKind.Inconclusive, onInconclusive: 'pass', max: 2, ext: 5, decision: 'pass' },
    { name: 'Inconclusive with onInconclusive fail', kind: VerdictKind.Inconclusive, onInconclusive: 'fail', max: 2, ext: 0, decision: 'fail' },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      expect(decideAfterVerdict(v(c.kind), { onInconclusive: c.onInconclusive, maxExtensions: c.max }, c.ext)).toBe(c.decision);
    });
  }
});

describe('analysisWindow: whole minutes after the shift, the ALB data delay waited out (issue #13, item 8)', () => {
  const T = Date.UTC(2025, 0, 1, 10, 0, 0);
  const at = (m: number, s = 0) => T + m * 60_000 + s * 1000;
  it.each([
    ['shift 10:00:30, now 10:05:30', at(0, 30), at(5, 30), at(1), at(3), 2],
    ['shift 10:00:00, now 10:03:00', at(0), at(3), at(0), at(1), 1],
    ['shift 10:00:30, now 10:02:30: nothing yet', at(0, 30), at(2, 30), at(1), at(1), 0],
  ])('%s', (_name, shift, now, start, end, minutes) => {
    expect(analysisWindow(shift, now)).toEqual({ startMs: start, endMs: end, minutes, delaySeconds: ALB_METRIC_DELAY_SECONDS });
  });

  it('property: the window is whole minutes, starts at or after the shift, ends at least the delay before now', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400_000 }), fc.integer({ min: 0, max: 7_200_000 }), (offset, bake) => {
        const shift = T + offset;
        const w = analysisWindow(shift, shift + bake);
        expect(w.startMs % 60_000).toBe(0);
        expect(w.endMs % 60_000).toBe(0);
        expect(w.startMs).toBeGreaterThanOrEqual(shift);
        expect(w.endMs).toBeGreaterThanOrEqual(w.startMs);
        if (w.minutes > 0) expect(w.endMs).toBeLessThanOrEqual(shift + bake - ALB_METRIC_DELAY_SECONDS * 1000);
        // A total bake of MIN_ANALYSIS_BAKE_SECONDS gives a whole minute when the shift is on a minute boundary.
        if (offset % 60_000 === 0 && bake >= MIN_ANALYSIS_BAKE_SECONDS * 1000) expect(w.minutes).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it('tooShortForAnalysis counts extensions only with onInconclusive extend', () => {
    expect(tooShortForAnalysis(80, { onInconclusive: 'extend', maxExtensions: 2 })).toBe(false);
    expect(tooShortForAnalysis(60, { onInconclusive: 'extend', maxExtensions: 2 })).toBe(true);
    expect(tooShortForAnalysis(80, { onInconclusive: 'fail', maxExtensions: 2 })).toBe(true);
    expect(tooShortForAnalysis(0, { onInconclusive: 'fail', maxExtensions: 0 })).toBe(false);
  });
});
