/**
 * ECS task-definition revisions for cleanup (TaskDefinitionRevisions): list a family's revisions,
 * describe one, deregister, delete (DeleteTaskDefinitions), and find the revisions a cluster's
 * tasks run. Reads page through every page up to the caller's limit; writes are one call each
 * (the cleanup state machine paces them).
 */
import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { ValidationError } from '../core/errors.js';
import type { RevisionInfo, RevisionStatus, TaskDefinitionRevisions } from '../core/ports.js';
import { awsCall, awsCallExpecting } from './aws-errors.js';

/** ListTaskDefinitions and ListTasks return at most 100 per page; DescribeTasks takes 100. */
export const ECS_PAGE_SIZE = 100;
/** DeleteTaskDefinitions takes at most 10 revisions. */
export const MAX_DELETE_TASK_DEFINITIONS = 10;

export function toRevisionInfo(td: TaskDefinition): RevisionInfo | undefined {
  if (td.taskDefinitionArn === undefined || td.family === undefined || td.revision === undefined) return undefined;
  return {
    arn: td.taskDefinitionArn,
    family: td.family,
    revision: td.revision,
    status: (td.status ?? 'ACTIVE') as RevisionStatus,
    ...(td.registeredAt === undefined ? {} : { registeredAt: new Date(td.registeredAt).toISOString() }),
    ...(td.deregisteredAt === undefined ? {} : { deregisteredAt: new Date(td.deregisteredAt).toISOString() }),
    images: (td.containerDefinitions ?? []).flatMap((c) => (c.image === undefined ? [] : [c.image])),
  };
}

/**
 * A DeleteTaskDefinitions failure (reason and detail joined) saying ECS does not know the revision:
 * AWS's reason code TASK_DEFINITION_NOT_FOUND, or a message saying it "does not exist" (as moto words it).
 */
export function isUnknownRevision(reason: string): boolean {
  return reason.startsWith('TASK_DEFINITION_NOT_FOUND') || /\bdoes not exist\b/i.test(reason);
}

export class EcsRevisions implements TaskDefinitionRevisions {
  constructor(private readonly client: ECSClient) {}

  async list(family: string, status: 'ACTIVE' | 'INACTIVE', order: 'newest' | 'oldest', limit: number): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const out = await awsCall('ECS:ListTaskDefinitions', () =>
        this.client.send(
          new ListTaskDefinitionsCommand({
            familyPrefix: family,
            status,
            sort: order === 'newest' ? 'DESC' : 'ASC',
            maxResults: ECS_PAGE_SIZE,
            ...(token === undefined ? {} : { nextToken: token }),
          }),
        ),
      );
      // familyPrefix matches the family exactly; keep only this family's ARNs in any case.
      arns.push(...(out.taskDefinitionArns ?? []).filter((a) => a.includes(`:task-definition/${family}:`)));
      nextToken = out.nextToken;
    } while (nextToken !== undefined && arns.length < limit);
    return arns.slice(0, limit);
  }

  async describe(arn: string): Promise<RevisionInfo | undefined> {
    const out = await awsCallExpecting(
      'ECS:DescribeTaskDefinition',
      () => this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
      // ECS answers an unknown (or deleted) revision with ClientException.
      ['ClientException'],
      () => undefined,
    );
    return out?.taskDefinition === undefined ? undefined : toRevisionInfo(out.taskDefinition);
  }

  async deregister(arn: string): Promise<void> {
    await awsCall('ECS:DeregisterTaskDefinition', () => this.client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn })));
  }

  async delete(arns: readonly string[]): Promise<{ deleted: string[]; failures: Array<{ arn: string; reason: string }> }> {
    if (arns.length === 0) return { deleted: [], failures: [] };
    if (arns.length > MAX_DELETE_TASK_DEFINITIONS) {
      throw new ValidationError('DeleteTaskDefinitions', [`taskDefinitions: ${arns.length} given; at most ${MAX_DELETE_TASK_DEFINITIONS} per call`]);
    }
    const out = await awsCall('ECS:DeleteTaskDefinitions', () =>
      this.client.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [...arns] })),
    );
    const failures = (out.failures ?? []).map((f) => ({ arn: f.arn ?? '', reason: [f.reason, f.detail].filter(Boolean).join(': ') }));
    const failed = new Set(failures.map((f) => f.arn));
    // A revision ECS no longer knows is as good as deleted.
    const gone = failures.filter((f) => isUnknownRevision(f.reason)).map((f) => f.arn);
    return {
      deleted: [...arns.filter((a) => !failed.has(a)), ...gone],
      failures: failures.filter((f) => !isUnknownRevision(f.reason)),
    };
  }

  async runningTaskDefinitions(cluster: string, family: string): Promise<string[]> {
    const taskArns: string[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const out = await awsCall('ECS:ListTasks', () =>
        this.client.send(
          new ListTasksCommand({
            cluster,
            family,
            desiredStatus: 'RUNNING',
            maxResults: ECS_PAGE_SIZE,
            ...(token === undefined ? {} : { nextToken: token }),
          }),
        ),
      );
      taskArns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken !== undefined);
    const found = new Set<string>();
    for (let i = 0; i < taskArns.length; i += ECS_PAGE_SIZE) {
      const batch = taskArns.slice(i, i + ECS_PAGE_SIZE);
      const out = await awsCall('ECS:DescribeTasks', () => this.client.send(new DescribeTasksCommand({ cluster, tasks: batch })));
      for (const t of out.tasks ?? []) {
        if (t.lastStatus !== 'STOPPED' && t.taskDefinitionArn !== undefined) found.add(t.taskDefinitionArn);
      }
    }
    return [...found].sort();
  }
}
