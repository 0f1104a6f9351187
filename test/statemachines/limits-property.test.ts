/**
 * Issue #12, the property over the schema: any configuration the schema accepts deploys, and rolls
 * back on an alarm, within Step Functions' limits (256 KiB per state input/output and per Map
 * result, 25,000 history events). fast-check draws strategies, step counts, alarm counts and alarm
 * name lengths; a drawn configuration the schema refuses is skipped (fc.pre). The runs go through
 * the real deploy state machine in the rehearsal, so numRuns is small; the schema's extremes
 * (1 % linear steps, 50 explicit steps, 100 alarms of 255 characters) run in limits.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { runScenario } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { alarmNames, extremeScenario, HISTORY_LIMIT_EVENTS, marginsOf, PAYLOAD_LIMIT_BYTES } from './limits.js';

const bake = fc.constantFrom(0, 60, 120);
const strategy = fc.oneof(
  fc.record({ type: fc.constant('canary'), percent: fc.integer({ min: 1, max: 99 }), bakeSeconds: bake, finalBakeSeconds: bake }),
  fc.record({ type: fc.constant('linear'), stepPercent: fc.integer({ min: 8, max: 100 }), intervalSeconds: bake }),
  fc.record({ type: fc.constant('blue-green'), bakeSeconds: bake, finalBakeSeconds: bake }),
  fc.record({ type: fc.constant('all-at-once'), bakeSeconds: bake }),
  fc
    .array(
      fc.oneof(
        fc.record({ percent: fc.integer({ min: 0, max: 99 }), bakeSeconds: bake }),
        fc.record({ approval: fc.record({ timeoutSeconds: fc.integer({ min: 1, max: 300 }), onTimeout: fc.constant('promote') }) }),
      ),
      { minLength: 0, maxLength: 11 },
    )
    .map((steps) => {
      // Shifts never move traffic back; the last one is 100 % (the schema's rules).
      let last = 0;
      const sorted = steps.map((s) => {
        if (!('percent' in s)) return s;
        last = Math.max(last, s.percent);
        return { ...s, percent: last };
      });
      return { type: 'steps', steps: [...sorted, { percent: 100 }] };
    }),
);

const draw = fc.record({
  strategy,
  alarmCount: fc.integer({ min: 1, max: 100 }),
  nameLength: fc.integer({ min: 8, max: 255 }),
  rollback: fc.boolean(),
});

describe('property: what the schema accepts deploys and rolls back within the limits', () => {
  it('deploys (or rolls back on an alarm) with every payload and the history within the limits', async () => {
    await fc.assert(
      fc.asyncProperty(draw, async ({ strategy: s, alarmCount, nameLength, rollback }) => {
        const input = extremeScenario({
          name: 'limits-property',
          strategy: s as Record<string, unknown> & { type: string },
          alarms: alarmNames(alarmCount, nameLength),
          ...(rollback ? { alarmAt: 90 } : {}),
        });
        let accepted = true;
        try {
          parseConfig(input.config, 'property');
        } catch {
          accepted = false;
        }
        fc.pre(accepted);
        const trace = await runScenario(parseScenario(input, 'limits-property'));
        const [d] = trace.summary.deployments;
        expect(trace.summary.invariantViolations).toEqual([]);
        expect(d?.status, d?.reason ?? '').toBe(rollback ? 'ROLLED_BACK' : 'SUCCEEDED');
        const exec = trace.executions.find((e) => e.name === d?.deploymentId);
        if (!exec) throw new Error('deploy execution missing');
        const m = marginsOf(exec);
        expect(m.largestStateBytes).toBeLessThan(PAYLOAD_LIMIT_BYTES);
        expect(m.mapResultBytes).toBeLessThan(PAYLOAD_LIMIT_BYTES);
        expect(d?.largestPayloadBytes).toBeLessThan(PAYLOAD_LIMIT_BYTES);
        expect(d?.historyEvents).toBeLessThan(HISTORY_LIMIT_EVENTS);
      }),
      { numRuns: 4, seed: 12, endOnFailure: true },
    );
  }, 600_000);
});
