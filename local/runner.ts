/**
 * The local runner: executes real Amazon States Language definitions with aws-local-stepfunctions
 * 3.0.0, binds every Task state to local functions (the real handlers), and runs everything on the
 * virtual clock. It is the {@link StepFunctionsBackend} the in-memory world hands SFN API calls to.
 *
 * How the ASL is run (what differs from handing the file to aws-local-stepfunctions as is):
 * - Task states. Every Task is bound through `overrides.taskResourceLocalHandlers`, keyed by state
 *   name: ASL requires names to be unique machine-wide (the validator checks it); with
 *   `validate: false` a name repeated in another scope (Map iterator, Parallel branch) is renamed
 *   internally and still reported under its ASL name. Resources:
 *   `arn:aws:states:::lambda:invoke` calls the registered function with `Payload` and returns
 *   `{ ExecutedVersion, Payload, StatusCode: 200 }`; `...lambda:invoke.waitForTaskToken` is the
 *   callback pattern (below); a plain function ARN returns the function result itself; any other
 *   resource needs {@link LocalRunner.registerTaskResource}. A function or resource that is not
 *   registered fails the execution with the uncatchable `States.Runtime` and is reported as a runner
 *   error (nothing ever reaches real AWS).
 * - Errors a function throws reach Retry/Catch as Lambda reports them: Error = `err.name`,
 *   Cause = `{"errorType":name,"errorMessage":message,"trace":[]}` (JSON text).
 * - Retry of Task states is done by the runner (Retry is stripped from what the executor sees): the
 *   same matching rules as Step Functions (`States.ALL`, `States.TaskFailed` which does not match
 *   timeouts, `States.Timeout` which also matches `States.HeartbeatTimeout`), MaxAttempts,
 *   IntervalSeconds x BackoffRate^n capped by MaxDelaySeconds, FULL jitter from a seeded PRNG; the
 *   backoff sleeps on the VIRTUAL clock. Each retry counts as a state transition. Retry on Map and
 *   Parallel states stays with the executor with a 0 ms interval (no virtual backoff there).
 * - Timeouts: TimeoutSeconds / TimeoutSecondsPath and HeartbeatSeconds / HeartbeatSecondsPath of Task
 *   states and the execution's TimeoutSeconds are enforced on the virtual clock; the paths are read
 *   from the state's effective input (after InputPath). The executor gets a huge TimeoutSeconds
 *   instead (its default of 60 s would run on the wall clock).
 * - Callback tasks: the execution runs with `$$.Task.Token` = a sentinel; the binding replaces the
 *   sentinel in the parameters with a fresh token (counter-based), parks a promise under it, then
 *   calls the function (its return value is ignored; its error fails the task). SendTaskSuccess
 *   resolves the task with the parsed output, SendTaskFailure rejects it with `name = error`.
 * - Wait states are rewritten into Task states bound to a function that sleeps on the virtual clock
 *   (Seconds, SecondsPath, Timestamp, TimestampPath; InputPath/OutputPath/Next/End kept) and are
 *   reported as `Wait` states.
 * - `$$.Execution.StartTime` is the virtual start time and `$$.Execution.Input` the execution input
 *   also inside Map iterations (the executor would give wall-clock time and the item).
 * - Unsupported (rejected at registration, loudly): JSONata, Variables (`Assign`), distributed Map
 *   features (ItemReader, ItemBatcher, ResultWriter, tolerated failures), `Credentials`.
 * - Step Functions' limits, enforced as AWS does (each constant cites its source): 256 KiB payloads
 *   (`States.DataLimitExceeded` for a Task's parameters or result, a state's input or output, a Map
 *   item or the Map's collected result; States.ALL does not catch it), 25,000 history events
 *   (`States.Runtime`), positive integer TimeoutSecondsPath / HeartbeatSecondsPath (`States.Runtime`),
 *   execution names unique for 90 days (`ExecutionAlreadyExists`), StartExecution input and
 *   SendTaskSuccess output within 256 KiB (`InvalidExecutionInput`, `InvalidOutput`). Every execution
 *   reports `historyEvents` and `largestPayloadBytes`.
 * - A Map stops at its first failed iteration: a hidden guard state first in every iteration refuses
 *   the iterations the executor still starts after one failed, before any of their states is entered
 *   (nothing of them is recorded, shown to hooks or counted).
 * - A Map's StateExited can reach the runner before its last iterations' results (the executor
 *   forwards iteration events asynchronously): the runner holds later events (and bound states) until
 *   they are in, to check the collected result first. If the execution ends with the Map (the log
 *   closes and drops late events), it decides with the results it has.
 *
 * Virtual time moves only in {@link LocalRunner.runUntilQuiescent} / {@link LocalRunner.runFor}: when
 * no tracked activity is busy (see local/clock.ts) and the event loop has drained, the clock jumps
 * to the next timer.
 */
import './polyfills.js';
import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { RunOptions, StateMachineDefinition } from 'aws-local-stepfunctions';
import { type ActivityError, VirtualClockImpl } from './clock.js';
import type { StartExecutionRequest, StepFunctionsBackend } from './contracts.js';

// ---------------------------------------------------------------------------------------------------
// Public types

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A registered Lambda function: receives the (JSON-cloned) event, returns the (JSON-serializable) result. */
export type LocalFunction = (payload: unknown) => Promise<unknown>;

/** A handler for a non-Lambda Task resource (e.g. `arn:aws:states:::events:putEvents`). */
export type LocalTaskResource = (parameters: unknown, info: TaskInvocationInfo) => Promise<unknown>;

export interface TaskInvocationInfo {
  readonly executionArn: string;
  readonly stateName: string;
  readonly resource: string;
  /** Set for `.waitForTaskToken` resources. */
  readonly taskToken?: string;
}

export const ExecutionStatus = {
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  TimedOut: 'TIMED_OUT',
  Aborted: 'ABORTED',
} as const;
export type ExecutionStatus = (typeof ExecutionStatus)[keyof typeof ExecutionStatus];

export type AslStateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

export type TokenOutcome = 'succeeded' | 'failed' | 'timed-out' | 'heartbeat-timed-out' | 'aborted';

/** One entry of an execution's history (virtual times). `mapIndex` is set inside Map iterations. */
export type HistoryEvent =
  | { readonly kind: 'StateEntered'; readonly at: number; readonly stateName: string; readonly stateType: AslStateType; readonly mapIndex?: number; readonly input?: Json }
  | { readonly kind: 'StateExited'; readonly at: number; readonly stateName: string; readonly stateType: AslStateType; readonly mapIndex?: number; readonly output?: Json }
  | { readonly kind: 'StateFailed'; readonly at: number; readonly stateName: string; readonly stateType: AslStateType; readonly mapIndex?: number; readonly error: string; readonly cause?: string }
  | { readonly kind: 'StateRetried'; readonly at: number; readonly stateName: string; readonly stateType: AslStateType; readonly mapIndex?: number; readonly attempt: number; readonly delayMs: number; readonly error: string }
  | { readonly kind: 'StateCaught'; readonly at: number; readonly stateName: string; readonly stateType: AslStateType; readonly mapIndex?: number; readonly next: string }
  | { readonly kind: 'LambdaInvoked'; readonly at: number; readonly stateName: string; readonly functionName: string }
  | { readonly kind: 'TaskTokenIssued'; readonly at: number; readonly stateName: string; readonly token: string }
  | { readonly kind: 'TaskTokenClosed'; readonly at: number; readonly stateName: string; readonly token: string; readonly outcome: TokenOutcome };

/** A read-only snapshot of an execution. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly status: ExecutionStatus;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  /** Virtual ms. */
  readonly startMs: number;
  readonly stopMs?: number;
  /** States entered plus retries (what Step Functions bills as state transitions). */
  readonly transitions: number;
  readonly retries: number;
  readonly lambdaInvocations: number;
  /**
   * The events Step Functions would have written to this execution's history so far (the counting
   * model is next to {@link MAX_HISTORY_EVENTS}); the execution fails when it reaches that quota.
   */
  readonly historyEvents: number;
  /**
   * The largest payload (UTF-8 bytes of its JSON text) seen in this execution: the execution input, a
   * state's input or output, a Task's parameters or result, a Map's collected result, a callback's
   * output. Compare with {@link MAX_PAYLOAD_BYTES}.
   */
  readonly largestPayloadBytes: number;
  readonly history: readonly HistoryEvent[];
  /** Every state entered, in order (from the history). */
  readonly statesEntered: ReadonlyArray<{ readonly name: string; readonly type: AslStateType; readonly at: number; readonly mapIndex?: number }>;
  /** Names of states entered and not yet exited (where a running execution is). */
  readonly openStates: readonly string[];
}

export interface StateEventInfo {
  readonly executionArn: string;
  readonly stateName: string;
  readonly stateType: AslStateType;
  /** Virtual ms. */
  readonly at: number;
  readonly mapIndex?: number;
  readonly input: unknown;
}
export interface StateExitedInfo extends StateEventInfo {
  readonly output: unknown;
}
export type StateHook<I> = (info: I) => void | Promise<void>;
export type ExecutionHook = (record: ExecutionRecord) => void | Promise<void>;

export interface RegisterStateMachineRequest {
  readonly name: string;
  /** Default: `arn:aws:states:<region>:<account>:stateMachine:<name>`. */
  readonly arn?: string;
  /** The ASL (object or JSON text). */
  readonly definition: unknown;
  /** `${Key}` replacements (CDK definitionSubstitutions), applied to every string of the definition. */
  readonly substitutions?: Readonly<Record<string, string>>;
  /** Validate the definition with the executor's validator (asl-validator). Default true. */
  readonly validate?: boolean;
}

