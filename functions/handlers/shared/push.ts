/**
 * Starting what a pushed image deploys: one path for intake (the ECR event) and the reconcile
 * sweep (a push whose event was lost), so a lost push is recovered exactly as intake would have
 * handled it (issue #12, defect 1: the sweep started production's deploy directly, bypassing the
 * release's staging, verification and approval).
 *
 * - More than one environment: one release (statemachines/release.asl.json) for the image; the
 *   release alone starts deployments, environment by environment.
 * - One environment: one deploy execution per service fed by the repository (and tag filter).
 *
 * Names (the deployment id IS the deploy execution's name; the release id IS the release
 * execution's name). The first push of a digest gets the plain name (`deploymentIdFor`,
 * `releaseIdFor`), so the same push delivered twice, or seen by the sweep too, starts one execution.
 * A later push of the same digest, once the execution of the first has ended, gets a name keyed by
 * its own event (issue #12, defect 6: ExecutionAlreadyExists was read as "already started", so
 * pushing a digest again did nothing). A push is "later" when its execution is not running and
 * either ECR's push time is after that execution started or the event came well after ECR's push
 * time (ECR keeps the first push time of a digest).
 *
 * Time (issue #14, item 3): `requestedAt` is ECR's push time of the image (read from ECR, trusted),
 * or the event's time when ECR no longer holds it.
 */
import { type DeployRequest, deploymentIdFor, imageUri } from '../../core/deploy-state.js';
import { releaseIdFor } from '../../core/release.js';
import type { ReleaseRequestDocument } from '../../core/release-request.js';
import type { ServiceConfig } from '../../core/config.js';
import type { ImageRegistry, Orchestrator, ReleaseStore } from '../../core/ports.js';
import type { HandlerEnv } from './env.js';

/** An event that came this long after ECR's push time of its digest is a later push of it. */
export const REPUSH_MARGIN_SECONDS = 60;

export interface PushStartDeps {
  readonly env: HandlerEnv;
  readonly orchestrator: Orchestrator;
  readonly images: Pick<ImageRegistry, 'describeImage'>;
  /**
   * Release records (the sweep): a release that ended (aborted, approval expired ...) is never
   * started again for the same push; only one that left no record at all (it failed before its
   * first state wrote one) is started anew. Without it, an ended release is left alone.
   */
  readonly releases?: Pick<ReleaseStore, 'getRelease'>;
}

export interface PushedImage {
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string;
  /** The event's time (intake), or ECR's push time (the sweep). */
  readonly eventTime: string;
  /** The event id (intake); the sweep has none. */
  readonly eventId?: string;
  /** ECR's push time when the caller already read it (the sweep lists the repository). */
  readonly pushedAt?: string;
  readonly trigger: 'ecr-push' | 'reconcile';
}

export interface PushStarted {
  readonly started: ReadonlyArray<{ readonly deploymentId: string; readonly executionArn: string; readonly alreadyStarted: boolean }>;
  readonly release?: { readonly releaseId: string; readonly executionArn: string; readonly alreadyStarted: boolean };
}

/** The environment a release of this push deploys first (the first configured one with a fed service). */
export function firstEnvironment(env: HandlerEnv, services: readonly ServiceConfig[]): string | undefined {
  return env.config.environments.map((e) => e.name).find((name) => services.some((s) => s.environment === name));
}

/** True when a release (not intake or the sweep) owns the deployments of this configuration. */
export function releaseOwnsDeployments(env: HandlerEnv): boolean {
  return env.config.environments.length > 1 && env.releaseStateMachineArn !== undefined;
}

/**
 * Start what `push` deploys to `services` (already filtered by repository and tag). Idempotent per
 * push; a later push of the same digest starts anew (see the module comment).
 */
