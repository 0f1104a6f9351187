/**
 * Operator controls: the small JSON documents a person types into the Step Functions console
 * (StartExecution of the `control` or the `rollback` state machine) and the CLI sends — one schema
 * each, validated here with messages that name the field and say what to fix — and the pure
 * decisions behind them. No I/O: the control Lambda reads the record and sends the signal.
 *
 * Control input (statemachines/control.asl.json):
 * ```json
 * { "action": "promote" | "promote-fully" | "extend" | "hold" | "approve" | "abort",
 *   "service": "api", "environment": "production",
 *   "deploymentId": "...",    // optional; default: the service's in-flight deployment
 *   "reason": "...",          // optional; recorded with the action (the abort reason)
 *   "extendSeconds": 600,     // extend only: bake this much longer, from now; 1..86400, default 300
 *   "by": "alice" }           // optional; who. Default: the control execution (CloudTrail names its caller)
 * ```
 * A release waiting for approval (functions/core/release-control.ts ReleaseControlSchema):
 * ```json
 * { "action": "approve" | "abort", "releaseId": "shop-api-3d7bf616c0c3c348",
 *   "environment": "production", "reason": "...", "by": "alice" }   // environment, reason, by optional
 * ```
 * `approve` / `abort` by service (no `deploymentId`) act on the release waiting for approval before
 * that environment with that service in it when no deployment of the service waits for approval
 * (approve) or is in flight (abort). No input carries a task token: every token is read from the
 * record (issue #14, item 4).
 * Rollback input (statemachines/rollback.asl.json):
 * ```json
 * { "service": "api", "environment": "production",
 *   "toVersion": "api-production-3d7b..." | "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
 *   "reason": "...", "by": "..." }   // toVersion optional; default: the previous stable version
 * ```
 *
 * What a control does, by what the deployment waits for (see {@link decideControl}):
 *
 * | action | bake | approval step or hold | termination wait | no token (health check, shift, queued) |
 * | --- | --- | --- | --- | --- |
 * | promote | ends the bake as passed | approves | retires blue now | NotBaking |
 * | promote-fully | skips every step left: 100 %, promote | same | retires blue now | NotBaking |
 * | extend | ends the bake, bakes `extendSeconds` more from now (alarms armed, then the analysis) | NotBaking | NotBaking | NotBaking |
 * | hold | waits for approve/abort (environment's approval timeout and action) | nothing to do | NotBaking | NotBaking |
 * | approve | NotWaitingForApproval | approves | NotWaitingForApproval | NotWaitingForApproval |
 * | abort | rollback, reason Aborted | same | rollback (a weight flip) | stop the execution, then roll it back |
 *
 * A native deployment (engine native, issue #17) waits for ECS (`waitingFor: native`): abort answers
 * that token with Aborted (the deploy state machine calls StopServiceDeployment ROLLBACK); approve is
 * recorded on the deployment and wakes that wait (Cutover's lifecycle hook passes its approval gate
 * at its next call; a PAUSE hook is continued at once by CheckNativeDeployment);
 * promote, promote-fully, extend and hold are NotBaking (ECS holds the steps).
 */
import * as z from 'zod/mini';
import { EXECUTION_NAME } from './deploy-state.js';
import { NotBaking, NotWaitingForApproval, NothingInFlight, ValidationError } from './errors.js';
import {
  type DeploymentRecord,
  type DeploymentStatus,
  DeploymentStatus as Status,
  type ImageRef,
  isTerminal,
  type StablePointer,
  type WaitingFor,
  wasPromoted,
} from './model.js';
import { parseOrThrow } from './validation.js';

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

export const ControlAction = {
  Promote: 'promote',
  PromoteFully: 'promote-fully',
  Extend: 'extend',
  Hold: 'hold',
  Approve: 'approve',
  Abort: 'abort',
} as const;
export type ControlAction = (typeof ControlAction)[keyof typeof ControlAction];
export const CONTROL_ACTIONS: readonly ControlAction[] = Object.values(ControlAction);

/** Bounds and default of `extendSeconds`. */
export const EXTEND_SECONDS = { min: 1, max: 24 * 3600, default: 300 } as const;
/** Longest `reason` and `by`. */
export const MAX_REASON_LENGTH = 1024;
export const MAX_BY_LENGTH = 256;

