/**
 * ECS's own deployments on the two other traffic shapes the world models (local/world/ecs-native.ts,
 * local/world/native-traffic.ts): a Network Load Balancer (the shift rewrites the NLB listener's
 * weighted forward; AWS/NetworkELB metrics) and Service Connect (the shift happens at the proxy;
 * AWS/ECS Service Connect metrics per discovery name), and the per-version application metrics of a
 * native web service. Driven through real SDK clients bound to the world. No product code.
 */
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  type DeploymentConfiguration,
  StopServiceDeploymentCommand,
} from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import type { HookPayload } from '../../local/world/ecs-native.js';
import { World } from '../../local/world/world.js';
import { ACCOUNT, clientsFor, GOOD, LISTENER_ARN, ManualClock, NEXT, REGION, TG_BLUE, TG_GREEN } from './world.fixtures.js';
import { deployRevision, describeDeployment, runUntil } from './world-native.fixtures.js';

const HOOK = 'arn:aws:lambda:us-east-1:123456789012:function:cutover-hook';
const HOOK_ROLE = 'arn:aws:iam::123456789012:role/ecs-invokes-cutover-hook';
const hook = (stages: string[]) => ({ hookTargetArn: HOOK, roleArn: HOOK_ROLE, lifecycleStages: stages as never });
const NLB_LISTENER = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/net/shop-nlb/0123456789abcdef/aaaabbbbccccdddd`;
const NLB_TEST_LISTENER = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/net/shop-nlb/0123456789abcdef/1111222233334444`;
const MINUTE = 60_000;
const deploy = (world: World, ecs: Parameters<typeof deployRevision>[1], taskDefinitionArn: string, version = 'v2') => deployRevision(world, ecs, taskDefinitionArn, NEXT, version);
const describe1 = describeDeployment;

/** Sum of a metric over minutes [from, to). */
const sumOf = (world: World, ns: string, name: string, dims: Record<string, string>, from: number, to: number) =>
  [...world.cloudwatch.metrics.series(ns, name, dims, 'Sum', MINUTE, from, to).values()].reduce((n, v) => n + v, 0);

function nlbSetup(deploymentConfiguration: DeploymentConfiguration, answer: (p: HookPayload) => unknown = () => ({ hookStatus: 'SUCCEEDED' })) {
  const clock = new ManualClock();
  const world = new World({ clock, seed: 11 });
  const shop = world.createService({
    cluster: 'prod',
    service: 'shop',
    desiredCount: 2,
    listener: { arn: NLB_LISTENER },
    testListenerArn: NLB_TEST_LISTENER,
    targetGroupArns: [TG_BLUE, TG_GREEN],
    containerName: 'web',
    containerPort: 8080,
    initialImage: { repository: 'shop', digest: GOOD },
    requestsPerMinute: 1200,
    deploymentController: 'ECS',
    deploymentConfiguration,
    versionMetrics: { namespace: 'Shop', dimensions: { service: 'shop', version: '{version}' } },
    initialVersion: 'v1',
  });
  const calls: Array<{ at: number; payload: HookPayload }> = [];
  world.setHookInvoker((_arn, payload) => {
    calls.push({ at: clock.now(), payload });
    return answer(payload);
  });
  world.start();
  return { clock, world, shop, calls, ...clientsFor(world) };
}

const listenerWeights = async (elb: ReturnType<typeof clientsFor>['elb'], arn: string) => {
  const l = (await elb.send(new DescribeListenersCommand({ ListenerArns: [arn] }))).Listeners?.[0];
  return Object.fromEntries((l?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups ?? []).map((g) => [g.TargetGroupArn, g.Weight]));
};

