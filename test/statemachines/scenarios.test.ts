/**
 * Every built-in scenario through the real deploy state machine, the real handlers, the in-memory
 * AWS world and dynalite: the expected outcome per deployment, and zero invariant violations
 * (checked by the rehearsal after every state).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { BUILTIN_SCENARIOS } from '../../local/scenarios/builtin.js';
import { DEDICATED_SCENARIOS } from './operator-scenarios.js';
import { GATE_SCENARIO_NAMES } from './gates-scenarios.js';

describe('built-in scenarios', () => {
  // The operator and recovery scenarios run (with the same checks and more) in their own files, in parallel.
  // The release-gate and release scenarios run (with the same checks and more) in gates.test.ts.
  for (const input of BUILTIN_SCENARIOS.filter((s) => !DEDICATED_SCENARIOS.includes(s.name) && !GATE_SCENARIO_NAMES.includes(s.name))) {
    it(`${input.name}: ${input.description}`, async () => {
      // Prepare
      const scenario = parseScenario(input, input.name);
      // Act
      const { summary, weights } = await runScenario(scenario);
      // Assess
      expect(summary.invariantViolations).toEqual([]);
      const expected = scenario.expect?.deployments ?? [];
      expect(summary.deployments.map((d) => d.status)).toEqual(expected.map((e) => e.status));
      expected.forEach((e, i) => {
        const actual = summary.deployments[i];
        expect(actual?.service).toBe(e.service);
        if (e.reasonCode) expect(actual?.reasonCode).toBe(e.reasonCode);
      });
      // Weights were checked after every state; the trace shows where traffic ended.
      for (const d of summary.deployments) {
        // A worker (no load balancer) has no weights: its share of tasks is what the invariants check.
        if (!scenario.config.services.some((s) => s.name === d.service && s.targetGroupArns !== undefined)) continue;
        const last = weights.filter((w) => w.service === d.service).at(-1);
        const onGreen = last?.weights.find((w) => w.weight === 100)?.targetGroupArn;
        expect(onGreen).toBeDefined();
      }
    });
  }

  it('bad-release-alarm rolls back within one transition after the bake plus the rollback task', async () => {
    const input = BUILTIN_SCENARIOS.find((s) => s.name === 'bad-release-alarm');
    const { summary } = await runScenario(parseScenario(input, 'bad-release-alarm'));
    const reaction = summary.deployments[0]?.rollbackReaction;
    expect(reaction).not.toBeNull();
    expect(reaction?.transitions).toBeLessThanOrEqual(2);
  });
});

describe('deployment metrics (the dashboard reads these)', () => {
  it('a good canary publishes Started, Succeeded and a lead time; a bad release RolledBack, its reason and the time to restore', async () => {
    const good = await runScenario(parseScenario(BUILTIN_SCENARIOS.find((s) => s.name === 'good-canary'), 'good-canary'));
    const names = good.deploymentMetrics.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['DeploymentStarted', 'DeploymentSucceeded', 'LeadTimeSeconds']));
    const lead = good.deploymentMetrics.find((m) => m.name === 'LeadTimeSeconds');
    expect(lead?.value).toBeCloseTo(good.summary.deployments[0]?.virtualSeconds ?? 0, -1);
    expect(lead?.dimensions).toEqual({ service: 'api', environment: 'production' });

    const bad = await runScenario(parseScenario(BUILTIN_SCENARIOS.find((s) => s.name === 'bad-release-alarm'), 'bad-release-alarm'));
    expect(bad.deploymentMetrics.find((m) => m.name === 'RollbackReason')?.dimensions).toEqual({ reason: 'AlarmTriggered' });
    const restore = bad.deploymentMetrics.find((m) => m.name === 'TimeToRestoreSeconds');
    expect(restore?.value).toBe(bad.summary.deployments[0]?.rollbackReaction?.virtualSeconds);
    expect(bad.deploymentMetrics.some((m) => m.name === 'DeploymentSucceeded')).toBe(false);
  });
});
