/**
 * The stack's schedules on the virtual clock (local/schedules.ts): when EventBridge fires rate(),
 * cron() (UTC, or a time zone for EventBridge Scheduler) and at() expressions, which schedules a
 * configuration deploys, and turning one off by name.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { scalingSchedules } from '../../functions/core/scaling.js';
import { DEFAULT_SCHEDULES } from '../../lib/control-plane.js';
import { VirtualClockImpl } from '../../local/clock.js';
import { parseSchedule, RECONCILE_SCHEDULE, runSchedules, ScheduleExpressionError, stackSchedules } from '../../local/schedules.js';
import { everyFeatureConfig } from '../helpers/cdk.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('schedule expressions', () => {
  it('rate(): every period from the start', () => {
    expect(iso(parseSchedule('rate(5 minutes)').next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T00:05:00.000Z');
    expect(iso(parseSchedule('rate(1 day)').next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-02T00:00:00.000Z');
  });

  it('cron() in UTC: the default cleanup at 03:00, weekdays, steps and lists', () => {
    expect(iso(parseSchedule('cron(0 3 * * ? *)').next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T03:00:00.000Z');
    expect(iso(parseSchedule('cron(0 3 * * ? *)').next(at('2026-01-01T03:00:00Z')))).toBe('2026-01-02T03:00:00.000Z');
    // 2026-01-03 is a Saturday: the next weekday 08:00 is Monday the 5th.
    expect(iso(parseSchedule('cron(0 8 ? * MON-FRI *)').next(at('2026-01-03T00:00:00Z')))).toBe('2026-01-05T08:00:00.000Z');
    expect(iso(parseSchedule('cron(0/15 * * * ? *)').next(at('2026-01-01T00:07:00Z')))).toBe('2026-01-01T00:15:00.000Z');
    expect(iso(parseSchedule('cron(30 1 ? * SUN *)').next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-04T01:30:00.000Z');
  });

  it('cron() in a time zone (EventBridge Scheduler): 08:00 in Paris is 07:00 UTC in winter, 06:00 in summer', () => {
    const paris = parseSchedule('cron(0 8 ? * MON-FRI *)', 'Europe/Paris');
    expect(iso(paris.next(at('2026-01-05T00:00:00Z')))).toBe('2026-01-05T07:00:00.000Z');
    expect(iso(paris.next(at('2026-07-06T00:00:00Z')))).toBe('2026-07-06T06:00:00.000Z');
  });

  it('at(): once', () => {
    const once = parseSchedule('at(2026-01-01T01:00:00)');
    expect(iso(once.next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T01:00:00.000Z');
    expect(once.next(at('2026-01-01T01:00:00Z'))).toBeUndefined();
  });

  it('what the rehearsal cannot run is refused by name', () => {
    expect(() => parseSchedule('cron(0 3 L * ? *)')).toThrow(ScheduleExpressionError);
    expect(() => parseSchedule('cron(0 3 * * * *)')).toThrow(/exactly one of day-of-month and day-of-week/);
    expect(() => parseSchedule('every day')).toThrow(/not rate/);
  });
});

describe('the schedules a configuration deploys', () => {
  it("the reconcile sweep's rate is the construct's", () => {
    expect(RECONCILE_SCHEDULE).toBe(DEFAULT_SCHEDULES.reconcile.expressionString);
  });

  it('reconcile, cleanup at cleanupSchedule (none when off), and each scheduled scaling rule', () => {
    const config = everyFeatureConfig();
    const names = stackSchedules(config, scalingSchedules(config)).map((r) => `${r.name} ${r.expression} ${r.timezone}`);
    expect(names).toEqual([
      'reconcile rate(5 minutes) UTC',
      'cleanup cron(0 3 * * ? *) UTC',
      'scaling:checkout/production#1 cron(0 8 ? * MON-FRI *) Europe/Paris',
      'scaling:checkout/production#2 rate(1 day) UTC',
    ]);
    const off = parseConfig({ ...JSON.parse(JSON.stringify(config)), cleanupSchedule: 'off' }, 'off');
    expect(stackSchedules(off, []).map((r) => r.name)).toEqual(['reconcile']);
  });

  it('runs on background timers until stopped; a scenario turns one off by name; an unknown name is refused', () => {
    const clock = new VirtualClockImpl();
    const config = everyFeatureConfig();
    const rules = stackSchedules(config, scalingSchedules(config));
    const fired: string[] = [];
    const { running, stop } = runSchedules(clock, rules, ['scaling'], (rule, ms) => fired.push(`${rule.name}@${iso(ms)}`));
    expect(running.map((r) => r.name)).toEqual(['reconcile', 'cleanup']);
    expect(clock.pendingTimers().every((t) => t.background)).toBe(true);
    expect(clock.pendingTimers().map((t) => t.label).sort()).toEqual(['schedule cleanup', 'schedule reconcile']);
    stop();
    expect(() => runSchedules(clock, rules, ['reconcil'], () => undefined)).toThrow(/"reconcil" is not a schedule of this stack/);
    expect(fired).toEqual([]);
  });
});
