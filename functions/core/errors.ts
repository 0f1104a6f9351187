/**
 * Every error Cutover raises on purpose, in one module.
 *
 * The `name` of each class is also the Step Functions contract: the ASL files in statemachines/
 * catch and retry these names in `ErrorEquals`, and test/statemachines/error-contract.test.ts checks
 * that every name the ASL uses is listed here and that every name here is either caught by the ASL
 * or listed in {@link UNCAUGHT_BY_DESIGN} with the reason.
 *
 * Lambda reports a thrown error to Step Functions as `{ Error: err.name, Cause: JSON }`, so the
 * class name is what the state machine sees.
 */

export const ErrorName = {
  /** Input (event, execution input, control input, config) does not match its schema. Nothing changed. */
  ValidationError: 'ValidationError',
  /** The named service/environment is not in the Cutover configuration. Nothing changed. */
  UnknownService: 'UnknownService',
  /** The configuration file itself is invalid (synth time and cold start). */
  ConfigError: 'ConfigError',
  /** The pushed digest does not exist in the service's ECR repository. */
  ImageNotFound: 'ImageNotFound',
  /** Scan findings at or above the configured severity block the release. */
  ImageRejected: 'ImageRejected',
  /** Another deployment holds the service lock; the state machine waits and asks again. */
  LockBusy: 'LockBusy',
  /** A newer push for the same service and environment replaced this queued deployment. */
  Superseded: 'Superseded',
  /** The live side could not be determined (weights name unknown target groups, no stable task set ...). */
  LiveStateInvalid: 'LiveStateInvalid',
  /** Green did not become steady and healthy before the health timeout. */
  HealthCheckTimeout: 'HealthCheckTimeout',
  /** After setting weights, AWS does not hold what was set. */
  WeightVerificationFailed: 'WeightVerificationFailed',
  /** Traffic was about to move to a target group with too few healthy targets. */
  InsufficientHealthyTargets: 'InsufficientHealthyTargets',
  /** A watched CloudWatch alarm went to ALARM during a bake. */
  AlarmTriggered: 'AlarmTriggered',
  /** The canary analysis found green worse than blue. */
  AnalysisFailed: 'AnalysisFailed',
  /** An operator aborted the deployment. */
  Aborted: 'Aborted',
  /** AWS throttled the call; retried by the state machine with backoff and jitter. */
  AwsThrottled: 'AwsThrottled',
  /** AWS answered 5xx or the call timed out; retried by the state machine with backoff and jitter. */
  AwsUnavailable: 'AwsUnavailable',
  /** AWS rejected the request (4xx that is not throttling); not retried. */
  AwsRequestFailed: 'AwsRequestFailed',
  /** A conditional write lost a race (record already terminal, lock taken ...). */
  ConflictError: 'ConflictError',
  /** How a deploy execution ends after a rollback (its Fail state); a release pipeline catches it. */
  DeploymentRolledBack: 'DeploymentRolledBack',
  /** How a deploy execution ends when it failed before (or while) changing anything. */
  DeploymentFailed: 'DeploymentFailed',
  /**
   * How a deploy execution ends when its rollback still failed after the whole retry budget: the
   * record stays in flight (not terminal) with its lock held and a `rollback-incomplete` timeline
   * entry, so the reconcile sweep rolls it back again.
   */
  RollbackIncomplete: 'RollbackIncomplete',
  /** An operator control names a service (or deployment) with nothing in flight. Nothing changed. */
  NothingInFlight: 'NothingInFlight',
  /** `approve` while the deployment is not waiting at an approval step or a hold. Nothing changed. */
  NotWaitingForApproval: 'NotWaitingForApproval',
  /** `promote`, `promote-fully`, `extend` or `hold` while the deployment is not at a bake (or approval). Nothing changed. */
  NotBaking: 'NotBaking',
  /**
   * A callback (bake, approval, termination wait) was answered with SendTaskSuccess outside the control
   * path: no signal nonce the control function recorded for that wait (issue #14, 5). The deployment
   * rolls back.
   */
  SignalNotVerified: 'SignalNotVerified',
  /** Control flow, not a failure: an operator promoted fully; the steps Map ends and traffic goes to 100 %. */
  PromotedFully: 'PromotedFully',
  /** An operator rolled back (rollback state machine) a deployment that was in flight or in its termination wait. */
  RollbackRequested: 'RollbackRequested',
  /** The deployment's execution is no longer running (stopped, timed out, failed without closing the record): rolled back by the reconcile sweep or an abort. */
  ExecutionStopped: 'ExecutionStopped',
  /** Control flow, not a failure: the image's scan has not finished; the deploy state machine waits and looks again. */
  ImageScanPending: 'ImageScanPending',
  /** The migration task did not exit 0 (exit code and ECS's stopped reason in the message). */
  MigrationFailed: 'MigrationFailed',
  /** A lifecycle or verification hook failed, answered nonsense, or did not pass in time (the hook is named). */
  HookFailed: 'HookFailed',
  /** A release's approval expired with onApprovalTimeout abort. */
  ApprovalExpired: 'ApprovalExpired',
  /** How a release execution ends when an environment failed or was aborted (the release record holds every environment's outcome). */
  ReleaseFailed: 'ReleaseFailed',
  /** The revision to register carries a task or execution role that `taskRoleArns` does not name (Cutover may not pass it). Nothing registered. */
  TaskRoleNotAllowed: 'TaskRoleNotAllowed',
  /**
   * The ECS service holds 5 task sets (DRAINING ones included), ECS's limit: CreateGreen deleted the
   * orphans it may and is retried (bounded) while they drain; the message says what to do if it persists.
   */
  TaskSetLimitReached: 'TaskSetLimitReached',
  /** The configured engine (`task-set` or `native`) disagrees with the live service's deployment controller (or the controller is unknown). Nothing changed. */
  EngineMismatch: 'EngineMismatch',
  /** The live service uses the CODE_DEPLOY controller: refused with the steps to switch it to the ECS controller in place. Nothing changed. */
  CodeDeployNotSupported: 'CodeDeployNotSupported',
  /** Engine native: the strategy's step list is one ECS's own deployments cannot express (the reason says why and what to use). Refused at synth. */
  NativeStrategyRefused: 'NativeStrategyRefused',
} as const;

