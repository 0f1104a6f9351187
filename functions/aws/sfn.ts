/** Step Functions adapter: start executions, answer callback tokens, read status (Orchestrator). */
import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ValidationError } from '../core/errors.js';
import type { Orchestrator } from '../core/ports.js';
import { awsCallExpecting } from './aws-errors.js';

/** A late signal (the task already ended, or the token is unknown) changes nothing. */
export const LATE_SIGNAL_ERRORS: readonly string[] = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

/** SendTaskFailure limits: error 256 characters, cause 32768. */
export const MAX_ERROR_LENGTH = 256;
export const MAX_CAUSE_LENGTH = 32_768;

/**
 * The ARN of the execution `name` of a state machine:
 * `arn:aws:states:eu-west-1:123456789012:stateMachine:deploy` + `d-1` ->
 * `arn:aws:states:eu-west-1:123456789012:execution:deploy:d-1`.
 */
export function executionArnFor(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[5] !== 'stateMachine') {
    throw new ValidationError('State machine ARN', [`stateMachineArn: "${stateMachineArn}" is not a state machine ARN`]);
  }
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}

export class SfnOrchestrator implements Orchestrator {
  constructor(private readonly client: SFNClient) {}

  async start(
    stateMachineArn: string,
    name: string,
    input: unknown,
  ): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const out = await awsCallExpecting(
      'SFN:StartExecution',
      () => this.client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input ?? {}) })),
      ['ExecutionAlreadyExists'],
      () => undefined,
    );
    if (out === undefined) return { executionArn: executionArnFor(stateMachineArn, name), alreadyStarted: true };
    return { executionArn: out.executionArn ?? executionArnFor(stateMachineArn, name), alreadyStarted: false };
  }

  async sendTaskSuccess(token: string, output: unknown): Promise<void> {
    await awsCallExpecting(
      'SFN:SendTaskSuccess',
      () => this.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output ?? {}) })),
      LATE_SIGNAL_ERRORS,
      () => undefined,
    );
  }

  async sendTaskFailure(token: string, error: string, cause: string): Promise<void> {
    await awsCallExpecting(
      'SFN:SendTaskFailure',
      () =>
        this.client.send(
          new SendTaskFailureCommand({
            taskToken: token,
            error: error.slice(0, MAX_ERROR_LENGTH),
            cause: cause.slice(0, MAX_CAUSE_LENGTH),
          }),
        ),
      LATE_SIGNAL_ERRORS,
      () => undefined,
    );
  }

  async executionStatus(executionArn: string): Promise<string | undefined> {
    const out = await awsCallExpecting(
      'SFN:DescribeExecution',
      () => this.client.send(new DescribeExecutionCommand({ executionArn })),
      ['ExecutionDoesNotExist'],
      () => undefined,
    );
    return out?.status;
  }

  async describe(executionArn: string): Promise<{ status: string; startedAt: string } | undefined> {
    const out = await awsCallExpecting(
      'SFN:DescribeExecution',
      () => this.client.send(new DescribeExecutionCommand({ executionArn })),
      ['ExecutionDoesNotExist'],
      () => undefined,
    );
    if (out?.status === undefined) return undefined;
    return { status: out.status, startedAt: new Date(out.startDate ?? 0).toISOString() };
  }
}
