/**
 * Step Functions StopExecution (ExecutionStopper): the abort and rollback paths stop a deploy
 * execution that has no task token to answer, then roll it back themselves (a stopped execution's
 * Catch does not run). Stopping an execution that already ended, or that does not exist, changes
 * nothing.
 */
import { type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionStopper } from '../core/ports.js';
import { awsCallExpecting } from './aws-errors.js';
import { MAX_CAUSE_LENGTH, MAX_ERROR_LENGTH } from './sfn.js';

export class SfnExecutionStopper implements ExecutionStopper {
  constructor(private readonly client: SFNClient) {}

  async stop(executionArn: string, error: string, cause: string): Promise<void> {
    await awsCallExpecting(
      'SFN:StopExecution',
      () =>
        this.client.send(
          new StopExecutionCommand({ executionArn, error: error.slice(0, MAX_ERROR_LENGTH), cause: cause.slice(0, MAX_CAUSE_LENGTH) }),
        ),
      ['ExecutionDoesNotExist'],
      () => undefined,
    );
  }
}
