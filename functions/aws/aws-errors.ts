/**
 * Turning SDK errors into Cutover's named errors, so the state machines can retry what is
 * transient (AwsThrottled, AwsUnavailable: Retry with backoff and jitter) and fail fast on the rest
 * (AwsRequestFailed). Classification looks at the error's name, its `$fault`, its HTTP status and
 * Node's network error codes; no message text is parsed.
 */
import { AwsRequestFailed, AwsThrottled, AwsUnavailable, CutoverError } from '../core/errors.js';

/** Error names AWS uses for throttling. */
export const THROTTLING_ERROR_NAMES: readonly string[] = [
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceededException',
  // Not `LimitExceededException`: that is a quota (too many task sets, rules ...), not a rate.
];

/** Error names that mean the service (or the path to it) is unavailable right now. */
export const UNAVAILABLE_ERROR_NAMES: readonly string[] = [
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalServiceError',
  'InternalServiceErrorException',
  'ServerException',
  'ServiceException',
];

/** Node network error codes that mean the connection failed or was cut. */
export const TRANSIENT_NETWORK_CODES: readonly string[] = [
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
];

interface AwsLikeError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  $retryable?: { throttling?: unknown };
}

const asObject = (err: unknown): AwsLikeError => (typeof err === 'object' && err !== null ? (err as AwsLikeError) : {});

/** The AWS error name (`ThrottlingException`, `TaskSetNotFoundException` ...) or undefined. */
export function awsErrorName(err: unknown): string | undefined {
  const e = asObject(err);
  return typeof e.name === 'string' ? e.name : undefined;
}

/** True when `err` is an AWS error with one of these names. */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  const name = awsErrorName(err);
  return name !== undefined && names.includes(name);
}

/**
 * Classify an error thrown by an SDK call.
 *
 * | condition | error |
 * | --- | --- |
 * | already a CutoverError | returned unchanged |
 * | throttling name, HTTP 429, `$retryable.throttling` | AwsThrottled |
 * | 5xx, `$fault: 'server'`, timeout / unavailable / internal names, network reset codes | AwsUnavailable |
 * | anything else (4xx: validation, access denied, not found ...) | AwsRequestFailed |
 *
 * The result keeps the AWS error name and message in `details` and the original error as `cause`.
 */
export function classifyAwsError(err: unknown, operation: string): CutoverError {
  if (err instanceof CutoverError) return err;
  const e = asObject(err);
  const name = typeof e.name === 'string' ? e.name : 'UnknownError';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const requestId = typeof e.$metadata?.requestId === 'string' ? e.$metadata.requestId : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const details: Record<string, unknown> = {
    operation,
    awsError: name,
    awsMessage: message,
    ...(status === undefined ? {} : { httpStatusCode: status }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(code === undefined ? {} : { code }),
  };
  const text = `${operation} failed: ${name}: ${message}`;

  if (THROTTLING_ERROR_NAMES.includes(name) || status === 429 || e.$retryable?.throttling === true) {
    return new AwsThrottled(text, { cause: err, details });
  }
  if (
    (status !== undefined && status >= 500) ||
    e.$fault === 'server' ||
    UNAVAILABLE_ERROR_NAMES.includes(name) ||
    (code !== undefined && TRANSIENT_NETWORK_CODES.includes(code)) ||
    TRANSIENT_NETWORK_CODES.includes(name)
  ) {
    return new AwsUnavailable(text, { cause: err, details });
  }
  return new AwsRequestFailed(text, { cause: err, details });
}

/**
 * RegisterTaskDefinition's `ClientException: Too many concurrent attempts to create a new revision
 * of the specified family.`: two registrations of one family at once (two services on one family
 * fanned out from one push). AWS gives it no name of its own (a ClientException, HTTP 400), so this
 * one case reads the message; it is transient and retried like throttling. Seen in the wild:
 * hashicorp/terraform-provider-aws#9777, PrefectHQ/prefect#15865; the ECS API reference lists
 * ClientException for RegisterTaskDefinition
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html).
 */
export function isConcurrentRevisionConflict(err: unknown): boolean {
  if (!isAwsError(err, 'ClientException')) return false;
  const message = asObject(err).message;
  return typeof message === 'string' && /too many concurrent attempts to create a new revision/i.test(message);
}

/** Run one SDK call; rethrow what it throws classified (CutoverErrors pass through unchanged). */
export async function awsCall<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classifyAwsError(err, operation);
  }
}

/**
 * Run one SDK call where some AWS error names are an expected outcome, not a failure: those
 * resolve to `onExpected(err)`; everything else is classified as by {@link awsCall}.
 */
export async function awsCallExpecting<T, U>(
  operation: string,
  fn: () => Promise<T>,
  expected: readonly string[],
  onExpected: (err: unknown) => U,
): Promise<T | U> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof CutoverError) && isAwsError(err, ...expected)) return onExpected(err);
    throw classifyAwsError(err, operation);
  }
}

/**
 * A DynamoDB conditional write: true when written, false when its condition failed
 * (ConditionalCheckFailedException); everything else classified as by {@link awsCall}.
 */
export function conditionalWrite(operation: string, write: () => Promise<unknown>): Promise<boolean> {
  return awsCallExpecting(
    operation,
    async () => {
      await write();
      return true;
    },
    ['ConditionalCheckFailedException'],
    () => false,
  );
}
