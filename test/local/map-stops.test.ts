/**
 * A failed Map stops (issue #12): in Step Functions an inline Map fails at its first failed iteration
 * and starts no other. aws-local-stepfunctions keeps starting queued iterations (p-limit's queue is
 * not cleared); the runner must not let any state of such a straggler be entered, shown, reported or
 * counted.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../local/rehearsal.js';
import { LiveView } from '../../local/report/live.js';
import { parseScenario } from '../../local/scenario.js';
import { builtinScenario } from '../../local/scenarios/builtin.js';

/** bad-release-alarm on a linear plan: shift 25 %, bake, shift 50 %, bake ... the alarm fires in the first bake. */
function linearBadRelease() {
  const input = structuredClone(builtinScenario('bad-release-alarm')) as { config: { services: Array<Record<string, unknown>> } };
  const svc = input.config.services[0] as Record<string, unknown>;
  svc.strategy = { type: 'linear', stepPercent: 25, intervalSeconds: 300 };
  return parseScenario(input, 'bad-release-alarm-linear');
}

describe('a failed Map stops at its first failed iteration', () => {
  it('after the alarm, no later step is entered, shown or counted: Bake, then Rollback, then RolledBack', async () => {
    // Prepare
    const scenario = linearBadRelease();
    let text = '';
    const view = new LiveView(scenario, { out: { write: (t: string) => (text += t), isTTY: false, columns: 100 } });

    // Act
    const trace = await runScenario(scenario, view.runOptions());
    view.finish(trace);

    // Assess
    const d = trace.summary.deployments[0];
    expect(d?.status).toBe('ROLLED_BACK');
    expect(d?.reasonCode).toBe('AlarmTriggered');
    const exec = trace.executions[0];
    const names = exec?.statesEntered.map((s) => s.name) ?? [];
    const bake = names.indexOf('Bake');
    expect(bake).toBeGreaterThan(0);
    // The Map failed in iteration 1 (the first bake): nothing of iteration 2 or later.
    expect(names.slice(bake + 1)).toEqual(['Rollback', 'RolledBack']);
    expect(exec?.statesEntered.filter((s) => (s.mapIndex ?? 0) > 1)).toEqual([]);
    // The rollback reaction is one transition (Rollback), as AWS would count it.
    expect(d?.rollbackReaction?.transitions).toBe(1);
    // The live view never says traffic shifts on after the rollback.
    const lines = text.trim().split('\n');
    const rollingBack = lines.findIndex((l) => l.includes('ROLLING BACK'));
    expect(rollingBack).toBeGreaterThan(0);
    expect(lines.slice(rollingBack).filter((l) => l.includes('shifting traffic'))).toEqual([]);
    expect(text).not.toContain('shifting traffic: green to 50 %');
    expect(trace.summary.invariantViolations).toEqual([]);
  });
});
