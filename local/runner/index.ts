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
 *
 * The parts (this file is the public surface; import the runner through it):
 * - local-runner.ts: the LocalRunner class (the SFN API, registration, inspection, driving);
 * - compile.ts: the definition rewritten for the executor; paths.ts: reference paths;
 * - tasks.ts: bound states and Task retries; invoke.ts: the functions and resources a Task calls;
 * - callbacks.ts: task tokens; timers.ts: Wait, sleeps, timeouts and heartbeats on the virtual clock;
 * - retries.ts: retrier matching and backoff; limits.ts: the quotas and their sources;
 * - history.ts: the executor's events turned into history, counted against the quota;
 * - executions.ts: how an execution ends; launch.ts: how it starts on the executor;
 * - driving.ts: moving the virtual clock; state.ts: what one runner holds; records.ts: its runtime
 *   records; types.ts, errors.ts, json.ts, deferred.ts: what they say.
 */
import '../polyfills.js';

export { applySubstitutions, compileDefinition } from './compile.js';
export { LocalRuntimeError, SfnApiError, SfnApiErrorName, UnsupportedAslError } from './errors.js';
export { lambdaFunctionKey } from './invoke.js';
export { EXECUTION_NAME_REUSE_MS, MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES, StatesDataLimitError, payloadBytes } from './limits.js';
export { LocalRunner } from './local-runner.js';
export { readReferencePath } from './paths.js';
export { type Retrier, type RetryDecision, decideRetry, errorMatches } from './retries.js';
export {
  type AslStateType,
  type ExecutionHook,
  type ExecutionRecord,
  ExecutionStatus,
  type HistoryEvent,
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
  type TaskInvocationInfo,
  type TokenOutcome,
} from './types.js';
