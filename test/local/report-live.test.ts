import { describe, expect, it } from 'vitest';
import { runScenario } from '../../local/rehearsal.js';
import { fitAnsi, LiveView, type LiveViewOptions, weightsBar } from '../../local/report/live.js';
import { parseScenario } from '../../local/scenario.js';
import { builtinScenario } from '../../local/scenarios/builtin.js';
import { runBuiltin } from './report.fixtures.js';

const ESC = String.fromCharCode(27);
const scenario = parseScenario(builtinScenario('bad-release-alarm'), 'bad-release-alarm');

function sink(isTTY: boolean) {
  let text = '';
  return { out: { write: (t: string) => (text += t), isTTY, columns: 100 }, text: () => text };
}

async function runWithView(options: Omit<LiveViewOptions, 'out'>, isTTY: boolean) {
  const s = sink(isTTY);
  const view = new LiveView(scenario, { out: s.out, ...options });
  const trace = await runScenario(scenario, view.runOptions());
  view.finish(trace);
  return { trace, text: s.text(), view };
}

describe('the live view without a terminal: timestamped lines', () => {
  it('tells the bad release as it happens: shift, alarm, rollback, outcome', async () => {
    // Act
    const { text } = await runWithView({}, false);

    // Assess
    const lines = text.trim().split('\n');
    for (const l of lines) expect(l).toMatch(/^\[\+\d\d:\d\d\] api\/production \S/);
    const story = [
      '[+00:10] api/production deployment api-production-3d7bf616c0c3c348 started',
      '[+01:10] api/production shifting traffic: green to 10 %',
      '[+01:10] api/production traffic blue 90 / green 10',
      '[+01:10] api/production bake 05:00 (alarms armed)',
      '[+02:00] api/production alarm api-5xx-b is ALARM',
      '[+02:00] api/production ROLLING BACK: traffic to blue',
      '[+02:00] api/production traffic blue 100 / green 0',
    ];
    let from = 0;
    for (const expected of story) {
      const i = lines.indexOf(expected, from);
      expect(i, `"${expected}" after line ${from}`).toBeGreaterThanOrEqual(from);
      from = i + 1;
    }
    expect(lines.at(-1)).toMatch(/^\[\+02:00\] api\/production ROLLED_BACK — AlarmTriggered: Alarm api-5xx-b is in ALARM/);
    expect(text).not.toContain('\x1b[');
  });

  it('changes nothing in the rehearsal it watches', async () => {
    const watched = await runWithView({}, false);
    const plain = await runBuiltin('bad-release-alarm');
    const outcome = (t: typeof plain) => t.summary.deployments.map((d) => [d.status, d.reasonCode, d.virtualSeconds, d.stateTransitions]);
    expect(outcome(watched.trace)).toEqual(outcome(plain));
  });
});

describe('the live view on a terminal', () => {
  it('redraws one block in place: step, weights bar, green health, alarms, verdict, elapsed time', async () => {
    let wall = 0;
    const { text, view } = await runWithView({ color: false, paceMsPerVirtualMinute: 0, wallNow: () => (wall += 100) }, true);

    const frames = text.split('\x1b[2KCutover rehearsal').slice(1);
    expect(frames.length).toBeGreaterThan(5);
    expect(text).toMatch(new RegExp(`${ESC}\\[\\d+A`)); // cursor up: drawn in place
    const during = frames.find((f) => f.includes('bake 05:00')) as string;
    expect(during).toMatch(/traffic {2}blue █{45}░{5} green {3}90 \/ 10/); // 50 cells, no colour: green is ░
    expect(during).toContain('4/4 targets healthy');
    const last = frames.at(-1) as string;
    expect(last).toContain('ROLLED_BACK');
    expect(last).toContain('api-5xx-b ALARM');
    expect(last).toMatch(/traffic {2}blue █{50} green {2}100 \/ 0/);
    expect(last).toContain('elapsed 01:50');
    expect(view.views()[0]?.status).toBe('ROLLED_BACK');
  });

  it('paces virtual time: about the configured real time per virtual minute while a deployment runs', async () => {
    const slept: number[] = [];
    const pace = 600;

    await runWithView({ color: false, paceMsPerVirtualMinute: pace, sleep: async (ms) => void slept.push(ms), wallNow: () => 0 }, true);

    // The deployment runs from 00:10 to 02:00 of virtual time: 110 s.
    const total = slept.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(pace * (100 / 60));
    expect(total).toBeLessThan(pace * (125 / 60));
  });

  it('draws at most every minRedrawMs of wall time (forced frames aside)', async () => {
    const frozen = await runWithView({ color: false, paceMsPerVirtualMinute: 0, wallNow: () => 0 }, true);
    let wall = 0;
    const busy = await runWithView({ color: false, paceMsPerVirtualMinute: 0, wallNow: () => (wall += 1000) }, true);
    const count = (t: string) => t.split('\x1b[2KCutover rehearsal').length - 1;
    expect(count(frozen.text)).toBeLessThan(count(busy.text));
  });
});

describe('terminal helpers', () => {
  it.each([
    [100, 20, 20, 0],
    [90, 20, 18, 2],
    [0, 20, 0, 20],
    [50, 7, 4, 3],
  ])('weightsBar(%d %% blue, %d cells)', (blue, width, b, g) => {
    expect(weightsBar(blue, width)).toEqual({ blue: b, green: g });
  });

  it('cuts a coloured line to the terminal width without breaking its colour codes', () => {
    const line = `ab\x1b[31mcdef\x1b[0mgh`;
    expect(fitAnsi(line, 4)).toBe('ab\x1b[31mcd\x1b[0m');
    expect(fitAnsi(line, 20)).toBe(line);
    expect(fitAnsi('plain text', 5)).toBe('plain');
  });
});
