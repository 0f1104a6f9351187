/**
 * Canary-versus-baseline analysis: is green (the canary) worse than blue (the baseline)?
 *
 * Two one-sided tests, each at `alpha = 1 - confidence`:
 * - error rate (HTTPCode_Target_5XX_Count / RequestCount): a two-proportion z-test of
 *   H0: pGreen - pBlue <= tolerance against H1: pGreen - pBlue > tolerance ({@link twoProportionTest});
 * - latency (per-period average TargetResponseTime): a Mann-Whitney U test of "green is
 *   stochastically larger than blue scaled by (1 + latencyTolerance)" ({@link mannWhitneyU}).
 *
 * {@link assess} turns the samples into a {@link Verdict} (Pass, Fail or Inconclusive). Measurement
 * problems (too few requests, a side with no traffic, counts that do not add up) are verdicts, not
 * exceptions; the statistics functions themselves throw RangeError on impossible input, which
 * `assess` never passes them.
 *
 * Pure: no I/O, no clock. Every number in a Verdict is finite (JSON-safe: it travels through Step
 * Functions state and onto the deployment record).
 */
import type { AnalysisConfig } from './config.js';
import type { TargetGroupSamples } from './ports.js';

// ---------------------------------------------------------------------------------------------
// The standard normal distribution
// ---------------------------------------------------------------------------------------------

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
// 631-637; coefficients of CALERF from netlib specfun (erf for |x| <= 0.46875, erfc on
// (0.46875, 4] and beyond 4). Relative error below 1e-15 in double precision.
// The coefficients are kept digit for digit as published (18 significant digits), so they can be
// checked against the source; the doubles they round to are what the algorithm was designed for.
// biome-ignore-start lint/correctness/noPrecisionLoss: published coefficients, kept as printed
const ERF_A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const ERF_B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
const ERFC_C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
];
const ERFC_D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
];
const ERFC_P = [
  0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766,
  6.58749161529837803e-4, 0.0163153871373020978,
];
const ERFC_Q = [2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185];
const SQRT_PI_INV = 0.56418958354775628695; // 1/sqrt(pi)
// biome-ignore-end lint/correctness/noPrecisionLoss: published coefficients, kept as printed
const ERFC_XBIG = 26.543; // erfc(x) underflows to 0 beyond this

/** exp(-y*y) computed as Cody does, splitting y to keep the relative error small for large y. */
function expMinusSquare(y: number): number {
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * Math.exp(-del);
}

/** The complementary error function erfc(x) = 1 - erf(x) (Cody's CALERF with JINT = 1). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const y = Math.abs(x);
  let result: number;
  if (y <= 0.46875) {
    const ysq = y > 1.11e-16 ? y * y : 0;
    let xnum = (ERF_A[4] as number) * ysq;
    let xden = ysq;
    for (let i = 0; i < 3; i++) {
      xnum = (xnum + (ERF_A[i] as number)) * ysq;
      xden = (xden + (ERF_B[i] as number)) * ysq;
    }
    // erf(x) for small |x|; erfc = 1 - erf, no cancellation here since erf(x) <= 0.493.
    return 1 - (x * (xnum + (ERF_A[3] as number))) / (xden + (ERF_B[3] as number));
  } else if (y <= 4) {
    let xnum = (ERFC_C[8] as number) * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + (ERFC_C[i] as number)) * y;
      xden = (xden + (ERFC_D[i] as number)) * y;
    }
    result = ((xnum + (ERFC_C[7] as number)) / (xden + (ERFC_D[7] as number))) * expMinusSquare(y);
  } else if (y >= ERFC_XBIG) {
    result = 0;
  } else {
    const ysq = 1 / (y * y);
    let xnum = (ERFC_P[5] as number) * ysq;
    let xden = ysq;
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + (ERFC_P[i] as number)) * ysq;
      xden = (xden + (ERFC_Q[i] as number)) * ysq;
    }
    const r = (ysq * (xnum + (ERFC_P[4] as number))) / (xden + (ERFC_Q[4] as number));
    result = ((SQRT_PI_INV - r) / y) * expMinusSquare(y);
  }
  return x < 0 ? 2 - result : result;
}

/**
 * Φ(z), the standard normal cumulative distribution function, as `erfc(-z / √2) / 2` (full double
 * precision in both tails: Φ(-10) = 7.619853e-24 is not rounded to 0).
 *
 * Examples: Φ(0) = 0.5; Φ(1.96) = 0.9750021; Φ(-3) = 0.0013499; Φ(±∞) = 1 / 0.
 */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

