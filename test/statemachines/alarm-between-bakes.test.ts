/**
 * Issue #12, defect 9: an alarm that fires while no wait holds a task token (a Shift, an Analyze
 * runs) used to be lost: the watcher only logged it, and the next shift went ahead — with the alarm
 * back to OK by the next bake, the release went out. Now the watcher records it on the deployment
 * and Shift, Analyze, Promote and every wait check the record before they act.
 *
 * Each case wraps one deploy Lambda so the alarm event reaches the real alarm watcher exactly while
 * that Lambda runs (after it acted), and the world's alarm stays OK (it fired and recovered).
 */
import { describe, expect, it } from 'vitest';
import { type RehearsalContext, runScenario } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { ACCOUNT, builtinScenario, REGION } from '../../local/scenarios/builtin.js';

const ALARM = 'api-5xx-b';

function alarmEvent(ctx: RehearsalContext, id: string) {
  const at = new Date(ctx.clock.now()).toISOString();
  return {
    version: '0',
    id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: ACCOUNT,
    time: at,
    region: REGION,
    resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${ALARM}`],
    detail: {
      alarmName: ALARM,
      state: { value: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [42.0] was greater than the threshold (10.0).', timestamp: at },
      previousState: { value: 'OK', reason: '', timestamp: at },
    },
  };
}

/** Wrap the deploy Lambda `handler`: on its `call`-th invocation, the alarm fires right after it acted. */
function alarmDuring(handler: 'shift' | 'analyze', call: number) {
  return {
    at: 0,
    label: `alarm during ${handler} #${call}`,
    run(ctx: RehearsalContext) {
      let calls = 0;
      ctx.runner.registerFunction(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:cutover-${handler}`, async (payload) => {
        calls++;
        const out = await ctx.invoke(handler, payload);
        if (calls === call) await ctx.invoke('alarm-watcher', alarmEvent(ctx, `alarm-during-${handler}-${call}`));
        return out;
      });
    },
  };
}

async function run(action: ReturnType<typeof alarmDuring>) {
  const trace = await runScenario(parseScenario(builtinScenario('good-canary'), 'alarm-between-bakes'), { actions: [action] });
  const greenTg = trace.records[0]?.green?.targetGroupArn;
  const greenWeights = trace.weights.filter((w) => w.service === 'api').map((w) => w.weights.find((x) => x.targetGroupArn === greenTg)?.weight ?? 0);
  return { trace, maxGreen: Math.max(...greenWeights), finalGreen: greenWeights.at(-1) };
}

describe('an alarm between bakes stops the deployment (good-canary: shift 10, bake 300, shift 100)', () => {
  it('during the analysis at the end of the bake: the shift to 100 % does not happen', async () => {
    const { trace, maxGreen, finalGreen } = await run(alarmDuring('analyze', 1));
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'AlarmTriggered']]);
    expect(trace.summary.deployments[0]?.reason).toContain(ALARM);
    expect(maxGreen).toBe(10);
    expect(finalGreen).toBe(0);
    expect(trace.summary.invariantViolations).toEqual([]);
  });

  it('during the first shift: the bake that follows sees the recorded alarm (back to OK by then) and rolls back', async () => {
    const { trace, maxGreen, finalGreen } = await run(alarmDuring('shift', 1));
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'AlarmTriggered']]);
    expect(maxGreen).toBe(10);
    expect(finalGreen).toBe(0);
  });

  it('during the shift to 100 %: Promote refuses, green never becomes primary, traffic back on blue', async () => {
    const { trace, finalGreen } = await run(alarmDuring('shift', 2));
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'AlarmTriggered']]);
    expect(trace.records[0]?.timeline.some((e) => e.key === 'promoted')).toBe(false);
    expect(finalGreen).toBe(0);
    expect(trace.summary.invariantViolations).toEqual([]);
  });
});
