/**
 * The reconcile sweep (statemachines/reconcile.asl.json, on an EventBridge schedule; also startable
 * by hand with any input):
 *
 * - `sweep`: every in-flight deployment record whose execution is no longer RUNNING (stopped from
 *   the console, timed out, failed without closing the record) is an orphan: listed for the state
 *   machine to roll back after a settle. A service whose repository's newest push (its tag filter
 *   taking it) has no deployment — ECR push events are best effort — gets what intake would have
 *   started, through the same path (shared/push.ts; same name, so a late event starts nothing
 *   twice) — only a push made after the service came under management (its first sweep; see
 *   `markManaged`), never an image pushed before Cutover managed it: with several environments that
 *   is the push's release, and only a service of the first
 *   environment the release deploys is ever looked at — the sweep never starts a deployment a
 *   release owns (issue #12, defect 1: it deployed production past staging's failure, verification
 *   and approval). A service lock still held by a deployment that ended (its terminal write landed,
 *   the release did not) is released; lock claims dated in the future are cleared (issue #14, item 3).
 * - `close-state`: after the settle, re-check an orphan (still in flight, execution still not
 *   running) and build the deploy state the rollback handler closes it with (reason
 *   `ExecutionStopped`). See shared/recovery.ts for when AWS is (not) touched.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcrImageInventory } from '../aws/ecr-images.js';
import { EcsTaskDefinitions, EcsTaskSets } from '../aws/ecs.js';
import { executionArnFor } from '../aws/sfn.js';
import { EcrImages } from '../aws/ecr.js';
import { DynamoReleaseStore } from '../aws/release-store.js';
import { servicesForPush, tagMatches } from '../core/services.js';
import { LOST_PUSH_MAX_AGE_SECONDS, lostPush, type PushedImage } from '../core/lost-push.js';
import { IMAGE_TAG } from '../core/patterns.js';
import type { DeployState } from '../core/deploy-state.js';
import { ErrorName } from '../core/errors.js';
import { isTerminal, type TargetGroupWeight } from '../core/model.js';
import type { Clock, DeploymentStore, ImageInventory, ImageRegistry, Orchestrator, ReleaseStore, TaskDefinitions, TaskSets, TrafficRouter } from '../core/ports.js';
import type { ServiceConfig } from '../core/config.js';
import { ElbTrafficRouter } from '../aws/elb.js';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { routeOf } from './shared/maintenance.js';
import { parseOrThrow } from '../core/validation.js';
import { orchestratorFor } from './shared/clients.js';
import { documentClientFor, storeFor } from './shared/store.js';
import { firstEnvironment, releaseOwnsDeployments, startForPush } from './shared/push.js';
import { entry } from './shared/deploy.js';
import { type DeploymentMetrics, emfMetrics, METRIC } from './shared/metrics.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { closeStateFor } from './shared/recovery.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface ReconcileDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly store: DeploymentStore;
  readonly orchestrator: Orchestrator;
  readonly images: ImageInventory;
  /** ECR's push time of one image (shared/push.ts; the sweep passes the time it listed, so rarely called). */
  readonly registry: Pick<ImageRegistry, 'describeImage'>;
  /** Release records: a lost push's release that ended is left alone. */
  readonly releases: Pick<ReleaseStore, 'getRelease'>;
  readonly taskSets: TaskSets;
  /** Production weights (the traffic repair). */
  readonly router: TrafficRouter;
  /** The image a service runs (a lost push it already runs is not deployed again). */
  readonly taskDefinitions: Pick<TaskDefinitions, 'describeRevision'>;
  /** `OldestInFlightSeconds` per in-flight deployment (EMF). */
  readonly deploymentMetrics?: DeploymentMetrics;
  readonly logLevel?: string;
}

/** How many images of a repository the sweep reads at most. */
export const MAX_IMAGES_PER_REPOSITORY = 1000;

/** True when the service's PRIMARY task set runs `digest` in its target container. */
async function runsDigest(deps: ReconcileDeps, svc: ServiceConfig, digest: string): Promise<boolean> {
  // A service AWS cannot describe runs nothing this could skip: the push is deployed (and its deployment says why not).
  const described = await deps.taskSets.describeService(svc.cluster, svc.service).catch(() => undefined);
  const primary = described?.taskSets.find((t) => t.status === 'PRIMARY');
  if (!primary) return false;
  const revision = await deps.taskDefinitions.describeRevision(primary.taskDefinitionArn);
  const image = revision?.containers.find((c) => c.name === svc.containerName)?.image;
  return image?.endsWith(`@${digest}`) ?? false;
}

/** How long after a deployment ended the sweep still checks that its traffic is on the primary. */
export const REPAIR_WINDOW_SECONDS = 24 * 3600;