export type ErrorName = (typeof ErrorName)[keyof typeof ErrorName];

export interface CutoverErrorOptions {
  readonly cause?: unknown;
  /** Structured details that go into the Cause of the Step Functions error (never secrets). */
  readonly details?: Record<string, unknown>;
}

/** Base class: `name` is one of {@link ErrorName}; `details` is safe to log and to put on the record. */
export abstract class CutoverError extends Error {
  abstract override readonly name: ErrorName;
  readonly details: Record<string, unknown>;
  constructor(message: string, options: CutoverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }
  toJSON(): { name: string; message: string; details: Record<string, unknown> } {
    return { name: this.name, message: this.message, details: this.details };
  }
}

export class ValidationError extends CutoverError {
  override readonly name = ErrorName.ValidationError;
  /** One line per problem: `path: what is wrong; what is allowed`. */
  readonly problems: readonly string[];
  constructor(what: string, problems: readonly string[], options: CutoverErrorOptions = {}) {
    super(`${what} is invalid: ${problems.join('; ')}`, {
      ...options,
      details: { ...options.details, problems },
    });
    this.problems = problems;
  }
}
export class UnknownService extends CutoverError {
  override readonly name = ErrorName.UnknownService;
}
export class ConfigError extends CutoverError {
  override readonly name = ErrorName.ConfigError;
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[], options: CutoverErrorOptions = {}) {
    super(`Cutover configuration ${source} is invalid:\n  - ${problems.join('\n  - ')}`, {
      ...options,
      details: { ...options.details, problems },
    });
    this.problems = problems;
  }
}
export class ImageNotFound extends CutoverError {
  override readonly name = ErrorName.ImageNotFound;
}
export class ImageRejected extends CutoverError {
  override readonly name = ErrorName.ImageRejected;
}
export class LockBusy extends CutoverError {
  override readonly name = ErrorName.LockBusy;
}
export class Superseded extends CutoverError {
  override readonly name = ErrorName.Superseded;
}
export class LiveStateInvalid extends CutoverError {
  override readonly name = ErrorName.LiveStateInvalid;
}
export class HealthCheckTimeout extends CutoverError {
  override readonly name = ErrorName.HealthCheckTimeout;
}
export class WeightVerificationFailed extends CutoverError {
  override readonly name = ErrorName.WeightVerificationFailed;
}
export class InsufficientHealthyTargets extends CutoverError {
  override readonly name = ErrorName.InsufficientHealthyTargets;
}
export class AlarmTriggered extends CutoverError {
  override readonly name = ErrorName.AlarmTriggered;
}
export class AnalysisFailed extends CutoverError {
  override readonly name = ErrorName.AnalysisFailed;
}
export class Aborted extends CutoverError {
  override readonly name = ErrorName.Aborted;
}
export class AwsThrottled extends CutoverError {
  override readonly name = ErrorName.AwsThrottled;
}
export class AwsUnavailable extends CutoverError {
  override readonly name = ErrorName.AwsUnavailable;
}
export class AwsRequestFailed extends CutoverError {
  override readonly name = ErrorName.AwsRequestFailed;
}
export class ConflictError extends CutoverError {
  override readonly name = ErrorName.ConflictError;
}
export class TaskSetLimitReached extends CutoverError {
  override readonly name = ErrorName.TaskSetLimitReached;
}

