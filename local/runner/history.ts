/**
 * The execution history: the executor's event log turned into history events, transitions and hook
 * calls; history events counted against MAX_HISTORY_EVENTS; payloads measured at every state
 * (States.DataLimitExceeded); a Map's exit held until its iterations' results are in.
 */
import type { StateMeta } from './compile.js';
import { close, enqueueHook } from './executions.js';
import { MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES, dataLimitMessage, measure, payloadBytes } from './limits.js';
import { readReferencePath } from './paths.js';
import type { Execution, LibEvent } from './records.js';
import type { RunnerState } from './state.js';
import { type AslStateType, ExecutionStatus, type Json, type StateEventInfo, type StateExitedInfo } from './types.js';

/** Add history events (see MAX_HISTORY_EVENTS); false when the execution just failed on the quota. */
export function countHistory(rt: RunnerState, exec: Execution, events: number): boolean {
  if (exec.status !== ExecutionStatus.Running) return false;
  exec.historyEvents += events;
  // Event 25,000 is the ExecutionFailed event itself: fail once the states have written 24,999.
  if (exec.historyEvents < MAX_HISTORY_EVENTS) return true;
  exec.historyEvents = MAX_HISTORY_EVENTS;
  close(rt, exec, ExecutionStatus.Failed, 'States.Runtime', `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`);
  return false;
}

/** A state's payload is over the quota: the state fails with States.DataLimitExceeded, which no Catch here matches. */
function failDataLimit(rt: RunnerState, exec: Execution, meta: StateMeta, mapIndex: number | undefined, message: string): void {
  exec.history.push({
    kind: 'StateFailed',
    at: rt.clock.now(),
    stateName: meta.name,
    stateType: meta.type,
    ...(mapIndex === undefined ? {} : { mapIndex }),
    error: 'States.DataLimitExceeded',
    cause: message,
  });
  close(rt, exec, ExecutionStatus.Failed, 'States.DataLimitExceeded', message);
}

export async function consumeEvents(rt: RunnerState, exec: Execution, logs: AsyncGenerator<LibEvent>): Promise<void> {
  for await (const ev of logs) onEvent(rt, exec, ev);
  // The log closed with a Map exit still waiting for iteration results: decide with what came in.
  if (exec.deferredExit) resolveDeferredExit(rt, exec);
}

function onEvent(rt: RunnerState, exec: Execution, ev: LibEvent): void {
  // Step Functions writes nothing after an execution closed (the executor may still be unwinding).
  if (exec.status !== ExecutionStatus.Running) return;
  const deferred = exec.deferredExit;
  if (deferred && !belongsToMap(exec, ev, deferred.map, deferred.path)) {
    deferred.buffered.push(ev);
    return;
  }
  handleEvent(rt, exec, ev);
  const still = exec.deferredExit;
  if (still && still === deferred && allMapResultsIn(exec, still.map)) resolveDeferredExit(rt, exec);
}

function belongsToMap(exec: Execution, ev: LibEvent, map: string, path: string): boolean {
  if (ev.parentState) return ev.parentState.name === map;
  const meta = ev.state ? exec.machine.compiled.states.get(ev.state.name) : undefined;
  return meta?.path.startsWith(`${path} > `) === true;
}

function allMapResultsIn(exec: Execution, map: string): boolean {
  const run = exec.maps.get(map);
  return run?.expected === undefined || run.resultBytes.size >= run.expected;
}

function resolveDeferredExit(rt: RunnerState, exec: Execution): void {
  const d = exec.deferredExit;
  if (!d) return;
  exec.deferredExit = undefined;
  handleEvent(rt, exec, d.event, true);
  exec.releaseBarrier();
  for (const ev of d.buffered) onEvent(rt, exec, ev);
}

