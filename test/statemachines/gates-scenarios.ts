/**
 * Shared by the release-gate scenario tests (gates.test.ts, gates-release.test.ts): run a built-in
 * scenario of local/scenarios/gates.ts and check what every scenario must show — its expected
 * deployments and releases, zero invariant violations, no execution left running. Not a test file.
 */
import { expect } from 'vitest';
import { runScenario, type RunOptions, type ScenarioTrace } from '../../local/rehearsal.js';
import { parseScenario, type Scenario } from '../../local/scenario.js';
import { GATE_SCENARIOS } from '../../local/scenarios/gates.js';

/** The scenarios these files own (test/statemachines/scenarios.test.ts skips them). */
export const GATE_SCENARIO_NAMES: readonly string[] = GATE_SCENARIOS.map((s) => s.name);

export function gateScenario(name: string): Scenario {
  const input = GATE_SCENARIOS.find((s) => s.name === name);
  if (!input) throw new Error(`no gate scenario ${name}`);
  return parseScenario(input, name);
}

/** Run and assert the scenario's `expect` (deployments and releases) and the invariants. */
export async function runAsDesigned(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioTrace> {
  const trace = await runScenario(scenario, options);
  const { summary } = trace;
  expect(summary.invariantViolations).toEqual([]);
  const expected = scenario.expect?.deployments ?? [];
  expect(summary.deployments.map((d) => `${d.environment}/${d.service}:${d.status}`)).toEqual(
    expected.map((e) => `${e.environment ?? 'production'}/${e.service}:${e.status}`),
  );
  expected.forEach((e, i) => {
    if (e.reasonCode) expect(summary.deployments[i]?.reasonCode, summary.deployments[i]?.reason ?? '').toBe(e.reasonCode);
  });
  const releases = scenario.expect?.releases ?? [];
  expect((summary.releases ?? []).map((r) => r.status)).toEqual(releases.map((r) => r.status));
  releases.forEach((e, i) => {
    const actual = summary.releases?.[i];
    if (e.reasonCode) expect(actual?.reasonCode, actual?.reason ?? '').toBe(e.reasonCode);
    if (e.environments) expect(Object.fromEntries((actual?.environments ?? []).map((x) => [x.environment, x.status]))).toEqual(e.environments);
  });
  for (const x of trace.executions) expect(x.status, x.name).not.toBe('RUNNING');
  return trace;
}

/** Green's production weight per weight change of a service in one environment: `[virtual s, "blue/green"]`. */
export function weightsOf(trace: ScenarioTrace, environment = 'production', service = 'api'): Array<[number, string]> {
  return trace.weights
    .filter((w) => w.service === service && w.environment === environment)
    .map((w) => [(w.at - trace.startMs) / 1000, w.weights.map((x) => x.weight).join('/')]);
}

/** Virtual seconds (from the start) at which an execution entered a state. */
export function entered(trace: ScenarioTrace, state: string, environment = 'production'): number[] {
  return trace.executions
    .filter((x) => (JSON.parse(x.input) as { environment?: string }).environment === environment)
    .flatMap((x) => x.statesEntered.filter((s) => s.name === state).map((s) => (s.at - trace.startMs) / 1000));
}
