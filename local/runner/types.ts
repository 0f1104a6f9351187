/**
 * The runner's public types: JSON values, what a registered function or task resource is, an
 * execution's history and read-only record, the hooks' payloads, the options and the run report.
 */
import type { ActivityError, VirtualClockImpl } from '../clock.js';

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
