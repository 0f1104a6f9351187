/**
 * Time on the virtual clock: Wait states, sleeps (Wait, retry backoff) that the execution's end
 * cancels, TimeoutSeconds / HeartbeatSeconds (literal or path) of Task states,
 * and the executor's own States.Timeout class (so that States.TaskFailed does not match a timeout).
 */
import '../polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { LAMBDA_INVOKE, type StateMeta } from './compile.js';
import { deferred } from './deferred.js';
import { LocalRuntimeError } from './errors.js';
import { readReferencePath } from './paths.js';
import type { CancelableTimer, Execution } from './records.js';
import type { RunnerState } from './state.js';
import type { Json } from './types.js';

// ---------------------------------------------------------------------------------------------------
// The executor's own States.Timeout class

/**
 * aws-local-stepfunctions only treats an error as a timeout (so that `States.TaskFailed` does not
 * match it) when it is an instance of its internal, unexported StatesTimeoutError. Obtain the class
 * once by letting a one-state machine time out after 1 real millisecond.
 */
let timeoutClass: Promise<(new () => Error) | undefined> | undefined;
export function loadTimeoutClass(): Promise<(new () => Error) | undefined> {
  timeoutClass ??= (async () => {
    const probe = new StateMachine(
      { StartAt: 'T', States: { T: { Type: 'Task', Resource: LAMBDA_INVOKE, TimeoutSeconds: 0.001, End: true } } } as unknown as StateMachineDefinition,
      { validationOptions: { noValidate: true } },
    );
    try {
      await probe.run({}, { overrides: { taskResourceLocalHandlers: { T: () => new Promise(() => {}) } } }).result;
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause;
      if (cause instanceof Error && cause.name === 'States.Timeout') return cause.constructor as new () => Error;
    }
    return undefined;
  })();
  return timeoutClass;
}
/** The executor's States.Timeout class, once found (startExecution loads it before an execution runs). */
export const executorTimeout: { ctor?: (new () => Error) | undefined } = {};

export function statesTimeoutError(name: 'States.Timeout' | 'States.HeartbeatTimeout', message: string): Error {
  const e = executorTimeout.ctor ? new executorTimeout.ctor() : new Error();
  e.name = name;
  e.message = message;
  return e;
}

export async function runWait(rt: RunnerState, exec: Execution, meta: StateMeta, input: Json): Promise<void> {
  const d = meta.definition;
  let ms: number;
  if (typeof d.Seconds === 'number') {
    ms = d.Seconds * 1000;
  } else if (typeof d.Timestamp === 'string') {
    ms = Date.parse(d.Timestamp) - rt.clock.now();
  } else if (typeof d.SecondsPath === 'string') {
    const v = readReferencePath(d.SecondsPath, input, exec.context);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new LocalRuntimeError(`${meta.path}: SecondsPath '${d.SecondsPath}' must point to a non-negative integer, got ${JSON.stringify(v)}`);
    }
    ms = v * 1000;
  } else if (typeof d.TimestampPath === 'string') {
    const v = readReferencePath(d.TimestampPath, input, exec.context);
    const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(t)) {
      throw new LocalRuntimeError(`${meta.path}: TimestampPath '${d.TimestampPath}' must point to a timestamp, got ${JSON.stringify(v)}`);
    }
    ms = t - rt.clock.now();
  } else {
    throw new LocalRuntimeError(`${meta.path}: Wait state without Seconds, SecondsPath, Timestamp or TimestampPath`);
  }
  if (Number.isNaN(ms)) throw new LocalRuntimeError(`${meta.path}: invalid Timestamp`);
  if (ms > 0) await sleep(rt, exec, ms, `${exec.name} › ${meta.path} wait`);
}

/** Sleep on the virtual clock; rejected with the close signal if the execution ends first. */
export function sleep(rt: RunnerState, exec: Execution, ms: number, label: string): Promise<void> {
  const done = deferred<void>();
  const entry: CancelableTimer = {
    cancel: rt.clock.at(
      rt.clock.now() + ms,
      () => {
        exec.timers.delete(entry);
        done.resolve();
      },
      { label },
    ),
    reject: done.reject,
  };
  exec.timers.add(entry);
  return rt.clock.blockedOn(done.promise);
}

export function positiveSeconds(meta: StateMeta, exec: Execution, input: Json, field: 'TimeoutSeconds' | 'HeartbeatSeconds'): number | undefined {
  const d = meta.definition;
  const literal = d[field];
  if (typeof literal === 'number') return literal;
  const path = d[`${field}Path`];
  if (typeof path !== 'string') return undefined;
  const v = readReferencePath(path, input, exec.context);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new LocalRuntimeError(`${meta.path}: ${field}Path '${path}' must point to a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}
