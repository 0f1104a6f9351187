/**
 * Errors the local AWS world throws, shaped like the SDK v3 service exceptions: the real exception
 * classes exported by the @aws-sdk/client-* packages where AWS models the error (so `instanceof`
 * and `name` match what an adapter sees in AWS), and the client's base ServiceException with the
 * AWS error code as `name` where it does not (e.g. `Throttling` on ELBv2, `ThrottlingException` on ECS).
 */
import * as autoscaling from '@aws-sdk/client-application-auto-scaling';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as ecr from '@aws-sdk/client-ecr';
import * as ecs from '@aws-sdk/client-ecs';
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import * as eventbridge from '@aws-sdk/client-eventbridge';
import * as sfn from '@aws-sdk/client-sfn';
import type { Rng } from './random.js';

/** The service part of `Service:Operation` (FaultSpec.operation, call log). */
export const ServiceName = {
  ECS: 'ECS',
  ELB: 'ElasticLoadBalancingV2',
  CloudWatch: 'CloudWatch',
  ECR: 'ECR',
  SFN: 'SFN',
  EventBridge: 'EventBridge',
  ApplicationAutoScaling: 'ApplicationAutoScaling',
} as const;
export type ServiceName = (typeof ServiceName)[keyof typeof ServiceName];

/** SDK client name (`context.clientName`) -> service name. */
export const SERVICE_BY_CLIENT: Readonly<Record<string, ServiceName>> = {
  ECSClient: ServiceName.ECS,
  ElasticLoadBalancingV2Client: ServiceName.ELB,
  CloudWatchClient: ServiceName.CloudWatch,
  ECRClient: ServiceName.ECR,
  SFNClient: ServiceName.SFN,
  EventBridgeClient: ServiceName.EventBridge,
  ApplicationAutoScalingClient: ServiceName.ApplicationAutoScaling,
};

type ExceptionCtor = new (opts: Record<string, unknown>) => Error;
interface ServiceErrors {
  readonly base: new (opts: Record<string, unknown>) => Error;
  readonly exports: Readonly<Record<string, unknown>>;
  /** Query-protocol services carry `Type`/`Code`/`Message` members on their errors. */
  readonly query: boolean;
  readonly throttle: string;
  readonly server: { readonly name: string; readonly status: number };
}

const SERVICES: Readonly<Record<ServiceName, ServiceErrors>> = {
  ECS: {
    base: ecs.ECSServiceException as unknown as ServiceErrors['base'],
    exports: ecs as unknown as Record<string, unknown>,
    query: false,
    throttle: 'ThrottlingException',
    server: { name: 'ServerException', status: 500 },
  },
  ElasticLoadBalancingV2: {
    base: elb.ElasticLoadBalancingV2ServiceException as unknown as ServiceErrors['base'],
    exports: elb as unknown as Record<string, unknown>,
    query: true,
    throttle: 'Throttling',
    server: { name: 'InternalFailure', status: 500 },
  },
  CloudWatch: {
    base: cloudwatch.CloudWatchServiceException as unknown as ServiceErrors['base'],
    exports: cloudwatch as unknown as Record<string, unknown>,
    query: false,
    throttle: 'Throttling',
    server: { name: 'InternalServiceFault', status: 500 },
  },
  ECR: {
    base: ecr.ECRServiceException as unknown as ServiceErrors['base'],
    exports: ecr as unknown as Record<string, unknown>,
    query: false,
    throttle: 'ThrottlingException',
    server: { name: 'ServerException', status: 500 },
  },
  SFN: {
    base: sfn.SFNServiceException as unknown as ServiceErrors['base'],
    exports: sfn as unknown as Record<string, unknown>,
    query: false,
    throttle: 'ThrottlingException',
    server: { name: 'InternalFailure', status: 500 },
  },
  EventBridge: {
    base: eventbridge.EventBridgeServiceException as unknown as ServiceErrors['base'],
    exports: eventbridge as unknown as Record<string, unknown>,
    query: false,
    throttle: 'ThrottlingException',
    server: { name: 'InternalException', status: 500 },
  },
  ApplicationAutoScaling: {
    base: autoscaling.ApplicationAutoScalingServiceException as unknown as ServiceErrors['base'],
    exports: autoscaling as unknown as Record<string, unknown>,
    query: false,
    throttle: 'ThrottlingException',
    server: { name: 'InternalServiceException', status: 500 },
  },
};

