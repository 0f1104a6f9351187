/**
 * Shared pieces of the world tests: a tiny manual virtual clock, real SDK clients wired to a
 * world through its plugin, and digests.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import {
  CreateTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { VirtualClock } from '../../local/contracts.js';
import { type CreateServiceSpec, type SeededService, World } from '../../local/world/world.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** 2025-01-01T00:00:00Z: minute-aligned, so tick windows are whole minutes. */
export const T0 = Date.UTC(2025, 0, 1, 0, 0, 0);

interface Timer {
  id: number;
  at: number;
  fn: () => void | Promise<void>;
  periodMs?: number;
}

/** Virtual time that moves only when a test says so. */
export class ManualClock implements VirtualClock {
  private t: number;
  private timers: Timer[] = [];
  private nextId = 1;
  constructor(start = T0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.at(this.t + ms, resolve);
    });
  }
  at(atMs: number, fn: () => void | Promise<void>): () => void {
    const id = this.nextId++;
    this.timers.push({ id, at: atMs, fn });
    return () => this.cancel(id);
  }
  every(periodMs: number, fn: () => void | Promise<void>): () => void {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + periodMs, fn, periodMs });
    return () => this.cancel(id);
  }
  private cancel(id: number): void {
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  /** Move time forward by `ms`, running due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      if (due.periodMs) due.at += due.periodMs;
      else this.cancel(due.id);
      await due.fn();
    }
    this.t = end;
  }
}

export const digest = (c: string): string => `sha256:${c.repeat(64).slice(0, 64)}`;
export const GOOD = digest('a');
export const BAD = digest('b');
export const NEXT = digest('c');

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/shop-alb/0123456789abcdef/fedcba9876543210`;
export const TG_BLUE = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/shop-blue/1111111111111111`;
export const TG_GREEN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/shop-green/2222222222222222`;

const config = { region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };

export function clientsFor(world: World) {
  const ecs = new ECSClient(config);
  const elb = new ElasticLoadBalancingV2Client(config);
  const cw = new CloudWatchClient(config);
  const ecr = new ECRClient(config);
  const sfn = new SFNClient(config);
  const eb = new EventBridgeClient(config);
  for (const c of [ecs, elb, cw, ecr, sfn, eb]) c.middlewareStack.use(world.plugin);
  return { ecs, elb, cw, ecr, sfn, eb };
}

export const SHOP: CreateServiceSpec = {
  cluster: 'prod',
  service: 'shop',
  desiredCount: 4,
  listener: { arn: LISTENER_ARN },
  targetGroupArns: [TG_BLUE, TG_GREEN],
  containerName: 'web',
  containerPort: 8080,
  initialImage: { repository: 'shop', digest: GOOD, tag: 'v1' },
  requestsPerMinute: 1200,
};

export function setup(spec: Partial<CreateServiceSpec> = {}, seed = 7) {
  const clock = new ManualClock();
  const world = new World({ clock, seed });
  const shop: SeededService = world.createService({ ...SHOP, ...spec });
  return { clock, world, shop, ...clientsFor(world) };
}

/** Register revision 2 of the shop with `digest` and create a green task set for it. */
export async function createGreen(ctx: ReturnType<typeof setup>, digest: string, clientToken = 'deploy-1', scale = 100) {
  const { ecs, world, shop } = ctx;
  world.pushImage('shop', digest, []);
  const current = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: shop.taskDefinitionArn, include: ['TAGS'] }));
  const { taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt, registeredBy, ...rest } =
    current.taskDefinition ?? {};
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      ...(rest as RegisterTaskDefinitionCommandInput),
      containerDefinitions: rest.containerDefinitions?.map((c) => (c.name === 'web' ? { ...c, image: world.imageUri('shop', digest) } : c)),
      ...(current.tags?.length ? { tags: current.tags } : {}),
    }),
  );
  const stable = world.taskSets('prod', 'shop')[0];
  const template = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['shop'] }))).services?.[0]?.taskSets?.[0];
  const out = await ecs.send(
    new CreateTaskSetCommand({
      cluster: 'prod',
      service: 'shop',
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      externalId: clientToken,
      clientToken,
      launchType: template?.launchType,
      networkConfiguration: template?.networkConfiguration,
      loadBalancers: [{ targetGroupArn: TG_GREEN, containerName: 'web', containerPort: 8080 }],
      scale: { unit: 'PERCENT', value: scale },
    }),
  );
  return { taskSet: out.taskSet, stable, taskDefinitionArn: td.taskDefinition?.taskDefinitionArn as string };
}