const SERVICE = z.string().check(z.regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a configured service name (1-32 characters of a-z, 0-9 and -)'));
const ENVIRONMENT = z.string().check(
  z.regex(/^[a-z][a-z0-9-]{0,15}$/, 'must be a configured environment name (1-16 characters of a-z, 0-9 and -)'),
);
const DEPLOYMENT_ID = z.string().check(z.regex(EXECUTION_NAME, 'must be a deployment id (1-80 letters, digits, - or _)'));
const REASON = z.string().check(z.minLength(1, 'must not be empty; omit it instead'), z.maxLength(MAX_REASON_LENGTH));
const BY = z.string().check(z.minLength(1, 'must not be empty; omit it instead'), z.maxLength(MAX_BY_LENGTH));

/** `arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION`. */
export const TASK_DEFINITION_ARN = /^arn:(aws|aws-cn|aws-us-gov):ecs:[a-z]{2}(-[a-z]+)+-\d:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}:\d+$/;

const common = {
  service: SERVICE,
  environment: ENVIRONMENT,
  deploymentId: z.optional(DEPLOYMENT_ID),
  reason: z.optional(REASON),
  by: z.optional(BY),
};

export const ControlInputSchema = z.discriminatedUnion(
  'action',
  [
    z.strictObject({ action: z.literal(ControlAction.Promote), ...common }),
    z.strictObject({ action: z.literal(ControlAction.PromoteFully), ...common }),
    z.strictObject({
      action: z.literal(ControlAction.Extend),
      ...common,
      extendSeconds: z._default(z.int().check(z.minimum(EXTEND_SECONDS.min), z.maximum(EXTEND_SECONDS.max)), EXTEND_SECONDS.default),
    }),
    z.strictObject({ action: z.literal(ControlAction.Hold), ...common }),
    z.strictObject({ action: z.literal(ControlAction.Approve), ...common }),
    z.strictObject({ action: z.literal(ControlAction.Abort), ...common }),
  ],
  { error: `must be one of ${CONTROL_ACTIONS.map((a) => `"${a}"`).join(', ')}` },
);
/** What a caller sends (extendSeconds optional). */
export type ControlInputDocument = z.input<typeof ControlInputSchema>;
/** After parsing (extend has its extendSeconds). */
export type ControlInput = z.output<typeof ControlInputSchema>;

export const RollbackInputSchema = z.strictObject({
  service: SERVICE,
  environment: ENVIRONMENT,
  /** A deployment id, or a task-definition revision ARN; default: the previous stable version. */
  toVersion: z.optional(
    z.string().check(
      z.refine((v) => EXECUTION_NAME.test(v) || TASK_DEFINITION_ARN.test(v), {
        message: 'must be a deployment id (1-80 letters, digits, - or _) or a task-definition ARN (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION)',
      }),
    ),
  ),
  reason: z.optional(REASON),
  by: z.optional(BY),
});
export type RollbackInputDocument = z.input<typeof RollbackInputSchema>;
export type RollbackInput = z.output<typeof RollbackInputSchema>;

/** True when a control input names a release (`releaseId`): it is parsed by ReleaseControlSchema (functions/core/release-control.ts). */
export function namesRelease(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'releaseId' in raw;
}

/** Parse a control input; a ValidationError lists every bad field (`extendSeconds: ...`). */
export function parseControlInput(raw: unknown): ControlInput {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const action = (raw as { action?: unknown }).action;
    if (action === undefined) {
      throw new ValidationError('control input', [`action: is required; one of ${CONTROL_ACTIONS.map((a) => `"${a}"`).join(', ')}`]);
    }
    if ('releaseId' in raw && ('service' in raw || 'deploymentId' in raw)) {
      throw new ValidationError('control input', [
        `releaseId: names a release; remove ${'service' in raw ? 'service' : 'deploymentId'} (or remove releaseId to act on the service's deployment, or on the release waiting before its environment)`,
      ]);
    }
    if ('extendSeconds' in raw && action !== ControlAction.Extend && (CONTROL_ACTIONS as readonly unknown[]).includes(action)) {
      throw new ValidationError('control input', [`extendSeconds: only applies to action "extend" (this is "${String(action)}"); remove it`]);
    }
  }
  return parseOrThrow(ControlInputSchema, raw, 'control input');
}

/** Parse a rollback input; a ValidationError lists every bad field. */
export function parseRollbackInput(raw: unknown): RollbackInput {
  return parseOrThrow(RollbackInputSchema, raw, 'rollback input');
}

