import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../functions/aws/events.js';
import { AwsThrottled, AwsUnavailable } from '../../functions/core/errors.js';
import { LifecycleEvent } from '../../functions/core/model.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new EventBridgeClient({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });
const eb = mockClient(client);
beforeEach(() => eb.reset());

describe('EventBridgePublisher', () => {
  it('puts one event with source cutover and the lifecycle detail-type on the bus', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await new EventBridgePublisher(client, 'cutover-bus').publish(LifecycleEvent.Succeeded, { deploymentId: 'd-1', service: 'web' });
    expect(eb.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: 'cutover-bus',
          Source: 'cutover',
          DetailType: 'Deployment Succeeded',
          Detail: JSON.stringify({ deploymentId: 'd-1', service: 'web' }),
        },
      ],
    });
  });

  it.each([
    ['InternalFailure', AwsUnavailable],
    ['ThrottlingException', AwsThrottled],
  ] as const)('a failed entry (%s) throws', async (code, expected) => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: code, ErrorMessage: 'no' }] });
    await expect(new EventBridgePublisher(client, 'bus').publish(LifecycleEvent.Started, {})).rejects.toThrow(expected);
  });
});
