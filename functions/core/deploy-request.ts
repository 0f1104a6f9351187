/**
 * The deploy execution's input (`DeployState.request`), as prepare parses it. Its own module: a
 * module-level zod schema is kept by esbuild in every bundle that imports anything from its module,
 * and most handlers need deploy-state.ts's helpers but never parse a request.
 */
import * as z from 'zod/mini';
import { DIGEST, EXECUTION_NAME } from './deploy-state.js';
import { IMAGE_TAG, REPOSITORY_NAME } from './patterns.js';

export const DeployRequestSchema = z.strictObject({
  deploymentId: z.string().check(z.regex(EXECUTION_NAME, 'must be 1-80 letters, digits, - or _')),
  service: z.string().check(z.regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a configured service name')),
  environment: z.string().check(z.regex(/^[a-z][a-z0-9-]{0,15}$/, 'must be a configured environment name')),
  image: z.strictObject({
    repository: z.string().check(z.regex(REPOSITORY_NAME, 'must be an ECR repository name')),
    digest: z.string().check(z.regex(DIGEST, 'must be sha256: followed by 64 lowercase hex characters')),
    tag: z.optional(z.string().check(z.regex(IMAGE_TAG, 'must be an image tag of at most 128 characters'))),
    uri: z.optional(z.string().check(z.maxLength(512))),
  }),
  requestedAt: z.string().check(z.iso.datetime({ offset: true })),
  /**
   * Deploy exactly this task-definition revision (a rollback to a version Cutover deployed before)
   * instead of registering the stable revision with the image changed. `image` names its image.
   */
  taskDefinitionArn: z.optional(
    z.string().check(
      z.regex(
        /^arn:(aws|aws-cn|aws-us-gov):ecs:[a-z]{2}(-[a-z]+)+-\d:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}:\d+$/,
        'must be a task-definition ARN (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION)',
      ),
    ),
  ),
  trigger: z._default(
    z.strictObject({
      kind: z.enum(['ecr-push', 'manual', 'reconcile', 'rollback', 'release']),
      eventId: z.optional(z.string().check(z.maxLength(128))),
      by: z.optional(z.string().check(z.maxLength(256))),
    }),
    { kind: 'manual' },
  ),
});
export type DeployRequest = z.output<typeof DeployRequestSchema>;
