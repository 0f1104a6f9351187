/**
 * Release gates inside one deployment, the pure parts:
 * - the image gate: what ECR says about the pushed image's vulnerability scan (from a
 *   DescribeImageScanFindings response or an `ECR Image Scan` event), and the verdict for the
 *   service's `imageScan` config: pass, wait (the ASL loops on a Wait state), or reject;
 * - the migration task: the RunTask parameters for Step Functions' `ecs:runTask.sync` integration
 *   and the verdict on the stopped task (exit code of the named container);
 * - which optional gates a service has, so the deploy state machine's Choice states can skip what
 *   is not configured (`$.ctx.gates.<name>` is present only when configured).
 * No I/O, no clock: times are passed in.
 */
import type { ServiceConfig } from './config.js';

// ---------------------------------------------------------------------------------------------
// Which gates a service has
// ---------------------------------------------------------------------------------------------

/** Set on the deploy context only for what is configured; each key is tested with `IsPresent`. */
export interface DeployGates {
  /** `migration` is configured: run it after the task definition is registered. */
  readonly migration?: true;
  /** `hooks.afterHealthy` or `hooks.afterTestTraffic` is not empty: run them once green is healthy. */
  readonly preTraffic?: true;
  /** `hooks.beforeShift` is not empty: run them before every production shift. */
  readonly beforeShift?: true;
  /** `hooks.afterFullTraffic` is not empty: run them once production is 100 % on green. */
  readonly afterFullTraffic?: true;
}

/**
 * The gates of a service, or undefined when it has none (the context then carries no `gates`).
 *
 * @example gatesOf({ ...svc, migration: { command: ['migrate'] } }) // { migration: true }
 */
export function gatesOf(svc: Pick<ServiceConfig, 'migration' | 'hooks'>): DeployGates | undefined {
  const gates: { -readonly [K in keyof DeployGates]: DeployGates[K] } = {};
  if (svc.migration) gates.migration = true;
  if (svc.hooks.afterHealthy.length > 0 || svc.hooks.afterTestTraffic.length > 0) gates.preTraffic = true;
  if (svc.hooks.beforeShift.length > 0) gates.beforeShift = true;
  if (svc.hooks.afterFullTraffic.length > 0) gates.afterFullTraffic = true;
  return Object.keys(gates).length > 0 ? gates : undefined;
}

// ---------------------------------------------------------------------------------------------
// The image gate
// ---------------------------------------------------------------------------------------------

/** ECR's severities, lowest first. */
export const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
/**
 * Enhanced scanning (Amazon Inspector) also reports UNTRIAGED: a finding Inspector has not rated
 * (EnhancedImageScanFinding.severity, ECR API Reference). Its severity may be any, so it blocks at
 * every gate but NONE.
 */
export const UNTRIAGED = 'UNTRIAGED';
export type Severity = (typeof SEVERITIES)[number];
export type BlockSeverity = 'NONE' | Severity;

/** How often the deploy state machine looks at a scan that has not finished (its Wait state). */
export const SCAN_POLL_SECONDS = 30;

/** What ECR says about an image's scan, reduced to what the gate decides on. */
export type ScanResult =
  /** Findings are known (basic scan COMPLETE, or enhanced scanning ACTIVE). */
  | { readonly kind: 'complete'; readonly counts: Readonly<Record<string, number>> }
  /** The scan has not finished (IN_PROGRESS, PENDING). */
  | { readonly kind: 'pending'; readonly status: string }
  /** The image was never scanned (DescribeImageScanFindings: ScanNotFoundException). */
  | { readonly kind: 'none' }
  /** The scan cannot tell (FAILED, UNSUPPORTED_IMAGE, FINDINGS_UNAVAILABLE, SCAN_ELIGIBILITY_EXPIRED ...). */
  | { readonly kind: 'unusable'; readonly status: string; readonly description?: string };

const COMPLETE_STATUSES = new Set(['COMPLETE', 'ACTIVE']);
const PENDING_STATUSES = new Set(['IN_PROGRESS', 'PENDING']);

/**
 * A scan result from an ECR scan status and severity counts (DescribeImageScanFindings'
 * `imageScanStatus.status` and `imageScanFindings.findingSeverityCounts`, or DescribeImages'
 * `imageScanStatus` and `imageScanFindingsSummary`). No status: never scanned.
 */