describe('local world: ECS-controller services behind a Network Load Balancer', () => {
  it('canary: the NLB listener moves 0 -> 10 -> 100 on green, with ECS\'s 10-minute delay at each shift, the hook payload weights, and NLB metrics only', async () => {
    // Prepare
    const ctx = nlbSetup({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 }, bakeTimeInMinutes: 1, lifecycleHooks: [hook(['PRE_PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT'])] });
    const { world, clock, elb, ecs, shop, calls } = ctx;
    expect(shop.loadBalancerFullName).toMatch(/^net\/shop-nlb\/0123456789abcdef$/);
    expect(await listenerWeights(elb, NLB_LISTENER)).toEqual({ [TG_BLUE]: 100, [TG_GREEN]: 0 });
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] }))).services?.[0];
    expect(svc?.loadBalancers?.[0]?.advancedConfiguration).toMatchObject({ productionListenerRule: NLB_LISTENER, testListenerRule: NLB_TEST_LISTENER, alternateTargetGroupArn: TG_GREEN });
    const start = clock.now();
    // Act
    const arn = await deploy(world, ecs, shop.taskDefinitionArn as string);
    const seen: Array<Record<string, number | undefined>> = [];
    await runUntil(clock, async () => {
      const w = await listenerWeights(elb, NLB_LISTENER);
      if (JSON.stringify(seen.at(-1)) !== JSON.stringify(w)) seen.push(w);
      return (await describe1(ecs, arn)).status === 'SUCCESSFUL';
    });
    await clock.advance(2 * MINUTE);
    // Assess: the listener's weighted forward, step by step
    expect(seen).toEqual([
      { [TG_BLUE]: 100, [TG_GREEN]: 0 },
      { [TG_BLUE]: 90, [TG_GREEN]: 10 },
      { [TG_BLUE]: 0, [TG_GREEN]: 100 },
    ]);
    // The test listener moved to green too (TEST_TRAFFIC_SHIFT).
    expect(await listenerWeights(elb, NLB_TEST_LISTENER)).toMatchObject({ [TG_GREEN]: 100 });
    // Hooks: PRE_PRODUCTION then PRODUCTION per step, the PRODUCTION one 10 min after the shift.
    const stages = calls.map((c) => c.payload.lifecycleStage);
    expect(stages).toEqual(['PRE_PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'PRE_PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT']);
    expect((calls[1]?.at as number) - (calls[0]?.at as number)).toBeGreaterThanOrEqual(10 * MINUTE);
    const target = calls[1]?.payload.executionDetails.targetServiceRevisionArn as string;
    const weightsAt = calls.map((c) => c.payload.executionDetails.productionTrafficWeights[target]);
    expect(weightsAt).toEqual([0, 10, 10, 100]);
    // Metrics: AWS/NetworkELB (host counts per target group, flows per load balancer), no ALB metric.
    const lb = shop.loadBalancerFullName;
    const end = clock.now();
    expect(sumOf(world, 'AWS/NetworkELB', 'NewFlowCount', { LoadBalancer: lb }, start, end)).toBeGreaterThan(1000);
    expect(world.cloudwatch.metrics.series('AWS/NetworkELB', 'HealthyHostCount', { TargetGroup: 'targetgroup/shop-green/2222222222222222', LoadBalancer: lb }, 'Maximum', MINUTE, start, end).size).toBeGreaterThan(0);
    expect(sumOf(world, 'AWS/ApplicationELB', 'RequestCount', { LoadBalancer: lb }, start, end)).toBe(0);
    expect(sumOf(world, 'AWS/NetworkELB', 'RequestCount', { LoadBalancer: lb }, start, end)).toBe(0);
  });

  it('per-version metrics follow the listener weights: v2 serves about 10 % during the canary, all after, v1 none after', async () => {
    // Prepare
    const ctx = nlbSetup({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 15 }, bakeTimeInMinutes: 0 });
    const { world, clock, elb, ecs, shop, cw } = ctx;
    // Act
    const arn = await deploy(world, ecs, shop.taskDefinitionArn as string);
    await runUntil(clock, async () => (await listenerWeights(elb, NLB_LISTENER))[TG_GREEN] === 10);
    const canaryFrom = Math.ceil(clock.now() / MINUTE) * MINUTE;
    await clock.advance(12 * MINUTE);
    const canaryTo = Math.floor(clock.now() / MINUTE) * MINUTE;
    await runUntil(clock, async () => (await describe1(ecs, arn)).status === 'SUCCESSFUL');
    const afterFrom = Math.ceil(clock.now() / MINUTE) * MINUTE + MINUTE;
    await clock.advance(6 * MINUTE);
    const afterTo = Math.floor(clock.now() / MINUTE) * MINUTE;
    // Assess (through GetMetricData, as analysis.metrics reads them)
    const read = async (version: string, from: number, to: number) => {
      const out = await cw.send(
        new GetMetricDataCommand({
          StartTime: new Date(from),
          EndTime: new Date(to),
          MetricDataQueries: [{ Id: 'r', MetricStat: { Metric: { Namespace: 'Shop', MetricName: 'Requests', Dimensions: [{ Name: 'service', Value: 'shop' }, { Name: 'version', Value: version }] }, Period: 60, Stat: 'Sum' } }],
        }),
      );
      return (out.MetricDataResults?.[0]?.Values ?? []).reduce((n, v) => n + v, 0);
    };
    const v2Canary = await read('v2', canaryFrom, canaryTo);
    const v1Canary = await read('v1', canaryFrom, canaryTo);
    expect(v2Canary / (v1Canary + v2Canary)).toBeGreaterThan(0.07);
    expect(v2Canary / (v1Canary + v2Canary)).toBeLessThan(0.13);
    expect(v1Canary + v2Canary).toBeGreaterThan(1200 * 10 * 0.95);
    expect(await read('v1', afterFrom, afterTo)).toBe(0);
    expect(await read('v2', afterFrom, afterTo)).toBeGreaterThanOrEqual(1200 * 4);
  });

  it('a hook answering FAILED after the canary step puts the listener back on blue (rollback)', async () => {
    // Prepare
    const ctx = nlbSetup({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 20, canaryBakeTimeInMinutes: 5 }, lifecycleHooks: [hook(['PRODUCTION_TRAFFIC_SHIFT'])] }, () => ({ hookStatus: 'FAILED' }));
    const { world, clock, elb, ecs, shop } = ctx;
    // Act
    const arn = await deploy(world, ecs, shop.taskDefinitionArn as string);
    let sawCanary = false;
    await runUntil(clock, async () => {
      if ((await listenerWeights(elb, NLB_LISTENER))[TG_GREEN] === 20) sawCanary = true;
      return (await describe1(ecs, arn)).status === 'ROLLBACK_SUCCESSFUL';
    });
    // Assess
    expect(sawCanary).toBe(true);
    expect(await listenerWeights(elb, NLB_LISTENER)).toEqual({ [TG_BLUE]: 100, [TG_GREEN]: 0 });
    expect((await describe1(ecs, arn)).statusReason).toMatch(/FAILED at PRODUCTION_TRAFFIC_SHIFT/);
  });

  describe('strict where ELB and ECS are strict', () => {
    it('an NLB listener takes TCP-family protocols and a single forward to TCP target groups', async () => {
      const { elb, world } = nlbSetup({ strategy: 'BLUE_GREEN' });
      // An ALB with its HTTP target group beside the NLB.
      world.createService({ cluster: 'prod', service: 'web', desiredCount: 1, listener: { arn: LISTENER_ARN }, containerName: 'web', containerPort: 80, requestsPerMinute: 0, initialImage: { repository: 'web', digest: GOOD } });
      const httpTg = world.elb.targetGroupArns().find((a) => a.includes('targetgroup/web-blue/')) as string;
      await expect(elb.send(new ModifyListenerCommand({ ListenerArn: NLB_LISTENER, Protocol: 'HTTP' }))).rejects.toMatchObject({ name: 'InvalidConfigurationRequestException', message: expect.stringMatching(/not supported for load balancers of type 'network'/) });
      await expect(
        elb.send(new ModifyListenerCommand({ ListenerArn: NLB_LISTENER, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }] })),
      ).rejects.toMatchObject({ name: 'InvalidLoadBalancerActionException' });
      await expect(elb.send(new ModifyListenerCommand({ ListenerArn: NLB_LISTENER, DefaultActions: [{ Type: 'forward', TargetGroupArn: httpTg }] }))).rejects.toMatchObject({
        name: 'InvalidConfigurationRequestException',
        message: expect.stringMatching(/\(HTTP\) is not supported by a load balancer of type 'network'/),
      });
      await expect(
        elb.send(new ModifyListenerCommand({ ListenerArn: NLB_LISTENER, DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_BLUE, Weight: 1000 }, { TargetGroupArn: TG_GREEN, Weight: 0 }] } }] })),
      ).rejects.toMatchObject({ name: 'ValidationError' });
      // A weighted forward to both TCP groups is accepted and read back as given.
      await elb.send(new ModifyListenerCommand({ ListenerArn: NLB_LISTENER, DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_BLUE, Weight: 70 }, { TargetGroupArn: TG_GREEN, Weight: 30 }] } }] }));
      expect(await listenerWeights(elb, NLB_LISTENER)).toEqual({ [TG_BLUE]: 70, [TG_GREEN]: 30 });
    });

    it('advancedConfiguration: an ALB takes a listener rule, an NLB its listener (and a test listener of the same NLB, not the production one)', () => {
      const { world } = nlbSetup({ strategy: 'BLUE_GREEN' });
      const alb = world.createService({ cluster: 'prod', service: 'web', desiredCount: 1, listener: { arn: LISTENER_ARN }, containerName: 'web', containerPort: 80, requestsPerMinute: 0, initialImage: { repository: 'web', digest: GOOD } });
      const seed = (name: string, lb: { targetGroupArn: string; alternate: string; prod: string; test?: string }) => {
        world.ecs.seedService({ cluster: 'prod', service: name, desiredCount: 1, taskDefinitionArn: alb.taskDefinitionArn as string, containerName: 'web', containerPort: 80, runningSinceMs: MINUTE, controller: 'ECS' });
        return () =>
          world.native.register({
            cluster: 'prod',
            service: name,
            loadBalancers: [{ targetGroupArn: lb.targetGroupArn, containerName: 'web', containerPort: 80, advancedConfiguration: { alternateTargetGroupArn: lb.alternate, productionListenerRule: lb.prod, ...(lb.test ? { testListenerRule: lb.test } : {}), roleArn: HOOK_ROLE } }],
            deploymentConfiguration: { strategy: 'CANARY' },
          });
      };
      const [albBlue, albGreen] = alb.targetGroupArns;
      expect(seed('a', { targetGroupArn: albBlue, alternate: albGreen, prod: LISTENER_ARN })).toThrow(/is an Application Load Balancer listener; for an ALB give a listener rule's ARN/);
      expect(seed('b', { targetGroupArn: TG_BLUE, alternate: TG_GREEN, prod: NLB_LISTENER, test: NLB_LISTENER })).toThrow(/testListenerRule must be another listener than productionListenerRule/);
      expect(seed('c', { targetGroupArn: TG_BLUE, alternate: TG_GREEN, prod: NLB_LISTENER, test: LISTENER_ARN })).toThrow(/must be a listener ARN of the same Network Load Balancer/);
      expect(seed('d', { targetGroupArn: albBlue, alternate: TG_GREEN, prod: NLB_LISTENER })).toThrow(/target groups of a Network Load Balancer service must use TCP/);
    });
  });
});

