/**
 * Application Auto Scaling adapter (ScalableTargets) for ECS services' desired count: read a
 * scalable target, set its bounds, suspend or resume dynamic (target-tracking) scale-in.
 *
 * `ConcurrentUpdateException` (another update of the same target is pending) is transient: it
 * surfaces as AwsUnavailable, which the callers retry.
 */
import {
  type ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { AwsUnavailable } from '../core/errors.js';
import { ECS_DESIRED_COUNT } from '../core/maintenance.js';
import type { ScalableTargetInfo, ScalableTargets } from '../core/ports.js';
import { awsCall, classifyAwsError, isAwsError } from './aws-errors.js';

const NAMESPACE = 'ecs';

async function aasCall<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAwsError(err, 'ConcurrentUpdateException')) {
      const c = classifyAwsError(err, operation);
      throw new AwsUnavailable(c.message, { cause: err, details: c.details });
    }
    throw classifyAwsError(err, operation);
  }
}

export class AppAutoScalingTargets implements ScalableTargets {
  constructor(private readonly client: ApplicationAutoScalingClient) {}

  async describe(resourceId: string): Promise<ScalableTargetInfo | undefined> {
    const out = await awsCall('ApplicationAutoScaling:DescribeScalableTargets', () =>
      this.client.send(
        new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE, ResourceIds: [resourceId], ScalableDimension: ECS_DESIRED_COUNT }),
      ),
    );
    const t = out.ScalableTargets?.find((x) => x.ResourceId === resourceId);
    if (t === undefined || t.MinCapacity === undefined || t.MaxCapacity === undefined) return undefined;
    return {
      resourceId,
      minCapacity: t.MinCapacity,
      maxCapacity: t.MaxCapacity,
      scaleInSuspended: t.SuspendedState?.DynamicScalingInSuspended === true,
    };
  }

  async setBounds(resourceId: string, minCapacity: number, maxCapacity: number): Promise<void> {
    await aasCall('ApplicationAutoScaling:RegisterScalableTarget', () =>
      this.client.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: NAMESPACE,
          ResourceId: resourceId,
          ScalableDimension: ECS_DESIRED_COUNT,
          MinCapacity: minCapacity,
          MaxCapacity: maxCapacity,
        }),
      ),
    );
  }

  /**
   * Suspend or resume dynamic scale-in only. Each SuspendedState flag left out of a
   * RegisterScalableTarget call defaults to false ("SuspendedState", Application Auto Scaling API
   * Reference: "The default is false"), so sending one flag would resume scale-out and scheduled
   * scaling that someone else suspended: the other two are read first and sent back as they are.
   */
  async setScaleInSuspended(resourceId: string, suspended: boolean): Promise<void> {
    const out = await awsCall('ApplicationAutoScaling:DescribeScalableTargets', () =>
      this.client.send(
        new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE, ResourceIds: [resourceId], ScalableDimension: ECS_DESIRED_COUNT }),
      ),
    );
    const current = out.ScalableTargets?.find((x) => x.ResourceId === resourceId)?.SuspendedState;
    await aasCall('ApplicationAutoScaling:RegisterScalableTarget', () =>
      this.client.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: NAMESPACE,
          ResourceId: resourceId,
          ScalableDimension: ECS_DESIRED_COUNT,
          SuspendedState: {
            DynamicScalingInSuspended: suspended,
            DynamicScalingOutSuspended: current?.DynamicScalingOutSuspended === true,
            ScheduledScalingSuspended: current?.ScheduledScalingSuspended === true,
          },
        }),
      ),
    );
  }
}
