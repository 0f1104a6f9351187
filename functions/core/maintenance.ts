/**
 * What cleanup and scaling share: the record of one maintenance action (what was, or would be,
 * removed or changed, and why), and the per-service scaling state kept in the store.
 *
 * Plain data: actions travel through Step Functions state, go on Cutover's bus in the reports and
 * are listed by the local rehearsal's summary.
 */

/** Every kind of maintenance action. */
export const MaintenanceActionKind = {
  /** DeregisterTaskDefinition: an ACTIVE revision beyond the ones kept and not in use. */
  DeregisterRevision: 'deregister-revision',
  /** DeleteTaskDefinitions: an INACTIVE revision older than the configured age, not in use. */
  DeleteRevision: 'delete-revision',
  /** DeleteTaskSet: a task set attached to no in-flight deployment, not primary, without traffic, past its grace. */
  DeleteTaskSet: 'delete-task-set',
  /** BatchDeleteImage: an image no kept revision or recent deployment uses, not protected by tag. */
  DeleteImage: 'delete-image',
  /** A deployment record's TTL set (or shortened) to end + the configured retention. */
  ExpireRecord: 'expire-record',
  /** The cleanup left a whole service or repository alone (deployment in flight, disabled ...). */
  SkipScope: 'skip',
  /** The service's desired count changed. */
  Scale: 'scale',
  /** The scalable target's bounds changed (and with them, maybe, the desired count). */
  SetBounds: 'set-bounds',
  /** Target tracking may not scale in while a deployment is in progress (and may again after it). */
  SuspendScaleIn: 'suspend-scale-in',
  ResumeScaleIn: 'resume-scale-in',
} as const;
export type MaintenanceActionKind = (typeof MaintenanceActionKind)[keyof typeof MaintenanceActionKind];

/** What became of an action. */
export const MaintenanceOutcome = {
  /** It was carried out. */
  Done: 'done',
  /** Dry run: it would have been carried out. */
  Would: 'would',
  /** AWS refused it, or kept throttling it; the run went on with the rest. */
  Failed: 'failed',
  /** Not carried out on purpose (cooldown, at a bound, a deployment started, nothing to change). */
  Skipped: 'skipped',
  /** Postponed until the deployment in progress ends. */
  Deferred: 'deferred',
} as const;
export type MaintenanceOutcome = (typeof MaintenanceOutcome)[keyof typeof MaintenanceOutcome];

/** One action, planned (no outcome yet) ... */
export interface PlannedAction {
  readonly kind: MaintenanceActionKind;
  readonly service: string;
  readonly environment: string;
  /** Revision ARN, task-set id, `repository@digest`, deployment id, scalable-target id ... */
  readonly target: string;
  /** Why: a sentence a person can check against the console. */
  readonly reason: string;
  /** What the applier needs (cluster, ECS service, repository, digest, expiresAt ...). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/** ... and as it ended. */
export interface MaintenanceAction extends PlannedAction {
  readonly outcome: MaintenanceOutcome;
  /** ISO time the outcome was reached. */
  readonly at: string;
  /** For `failed`: the error name and message. */
  readonly error?: string;
}

/** Something a cleanup looked at and kept, with the reason (the other half of a readable report). */
export interface KeptItem {
  readonly kind: 'revision' | 'task-set' | 'image';
  readonly service: string;
  readonly environment: string;
  readonly target: string;
  readonly reason: string;
}

/** A scaling action postponed until the deployment in progress ends. */
export interface PendingScaling {
  /** Which rule (see `ruleKey`). */
  readonly ruleKey: string;
  readonly ruleIndex: number;
  /** When the trigger arrived (ISO). */
  readonly requestedAt: string;
  readonly trigger: 'alarm' | 'schedule';
  readonly alarmName?: string;
}

/** Per service and environment: what the scaling handler needs to remember between events. */
export interface ScalingState {
  /** Optimistic concurrency: every write is conditional on the version read. 0 = never stored. */
  readonly version: number;
  /** Epoch ms of the last action taken, per rule key (the rule's cooldown runs from there). */
  readonly lastActionAt: Readonly<Record<string, number>>;
  /** Epoch ms of the last scale-out (a scale-in waits out the cooldown after it). */
  readonly lastScaleOutAt?: number;
  readonly pending?: PendingScaling;
  /** The last actions, newest last (bounded, see SCALING_HISTORY_LENGTH). */
  readonly history: readonly MaintenanceAction[];
}

export const EMPTY_SCALING_STATE: ScalingState = { version: 0, lastActionAt: {}, history: [] };

/** How many actions a service's scaling state remembers. */
export const SCALING_HISTORY_LENGTH = 20;

/** `cluster` + `service` -> the Application Auto Scaling resource id of an ECS service. */
export const ecsResourceId = (cluster: string, service: string): string => `service/${cluster}/${service}`;
/** The scalable dimension Cutover scales. */
export const ECS_DESIRED_COUNT = 'ecs:service:DesiredCount';

/** One line per action, for logs and the readable reports: `done  deregister-revision api/production web:3 — why`. */
export function formatAction(a: MaintenanceAction): string {
  return `${a.outcome.padEnd(8)} ${a.kind.padEnd(19)} ${a.service}/${a.environment} ${a.target} — ${a.reason}${a.error ? ` (${a.error})` : ''}`;
}