export function scanResultOf(
  status: string | undefined,
  counts: Readonly<Record<string, number | undefined>> | undefined,
  description?: string,
): ScanResult {
  if (status === undefined) return { kind: 'none' };
  if (COMPLETE_STATUSES.has(status)) {
    // Severity counts can be absent for a while after COMPLETE (basic) or ACTIVE (enhanced, Amazon
    // Inspector): no counts is "not known yet", never "no findings" (issue #13, item 3). A scan with
    // no findings reports an empty map.
    if (counts === undefined) return { kind: 'pending', status: `${status} (severity counts not available yet)` };
    const clean: Record<string, number> = {};
    for (const [k, v] of Object.entries(counts ?? {})) if (typeof v === 'number') clean[k] = v;
    return { kind: 'complete', counts: clean };
  }
  if (PENDING_STATUSES.has(status)) return { kind: 'pending', status };
  return { kind: 'unusable', status, ...(description ? { description } : {}) };
}

export interface ImageGateInput {
  /** `repository@digest`, for messages. */
  readonly image: string;
  readonly blockSeverity: BlockSeverity;
  readonly waitSeconds: number;
  readonly onTimeout: 'reject' | 'allow';
  readonly scan: ScanResult;
  /** When the image was pushed (the wait is measured from it); the deploy request's time if unknown. */
  readonly pushedAtMs: number;
  readonly nowMs: number;
}

export type ImageGateVerdict =
  | { readonly decision: 'pass'; readonly note: string }
  /** Look again after `waitSeconds` (at most SCAN_POLL_SECONDS); `remainingSeconds` until onTimeout applies. */
  | { readonly decision: 'wait'; readonly waitSeconds: number; readonly remainingSeconds: number; readonly status: string }
  | { readonly decision: 'reject'; readonly message: string; readonly details: Record<string, unknown> };