export async function startForPush(deps: PushStartDeps, push: PushedImage, services: readonly ServiceConfig[]): Promise<PushStarted> {
  const pushedAt = push.pushedAt ?? (await deps.images.describeImage(push.repository, push.digest))?.pushedAt;
  const pushedMs = pushedAt === undefined ? Number.NaN : Date.parse(pushedAt);
  const eventMs = Date.parse(push.eventTime);
  const requestedAt = Number.isNaN(pushedMs) ? push.eventTime : new Date(pushedMs).toISOString();
  const image = { repository: push.repository, digest: push.digest, ...(push.tag ? { tag: push.tag } : {}) };
  const trigger = { kind: push.trigger, ...(push.eventId ? { eventId: push.eventId } : {}) };

  /** Start `name`; when it exists and this is a later push of the digest, start under `attempt`'s name. */
  const startOnce = async (
    arn: string,
    name: string,
    input: (name: string, requestedAt: string) => unknown,
    attemptName: () => string,
    /** For the sweep: true when what `name` started may be started again (see PushStartDeps.releases). */
    restartable: (name: string) => Promise<boolean> = async () => true,
  ): Promise<{ name: string; executionArn: string; alreadyStarted: boolean }> => {
    const first = await deps.orchestrator.start(arn, name, input(name, requestedAt));
    if (!first.alreadyStarted) return { name, ...first };
    const existing = await deps.orchestrator.describe(first.executionArn);
    if (!existing || existing.status === 'RUNNING') return { name, ...first };
    const startedMs = Date.parse(existing.startedAt);
    // The sweep only comes here for a push with no deployment on record: its execution ended
    // without one (the table was down at its first state, say), so it deploys under a name of its own.
    const later =
      push.trigger === 'reconcile'
        ? await restartable(name)
        : (!Number.isNaN(pushedMs) && pushedMs > startedMs) ||
          (!Number.isNaN(pushedMs) && eventMs - pushedMs > REPUSH_MARGIN_SECONDS * 1000) ||
          (Number.isNaN(pushedMs) && eventMs > startedMs);
    if (!later) return { name, ...first };
    const again = attemptName();
    // This push's own time: ECR kept the first push's.
    const at = Number.isNaN(pushedMs) || pushedMs <= startedMs ? push.eventTime : requestedAt;
    return { name: again, ...(await deps.orchestrator.start(arn, again, input(again, at))) };
  };
  const attemptKey = `event:${push.eventId ?? push.eventTime}`;

  if (releaseOwnsDeployments(deps.env)) {
    const arn = deps.env.releaseStateMachineArn as string;
    const r = await startOnce(
      arn,
      releaseIdFor(push.repository, push.digest),
      (releaseId, at): ReleaseRequestDocument => ({ releaseId, image, requestedAt: at, trigger }),
      () => releaseIdFor(push.repository, push.digest, attemptKey),
      async (releaseId) => deps.releases !== undefined && (await deps.releases.getRelease(releaseId)) === undefined,
    );
    return { started: [], release: { releaseId: r.name, executionArn: r.executionArn, alreadyStarted: r.alreadyStarted } };
  }
  if (!deps.env.deployStateMachineArn) throw new Error('CUTOVER_DEPLOY_STATE_MACHINE_ARN is not set');
  const arn = deps.env.deployStateMachineArn;
  const started: Array<{ deploymentId: string; executionArn: string; alreadyStarted: boolean }> = [];
  for (const svc of services) {
    const r = await startOnce(
      arn,
      deploymentIdFor(svc.name, svc.environment, push.digest),
      (deploymentId, at): DeployRequest => ({
        deploymentId,
        service: svc.name,
        environment: svc.environment,
        image: { ...image, uri: imageUri(deps.env.accountId, deps.env.region, push.repository, push.digest) },
        requestedAt: at,
        trigger,
      }),
      () => deploymentIdFor(svc.name, svc.environment, push.digest, attemptKey),
    );
    started.push({ deploymentId: r.name, executionArn: r.executionArn, alreadyStarted: r.alreadyStarted });
  }
  return { started };
}
