/**
 * The errors the runner throws (Step Functions API errors, `States.Runtime`, unsupported ASL, the
 * signal that unwinds a closed execution) and how it reads and reshapes errors thrown at it.
 * `States.DataLimitExceeded` is in limits.ts, with the quota it enforces.
 */

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
export class ExecutionClosedSignal extends Error {
  override readonly name = 'ExecutionClosed';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/** The ASL uses something the local executor cannot run. */
export class UnsupportedAslError extends Error {
  override readonly name = 'UnsupportedAslError';
}

export function errorNameOf(e: unknown): string {
  if (e instanceof Error || (typeof e === 'object' && e !== null && 'name' in e)) {
    const n = (e as { name?: unknown }).name;
    if (typeof n === 'string') return n;
  }
  return 'Error';
}

export function errorMessageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    return (e as { message: string }).message;
  }
  return String(e);
}

/** An error as Step Functions sees a Lambda function error: name = errorType, Cause = JSON. */
export function lambdaError(e: unknown): Error {
  const errorType = errorNameOf(e) || 'Error';
  const err = new Error(JSON.stringify({ errorType, errorMessage: errorMessageOf(e), trace: [] }));
  err.name = errorType;
  return err;
}

export function isUncatchable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { isCatchable?: unknown }).isCatchable === false;
}