/** `{ CRITICAL: 2, HIGH: 1, LOW: 4 }` at gate HIGH -> `['CRITICAL: 2', 'HIGH: 1']` (worst first). */
export function blockingFindings(counts: Readonly<Record<string, number>>, gate: Severity): string[] {
  const from = SEVERITIES.indexOf(gate);
  const rated = [...SEVERITIES]
    .slice(from)
    .reverse()
    .filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${s}: ${counts[s]}`);
  const untriaged = counts[UNTRIAGED] ?? 0;
  return untriaged > 0 ? [...rated, `${UNTRIAGED}: ${untriaged} (not rated by Inspector yet: may be any severity)`] : rated;
}

/**
 * The image gate's verdict.
 *
 * | scan | verdict |
 * | --- | --- |
 * | gate NONE | pass |
 * | complete, a finding at or above the gate | reject, naming the counts |
 * | complete, nothing at or above the gate | pass |
 * | pending, less than waitSeconds since the push | wait (re-check in at most 30 s) |
 * | pending, waitSeconds passed | onTimeout: reject, or allow (pass with a note) |
 * | never scanned | reject: turn on scan on push, or set blockSeverity NONE |
 * | FAILED, UNSUPPORTED_IMAGE ... | reject with ECR's status and description |
 */
export function imageGateVerdict(input: ImageGateInput): ImageGateVerdict {
  const { image, blockSeverity: gate, scan } = input;
  if (gate === 'NONE') return { decision: 'pass', note: 'imageScan.blockSeverity is NONE' };
  switch (scan.kind) {
    case 'complete': {
      const found = blockingFindings(scan.counts, gate);
      if (found.length === 0) return { decision: 'pass', note: `no finding at or above ${gate}` };
      return {
        decision: 'reject',
        message: `Image ${image} has findings at or above ${gate}: ${found.join(', ')}`,
        details: { findingCounts: { ...scan.counts }, blockSeverity: gate },
      };
    }
    case 'pending': {
      const waitedMs = Math.max(0, input.nowMs - input.pushedAtMs);
      const remainingMs = input.waitSeconds * 1000 - waitedMs;
      if (remainingMs > 0) {
        const remainingSeconds = Math.ceil(remainingMs / 1000);
        return { decision: 'wait', waitSeconds: Math.min(SCAN_POLL_SECONDS, remainingSeconds), remainingSeconds, status: scan.status };
      }
      const waited = Math.round(waitedMs / 1000);
      if (input.onTimeout === 'allow') {
        return { decision: 'pass', note: `scan still ${scan.status} ${waited} s after the push; imageScan.onTimeout is allow` };
      }
      return {
        decision: 'reject',
        message: `Image scan of ${image} is still ${scan.status} ${waited} s after the push (imageScan.waitSeconds is ${input.waitSeconds}), and imageScan.onTimeout is reject`,
        details: { scanStatus: scan.status, waitedSeconds: waited, blockSeverity: gate },
      };
    }
    case 'none':
      return {
        decision: 'reject',
        message: `Image ${image} has never been scanned, and imageScan.blockSeverity is ${gate}: turn on scan on push for the repository (or start a scan), or set imageScan.blockSeverity to NONE`,
        details: { scanStatus: 'NONE', blockSeverity: gate },
      };
    case 'unusable':
      return {
        decision: 'reject',
        message: `Image scan of ${image} is ${scan.status}${scan.description ? ` (${scan.description})` : ''}: its findings are unknown, and imageScan.blockSeverity is ${gate}`,
        details: { scanStatus: scan.status, blockSeverity: gate },
      };
    default: {
      const never: never = scan;
      throw new TypeError(`unknown scan result ${JSON.stringify(never)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The migration task
// ---------------------------------------------------------------------------------------------

/**
 * The Parameters of the `ecs:runTask.sync` state (PascalCase, as Step Functions takes them). Every
 * key is always present: the state maps each one with a path.
 */
export interface MigrationRunParameters {
  readonly Cluster: string;
  readonly TaskDefinition: string;
  readonly LaunchType: 'FARGATE' | 'EC2' | 'EXTERNAL';
  readonly NetworkConfiguration: {
    readonly AwsvpcConfiguration: {
      readonly Subnets: readonly string[];
      readonly SecurityGroups?: readonly string[];
      readonly AssignPublicIp?: 'ENABLED' | 'DISABLED';
    };
  };
  readonly Overrides: { readonly ContainerOverrides: ReadonlyArray<{ readonly Name: string; readonly Command: readonly string[] }> };
  readonly Group: string;
}

/** The placement and network of a task set, as ECS describes it (camelCase). */
export interface TaskPlacement {
  readonly launchType?: string;
  readonly networkConfiguration?: {
    readonly awsvpcConfiguration?: {
      readonly subnets?: readonly string[];
      readonly securityGroups?: readonly string[];
      readonly assignPublicIp?: string;
    };
  };
}

/** ECS task group of migration tasks: `cutover-migration` (ListTasks can find them). */
export const MIGRATION_GROUP = 'cutover-migration';

/**
 * The RunTask parameters of a migration: the new revision, the configured command on the named
 * container, the stable task set's network (or the bootstrap's). Throws a message (string result)
 * when the placement has no awsvpc network: the runTask integration needs one.
 */
export function migrationRunParameters(input: {
  readonly cluster: string;
  readonly taskDefinitionArn: string;
  readonly containerName: string;
  readonly command: readonly string[];
  readonly placement: TaskPlacement;
  /** Used when the placement names none (capacity-provider services). */
  readonly defaultLaunchType: 'FARGATE' | 'EC2';
}): MigrationRunParameters | { readonly problem: string } {
  const vpc = input.placement.networkConfiguration?.awsvpcConfiguration;
  if (!vpc?.subnets || vpc.subnets.length === 0) {
    return {
      problem:
        'the migration task needs an awsvpc network (subnets), and the stable task set has none: migrations run for awsvpc task definitions (every Fargate service)',
    };
  }
  const lt = input.placement.launchType;
  const launchType = lt === 'FARGATE' || lt === 'EC2' || lt === 'EXTERNAL' ? lt : input.defaultLaunchType;
  const assign = vpc.assignPublicIp === 'ENABLED' || vpc.assignPublicIp === 'DISABLED' ? vpc.assignPublicIp : undefined;
  return {
    Cluster: input.cluster,
    TaskDefinition: input.taskDefinitionArn,
    LaunchType: launchType,
    NetworkConfiguration: {
      AwsvpcConfiguration: {
        Subnets: [...vpc.subnets],
        ...(vpc.securityGroups && vpc.securityGroups.length > 0 ? { SecurityGroups: [...vpc.securityGroups] } : {}),
        ...(assign ? { AssignPublicIp: assign } : {}),
      },
    },
    Overrides: { ContainerOverrides: [{ Name: input.containerName, Command: [...input.command] }] },
    Group: MIGRATION_GROUP,
  };
}

/**
 * The migration's place in the deploy state (`$.migration`): `run` with the RunTask parameters (the
 * RunMigration state reads them), then the task or the error the state produced; `done` once it
 * passed (or had already passed for this deployment).
 */
export interface MigrationState {
  readonly status: 'run' | 'done';
  readonly run?: MigrationRunParameters;
  /** The RunMigration state's TimeoutSecondsPath (migration.timeoutSeconds, at least 1). */
  readonly timeoutSeconds?: number;
  /** What `ecs:runTask.sync` returned: the stopped task. */
  readonly task?: unknown;
  /** What the RunMigration state failed with (its Catch). */
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  readonly taskArn?: string;
}

/** The stopped task as `ecs:runTask.sync` returns it (DescribeTasks' task, PascalCase); only what is read. */
export interface SyncTask {
  readonly TaskArn?: string;
  readonly LastStatus?: string;
  readonly StopCode?: string;
  readonly StoppedReason?: string;
  readonly Containers?: ReadonlyArray<{ readonly Name?: string; readonly ExitCode?: number; readonly Reason?: string; readonly LastStatus?: string }>;
}

export type MigrationOutcome =
  | { readonly ok: true; readonly taskArn?: string; readonly exitCode: 0 }
  | { readonly ok: false; readonly message: string; readonly details: Record<string, unknown> };

function asTask(value: unknown): SyncTask | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  return Array.isArray(v.Containers) || typeof v.TaskArn === 'string' ? (v as SyncTask) : undefined;
}

/** A task described in an error's Cause: the JSON itself, or inside a Lambda-style `errorMessage`. */
export function taskFromCause(cause: string | undefined): SyncTask | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as unknown;
    const direct = asTask(parsed);
    if (direct) return direct;
    const inner = (parsed as { errorMessage?: unknown })?.errorMessage;
    if (typeof inner === 'string') return taskFromCause(inner);
  } catch {
    // plain text
  }
  return undefined;
}

