/**
 * ECS adapters: task sets of an EXTERNAL-controller service (TaskSets) and task-definition
 * revisions (TaskDefinitions).
 */
import { createHash } from 'node:crypto';
import {
  type CapacityProviderStrategyItem,
  CreateTaskSetCommand,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type DescribeTaskDefinitionCommandOutput,
  type ECSClient,
  type LaunchType,
  type NetworkConfiguration,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionRequest,
  type ServiceRegistry,
  type TaskSet,
  UpdateServicePrimaryTaskSetCommand,
  UpdateTaskSetCommand,
} from '@aws-sdk/client-ecs';
import { AwsThrottled, AwsUnavailable, LiveStateInvalid, ValidationError } from '../core/errors.js';
import type {
  CreateTaskSetInput,
  RegisterWithImageOptions,
  RevisionDescription,
  ServiceInfo,
  TaskDefinitions,
  TaskInfo,
  TaskReader,
  TaskSetInfo,
  TaskSets,
} from '../core/ports.js';
import { awsCall, awsCallExpecting, classifyAwsError, isAwsError, isConcurrentRevisionConflict } from './aws-errors.js';

/** What a green task set copies from the stable one (CreateTaskSet's placement and networking). */
export interface TaskSetTemplate {
  readonly networkConfiguration?: NetworkConfiguration;
  readonly launchType?: LaunchType;
  readonly capacityProviderStrategy?: CapacityProviderStrategyItem[];
  readonly platformVersion?: string;
  readonly serviceRegistries?: ServiceRegistry[];
}

/** ECS accepts a clientToken of at most 36 characters. */
export const MAX_CLIENT_TOKEN_LENGTH = 36;

/**
 * The clientToken ECS receives: the given token when it fits (<= 36 ASCII characters), else a
 * stable 32-hex-digit digest of it, so the same deployment id always yields the same token.
 */
export function ecsClientToken(token: string): string {
  if (token.length > 0 && token.length <= MAX_CLIENT_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(token)) return token;
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

export function toTaskSetInfo(ts: TaskSet): TaskSetInfo {
  return {
    id: ts.id ?? '',
    arn: ts.taskSetArn ?? '',
    status: ts.status ?? 'UNKNOWN',
    taskDefinitionArn: ts.taskDefinition ?? '',
    targetGroupArns: (ts.loadBalancers ?? []).flatMap((lb) => (lb.targetGroupArn === undefined ? [] : [lb.targetGroupArn])),
    scalePercent: ts.scale?.value ?? 0,
    runningCount: ts.runningCount ?? 0,
    pendingCount: ts.pendingCount ?? 0,
    computedDesiredCount: ts.computedDesiredCount ?? 0,
    stabilityStatus: ts.stabilityStatus ?? 'STABILIZING',
    ...(ts.externalId === undefined ? {} : { externalId: ts.externalId }),
    ...(ts.createdAt === undefined ? {} : { createdAt: new Date(ts.createdAt).toISOString() }),
  };
}

/**
 * DescribeServices of an EXTERNAL-controller service with its task sets (TaskSets.describeService);
 * a function of its own so that a handler needing only this and UpdateTaskSet (scale) bundles
 * neither the rest of EcsTaskSets nor the commands it sends.
 */
export async function describeTaskSetService(client: ECSClient, cluster: string, service: string): Promise<ServiceInfo> {
  const out = await awsCall('ECS:DescribeServices', () => client.send(new DescribeServicesCommand({ cluster, services: [service] })));
  const svc = out.services?.[0];
  // A deleted service is still described for a while, as DRAINING and then INACTIVE.
  if (svc === undefined || svc.status === 'INACTIVE' || svc.status === 'DRAINING') {
    throw new LiveStateInvalid(`ECS service ${service} not found in cluster ${cluster}`, {
      details: {
        cluster,
        service,
        ...(svc?.status === undefined ? {} : { status: svc.status }),
        failures: (out.failures ?? []).map((f) => ({ arn: f.arn, reason: f.reason })),
      },
    });
  }
  return {
    arn: svc.serviceArn ?? '',
    desiredCount: svc.desiredCount ?? 0,
    deploymentController: svc.deploymentController?.type ?? 'ECS',
    taskSets: (svc.taskSets ?? []).map(toTaskSetInfo),
  };
}

/** UpdateTaskSet's scale, in percent of the service's desired count (TaskSets.updateScale). */
export async function updateTaskSetScale(client: ECSClient, cluster: string, service: string, taskSetId: string, scalePercent: number): Promise<void> {
  await awsCall('ECS:UpdateTaskSet', () =>
    client.send(new UpdateTaskSetCommand({ cluster, service, taskSet: taskSetId, scale: { unit: 'PERCENT', value: scalePercent } })),
  );
}

/** The template of a described task set (only the fields CreateTaskSet accepts). */
export function templateOf(ts: TaskSet): TaskSetTemplate {
  const usesCapacityProviders = (ts.capacityProviderStrategy?.length ?? 0) > 0;
  return {
    ...(ts.networkConfiguration === undefined ? {} : { networkConfiguration: ts.networkConfiguration }),
    // launchType and capacityProviderStrategy are mutually exclusive in CreateTaskSet.
    ...(usesCapacityProviders
      ? { capacityProviderStrategy: ts.capacityProviderStrategy }
      : ts.launchType === undefined
        ? {}
        : { launchType: ts.launchType }),
    ...(ts.platformVersion === undefined ? {} : { platformVersion: ts.platformVersion }),
    ...((ts.serviceRegistries?.length ?? 0) > 0 ? { serviceRegistries: ts.serviceRegistries } : {}),
  };
}

/** Pick the known template fields out of an untyped template (it travels through state as JSON). */
export function parseTemplate(template: unknown): TaskSetTemplate {
  if (template === undefined || template === null) return {};
  if (typeof template !== 'object' || Array.isArray(template)) {
    throw new ValidationError('Task set template', ['template: not an object; pass what describeTaskSetTemplate returned']);
  }
  const t = template as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of ['networkConfiguration', 'launchType', 'capacityProviderStrategy', 'platformVersion', 'serviceRegistries']) {
    if (t[key] !== undefined && t[key] !== null) out[key] = t[key];
  }
  if (Array.isArray(out.capacityProviderStrategy) && out.capacityProviderStrategy.length > 0) delete out.launchType;
  return out as TaskSetTemplate;
}

