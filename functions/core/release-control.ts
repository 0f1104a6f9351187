/**
 * The control input that names a release: approve or abort the environment a release waits for
 * (an input of the control state machine; the decision is decideReleaseControl in
 * functions/core/release.ts). Its own module: a zod schema is built when its module loads, so only
 * the control function bundles it.
 */
import * as z from 'zod/mini';
import { EXECUTION_NAME } from './deploy-state.js';
import { ENVIRONMENT_NAME } from './patterns.js';
import { parseOrThrow } from './validation.js';

/** Strict: a `taskToken`, a stage `item` or any other key is refused by name. */
export const ReleaseControlSchema = z.strictObject({
  action: z.enum(['approve', 'abort'], { error: 'must be "approve" or "abort" (a release only waits for an approval)' }),
  releaseId: z.string().check(z.regex(EXECUTION_NAME, 'must be a release id (1-80 letters, digits, - or _)')),
  environment: z.optional(z.string().check(z.regex(ENVIRONMENT_NAME, 'must be a configured environment name'))),
  by: z.optional(z.string().check(z.minLength(1, 'must not be empty; omit it instead'), z.maxLength(256))),
  reason: z.optional(z.string().check(z.minLength(1, 'must not be empty; omit it instead'), z.maxLength(1024))),
});
export type ReleaseControl = z.output<typeof ReleaseControlSchema>;

export function parseReleaseControl(raw: unknown): ReleaseControl {
  return parseOrThrow(ReleaseControlSchema, raw, 'control input');
}
