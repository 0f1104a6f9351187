/** LambdaHookInvoker: a hook's answer, function error, 4xx or timeout come back as values; throttling and 5xx are thrown for the state machine to retry. */
import { InvokeCommand, LambdaClient, ResourceNotFoundException, ServiceException, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { functionErrorOf, LambdaHookInvoker } from '../../functions/aws/lambda.js';
import { AwsThrottled, AwsUnavailable } from '../../functions/core/errors.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new LambdaClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
const lambda = mockClient(client);
beforeEach(() => lambda.reset());
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:smoke';
const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

describe('LambdaHookInvoker', () => {
  it('invokes synchronously with the payload as JSON and returns the answer', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes({ hookStatus: 'SUCCEEDED' }) as never });
    const reply = await new LambdaHookInvoker(client).invoke(FN, { stage: 'afterTestTraffic' }, 30);
    expect(reply).toEqual({ kind: 'answered', answer: { hookStatus: 'SUCCEEDED' } });
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe(FN);
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({ stage: 'afterTestTraffic' });
  });

  it('a function error is a value with its errorType and message', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: bytes({ errorType: 'TypeError', errorMessage: "Cannot read properties of undefined (reading 'status')", trace: [] }) as never,
    });
    expect(await new LambdaHookInvoker(client).invoke(FN, {}, 30)).toEqual({
      kind: 'error',
      errorType: 'TypeError',
      message: "Cannot read properties of undefined (reading 'status')",
    });
    expect(functionErrorOf('Unhandled', 'not json')).toEqual({ errorType: 'Unhandled', message: 'not json' });
  });

  it('a function that is not there (4xx) is an error value, not a retry', async () => {
    lambda.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'Function not found: smoke', $metadata: { httpStatusCode: 404 } }));
    expect(await new LambdaHookInvoker(client).invoke(FN, {}, 30)).toEqual({ kind: 'error', errorType: 'ResourceNotFoundException', message: 'Function not found: smoke' });
  });

  it('throttling and 5xx are thrown classified, so the state machine retries (the hook never ran)', async () => {
    lambda.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));
    await expect(new LambdaHookInvoker(client).invoke(FN, {}, 30)).rejects.toThrow(AwsThrottled);
    lambda.reset();
    lambda.on(InvokeCommand).rejects(new ServiceException({ message: 'boom', $metadata: { httpStatusCode: 500 } }));
    await expect(new LambdaHookInvoker(client).invoke(FN, {}, 30)).rejects.toThrow(AwsUnavailable);
  });

  it('no answer within the timeout is a timeout value', async () => {
    lambda.on(InvokeCommand).callsFake(
      (_input, getClient) =>
        new Promise((_resolve, reject) => {
          void getClient;
          setTimeout(() => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), 50);
        }),
    );
    const reply = await new LambdaHookInvoker(client).invoke(FN, {}, 0.01);
    expect(reply).toEqual({ kind: 'timeout' });
  });
});
