/**
 * Release state machine (statemachines/release.asl.json): one image through the configured
 * environments in order. Actions:
 * - `start`: parse the release input, plan it (functions/core/release.ts), create the release record.
 *   Bad input (unknown environment, no service for the image) is ValidationError: nothing starts.
 * - `await-approval` (callback task): store the approval token on the record (the environment is
 *   WAITING_FOR_APPROVAL) and announce `Release Approval Requested`.
 * - `begin`: the environment is DEPLOYING (and how its approval was given is recorded).
 * - `deployed`: read every deployment's record; all SUCCEEDED continues (VERIFYING when the
 *   environment has verification hooks), otherwise the release stops with DeploymentRolledBack,
 *   DeploymentFailed or Superseded naming the service.
 * - `verified`: the environment SUCCEEDED.
 * - `finish`: end the release (SUCCEEDED, FAILED, ABORTED or SUPERSEDED from the error the
 *   Environments Map caught); environments never reached are NOT_REACHED; announce the outcome.
 * - `verify-signal` (after the approval task succeeded): the success must come through the control
 *   path — the nonce the control function recorded (hashed) on the release for this token
 *   (shared/signal-proof.ts); otherwise SignalNotVerified and the release stops (issue #14, items 4-5).
 *
 * Operators approve and abort through the control state machine (functions/handlers/control.ts);
 * this function answers no token and takes no operator input (issue #14, item 4).
 */
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv } from '../aws/clients.js';
import { DynamoReleaseStore } from '../aws/release-store.js';
import { getDeployment } from '../aws/store-deployments.js';
import { bindTable } from '../aws/store-items.js';
import { MAX_REQUESTED_AT_SKEW_SECONDS } from '../core/deploy-state.js';
import { ConflictError, DeploymentFailed, DeploymentRolledBack, ErrorName, SignalNotVerified, Superseded, ValidationError } from '../core/errors.js';
import { LifecycleEvent } from '../core/model.js';
import type { Clock, DeploymentStore, EventPublisher, ReleaseStore } from '../core/ports.js';
import {
  closeStages,
  environmentResult,
  newReleaseRecord,
  planRelease,
  type ReleaseRecord,
  type ReleaseStage,
  type ReleaseStageItem,
  releaseOutcome,
  StageStatus,
  type StagePlan,
} from '../core/release.js';
import { parseReleaseRequest } from '../core/release-request.js';
import { parseOrThrow } from '../core/validation.js';
import { publisherFor } from './shared/clients.js';
import { documentClientFor, tableFor } from './shared/store.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { signalProven } from './shared/signal-proof.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface ReleaseDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly releases: ReleaseStore;
  /** Only reads the deployments a release started. */
  readonly store: Pick<DeploymentStore, 'getDeployment'>;
  readonly events: EventPublisher;
  readonly logLevel?: string;
}

const Payload = z.object({
  action: z.enum(['start', 'await-approval', 'verify-signal', 'begin', 'deployed', 'verified', 'finish']),
  input: z.optional(z.unknown()),
  executionArn: z.optional(z.string()),
  executionName: z.optional(z.string()),
  /** `$$.Execution.StartTime`: the trusted time a release is ordered by (issue #14, item 3). */
  startedAt: z.optional(z.string()),
  item: z.optional(z.unknown()),
  taskToken: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  state: z.optional(z.unknown()),
});
type Payload = z.output<typeof Payload>;

