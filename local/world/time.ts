/**
 * The date and number spellings AWS uses in events and alarm reasons.
 */
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2019-10-02T17:04:40Z` (EventBridge envelope `time`). */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `2019-10-02T17:04:40.989+0000` (CloudWatch alarm timestamps). */
export function cwTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}+0000`;
}

/** `02/10/19 16:59:00` (datapoint times inside an alarm reason). */
export function reasonDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** `Sunday 30 October, 2022 20:47:35 UTC` (composite alarm reasons). */
export function longDate(ms: number): string {
  const d = new Date(ms);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}, ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** A number as Java's Double.toString spells it in CloudWatch reasons: `50.0`, `99.50160229693434`. */
export function javaDouble(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e7 || a < 1e-3)) {
    const [m, e] = x.toExponential().split('e') as [string, string];
    return `${m.includes('.') ? m : `${m}.0`}E${Number(e)}`;
  }
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

export const MINUTE_MS = 60_000;
export const floorTo = (ms: number, step: number): number => Math.floor(ms / step) * step;
