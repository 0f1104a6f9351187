/**
 * Release gates inside one deployment, end to end on the local runtime (the real deploy state
 * machine and handlers against the in-memory world): the image gate, the migration task and the
 * lifecycle hooks. Each scenario's expected outcome, zero invariant violations, and what only
 * the record and the execution history show.
 */
import { describe, expect, it } from 'vitest';
import { entered, gateScenario, runAsDesigned, weightsOf } from './gates-scenarios.js';

describe('the image gate', () => {
  it('image-rejected: findings at or above the gate reject the image with the counts, before anything is registered', async () => {
    // Act
    const trace = await runAsDesigned(gateScenario('image-rejected'));
    // Assess
    const [record] = trace.records;
    expect(record?.reason?.message).toContain('CRITICAL: 1, HIGH: 3');
    expect(record?.reason?.message).not.toContain('MEDIUM');
    expect(record?.green?.taskDefinitionArn).toBeUndefined();
    expect(record?.timeline.map((e) => e.key)).not.toContain('registered');
    expect(weightsOf(trace).every(([, w]) => w === '100/0')).toBe(true);
  });

  it('scan-pending-then-clean: an unfinished scan is looked at every 30 s until it completes, then the release goes out', async () => {
    const trace = await runAsDesigned(gateScenario('scan-pending-then-clean'));
    const waits = entered(trace, 'WaitForImageScan');
    // Pushed at 10 s, the scan completes 100 s later: 4 looks of 30 s, none faster.
    expect(waits.length).toBeGreaterThanOrEqual(3);
    expect(waits.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < waits.length; i++) expect((waits[i] as number) - (waits[i - 1] as number)).toBeGreaterThanOrEqual(30);
    const registered = entered(trace, 'RegisterTaskDefinition')[0] as number;
    expect(registered).toBeGreaterThanOrEqual(110);
    expect(trace.records[0]?.timeline.some((e) => e.key === 'image-scan-pending')).toBe(true);
  });
});

describe('the migration task', () => {
  it('migration-fails: exit code 3 is MigrationFailed with the code and the stopped reason; no green task set, no traffic moved', async () => {
    const trace = await runAsDesigned(gateScenario('migration-fails'));
    const [record] = trace.records;
    expect(record?.reason?.message).toMatch(/exit code 3 in container app: Essential container in task exited/);
    expect(record?.green?.taskSetId).toBeUndefined();
    expect(record?.timeline.map((e) => e.key)).toEqual(expect.arrayContaining(['migration-started', 'migration-failed']));
    expect(entered(trace, 'CreateGreen')).toEqual([]);
    expect(weightsOf(trace).every(([, w]) => w === '100/0')).toBe(true);
  });

  it('migration-ok: the migration runs once, to exit 0, before green is created', async () => {
    const trace = await runAsDesigned(gateScenario('migration-ok'));
    const keys = trace.records[0]?.timeline.map((e) => e.key) ?? [];
    expect(keys.indexOf('migration-succeeded')).toBeGreaterThan(keys.indexOf('registered'));
    expect(keys.indexOf('migration-succeeded')).toBeLessThan(keys.indexOf('green-created'));
    expect(entered(trace, 'RunMigration')).toHaveLength(1);
    // The task ran its 45 s (and the world's 20 s start) before green was created.
    const [run] = entered(trace, 'RunMigration');
    const [create] = entered(trace, 'CreateGreen');
    expect((create as number) - (run as number)).toBeGreaterThanOrEqual(45);
    const names = trace.executions[0]?.statesEntered.map((s) => s.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(['MigrationConfigured', 'PrepareMigration', 'MigrationNeeded', 'RunMigration', 'MigrationVerdict']));
  });
});

describe('lifecycle hooks', () => {
  it('hook-fails-on-test-traffic: a failed hook rolls back with HookFailed naming it, before production traffic moves', async () => {
    const trace = await runAsDesigned(gateScenario('hook-fails-on-test-traffic'));
    const [record] = trace.records;
    expect(record?.reason?.message).toContain('function:smoke-test (afterTestTraffic) failed: GET /checkout returned 503');
    expect(weightsOf(trace).every(([, w]) => w === '100/0')).toBe(true);
    expect(record?.timeline.find((e) => e.key === 'hook-preTraffic-0-1')?.detail).toMatchObject({ stage: 'afterTestTraffic', answer: 'failed' });
    // No migration configured: one Choice state skips it (the cost of the gate on every deployment).
    const names = trace.executions[0]?.statesEntered.map((s) => s.name) ?? [];
    expect(names.filter((n) => n.includes('Migration'))).toEqual(['MigrationConfigured']);
  });

  it('hook-asks-again: every point runs; IN_PROGRESS is asked again after its callBackDelay, capped at maxCallBackDelaySeconds', async () => {
    const trace = await runAsDesigned(gateScenario('hook-asks-again'));
    const hooks = (trace.records[0]?.timeline ?? []).filter((e) => e.kind === 'hook').map((e) => [e.key, e.detail?.stage, e.detail?.answer, e.detail?.askAgainSeconds ?? null]);
    expect(hooks).toEqual([
      ['hook-preTraffic-0-1', 'afterHealthy', 'pass', null],
      ['hook-beforeShift-0-0-1', 'beforeShift', 'ask-again', 45],
      ['hook-beforeShift-0-0-2', 'beforeShift', 'ask-again', 60],
      ['hook-beforeShift-0-0-3', 'beforeShift', 'pass', null],
      ['hook-beforeShift-2-0-1', 'beforeShift', 'pass', null],
      ['hook-afterFullTraffic-2-0-1', 'afterFullTraffic', 'pass', null],
    ]);
    const waits = entered(trace, 'WaitForBeforeShiftHook');
    const [first] = entered(trace, 'Shift');
    // The first shift waited for the load test: 45 s + 60 s after green was healthy.
    expect(waits).toHaveLength(2);
    expect((first as number) - (waits[0] as number)).toBeGreaterThanOrEqual(105);
  });
});
