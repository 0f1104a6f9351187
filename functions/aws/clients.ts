/**
 * Building SDK v3 clients the one way Cutover wants them.
 *
 * - Retries live in the state machines (Retry on AwsThrottled/AwsUnavailable with backoff and full
 *   jitter), not in the SDK: `maxAttempts: 1`. Retrying in both places multiplies the attempts and
 *   hides throttling from the state machine.
 * - Short connection and request timeouts so a hung call surfaces as `AwsUnavailable` well within a
 *   Lambda's timeout.
 * - `endpoint` / `dynamodbEndpoint` and middleware `plugins` are the seams the local runtime uses
 *   (dynalite for the store, the in-memory AWS world for everything else).
 *
 * This module imports no client: each adapter module imports only its own client, so a Lambda
 * bundles only what it calls.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Pluggable } from '@smithy/types';

export interface ClientOptions {
  readonly region?: string;
  /** Endpoint for every client except DynamoDB (the local AWS world). */
  readonly endpoint?: string;
  /** Endpoint for the DynamoDB client (dynalite locally). */
  readonly dynamodbEndpoint?: string;
  /** Middleware plugins added to every client's stack (fault injection, the in-memory world). */
  // biome-ignore lint/suspicious/noExplicitAny: a plugin serves every client, whatever its input and output types
  readonly plugins?: readonly Pluggable<any, any>[];
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** Connection timeout (ms) for every client. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/** Request timeout (ms) for every client. */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Options from the environment: `AWS_REGION`, `CUTOVER_AWS_ENDPOINT`, `CUTOVER_DYNAMODB_ENDPOINT`.
 * Empty values count as unset.
 */
export function clientOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ClientOptions {
  const pick = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const region = pick('AWS_REGION');
  const endpoint = pick('CUTOVER_AWS_ENDPOINT');
  const dynamodbEndpoint = pick('CUTOVER_DYNAMODB_ENDPOINT');
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(dynamodbEndpoint === undefined ? {} : { dynamodbEndpoint }),
  };
}

/** The constructor config every Cutover client gets (exported for tests). */
export interface CutoverClientConfig {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  maxAttempts: 1;
  requestHandler: { connectionTimeout: number; requestTimeout: number };
}

export function clientConfig(opts: ClientOptions = {}, kind?: 'dynamodb'): CutoverClientConfig {
  const endpoint = kind === 'dynamodb' ? opts.dynamodbEndpoint : opts.endpoint;
  return {
    ...(opts.region === undefined ? {} : { region: opts.region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
    maxAttempts: 1,
    // An options object: the SDK builds its default Node HTTP handler from it, so no handler
    // package is imported here.
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  };
}

interface PluggableClient {
  // biome-ignore lint/suspicious/noExplicitAny: as above, any client's stack
  readonly middlewareStack: { use(plugin: Pluggable<any, any>): void };
}

/**
 * Construct `Ctor` with Cutover's client config and add the plugins.
 *
 * @example const ecs = makeClient(ECSClient, clientOptionsFromEnv());
 * @example const ddb = makeClient(DynamoDBClient, opts, 'dynamodb');
 */
export function makeClient<C extends PluggableClient>(
  Ctor: new (config: CutoverClientConfig) => C,
  opts: ClientOptions = {},
  kind?: 'dynamodb',
): C {
  const client = new Ctor(clientConfig(opts, kind));
  for (const plugin of opts.plugins ?? []) client.middlewareStack.use(plugin);
  return client;
}