function handleEvent(rt: RunnerState, exec: Execution, ev: LibEvent, mapResultsIn = false): void {
  if (ev.type === 'MapIterationSucceeded' || ev.type === 'MapIterationFailed') {
    onIterationEnd(rt, exec, ev);
    return;
  }
  if (!ev.state) return;
  const meta = exec.machine.compiled.states.get(ev.state.name);
  if (meta?.hidden) {
    onGuardEvent(rt, exec, meta, ev);
    return;
  }
  const stateName = meta?.name ?? ev.state.name;
  const stateType = meta?.type ?? (ev.state.type as AslStateType);
  const at = rt.clock.now();
  const where = { at, stateName, stateType, ...(ev.index === undefined ? {} : { mapIndex: ev.index }) };
  const scope = stateType === 'Map' || stateType === 'Parallel';
  switch (ev.type) {
    case 'StateEntered': {
      if (scope) exec.failedScopes.delete(stateName);
      if (stateType === 'Map' && meta) exec.maps.set(meta.internalName, { expected: itemCount(exec, meta, ev.state.input), admitted: 0, resultBytes: new Map() });
      exec.transitions++;
      // <Type>StateEntered, and MapStateStarted / ParallelStateStarted.
      if (!countHistory(rt, exec, scope ? 2 : 1)) return;
      exec.open.push({ name: stateName, ...(ev.index === undefined ? {} : { mapIndex: ev.index }) });
      exec.history.push({ kind: 'StateEntered', ...where, ...(rt.recordStateData ? { input: ev.state.input as Json } : {}) });
      if (meta && !measure(exec, ev.state.input)) {
        failDataLimit(rt, exec, meta, ev.index, dataLimitMessage(stateName, 'input'));
        return;
      }
      if (rt.enteredHooks.size > 0) {
        const info: StateEventInfo = { executionArn: exec.executionArn, ...where, input: ev.state.input };
        for (const hook of rt.enteredHooks) enqueueHook(rt, exec, `onStateEntered ${stateName}`, () => hook(info));
      }
      return;
    }
    case 'StateExited': {
      if (stateType === 'Map' && meta && !mapResultsIn && !allMapResultsIn(exec, meta.internalName)) {
        // Wait for the last iterations' results (forwarded later than the Map's exit); bound states wait too.
        exec.deferredExit = { map: meta.internalName, path: meta.path, event: ev, buffered: [] };
        exec.barrier = new Promise((resolve) => {
          exec.releaseBarrier = resolve;
        });
        return;
      }
      const i = exec.open.findIndex((o) => o.name === stateName && o.mapIndex === ev.index);
      if (i >= 0) exec.open.splice(i, 1);
      if (stateType === 'Map' && meta) {
        // The collected result (a JSON array of the iterations' results) counts even when ResultPath discards it.
        const run = exec.maps.get(meta.internalName);
        exec.maps.delete(meta.internalName);
        const sizes = [...(run?.resultBytes.values() ?? [])];
        const collected = 2 + sizes.reduce((a, b) => a + b, 0) + Math.max(0, sizes.length - 1);
        if (collected > exec.largestPayloadBytes) exec.largestPayloadBytes = collected;
        if (collected > MAX_PAYLOAD_BYTES) {
          failDataLimit(rt, exec, meta, ev.index, dataLimitMessage(stateName, 'result'));
          return;
        }
      }
      if (meta && !measure(exec, ev.state.output)) {
        failDataLimit(rt, exec, meta, ev.index, dataLimitMessage(stateName, 'result'));
        return;
      }
      // <Type>StateExited, and MapStateSucceeded / ParallelStateSucceeded.
      if (!countHistory(rt, exec, scope ? 2 : 1)) return;
      exec.history.push({ kind: 'StateExited', ...where, ...(rt.recordStateData ? { output: ev.state.output as Json } : {}) });
      if (rt.exitedHooks.size > 0) {
        const info: StateExitedInfo = { executionArn: exec.executionArn, ...where, input: ev.state.input, output: ev.state.output };
        for (const hook of rt.exitedHooks) enqueueHook(rt, exec, `onStateExited ${stateName}`, () => hook(info));
      }
      return;
    }
    case 'StateFailed': {
      // A failed state is no longer open (a Map/Parallel retry re-opens it below).
      const i = exec.open.findIndex((o) => o.name === stateName && o.mapIndex === ev.index);
      if (i >= 0) exec.open.splice(i, 1);
      exec.lastFailure.set(stateName, ev.Error ?? 'Error');
      if (scope) exec.failedScopes.add(stateName);
      if (stateType === 'Map' && meta) exec.maps.delete(meta.internalName);
      // MapStateFailed / ParallelStateFailed (a Task's failure is its attempt's TaskFailed).
      if (scope && !countHistory(rt, exec, 1)) return;
      exec.history.push({
        kind: 'StateFailed',
        ...where,
        error: ev.Error ?? 'Error',
        ...(typeof ev.Cause === 'string' ? { cause: ev.Cause } : {}),
      });
      return;
    }
    case 'StateRetried':
      // Only Map/Parallel retries come from the executor (Task retries are the runner's own).
      exec.transitions++;
      exec.retries++;
      if (!countHistory(rt, exec, 1)) return;
      exec.open.push({ name: stateName, ...(ev.index === undefined ? {} : { mapIndex: ev.index }) });
      exec.history.push({
        kind: 'StateRetried',
        ...where,
        attempt: ev.retry?.attempt ?? 0,
        delayMs: 0,
        error: exec.lastFailure.get(stateName) ?? 'Error',
      });
      return;
    case 'StateCaught':
      exec.history.push({ kind: 'StateCaught', ...where, next: ev.catch?.catcher.Next ?? '' });
      return;
    default:
      return;
  }
}

