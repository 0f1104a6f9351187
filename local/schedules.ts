/**
 * EventBridge schedule expressions on the virtual clock: when `rate(...)`, `cron(...)` and `at(...)`
 * fire next, as EventBridge (rules, UTC) and EventBridge Scheduler (with a time zone) fire them.
 *
 * Expressions follow the EventBridge User Guide, "Schedule expressions for rules" and the
 * EventBridge Scheduler User Guide, "Schedule types": `rate(value unit)` with unit minute(s),
 * hour(s) or day(s); `cron(minutes hours day-of-month month day-of-week year)` where one of
 * day-of-month and day-of-week is `?`, day-of-week 1-7 is SUN-SAT, months and days may be names;
 * `at(yyyy-mm-ddThh:mm:ss)` fires once. The granularity is one minute.
 *
 * Supported in cron fields: `*`, `?`, numbers, names, ranges `a-b`, lists `a,b`, steps `x/n`.
 * `L`, `W` and `#` are refused with an error naming the expression (the rehearsal cannot run it).
 */

const MINUTE_MS = 60_000;

export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
}

/** A parsed expression: the first fire time strictly after `afterMs`, or undefined when it never fires again. */
export interface ScheduleSpec {
  readonly expression: string;
  next(afterMs: number): number | undefined;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The values a cron field allows, or undefined for `?` / `*` (any). */
function field(text: string, min: number, max: number, names: readonly string[], base: number, expression: string): Set<number> | undefined {
  if (text === '?' || text === '*') return undefined;
  if (/[LW#]/.test(text)) throw new ScheduleExpressionError(`${expression}: "${text}" (L, W and #) is not supported by the rehearsal`);
  const value = (v: string): number => {
    const i = names.indexOf(v.toUpperCase());
    const n = i >= 0 ? i + base : Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new ScheduleExpressionError(`${expression}: "${v}" is not within ${min}-${max}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`${expression}: step "${stepText}" must be a positive integer`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

/** UTC offset of `zone` at `ms`, in ms (local = utc + offset). */
function offsetMs(zone: string, ms: number): number {
  if (zone === 'UTC') return 0;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of a wall-clock time in `zone` (two passes settle daylight-saving changes). */
function fromLocal(zone: string, localMs: number): number {
  let utc = localMs - offsetMs(zone, localMs);
  utc = localMs - offsetMs(zone, utc);
  return utc;
}

export function parseSchedule(expression: string, timezone = 'UTC'): ScheduleSpec {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new ScheduleExpressionError(`${expression}: time zone "${timezone}" is unknown`);
  }
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = (rate[2] as string).replace(/s$/, '');
    if (n < 1) throw new ScheduleExpressionError(`${expression}: the value must be positive`);
    const period = n * (unit === 'minute' ? MINUTE_MS : unit === 'hour' ? 60 * MINUTE_MS : 24 * 60 * MINUTE_MS);
    // A rule's rate starts counting when the rule is created: the rehearsal's start.
    return { expression, next: (afterMs) => afterMs + period };
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [, y, mo, d, h, mi, s] = at.map(Number) as number[];
    const when = fromLocal(timezone, Date.UTC(y as number, (mo as number) - 1, d, h, mi, s));
    return { expression, next: (afterMs) => (when > afterMs ? when : undefined) };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw new ScheduleExpressionError(`${expression}: not rate(...), cron(...) or at(...)`);
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) throw new ScheduleExpressionError(`${expression}: cron takes 6 fields (minutes hours day-of-month month day-of-week year)`);
  const [mins, hours, doms, months, dows, years] = fields as [string, string, string, string, string, string];
  if ((doms === '?') === (dows === '?')) {
    throw new ScheduleExpressionError(`${expression}: exactly one of day-of-month and day-of-week must be ?`);
  }
  const minute = field(mins, 0, 59, [], 0, expression);
  const hour = field(hours, 0, 23, [], 0, expression);
  const dom = field(doms, 1, 31, [], 1, expression);
  const month = field(months, 1, 12, MONTHS, 1, expression);
  const dow = field(dows, 1, 7, DAYS, 1, expression);
  const year = field(years, 1970, 2199, [], 1970, expression);
  const minuteList = minute ? [...minute].sort((a, b) => a - b) : Array.from({ length: 60 }, (_, i) => i);
  const hourList = hour ? [...hour].sort((a, b) => a - b) : Array.from({ length: 24 }, (_, i) => i);
  return {
    expression,
    next(afterMs) {
      // Walk local days from the day of `afterMs` (at most ~3 years ahead).
      const startLocal = afterMs + offsetMs(timezone, afterMs);
      const day0 = Math.floor(startLocal / (24 * 60 * MINUTE_MS));
      for (let d = day0; d < day0 + 3 * 366 + 2; d++) {
        const date = new Date(d * 24 * 60 * MINUTE_MS);
        const y = date.getUTCFullYear();
        if (year && !year.has(y)) continue;
        if (month && !month.has(date.getUTCMonth() + 1)) continue;
        if (dom && !dom.has(date.getUTCDate())) continue;
        if (dow && !dow.has(date.getUTCDay() + 1)) continue;
        for (const h of hourList) {
          for (const m of minuteList) {
            const when = fromLocal(timezone, d * 24 * 60 * MINUTE_MS + h * 60 * MINUTE_MS + m * MINUTE_MS);
            if (when > afterMs) return when;
          }
        }
      }
      return undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The schedules the stack deploys, run on the virtual clock
// ---------------------------------------------------------------------------------------------

/**
 * The reconcile sweep's schedule: lib/control-plane.ts `DEFAULT_SCHEDULES.reconcile` (kept equal by
 * test/local/schedules.test.ts; local/ does not load the CDK).
 */
export const RECONCILE_SCHEDULE = 'rate(5 minutes)';

/** One schedule of the stack, by the name a scenario turns it off with. */
export interface ScheduledRule {
  /** `reconcile`, `cleanup`, or `scaling:<service>/<environment>#<rule index>`. */
  readonly name: string;
  readonly expression: string;
  readonly timezone: string;
  readonly target: { readonly kind: 'state-machine'; readonly stateMachine: 'reconcile' | 'cleanup' } | { readonly kind: 'scale'; readonly input: unknown };
}

/** A name a scenario may turn off: a rule's name, or `scaling` for every scaling schedule. */
export function scheduleNameMatches(off: string, rule: ScheduledRule): boolean {
  return off === rule.name || (off === 'scaling' && rule.name.startsWith('scaling:'));
}

/**
 * Every schedule the stack deploys for `config`: the reconcile sweep (rate(5 minutes)), the
 * cleanup at `cleanupSchedule` (none when `off`), and one EventBridge Scheduler schedule per
 * scheduled scaling rule (functions/core/scaling.ts `scalingSchedules`, with its time zone).
 */
export function stackSchedules(
  config: { readonly cleanupSchedule: string },
  scaling: ReadonlyArray<{ service: string; environment: string; ruleIndex: number; schedule: string; timezone: string; input: unknown }>,
): ScheduledRule[] {
  return [RECONCILE_RULE, ...maintenanceSchedules(config, scaling)];
}

/** The reconcile sweep's rule (the deploy path's schedule). */
export const RECONCILE_RULE: ScheduledRule = {
  name: 'reconcile',
  expression: RECONCILE_SCHEDULE,
  timezone: 'UTC',
  target: { kind: 'state-machine', stateMachine: 'reconcile' },
};

/** The cleanup (unless `off`) and the scheduled scaling rules (maintenance's schedules). */
export function maintenanceSchedules(
  config: { readonly cleanupSchedule: string },
  scaling: ReadonlyArray<{ service: string; environment: string; ruleIndex: number; schedule: string; timezone: string; input: unknown }>,
): ScheduledRule[] {
  const rules: ScheduledRule[] = [];
  if (config.cleanupSchedule !== 'off') {
    rules.push({ name: 'cleanup', expression: config.cleanupSchedule, timezone: 'UTC', target: { kind: 'state-machine', stateMachine: 'cleanup' } });
  }
  for (const s of scaling) {
    rules.push({ name: `scaling:${s.service}/${s.environment}#${s.ruleIndex}`, expression: s.schedule, timezone: s.timezone, target: { kind: 'scale', input: s.input } });
  }
  return rules;
}

export interface ScheduleClock {
  now(): number;
  at(atMs: number, fn: () => void | Promise<void>, options?: { label?: string; background?: boolean }): () => void;
}

/**
 * Fire every rule not turned off, as EventBridge would, on background timers (they never keep a
 * run alive on their own: a run ends when nothing but schedules is left). Returns the rules that
 * run and a way to stop them. Unknown names in `off` are an error naming them.
 */
export function runSchedules(
  clock: ScheduleClock,
  rules: readonly ScheduledRule[],
  off: readonly string[],
  fire: (rule: ScheduledRule, atMs: number) => void,
): { readonly running: readonly ScheduledRule[]; stop(): void } {
  const unknown = off.filter((o) => o !== 'scaling' && !rules.some((r) => r.name === o));
  if (unknown.length > 0) {
    throw new ScheduleExpressionError(
      `schedulesOff: ${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a schedule of this stack; its schedules: ${rules.map((r) => r.name).join(', ')}, scaling`,
    );
  }
  const running = rules.filter((r) => !off.some((o) => scheduleNameMatches(o, r)));
  const cancels: Array<() => void> = [];
  let stopped = false;
  for (const rule of running) {
    const spec = parseSchedule(rule.expression, rule.timezone);
    const arm = (afterMs: number) => {
      const next = spec.next(afterMs);
      if (next === undefined || stopped) return;
      cancels.push(
        clock.at(
          next,
          () => {
            fire(rule, next);
            arm(next);
          },
          { label: `schedule ${rule.name}`, background: true },
        ),
      );
    };
    arm(clock.now());
  }
  return {
    running,
    stop() {
      stopped = true;
      for (const c of cancels.splice(0)) c();
    },
  };
}