function meshSetup(deploymentConfiguration: DeploymentConfiguration) {
  const clock = new ManualClock();
  const world = new World({ clock, seed: 5 });
  const shop = world.createWorkerService({
    cluster: 'prod',
    service: 'shop',
    desiredCount: 2,
    containerName: 'web',
    initialImage: { repository: 'shop', digest: GOOD },
    initialVersion: 'v1',
    deploymentController: 'ECS',
    deploymentConfiguration,
    serviceConnect: { namespace: 'prod.local', discoveryName: 'shop', port: 8080, requestsPerMinute: 1200 },
    versionMetrics: { namespace: 'Shop' },
  });
  const calls: Array<{ at: number; payload: HookPayload }> = [];
  world.setHookInvoker((_arn, payload) => {
    calls.push({ at: clock.now(), payload });
    return { hookStatus: 'SUCCEEDED' };
  });
  world.start();
  return { clock, world, shop, calls, ...clientsFor(world) };
}

describe('local world: ECS-controller services with Service Connect', () => {
  it('linear: the production weights step 25/50/75/100 at the proxy (hook payload, DescribeServiceDeployments), per-version requests follow, Service Connect metrics per discovery name', async () => {
    // Prepare
    const ctx = meshSetup({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 5 }, bakeTimeInMinutes: 1, lifecycleHooks: [hook(['PRODUCTION_TRAFFIC_SHIFT'])] });
    const { world, clock, ecs, shop, calls } = ctx;
    expect(world.native.shapeOfService(shop.serviceArn)).toBe('service-connect');
    const rev = (await ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [shop.serviceRevisionArn as string] }))).serviceRevisions?.[0];
    expect(rev?.serviceConnectConfiguration).toMatchObject({ enabled: true, namespace: 'prod.local', services: [{ portName: 'http', discoveryName: 'shop', clientAliases: [{ port: 8080, dnsName: 'shop' }] }] });
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] }))).services?.[0];
    expect(svc?.deployments?.find((d) => d.status === 'PRIMARY')?.serviceConnectConfiguration?.enabled).toBe(true);
    const start = clock.now();
    // Act
    const arn = await deploy(world, ecs, shop.taskDefinitionArn as string);
    const requested: number[] = [];
    const v2Share: number[] = [];
    let lastMinute = 0;
    await runUntil(clock, async () => {
      const d = await describe1(ecs, arn);
      const w = d.targetServiceRevision?.requestedProductionTrafficWeight ?? 0;
      if (requested.at(-1) !== w) requested.push(w);
      const minute = Math.floor(clock.now() / MINUTE) * MINUTE - MINUTE;
      if (minute > lastMinute) {
        lastMinute = minute;
        const v1 = sumOf(world, 'Shop', 'Requests', { service: 'shop', version: 'v1' }, minute, minute + MINUTE);
        const v2 = sumOf(world, 'Shop', 'Requests', { service: 'shop', version: 'v2' }, minute, minute + MINUTE);
        if (v1 + v2 > 0) v2Share.push(Math.round((100 * v2) / (v1 + v2)));
      }
      return d.status === 'SUCCESSFUL';
    });
    await clock.advance(3 * MINUTE);
    // Assess
    expect(requested).toEqual([0, 25, 50, 75, 100]);
    const target = calls[0]?.payload.executionDetails.targetServiceRevisionArn as string;
    expect(calls.map((c) => c.payload.executionDetails.productionTrafficWeights[target])).toEqual([25, 50, 75, 100]);
    expect(calls[1]?.payload.executionDetails.productionTrafficWeights[shop.serviceRevisionArn as string]).toBe(50);
    // Whole minutes inside each step carry that step's share of the requests; after the deployment, all.
    for (const step of [25, 50, 75]) expect(v2Share.filter((x) => x === step).length).toBeGreaterThanOrEqual(3);
    expect(v2Share).toEqual([...v2Share].sort((a, b) => a - b));
    const lastMinute2 = Math.floor(clock.now() / MINUTE) * MINUTE - MINUTE;
    expect(sumOf(world, 'Shop', 'Requests', { service: 'shop', version: 'v1' }, lastMinute2, lastMinute2 + MINUTE)).toBe(0);
    expect(sumOf(world, 'Shop', 'Requests', { service: 'shop', version: 'v2' }, lastMinute2, lastMinute2 + MINUTE)).toBe(1200);
    // Service Connect metrics: per discovery name (no per-revision series), in AWS/ECS.
    const end = clock.now();
    const requests = sumOf(world, 'AWS/ECS', 'RequestCount', { ClusterName: 'prod', ServiceName: 'shop', DiscoveryName: 'shop' }, start, end);
    expect(requests).toBeGreaterThanOrEqual(1200 * 18);
    expect(requests % 1200).toBe(0);
    expect(sumOf(world, 'AWS/ECS', 'RequestCount', { DiscoveryName: 'shop' }, start, end)).toBe(requests);
    expect(world.cloudwatch.metrics.series('AWS/ECS', 'TargetResponseTime', { TargetDiscoveryName: 'shop' }, 'Average', MINUTE, start, end).size).toBe(requests / 1200);
  });

  it('StopServiceDeployment mid-step puts all traffic back on the source revision; v2 then serves nothing', async () => {
    // Prepare
    const ctx = meshSetup({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 30, stepBakeTimeInMinutes: 10 } });
    const { world, clock, ecs, shop } = ctx;
    // Act
    const arn = await deploy(world, ecs, shop.taskDefinitionArn as string);
    await runUntil(clock, async () => (await describe1(ecs, arn)).targetServiceRevision?.requestedProductionTrafficWeight === 30);
    await clock.advance(3 * MINUTE);
    await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }));
    await runUntil(clock, async () => (await describe1(ecs, arn)).status === 'ROLLBACK_SUCCESSFUL');
    const from = Math.ceil(clock.now() / MINUTE) * MINUTE + MINUTE;
    await clock.advance(5 * MINUTE);
    // Assess
    expect(world.native.productionSharesAt(shop.serviceArn, clock.now()).filter((x) => x.weight > 0)).toEqual([expect.objectContaining({ revisionArn: shop.serviceRevisionArn, weight: 100 })]);
    expect(sumOf(world, 'Shop', 'Requests', { service: 'shop', version: 'v2' }, from, clock.now())).toBe(0);
    expect(sumOf(world, 'Shop', 'Requests', { service: 'shop', version: 'v1' }, from, clock.now())).toBeGreaterThanOrEqual(1200 * 3);
  });

  it('refuses a Service Connect service whose portName is not a port mapping of the task definition, or without a namespace', () => {
    const clock = new ManualClock();
    const world = new World({ clock, seed: 5 });
    const base = world.createWorkerService({ cluster: 'prod', service: 'base', desiredCount: 1, containerName: 'web', initialImage: { repository: 'shop', digest: GOOD } });
    world.ecs.seedService({ cluster: 'prod', service: 'x', desiredCount: 1, taskDefinitionArn: base.taskDefinitionArn as string, containerName: 'web', containerPort: 0, runningSinceMs: MINUTE, controller: 'ECS' });
    expect(() => world.native.register({ cluster: 'prod', service: 'x', serviceConnectConfiguration: { enabled: true, namespace: 'prod.local', services: [{ portName: 'http', discoveryName: 'x' }] } })).toThrow(
      /portName 'http' is not the name of a port mapping/,
    );
    expect(() => world.native.register({ cluster: 'prod', service: 'x', serviceConnectConfiguration: { enabled: true, services: [{ portName: 'http' }] } })).toThrow(/namespace is required/);
  });
});
