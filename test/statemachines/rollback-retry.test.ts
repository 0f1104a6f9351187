/**
 * Issue #12, defect 5: the deploy rollback is idempotent, so it retries every error — a Lambda
 * timeout or out-of-memory (`Lambda.Unknown`, `Sandbox.Timedout`), `Lambda.ClientExecutionTimeoutException`,
 * one unexpected error — within its budget (statemachines/README.md); and when it still fails, the
 * deployment is not marked terminal with traffic possibly split: it stays in flight with its lock
 * (a `rollback-incomplete` timeline entry says why) and the reconcile sweep rolls it back again.
 *
 * Before: the first such error sent the deployment to FailDeployment (FAILED, lock released, traffic
 * left wherever the failed rollback left it, and the sweep ignores terminal records).
 */
import { describe, expect, it } from 'vitest';
import { type RehearsalContext, runScenario } from '../../local/rehearsal.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { builtinScenario } from '../../local/scenarios/builtin.js';

const ROLLBACK_FN = 'arn:aws:lambda:us-east-1:123456789012:function:cutover-rollback';

/** Replace the rollback Lambda with one that fails with `errorName` while `failing()` says so. */
function flakyRollback(errorName: string, failing: (call: number, ctx: RehearsalContext) => boolean) {
  return {
    at: 0,
    label: `rollback Lambda fails with ${errorName}`,
    run(ctx: RehearsalContext) {
      let calls = 0;
      ctx.runner.registerFunction(ROLLBACK_FN, async (payload) => {
        calls++;
        if (failing(calls, ctx)) {
          throw Object.assign(new Error(`RequestId: ${calls} Error: ${errorName} (injected)`), { name: errorName });
        }
        return ctx.invoke('rollback', payload);
      });
    },
  };
}

function badRelease(extra: Partial<ScenarioInput> = {}): ScenarioInput {
  const base = builtinScenario('bad-release-alarm');
  if (!base) throw new Error('bad-release-alarm scenario missing');
  return { ...base, ...extra };
}

/** Production weights of api at the end: which target group has 100. */
function finalWeights(trace: Awaited<ReturnType<typeof runScenario>>) {
  return trace.weights.filter((w) => w.service === 'api').at(-1)?.weights ?? [];
}

describe('the deploy rollback retries every error', () => {
  it.each(['Lambda.Unknown', 'Sandbox.Timedout', 'Lambda.ClientExecutionTimeoutException', 'Error'])(
    '%s three times, then the rollback works: ROLLED_BACK, traffic on blue',
    async (errorName) => {
      // Prepare
      const scenario = parseScenario(badRelease(), 'rollback-retry');
      // Act
      const trace = await runScenario(scenario, { actions: [flakyRollback(errorName, (call) => call <= 3)] });
      // Assess
      expect(trace.summary.invariantViolations).toEqual([]);
      expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'AlarmTriggered']]);
      const blue = trace.records[0]?.blue?.targetGroupArn;
      expect(finalWeights(trace)).toContainEqual({ targetGroupArn: blue, weight: 100 });
    },
  );

  it('a rollback that fails past its budget leaves the deployment in flight with its lock; the sweep then rolls it back', async () => {
    // Prepare: the rollback Lambda fails (out of memory) for the first hour; the sweep runs at 2 h.
    const scenario = parseScenario(
      badRelease({ timeline: [...(badRelease().timeline ?? []), { at: 7200, kind: 'reconcile' }] }),
      'rollback-incomplete',
    );
    let atEnd: { status?: string; lockHolder?: string; timeline: string[]; execution?: string } | undefined;
    // Act
    const trace = await runScenario(scenario, {
      actions: [
        flakyRollback('Lambda.Unknown', (_, ctx) => ctx.clock.now() - Date.parse('2026-01-01T00:00:00Z') < 3600_000),
        {
          at: 3600,
          label: 'look at the record once the execution gave up',
          async run(ctx) {
            const [record] = await ctx.store.listDeployments('api', 'production');
            const exec = ctx.runner.listExecutions().find((e) => e.name === record?.deploymentId);
            atEnd = {
              status: record?.status,
              lockHolder: (await ctx.store.getLock('api', 'production'))?.holder,
              timeline: (record?.timeline ?? []).map((e) => e.key),
              execution: `${exec?.status} ${exec?.error}`,
            };
          },
        },
      ],
    });
    // Assess: after the budget the execution failed with RollbackIncomplete, and the record said so without ending.
    expect(atEnd?.execution).toBe('FAILED RollbackIncomplete');
    expect(atEnd?.status).toBe('IN_PROGRESS');
    expect(atEnd?.lockHolder).toBe(trace.records[0]?.deploymentId);
    expect(atEnd?.timeline).toContain('rollback-incomplete');
    // ... and the sweep finished the rollback: blue has all the traffic, the record is ROLLED_BACK, the lock is free.
    expect(trace.summary.deployments.map((d) => d.status)).toEqual(['ROLLED_BACK']);
    const blue = trace.records[0]?.blue?.targetGroupArn;
    expect(finalWeights(trace)).toContainEqual({ targetGroupArn: blue, weight: 100 });
    expect(trace.summary.invariantViolations).toEqual([]);
  });
});
