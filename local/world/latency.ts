/**
 * The latency distribution of the traffic model, from which CloudWatch's percentiles of
 * `TargetResponseTime` are computed.
 *
 * Each image answers with a lognormal response time fitted to its profile: `latencyMs` is the mean
 * (what `Average` reads) and `p99LatencyMs` the 99th percentile (default {@link DEFAULT_TAIL_RATIO}
 * times the mean). A minute of a target group (or of a load balancer) is the mixture of the
 * lognormals of the images that served it, each weighted by the requests it served; a period of
 * several minutes is the mixture of its minutes. `pNN` is the value below which NN % of those
 * requests fall, as CloudWatch computes a percentile from raw values (CloudWatch User Guide,
 * "Percentiles"; ALB publishes `TargetResponseTime` per request, so its percentiles are available).
 *
 * Worked example: mean 80 ms, p99 200 ms (ratio 2.5) -> sigma 0.434, median 72.8 ms. A canary at
 * 10 % of a release with mean 150 ms and p99 1.8 s, mixed with 90 % of the blue above: green's
 * target group has p99 1.8 s (its own), the load balancer p99 0.33 s (the slowest 1 % of all
 * requests is mostly green's slowest 10 %).
 */

/** p99 / mean of an image without `p99LatencyMs`. */
export const DEFAULT_TAIL_RATIO = 2.5;
/**
 * The longest tail a lognormal with a given mean has: p99 / mean = exp(2.326 s - s^2 / 2) peaks at
 * s = 2.326 (about 14.96). A longer tail would pull the mean up: give a larger `latencyMs`.
 */
export const MAX_TAIL_RATIO = 14;

const Z99 = 2.326347874;

/** One lognormal component of a mixture: ln(latency seconds) ~ N(mu, sigma^2), weighted by requests. */
export interface LatencyComponent {
  readonly weight: number;
  readonly mu: number;
  readonly sigma: number;
}

/**
 * The lognormal with this mean and p99 (seconds). Throws RangeError when p99 is not between the
 * mean and {@link MAX_TAIL_RATIO} times it.
 */
export function lognormalFor(meanSec: number, p99Sec: number, weight = 1): LatencyComponent {
  const r = p99Sec / meanSec;
  if (!(meanSec > 0) || !(r > 1) || r > MAX_TAIL_RATIO + 1e-9) {
    throw new RangeError(`p99 latency must be above the mean and at most ${MAX_TAIL_RATIO} times it (mean ${meanSec} s, p99 ${p99Sec} s)`);
  }
  // ln r = Z99 s - s^2 / 2: the smaller root.
  const sigma = Z99 - Math.sqrt(Z99 * Z99 - 2 * Math.log(r));
  return { weight, mu: Math.log(meanSec) - (sigma * sigma) / 2, sigma };
}

/** Standard normal CDF (Abramowitz and Stegun 7.1.26; absolute error below 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * The `q` quantile (0 < q < 1) of a mixture of lognormals: bisection on ln(x) until the mixture's
 * CDF is within 1e-9 of q. Undefined for an empty mixture.
 */
export function mixtureQuantile(components: readonly LatencyComponent[], q: number): number | undefined {
  const live = components.filter((c) => c.weight > 0);
  const total = live.reduce((n, c) => n + c.weight, 0);
  if (live.length === 0 || !(total > 0)) return undefined;
  const cdf = (lnx: number) => live.reduce((n, c) => n + c.weight * (c.sigma > 0 ? phi((lnx - c.mu) / c.sigma) : lnx >= c.mu ? 1 : 0), 0) / total;
  let lo = Math.min(...live.map((c) => c.mu - 10 * c.sigma - 1e-9));
  let hi = Math.max(...live.map((c) => c.mu + 10 * c.sigma + 1e-9));
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < q) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

/** `p99` -> 0.99, `p99.9` -> 0.999; undefined when `stat` is not a percentile. */
export function percentileOf(stat: string): number | undefined {
  const m = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  return m ? Number(m[1]) / 100 : undefined;
}