export interface RunUntilQuiescentOptions {
  /** Stop when the next timer is more than this many virtual ms after the call. Default 24 h. */
  readonly maxVirtualMs?: number;
  /** Throw an AggregateError when a hook, timer callback or binding reported an error. Default true. */
  readonly failOnErrors?: boolean;
}

export interface RunReport {
  /**
   * `quiescent`: no execution is running and no foreground timer is pending. `maxVirtualMs`: the
   * next timer was beyond the limit. `stalled`: executions are running but nothing can wake them
   * (no timer pending at all).
   */
  readonly outcome: 'quiescent' | 'maxVirtualMs' | 'stalled';
  readonly startedAt: number;
  readonly endedAt: number;
  readonly running: ReadonlyArray<{ readonly executionArn: string; readonly name: string; readonly openStates: readonly string[] }>;
  readonly errors: readonly ActivityError[];
}

export interface LocalRunnerOptions {
  /** Default: a new clock at 2026-01-01T00:00:00Z. */
  readonly clock?: VirtualClockImpl;
  readonly region?: string;
  readonly accountId?: string;
  /** Seed of the PRNG used for FULL retry jitter. Default 1. */
  readonly seed?: number;
  /**
   * SendTaskSuccess/Failure/Heartbeat on a token whose task is already closed. `throw` (default,
   * like AWS): `TaskTimedOut` ("expired or already closed"). `ignore-duplicates`: a repeat after
   * success/failure is a no-op (timed-out and aborted tasks still throw `TaskTimedOut`).
   */
  readonly closedTokens?: 'throw' | 'ignore-duplicates';
  /** Event-loop turns (setImmediate) that must pass with nothing busy before time moves. Default 3. */
  readonly quietTurns?: number;
  /** Real ms to wait for busy activities before giving up with a diagnostic error. Default 60 000. */
  readonly stallTimeoutMs?: number;
  /** Keep state input/output in the history. Default true. */
  readonly recordStateData?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Errors

/** Names of the Step Functions API errors the runner throws (as the SDK would report them). */
export const SfnApiErrorName = {
  ExecutionAlreadyExists: 'ExecutionAlreadyExists',
  ExecutionDoesNotExist: 'ExecutionDoesNotExist',
  StateMachineDoesNotExist: 'StateMachineDoesNotExist',
  StateMachineAlreadyExists: 'StateMachineAlreadyExists',
  InvalidExecutionInput: 'InvalidExecutionInput',
  InvalidName: 'InvalidName',
  InvalidOutput: 'InvalidOutput',
  InvalidDefinition: 'InvalidDefinition',
  TaskDoesNotExist: 'TaskDoesNotExist',
  TaskTimedOut: 'TaskTimedOut',
} as const;
export type SfnApiErrorName = (typeof SfnApiErrorName)[keyof typeof SfnApiErrorName];

/** An error of the (emulated) Step Functions API; `name` is the AWS error code. */
export class SfnApiError extends Error {
  override readonly name: SfnApiErrorName;
  constructor(name: SfnApiErrorName, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * `States.Runtime`: neither retried nor caught (the executor reads `isRetryable` / `isCatchable`).
 * Used for configuration mistakes (unregistered function) and bad paths.
 */
export class LocalRuntimeError extends Error {
  override readonly name: string = 'States.Runtime';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/** Thrown into bindings of an execution that was stopped or timed out; never retried or caught. */
class ExecutionClosedSignal extends Error {
  override readonly name = 'ExecutionClosed';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/**
 * `States.DataLimitExceeded`: a payload over {@link MAX_PAYLOAD_BYTES}. Never retried; "a terminal
 * error that can't be caught by the States.ALL error type" (error-handling page), so the executor
 * only lets a catcher that names it explicitly take it.
 */
export class StatesDataLimitError extends Error {
  override readonly name = 'States.DataLimitExceeded';
  readonly isRetryable = false;
  readonly isCatchable: boolean;
  constructor(meta: { readonly definition: JsonObject }, message: string) {
    super(message);
    const catchers = Array.isArray(meta.definition.Catch) ? meta.definition.Catch : [];
    this.isCatchable = catchers.some((c) => isObject(c) && Array.isArray(c.ErrorEquals) && c.ErrorEquals.includes('States.DataLimitExceeded'));
  }
}

/** The ASL uses something the local executor cannot run. */
export class UnsupportedAslError extends Error {
  override readonly name = 'UnsupportedAslError';
}

// ---------------------------------------------------------------------------------------------------
// Constants

const TASK_TOKEN_SENTINEL = '__cutover_local_task_token__';
const INPUT_KEY = '__cutover_input';
const PARAMS_KEY = '__cutover_params';
/** What the executor sees as TimeoutSeconds: below setTimeout's 2^31-1 ms limit, ~23 days. */
const EXECUTOR_TIMEOUT_SECONDS = 2_000_000;
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const CALLBACK_SUFFIX = '.waitForTaskToken';
const DAY_MS = 24 * 3600 * 1000;
/**
 * Prefix of the hidden guard state the runner puts first in every Map iteration. aws-local-stepfunctions
 * keeps starting queued iterations after one failed (p-limit's queue is not cleared); in Step Functions
 * the Map stops at its first failed iteration. The guard runs after the executor has reported the
 * failure and refuses the straggler before any of its states is entered.
 */
const MAP_GUARD_PREFIX = '__cutover_map_guard_';

// ---------------------------------------------------------------------------------------------------
// Step Functions quotas and limits the runner enforces (Standard workflows)

/**
 * "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded
 * string" (Step Functions developer guide, "Step Functions service quotas", quotas related to task
 * executions: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Over it a
 * state fails with `States.DataLimitExceeded` ("Handling errors in Step Functions workflows":
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): when a
 * connector's output, a state's output, or a state's input after Parameters is larger than the quota.
 */
export const MAX_PAYLOAD_BYTES = 262_144;
/**
 * "Maximum execution history size: 25,000 events in a single state machine execution history. If
 * the execution history reaches this quota the execution will fail" (same quotas page, quotas related
 * to state machine executions). AWS ends it with error `States.Runtime`, cause "The execution reached
 * the maximum number of history events (25000).", the ExecutionFailed event being event 25,000.
 */
export const MAX_HISTORY_EVENTS = 25_000;
/**
 * StartExecution: "An execution can't use the name of another execution for 90 days"; same name and
 * input as an open execution returns that execution, else `ExecutionAlreadyExists` (Step Functions
 * API reference, StartExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export const EXECUTION_NAME_REUSE_MS = 90 * DAY_MS;

/*
 * How the runner counts history events (Step Functions writes one per line below; the model follows
 * the event types of GetExecutionHistory, https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 * - the execution: ExecutionStarted, and ExecutionSucceeded / ExecutionFailed / ExecutionAborted /
 *   ExecutionTimedOut: 2;
 * - every state entered: <Type>StateEntered, and <Type>StateExited when it completes: 2 (a state
 *   that fails writes no Exited event: a Task its TaskFailed, a Fail or Choice state nothing more);
 * - a Task attempt (each retry is another attempt): TaskScheduled, TaskStarted, then TaskSucceeded /
 *   TaskFailed / TaskTimedOut: 3; a `.waitForTaskToken` attempt also TaskSubmitted: 4;
 * - a Map: MapStateStarted and MapStateSucceeded / MapStateFailed: 2, and per iteration that ran
 *   MapIterationStarted and MapIterationSucceeded / MapIterationFailed: 2; a Parallel:
 *   ParallelStateStarted and ParallelStateSucceeded / ParallelStateFailed: 2; a Map or Parallel
 *   retry: 1;
 * - a Wait, Choice, Pass, Succeed or Fail state: only its Entered/Exited events.
 * So a Lambda Task is 5 events, a Wait or a Choice 2, a loop of Task + Choice + Wait 9.
 */

/** UTF-8 bytes of a value's JSON text (what the payload quota measures). */
export function payloadBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

/** AWS's own message for a state or task whose result is over the quota. */
function dataLimitMessage(stateName: string, what: 'result' | 'input'): string {
  return what === 'result'
    ? `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`
    : `The state/task '${stateName}' has an input with a size exceeding the maximum number of bytes service limit.`;
}

// ---------------------------------------------------------------------------------------------------
// Compiling a definition for the executor

type TaskTarget =
  | { readonly kind: 'lambda-optimized' }
  | { readonly kind: 'lambda-arn'; readonly functionName: string }
  | { readonly kind: 'resource'; readonly resource: string };

type Binding =
  | { readonly kind: 'wait' }
  /** The hidden first state of every Map iteration (see MAP_GUARD_PREFIX). `map`: the Map's internal name. */
  | { readonly kind: 'guard'; readonly map: string }
  | { readonly kind: 'task'; readonly resource: string; readonly target: TaskTarget; readonly callback: boolean };

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

interface StateMeta {
  readonly internalName: string;
  /** The name in the ASL. */
  readonly name: string;
  readonly type: AslStateType;
  /** Where the state is, for messages: `Steps > Bake`. */
  readonly path: string;
  readonly definition: JsonObject;
  readonly binding?: Binding;
  readonly retriers: readonly Retrier[];
  /** A state the runner added (a Map iteration guard): never reported, counted or shown. */
  readonly hidden?: true;
}

interface CompiledDefinition {
  readonly executorDefinition: JsonObject;
  readonly states: ReadonlyMap<string, StateMeta>;
  readonly timeoutSeconds?: number;
  readonly retryIntervalOverrides: Readonly<Record<string, number>>;
}

const UNSUPPORTED_FIELDS: Readonly<Record<string, string>> = {
  Assign: 'Variables (Assign) are not evaluated by aws-local-stepfunctions',
  Arguments: 'JSONata (Arguments) is not evaluated by aws-local-stepfunctions',
  Output: 'JSONata (Output) is not evaluated by aws-local-stepfunctions',
  Items: 'JSONata (Items) is not evaluated by aws-local-stepfunctions',
  ItemReader: 'distributed Map (ItemReader) is not supported locally',
  ItemBatcher: 'distributed Map (ItemBatcher) is not supported locally',
  ResultWriter: 'distributed Map (ResultWriter) is not supported locally',
  ToleratedFailurePercentage: 'distributed Map tolerated failures are not supported locally',
  ToleratedFailurePercentagePath: 'distributed Map tolerated failures are not supported locally',
  ToleratedFailureCount: 'distributed Map tolerated failures are not supported locally',
  ToleratedFailureCountPath: 'distributed Map tolerated failures are not supported locally',
  Credentials: 'cross-account Task credentials are not supported locally',
};

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mapStrings(value: Json, fn: (s: string) => string): Json {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, fn);
    return out;
  }
  return value;
}

/** Replace `${Key}` in every string; throws when a `${...}` placeholder is left unresolved. */
export function applySubstitutions(definition: Json, substitutions: Readonly<Record<string, string>> = {}): Json {
  const unresolved = new Set<string>();
  const out = mapStrings(definition, (s) =>
    s.replace(/\$\{([A-Za-z0-9_.:-]+)\}/g, (whole, key: string) => {
      const v = substitutions[key];
      if (v === undefined) {
        unresolved.add(key);
        return whole;
      }
      return v;
    }),
  );
  if (unresolved.size > 0) {
    throw new SfnApiError(
      SfnApiErrorName.InvalidDefinition,
      `definition has unresolved substitutions: ${[...unresolved].map((k) => `\${${k}}`).join(', ')}`,
    );
  }
  return out;
}

function resolveTarget(resource: string): { target: TaskTarget; callback: boolean } {
  if (resource === LAMBDA_INVOKE) return { target: { kind: 'lambda-optimized' }, callback: false };
  if (resource === LAMBDA_INVOKE_CALLBACK) return { target: { kind: 'lambda-optimized' }, callback: true };
  if (/^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/.test(resource)) {
    return { target: { kind: 'lambda-arn', functionName: resource }, callback: false };
  }
  return { target: { kind: 'resource', resource }, callback: resource.endsWith(CALLBACK_SUFFIX) };
}

function collectStateNames(scope: JsonObject, into: Set<string>): void {
  const states = scope.States;
  if (!isObject(states)) return;
  for (const [name, state] of Object.entries(states)) {
    into.add(name);
    if (!isObject(state)) continue;
    const processor = state.ItemProcessor ?? state.Iterator;
    if (isObject(processor)) collectStateNames(processor, into);
    if (Array.isArray(state.Branches)) for (const b of state.Branches) if (isObject(b)) collectStateNames(b, into);
  }
}

class DefinitionCompiler {
  private readonly claimed = new Set<string>();
  private readonly allNames = new Set<string>();
  readonly states = new Map<string, StateMeta>();
  readonly retryIntervalOverrides: Record<string, number> = {};

  constructor(root: JsonObject) {
    collectStateNames(root, this.allNames);
  }

  compileScope(scope: JsonObject, where: string): JsonObject {
    const states = scope.States;
    if (!isObject(states)) throw new UnsupportedAslError(`${where || 'definition'}: States must be an object`);
    if (scope.QueryLanguage === 'JSONata') {
      throw new UnsupportedAslError(`${where || 'definition'}: JSONata is not evaluated by aws-local-stepfunctions`);
    }
    const renames = new Map<string, string>();
    for (const name of Object.keys(states)) {
      const internal = this.claim(name);
      if (internal !== name) renames.set(name, internal);
    }
    const rename = (n: Json | undefined): Json | undefined => (typeof n === 'string' ? (renames.get(n) ?? n) : n);
    const out: JsonObject = {};
    for (const [name, raw] of Object.entries(states)) {
      if (!isObject(raw)) throw new UnsupportedAslError(`${where}${name}: state must be an object`);
      const internal = renames.get(name) ?? name;
      const compiled = this.compileState(name, internal, raw, where);
      if (typeof compiled.Next === 'string') compiled.Next = rename(compiled.Next) as string;
      if (typeof compiled.Default === 'string') compiled.Default = rename(compiled.Default) as string;
      if (Array.isArray(compiled.Choices)) {
        compiled.Choices = compiled.Choices.map((c) => (isObject(c) && typeof c.Next === 'string' ? { ...c, Next: rename(c.Next) as string } : c));
      }
      if (Array.isArray(compiled.Catch)) {
        compiled.Catch = compiled.Catch.map((c) => (isObject(c) && typeof c.Next === 'string' ? { ...c, Next: rename(c.Next) as string } : c));
      }
      out[internal] = compiled;
    }
    const result: JsonObject = { ...scope, States: out };
    if (typeof scope.StartAt === 'string') result.StartAt = rename(scope.StartAt) as string;
    return result;
  }

  private claim(name: string): string {
    if (!this.claimed.has(name)) {
      this.claimed.add(name);
      return name;
    }
    for (let n = 2; ; n++) {
      const candidate = `${name}~${n}`;
      if (!this.claimed.has(candidate) && !this.allNames.has(candidate)) {
        this.claimed.add(candidate);
        return candidate;
      }
    }
  }

  private compileState(name: string, internal: string, state: JsonObject, where: string): JsonObject {
    const path = `${where}${name}`;
    if (state.QueryLanguage === 'JSONata') throw new UnsupportedAslError(`${path}: JSONata is not evaluated by aws-local-stepfunctions`);
    for (const [field, why] of Object.entries(UNSUPPORTED_FIELDS)) {
      if (field in state) throw new UnsupportedAslError(`${path}: ${why}`);
    }
    const type = state.Type as AslStateType;
    const base = { internalName: internal, name, type, path, definition: state };
    switch (type) {
      case 'Task': {
        const resource = state.Resource;
        if (typeof resource !== 'string') throw new UnsupportedAslError(`${path}: Task without a string Resource`);
        const { target, callback } = resolveTarget(resource);
        const retriers = Array.isArray(state.Retry) ? (state.Retry as unknown as Retrier[]) : [];
        this.states.set(internal, { ...base, binding: { kind: 'task', resource, target, callback }, retriers });
        const {
          TimeoutSeconds: _t,
          TimeoutSecondsPath: _tp,
          HeartbeatSeconds: _h,
          HeartbeatSecondsPath: _hp,
          Retry: _r,
          Parameters: params,
          ...rest
        } = state;
        const wrapper: JsonObject = { [`${INPUT_KEY}.$`]: '$' };
        if (params !== undefined) wrapper[PARAMS_KEY] = params;
        const out: JsonObject = { ...rest, Parameters: wrapper, TimeoutSeconds: EXECUTOR_TIMEOUT_SECONDS };
        if (Array.isArray(state.Catch)) {
          // States.Timeout also catches heartbeat timeouts (the executor only compares names).
          out.Catch = state.Catch.map((c) =>
            isObject(c) && Array.isArray(c.ErrorEquals) && c.ErrorEquals.includes('States.Timeout') && !c.ErrorEquals.includes('States.HeartbeatTimeout')
              ? { ...c, ErrorEquals: [...c.ErrorEquals, 'States.HeartbeatTimeout'] }
              : c,
          );
        }
        return out;
      }
      case 'Wait': {
        this.states.set(internal, { ...base, binding: { kind: 'wait' }, retriers: [] });
        const out: JsonObject = {
          Type: 'Task',
          Resource: LAMBDA_INVOKE,
          Parameters: { [`${INPUT_KEY}.$`]: '$' },
          TimeoutSeconds: EXECUTOR_TIMEOUT_SECONDS,
        };
        for (const k of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End'] as const) {
          if (k in state) out[k] = state[k] as Json;
        }
        return out;
      }
      case 'Map': {
        this.states.set(internal, { ...base, retriers: [] });
        if (Array.isArray(state.Retry)) this.retryIntervalOverrides[internal] = 0;
        const key = isObject(state.ItemProcessor) ? 'ItemProcessor' : 'Iterator';
        const processor = state[key];
        if (!isObject(processor)) throw new UnsupportedAslError(`${path}: Map without ItemProcessor`);
        const config = processor.ProcessorConfig;
        if (isObject(config) && config.Mode === 'DISTRIBUTED') {
          throw new UnsupportedAslError(`${path}: distributed Map is not supported locally`);
        }
        const iterator = this.compileScope(processor, `${path} > `);
        // A hidden guard first in every iteration (see MAP_GUARD_PREFIX): a straggler stops there.
        const guard = this.claim(`${MAP_GUARD_PREFIX}${internal}`);
        this.states.set(guard, {
          internalName: guard,
          name: guard,
          type: 'Task',
          path: `${path} > ${guard}`,
          definition: {},
          binding: { kind: 'guard', map: internal },
          retriers: [],
          hidden: true,
        });
        const guardState: JsonObject = {
          Type: 'Task',
          Resource: LAMBDA_INVOKE,
          Parameters: { [`${INPUT_KEY}.$`]: '$' },
          TimeoutSeconds: EXECUTOR_TIMEOUT_SECONDS,
          Next: iterator.StartAt as string,
        };
        return { ...state, [key]: { ...iterator, StartAt: guard, States: { [guard]: guardState, ...(iterator.States as JsonObject) } } };
      }
      case 'Parallel': {
        this.states.set(internal, { ...base, retriers: [] });
        if (Array.isArray(state.Retry)) this.retryIntervalOverrides[internal] = 0;
        const branches = Array.isArray(state.Branches) ? state.Branches : [];
        return {
          ...state,
          Branches: branches.map((b, i) => {
            if (!isObject(b)) throw new UnsupportedAslError(`${path}: branch ${i} must be an object`);
            return this.compileScope(b, `${path}[${i}] > `);
          }),
        };
      }
      case 'Pass':
      case 'Choice':
      case 'Succeed':
      case 'Fail':
        this.states.set(internal, { ...base, retriers: [] });
        return { ...state };
      default:
        throw new UnsupportedAslError(`${path}: unknown state type ${JSON.stringify(state.Type)}`);
    }
  }
}

/** Rewrite a definition so that aws-local-stepfunctions runs it on the runner's terms (see file doc). */
export function compileDefinition(definition: JsonObject): CompiledDefinition {
  // The executor sets $$.Execution.StartTime to the wall clock and $$.Execution.Input to the Map item
  // inside iterations: point both at fields the runner fills in.
  const rewritten = mapStrings(definition, (s) =>
    s
      .replace(/\$\$\.Execution\.StartTime(?![A-Za-z0-9_])/g, '$$$$.Execution.VirtualStartTime')
      .replace(/\$\$\.Execution\.Input(?![A-Za-z0-9_])/g, '$$$$.Execution.RootInput'),
  ) as JsonObject;
  const compiler = new DefinitionCompiler(rewritten);
  const { TimeoutSeconds: timeoutSeconds, ...top } = rewritten;
  const executorDefinition = compiler.compileScope(top, '');
  return {
    executorDefinition,
    states: compiler.states,
    ...(typeof timeoutSeconds === 'number' ? { timeoutSeconds } : {}),
    retryIntervalOverrides: compiler.retryIntervalOverrides,
  };
}

// ---------------------------------------------------------------------------------------------------
// Small pure helpers (exported for tests)

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

export interface RetryDecision {
  readonly retrierIndex: number;
  /** 1-based attempt number of this retry. */
  readonly attempt: number;
  readonly delayMs: number;
}

function isTimeoutName(name: string): boolean {
  return name === 'States.Timeout' || name === 'States.HeartbeatTimeout';
}

/** Does an ErrorEquals list match an error name (Step Functions rules, Task state)? */
export function errorMatches(errorEquals: readonly string[], name: string): boolean {
  // States.ALL (and States.TaskFailed) cannot catch the States.DataLimitExceeded terminal error (error-handling page).
  if (name === 'States.DataLimitExceeded') return errorEquals.includes(name);
  return errorEquals.some(
    (e) =>
      e === name ||
      e === 'States.ALL' ||
      (e === 'States.TaskFailed' && !isTimeoutName(name)) ||
      (e === 'States.Timeout' && name === 'States.HeartbeatTimeout'),
  );
}

/**
 * Decide whether a Task failure with error `name` is retried, given the attempts so far per
 * retrier (mutated: the chosen retrier's count goes up). Undefined: not retried (go to Catch).
 */
export function decideRetry(
  retriers: readonly Retrier[],
  attempts: number[],
  name: string,
  random: () => number,
): RetryDecision | undefined {
  for (let i = 0; i < retriers.length; i++) {
    const r = retriers[i] as Retrier;
    if (!errorMatches(r.ErrorEquals, name)) continue;
    const done = attempts[i] ?? 0;
    if (done >= (r.MaxAttempts ?? 3)) return undefined;
    let seconds = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** done;
    if (r.MaxDelaySeconds !== undefined && seconds > r.MaxDelaySeconds) seconds = r.MaxDelaySeconds;
    let delayMs = Math.round(seconds * 1000);
    if (r.JitterStrategy === 'FULL') delayMs = Math.floor(random() * delayMs);
    attempts[i] = done + 1;
    return { retrierIndex: i, attempt: done + 1, delayMs };
  }
  return undefined;
}

/** mulberry32: a tiny seeded PRNG (deterministic jitter). */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function jsonClone(value: unknown): Json {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as Json;
}

function replaceToken(value: Json, token: string): Json {
  return mapStrings(value, (s) => (s.includes(TASK_TOKEN_SENTINEL) ? s.split(TASK_TOKEN_SENTINEL).join(token) : s));
}

/** The function name a Lambda ARN, partial ARN, name:qualifier or name refers to. */
export function lambdaFunctionKey(nameOrArn: string): string {
  const m = /(?:^|:)function:([^:]+)/.exec(nameOrArn);
  if (m) return m[1] as string;
  return nameOrArn.split(':')[0] as string;
}

function errorNameOf(e: unknown): string {
  if (e instanceof Error || (typeof e === 'object' && e !== null && 'name' in e)) {
    const n = (e as { name?: unknown }).name;
    if (typeof n === 'string') return n;
  }
  return 'Error';
}

function errorMessageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    return (e as { message: string }).message;
  }
  return String(e);
}

/** An error as Step Functions sees a Lambda function error: name = errorType, Cause = JSON. */
function lambdaError(e: unknown): Error {
  const errorType = errorNameOf(e) || 'Error';
  const err = new Error(JSON.stringify({ errorType, errorMessage: errorMessageOf(e), trace: [] }));
  err.name = errorType;
  return err;
}

function isUncatchable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { isCatchable?: unknown }).isCatchable === false;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (v: T) => void;
  readonly reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------------
