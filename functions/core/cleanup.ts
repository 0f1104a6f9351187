/**
 * Cleanup decisions, pure: given what AWS and the store hold for one service (its task sets,
 * task-definition revisions, running tasks, deployment records, production weights), which
 * revisions to deregister or delete, which task sets to remove, which records to expire; and given
 * a repository's images and what must stay, which images to delete. Every decision carries its
 * reason, and so does everything kept: the report is the plan.
 *
 * The one rule above the others: nothing in use goes. A revision is in use when a task set, a
 * running task, an in-flight or recent deployment record or the stable pointer (and its previous
 * version, the rollback target) names it; a task set is in use when it is primary, attached to an
 * in-flight deployment or carries production traffic; an image is in use when a kept revision or a
 * recent deployment runs it. The handler never plans at all while the service has a deployment in
 * flight (see `inFlightFor`).
 *
 * @example
 * // keepRevisions 2, revisions web:1..6 ACTIVE, web:3 runs a one-off task, web:6 is primary:
 * // kept web:6 (task set, and newest), web:5 (newest 2), web:3 (running task);
 * // deregistered web:1, web:2, web:4 ("beyond the newest 2 revisions and not in use").
 */
import type { CleanupConfig } from './config.js';
import { tagMatches } from './services.js';
import { type KeptItem, MaintenanceActionKind, type MaintenanceAction, type MaintenanceOutcome, type PlannedAction, formatAction } from './maintenance.js';
import { type DeploymentRecord, isTerminal, type StablePointer, type TargetGroupWeight } from './model.js';
import type { RepositoryImage, RevisionInfo, TaskSetInfo } from './ports.js';

/** Bounds of one cleanup run (they keep each Lambda call short and each state small). */
export const CLEANUP_LIMITS = {
  /** Actions planned per service per run; the rest wait for the next run (reported as `deferred`). */
  maxActionsPerService: 100,
  /** Image deletions planned per repository per run. */
  maxImageDeletesPerRepository: 100,
  /** Revision ARNs listed per family and status. */
  maxListedRevisions: 5000,
  /** INACTIVE revisions described (for their deregistration time) per family per run, oldest first. */
  maxDescribedInactive: 50,
  /** Images listed per repository. */
  maxListedImages: 10_000,
  /** DeleteTaskDefinitions takes at most 10 revisions. */
  revisionsPerDelete: 10,
  /** BatchDeleteImage takes at most 100 image ids. */
  imagesPerDelete: 100,
  /**
   * Writes per batch, and the wait between batches: ECS allows about one task-definition write a
   * second sustained (with a small burst), ECR's BatchDeleteImage a few a second.
   */
  writesPerBatch: 5,
  paceSeconds: 5,
  /** Throttled (or 5xx) attempts of one write before it is reported failed and the run moves on. */
  maxAttemptsPerWrite: 5,
  maxBackoffSeconds: 60,
  /** Actions and kept items listed in a run's output, over all services (each report event has all). */
  maxListedPerRun: 200,
} as const;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** `family:revision` of a task-definition ARN or `family:revision` reference; undefined otherwise. */
export function revisionKey(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const tail = ref.startsWith('arn:') ? ref.slice(ref.indexOf('task-definition/') + 'task-definition/'.length) : ref;
  const m = /^([A-Za-z0-9_-]{1,255}):(\d+)$/.exec(tail);
  return m ? `${m[1]}:${Number(m[2])}` : undefined;
}

/** The family of a task-definition ARN, `family:revision` or bare family. */
export function familyOf(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const tail = ref.startsWith('arn:') ? ref.slice(ref.indexOf('task-definition/') + 'task-definition/'.length) : ref;
  const m = /^([A-Za-z0-9_-]{1,255})(:\d+)?$/.exec(tail);
  return m ? m[1] : undefined;
}