/**
 * Errors the state machines retry rather than roll back on: AWS's transient answers (backoff and
 * full jitter), and TaskSetLimitReached (CreateGreen only, every 30 s while orphaned task sets drain).
 */
export const RETRYABLE_ERRORS: readonly ErrorName[] = [ErrorName.AwsThrottled, ErrorName.AwsUnavailable, ErrorName.TaskSetLimitReached];

/**
 * Names no state machine catches, on purpose: they are raised where no state machine is involved
 * (config loading at synth or cold start, EventBridge-invoked handlers), so an uncaught one fails the
 * invocation and goes to the dead-letter queue or the synth output.
 * Plain keys (the type checks them against ErrorName): computed `[ErrorName.X]` keys would make esbuild
 * keep this table, which only the tests read, in every Lambda bundle.
 */
export const UNCAUGHT_BY_DESIGN: Readonly<Partial<Record<ErrorName, string>>> = {
  ConfigError: 'raised at synth time and at cold start, before any state machine runs',
  SignalNotVerified: 'a forged SendTaskSuccess: States.ALL sends the deployment to rollback (the steps Map and the termination wait catch it)',
  AwsRequestFailed: 'a 4xx that is not throttling: not retried; States.ALL sends the deployment to rollback or failure',
  ConflictError: 'a lost conditional write; States.ALL sends the deployment to rollback or failure',
  LiveStateInvalid: 'raised before anything is created; States.ALL sends the deployment to failure',
  ImageNotFound: 'raised before anything is created; States.ALL sends the deployment to failure',
  ImageRejected: 'raised before anything is created; States.ALL sends the deployment to failure',
  HealthCheckTimeout: 'caught by States.ALL into the rollback, which records it as the reason',
  WeightVerificationFailed: 'caught by States.ALL into the rollback, which records it as the reason',
  InsufficientHealthyTargets: 'caught by States.ALL into the rollback, which records it as the reason',
  AlarmTriggered: 'fails the bake task; the steps Map catches States.ALL into the rollback',
  LockBusy: 'the lock handler answers busy as data (LockOutcome choice), not as an error',
  Superseded: 'the lock handler answers superseded as data (LockOutcome choice), not as an error',
  DeploymentRolledBack: 'the end of a deploy execution; only a parent (release) execution sees it',
  DeploymentFailed: 'the end of a deploy execution; only a parent (release) execution sees it',
  RollbackRequested: 'sent by the control Lambda to a waiting task token; the steps Map or TerminationWait catches States.ALL into the rollback, which records it as the reason',
  ExecutionStopped: 'a reason, not a raised error: the reconcile sweep and an abort without a task token put it at $.error for the rollback',
  MigrationFailed: 'raised by the migration verdict; States.ALL sends the deployment to the rollback, which records it as the reason',
  HookFailed: 'raised by the hook handler; States.ALL sends the deployment to the rollback (the release to its failure), which records it as the reason',
  TaskRoleNotAllowed: 'raised by register before anything is registered; States.ALL sends the deployment to failure, which records it as the reason',
  EngineMismatch: 'raised when the live service is inspected, before anything changes; States.ALL sends the deployment to failure, which records it as the reason',
  CodeDeployNotSupported: 'raised when the live service is inspected, before anything changes; States.ALL sends the deployment to failure, which records it (with the migration steps) as the reason',
  NativeStrategyRefused: 'raised at synth time (config validation turns it into a ConfigError problem), before any state machine runs',
};

