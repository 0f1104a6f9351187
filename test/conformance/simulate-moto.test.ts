/**
 * End to end on moto: `cutover simulate --endpoint` runs the real state machines with the real
 * handlers here, and sends every ECS, ELB, CloudWatch and ECR call to moto (through the gap proxy,
 * moto-proxy.ts). Each case builds its own world in its own moto region, runs a scenario written
 * against that world's ARNs, and reads the outcome back from moto: the route's weights, the
 * service's task sets and the task-definition revisions.
 *
 * moto has no load balancer traffic and so no ALB metrics: the canary analysis is off here (the
 * MetricSource adapter is held to AWS's GetMetricData in adapter-contract.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { type Action, DescribeListenersCommand, DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bufferIO } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import {
  ACCOUNT,
  createNetwork,
  createRepository,
  createService,
  type MotoClients,
  type MotoService,
  type MotoServiceSpec,
  motoClients,
  type Network,
} from './moto-world.js';
import { type MotoProxy, startMotoProxy } from './moto-proxy.js';

const dir = mkdtempSync(join(tmpdir(), 'cutover-conformance-'));
let proxy: MotoProxy;
beforeAll(async () => {
  proxy = await startMotoProxy(inject('motoEndpoint'));
});
afterAll(async () => {
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Built {
  readonly region: string;
  readonly c: MotoClients;
  readonly network: Network;
  readonly services: MotoService[];
  /** Digests pushed to each repository, in order (the first runs at the start). */
  readonly digests: Record<string, string[]>;
}

/** A world in its own region: the repositories (two images each: v1 running, v2 to deploy) and the services. */
async function build(region: string, specs: ReadonlyArray<Omit<MotoServiceSpec, 'digest' | 'cluster'>>): Promise<Built> {
  const c = motoClients(proxy.endpoint, region);
  const network = await createNetwork(proxy.endpoint, region);
  const digests: Record<string, string[]> = {};
  for (const repo of new Set(specs.map((s) => s.repository))) {
    digests[repo] = await createRepository(c, proxy.endpoint, region, repo, [
      { seed: `${region}/${repo}/v1`, tag: 'v1' },
      { seed: `${region}/${repo}/v2`, tag: 'v2' },
    ]);
  }
  const services: MotoService[] = [];
  for (const spec of specs) {
    services.push(await createService(c, region, network, { ...spec, cluster: 'shop', digest: digests[spec.repository]![0]! }));
  }
  return { region, c, network, services, digests };
}

type Strategy = Record<string, unknown>;

/** The scenario file for `simulate`: Cutover's configuration of these services, the world it expects, and the timeline. */
function scenarioFile(name: string, built: Built, strategy: Strategy, timeline: unknown[], extra: { alarms?: boolean } = {}): string {
  const { region } = built;
  const scenario = {
    name,
    description: `conformance on moto: ${name}`,
    accountId: ACCOUNT,
    region,
    config: {
      account: ACCOUNT,
      region,
      taskRoleArns: [`arn:aws:iam::${ACCOUNT}:role/*-task`, `arn:aws:iam::${ACCOUNT}:role/*-execution`],
      services: built.services.map((s) => ({
        name: s.service,
        environment: 'production',
        cluster: s.cluster,
        service: s.service,
        containerName: s.containerName,
        repository: s.spec.repository,
        tagFilter: '*',
        ...(s.ruleArn ? { listenerRuleArn: s.ruleArn } : { listenerArn: s.listenerArn }),
        targetGroupArns: [...s.targetGroupArns],
        alarms: extra.alarms === false ? [] : [...s.alarms],
        strategy,
        analysis: { enabled: false },
        // A service with no task set yet: its first one is created from these settings.
        ...(s.spec.initialTaskSet === false
          ? {
              bootstrap: {
                taskDefinition: s.family,
                containerPort: s.containerPort,
                subnets: [...built.network.subnetIds],
                securityGroups: [built.network.securityGroupId],
              },
            }
          : {}),
        healthTimeoutSeconds: 300,
        terminationWaitSeconds: 120,
      })),
    },
    world: {
      services: built.services.map((s) => ({ service: s.service, desiredCount: s.desiredCount, initialDigest: built.digests[s.spec.repository]![0]! })),
      images: Object.entries(built.digests).flatMap(([repository, [v1, v2]]) => [
        { repository, digest: v1, tags: ['v1'] },
        { repository, digest: v2, tags: ['v2'], existsAtStart: false },
      ]),
    },
    timeline,
    maxVirtualSeconds: 4 * 3600,
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(scenario, null, 2));
  return file;
}