/** `3 d`, `5 h`, `12 min`, `40 s`. */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 2 * 86_400) return `${Math.floor(s / 86_400)} d`;
  if (s >= 2 * 3600) return `${Math.floor(s / 3600)} h`;
  if (s >= 120) return `${Math.floor(s / 60)} min`;
  return `${s} s`;
}

const parseMs = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
};

/** The records of deployments that are not over (QUEUED or IN_PROGRESS). */
export function inFlightFor(records: readonly DeploymentRecord[]): DeploymentRecord[] {
  return records.filter((r) => !isTerminal(r.status));
}

/** When a record's deployment ended (its last update), for terminal records. */
const endedAtMs = (r: DeploymentRecord): number | undefined => parseMs(r.updatedAt) ?? parseMs(r.createdAt);

// ---------------------------------------------------------------------------------------------
// Service plan: revisions, task sets, records
// ---------------------------------------------------------------------------------------------

/** What the handler read for one service. */
export interface CleanupInventory {
  readonly service: string;
  readonly environment: string;
  readonly cluster: string;
  readonly ecsService: string;
  /** The service's task sets (any status). */
  readonly taskSets: readonly TaskSetInfo[];
  /** Revisions of the service's families: every ACTIVE one listed, the INACTIVE ones described. */
  readonly revisions: readonly RevisionInfo[];
  /** Task definitions of the cluster's tasks of those families that are not stopped. */
  readonly runningTaskDefinitions: readonly string[];
  /** Every unexpired deployment record of the service. */
  readonly records: readonly DeploymentRecord[];
  readonly stable?: StablePointer;
  /** The production route's weights as the load balancer holds them. */
  readonly productionWeights: readonly TargetGroupWeight[];
}

export interface CleanupSettings {
  readonly cleanup: CleanupConfig;
  /** Deployment records expire this long after they end (CutoverConfig.recordRetentionSeconds). */
  readonly recordRetentionSeconds: number;
  readonly nowMs: number;
  /** Default CLEANUP_LIMITS.maxActionsPerService. */
  readonly maxActions?: number;
}

export interface ServiceCleanupPlan {
  /** Task sets first, then deregistrations, deletions, record expiries. */
  readonly actions: PlannedAction[];
  readonly kept: KeptItem[];
  /** Revision ARNs that stay usable (ACTIVE and kept) or in use: their images stay too. */
  readonly keptRevisions: string[];
  /** Actions found beyond `maxActions`: the next run takes them. */
  readonly deferred: number;
}

/**
 * Every revision in use, by `family:revision`, with every reason. Reasons, in order: task sets,
 * running tasks, in-flight deployments, the stable pointer and its previous version, recent
 * deployments (ended less than `recentDeploymentSeconds` ago).
 */
export function revisionsInUse(inv: CleanupInventory, settings: CleanupSettings): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const add = (ref: string | undefined, reason: string) => {
    const key = revisionKey(ref);
    if (key === undefined) return;
    const reasons = used.get(key) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
    used.set(key, reasons);
  };
  for (const ts of inv.taskSets) add(ts.taskDefinitionArn, `used by task set ${ts.id} (${ts.status})`);
  for (const arn of inv.runningTaskDefinitions) add(arn, 'used by a running task');
  for (const r of inFlightFor(inv.records)) {
    add(r.blue?.taskDefinitionArn, `blue of in-flight deployment ${r.deploymentId}`);
    add(r.green?.taskDefinitionArn, `green of in-flight deployment ${r.deploymentId}`);
  }
  if (inv.stable) {
    add(inv.stable.taskDefinitionArn, `the stable version (deployment ${inv.stable.deploymentId})`);
    add(inv.stable.previous?.taskDefinitionArn, `the previous stable version, the rollback target (deployment ${inv.stable.previous?.deploymentId})`);
  }
  const recentMs = settings.cleanup.recentDeploymentSeconds * 1000;
  for (const r of inv.records) {
    if (!isTerminal(r.status)) continue;
    const ended = endedAtMs(r);
    if (ended === undefined || settings.nowMs - ended >= recentMs) continue;
    const when = `${r.status}, ended ${ageText(settings.nowMs - ended)} ago`;
    add(r.blue?.taskDefinitionArn, `blue of recent deployment ${r.deploymentId} (${when})`);
    add(r.green?.taskDefinitionArn, `green of recent deployment ${r.deploymentId} (${when})`);
  }
  return used;
}

