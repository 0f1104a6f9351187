/**
 * The runner's one class: the Step Functions API the in-memory world calls (StartExecution,
 * DescribeExecution, StopExecution, SendTask*), registration of state machines, functions, task
 * resources and hooks, inspection, and driving the virtual clock. The work is in the files beside
 * it (see index.ts).
 */
import '../polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ActivityError, VirtualClockImpl } from '../clock.js';
import type { StartExecutionRequest, StepFunctionsBackend } from '../contracts.js';
import { armHeartbeat, closeTask, openTask, openTaskTokens } from './callbacks.js';
import { TASK_TOKEN_SENTINEL, applySubstitutions, compileDefinition, validateDefinition } from './compile.js';
import { runFor, runUntilQuiescent, settle } from './driving.js';
import { SfnApiError, SfnApiErrorName } from './errors.js';
import { close } from './executions.js';
import { lambdaFunctionKey } from './invoke.js';
import { isObject, jsonClone } from './json.js';
import { launch } from './launch.js';
import { EXECUTION_NAME_REUSE_MS, assertExecutionName, assertTaskOutputSize, executionInputBytes } from './limits.js';
import { type Execution, type RegisteredMachine, snapshot } from './records.js';
import { RunnerState } from './state.js';
import { executorTimeout, loadTimeoutClass } from './timers.js';
import {
  type ExecutionHook,
  type ExecutionRecord,
  ExecutionStatus,
  type Json,
  type JsonObject,
  type LocalFunction,
  type LocalRunnerOptions,
  type LocalTaskResource,
  type RegisterStateMachineRequest,
  type RunReport,
  type RunUntilQuiescentOptions,
  type StateEventInfo,
  type StateExitedInfo,
  type StateHook,
} from './types.js';

export class LocalRunner implements StepFunctionsBackend {
  readonly clock: VirtualClockImpl;
  /** Everything the runner holds, shared with the parts in this folder. */
  private readonly rt: RunnerState;

  constructor(options: LocalRunnerOptions = {}) {
    this.rt = new RunnerState(options);
    this.clock = this.rt.clock;
  }

  // ------------------------------------------------------------------------------ registration

  /** Register a state machine; returns its ARN. Throws on unsupported ASL or unresolved `${Key}`. */
  registerStateMachine(req: RegisterStateMachineRequest): { stateMachineArn: string } {
    const arn = req.arn ?? `arn:aws:states:${this.rt.region}:${this.rt.accountId}:stateMachine:${req.name}`;
    if (this.rt.machines.has(arn)) throw new SfnApiError(SfnApiErrorName.StateMachineAlreadyExists, `state machine ${arn} is already registered`);
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
    this.rt.machines.set(arn, { name: req.name, arn, compiled, machine });
    return { stateMachineArn: arn };
  }

  /**
   * Register a Lambda function by name or ARN (matched by function name; qualifiers ignored).
   * Registering the same name again replaces the function.
   */
  registerFunction(functionArnOrName: string, fn: LocalFunction): void {
    this.rt.functions.set(lambdaFunctionKey(functionArnOrName), fn);
  }

  /** Register a handler for a non-Lambda Task resource (exact Resource string). */
  registerTaskResource(resource: string, fn: LocalTaskResource): void {
    this.rt.resources.set(resource, fn);
  }

  /** Called after each state is entered (state input). Returns an unsubscribe function. */
  onStateEntered(cb: StateHook<StateEventInfo>): () => void {
    this.rt.enteredHooks.add(cb);
    return () => this.rt.enteredHooks.delete(cb);
  }

  /**
   * Called after each state exits, before the execution's next Task function runs (hooks of one
   * execution run one at a time, in order, as tracked activities: the clock waits for them).
   * A hook that throws is reported as a runner error (runUntilQuiescent throws).
   */
  onStateExited(cb: StateHook<StateExitedInfo>): () => void {
    this.rt.exitedHooks.add(cb);
    return () => this.rt.exitedHooks.delete(cb);
  }

  /** Called once when an execution reaches a terminal status. */
  onExecutionFinished(cb: ExecutionHook): () => void {
    this.rt.finishedHooks.add(cb);
    return () => this.rt.finishedHooks.delete(cb);
  }

  // ---------------------------------------------------------------------- StepFunctionsBackend

