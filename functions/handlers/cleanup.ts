/**
 * The cleanup state machine's one Lambda (statemachines/cleanup.asl.json), by `action`:
 *
 * - `start`: validate the execution input (`{ dryRun?, services? }`), list the services and their
 *   repositories to visit. Up to SCOPES_PER_PART services (mode `inline`) this execution visits
 *   them itself; beyond that (mode `parts`) it splits them into parts of SCOPES_PER_PART services
 *   (then repositories) and runs each part as a child execution of this state machine (input
 *   `{ "part": { run, services, repositories } }`), one at a time, so no execution's history grows
 *   with the number of services (issue #12, defect 7: ~189 events per service with a backlog
 *   failed a run at about 130 services; Step Functions ends an execution at 25,000 history events,
 *   Step Functions Developer Guide, "Service quotas"). A part is visited inline.
 * - `report-parts`: the report of a run in parts: the totals of every part (each part's own
 *   execution output has its services' and repositories' report).
 * - `plan-service`: for one service — skipped while a deployment is in flight or when disabled —
 *   read its task sets, revisions, running tasks, records and production weights, and plan
 *   (functions/core/cleanup.ts). A dry run ends here with every action as `would`.
 * - `plan-repository`: for one ECR repository, what every service fed by it still needs, then which
 *   images go. Skipped while any of those services has a deployment in flight.
 * - `apply`: carry out the next few writes of a plan (CLEANUP_LIMITS.writesPerBatch), then hand
 *   back to the state machine, which waits `waitSeconds` (the pacing) and calls again. A throttled
 *   write waits with backoff and is retried up to CLEANUP_LIMITS.maxAttemptsPerWrite times, then
 *   reported failed; a refused write is reported failed; neither stops the run. Before each batch
 *   the service is checked again for a deployment in flight: one that started stops the plan.
 * - `report`: the run's report (a readable text too) and, for real runs, `Cleanup Completed` on
 *   Cutover's bus. Each service and repository also puts its own `Cleanup Report` event with every
 *   action (real runs).
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcrImageInventory } from '../aws/ecr-images.js';
import { EcsTaskSets } from '../aws/ecs.js';
import { EcsRevisions } from '../aws/ecs-revisions.js';
import { ElbTrafficRouter } from '../aws/elb.js';
import { listDeployments } from '../aws/store-deployments.js';
import { bindTable } from '../aws/store-items.js';
import { getLock } from '../aws/store-lock.js';
import { getStable } from '../aws/store-stable.js';
import {
  backoffSeconds,
  CLEANUP_LIMITS,
  type CleanupInventory,
  type CleanupRunReport,
  type CleanupScope,
  type CleanupSettings,
  countOutcomes,
  familiesOf,
  formatCleanupReport,
  type ImageKeepRef,
  imageKeepRefs,
  nextWrite,
  planImageCleanup,
  planServiceCleanup,
  revisionKey,
  type ScopeResult,
} from '../core/cleanup.js';
import type { ServiceConfig } from '../core/config.js';
import { cleanupApplyProblems } from '../core/boundary.js';
import { AwsThrottled, AwsUnavailable, CutoverError, ValidationError } from '../core/errors.js';
import { familyOf, trafficKindOf } from '../core/services.js';
import {
  type KeptItem,
  type MaintenanceAction,
  MaintenanceActionKind,
  MaintenanceOutcome,
  type PlannedAction,
} from '../core/maintenance.js';
import { LifecycleEvent } from '../core/model.js';
import type {
  Clock,
  DeploymentStore,
  EventPublisher,
  ImageInventory,
  RecordExpiry,
  RevisionInfo,
  TaskDefinitionRevisions,
  TaskSets,
  TrafficRouter,
} from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { publisherFor } from './shared/clients.js';
import { tableFor } from './shared/store.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { deploymentInFlight, maintenanceStoreFor, requireService, routeOf } from './shared/maintenance.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface CleanupDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly taskSets: TaskSets;
  readonly revisions: TaskDefinitionRevisions;
  readonly images: ImageInventory;
  readonly router: TrafficRouter;
  /** Reads only: the service's records, its stable pointer, and its lock (is a deployment in flight?). */
  readonly store: Pick<DeploymentStore, 'listDeployments' | 'getStable' | 'getLock'>;
  readonly expiry: RecordExpiry;
  readonly events: EventPublisher;
  readonly logLevel?: string;
}

