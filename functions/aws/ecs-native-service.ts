/**
 * DescribeServices of an ECS-controller service as the native engine reads it (its revision, load
 * balancer and alternate target group, listener rule, Service Connect, placement). Its own module so
 * Inspect (prepare) bundles only this call, not the whole native adapter.
 */
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { LiveStateInvalid } from '../core/errors.js';
import type { NativeServiceInfo } from '../core/ports.js';
import { awsCall } from './aws-errors.js';

export async function describeNativeService(client: ECSClient, cluster: string, service: string): Promise<NativeServiceInfo> {
  const out = await awsCall('ECS:DescribeServices', () => client.send(new DescribeServicesCommand({ cluster, services: [service] })));
  const svc = out.services?.[0];
  if (svc === undefined || svc.status === 'INACTIVE' || svc.status === 'DRAINING') {
    throw new LiveStateInvalid(`ECS service ${service} not found in cluster ${cluster}`, { details: { cluster, service } });
  }
  const lb = svc.loadBalancers?.[0];
  return {
    arn: svc.serviceArn ?? '',
    deploymentController: svc.deploymentController?.type ?? 'ECS',
    desiredCount: svc.desiredCount ?? 0,
    ...(svc.taskDefinition ? { taskDefinitionArn: svc.taskDefinition } : {}),
    ...(lb?.targetGroupArn ? { targetGroupArn: lb.targetGroupArn } : {}),
    ...(lb?.advancedConfiguration?.alternateTargetGroupArn ? { alternateTargetGroupArn: lb.advancedConfiguration.alternateTargetGroupArn } : {}),
    ...(lb?.advancedConfiguration?.productionListenerRule ? { productionListenerRule: lb.advancedConfiguration.productionListenerRule } : {}),
    // Service Connect is per deployment in DescribeServices (Deployment.serviceConnectConfiguration).
    ...((svc.deployments ?? []).some((d) => d.status === 'PRIMARY' && d.serviceConnectConfiguration?.enabled) ? { serviceConnect: true } : {}),
    placement: {
      ...(svc.launchType ? { launchType: svc.launchType } : {}),
      ...(svc.networkConfiguration?.awsvpcConfiguration
        ? {
            networkConfiguration: {
              awsvpcConfiguration: {
                ...(svc.networkConfiguration.awsvpcConfiguration.subnets ? { subnets: [...svc.networkConfiguration.awsvpcConfiguration.subnets] } : {}),
                ...(svc.networkConfiguration.awsvpcConfiguration.securityGroups ? { securityGroups: [...svc.networkConfiguration.awsvpcConfiguration.securityGroups] } : {}),
                ...(svc.networkConfiguration.awsvpcConfiguration.assignPublicIp ? { assignPublicIp: svc.networkConfiguration.awsvpcConfiguration.assignPublicIp } : {}),
              },
            },
          }
        : {}),
    },
  };
}
