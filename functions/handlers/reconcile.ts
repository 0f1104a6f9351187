/**
 * The reconcile sweep (statemachines/reconcile.asl.json, on an EventBridge schedule; also startable
 * by hand with any input):
 *
 * - `sweep`: every in-flight deployment record whose execution is no longer RUNNING (stopped from
 *   the console, timed out, failed without closing the record) is an orphan: listed for the state
 *   machine to roll back after a settle. Every configured service whose repository's newest push (its
 *   tag filter taking it) has no deployment — ECR push events are best effort — gets one, started as
 *   intake would have (same deployment id: a late event starts nothing twice). A service lock still
 *   held by a deployment that ended (its terminal write landed, the release did not) is released.
 * - `close-state`: after the settle, re-check an orphan (still in flight, execution still not
 *   running) and build the deploy state the rollback handler closes it with (reason
 *   `ExecutionStopped`). See shared/recovery.ts for when AWS is (not) touched.
 */
import { createHash } from 'node:crypto';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcrImageInventory } from '../aws/ecr-images.js';
import { EcsTaskSets } from '../aws/ecs.js';
import { executionArnFor } from '../aws/sfn.js';
import { tagMatches } from '../core/services.js';
import { lostPush, type PushedImage } from '../core/control.js';
import { type DeployRequest, type DeployState, deploymentIdFor, imageUri } from '../core/deploy-state.js';
import { ErrorName } from '../core/errors.js';
import { isTerminal } from '../core/model.js';
import type { Clock, DeploymentStore, ImageInventory, Orchestrator, TaskSets } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { orchestratorFor } from './shared/clients.js';
import { storeFor } from './shared/store.js';
import { entry } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { closeStateFor } from './shared/recovery.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface ReconcileDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly store: DeploymentStore;
  readonly orchestrator: Orchestrator;
  readonly images: ImageInventory;
  readonly taskSets: TaskSets;
  readonly logLevel?: string;
}

/** How many images of a repository the sweep reads at most. */
export const MAX_IMAGES_PER_REPOSITORY = 1000;

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
  /** Locks released because their holder had ended. */
  readonly releasedLocks: ReadonlyArray<{ readonly service: string; readonly environment: string; readonly deploymentId: string }>;
  /** Repositories that could not be read (the sweep goes on without them). */
  readonly errors: readonly string[];
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

  const sweep = async (sweepExecutionArn: string | undefined): Promise<SweepResult> => {
    const now = deps.clock.now();
    // 1. Orphans.
    const orphans: Orphan[] = [];
    for (const r of await deps.store.listInFlight()) {
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
    // 3. Lost pushes.
    const started: SweepResult['started'][number][] = [];
    const errors: string[] = [];
    const byRepository = new Map<string, PushedImage[] | undefined>();
    for (const svc of deps.env.config.services) {
      if (!byRepository.has(svc.repository)) {
        try {
          byRepository.set(svc.repository, await deps.images.list(svc.repository, MAX_IMAGES_PER_REPOSITORY));
        } catch (e) {
          byRepository.set(svc.repository, undefined);
          errors.push(`${svc.repository}: ${(e as Error).name}: ${(e as Error).message}`);
        }
      }
      const images = byRepository.get(svc.repository);
      if (!images) continue;
      const [records, stable] = await Promise.all([
        deps.store.listDeployments(svc.name, svc.environment),
        deps.store.getStable(svc.name, svc.environment),
      ]);
      const lost = lostPush((tag) => tagMatches(svc.tagFilter, tag), images, records, stable?.digest, now);
      if (!lost) continue;
      if (!deps.env.deployStateMachineArn) throw new Error('CUTOVER_DEPLOY_STATE_MACHINE_ARN is not set');
      const deploymentId = deploymentIdFor(svc.name, svc.environment, lost.digest);
      const tag = lost.tags.find((t) => tagMatches(svc.tagFilter, t));
      const request: DeployRequest = {
        deploymentId,
        service: svc.name,
        environment: svc.environment,
        image: {
          repository: svc.repository,
          digest: lost.digest,
          ...(tag ? { tag } : {}),
          uri: imageUri(deps.env.accountId, deps.env.region, svc.repository, lost.digest),
        },
        requestedAt: lost.pushedAt ?? new Date(now).toISOString(),
        trigger: { kind: 'reconcile' },
      };
      let result = await deps.orchestrator.start(deps.env.deployStateMachineArn, deploymentId, request);
      let id = deploymentId;
      if (result.alreadyStarted && (await statusOf(result.executionArn)) !== 'RUNNING') {
        // Its execution ran and ended without a record (e.g. the table was down at its first state):
        // execution names are not reusable, so this sweep deploys it under its own name.
        id = `${deploymentId}-rc-${createHash('sha256').update(sweepExecutionArn ?? String(now)).digest('hex').slice(0, 8)}`;
        result = await deps.orchestrator.start(deps.env.deployStateMachineArn, id, { ...request, deploymentId: id });
      }
      logger.info('lost push deployed', { deploymentId: id, digest: lost.digest, ...result });
      started.push({ deploymentId: id, ...result, digest: lost.digest });
    }
    return { orphans, started, releasedLocks, errors };
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
        return sweep(payload.executionArn);
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
    taskSets: new EcsTaskSets(makeClient(ECSClient, opts)),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
