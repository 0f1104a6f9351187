/**
 * A deterministic rejection of an EventBridge event (issue #15): intake and the alarm watcher refuse
 * an event that is malformed, foreign (another account or region) or not what its rule sends (wrong
 * source, a detail-type that disagrees with the detail). Throwing would make Lambda's asynchronous
 * invocation run the same event twice more and file it in the dead-letter queue; the same event
 * fails the same way every time. So a rejection is logged at WARN with the named error and the
 * offending fields, counted in the `RejectedEvents` metric (the alarm of the same name on Cutover
 * itself, lib/observability.ts, is a security signal: someone is putting events Cutover refuses),
 * and answered without an error. Only failures that may pass on a retry (AWS throttling, 5xx,
 * timeouts) still throw.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ValidationError } from '../../core/errors.js';
import { type DeploymentMetrics, METRIC } from './metrics.js';

/** What a handler answers for an event it refused. */
export interface RejectedEvent {
  /** The named error (functions/core/errors.ts). */
  readonly error: string;
  readonly message: string;
  /** The offending fields (`source`, `detail.image-digest`, `account` ...), one per problem. */
  readonly fields: readonly string[];
}

/**
 * Run `parse`; a {@link ValidationError} becomes a logged, counted {@link RejectedEvent}. Anything
 * else (not a rejection of the event) is thrown on.
 */
export function parseOrReject<T>(
  parse: () => T,
  logger: Logger,
  metrics: DeploymentMetrics | undefined,
): { event: T; rejected?: undefined } | { event?: undefined; rejected: RejectedEvent } {
  try {
    return { event: parse() };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const fields = [...new Set(e.problems.map((p) => p.split(':')[0] ?? '(root)'))];
    const rejected: RejectedEvent = { error: e.name, message: e.message, fields };
    logger.warn('event rejected', { error: e.name, fields, problems: e.problems });
    metrics?.put(METRIC.rejectedEvents, 1, 'Count', {});
    return { rejected };
  }
}
