import {
  ClientException,
  CreateTaskSetCommand,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  ServerException,
  type TaskDefinition,
  type TaskSet,
  InvalidParameterException,
  TaskSetNotFoundException,
  UpdateServicePrimaryTaskSetCommand,
  UpdateTaskSetCommand,
  ServiceNotFoundException,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsTaskDefinitions, EcsTaskSets, ecsClientToken, parseTemplate } from '../../functions/aws/ecs.js';
import { AwsRequestFailed, AwsThrottled, AwsUnavailable, LiveStateInvalid, TaskRoleNotAllowed, ValidationError } from '../../functions/core/errors.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new ECSClient({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });
const ecs = mockClient(client);
beforeEach(() => ecs.reset());

const BLUE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/blue/1';
const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/green/2';
const network = {
  awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' as const },
};

const blueTaskSet: TaskSet = {
  id: 'ecs-svc/111',
  taskSetArn: 'arn:aws:ecs:eu-west-1:1:task-set/c/web/ecs-svc/111',
  status: 'PRIMARY',
  taskDefinition: 'arn:aws:ecs:eu-west-1:1:task-definition/web:7',
  loadBalancers: [{ targetGroupArn: BLUE_TG, containerName: 'app', containerPort: 8080 }],
  scale: { unit: 'PERCENT', value: 100 },
  runningCount: 3,
  pendingCount: 0,
  computedDesiredCount: 3,
  stabilityStatus: 'STEADY_STATE',
  externalId: 'd-0',
  createdAt: new Date('2025-01-01T00:00:00Z'),
  launchType: 'FARGATE',
  platformVersion: '1.4.0',
  platformFamily: 'Linux',
  networkConfiguration: network,
  serviceRegistries: [],
  fargateEphemeralStorage: { kmsKeyId: 'k' },
};

