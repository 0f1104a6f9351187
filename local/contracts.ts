/**
 * The seams between the parts of the local runtime:
 * - the virtual clock (local/clock.ts) that everything runs on,
 * - the in-memory AWS world (local/world/) that answers SDK calls through a client plugin,
 * - the runner (local/runner/) that executes the real ASL with the real handlers.
 *
 * The world does not know about state machines: Step Functions API calls that reach it
 * (StartExecution, SendTaskSuccess, SendTaskFailure, DescribeExecution, StopExecution) are handed to
 * the {@link StepFunctionsBackend} the runner registers. EventBridge PutEvents calls are recorded
 * and handed to the {@link EventSink}.
 */

/** Virtual time. Nothing in the local runtime reads the wall clock. */
export interface VirtualClock {
  /** Virtual milliseconds since the epoch. */
  now(): number;
  /** Resolve after `ms` virtual milliseconds (0 resolves at the next advance). */
  sleep(ms: number): Promise<void>;
  /** Run `fn` at virtual time `atMs` (absolute). Returns a cancel function. */
  at(atMs: number, fn: () => void | Promise<void>): () => void;
  /** Run `fn` every `periodMs` virtual milliseconds until cancelled. */
  every(periodMs: number, fn: () => void | Promise<void>): () => void;
}

export interface StartExecutionRequest {
  readonly stateMachineArn: string;
  readonly name?: string;
  readonly input: string;
}
export interface StepFunctionsBackend {
  startExecution(req: StartExecutionRequest): Promise<{ executionArn: string; startDate: Date }>;
  sendTaskSuccess(taskToken: string, output: string): Promise<void>;
  sendTaskFailure(taskToken: string, error: string | undefined, cause: string | undefined): Promise<void>;
  describeExecution(executionArn: string): Promise<{
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
    input: string;
    output?: string;
    /** A FAILED, TIMED_OUT or ABORTED execution's error name and cause. */
    error?: string;
    cause?: string;
    startDate: Date;
    stopDate?: Date;
  }>;
  stopExecution(executionArn: string, error?: string, cause?: string): Promise<void>;
}

/** An EventBridge event as PutEvents received it (plus the time it was put). */
export interface PutEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly eventBusName?: string;
  readonly resources?: readonly string[];
  readonly time: number;
}
export type EventSink = (event: PutEvent) => void;

/** A fault to inject into one SDK operation. */
export interface FaultSpec {
  /** `Service:Operation`, e.g. `ECS:CreateTaskSet`, `ElasticLoadBalancingV2:ModifyListener`; `*` for any. */
  readonly operation: string;
  readonly kind: 'throttle' | '5xx' | 'timeout';
  /** How many calls fail (Infinity for persistent). */
  readonly count: number;
  /** Only from this virtual time on (default: now). */
  readonly fromMs?: number;
}
