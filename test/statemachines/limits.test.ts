/**
 * Issue #12, defect 3: the steps Map copied the whole deploy state into every item and every
 * iteration ended with its full item, so the Map's collected result grew with the number of steps
 * (linear 10 % with 100 long alarm names: ~550 KB; linear 1 %: several MB) and Step Functions
 * failed the state with States.DataLimitExceeded — which States.ALL does not catch: no rollback,
 * lock held, traffic left on green. Now every iteration ends with `{ index }` only.
 *
 * At the schema's extremes (1 % linear steps: 199 iterations; 50 explicit steps; 100 alarms with
 * names of the maximum 255 characters), success and rollback, every state's input and output and
 * the Map's collected result stay far below 256 KiB, and the history far below 25,000 events.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { alarmAfterShift, alarmNames, extremeScenario, HISTORY_LIMIT_EVENTS, marginsOf, PAYLOAD_LIMIT_BYTES } from './limits.js';

const ALARMS = alarmNames(100, 255);
// Bakes of 1 s: the payloads do not depend on the bake time, and a short plan keeps the world's
// per-minute ticks (and the test's real time) down.
/** 50 explicit steps: 49 shifts of 2 % with a 1 s bake, then 100 %. */
const FIFTY_STEPS = [...Array.from({ length: 49 }, (_, i) => ({ percent: (i + 1) * 2, bakeSeconds: 1 })), { percent: 100 }];

const CASES = [
  { name: 'linear 1 % (199 iterations), 100 alarms of 255 characters, succeeds', strategy: { type: 'linear', stepPercent: 1, intervalSeconds: 1 }, iterations: 199 },
  { name: '50 explicit steps, 100 alarms of 255 characters, succeeds', strategy: { type: 'steps', steps: FIFTY_STEPS }, iterations: 99 },
  { name: '50 explicit steps, 100 alarms, an alarm after the 45th shift: rolled back', strategy: { type: 'steps', steps: FIFTY_STEPS }, alarmAfterShift: 45 },
] as const;

describe('deploy at the schema extremes stays within Step Functions limits', () => {
  it.each(CASES)('$name', async (c) => {
    // Prepare
    const rollsBack = 'alarmAfterShift' in c;
    const input = extremeScenario({ name: 'limits', strategy: c.strategy, alarms: ALARMS, rollsBack });
    // Act
    const trace = await runScenario(parseScenario(input, c.name), rollsBack ? { actions: [alarmAfterShift(c.alarmAfterShift, ALARMS[1] as string)] } : {});
    // Assess
    const [d] = trace.summary.deployments;
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(d?.status, d?.reason ?? '').toBe(rollsBack ? 'ROLLED_BACK' : 'SUCCEEDED');
    if (rollsBack) expect(d?.reasonCode).toBe('AlarmTriggered');
    const exec = trace.executions.find((e) => e.name === d?.deploymentId);
    if (!exec) throw new Error('deploy execution missing');
    const m = marginsOf(exec);
    if ('iterations' in c) expect(m.mapIterations).toBe(c.iterations);
    // The Map's collected result: a few bytes per step (it was ~30 KB per step).
    expect(m.mapResultBytes).toBeLessThanOrEqual(m.mapIterations * 16 + 2);
    expect(m.mapResultBytes).toBeLessThan(PAYLOAD_LIMIT_BYTES / 32);
    // Every state's input and output, measured here and by the runner: under a fifth of 256 KiB.
    expect(m.largestStateBytes).toBeLessThan(PAYLOAD_LIMIT_BYTES / 5);
    expect(d?.largestPayloadBytes).toBeLessThan(PAYLOAD_LIMIT_BYTES / 5);
    expect(d?.historyEvents).toBeLessThan(HISTORY_LIMIT_EVENTS / 2);
    console.info(`[limits] ${c.name}: largest state ${m.largestStateBytes} B (${m.largestStateName}), runner ${d?.largestPayloadBytes} B, Map result ${m.mapResultBytes} B over ${m.mapIterations} iterations, history ${d?.historyEvents} events`);
  }, 600_000);
});
