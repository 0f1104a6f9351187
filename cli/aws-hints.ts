/**
 * What an operator should do about an error from AWS (or from the SDK before it reached AWS): every
 * such error the CLI prints gets a `next:` line. The SDK reports a missing region as a plain
 * `Error: Region is missing` and missing credentials as `CredentialsProviderError`, neither with an
 * HTTP status; the rest carry AWS's error name (directly, or as `details.awsError` once an adapter
 * has classified it into AwsRequestFailed / AwsThrottled / AwsUnavailable).
 */

export interface AwsProblem {
  /** One line that says what is wrong, in the operator's words. */
  readonly what: string;
  /** What to do next. */
  readonly next: string;
  /** The caller's own set-up (region, credentials, permissions) is at fault, not the request. */
  readonly setup?: boolean;
}

const SETTINGS_HINT = 'check the control-plane settings (`cutover help`): --stack, --table, the CUTOVER_* variables';

function awsNameOf(e: unknown): { name?: string; message: string } {
  const o = (e ?? {}) as { name?: unknown; message?: unknown; details?: { awsError?: unknown; awsMessage?: unknown }; cause?: unknown };
  const name = typeof o.details?.awsError === 'string' ? o.details.awsError : typeof o.name === 'string' ? o.name : undefined;
  const message = typeof o.details?.awsMessage === 'string' ? o.details.awsMessage : typeof o.message === 'string' ? o.message : String(e);
  return { ...(name === undefined ? {} : { name }), message };
}

/** The problem and the next step for an error that came from the SDK, or undefined when it did not. */
export function awsProblem(e: unknown): AwsProblem | undefined {
  const { name, message } = awsNameOf(e);
  if (/region is missing/i.test(message)) {
    return { setup: true, what: 'no AWS region is set', next: 'set AWS_REGION (or a profile with a region: AWS_PROFILE), or pass --region REGION' };
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return {
      setup: true, what: 'no AWS credentials were found',
      next: 'set AWS_PROFILE (after `aws sso login --profile NAME` or `aws configure`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    };
  }
  switch (name) {
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'TokenRefreshRequired':
      return { setup: true, what: `the AWS credentials have expired (${message})`, next: 'refresh them: `aws sso login --profile NAME`, or new keys' };
    case 'UnrecognizedClientException':
    case 'InvalidClientTokenId':
    case 'InvalidSignatureException':
    case 'SignatureDoesNotMatch':
      return { setup: true, what: `AWS did not accept the credentials (${name}: ${message})`, next: 'check AWS_PROFILE / the access keys, and that the region is the control plane\'s (--region)' };
    case 'AccessDenied':
    case 'AccessDeniedException':
    case 'UnauthorizedOperation':
      return {
        setup: true, what: `AWS denied the call (${name}: ${message})`,
        next: 'use a role allowed to operate Cutover (docs/security.md lists what each command needs), or ask an administrator to grant it',
      };
    case 'ThrottlingException':
    case 'TooManyRequestsException':
    case 'AwsThrottled':
      return { what: `AWS throttled the call (${message})`, next: 'try again in a few seconds' };
    case 'ResourceNotFoundException':
    case 'StateMachineDoesNotExist':
    case 'ExecutionDoesNotExist':
      return { what: `${name}: ${message}`, next: SETTINGS_HINT };
    default:
      break;
  }
  const o = (e ?? {}) as { $metadata?: unknown; name?: unknown };
  if (o.$metadata !== undefined || o.name === 'AwsRequestFailed' || o.name === 'AwsUnavailable' || o.name === 'AwsThrottled') {
    return {
      what: `AWS said ${name ?? 'an error'}: ${message}`,
      next: `${SETTINGS_HINT}; credentials and region come from the standard chain (AWS_PROFILE, AWS_REGION)`,
    };
  }
  return undefined;
}
