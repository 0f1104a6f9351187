/**
 * The runner's runtime records (machines, executions, Map runs, parked callback tasks, executor
 * events) and the read-only snapshot of an execution.
 */
import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';
import type { CompiledDefinition, StateMeta } from './compile.js';
import type { Deferred } from './deferred.js';
import type { ExecutionRecord, ExecutionStatus, HistoryEvent, Json, JsonObject, TokenOutcome } from './types.js';

export interface RegisteredMachine {
  readonly name: string;
  readonly arn: string;
  readonly compiled: CompiledDefinition;
  readonly machine: StateMachine;
}

export interface CancelableTimer {
  readonly cancel: () => void;
  readonly reject?: (e: unknown) => void;
}

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly machine: RegisteredMachine;
  readonly context: JsonObject;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  readonly startMs: number;
  stopMs?: number;
  transitions: number;
  retries: number;
  lambdaInvocations: number;
  readonly history: HistoryEvent[];
  readonly open: Array<{ name: string; mapIndex?: number }>;
  /** Last error of each state the executor reported failed (names its own Map/Parallel retries). */
  readonly lastFailure: Map<string, string>;
  /**
   * Map and Parallel states that failed and were not entered again. aws-local-stepfunctions keeps
   * starting queued Map iterations after one failed (p-limit does not cancel them): in AWS the Map
   * stops, so Task states of a failed scope must not run (see runBoundState).
   */
  readonly failedScopes: Set<string>;
  readonly timers: Set<CancelableTimer>;
  abort: () => void;
  hookChain: Promise<void>;
  /** Events Step Functions would have written so far (see MAX_HISTORY_EVENTS). */
  historyEvents: number;
  largestPayloadBytes: number;
  /** Per Map state (internal name), while it runs: its iterations and the size of their results. */
  readonly maps: Map<string, MapRun>;
  /**
   * A Map's StateExited that arrived before its last iterations' results (the executor forwards
   * iteration events asynchronously): later events wait in `buffered` until they are in.
   */
  deferredExit?: { readonly map: string; readonly path: string; readonly event: LibEvent; readonly buffered: LibEvent[] };
  /** Resolved when no Map exit is deferred; bound states wait for it before they run. */
  barrier: Promise<void>;
  releaseBarrier: () => void;
}

export interface MapRun {
  /** Number of items (undefined when the runner cannot tell). */
  readonly expected: number | undefined;
  /**
   * How many iterations the guard let through. A count, not indices: inside a nested Map the
   * executor reports a state's `index` as the outer iteration's, while the iteration events
   * (MapIterationStarted/Succeeded/Failed) carry the inner one.
   */
  admitted: number;
  /** UTF-8 bytes of each finished iteration's result, by index. */
  readonly resultBytes: Map<number, number>;
}

export interface ParkedTask {
  readonly token: string;
  readonly exec: Execution;
  readonly meta: StateMeta;
  readonly outcome: Deferred<Json>;
  readonly timers: Array<() => void>;
  heartbeatMs?: number;
  cancelHeartbeat?: () => void;
  closed?: TokenOutcome;
}

export interface LibEvent {
  readonly type: string;
  readonly output?: unknown;
  readonly parentState?: { readonly name: string; readonly type: string };
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly index?: number;
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly retry?: { readonly attempt: number };
  readonly catch?: { readonly catcher: { readonly Next: string } };
}

export type HandlerMap = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
export type LibJson = Parameters<StateMachine['run']>[0];

export function snapshot(e: Execution): ExecutionRecord {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    input: e.input,
    status: e.status,
    ...(e.output === undefined ? {} : { output: e.output }),
    ...(e.error === undefined ? {} : { error: e.error }),
    ...(e.cause === undefined ? {} : { cause: e.cause }),
    startMs: e.startMs,
    ...(e.stopMs === undefined ? {} : { stopMs: e.stopMs }),
    transitions: e.transitions,
    retries: e.retries,
    lambdaInvocations: e.lambdaInvocations,
    historyEvents: e.historyEvents,
    largestPayloadBytes: e.largestPayloadBytes,
    history: [...e.history],
    statesEntered: e.history.flatMap((h) =>
      h.kind === 'StateEntered'
        ? [{ name: h.stateName, type: h.stateType, at: h.at, ...(h.mapIndex === undefined ? {} : { mapIndex: h.mapIndex }) }]
        : [],
    ),
    openStates: e.open.map((o) => o.name),
  };
}
