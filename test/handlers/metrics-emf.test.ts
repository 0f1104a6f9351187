/**
 * The deployment metrics land in exactly the metrics the dashboard and the alarms read: EMF with the
 * dimensions given and nothing else (Powertools adds a `service` dimension by default, which put
 * `RollbackReason` under {reason, service} where the dashboard's SEARCH reads {reason}).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emfMetrics, METRIC } from '../../functions/handlers/shared/metrics.js';

type Emf = { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } } & Record<string, unknown>;

function captured(fn: () => void): Emf[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
    log.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);
}

describe('emfMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a rollback reason is under {reason} only', () => {
    const [doc] = captured(() => emfMetrics('cutover-rollback').put(METRIC.rollbackReason, 1, 'Count', { reason: 'AlarmTriggered' }));
    expect(doc?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['reason']]);
    expect(doc?._aws.CloudWatchMetrics[0]?.Namespace).toBe('Cutover');
    expect(doc?.service).toBeUndefined();
  });

  it('a deployment metric is under {service, environment}, the service being the deployed one', () => {
    const [doc] = captured(() => emfMetrics('cutover-finish').put(METRIC.failed, 1, 'Count', { service: 'api', environment: 'production' }));
    expect(doc?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'environment']]);
    expect(doc?.service).toBe('api');
  });
  it('a metric without dimensions has none, its value under its name and its unit declared', () => {
    const [doc] = captured(() => emfMetrics('cutover-reconcile').put(METRIC.oldestInFlight, 42, 'Seconds', {}));
    expect(doc?._aws.CloudWatchMetrics).toEqual([{ Namespace: 'Cutover', Dimensions: [], Metrics: [{ Name: METRIC.oldestInFlight, Unit: 'Seconds' }] }]);
    expect(doc?.[METRIC.oldestInFlight]).toBe(42);
    expect(typeof (doc?._aws as { Timestamp?: unknown } | undefined)?.Timestamp).toBe('number');
  });
});
