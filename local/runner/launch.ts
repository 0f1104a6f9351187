/**
 * Launching an execution on the executor: its bound handlers, its event log consumed, its
 * TimeoutSeconds on the virtual clock, its end.
 */
import type { RunOptions } from 'aws-local-stepfunctions';
import { close, finish } from './executions.js';
import { consumeEvents } from './history.js';
import type { Execution, HandlerMap, LibEvent, LibJson } from './records.js';
import type { RunnerState } from './state.js';
import { bind } from './tasks.js';
import { ExecutionStatus, type Json } from './types.js';

export function launch(rt: RunnerState, exec: Execution, input: Json): void {
  const sm = exec.machine;
  const handlers: HandlerMap = {};
  for (const meta of sm.compiled.states.values()) {
    if (meta.binding) handlers[meta.internalName] = bind(rt, exec, meta) as HandlerMap[string];
  }
  const run = rt.clock.detached(() =>
    sm.machine.run(input as LibJson, {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: { ...sm.compiled.retryIntervalOverrides } },
      context: exec.context as RunOptions['context'],
    }),
  );
  exec.abort = run.abort;
  const consumed = rt.clock.detached(() => consumeEvents(rt, exec, run.eventLogs as AsyncGenerator<LibEvent>));
  if (sm.compiled.timeoutSeconds !== undefined) {
    const cancel = rt.clock.at(
      exec.startMs + sm.compiled.timeoutSeconds * 1000,
      () => {
        if (exec.status === ExecutionStatus.Running) close(rt, exec, ExecutionStatus.TimedOut, 'States.Timeout', 'execution timed out');
      },
      { label: `${exec.name} execution timeout` },
    );
    exec.timers.add({ cancel });
  }
  void Promise.allSettled([run.result, consumed]).then(([result]) => finish(rt, exec, result as PromiseSettledResult<unknown>));
}