// The executor's own States.Timeout class

/**
 * aws-local-stepfunctions only treats an error as a timeout (so that `States.TaskFailed` does not
 * match it) when it is an instance of its internal, unexported StatesTimeoutError. Obtain the class
 * once by letting a one-state machine time out after 1 real millisecond.
 */
let timeoutClass: Promise<(new () => Error) | undefined> | undefined;
function loadTimeoutClass(): Promise<(new () => Error) | undefined> {
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
let TimeoutCtor: (new () => Error) | undefined;

function statesTimeoutError(name: 'States.Timeout' | 'States.HeartbeatTimeout', message: string): Error {
  const e = TimeoutCtor ? new TimeoutCtor() : new Error();
  e.name = name;
  e.message = message;
  return e;
}

/**
 * Validate with the executor's validator (asl-validator: JSON schema, paths, ARNs, reachability,
 * machine-wide unique state names). It compiles its schema on every call (~200 ms), so results are
 * cached per definition text. Returns the problem, or undefined when valid.
 */
const validationCache = new Map<string, string | undefined>();
function validateDefinition(definition: JsonObject): string | undefined {
  const key = JSON.stringify(definition);
  if (validationCache.has(key)) return validationCache.get(key);
  let problem: string | undefined;
  try {
    new StateMachine(definition as unknown as StateMachineDefinition);
  } catch (e) {
    problem = errorMessageOf(e);
  }
  validationCache.set(key, problem);
  return problem;
}

// ---------------------------------------------------------------------------------------------------
// Runtime records

interface RegisteredMachine {
  readonly name: string;
  readonly arn: string;
  readonly compiled: CompiledDefinition;
  readonly machine: StateMachine;
}

interface CancelableTimer {
  readonly cancel: () => void;
  readonly reject?: (e: unknown) => void;
}

interface Execution {
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

interface MapRun {
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

interface ParkedTask {
  readonly token: string;
  readonly exec: Execution;
  readonly meta: StateMeta;
  readonly outcome: Deferred<Json>;
  readonly timers: Array<() => void>;
  heartbeatMs?: number;
  cancelHeartbeat?: () => void;
  closed?: TokenOutcome;
}

interface LibEvent {
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

type HandlerMap = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type LibJson = Parameters<StateMachine['run']>[0];

// ---------------------------------------------------------------------------------------------------
// The runner

export class LocalRunner implements StepFunctionsBackend {
  readonly clock: VirtualClockImpl;
  private readonly region: string;
  private readonly accountId: string;
  private readonly random: () => number;
  private readonly closedTokens: 'throw' | 'ignore-duplicates';
  private readonly quietTurns: number;
  private readonly stallTimeoutMs: number;
  private readonly recordStateData: boolean;

  private readonly machines = new Map<string, RegisteredMachine>();
  private readonly functions = new Map<string, LocalFunction>();
  private readonly resources = new Map<string, LocalTaskResource>();
  private readonly executions = new Map<string, Execution>();
  private readonly parked = new Map<string, ParkedTask>();
  private readonly closed = new Map<string, TokenOutcome>();
  private readonly enteredHooks = new Set<StateHook<StateEventInfo>>();
  private readonly exitedHooks = new Set<StateHook<StateExitedInfo>>();
  private readonly finishedHooks = new Set<ExecutionHook>();
  private errors: ActivityError[] = [];
  private executionSeq = 0;
  private tokenSeq = 0;

  constructor(options: LocalRunnerOptions = {}) {
    this.clock = options.clock ?? new VirtualClockImpl();
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.random = seededRandom(options.seed ?? 1);
    this.closedTokens = options.closedTokens ?? 'throw';
    this.quietTurns = options.quietTurns ?? 3;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
    this.recordStateData = options.recordStateData ?? true;
  }

  // ----------------------------------------------------------------------------------- registration

  /** Register a state machine; returns its ARN. Throws on unsupported ASL or unresolved `${Key}`. */
  registerStateMachine(req: RegisterStateMachineRequest): { stateMachineArn: string } {
    const arn = req.arn ?? `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${req.name}`;
    if (this.machines.has(arn)) throw new SfnApiError(SfnApiErrorName.StateMachineAlreadyExists, `state machine ${arn} is already registered`);
    const raw: unknown = typeof req.definition === 'string' ? JSON.parse(req.definition) : req.definition;
    if (!isObject(raw as Json)) throw new SfnApiError(SfnApiErrorName.InvalidDefinition, `definition of ${req.name} is not an object`);
    const definition = applySubstitutions(raw as Json, req.substitutions) as JsonObject;
    if (req.validate !== false) {
      const problem = validateDefinition(definition);
      if (problem !== undefined) throw new SfnApiError(SfnApiErrorName.InvalidDefinition, `${req.name}: ${problem}`);
    }
    const compiled = compileDefinition(definition);
    const machine = new StateMachine(compiled.executorDefinition as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    });
    this.machines.set(arn, { name: req.name, arn, compiled, machine });
    return { stateMachineArn: arn };
  }

  /**
   * Register a Lambda function by name or ARN (matched by function name; qualifiers ignored).
   * Registering the same name again replaces the function.
   */
  registerFunction(functionArnOrName: string, fn: LocalFunction): void {
    this.functions.set(lambdaFunctionKey(functionArnOrName), fn);
  }

  /** Register a handler for a non-Lambda Task resource (exact Resource string). */
  registerTaskResource(resource: string, fn: LocalTaskResource): void {
    this.resources.set(resource, fn);
  }

  /** Called after each state is entered (state input). Returns an unsubscribe function. */
  onStateEntered(cb: StateHook<StateEventInfo>): () => void {
    this.enteredHooks.add(cb);
    return () => this.enteredHooks.delete(cb);
  }

  /**
   * Called after each state exits, before the execution's next Task function runs (hooks of one
   * execution run one at a time, in order, as tracked activities: the clock waits for them).
   * A hook that throws is reported as a runner error (runUntilQuiescent throws).
   */
  onStateExited(cb: StateHook<StateExitedInfo>): () => void {
    this.exitedHooks.add(cb);
    return () => this.exitedHooks.delete(cb);
  }

  /** Called once when an execution reaches a terminal status. */
  onExecutionFinished(cb: ExecutionHook): () => void {
    this.finishedHooks.add(cb);
    return () => this.finishedHooks.delete(cb);
  }

  // ------------------------------------------------------------------------------ StepFunctionsBackend

  async startExecution(req: StartExecutionRequest): Promise<{ executionArn: string; startDate: Date }> {
    const sm = this.machines.get(req.stateMachineArn);
    if (!sm) throw new SfnApiError(SfnApiErrorName.StateMachineDoesNotExist, `State Machine Does Not Exist: '${req.stateMachineArn}'`);
    let input: Json;
    try {
      input = JSON.parse(req.input) as Json;
    } catch {
      throw new SfnApiError(SfnApiErrorName.InvalidExecutionInput, 'Invalid State Machine Execution Input: not JSON');
    }
    // The payload quota covers "input data when ... starting an execution" (service quotas page); the
    // API reference gives `input` a maximum length of 262144 and names InvalidExecutionInput for input
    // it refuses.
    const inputBytes = payloadBytes(req.input);
    if (inputBytes > MAX_PAYLOAD_BYTES) {
      throw new SfnApiError(
        SfnApiErrorName.InvalidExecutionInput,
        `Invalid State Machine Execution Input: ${inputBytes} bytes is over the ${MAX_PAYLOAD_BYTES}-byte (256 KiB, UTF-8) limit`,
      );
    }
    const name = req.name ?? this.nextExecutionName();
    if (name.length < 1 || name.length > 80 || /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(name)) {
      throw new SfnApiError(SfnApiErrorName.InvalidName, `Invalid Name: '${name}'`);
    }
    const executionArn = `${sm.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.reusableName(executionArn);
    if (existing) {
      if (existing.status === ExecutionStatus.Running && existing.input === req.input) {
        return { executionArn, startDate: new Date(existing.startMs) };
      }
      throw new SfnApiError(SfnApiErrorName.ExecutionAlreadyExists, `Execution Already Exists: '${executionArn}'`);
    }
    this.checkResources(sm);
    TimeoutCtor ??= await loadTimeoutClass();
    // A concurrent call with the same name may have won while we awaited.
    const raced = this.reusableName(executionArn);
    if (raced) {
      if (raced.status === ExecutionStatus.Running && raced.input === req.input) return { executionArn, startDate: new Date(raced.startMs) };
      throw new SfnApiError(SfnApiErrorName.ExecutionAlreadyExists, `Execution Already Exists: '${executionArn}'`);
    }
    const startMs = this.clock.now();
    const exec: Execution = {
      executionArn,
      stateMachineArn: sm.arn,
      name,
      input: req.input,
      machine: sm,
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          RootInput: input,
          VirtualStartTime: new Date(startMs).toISOString(),
          RoleArn: `arn:aws:iam::${this.accountId}:role/local-runner`,
          RedriveCount: 0,
        },
        StateMachine: { Id: sm.arn, Name: sm.name },
        Task: { Token: TASK_TOKEN_SENTINEL },
      },
      status: ExecutionStatus.Running,
      startMs,
      transitions: 0,
      retries: 0,
      lambdaInvocations: 0,
      history: [],
      open: [],
      lastFailure: new Map(),
      failedScopes: new Set(),
      timers: new Set(),
      abort: () => {},
      hookChain: Promise.resolve(),
      // ExecutionStarted.
      historyEvents: 1,
      largestPayloadBytes: inputBytes,
      maps: new Map(),
      barrier: Promise.resolve(),
      releaseBarrier: () => {},
    };
    this.executions.set(executionArn, exec);
    this.launch(exec, input);
    return { executionArn, startDate: new Date(startMs) };
  }

  async describeExecution(executionArn: string): Promise<{
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    input: string;
    output?: string;
    error?: string;
    cause?: string;
    startDate: Date;
    stopDate?: Date;
  }> {
    const e = this.mustGet(executionArn);
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      input: e.input,
      ...(e.output === undefined ? {} : { output: e.output }),
      ...(e.error === undefined ? {} : { error: e.error }),
      ...(e.cause === undefined ? {} : { cause: e.cause }),
      startDate: new Date(e.startMs),
      ...(e.stopMs === undefined ? {} : { stopDate: new Date(e.stopMs) }),
    };
  }

  /** ABORTED; Catch does not run (like AWS). A no-op on an execution that already ended. */
  async stopExecution(executionArn: string, error?: string, cause?: string): Promise<void> {
    const exec = this.mustGet(executionArn);
    if (exec.status !== ExecutionStatus.Running) return;
    this.close(exec, ExecutionStatus.Aborted, error, cause);
  }

  async sendTaskSuccess(taskToken: string, output: string): Promise<void> {
    // The API reference gives `output` a maximum length of 262144 and InvalidOutput for output it
    // refuses; the quota counts UTF-8 bytes (service quotas page).
    const outputBytes = payloadBytes(output);
    if (outputBytes > MAX_PAYLOAD_BYTES) {
      throw new SfnApiError(SfnApiErrorName.InvalidOutput, `Invalid Output: ${outputBytes} bytes is over the ${MAX_PAYLOAD_BYTES}-byte (256 KiB, UTF-8) limit`);
    }
    const task = this.openTask(taskToken);
    if (!task) return;
    let value: Json;
    try {
      value = JSON.parse(output) as Json;
    } catch {
      throw new SfnApiError(SfnApiErrorName.InvalidOutput, 'Invalid Output: not JSON');
    }
    this.closeTask(task, 'succeeded', { value });
  }

  async sendTaskFailure(taskToken: string, error: string | undefined, cause: string | undefined): Promise<void> {
    const task = this.openTask(taskToken);
    if (!task) return;
    const err = new Error(cause ?? '');
    err.name = error ?? '';
    this.closeTask(task, 'failed', { error: err });
  }

  /** Resets the HeartbeatSeconds timer of a callback task. */
  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    const task = this.openTask(taskToken);
    if (!task) return;
    if (task.heartbeatMs !== undefined) this.armHeartbeat(task);
  }

  // ------------------------------------------------------------------------------------ inspection

  getExecution(executionArn: string): ExecutionRecord {
    return this.snapshot(this.mustGet(executionArn));
  }

  listExecutions(): ExecutionRecord[] {
    return [...this.executions.values()].map((e) => this.snapshot(e));
  }

  /** Tokens of callback tasks waiting for SendTaskSuccess/Failure. */
  openTaskTokens(): Array<{ token: string; executionArn: string; stateName: string }> {
    return [...this.parked.values()].map((t) => ({ token: t.token, executionArn: t.exec.executionArn, stateName: t.meta.name }));
  }

  // ---------------------------------------------------------------------------------------- driving

  /**
   * Run `fn` as tracked work (e.g. an EventBridge-triggered Lambda, a scenario step) so virtual time
   * does not move under it. Its error is also reported as a runner error unless `recordErrors` is false.
   */
  invokeAsync<T>(label: string, fn: () => T | Promise<T>, options: { recordErrors?: boolean } = {}): Promise<T> {
    const p = this.clock.track(label, fn);
    if (options.recordErrors !== false) p.catch((error: unknown) => this.recordError(label, error));
    return p;
  }

  /** Invoke a registered function asynchronously (as EventBridge would), tracked like {@link invokeAsync}. */
  invokeFunction(functionArnOrName: string, event: unknown, options: { recordErrors?: boolean } = {}): Promise<unknown> {
    const fn = this.functions.get(lambdaFunctionKey(functionArnOrName));
    if (!fn) return Promise.reject(new Error(`Lambda function '${functionArnOrName}' is not registered with the local runner`));
    return this.invokeAsync(`invoke ${functionArnOrName}`, () => fn(jsonClone(event)), options);
  }

  /**
   * Drive the virtual clock: whenever nothing is busy, jump to the next timer. Stops when no
   * execution is running and no foreground timer is pending, when the next timer lies beyond
   * `maxVirtualMs` from now, or when running executions can never wake up.
   */
  async runUntilQuiescent(options: RunUntilQuiescentOptions = {}): Promise<RunReport> {
    this.assertNotInsideActivity('runUntilQuiescent');
    const startedAt = this.clock.now();
    const limit = startedAt + (options.maxVirtualMs ?? DAY_MS);
    let outcome: RunReport['outcome'];
    for (;;) {
      await this.settle();
      const running = this.runningExecutions();
      if (running.length === 0 && !this.clock.hasForegroundTimers()) {
        outcome = 'quiescent';
        break;
      }
      const next = this.clock.nextTimerAt();
      if (next === undefined) {
        outcome = 'stalled';
        break;
      }
      if (next > limit) {
        outcome = 'maxVirtualMs';
        break;
      }
      this.clock.advance();
    }
    return this.report(outcome, startedAt, options.failOnErrors ?? true);
  }

  /**
   * Drive the clock for exactly `ms` virtual milliseconds (firing every timer due on the way), then
   * settle. Outcome `quiescent` when nothing runs and no foreground timer is left, else `maxVirtualMs`.
   */
  async runFor(ms: number, options: { failOnErrors?: boolean } = {}): Promise<RunReport> {
    this.assertNotInsideActivity('runFor');
    const startedAt = this.clock.now();
    const target = startedAt + ms;
    for (;;) {
      await this.settle();
      const next = this.clock.nextTimerAt();
      if (next === undefined || next > target) break;
      this.clock.advance();
    }
    this.clock.advanceTo(target);
    await this.settle();
    const quiescent = this.runningExecutions().length === 0 && !this.clock.hasForegroundTimers();
    return this.report(quiescent ? 'quiescent' : 'maxVirtualMs', startedAt, options.failOnErrors ?? true);
  }

  /** Wait (in real time) until nothing is busy and the event loop has drained; time does not move. */
  async settle(): Promise<void> {
    let quiet = 0;
    while (quiet < this.quietTurns) {
      await nextTurn();
      if (this.clock.busyCount() > 0) {
        quiet = 0;
        await this.waitIdle();
        continue;
      }
      quiet++;
    }
  }

  /** Errors reported so far (and forget them): hooks, timer callbacks, bindings, invokeAsync. */
  takeErrors(): ActivityError[] {
    const out = [...this.errors, ...this.clock.takeErrors()];
    this.errors = [];
    return out;
  }

  /** Stop every running execution (ABORTED) and close every open task token. */
  dispose(): void {
    for (const exec of this.runningExecutions()) this.close(exec, ExecutionStatus.Aborted, 'RunnerDisposed', 'the local runner was disposed');
  }

  // -------------------------------------------------------------------------------------- internals

  private nextExecutionName(): string {
    this.executionSeq++;
    return `exec-${String(this.executionSeq).padStart(6, '0')}`;
  }

  /**
   * The execution that holds this ARN's name, if it still does: a closed execution frees its name
   * 90 days after it stopped (StartExecution API reference); its record is then replaced.
   */
  private reusableName(executionArn: string): Execution | undefined {
    const e = this.executions.get(executionArn);
    if (!e) return undefined;
    if (e.status !== ExecutionStatus.Running && e.stopMs !== undefined && this.clock.now() - e.stopMs >= EXECUTION_NAME_REUSE_MS) return undefined;
    return e;
  }

  private mustGet(executionArn: string): Execution {
    const e = this.executions.get(executionArn);
    if (!e) throw new SfnApiError(SfnApiErrorName.ExecutionDoesNotExist, `Execution Does Not Exist: '${executionArn}'`);
    return e;
  }

  private runningExecutions(): Execution[] {
    return [...this.executions.values()].filter((e) => e.status === ExecutionStatus.Running);
  }

  private checkResources(sm: RegisteredMachine): void {
    for (const meta of sm.compiled.states.values()) {
      const b = meta.binding;
      if (b?.kind !== 'task' || b.target.kind !== 'resource') continue;
      if (!this.resources.has(b.resource)) {
        throw new Error(
          `${sm.name}: Task '${meta.path}' uses resource '${b.resource}', which the local runner cannot run: registerTaskResource() it`,
        );
      }
    }
  }

  private assertNotInsideActivity(what: string): void {
    const label = this.clock.currentActivity();
    if (label !== undefined) throw new Error(`${what}() called from inside the tracked activity '${label}': it would wait for itself`);
  }

  private async waitIdle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new Error(
            `local runner: activities still busy after ${this.stallTimeoutMs} real ms: ${this.clock.busyLabels().join(', ')}`,
          ),
        );
      }, this.stallTimeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([this.clock.whenIdle(), stalled]);
    } finally {
      clearTimeout(timer);
    }
  }

  private report(outcome: RunReport['outcome'], startedAt: number, failOnErrors: boolean): RunReport {
    const errors = this.takeErrors();
    const report: RunReport = {
      outcome,
      startedAt,
      endedAt: this.clock.now(),
      running: this.runningExecutions().map((e) => ({
        executionArn: e.executionArn,
        name: e.name,
        openStates: e.open.map((o) => o.name),
      })),
      errors,
    };
    if (failOnErrors && errors.length > 0) {
      throw new AggregateError(
        errors.map((e) => e.error),
        `local runner: ${errors.length} error(s): ${errors.map((e) => `[${e.label}] ${errorNameOf(e.error)}: ${errorMessageOf(e.error)}`).join('; ')}`,
      );
    }
    return report;
  }

  private recordError(label: string, error: unknown): void {
    this.errors.push({ label, at: this.clock.now(), error });
  }

  private snapshot(e: Execution): ExecutionRecord {
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

  // ------------------------------------------------------------------------------- execution runs

  private launch(exec: Execution, input: Json): void {
    const sm = exec.machine;
    const handlers: HandlerMap = {};
    for (const meta of sm.compiled.states.values()) {
      if (meta.binding) handlers[meta.internalName] = this.bind(exec, meta) as HandlerMap[string];
    }
    const run = this.clock.detached(() =>
      sm.machine.run(input as LibJson, {
        overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: { ...sm.compiled.retryIntervalOverrides } },
        context: exec.context as RunOptions['context'],
      }),
    );
    exec.abort = run.abort;
    const consumed = this.clock.detached(() => this.consumeEvents(exec, run.eventLogs as AsyncGenerator<LibEvent>));
    if (sm.compiled.timeoutSeconds !== undefined) {
      const cancel = this.clock.at(
        exec.startMs + sm.compiled.timeoutSeconds * 1000,
        () => {
          if (exec.status === ExecutionStatus.Running) this.close(exec, ExecutionStatus.TimedOut, 'States.Timeout', 'execution timed out');
        },
        { label: `${exec.name} execution timeout` },
      );
      exec.timers.add({ cancel });
    }
    void Promise.allSettled([run.result, consumed]).then(([result]) => this.finish(exec, result as PromiseSettledResult<unknown>));
  }

  private async consumeEvents(exec: Execution, logs: AsyncGenerator<LibEvent>): Promise<void> {
    for await (const ev of logs) this.onEvent(exec, ev);
    // The log closed with a Map exit still waiting for iteration results: decide with what came in.
    if (exec.deferredExit) this.resolveDeferredExit(exec);
  }

  /** Add history events (see MAX_HISTORY_EVENTS); false when the execution just failed on the quota. */
  private countHistory(exec: Execution, events: number): boolean {
    if (exec.status !== ExecutionStatus.Running) return false;
    exec.historyEvents += events;
    // Event 25,000 is the ExecutionFailed event itself: fail once the states have written 24,999.
    if (exec.historyEvents < MAX_HISTORY_EVENTS) return true;
    exec.historyEvents = MAX_HISTORY_EVENTS;
    this.close(exec, ExecutionStatus.Failed, 'States.Runtime', `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`);
    return false;
  }

  /** Record a payload's size; true when it is within the quota. */
  private measure(exec: Execution, value: unknown): boolean {
    const bytes = payloadBytes(value);
    if (bytes > exec.largestPayloadBytes) exec.largestPayloadBytes = bytes;
    return bytes <= MAX_PAYLOAD_BYTES;
  }

  /** A state's payload is over the quota: the state fails with States.DataLimitExceeded, which no Catch here matches. */
  private failDataLimit(exec: Execution, meta: StateMeta, mapIndex: number | undefined, message: string): void {
    exec.history.push({
      kind: 'StateFailed',
      at: this.clock.now(),
      stateName: meta.name,
      stateType: meta.type,
      ...(mapIndex === undefined ? {} : { mapIndex }),
      error: 'States.DataLimitExceeded',
      cause: message,
    });
    this.close(exec, ExecutionStatus.Failed, 'States.DataLimitExceeded', message);
  }

  private onEvent(exec: Execution, ev: LibEvent): void {
    // Step Functions writes nothing after an execution closed (the executor may still be unwinding).
    if (exec.status !== ExecutionStatus.Running) return;
    const deferred = exec.deferredExit;
    if (deferred && !this.belongsToMap(exec, ev, deferred.map, deferred.path)) {
      deferred.buffered.push(ev);
      return;
    }
    this.handleEvent(exec, ev);
    const still = exec.deferredExit;
    if (still && still === deferred && this.mapResultsIn(exec, still.map)) this.resolveDeferredExit(exec);
  }

  private belongsToMap(exec: Execution, ev: LibEvent, map: string, path: string): boolean {
    if (ev.parentState) return ev.parentState.name === map;
    const meta = ev.state ? exec.machine.compiled.states.get(ev.state.name) : undefined;
    return meta?.path.startsWith(`${path} > `) === true;
  }

  private mapResultsIn(exec: Execution, map: string): boolean {
    const run = exec.maps.get(map);
    return run?.expected === undefined || run.resultBytes.size >= run.expected;
  }

  private resolveDeferredExit(exec: Execution): void {
    const d = exec.deferredExit;
    if (!d) return;
    exec.deferredExit = undefined;
    this.handleEvent(exec, d.event, true);
    exec.releaseBarrier();
    for (const ev of d.buffered) this.onEvent(exec, ev);
  }

  private handleEvent(exec: Execution, ev: LibEvent, mapResultsIn = false): void {
    if (ev.type === 'MapIterationSucceeded' || ev.type === 'MapIterationFailed') {
      this.onIterationEnd(exec, ev);
      return;
    }
    if (!ev.state) return;
    const meta = exec.machine.compiled.states.get(ev.state.name);
    if (meta?.hidden) {
      this.onGuardEvent(exec, meta, ev);
      return;
    }
    const stateName = meta?.name ?? ev.state.name;
    const stateType = meta?.type ?? (ev.state.type as AslStateType);
    const at = this.clock.now();
    const where = { at, stateName, stateType, ...(ev.index === undefined ? {} : { mapIndex: ev.index }) };
    const scope = stateType === 'Map' || stateType === 'Parallel';
    switch (ev.type) {
      case 'StateEntered': {
        if (scope) exec.failedScopes.delete(stateName);
        if (stateType === 'Map' && meta) exec.maps.set(meta.internalName, { expected: this.itemCount(exec, meta, ev.state.input), admitted: 0, resultBytes: new Map() });
        exec.transitions++;
        // <Type>StateEntered, and MapStateStarted / ParallelStateStarted.
        if (!this.countHistory(exec, scope ? 2 : 1)) return;
        exec.open.push({ name: stateName, ...(ev.index === undefined ? {} : { mapIndex: ev.index }) });
        exec.history.push({ kind: 'StateEntered', ...where, ...(this.recordStateData ? { input: ev.state.input as Json } : {}) });
        if (meta && !this.measure(exec, ev.state.input)) {
          this.failDataLimit(exec, meta, ev.index, dataLimitMessage(stateName, 'input'));
          return;
        }
        if (this.enteredHooks.size > 0) {
          const info: StateEventInfo = { executionArn: exec.executionArn, ...where, input: ev.state.input };
          for (const hook of this.enteredHooks) this.enqueueHook(exec, `onStateEntered ${stateName}`, () => hook(info));
        }
        return;
      }
      case 'StateExited': {
        if (stateType === 'Map' && meta && !mapResultsIn && !this.mapResultsIn(exec, meta.internalName)) {
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
            this.failDataLimit(exec, meta, ev.index, dataLimitMessage(stateName, 'result'));
            return;
          }
        }
        if (meta && !this.measure(exec, ev.state.output)) {
          this.failDataLimit(exec, meta, ev.index, dataLimitMessage(stateName, 'result'));
          return;
        }
        // <Type>StateExited, and MapStateSucceeded / ParallelStateSucceeded.
        if (!this.countHistory(exec, scope ? 2 : 1)) return;
        exec.history.push({ kind: 'StateExited', ...where, ...(this.recordStateData ? { output: ev.state.output as Json } : {}) });
        if (this.exitedHooks.size > 0) {
          const info: StateExitedInfo = { executionArn: exec.executionArn, ...where, input: ev.state.input, output: ev.state.output };
          for (const hook of this.exitedHooks) this.enqueueHook(exec, `onStateExited ${stateName}`, () => hook(info));
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
        if (scope && !this.countHistory(exec, 1)) return;
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
        if (!this.countHistory(exec, 1)) return;
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
  private onGuardEvent(exec: Execution, meta: StateMeta, ev: LibEvent): void {
    if (meta.binding?.kind !== 'guard' || ev.index === undefined) return;
    const mapMeta = exec.machine.compiled.states.get(meta.binding.map);
    const run = exec.maps.get(meta.binding.map);
    if (ev.type === 'StateEntered' && mapMeta && !this.measure(exec, ev.state?.input)) {
      this.failDataLimit(exec, mapMeta, undefined, `${dataLimitMessage(mapMeta.name, 'input')} (item ${ev.index})`);
      return;
    }
    if (ev.type === 'StateExited' && run) {
      run.admitted++;
      this.countHistory(exec, 1);
    }
  }

  private onIterationEnd(exec: Execution, ev: LibEvent): void {
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
    this.countHistory(exec, 1);
  }

  /** How many items a Map state iterates over (InputPath, then ItemsPath); undefined if unknown. */
  private itemCount(exec: Execution, meta: StateMeta, rawInput: unknown): number | undefined {
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

  private enqueueHook(exec: Execution, label: string, run: () => void | Promise<void>): void {
    exec.hookChain = exec.hookChain
      .then(() => this.clock.detached(() => this.clock.track(`${exec.name} ${label}`, run)))
      .catch((error: unknown) => this.recordError(`${exec.name} ${label}`, error));
  }

  private finish(exec: Execution, result: PromiseSettledResult<unknown>): void {
    if (exec.status === ExecutionStatus.Running) {
      exec.stopMs = this.clock.now();
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
    this.teardown(exec);
    exec.open.length = 0;
    if (this.finishedHooks.size > 0) {
      for (const hook of this.finishedHooks) this.enqueueHook(exec, 'onExecutionFinished', () => hook(this.snapshot(exec)));
    }
  }

  /** Stop an execution from outside (StopExecution, execution timeout). */
  private close(exec: Execution, status: ExecutionStatus, error: string | undefined, cause: string | undefined): void {
    // ExecutionFailed / ExecutionAborted / ExecutionTimedOut (already counted when the history quota closed it).
    exec.historyEvents = Math.min(MAX_HISTORY_EVENTS, exec.historyEvents + 1);
    exec.status = status;
    exec.stopMs = this.clock.now();
    if (error !== undefined) exec.error = error;
    if (cause !== undefined) exec.cause = cause;
    exec.abort();
    this.teardown(exec);
  }

  /** Cancel the execution's timers and close its open task tokens; pending bindings unwind. */
  private teardown(exec: Execution): void {
    const signal = new ExecutionClosedSignal(`execution ${exec.executionArn} is ${exec.status}`);
    for (const t of exec.timers) {
      t.cancel();
      t.reject?.(signal);
    }
    exec.timers.clear();
    for (const task of [...this.parked.values()]) {
      if (task.exec === exec) this.closeTask(task, 'aborted', { error: signal });
    }
  }

  // ------------------------------------------------------------------------------------- bindings

  /** The local function the executor calls for a bound state of one execution. */
  private bind(exec: Execution, meta: StateMeta): (wrapped: Json) => Promise<Json> {
    return (wrapped) => {
      const result = deferred<Json>();
      const lingering: Promise<unknown>[] = [];
      void this.clock.track(`${exec.name} › ${meta.path}`, async () => {
        try {
          result.resolve(await this.runBoundState(exec, meta, wrapped, lingering));
        } catch (e) {
          result.reject(e);
        }
        // A function still running after its task timed out keeps the clock from moving under it.
        await Promise.allSettled(lingering);
      });
      return result.promise;
    };
  }

  private assertRunning(exec: Execution): void {
    if (exec.status !== ExecutionStatus.Running) throw new ExecutionClosedSignal(`execution ${exec.executionArn} is ${exec.status}`);
  }

  private async runBoundState(exec: Execution, meta: StateMeta, wrapped: Json, lingering: Promise<unknown>[]): Promise<Json> {
    this.assertRunning(exec);
    // Let the event log and the state hooks of this execution catch up before anything runs.
    await nextTurn();
    // A Map's exit waiting for its iterations' results may still fail the execution (payload quota).
    await exec.barrier;
    await exec.hookChain;
    this.assertRunning(exec);
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
        await this.runWait(exec, meta, input);
        return input;
      case 'guard':
        // Reached only by iterations of a Map that has not failed (the scope check above).
        return input;
      case 'task': {
        // States.DataLimitExceeded "when, after Parameters processing, the input of a state is larger
        // than the payload size quota" and "when the output of a connector is larger than the payload
        // size quota" (error-handling page). Neither is retried; only a Catch that names the error
        // explicitly catches it (States.ALL and States.TaskFailed do not).
        if (!this.measure(exec, params)) throw new StatesDataLimitError(meta, dataLimitMessage(meta.name, 'input'));
        const result = await this.runTask(exec, meta, binding, input, params, lingering);
        if (!this.measure(exec, result)) throw new StatesDataLimitError(meta, dataLimitMessage(meta.name, 'result'));
        return result;
      }
    }
  }

  private async runWait(exec: Execution, meta: StateMeta, input: Json): Promise<void> {
    const d = meta.definition;
    let ms: number;
    if (typeof d.Seconds === 'number') {
      ms = d.Seconds * 1000;
    } else if (typeof d.Timestamp === 'string') {
      ms = Date.parse(d.Timestamp) - this.clock.now();
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
      ms = t - this.clock.now();
    } else {
      throw new LocalRuntimeError(`${meta.path}: Wait state without Seconds, SecondsPath, Timestamp or TimestampPath`);
    }
    if (Number.isNaN(ms)) throw new LocalRuntimeError(`${meta.path}: invalid Timestamp`);
    if (ms > 0) await this.sleep(exec, ms, `${exec.name} › ${meta.path} wait`);
  }

  /** Sleep on the virtual clock; rejected with the close signal if the execution ends first. */
  private sleep(exec: Execution, ms: number, label: string): Promise<void> {
    const done = deferred<void>();
    const entry: CancelableTimer = {
      cancel: this.clock.at(
        this.clock.now() + ms,
        () => {
          exec.timers.delete(entry);
          done.resolve();
        },
        { label },
      ),
      reject: done.reject,
    };
    exec.timers.add(entry);
    return this.clock.blockedOn(done.promise);
  }

  private async runTask(
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
        return await this.runTaskAttempt(exec, meta, binding, input, params, lingering);
      } catch (e) {
        this.assertRunning(exec);
        if (isUncatchable(e)) throw e;
        const name = errorNameOf(e);
        const decision = decideRetry(meta.retriers, attempts, name, this.random);
        if (!decision) throw e;
        exec.transitions++;
        exec.retries++;
        exec.history.push({
          kind: 'StateRetried',
          at: this.clock.now(),
          stateName: meta.name,
          stateType: meta.type,
          attempt: decision.attempt,
          delayMs: decision.delayMs,
          error: name,
        });
        if (decision.delayMs > 0) await this.sleep(exec, decision.delayMs, `${exec.name} › ${meta.path} retry backoff`);
        this.assertRunning(exec);
      }
    }
  }

  private positiveSeconds(meta: StateMeta, exec: Execution, input: Json, field: 'TimeoutSeconds' | 'HeartbeatSeconds'): number | undefined {
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

  private async runTaskAttempt(
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
    const timeoutS = this.positiveSeconds(meta, exec, input, 'TimeoutSeconds');
    const heartbeatS = this.positiveSeconds(meta, exec, input, 'HeartbeatSeconds');
    // TaskScheduled, TaskStarted (and TaskSubmitted for a callback), then its outcome: see MAX_HISTORY_EVENTS.
    if (!this.countHistory(exec, binding.callback ? 4 : 3)) throw new ExecutionClosedSignal(`execution ${exec.executionArn} is ${exec.status}`);
    if (binding.callback) {
      return this.runCallbackAttempt(exec, meta, binding, params, timeoutS, heartbeatS, lingering);
    }
    const invoked = this.invokeTarget(exec, meta, binding, params, undefined);
    if (timeoutS === undefined) return await invoked;
    const timedOut = deferred<never>();
    const cancel = this.clock.at(
      this.clock.now() + timeoutS * 1000,
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

  private async runCallbackAttempt(
    exec: Execution,
    meta: StateMeta,
    binding: Extract<Binding, { kind: 'task' }>,
    params: Json,
    timeoutS: number | undefined,
    heartbeatS: number | undefined,
    lingering: Promise<unknown>[],
  ): Promise<Json> {
    this.tokenSeq++;
    const token = `local-task-token-${String(this.tokenSeq).padStart(6, '0')}`;
    const task: ParkedTask = { token, exec, meta, outcome: deferred<Json>(), timers: [] };
    // Register before the function runs: it may settle its own token before it returns.
    this.parked.set(token, task);
    exec.history.push({ kind: 'TaskTokenIssued', at: this.clock.now(), stateName: meta.name, token });
    const tokenOutcome = task.outcome.promise.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    if (timeoutS !== undefined) {
      task.timers.push(
        this.clock.at(
          this.clock.now() + timeoutS * 1000,
          () => this.closeTask(task, 'timed-out', { error: statesTimeoutError('States.Timeout', `${meta.name} timed out after ${timeoutS} s`) }),
          { label: `${exec.name} › ${meta.path} timeout` },
        ),
      );
    }
    if (heartbeatS !== undefined) {
      task.heartbeatMs = heartbeatS * 1000;
      this.armHeartbeat(task);
    }
    const invoked = this.invokeTarget(exec, meta, binding, replaceToken(params, token), token).then(
      () => ({ fn: true as const, ok: true as const }),
      (error: unknown) => ({ fn: true as const, ok: false as const, error }),
    );
    const first = await Promise.race([invoked, tokenOutcome.then((o) => ({ fn: false as const, ...o }))]);
    if (first.fn) {
      if (!first.ok && !task.closed) {
        this.closeTask(task, 'failed', { error: first.error });
      }
    } else {
      lingering.push(invoked);
    }
    // The function returned (or the token was settled while it ran): wait for the callback.
    const outcome = await this.clock.blockedOn(tokenOutcome);
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  private armHeartbeat(task: ParkedTask): void {
    task.cancelHeartbeat?.();
    const ms = task.heartbeatMs as number;
    const cancel = this.clock.at(
      this.clock.now() + ms,
      () =>
        this.closeTask(task, 'heartbeat-timed-out', {
          error: statesTimeoutError('States.HeartbeatTimeout', `${task.meta.name}: no heartbeat for ${ms / 1000} s`),
        }),
      { label: `${task.exec.name} › ${task.meta.path} heartbeat` },
    );
    task.cancelHeartbeat = cancel;
  }

  /** The open task for a token, or: undefined (ignored duplicate) / TaskTimedOut / TaskDoesNotExist. */
  private openTask(token: string): ParkedTask | undefined {
    const task = this.parked.get(token);
    if (task) return task;
    const closed = this.closed.get(token);
    if (closed === undefined) throw new SfnApiError(SfnApiErrorName.TaskDoesNotExist, 'Task Does Not Exist');
    if (this.closedTokens === 'ignore-duplicates' && (closed === 'succeeded' || closed === 'failed')) return undefined;
    throw new SfnApiError(SfnApiErrorName.TaskTimedOut, `Task Timed Out: the task is already closed (${closed})`);
  }

  private closeTask(task: ParkedTask, outcome: TokenOutcome, result: { value: Json } | { error: unknown }): void {
    if (task.closed) return;
    task.closed = outcome;
    for (const cancel of task.timers) cancel();
    task.cancelHeartbeat?.();
    this.parked.delete(task.token);
    this.closed.set(task.token, outcome);
    task.exec.history.push({ kind: 'TaskTokenClosed', at: this.clock.now(), stateName: task.meta.name, token: task.token, outcome });
    if ('value' in result) task.outcome.resolve(result.value);
    else task.outcome.reject(result.error);
  }

  private async invokeTarget(
    exec: Execution,
    meta: StateMeta,
    binding: Extract<Binding, { kind: 'task' }>,
    params: Json,
    taskToken: string | undefined,
  ): Promise<Json> {
    const target = binding.target;
    switch (target.kind) {
      case 'lambda-optimized': {
        const p = isObject(params) ? params : {};
        if (typeof p.FunctionName !== 'string') {
          throw new LocalRuntimeError(`${meta.path}: lambda:invoke needs Parameters.FunctionName (a string)`);
        }
        const payload = 'Payload' in p ? (p.Payload as Json) : {};
        const result = await this.invokeLambda(exec, meta, p.FunctionName, payload);
        return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      }
      case 'lambda-arn':
        return this.invokeLambda(exec, meta, target.functionName, params);
      case 'resource': {
        const fn = this.resources.get(target.resource);
        if (!fn) {
          const err = new LocalRuntimeError(`${meta.path}: resource '${target.resource}' is not registered with the local runner`);
          this.recordError(`${exec.name} › ${meta.path}`, err);
          throw err;
        }
        const info: TaskInvocationInfo = {
          executionArn: exec.executionArn,
          stateName: meta.name,
          resource: target.resource,
          ...(taskToken === undefined ? {} : { taskToken }),
        };
        try {
          return jsonClone(await fn(jsonClone(params), info));
        } catch (e) {
          throw lambdaError(e);
        }
      }
    }
  }

  private async invokeLambda(exec: Execution, meta: StateMeta, functionName: string, payload: Json): Promise<Json> {
    const fn = this.functions.get(lambdaFunctionKey(functionName));
    if (!fn) {
      const err = new LocalRuntimeError(
        `${meta.path}: Lambda function '${functionName}' is not registered with the local runner (registerFunction)`,
      );
      this.recordError(`${exec.name} › ${meta.path}`, err);
      throw err;
    }
    exec.lambdaInvocations++;
    exec.history.push({ kind: 'LambdaInvoked', at: this.clock.now(), stateName: meta.name, functionName });
    let result: unknown;
    try {
      result = await fn(jsonClone(payload));
    } catch (e) {
      throw lambdaError(e);
    }
    return jsonClone(result);
  }
}