/** The iteration guard: an iteration it let through starts (MapIterationStarted); its input is the item. */
function onGuardEvent(rt: RunnerState, exec: Execution, meta: StateMeta, ev: LibEvent): void {
  if (meta.binding?.kind !== 'guard' || ev.index === undefined) return;
  const mapMeta = exec.machine.compiled.states.get(meta.binding.map);
  const run = exec.maps.get(meta.binding.map);
  if (ev.type === 'StateEntered' && mapMeta && !measure(exec, ev.state?.input)) {
    failDataLimit(rt, exec, mapMeta, undefined, `${dataLimitMessage(mapMeta.name, 'input')} (item ${ev.index})`);
    return;
  }
  if (ev.type === 'StateExited' && run) {
    run.admitted++;
    countHistory(rt, exec, 1);
  }
}

function onIterationEnd(rt: RunnerState, exec: Execution, ev: LibEvent): void {
  const map = ev.parentState?.name;
  const run = map === undefined ? undefined : exec.maps.get(map);
  if (!run || ev.index === undefined) return;
  if (ev.type === 'MapIterationFailed') {
    // The Map fails at its first failed iteration: nothing more of it runs (see the guard). A
    // straggler the guard refused fails too, after the first: Step Functions never ran it.
    const meta = exec.machine.compiled.states.get(map as string);
    if (!meta || exec.failedScopes.has(meta.name)) return;
    exec.failedScopes.add(meta.name);
  } else {
    run.resultBytes.set(ev.index, payloadBytes(ev.output));
  }
  countHistory(rt, exec, 1);
}

/** How many items a Map state iterates over (InputPath, then ItemsPath); undefined if unknown. */
function itemCount(exec: Execution, meta: StateMeta, rawInput: unknown): number | undefined {
  try {
    const d = meta.definition;
    let input = rawInput;
    if (typeof d.InputPath === 'string') input = readReferencePath(d.InputPath, input, exec.context);
    const items = typeof d.ItemsPath === 'string' ? readReferencePath(d.ItemsPath, input, exec.context) : input;
    return Array.isArray(items) ? items.length : undefined;
  } catch {
    return undefined;
  }
}