/**
 * When production weights give traffic to a target group other than the PRIMARY task set's, and
 * the primary is at full scale with running tasks: every weight back on the primary's target group.
 * Returns what was found and done, or undefined when nothing needed doing.
 */
async function repairTraffic(deps: ReconcileDeps, svc: ServiceConfig): Promise<{ from: TargetGroupWeight[]; to: string } | undefined> {
  // A worker has no route (its split is repaired by the next deployment's Inspect).
  const tgs = svc.targetGroupArns;
  if (!tgs) return undefined;
  const info = await deps.taskSets.describeService(svc.cluster, svc.service);
  const primary = info.taskSets.find((t) => t.status === 'PRIMARY');
  const primaryTg = primary?.targetGroupArns.find((tg) => tgs.includes(tg));
  if (!primary || !primaryTg || primary.scalePercent < 100 || primary.runningCount < 1) return undefined;
  const route = routeOf(svc);
  const from = await deps.router.readWeights(route);
  if (!from.some((w) => w.weight > 0 && w.targetGroupArn !== primaryTg)) return undefined;
  await deps.router.setWeights(route, tgs.map((tg) => ({ targetGroupArn: tg, weight: tg === primaryTg ? 100 : 0 })));
  return { from, to: primaryTg };
}

export interface Orphan {
  readonly service: string;
  readonly environment: string;
  readonly deploymentId: string;
  readonly executionArn: string | null;
  /** What DescribeExecution said (UNKNOWN: no such execution). */
  readonly executionStatus: string;
}

export interface SweepResult {
  readonly orphans: readonly Orphan[];
  readonly started: ReadonlyArray<{ readonly deploymentId: string; readonly executionArn: string; readonly alreadyStarted: boolean; readonly digest: string }>;
  /** Releases started (or found started) for lost pushes, with several environments. */
  readonly releases: ReadonlyArray<{ readonly releaseId: string; readonly executionArn: string; readonly alreadyStarted: boolean; readonly digest: string }>;
  /**
   * Services whose production traffic was on a task set that is not primary after their last
   * deployment ended: put back on the primary's target group (issue #12, defect 5).
   */
  readonly repaired: ReadonlyArray<{ readonly service: string; readonly environment: string; readonly deploymentId: string; readonly from: readonly TargetGroupWeight[]; readonly to: string }>;
  /** Lock claims dated in the future, cleared. */
  readonly clearedClaims: ReadonlyArray<{ readonly service: string; readonly environment: string; readonly deploymentId: string; readonly requestedAt: string }>;
  /** Locks released because their holder had ended. */
  readonly releasedLocks: ReadonlyArray<{ readonly service: string; readonly environment: string; readonly deploymentId: string }>;
  /** Repositories that could not be read (the sweep goes on without them). */
  readonly errors: readonly string[];
  /**
   * Recent pushes never deployed, with the reason (only when there are some): an image whose tags
   * are all ones ECR takes but Docker and Cutover do not (129-300 characters; issue #14, Low).
   */
  readonly skipped?: ReadonlyArray<{ readonly repository: string; readonly digest: string; readonly reason: string }>;
}

const OrphanSchema = z.object({
  service: z.string(),
  environment: z.string(),
  deploymentId: z.string(),
  executionArn: z.nullable(z.string()),
  executionStatus: z.string(),
});
const Payload = z.union([
  z.object({ op: z.literal('sweep'), executionArn: z.optional(z.string()) }),
  z.object({ op: z.literal('close-state'), orphan: OrphanSchema }),
]);

