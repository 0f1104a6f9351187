import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnOrchestrator, executionArnFor } from '../../functions/aws/sfn.js';
import { AwsRequestFailed, AwsUnavailable, ValidationError } from '../../functions/core/errors.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new SFNClient({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });
const sfn = mockClient(client);
beforeEach(() => sfn.reset());
const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:cutover-deploy';
const meta = { $metadata: {} };

describe('SfnOrchestrator.start', () => {
  it('starts an execution with the name and JSON input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${SM.replace('stateMachine', 'execution')}:d-1`, startDate: new Date() });
    const out = await new SfnOrchestrator(client).start(SM, 'd-1', { deploymentId: 'd-1' });
    expect(out).toEqual({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:cutover-deploy:d-1', alreadyStarted: false });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: SM,
      name: 'd-1',
      input: '{"deploymentId":"d-1"}',
    });
  });

  it('an execution with that name already existing is not an error', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', ...meta }));
    await expect(new SfnOrchestrator(client).start(SM, 'd-1', {})).resolves.toEqual({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:cutover-deploy:d-1',
      alreadyStarted: true,
    });
  });

  it('executionArnFor works in other partitions and refuses a non-state-machine ARN', () => {
    expect(executionArnFor('arn:aws-cn:states:cn-north-1:1:stateMachine:sm', 'x')).toBe('arn:aws-cn:states:cn-north-1:1:execution:sm:x');
    expect(() => executionArnFor('arn:aws:lambda:eu-west-1:1:function:f', 'x')).toThrow(ValidationError);
  });
});

describe('SfnOrchestrator task signals', () => {
  it('sends success with JSON output and failure with error and cause', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
    const o = new SfnOrchestrator(client);
    await o.sendTaskSuccess('tok-1', { promoted: true });
    await o.sendTaskFailure('tok-2', 'AlarmTriggered', 'web-5xx in ALARM');
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({ taskToken: 'tok-1', output: '{"promoted":true}' });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toEqual({
      taskToken: 'tok-2',
      error: 'AlarmTriggered',
      cause: 'web-5xx in ALARM',
    });
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'late', ...meta })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'gone', ...meta })],
    ['InvalidToken', new InvalidToken({ message: 'bad', ...meta })],
  ])('a late signal (%s) changes nothing and is not an error', async (_name, err) => {
    sfn.on(SendTaskSuccessCommand).rejects(err);
    sfn.on(SendTaskFailureCommand).rejects(err);
    const o = new SfnOrchestrator(client);
    await expect(o.sendTaskSuccess('tok', {})).resolves.toBeUndefined();
    await expect(o.sendTaskFailure('tok', 'Aborted', 'operator')).resolves.toBeUndefined();
  });

  it('other failures are classified', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }));
    await expect(new SfnOrchestrator(client).sendTaskSuccess('tok', {})).rejects.toThrow(AwsUnavailable);
  });
});

describe('SfnOrchestrator.executionStatus', () => {
  it('returns the status, or undefined for an unknown execution', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: 'arn:x' }).resolves({ status: 'RUNNING' } as never);
    sfn.on(DescribeExecutionCommand, { executionArn: 'arn:gone' }).rejects(new ExecutionDoesNotExist({ message: 'no', ...meta }));
    const o = new SfnOrchestrator(client);
    await expect(o.executionStatus('arn:x')).resolves.toBe('RUNNING');
    await expect(o.executionStatus('arn:gone')).resolves.toBeUndefined();
  });
  it('access denied is a request failure', async () => {
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    await expect(new SfnOrchestrator(client).executionStatus('arn:x')).rejects.toThrow(AwsRequestFailed);
  });
});
