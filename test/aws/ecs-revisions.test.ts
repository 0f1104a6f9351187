import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ClientException,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsServiceCapacity } from '../../functions/aws/ecs-capacity.js';
import { EcsRevisions, isUnknownRevision } from '../../functions/aws/ecs-revisions.js';
import { AwsThrottled, LiveStateInvalid, ValidationError } from '../../functions/core/errors.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new ECSClient({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });
const ecs = mockClient(client);
beforeEach(() => ecs.reset());
const ARN = (n: number, family = 'web') => `arn:aws:ecs:eu-west-1:1:task-definition/${family}:${n}`;

describe('EcsRevisions', () => {
  it('lists a family newest first across pages, up to the limit', async () => {
    ecs
      .on(ListTaskDefinitionsCommand, { familyPrefix: 'web', status: 'ACTIVE', sort: 'DESC', maxResults: 100 })
      .resolves({ taskDefinitionArns: [ARN(9), ARN(8)], nextToken: 'p2' })
      .on(ListTaskDefinitionsCommand, { nextToken: 'p2' })
      .resolves({ taskDefinitionArns: [ARN(7), ARN(6)] });
    await expect(new EcsRevisions(client).list('web', 'ACTIVE', 'newest', 3)).resolves.toEqual([ARN(9), ARN(8), ARN(7)]);
  });

  it('describes a revision with its container images and deregistration time; an unknown one is undefined', async () => {
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: ARN(3) }).resolves({
      taskDefinition: {
        taskDefinitionArn: ARN(3),
        family: 'web',
        revision: 3,
        status: 'INACTIVE',
        deregisteredAt: new Date('2025-01-01T00:00:00Z'),
        containerDefinitions: [{ name: 'app', image: 'repo@sha256:aa' }, { name: 'sidecar', image: 'envoy:1.30' }],
      },
    });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: ARN(99) }).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    const revisions = new EcsRevisions(client);
    await expect(revisions.describe(ARN(3))).resolves.toEqual({
      arn: ARN(3),
      family: 'web',
      revision: 3,
      status: 'INACTIVE',
      deregisteredAt: '2025-01-01T00:00:00.000Z',
      images: ['repo@sha256:aa', 'envoy:1.30'],
    });
    await expect(revisions.describe(ARN(99))).resolves.toBeUndefined();
  });

  it('deletes up to 10 revisions a call; failures come back per revision, a revision already gone counts as deleted', async () => {
    ecs.on(DeleteTaskDefinitionsCommand).resolves({
      taskDefinitions: [{ taskDefinitionArn: ARN(1) }],
      failures: [
        { arn: ARN(2), reason: 'TASK_DEFINITION_IS_ACTIVE', detail: 'deregister it first' },
        { arn: ARN(3), reason: 'TASK_DEFINITION_NOT_FOUND' },
      ],
    });
    const revisions = new EcsRevisions(client);
    await expect(revisions.delete([ARN(1), ARN(2), ARN(3)])).resolves.toEqual({
      deleted: [ARN(1), ARN(3)],
      failures: [{ arn: ARN(2), reason: 'TASK_DEFINITION_IS_ACTIVE: deregister it first' }],
    });
    await expect(revisions.delete(Array.from({ length: 11 }, (_, i) => ARN(i + 1)))).rejects.toThrow(ValidationError);
  });

  it('a revision whose failure says it does not exist (moto: no TASK_DEFINITION_NOT_FOUND code) counts as deleted; other failures stay', async () => {
    ecs.on(DeleteTaskDefinitionsCommand).resolves({
      taskDefinitions: [],
      failures: [
        { arn: ARN(4), reason: 'The specified task definition does not exist.' },
        { arn: ARN(5), reason: 'TASK_DEFINITION_IS_ACTIVE', detail: 'deregister it first' },
      ],
    });
    await expect(new EcsRevisions(client).delete([ARN(4), ARN(5)])).resolves.toEqual({
      deleted: [ARN(4)],
      failures: [{ arn: ARN(5), reason: 'TASK_DEFINITION_IS_ACTIVE: deregister it first' }],
    });
    expect(isUnknownRevision('TASK_DEFINITION_NOT_FOUND')).toBe(true);
    expect(isUnknownRevision('MISSING: Task definition does not exist')).toBe(true);
    expect(isUnknownRevision('TASK_DEFINITION_IS_ACTIVE: deregister it first')).toBe(false);
  });

  it('a throttled deregistration is AwsThrottled (the state machine paces and retries it)', async () => {
    ecs.on(DeregisterTaskDefinitionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    await expect(new EcsRevisions(client).deregister(ARN(1))).rejects.toThrow(AwsThrottled);
  });

  it('finds the revisions of a family that the cluster runs, stopped tasks left out', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2', 't3'] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        { taskArn: 't1', lastStatus: 'RUNNING', taskDefinitionArn: ARN(5) },
        { taskArn: 't2', lastStatus: 'PENDING', taskDefinitionArn: ARN(3) },
        { taskArn: 't3', lastStatus: 'STOPPED', taskDefinitionArn: ARN(2) },
      ],
    });
    await expect(new EcsRevisions(client).runningTaskDefinitions('demo', 'web')).resolves.toEqual([ARN(3), ARN(5)]);
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({ cluster: 'demo', family: 'web', desiredStatus: 'RUNNING' });
  });
});

describe('EcsServiceCapacity', () => {
  it('reads and sets the desired count only', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [{ status: 'ACTIVE', desiredCount: 4 }] });
    ecs.on(UpdateServiceCommand).resolves({});
    const capacity = new EcsServiceCapacity(client);
    await expect(capacity.desiredCount('demo', 'web')).resolves.toBe(4);
    await capacity.setDesiredCount('demo', 'web', 6);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: 'demo', service: 'web', desiredCount: 6 });
  });

  it('a service that is gone is LiveStateInvalid', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [{ status: 'INACTIVE' }] });
    await expect(new EcsServiceCapacity(client).desiredCount('demo', 'web')).rejects.toThrow(LiveStateInvalid);
  });
});