export function createHandler(deps: ReconcileDeps): Handler<unknown, SweepResult | { orphan: Orphan; close: DeployState | null }> {
  const logger = makeLogger('cutover-reconcile', deps.logLevel);

  const executionOf = (deploymentId: string, recorded: string | undefined): string | null =>
    recorded ?? (deps.env.deployStateMachineArn ? executionArnFor(deps.env.deployStateMachineArn, deploymentId) : null);

  const statusOf = async (executionArn: string | null): Promise<string> =>
    executionArn ? ((await deps.orchestrator.executionStatus(executionArn)) ?? 'UNKNOWN') : 'UNKNOWN';

  const sweep = async (): Promise<SweepResult> => {
    const now = deps.clock.now();
    // 1. Orphans.
    const orphans: Orphan[] = [];
    for (const r of await deps.store.listInFlight()) {
      // How long each deployment has been in flight: the StuckDeployment alarm on Cutover itself
      // (lib/observability.ts) takes the maximum over every service and environment.
      const ageSeconds = Math.max(0, (now - Date.parse(r.createdAt)) / 1000);
      if (Number.isFinite(ageSeconds)) deps.deploymentMetrics?.put(METRIC.oldestInFlight, ageSeconds, 'Seconds', { service: r.service, environment: r.environment });
      const executionArn = executionOf(r.deploymentId, r.executionArn);
      const executionStatus = await statusOf(executionArn);
      if (executionStatus === 'RUNNING') continue;
      orphans.push({ service: r.service, environment: r.environment, deploymentId: r.deploymentId, executionArn, executionStatus });
      await deps.store.appendTimeline(r.service, r.environment, r.deploymentId,
        entry('orphan-found', 'reconcile', now, { executionArn, executionStatus }));
      logger.info('orphaned deployment', { deploymentId: r.deploymentId, executionStatus });
    }
    // 2. Locks whose holder ended without releasing them (the lease would free them much later).
    const inFlightIds = new Set(orphans.map((o) => o.deploymentId));
    const releasedLocks: SweepResult['releasedLocks'][number][] = [];
    for (const svc of deps.env.config.services) {
      const holder = (await deps.store.getLock(svc.name, svc.environment))?.holder;
      if (!holder || inFlightIds.has(holder)) continue;
      const rec = await deps.store.getDeployment(svc.name, svc.environment, holder);
      if (rec && !isTerminal(rec.status)) continue;
      if ((await statusOf(executionOf(holder, rec?.executionArn))) === 'RUNNING') continue;
      await deps.store.releaseLock(svc.name, svc.environment, holder);
      releasedLocks.push({ service: svc.name, environment: svc.environment, deploymentId: holder });
      logger.info('stale lock released', { deploymentId: holder, status: rec?.status ?? null });
    }
    // 3. Lock claims dated in the future (beyond the clock skew) never order anything again.
    const clearedClaims: SweepResult['clearedClaims'][number][] = [];
    for (const svc of deps.env.config.services) {
      for (const c of await deps.store.clearFutureClaims(svc.name, svc.environment, now)) {
        clearedClaims.push({ service: svc.name, environment: svc.environment, deploymentId: c.deploymentId, requestedAt: c.requestedAt });
        logger.warn('future lock claim cleared', { deploymentId: c.deploymentId, requestedAt: c.requestedAt });
      }
    }
    // 4. Lost pushes, through intake's path.
    const started: SweepResult['started'][number][] = [];
    const releases: SweepResult['releases'][number][] = [];
    const errors: string[] = [];
    const skipped: NonNullable<SweepResult['skipped']>[number][] = [];
    const byRepository = new Map<string, PushedImage[] | undefined>();
    const owned = releaseOwnsDeployments(deps.env);
    for (const svc of deps.env.config.services) {
      if (!byRepository.has(svc.repository)) {
        try {
          const listed = await deps.images.list(svc.repository, MAX_IMAGES_PER_REPOSITORY);
          byRepository.set(svc.repository, listed);
          // lostPush never takes these (tagMatches refuses the tag); say why, for the pushes it would have looked at.
          for (const i of listed) {
            const pushedMs = Date.parse(i.pushedAt ?? '');
            if (i.tags.length === 0 || i.tags.some((t) => IMAGE_TAG.test(t)) || !(pushedMs >= now - LOST_PUSH_MAX_AGE_SECONDS * 1000)) continue;
            const reason = `every tag is longer than 128 characters or not a Docker tag (${i.tags.map((t) => `${t.length} characters`).join(', ')}): Docker and Cutover take at most 128, so it is never deployed`;
            skipped.push({ repository: svc.repository, digest: i.digest, reason });
            logger.info('push skipped', { repository: svc.repository, digest: i.digest, reason });
          }
        } catch (e) {
          byRepository.set(svc.repository, undefined);
          errors.push(`${svc.repository}: ${(e as Error).name}: ${(e as Error).message}`);
        }
      }
      // When this service (in this environment) came under management: written once, the first time
      // a sweep sees it in the configuration (a conditional put: later sweeps read the first time).
      // Recorded per service rather than taken from the stack's deploy time, so a service added to
      // the configuration later gets its own start and a redeploy of the stack moves nothing. A push
      // lost between that moment and the first sweep (one schedule period) is not recovered: deploy
      // it by hand (docs/onboarding.md, "Lost pushes and when a service came under management").
      const managedSince = await deps.store.markManaged(svc.name, svc.environment, new Date(now).toISOString());
      const images = byRepository.get(svc.repository);
      if (!images) continue;
      const [records, stable] = await Promise.all([
        deps.store.listDeployments(svc.name, svc.environment),
        deps.store.getStable(svc.name, svc.environment),
      ]);
      const lost = lostPush((tag) => tagMatches(svc.tagFilter, tag), images, records, stable?.digest, now, Date.parse(managedSince));
      if (!lost) continue;
      // What the service already runs is not lost (a control plane installed next to a running
      // service has no record of its image yet): AWS over the store.
      if (await runsDigest(deps, svc, lost.digest)) continue;
      const tag = lost.tags.find((t) => tagMatches(svc.tagFilter, t));
      const fed = servicesForPush(deps.env.config, svc.repository, tag);
      // With several environments the push's release owns every deployment: only its first
      // environment tells whether the push was lost (a later one has no record until the release gets there).
      if (owned && svc.environment !== firstEnvironment(deps.env, fed)) continue;
      if (owned && releases.some((r) => r.digest === lost.digest)) continue;
      const result = await startForPush(
        { env: deps.env, orchestrator: deps.orchestrator, images: deps.registry, releases: deps.releases },
        {
          repository: svc.repository,
          digest: lost.digest,
          ...(tag ? { tag } : {}),
          eventTime: new Date(now).toISOString(),
          ...(lost.pushedAt ? { pushedAt: lost.pushedAt } : {}),
          trigger: 'reconcile',
        },
        owned ? fed : [svc],
      );
      if (result.release) {
        releases.push({ ...result.release, digest: lost.digest });
        logger.info('lost push released', { ...result.release, digest: lost.digest });
      }
      for (const x of result.started) {
        started.push({ ...x, digest: lost.digest });
        logger.info('lost push deployed', { ...x, digest: lost.digest });
      }
    }
    // 5. Traffic left on a task set that is not primary by a deployment that ended (a rollback that
    // gave up half-way, say): back on the primary, when nothing is in flight and the primary runs.
    const repaired: SweepResult['repaired'][number][] = [];
    const inFlightServices = new Set((await deps.store.listInFlight()).map((r) => `${r.service}/${r.environment}`));
    for (const svc of deps.env.config.services) {
      if (inFlightServices.has(`${svc.name}/${svc.environment}`)) continue;
      const newest = (await deps.store.listDeployments(svc.name, svc.environment, 1))[0];
      if (!newest || !isTerminal(newest.status) || Date.parse(newest.updatedAt) < now - REPAIR_WINDOW_SECONDS * 1000) continue;
      const lock = await deps.store.getLock(svc.name, svc.environment);
      if (lock?.holder && (lock.leaseExpiresAt ?? 0) > now && (await statusOf(executionOf(lock.holder, undefined))) === 'RUNNING') continue;
      try {
        const fix = await repairTraffic(deps, svc);
        if (!fix) continue;
        repaired.push({ service: svc.name, environment: svc.environment, deploymentId: newest.deploymentId, ...fix });
        await deps.store.appendTimeline(svc.name, svc.environment, newest.deploymentId, entry('traffic-repaired', 'reconcile', now, { ...fix }));
        logger.warn('traffic repaired', { deploymentId: newest.deploymentId, ...fix });
      } catch (e) {
        errors.push(`${svc.name}/${svc.environment} repair: ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    return { orphans, started, releases, releasedLocks, clearedClaims, repaired, errors, ...(skipped.length > 0 ? { skipped } : {}) };
  };

  const closeState = async (orphan: Orphan): Promise<{ orphan: Orphan; close: DeployState | null }> => {
    // Still not running? (A sweep racing a deployment that was only slow to start must not close it.)
    const status = await statusOf(orphan.executionArn);
    if (status === 'RUNNING') return { orphan, close: null };
    const close = await closeStateFor(deps, orphan.service, orphan.environment, orphan.deploymentId, {
      code: ErrorName.ExecutionStopped,
      message: `execution ${orphan.executionArn ?? '(unknown)'} is ${status}; the reconcile sweep rolled the deployment back and closed it`,
    });
    return { orphan, close };
  };

  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'reconcile payload');
    switch (payload.op) {
      case 'sweep':
        return sweep();
      case 'close-state':
        return closeState(payload.orphan);
      default: {
        const never: never = payload;
        throw new TypeError(`unknown op ${JSON.stringify(never)}`);
      }
    }
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): ReconcileDeps {
  return {
    env,
    clock,
    store: storeFor(opts, env),
    orchestrator: orchestratorFor(opts),
    images: new EcrImageInventory(makeClient(ECRClient, opts)),
    registry: new EcrImages(makeClient(ECRClient, opts)),
    releases: new DynamoReleaseStore(documentClientFor(opts), env.tableName, clock),
    taskSets: new EcsTaskSets(makeClient(ECSClient, opts)),
    router: new ElbTrafficRouter(makeClient(ElasticLoadBalancingV2Client, opts)),
    taskDefinitions: new EcsTaskDefinitions(makeClient(ECSClient, opts)),
    deploymentMetrics: emfMetrics('cutover-reconcile'),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