/** The families whose revisions cleanup looks at: those the service's task sets, records and pointer use. */
export function familiesOf(inv: Pick<CleanupInventory, 'taskSets' | 'records' | 'stable'>, bootstrap?: string): string[] {
  const refs = [
    ...inv.taskSets.map((t) => t.taskDefinitionArn),
    ...inv.records.flatMap((r) => [r.blue?.taskDefinitionArn, r.green?.taskDefinitionArn]),
    inv.stable?.taskDefinitionArn,
    inv.stable?.previous?.taskDefinitionArn,
    bootstrap,
  ];
  return [...new Set(refs.map(familyOf).filter((f): f is string => f !== undefined))].sort();
}

const ACTION_ORDER: readonly string[] = [
  MaintenanceActionKind.DeleteTaskSet,
  MaintenanceActionKind.DeregisterRevision,
  MaintenanceActionKind.DeleteRevision,
  MaintenanceActionKind.ExpireRecord,
];

/**
 * The plan for one service. Never called while the service has a deployment in flight (the
 * handler skips the service), but safe if it were: in-flight deployments' revisions and task sets
 * are in use.
 *
 * - ACTIVE revisions: the newest `keepRevisions` per family stay, and every one in use; the others
 *   are deregistered.
 * - INACTIVE revisions deregistered at least `deleteInactiveAfterSeconds` ago and not in use are
 *   deleted (DeleteTaskDefinitions); an INACTIVE one in use stays.
 * - Task sets: PRIMARY, DRAINING, attached to an in-flight deployment, carrying production traffic
 *   or younger than `orphanGraceSeconds` (or of unknown age) stay; the other orphans go.
 * - Ended records with no TTL, or a later one than end + retention, get end + retention.
 */
