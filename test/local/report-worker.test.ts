/**
 * Workers in the rehearsal's report and under scaling (issue #18), through the real deploy state
 * machine, handlers, world and dynalite:
 * - worker-small-service (2 tasks, a 10 % step): the report states the real share, 50 %;
 * - the same worker scaled out 2 -> 5 during its canary bake: the scale handler sets the scales
 *   again, so green and blue run 1 + 4 = 5 tasks (20 %), and the deployment still succeeds with no
 *   invariant broken.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../local/rehearsal.js';
import { LiveView } from '../../local/report/live.js';
import { buildReport, shareText, stepRow } from '../../local/report/model.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { WORKER_SCENARIOS } from '../../local/scenarios/workers.js';

const smallService = (): ScenarioInput => {
  const input = WORKER_SCENARIOS.find((s) => s.name === 'worker-small-service');
  if (!input) throw new Error('worker-small-service is not a built-in scenario');
  return structuredClone(input);
};

describe('a worker in the report', () => {
  it('the shift row and marker of a worker say the share achieved; a web shift is unchanged', () => {
    const d = { traffic: 'task-share', percent: 10, achievedPercent: 50, tasks: { desiredCount: 2, greenTasks: 1, blueTasks: 1 } };
    expect(shareText(d)).toBe('green 1 / blue 1 of 2 tasks: 50 % on green');
    const row = stepRow({ key: 'shift-0', at: new Date(0).toISOString(), kind: 'shift', detail: d }, null, null);
    expect([row.title, row.detail]).toEqual(['Shift to 50 % of tasks', 'green 1 / blue 1 of 2 tasks: 50 % on green (step 10 %)']);
    expect(stepRow({ key: 'shift-0', at: new Date(0).toISOString(), kind: 'shift', detail: { percent: 10 } }, null, null).title).toBe('Shift to 10 %');
  });

  it('worker-small-service: the report says 50 % (1 task of 2), not 10 %', async () => {
    const input = smallService();
    const trace = await runScenario(parseScenario(input, input.name));
    expect(trace.summary.invariantViolations).toEqual([]);
    const report = buildReport(trace);
    const dep = report.deployments[0];
    expect(dep?.status).toBe('SUCCEEDED');
    const shifts = dep?.steps.filter((s) => s.kind === 'shift') ?? [];
    expect(shifts[0]?.title).toBe('Shift to 50 % of tasks');
    expect(shifts[0]?.detail).toBe('green 1 / blue 1 of 2 tasks: 50 % on green (step 10 %)');
    expect(dep?.markers.filter((m) => m.kind === 'shift').map((m) => m.label)).toEqual(['50 %', '100 %']);
    // The chart's green line follows the share of tasks: 0, then 50, then 100.
    expect(dep?.greenWeight.map((p) => p.percent)).toEqual([0, 50, 100]);
  }, 60_000);
});

describe('a worker in the live view', () => {
  it('prints the share of tasks as it moves (50 % at the 10 % step of 2 tasks), not a blue-only bar', async () => {
    const input = smallService();
    const scenario = parseScenario(input, input.name);
    let text = '';
    const view = new LiveView(scenario, { out: { write: (t: string) => (text += t), isTTY: false, columns: 100 } });
    const trace = await runScenario(scenario, view.runOptions());
    view.finish(trace);
    const lines = text.trim().split('\n').map((l) => l.replace(/^\[\+\d\d:\d\d\] /, ''));
    const traffic = lines.filter((l) => l.startsWith('orders-worker/production traffic'));
    expect(traffic).toContain('orders-worker/production traffic blue 50 / green 50 (tasks: blue 1 / green 1)');
    expect(traffic.at(-1)).toBe('orders-worker/production traffic blue 0 / green 100 (tasks: blue 0 / green 2)');
  }, 60_000);
});

describe('scaling a worker during its canary', () => {
  it('a scale-out 2 -> 5 in the bake keeps the share: green 1 + blue 4 = 5 tasks (20 %), and the deployment succeeds', async () => {
    const input = smallService();
    const config = input.config as { services: Array<Record<string, unknown>> };
    (config.services[0] as Record<string, unknown>).scaling = {
      minCount: 1,
      maxCount: 10,
      rules: [{ schedule: 'cron(0 8 * * ? *)', adjustment: 3 }],
    };
    // The canary: the push at 10 s, green healthy and the 10 % shift within about two minutes, then a 300 s bake.
    input.timeline = [...(input.timeline ?? []), { at: 240, kind: 'schedule', service: 'orders-worker', rule: 0 } as never];
    // What ECS runs a minute after the scale-out, still in the bake (green: the deployment's task set).
    let during: Array<{ green: boolean; scale: number; tasks: number; running: number }> = [];
    const trace = await runScenario(parseScenario(input, `${input.name}-scaled`), {
      actions: [
        {
          at: 300,
          label: 'read the task sets',
          run: (ctx) => {
            during = ctx.world
              .taskSets('demo', 'orders-worker')
              .map((t) => ({ green: t.status !== 'PRIMARY', scale: t.scalePercent, tasks: t.computedDesiredCount, running: t.runningCount }));
          },
        },
      ],
    });
    expect(trace.summary.invariantViolations).toEqual([]);
    // ECS alone (the old scales 50 / 50 at 5 tasks) would run ceil(2.5) + ceil(2.5) = 3 + 3.
    expect(during.sort((x, y) => Number(y.green) - Number(x.green))).toEqual([
      { green: true, scale: 20, tasks: 1, running: 1 },
      { green: false, scale: 80, tasks: 4, running: 4 },
    ]);
    expect(trace.summary.deployments.map((d) => d.status)).toEqual(['SUCCEEDED']);
    const scaled = (trace.summary.actions ?? []).filter((a) => a.source === 'scaling' && (a.kind === 'scale' || a.kind === 'set-bounds'));
    expect(scaled.map((a) => a.outcome)).toEqual(['done']);
    expect(scaled[0]?.reason).toMatch(/share of tasks \(shifted 10 %\) verified: green 1 \/ blue 4 of 5 \(20 % on green\)/);
  }, 60_000);
});
