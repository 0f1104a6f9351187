/**
 * The release pipeline across environments, the pure parts: the release input, the plan (which
 * services of which environment, in the configured order, with each environment's approval and
 * verification), the release record, and the outcome of each environment and of the release.
 *
 * A release takes one image through `environments` in order (for example staging, then
 * production). Each environment runs one nested deploy execution per service fed by the image's
 * repository and waits for them; the environment's verification hooks run; the next environment
 * waits for an approval when it requires one. A failure anywhere stops the release: a failure in
 * staging never reaches production.
 *
 * Release input (statemachines/release.asl.json; intake sends it for an ECR push when more than one
 * environment is configured; schema in release-request.ts):
 * ```json
 * { "releaseId": "shop-api-3d7bf616c0c3c348",          // optional; default: the execution name
 *   "image": { "repository": "shop/api", "digest": "sha256:…", "tag": "v2" },
 *   "requestedAt": "2026-01-01T00:00:00Z",              // optional; default: now
 *   "environments": ["staging", "production"],          // optional; default: every configured one
 *   "trigger": { "kind": "manual", "by": "alice" } }     // optional
 * ```
 * Release control (approve or abort the environment waiting for approval; schema in
 * release-control.ts) is an input of the **control** state machine (functions/core/control.ts, statemachines/control.asl.json), never a
 * call of the release function (issue #14, item 4):
 * ```json
 * { "action": "approve" | "abort", "releaseId": "shop-api-3d7bf616c0c3c348",
 *   "environment": "production",   // optional: refused unless it is the environment that waits
 *   "by": "alice", "reason": "…" }
 * ```
 * or by service, `{ "action": "approve", "service": "api", "environment": "production" }`: when no
 * deployment of api/production waits for approval (approve) or is in flight (abort), the release
 * waiting for approval before production with api among its deployments there. The approval token is
 * read from the release record only; no operator input carries a token or a stage item.
 */
import type { CutoverConfig, ServiceConfig } from './config.js';
import { servicesForPush } from './services.js';
import { attemptSuffix, type DeployRequest, deploymentIdFor, imageUri, parseCause } from './deploy-state.js';
import { ErrorName, NotWaitingForApproval, ValidationError } from './errors.js';
import type { DeploymentReason, DeploymentStatus } from './model.js';
import type { HookProgress } from './hooks.js';
import type { ReleaseRequest } from './release-request.js';

// ---------------------------------------------------------------------------------------------
// Statuses and the record
// ---------------------------------------------------------------------------------------------

export const ReleaseStatus = {
  IN_PROGRESS: 'IN_PROGRESS',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  /** An approval was aborted, or expired with onApprovalTimeout abort. */
  ABORTED: 'ABORTED',
  /** A newer push took over one of its deployments. */
  SUPERSEDED: 'SUPERSEDED',
} as const;
export type ReleaseStatus = (typeof ReleaseStatus)[keyof typeof ReleaseStatus];
export const isReleaseTerminal = (s: ReleaseStatus): boolean => s !== ReleaseStatus.IN_PROGRESS;

export const StageStatus = {
  PENDING: 'PENDING',
  WAITING_FOR_APPROVAL: 'WAITING_FOR_APPROVAL',
  DEPLOYING: 'DEPLOYING',
  VERIFYING: 'VERIFYING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  ROLLED_BACK: 'ROLLED_BACK',
  SUPERSEDED: 'SUPERSEDED',
  APPROVAL_EXPIRED: 'APPROVAL_EXPIRED',
  ABORTED: 'ABORTED',
  VERIFICATION_FAILED: 'VERIFICATION_FAILED',
  /** An earlier environment failed: this one was never started. */
  NOT_REACHED: 'NOT_REACHED',
} as const;
export type StageStatus = (typeof StageStatus)[keyof typeof StageStatus];

export interface ReleaseDeployment {
  readonly service: string;
  readonly deploymentId: string;
  /** The deployment's terminal status (DeploymentStatus), once it ended. */
  readonly status?: DeploymentStatus | 'NOT_STARTED';
  readonly reason?: DeploymentReason;
}