export function planServiceCleanup(inv: CleanupInventory, settings: CleanupSettings): ServiceCleanupPlan {
  const { cleanup, nowMs } = settings;
  const who = { service: inv.service, environment: inv.environment };
  const actions: PlannedAction[] = [];
  const kept: KeptItem[] = [];
  const keptRevisions: string[] = [];
  const used = revisionsInUse(inv, settings);

  // ---- task sets
  const inFlight = inFlightFor(inv.records);
  const trafficOn = new Map(inv.productionWeights.filter((w) => w.weight > 0).map((w) => [w.targetGroupArn, w.weight]));
  for (const ts of inv.taskSets) {
    const keep = (reason: string) => kept.push({ kind: 'task-set', ...who, target: ts.id, reason });
    if (ts.status === 'DRAINING') continue; // already being deleted
    if (ts.status === 'PRIMARY') {
      keep('the primary task set');
      continue;
    }
    const owner = inFlight.find(
      (r) => ts.externalId === r.deploymentId || r.green?.taskSetId === ts.id || r.blue?.taskSetId === ts.id,
    );
    if (owner) {
      keep(`attached to in-flight deployment ${owner.deploymentId}`);
      continue;
    }
    const traffic = ts.targetGroupArns.map((tg) => trafficOn.get(tg) ?? 0).reduce((a, b) => a + b, 0);
    if (traffic > 0) {
      keep(`its target group carries ${traffic} % of production traffic`);
      continue;
    }
    const created = parseMs(ts.createdAt);
    if (created === undefined) {
      keep('its age is unknown');
      continue;
    }
    const age = nowMs - created;
    if (age < cleanup.orphanGraceSeconds * 1000) {
      keep(`orphaned, but created only ${ageText(age)} ago (grace ${ageText(cleanup.orphanGraceSeconds * 1000)})`);
      continue;
    }
    actions.push({
      kind: MaintenanceActionKind.DeleteTaskSet,
      ...who,
      target: ts.id,
      reason: `orphaned: not primary, attached to no in-flight deployment, no production traffic, created ${ageText(age)} ago`,
      detail: {
        cluster: inv.cluster,
        ecsService: inv.ecsService,
        taskDefinition: ts.taskDefinitionArn,
        ...(ts.externalId ? { externalId: ts.externalId } : {}),
      },
    });
  }

  // ---- revisions, per family
  const byFamily = new Map<string, RevisionInfo[]>();
  for (const r of inv.revisions) byFamily.set(r.family, [...(byFamily.get(r.family) ?? []), r]);
  for (const family of [...byFamily.keys()].sort()) {
    const revs = (byFamily.get(family) ?? []).slice().sort((a, b) => b.revision - a.revision);
    const active = revs.filter((r) => r.status === 'ACTIVE');
    const newest = new Set(active.slice(0, cleanup.keepRevisions).map((r) => r.arn));
    for (const r of active.slice().reverse()) {
      const reasons = used.get(`${r.family}:${r.revision}`);
      if (reasons || newest.has(r.arn)) {
        const why = [...(reasons ?? []), ...(newest.has(r.arn) ? [`one of the newest ${cleanup.keepRevisions} revisions`] : [])];
        kept.push({ kind: 'revision', ...who, target: r.arn, reason: why.join('; ') });
        keptRevisions.push(r.arn);
        continue;
      }
      actions.push({
        kind: MaintenanceActionKind.DeregisterRevision,
        ...who,
        target: r.arn,
        reason: `beyond the newest ${cleanup.keepRevisions} revisions of ${family} and not in use`,
      });
    }
    for (const r of revs.filter((x) => x.status === 'INACTIVE')) {
      const reasons = used.get(`${r.family}:${r.revision}`);
      if (reasons) {
        kept.push({ kind: 'revision', ...who, target: r.arn, reason: `inactive but ${reasons.join('; ')}` });
        keptRevisions.push(r.arn);
        continue;
      }
      const deregistered = parseMs(r.deregisteredAt);
      if (deregistered === undefined) continue; // not described this run
      const age = nowMs - deregistered;
      if (age < cleanup.deleteInactiveAfterSeconds * 1000) continue; // its time has not come; not worth a line
      actions.push({
        kind: MaintenanceActionKind.DeleteRevision,
        ...who,
        target: r.arn,
        reason: `inactive for ${ageText(age)} (delete after ${ageText(cleanup.deleteInactiveAfterSeconds * 1000)}) and not in use`,
      });
    }
  }

  // ---- records: expire through the TTL
  for (const r of inv.records) {
    if (!isTerminal(r.status)) continue;
    const ended = endedAtMs(r);
    if (ended === undefined) continue;
    const wanted = Math.floor(ended / 1000) + settings.recordRetentionSeconds;
    if (r.expiresAt !== undefined && r.expiresAt <= wanted) continue;
    actions.push({
      kind: MaintenanceActionKind.ExpireRecord,
      ...who,
      target: r.deploymentId,
      reason:
        r.expiresAt === undefined
          ? `${r.status} record without expiry: expires ${ageText(settings.recordRetentionSeconds * 1000)} after it ended`
          : `${r.status} record expired later than the configured retention of ${ageText(settings.recordRetentionSeconds * 1000)}`,
      detail: { expiresAt: wanted },
    });
  }

  actions.sort((a, b) => ACTION_ORDER.indexOf(a.kind) - ACTION_ORDER.indexOf(b.kind));
  const max = settings.maxActions ?? CLEANUP_LIMITS.maxActionsPerService;
  return { actions: actions.slice(0, max), kept, keptRevisions, deferred: Math.max(0, actions.length - max) };
}

// ---------------------------------------------------------------------------------------------
// Repository plan: images
// ---------------------------------------------------------------------------------------------