// ---------------------------------------------------------------------------------------------
// Input and state shapes
// ---------------------------------------------------------------------------------------------

/** What an operator, the CLI or the schedule starts the cleanup with. */
export const CleanupInput = z.strictObject({
  /** Report what would go and why; change nothing. */
  dryRun: z._default(z.boolean(), false),
  /** Only these services (default: every configured service). */
  services: z.optional(
    z
      .array(z.strictObject({ service: z.string().check(z.minLength(1)), environment: z.string().check(z.minLength(1)) }))
      .check(z.minLength(1), z.maxLength(500)),
  ),
  /** Free text for the report (who asked, why). */
  reason: z.optional(z.string().check(z.maxLength(500))),
});
export type CleanupInput = z.output<typeof CleanupInput>;

/**
 * Services (or repositories) one execution visits itself. Each costs about 190 history events with
 * a full backlog (100 actions in batches of 5: plan, then per batch apply + choice + wait): 25 of
 * them about 4,800, a fifth of the 25,000-event limit, leaving room for throttled retries.
 */
export const SCOPES_PER_PART = 25;

export interface RunInfo {
  readonly runId: string;
  /** Set on a part of a run split in parts (a child execution): its report is not the run's. */
  readonly part?: boolean;
  readonly dryRun: boolean;
  readonly startedAt: string;
  /** Lines (actions and kept items) each service or repository lists in the execution output. */
  readonly listLimit: number;
  readonly reason?: string;
}

/** A plan being applied, batch by batch (the Map iteration's state between Wait states). */
export interface WorkItem {
  readonly run: RunInfo;
  readonly scope: CleanupScope;
  readonly status: 'applying';
  readonly pending: PlannedAction[];
  readonly done: MaintenanceAction[];
  readonly kept: KeptItem[];
  readonly keptTotal: number;
  readonly deferred: number;
  /** Throttled attempts of the next write so far. */
  readonly attempts: number;
  /** How long the state machine waits before the next batch. */
  readonly waitSeconds: number;
}

const Scope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('service'), service: z.string(), environment: z.string() }),
  z.object({ kind: z.literal('repository'), repository: z.string(), services: z.array(z.string()) }),
]);
const Run = z.object({
  runId: z.string(),
  part: z.optional(z.boolean()),
  dryRun: z.boolean(),
  startedAt: z.string(),
  listLimit: z.int(),
  reason: z.optional(z.string()),
});
const Payload = z.discriminatedUnion('action', [
  z.object({ action: z.literal('start'), input: z.unknown(), runId: z.string(), startedAt: z.string() }),
  z.object({ action: z.literal('plan-service'), run: Run, scope: Scope }),
  z.object({ action: z.literal('plan-repository'), run: Run, scope: Scope }),
  z.object({ action: z.literal('apply'), item: z.looseObject({ run: Run, scope: Scope, pending: z.array(z.unknown()), done: z.array(z.unknown()) }) }),
  z.object({ action: z.literal('report'), run: Run, services: z.array(z.unknown()), repositories: z.array(z.unknown()) }),
  z.object({ action: z.literal('report-parts'), run: Run, parts: z.array(z.unknown()) }),
]);

/** The child execution input of one part of a run (built by the state machine from `start`'s parts). */
const PartInput = z.strictObject({
  part: z.strictObject({
    run: Run,
    services: z.array(Scope).check(z.maxLength(SCOPES_PER_PART)),
    repositories: z.array(Scope).check(z.maxLength(SCOPES_PER_PART)),
  }),
});

