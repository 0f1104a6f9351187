/**
 * `cutover adopt` against the in-memory AWS world: it reads a live service through the SDK (the same
 * seam every adapter uses), makes no write call, and prints an entry parseConfig accepts — or says
 * what must change when the service is not ready for Cutover.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import type { AdoptReport } from '../../cli/adopt.js';
import { bufferIO } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { VirtualClockImpl } from '../../local/clock.js';
import { World } from '../../local/world/world.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

function worldWithService(opts: { rule?: boolean; roles?: boolean; alarms?: boolean } = {}) {
  const world = new World({ clock: new VirtualClockImpl() });
  const seeded = world.createService({
    cluster: 'shop',
    service: 'checkout-svc',
    desiredCount: 2,
    containerName: 'web',
    containerPort: 8080,
    ...(opts.rule ? { rule: { priority: 10 } } : {}),
    initialImage: { repository: 'shop/checkout', digest: `sha256:${'a'.repeat(64)}`, tag: 'v1' },
    taskDefinition: {
      family: 'checkout',
      ...(opts.roles === false
        ? {}
        : { taskRoleArn: 'arn:aws:iam::123456789012:role/checkout-task', executionRoleArn: 'arn:aws:iam::123456789012:role/checkout-exec' }),
    },
  });
  if (opts.alarms !== false) {
    world.createAlarm({ name: 'checkout-5xx-a', metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: seeded.targetGroupArns[0], threshold: 5 });
    world.createAlarm({ name: 'checkout-5xx-b', metric: 'HTTPCode_Target_5XX_Count', targetGroupArn: seeded.targetGroupArns[1], threshold: 5 });
  }
  return { world, seeded };
}

async function adopt(world: World, ...args: string[]) {
  const io = bufferIO({ env: {} });
  const code = await main(['adopt', ...args], io, {
    clientOptions: { region: world.region, credentials: CREDENTIALS, plugins: [world.plugin] },
  });
  return { code, out: io.out(), err: io.err() };
}

describe('cutover adopt', () => {
  it('reads the live service, makes no write call, and prints an entry parseConfig accepts (with the roles and alarms it found)', async () => {
    const { world, seeded } = worldWithService();
    const before = world.calls.length;

    const run = await adopt(world, 'checkout', '--cluster', 'shop', '--service', 'checkout-svc', '--env', 'production', '--json');

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const calls = world.calls.slice(before);
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.filter((c) => !/^(Describe|List|Get)/.test(c.operation))).toEqual([]);
    expect(world.writeCount()).toBe(0);
    expect(new Set(calls.map((c) => c.operation))).toEqual(
      new Set(['DescribeServices', 'DescribeTaskDefinition', 'DescribeTargetGroups', 'DescribeListeners', 'DescribeRules', 'DescribeAlarms']),
    );

    const report = JSON.parse(run.out) as AdoptReport;
    expect(report.problems).toEqual([]);
    expect(report.entry).toMatchObject({
      name: 'checkout',
      environment: 'production',
      cluster: 'shop',
      service: 'checkout-svc',
      containerName: 'web',
      taskDefinitionFamily: 'checkout',
      repository: 'shop/checkout',
      listenerArn: seeded.listenerArn,
      targetGroupArns: [...seeded.targetGroupArns],
      alarms: ['checkout-5xx-a', 'checkout-5xx-b'],
    });
    expect(report.taskRoleArns).toEqual(['arn:aws:iam::123456789012:role/checkout-task', 'arn:aws:iam::123456789012:role/checkout-exec']);
    const config = parseConfig({
      account: report.account,
      region: report.region,
      environments: [{ name: 'production' }],
      taskRoleArns: report.taskRoleArns,
      services: [report.entry],
    });
    expect(config.services[0]?.listenerArn).toBe(seeded.listenerArn);
    // The service is EXTERNAL with its target groups on the listener: only the roles are to add.
    expect(report.changes).toHaveLength(1);
    expect(report.changes[0]).toMatch(/taskRoleArns/);
  });

  it('finds a listener rule as the route, and the text output says nothing was changed', async () => {
    const { world, seeded } = worldWithService({ rule: true });
    const run = await adopt(world, 'checkout', '--cluster', 'shop', '--service', 'checkout-svc');
    expect(run.code).toBe(0);
    expect(world.writeCount()).toBe(0);
    expect(run.out).toContain(`"listenerRuleArn": "${seeded.ruleArn}"`);
    expect(run.out).not.toMatch(/ECS deployment controller|create a second one like it|no listener or listener rule/);
    expect(run.out).toContain('The entry validates (parseConfig).');
    expect(run.out).toContain('Nothing was changed: adopt only reads');
  });

  it('says what must change when no alarm watches the service', async () => {
    const { world } = worldWithService({ alarms: false, roles: false });
    const run = await adopt(world, 'checkout', '--cluster', 'shop', '--service', 'checkout-svc', '--json');
    const report = JSON.parse(run.out) as AdoptReport;
    expect(report.changes.join('\n')).toMatch(/no alarm references the service's target groups/);
    expect(world.writeCount()).toBe(0);
  });

  it('names a service that does not exist, with what to check next (exit 1)', async () => {
    const { world } = worldWithService();
    const run = await adopt(world, 'checkout', '--cluster', 'shop', '--service', 'nope');
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/ECS service nope not found in cluster shop/);
    expect(run.err).toMatch(/next: check --cluster and --service/);
  });

  it('refuses a call without --cluster/--service (usage, exit 2)', async () => {
    const { world } = worldWithService();
    const run = await adopt(world, 'checkout');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/adopt needs --cluster and --service/);
  });
});