/** `toVersion` as what it names. */
export type VersionRef = { readonly kind: 'deployment'; readonly deploymentId: string } | { readonly kind: 'taskDefinition'; readonly arn: string };
export function versionRef(toVersion: string): VersionRef {
  return TASK_DEFINITION_ARN.test(toVersion) ? { kind: 'taskDefinition', arn: toVersion } : { kind: 'deployment', deploymentId: toVersion };
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

/**
 * What goes to a waiting task with SendTaskSuccess: the deploy state machine reads it at
 * `$.signal` (AfterSignal / AfterApproval choices, ExtendedBake's and Hold's timeouts).
 */
export type ControlSignal =
  | { readonly action: 'promote'; readonly by: string }
  | { readonly action: 'promote-fully'; readonly by: string }
  | { readonly action: 'extend'; readonly by: string; readonly seconds: number }
  | { readonly action: 'hold'; readonly by: string; readonly timeoutSeconds: number; readonly onTimeout: 'abort' | 'promote' }
  | { readonly action: 'approve'; readonly by: string };

/** Error names a control sends to a waiting task with SendTaskFailure. */
export type ControlFailure = 'Aborted' | 'RollbackRequested';

/** What the control Lambda does next. */
export type ControlDecision =
  /** SendTaskSuccess(taskToken, signal). */
  | { readonly kind: 'succeed'; readonly taskToken: string; readonly waitingFor: WaitingFor; readonly signal: ControlSignal }
  /** SendTaskFailure(taskToken, error, message): the deploy execution rolls back with that reason. */
  | { readonly kind: 'fail'; readonly taskToken: string; readonly waitingFor: WaitingFor; readonly error: ControlFailure; readonly message: string }
  /** No token to answer: stop the execution, let in-flight Lambdas end, then roll it back. */
  | { readonly kind: 'stop'; readonly error: ControlFailure; readonly message: string }
  /** Nothing to do (e.g. hold while already waiting for approval). */
  | { readonly kind: 'none'; readonly why: string };

/** The part of a deployment record a control decides on. */
export interface InFlightView {
  readonly deploymentId: string;
  readonly status: DeploymentStatus;
  readonly taskToken?: string;
  readonly waitingFor?: WaitingFor;
}

/** How long a hold waits and what happens when nobody answers (the environment's approval policy). */
export interface HoldPolicy {
  readonly timeoutSeconds: number;
  readonly onTimeout: 'abort' | 'promote';
}

function describeWait(view: InFlightView): string {
  if (view.status === Status.QUEUED) return 'queued (waiting for the service lock)';
  switch (view.waitingFor) {
    case 'bake':
      return 'baking';
    case 'approval':
      return 'waiting for approval';
    case 'termination':
      return 'promoted and in its termination wait (blue still running)';
    case 'native':
      return "deploying through ECS's own deployment (engine native: ECS moves the traffic, Cutover's lifecycle hook holds the bakes and approvals)";
    default:
      return 'between steps (health checks, a traffic shift or an analysis)';
  }
}

/**
 * The in-flight deployment a control applies to: `deploymentId` when given (it must be in flight),
 * else the one IN_PROGRESS, else the newest QUEUED. Throws {@link NothingInFlight} naming what to do.
 */
export function selectInFlight<R extends Pick<DeploymentRecord, 'deploymentId' | 'status' | 'createdAt'>>(
  service: string,
  environment: string,
  inFlight: readonly R[],
  deploymentId?: string,
  known?: R,
): R {
  if (deploymentId !== undefined) {
    const found = inFlight.find((r) => r.deploymentId === deploymentId) ?? (known && !isTerminal(known.status) ? known : undefined);
    if (found) return found;
    if (known) {
      throw new NothingInFlight(
        `Deployment ${deploymentId} of ${service}/${environment} already ended ${known.status}; nothing to control (to undo a finished deployment, start the rollback state machine)`,
        { details: { deploymentId, status: known.status } },
      );
    }
    throw new NothingInFlight(`No deployment ${deploymentId} of ${service}/${environment}; check deploymentId, or omit it to act on the in-flight deployment`, {
      details: { deploymentId },
    });
  }
  const running = inFlight.filter((r) => r.status === Status.IN_PROGRESS);
  const pick = running[0] ?? [...inFlight].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (!pick) {
    throw new NothingInFlight(`Nothing is in flight for ${service}/${environment}; check service and environment (to undo a finished deployment, start the rollback state machine)`, {
      details: { service, environment },
    });
  }
  return pick;
}

/**
 * What a control does to the deployment `view` (see the table at the top of this file). Throws
 * {@link NotBaking} or {@link NotWaitingForApproval} with a message that says what the deployment is
 * doing and what would work instead.
 *
 * Examples: promote while baking -> succeed with `{action: 'promote'}`; abort while waiting for
 * approval -> fail with `Aborted`; abort during a health check -> stop; approve while baking ->
 * NotWaitingForApproval ("... use promote to end the bake now").
 */
export function decideControl(input: ControlInput, view: InFlightView, by: string, hold: HoldPolicy): ControlDecision {
  const id = view.deploymentId;
  const token = view.status === Status.IN_PROGRESS ? view.taskToken : undefined;
  const waiting = token ? view.waitingFor : undefined;
  const doing = describeWait(view);
  const succeed = (signal: ControlSignal): ControlDecision => ({ kind: 'succeed', taskToken: token as string, waitingFor: waiting as WaitingFor, signal });
  switch (input.action) {
    case ControlAction.Abort: {
      const message = `Aborted by ${by}${input.reason ? `: ${input.reason}` : ''}`;
      if (token && waiting) return { kind: 'fail', taskToken: token, waitingFor: waiting, error: 'Aborted', message };
      return { kind: 'stop', error: 'Aborted', message };
    }
    case ControlAction.Promote:
    case ControlAction.PromoteFully:
      if (waiting === 'native') throw nativeRefusal(view, input.action);
      if (waiting === 'bake' || waiting === 'approval' || waiting === 'termination') return succeed({ action: input.action, by });
      throw new NotBaking(
        `Deployment ${id} is ${doing}; ${input.action} applies to a bake, an approval or the termination wait. Try again when it bakes, or abort`,
        { details: { deploymentId: id, status: view.status, waitingFor: view.waitingFor ?? null } },
      );
    case ControlAction.Extend:
      if (waiting === 'native') throw nativeRefusal(view, input.action);
      if (waiting === 'bake') return succeed({ action: 'extend', by, seconds: input.extendSeconds });
      throw new NotBaking(
        `Deployment ${id} is ${doing}; extend applies to a bake only${waiting === 'approval' ? ' (approve, promote or abort the approval instead)' : ''}`,
        { details: { deploymentId: id, status: view.status, waitingFor: view.waitingFor ?? null } },
      );
    case ControlAction.Hold:
      if (waiting === 'native') throw nativeRefusal(view, input.action);
      if (waiting === 'bake') return succeed({ action: 'hold', by, timeoutSeconds: hold.timeoutSeconds, onTimeout: hold.onTimeout });
      if (waiting === 'approval') return { kind: 'none', why: `deployment ${id} is already waiting for approval` };
      throw new NotBaking(`Deployment ${id} is ${doing}; hold applies to a bake (it then waits for approve or abort)`, {
        details: { deploymentId: id, status: view.status, waitingFor: view.waitingFor ?? null },
      });
    case ControlAction.Approve:
      if (waiting === 'approval') return succeed({ action: 'approve', by });
      // Native: the approve is recorded on the deployment (decide records it) and the deploy
      // execution's wait is woken: Cutover's lifecycle hook passes its approval gate at its next call
      // (within 60 s), or CheckNativeDeployment continues an ECS PAUSE hook at once.
      if (waiting === 'native') return succeed({ action: 'approve', by });
      throw new NotWaitingForApproval(
        `Deployment ${id} is ${doing}, not waiting for approval${waiting === 'bake' ? '; use promote to end the bake now, or hold to wait for an approval' : ''}`,
        { details: { deploymentId: id, status: view.status, waitingFor: view.waitingFor ?? null } },
      );
    default: {
      const never: never = input;
      throw new TypeError(`unhandled control action ${JSON.stringify(never)}`);
    }
  }
}

/** promote / extend / hold on a native deployment: ECS holds the traffic steps; say what works instead. */
function nativeRefusal(view: InFlightView, action: string): NotBaking {
  return new NotBaking(
    `Deployment ${view.deploymentId} deploys through ECS's own deployment (engine native): ECS moves the traffic and Cutover's lifecycle hook holds the bakes, so ${action} does not apply; approve an approval step, or abort (StopServiceDeployment ROLLBACK)`,
    { details: { deploymentId: view.deploymentId, status: view.status, waitingFor: 'native' } },
  );
}

/**
 * After a signal was sent: did it land? `done`: the deployment ended (or, for a success signal, the
 * task moved on); `pending`: it still waits on the token that was signalled, or is between states
 * (e.g. the rollback is running); `missed`: it moved on to another callback before the signal
 * landed (the task had timed out first), so the decision must be taken again; `ended`: it ended
 * with another status than the signal asked for (it finished before the abort landed).
 */
export function signalOutcome(
  signalled: { readonly taskToken: string; readonly kind: 'succeed' | 'fail' },
  record: Pick<DeploymentRecord, 'status' | 'taskToken'> | undefined,
): 'done' | 'pending' | 'missed' | 'ended' {
  if (!record) return 'ended';
  if (signalled.kind === 'succeed') return 'done';
  if (record.status === Status.ROLLED_BACK) return 'done';
  if (isTerminal(record.status)) return 'ended';
  if (record.taskToken === undefined || record.taskToken === signalled.taskToken) return 'pending';
  return 'missed';
}

// ---------------------------------------------------------------------------------------------
// Rollback
// ---------------------------------------------------------------------------------------------

/** A version a rollback can deploy: a revision Cutover deployed before, with its image. */
export interface RollbackTarget {
  /** The deployment that put this revision live (for the record and the message). */
  readonly fromDeploymentId: string;
  readonly taskDefinitionArn: string;
  readonly image: Pick<ImageRef, 'repository' | 'digest' | 'tag'>;
}

export type RollbackPlan =
  /** Something is in flight: roll it back (its blue is the previous version). */
  | { readonly kind: 'in-flight'; readonly deploymentId: string; readonly decision: Extract<ControlDecision, { kind: 'fail' | 'stop' }> }
  /** Deploy an earlier revision (all at once after the health gate, alarms not armed). */
  | { readonly kind: 'deploy'; readonly target: RollbackTarget }
  /** Nothing to do. */
  | { readonly kind: 'noop'; readonly why: string };

/** What the rollback decision looks at (read by the control Lambda). */
export interface RollbackFacts {
  /** The deployment the rollback picked as in flight, if any (see {@link selectInFlight}). */
  readonly inFlight?: InFlightView;
  readonly stable?: StablePointer;
  /** The service's deployment records, any order. */
  readonly records: readonly DeploymentRecord[];
  /** Set when this rollback already rolled back an in-flight deployment. */
  readonly rolledBack?: string;
  /** The service's configured repository (for versions whose record expired). */
  readonly repository?: string;
}

const targetOf = (r: DeploymentRecord): RollbackTarget | undefined =>
  r.green?.taskDefinitionArn
    ? {
        fromDeploymentId: r.deploymentId,
        taskDefinitionArn: r.green.taskDefinitionArn,
        image: { repository: r.image.repository, digest: r.image.digest, ...(r.image.tag ? { tag: r.image.tag } : {}) },
      }
    : undefined;

/**
 * The version before the live one: the newest SUCCEEDED deployment created before the live
 * (stable) one, with another revision; else the stable pointer's `previous` when its deployment did
 * not end ROLLED_BACK or FAILED. Undefined when Cutover knows no earlier version (the version that
 * ran before the first Cutover deployment has no record of its image).
 */
export function previousVersion(
  stable: StablePointer | undefined,
  records: readonly DeploymentRecord[],
  /** The service's repository, for a version whose record expired (the pointer keeps its digest). */
  repository?: string,
): RollbackTarget | undefined {
  const current = stable ? records.find((r) => r.deploymentId === stable.deploymentId) : undefined;
  const before = current?.createdAt;
  const candidates = records
    .filter((r) => r.status === Status.SUCCEEDED && r.deploymentId !== stable?.deploymentId)
    .filter((r) => before === undefined || r.createdAt < before)
    .filter((r) => r.green?.taskDefinitionArn && r.green.taskDefinitionArn !== stable?.taskDefinitionArn)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.deploymentId.localeCompare(a.deploymentId));
  const best = candidates[0];
  if (best) return targetOf(best);
  const prev = stable?.previous;
  if (prev?.digest && prev.taskDefinitionArn !== stable?.taskDefinitionArn) {
    const rec = records.find((r) => r.deploymentId === prev.deploymentId);
    if (rec && (rec.status === Status.ROLLED_BACK || rec.status === Status.FAILED)) return undefined;
    const repo = rec?.image.repository ?? repository;
    if (!repo) return undefined;
    return {
      fromDeploymentId: prev.deploymentId,
      taskDefinitionArn: prev.taskDefinitionArn,
      image: { repository: repo, digest: prev.digest, ...(rec?.image.tag ? { tag: rec.image.tag } : {}) },
    };
  }
  return undefined;
}

