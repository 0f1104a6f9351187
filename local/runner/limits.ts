/**
 * Step Functions quotas and limits the runner enforces (Standard workflows), each constant with its
 * source: the payload quota and `States.DataLimitExceeded`, the history-event quota (counted in
 * history.ts), execution names and their 90-day reuse rule.
 */
import { SfnApiError, SfnApiErrorName } from './errors.js';
import { isObject } from './json.js';
import type { Execution } from './records.js';
import type { JsonObject } from './types.js';

export const DAY_MS = 24 * 3600 * 1000;

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
export function dataLimitMessage(stateName: string, what: 'result' | 'input'): string {
  return what === 'result'
    ? `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`
    : `The state/task '${stateName}' has an input with a size exceeding the maximum number of bytes service limit.`;
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

/** Record a payload's size; true when it is within the quota. */
export function measure(exec: Execution, value: unknown): boolean {
  const bytes = payloadBytes(value);
  if (bytes > exec.largestPayloadBytes) exec.largestPayloadBytes = bytes;
  return bytes <= MAX_PAYLOAD_BYTES;
}

/**
 * StartExecution's input within the payload quota: "input data when ... starting an execution"
 * (service quotas page); returns its UTF-8 bytes.
 */
export function executionInputBytes(input: string): number {
  // The API reference gives `input` a maximum length of 262144 and names InvalidExecutionInput for input
  // it refuses.
  const inputBytes = payloadBytes(input);
  if (inputBytes > MAX_PAYLOAD_BYTES) {
    throw new SfnApiError(
      SfnApiErrorName.InvalidExecutionInput,
      `Invalid State Machine Execution Input: ${inputBytes} bytes is over the ${MAX_PAYLOAD_BYTES}-byte (256 KiB, UTF-8) limit`,
    );
  }
  return inputBytes;
}

/** SendTaskSuccess's output within the payload quota. */
export function assertTaskOutputSize(output: string): void {
  // The API reference gives `output` a maximum length of 262144 and InvalidOutput for output it
  // refuses; the quota counts UTF-8 bytes (service quotas page).
  const outputBytes = payloadBytes(output);
  if (outputBytes > MAX_PAYLOAD_BYTES) {
    throw new SfnApiError(SfnApiErrorName.InvalidOutput, `Invalid Output: ${outputBytes} bytes is over the ${MAX_PAYLOAD_BYTES}-byte (256 KiB, UTF-8) limit`);
  }
}

/** StartExecution's name: 1 to 80 characters, none of whitespace and the characters AWS refuses (`InvalidName`). */
export function assertExecutionName(name: string): void {
  if (name.length < 1 || name.length > 80 || /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(name)) {
    throw new SfnApiError(SfnApiErrorName.InvalidName, `Invalid Name: '${name}'`);
  }
}
