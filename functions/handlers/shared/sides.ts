/**
 * Green's and blue's samples for the canary analysis, read the one way each traffic shape allows:
 * per target group (an ALB's `LoadBalancer` and `TargetGroup` dimensions), or from the
 * application's version-tagged metrics (`analysis.metrics`, `{version}` = CUTOVER_VERSION) where
 * the shape has no per-revision metric. The task-set engine's Analyze step and the native engine's
 * lifecycle hook both read through here.
 */
import { LiveStateInvalid } from '../../core/errors.js';
import { targetGroupDimension } from '../../core/metrics-dimensions.js';
import type { MetricRef, MetricSource, TargetGroupSamples } from '../../core/ports.js';
import { versionQueries } from '../../core/traffic.js';

/** Why a version-tagged analysis is skipped when blue's revision predates Cutover's registration. */
export const NO_BLUE_VERSION =
  "blue's revision carries no CUTOVER_VERSION, so its metrics cannot be told from green's (the next deployment, registered by Cutover, will)";

export type Sides =
  | { readonly kind: 'target-groups'; readonly loadBalancer: string; readonly green: string; readonly blue: string }
  | {
      readonly kind: 'versions';
      readonly metrics: { readonly processed: MetricRef; readonly errors?: MetricRef; readonly latency?: MetricRef };
      readonly green: string;
      readonly blue: string;
    };

/** Both sides' samples over [startMs, endMs). */
export async function sideSamples(source: MetricSource, sides: Sides, startMs: number, endMs: number): Promise<{ green: TargetGroupSamples; blue: TargetGroupSamples }> {
  const read = (side: 'green' | 'blue'): Promise<TargetGroupSamples> => {
    if (sides.kind === 'target-groups') return source.targetGroupSamples(sides.loadBalancer, targetGroupDimension(sides[side]), startMs, endMs);
    if (!source.versionSamples) throw new LiveStateInvalid('[traffic: task-share] the metric source cannot read version-tagged metrics');
    return source.versionSamples(versionQueries(sides.metrics, sides[side]), startMs, endMs);
  };
  const [green, blue] = await Promise.all([read('green'), read('blue')]);
  return { green, blue };
}