/** Status codes AWS answers with for errors that are not plain 400/500. */
const STATUS_BY_NAME: Readonly<Record<string, number>> = {
  ResourceNotFound: 404,
  ResourceNotFoundException: 404,
  AccessDeniedException: 403,
  ServiceUnavailable: 503,
};

export interface ResponseMetadata {
  readonly httpStatusCode: number;
  readonly requestId: string;
  readonly extendedRequestId: undefined;
  readonly cfId: undefined;
  readonly attempts: number;
  readonly totalRetryDelay: number;
}
export const responseMetadata = (httpStatusCode: number, requestId: string): ResponseMetadata => ({
  httpStatusCode,
  requestId,
  extendedRequestId: undefined,
  cfId: undefined,
  attempts: 1,
  totalRetryDelay: 0,
});

/**
 * An error raised by an operation of the world (validation, not found ...). Thrown inside the
 * services; the plugin turns it into the SDK exception of the calling client with {@link toSdkError}.
 */
export class AwsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fault: 'client' | 'server' = 'client',
    readonly status?: number,
  ) {
    super(message);
    this.name = code;
  }
}
export const fault = (code: string, message: string): AwsFault => new AwsFault(code, message);

/** Whether the SDK of `service` models an exception class called `name`. */
export function isModeledError(service: ServiceName, name: string): boolean {
  const s = SERVICES[service];
  const candidate = s.exports[name];
  return typeof candidate === 'function' && (candidate as { prototype?: unknown }).prototype instanceof s.base;
}

/** Build the SDK exception `name` for `service` (the real class when the SDK models it). */
export function sdkError(
  service: ServiceName,
  name: string,
  message: string,
  requestId: string,
  opts: { fault?: 'client' | 'server'; status?: number } = {},
): Error {
  const s = SERVICES[service];
  const candidate = s.exports[name];
  const modeled =
    typeof candidate === 'function' && (candidate as { prototype?: unknown }).prototype instanceof s.base
      ? (candidate as ExceptionCtor)
      : undefined;
  const faultKind = opts.fault ?? (modeled ? undefined : 'client');
  const status = opts.status ?? STATUS_BY_NAME[name] ?? ((faultKind ?? 'client') === 'server' ? 500 : 400);
  const $metadata = responseMetadata(status, requestId);
  const members: Record<string, unknown> = s.query ? { Message: message, Type: faultKind === 'server' ? 'Receiver' : 'Sender', Code: name } : {};
  if (modeled) {
    const err = new modeled({ message, $metadata, ...members });
    // A modeled exception's status is whatever AWS sends; keep the class's $fault.
    const modeledFault = (err as unknown as { $fault: 'client' | 'server' }).$fault;
    if (opts.status === undefined && modeledFault === 'server') ($metadata as { httpStatusCode: number }).httpStatusCode = 500;
    return err;
  }
  return new s.base({ name, $fault: faultKind ?? 'client', message, $metadata, ...members });
}

export function toSdkError(service: ServiceName, err: AwsFault, requestId: string): Error {
  return sdkError(service, err.code, err.message, requestId, { fault: err.fault, ...(err.status ? { status: err.status } : {}) });
}

/** The throttling error AWS returns for `service` (400, `Rate exceeded`). */
export function throttlingError(service: ServiceName, requestId: string): Error {
  return sdkError(service, SERVICES[service].throttle, 'Rate exceeded', requestId, { fault: 'client', status: 400 });
}

/** A 5xx from `service` (ECS/ECR `ServerException`, CloudWatch `InternalServiceFault` ...). */
export function serverError(service: ServiceName, requestId: string): Error {
  const { name, status } = SERVICES[service].server;
  return sdkError(service, name, 'We encountered an internal error. Please try again.', requestId, { fault: 'server', status });
}

/** What the SDK's node-http-handler throws when a request exceeds its timeout. */
export function timeoutError(timeoutMs = 3000): Error {
  return Object.assign(
    new Error(`@smithy/node-http-handler - [ERROR] a request has exceeded the configured ${timeoutMs} ms requestTimeout.`),
    { name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: { attempts: 1, totalRetryDelay: 0 } },
  );
}

/** The world has no implementation for this operation: loud, never retried, never mistaken for AWS. */
export class WorldNotImplemented extends Error {
  override readonly name = 'WorldNotImplemented';
  constructor(
    readonly service: string,
    readonly operation: string,
  ) {
    super(`The local AWS world does not implement ${service}:${operation}; add it under local/world/ or avoid the call`);
  }
}

export const newRequestId = (rng: Rng): string => rng.uuid();