/**
 * The migration's outcome: exit code 0 of `containerName` passes; anything else (another exit
 * code, no exit code because the task never started, a failed or timed-out state) is a failure
 * whose message names the exit code and ECS's stopped reason.
 */
export function migrationOutcome(input: {
  readonly containerName: string;
  readonly timeoutSeconds: number;
  readonly task?: unknown;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}): MigrationOutcome {
  const task = asTask(input.task) ?? taskFromCause(input.error?.Cause);
  const taskArn = task?.TaskArn;
  if (input.error?.Error === 'States.Timeout' || input.error?.Error === 'States.HeartbeatTimeout') {
    return {
      ok: false,
      message: `Migration task did not finish within ${input.timeoutSeconds} s (migration.timeoutSeconds)`,
      details: { ...(taskArn ? { taskArn } : {}), timeoutSeconds: input.timeoutSeconds },
    };
  }
  if (!task) {
    const what = input.error ? `${input.error.Error ?? 'error'}: ${input.error.Cause ?? 'no details'}` : 'no task was returned';
    return { ok: false, message: `Migration task could not run: ${what}`, details: { error: input.error?.Error ?? null } };
  }
  const container = task.Containers?.find((c) => c.Name === input.containerName);
  const exitCode = container?.ExitCode;
  const reason = [task.StoppedReason, container?.Reason].filter((r): r is string => typeof r === 'string' && r.length > 0).join('; ');
  const details = {
    ...(taskArn ? { taskArn } : {}),
    container: input.containerName,
    exitCode: exitCode ?? null,
    stopCode: task.StopCode ?? null,
    stoppedReason: task.StoppedReason ?? null,
  };
  if (!container) {
    return {
      ok: false,
      message: `Migration task ${taskArn ?? ''} has no container "${input.containerName}" (migration.containerName); containers are ${(task.Containers ?? []).map((c) => `"${c.Name}"`).join(', ') || 'none'}`,
      details,
    };
  }
  if (exitCode === 0 && !input.error) return { ok: true, exitCode: 0, ...(taskArn ? { taskArn } : {}) };
  const code = exitCode === undefined ? 'without an exit code' : `with exit code ${exitCode}`;
  return {
    ok: false,
    message: `Migration task ${taskArn ?? ''} stopped ${code} in container ${input.containerName}${reason ? `: ${reason}` : ''}`,
    details,
  };
}