describe('EcsTaskSets', () => {
  it('describes the service and its task sets', async () => {
    ecs.on(DescribeServicesCommand, { cluster: 'c', services: ['web'] }).resolves({
      services: [
        { serviceArn: 'arn:svc', desiredCount: 3, deploymentController: { type: 'EXTERNAL' }, taskSets: [blueTaskSet] },
      ],
    });
    await expect(new EcsTaskSets(client).describeService('c', 'web')).resolves.toEqual({
      arn: 'arn:svc',
      desiredCount: 3,
      deploymentController: 'EXTERNAL',
      taskSets: [
        {
          id: 'ecs-svc/111',
          arn: 'arn:aws:ecs:eu-west-1:1:task-set/c/web/ecs-svc/111',
          status: 'PRIMARY',
          taskDefinitionArn: 'arn:aws:ecs:eu-west-1:1:task-definition/web:7',
          targetGroupArns: [BLUE_TG],
          scalePercent: 100,
          runningCount: 3,
          pendingCount: 0,
          computedDesiredCount: 3,
          stabilityStatus: 'STEADY_STATE',
          externalId: 'd-0',
          createdAt: '2025-01-01T00:00:00.000Z',
        },
      ],
    });
  });

  it('throws LiveStateInvalid for a service ECS reports missing', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'arn:svc', reason: 'MISSING' }] });
    await expect(new EcsTaskSets(client).describeService('c', 'web')).rejects.toThrow(LiveStateInvalid);
  });

  it('throws LiveStateInvalid for a deleted (INACTIVE) service', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceArn: 'arn:svc', status: 'INACTIVE' }] });
    await expect(new EcsTaskSets(client).describeService('c', 'web')).rejects.toThrow(LiveStateInvalid);
  });

  it('describeTaskSetTemplate returns the container port and only CreateTaskSet fields', async () => {
    ecs.on(DescribeTaskSetsCommand, { cluster: 'c', service: 'web', taskSets: ['ecs-svc/111'] }).resolves({ taskSets: [blueTaskSet] });
    await expect(new EcsTaskSets(client).describeTaskSetTemplate('c', 'web', 'ecs-svc/111')).resolves.toEqual({
      containerPort: 8080,
      template: { networkConfiguration: network, launchType: 'FARGATE', platformVersion: '1.4.0' },
    });
  });

  it('a capacity provider strategy replaces the launch type in the template', async () => {
    const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }];
    ecs.on(DescribeTaskSetsCommand).resolves({
      taskSets: [{ ...blueTaskSet, capacityProviderStrategy: strategy, launchType: 'FARGATE' }],
    });
    const { template } = await new EcsTaskSets(client).describeTaskSetTemplate('c', 'web', 'ecs-svc/111');
    expect(template).toEqual({ networkConfiguration: network, capacityProviderStrategy: strategy, platformVersion: '1.4.0' });
  });

  it('createTaskSet sends the idempotency token, external id, target group, scale and the template', async () => {
    // Prepare
    ecs.on(CreateTaskSetCommand).resolves({
      taskSet: { ...blueTaskSet, id: 'ecs-svc/222', status: 'ACTIVE', loadBalancers: [{ targetGroupArn: GREEN_TG }] },
    });
    // Act
    const created = await new EcsTaskSets(client).createTaskSet({
      cluster: 'c',
      service: 'web',
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:1:task-definition/web:8',
      targetGroupArn: GREEN_TG,
      containerName: 'app',
      containerPort: 8080,
      scalePercent: 100,
      clientToken: 'd-42',
      externalId: 'd-42',
      template: { networkConfiguration: network, launchType: 'FARGATE', platformVersion: '1.4.0', unknown: 'dropped' },
    });
    // Assess
    expect(ecs.commandCalls(CreateTaskSetCommand)[0]!.args[0].input).toEqual({
      cluster: 'c',
      service: 'web',
      taskDefinition: 'arn:aws:ecs:eu-west-1:1:task-definition/web:8',
      externalId: 'd-42',
      loadBalancers: [{ targetGroupArn: GREEN_TG, containerName: 'app', containerPort: 8080 }],
      scale: { unit: 'PERCENT', value: 100 },
      clientToken: 'd-42',
      networkConfiguration: network,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
    });
    expect(created.id).toBe('ecs-svc/222');
    expect(created.targetGroupArns).toEqual([GREEN_TG]);
  });

  it('updateScale, setPrimary and deleteTaskSet send exactly their inputs', async () => {
    ecs.on(UpdateTaskSetCommand).resolves({});
    ecs.on(UpdateServicePrimaryTaskSetCommand).resolves({});
    ecs.on(DeleteTaskSetCommand).resolves({});
    const sets = new EcsTaskSets(client);
    await sets.updateScale('c', 'web', 'ecs-svc/111', 0);
    await sets.setPrimary('c', 'web', 'ecs-svc/222');
    await sets.deleteTaskSet('c', 'web', 'ecs-svc/111');
    expect(ecs.commandCalls(UpdateTaskSetCommand)[0]!.args[0].input).toEqual({
      cluster: 'c',
      service: 'web',
      taskSet: 'ecs-svc/111',
      scale: { unit: 'PERCENT', value: 0 },
    });
    expect(ecs.commandCalls(UpdateServicePrimaryTaskSetCommand)[0]!.args[0].input).toEqual({
      cluster: 'c',
      service: 'web',
      primaryTaskSet: 'ecs-svc/222',
    });
    expect(ecs.commandCalls(DeleteTaskSetCommand)[0]!.args[0].input).toEqual({
      cluster: 'c',
      service: 'web',
      taskSet: 'ecs-svc/111',
      force: true,
    });
  });

  it('deleting a task set that is already DRAINING is done, whatever ECS answers; an InvalidParameterException on one that is not is still an error', async () => {
    // Prepare: ECS answers the second delete with InvalidParameterException (issue #13, item 7)
    ecs.on(DeleteTaskSetCommand).rejects(new InvalidParameterException({ message: 'The task set is being deleted.', $metadata: { httpStatusCode: 400 } }));
    ecs.on(DescribeTaskSetsCommand).resolves({ taskSets: [{ ...blueTaskSet, status: 'DRAINING' }] });
    // Act + Assess
    await expect(new EcsTaskSets(client).deleteTaskSet('c', 'web', 'ecs-svc/111')).resolves.toBeUndefined();
    ecs.on(DescribeTaskSetsCommand).resolves({ taskSets: [], failures: [{ arn: 'ecs-svc/111', reason: 'MISSING' }] });
    await expect(new EcsTaskSets(client).deleteTaskSet('c', 'web', 'ecs-svc/111')).resolves.toBeUndefined();
    ecs.on(DescribeTaskSetsCommand).resolves({ taskSets: [{ ...blueTaskSet, status: 'ACTIVE' }] });
    await expect(new EcsTaskSets(client).deleteTaskSet('c', 'web', 'ecs-svc/111')).rejects.toThrow(AwsRequestFailed);
  });

  it('CreateTaskSet on a target group ECS does not see on a load balancer yet is AwsUnavailable (retried briefly); other InvalidParameterExceptions are final', async () => {
    const input = {
      cluster: 'c', service: 'web', taskDefinitionArn: 'web:8', targetGroupArn: GREEN_TG, containerName: 'app', containerPort: 8080,
      scalePercent: 100, clientToken: 'd-1', externalId: 'd-1',
    };
    ecs.on(CreateTaskSetCommand).rejects(
      new InvalidParameterException({ message: `The target group with targetGroupArn ${GREEN_TG} does not have an associated load balancer.`, $metadata: { httpStatusCode: 400 } }),
    );
    await expect(new EcsTaskSets(client).createTaskSet(input)).rejects.toThrow(AwsUnavailable);
    ecs.on(CreateTaskSetCommand).rejects(
      new InvalidParameterException({ message: '5 deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.', $metadata: { httpStatusCode: 400 } }),
    );
    await expect(new EcsTaskSets(client).createTaskSet(input)).rejects.toThrow(AwsRequestFailed);
  });

  it('a stable task set on several load balancers is refused by name (green would lose all but one)', async () => {
    ecs.on(DescribeTaskSetsCommand).resolves({
      taskSets: [{ ...blueTaskSet, loadBalancers: [...(blueTaskSet.loadBalancers ?? []), { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/internal/3', containerName: 'app', containerPort: 8080 }] }],
    });
    const refused = new EcsTaskSets(client).describeTaskSetTemplate('c', 'web', 'ecs-svc/111');
    await expect(refused).rejects.toThrow(LiveStateInvalid);
    await expect(refused).rejects.toThrow(/attached to 2 load balancers/);
  });

  it('deleting a task set that is already gone is not an error', async () => {
    ecs.on(DeleteTaskSetCommand).rejects(new TaskSetNotFoundException({ message: 'gone', $metadata: {} }));
    await expect(new EcsTaskSets(client).deleteTaskSet('c', 'web', 'ecs-svc/111')).resolves.toBeUndefined();
  });

  it('retireTaskSet scales to 0, then deletes; a set already gone is retired; other errors stop it before the delete', async () => {
    const sets = new EcsTaskSets(client);
    // Present: scale 0, then delete.
    ecs.on(UpdateTaskSetCommand).resolves({});
    ecs.on(DeleteTaskSetCommand).resolves({});
    await sets.retireTaskSet('c', 'web', 'ecs-svc/111');
    expect(ecs.commandCalls(UpdateTaskSetCommand)[0]!.args[0].input.scale).toEqual({ unit: 'PERCENT', value: 0 });
    expect(ecs.commandCalls(DeleteTaskSetCommand)[0]!.args[0].input).toMatchObject({ taskSet: 'ecs-svc/111', force: true });
    // Gone (a retry after the delete): nothing more to do.
    ecs.reset();
    ecs.on(UpdateTaskSetCommand).rejects(new TaskSetNotFoundException({ message: 'gone', $metadata: {} }));
    await expect(sets.retireTaskSet('c', 'web', 'ecs-svc/111')).resolves.toBeUndefined();
    expect(ecs.commandCalls(DeleteTaskSetCommand)).toHaveLength(0);
    // Being deleted (a retry after a delete that timed out but landed): cannot be scaled; the delete decides.
    ecs.reset();
    ecs.on(UpdateTaskSetCommand).rejects(new InvalidParameterException({ message: 'The task set is being deleted', $metadata: {} }));
    ecs.on(DeleteTaskSetCommand).rejects(new TaskSetNotFoundException({ message: 'gone', $metadata: {} }));
    await expect(sets.retireTaskSet('c', 'web', 'ecs-svc/111')).resolves.toBeUndefined();
    expect(ecs.commandCalls(DeleteTaskSetCommand)).toHaveLength(1);
    // Any other 4xx (access denied, a wrong service) is the caller's, not "already gone".
    ecs.reset();
    ecs.on(UpdateTaskSetCommand).rejects(new ServiceNotFoundException({ message: 'no', $metadata: {} }));
    await expect(sets.retireTaskSet('c', 'web', 'ecs-svc/111')).rejects.toThrow(AwsRequestFailed);
    expect(ecs.commandCalls(DeleteTaskSetCommand)).toHaveLength(0);
  });

  it('other delete errors are classified', async () => {
    ecs.on(DeleteTaskSetCommand).rejects(new ServerException({ message: 'oops', $metadata: { httpStatusCode: 500 } }));
    await expect(new EcsTaskSets(client).deleteTaskSet('c', 'web', 'ecs-svc/111')).rejects.toThrow(AwsUnavailable);
    ecs.on(DeleteTaskSetCommand).rejects(new ServiceNotFoundException({ message: 'no', $metadata: {} }));
    await expect(new EcsTaskSets(client).deleteTaskSet('c', 'web', 'ecs-svc/111')).rejects.toThrow(AwsRequestFailed);
  });
});

describe('ecsClientToken / parseTemplate', () => {
  it('passes a short token through and digests a long one stably to 32 characters', () => {
    expect(ecsClientToken('d-42')).toBe('d-42');
    const long = 'web-prod-2025-01-01T00:00:00.000Z-sha256-abcdef';
    expect(ecsClientToken(long)).toHaveLength(32);
    expect(ecsClientToken(long)).toBe(ecsClientToken(long));
    expect(ecsClientToken(long)).not.toBe(ecsClientToken(`${long}x`));
  });
  it('rejects a template that is not an object', () => {
    expect(() => parseTemplate('nope')).toThrow(ValidationError);
    expect(parseTemplate(undefined)).toEqual({});
  });
});

describe('EcsTaskDefinitions.registerWithImage', () => {
  const FROM = 'arn:aws:ecs:eu-west-1:1:task-definition/web:7';
  const NEW_IMAGE = '1.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:bbb';
  const secrets = [
    { name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf:password::' },
    { name: 'API_KEY', valueFrom: 'arn:aws:ssm:eu-west-1:1:parameter/web/api-key' },
  ];
  const app = {
    name: 'app',
    image: '1.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:aaa',
    essential: true,
    portMappings: [{ containerPort: 8080, protocol: 'tcp' as const }],
    environment: [{ name: 'MODE', value: 'prod' }],
    secrets,
    logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-group': '/web' } },
  };
  const sidecar = { name: 'envoy', image: 'public.ecr.aws/envoy:v1', essential: false, secrets: [secrets[1]!] };
  /** Every field DescribeTaskDefinition returns, read-only ones included. */
  const described: TaskDefinition = {
    taskDefinitionArn: FROM,
    family: 'web',
    revision: 7,
    status: 'ACTIVE',
    taskRoleArn: 'arn:aws:iam::1:role/web-task',
    executionRoleArn: 'arn:aws:iam::1:role/web-exec',
    networkMode: 'awsvpc',
    containerDefinitions: [app, sidecar],
    volumes: [{ name: 'tmp', host: {} }],
    placementConstraints: [],
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.19' }],
    cpu: '512',
    memory: '1024',
    pidMode: 'task',
    ipcMode: 'none',
    proxyConfiguration: { type: 'APPMESH', containerName: 'envoy', properties: [{ name: 'AppPorts', value: '8080' }] },
    inferenceAccelerators: [],
    ephemeralStorage: { sizeInGiB: 30 },
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    enableFaultInjection: false,
    registeredAt: new Date('2025-01-01T00:00:00Z'),
    registeredBy: 'arn:aws:sts::1:assumed-role/deployer',
    deregisteredAt: new Date('2025-01-02T00:00:00Z'),
    deleteRequestedAt: new Date('2025-01-03T00:00:00Z'),
  };

  it('copies every registrable field, drops the read-only ones, changes only the image, keeps secrets as references', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: FROM, include: ['TAGS'] }).resolves({
      taskDefinition: described,
      tags: [
        { key: 'team', value: 'payments' },
        { key: 'aws:cloudformation:stack-name', value: 'web' },
      ],
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:1:task-definition/web:8' } });
    // Act
    const out = await new EcsTaskDefinitions(client).registerWithImage(FROM, 'app', NEW_IMAGE);
    // Assess
    expect(out).toEqual({ arn: 'arn:aws:ecs:eu-west-1:1:task-definition/web:8' });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input).toEqual({
      family: 'web',
      taskRoleArn: 'arn:aws:iam::1:role/web-task',
      executionRoleArn: 'arn:aws:iam::1:role/web-exec',
      networkMode: 'awsvpc',
      containerDefinitions: [{ ...app, image: NEW_IMAGE, secrets }, sidecar],
      volumes: [{ name: 'tmp', host: {} }],
      placementConstraints: [],
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      pidMode: 'task',
      ipcMode: 'none',
      proxyConfiguration: { type: 'APPMESH', containerName: 'envoy', properties: [{ name: 'AppPorts', value: '8080' }] },
      inferenceAccelerators: [],
      ephemeralStorage: { sizeInGiB: 30 },
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      enableFaultInjection: false,
      tags: [{ key: 'team', value: 'payments' }],
    });
  });

  it('sends no tags when the revision has none (or only AWS-reserved ones)', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: { family: 'web', containerDefinitions: [app] },
      tags: [{ key: 'AWS:reserved', value: 'x' }],
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:new' } });
    await new EcsTaskDefinitions(client).registerWithImage(FROM, 'app', NEW_IMAGE);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input).toEqual({
      family: 'web',
      containerDefinitions: [{ ...app, image: NEW_IMAGE }],
    });
  });

  it('throws ValidationError naming the containers when the container is not in the definition, and registers nothing', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described, tags: [] });
    await expect(new EcsTaskDefinitions(client).registerWithImage(FROM, 'worker', NEW_IMAGE)).rejects.toThrow(
      /"worker" is not in the task definition; containers are "app", "envoy"/,
    );
    await expect(new EcsTaskDefinitions(client).registerWithImage(FROM, 'worker', NEW_IMAGE)).rejects.toThrow(ValidationError);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('hands checkRoles the roles the new revision carries over, and registers nothing when it throws', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described, tags: [] });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:new' } });
    const seen: unknown[] = [];
    const refusal = new TaskRoleNotAllowed('not this role');
    // Act
    const denied = new EcsTaskDefinitions(client).registerWithImage(FROM, 'app', NEW_IMAGE, {
      checkRoles: (roles) => {
        seen.push(roles);
        throw refusal;
      },
    });
    // Assess
    await expect(denied).rejects.toBe(refusal);
    expect(seen).toEqual([{ taskRoleArn: 'arn:aws:iam::1:role/web-task', executionRoleArn: 'arn:aws:iam::1:role/web-exec' }]);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('a concurrent registration of the family (ClientException "Too many concurrent attempts") is AwsThrottled, other ClientExceptions are final', async () => {
    // Prepare: two services on one family registering at once (issue #13, item 4)
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { family: 'web', containerDefinitions: [app] } });
    ecs.on(RegisterTaskDefinitionCommand).rejects(
      new ClientException({ message: 'Too many concurrent attempts to create a new revision of the specified family.', $metadata: { httpStatusCode: 400 } }),
    );
    // Act + Assess: retried by the state machine (AwsThrottled is in every Retry)
    const conflict = new EcsTaskDefinitions(client).registerWithImage(FROM, 'app', NEW_IMAGE);
    await expect(conflict).rejects.toThrow(AwsThrottled);
    await expect(conflict).rejects.toMatchObject({ details: { awsError: 'ClientException', family: 'web' } });
    ecs.on(RegisterTaskDefinitionCommand).rejects(new ClientException({ message: 'Container.image should not be null or empty.', $metadata: { httpStatusCode: 400 } }));
    await expect(new EcsTaskDefinitions(client).registerWithImage(FROM, 'app', NEW_IMAGE)).rejects.toThrow(AwsRequestFailed);
  });

  it('hands checkRoles no role for a revision without any', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { family: 'web', containerDefinitions: [app] } });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:new' } });
    const seen: unknown[] = [];
    await new EcsTaskDefinitions(client).registerWithImage(FROM, 'app', NEW_IMAGE, { checkRoles: (roles) => void seen.push(roles) });
    expect(seen).toEqual([{}]);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
  });
});
