/**
 * Adapter contract: one table of cases, one per port method of the adapters in functions/aws, run
 * against the in-memory world (local/world) and against moto, an independent implementation of the
 * AWS APIs (through moto-proxy.ts, which fills moto's named gaps). Both must answer the same way.
 * Where they disagree, the case names the AWS documentation or API model that decides, and the
 * world follows AWS; where moto is the one that departs from AWS, the gap is named where it is
 * worked around (moto-proxy.ts, moto-world.ts) and no assertion is weakened for it.
 *
 * The DynamoDB store runs the same way against dynalite (the local runtime's store) and moto's
 * DynamoDB.
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import {
  type DeploymentConfiguration,
  DescribeServicesCommand,
  ECSClient,
  type NetworkConfiguration,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { type Action, CreateTargetGroupCommand, DescribeRulesCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppAutoScalingTargets } from '../../functions/aws/autoscaling.js';
import { CloudWatchAlarms, CloudWatchMetrics } from '../../functions/aws/cloudwatch.js';
import { EcrImages } from '../../functions/aws/ecr.js';
import { EcrImageInventory } from '../../functions/aws/ecr-images.js';
import { EcsTaskDefinitions, EcsTasks, EcsTaskSets } from '../../functions/aws/ecs.js';
import { EcsServiceCapacity } from '../../functions/aws/ecs-capacity.js';
import { EcsNativeDeployments, NATIVE_IN_FLIGHT } from '../../functions/aws/ecs-native.js';
import { describeNativeService } from '../../functions/aws/ecs-native-service.js';
import { EcsRevisions } from '../../functions/aws/ecs-revisions.js';
import { ElbTargetHealth, ElbTrafficRouter } from '../../functions/aws/elb.js';
import { EventBridgePublisher } from '../../functions/aws/events.js';
import { DynamoReleaseStore } from '../../functions/aws/release-store.js';
import { DynamoStore } from '../../functions/aws/store.js';
import { DynamoMaintenanceStore } from '../../functions/aws/store-maintenance.js';
import { createStoreTable } from '../../functions/aws/store-table.js';
import { ConflictError, LiveStateInvalid, ValidationError } from '../../functions/core/errors.js';
import type { DeploymentRecord, Route } from '../../functions/core/model.js';
import { strategyFor } from '../../functions/core/native.js';
import type { ReleaseRecord } from '../../functions/core/release.js';
import { scaleFor, taskShare, trafficFor, versionQueries } from '../../functions/core/traffic.js';
import { VirtualClockImpl } from '../../local/clock.js';
import { World } from '../../local/world/index.js';
import { startDynalite } from '../helpers/dynalite.js';
import {
  ACCOUNT,
  createEventBus,
  createNetwork,
  createRepository,
  createService,
  createWorkerService,
  imageManifest,
  motoClients,
} from './moto-world.js';
import { type MotoProxy, startMotoProxy } from './moto-proxy.js';

const REGION = 'us-west-2';
const CREDENTIALS = { accessKeyId: 'conformance', secretAccessKey: 'conformance' };

/** What every case needs from a backend: clients and the ARNs and names of its world. */
interface Backend {
  readonly name: 'world' | 'moto';
  readonly ecs: ECSClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly ecr: ECRClient;
  readonly autoscaling: ApplicationAutoScalingClient;
  readonly events: EventBridgeClient;
  readonly cluster: string;
  readonly service: string;
  readonly family: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly desiredCount: number;
  readonly route: Route;
  readonly targetGroupArns: readonly [string, string];
  /** A target group of the same VPC that no listener or rule forwards to. */
  readonly spareTargetGroupArn: string;
  readonly loadBalancerFullName: string;
  readonly targetGroupFullNames: readonly [string, string];
  readonly taskDefinitionArn: string;
  readonly blueTaskSetId: string;
  readonly alarms: readonly string[];
  readonly repository: string;
  /** v1 (running), v2 (scanned clean), v3 (scanned with 2 CRITICAL), v4 (never scanned). */
  readonly digests: readonly [string, string, string, string];
  readonly resourceId: string;
  /** Datapoints for ALB metrics as AWS would publish them (moto: PutMetricData; world: its traffic model). */
  readonly windowMs: readonly [number, number];
  /**
   * A worker (issue #18): a service with no load balancer, 3 tasks in one task set at 100 %, whose
   * revision carries CUTOVER_VERSION `initial`; its application published ten minutes of
   * `Orders` metrics tagged with that version over `windowMs` (moto: PutMetricData; world: its
   * worker model, 600 messages a minute).
   */
  readonly worker: { readonly cluster: string; readonly service: string; readonly desiredCount: number; readonly containerName: string; readonly taskDefinitionArn: string; readonly blueTaskSetId: string };
  /**
   * An ECS-controller service (issue #17, ECS's own deployments), cluster `native`, service `web`:
   * revision 1 of family `web` running on FARGATE, 4 tasks, its load balancer blue's target group
   * with advancedConfiguration { alternateTargetGroupArn: green, productionListenerRule: its path
   * rule }. The world's Lambda lifecycle hooks answer IN_PROGRESS (a gate held), so a deployment
   * stays in flight until it is stopped.
   */
  readonly native: {
    readonly cluster: string;
    readonly service: string;
    readonly serviceArn: string;
    readonly desiredCount: number;
    readonly containerName: string;
    readonly taskDefinitionArn: string;
    readonly targetGroupArns: readonly [string, string];
    readonly productionListenerRule: string;
  };
}

/** The worker's application metrics, per version (`{version}` as a worker's config names them). */
const WORKER_METRICS = {
  processed: { namespace: 'Orders', metricName: 'MessagesProcessed', dimensions: { service: 'orders', version: '{version}' } },
  errors: { namespace: 'Orders', metricName: 'MessagesFailed', dimensions: { service: 'orders', version: '{version}' } },
  latency: { namespace: 'Orders', metricName: 'ProcessingTime', dimensions: { service: 'orders', version: '{version}' } },
};

const secrets = (family: string) => [
  { name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${family}/db-AbCdEf` },
  { name: 'API_KEY', valueFrom: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${family}/api-key` },
];

async function worldBackend(): Promise<Backend & { world: World }> {
  const clock = new VirtualClockImpl();
  const world = new World({ clock, accountId: ACCOUNT, region: REGION, seed: 7 });
  const config = { region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
  const client = <C extends { middlewareStack: { use(p: unknown): void } }>(c: C): C => {
    c.middlewareStack.use(world.plugin);
    return c;
  };
  const digests = ['v1', 'v2', 'v3', 'v4'].map((v) => imageManifest(`world/${v}`).digest) as [string, string, string, string];
  const seeded = world.createService({
    cluster: 'shop',
    service: 'api',
    desiredCount: 4,
    rule: {},
    containerName: 'app',
    containerPort: 8080,
    initialImage: { repository: 'shop/api', digest: digests[0], tag: 'v1' },
    stickiness: { enabled: true, durationSeconds: 300 },
    taskDefinition: {
      family: 'api',
      environment: [
        { name: 'PORT', value: '8080' },
        { name: 'LOG_LEVEL', value: 'info' },
      ],
      secrets: secrets('api'),
      tags: [
        { key: 'team', value: 'payments' },
        { key: 'service', value: 'api' },
      ],
    },
  });
  const spare = world.elb.ensureTargetGroup({ name: 'api-spare', port: 8080 });
  const worker = world.createWorkerService({
    cluster: 'jobs',
    service: 'orders',
    desiredCount: 3,
    containerName: 'worker',
    initialImage: { repository: 'shop/api', digest: digests[0] },
    metrics: { namespace: 'Orders', processedPerMinute: 600, dimensions: { service: 'orders', version: '{version}' } },
  });
  const web = world.createService({
    cluster: 'native',
    service: 'web',
    desiredCount: 4,
    rule: {},
    containerName: 'app',
    containerPort: 8080,
    initialImage: { repository: 'shop/api', digest: digests[0] },
    deploymentController: 'ECS',
    deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1 },
  });
  // A Service Connect service (no load balancer): the world-only case of moto gap 14.
  world.createWorkerService({
    cluster: 'native',
    service: 'catalog',
    desiredCount: 2,
    containerName: 'app',
    initialImage: { repository: 'shop/api', digest: digests[0] },
    deploymentController: 'ECS',
    serviceConnect: { namespace: 'shop.local', discoveryName: 'catalog', port: 8080 },
  });
  // Cutover's hook holds its gate: every lifecycle hook answers IN_PROGRESS.
  world.setHookInvoker(() => ({ hookStatus: 'IN_PROGRESS', callBackDelay: 60 }));
  world.pushImage('shop/api', digests[1], ['v2']);
  world.pushImage('shop/api', digests[2], ['v3'], { scan: { status: 'COMPLETE', findingSeverityCounts: { CRITICAL: 2 } } });
  world.pushImage('shop/api', digests[3], ['v4'], { scan: null });
  const alarms = ['api-5xx-blue', 'api-5xx-green', 'api-latency'];
  world.createAlarm({ name: alarms[0] as string, metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: seeded.targetGroupArns[0], threshold: 10 });
  world.createAlarm({ name: alarms[1] as string, metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: seeded.targetGroupArns[1], threshold: 10 });
  world.createAlarm({ name: alarms[2] as string, metric: 'TargetResponseTime', targetGroupArn: seeded.targetGroupArns[0], threshold: 1.5, statistic: 'Average' });
  const autoscaling = client(new ApplicationAutoScalingClient(config));
  await autoscaling.send(
    new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: 'service/shop/api', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 10 }),
  );
  // Ten minutes of traffic: the world publishes its ALB metrics per minute as AWS does.
  const start = clock.now();
  await runWorld(world, 11 * 60);
  const tgFull = seeded.targetGroupArns.map((a) => a.slice(a.indexOf(':targetgroup/') + 1)) as unknown as [string, string];
  return {
    name: 'world',
    world,
    ecs: client(new ECSClient(config)),
    elb: client(new ElasticLoadBalancingV2Client(config)),
    cloudwatch: client(new CloudWatchClient(config)),
    ecr: client(new ECRClient(config)),
    autoscaling,
    events: client(new EventBridgeClient(config)),
    cluster: 'shop',
    service: 'api',
    family: 'api',
    containerName: 'app',
    containerPort: 8080,
    desiredCount: 4,
    route: { kind: 'rule', arn: seeded.ruleArn as string },
    targetGroupArns: seeded.targetGroupArns,
    spareTargetGroupArn: spare.arn,
    loadBalancerFullName: seeded.loadBalancerFullName,
    targetGroupFullNames: tgFull,
    taskDefinitionArn: seeded.taskDefinitionArn as string,
    blueTaskSetId: seeded.taskSetId as string,
    alarms,
    repository: 'shop/api',
    digests,
    resourceId: 'service/shop/api',
    windowMs: [start, start + 10 * 60_000],
    worker: {
      cluster: 'jobs',
      service: 'orders',
      desiredCount: 3,
      containerName: 'worker',
      taskDefinitionArn: worker.taskDefinitionArn as string,
      blueTaskSetId: worker.taskSetId as string,
    },
    native: {
      cluster: 'native',
      service: 'web',
      serviceArn: web.serviceArn,
      desiredCount: 4,
      containerName: 'app',
      taskDefinitionArn: web.taskDefinitionArn as string,
      targetGroupArns: web.targetGroupArns,
      productionListenerRule: web.ruleArn as string,
    },
  };
}

