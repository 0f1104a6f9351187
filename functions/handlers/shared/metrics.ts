/**
 * Deployment metrics (CloudWatch EMF through Powertools Metrics, namespace `Cutover`): the numbers
 * behind the dashboard's four DORA measures. lib/observability.ts reads the same names.
 *
 * A small interface so handlers stay testable and the local runtime can record instead of print.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import { METRIC, type MetricName, METRICS_NAMESPACE } from '../../core/budgets.js';

export { METRIC, type MetricName, METRICS_NAMESPACE };

export interface DeploymentMetrics {
  /** One data point with its own dimensions (service/environment, or reason). */
  put(name: MetricName, value: number, unit: 'Count' | 'Seconds', dimensions: Record<string, string>): void;
}

/**
 * EMF to stdout, one document per data point, with exactly the dimensions given: Powertools adds a
 * default `service` dimension (the function's service name), which would put every point in another
 * metric than the one the dashboard's SEARCH schemas, the alarms and the docs name
 * (`{Cutover,reason}`, `{Cutover,environment,service}`, no dimension at all). So it is cleared.
 */
export function emfMetrics(serviceName: string): DeploymentMetrics {
  return {
    put(name, value, unit, dimensions) {
      const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, singleMetric: true });
      metrics.clearDefaultDimensions();
      if (Object.keys(dimensions).length > 0) metrics.addDimensions(dimensions);
      metrics.addMetric(name, unit === 'Count' ? MetricUnit.Count : MetricUnit.Seconds, value);
    },
  };
}

/** For tests and the local runtime. */
export function recordingMetrics(into: Array<{ name: MetricName; value: number; unit: string; dimensions: Record<string, string> }> = []): DeploymentMetrics & {
  readonly points: typeof into;
} {
  return {
    points: into,
    put(name, value, unit, dimensions) {
      into.push({ name, value, unit, dimensions: { ...dimensions } });
    },
  };
}