// P. J. Acklam's rational approximation of the normal quantile (relative error < 1.15e-9),
// refined by one step of Halley's method against normalCdf, which brings it to full precision.
const ACKLAM_A = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
const ACKLAM_B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const ACKLAM_C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const ACKLAM_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const ACKLAM_P_LOW = 0.02425;

function polyval(coefficients: readonly number[], x: number): number {
  let acc = 0;
  for (const c of coefficients) acc = acc * x + c;
  return acc;
}

/**
 * Φ⁻¹(p), the standard normal quantile: the z with Φ(z) = p.
 *
 * Examples: Φ⁻¹(0.5) = 0; Φ⁻¹(0.95) = 1.6448536; Φ⁻¹(0.975) = 1.9599640; Φ⁻¹(0) = -∞; Φ⁻¹(1) = +∞.
 * Throws RangeError outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`normalQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  let x: number;
  if (p < ACKLAM_P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = polyval(ACKLAM_C, q) / (polyval(ACKLAM_D, q) * q + 1);
  } else if (p <= 1 - ACKLAM_P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x = (polyval(ACKLAM_A, r) * q) / (polyval(ACKLAM_B, r) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -polyval(ACKLAM_C, q) / (polyval(ACKLAM_D, q) * q + 1);
  }
  // One Halley step: e = Φ(x) - p, u = e / φ(x).
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  if (Number.isFinite(u)) x = x - u / (1 + (x * u) / 2);
  return x;
}

// ---------------------------------------------------------------------------------------------
// Error rate: two-proportion z-test
// ---------------------------------------------------------------------------------------------

export interface TwoProportionInput {
  readonly errorsGreen: number;
  readonly requestsGreen: number;
  readonly errorsBlue: number;
  readonly requestsBlue: number;
  /** Green's rate may exceed blue's by this much (absolute, 0..1) before it counts as worse. */
  readonly tolerance: number;
}

export interface TwoProportionResult {
  readonly rateGreen: number;
  readonly rateBlue: number;
  /** rateGreen - rateBlue. */
  readonly difference: number;
  readonly tolerance: number;
  /** (difference - tolerance) / standard error; ±Infinity when the standard error is 0 (see below). */
  readonly z: number;
  /** One-sided: P(Z >= z) under H0. Small means green is worse than blue by more than the tolerance. */
  readonly pValue: number;
  readonly variance: 'pooled' | 'unpooled';
}