async function motoBackend(proxy: MotoProxy): Promise<Backend> {
  const c = motoClients(proxy.endpoint, REGION);
  const network = await createNetwork(proxy.endpoint, REGION);
  const [v1, v2, v3] = await createRepository(c, proxy.endpoint, REGION, 'shop/api', [
    { seed: 'moto/v1', tag: 'v1' },
    { seed: 'moto/v2', tag: 'v2' },
    { seed: 'moto/v3', tag: 'v3', scan: { CRITICAL: 2 } },
    { seed: 'moto/v4', tag: 'v4', scan: null },
  ]);
  const v4 = imageManifest('moto/v4').digest;
  const s = await createService(c, REGION, network, { name: 'api', cluster: 'shop', route: 'rule', testListener: true, repository: 'shop/api', digest: v1 as string });
  await createEventBus(c, 'cutover');
  const spare = (
    await c.elb.send(new CreateTargetGroupCommand({ Name: 'api-spare', Protocol: 'HTTP', Port: 8080, VpcId: network.vpcId, TargetType: 'ip' }))
  ).TargetGroups?.[0]?.TargetGroupArn as string;
  // ALB metrics as AWS publishes them for ten minutes of traffic (moto has no load balancer traffic).
  const start = Date.UTC(2026, 0, 1, 12, 0);
  for (const [i, tg] of s.targetGroupFullNames.entries()) {
    const dims = [
      { Name: 'LoadBalancer', Value: s.loadBalancerFullName },
      { Name: 'TargetGroup', Value: tg },
    ];
    await c.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/ApplicationELB',
        MetricData: Array.from({ length: 10 }, (_, m) => [
          { MetricName: 'RequestCount', Dimensions: dims, Timestamp: new Date(start + m * 60_000), Value: i === 0 ? 600 : 0, Unit: 'Count' as const },
          { MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: dims, Timestamp: new Date(start + m * 60_000), Value: i === 0 ? 1 : 0, Unit: 'Count' as const },
          { MetricName: 'TargetResponseTime', Dimensions: dims, Timestamp: new Date(start + m * 60_000), Value: 0.08, Unit: 'Seconds' as const },
        ]).flat(),
      }),
    );
  }
  // The worker, and the metrics its application published per version (moto has no application).
  const w = await createWorkerService(c, REGION, network, { name: 'orders', cluster: 'jobs', repository: 'shop/api', digest: v1 as string });
  // The ECS-controller service (issue #17).
  const web = await createService(c, REGION, network, { name: 'web', cluster: 'native', route: 'rule', controller: 'ECS', repository: 'shop/api', digest: v1 as string });
  const versionDims = [
    { Name: 'service', Value: 'orders' },
    { Name: 'version', Value: 'initial' },
  ];
  await c.cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: 'Orders',
      MetricData: Array.from({ length: 10 }, (_, m) => [
        { MetricName: 'MessagesProcessed', Dimensions: versionDims, Timestamp: new Date(start + m * 60_000), Value: 600, Unit: 'Count' as const },
        { MetricName: 'MessagesFailed', Dimensions: versionDims, Timestamp: new Date(start + m * 60_000), Value: 1, Unit: 'Count' as const },
        { MetricName: 'ProcessingTime', Dimensions: versionDims, Timestamp: new Date(start + m * 60_000), Value: 120, Unit: 'Milliseconds' as const },
      ]).flat(),
    }),
  );
  return {
    name: 'moto',
    ...c,
    cluster: s.cluster,
    service: s.service,
    family: s.family,
    containerName: s.containerName,
    containerPort: s.containerPort,
    desiredCount: s.desiredCount,
    route: { kind: 'rule', arn: s.ruleArn as string },
    targetGroupArns: s.targetGroupArns,
    spareTargetGroupArn: spare,
    loadBalancerFullName: s.loadBalancerFullName,
    targetGroupFullNames: s.targetGroupFullNames,
    taskDefinitionArn: s.taskDefinitionArn,
    blueTaskSetId: s.taskSetId as string,
    alarms: s.alarms,
    repository: 'shop/api',
    digests: [v1, v2, v3, v4] as [string, string, string, string],
    resourceId: s.scalableResourceId,
    windowMs: [start, start + 10 * 60_000],
    worker: { cluster: w.cluster, service: w.service, desiredCount: w.desiredCount, containerName: w.containerName, taskDefinitionArn: w.taskDefinitionArn, blueTaskSetId: w.taskSetId },
    native: {
      cluster: web.cluster,
      service: web.service,
      serviceArn: web.serviceArn,
      desiredCount: web.desiredCount,
      containerName: web.containerName,
      taskDefinitionArn: web.taskDefinitionArn,
      targetGroupArns: web.targetGroupArns,
      productionListenerRule: web.ruleArn as string,
    },
  };
}

/** State shared by the cases of one backend, in order (green is created by one case and used by the next). */
interface Run {
  greenTaskSetId?: string;
  revision2?: string;
  /** The worker's green task set (created with no load balancer). */
  workerGreenTaskSetId?: string;
  /** Revision 2 of the ECS-controller service's family. */
  nativeRevision2?: string;
  /** The service deployment startDeployment started (world). */
  nativeDeploymentArn?: string;
}

interface Case {
  /** `Port.method`: the adapter method under contract. */
  readonly port: string;
  readonly behaviour: string;
  readonly run: (b: Backend, r: Run) => Promise<void>;
  /**
   * Run on the world only, with the moto gap that rules moto out named here (moto cannot produce
   * what AWS would answer, and the proxy would only be answering its own question).
   */
  readonly worldOnly?: string;
}

