/**
 * The concurrency section of `npm run bench` (bench/scenarios.ts) at a size a test can afford: every
 * deployment in flight at once, every one SUCCEEDED, no invariant violation, in both modes.
 */
import { describe, expect, it } from 'vitest';
import { benchConcurrent, type ConcurrentMode, concurrentScenario, maxInFlight } from '../../bench/scenarios.js';
import type { ExecutionRecord } from '../../local/runner/index.js';

describe('bench: deployments at once on the local runtime', () => {
  it.each<[ConcurrentMode]>([['push-each'], ['one-repo']])('%s: 6 deployments, all in flight together, all SUCCEEDED, 0 violations', async (mode) => {
    // Act
    const result = await benchConcurrent(6, mode);

    // Assess
    expect(result).toMatchObject({ mode, deployments: 6, maxInFlight: 6, invariantViolations: 0, statuses: { SUCCEEDED: 6 } });
    expect(result.violationSamples).toEqual([]);
    expect(result.wallSeconds).toBeGreaterThan(0);
  });

  it('one-repo feeds every service from one push; push-each gives each service its own repository and push', () => {
    // Act
    const oneRepo = concurrentScenario(3, 'one-repo');
    const each = concurrentScenario(3, 'push-each');

    // Assess
    expect(oneRepo.timeline.map((t) => (t as { repository: string }).repository)).toEqual(['shop/api']);
    expect(each.timeline.map((t) => (t as { repository: string }).repository)).toEqual(['shop/svc-000', 'shop/svc-001', 'shop/svc-002']);
  });

  it('maxInFlight counts executions running at the same virtual time (a stop and a start at one instant do not overlap)', () => {
    // Prepare
    const exec = (startMs: number, stopMs?: number) => ({ startMs, ...(stopMs === undefined ? {} : { stopMs }) }) as ExecutionRecord;

    // Act + Assess
    expect(maxInFlight([exec(0, 10), exec(5, 20), exec(10, 30)], 100)).toBe(2);
    expect(maxInFlight([exec(0), exec(1), exec(2, 3)], 100)).toBe(3);
    expect(maxInFlight([], 100)).toBe(0);
  });
});