/**
 * What a CreateTaskSet InvalidParameterException means. "The target group ... does not have an
 * associated load balancer" right after the listener started naming it is ELB and ECS settling
 * (eventually consistent): AwsUnavailable, retried briefly with backoff by the state machine. The
 * rest are final (AwsRequestFailed). ECS names no error for either (InvalidParameterException,
 * HTTP 400), so the message is read.
 */
export function createTaskSetError(err: unknown, input: Pick<CreateTaskSetInput, 'service' | 'targetGroupArn'>): Error {
  const c = classifyAwsError(err, 'ECS:CreateTaskSet');
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && /does not have an associated load balancer/i.test(message)) {
    return new AwsUnavailable(`${c.message} (the listener names ${input.targetGroupArn} at weight 0; waiting for ECS to see the association)`, {
      cause: err,
      details: { ...c.details, settling: 'target-group-association', targetGroupArn: input.targetGroupArn },
    });
  }
  return c;
}

export class EcsTaskSets implements TaskSets {
  constructor(private readonly client: ECSClient) {}

  async describeService(cluster: string, service: string): Promise<ServiceInfo> {
    return describeTaskSetService(this.client, cluster, service);
  }

  async createTaskSet(input: CreateTaskSetInput): Promise<TaskSetInfo> {
    const template = parseTemplate(input.template);
    const out = await awsCallExpecting('ECS:CreateTaskSet', () =>
      this.client.send(
        new CreateTaskSetCommand({
          cluster: input.cluster,
          service: input.service,
          taskDefinition: input.taskDefinitionArn,
          externalId: input.externalId,
          // A worker (no load balancer): loadBalancers omitted, which CreateTaskSet accepts for a
          // service created without one.
          ...(input.targetGroupArn === undefined
            ? {}
            : { loadBalancers: [{ targetGroupArn: input.targetGroupArn, containerName: input.containerName, containerPort: input.containerPort }] }),
          scale: { unit: 'PERCENT', value: input.scalePercent },
          clientToken: ecsClientToken(input.clientToken),
          ...template,
        }),
      ),
      ['InvalidParameterException'],
      (err) => {
        throw createTaskSetError(err, input);
      },
    );
    if (out.taskSet === undefined) {
      throw new LiveStateInvalid('CreateTaskSet returned no task set', { details: { service: input.service } });
    }
    return toTaskSetInfo(out.taskSet);
  }

  async updateScale(cluster: string, service: string, taskSetId: string, scalePercent: number): Promise<void> {
    await updateTaskSetScale(this.client, cluster, service, taskSetId, scalePercent);
  }