const push = (built: Built, repository: string, at = 10) => ({ at, kind: 'push', repository, digest: built.digests[repository]![1]!, tag: 'v2' });

interface Summary {
  deployments: Array<{ deploymentId: string; service: string; status: string; reasonCode?: string; reason?: string }>;
  invariantViolations: string[];
}

async function simulate(file: string): Promise<Summary> {
  const io = bufferIO({ cwd: dir, env: {} });
  const code = await main(['simulate', '--scenario', file, '--endpoint', proxy.endpoint, '--json'], io);
  const out = io.out();
  expect(out, io.err()).not.toBe('');
  const summary = JSON.parse(out) as Summary;
  expect(summary.invariantViolations).toEqual([]);
  expect(code).toBe(0);
  return summary;
}

/** The route's forward as moto holds it: target group -> weight. */
async function weightsOf(built: Built, s: MotoService): Promise<Record<string, number>> {
  let actions: Action[];
  if (s.ruleArn) actions = (await built.c.elb.send(new DescribeRulesCommand({ RuleArns: [s.ruleArn] }))).Rules?.[0]?.Actions ?? [];
  else actions = (await built.c.elb.send(new DescribeListenersCommand({ ListenerArns: [s.listenerArn] }))).Listeners?.[0]?.DefaultActions ?? [];
  const forward = actions.find((a) => a.Type === 'forward');
  const tuples = forward?.ForwardConfig?.TargetGroups ?? (forward?.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  return Object.fromEntries(tuples.map((t) => [t.TargetGroupArn as string, t.Weight ?? 1]));
}

/** How many times this operation reached moto in the world's region. */
const writesIn = (built: Built, operation: string): number => proxy.calls.filter((c) => c.region === built.region && c.operation === operation).length;

async function taskSetsOf(built: Built, s: MotoService) {
  const svc = (await built.c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] }))).services?.[0];
  return (svc?.taskSets ?? []).map((ts) => ({
    status: ts.status,
    taskDefinition: ts.taskDefinition,
    targetGroupArn: ts.loadBalancers?.[0]?.targetGroupArn,
    scale: ts.scale?.value,
  }));
}

async function revisionsOf(built: Built, family: string) {
  const arns = (await built.c.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, sort: 'ASC' }))).taskDefinitionArns ?? [];
  const out = [];
  for (const arn of arns) {
    const d = await built.c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    out.push({ arn, td: d.taskDefinition, tags: d.tags });
  }
  return out;
}

/**
 * Revision 2 is revision 1 with the container's image replaced by the pushed digest and
 * CUTOVER_VERSION (the deployment id) and CUTOVER_COLOR (green) added to its environment (issue #18).
 */
async function expectRevisionCopiedWithImage(built: Built, s: MotoService, summary: Summary) {
  const revs = await revisionsOf(built, s.family);
  expect(revs.map((r) => r.td?.revision)).toEqual([1, 2]);
  const [one, two] = revs;
  const image = `${ACCOUNT}.dkr.ecr.${built.region}.amazonaws.com/${s.spec.repository}@${built.digests[s.spec.repository]![1]}`;
  const c1 = one!.td!.containerDefinitions![0]!;
  const c2 = two!.td!.containerDefinitions![0]!;
  expect(c2.image).toBe(image);
  expect(c2.secrets).toEqual(c1.secrets);
  expect(c2.secrets?.length).toBe(2);
  const deploymentId = summary.deployments.find((d) => d.service === s.service)?.deploymentId;
  expect(deploymentId).toMatch(new RegExp(`^${s.service}-production-`));
  expect(c2.environment).toEqual([
    ...(c1.environment ?? []),
    { name: 'CUTOVER_VERSION', value: deploymentId },
    { name: 'CUTOVER_COLOR', value: 'green' },
  ]);
  expect(two!.td!.taskRoleArn).toBe(one!.td!.taskRoleArn);
  expect(two!.td!.executionRoleArn).toBe(one!.td!.executionRoleArn);
  expect(two!.tags).toEqual(one!.tags);
  return two!.arn;
}

