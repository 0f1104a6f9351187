/**
 * Small helpers the deploy-path handlers share: loading the service for a state, reasons from
 * Step Functions errors, timeline entries, lifecycle event details, idempotency tokens.
 */
import { createHash } from 'node:crypto';
import { ctxProblems } from '../../core/boundary.js';
import type { ServiceConfig } from '../../core/config.js';
import { findService } from '../../core/services.js';
import type { DeployContext, DeployState } from '../../core/deploy-state.js';
import { parseCause } from '../../core/deploy-state.js';
import { ConflictError, ErrorName, UnknownService, ValidationError } from '../../core/errors.js';
import type { DeploymentReason, DeploymentStatus, LifecycleEvent, TargetGroupWeight, TimelineEntry } from '../../core/model.js';
import type { DeploymentStore, EventPublisher } from '../../core/ports.js';
import type { HandlerEnv } from './env.js';

export function serviceFor(env: HandlerEnv, state: DeployState): ServiceConfig {
  const svc = findService(env.config, state.request.service, state.request.environment);
  if (!svc) {
    throw new UnknownService(
      `Service "${state.request.service}" in environment "${state.request.environment}" is not in the Cutover configuration; add it to cutover.config.json and redeploy`,
    );
  }
  return svc;
}

/**
 * The resolved context, checked against the bundled configuration for the request's service and
 * environment (functions/core/boundary.ts): a state handed to a function directly, or edited on the
 * way, cannot name another cluster, service, route, target group, alarm, image or family. A state
 * without ctx (a hand-made input) or with a mismatch is a ValidationError naming each field.
 * Whoever may invoke a deploy function may do what its role allows, but only within this check.
 */
export function ctxOf(state: DeployState, env: HandlerEnv): DeployContext {
  if (!state?.request) throw new ValidationError('deploy state', ['request: is required (the Validate state sets it)']);
  if (!state.ctx) throw new ValidationError('deploy state', ['ctx: is required (the Inspect state sets it)']);
  const problems = ctxProblems(serviceFor(env, state), state, state.ctx, env);
  if (problems.length > 0) throw new ValidationError('deploy state', problems);
  return state.ctx;
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorName));

/**
 * The reason a deployment ends, from the error a Catch put at `$.error`. The code is always a name
 * from functions/core/errors.ts: anything else Step Functions reports (States.Runtime,
 * Sandbox.Timedout, a plain Error ...) becomes DeploymentFailed with the original in the message.
 */
export function reasonFromError(error: DeployState['error']): DeploymentReason {
  if (!error) return { code: ErrorName.DeploymentFailed, message: 'no error was recorded' };
  const { errorType, errorMessage } = parseCause(error.Cause);
  const raw = error.Error === 'States.TaskFailed' && errorType ? errorType : error.Error;
  if (KNOWN_CODES.has(raw)) return { code: raw, message: errorMessage || raw };
  return { code: ErrorName.DeploymentFailed, message: `${raw}: ${errorMessage || 'no details'}` };
}

/** Move the record to a terminal status; "already terminal" (a replay, or a later failure) is not an error. */
export async function finishOnce(
  store: DeploymentStore,
  state: DeployState,
  status: DeploymentStatus,
  reason: DeploymentReason,
  expiresAt: number,
): Promise<boolean> {
  const { service, environment, deploymentId } = state.request;
  try {
    return await store.finish(service, environment, deploymentId, status, reason, expiresAt);
  } catch (e) {
    if (e instanceof ConflictError) return false;
    throw e;
  }
}

/**
 * Publish a lifecycle event once per deployment and kind, at least once under retries: publish,
 * then mark it on the timeline; a retry that finds the mark publishes nothing.
 */
export async function publishOnce(
  store: DeploymentStore,
  events: EventPublisher,
  state: DeployState,
  kind: LifecycleEvent,
  detail: Record<string, unknown>,
  nowMs: number,
): Promise<void> {
  const { service, environment, deploymentId } = state.request;
  const key = `event-${kind.toLowerCase().replace(/\s+/g, '-')}`;
  const record = await store.getDeployment(service, environment, deploymentId);
  if (record?.timeline.some((e) => e.key === key)) return;
  await events.publish(kind, detail);
  await store.appendTimeline(service, environment, deploymentId, entry(key, 'event', nowMs, { kind }));
}

export function entry(key: string, kind: string, nowMs: number, detail?: Record<string, unknown>): TimelineEntry {
  return { key, kind, at: new Date(nowMs).toISOString(), ...(detail ? { detail } : {}) };
}

/** ECS CreateTaskSet accepts at most 36 characters of client token: a hash of the deployment id. */
export function clientTokenFor(deploymentId: string): string {
  return createHash('sha256').update(deploymentId).digest('hex').slice(0, 32);
}

/** The common detail of every lifecycle event. */
export function eventDetail(state: DeployState, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    deploymentId: state.request.deploymentId,
    service: state.request.service,
    environment: state.request.environment,
    image: state.request.image,
    ...extra,
  };
}

/** Same traffic: the groups with weight > 0 and their weights (a 0-weight entry may be dropped by AWS). */
export function sameWeights(a: readonly TargetGroupWeight[], b: readonly TargetGroupWeight[]): boolean {
  const norm = (w: readonly TargetGroupWeight[]) =>
    w
      .filter((x) => x.weight > 0)
      .map((x) => `${x.targetGroupArn}=${x.weight}`)
      .sort()
      .join(',');
  return norm(a) === norm(b);
}
