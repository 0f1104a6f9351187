/**
 * The release input (statemachines/release.asl.json; the release pipeline is functions/core/release.ts).
 * Its own module: a zod schema is built when its module loads, so only the release function (and
 * what starts releases) should bundle it.
 */
import * as z from 'zod/mini';
import { DIGEST, EXECUTION_NAME } from './deploy-state.js';
import { ENVIRONMENT_NAME, IMAGE_TAG, REPOSITORY_NAME } from './patterns.js';
import { parseOrThrow } from './validation.js';

export const ReleaseRequestSchema = z.strictObject({
  releaseId: z.optional(z.string().check(z.regex(EXECUTION_NAME, 'must be 1-80 letters, digits, - or _'))),
  image: z.strictObject({
    repository: z.string().check(z.regex(REPOSITORY_NAME, 'must be an ECR repository name')),
    digest: z.string().check(z.regex(DIGEST, 'must be sha256: followed by 64 lowercase hex characters')),
    tag: z.optional(z.string().check(z.regex(IMAGE_TAG, 'must be an image tag of at most 128 characters'))),
    uri: z.optional(z.string().check(z.maxLength(512))),
  }),
  requestedAt: z.optional(z.string().check(z.iso.datetime({ offset: true }))),
  environments: z.optional(
    z.array(z.string().check(z.regex(ENVIRONMENT_NAME, 'must be a configured environment name'))).check(
      z.minLength(1, 'must name at least one environment; omit it for all'),
    ),
  ),
  trigger: z._default(
    z.strictObject({
      /** `reconcile`: the sweep found a push whose event was lost, and started its release as intake would have. */
      kind: z.enum(['ecr-push', 'manual', 'reconcile']),
      eventId: z.optional(z.string().check(z.maxLength(128))),
      by: z.optional(z.string().check(z.maxLength(256))),
    }),
    { kind: 'manual' },
  ),
});
export type ReleaseRequest = z.output<typeof ReleaseRequestSchema>;
export type ReleaseRequestDocument = z.input<typeof ReleaseRequestSchema>;

export function parseReleaseRequest(raw: unknown): ReleaseRequest {
  return parseOrThrow(ReleaseRequestSchema, raw, 'release input');
}
