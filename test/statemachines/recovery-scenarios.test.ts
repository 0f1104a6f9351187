/**
 * Fault tolerance and the early gates end to end: an alarm already firing, an inconclusive
 * analysis, an execution stopped from the console, a lost push event, and AWS faults — each run
 * through the real state machines and handlers with the invariants checked after every state.
 */
import { describe, expect, it } from 'vitest';
import { builtin, greenWeights, runAsDesigned } from './operator-scenarios.js';

describe('recovery scenarios', () => {
  it('alarm-already-firing: rolled back before any production traffic reaches green', async () => {
    const trace = await runAsDesigned(builtin('alarm-already-firing'));
    const [d] = trace.summary.deployments;
    expect(d?.reason).toMatch(/^AlarmTriggered: Alarm api-5xx-a is in ALARM before any production traffic moved to green/);
    expect(greenWeights(trace)).toEqual([[0, '100/0']]);
    const states = trace.executions[0]?.statesEntered.map((s) => s.name) ?? [];
    expect(states).not.toContain('Shift');
    expect(states.slice(-3)).toEqual(['PreTrafficAlarmCheck', 'Rollback', 'RolledBack']);
  });

  it('analysis-inconclusive: too little traffic — extended twice, then the policy decides', async () => {
    const trace = await runAsDesigned(builtin('analysis-inconclusive'));
    const api = trace.records.find((r) => r.service === 'api');
    const checkout = trace.records.find((r) => r.service === 'checkout');
    const verdicts = (r: typeof api) => r?.timeline.filter((e) => e.kind === 'analysis').map((e) => [e.detail?.verdict, e.detail?.decision]);
    expect(verdicts(api)).toEqual([
      ['Inconclusive', 'extend'],
      ['Inconclusive', 'extend'],
      ['Inconclusive', 'fail'],
    ]);
    expect(api?.reason?.message).toMatch(/^Canary analysis Inconclusive: too few requests/);
    expect(verdicts(checkout)?.[0]).toEqual(['Inconclusive', 'pass']);
  });

  it('stopped-execution: the sweep finds the orphan, rolls it back from 10 % and closes it', async () => {
    const trace = await runAsDesigned(builtin('stopped-execution'));
    expect(trace.executions[0]?.status).toBe('ABORTED');
    const record = trace.records[0];
    expect(record?.reason?.message).toMatch(/is ABORTED; the reconcile sweep rolled the deployment back/);
    expect(record?.timeline.map((e) => e.key)).toEqual(expect.arrayContaining(['orphan-found', 'rollback-traffic', 'rolled_back']));
    const w = greenWeights(trace);
    expect(w[1]).toEqual([70, '90/10']);
    // Back on blue after the sweep (600 s) and its settle.
    expect(w.at(-1)?.[1]).toBe('100/0');
    expect(w.at(-1)?.[0]).toBeGreaterThanOrEqual(600);
    // The scenario's sweep at 600 s, and the 5-minute schedule's (schedules are on): all succeed.
    const sweeps = trace.summary.operations?.filter((o) => o.stateMachine === 'reconcile') ?? [];
    expect(sweeps.map((o) => o.status)).toEqual(sweeps.map(() => 'SUCCEEDED'));
    expect(sweeps.map((o) => o.startedAt)).toEqual(expect.arrayContaining([600]));
    expect(trace.summary.operations?.every((o) => o.stateMachine === 'reconcile')).toBe(true);
  });

  it('lost-push-event: no event ever arrives; the sweep deploys the newest push', async () => {
    const trace = await runAsDesigned(builtin('lost-push-event'));
    const record = trace.records[0];
    expect(record?.timeline[0]?.detail?.trigger).toEqual({ kind: 'reconcile' });
    expect(trace.summary.operations?.[0]?.output).toMatchObject({ started: [expect.objectContaining({ deploymentId: record?.deploymentId, alreadyStarted: false })] });
  });

  it('fault-throttle: throttles are retried with backoff; the release goes out', async () => {
    const trace = await runAsDesigned(builtin('fault-throttle'));
    expect(trace.executions[0]?.retries).toBeGreaterThanOrEqual(3);
    expect(trace.deadLetters).toEqual([]);
  });

  it('fault-5xx: CreateTaskSet keeps failing; rolled back cleanly — nothing left behind', async () => {
    const trace = await runAsDesigned(builtin('fault-5xx'));
    expect(trace.summary.deployments[0]?.reason).toMatch(/^AwsUnavailable: /);
    expect(greenWeights(trace)).toEqual([[0, '100/0']]);
    expect(trace.executions[0]?.retries).toBe(6);
  });
});