  async setPrimary(cluster: string, service: string, taskSetId: string): Promise<void> {
    await awsCall('ECS:UpdateServicePrimaryTaskSet', () =>
      this.client.send(new UpdateServicePrimaryTaskSetCommand({ cluster, service, primaryTaskSet: taskSetId })),
    );
  }

  /**
   * Forced delete. Gone already (TaskSetNotFoundException) is done. A task set that is already
   * DRAINING (a rollback loop or a retry meeting a delete that landed) is being deleted: done too,
   * whatever ECS answers for it (the API reference documents no answer for a second delete): an
   * InvalidParameterException is checked with DescribeTaskSets and swallowed only when the task set
   * is DRAINING or gone.
   */
  async deleteTaskSet(cluster: string, service: string, taskSetId: string): Promise<void> {
    const invalid = Symbol('invalid');
    let rejection: unknown;
    const out = await awsCallExpecting(
      'ECS:DeleteTaskSet',
      () => this.client.send(new DeleteTaskSetCommand({ cluster, service, taskSet: taskSetId, force: true })),
      ['TaskSetNotFoundException', 'InvalidParameterException'],
      (err) => {
        if (isAwsError(err, 'TaskSetNotFoundException')) return undefined;
        rejection = err;
        return invalid;
      },
    );
    if (out !== invalid) return;
    const now = await awsCall('ECS:DescribeTaskSets', () =>
      this.client.send(new DescribeTaskSetsCommand({ cluster, service, taskSets: [taskSetId] })),
    );
    const ts = now.taskSets?.find((t) => t.id === taskSetId || t.taskSetArn === taskSetId);
    if (ts === undefined || ts.status === 'DRAINING') return;
    throw classifyAwsError(rejection, 'ECS:DeleteTaskSet');
  }

  async retireTaskSet(cluster: string, service: string, taskSetId: string): Promise<void> {
    const gone = Symbol('gone');
    const scaled = await awsCallExpecting(
      'ECS:UpdateTaskSet',
      () => this.client.send(new UpdateTaskSetCommand({ cluster, service, taskSet: taskSetId, scale: { unit: 'PERCENT', value: 0 } })),
      ['TaskSetNotFoundException', 'InvalidParameterException'],
      (err) => (isAwsError(err, 'TaskSetNotFoundException') ? gone : undefined),
    );
    if (scaled === gone) return;
    // Scaled to 0 — or not scalable because it is already being deleted (a retry after a delete that
    // timed out but landed answers InvalidParameterException): the forced delete decides either way,
    // and a task set that is not there any more is retired.
    await this.deleteTaskSet(cluster, service, taskSetId);
  }

  async describeTaskSetTemplate(
    cluster: string,
    service: string,
    taskSetId: string,
    loadBalanced = true,
  ): Promise<{ containerPort: number; template: TaskSetTemplate }> {
    const out = await awsCall('ECS:DescribeTaskSets', () =>
      this.client.send(new DescribeTaskSetsCommand({ cluster, service, taskSets: [taskSetId] })),
    );
    const ts = out.taskSets?.[0];
    // ECS takes several target groups per service only with its own (ECS) deployment controller
    // ("Registering multiple target groups with an Amazon ECS service", Considerations,
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/register-multiple-targetgroups.html):
    // Cutover moves one pair of target groups, so a stable task set on several is refused rather
    // than copied with one of them (green would silently lose the others).
    if ((ts?.loadBalancers?.length ?? 0) > 1) {
      const tgs = (ts?.loadBalancers ?? []).map((lb) => lb.targetGroupArn ?? lb.loadBalancerName ?? '(none)');
      throw new LiveStateInvalid(
        `Task set ${taskSetId} of ${service} is attached to ${tgs.length} load balancers (${tgs.join(', ')}); Cutover copies a stable task set with exactly one (the service's blue target group), and ECS allows several target groups only with the ECS deployment controller. Attach the stable task set to one target group, or deploy this service with the native engine.`,
        { details: { cluster, service, taskSetId, targetGroups: tgs } },
      );
    }
    const containerPort = ts?.loadBalancers?.find((lb) => lb.containerPort !== undefined)?.containerPort;
    // A worker's task set has no load balancer, hence no port: green copies the template alone.
    if (ts !== undefined && !loadBalanced && (ts.loadBalancers?.length ?? 0) === 0) return { containerPort: 0, template: templateOf(ts) };
    if (ts === undefined || containerPort === undefined) {
      throw new LiveStateInvalid(
        ts === undefined
          ? `Task set ${taskSetId} of ${service} not found`
          : `Task set ${taskSetId} of ${service} has no load balancer container port`,
        { details: { cluster, service, taskSetId } },
      );
    }
    return { containerPort, template: templateOf(ts) };
  }
}

