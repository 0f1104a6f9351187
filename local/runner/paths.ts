/** ASL reference paths (`$.a.b[0]`, `$$.Execution.Id`), read at run time (Wait, timeouts, Map items). */
import { LocalRuntimeError } from './errors.js';
import { isObject } from './json.js';
import type { Json, JsonObject } from './types.js';

/**
 * Read an ASL reference path (`$.a.b[0]`, `$['a']`, `$$.Execution.Id`) from the input or the context.
 * Returns undefined when the path does not point to a value.
 */
export function readReferencePath(path: string, input: unknown, context: unknown): unknown {
  let cur: unknown;
  let rest: string;
  if (path.startsWith('$$')) {
    cur = context;
    rest = path.slice(2);
  } else if (path.startsWith('$')) {
    cur = input;
    rest = path.slice(1);
  } else {
    throw new LocalRuntimeError(`'${path}' is not a reference path`);
  }
  const re = /^(?:\.([^.[\]]+)|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]|\[\s*(\d+)\s*\])/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) throw new LocalRuntimeError(`'${path}' is not a supported reference path`);
    rest = rest.slice(m[0].length);
    const key = m[1] ?? m[2] ?? m[3];
    if (key !== undefined) {
      if (!isObject(cur as Json)) return undefined;
      cur = (cur as JsonObject)[key];
    } else {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[Number(m[4])];
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}