/** An image reference (`host/repo@sha256:...`, `host/repo:tag`, `host/repo`) split up. */
export function parseImageReference(uri: string): { repository: string; digest?: string; tag?: string } | undefined {
  const at = uri.indexOf('@');
  const base = at >= 0 ? uri.slice(0, at) : uri;
  const digest = at >= 0 ? uri.slice(at + 1) : undefined;
  const slash = base.indexOf('/');
  // A first path part with a dot or colon (or localhost) is a registry host.
  const first = slash >= 0 ? base.slice(0, slash) : '';
  const path = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost') ? base.slice(slash + 1) : base;
  if (path === '') return undefined;
  const colon = path.lastIndexOf(':');
  const hasTag = colon > path.lastIndexOf('/');
  const repository = hasTag ? path.slice(0, colon) : path;
  // By digest the tag (if any) is informational; without either, Docker means `latest`.
  const tag = hasTag ? path.slice(colon + 1) : digest === undefined ? 'latest' : undefined;
  if (repository === '') return undefined;
  return { repository, ...(digest ? { digest } : {}), ...(tag ? { tag } : {}) };
}

/** Something that must keep its image: a container image reference or a digest, and why. */
export interface ImageKeepRef {
  /** An image URI (by digest or tag) or a bare `sha256:` digest. */
  readonly image: string;
  readonly reason: string;
}

/**
 * What keeps images of one service: the images of the revisions its plan keeps, the digests of its
 * in-flight and recent deployments, and of the stable pointer and its previous version.
 */
export function imageKeepRefs(
  keptRevisions: readonly RevisionInfo[],
  inv: Pick<CleanupInventory, 'records' | 'stable' | 'service' | 'environment'>,
  settings: CleanupSettings,
): ImageKeepRef[] {
  const refs: ImageKeepRef[] = [];
  const who = `${inv.service}/${inv.environment}`;
  for (const r of keptRevisions) {
    for (const image of r.images) refs.push({ image, reason: `run by kept revision ${r.family}:${r.revision} of ${who}` });
  }
  const recentMs = settings.cleanup.recentDeploymentSeconds * 1000;
  for (const r of inv.records) {
    const ended = endedAtMs(r);
    const inFlight = !isTerminal(r.status);
    if (!inFlight && (ended === undefined || settings.nowMs - ended >= recentMs)) continue;
    refs.push({
      image: r.image.digest,
      reason: inFlight ? `image of in-flight deployment ${r.deploymentId}` : `image of recent deployment ${r.deploymentId} (${r.status})`,
    });
  }
  if (inv.stable?.digest) refs.push({ image: inv.stable.digest, reason: `the stable version of ${who}` });
  if (inv.stable?.previous?.digest) refs.push({ image: inv.stable.previous.digest, reason: `the previous stable version of ${who}` });
  return refs;
}

export interface ImagePlanInput {
  readonly repository: string;
  /** Whom the actions are reported under (the repository's first service). */
  readonly service: string;
  readonly environment: string;
  readonly images: readonly RepositoryImage[];
  readonly keep: readonly ImageKeepRef[];
  readonly protectTags: readonly string[];
  readonly imageGraceSeconds: number;
  readonly nowMs: number;
  /** Default CLEANUP_LIMITS.maxImageDeletesPerRepository. */
  readonly maxActions?: number;
}

export interface ImagePlan {
  readonly actions: PlannedAction[];
  readonly kept: KeptItem[];
  readonly deferred: number;
}

/**
 * Which images of a repository go. An image stays when something keeps it (a kept revision runs it
 * by digest, or by a tag that points at it now; a recent or in-flight deployment or the stable
 * pointer names its digest), when one of its tags matches a protected pattern, or when it was
 * pushed less than `imageGraceSeconds` ago (or when is unknown).
 */