/** The version `toVersion` names. Throws ValidationError naming the field when Cutover cannot deploy it. */
export function namedVersion(
  toVersion: string,
  stable: StablePointer | undefined,
  records: readonly DeploymentRecord[],
  repository?: string,
): RollbackTarget {
  const ref = versionRef(toVersion);
  if (ref.kind === 'deployment') {
    const r = records.find((x) => x.deploymentId === ref.deploymentId);
    if (!r) {
      throw new ValidationError('rollback input', [
        `toVersion: no deployment "${ref.deploymentId}" is on record for this service (records are kept for recordRetentionSeconds); name a deployment id from its history, or a task-definition ARN`,
      ]);
    }
    const target = targetOf(r);
    if (!target || !wasPromoted(r)) {
      throw new ValidationError('rollback input', [
        `toVersion: deployment "${ref.deploymentId}" ended ${r.status}${r.reason ? ` (${r.reason.code})` : ''} and never went live; name a deployment that succeeded`,
      ]);
    }
    return target;
  }
  const byRecord = [...records]
    .filter((r) => r.green?.taskDefinitionArn === ref.arn && wasPromoted(r))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  const fromRecord = byRecord ? targetOf(byRecord) : undefined;
  if (fromRecord) return fromRecord;
  for (const p of [stable, stable?.previous]) {
    if (p && p.taskDefinitionArn === ref.arn && p.digest) {
      const repo = records.find((r) => r.deploymentId === p.deploymentId)?.image.repository ?? repository;
      if (repo) return { fromDeploymentId: p.deploymentId, taskDefinitionArn: p.taskDefinitionArn, image: { repository: repo, digest: p.digest } };
    }
  }
  throw new ValidationError('rollback input', [
    `toVersion: no deployment of ${ref.arn} is on record for this service; Cutover rolls back to revisions it deployed (name a deployment id from the history)`,
  ]);
}

