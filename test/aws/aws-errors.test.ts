import { describe, expect, it } from 'vitest';
import { awsCall, awsCallExpecting, classifyAwsError } from '../../functions/aws/aws-errors.js';
import { AwsRequestFailed, AwsThrottled, AwsUnavailable, LockBusy } from '../../functions/core/errors.js';

/** An error shaped like the SDK's ServiceException. */
const awsError = (name: string, over: { status?: number; fault?: 'client' | 'server'; code?: string; throttling?: boolean } = {}) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: over.fault ?? 'client',
    $metadata: { httpStatusCode: over.status ?? 400, requestId: 'req-1' },
    ...(over.code === undefined ? {} : { code: over.code }),
    ...(over.throttling === undefined ? {} : { $retryable: { throttling: over.throttling } }),
  });

describe('classifyAwsError', () => {
  it.each([
    ['ThrottlingException', awsError('ThrottlingException'), AwsThrottled],
    ['Throttling (query protocol)', awsError('Throttling'), AwsThrottled],
    ['TooManyRequestsException', awsError('TooManyRequestsException'), AwsThrottled],
    ['RequestLimitExceeded', awsError('RequestLimitExceeded'), AwsThrottled],
    ['ProvisionedThroughputExceededException', awsError('ProvisionedThroughputExceededException'), AwsThrottled],
    ['HTTP 429 with an unknown name', awsError('SlowDown', { status: 429 }), AwsThrottled],
    ['$retryable.throttling', awsError('Whatever', { throttling: true }), AwsThrottled],
    ['HTTP 500', awsError('InternalError', { status: 500, fault: 'server' }), AwsUnavailable],
    ['HTTP 503 with an unknown name', awsError('Unknown', { status: 503 }), AwsUnavailable],
    ['$fault server', awsError('Odd', { fault: 'server' }), AwsUnavailable],
    ['ServerException (ECS)', awsError('ServerException'), AwsUnavailable],
    ['InternalFailure', awsError('InternalFailure'), AwsUnavailable],
    ['ServiceUnavailable', awsError('ServiceUnavailable'), AwsUnavailable],
    ['RequestTimeout', awsError('RequestTimeout'), AwsUnavailable],
    ['TimeoutError (SDK socket timeout)', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), AwsUnavailable],
    ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), AwsUnavailable],
    ['ETIMEDOUT', Object.assign(new Error('connect'), { code: 'ETIMEDOUT' }), AwsUnavailable],
    ['ValidationException', awsError('ValidationException'), AwsRequestFailed],
    ['AccessDeniedException', awsError('AccessDeniedException', { status: 403 }), AwsRequestFailed],
    ['LimitExceededException is a quota, not a rate', awsError('LimitExceededException'), AwsRequestFailed],
    ['a plain Error', new Error('boom'), AwsRequestFailed],
    ['a thrown string', 'boom', AwsRequestFailed],
  ] as const)('%s', (_name, err, expected) => {
    const classified = classifyAwsError(err, 'ECS:CreateTaskSet');
    expect(classified).toBeInstanceOf(expected);
    expect(classified.cause).toBe(err);
  });

  it('keeps the AWS error name, message, status and request id in details', () => {
    const err = awsError('ClientException', { status: 400 });
    expect(classifyAwsError(err, 'ECS:CreateTaskSet').details).toEqual({
      operation: 'ECS:CreateTaskSet',
      awsError: 'ClientException',
      awsMessage: 'ClientException happened',
      httpStatusCode: 400,
      requestId: 'req-1',
    });
    expect(classifyAwsError(err, 'ECS:CreateTaskSet').message).toBe('ECS:CreateTaskSet failed: ClientException: ClientException happened');
  });

  it('returns a CutoverError unchanged', () => {
    const own = new LockBusy('held');
    expect(classifyAwsError(own, 'x')).toBe(own);
  });
});

describe('awsCall', () => {
  it('returns the result', async () => {
    await expect(awsCall('op', async () => 42)).resolves.toBe(42);
  });
  it('rethrows classified', async () => {
    await expect(awsCall('op', async () => Promise.reject(awsError('ThrottlingException')))).rejects.toThrow(AwsThrottled);
  });
  it('lets CutoverErrors through', async () => {
    await expect(awsCall('op', async () => Promise.reject(new LockBusy('held')))).rejects.toThrow(LockBusy);
  });
  it('awsCallExpecting maps the expected names and classifies the rest', async () => {
    await expect(
      awsCallExpecting('op', () => Promise.reject(awsError('TaskSetNotFoundException')), ['TaskSetNotFoundException'], () => 'gone'),
    ).resolves.toBe('gone');
    await expect(
      awsCallExpecting('op', () => Promise.reject(awsError('InternalFailure')), ['TaskSetNotFoundException'], () => 'gone'),
    ).rejects.toThrow(AwsUnavailable);
  });
});