/** What the state machine keeps of each part (its ResultSelector), or the error a Catch left. */
interface PartResult {
  readonly executionArn?: string;
  readonly totals?: CleanupRunReport['totals'];
  readonly failed?: boolean;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

const chunk = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** The state a Catch leaves when a service's or repository's planning or applying failed for good. */
interface FailedItem {
  readonly scope: CleanupScope;
  readonly status: 'failed';
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  readonly done?: MaintenanceAction[];
}

// ---------------------------------------------------------------------------------------------
// The handler
// ---------------------------------------------------------------------------------------------

export function createHandler(deps: CleanupDeps): Handler<unknown, unknown> {
  const logger = makeLogger('cutover-cleanup', deps.logLevel);
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  const settingsFor = (svc: ServiceConfig): CleanupSettings => ({
    cleanup: svc.cleanup,
    recordRetentionSeconds: deps.env.config.recordRetentionSeconds,
    nowMs: deps.clock.now(),
  });

  /** Everything the planner needs about one service, read from AWS and the store. */
  async function inventory(svc: ServiceConfig): Promise<CleanupInventory> {
    const [described, records, stable] = await Promise.all([
      deps.taskSets.describeService(svc.cluster, svc.service),
      deps.store.listDeployments(svc.name, svc.environment),
      deps.store.getStable(svc.name, svc.environment),
    ]);
    // Only the service's configured family: a record (a table write) naming another family's revision
    // does not widen what cleanup lists, deregisters or deletes.
    const families = familiesOf({ taskSets: described.taskSets, records, ...(stable ? { stable } : {}) }, svc.bootstrap?.taskDefinition)
      .filter((f) => f === familyOf(svc));
    const revisions: RevisionInfo[] = [];
    const running: string[] = [];
    for (const family of families) {
      const active = await deps.revisions.list(family, 'ACTIVE', 'newest', CLEANUP_LIMITS.maxListedRevisions);
      for (const arn of active) {
        const key = revisionKey(arn);
        if (key === undefined) continue;
        revisions.push({ arn, family, revision: Number(key.slice(key.lastIndexOf(':') + 1)), status: 'ACTIVE', images: [] });
      }
      const inactive = await deps.revisions.list(family, 'INACTIVE', 'oldest', CLEANUP_LIMITS.maxDescribedInactive);
      for (const arn of inactive) {
        const info = await deps.revisions.describe(arn);
        if (info && info.status === 'INACTIVE') revisions.push(info);
      }
      running.push(...(await deps.revisions.runningTaskDefinitions(svc.cluster, family)));
    }
    // A worker has no route: no task set takes traffic by weight (one left sized by an interrupted
    // deployment is an orphan once no deployment is in flight).
    const productionWeights = trafficKindOf(svc) === 'task-share' ? [] : await deps.router.readWeights(routeOf(svc));
    return {
      service: svc.name,
      environment: svc.environment,
      cluster: svc.cluster,
      ecsService: svc.service,
      taskSets: described.taskSets,
      revisions,
      runningTaskDefinitions: running,
      records,
      ...(stable ? { stable } : {}),
      productionWeights,
    };
  }

  /** The end of one scope: its result for the execution output, and its report event (real runs). */
  async function finishScope(
    run: RunInfo,
    scope: CleanupScope,
    status: ScopeResult['status'],
    done: readonly MaintenanceAction[],
    kept: readonly KeptItem[],
    keptTotal: number,
    deferred: number,
    reason?: string,
  ): Promise<ScopeResult> {
    const actions = done.slice(0, run.listLimit);
    const listedKept = kept.slice(0, Math.max(0, run.listLimit - actions.length));
    const result: ScopeResult = {
      scope,
      status,
      ...(reason === undefined ? {} : { reason }),
      counts: countOutcomes(done),
      actions,
      kept: listedKept,
      omitted: done.length - actions.length + (keptTotal - listedKept.length),
      deferred,
    };
    for (const a of done) logger.info('cleanup action', { ...a });
    if (!run.dryRun) {
      await deps.events.publish(LifecycleEvent.CleanupReport, {
        runId: run.runId,
        scope,
        status,
        ...(reason === undefined ? {} : { reason }),
        counts: result.counts,
        actions: done,
        kept: kept.slice(0, 200),
        deferred,
      });
    }
    return result;
  }

  const asOutcome = (a: PlannedAction, outcome: MaintenanceAction['outcome'], reason?: string, error?: string): MaintenanceAction => ({
    ...a,
    ...(reason === undefined ? {} : { reason }),
    outcome,
    at: nowIso(),
    ...(error === undefined ? {} : { error }),
  });

  /** A planned scope: finished at once (dry run, nothing to do) or handed to `apply`. */
  async function afterPlan(
    run: RunInfo,
    scope: CleanupScope,
    actions: PlannedAction[],
    kept: KeptItem[],
    deferred: number,
  ): Promise<ScopeResult | WorkItem> {
    if (run.dryRun || actions.length === 0) {
      return finishScope(run, scope, 'done', actions.map((a) => asOutcome(a, MaintenanceOutcome.Would)), kept, kept.length, deferred);
    }
    return {
      run,
      scope,
      status: 'applying',
      pending: actions,
      done: [],
      kept: kept.slice(0, 200),
      keptTotal: kept.length,
      deferred,
      attempts: 0,
      waitSeconds: 0,
    };
  }

  const skipAction = (scope: CleanupScope, why: string): MaintenanceAction => ({
    kind: MaintenanceActionKind.SkipScope,
    service: scope.kind === 'service' ? scope.service : scope.services.join(','),
    environment: scope.kind === 'service' ? scope.environment : '',
    target: scope.kind === 'service' ? `${scope.service}/${scope.environment}` : scope.repository,
    reason: why,
    outcome: MaintenanceOutcome.Skipped,
    at: nowIso(),
  });

  async function start(input: unknown, runId: string, startedAt: string) {
    if (typeof input === 'object' && input !== null && 'part' in input) {
      // One part of a run in parts: the scopes the parent listed (each re-checked against the configuration).
      const { part } = parseOrThrow(PartInput, input, 'cleanup part input');
      for (const scope of part.services) {
        if (scope.kind !== 'service') throw new ValidationError('cleanup part input', ['part.services: must list service scopes']);
        requireService(deps.env, scope.service, scope.environment);
      }
      for (const scope of part.repositories) {
        if (scope.kind !== 'repository' || !deps.env.config.services.some((s) => s.repository === scope.repository)) {
          throw new ValidationError('cleanup part input', [`part.repositories: ${JSON.stringify(scope)} is not a configured repository`]);
        }
      }
      return { mode: 'inline', run: { ...part.run, part: true }, services: part.services, repositories: part.repositories };
    }
    // An EventBridge schedule rule that passes its event as the input: a scheduled, real run.
    const scheduled =
      typeof input === 'object' && input !== null && (input as Record<string, unknown>)['detail-type'] === 'Scheduled Event';
    const parsed = scheduled ? { dryRun: false, reason: 'scheduled' } : parseOrThrow(CleanupInput, input ?? {}, 'cleanup input');
    const services = parsed.services
      ? parsed.services.map((t) => requireService(deps.env, t.service, t.environment))
      : deps.env.config.services;
    const scopes: CleanupScope[] = services.map((s) => ({ kind: 'service', service: s.name, environment: s.environment }));
    const repositories: CleanupScope[] = [...new Set(services.map((s) => s.repository))].sort().map((repository) => ({
      kind: 'repository',
      repository,
      services: deps.env.config.services.filter((s) => s.repository === repository).map((s) => `${s.name}/${s.environment}`),
    }));
    const listLimit = Math.max(1, Math.floor(CLEANUP_LIMITS.maxListedPerRun / Math.max(1, scopes.length + repositories.length)));
    const run: RunInfo = { runId, dryRun: parsed.dryRun, startedAt, listLimit, ...(parsed.reason ? { reason: parsed.reason } : {}) };
    logger.info('cleanup started', { runId, dryRun: run.dryRun, services: scopes.length, repositories: repositories.length });
    if (scopes.length <= SCOPES_PER_PART && repositories.length <= SCOPES_PER_PART) return { mode: 'inline', run, services: scopes, repositories };
    return {
      mode: 'parts',
      run,
      parts: [
        ...chunk(scopes, SCOPES_PER_PART).map((services) => ({ services, repositories: [] })),
        // Images after every revision decision: the repositories' parts run after the services'.
        ...chunk(repositories, SCOPES_PER_PART).map((repos) => ({ services: [], repositories: repos })),
      ],
    };
  }

  async function planService(run: RunInfo, scope: CleanupScope): Promise<ScopeResult | WorkItem> {
    if (scope.kind !== 'service') throw new ValidationError('plan-service payload', ['scope.kind: must be "service"']);
    const svc = requireService(deps.env, scope.service, scope.environment);
    if (!svc.cleanup.enabled) {
      const why = 'cleanup is disabled for this service (cleanup.enabled is false)';
      return finishScope(run, scope, 'skipped', [skipAction(scope, why)], [], 0, 0, why);
    }
    const busy = await deploymentInFlight(deps.store, svc.name, svc.environment, deps.clock.now());
    if (busy) {
      const why = `${busy.why}; cleanup never runs while a deployment is in flight (the next run will)`;
      return finishScope(run, scope, 'skipped', [skipAction(scope, why)], [], 0, 0, why);
    }
    const plan = planServiceCleanup(await inventory(svc), settingsFor(svc));
    return afterPlan(run, scope, plan.actions, plan.kept, plan.deferred);
  }

  async function planRepository(run: RunInfo, scope: CleanupScope): Promise<ScopeResult | WorkItem> {
    if (scope.kind !== 'repository') throw new ValidationError('plan-repository payload', ['scope.kind: must be "repository"']);
    const services = deps.env.config.services.filter((s) => s.repository === scope.repository);
    // Image deletion is opt-in (cleanup.deleteImages, default false). A dry run still plans the
    // repository, so `cutover cleanup --dry-run` shows what turning it on would delete (issue #16).
    const previewOnly = services.find((s) => !s.cleanup.deleteImages);
    const optedOut = services.find((s) => !s.cleanup.enabled) ?? (run.dryRun ? undefined : previewOnly);
    if (optedOut) {
      const why = `${optedOut.name}/${optedOut.environment} does not allow image cleanup (cleanup.enabled / cleanup.deleteImages); its repository's images are left alone`;
      return finishScope(run, scope, 'skipped', [skipAction(scope, why)], [], 0, 0, why);
    }
    for (const s of services) {
      const busy = await deploymentInFlight(deps.store, s.name, s.environment, deps.clock.now());
      if (busy) {
        const why = `${busy.why} (${s.name}/${s.environment}); images are cleaned when no service of the repository deploys`;
        return finishScope(run, scope, 'skipped', [skipAction(scope, why)], [], 0, 0, why);
      }
    }
    const keep: ImageKeepRef[] = [];
    for (const s of services) {
      const inv = await inventory(s);
      const settings = settingsFor(s);
      const plan = planServiceCleanup(inv, settings);
      // A real run keeps every revision still ACTIVE (one whose deregistration failed keeps its
      // image); a dry run keeps what the service plan would keep.
      const keptArns = new Set(plan.keptRevisions);
      if (!run.dryRun) for (const r of inv.revisions) if (r.status === 'ACTIVE') keptArns.add(r.arn);
      const infos: RevisionInfo[] = [];
      for (const arn of keptArns) {
        const known = inv.revisions.find((r) => r.arn === arn && r.images.length > 0);
        const info = known ?? (await deps.revisions.describe(arn));
        if (info) infos.push(info);
      }
      // In-use revisions the listing did not return (INACTIVE ones beyond the described page).
      for (const ts of inv.taskSets) {
        if (!infos.some((i) => revisionKey(i.arn) === revisionKey(ts.taskDefinitionArn))) {
          const info = await deps.revisions.describe(ts.taskDefinitionArn);
          if (info) infos.push(info);
        }
      }
      for (const arn of inv.runningTaskDefinitions) {
        if (!infos.some((i) => revisionKey(i.arn) === revisionKey(arn))) {
          const info = await deps.revisions.describe(arn);
          if (info) infos.push(info);
        }
      }
      keep.push(...imageKeepRefs(infos, inv, settings));
    }
    const first = services[0] as ServiceConfig;
    const images = await deps.images.list(scope.repository, CLEANUP_LIMITS.maxListedImages);
    const plan = planImageCleanup({
      repository: scope.repository,
      service: first.name,
      environment: first.environment,
      images,
      keep,
      protectTags: [...new Set(services.flatMap((s) => s.cleanup.protectTags))],
      imageGraceSeconds: Math.max(...services.map((s) => s.cleanup.imageGraceSeconds)),
      nowMs: deps.clock.now(),
    });
    if (previewOnly && run.dryRun) {
      const why = `cleanup.deleteImages is off for ${previewOnly.name}/${previewOnly.environment}: a real run deletes none of these images; this is what it would delete with deleteImages: true`;
      const would = plan.actions.map((a) => asOutcome(a, MaintenanceOutcome.Would));
      return finishScope(run, scope, 'done', [skipAction(scope, why), ...would], plan.kept, plan.kept.length, plan.deferred, why);
    }
    return afterPlan(run, scope, plan.actions, plan.kept, plan.deferred);
  }

  /** One write (one AWS call): the outcome of each action in it. */
  async function write(group: PlannedAction[]): Promise<MaintenanceAction[]> {
    const first = group[0] as PlannedAction;
    switch (first.kind) {
      case MaintenanceActionKind.DeleteTaskSet: {
        await deps.taskSets.deleteTaskSet(String(first.detail?.cluster), String(first.detail?.ecsService), first.target);
        return [asOutcome(first, MaintenanceOutcome.Done)];
      }
      case MaintenanceActionKind.DeregisterRevision: {
        await deps.revisions.deregister(first.target);
        return [asOutcome(first, MaintenanceOutcome.Done)];
      }
      case MaintenanceActionKind.DeleteRevision: {
        const out = await deps.revisions.delete(group.map((a) => a.target));
        return group.map((a) => {
          const f = out.failures.find((x) => x.arn === a.target);
          return f ? asOutcome(a, MaintenanceOutcome.Failed, undefined, f.reason) : asOutcome(a, MaintenanceOutcome.Done);
        });
      }
      case MaintenanceActionKind.DeleteImage: {
        const out = await deps.images.delete(String(first.detail?.repository), group.map((a) => String(a.detail?.digest)));
        return group.map((a) => {
          const f = out.failures.find((x) => x.digest === a.detail?.digest);
          return f ? asOutcome(a, MaintenanceOutcome.Failed, undefined, f.reason) : asOutcome(a, MaintenanceOutcome.Done);
        });
      }
      case MaintenanceActionKind.ExpireRecord: {
        const changed = await deps.expiry.expire(first.service, first.environment, first.target, Number(first.detail?.expiresAt));
        return [
          changed
            ? asOutcome(first, MaintenanceOutcome.Done)
            : asOutcome(first, MaintenanceOutcome.Skipped, 'the record changed since the plan (in flight again, or it already expires sooner)'),
        ];
      }
      default:
        return group.map((a) => asOutcome(a, MaintenanceOutcome.Failed, undefined, `cleanup cannot apply ${a.kind}`));
    }
  }

  async function apply(item: WorkItem): Promise<ScopeResult | WorkItem> {
    const { run, scope } = item;
    // The plan came through the state machine: checked again against the configuration, so a work
    // item handed to this function directly deletes nothing outside a configured scope.
    const outside = cleanupApplyProblems(deps.env.config.services, item);
    if (outside.length > 0) throw new ValidationError('cleanup work item', outside);
    const services =
      scope.kind === 'service'
        ? [{ name: scope.service, environment: scope.environment }]
        : deps.env.config.services.filter((s) => s.repository === scope.repository);
    for (const s of services) {
      const busy = await deploymentInFlight(deps.store, s.name, s.environment, deps.clock.now());
      if (busy) {
        const why = `${busy.why}: the rest of the plan waits for the next run`;
        const done = [...item.done, ...item.pending.map((a) => asOutcome(a, MaintenanceOutcome.Skipped, `${a.reason}; not done: ${why}`))];
        return finishScope(run, scope, 'done', done, item.kept, item.keptTotal, item.deferred);
      }
    }
    let pending = item.pending;
    const done = [...item.done];
    let attempts = item.attempts;
    for (let writes = 0; writes < CLEANUP_LIMITS.writesPerBatch && pending.length > 0; ) {
      const { write: group, rest } = nextWrite(pending);
      try {
        done.push(...(await write(group)));
        pending = rest;
        attempts = 0;
        writes += 1;
      } catch (e) {
        const err = e as Error;
        const message = `${err.name}: ${err.message}`;
        if (e instanceof AwsThrottled || e instanceof AwsUnavailable) {
          attempts += 1;
          if (attempts < CLEANUP_LIMITS.maxAttemptsPerWrite) {
            logger.warn('write throttled; waiting', { attempts, kind: group[0]?.kind, target: group[0]?.target });
            return { ...item, pending, done, attempts, waitSeconds: backoffSeconds(attempts) };
          }
        } else if (!(e instanceof CutoverError)) {
          throw e; // a bug, not AWS: fail the scope loudly
        }
        done.push(...group.map((a) => asOutcome(a, MaintenanceOutcome.Failed, undefined, message)));
        pending = rest;
        attempts = 0;
        writes += 1;
      }
    }
    if (pending.length === 0) return finishScope(run, scope, 'done', done, item.kept, item.keptTotal, item.deferred);
    return { ...item, pending, done, attempts, waitSeconds: CLEANUP_LIMITS.paceSeconds };
  }

  async function report(run: RunInfo, raw: unknown[]): Promise<CleanupRunReport & { text: string }> {
    const scopes: ScopeResult[] = raw.map((r) => {
      const x = r as ScopeResult | FailedItem;
      if (x.status !== 'failed' || 'counts' in x) return x as ScopeResult;
      const failed = x as FailedItem;
      let message = failed.error?.Error ?? 'unknown error';
      try {
        const cause = JSON.parse(failed.error?.Cause ?? '{}') as { errorMessage?: string };
        if (cause.errorMessage) message = `${message}: ${cause.errorMessage}`;
      } catch {
        // a Cause that is not JSON: the error name is enough
      }
      const done = failed.done ?? [];
      return {
        scope: failed.scope,
        status: 'failed',
        reason: message,
        counts: countOutcomes(done),
        actions: done.slice(0, run.listLimit),
        kept: [],
        omitted: Math.max(0, done.length - run.listLimit),
        deferred: 0,
      };
    });
    const all = scopes.flatMap((s) => s.actions);
    const counted = scopes.map((s) => s.counts);
    const totals = {
      done: counted.reduce((n, c) => n + c.done, 0),
      would: counted.reduce((n, c) => n + c.would, 0),
      failed: counted.reduce((n, c) => n + c.failed, 0),
      skipped: counted.reduce((n, c) => n + c.skipped, 0),
      deferred: counted.reduce((n, c) => n + c.deferred, 0),
      byKind: {} as Record<string, number>,
    };
    for (const a of all) {
      if (a.outcome === MaintenanceOutcome.Done || a.outcome === MaintenanceOutcome.Would) totals.byKind[a.kind] = (totals.byKind[a.kind] ?? 0) + 1;
    }
    const out: CleanupRunReport = { runId: run.runId, dryRun: run.dryRun, startedAt: run.startedAt, finishedAt: nowIso(), scopes, totals };
    const text = formatCleanupReport(out);
    logger.info('cleanup finished', { runId: run.runId, dryRun: run.dryRun, totals, ...(run.part ? { part: true } : {}) });
    if (!run.dryRun && !run.part) {
      await deps.events.publish(LifecycleEvent.CleanupCompleted, {
        runId: run.runId,
        dryRun: false,
        startedAt: run.startedAt,
        finishedAt: out.finishedAt,
        ...(run.reason ? { reason: run.reason } : {}),
        totals,
        scopes: scopes.map((s) => ({ scope: s.scope, status: s.status, ...(s.reason ? { reason: s.reason } : {}), counts: s.counts, deferred: s.deferred })),
      });
    }
    return { ...out, text };
  }

  /** The report of a run in parts: every part's totals added up; each part's output has its scopes. */
  async function reportParts(run: RunInfo, raw: unknown[]): Promise<CleanupRunReport & { text: string; parts: PartResult[] }> {
    const parts = raw as PartResult[];
    const totals = { done: 0, would: 0, failed: 0, skipped: 0, deferred: 0, byKind: {} as Record<string, number> };
    for (const p of parts) {
      if (!p.totals) continue;
      for (const k of ['done', 'would', 'failed', 'skipped', 'deferred'] as const) totals[k] += p.totals[k] ?? 0;
      for (const [kind, n] of Object.entries(p.totals.byKind ?? {})) totals.byKind[kind] = (totals.byKind[kind] ?? 0) + n;
    }
    const failedParts = parts.filter((p) => p.failed || !p.totals);
    const out: CleanupRunReport = { runId: run.runId, dryRun: run.dryRun, startedAt: run.startedAt, finishedAt: nowIso(), scopes: [], totals };
    const text = [
      formatCleanupReport(out).trimEnd(),
      `in ${parts.length} parts (child executions of the cleanup state machine; each one's output lists its services and repositories)${failedParts.length > 0 ? `; ${failedParts.length} failed: ${failedParts.map((p) => p.error?.Error ?? 'no report').join(', ')}` : ''}`,
    ].join('\n');
    logger.info('cleanup finished', { runId: run.runId, dryRun: run.dryRun, totals, parts: parts.length });
    if (!run.dryRun) {
      await deps.events.publish(LifecycleEvent.CleanupCompleted, {
        runId: run.runId,
        dryRun: false,
        startedAt: run.startedAt,
        finishedAt: out.finishedAt,
        ...(run.reason ? { reason: run.reason } : {}),
        totals,
        parts: parts.map((p) => ({ ...(p.executionArn ? { executionArn: p.executionArn } : {}), status: p.failed || !p.totals ? 'failed' : 'done' })),
      });
    }
    return { ...out, text, parts };
  }

  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'cleanup payload');
    switch (payload.action) {
      case 'start':
        return start(payload.input, payload.runId, payload.startedAt);
      case 'plan-service':
        logger.appendKeys({ runId: payload.run.runId, scope: payload.scope });
        return planService(payload.run as RunInfo, payload.scope as CleanupScope);
      case 'plan-repository':
        logger.appendKeys({ runId: payload.run.runId, scope: payload.scope });
        return planRepository(payload.run as RunInfo, payload.scope as CleanupScope);
      case 'apply':
        logger.appendKeys({ runId: payload.item.run.runId, scope: payload.item.scope });
        return apply(payload.item as unknown as WorkItem);
      case 'report':
        return report(payload.run as RunInfo, [...payload.services, ...payload.repositories]);
      case 'report-parts':
        return reportParts(payload.run as RunInfo, payload.parts);
      default: {
        const never: never = payload;
        throw new ValidationError('cleanup payload', [`action: unknown ${JSON.stringify(never)}`]);
      }
    }
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): CleanupDeps {
  const ecs = makeClient(ECSClient, opts);
  return {
    env,
    clock,
    taskSets: new EcsTaskSets(ecs),
    revisions: new EcsRevisions(ecs),
    images: new EcrImageInventory(makeClient(ECRClient, opts)),
    router: new ElbTrafficRouter(makeClient(ElasticLoadBalancingV2Client, opts)),
    store: bindTable(tableFor(opts, env), { listDeployments, getStable, getLock }),
    expiry: maintenanceStoreFor(opts, env),
    events: publisherFor(opts, env),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