export function planImageCleanup(input: ImagePlanInput): ImagePlan {
  const who = { service: input.service, environment: input.environment };
  const byTag = new Map<string, string>();
  for (const img of input.images) for (const t of img.tags) byTag.set(t, img.digest);
  const keepReasons = new Map<string, string[]>();
  for (const ref of input.keep) {
    let digest: string | undefined;
    if (ref.image.startsWith('sha256:')) digest = ref.image;
    else {
      const parsed = parseImageReference(ref.image);
      if (parsed?.repository !== input.repository) continue;
      digest = parsed.digest ?? (parsed.tag === undefined ? undefined : byTag.get(parsed.tag));
    }
    if (digest === undefined) continue;
    const reasons = keepReasons.get(digest) ?? [];
    if (!reasons.includes(ref.reason)) reasons.push(ref.reason);
    keepReasons.set(digest, reasons);
  }
  const actions: PlannedAction[] = [];
  const kept: KeptItem[] = [];
  const sorted = input.images.slice().sort((a, b) => (parseMs(a.pushedAt) ?? 0) - (parseMs(b.pushedAt) ?? 0) || a.digest.localeCompare(b.digest));
  for (const img of sorted) {
    const target = `${input.repository}@${img.digest}`;
    const tagText = img.tags.length > 0 ? ` (${img.tags.join(', ')})` : ' (untagged)';
    const reasons = keepReasons.get(img.digest);
    if (reasons) {
      kept.push({ kind: 'image', ...who, target: `${target}${tagText}`, reason: reasons.join('; ') });
      continue;
    }
    const protectedTag = img.tags.find((t) => input.protectTags.some((p) => tagMatches(p, t)));
    if (protectedTag !== undefined) {
      kept.push({ kind: 'image', ...who, target: `${target}${tagText}`, reason: `tag ${protectedTag} is protected (cleanup.protectTags)` });
      continue;
    }
    const pushed = parseMs(img.pushedAt);
    if (pushed === undefined || input.nowMs - pushed < input.imageGraceSeconds * 1000) {
      kept.push({
        kind: 'image',
        ...who,
        target: `${target}${tagText}`,
        reason: pushed === undefined ? 'push time unknown' : `pushed only ${ageText(input.nowMs - pushed)} ago (grace ${ageText(input.imageGraceSeconds * 1000)})`,
      });
      continue;
    }
    actions.push({
      kind: MaintenanceActionKind.DeleteImage,
      ...who,
      target,
      reason: `${img.tags.length > 0 ? `tags ${img.tags.join(', ')}` : 'untagged'}, pushed ${ageText(input.nowMs - pushed)} ago; no kept revision, stable version or recent deployment uses it`,
      detail: { repository: input.repository, digest: img.digest },
    });
  }
  const max = input.maxActions ?? CLEANUP_LIMITS.maxImageDeletesPerRepository;
  return { actions: actions.slice(0, max), kept, deferred: Math.max(0, actions.length - max) };
}

// ---------------------------------------------------------------------------------------------
// Applying: batches, backoff
// ---------------------------------------------------------------------------------------------

/**
 * The next write: the first pending action, with the ones that go in the same call (consecutive
 * revision deletions, up to 10; consecutive image deletions of one repository, up to 100).
 */
export function nextWrite(pending: readonly PlannedAction[]): { write: PlannedAction[]; rest: PlannedAction[] } {
  const first = pending[0];
  if (first === undefined) return { write: [], rest: [] };
  let n = 1;
  if (first.kind === MaintenanceActionKind.DeleteRevision) {
    while (n < pending.length && n < CLEANUP_LIMITS.revisionsPerDelete && pending[n]?.kind === first.kind) n++;
  } else if (first.kind === MaintenanceActionKind.DeleteImage) {
    while (
      n < pending.length &&
      n < CLEANUP_LIMITS.imagesPerDelete &&
      pending[n]?.kind === first.kind &&
      pending[n]?.detail?.repository === first.detail?.repository
    ) n++;
  }
  return { write: pending.slice(0, n), rest: pending.slice(n) };
}