export interface ReleaseStage {
  readonly environment: string;
  readonly status: StageStatus;
  readonly requiresApproval: boolean;
  readonly deployments: readonly ReleaseDeployment[];
  readonly approval?: { readonly action: 'approve' | 'abort' | 'expired' | 'promoted-on-expiry'; readonly by?: string; readonly at: string; readonly reason?: string };
  readonly verificationHooks: number;
  readonly reason?: DeploymentReason;
  readonly startedAt?: string;
  readonly endedAt?: string;
}

export interface ReleaseRecord {
  readonly releaseId: string;
  readonly status: ReleaseStatus;
  readonly image: { readonly repository: string; readonly digest: string; readonly tag?: string; readonly uri: string };
  readonly trigger: ReleaseRequest['trigger'];
  /** Every environment, in order (environments with no service for the image are not listed). */
  readonly stages: readonly ReleaseStage[];
  readonly reason?: DeploymentReason;
  /** The approval token of the environment waiting for approval, if any. */
  readonly taskToken?: string;
  /**
   * What the control function recorded before it approved (shared/signal-proof.ts): the hashes of
   * the token it answered and of the nonce it sent; the release's VerifyApprovalSignal checks them.
   */
  readonly approvalSignal?: { readonly tokenHash: string; readonly signalNonceHash: string; readonly by: string; readonly at: string };
  readonly waitingFor?: { readonly environment: string; readonly since: string };
  readonly executionArn?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Epoch seconds (TTL), set when the release ends. */
  readonly expiresAt?: number;
}

// ---------------------------------------------------------------------------------------------
// Operator control of a release (through the control state machine)
// ---------------------------------------------------------------------------------------------

/** What the control function does to a release waiting for approval. */
export type ReleaseControlDecision =
  | { readonly kind: 'succeed'; readonly releaseId: string; readonly environment: string; readonly taskToken: string; readonly signal: { readonly action: 'approve'; readonly by: string } }
  | { readonly kind: 'fail'; readonly releaseId: string; readonly environment: string; readonly taskToken: string; readonly error: 'Aborted'; readonly message: string };

/**
 * Approve or abort the environment `record` waits for. Throws NotWaitingForApproval saying what the
 * release is doing (ended, between environments, or waiting before another environment than
 * `environment`). The token comes from the record only.
 */
export function decideReleaseControl(
  input: { readonly action: 'approve' | 'abort'; readonly environment?: string; readonly reason?: string },
  record: Pick<ReleaseRecord, 'releaseId' | 'status' | 'taskToken' | 'waitingFor' | 'stages'>,
  by: string,
): ReleaseControlDecision {
  const id = record.releaseId;
  if (record.status !== ReleaseStatus.IN_PROGRESS) {
    throw new NotWaitingForApproval(`Release ${id} already ended ${record.status}; approve and abort apply while an environment waits for approval`, {
      details: { releaseId: id, status: record.status },
    });
  }
  const waiting = record.waitingFor?.environment;
  if (!record.taskToken || !waiting) {
    const doing = record.stages.find((s) => s.status !== StageStatus.PENDING && s.status !== StageStatus.SUCCEEDED);
    throw new NotWaitingForApproval(
      `Release ${id} is not waiting for an approval${doing ? ` (${doing.environment} is ${doing.status})` : ''}; approve and abort apply while an environment waits for approval`,
      { details: { releaseId: id, status: record.status } },
    );
  }
  if (input.environment !== undefined && input.environment !== waiting) {
    throw new NotWaitingForApproval(`Release ${id} waits for approval before ${waiting}, not ${input.environment}; check environment, or omit it`, {
      details: { releaseId: id, waitingFor: waiting },
    });
  }
  if (input.action === 'approve') return { kind: 'succeed', releaseId: id, environment: waiting, taskToken: record.taskToken, signal: { action: 'approve', by } };
  return {
    kind: 'fail',
    releaseId: id,
    environment: waiting,
    taskToken: record.taskToken,
    error: 'Aborted',
    message: `Aborted by ${by}${input.reason ? `: ${input.reason}` : ''} (release ${id}, before ${waiting})`,
  };
}

/**
 * The release waiting for approval before `environment` with `service` among that environment's
 * deployments (the newest when several do). Undefined when none waits.
 */