// Each case has its own region of moto (nothing shared), so they run side by side.
describe.concurrent('cutover simulate --endpoint on moto', () => {
  it('a canary on a listener rule: 10 %, bake, 100 %; green is primary, the rule weights it 100, blue is gone', async () => {
    const built = await build('eu-west-1', [{ name: 'api', route: 'rule', testListener: true, repository: 'shop/api' }]);
    const s = built.services[0]!;
    const summary = await simulate(scenarioFile('canary-rule', built, { type: 'canary', percent: 10, bakeSeconds: 300 }, [push(built, 'shop/api')]));

    expect(summary.deployments).toEqual([expect.objectContaining({ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' })]);
    const revision2 = await expectRevisionCopiedWithImage(built, s, summary);
    expect(await weightsOf(built, s)).toEqual({ [s.targetGroupArns[0]]: 0, [s.targetGroupArns[1]]: 100 });
    expect(await taskSetsOf(built, s)).toEqual([{ status: 'PRIMARY', taskDefinition: revision2, targetGroupArn: s.targetGroupArns[1], scale: 100 }]);
    // The rule's stickiness and conditions are kept.
    const rule = (await built.c.elb.send(new DescribeRulesCommand({ RuleArns: [s.ruleArn as string] }))).Rules?.[0];
    expect(rule?.Actions?.[0]?.ForwardConfig?.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 300 });
    expect(rule?.Conditions?.[0]?.PathPatternConfig?.Values).toEqual(['/api/*']);
    // Two shifts (10 %, then 100 %) reached moto as ModifyRule, and nothing else wrote the rule.
    expect(writesIn(built, 'ModifyRule')).toBe(2);
  });

  it('a step list on a listener: 5, 25, 50, 100 %, each one written and read back', async () => {
    const built = await build('eu-west-2', [{ name: 'web', route: 'listener', repository: 'shop/web' }]);
    const s = built.services[0]!;
    const steps = { type: 'steps', steps: [{ percent: 5, bakeSeconds: 60 }, { percent: 25, bakeSeconds: 60 }, { percent: 50, bakeSeconds: 60 }, { percent: 100 }] };

    const summary = await simulate(scenarioFile('steps-listener', built, steps, [push(built, 'shop/web')]));

    expect(summary.deployments).toEqual([expect.objectContaining({ service: 'web', status: 'SUCCEEDED', reasonCode: 'Promoted' })]);
    const revision2 = await expectRevisionCopiedWithImage(built, s, summary);
    expect(await weightsOf(built, s)).toEqual({ [s.targetGroupArns[0]]: 0, [s.targetGroupArns[1]]: 100 });
    expect(await taskSetsOf(built, s)).toEqual([{ status: 'PRIMARY', taskDefinition: revision2, targetGroupArn: s.targetGroupArns[1], scale: 100 }]);
    // Four shifts forward (and no rollback).
    expect(writesIn(built, 'ModifyListener')).toBe(4);
  });

  it('an alarm state event during the bake rolls back: blue at 100 and primary, green deleted', async () => {
    const built = await build('eu-west-3', [{ name: 'pay', route: 'rule', repository: 'shop/pay' }]);
    const s = built.services[0]!;
    const alarm = s.alarms[1];
    const event = {
      version: '0',
      id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: ACCOUNT,
      time: '2026-01-01T00:05:00Z',
      region: built.region,
      resources: [`arn:aws:cloudwatch:${built.region}:${ACCOUNT}:alarm:${alarm}`],
      detail: {
        alarmName: alarm,
        state: { value: 'ALARM', reason: 'Threshold Crossed: 1 out of the last 1 datapoints [42.0] was greater than the threshold (10.0)', timestamp: '2026-01-01T00:05:00.000+0000' },
        previousState: { value: 'OK', reason: 'Threshold Crossed', timestamp: '2026-01-01T00:00:00.000+0000' },
        configuration: { metrics: [] },
      },
    };

    const summary = await simulate(
      scenarioFile('alarm-rollback', built, { type: 'canary', percent: 20, bakeSeconds: 900 }, [
        push(built, 'shop/pay'),
        { at: 400, kind: 'event', target: 'alarm-watcher', event },
      ]),
    );

    expect(summary.deployments).toEqual([expect.objectContaining({ service: 'pay', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' })]);
    expect(summary.deployments[0]?.reason).toContain(alarm);
    expect(await weightsOf(built, s)).toEqual({ [s.targetGroupArns[0]]: 100, [s.targetGroupArns[1]]: 0 });
    const revisions = await revisionsOf(built, s.family);
    expect(revisions).toHaveLength(2);
    expect(await taskSetsOf(built, s)).toEqual([{ status: 'PRIMARY', taskDefinition: revisions[0]!.arn, targetGroupArn: s.targetGroupArns[0], scale: 100 }]);
  });

  it('a first deployment: a service with no task set gets its first one on the group the route weights 100', async () => {
    const built = await build('eu-central-1', [{ name: 'new', route: 'listener', repository: 'shop/new', initialTaskSet: false }]);
    const s = built.services[0]!;
    expect(await taskSetsOf(built, s)).toEqual([]);

    const summary = await simulate(scenarioFile('first-deployment', built, { type: 'canary', percent: 10, bakeSeconds: 300 }, [push(built, 'shop/new')]));

    expect(summary.deployments).toEqual([expect.objectContaining({ service: 'new', status: 'SUCCEEDED' })]);
    const revision2 = await expectRevisionCopiedWithImage(built, s, summary);
    expect(await taskSetsOf(built, s)).toEqual([{ status: 'PRIMARY', taskDefinition: revision2, targetGroupArn: s.targetGroupArns[0], scale: 100 }]);
    expect(await weightsOf(built, s)).toEqual({ [s.targetGroupArns[0]]: 100, [s.targetGroupArns[1]]: 0 });
  });

  it('a listener forwarding to blue alone (a plain forward): green is added at weight 0, then the canary runs', async () => {
    const built = await build('ap-southeast-1', [{ name: 'solo', route: 'listener', blueOnly: true, repository: 'shop/solo' }]);
    const s = built.services[0]!;
    expect(await weightsOf(built, s)).toEqual({ [s.targetGroupArns[0]]: 1 });

    const summary = await simulate(scenarioFile('blue-only', built, { type: 'canary', percent: 10, bakeSeconds: 300 }, [push(built, 'shop/solo')]));

    expect(summary.deployments).toEqual([expect.objectContaining({ service: 'solo', status: 'SUCCEEDED', reasonCode: 'Promoted' })]);
    const revision2 = await expectRevisionCopiedWithImage(built, s, summary);
    expect(await weightsOf(built, s)).toEqual({ [s.targetGroupArns[0]]: 0, [s.targetGroupArns[1]]: 100 });
    expect(await taskSetsOf(built, s)).toEqual([{ status: 'PRIMARY', taskDefinition: revision2, targetGroupArn: s.targetGroupArns[1], scale: 100 }]);
  });

  it('two services on one repository: one push deploys both, each its own family revision', async () => {
    const built = await build('ap-southeast-2', [
      { name: 'orders', route: 'rule', repository: 'shop/core' },
      { name: 'billing', route: 'listener', repository: 'shop/core' },
    ]);

    const summary = await simulate(scenarioFile('two-services', built, { type: 'canary', percent: 10, bakeSeconds: 300 }, [push(built, 'shop/core')]));

    expect(summary.deployments.map((d) => [d.service, d.status]).sort()).toEqual([
      ['billing', 'SUCCEEDED'],
      ['orders', 'SUCCEEDED'],
    ]);
    for (const s of built.services) {
      const revision2 = await expectRevisionCopiedWithImage(built, s, summary);
      expect(await weightsOf(built, s)).toEqual({ [s.targetGroupArns[0]]: 0, [s.targetGroupArns[1]]: 100 });
      expect(await taskSetsOf(built, s)).toEqual([{ status: 'PRIMARY', taskDefinition: revision2, targetGroupArn: s.targetGroupArns[1], scale: 100 }]);
    }
  });
});
