import { CloudWatchServiceException, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSServiceException, ServerException, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, ElasticLoadBalancingV2ServiceException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { LISTENER_ARN, setup } from './world.fixtures.js';

const describeShop = new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] });

describe('local world: injected faults', () => {
  it('a throttle fault fails the call once with ThrottlingException (400), then the call succeeds', async () => {
    // Prepare
    const { ecs, world } = setup();
    world.injectFault({ operation: 'ECS:DescribeServices', kind: 'throttle', count: 1 });
    // Act
    const first = ecs.send(describeShop);
    // Assess
    await expect(first).rejects.toThrow(ECSServiceException);
    await expect(first).rejects.toMatchObject({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    await expect(ecs.send(describeShop)).resolves.toMatchObject({ services: [{ serviceName: 'shop' }] });
    expect(world.pendingFaults()).toEqual([]);
  });

  it('ELBv2 throttles with the code Throttling', async () => {
    const { elb, world } = setup();
    world.injectFault({ operation: 'ElasticLoadBalancingV2:*', kind: 'throttle', count: 1 });
    const p = elb.send(new DescribeListenersCommand({ ListenerArns: [LISTENER_ARN] }));
    await expect(p).rejects.toThrow(ElasticLoadBalancingV2ServiceException);
    await expect(p).rejects.toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
  });

  it('a persistent 5xx fails every matching call with the service exception and changes nothing', async () => {
    // Prepare
    const { ecs, world } = setup();
    world.injectFault({ operation: 'ECS:UpdateService', kind: '5xx', count: Number.POSITIVE_INFINITY });
    // Act + Assess
    for (let k = 0; k < 5; k++) {
      await expect(ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', desiredCount: 9 }))).rejects.toThrow(ServerException);
    }
    await expect(ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', desiredCount: 9 }))).rejects.toMatchObject({
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });
    expect((await ecs.send(describeShop)).services?.[0]?.desiredCount).toBe(4);
    expect(world.writeCount({ okOnly: true })).toBe(0);
    expect(world.writeCount()).toBe(6);
  });

  it('a timeout throws TimeoutError like the SDK request handler', async () => {
    const { cw, world } = setup();
    world.injectFault({ operation: 'CloudWatch:DescribeAlarms', kind: 'timeout', count: 1 });
    const p = cw.send(new DescribeAlarmsCommand({}));
    await expect(p).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(p).rejects.not.toBeInstanceOf(CloudWatchServiceException);
    await expect(cw.send(new DescribeAlarmsCommand({}))).resolves.toMatchObject({ MetricAlarms: [] });
  });

  it("'*' matches every service and operation, and fromMs delays a fault", async () => {
    const { ecs, cw, world, clock } = setup();
    world.injectFault({ operation: '*', kind: '5xx', count: 2, fromMs: clock.now() + 60_000 });
    await expect(ecs.send(describeShop)).resolves.toBeDefined();
    await clock.advance(60_000);
    await expect(ecs.send(describeShop)).rejects.toThrow(ServerException);
    await expect(cw.send(new DescribeAlarmsCommand({}))).rejects.toMatchObject({ name: 'InternalServiceFault', $fault: 'server' });
    await expect(ecs.send(describeShop)).resolves.toBeDefined();
  });

  it('a timed-out write that was applied changes the world although the caller saw an error', async () => {
    const { ecs, world } = setup();
    world.injectFault({ operation: 'ECS:UpdateService', kind: 'timeout', count: 1, applied: true });
    await expect(ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', desiredCount: 6 }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect((await ecs.send(describeShop)).services?.[0]?.desiredCount).toBe(6);
  });
});
