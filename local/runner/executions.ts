/**
 * An execution's end: how it finishes (from the executor's result), how it is closed from outside,
 * its timers and tokens torn down, its hooks run in order.
 */
import '../polyfills.js';
import { ExecutionAbortedError, ExecutionError } from 'aws-local-stepfunctions';
import { closeTask } from './callbacks.js';
import { ExecutionClosedSignal, errorMessageOf, errorNameOf } from './errors.js';
import { MAX_HISTORY_EVENTS } from './limits.js';
import { type Execution, snapshot } from './records.js';
import type { RunnerState } from './state.js';
import { ExecutionStatus } from './types.js';

export function enqueueHook(rt: RunnerState, exec: Execution, label: string, run: () => void | Promise<void>): void {
  exec.hookChain = exec.hookChain
    .then(() => rt.clock.detached(() => rt.clock.track(`${exec.name} ${label}`, run)))
    .catch((error: unknown) => rt.recordError(`${exec.name} ${label}`, error));
}

export function finish(rt: RunnerState, exec: Execution, result: PromiseSettledResult<unknown>): void {
  if (exec.status === ExecutionStatus.Running) {
    exec.stopMs = rt.clock.now();
    // ExecutionSucceeded / ExecutionFailed.
    exec.historyEvents = Math.min(MAX_HISTORY_EVENTS, exec.historyEvents + 1);
    if (result.status === 'fulfilled') {
      exec.status = ExecutionStatus.Succeeded;
      exec.output = JSON.stringify(result.value ?? null);
    } else {
      exec.status = ExecutionStatus.Failed;
      const reason = result.reason;
      const inner: unknown = reason instanceof ExecutionError ? reason.cause : reason;
      if (reason instanceof ExecutionAbortedError) {
        exec.error = 'States.Runtime';
        exec.cause = 'execution aborted by the executor';
      } else {
        const name = errorNameOf(inner);
        const message = errorMessageOf(inner);
        // A Fail state without Error/Cause: the executor fills in placeholders.
        if (name !== 'FailStateError') exec.error = name;
        if (message !== 'Execution failed because of a Fail state') exec.cause = message;
      }
    }
  }
  teardown(rt, exec);
  exec.open.length = 0;
  if (rt.finishedHooks.size > 0) {
    for (const hook of rt.finishedHooks) enqueueHook(rt, exec, 'onExecutionFinished', () => hook(snapshot(exec)));
  }
}

/** Stop an execution from outside (StopExecution, execution timeout). */
export function close(rt: RunnerState, exec: Execution, status: ExecutionStatus, error: string | undefined, cause: string | undefined): void {
  // ExecutionFailed / ExecutionAborted / ExecutionTimedOut (already counted when the history quota closed it).
  exec.historyEvents = Math.min(MAX_HISTORY_EVENTS, exec.historyEvents + 1);
  exec.status = status;
  exec.stopMs = rt.clock.now();
  if (error !== undefined) exec.error = error;
  if (cause !== undefined) exec.cause = cause;
  exec.abort();
  teardown(rt, exec);
}

/** Cancel the execution's timers and close its open task tokens; pending bindings unwind. */
function teardown(rt: RunnerState, exec: Execution): void {
  const signal = new ExecutionClosedSignal(`execution ${exec.executionArn} is ${exec.status}`);
  for (const t of exec.timers) {
    t.cancel();
    t.reject?.(signal);
  }
  exec.timers.clear();
  for (const task of [...rt.parked.values()]) {
    if (task.exec === exec) closeTask(rt, task, 'aborted', { error: signal });
  }
}