type TaskDefinition = NonNullable<DescribeTaskDefinitionCommandOutput['taskDefinition']>;
type Tag = NonNullable<DescribeTaskDefinitionCommandOutput['tags']>[number];

/**
 * Every field RegisterTaskDefinition accepts, except `tags` (they come from the describe output,
 * not from the task definition). The type check below fails the build when the SDK adds a field
 * that this list does not carry over.
 */
export const REGISTER_FIELDS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const satisfies readonly (keyof RegisterTaskDefinitionRequest & keyof TaskDefinition)[];
type MissingRegisterField = Exclude<keyof RegisterTaskDefinitionRequest, (typeof REGISTER_FIELDS)[number] | 'tags'>;
const everyRegisterFieldCopied: [MissingRegisterField] extends [never] ? true : MissingRegisterField = true;
void everyRegisterFieldCopied;

/** Read-only fields DescribeTaskDefinition returns that RegisterTaskDefinition must not receive. */
export const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const satisfies readonly Exclude<keyof TaskDefinition, (typeof REGISTER_FIELDS)[number]>[];
type UnclassifiedField = Exclude<keyof TaskDefinition, (typeof REGISTER_FIELDS)[number] | (typeof READ_ONLY_FIELDS)[number]>;
const everyDescribedFieldClassified: [UnclassifiedField] extends [never] ? true : UnclassifiedField = true;
void everyDescribedFieldClassified;

/** Tags with an `aws:` prefix (any case) are AWS's own and cannot be set. */
const isUserTag = (t: Tag): boolean => typeof t.key === 'string' && !t.key.toLowerCase().startsWith('aws:');

/**
 * The RegisterTaskDefinition input for a copy of `described` with `containerName`'s image set to
 * `imageUri`. Pure: everything else (secrets as `valueFrom` references, roles, environment, log
 * configuration, volumes ...) is carried over as it is. Tags are carried over without AWS's own
 * (`aws:`) tags and omitted when none remain.
 */
export function registerInputWithImage(
  described: TaskDefinition,
  tags: readonly Tag[] | undefined,
  containerName: string,
  imageUri: string,
  environment: Readonly<Record<string, string>> = {},
): RegisterTaskDefinitionRequest {
  const containers = described.containerDefinitions ?? [];
  if (!containers.some((c) => c.name === containerName)) {
    throw new ValidationError(`Task definition ${described.taskDefinitionArn ?? described.family ?? ''}`, [
      `containerName: "${containerName}" is not in the task definition; containers are ${
        containers.map((c) => `"${c.name}"`).join(', ') || 'none'
      }`,
    ]);
  }
  const input: Record<string, unknown> = {};
  for (const field of REGISTER_FIELDS) {
    const value = described[field];
    if (value !== undefined) input[field] = value;
  }
  // Cutover's variables (CUTOVER_VERSION, CUTOVER_COLOR) replace earlier values of the same names;
  // every other variable is kept in its order.
  const names = Object.keys(environment);
  const withEnv = (c: (typeof containers)[number]) =>
    names.length === 0
      ? c
      : { ...c, environment: [...(c.environment ?? []).filter((e) => !names.includes(e.name ?? '')), ...names.map((name) => ({ name, value: environment[name] }))] };
  input.containerDefinitions = containers.map((c) => (c.name === containerName ? { ...withEnv(c), image: imageUri } : c));
  const userTags = (tags ?? []).filter(isUserTag);
  if (userTags.length > 0) input.tags = userTags;
  return input as unknown as RegisterTaskDefinitionRequest;
}

export class EcsTaskDefinitions implements TaskDefinitions {
  constructor(private readonly client: ECSClient) {}

