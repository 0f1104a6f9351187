/**
 * What the tests of the world's ECS-own deployments share (test/local/world-native*.test.ts):
 * register a new revision of the shop's family, deploy it with UpdateService, read a service
 * deployment back, and drive the manual clock until a condition holds.
 */
import {
  DescribeServiceDeploymentsCommand,
  DescribeTaskDefinitionCommand,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type ServiceDeployment,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { World } from '../../local/world/world.js';
import { type clientsFor, type ManualClock, NEXT } from './world.fixtures.js';

type Ecs = ReturnType<typeof clientsFor>['ecs'];

/** Advance in 1 s steps until `until` holds (at most `maxMs`, default three hours). */
export async function runUntil(clock: ManualClock, until: () => boolean | Promise<boolean>, maxMs = 3 * 60 * 60_000): Promise<void> {
  for (let t = 0; t < maxMs; t += 1000) {
    if (await until()) return;
    await clock.advance(1000);
  }
  throw new Error('condition not reached');
}

/** A new revision of `taskDefinitionArn`'s family with the shop image `digest` (and CUTOVER_VERSION `version` when given); returns its ARN. */
export async function registerRevision(world: World, ecs: Ecs, taskDefinitionArn: string, digest = NEXT, version?: string): Promise<string> {
  world.pushImage('shop', digest, []);
  const cur = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }))).taskDefinition ?? {};
  const { taskDefinitionArn: _a, revision: _r, status: _s, requiresAttributes: _q, compatibilities: _c, registeredAt: _t, registeredBy: _b, ...rest } = cur;
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      ...(rest as RegisterTaskDefinitionCommandInput),
      containerDefinitions: rest.containerDefinitions?.map((c) => ({
        ...c,
        image: world.imageUri('shop', digest),
        ...(version === undefined ? {} : { environment: [...(c.environment ?? []).filter((e) => e.name !== 'CUTOVER_VERSION'), { name: 'CUTOVER_VERSION', value: version }] }),
      })),
    }),
  );
  return td.taskDefinition?.taskDefinitionArn as string;
}

/** Register a new revision and UpdateService prod/shop to it; returns the service deployment it started. */
export async function deployRevision(world: World, ecs: Ecs, taskDefinitionArn: string, digest = NEXT, version?: string): Promise<string> {
  const td = await registerRevision(world, ecs, taskDefinitionArn, digest, version);
  await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'shop', taskDefinition: td }));
  return (await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'shop' }))).serviceDeployments?.[0]?.serviceDeploymentArn as string;
}

/** DescribeServiceDeployments of one ARN. */
export async function describeDeployment(ecs: Ecs, arn: string): Promise<ServiceDeployment> {
  return (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }))).serviceDeployments?.[0] as ServiceDeployment;
}