export class DeploymentRolledBack extends CutoverError {
  override readonly name = ErrorName.DeploymentRolledBack;
}
export class DeploymentFailed extends CutoverError {
  override readonly name = ErrorName.DeploymentFailed;
}
export class RollbackIncomplete extends CutoverError {
  override readonly name = ErrorName.RollbackIncomplete;
}
export class NothingInFlight extends CutoverError {
  override readonly name = ErrorName.NothingInFlight;
}
export class NotWaitingForApproval extends CutoverError {
  override readonly name = ErrorName.NotWaitingForApproval;
}
export class NotBaking extends CutoverError {
  override readonly name = ErrorName.NotBaking;
}
export class SignalNotVerified extends CutoverError {
  override readonly name = ErrorName.SignalNotVerified;
}
export class PromotedFully extends CutoverError {
  override readonly name = ErrorName.PromotedFully;
}
export class RollbackRequested extends CutoverError {
  override readonly name = ErrorName.RollbackRequested;
}
export class ExecutionStopped extends CutoverError {
  override readonly name = ErrorName.ExecutionStopped;
}
export class ImageScanPending extends CutoverError {
  override readonly name = ErrorName.ImageScanPending;
}
export class MigrationFailed extends CutoverError {
  override readonly name = ErrorName.MigrationFailed;
}
export class HookFailed extends CutoverError {
  override readonly name = ErrorName.HookFailed;
}
export class ApprovalExpired extends CutoverError {
  override readonly name = ErrorName.ApprovalExpired;
}
export class ReleaseFailed extends CutoverError {
  override readonly name = ErrorName.ReleaseFailed;
}
export class TaskRoleNotAllowed extends CutoverError {
  override readonly name = ErrorName.TaskRoleNotAllowed;
}
export class EngineMismatch extends CutoverError {
  override readonly name = ErrorName.EngineMismatch;
}
export class CodeDeployNotSupported extends CutoverError {
  override readonly name = ErrorName.CodeDeployNotSupported;
}
/** `reason` is the part after the strategy's name: what ECS cannot express and what to use instead. */
export class NativeStrategyRefused extends CutoverError {
  override readonly name = ErrorName.NativeStrategyRefused;
  get reason(): string {
    return String(this.details.reason ?? this.message);
  }
}

/** Terminal reasons: the record's `reason.code` is an error name or one of these. */
export const TerminalReason = {
  Promoted: 'Promoted',
  ...ErrorName,
} as const;