/** The release state machine's top-level state after `start`. */
export interface ReleaseState {
  readonly release: ReleaseStageItem['release'];
  readonly stages: readonly StagePlan[];
  readonly skipped: readonly string[];
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/**
 * The release execution's output (`finish`): the outcome and one line per environment — never the
 * plan's deployments (issue #12, defect 10: the output carried every stage's deploy requests).
 */
export interface ReleaseOutput {
  readonly releaseId: string;
  readonly image: ReleaseStageItem['release']['image'];
  readonly environments: ReadonlyArray<{ readonly environment: string; readonly status: string; readonly deployments: number }>;
  readonly skipped: readonly string[];
  readonly outcome: { readonly status: string; readonly code: string; readonly message: string };
}

const iso = (ms: number) => new Date(ms).toISOString();

async function recordOf(deps: ReleaseDeps, releaseId: string): Promise<ReleaseRecord> {
  const record = await deps.releases.getRelease(releaseId);
  if (!record) throw new ConflictError(`Release ${releaseId} has no record`, { details: { releaseId } });
  return record;
}

/** Replace one stage of the record; a release that already ended is left alone. */
async function setStage(deps: ReleaseDeps, item: ReleaseStageItem, change: (s: ReleaseStage) => ReleaseStage): Promise<ReleaseStage> {
  const record = await recordOf(deps, item.release.releaseId);
  const current = record.stages[item.index];
  if (!current || current.environment !== item.stage.environment) {
    throw new ValidationError('release item', [`index: stage ${item.index} of ${item.release.releaseId} is not ${item.stage.environment}`]);
  }
  const next = change(current);
  await deps.releases.updateStage(item.release.releaseId, item.index, next);
  return next;
}

function itemOf(p: Payload): ReleaseStageItem {
  const item = p.item as ReleaseStageItem | undefined;
  if (!item?.release?.releaseId || !item.stage?.environment || typeof item.index !== 'number') {
    throw new ValidationError('release payload', ['item: an Environments Map item (release, stage, index) is required']);
  }
  return item;
}

async function start(deps: ReleaseDeps, p: Payload): Promise<ReleaseState> {
  const request = parseReleaseRequest(p.input);
  const releaseId = request.releaseId ?? p.executionName;
  if (!releaseId) throw new ValidationError('release input', ['releaseId: is required when the execution has no name']);
  // One execution per release (issue #14, 2): a second execution cannot join a release in flight
  // (and answer or take over its approvals) by naming its releaseId.
  if (p.executionName !== undefined && releaseId !== p.executionName) {
    throw new ValidationError('release input', [
      `releaseId: "${releaseId}" must equal the execution's name ("${p.executionName}"); omit releaseId (it defaults to the execution's name) or start the execution under that name`,
    ]);
  }
  const now = deps.clock.now();
  // Trusted time (issue #14, item 3): a manual release is ordered by its execution's start; a push
  // by ECR's push time (intake and the sweep read it), never later than the start, and a time
  // beyond the clock skew is refused.
  const startedMs = p.startedAt !== undefined && !Number.isNaN(Date.parse(p.startedAt)) ? Date.parse(p.startedAt) : now;
  const claimedMs = request.requestedAt === undefined ? startedMs : Date.parse(request.requestedAt);
  if (claimedMs > startedMs + MAX_REQUESTED_AT_SKEW_SECONDS * 1000) {
    throw new ValidationError('release input', [
      `requestedAt: ${request.requestedAt} is after the execution started (${iso(startedMs)}) by more than ${MAX_REQUESTED_AT_SKEW_SECONDS} s; omit it (the start time is used)`,
    ]);
  }
  const requestedAt = iso(request.trigger.kind === 'manual' ? startedMs : Math.min(claimedMs, startedMs));
  const plan = planRelease(deps.env.config, { ...request, requestedAt }, { releaseId, nowIso: iso(now), accountId: deps.env.accountId, region: deps.env.region });
  const { record, created } = await deps.releases.createRelease(newReleaseRecord(plan, iso(now), p.executionArn));
  if (!created && record.status !== 'IN_PROGRESS') {
    throw new ValidationError('release input', [`releaseId: ${releaseId} already ended ${record.status}; release again under a new releaseId`]);
  }
  const deployTrigger = { kind: 'release' as const, eventId: releaseId, ...(request.trigger.by ? { by: request.trigger.by } : {}) };
  return { release: { releaseId, image: plan.image, requestedAt: plan.requestedAt, deployTrigger }, stages: plan.stages, skipped: plan.skipped };
}

async function awaitApproval(deps: ReleaseDeps, p: Payload): Promise<{ stored: true }> {
  const item = itemOf(p);
  if (!p.taskToken) throw new ValidationError('release payload', ['taskToken: is required for await-approval']);
  // The token goes only on the release this execution runs (a payload handed in directly plants no
  // token on another release), and only for the environment the plan says waits for approval.
  const record = await recordOf(deps, item.release.releaseId);
  const stage = record.stages[item.index];
  if (record.status !== 'IN_PROGRESS' || !record.executionArn || record.executionArn !== p.executionArn || stage?.environment !== item.stage.environment || !stage.requiresApproval) {
    throw new ValidationError('release payload', [
      `item.release.releaseId: ${item.release.releaseId} is not a release in progress under execution ${p.executionArn ?? '(none)'} waiting for approval before ${item.stage.environment} (${record.status}, execution ${record.executionArn ?? 'none'})`,
    ]);
  }
  await deps.releases.setApprovalToken(item.release.releaseId, p.taskToken, item.stage.environment);
  await setStage(deps, item, (s) => ({ ...s, status: StageStatus.WAITING_FOR_APPROVAL }));
  await deps.events.publish(LifecycleEvent.ReleaseApprovalRequested, {
    releaseId: item.release.releaseId,
    environment: item.stage.environment,
    image: item.release.image,
    timeoutSeconds: item.stage.approvalTimeoutSeconds,
    onTimeout: item.stage.onApprovalTimeout,
  });
  return { stored: true };
}

async function begin(deps: ReleaseDeps, p: Payload): Promise<ReleaseStageItem> {
  const item = itemOf(p);
  const now = iso(deps.clock.now());
  if (item.stage.requiresApproval) await deps.releases.setApprovalToken(item.release.releaseId, undefined);
  const action = item.approval?.action;
  await setStage(deps, item, (s) => ({
    ...s,
    status: StageStatus.DEPLOYING,
    startedAt: s.startedAt ?? now,
    ...(action === 'approve' || action === 'promoted-on-expiry'
      ? { approval: { action, ...(item.approval?.by ? { by: item.approval.by } : {}), at: s.approval?.action === action ? s.approval.at : now } }
      : {}),
  }));
  return item;
}

async function deployed(deps: ReleaseDeps, p: Payload): Promise<ReleaseStageItem> {
  const item = itemOf(p);
  const env = item.stage.environment;
  const results = (item.results ?? []) as Array<{ error?: { Error?: string; Cause?: string } } | null>;
  const inputs = await Promise.all(
    item.stage.deployments.map(async (d, i) => {
      const record = await deps.store.getDeployment(d.service, env, d.deploymentId);
      const error = results[i]?.error;
      return {
        service: d.service,
        deploymentId: d.deploymentId,
        ...(record ? { record: { status: record.status, ...(record.reason ? { reason: record.reason } : {}) } } : {}),
        ...(error ? { error } : {}),
      };
    }),
  );
  const result = environmentResult(env, inputs);
  const now = iso(deps.clock.now());
  const verifying = !result.failure && item.stage.verify;
  await setStage(deps, item, (s) => ({
    ...s,
    deployments: result.deployments,
    status: verifying ? StageStatus.VERIFYING : result.status,
    ...(verifying ? {} : { endedAt: now }),
  }));
  if (result.failure) {
    const { code, message } = result.failure;
    if (code === ErrorName.DeploymentRolledBack) throw new DeploymentRolledBack(message);
    if (code === ErrorName.Superseded) throw new Superseded(message);
    throw new DeploymentFailed(message);
  }
  return { ...item, deployed: result.deployments.map((d) => ({ service: d.service, deploymentId: d.deploymentId, status: d.status ?? 'SUCCEEDED' })) };
}

async function verified(deps: ReleaseDeps, p: Payload): Promise<ReleaseStageItem> {
  const item = itemOf(p);
  const hooks = deps.env.config.environments.find((e) => e.name === item.stage.environment)?.verification.hooks.length ?? 0;
  await setStage(deps, item, (s) => ({ ...s, status: StageStatus.SUCCEEDED, verificationHooks: hooks, endedAt: iso(deps.clock.now()) }));
  return item;
}

async function finish(deps: ReleaseDeps, p: Payload): Promise<ReleaseOutput> {
  const state = p.state as ReleaseState | undefined;
  const releaseId = state?.release?.releaseId;
  if (!releaseId) throw new ValidationError('release payload', ['state.release.releaseId: is required for finish']);
  const outcome = releaseOutcome(state.error);
  const now = deps.clock.now();
  const record = await recordOf(deps, releaseId);
  const { status } = outcome;
  let { reason } = outcome;
  if (reason.code === ErrorName.ApprovalExpired) {
    // The Fail state's cause cannot name the environment: the record can.
    const waiting = record.stages.find((s) => s.status === StageStatus.WAITING_FOR_APPROVAL);
    const plan = state.stages?.find((s) => s.environment === waiting?.environment);
    if (waiting && plan) {
      reason = { code: reason.code, message: `${waiting.environment} was not approved within ${plan.approvalTimeoutSeconds} s (onApprovalTimeout abort): the release stopped before it` };
    }
  }
  const stages = closeStages(record.stages, status, reason.code, iso(now));
  const ended = await deps.releases.finishRelease(releaseId, status, reason, stages, Math.floor(now / 1000) + deps.env.config.recordRetentionSeconds);
  if (ended) {
    await deps.events.publish(status === 'SUCCEEDED' ? LifecycleEvent.ReleaseSucceeded : LifecycleEvent.ReleaseFailed, {
      releaseId,
      status,
      reason,
      image: record.image,
      environments: stages.map((s) => ({ environment: s.environment, status: s.status })),
    });
  }
  const final = ended ? { status, reason } : { status: record.status, reason: record.reason ?? reason };
  const finalStages = ended ? stages : record.stages;
  return {
    releaseId,
    image: record.image,
    environments: finalStages.map((s) => ({ environment: s.environment, status: s.status, deployments: s.deployments.length })),
    skipped: state.skipped ?? [],
    outcome: { status: final.status, code: final.reason.code, message: `${final.reason.code}: ${final.reason.message}` },
  };
}

/**
 * After WaitForApproval succeeded: the success came through the control path only if the release
 * record holds the hashes of the token it waited on and of the nonce in the answer.
 */
async function verifySignal(deps: ReleaseDeps, p: Payload): Promise<{ checked: true }> {
  const item = itemOf(p);
  const record = await recordOf(deps, item.release.releaseId);
  const nonce = (item.approval as { nonce?: unknown } | undefined)?.nonce;
  const proof = record.approvalSignal;
  if (!signalProven(proof ? [{ detail: proof }] : [], record.taskToken, nonce)) {
    throw new SignalNotVerified(
      `The approval of release ${item.release.releaseId} before ${item.stage.environment} was answered with SendTaskSuccess outside Cutover's control path (no signal nonce recorded for its token); the release stops. Approve through the control state machine (cutover release approve)`,
      { details: { releaseId: item.release.releaseId, environment: item.stage.environment, nonce: typeof nonce === 'string' ? 'present' : 'missing' } },
    );
  }
  return { checked: true };
}

export function createHandler(deps: ReleaseDeps): Handler<unknown, unknown> {
  const logger = makeLogger('cutover-release', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const p = parseOrThrow(Payload, event, 'release payload');
    logger.appendKeys({ action: p.action });
    switch (p.action) {
      case 'start':
        return start(deps, p);
      case 'await-approval':
        return awaitApproval(deps, p);
      case 'begin':
        return begin(deps, p);
      case 'deployed':
        return deployed(deps, p);
      case 'verified':
        return verified(deps, p);
      case 'finish':
        return finish(deps, p);
      case 'verify-signal':
        return verifySignal(deps, p);
      default: {
        const never: never = p.action;
        throw new ValidationError('release payload', [`action: unknown action ${String(never)}`]);
      }
    }
  });
}

export function releaseStoreFor(opts: ClientOptions, env: HandlerEnv, clock?: Clock): ReleaseStore {
  return new DynamoReleaseStore(documentClientFor(opts), env.tableName, clock);
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): ReleaseDeps {
  return {
    env,
    clock,
    releases: releaseStoreFor(opts, env, clock),
    store: bindTable(tableFor(opts, env), { getDeployment }),
    events: publisherFor(opts, env),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