/**
 * The rollback decision.
 * 1. A deployment in flight that this rollback has not rolled back yet: roll it back (SendTaskFailure
 *    `RollbackRequested` to its token — during the termination wait that is a weight flip — or, with
 *    no token, stop it and roll it back).
 * 2. Otherwise the target: `toVersion`, or (when this rollback has not rolled anything back yet) the
 *    previous stable version. Already live: noop. Else: deploy it.
 * Throws ValidationError (fields named) when there is no version to go to.
 */
export function planRollback(input: RollbackInput, facts: RollbackFacts, by: string): RollbackPlan {
  const { inFlight, stable, records, rolledBack, repository } = facts;
  const message = `Rolled back by ${by}${input.reason ? `: ${input.reason}` : ''}`;
  if (inFlight && inFlight.deploymentId !== rolledBack) {
    const token = inFlight.status === Status.IN_PROGRESS ? inFlight.taskToken : undefined;
    const decision: Extract<ControlDecision, { kind: 'fail' | 'stop' }> =
      token && inFlight.waitingFor
        ? { kind: 'fail', taskToken: token, waitingFor: inFlight.waitingFor, error: 'RollbackRequested', message }
        : { kind: 'stop', error: 'RollbackRequested', message };
    return { kind: 'in-flight', deploymentId: inFlight.deploymentId, decision };
  }
  if (input.toVersion === undefined) {
    if (rolledBack) return { kind: 'noop', why: `rolled back ${rolledBack}; its previous version is live again` };
    const target = previousVersion(stable, records, repository);
    if (!target) {
      throw new ValidationError('rollback input', [
        `toVersion: ${input.service}/${input.environment} has no earlier version on record${stable ? ` before ${stable.deploymentId}` : ''}; name one with toVersion (a deployment id or a task-definition ARN Cutover deployed)`,
      ]);
    }
    return { kind: 'deploy', target };
  }
  const target = namedVersion(input.toVersion, stable, records, repository);
  if (stable && stable.taskDefinitionArn === target.taskDefinitionArn) {
    return { kind: 'noop', why: `${target.taskDefinitionArn} (from ${target.fromDeploymentId}) is already the live version` };
  }
  return { kind: 'deploy', target };
}
