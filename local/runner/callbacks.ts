/**
 * Callback tasks (`.waitForTaskToken`): a fresh token in place of the sentinel, the task parked under
 * it until SendTaskSuccess / SendTaskFailure, its timeout and heartbeat on the virtual clock, closed
 * tokens remembered (a later call answers TaskTimedOut, or is ignored with `ignore-duplicates`).
 */
import { type Binding, type StateMeta, TASK_TOKEN_SENTINEL } from './compile.js';
import { deferred } from './deferred.js';
import { SfnApiError, SfnApiErrorName } from './errors.js';
import { invokeTarget } from './invoke.js';
import { mapStrings } from './json.js';
import type { Execution, ParkedTask } from './records.js';
import type { RunnerState } from './state.js';
import { statesTimeoutError } from './timers.js';
import type { Json, TokenOutcome } from './types.js';

function replaceToken(value: Json, token: string): Json {
  return mapStrings(value, (s) => (s.includes(TASK_TOKEN_SENTINEL) ? s.split(TASK_TOKEN_SENTINEL).join(token) : s));
}

export async function runCallbackAttempt(
  rt: RunnerState,
  exec: Execution,
  meta: StateMeta,
  binding: Extract<Binding, { kind: 'task' }>,
  params: Json,
  timeoutS: number | undefined,
  heartbeatS: number | undefined,
  lingering: Promise<unknown>[],
): Promise<Json> {
  rt.tokenSeq++;
  const token = `local-task-token-${String(rt.tokenSeq).padStart(6, '0')}`;
  const task: ParkedTask = { token, exec, meta, outcome: deferred<Json>(), timers: [] };
  // Register before the function runs: it may settle its own token before it returns.
  rt.parked.set(token, task);
  exec.history.push({ kind: 'TaskTokenIssued', at: rt.clock.now(), stateName: meta.name, token });
  const tokenOutcome = task.outcome.promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (timeoutS !== undefined) {
    task.timers.push(
      rt.clock.at(
        rt.clock.now() + timeoutS * 1000,
        () => closeTask(rt, task, 'timed-out', { error: statesTimeoutError('States.Timeout', `${meta.name} timed out after ${timeoutS} s`) }),
        { label: `${exec.name} › ${meta.path} timeout` },
      ),
    );
  }
  if (heartbeatS !== undefined) {
    task.heartbeatMs = heartbeatS * 1000;
    armHeartbeat(rt, task);
  }
  const invoked = invokeTarget(rt, exec, meta, binding, replaceToken(params, token), token).then(
    () => ({ fn: true as const, ok: true as const }),
    (error: unknown) => ({ fn: true as const, ok: false as const, error }),
  );
  const first = await Promise.race([invoked, tokenOutcome.then((o) => ({ fn: false as const, ...o }))]);
  if (first.fn) {
    if (!first.ok && !task.closed) {
      closeTask(rt, task, 'failed', { error: first.error });
    }
  } else {
    lingering.push(invoked);
  }
  // The function returned (or the token was settled while it ran): wait for the callback.
  const outcome = await rt.clock.blockedOn(tokenOutcome);
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

export function armHeartbeat(rt: RunnerState, task: ParkedTask): void {
  task.cancelHeartbeat?.();
  const ms = task.heartbeatMs as number;
  const cancel = rt.clock.at(
    rt.clock.now() + ms,
    () =>
      closeTask(rt, task, 'heartbeat-timed-out', {
        error: statesTimeoutError('States.HeartbeatTimeout', `${task.meta.name}: no heartbeat for ${ms / 1000} s`),
      }),
    { label: `${task.exec.name} › ${task.meta.path} heartbeat` },
  );
  task.cancelHeartbeat = cancel;
}

/** The open task for a token, or: undefined (ignored duplicate) / TaskTimedOut / TaskDoesNotExist. */
export function openTask(rt: RunnerState, token: string): ParkedTask | undefined {
  const task = rt.parked.get(token);
  if (task) return task;
  const closed = rt.closed.get(token);
  if (closed === undefined) throw new SfnApiError(SfnApiErrorName.TaskDoesNotExist, 'Task Does Not Exist');
  if (rt.closedTokens === 'ignore-duplicates' && (closed === 'succeeded' || closed === 'failed')) return undefined;
  throw new SfnApiError(SfnApiErrorName.TaskTimedOut, `Task Timed Out: the task is already closed (${closed})`);
}

export function closeTask(rt: RunnerState, task: ParkedTask, outcome: TokenOutcome, result: { value: Json } | { error: unknown }): void {
  if (task.closed) return;
  task.closed = outcome;
  for (const cancel of task.timers) cancel();
  task.cancelHeartbeat?.();
  rt.parked.delete(task.token);
  rt.closed.set(task.token, outcome);
  task.exec.history.push({ kind: 'TaskTokenClosed', at: rt.clock.now(), stateName: task.meta.name, token: task.token, outcome });
  if ('value' in result) task.outcome.resolve(result.value);
  else task.outcome.reject(result.error);
}

/** Tokens of callback tasks waiting for SendTaskSuccess/Failure. */
export function openTaskTokens(rt: RunnerState): Array<{ token: string; executionArn: string; stateName: string }> {
  return [...rt.parked.values()].map((t) => ({ token: t.token, executionArn: t.exec.executionArn, stateName: t.meta.name }));
}