export function waitingReleaseFor<R extends Pick<ReleaseRecord, 'status' | 'waitingFor' | 'stages' | 'createdAt' | 'taskToken'>>(
  service: string,
  environment: string,
  waiting: readonly R[],
): R | undefined {
  return [...waiting]
    .filter((r) => r.status === ReleaseStatus.IN_PROGRESS && r.taskToken !== undefined && r.waitingFor?.environment === environment)
    .filter((r) => r.stages.some((s) => s.environment === environment && s.deployments.some((d) => d.service === service)))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
}

/** A release record as operators may read it: without its approval token or the signal's hashes. */
export function publicRelease(record: ReleaseRecord): Omit<ReleaseRecord, 'taskToken' | 'approvalSignal'> {
  const { taskToken: _t, approvalSignal: _s, ...rest } = record;
  return rest;
}

/**
 * `shop/api` + `sha256:3d7b…` -> `shop-api-3d7bf616c0c3c348`: the same push delivered twice names
 * the same release execution. A later push of the same digest passes an `attempt` key of its own
 * (`shop-api-3d7bf616c0c3c348-1a2b3c4d`): execution names are not reusable for 90 days.
 */
export function releaseIdFor(repository: string, digest: string, attempt?: string): string {
  const hex = digest.replace(/^sha256:/, '').slice(0, 16);
  const tail = attempt === undefined ? hex : `${hex}-${attemptSuffix(attempt)}`;
  const slug = repository.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80 - tail.length - 1);
  return `${slug}-${tail}`;
}

/**
 * The deployment id (= deploy execution name) of `service` in `environment` within a release: the
 * plain `deploymentIdFor` for the push's first release (`releaseIdFor` without an attempt), one
 * keyed by the release id for any other release of the same digest, so no two releases share a
 * deploy execution name.
 */
