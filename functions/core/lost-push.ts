/**
 * Reconcile: lost pushes (ECR push events are best effort; the reconcile sweep looks for the push a
 * service should have deployed). Pure. Its own module so the sweep does not bundle the operator
 * input schemas of control.ts.
 */
import type { DeploymentRecord } from './model.js';

/** A push younger than this may still be on its way through EventBridge to intake. */
export const LOST_PUSH_GRACE_SECONDS = 120;
/** A push older than this is not deployed by the sweep (on a first install, old images are history). */
export const LOST_PUSH_MAX_AGE_SECONDS = 24 * 3600;

export interface PushedImage {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt?: string;
}

/**
 * The push a service should have deployed and did not (ECR push events are best effort): the
 * newest image of its repository that its tag filter takes, pushed between
 * {@link LOST_PUSH_MAX_AGE_SECONDS} and {@link LOST_PUSH_GRACE_SECONDS} ago and not before the
 * service came under management (`managedSinceMs`), when no deployment of that digest is on record,
 * it is not the stable version, and no deployment started after it was pushed (a newer deployment,
 * e.g. a rollback, is a decision the sweep must not undo). Undefined when there is none.
 *
 * Why `managedSinceMs`: right after install, or after a service is added to the configuration, its
 * repository's newest image was pushed when nothing was watching; it may be an image nobody meant
 * to ship (a build of a branch, a test push). Only a push Cutover should have seen is "lost". The
 * newest push decides: when it predates management, nothing is taken (an older image never is).
 *
 * Example: images v1 (pushed 2 days ago, deployed) and v2 (pushed 10 minutes ago, no record),
 * managed since a week -> v2. The same with a deployment created 5 minutes ago -> undefined. The
 * same managed since 5 minutes (installed after v2 was pushed) -> undefined.
 */
export function lostPush(
  tagMatches: (tag: string | undefined) => boolean,
  images: readonly PushedImage[],
  records: readonly Pick<DeploymentRecord, 'image' | 'createdAt'>[],
  stableDigest: string | undefined,
  nowMs: number,
  managedSinceMs: number,
): PushedImage | undefined {
  const taken = images
    .filter((i) => i.pushedAt !== undefined && (i.tags.length === 0 ? tagMatches(undefined) : i.tags.some((t) => tagMatches(t))))
    .sort((a, b) => Date.parse(b.pushedAt as string) - Date.parse(a.pushedAt as string));
  const newest = taken[0];
  if (!newest?.pushedAt) return undefined;
  const pushedMs = Date.parse(newest.pushedAt);
  if (pushedMs > nowMs - LOST_PUSH_GRACE_SECONDS * 1000 || pushedMs < nowMs - LOST_PUSH_MAX_AGE_SECONDS * 1000) return undefined;
  if (!(pushedMs >= managedSinceMs)) return undefined;
  if (newest.digest === stableDigest) return undefined;
  if (records.some((r) => r.image.digest === newest.digest)) return undefined;
  if (records.some((r) => Date.parse(r.createdAt) >= pushedMs)) return undefined;
  return newest;
}
