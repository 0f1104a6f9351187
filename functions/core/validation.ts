/**
 * Turning schema issues into messages a person can act on: `path: what is wrong; what is allowed`.
 * zod/mini ships no locale (that is what keeps it small), so the wording is ours.
 */
import type * as z from 'zod/mini';
import { ValidationError } from './errors.js';

type Issue = z.core.$ZodIssue;

/** `services[0].strategy.percent` from `['services', 0, 'strategy', 'percent']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Longest part of a received string that a message quotes; the rest is summarised. */
const QUOTE_MAX = 40;

/**
 * What was received, for a message: the type, and a short escaped value. A string is quoted with
 * JSON escapes (so a newline or a control character shows as `\n`, not as a broken line) and cut
 * at {@link QUOTE_MAX} characters with its full length. `undefined` means the key is absent: the
 * callers say "is required" for that; where an issue carries no input at all, "the value" stands in.
 */
export function describeInput(input: unknown): string {
  if (input === undefined) return 'the value';
  if (input === null) return 'null';
  if (Array.isArray(input)) return `an array of ${input.length} item${input.length === 1 ? '' : 's'}`;
  if (typeof input === 'string') {
    if (input.length === 0) return 'an empty string';
    if (input.length <= QUOTE_MAX) return JSON.stringify(input);
    return `${JSON.stringify(input.slice(0, QUOTE_MAX)).slice(0, -1)}…" (${input.length} characters)`;
  }
  if (typeof input === 'object') return 'an object';
  if (typeof input === 'number' || typeof input === 'boolean' || typeof input === 'bigint') return `${typeof input} ${String(input)}`;
  return `a ${typeof input}`;
}

/**
 * A discriminated union whose tag matched no variant: say what the tag held and list the tags
 * allowed (zod puts them on the issue as `options`; the issue's input is the whole object).
 */
function discriminatorLine(path: string, issue: Issue & { code: 'invalid_union' }): string {
  const extra = issue as { discriminator?: string; options?: readonly unknown[] };
  const input = issue.input;
  const tag =
    extra.discriminator !== undefined && typeof input === 'object' && input !== null && !Array.isArray(input)
      ? (input as Record<string, unknown>)[extra.discriminator]
      : input;
  const allowed = extra.options && extra.options.length > 0 ? `; allowed: ${extra.options.map((o) => JSON.stringify(o)).join(', ')}` : '';
  if (tag === undefined) return `${path}: is required${allowed}`;
  return `${path}: ${describeInput(tag)} does not name a known variant${allowed}`;
}

/** One line per issue. Unions report the branch that got furthest. */
export function formatIssues(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = formatPath([...prefix, ...issue.path]);
    const custom = issue.message && issue.message !== 'Invalid input' ? issue.message : undefined;
    switch (issue.code) {
      case 'invalid_type':
        lines.push(
          issue.input === undefined
            ? `${path}: is required (expected ${issue.expected})`
            : `${path}: expected ${issue.expected}, got ${describeInput(issue.input)}`,
        );
        break;
      case 'too_big':
        lines.push(
          `${path}: ${describeInput(issue.input)} is too ${issue.origin === 'array' || issue.origin === 'string' ? 'long' : 'large'}; allowed at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`,
        );
        break;
      case 'too_small':
        lines.push(
          custom
            ? `${path}: ${custom}`
            : `${path}: ${describeInput(issue.input)} is too ${issue.origin === 'array' || issue.origin === 'string' ? 'short' : 'small'}; allowed at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`,
        );
        break;
      case 'invalid_format':
        lines.push(`${path}: ${describeInput(issue.input)} ${custom ?? `is not a valid ${issue.format}`}`);
        break;
      case 'unrecognized_keys':
        lines.push(`${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove or fix the spelling`);
        break;
      case 'invalid_value':
        lines.push(
          `${path}: ${describeInput(issue.input)} is not allowed; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        );
        break;
      case 'invalid_union': {
        const branches = issue.errors ?? [];
        if (custom && branches.length > 0) {
          // The schema recognised the mistake (e.g. two shapes mixed in one object) and says so.
          lines.push(`${path}: ${custom}`);
        } else if (branches.length > 0) {
          // Prefer the branch with the fewest problems: it is most likely what was meant.
          const best = [...branches].sort((a, b) => a.length - b.length)[0] ?? [];
          lines.push(...formatIssues(best, [...prefix, ...issue.path]));
        } else if ('note' in issue && issue.note === 'No matching discriminator') {
          lines.push(custom ? `${path}: ${custom}` : discriminatorLine(path, issue));
        } else {
          lines.push(`${path}: ${custom ?? 'matches none of the allowed shapes'}`);
        }
        break;
      }
      case 'not_multiple_of':
        lines.push(`${path}: must be a multiple of ${String(issue.divisor)}`);
        break;
      default:
        lines.push(`${path}: ${custom ?? 'is invalid'}`);
    }
  }
  return lines;
}

/** Parse with a schema or throw a {@link ValidationError} naming every bad field. */
export function parseOrThrow<T extends z.ZodMiniType>(schema: T, input: unknown, what: string): z.output<T> {
  // `reportInput` puts the offending value on each issue, so messages can say what was found.
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ValidationError(what, formatIssues(result.error.issues));
  return result.data;
}
