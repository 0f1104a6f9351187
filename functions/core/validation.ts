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

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'string') return input.length > 40 ? `a string of ${input.length} characters` : `"${input}"`;
  if (typeof input === 'object') return 'an object';
  return `${typeof input} ${String(input)}`;
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
        if (branches.length > 0) {
          // Prefer the branch with the fewest problems: it is most likely what was meant.
          const best = [...branches].sort((a, b) => a.length - b.length)[0] ?? [];
          lines.push(...formatIssues(best, [...prefix, ...issue.path]));
        } else if ('note' in issue && issue.note === 'No matching discriminator') {
          lines.push(
            `${path}: ${custom ?? `${describeInput(issue.input)} does not name a known variant${issue.discriminator ? ` (check "${issue.discriminator}")` : ''}`}`,
          );
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
