/** ECS service desired count (ServiceCapacity): read it, set it. Task sets follow as percentages. */
import { DescribeServicesCommand, type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { LiveStateInvalid } from '../core/errors.js';
import type { ServiceCapacity, ServiceInfo, TaskSetScales } from '../core/ports.js';
import { awsCall } from './aws-errors.js';
import { describeTaskSetService, updateTaskSetScale } from './ecs.js';

export class EcsServiceCapacity implements ServiceCapacity {
  constructor(private readonly client: ECSClient) {}

  async desiredCount(cluster: string, service: string): Promise<number> {
    const out = await awsCall('ECS:DescribeServices', () => this.client.send(new DescribeServicesCommand({ cluster, services: [service] })));
    const svc = out.services?.[0];
    if (svc === undefined || svc.status === 'INACTIVE' || svc.status === 'DRAINING') {
      throw new LiveStateInvalid(`ECS service ${service} not found in cluster ${cluster}`, { details: { cluster, service } });
    }
    return svc.desiredCount ?? 0;
  }

  /** Only the desired count: on an EXTERNAL service ECS refuses anything else, and nothing else is meant. */
  async setDesiredCount(cluster: string, service: string, desiredCount: number): Promise<void> {
    await awsCall('ECS:UpdateService', () => this.client.send(new UpdateServiceCommand({ cluster, service, desiredCount })));
  }
}

/**
 * A service's task sets and their scales only (DescribeServices, UpdateTaskSet): what the scale
 * handler sets again for a worker's share of tasks after a desired-count change.
 */
export class EcsTaskSetScales implements TaskSetScales {
  constructor(private readonly client: ECSClient) {}

  describeService(cluster: string, service: string): Promise<ServiceInfo> {
    return describeTaskSetService(this.client, cluster, service);
  }

  updateScale(cluster: string, service: string, taskSetId: string, scalePercent: number): Promise<void> {
    return updateTaskSetScale(this.client, cluster, service, taskSetId, scalePercent);
  }
}