/** Seconds to wait before trying a throttled write again: pace x 2^(attempts-1), capped. */
export function backoffSeconds(attempts: number): number {
  return Math.min(CLEANUP_LIMITS.maxBackoffSeconds, CLEANUP_LIMITS.paceSeconds * 2 ** Math.max(0, attempts - 1));
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

export type CleanupScope =
  | { readonly kind: 'service'; readonly service: string; readonly environment: string }
  | { readonly kind: 'repository'; readonly repository: string; readonly services: readonly string[] };

export const scopeText = (s: CleanupScope): string =>
  s.kind === 'service' ? `service ${s.service}/${s.environment}` : `repository ${s.repository} (${s.services.join(', ')})`;

/** How one service or repository ended in a run. */
export interface ScopeResult {
  readonly scope: CleanupScope;
  readonly status: 'done' | 'skipped' | 'failed';
  /** Why skipped or failed. */
  readonly reason?: string;
  readonly counts: Readonly<Record<MaintenanceOutcome, number>>;
  /** The actions (all of them, unless `omitted` > 0: then the report event has the rest). */
  readonly actions: readonly MaintenanceAction[];
  readonly kept: readonly KeptItem[];
  /** Actions and kept items not listed here, to keep the execution output small. */
  readonly omitted: number;
  /** Actions beyond the per-run limit, left for the next run. */
  readonly deferred: number;
}

export function countOutcomes(actions: readonly MaintenanceAction[]): Record<MaintenanceOutcome, number> {
  const counts: Record<MaintenanceOutcome, number> = { done: 0, would: 0, failed: 0, skipped: 0, deferred: 0 };
  for (const a of actions) counts[a.outcome] += 1;
  return counts;
}

export interface CleanupRunReport {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly scopes: readonly ScopeResult[];
  readonly totals: Readonly<Record<MaintenanceOutcome, number>> & { readonly byKind: Readonly<Record<string, number>> };
}

/** A report a person reads: per service and repository what goes and why, what stays and why. */
export function formatCleanupReport(report: CleanupRunReport): string {
  const lines: string[] = [];
  lines.push(
    `Cutover cleanup ${report.runId}${report.dryRun ? ' — DRY RUN: nothing was changed; "would" lines show what a real run removes' : ''}`,
    `started ${report.startedAt}, finished ${report.finishedAt}`,
    '',
  );
  for (const s of report.scopes) {
    const c = s.counts;
    const head =
      s.status === 'skipped'
        ? `skipped: ${s.reason ?? ''}`
        : s.status === 'failed'
          ? `FAILED: ${s.reason ?? ''}`
          : report.dryRun
            ? `${c.would} would go, ${s.kept.length} kept`
            : `${c.done} removed, ${c.failed} failed, ${c.skipped} skipped, ${s.kept.length} kept`;
    lines.push(`${scopeText(s.scope)}: ${head}`);
    for (const a of s.actions) lines.push(`  ${formatAction(a)}`);
    for (const k of s.kept) lines.push(`  ${'kept'.padEnd(8)} ${k.kind.padEnd(19)} ${k.target} — ${k.reason}`);
    if (s.omitted > 0) {
      lines.push(
        report.dryRun
          ? `  ... ${s.omitted} more lines: in the cleanup function's log, or dry-run this service alone (input "services")`
          : `  ... ${s.omitted} more lines in the "Cleanup Report" event of this ${s.scope.kind} (and the cleanup function's log)`,
      );
    }
    if (s.deferred > 0) lines.push(`  ... ${s.deferred} more actions left for the next run (per-run limit)`);
  }
  const t = report.totals;
  const kinds = Object.entries(t.byKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  lines.push(
    '',
    report.dryRun
      ? `Totals: would ${t.would} (${kinds || 'nothing'}); skipped ${t.skipped}.`
      : `Totals: done ${t.done} (${kinds || 'nothing'}); failed ${t.failed}; skipped ${t.skipped}.`,
  );
  return lines.join('\n');
}
