/**
 * The EventBridge events Cutover consumes, as AWS documents them (see shared/events/ fixtures),
 * parsed at the edge. A malformed or foreign event is a ValidationError naming the field and why;
 * a well-formed event that is not for us is `ignored` with the reason — neither starts or writes
 * anything.
 */
import * as z from 'zod/mini';
import { ValidationError } from './errors.js';
import { formatIssues } from './validation.js';
import { DIGEST } from './deploy-state.js';
import { IMAGE_TAG, REPOSITORY_NAME } from './patterns.js';

/** The envelope every EventBridge event has. */
const envelope = {
  version: z.string(),
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  account: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit account id')),
  time: z.string().check(z.iso.datetime({ offset: true })),
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region')),
  resources: z.array(z.string()),
};

export const EcrImageActionDetail = z.object({
  result: z.string(),
  'repository-name': z.string().check(z.regex(REPOSITORY_NAME, 'must match ECR repository naming')),
  'image-digest': z.string().check(z.regex(DIGEST, 'must be sha256: and 64 lowercase hex characters')),
  'action-type': z.string(),
  'image-tag': z.optional(
    z.string().check(z.maxLength(128), z.regex(IMAGE_TAG, 'must be a Docker tag of at most 128 characters')),
  ),
});
export const EcrImageActionEvent = z.object({
  ...envelope,
  'detail-type': z.literal('ECR Image Action'),
  source: z.literal('aws.ecr'),
  detail: EcrImageActionDetail,
});
export type EcrImageActionEvent = z.output<typeof EcrImageActionEvent>;

const AlarmState = z.object({
  value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  reason: z._default(z.string(), ''),
  reasonData: z.optional(z.string()),
  timestamp: z.string(),
});
export const AlarmStateChangeDetail = z.object({
  alarmName: z.string().check(z.minLength(1), z.maxLength(255)),
  state: AlarmState,
  previousState: z.optional(AlarmState),
  configuration: z.optional(z.unknown()),
});
export const AlarmStateChangeEvent = z.object({
  ...envelope,
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  detail: AlarmStateChangeDetail,
});
export type AlarmStateChangeEvent = z.output<typeof AlarmStateChangeEvent>;

export interface Origin {
  readonly accountId: string;
  readonly region: string;
}

/**
 * Parse one event. Checks in the order a reader would: it is an object, `source` and `detail-type`
 * are the expected pair, `detail` is an object, then every field; then account and region.
 */
export function parseEvent<T extends z.ZodMiniType>(
  schema: T,
  raw: unknown,
  expected: { source: string; detailType: string },
  origin: Origin,
): z.output<T> {
  const what = `${expected.detailType} event`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError(what, ['(root): expected an EventBridge event object']);
  }
  const ev = raw as Record<string, unknown>;
  if (ev.source !== expected.source) {
    throw new ValidationError(what, [`source: expected "${expected.source}", got ${JSON.stringify(ev.source) ?? 'nothing'}`]);
  }
  if (ev['detail-type'] !== expected.detailType) {
    throw new ValidationError(what, [
      `detail-type: expected "${expected.detailType}" for source ${expected.source}, got ${JSON.stringify(ev['detail-type']) ?? 'nothing'}`,
    ]);
  }
  if (typeof ev.detail !== 'object' || ev.detail === null || Array.isArray(ev.detail)) {
    throw new ValidationError(what, ['detail: expected an object']);
  }
  // `reportInput` puts the received value on each issue, so the message says what was found.
  const result = schema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ValidationError(what, formatIssues(result.error.issues));
  const parsed = result.data as { account: string; region: string };
  const problems: string[] = [];
  if (parsed.account !== origin.accountId) problems.push(`account: ${parsed.account} is not this control plane's account`);
  if (parsed.region !== origin.region) problems.push(`region: ${parsed.region} is not this control plane's region (${origin.region})`);
  if (problems.length > 0) throw new ValidationError(what, problems);
  return result.data;
}
