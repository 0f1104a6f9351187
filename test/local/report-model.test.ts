import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { labelRows, niceMax, tickStepMs } from '../../local/report/html.js';
import { buildReport, clockText, planText, stepRow, targetGroupName } from '../../local/report/model.js';
import { at, BLUE, GREEN, iso, syntheticTrace, T0 } from './report.fixtures.js';

describe('buildReport', () => {
  it('puts every shift, the alarm, the rollback and the verdicts on the timeline, in time order', () => {
    // Act
    const report = buildReport(syntheticTrace(), { description: 'a bad canary' });

    // Assess
    const d = report.deployments[0];
    expect(d?.markers.map((m) => [m.kind, (m.at - T0) / 1000, m.label])).toEqual([
      ['shift', 70, '10 %'],
      ['alarm', 120, 'api-5xx-b ALARM'],
      ['rollback', 121, 'rollback'],
    ]);
    expect(report.description).toBe('a bad canary');
  });

  it('ignores alarms the deployment does not watch and the first OK of an alarm', () => {
    const d = buildReport(syntheticTrace()).deployments[0];
    const alarms = d?.markers.filter((m) => m.kind === 'alarm').map((m) => m.data.alarm);
    expect(alarms).toEqual(['api-5xx-b']);
  });

  it('traces the green weight as a step function over the window, starting from the value in force', () => {
    const d = buildReport(syntheticTrace()).deployments[0];
    expect(d?.greenWeight.map((p) => [(p.at - T0) / 1000, p.percent])).toEqual([
      [0, 0],
      [70, 10],
      [121, 0],
    ]);
    expect(d?.blueTargetGroup).toBe(BLUE);
    expect(d?.greenTargetGroup).toBe(GREEN);
  });

  it('gives the error rate per target group and minute, and none for a minute without requests', () => {
    const d = buildReport(syntheticTrace()).deployments[0];
    const green = d?.targetGroups.find((t) => t.role === 'green');
    expect(green?.name).toBe('api-b');
    expect(green?.points.map((p) => p.errorRatePct)).toEqual([40, null]);
  });

  it('lists every timeline entry in the step table, unknown kinds included', () => {
    const d = buildReport(syntheticTrace()).deployments[0];
    expect(d?.steps.map((s) => s.title)).toEqual([
      'Queued',
      'Started',
      'Green healthy',
      'Shift to 10 %',
      'Bake',
      'Alarm api-5xx-b',
      'Rollback: traffic back on blue',
      'ROLLED_BACK',
      'something-new',
    ]);
    expect(d?.steps.at(-1)?.detail).toBe('name smoke, passed true');
  });

  it('keeps a deployment that has no record (rejected at validation) without a chart', () => {
    const trace = syntheticTrace();
    const rejected = { ...trace.summary.deployments[0], deploymentId: 'bad-input', status: 'REJECTED', reason: 'ValidationError: x' } as (typeof trace.summary.deployments)[0];
    const report = buildReport({ ...trace, summary: { ...trace.summary, deployments: [rejected] } });
    expect(report.deployments[0]?.markers).toEqual([]);
    expect(report.deployments[0]?.steps).toEqual([]);
    expect(report.deployments[0]?.status).toBe('REJECTED');
  });
});

describe('step rows', () => {
  it.each([
    ['analysis pass', { kind: 'analysis', detail: { verdict: 'Pass', decision: 'pass', reasons: ['a', 'b'] } }, 'Analysis: Pass', 'a; b', 'ok'],
    ['analysis fail', { kind: 'analysis', detail: { verdict: 'Fail', decision: 'fail', reasons: [] } }, 'Analysis: Fail', '', 'bad'],
    ['promote', { kind: 'promote', detail: { terminationWaitSeconds: 300 } }, 'Promoted', 'blue kept 300 s', 'ok'],
    ['event', { kind: 'event', detail: { kind: 'Deployment Succeeded' } }, 'Event sent', 'Deployment Succeeded on the Cutover bus', 'info'],
    ['succeeded', { kind: 'terminal', key: 'succeeded', detail: { status: 'SUCCEEDED', reason: { code: 'Promoted', message: 'live' } } }, 'SUCCEEDED', 'Promoted: live', 'ok'],
  ])('%s', (_name, entry, title, detail, tone) => {
    const row = stepRow({ key: 'k', at: iso(5), ...entry } as never, BLUE, GREEN);
    expect([row.title, row.detail, row.tone]).toEqual([title, detail, tone]);
    expect(row.at).toBe(at(5));
  });
});

describe('formatting helpers', () => {
  it.each([
    [0, '00:00'],
    [70_000, '01:10'],
    [3_600_000 + 61_000, '1:01:01'],
    [-5, '00:00'],
  ])('clockText(%d) = %s', (ms, text) => expect(clockText(ms)).toBe(text));

  it('names a target group by the name in its ARN', () => expect(targetGroupName(GREEN)).toBe('api-b'));

  it('writes a plan as its steps', () => {
    expect(planText([{ kind: 'shift', percent: 10 }, { kind: 'bake', seconds: 300 }, { kind: 'shift', percent: 100 }])).toBe('10 % ▸ bake 300 s ▸ 100 %');
  });

  it.each([
    [0, 1],
    [0.7, 1],
    [1.3, 2],
    [40, 50],
    [88, 100],
    [210, 250],
  ])('niceMax(%d) = %d', (max, nice) => expect(niceMax(max)).toBe(nice));

  it('chooses time ticks that give at most ten labels', () => {
    fc.assert(fc.property(fc.integer({ min: 1000, max: 7 * 86_400_000 }), (span) => span / tickStepMs(span) <= 10 || tickStepMs(span) === 86_400_000));
  });

  it('puts marker labels in rows where they do not overlap', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ x: fc.integer({ min: 0, max: 900 }), width: fc.integer({ min: 10, max: 120 }) }), { maxLength: 12 }), (raw) => {
        const labels = [...raw].sort((a, b) => a.x - b.x);
        const rows = labelRows(labels, 20);
        for (let i = 0; i < labels.length; i++) {
          for (let j = i + 1; j < labels.length; j++) {
            const a = labels[i] as { x: number; width: number };
            const b = labels[j] as { x: number; width: number };
            if (rows[i] === rows[j]) expect(a.x + a.width <= b.x).toBe(true);
          }
        }
      }),
    );
  });
});
