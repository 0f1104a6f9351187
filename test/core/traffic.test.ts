/** The share-of-tasks math (functions/core/traffic.ts): named table cases and a sweep over every count. */
import { describe, expect, it } from 'vitest';
import { scaleFor, sharePercent, taskShare, targetOf, versionQueries } from '../../functions/core/traffic.js';
import { workerPlan } from '../../functions/core/plan.js';

describe('taskShare', () => {
  it.each([
    // [desired, percent, greenTasks, blueTasks, achieved]
    ['10 tasks at 10 %', 10, 10, 1, 9, 10],
    ['3 tasks at 10 %: 1 task of 3 is 33 %, not 10 %', 3, 10, 1, 2, 33],
    ['2 tasks at 10 %: green never 0', 2, 10, 1, 1, 50],
    ['4 tasks at 95 %: blue keeps 1 until 100 %', 4, 95, 3, 1, 75],
    ['1 task at 10 %: green beside the only consumer', 1, 10, 1, 1, 50],
    ['0 tasks: nothing runs', 0, 10, 0, 0, 0],
    ['0 %', 5, 0, 0, 5, 0],
    ['100 %', 5, 100, 5, 0, 100],
  ])('%s', (_name, desired, percent, green, blue, achieved) => {
    const s = taskShare(desired, percent);
    expect([s.greenTasks, s.blueTasks, s.achievedPercent]).toEqual([green, blue, achieved]);
  });

  it('for every desired count 1-300 and step 1-99 %: ECS (ceil) computes exactly the chosen tasks, green and blue >= 1 with 2+ tasks', () => {
    const ecs = (d: number, scale: number) => Math.ceil((d * scale) / 100);
    for (let d = 1; d <= 300; d++) {
      for (let p = 1; p <= 99; p++) {
        const s = taskShare(d, p);
        if (d === 1) continue;
        expect(ecs(d, s.greenScale), `d=${d} p=${p} green`).toBe(s.greenTasks);
        expect(ecs(d, s.blueScale), `d=${d} p=${p} blue`).toBe(s.blueTasks);
        expect(s.greenTasks).toBeGreaterThanOrEqual(1);
        expect(s.blueTasks).toBeGreaterThanOrEqual(1);
        expect(s.greenTasks + s.blueTasks).toBe(d);
        expect(Number.isInteger(Math.round(s.greenScale * 100))).toBe(true);
      }
    }
  });

  it('refuses a percent outside 0-100 and a negative count', () => {
    expect(() => taskShare(3, 101)).toThrow(RangeError);
    expect(() => taskShare(-1, 10)).toThrow(RangeError);
  });

  it('scaleFor: 1 of 3 is 33.33 (ceil gives 1), 2 of 3 is 66.66', () => {
    expect(scaleFor(3, 1)).toBe(33.33);
    expect(scaleFor(3, 2)).toBe(66.66);
    expect(sharePercent(1, 2)).toBe(33);
  });
});

describe('versionQueries', () => {
  it('replaces {version} in every dimension value of each metric, leaving the others', () => {
    const q = versionQueries(
      {
        processed: { namespace: 'Orders', metricName: 'MessagesProcessed', dimensions: { service: 'orders', version: '{version}' } },
        errors: { namespace: 'Orders', metricName: 'MessagesFailed', dimensions: { version: 'v-{version}' } },
      },
      'orders-prod-1a',
    );
    expect(q.processed.dimensions).toEqual({ service: 'orders', version: 'orders-prod-1a' });
    expect(q.errors?.dimensions).toEqual({ version: 'v-orders-prod-1a' });
    expect(q.latency).toBeUndefined();
  });
});

describe('targetOf (the selector keyed on the context)', () => {
  const base = { cluster: 'c', ecsService: 's' };
  it('a worker context selects task-share with its task sets', () => {
    expect(targetOf({ ...base, traffic: 'task-share', blue: { taskSetId: 'b' } }, 'g')).toEqual({
      kind: 'task-share', cluster: 'c', service: 's', blueTaskSetId: 'b', greenTaskSetId: 'g',
    });
  });
  it('a web context (no traffic field) selects alb-weights; a worker without green is refused', () => {
    const route = { kind: 'listener' as const, arn: 'l' };
    expect(targetOf({ ...base, route, targetGroupArns: ['a', 'b'], greenTargetGroupArn: 'b' }, undefined).kind).toBe('alb-weights');
    expect(() => targetOf({ ...base, traffic: 'task-share' }, undefined)).toThrow(/green task set missing/);
  });
});

describe('workerPlan', () => {
  it('blue-green on a worker starts green at 100 % and bakes after (no 0 % bake)', () => {
    const plan = { strategy: 'blue-green', steps: [{ kind: 'bake' as const, seconds: 300 }, { kind: 'shift' as const, percent: 100 }, { kind: 'bake' as const, seconds: 60 }] };
    expect(workerPlan(plan).steps).toEqual([{ kind: 'shift', percent: 100 }, { kind: 'bake', seconds: 300 }, { kind: 'bake', seconds: 60 }]);
  });
  it('a canary is unchanged', () => {
    const plan = { strategy: 'canary', steps: [{ kind: 'shift' as const, percent: 10 }, { kind: 'bake' as const, seconds: 300 }] };
    expect(workerPlan(plan)).toBe(plan);
  });
});

describe('checkWorkerShare (invariant)', async () => {
  const { checkWorkerShare } = await import('../../functions/core/invariants.js');
  it('passes a 10 % step of 3 tasks held as 1 / 2 and reported as 33 %', () => {
    expect(checkWorkerShare({ desiredCount: 3, percent: 10, green: { computedDesiredCount: 1, runningCount: 1 }, blue: { computedDesiredCount: 2, runningCount: 2 }, reportedPercent: 33 })).toEqual([]);
  });
  it('names green at 0 tasks, a share reported as planned instead of achieved, and blue scaled down before green runs', () => {
    expect(checkWorkerShare({ desiredCount: 3, percent: 10, green: { computedDesiredCount: 0, runningCount: 0 }, blue: { computedDesiredCount: 3, runningCount: 3 } })).toEqual([
      'green has 0 tasks at a 10 % step of 3 tasks; a 1-99 % step gives it at least 1',
    ]);
    expect(checkWorkerShare({ desiredCount: 3, percent: 10, green: { computedDesiredCount: 1, runningCount: 1 }, blue: { computedDesiredCount: 2, runningCount: 2 }, reportedPercent: 10 })).toEqual([
      "green's share is reported as 10 % but ECS computes 1 of 3 tasks (33 %)",
    ]);
    expect(checkWorkerShare({ desiredCount: 4, percent: 50, green: { computedDesiredCount: 2, runningCount: 0 }, blue: { computedDesiredCount: 2, runningCount: 2 } })).toHaveLength(1);
  });
});