export function releaseDeploymentId(releaseId: string, repository: string, service: string, environment: string, digest: string): string {
  return releaseId === releaseIdFor(repository, digest)
    ? deploymentIdFor(service, environment, digest)
    : deploymentIdFor(service, environment, digest, releaseId);
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/** One environment of the plan: what the release state machine's Environments Map iterates. */
export interface StagePlan {
  readonly index: number;
  readonly environment: string;
  readonly requiresApproval: boolean;
  /** At least 1 (the approval task's TimeoutSecondsPath). */
  readonly approvalTimeoutSeconds: number;
  readonly onApprovalTimeout: 'abort' | 'promote';
  /** The environment has verification hooks (the Verify loop runs). */
  readonly verify: boolean;
  /**
   * Only the id and service of each deployment: the Deployments Map builds each deploy input from
   * these and `release` (about 100 B a deployment, not the ~550 B of a full request: issue #12,
   * defect 10 — a repository feeding a few hundred services and environments passed 256 KiB).
   */
  readonly deployments: ReadonlyArray<{ readonly deploymentId: string; readonly service: string }>;
}

/** The release as every Environments Map item carries it (what each deploy input is built from). */
export interface ReleaseInfo {
  readonly releaseId: string;
  readonly image: ReleaseRecord['image'];
  readonly requestedAt: string;
  /** The nested deploy executions' `trigger`. */
  readonly deployTrigger: DeployRequest['trigger'];
}

/** One iteration of the release's Environments Map (`$` inside it). */
export interface ReleaseStageItem {
  readonly release: ReleaseInfo;
  readonly stage: StagePlan;
  readonly index: number;
  /** What the approval task answered (SendTaskSuccess output). */
  readonly approval?: { readonly action?: string; readonly by?: string };
  /** One entry per nested deploy execution (its status, or the error the Deploy state caught). */
  readonly results?: readonly unknown[];
  /** Set by EnvironmentDeployed: how each deployment ended. */
  readonly deployed?: ReadonlyArray<{ readonly service: string; readonly deploymentId: string; readonly status: string }>;
  /** Progress through the environment's verification hooks. */
  readonly hooks?: HookProgress;
}

export interface ReleasePlan {
  readonly releaseId: string;
  readonly image: ReleaseRecord['image'];
  readonly trigger: ReleaseRequest['trigger'];
  readonly requestedAt: string;
  readonly stages: readonly StagePlan[];
  /** Environments that have no service for this image. */
  readonly skipped: readonly string[];
}

/**
 * The plan of a release: for each environment, in the configured order (`request.environments`
 * narrows it), one deployment per service fed by the image's repository (and, for a push, whose
 * tag filter matches). Environments without such a service are skipped. Throws ValidationError
 * naming the field when an environment is unknown or no service deploys the image.
 */
export function planRelease(
  config: CutoverConfig,
  request: ReleaseRequest,
  ctx: { readonly releaseId: string; readonly nowIso: string; readonly accountId: string; readonly region: string },
): ReleasePlan {
  const known = config.environments.map((e) => e.name);
  const unknown = (request.environments ?? []).filter((e) => !known.includes(e));
  if (unknown.length > 0) {
    throw new ValidationError('release input', [
      `environments: ${unknown.map((e) => `"${e}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not configured; configured: ${known.join(', ')}`,
    ]);
  }
  const { repository, digest, tag } = request.image;
  const fed: ServiceConfig[] =
    request.trigger.kind !== 'manual' ? servicesForPush(config, repository, tag) : config.services.filter((s) => s.repository === repository);
  const image = { repository, digest, ...(tag ? { tag } : {}), uri: imageUri(ctx.accountId, ctx.region, repository, digest) };
  const requestedAt = request.requestedAt ?? ctx.nowIso;
  const stages: StagePlan[] = [];
  const skipped: string[] = [];
  for (const env of config.environments) {
    if (request.environments && !request.environments.includes(env.name)) continue;
    const services = fed.filter((s) => s.environment === env.name);
    if (services.length === 0) {
      skipped.push(env.name);
      continue;
    }
    stages.push({
      index: stages.length,
      environment: env.name,
      requiresApproval: env.requiresApproval,
      approvalTimeoutSeconds: Math.max(1, env.approvalTimeoutSeconds),
      onApprovalTimeout: env.onApprovalTimeout,
      verify: env.verification.hooks.length > 0,
      deployments: services.map((svc) => ({
        deploymentId: releaseDeploymentId(ctx.releaseId, repository, svc.name, env.name, digest),
        service: svc.name,
      })),
    });
  }
  if (stages.length === 0) {
    throw new ValidationError('release input', [
      `image.repository: no configured service${request.environments ? ` in ${request.environments.join(', ')}` : ''} deploys ${repository}${request.trigger.kind !== 'manual' ? `:${tag ?? '(untagged)'}` : ''}`,
    ]);
  }
  return { releaseId: ctx.releaseId, image, trigger: request.trigger, requestedAt, stages, skipped };
}

/** The record a release starts with: every environment of the plan PENDING. */
export function newReleaseRecord(plan: ReleasePlan, nowIso: string, executionArn?: string): ReleaseRecord {
  return {
    releaseId: plan.releaseId,
    status: ReleaseStatus.IN_PROGRESS,
    image: plan.image,
    trigger: plan.trigger,
    stages: plan.stages.map((s) => ({
      environment: s.environment,
      status: StageStatus.PENDING,
      requiresApproval: s.requiresApproval,
      verificationHooks: 0,
      deployments: s.deployments.map((d) => ({ service: d.service, deploymentId: d.deploymentId })),
    })),
    ...(executionArn ? { executionArn } : {}),
    createdAt: nowIso,
    updatedAt: nowIso,
  };
}

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

/** What an environment's deployments ended as, from their records (or the nested execution's error). */
export interface EnvironmentResult {
  readonly status: StageStatus;
  readonly deployments: readonly ReleaseDeployment[];
  /** Set when the release must stop: the error name it stops with and the message. */
  readonly failure?: { readonly code: ErrorName; readonly message: string };
}

/**
 * The environment's result. Every deployment SUCCEEDED: SUCCEEDED. Otherwise the release stops:
 * a rollback (`DeploymentRolledBack`), a failure or a deployment that never recorded an outcome
 * (`DeploymentFailed`), a newer push (`Superseded`), in that order of precedence.
 */
export function environmentResult(
  environment: string,
  deployments: ReadonlyArray<{
    readonly service: string;
    readonly deploymentId: string;
    readonly record?: { readonly status: DeploymentStatus; readonly reason?: DeploymentReason };
    readonly error?: { readonly Error?: string; readonly Cause?: string };
  }>,
): EnvironmentResult {
  const listed: ReleaseDeployment[] = deployments.map((d) => {
    if (d.record) return { service: d.service, deploymentId: d.deploymentId, status: d.record.status, ...(d.record.reason ? { reason: d.record.reason } : {}) };
    const message = d.error ? `${d.error.Error ?? 'error'}: ${parseCause(d.error.Cause).errorMessage || 'no details'}` : 'the deployment recorded no outcome';
    return { service: d.service, deploymentId: d.deploymentId, status: 'NOT_STARTED', reason: { code: ErrorName.DeploymentFailed, message } };
  });
  const describe = (d: ReleaseDeployment) => `${d.service} in ${environment} ${d.status === 'NOT_STARTED' ? 'did not start' : `ended ${d.status}`}${d.reason ? ` (${d.reason.code}: ${d.reason.message})` : ''}`;
  const rolledBack = listed.filter((d) => d.status === 'ROLLED_BACK');
  const failed = listed.filter((d) => d.status !== 'SUCCEEDED' && d.status !== 'ROLLED_BACK' && d.status !== 'SUPERSEDED');
  const superseded = listed.filter((d) => d.status === 'SUPERSEDED');
  if (rolledBack.length > 0) {
    return { status: StageStatus.ROLLED_BACK, deployments: listed, failure: { code: ErrorName.DeploymentRolledBack, message: [...rolledBack, ...failed].map(describe).join('; ') } };
  }
  if (failed.length > 0) {
    return { status: StageStatus.FAILED, deployments: listed, failure: { code: ErrorName.DeploymentFailed, message: failed.map(describe).join('; ') } };
  }
  if (superseded.length > 0) {
    return { status: StageStatus.SUPERSEDED, deployments: listed, failure: { code: ErrorName.Superseded, message: superseded.map(describe).join('; ') } };
  }
  return { status: StageStatus.SUCCEEDED, deployments: listed };
}

/** How the release ends, from the error its Environments Map caught (none: every environment passed). */
export function releaseOutcome(error: { readonly Error?: string; readonly Cause?: string } | undefined): {
  readonly status: ReleaseStatus;
  readonly reason: DeploymentReason;
} {
  if (!error) return { status: ReleaseStatus.SUCCEEDED, reason: { code: 'Released', message: 'every environment deployed and verified' } };
  const { errorType, errorMessage } = parseCause(error.Cause);
  const raw = error.Error === 'States.TaskFailed' && errorType ? errorType : (error.Error ?? ErrorName.DeploymentFailed);
  const known = (Object.values(ErrorName) as string[]).includes(raw);
  const code = known ? raw : ErrorName.DeploymentFailed;
  const message = known ? errorMessage || raw : `${raw}: ${errorMessage || 'no details'}`;
  const status =
    code === ErrorName.ApprovalExpired || code === ErrorName.Aborted
      ? ReleaseStatus.ABORTED
      : code === ErrorName.Superseded
        ? ReleaseStatus.SUPERSEDED
        : ReleaseStatus.FAILED;
  return { status, reason: { code, message } };
}

/** The status of the environment a release was in when it stopped with `code`. */
export function stageStatusOnFailure(code: string, current: StageStatus): StageStatus {
  switch (code) {
    case ErrorName.ApprovalExpired:
      return StageStatus.APPROVAL_EXPIRED;
    case ErrorName.Aborted:
      return StageStatus.ABORTED;
    case ErrorName.HookFailed:
      return current === StageStatus.VERIFYING ? StageStatus.VERIFICATION_FAILED : StageStatus.FAILED;
    case ErrorName.DeploymentRolledBack:
      return StageStatus.ROLLED_BACK;
    case ErrorName.Superseded:
      return StageStatus.SUPERSEDED;
    default:
      return current === StageStatus.ROLLED_BACK || current === StageStatus.SUPERSEDED ? current : StageStatus.FAILED;
  }
}

/**
 * The stages after a release ended: the environment that was in progress gets `failedAs`; those
 * never started become NOT_REACHED (a failure in staging never reaches production).
 */
export function closeStages(stages: readonly ReleaseStage[], outcome: ReleaseStatus, code: string, nowIso: string): ReleaseStage[] {
  if (outcome === ReleaseStatus.SUCCEEDED) return [...stages];
  let stopped = false;
  return stages.map((s) => {
    if (s.status === StageStatus.SUCCEEDED) return s;
    if (stopped) return { ...s, status: StageStatus.NOT_REACHED };
    stopped = true;
    return { ...s, status: stageStatusOnFailure(code, s.status), endedAt: s.endedAt ?? nowIso };
  });
}
