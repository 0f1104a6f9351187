/**
 * Deployment metrics (CloudWatch embedded metric format, namespace `Cutover`): the numbers behind the
 * dashboard's four DORA measures. lib/observability.ts reads the same names.
 *
 * A small interface so handlers stay testable and the local runtime can record instead of print.
 */
import { METRIC, type MetricName, METRICS_NAMESPACE } from '../../core/budgets.js';

export { METRIC, type MetricName, METRICS_NAMESPACE };

export interface DeploymentMetrics {
  /** One data point with its own dimensions (service/environment, or reason). */
  put(name: MetricName, value: number, unit: 'Count' | 'Seconds', dimensions: Record<string, string>): void;
}

/**
 * EMF to stdout, one document per data point, with exactly the dimensions given (none, `{reason}`, or
 * `{service, environment}`: what the dashboard's SEARCH schemas, the alarms and the docs name), as
 * Powertools Metrics' single-metric mode with its default `service` dimension cleared writes it.
 * Written here rather than through Powertools Metrics: one document of a fixed shape does not need
 * its 10 KB in the bundle of every handler that counts something (the cold-start budget).
 * `_serviceName` (the function's Powertools service name) is not a dimension, on purpose.
 */
export function emfMetrics(_serviceName: string): DeploymentMetrics {
  return {
    put(name, value, unit, dimensions) {
      const keys = Object.keys(dimensions);
      const document = {
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: keys.length > 0 ? [keys] : [], Metrics: [{ Name: name, Unit: unit }] }],
        },
        ...dimensions,
        [name]: value,
      };
      process.stdout.write(`${JSON.stringify(document)}\n`);
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