/** An image of the shared repository by digest (`digests[i]`), as Cutover names one. */
const imageOf = (b: Backend, i: 0 | 1 | 2 | 3): string => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${b.repository}@${b.digests[i]}`;

/**
 * The deploymentConfiguration StartNativeDeployment sends (functions/handlers/native.ts): Cutover's
 * strategy as ECS's (a 10 % canary, 300 s bake, 60 s final bake: CANARY, bakeTimeInMinutes 1) and
 * Cutover's Lambda lifecycle hook at the stages it gates.
 */
function nativeConfiguration(): Record<string, unknown> {
  const m = strategyFor({ type: 'canary', percent: 10, bakeSeconds: 300, finalBakeSeconds: 60 });
  return {
    ...m.deploymentConfiguration,
    lifecycleHooks: [
      {
        targetType: 'AWS_LAMBDA',
        hookTargetArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:cutover-native-hook`,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/cutover-ecs-invokes-hook`,
        lifecycleStages: [...m.lifecycleStages],
        timeoutConfiguration: { timeoutInMinutes: m.hookTimeoutMinutes, action: 'ROLLBACK' },
      },
    ],
  };
}

const CASES: readonly Case[] = [
  // ---------------------------------------------------------------- ELB: TrafficRouter, TargetHealthReader
  {
    port: 'TrafficRouter.readWeights',
    behaviour: 'a rule forwarding 100/0 reads as blue 100, green 0',
    run: async (b) => {
      const router = new ElbTrafficRouter(b.elb);
      expect(await router.readWeights(b.route)).toEqual([
        { targetGroupArn: b.targetGroupArns[0], weight: 100 },
        { targetGroupArn: b.targetGroupArns[1], weight: 0 },
      ]);
    },
  },
  {
    port: 'TrafficRouter.setWeights',
    behaviour: 'writes the weights, keeps stickiness and the rule conditions; reads back what it wrote',
    run: async (b) => {
      const router = new ElbTrafficRouter(b.elb);
      const weights = [
        { targetGroupArn: b.targetGroupArns[0], weight: 90 },
        { targetGroupArn: b.targetGroupArns[1], weight: 10 },
      ];
      await router.setWeights(b.route, weights);
      expect(await router.readWeights(b.route)).toEqual(weights);
      const rule = (await b.elb.send(new DescribeRulesCommand({ RuleArns: [b.route.arn] }))).Rules?.[0];
      expect(rule?.Actions?.[0]?.ForwardConfig?.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 300 });
      expect(rule?.Conditions?.[0]?.Field).toBe('path-pattern');
      await router.setWeights(b.route, [
        { targetGroupArn: b.targetGroupArns[0], weight: 100 },
        { targetGroupArn: b.targetGroupArns[1], weight: 0 },
      ]);
    },
  },
  {
    port: 'TrafficRouter.setWeights',
    behaviour: 'weights that do not sum to 100 are refused before anything is sent',
    run: async (b) => {
      const router = new ElbTrafficRouter(b.elb);
      await expect(router.setWeights(b.route, [{ targetGroupArn: b.targetGroupArns[0], weight: 60 }])).rejects.toThrow(ValidationError);
    },
  },
  {
    port: 'TrafficRouter.readWeights / setWeights',
    behaviour: 'a forward to blue alone: ELB keeps the weight as written (1 when left out) and reads back 100; green is added beside it',
    run: async (b) => {
      const router = new ElbTrafficRouter(b.elb);
      const [blue, green] = b.targetGroupArns;
      const rule = async () => (await b.elb.send(new DescribeRulesCommand({ RuleArns: [b.route.arn] }))).Rules?.[0]?.Actions?.[0];
      const modify = (action: Action) => b.elb.send(new ModifyRuleCommand({ RuleArn: b.route.arn, Actions: [action] }));
      // A plain forward (the console's and the CDK's default): AWS describes it with its
      // ForwardConfig too, the one target group at weight 1 and stickiness off (ELB API reference,
      // Action: ForwardConfig "If you specify both ForwardConfig and TargetGroupArn, you can specify
      // only one target group using ForwardConfig and it must be the same target group specified in
      // TargetGroupArn"; DescribeListeners as AWS answers it: getmoto/moto#4716). moto leaves the
      // ForwardConfig out; moto-proxy.ts (gap 8) adds it.
      await modify({ Type: 'forward', TargetGroupArn: blue });
      expect(await rule()).toMatchObject({
        Type: 'forward',
        TargetGroupArn: blue,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
      });
      expect(await router.readWeights(b.route)).toEqual([{ targetGroupArn: blue, weight: 100 }]);
      // A ForwardConfig naming blue alone: the weight as written, whatever it is (TargetGroupTuple
      // Weight: 0-999, relative), not a percentage.
      await modify({ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 5 }] } });
      expect((await rule())?.ForwardConfig?.TargetGroups).toEqual([{ TargetGroupArn: blue, Weight: 5 }]);
      expect(await router.readWeights(b.route)).toEqual([{ targetGroupArn: blue, weight: 100 }]);
      await modify({ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue }] } });
      expect((await rule())?.ForwardConfig?.TargetGroups).toEqual([{ TargetGroupArn: blue, Weight: 1 }]);
      // Green added at weight 0 beside blue (issue 13, item 1), and read back.
      await router.setWeights(b.route, [
        { targetGroupArn: blue, weight: 100 },
        { targetGroupArn: green, weight: 0 },
      ]);
      expect((await rule())?.ForwardConfig?.TargetGroups).toEqual([
        { TargetGroupArn: blue, Weight: 100 },
        { TargetGroupArn: green, Weight: 0 },
      ]);
      expect(await router.readWeights(b.route)).toEqual([
        { targetGroupArn: blue, weight: 100 },
        { targetGroupArn: green, weight: 0 },
      ]);
      // As the world was: 100/0 with stickiness.
      await modify({
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: blue, Weight: 100 },
            { TargetGroupArn: green, Weight: 0 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
        },
      });
      // Green was off the rule a moment: ECS sees it on the load balancer again after a short while
      // (the world settles an association after 1 s; see docs/aws-behaviour.md, issue 13 item 1).
      await advance(b, 5);
    },
  },
  {
    port: 'TrafficRouter.readWeights',
    behaviour: 'a rule that does not exist is LiveStateInvalid (ELB answers RuleNotFound)',
    run: async (b) => {
      const router = new ElbTrafficRouter(b.elb);
      const missing = `${b.route.arn.slice(0, b.route.arn.lastIndexOf('/'))}/0123456789abcdef`;
      await expect(router.readWeights({ kind: 'rule', arn: missing })).rejects.toThrow();
    },
  },
  {
    port: 'TargetHealthReader.health',
    behaviour: "blue's tasks are registered and healthy; green's group is empty",
    run: async (b) => {
      const health = new ElbTargetHealth(b.elb);
      expect(await health.health(b.targetGroupArns[0])).toEqual({ healthy: b.desiredCount, total: b.desiredCount });
      expect(await health.health(b.targetGroupArns[1])).toEqual({ healthy: 0, total: 0 });
    },
  },
  // ---------------------------------------------------------------- ECS: TaskSets
  {
    port: 'TaskSets.describeService',
    behaviour: 'an EXTERNAL service with one PRIMARY task set at 100 % on blue, steady, counts filled in',
    run: async (b) => {
      const svc = await new EcsTaskSets(b.ecs).describeService(b.cluster, b.service);
      expect(svc.deploymentController).toBe('EXTERNAL');
      expect(svc.desiredCount).toBe(b.desiredCount);
      expect(svc.taskSets).toHaveLength(1);
      expect(svc.taskSets[0]).toMatchObject({
        id: b.blueTaskSetId,
        status: 'PRIMARY',
        taskDefinitionArn: b.taskDefinitionArn,
        targetGroupArns: [b.targetGroupArns[0]],
        scalePercent: 100,
        computedDesiredCount: b.desiredCount,
        runningCount: b.desiredCount,
        stabilityStatus: 'STEADY_STATE',
      });
    },
  },
  {
    port: 'TaskSets.describeService',
    behaviour: 'a service that does not exist is LiveStateInvalid',
    run: async (b) => {
      await expect(new EcsTaskSets(b.ecs).describeService(b.cluster, 'no-such-service')).rejects.toThrow(LiveStateInvalid);
    },
  },
  {
    port: 'TaskSets.describeTaskSetTemplate',
    behaviour: "blue's container port and its awsvpc network configuration and launch type, ready for CreateTaskSet",
    run: async (b) => {
      const { containerPort, template } = await new EcsTaskSets(b.ecs).describeTaskSetTemplate(b.cluster, b.service, b.blueTaskSetId);
      expect(containerPort).toBe(b.containerPort);
      expect(template).toMatchObject({
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: expect.any(Array), assignPublicIp: 'DISABLED' } },
      });
      // CreateTaskSet takes launchType or capacityProviderStrategy, never both (ECS API reference, CreateTaskSet).
      expect(template).not.toHaveProperty('capacityProviderStrategy');
    },
  },
  // ---------------------------------------------------------------- ECS: TaskDefinitions
  {
    port: 'TaskDefinitions.registerWithImage',
    behaviour: 'a new revision with only the image replaced: secrets (as references), environment, roles and tags carried over',
    run: async (b, r) => {
      const image = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${b.repository}@${b.digests[1]}`;
      const seen: unknown[] = [];
      const { arn } = await new EcsTaskDefinitions(b.ecs).registerWithImage(b.taskDefinitionArn, b.containerName, image, { checkRoles: (roles) => seen.push(roles) });
      r.revision2 = arn;
      expect(arn).toMatch(new RegExp(`:task-definition/${b.family}:2$`));
      expect(seen).toEqual([{ taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/${b.family}-task`, executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${b.family}-execution` }]);
      const revs = new EcsRevisions(b.ecs);
      const two = await revs.describe(arn);
      expect(two).toMatchObject({ family: b.family, revision: 2, status: 'ACTIVE', images: [image] });
    },
  },
  {
    port: 'TaskDefinitions.describeRevision',
    behaviour: 'family, revision, every container with its image, and the roles; a revision ECS does not know is undefined',
    run: async (b, r) => {
      const defs = new EcsTaskDefinitions(b.ecs);
      const image = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${b.repository}@${b.digests[1]}`;
      expect(await defs.describeRevision(r.revision2 as string)).toEqual({
        arn: r.revision2,
        family: b.family,
        revision: 2,
        // The environment as registered (carried over from revision 1): what a worker's blue
        // version (CUTOVER_VERSION) is read from.
        containers: [{ name: b.containerName, image, environment: { PORT: String(b.containerPort), LOG_LEVEL: 'info' } }],
        taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/${b.family}-task`,
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${b.family}-execution`,
      });
      expect((await defs.describeRevision(b.taskDefinitionArn))?.revision).toBe(1);
      // ECS answers an unknown revision with ClientException (ECS API reference, DescribeTaskDefinition).
      expect(await defs.describeRevision(`arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${b.family}:99`)).toBeUndefined();
    },
  },
  {
    port: 'TaskDefinitions.registerWithImage',
    behaviour: 'a container name the task definition does not have is a ValidationError naming the containers',
    run: async (b) => {
      await expect(new EcsTaskDefinitions(b.ecs).registerWithImage(b.taskDefinitionArn, 'nope', 'x')).rejects.toThrow(/containers are "app"/);
    },
  },
  // ---------------------------------------------------------------- ECS: TaskSets (green lifecycle)
  {
    port: 'TaskSets.createTaskSet',
    behaviour: 'green on the green target group, ACTIVE, at the given scale; the same clientToken again creates nothing',
    run: async (b, r) => {
      const sets = new EcsTaskSets(b.ecs);
      const { template } = await sets.describeTaskSetTemplate(b.cluster, b.service, b.blueTaskSetId);
      const input = {
        cluster: b.cluster,
        service: b.service,
        taskDefinitionArn: r.revision2 as string,
        targetGroupArn: b.targetGroupArns[1],
        containerName: b.containerName,
        containerPort: b.containerPort,
        scalePercent: 50,
        clientToken: 'api-production-0123456789abcdef',
        externalId: 'api-production-0123456789abcdef',
        template,
      };
      const green = await sets.createTaskSet(input);
      r.greenTaskSetId = green.id;
      expect(green).toMatchObject({
        status: 'ACTIVE',
        taskDefinitionArn: r.revision2,
        targetGroupArns: [b.targetGroupArns[1]],
        scalePercent: 50,
        externalId: 'api-production-0123456789abcdef',
        computedDesiredCount: 2,
      });
      const svc = await sets.describeService(b.cluster, b.service);
      expect(svc.taskSets.map((t) => t.id).sort()).toEqual([b.blueTaskSetId, green.id].sort());
    },
  },
  {
    port: 'TargetHealthReader.health',
    behaviour: "green's tasks are registered in green's group as ECS registers them",
    run: async (b) => {
      const health = new ElbTargetHealth(b.elb);
      if (b.name === 'world') await advance(b, 120);
      expect(await health.health(b.targetGroupArns[1])).toEqual({ healthy: 2, total: 2 });
    },
  },
  {
    port: 'TaskSets.updateScale',
    behaviour: 'the new scale is what DescribeServices reports',
    run: async (b, r) => {
      const sets = new EcsTaskSets(b.ecs);
      await sets.updateScale(b.cluster, b.service, r.greenTaskSetId as string, 100);
      const green = (await sets.describeService(b.cluster, b.service)).taskSets.find((t) => t.id === r.greenTaskSetId);
      expect(green).toMatchObject({ scalePercent: 100, computedDesiredCount: b.desiredCount });
    },
  },
  {
    port: 'TaskSets.setPrimary',
    behaviour: 'by task-set id (ECS takes "the short name or full ARN of the task set"): green PRIMARY, blue ACTIVE',
    run: async (b, r) => {
      const sets = new EcsTaskSets(b.ecs);
      await sets.setPrimary(b.cluster, b.service, r.greenTaskSetId as string);
      const svc = await sets.describeService(b.cluster, b.service);
      expect(Object.fromEntries(svc.taskSets.map((t) => [t.id, t.status]))).toEqual({ [r.greenTaskSetId as string]: 'PRIMARY', [b.blueTaskSetId]: 'ACTIVE' });
    },
  },
  {
    port: 'TaskSets.createTaskSet',
    behaviour: 'a target group no listener or rule forwards to is refused: "does not have an associated load balancer"',
    run: async (b, r) => {
      const sets = new EcsTaskSets(b.ecs);
      const { template } = await sets.describeTaskSetTemplate(b.cluster, b.service, r.greenTaskSetId as string);
      await expect(
        sets.createTaskSet({
          cluster: b.cluster,
          service: b.service,
          taskDefinitionArn: r.revision2 as string,
          targetGroupArn: b.spareTargetGroupArn,
          containerName: b.containerName,
          containerPort: b.containerPort,
          scalePercent: 0,
          clientToken: 'spare-target-group',
          externalId: 'spare-target-group',
          template,
        }),
      ).rejects.toThrow(/InvalidParameterException: The target group .* does not have an associated load balancer/);
    },
  },
  {
    port: 'TaskSets.createTaskSet',
    behaviour: 'at most 5 task sets per service (Amazon ECS service quotas): the sixth is refused with "exceeds the maximum limit"',
    run: async (b, r) => {
      const sets = new EcsTaskSets(b.ecs);
      const { template } = await sets.describeTaskSetTemplate(b.cluster, b.service, r.greenTaskSetId as string);
      const input = (n: number) => ({
        cluster: b.cluster,
        service: b.service,
        taskDefinitionArn: r.revision2 as string,
        targetGroupArn: b.targetGroupArns[0],
        containerName: b.containerName,
        containerPort: b.containerPort,
        scalePercent: 0,
        clientToken: `limit-${n}`,
        externalId: `limit-${n}`,
        template,
      });
      const before = (await sets.describeService(b.cluster, b.service)).taskSets.length;
      const made: string[] = [];
      for (let n = before; n < 5; n++) made.push((await sets.createTaskSet(input(n))).id);
      expect((await sets.describeService(b.cluster, b.service)).taskSets).toHaveLength(5);
      await expect(sets.createTaskSet(input(6))).rejects.toThrow(/InvalidParameterException: .*exceeds the maximum limit/);
      for (const id of made) await sets.deleteTaskSet(b.cluster, b.service, id);
      if (b.name === 'world') await advance(b, 600);
    },
  },
  {
    port: 'TaskSets.retireTaskSet',
    behaviour: 'scale to 0, then delete: the retired task set leaves the service (or drains out of it)',
    run: async (b) => {
      const sets = new EcsTaskSets(b.ecs);
      await sets.retireTaskSet(b.cluster, b.service, b.blueTaskSetId);
      const left = (await sets.describeService(b.cluster, b.service)).taskSets.filter((t) => t.id === b.blueTaskSetId && t.status !== 'DRAINING');
      expect(left).toEqual([]);
    },
  },
  {
    port: 'TaskSets.deleteTaskSet',
    behaviour: 'deleting a task set that is already gone is not an error',
    run: async (b) => {
      const sets = new EcsTaskSets(b.ecs);
      if (b.name === 'world') await advance(b, 600);
      await expect(sets.deleteTaskSet(b.cluster, b.service, 'ecs-svc/1234567890123456789')).resolves.toBeUndefined();
      await expect(sets.retireTaskSet(b.cluster, b.service, 'ecs-svc/1234567890123456789')).resolves.toBeUndefined();
    },
  },
  // ---------------------------------------------------------------- ECS: ServiceCapacity
  {
    port: 'ServiceCapacity.desiredCount / setDesiredCount',
    behaviour: 'reads and sets the service desired count (UpdateService with desiredCount only)',
    run: async (b) => {
      const cap = new EcsServiceCapacity(b.ecs);
      expect(await cap.desiredCount(b.cluster, b.service)).toBe(b.desiredCount);
      await cap.setDesiredCount(b.cluster, b.service, 6);
      expect(await cap.desiredCount(b.cluster, b.service)).toBe(6);
      const svc = (await b.ecs.send(new DescribeServicesCommand({ cluster: b.cluster, services: [b.service] }))).services?.[0];
      expect(svc?.deploymentController?.type).toBe('EXTERNAL');
      await cap.setDesiredCount(b.cluster, b.service, b.desiredCount);
    },
  },
  // ---------------------------------------------------------------- ECS: TaskDefinitionRevisions
  {
    port: 'TaskDefinitionRevisions.runningTaskDefinitions',
    behaviour: "the revisions of the family's tasks that are not stopped: green's task set and a one-off task, until it is stopped",
    run: async (b, r) => {
      const revs = new EcsRevisions(b.ecs);
      const sets = new EcsTaskSets(b.ecs);
      // Blue was retired: only green's tasks (revision 2) run.
      expect(await revs.runningTaskDefinitions(b.cluster, b.family)).toEqual([r.revision2]);
      const { template } = await sets.describeTaskSetTemplate(b.cluster, b.service, r.greenTaskSetId as string);
      const network = (template as { networkConfiguration?: NetworkConfiguration }).networkConfiguration;
      const run = await b.ecs.send(
        new RunTaskCommand({ cluster: b.cluster, taskDefinition: b.taskDefinitionArn, launchType: 'FARGATE', count: 1, startedBy: 'migration', networkConfiguration: network }),
      );
      const task = run.tasks?.[0]?.taskArn as string;
      expect(task).toBeDefined();
      expect(await revs.runningTaskDefinitions(b.cluster, b.family)).toEqual([b.taskDefinitionArn, r.revision2].sort());
      await b.ecs.send(new StopTaskCommand({ cluster: b.cluster, task, reason: 'conformance' }));
      expect(await revs.runningTaskDefinitions(b.cluster, b.family)).toEqual([r.revision2]);
      expect(await revs.runningTaskDefinitions(b.cluster, 'no-such-family')).toEqual([]);
    },
  },
  {
    port: 'TaskDefinitionRevisions.list / describe / deregister',
    behaviour: 'newest first; deregister makes it INACTIVE (again: no error); an unknown revision is undefined',
    run: async (b) => {
      const revs = new EcsRevisions(b.ecs);
      const revision2 = b.taskDefinitionArn.replace(/:1$/, ':2');
      expect(await revs.list(b.family, 'ACTIVE', 'newest', 10)).toEqual([revision2, b.taskDefinitionArn]);
      expect(await revs.list(b.family, 'ACTIVE', 'oldest', 1)).toEqual([b.taskDefinitionArn]);
      await revs.deregister(b.taskDefinitionArn);
      await revs.deregister(b.taskDefinitionArn);
      expect(await revs.describe(b.taskDefinitionArn)).toMatchObject({ status: 'INACTIVE', revision: 1 });
      expect(await revs.list(b.family, 'INACTIVE', 'newest', 10)).toEqual([b.taskDefinitionArn]);
      expect(await revs.describe(`arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${b.family}:99`)).toBeUndefined();
    },
  },
  {
    port: 'TaskDefinitionRevisions.delete',
    behaviour: 'an INACTIVE revision is deleted (DELETE_IN_PROGRESS, or gone once nothing uses it); an ACTIVE one is a per-revision failure, not an error',
    run: async (b, r) => {
      const revs = new EcsRevisions(b.ecs);
      // ECS API reference, DeleteTaskDefinitions: "You must deregister a task definition revision
      // before you delete it"; it "immediately transitions from the INACTIVE to DELETE_IN_PROGRESS"
      // and stays there until no task or service uses it.
      const out = await revs.delete([b.taskDefinitionArn, r.revision2 as string]);
      expect(out.deleted).toEqual([b.taskDefinitionArn]);
      expect(out.failures).toEqual([{ arn: r.revision2, reason: expect.stringMatching(/ACTIVE/) }]);
      const one = await revs.describe(b.taskDefinitionArn);
      expect(one === undefined || one.status === 'DELETE_IN_PROGRESS').toBe(true);
      expect(await revs.list(b.family, 'INACTIVE', 'newest', 10)).toEqual([]);
      expect(await revs.describe(r.revision2 as string)).toMatchObject({ status: 'ACTIVE' });
      await expect(revs.delete(Array.from({ length: 11 }, (_, i) => `${b.taskDefinitionArn}${i}`))).rejects.toThrow(ValidationError);
      expect(await revs.delete([])).toEqual({ deleted: [], failures: [] });
    },
  },
  // ---------------------------------------------------------------- CloudWatch: Alarms, MetricSource
  {
    port: 'Alarms.describe',
    behaviour: 'the named alarms with their state; an unknown name is omitted; SetAlarmState shows',
    run: async (b) => {
      const alarms = new CloudWatchAlarms(b.cloudwatch);
      const before = await alarms.describe([...b.alarms, 'no-such-alarm']);
      expect(before.map((a) => a.name).sort()).toEqual([...b.alarms].sort());
      await b.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: b.alarms[1], StateValue: 'ALARM', StateReason: 'conformance' }));
      const after = await alarms.describe([b.alarms[1] as string]);
      expect(after).toEqual([{ name: b.alarms[1], state: 'ALARM', reason: 'conformance' }]);
    },
  },
  {
    port: 'MetricSource.targetGroupSamples',
    behaviour: "ten minutes of blue's ALB metrics: requests and 5xx summed, one latency per minute with traffic",
    run: async (b) => {
      const metrics = new CloudWatchMetrics(b.cloudwatch);
      const [start, end] = b.windowMs;
      const blue = await metrics.targetGroupSamples(b.loadBalancerFullName, b.targetGroupFullNames[0], start, end);
      expect(blue.requests).toBeGreaterThan(1000);
      expect(blue.latencies).toHaveLength(10);
      expect(blue.errors5xx).toBeLessThan(blue.requests);
      const green = await metrics.targetGroupSamples(b.loadBalancerFullName, b.targetGroupFullNames[1], start, end);
      expect(green.requests).toBe(0);
      expect(green.latencies).toEqual([]);
    },
  },
  // ---------------------------------------------------------------- ECR: ImageRegistry, ImageInventory
  {
    port: 'ImageRegistry.describeImage',
    behaviour: 'an image by digest with its tags; a digest the repository does not hold is undefined',
    run: async (b) => {
      const ecr = new EcrImages(b.ecr);
      expect(await ecr.describeImage(b.repository, b.digests[1])).toMatchObject({ digest: b.digests[1], tags: ['v2'] });
      expect(await ecr.describeImage(b.repository, `sha256:${'e'.repeat(64)}`)).toBeUndefined();
    },
  },
  {
    port: 'ImageRegistry.scanFindings',
    behaviour: 'COMPLETE with no findings, COMPLETE with 2 CRITICAL, and never scanned (no status)',
    run: async (b) => {
      const ecr = new EcrImages(b.ecr);
      expect(await ecr.scanFindings(b.repository, b.digests[1])).toMatchObject({ status: 'COMPLETE', findingCounts: {} });
      expect(await ecr.scanFindings(b.repository, b.digests[2])).toMatchObject({ status: 'COMPLETE', findingCounts: { CRITICAL: 2 } });
      // Never scanned: DescribeImageScanFindings answers ScanNotFoundException; no status.
      expect((await ecr.scanFindings(b.repository, b.digests[3])).status).toBeUndefined();
    },
  },
  {
    port: 'ImageInventory.list / delete',
    behaviour: 'every image with its tags; delete by digest, and an image already gone counts as deleted',
    run: async (b) => {
      const inv = new EcrImageInventory(b.ecr);
      const images = await inv.list(b.repository, 100);
      expect(images.map((i) => i.digest).sort()).toEqual([...b.digests].sort());
      expect(images.find((i) => i.digest === b.digests[2])?.tags).toEqual(['v3']);
      expect(await inv.delete(b.repository, [b.digests[3]])).toEqual({ deleted: [b.digests[3]], failures: [] });
      expect(await inv.delete(b.repository, [b.digests[3]])).toEqual({ deleted: [b.digests[3]], failures: [] });
      expect(await inv.list('no/such-repository', 100)).toEqual([]);
    },
  },
  // ---------------------------------------------------------------- Workers (issue #18): no load balancer, a share of tasks
  {
    port: 'TaskSets.describeService',
    behaviour: 'a worker (no load balancer): its PRIMARY task set at 100 % has no target groups, the desired count computed and running',
    run: async (b) => {
      const w = b.worker;
      const svc = await new EcsTaskSets(b.ecs).describeService(w.cluster, w.service);
      expect(svc.deploymentController).toBe('EXTERNAL');
      expect(svc.taskSets).toHaveLength(1);
      expect(svc.taskSets[0]).toMatchObject({
        id: w.blueTaskSetId,
        status: 'PRIMARY',
        targetGroupArns: [],
        scalePercent: 100,
        computedDesiredCount: w.desiredCount,
        runningCount: w.desiredCount,
      });
    },
  },
  {
    port: 'TaskDefinitions.registerWithImage / describeRevision',
    behaviour: 'options.environment sets CUTOVER_VERSION and CUTOVER_COLOR, replacing earlier values of those names and keeping the rest',
    run: async (b) => {
      const w = b.worker;
      const defs = new EcsTaskDefinitions(b.ecs);
      expect((await defs.describeRevision(w.taskDefinitionArn))?.containers[0]?.environment).toEqual({ CUTOVER_VERSION: 'initial', CUTOVER_COLOR: 'blue' });
      const image = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${b.repository}@${b.digests[1]}`;
      const { arn } = await defs.registerWithImage(w.taskDefinitionArn, w.containerName, image, {
        environment: { CUTOVER_VERSION: 'orders-production-0123456789abcdef', CUTOVER_COLOR: 'green' },
      });
      const two = await defs.describeRevision(arn);
      expect(two?.containers).toEqual([{ name: w.containerName, image, environment: { CUTOVER_VERSION: 'orders-production-0123456789abcdef', CUTOVER_COLOR: 'green' } }]);
    },
  },
  {
    port: 'TaskSets.describeTaskSetTemplate / createTaskSet',
    behaviour: "a worker's green: CreateTaskSet with no loadBalancers on a service with none is ACTIVE, on no target group, 1 task of 3 at 33.33 %",
    run: async (b, r) => {
      const w = b.worker;
      const sets = new EcsTaskSets(b.ecs);
      const { containerPort, template } = await sets.describeTaskSetTemplate(w.cluster, w.service, w.blueTaskSetId, false);
      expect(containerPort).toBe(0);
      expect(template).toMatchObject({ launchType: 'FARGATE', networkConfiguration: { awsvpcConfiguration: { assignPublicIp: 'DISABLED' } } });
      const scale = taskShare(w.desiredCount, 10).greenScale;
      expect(scale).toBe(33.33);
      const green = await sets.createTaskSet({
        cluster: w.cluster,
        service: w.service,
        taskDefinitionArn: w.taskDefinitionArn,
        containerName: w.containerName,
        containerPort: 0,
        scalePercent: scale,
        clientToken: 'orders-production-0123456789abcdef',
        externalId: 'orders-production-0123456789abcdef',
        template,
      });
      r.workerGreenTaskSetId = green.id;
      expect(green).toMatchObject({ status: 'ACTIVE', targetGroupArns: [], scalePercent: 33.33, computedDesiredCount: 1, externalId: 'orders-production-0123456789abcdef' });
    },
  },
  {
    port: 'TaskSets.updateScale',
    behaviour: 'computedDesiredCount is the scale of the desired count rounded up: 10 % of 3 -> 1, 66.66 % -> 2, 66.67 % -> 3, 0 % -> 0',
    run: async (b, r) => {
      const w = b.worker;
      const sets = new EcsTaskSets(b.ecs);
      const green = r.workerGreenTaskSetId as string;
      const computed = async (scale: number) => {
        await sets.updateScale(w.cluster, w.service, green, scale);
        const ts = (await sets.describeService(w.cluster, w.service)).taskSets.find((t) => t.id === green);
        return [ts?.scalePercent, ts?.computedDesiredCount];
      };
      expect(await computed(10)).toEqual([10, 1]);
      expect(await computed(66.66)).toEqual([66.66, 2]);
      expect(await computed(66.67)).toEqual([66.67, 3]);
      expect(await computed(0)).toEqual([0, 0]);
      // What taskShare asks for is what ECS computes, for every count of 3 tasks.
      for (const tasks of [1, 2, 3]) expect(await computed(scaleFor(w.desiredCount, tasks))).toEqual([scaleFor(w.desiredCount, tasks), tasks]);
    },
  },
  {
    port: 'TrafficShape (task-share).setShare / verify / readShare / resetToBlue',
    behaviour: '10 % of 3 tasks: green 1 / blue 2 once green runs (pending before), read back as 33 %; reset: blue 100 %, green 0',
    run: async (b, r) => {
      const w = b.worker;
      const sets = new EcsTaskSets(b.ecs);
      const green = r.workerGreenTaskSetId as string;
      await sets.updateScale(w.cluster, w.service, green, 0);
      if (b.name === 'world') await advance(b, 60);
      const traffic = trafficFor({ kind: 'task-share', cluster: w.cluster, service: w.service, blueTaskSetId: w.blueTaskSetId, greenTaskSetId: green }, { taskSets: sets });
      expect([traffic.kind, traffic.settles]).toEqual(['task-share', true]);
      let v = await traffic.verify(10);
      for (let i = 0; i < 10 && v.status === 'pending'; i++) {
        await traffic.setShare(10);
        if (b.name === 'world') await advance(b, 60);
        v = await traffic.verify(10);
      }
      expect(v.status).toBe('verified');
      expect(v.reading).toMatchObject({ kind: 'task-share', greenPercent: 33, detail: { desiredCount: 3, greenTasks: 1, blueTasks: 2 } });
      expect((await traffic.readShare()).greenPercent).toBe(33);
      const back = await traffic.resetToBlue();
      expect(back).toMatchObject({ greenPercent: 0, detail: { greenTasks: 0, blueTasks: 3 } });
    },
  },
  {
    port: 'TaskReader.tasksOfTaskSet',
    behaviour: "a task set's tasks by startedBy: RUNNING while scaled, then STOPPED by the scheduler (ServiceSchedulerInitiated, 'Scaling activity initiated by')",
    run: async (b, r) => {
      const w = b.worker;
      const sets = new EcsTaskSets(b.ecs);
      const tasks = new EcsTasks(b.ecs);
      const green = r.workerGreenTaskSetId as string;
      await sets.updateScale(w.cluster, w.service, green, scaleFor(w.desiredCount, 2));
      if (b.name === 'world') await advance(b, 120);
      const running = await tasks.tasksOfTaskSet(w.cluster, green, 'RUNNING');
      expect(running.map((t) => [t.lastStatus, t.desiredStatus])).toEqual([
        ['RUNNING', 'RUNNING'],
        ['RUNNING', 'RUNNING'],
      ]);
      // Blue's tasks (the ones it started with and any started since) are its own, not green's.
      const blue = await tasks.tasksOfTaskSet(w.cluster, w.blueTaskSetId, 'RUNNING');
      expect(blue).toHaveLength(w.desiredCount);
      for (const t of blue) expect(running.map((x) => x.taskArn)).not.toContain(t.taskArn);
      await sets.updateScale(w.cluster, w.service, green, 0);
      if (b.name === 'world') await advance(b, 120);
      expect(await tasks.tasksOfTaskSet(w.cluster, green, 'RUNNING')).toEqual([]);
      // Every task the task set's scale-ins stopped (the earlier cases' too), the two that ran among them.
      const stopped = await tasks.tasksOfTaskSet(w.cluster, green, 'STOPPED');
      expect(stopped.map((t) => t.taskArn)).toEqual(expect.arrayContaining(running.map((t) => t.taskArn)));
      for (const t of stopped) {
        expect(t).toMatchObject({
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          stopCode: 'ServiceSchedulerInitiated',
          stoppedReason: `Scaling activity initiated by (deployment ${green})`,
        });
      }
    },
  },
  {
    port: 'TaskReader.tasksOfTaskSet',
    behaviour: 'tasks that exit on their own: STOPPED with EssentialContainerExited, "Essential container in task exited", the exit code; out of memory: 137 and the OutOfMemoryError reason',
    worldOnly:
      'moto runs no containers: its tasks never exit on their own, so there is no exit code or container reason to read (moto 5.2.1 DescribeTasks has neither unless a caller stops the task)',
    run: async (b) => {
      const w = b.worker;
      const world = (b as Backend & { world: World }).world;
      const sets = new EcsTaskSets(b.ecs);
      const tasks = new EcsTasks(b.ecs);
      const defs = new EcsTaskDefinitions(b.ecs);
      const { template } = await sets.describeTaskSetTemplate(w.cluster, w.service, w.blueTaskSetId, false);
      const stopsOf = async (profile: { crashes?: boolean; oom?: boolean; exitCode?: number }, token: string) => {
        const digest = imageManifest(`world/${token}`).digest;
        world.pushImage(b.repository, digest, [token]);
        world.setImageProfile(digest, profile);
        const { arn } = await defs.registerWithImage(w.taskDefinitionArn, w.containerName, `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${b.repository}@${digest}`);
        const ts = await sets.createTaskSet({
          cluster: w.cluster,
          service: w.service,
          taskDefinitionArn: arn,
          containerName: w.containerName,
          containerPort: 0,
          scalePercent: scaleFor(w.desiredCount, 1),
          clientToken: token,
          externalId: token,
          template,
        });
        await advance(b, 120);
        const stopped = await tasks.tasksOfTaskSet(w.cluster, ts.id, 'STOPPED');
        await sets.retireTaskSet(w.cluster, w.service, ts.id);
        return stopped;
      };
      const crashed = await stopsOf({ crashes: true, exitCode: 2 }, 'crashes');
      expect(crashed.length).toBeGreaterThanOrEqual(1);
      expect(crashed[0]).toMatchObject({
        lastStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: w.containerName, exitCode: 2 }],
      });
      const oom = await stopsOf({ oom: true }, 'out-of-memory');
      expect(oom[0]).toMatchObject({
        stopCode: 'EssentialContainerExited',
        containers: [{ name: w.containerName, exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
      });
      await advance(b, 600);
    },
  },
  {
    port: 'MetricSource.versionSamples',
    behaviour: "ten minutes of a version's custom metrics (GetMetricData, a version dimension): processed and failed summed, one latency per minute in seconds; another version has none",
    run: async (b) => {
      const metrics = new CloudWatchMetrics(b.cloudwatch);
      const [start, end] = b.windowMs;
      const initial = await metrics.versionSamples(versionQueries(WORKER_METRICS, 'initial'), start, end);
      expect(initial.requests).toBeGreaterThanOrEqual(5000);
      expect(initial.errors5xx).toBeLessThan(initial.requests / 50);
      expect(initial.latencies).toHaveLength(10);
      for (const l of initial.latencies) {
        expect(l).toBeGreaterThan(0.01);
        expect(l).toBeLessThan(2);
      }
      const other = await metrics.versionSamples(versionQueries(WORKER_METRICS, 'orders-production-0123456789abcdef'), start, end);
      expect(other).toEqual({ requests: 0, errors5xx: 0, latencies: [] });
    },
  },
  // ---------------------------------------------------------------- Application Auto Scaling: ScalableTargets
  {
    port: 'ScalableTargets.describe / setBounds / setScaleInSuspended',
    behaviour: 'bounds set and read back; scale-in suspended and resumed',
    run: async (b) => {
      const aas = new AppAutoScalingTargets(b.autoscaling);
      expect(await aas.describe(b.resourceId)).toEqual({ resourceId: b.resourceId, minCapacity: 2, maxCapacity: 10, scaleInSuspended: false });
      await aas.setBounds(b.resourceId, 3, 12);
      await aas.setScaleInSuspended(b.resourceId, true);
      expect(await aas.describe(b.resourceId)).toEqual({ resourceId: b.resourceId, minCapacity: 3, maxCapacity: 12, scaleInSuspended: true });
      await aas.setScaleInSuspended(b.resourceId, false);
      expect((await aas.describe(b.resourceId))?.scaleInSuspended).toBe(false);
      expect(await aas.describe('service/shop/no-such-service')).toBeUndefined();
      const raw = await b.autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [b.resourceId] }));
      expect(raw.ScalableTargets?.[0]?.ScalableDimension).toBe('ecs:service:DesiredCount');
    },
  },
  // ---------------------------------------------------------------- EventBridge: EventPublisher
  {
    port: 'EventPublisher.publish',
    behaviour: 'one lifecycle event on the cutover bus is accepted',
    run: async (b) => {
      await expect(new EventBridgePublisher(b.events, 'cutover').publish('Deployment Succeeded', { service: 'api', environment: 'production' })).resolves.toBeUndefined();
    },
  },
  // ---------------------------------------------------------------- ECS: NativeDeployments (issue #17, ECS's own deployments)
  {
    port: 'NativeDeployments.describeService (describeNativeService)',
    behaviour: "an ECS-controller service: controller ECS, its revision and desired count, blue's target group with the alternate and the production listener rule (advancedConfiguration), FARGATE in its awsvpc network; no Service Connect",
    run: async (b) => {
      const n = b.native;
      const svc = await new EcsNativeDeployments(b.ecs).describeService(n.cluster, n.service);
      expect(svc).toMatchObject({
        arn: n.serviceArn,
        deploymentController: 'ECS',
        taskDefinitionArn: n.taskDefinitionArn,
        desiredCount: n.desiredCount,
        targetGroupArn: n.targetGroupArns[0],
        alternateTargetGroupArn: n.targetGroupArns[1],
        productionListenerRule: n.productionListenerRule,
        // Where a migration task runs: the service's launch type and awsvpc network (ECS API reference, Service.networkConfiguration).
        placement: {
          launchType: 'FARGATE',
          networkConfiguration: {
            awsvpcConfiguration: { subnets: [expect.stringMatching(/^subnet-/), expect.stringMatching(/^subnet-/)], securityGroups: [expect.stringMatching(/^sg-/)], assignPublicIp: 'DISABLED' },
          },
        },
      });
      expect(svc).not.toHaveProperty('serviceConnect');
      // Inspect's own module reads the same.
      expect(await describeNativeService(b.ecs, n.cluster, n.service)).toEqual(svc);
    },
  },
  {
    port: 'NativeDeployments.describeService',
    behaviour: 'a service that does not exist is LiveStateInvalid',
    run: async (b) => {
      await expect(new EcsNativeDeployments(b.ecs).describeService(b.native.cluster, 'no-such-service')).rejects.toThrow(LiveStateInvalid);
    },
  },
  {
    port: 'NativeDeployments.describeService',
    behaviour: 'a Service Connect service (no load balancer): serviceConnect read from the PRIMARY deployment, no target group',
    worldOnly:
      'moto gap 14 (moto-proxy.ts): moto 5.2.1 CreateService reads no serviceConnectConfiguration (moto/ecs/responses.py:286-317) and its deployments never carry one (moto/ecs/models.py:537-555), so DescribeServices cannot show Service Connect',
    run: async (b) => {
      const svc = await new EcsNativeDeployments(b.ecs).describeService(b.native.cluster, 'catalog');
      expect(svc).toMatchObject({ deploymentController: 'ECS', serviceConnect: true });
      expect(svc).not.toHaveProperty('targetGroupArn');
      expect(svc).not.toHaveProperty('alternateTargetGroupArn');
    },
  },
  {
    port: 'NativeDeployments.startDeployment / listInProgress',
    behaviour: 'UpdateService with revision 2, a 10 % canary and the hook starts one service deployment targeting revision 2; again: the same one (idempotent), listed in flight',
    worldOnly:
      'moto gap 11 (moto-proxy.ts): moto 5.2.1 has no ListServiceDeployments or DescribeServiceRevisions (no handler in moto/ecs/responses.py; moto/core/responses.py:563 raises NotImplementedError, answered as HTTP 500), and its UpdateService starts no service deployment (moto/ecs/models.py:1674-1713)',
    run: async (b, r) => {
      const n = b.native;
      const world = (b as Backend & { world: World }).world;
      const native = new EcsNativeDeployments(b.ecs);
      r.nativeRevision2 ??= (await new EcsTaskDefinitions(b.ecs).registerWithImage(n.taskDefinitionArn, n.containerName, imageOf(b, 1))).arn;
      expect(await native.listInProgress(n.cluster, n.service)).toEqual([]);
      const input = { cluster: n.cluster, service: n.service, taskDefinitionArn: r.nativeRevision2, deploymentConfiguration: nativeConfiguration() };
      const d = await native.startDeployment(input);
      expect(d.arn).toMatch(new RegExp(`^arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/${n.cluster}/${n.service}/`));
      expect(d.targetTaskDefinitionArn).toBe(r.nativeRevision2);
      expect(NATIVE_IN_FLIGHT).toContain(d.status);
      expect(await native.startDeployment(input)).toMatchObject({ arn: d.arn, targetTaskDefinitionArn: r.nativeRevision2 });
      expect(world.native.deploymentArns(n.serviceArn)).toEqual([d.arn]);
      expect((await native.listInProgress(n.cluster, n.service)).map((x) => [x.arn, x.targetTaskDefinitionArn])).toEqual([[d.arn, r.nativeRevision2]]);
      r.nativeDeploymentArn = d.arn;
    },
  },
  {
    port: 'NativeDeployments.describeDeployment',
    behaviour: "in progress at POST_SCALE_UP while Cutover's hook holds it (IN_PROGRESS); a service deployment ECS does not know is undefined",
    worldOnly:
      'moto gap 12 (moto-proxy.ts): moto 5.2.1 has no DescribeServiceDeployments (no handler in moto/ecs/responses.py; moto/core/responses.py:563 raises NotImplementedError, answered as HTTP 500)',
    run: async (b, r) => {
      const native = new EcsNativeDeployments(b.ecs);
      await advance(b, 120);
      expect(await native.describeDeployment(r.nativeDeploymentArn as string)).toMatchObject({ arn: r.nativeDeploymentArn, status: 'IN_PROGRESS', lifecycleStage: 'POST_SCALE_UP' });
      const unknown = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/${b.native.cluster}/${b.native.service}/0123456789abcdef012345`;
      expect(await native.describeDeployment(unknown)).toBeUndefined();
    },
  },
  {
    port: 'NativeDeployments.stopWithRollback',
    behaviour: 'StopServiceDeployment ROLLBACK: rolled back (ROLLBACK_SUCCESSFUL, the stop as reason), nothing in flight, revision 1 again; stopping it again is not an error',
    worldOnly:
      'moto gap 13 (moto-proxy.ts): moto 5.2.1 has no StopServiceDeployment (no handler in moto/ecs/responses.py; moto/core/responses.py:563 raises NotImplementedError, answered as HTTP 500)',
    run: async (b, r) => {
      const n = b.native;
      const native = new EcsNativeDeployments(b.ecs);
      const arn = r.nativeDeploymentArn as string;
      await native.stopWithRollback(arn);
      expect(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL']).toContain((await native.describeDeployment(arn))?.status);
      await advance(b, 600);
      const ended = await native.describeDeployment(arn);
      expect(ended?.status).toBe('ROLLBACK_SUCCESSFUL');
      expect(ended?.rollbackReason).toMatch(/StopServiceDeployment/);
      expect(await native.listInProgress(n.cluster, n.service)).toEqual([]);
      expect((await native.describeService(n.cluster, n.service)).taskDefinitionArn).toBe(n.taskDefinitionArn);
      // Already ended: ECS answers ConflictException, which is not an error here.
      await expect(native.stopWithRollback(arn)).resolves.toBeUndefined();
    },
  },
  {
    port: 'NativeDeployments.startDeployment (its UpdateService)',
    behaviour: "UpdateService as startDeployment sends it (revision 2; CANARY 10 %, bake, Cutover's Lambda hook): accepted; the service reads back the revision and the deploymentConfiguration, its load balancers (advancedConfiguration) as the user set them",
    run: async (b, r) => {
      const n = b.native;
      r.nativeRevision2 ??= (await new EcsTaskDefinitions(b.ecs).registerWithImage(n.taskDefinitionArn, n.containerName, imageOf(b, 1))).arn;
      const describe = async () => (await b.ecs.send(new DescribeServicesCommand({ cluster: n.cluster, services: [n.service] }))).services?.[0];
      const before = await describe();
      const deploymentConfiguration = nativeConfiguration();
      // The call of EcsNativeDeployments.startDeployment (functions/aws/ecs-native.ts), field for field:
      // no loadBalancers, no networkConfiguration (the service's are the user's).
      const out = await b.ecs.send(
        new UpdateServiceCommand({ cluster: n.cluster, service: n.service, taskDefinition: r.nativeRevision2, deploymentConfiguration: deploymentConfiguration as DeploymentConfiguration }),
      );
      expect(out.service).toMatchObject({ serviceArn: n.serviceArn, taskDefinition: r.nativeRevision2, deploymentController: { type: 'ECS' } });
      const after = await describe();
      expect(after?.taskDefinition).toBe(r.nativeRevision2);
      expect(after?.deploymentController?.type).toBe('ECS');
      expect(after?.deploymentConfiguration).toMatchObject(deploymentConfiguration);
      expect(after?.loadBalancers).toEqual(before?.loadBalancers);
      expect(await new EcsNativeDeployments(b.ecs).describeService(n.cluster, n.service)).toMatchObject({
        taskDefinitionArn: r.nativeRevision2,
        targetGroupArn: n.targetGroupArns[0],
        alternateTargetGroupArn: n.targetGroupArns[1],
        productionListenerRule: n.productionListenerRule,
      });
    },
  },
];

/** The world's clock runs only when told: move it (metrics, health checks, draining) as time would pass. */
async function advance(b: Backend, seconds: number): Promise<void> {
  const w = (b as Backend & { world?: World }).world;
  if (w) await runWorld(w, seconds);
}

/** Let `seconds` of virtual time pass in the world, firing every timer on the way (its minute ticks too). */
async function runWorld(world: World, seconds: number): Promise<void> {
  const clock = world.clock as VirtualClockImpl;
  const target = clock.now() + seconds * 1000;
  world.start();
  while ((clock.nextTimerAt() ?? Number.POSITIVE_INFINITY) <= target) {
    clock.advance();
    await clock.whenIdle();
  }
  clock.advanceTo(target);
  world.stop();
}

let proxy: MotoProxy;
const backends: Record<string, Backend> = {};
beforeAll(async () => {
  proxy = await startMotoProxy(inject('motoEndpoint'));
  backends.world = await worldBackend();
  backends.moto = await motoBackend(proxy);
});
afterAll(async () => {
  await proxy?.close();
});

describe.each(['world', 'moto'] as const)('adapter contract on %s', (name) => {
  const run: Run = {};
  it.each(CASES.filter((c) => name === 'world' || c.worldOnly === undefined).map((c) => [`${c.port}: ${c.behaviour}`, c] as const))('%s', async (_title, c) => {
    await c.run(backends[name] as Backend, run);
  });
});

// ------------------------------------------------------------------ the DynamoDB store
const record = (over: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
  deploymentId: 'api-production-0123456789abcdef',
  service: 'api',
  environment: 'production',
  status: 'QUEUED',
  image: { repository: 'shop/api', digest: `sha256:${'a'.repeat(64)}`, tag: 'v2', uri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop/api@sha256:${'a'.repeat(64)}` },
  strategy: 'canary',
  alarmNames: ['api-5xx-green'],
  timeline: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

interface StoreBackend {
  readonly store: DynamoStore;
  readonly maintenance: DynamoMaintenanceStore;
  readonly releases: DynamoReleaseStore;
}

const STORE_CASES: ReadonlyArray<{ port: string; behaviour: string; run: (s: StoreBackend) => Promise<void> }> = [
  {
    port: 'DeploymentStore.createDeployment / getDeployment',
    behaviour: 'created once; a replay returns the stored record',
    run: async ({ store }) => {
      expect((await store.createDeployment(record())).created).toBe(true);
      expect(await store.createDeployment(record({ strategy: 'linear' }))).toEqual({ record: record(), created: false });
      expect(await store.getDeployment('api', 'production', record().deploymentId)).toEqual(record());
    },
  },
  {
    port: 'DeploymentStore.appendTimeline / setTaskToken / listInFlight',
    behaviour: 'an entry key appended twice is kept once; the token and wait are stored; the record is in flight',
    run: async ({ store }) => {
      const e = { key: 'started', kind: 'started', at: '2026-01-01T00:00:10.000Z', detail: {} } as const;
      await store.appendTimeline('api', 'production', record().deploymentId, e);
      await store.appendTimeline('api', 'production', record().deploymentId, e);
      await store.setTaskToken('api', 'production', record().deploymentId, 'token-1', 'bake');
      const got = await store.getDeployment('api', 'production', record().deploymentId);
      expect(got?.timeline.map((t) => t.key)).toEqual(['started']);
      expect(got).toMatchObject({ taskToken: 'token-1', waitingFor: 'bake' });
      expect((await store.listInFlight()).map((r) => r.deploymentId)).toEqual([record().deploymentId]);
    },
  },
  {
    port: 'DeploymentStore.acquireLock / getLock / releaseLock',
    behaviour: 'the lock is taken once; another deployment is busy; released only by its holder',
    run: async ({ store }) => {
      const req = (id: string) => ({ deploymentId: id, digest: `sha256:${'a'.repeat(64)}`, requestedAt: '2026-01-01T00:00:00.000Z', leaseSeconds: 600, nowMs: Date.UTC(2026, 0, 1) });
      expect(await store.acquireLock('api', 'production', req('d-1'))).toEqual({ outcome: 'acquired' });
      expect(await store.acquireLock('api', 'production', req('d-1'))).toEqual({ outcome: 'acquired' });
      expect(await store.acquireLock('api', 'production', { ...req('d-2'), requestedAt: '2026-01-01T00:00:01.000Z' })).toEqual({ outcome: 'busy', holder: 'd-1' });
      await store.releaseLock('api', 'production', 'd-2');
      expect((await store.getLock('api', 'production'))?.holder).toBe('d-1');
      await store.releaseLock('api', 'production', 'd-1');
      expect((await store.getLock('api', 'production'))?.holder).toBeUndefined();
    },
  },
  {
    port: 'DeploymentStore.finish / RecordExpiry.expire',
    behaviour: 'ends once (again: false); the TTL is set on an ended record only, never later',
    run: async ({ store, maintenance }) => {
      const id = record().deploymentId;
      const reason = { code: 'Promoted', message: 'ok' } as const;
      expect(await store.finish('api', 'production', id, 'SUCCEEDED', reason, 1_800_000_000)).toBe(true);
      expect(await store.finish('api', 'production', id, 'SUCCEEDED', reason, 1_800_000_000)).toBe(false);
      expect(await maintenance.expire('api', 'production', id, 1_700_000_000)).toBe(true);
      expect(await maintenance.expire('api', 'production', id, 1_750_000_000)).toBe(false);
      expect(await store.listInFlight()).toEqual([]);
    },
  },
  {
    port: 'DeploymentStore.setStable / getStable',
    behaviour: 'the stable pointer keeps the previous one',
    run: async ({ store }) => {
      const p = (id: string, rev: number) => ({
        deploymentId: id,
        digest: `sha256:${'b'.repeat(64)}`,
        taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:${rev}`,
        targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/api-green/0123456789abcdef`,
        updatedAt: '2026-01-01T00:10:00.000Z',
      });
      await store.setStable('api', 'production', p('d-1', 2) as never);
      await store.setStable('api', 'production', p('d-2', 3) as never);
      const stable = await store.getStable('api', 'production');
      expect(stable).toMatchObject({ deploymentId: 'd-2', previous: expect.objectContaining({ deploymentId: 'd-1' }) });
    },
  },
  // The cases below use the `web` service, so the in-flight list of the cases above is untouched.
  {
    port: 'DeploymentStore.listDeployments',
    behaviour: 'newest first by createdAt (ids need not sort by time), at most `limit`; another environment is not listed',
    run: async ({ store }) => {
      const web = (id: string, createdAt: string, environment = 'production') =>
        record({ deploymentId: id, service: 'web', environment, createdAt, updatedAt: createdAt });
      await store.createDeployment(web('web-b', '2026-01-01T00:00:00.000Z'));
      await store.createDeployment(web('web-a', '2026-01-02T00:00:00.000Z'));
      await store.createDeployment(web('web-c', '2026-01-03T00:00:00.000Z', 'staging'));
      expect((await store.listDeployments('web', 'production')).map((r) => r.deploymentId)).toEqual(['web-a', 'web-b']);
      expect((await store.listDeployments('web', 'production', 1)).map((r) => r.deploymentId)).toEqual(['web-a']);
      expect((await store.listDeployments('web', 'staging')).map((r) => r.deploymentId)).toEqual(['web-c']);
      expect(await store.listDeployments('web', 'no-such-environment')).toEqual([]);
    },
  },
  {
    port: 'DeploymentStore.updateDeployment',
    behaviour: 'merges the patch into an in-flight record; a terminal status is refused (finish); an ended record is ConflictError',
    run: async ({ store }) => {
      const blue = { taskSetId: 'ecs-svc/1111111111111111111', targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/web-blue/0123456789abcdef` };
      await store.updateDeployment('web', 'production', 'web-a', { status: 'IN_PROGRESS', blue: blue as never, alarmNames: ['web-5xx'] });
      expect(await store.getDeployment('web', 'production', 'web-a')).toMatchObject({ status: 'IN_PROGRESS', blue, alarmNames: ['web-5xx'], strategy: 'canary' });
      await expect(store.updateDeployment('web', 'production', 'web-a', { status: 'SUCCEEDED' as never })).rejects.toThrow(ValidationError);
      await store.finish('web', 'production', 'web-b', 'FAILED' as never, { code: 'HealthCheckTimeout', message: 'no' }, 1_800_000_000);
      await expect(store.updateDeployment('web', 'production', 'web-b', { alarmNames: [] })).rejects.toThrow(/already ended as FAILED/);
      await expect(store.updateDeployment('web', 'production', 'no-such-deployment', { alarmNames: [] })).rejects.toThrow(/no such deployment/);
    },
  },
  {
    port: 'DeploymentStore.recordControl',
    behaviour: 'operator actions are appended in order (an ended record too); an unknown deployment is an error',
    run: async ({ store }) => {
      const action = (a: string, at: string) => ({ action: a, by: 'alice', at, detail: { reason: `${a} by hand` } });
      await store.recordControl('web', 'production', 'web-a', action('pause', '2026-01-02T00:01:00.000Z'));
      await store.recordControl('web', 'production', 'web-a', action('resume', '2026-01-02T00:02:00.000Z'));
      await store.recordControl('web', 'production', 'web-b', action('retry', '2026-01-02T00:03:00.000Z'));
      const a = (await store.getDeployment('web', 'production', 'web-a')) as DeploymentRecord & { controls?: unknown[] };
      expect(a.controls).toEqual([action('pause', '2026-01-02T00:01:00.000Z'), action('resume', '2026-01-02T00:02:00.000Z')]);
      const b = (await store.getDeployment('web', 'production', 'web-b')) as DeploymentRecord & { controls?: unknown[] };
      expect(b.controls).toEqual([action('retry', '2026-01-02T00:03:00.000Z')]);
      await expect(store.recordControl('web', 'production', 'no-such-deployment', action('abort', '2026-01-02T00:04:00.000Z'))).rejects.toThrow(/no such deployment/);
    },
  },
  {
    port: 'DeploymentStore.acquireLock / parkLockWaiter / releaseLock',
    behaviour: 'a newer waiter supersedes an older one; only the waiter parks, a newer park displaces the older token',
    run: async ({ store }) => {
      const now = Date.UTC(2026, 0, 1);
      const req = (id: string, s: number) => ({ deploymentId: id, digest: `sha256:${id.padEnd(64, '0')}`, requestedAt: new Date(now + s * 1000).toISOString(), leaseSeconds: 600, nowMs: now + 10_000 });
      expect(await store.acquireLock('web', 'production', req('h', 0))).toEqual({ outcome: 'acquired' });
      expect(await store.acquireLock('web', 'production', req('w1', 1))).toEqual({ outcome: 'busy', holder: 'h' });
      expect(await store.parkLockWaiter('web', 'production', { deploymentId: 'w1', token: 'token-w1', nowMs: now + 10_000 })).toEqual({ parked: true });
      // Not the waiter: nothing parked.
      expect(await store.parkLockWaiter('web', 'production', { deploymentId: 'h', token: 'token-h', nowMs: now + 10_000 })).toEqual({ parked: false });
      expect(await store.acquireLock('web', 'production', req('w2', 2))).toEqual({ outcome: 'busy', holder: 'h' });
      expect(await store.acquireLock('web', 'production', req('w1', 1))).toEqual({ outcome: 'superseded', by: { deploymentId: 'w2', digest: req('w2', 2).digest } });
      expect(await store.parkLockWaiter('web', 'production', { deploymentId: 'w2', token: 'token-w2', nowMs: now + 10_000 })).toEqual({ parked: true, displaced: 'token-w1' });
      expect(await store.getLock('web', 'production')).toMatchObject({ holder: 'h', waiter: { deploymentId: 'w2' }, parked: { deploymentId: 'w2', token: 'token-w2' } });
      await store.releaseLock('web', 'production', 'h');
      // No live holder any more: the waiter asks for the lock again instead of parking.
      expect(await store.parkLockWaiter('web', 'production', { deploymentId: 'w2', token: 'token-w2b', nowMs: now + 10_000 })).toEqual({ parked: false });
      expect(await store.acquireLock('web', 'production', req('w2', 2))).toEqual({ outcome: 'acquired' });
      expect((await store.getLock('web', 'production'))?.parked).toBeUndefined();
      await store.releaseLock('web', 'production', 'w2');
    },
  },
  {
    port: 'DeploymentStore.clearFutureClaims',
    behaviour: 'a claim dated beyond the clock skew is removed and returned; the holder stays; nothing else changes',
    run: async ({ store }) => {
      const now = Date.UTC(2026, 0, 1);
      const later = now + 24 * 3600_000;
      // Granted by a clock a day ahead: its claim is in the future for the sweep's clock.
      const claim = { deploymentId: 'web-future', digest: `sha256:${'f'.repeat(64)}`, requestedAt: new Date(later).toISOString() };
      expect(await store.acquireLock('web', 'staging', { ...claim, leaseSeconds: 600, nowMs: later })).toEqual({ outcome: 'acquired' });
      expect(await store.clearFutureClaims('web', 'staging', later)).toEqual([]);
      expect(await store.clearFutureClaims('web', 'staging', now)).toEqual([claim]);
      expect(await store.clearFutureClaims('web', 'staging', now)).toEqual([]);
      expect((await store.getLock('web', 'staging'))?.holder).toBe('web-future');
      expect(await store.clearFutureClaims('web', 'no-lock', now)).toEqual([]);
    },
  },
  // ---------------------------------------------------------------- ScalingStateStore
  {
    port: 'ScalingStateStore.get / put',
    behaviour: 'nothing stored is undefined; version 1 is written once; each write needs the version read (another writer loses)',
    run: async ({ maintenance, store }) => {
      expect(await maintenance.get('web', 'production')).toBeUndefined();
      const action = {
        kind: 'scale-out',
        service: 'web',
        environment: 'production',
        target: 'service/shop/web',
        reason: 'cpu-high',
        outcome: 'done',
        at: '2026-01-01T00:05:00.000Z',
      };
      const v1 = { version: 1, lastActionAt: { 'cpu-high': Date.UTC(2026, 0, 1, 0, 5) }, lastScaleOutAt: Date.UTC(2026, 0, 1, 0, 5), history: [action] };
      expect(await maintenance.put('web', 'production', v1 as never)).toBe(true);
      expect(await maintenance.put('web', 'production', v1 as never)).toBe(false);
      expect(await maintenance.get('web', 'production')).toEqual(v1);
      const v2 = { ...v1, version: 2, lastActionAt: { ...v1.lastActionAt, 'cpu-low': Date.UTC(2026, 0, 1, 0, 9) } };
      expect(await maintenance.put('web', 'production', v2 as never)).toBe(true);
      // A writer that read version 1 too loses.
      expect(await maintenance.put('web', 'production', { ...v2, lastActionAt: {} } as never)).toBe(false);
      expect(await maintenance.get('web', 'production')).toEqual(v2);
      // The scaling item lives beside the deployment records without being one.
      expect((await store.listDeployments('web', 'production')).map((r) => r.deploymentId)).toEqual(['web-a', 'web-b']);
    },
  },
  // ---------------------------------------------------------------- ReleaseStore
  {
    port: 'ReleaseStore.createRelease / getRelease',
    behaviour: 'created once; a replay returns the stored record; an unknown release is undefined',
    run: async ({ releases }) => {
      expect(await releases.createRelease(release())).toEqual({ record: release(), created: true });
      expect(await releases.createRelease(release({ trigger: { kind: 'manual', by: 'bob' } }))).toEqual({ record: release(), created: false });
      expect(await releases.getRelease('rel-1')).toEqual(release());
      expect(await releases.getRelease('no-such-release')).toBeUndefined();
    },
  },
  {
    port: 'ReleaseStore.updateStage / setApprovalToken',
    behaviour: 'one stage replaced by index, the others kept; the approval token and its environment stored, then cleared',
    run: async ({ releases }) => {
      const staging = { ...stage('staging'), status: 'SUCCEEDED', deployments: [{ service: 'api', deploymentId: 'api-staging-1', status: 'SUCCEEDED' }], endedAt: '2026-01-01T00:20:00.000Z' };
      await releases.updateStage('rel-1', 0, staging as never);
      await releases.setApprovalToken('rel-1', 'approval-token', 'production');
      const got = await releases.getRelease('rel-1');
      expect(got?.stages).toEqual([staging, stage('production')]);
      expect(got).toMatchObject({ taskToken: 'approval-token', waitingFor: { environment: 'production', since: '2026-01-01T00:00:00.000Z' } });
      await releases.setApprovalToken('rel-1', undefined);
      const cleared = await releases.getRelease('rel-1');
      expect(cleared).not.toHaveProperty('taskToken');
      expect(cleared).not.toHaveProperty('waitingFor');
      await expect(releases.updateStage('rel-1', 100, staging as never)).rejects.toThrow(ValidationError);
      await expect(releases.updateStage('no-such-release', 0, staging as never)).rejects.toThrow(ConflictError);
    },
  },
  {
    port: 'ReleaseStore.finishRelease',
    behaviour: 'ends once with every stage and a TTL (again: false); an ended release is not changed again (ConflictError)',
    run: async ({ releases }) => {
      const stages = [{ ...stage('staging'), status: 'SUCCEEDED' }, { ...stage('production'), status: 'SUCCEEDED' }];
      const reason = { code: 'Promoted', message: 'every environment succeeded' };
      await releases.setApprovalToken('rel-1', 'approval-token', 'production');
      expect(await releases.finishRelease('rel-1', 'SUCCEEDED', reason, stages as never, 1_800_000_000.7)).toBe(true);
      expect(await releases.finishRelease('rel-1', 'FAILED', reason, stages as never, 1_800_000_000)).toBe(false);
      const ended = await releases.getRelease('rel-1');
      expect(ended).toMatchObject({ status: 'SUCCEEDED', reason, stages, expiresAt: 1_800_000_000 });
      expect(ended).not.toHaveProperty('taskToken');
      await expect(releases.updateStage('rel-1', 0, stage('staging') as never)).rejects.toThrow(/already ended as SUCCEEDED/);
      await expect(releases.setApprovalToken('rel-1', 'late-token', 'production')).rejects.toThrow(ConflictError);
      await expect(releases.finishRelease('rel-1', 'IN_PROGRESS', reason, stages as never, 1)).rejects.toThrow(ValidationError);
    },
  },
];

const stage = (environment: string) => ({
  environment,
  status: 'PENDING',
  requiresApproval: environment === 'production',
  deployments: [],
  verificationHooks: 0,
});

const release = (over: Record<string, unknown> = {}): ReleaseRecord =>
  ({
    releaseId: 'rel-1',
    status: 'IN_PROGRESS',
    image: { repository: 'shop/api', digest: `sha256:${'c'.repeat(64)}`, tag: 'v3', uri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop/api@sha256:${'c'.repeat(64)}` },
    trigger: { kind: 'ecr-push', eventId: 'event-1' },
    stages: [stage('staging'), stage('production')],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  }) as ReleaseRecord;

describe.each(['dynalite', 'moto'] as const)('DynamoDB store contract on %s', (name) => {
  let backend: StoreBackend;
  let close: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    let endpoint: string;
    if (name === 'dynalite') {
      const d = await startDynalite();
      endpoint = d.endpoint;
      close = d.close;
    } else {
      endpoint = proxy.endpoint;
    }
    const client = new DynamoDBClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    await createStoreTable(client, 'cutover-conformance');
    const doc = DynamoDBDocumentClient.from(client);
    const clock = { now: () => Date.UTC(2026, 0, 1) };
    backend = {
      store: new DynamoStore(doc, 'cutover-conformance', clock),
      maintenance: new DynamoMaintenanceStore(doc, 'cutover-conformance'),
      releases: new DynamoReleaseStore(doc, 'cutover-conformance', clock),
    };
  });
  afterAll(async () => close());
  it.each(STORE_CASES.map((c) => [`${c.port}: ${c.behaviour}`, c] as const))('%s', async (_t, c) => {
    await c.run(backend);
  });
});

