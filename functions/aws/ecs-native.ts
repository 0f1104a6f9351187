/**
 * The native engine's adapter (issue #17): ECS's own deployments of an ECS-controller service.
 * UpdateService with the new revision and Cutover's strategy (and its lifecycle hook), then
 * DescribeServiceDeployments / ListServiceDeployments to follow it and StopServiceDeployment
 * (stopType ROLLBACK) to roll it back at once. The service's load balancer, alternate target group
 * and listener rules are the user's: they are read, never written (UpdateService carries no
 * loadBalancers). ECS API reference: UpdateService, DescribeServiceDeployments,
 * ListServiceDeployments, DescribeServiceRevisions, StopServiceDeployment, ContinueServiceDeployment
 * (an approval held by an ECS PAUSE hook).
 */
import {
  ContinueServiceDeploymentCommand,
  type DeploymentConfiguration,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { LiveStateInvalid } from '../core/errors.js';
import type { NativeDeploymentInfo, NativeDeployments, NativeServiceInfo, NativeUpdate } from '../core/ports.js';
import { awsCall, awsCallExpecting } from './aws-errors.js';
import { describeNativeService } from './ecs-native-service.js';

/** Statuses of a service deployment that has not ended (ECS API reference, ServiceDeployment.status). */
export const NATIVE_IN_FLIGHT = ['PENDING', 'IN_PROGRESS', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'STOP_REQUESTED'] as const;

function view(d: ServiceDeployment): NativeDeploymentInfo {
  return {
    arn: d.serviceDeploymentArn ?? '',
    status: d.status ?? 'PENDING',
    ...(d.statusReason ? { statusReason: d.statusReason } : {}),
    ...(d.lifecycleStage ? { lifecycleStage: d.lifecycleStage } : {}),
    ...(d.rollback?.reason ? { rollbackReason: d.rollback.reason } : {}),
    ...(d.alarms?.triggeredAlarmNames?.length ? { triggeredAlarmNames: [...d.alarms.triggeredAlarmNames] } : {}),
    ...(paused(d).length > 0 ? { pausedHookIds: paused(d) } : {}),
  };
}

/** The PAUSE hooks waiting for ContinueServiceDeployment (lifecycleHookDetails, status AWAITING_ACTION). */
const paused = (d: ServiceDeployment): string[] =>
  (d.lifecycleHookDetails ?? []).filter((h) => h.targetType === 'PAUSE' && h.status === 'AWAITING_ACTION' && h.hookId).map((h) => h.hookId as string);

export class EcsNativeDeployments implements NativeDeployments {
  constructor(private readonly client: ECSClient) {}

  async describeService(cluster: string, service: string): Promise<NativeServiceInfo> {
    return describeNativeService(this.client, cluster, service);
  }

  /** The task definition each in-flight deployment targets (DescribeServiceRevisions of their target revisions). */
  private async withTargets(briefs: readonly ServiceDeploymentBrief[]): Promise<NativeDeploymentInfo[]> {
    const arns = briefs.map((b) => b.targetServiceRevisionArn).filter((a): a is string => !!a);
    const revisions = arns.length === 0
      ? []
      : ((await awsCall('ECS:DescribeServiceRevisions', () => this.client.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: arns.slice(0, 20) })))).serviceRevisions ?? []);
    return briefs.map((b) => {
      const td = revisions.find((r) => r.serviceRevisionArn === b.targetServiceRevisionArn)?.taskDefinition;
      return {
        arn: b.serviceDeploymentArn ?? '',
        status: b.status ?? 'PENDING',
        ...(b.statusReason ? { statusReason: b.statusReason } : {}),
        ...(td ? { targetTaskDefinitionArn: td } : {}),
      };
    });
  }

  async listInProgress(cluster: string, service: string): Promise<NativeDeploymentInfo[]> {
    const out = await awsCall('ECS:ListServiceDeployments', () =>
      this.client.send(new ListServiceDeploymentsCommand({ cluster, service, status: [...NATIVE_IN_FLIGHT] })),
    );
    return this.withTargets(out.serviceDeployments ?? []);
  }

  async startDeployment(input: NativeUpdate): Promise<NativeDeploymentInfo> {
    // Idempotent: a retry after UpdateService finds the deployment of this revision in flight.
    const already = (await this.listInProgress(input.cluster, input.service)).find((d) => d.targetTaskDefinitionArn === input.taskDefinitionArn);
    if (already) return already;
    await awsCall('ECS:UpdateService', () =>
      this.client.send(
        new UpdateServiceCommand({
          cluster: input.cluster,
          service: input.service,
          taskDefinition: input.taskDefinitionArn,
          deploymentConfiguration: input.deploymentConfiguration as DeploymentConfiguration,
        }),
      ),
    );
    const started = (await this.listInProgress(input.cluster, input.service)).find((d) => d.targetTaskDefinitionArn === input.taskDefinitionArn);
    if (!started) {
      throw new LiveStateInvalid(`UpdateService of ${input.cluster}/${input.service} to ${input.taskDefinitionArn} started no service deployment (ListServiceDeployments lists none in flight for it)`);
    }
    return started;
  }

  async describeDeployment(arn: string): Promise<NativeDeploymentInfo | undefined> {
    const out = await awsCall('ECS:DescribeServiceDeployments', () => this.client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] })));
    const d = out.serviceDeployments?.[0];
    return d ? view(d) : undefined;
  }

  async continuePause(arn: string, hookId: string): Promise<void> {
    await awsCall('ECS:ContinueServiceDeployment', () => this.client.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId, action: 'CONTINUE' })));
  }

  async stopWithRollback(arn: string): Promise<void> {
    // ConflictException: the deployment already ended (nothing left to stop).
    await awsCallExpecting(
      'ECS:StopServiceDeployment',
      () => this.client.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' })),
      ['ConflictException'],
      () => undefined,
    );
  }
}