function assertCount(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite non-negative number, got ${value}`);
}

/**
 * One-sided two-proportion z-test of H0: pGreen - pBlue <= tolerance against
 * H1: pGreen - pBlue > tolerance.
 *
 * `z = (rateGreen - rateBlue - tolerance) / se`, `pValue = 1 - Φ(z)`, where the standard error is
 * - pooled when tolerance = 0 (the classic test of equal proportions: under H0 both sides share one
 *   rate p̂ = (eG + eB) / (nG + nB), so se = √(p̂(1 - p̂)(1/nG + 1/nB)));
 * - unpooled when tolerance > 0 (under H0 the two rates differ, so a shared rate is not a valid
 *   estimate; the Wald form se = √(pG(1 - pG)/nG + pB(1 - pB)/nB) is the usual non-inferiority
 *   test with a margin).
 * When rateBlue + tolerance >= 1, H1 is impossible (no rate exceeds 1): pValue = 1, z = -∞.
 * When se = 0 (both sides all-success or all-failure): z = ±∞ by the sign of the excess, and 0
 * (pValue 0.5, "no evidence either way") when the excess is exactly 0.
 *
 * Worked example (tolerance 0): green 30 errors in 1000, blue 15 in 1000.
 * pG = 0.03, pB = 0.015, difference = 0.015; p̂ = 45/2000 = 0.0225;
 * se = √(0.0225 × 0.9775 × 0.002) = √0.0000439875 = 0.0066323; z = 0.015 / 0.0066323 = 2.2617;
 * pValue = 1 - Φ(2.2617) = 0.01186 -> rejected at 95 % confidence (alpha 0.05).
 *
 * Throws RangeError for counts that are negative, not finite, errors above requests, zero requests,
 * or a tolerance outside [0, 1].
 */
export function twoProportionTest(input: TwoProportionInput): TwoProportionResult {
  const { errorsGreen, requestsGreen, errorsBlue, requestsBlue, tolerance } = input;
  assertCount('errorsGreen', errorsGreen);
  assertCount('requestsGreen', requestsGreen);
  assertCount('errorsBlue', errorsBlue);
  assertCount('requestsBlue', requestsBlue);
  if (requestsGreen === 0 || requestsBlue === 0) throw new RangeError('both sides need at least one request');
  if (errorsGreen > requestsGreen) throw new RangeError(`errorsGreen ${errorsGreen} exceed requestsGreen ${requestsGreen}`);
  if (errorsBlue > requestsBlue) throw new RangeError(`errorsBlue ${errorsBlue} exceed requestsBlue ${requestsBlue}`);
  if (!(tolerance >= 0 && tolerance <= 1)) throw new RangeError(`tolerance must be in [0, 1], got ${tolerance}`);

  const rateGreen = errorsGreen / requestsGreen;
  const rateBlue = errorsBlue / requestsBlue;
  const difference = rateGreen - rateBlue;
  const variance = tolerance === 0 ? 'pooled' : 'unpooled';
  const base = { rateGreen, rateBlue, difference, tolerance, variance } as const;

  if (rateBlue + tolerance >= 1 && tolerance > 0) {
    return { ...base, z: Number.NEGATIVE_INFINITY, pValue: 1 };
  }
  let se: number;
  if (variance === 'pooled') {
    const pooled = (errorsGreen + errorsBlue) / (requestsGreen + requestsBlue);
    se = Math.sqrt(pooled * (1 - pooled) * (1 / requestsGreen + 1 / requestsBlue));
  } else {
    se = Math.sqrt((rateGreen * (1 - rateGreen)) / requestsGreen + (rateBlue * (1 - rateBlue)) / requestsBlue);
  }
  const excess = difference - tolerance;
  let z: number;
  if (se > 0) z = excess / se;
  else z = excess > 0 ? Number.POSITIVE_INFINITY : excess < 0 ? Number.NEGATIVE_INFINITY : 0;
  return { ...base, z, pValue: clamp01(normalCdf(-z)) };
}

// ---------------------------------------------------------------------------------------------
// Latency: Mann-Whitney U test
// ---------------------------------------------------------------------------------------------

export interface MannWhitneyOptions {
  /**
   * `auto` (default, as scipy.stats.mannwhitneyu): the exact distribution of U when there are no
   * ties and one sample has at most 8 values, else the normal approximation. `asymptotic`: always
   * the normal approximation.
   */
  readonly method?: 'auto' | 'asymptotic';
}

export interface MannWhitneyResult {
  /** U for green: the number of (green, blue) pairs with green > blue, ties counting 1/2. */
  readonly u: number;
  readonly nGreen: number;
  readonly nBlue: number;
  /** Common-language effect size U / (nGreen × nBlue): P(green > blue) + P(tie)/2. 0.5 = no difference. */
  readonly effect: number;
  /** The normal-approximation z (with tie and continuity correction), reported for either method. */
  readonly z: number;
  /** One-sided p-value for "green stochastically larger than blue". */
  readonly pValue: number;
  readonly method: 'exact' | 'asymptotic';
  readonly ties: boolean;
}

/** Ranks 1..n of the values (ties get their mid-rank) and Σ(t³ - t) over tie groups. */
function midRanks(values: readonly number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const ranks = new Array<number>(values.length).fill(0);
  let tieTerm = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const t = j - i + 1;
    const rank = (i + 1 + j + 1) / 2;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = rank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  return { ranks, tieTerm };
}

/**
 * P(U >= u) under H0 for samples of sizes m and n without ties: the counts of U are the
 * coefficients of the Gaussian binomial [m + n choose m]_q = Π_{i=1..m} (1 - q^(n+i)) / (1 - q^i),
 * computed as truncated power series in doubles, divided by C(m + n, m).
 */
function exactUpperTail(u: number, m: number, n: number): number {
  const degree = m * n;
  const c = new Array<number>(degree + 1).fill(0);
  c[0] = 1;
  for (let i = 1; i <= Math.min(m, n); i++) {
    const big = Math.max(m, n) + i;
    // divide by (1 - q^i): c[j] += c[j - i], ascending
    for (let j = i; j <= degree; j++) c[j] = (c[j] as number) + (c[j - i] as number);
    // multiply by (1 - q^big): c[j] -= c[j - big], descending
    for (let j = degree; j >= big; j--) c[j] = (c[j] as number) - (c[j - big] as number);
  }
  let total = 0;
  let tail = 0;
  for (let j = 0; j <= degree; j++) {
    total += c[j] as number;
    if (j >= u) tail += c[j] as number;
  }
  return clamp01(tail / total);
}

/**
 * One-sided Mann-Whitney U test: is green stochastically larger than blue?
 *
 * U (green) = R_green - nG(nG + 1)/2, with R_green the sum of green's mid-ranks in the pooled sample.
 * Normal approximation (scipy's `method='asymptotic', use_continuity=True`): μ = nG·nB/2,
 * σ² = nG·nB/12 · ((N + 1) - Σ(t³ - t) / (N(N - 1))) over tie groups of size t, z = (U - μ - 0.5)/σ,
 * pValue = 1 - Φ(z). When every value is tied σ = 0: z = -∞, pValue = 1 (no evidence).
 * With `method: 'auto'` and no ties and min(nG, nB) <= 8, the pValue is exact instead.
 *
 * Worked example (Wikipedia, "Mann-Whitney U test", tortoise and hare): finishing positions
 * tortoises {1, 7, 8, 9, 10, 11}, hares {2, 3, 4, 5, 6, 12}. With green = tortoises, U counts the
 * (tortoise, hare) pairs where the tortoise's position is larger: 0 for the tortoise in 1st place,
 * 5 for each of the five in 7th-11th (behind hares 2-6) -> U = 25, the article's U_H (tortoises
 * beaten by hares); its U_T = 11 = 36 - 25. Exact: pValue = P(U >= 25) = 143/924 = 0.15476. Asymptotic: μ = 18,
 * σ = √(36 × 13 / 12) = √39 = 6.2450, z = (25 - 18 - 0.5)/6.2450 = 1.0408, pValue = 0.14898.
 *
 * Apply a latency tolerance by scaling blue before the test (see {@link assess}): the test then asks
 * whether green is larger than blue × (1 + tolerance).
 *
 * Throws RangeError when a sample is empty or holds a value that is not finite.
 */
export function mannWhitneyU(
  green: readonly number[],
  blue: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const nGreen = green.length;
  const nBlue = blue.length;
  if (nGreen === 0 || nBlue === 0) throw new RangeError('mannWhitneyU: both samples need at least one value');
  for (const v of [...green, ...blue]) {
    if (!Number.isFinite(v)) throw new RangeError(`mannWhitneyU: every value must be finite, got ${v}`);
  }
  const n = nGreen + nBlue;
  const { ranks, tieTerm } = midRanks([...green, ...blue]);
  let rankSumGreen = 0;
  for (let i = 0; i < nGreen; i++) rankSumGreen += ranks[i] as number;
  const u = rankSumGreen - (nGreen * (nGreen + 1)) / 2;
  const pairs = nGreen * nBlue;
  const mu = pairs / 2;
  const sigma = Math.sqrt((pairs / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const numerator = u - mu - 0.5;
  const z = sigma > 0 ? numerator / sigma : Number.NEGATIVE_INFINITY;
  const ties = tieTerm > 0;
  const exact = (options.method ?? 'auto') === 'auto' && !ties && Math.min(nGreen, nBlue) <= 8;
  const pValue = exact ? exactUpperTail(Math.round(u), nGreen, nBlue) : clamp01(normalCdf(-z));
  return { u, nGreen, nBlue, effect: u / pairs, z, pValue, method: exact ? 'exact' : 'asymptotic', ties };
}

// ---------------------------------------------------------------------------------------------
// Verdict
// ---------------------------------------------------------------------------------------------

export const VerdictKind = {
  Pass: 'Pass',
  Fail: 'Fail',
  Inconclusive: 'Inconclusive',
} as const;
export type VerdictKind = (typeof VerdictKind)[keyof typeof VerdictKind];

export interface ErrorRateSummary {
  readonly rateGreen: number;
  readonly rateBlue: number;
  readonly difference: number;
  readonly tolerance: number;
  /** null when the z statistic is infinite (zero variance), so the verdict stays JSON-safe. */
  readonly z: number | null;
  readonly pValue: number;
  readonly variance: 'pooled' | 'unpooled';
  /** pValue < alpha: green's error rate is worse than blue's by more than the tolerance. */
  readonly rejected: boolean;
}

export interface LatencySummary {
  /** Medians of the per-period averages, seconds (blue unscaled). */
  readonly medianGreen: number;
  readonly medianBlue: number;
  readonly tolerance: number;
  /** U of green against blue × (1 + tolerance). */
  readonly u: number;
  readonly effect: number;
  readonly z: number | null;
  readonly pValue: number;
  readonly method: 'exact' | 'asymptotic';
  /** pValue < alpha: green is slower than blue × (1 + tolerance). */
  readonly rejected: boolean;
}

export interface Verdict {
  readonly kind: VerdictKind;
  /** Human-readable, one line per finding; every verdict has at least one. */
  readonly reasons: readonly string[];
  /** 1 - confidence. */
  readonly alpha: number;
  /** null when it could not be computed (a side without requests, invalid measurements, analysis disabled). */
  readonly errorRate: ErrorRateSummary | null;
  /** null when skipped (fewer than {@link MIN_LATENCY_PERIODS} periods on a side, invalid measurements, disabled). */
  readonly latency: LatencySummary | null;
  readonly samples: {
    readonly requestsGreen: number;
    readonly requestsBlue: number;
    readonly errorsGreen: number;
    readonly errorsBlue: number;
    readonly periodsGreen: number;
    readonly periodsBlue: number;
  };
}

/** The latency test needs at least this many periods (per-minute averages) on each side. */
export const MIN_LATENCY_PERIODS = 3;

function clamp01(p: number): number {
  return Math.min(1, Math.max(0, p));
}
const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
const pct = (rate: number): string => `${(rate * 100).toFixed(2)} %`;
const fmtP = (p: number): string => (p === 0 ? '0' : p < 1e-4 ? p.toExponential(2) : p.toPrecision(3));
const fmtMs = (seconds: number): string => `${(seconds * 1000).toFixed(1)} ms`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function measurementProblems(side: 'green' | 'blue', s: TargetGroupSamples): string[] {
  const problems: string[] = [];
  const isCount = (x: number): boolean => Number.isFinite(x) && x >= 0;
  if (!isCount(s.requests)) problems.push(`${side}: requests ${s.requests} is not a non-negative number`);
  if (!isCount(s.errors5xx)) problems.push(`${side}: errors5xx ${s.errors5xx} is not a non-negative number`);
  if (isCount(s.requests) && isCount(s.errors5xx) && s.errors5xx > s.requests) {
    problems.push(`${side}: errors5xx ${s.errors5xx} exceed requests ${s.requests} (metric periods misaligned?)`);
  }
  const bad = s.latencies.filter((x) => !(Number.isFinite(x) && x >= 0));
  if (bad.length > 0) problems.push(`${side}: ${bad.length} latency value(s) are not non-negative numbers`);
  return problems;
}

/**
 * Compare green against blue over one bake.
 *
 * Order of decisions:
 * 1. analysis disabled -> Pass ("analysis disabled");
 * 2. a measurement that does not make sense (negative or non-finite counts, errors above requests,
 *    non-finite latencies) -> Inconclusive, naming it;
 * 3. the tests run whenever they can (error rate: both sides have requests; latency: at least
 *    {@link MIN_LATENCY_PERIODS} periods per side, else `latency: null`);
 * 4. either side below `minRequests` requests -> Inconclusive (the test results are still reported);
 * 5. either test rejects H0 at alpha = 1 - confidence (pValue < alpha) -> Fail;
 * 6. otherwise Pass.
 * A p-value equal to alpha does not reject, so identical samples (pValue >= 0.5 >= alpha, since
 * confidence >= 0.5) never Fail.
 *
 * Latency tolerance: blue's samples are multiplied by (1 + latencyTolerance) before the U test,
 * so green fails only when it is slower than blue by more than that fraction (e.g. 0.1: 10 %).
 *
 * Example: confidence 0.95, errorRateTolerance 0, minRequests 100; green 30/1000 errors, blue
 * 15/1000 -> error-rate pValue 0.0119 < 0.05 -> Fail, reason
 * "error rate: green 3.00 % vs blue 1.50 % (tolerance 0.00 %): p = 0.0119 < alpha 0.05, green is worse".
 */
export function assess(samples: { green: TargetGroupSamples; blue: TargetGroupSamples }, config: AnalysisConfig): Verdict {
  const { green, blue } = samples;
  const alpha = 1 - config.confidence;
  const counts = {
    requestsGreen: green.requests,
    requestsBlue: blue.requests,
    errorsGreen: green.errors5xx,
    errorsBlue: blue.errors5xx,
    periodsGreen: green.latencies.length,
    periodsBlue: blue.latencies.length,
  };
  const verdict = (kind: VerdictKind, reasons: string[], errorRate: ErrorRateSummary | null, latency: LatencySummary | null): Verdict => ({
    kind,
    reasons,
    alpha,
    errorRate,
    latency,
    // Keep the verdict JSON-safe even when a measurement was NaN or infinite.
    samples: {
      requestsGreen: finiteOrNull(counts.requestsGreen) ?? 0,
      requestsBlue: finiteOrNull(counts.requestsBlue) ?? 0,
      errorsGreen: finiteOrNull(counts.errorsGreen) ?? 0,
      errorsBlue: finiteOrNull(counts.errorsBlue) ?? 0,
      periodsGreen: counts.periodsGreen,
      periodsBlue: counts.periodsBlue,
    },
  });

  if (!config.enabled) return verdict(VerdictKind.Pass, ['analysis disabled'], null, null);

  const problems = [...measurementProblems('green', green), ...measurementProblems('blue', blue)];
  if (problems.length > 0) {
    return verdict(VerdictKind.Inconclusive, problems.map((p) => `measurement invalid: ${p}`), null, null);
  }

  const reasons: string[] = [];

  // Error rate.
  let errorRate: ErrorRateSummary | null = null;
  if (green.requests > 0 && blue.requests > 0) {
    const t = twoProportionTest({
      errorsGreen: green.errors5xx,
      requestsGreen: green.requests,
      errorsBlue: blue.errors5xx,
      requestsBlue: blue.requests,
      tolerance: config.errorRateTolerance,
    });
    const rejected = t.pValue < alpha;
    errorRate = {
      rateGreen: t.rateGreen,
      rateBlue: t.rateBlue,
      difference: t.difference,
      tolerance: t.tolerance,
      z: finiteOrNull(t.z),
      pValue: t.pValue,
      variance: t.variance,
      rejected,
    };
    reasons.push(
      `error rate: green ${pct(t.rateGreen)} vs blue ${pct(t.rateBlue)} (tolerance ${pct(t.tolerance)}): p = ${fmtP(t.pValue)}` +
        (rejected ? ` < alpha ${fmtP(alpha)}, green is worse` : ` >= alpha ${fmtP(alpha)}, no evidence green is worse`),
    );
  } else {
    reasons.push(`error rate: not tested, ${green.requests === 0 ? 'green' : 'blue'} received no requests`);
  }

  // Latency.
  let latency: LatencySummary | null = null;
  if (green.latencies.length >= MIN_LATENCY_PERIODS && blue.latencies.length >= MIN_LATENCY_PERIODS) {
    const scale = 1 + config.latencyTolerance;
    const m = mannWhitneyU(green.latencies, blue.latencies.map((x) => x * scale));
    const rejected = m.pValue < alpha;
    const medianGreen = median(green.latencies);
    const medianBlue = median(blue.latencies);
    latency = {
      medianGreen,
      medianBlue,
      tolerance: config.latencyTolerance,
      u: m.u,
      effect: m.effect,
      z: finiteOrNull(m.z),
      pValue: m.pValue,
      method: m.method,
      rejected,
    };
    reasons.push(
      `latency: median green ${fmtMs(medianGreen)} vs blue ${fmtMs(medianBlue)} (tolerance +${(config.latencyTolerance * 100).toFixed(0)} %): p = ${fmtP(m.pValue)}` +
        (rejected ? ` < alpha ${fmtP(alpha)}, green is slower` : ` >= alpha ${fmtP(alpha)}, no evidence green is slower`),
    );
  } else {
    reasons.push(
      `latency: not tested, ${green.latencies.length} period(s) on green and ${blue.latencies.length} on blue (need at least ${MIN_LATENCY_PERIODS} per side)`,
    );
  }

  if (green.requests < config.minRequests || blue.requests < config.minRequests) {
    reasons.unshift(
      `too few requests: green ${green.requests}, blue ${blue.requests} (need at least ${config.minRequests} per side)`,
    );
    return verdict(VerdictKind.Inconclusive, reasons, errorRate, latency);
  }
  if (errorRate?.rejected || latency?.rejected) return verdict(VerdictKind.Fail, reasons, errorRate, latency);
  return verdict(VerdictKind.Pass, reasons, errorRate, latency);
}

export const AnalysisDecision = {
  pass: 'pass',
  fail: 'fail',
  extend: 'extend',
} as const;
export type AnalysisDecision = (typeof AnalysisDecision)[keyof typeof AnalysisDecision];

/**
 * What to do after a verdict: Pass -> pass, Fail -> fail; Inconclusive -> `onInconclusive`, where
 * `extend` becomes `fail` once the bake has been extended `maxExtensions` times.
 *
 * Examples (onInconclusive extend, maxExtensions 2): Inconclusive with 0 or 1 extensions so far ->
 * extend; with 2 -> fail. (onInconclusive pass): Inconclusive -> pass.
 */
export function decideAfterVerdict(
  verdict: Pick<Verdict, 'kind'>,
  config: Pick<AnalysisConfig, 'onInconclusive' | 'maxExtensions'>,
  extensionsSoFar: number,
): AnalysisDecision {
  switch (verdict.kind) {
    case VerdictKind.Pass:
      return AnalysisDecision.pass;
    case VerdictKind.Fail:
      return AnalysisDecision.fail;
    case VerdictKind.Inconclusive:
      switch (config.onInconclusive) {
        case 'pass':
          return AnalysisDecision.pass;
        case 'fail':
          return AnalysisDecision.fail;
        case 'extend':
          return extensionsSoFar < config.maxExtensions ? AnalysisDecision.extend : AnalysisDecision.fail;
        default: {
          const never: never = config.onInconclusive;
          throw new TypeError(`unhandled onInconclusive: ${String(never)}`);
        }
      }
    default: {
      const never: never = verdict.kind;
      throw new TypeError(`unhandled verdict kind: ${String(never)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The analysis window (issue #13, item 8)
// ---------------------------------------------------------------------------------------------

/**
 * ALB metrics reach CloudWatch one to two minutes after the minute they describe ("CloudWatch
 * metrics for your Application Load Balancer": reported in 60-second intervals, only when requests
 * flow): the last two minutes before now are not read.
 */
export const ALB_METRIC_DELAY_SECONDS = 120;
/** ALB metrics are per minute; GetMetricData rounds StartTime down to the period. */
export const METRIC_PERIOD_SECONDS = 60;
/**
 * The shortest total bake (bake x (1 + extensions)) that always gives an analysis one whole minute
 * of data after the shift: the delay, up to one period lost rounding the shift up to the minute, and
 * the minute itself (240 s).
 */
export const MIN_ANALYSIS_BAKE_SECONDS = ALB_METRIC_DELAY_SECONDS + 2 * METRIC_PERIOD_SECONDS;

export interface AnalysisWindow {
  /** Inclusive, on a minute boundary: the first whole minute after the shift. */
  readonly startMs: number;
  /** Exclusive, on a minute boundary: the last minute whose data has arrived ends here. */
  readonly endMs: number;
  /** Whole minutes in the window (0: nothing to read yet). */
  readonly minutes: number;
  /** The data delay waited out at the end of the window. */
  readonly delaySeconds: number;
}

/**
 * The GetMetricData window of an analysis: whole minutes after the shift, ending `delaySeconds`
 * before now. GetMetricData rounds StartTime down to the minute (a window starting at the shift
 * would count the minute before it: traffic blue served alone) and treats EndTime as exclusive,
 * and ALB data arrives late, so: start = the shift rounded UP to the minute, end = (now - delay)
 * rounded DOWN to the minute (CloudWatch API Reference, GetMetricData, StartTime/EndTime).
 *
 * Examples (delay 120 s):
 * - shift 10:00:30, now 10:05:30 -> [10:01, 10:03), 2 minutes
 * - shift 10:00:00, now 10:03:00 -> [10:00, 10:01), 1 minute
 * - shift 10:00:30, now 10:02:30 -> 0 minutes (startMs = endMs = 10:01)
 */
export function analysisWindow(shiftedAtMs: number, nowMs: number, delaySeconds = ALB_METRIC_DELAY_SECONDS): AnalysisWindow {
  const period = METRIC_PERIOD_SECONDS * 1000;
  const startMs = Math.ceil(shiftedAtMs / period) * period;
  const lastMs = Math.floor((nowMs - delaySeconds * 1000) / period) * period;
  const endMs = Math.max(startMs, lastMs);
  return { startMs, endMs, minutes: (endMs - startMs) / period, delaySeconds };
}

/**
 * Bakes too short for the analysis to see one whole minute, even with every extension it may take:
 * `bakeSeconds x (1 + extensions) < MIN_ANALYSIS_BAKE_SECONDS`, extensions counting only with
 * `onInconclusive: extend`. Pure; the config check names each.
 */
export function tooShortForAnalysis(bakeSeconds: number, analysis: Pick<AnalysisConfig, 'onInconclusive' | 'maxExtensions'>): boolean {
  const bakes = 1 + (analysis.onInconclusive === 'extend' ? analysis.maxExtensions : 0);
  return bakeSeconds > 0 && bakeSeconds * bakes < MIN_ANALYSIS_BAKE_SECONDS;
}
