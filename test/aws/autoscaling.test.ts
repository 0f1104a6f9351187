import {
  ApplicationAutoScalingClient,
  ConcurrentUpdateException,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
  ValidationException,
} from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AppAutoScalingTargets } from '../../functions/aws/autoscaling.js';
import { AwsRequestFailed, AwsThrottled, AwsUnavailable } from '../../functions/core/errors.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new ApplicationAutoScalingClient({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });
const aas = mockClient(client);
beforeEach(() => aas.reset());
const ID = 'service/demo/web';

describe('AppAutoScalingTargets', () => {
  it('describes the ECS desired-count target: bounds and whether dynamic scale-in is suspended', async () => {
    // Prepare
    aas.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [
        {
          ServiceNamespace: 'ecs',
          ResourceId: ID,
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: 2,
          MaxCapacity: 10,
          RoleARN: 'arn:aws:iam::1:role/x',
          CreationTime: new Date(0),
          SuspendedState: { DynamicScalingInSuspended: true },
        },
      ],
    });
    // Act
    const target = await new AppAutoScalingTargets(client).describe(ID);
    // Assess
    expect(target).toEqual({ resourceId: ID, minCapacity: 2, maxCapacity: 10, scaleInSuspended: true });
    expect(aas.commandCalls(DescribeScalableTargetsCommand)[0]?.args[0].input).toEqual({
      ServiceNamespace: 'ecs',
      ResourceIds: [ID],
      ScalableDimension: 'ecs:service:DesiredCount',
    });
  });

  it('an unregistered service has no target', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    await expect(new AppAutoScalingTargets(client).describe(ID)).resolves.toBeUndefined();
  });

  it('sets bounds and the suspended state with RegisterScalableTarget, touching nothing else', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    aas.on(RegisterScalableTargetCommand).resolves({ ScalableTargetARN: 'arn' });
    const targets = new AppAutoScalingTargets(client);
    await targets.setBounds(ID, 3, 6);
    await targets.setScaleInSuspended(ID, true);
    expect(aas.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceNamespace: 'ecs', ResourceId: ID, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 3, MaxCapacity: 6 },
      {
        ServiceNamespace: 'ecs',
        ResourceId: ID,
        ScalableDimension: 'ecs:service:DesiredCount',
        SuspendedState: { DynamicScalingInSuspended: true, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
      },
    ]);
  });

  it('suspending scale-in sends all three SuspendedState flags, the other two as read (an omitted flag would reset to false)', async () => {
    // Prepare: someone suspended scale-out and scheduled scaling by hand (issue #13, item 6)
    aas.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [
        {
          ServiceNamespace: 'ecs', ResourceId: ID, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 10,
          RoleARN: 'arn:aws:iam::1:role/x', CreationTime: new Date(0),
          SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true },
        },
      ],
    });
    aas.on(RegisterScalableTargetCommand).resolves({ ScalableTargetARN: 'arn' });
    // Act
    await new AppAutoScalingTargets(client).setScaleInSuspended(ID, true);
    // Assess
    expect(aas.commandCalls(RegisterScalableTargetCommand)[0]?.args[0].input.SuspendedState).toEqual({
      DynamicScalingInSuspended: true,
      DynamicScalingOutSuspended: true,
      ScheduledScalingSuspended: true,
    });
  });

  it.each([
    ['a pending update of the same target (ConcurrentUpdateException) is transient', new ConcurrentUpdateException({ message: 'busy', $metadata: {} }), AwsUnavailable],
    ['throttling', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }), AwsThrottled],
    ['a validation error is not retried', new ValidationException({ message: 'min > max', $metadata: {} }), AwsRequestFailed],
  ])('%s', async (_name, error, expected) => {
    aas.on(RegisterScalableTargetCommand).rejects(error);
    await expect(new AppAutoScalingTargets(client).setBounds(ID, 1, 2)).rejects.toThrow(expected);
  });
});
