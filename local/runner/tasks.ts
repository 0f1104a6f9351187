/**
 * Binding Task (and rewritten Wait) states: the function the executor calls for a bound state, which
 * waits for the event log and hooks, refuses stragglers of a failed Map, checks the payload quota,
 * and runs the Task with the runner's own retries (backoff on the virtual clock).
 */
import { runCallbackAttempt } from './callbacks.js';
import { type Binding, INPUT_KEY, PARAMS_KEY, type StateMeta } from './compile.js';
import { deferred, nextTurn } from './deferred.js';
import { ExecutionClosedSignal, LocalRuntimeError, errorNameOf, isUncatchable } from './errors.js';
import type { CancelableTimer, Execution } from './records.js';
import { countHistory } from './history.js';
import { invokeTarget } from './invoke.js';
import { isObject } from './json.js';
import { StatesDataLimitError, dataLimitMessage, measure } from './limits.js';
import { decideRetry } from './retries.js';
import type { RunnerState } from './state.js';
import { positiveSeconds, runWait, sleep, statesTimeoutError } from './timers.js';
import { ExecutionStatus, type Json } from './types.js';

/** The local function the executor calls for a bound state of one execution. */
export function bind(rt: RunnerState, exec: Execution, meta: StateMeta): (wrapped: Json) => Promise<Json> {
  return (wrapped) => {
    const result = deferred<Json>();
    const lingering: Promise<unknown>[] = [];
    void rt.clock.track(`${exec.name} › ${meta.path}`, async () => {
      try {
        result.resolve(await runBoundState(rt, exec, meta, wrapped, lingering));
      } catch (e) {
        result.reject(e);
      }
      // A function still running after its task timed out keeps the clock from moving under it.
      await Promise.allSettled(lingering);
    });
    return result.promise;
  };
}

function assertRunning(exec: Execution): void {
  if (exec.status !== ExecutionStatus.Running) throw new ExecutionClosedSignal(`execution ${exec.executionArn} is ${exec.status}`);
}

async function runBoundState(rt: RunnerState, exec: Execution, meta: StateMeta, wrapped: Json, lingering: Promise<unknown>[]): Promise<Json> {
  assertRunning(exec);
  // Let the event log and the state hooks of this execution catch up before anything runs.
  await nextTurn();
  // A Map's exit waiting for its iterations' results may still fail the execution (payload quota).
  await exec.barrier;
  await exec.hookChain;
  assertRunning(exec);
  // A straggling iteration of a Map (or branch of a Parallel) that already failed: AWS would not run it.
  const scopes = meta.path.split(' > ').slice(0, -1).map((p) => p.replace(/\[\d+\]$/, ''));
  const failed = scopes.find((scope) => exec.failedScopes.has(scope));
  if (failed !== undefined) throw new ExecutionClosedSignal(`${meta.path}: ${failed} already failed; its remaining iterations do not run`);
  const w = isObject(wrapped) ? wrapped : {};
  const input = (w[INPUT_KEY] ?? null) as Json;
  const params = (PARAMS_KEY in w ? w[PARAMS_KEY] : input) as Json;
  const binding = meta.binding;
  if (!binding) throw new LocalRuntimeError(`state ${meta.path} has no binding`);
  switch (binding.kind) {
    case 'wait':
      await runWait(rt, exec, meta, input);
      return input;
    case 'guard':
      // Reached only by iterations of a Map that has not failed (the scope check above).
      return input;
    case 'task': {
      // States.DataLimitExceeded "when, after Parameters processing, the input of a state is larger
      // than the payload size quota" and "when the output of a connector is larger than the payload
      // size quota" (error-handling page). Neither is retried; only a Catch that names the error
      // explicitly catches it (States.ALL and States.TaskFailed do not).
      if (!measure(exec, params)) throw new StatesDataLimitError(meta, dataLimitMessage(meta.name, 'input'));
      const result = await runTask(rt, exec, meta, binding, input, params, lingering);
      if (!measure(exec, result)) throw new StatesDataLimitError(meta, dataLimitMessage(meta.name, 'result'));
      return result;
    }
  }
}

async function runTask(
  rt: RunnerState,
  exec: Execution,
  meta: StateMeta,
  binding: Extract<Binding, { kind: 'task' }>,
  input: Json,
  params: Json,
  lingering: Promise<unknown>[],
): Promise<Json> {
  const attempts = meta.retriers.map(() => 0);
  for (;;) {
    try {
      return await runTaskAttempt(rt, exec, meta, binding, input, params, lingering);
    } catch (e) {
      assertRunning(exec);
      if (isUncatchable(e)) throw e;
      const name = errorNameOf(e);
      const decision = decideRetry(meta.retriers, attempts, name, rt.random);
      if (!decision) throw e;
      exec.transitions++;
      exec.retries++;
      exec.history.push({
        kind: 'StateRetried',
        at: rt.clock.now(),
        stateName: meta.name,
        stateType: meta.type,
        attempt: decision.attempt,
        delayMs: decision.delayMs,
        error: name,
      });
      if (decision.delayMs > 0) await sleep(rt, exec, decision.delayMs, `${exec.name} › ${meta.path} retry backoff`);
      assertRunning(exec);
    }
  }
}

async function runTaskAttempt(
  rt: RunnerState,
  exec: Execution,
  meta: StateMeta,
  binding: Extract<Binding, { kind: 'task' }>,
  input: Json,
  params: Json,
  lingering: Promise<unknown>[],
): Promise<Json> {
  // States.Runtime (neither retried nor caught) when a TimeoutSecondsPath / HeartbeatSecondsPath
  // does not select a positive integer: both fields take "a positive, non-zero integer" (Amazon
  // States Language, Task state: https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html;
  // "States.Runtime" on the error-handling page).
  const timeoutS = positiveSeconds(meta, exec, input, 'TimeoutSeconds');
  const heartbeatS = positiveSeconds(meta, exec, input, 'HeartbeatSeconds');
  // TaskScheduled, TaskStarted (and TaskSubmitted for a callback), then its outcome: see MAX_HISTORY_EVENTS.
  if (!countHistory(rt, exec, binding.callback ? 4 : 3)) throw new ExecutionClosedSignal(`execution ${exec.executionArn} is ${exec.status}`);
  if (binding.callback) {
    return runCallbackAttempt(rt, exec, meta, binding, params, timeoutS, heartbeatS, lingering);
  }
  const invoked = invokeTarget(rt, exec, meta, binding, params, undefined);
  if (timeoutS === undefined) return await invoked;
  const timedOut = deferred<never>();
  const cancel = rt.clock.at(
    rt.clock.now() + timeoutS * 1000,
    () => timedOut.reject(statesTimeoutError('States.Timeout', `${meta.name} timed out after ${timeoutS} s`)),
    { label: `${exec.name} › ${meta.path} timeout` },
  );
  const timer: CancelableTimer = { cancel };
  exec.timers.add(timer);
  try {
    return await Promise.race([invoked, timedOut.promise]);
  } catch (e) {
    lingering.push(invoked.catch(() => undefined));
    throw e;
  } finally {
    cancel();
    exec.timers.delete(timer);
  }
}
