/**
 * The parts of a rehearsal scenario that maintenance (cleanup and scaling) adds: a service's
 * history at the start (older and newer task-definition revisions, images, an orphaned task set, a
 * long-running one-off task, recent deployment records) and the timeline inputs that start a
 * cleanup run or fire a scaling schedule. Imported by local/scenario.ts.
 */
import * as z from 'zod/mini';

const digest = z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256: and 64 lowercase hex characters'));
const at = z.number().check(z.minimum(0), z.maximum(7 * 24 * 3600));

/** One task-definition revision of the service's family, registered at the start. */
export const HistoryRevision = z.strictObject({
  /** The image it runs; pushed to the service's repository at the start (unless `imageExists` is false). */
  digest,
  tags: z._default(z.array(z.string()), []),
  imageExists: z._default(z.boolean(), true),
  /** Deregistered at the start (INACTIVE since then). */
  deregistered: z._default(z.boolean(), false),
  /** A one-off task of it is running (a long migration, say): in use. */
  runningTask: z._default(z.boolean(), false),
  /** An orphaned task set of it (left by an interrupted deployment, no traffic) on the second target group. */
  orphanTaskSet: z._default(z.boolean(), false),
  /** A deployment record that ended at the start names it as green, with this status. */
  record: z.optional(z.enum(['SUCCEEDED', 'ROLLED_BACK', 'FAILED'])),
});

export const ServiceHistory = z.strictObject({
  service: z.string(),
  environment: z.optional(z.string()),
  /** Registered before the running revision (so older), oldest first. */
  before: z._default(z.array(HistoryRevision), []),
  /** Registered after it (releases rolled back, or never deployed), oldest first. */
  after: z._default(z.array(HistoryRevision), []),
  /** More images in the repository that no revision runs. */
  images: z._default(z.array(z.strictObject({ digest, tags: z._default(z.array(z.string()), []) })), []),
  /** Ended deployment records without an expiry (written before records had a TTL). */
  recordsWithoutExpiry: z._default(z.int().check(z.minimum(0), z.maximum(20)), 0),
});
export type ServiceHistory = z.output<typeof ServiceHistory>;

/** StartExecution of the cleanup state machine, as its schedule, the console or `cutover cleanup` does. */
export const CleanupTimelineInput = z.strictObject({
  at,
  kind: z.literal('cleanup'),
  dryRun: z._default(z.boolean(), false),
  services: z.optional(z.array(z.strictObject({ service: z.string(), environment: z.string() }))),
});

/** A scaling schedule firing (what EventBridge Scheduler sends): rule `rule` of the service's scaling rules. */
export const ScheduleTimelineInput = z.strictObject({
  at,
  kind: z.literal('schedule'),
  service: z.string(),
  environment: z.optional(z.string()),
  rule: z.int().check(z.minimum(0)),
});

/** What a maintenance scenario expects: how many actions of a kind ended how (checked by the test suite). */
export const ExpectedActions = z.array(
  z.strictObject({
    kind: z.string(),
    outcome: z.enum(['done', 'would', 'failed', 'skipped', 'deferred']),
    count: z.int().check(z.minimum(0)),
  }),
);
