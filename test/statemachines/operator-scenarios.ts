/**
 * Shared by the operator, recovery and fault-matrix scenario tests: run a built-in scenario and
 * check what every scenario must show (its expected outcomes, zero invariant violations, no
 * control execution left running). Not a test file itself.
 */
import { expect } from 'vitest';
import { runScenario, type ScenarioTrace } from '../../local/rehearsal.js';
import { parseScenario, type Scenario, type ScenarioInput } from '../../local/scenario.js';
import { builtinScenario } from '../../local/scenarios/builtin.js';

/** The built-in scenarios these files own (test/statemachines/scenarios.test.ts skips them). */
export const OPERATOR_SCENARIOS = [
  'abort',
  'promote-now',
  'approval-gate',
  'rollback-after-success',
] as const;
export const RECOVERY_SCENARIOS = [
  'alarm-already-firing',
  'analysis-inconclusive',
  'stopped-execution',
  'lost-push-event',
  'fault-throttle',
  'fault-5xx',
] as const;
export const DEDICATED_SCENARIOS: readonly string[] = [...OPERATOR_SCENARIOS, ...RECOVERY_SCENARIOS];

export function builtin(name: string): Scenario {
  const input = builtinScenario(name);
  if (!input) throw new Error(`no built-in scenario ${name}`);
  return parseScenario(input, name);
}

export function scenarioOf(input: ScenarioInput): Scenario {
  return parseScenario(input, input.name);
}

/** Run and assert the scenario's `expect` and the invariants. */
export async function runAsDesigned(scenario: Scenario): Promise<ScenarioTrace> {
  const trace = await runScenario(scenario);
  const { summary } = trace;
  expect(summary.invariantViolations).toEqual([]);
  const expected = scenario.expect?.deployments ?? [];
  expect(summary.deployments.map((d) => `${d.service}:${d.status}`)).toEqual(expected.map((e) => `${e.service}:${e.status}`));
  expected.forEach((e, i) => {
    if (e.reasonCode) expect(summary.deployments[i]?.reasonCode, summary.deployments[i]?.reason ?? '').toBe(e.reasonCode);
  });
  for (const op of summary.operations ?? []) expect(op.status, `${op.stateMachine} ${op.name}`).not.toBe('RUNNING');
  return trace;
}

/** Green's weight on a service's route over time, in virtual seconds from the start. */
export function greenWeights(trace: ScenarioTrace, service = 'api'): Array<[number, string]> {
  return trace.weights.filter((w) => w.service === service).map((w) => [(w.at - trace.startMs) / 1000, w.weights.map((x) => x.weight).join('/')]);
}