  async startExecution(req: StartExecutionRequest): Promise<{ executionArn: string; startDate: Date }> {
    const sm = this.rt.machines.get(req.stateMachineArn);
    if (!sm) throw new SfnApiError(SfnApiErrorName.StateMachineDoesNotExist, `State Machine Does Not Exist: '${req.stateMachineArn}'`);
    let input: Json;
    try {
      input = JSON.parse(req.input) as Json;
    } catch {
      throw new SfnApiError(SfnApiErrorName.InvalidExecutionInput, 'Invalid State Machine Execution Input: not JSON');
    }
    // The payload quota covers "input data when ... starting an execution" (service quotas page).
    const inputBytes = executionInputBytes(req.input);
    const name = req.name ?? this.nextExecutionName();
    assertExecutionName(name);
    const executionArn = `${sm.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.reusableName(executionArn);
    if (existing) {
      if (existing.status === ExecutionStatus.Running && existing.input === req.input) {
        return { executionArn, startDate: new Date(existing.startMs) };
      }
      throw new SfnApiError(SfnApiErrorName.ExecutionAlreadyExists, `Execution Already Exists: '${executionArn}'`);
    }
    this.checkResources(sm);
    executorTimeout.ctor ??= await loadTimeoutClass();
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
          RoleArn: `arn:aws:iam::${this.rt.accountId}:role/local-runner`,
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
    this.rt.executions.set(executionArn, exec);
    launch(this.rt, exec, input);
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
    close(this.rt, exec, ExecutionStatus.Aborted, error, cause);
  }

  async sendTaskSuccess(taskToken: string, output: string): Promise<void> {
    assertTaskOutputSize(output);
    const task = openTask(this.rt, taskToken);
    if (!task) return;
    let value: Json;
    try {
      value = JSON.parse(output) as Json;
    } catch {
      throw new SfnApiError(SfnApiErrorName.InvalidOutput, 'Invalid Output: not JSON');
    }
    closeTask(this.rt, task, 'succeeded', { value });
  }

  async sendTaskFailure(taskToken: string, error: string | undefined, cause: string | undefined): Promise<void> {
    const task = openTask(this.rt, taskToken);
    if (!task) return;
    const err = new Error(cause ?? '');
    err.name = error ?? '';
    closeTask(this.rt, task, 'failed', { error: err });
  }

  /** Resets the HeartbeatSeconds timer of a callback task. */
  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    const task = openTask(this.rt, taskToken);
    if (!task) return;
    if (task.heartbeatMs !== undefined) armHeartbeat(this.rt, task);
  }

  // -------------------------------------------------------------------------------- inspection

  getExecution(executionArn: string): ExecutionRecord {
    return snapshot(this.mustGet(executionArn));
  }

  listExecutions(): ExecutionRecord[] {
    return [...this.rt.executions.values()].map((e) => snapshot(e));
  }

  /** Tokens of callback tasks waiting for SendTaskSuccess/Failure. */
  openTaskTokens(): Array<{ token: string; executionArn: string; stateName: string }> {
    return openTaskTokens(this.rt);
  }

  // ----------------------------------------------------------------------------------- driving

  /**
   * Run `fn` as tracked work (e.g. an EventBridge-triggered Lambda, a scenario step) so virtual time
   * does not move under it. Its error is also reported as a runner error unless `recordErrors` is false.
   */
  invokeAsync<T>(label: string, fn: () => T | Promise<T>, options: { recordErrors?: boolean } = {}): Promise<T> {
    const p = this.clock.track(label, fn);
    if (options.recordErrors !== false) p.catch((error: unknown) => this.rt.recordError(label, error));
    return p;
  }

  /** Invoke a registered function asynchronously (as EventBridge would), tracked like {@link invokeAsync}. */
  invokeFunction(functionArnOrName: string, event: unknown, options: { recordErrors?: boolean } = {}): Promise<unknown> {
    const fn = this.rt.functions.get(lambdaFunctionKey(functionArnOrName));
    if (!fn) return Promise.reject(new Error(`Lambda function '${functionArnOrName}' is not registered with the local runner`));
    return this.invokeAsync(`invoke ${functionArnOrName}`, () => fn(jsonClone(event)), options);
  }

  /**
   * Drive the virtual clock: whenever nothing is busy, jump to the next timer. Stops when no
   * execution is running and no foreground timer is pending, when the next timer lies beyond
   * `maxVirtualMs` from now, or when running executions can never wake up.
   */
  runUntilQuiescent(options: RunUntilQuiescentOptions = {}): Promise<RunReport> {
    return runUntilQuiescent(this.rt, options);
  }

  /**
   * Drive the clock for exactly `ms` virtual milliseconds (firing every timer due on the way), then
   * settle. Outcome `quiescent` when nothing runs and no foreground timer is left, else `maxVirtualMs`.
   */
  runFor(ms: number, options: { failOnErrors?: boolean } = {}): Promise<RunReport> {
    return runFor(this.rt, ms, options);
  }

  /** Wait (in real time) until nothing is busy and the event loop has drained; time does not move. */
  settle(): Promise<void> {
    return settle(this.rt);
  }

  /** Errors reported so far (and forget them): hooks, timer callbacks, bindings, invokeAsync. */
  takeErrors(): ActivityError[] {
    return this.rt.takeErrors();
  }

  /** Stop every running execution (ABORTED) and close every open task token. */
  dispose(): void {
    for (const exec of this.rt.runningExecutions()) close(this.rt, exec, ExecutionStatus.Aborted, 'RunnerDisposed', 'the local runner was disposed');
  }

  // --------------------------------------------------------------------------------- internals

  private nextExecutionName(): string {
    this.rt.executionSeq++;
    return `exec-${String(this.rt.executionSeq).padStart(6, '0')}`;
  }

  /**
   * The execution that holds this ARN's name, if it still does: a closed execution frees its name
   * 90 days after it stopped (StartExecution API reference); its record is then replaced.
   */
  private reusableName(executionArn: string): Execution | undefined {
    const e = this.rt.executions.get(executionArn);
    if (!e) return undefined;
    if (e.status !== ExecutionStatus.Running && e.stopMs !== undefined && this.clock.now() - e.stopMs >= EXECUTION_NAME_REUSE_MS) return undefined;
    return e;
  }

  private mustGet(executionArn: string): Execution {
    const e = this.rt.executions.get(executionArn);
    if (!e) throw new SfnApiError(SfnApiErrorName.ExecutionDoesNotExist, `Execution Does Not Exist: '${executionArn}'`);
    return e;
  }

  private checkResources(sm: RegisteredMachine): void {
    for (const meta of sm.compiled.states.values()) {
      const b = meta.binding;
      if (b?.kind !== 'task' || b.target.kind !== 'resource') continue;
      if (!this.rt.resources.has(b.resource)) {
        throw new Error(
          `${sm.name}: Task '${meta.path}' uses resource '${b.resource}', which the local runner cannot run: registerTaskResource() it`,
        );
      }
    }
  }
}