  async describeRevision(arn: string): Promise<RevisionDescription | undefined> {
    const out = await awsCallExpecting(
      'ECS:DescribeTaskDefinition',
      () => this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
      // ECS answers an unknown revision with ClientException.
      ['ClientException'],
      () => undefined,
    );
    const td = out?.taskDefinition;
    if (td?.taskDefinitionArn === undefined || td.family === undefined || td.revision === undefined) return undefined;
    return {
      arn: td.taskDefinitionArn,
      family: td.family,
      revision: td.revision,
      containers: (td.containerDefinitions ?? []).map((c) => ({
        name: c.name ?? '',
        image: c.image ?? '',
        ...(c.environment && c.environment.length > 0
          ? { environment: Object.fromEntries(c.environment.filter((e) => e.name !== undefined).map((e) => [e.name as string, e.value ?? ''])) }
          : {}),
        ...(c.healthCheck?.command && c.healthCheck.command.length > 0 ? { hasHealthCheck: true } : {}),
      })),
      ...(td.taskRoleArn ? { taskRoleArn: td.taskRoleArn } : {}),
      ...(td.executionRoleArn ? { executionRoleArn: td.executionRoleArn } : {}),
    };
  }

  async registerWithImage(
    fromArn: string,
    containerName: string,
    imageUri: string,
    options: RegisterWithImageOptions = {},
  ): Promise<{ arn: string }> {
    const described = await awsCall('ECS:DescribeTaskDefinition', () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: fromArn, include: ['TAGS'] })),
    );
    if (described.taskDefinition === undefined) {
      throw new LiveStateInvalid(`Task definition ${fromArn} not found`, { details: { taskDefinition: fromArn } });
    }
    const input = registerInputWithImage(described.taskDefinition, described.tags, containerName, imageUri, options.environment);
    // The roles registering passes to ECS (iam:PassRole), checked before anything is registered.
    options.checkRoles?.({
      ...(input.taskRoleArn ? { taskRoleArn: input.taskRoleArn } : {}),
      ...(input.executionRoleArn ? { executionRoleArn: input.executionRoleArn } : {}),
    });
    // A concurrent registration of the same family is transient: AwsThrottled, which the state
    // machine retries with backoff and jitter (isConcurrentRevisionConflict).
    const out = await awsCallExpecting(
      'ECS:RegisterTaskDefinition',
      () => this.client.send(new RegisterTaskDefinitionCommand(input)),
      ['ClientException'],
      (err) => {
        const c = classifyAwsError(err, 'ECS:RegisterTaskDefinition');
        if (isConcurrentRevisionConflict(err)) throw new AwsThrottled(c.message, { cause: err, details: { ...c.details, family: input.family } });
        throw c;
      },
    );
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (arn === undefined) {
      throw new LiveStateInvalid('RegisterTaskDefinition returned no task definition ARN', { details: { family: input.family } });
    }
    return { arn };
  }
}

/**
 * The tasks of a task set: ECS starts them with `startedBy` = the task set id, so ListTasks
 * (startedBy, desiredStatus) then DescribeTasks (at most 100 a call) finds them, stopped ones
 * included for about an hour after they stop (what the worker health gate reads).
 */
export class EcsTasks implements TaskReader {
  constructor(private readonly client: ECSClient) {}

  async tasksOfTaskSet(cluster: string, taskSetId: string, desiredStatus: 'RUNNING' | 'STOPPED', limit = 100): Promise<TaskInfo[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const out = await awsCall('ECS:ListTasks', () =>
        this.client.send(new ListTasksCommand({ cluster, startedBy: taskSetId, desiredStatus, ...(token ? { nextToken: token } : {}) })),
      );
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken !== undefined && arns.length < limit);
    const wanted = arns.slice(0, limit);
    const tasks: TaskInfo[] = [];
    for (let i = 0; i < wanted.length; i += 100) {
      const batch = wanted.slice(i, i + 100);
      const out = await awsCall('ECS:DescribeTasks', () => this.client.send(new DescribeTasksCommand({ cluster, tasks: batch })));
      for (const t of out.tasks ?? []) {
        tasks.push({
          taskArn: t.taskArn ?? '',
          lastStatus: t.lastStatus ?? 'UNKNOWN',
          ...(t.desiredStatus ? { desiredStatus: t.desiredStatus } : {}),
          ...(t.healthStatus ? { healthStatus: t.healthStatus } : {}),
          ...(t.stopCode ? { stopCode: t.stopCode } : {}),
          ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
          containers: (t.containers ?? []).map((c) => ({
            name: c.name ?? '',
            ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
            ...(c.reason ? { reason: c.reason } : {}),
            ...(c.healthStatus ? { healthStatus: c.healthStatus } : {}),
            ...(c.lastStatus ? { lastStatus: c.lastStatus } : {}),
          })),
        });
      }
    }
    return tasks;
  }
}
