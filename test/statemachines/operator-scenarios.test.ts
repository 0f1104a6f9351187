/**
 * Operator controls end to end: console StartExecutions of the control and rollback state machines
 * (the scenario's `operator` and `rollback` inputs) against the real deploy state machine, the real
 * handlers, the in-memory AWS world and dynalite — with the invariants checked after every state.
 */
import { describe, expect, it } from 'vitest';
import type { CutoverConfigInput } from '../../functions/core/config.js';
import type { ScenarioInput } from '../../local/scenario.js';
import { builtinScenario, digestOf } from '../../local/scenarios/builtin.js';
import { builtin, greenWeights, runAsDesigned, scenarioOf } from './operator-scenarios.js';

describe('operator scenarios', () => {
  it('abort: traffic back on blue the moment the operator aborts, with who and why', async () => {
    const trace = await runAsDesigned(builtin('abort'));
    const [d] = trace.summary.deployments;
    expect(d?.reason).toBe('Aborted: Aborted by alice@example.com: checkout error budget is burning');
    // 10 % from the first shift until the abort at 300 s, then 100/0 at once.
    expect(greenWeights(trace)).toEqual([
      [0, '100/0'],
      [70, '90/10'],
      [300, '100/0'],
    ]);
    const record = trace.records[0];
    expect(record?.controls).toEqual([expect.objectContaining({ action: 'abort', by: 'alice@example.com', at: expect.any(String) })]);
    expect(trace.summary.operations?.map((o) => o.status)).toEqual(['SUCCEEDED']);
  });

  it('promote-now: promote ends the first bake early; promote-fully skips to 100 %', async () => {
    const trace = await runAsDesigned(builtin('promote-now'));
    expect(greenWeights(trace)).toEqual([
      [0, '100/0'],
      [70, '75/25'],
      [200, '50/50'],
      [400, '0/100'],
    ]);
    const [d] = trace.summary.deployments;
    // Without the operator: four 20-minute bakes (about 4 000 s); with it: promoted at 400 s.
    expect(d?.virtualSeconds).toBeLessThan(800);
    // (`signal` entries are the control path's proof of each success: issue #14, 5.)
    expect(trace.records[0]?.controls?.filter((c) => c.action !== 'signal').map((c) => c.action)).toEqual(['promote', 'promote-fully']);
    const states = trace.executions[0]?.statesEntered.map((s) => s.name) ?? [];
    expect(states).toEqual(expect.arrayContaining(['PromoteFullyNow', 'PromotedFully', 'Promote']));
  });

  it('approval-gate: an early approve is refused (NotWaitingForApproval), a later one passes the gate; an unanswered gate expires into a rollback', async () => {
    const trace = await runAsDesigned(builtin('approval-gate'));
    const ops = trace.summary.operations ?? [];
    expect(ops.map((o) => [o.startedAt, o.status, o.error])).toEqual([
      [120, 'FAILED', 'NotWaitingForApproval'],
      [400, 'SUCCEEDED', null],
    ]);
    expect(JSON.parse(ops[0]?.cause ?? '{}').errorMessage).toMatch(/is baking, not waiting for approval; use promote/);
    const checkout = trace.summary.deployments.find((d) => d.service === 'checkout');
    expect(checkout?.reason).toBe('Aborted: The approval step expired with onTimeout = abort.');
    // api held 20 % until the approval at 400 s.
    expect(greenWeights(trace, 'api')).toEqual([
      [0, '100/0'],
      [70, '80/20'],
      [400, '0/100'],
    ]);
  });

  it('an alarm while the approval step waits rolls back at once: nobody has to be at the console', async () => {
    // Prepare: approval-gate's api (20 %, 60 s bake, then an approval for up to 1 800 s), nobody approves,
    // and its 5xx alarm fires at 300 s, while green serves 20 % and the step waits for an approver.
    const input = builtinScenario('approval-gate');
    if (!input) throw new Error('approval-gate is missing');
    const scenario = structuredClone(input);
    scenario.name = 'alarm-during-approval';
    const config = scenario.config as CutoverConfigInput;
    scenario.config = { ...config, services: config.services.filter((svc) => svc.name === 'api') };
    scenario.world = {
      ...scenario.world,
      services: scenario.world.services.filter((svc) => svc.service === 'api'),
      alarms: scenario.world.alarms?.filter((a) => a.service === 'api'),
    };
    scenario.timeline = [
      ...scenario.timeline.filter((e) => e.kind === 'push'),
      { at: 300, kind: 'alarm', name: 'api-5xx-a', state: 'ALARM', reason: 'Threshold Crossed: 5xx (set by the test)', holdSeconds: 600 },
    ];
    scenario.expect = { deployments: [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' }] };
    // Act
    const trace = await runAsDesigned(scenarioOf(scenario));
    // Assess: 20 % from the shift until the alarm, then straight back to blue (not at the 1 800 s expiry).
    expect(greenWeights(trace, 'api')).toEqual([
      [0, '100/0'],
      [70, '80/20'],
      [300, '100/0'],
    ]);
    expect(trace.records[0]?.reason?.message).toContain('Alarm api-5xx-a is in ALARM');
  });

  it('rollback-after-success: the previous revision redeployed after blue is gone; a weight flip in the termination wait', async () => {
    const trace = await runAsDesigned(builtin('rollback-after-success'));
    const [v2, v3, rb, v4] = trace.records;
    // The rollback deployment runs v2's exact revision, all at once, with no alarms armed.
    expect(rb?.deploymentId).toMatch(/^api-production-rb-[0-9a-f]{12}$/);
    expect(rb?.image.digest).toBe(v2?.image.digest);
    expect(rb?.green?.taskDefinitionArn).toBe(v2?.green?.taskDefinitionArn);
    expect(rb?.plan?.strategy).toBe('rollback');
    expect(rb?.alarmNames).toEqual([]);
    expect(v3?.controls?.[0]).toMatchObject({ action: 'rollback', by: 'alice@example.com' });
    // v4 was promoted; the rollback in its termination wait is a flip: traffic on blue at once, blue never rescaled.
    expect(v4?.reason?.message).toBe('Rolled back by bob@example.com: v4 logs too much');
    const flip = v4?.timeline.find((e) => e.key === 'rollback-traffic');
    const asked = (trace.summary.operations ?? []).find((o) => o.startedAt === 2700);
    expect(flip && asked ? (Date.parse(flip.at) - trace.startMs) / 1000 - asked.startedAt : Number.NaN).toBeLessThanOrEqual(1);
    expect(v4?.timeline.map((e) => e.key)).toEqual(expect.arrayContaining(['promoted', 'rollback-traffic', 'rolled_back']));
    expect(trace.summary.operations?.every((o) => o.status === 'SUCCEEDED')).toBe(true);
  });

  it('abort with no task token (green still starting): stop, settle, roll back — no orphan, no traffic moved', async () => {
    const base = builtinScenario('abort') as ScenarioInput;
    const scenario = scenarioOf({
      ...base,
      name: 'abort-while-starting',
      timeline: [
        { at: 10, kind: 'push', repository: 'shop/api', digest: digestOf('shop/api:v2'), tag: 'v2', profile: { errorRate: 0.002, latencyMs: 82 } },
        { at: 45, kind: 'operator', action: 'abort', service: 'api', reason: 'wrong image', by: 'alice' },
      ],
      expect: { deployments: [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'Aborted' }] },
    });
    const trace = await runAsDesigned(scenario);
    const exec = trace.executions[0];
    expect(exec?.status).toBe('ABORTED');
    expect(greenWeights(trace)).toEqual([[0, '100/0']]);
    expect(trace.records[0]?.timeline.map((e) => e.key)).toEqual(expect.arrayContaining(['execution-stopped', 'rolled_back']));
    const op = trace.summary.operations?.[0];
    expect(op?.status).toBe('SUCCEEDED');
    expect(op?.output).toMatchObject({ decision: { kind: 'stop' }, closed: { status: 'ROLLED_BACK', code: 'Aborted' } });
  });

  it('extend and hold: a bake extended from now, and a final bake held until an approval', async () => {
    const base = builtinScenario('good-canary') as ScenarioInput;
    const svc = (base.config as { services: Array<Record<string, unknown>> }).services[0];
    const scenario = scenarioOf({
      ...base,
      name: 'extend-and-hold',
      config: { ...(base.config as object), services: [{ ...svc, strategy: { type: 'canary', percent: 10, bakeSeconds: 1800, finalBakeSeconds: 1800 } }] },
      timeline: [
        ...base.timeline,
        { at: 200, kind: 'operator', action: 'extend', service: 'api', extendSeconds: 300, by: 'alice' },
        { at: 600, kind: 'operator', action: 'hold', service: 'api', by: 'bob' },
        { at: 900, kind: 'operator', action: 'approve', service: 'api', by: 'carol' },
      ],
      expect: { deployments: [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }] },
    });
    const trace = await runAsDesigned(scenario);
    const states = trace.executions[0]?.statesEntered.map((s) => `${s.name}@${(s.at - trace.startMs) / 1000}`) ?? [];
    // The extension bakes 300 s from the operator's extend (200 -> 500), then the analysis.
    expect(states).toEqual(expect.arrayContaining(['ExtendedBake@200', 'Analyze@500', 'Hold@600', 'AfterApproval@900', 'Promote@900']));
    expect(greenWeights(trace)).toEqual([
      [0, '100/0'],
      [70, '90/10'],
      [500, '0/100'],
    ]);
    expect(trace.records[0]?.controls?.filter((c) => c.action !== 'signal').map((c) => `${c.action}:${c.by}`)).toEqual(['extend:alice', 'hold:bob', 'approve:carol']);
  });

  it('a bad control document fails the control execution at its first state, naming the field; the deployment goes on', async () => {
    const base = builtinScenario('good-canary') as ScenarioInput;
    const scenario = scenarioOf({
      ...base,
      name: 'bad-control-input',
      timeline: [
        ...base.timeline,
        { at: 100, kind: 'operator', action: 'promote', service: 'api', extendSeconds: 60 },
        { at: 110, kind: 'operator', action: 'abort', service: 'payments' },
      ],
    });
    const trace = await runAsDesigned(scenario);
    const ops = trace.summary.operations ?? [];
    expect(ops.map((o) => o.error)).toEqual(['ValidationError', 'UnknownService']);
    expect(JSON.parse(ops[0]?.cause ?? '{}').errorMessage).toContain('extendSeconds: only applies to action "extend"');
    expect(trace.records[0]?.controls ?? []).toEqual([]);
  });
});
