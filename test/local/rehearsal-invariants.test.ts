/**
 * The rehearsal's safety checks (local/rehearsal.ts) catch violations injected behind Cutover's
 * back: after a state, the checks cover that execution's service; at the end, every service. And a
 * run that the runner gives up on still stops its dynalite.
 */
import { describe, expect, it, vi } from 'vitest';
import { type RehearsalContext, runScenario, type RunOptions } from '../../local/rehearsal.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { builtinScenario, listenerArn, service, targetGroupArn } from '../../local/scenarios/builtin.js';

const dynalites = vi.hoisted(() => ({ started: [] as string[], closed: [] as string[] }));

vi.mock('../../local/dynamo.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../local/dynamo.js')>();
  return {
    ...mod,
    startLocalDynamo: async (...args: Parameters<typeof mod.startLocalDynamo>) => {
      const d = await mod.startLocalDynamo(...args);
      dynalites.started.push(d.endpoint);
      return {
        ...d,
        close: async () => {
          dynalites.closed.push(d.endpoint);
          await d.close();
        },
      };
    },
  };
});

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Weights on a listener's default action, whatever they sum to (ELB accepts 0..999 each). */
function setWeights(ctx: RehearsalContext, name: string, weights: Array<[string, number]>): Promise<unknown> {
  return ctx.world.call('ElasticLoadBalancingV2', 'ModifyListener', {
    ListenerArn: listenerArn(`${name}-alb`, 443),
    DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: weights.map(([tg, w]) => ({ TargetGroupArn: targetGroupArn(tg), Weight: w })) } }],
  });
}

async function run(input: ScenarioInput, options: RunOptions = {}) {
  return runScenario(parseScenario(input, input.name), options);
}

const goodCanary = (): ScenarioInput => {
  const input = builtinScenario('good-canary');
  if (!input) throw new Error('no good-canary');
  return input;
};

describe('invariants checked after every state of a deployment', () => {
  it('the good canary has none (the baseline for the injections below)', async () => {
    // Act
    const trace = await run(goodCanary());

    // Assess
    expect(trace.summary.invariantViolations).toEqual([]);
  });

  it('catches weights that no longer sum to 100, set behind the deployment during its bake', async () => {
    // Prepare: the canary is at 90/10 from about 70 s; at 100 s something else writes 50/30.
    const options: RunOptions = { actions: [{ at: 100, label: 'break weights', run: (ctx) => setWeights(ctx, 'api', [['api-a', 50], ['api-b', 30]]) }] };

    // Act
    const trace = await run(goodCanary(), options);

    // Assess
    expect(trace.summary.invariantViolations.some((v) => /^api\/production after \w+: weights sum to 80, not 100/.test(v))).toBe(true);
  });

  it('catches traffic sent to a target group without the healthy targets the step needs', async () => {
    // Prepare: at 30 s green has no task yet; something sends it half the traffic.
    const options: RunOptions = { actions: [{ at: 30, label: 'early shift', run: (ctx) => setWeights(ctx, 'api', [['api-a', 50], ['api-b', 50]]) }] };

    // Act
    const trace = await run(goodCanary(), options);

    // Assess
    expect(trace.summary.invariantViolations.some((v) => /^api\/production after \w+: \S+api-b\S* receives 50 % of traffic with 0 healthy targets/.test(v))).toBe(
      true,
    );
  });

  it('catches a second deployment IN_PROGRESS for the same service and environment', async () => {
    // Prepare: during the bake a second in-flight record appears for api/production.
    const options: RunOptions = {
      actions: [
        {
          at: 100,
          label: 'second record',
          run: async (ctx) => {
            const [record] = await ctx.store.listInFlight();
            if (!record) throw new Error('nothing in flight at 100 s');
            await ctx.store.createDeployment({ ...record, deploymentId: 'intruder-1' });
          },
        },
      ],
    };

    // Act
    const trace = await run(goodCanary(), options);

    // Assess
    expect(trace.summary.invariantViolations.some((v) => /after \w+: api\/production has 2 deployments IN_PROGRESS \(.*intruder-1.*\)/.test(v))).toBe(true);
  });

  it('catches the running task definition deleted while its task set uses it', async () => {
    // Prepare: during the bake the stable revision is deregistered and deleted.
    const options: RunOptions = {
      actions: [
        {
          at: 100,
          label: 'delete blue revision',
          run: async (ctx) => {
            const blue = ctx.world.taskSets('demo', 'api').find((t) => t.status === 'PRIMARY');
            if (!blue) throw new Error('no primary task set');
            await ctx.world.call('ECS', 'DeregisterTaskDefinition', { taskDefinition: blue.taskDefinitionArn });
            await ctx.world.call('ECS', 'DeleteTaskDefinitions', { taskDefinitions: [blue.taskDefinitionArn] });
          },
        },
      ],
    };

    // Act
    const trace = await run(goodCanary(), options);

    // Assess
    expect(trace.summary.invariantViolations.some((v) => /^after \w+: \S+task-definition\/api:\d+ was deleted while task set \S+ uses it/.test(v))).toBe(true);
  });
});

describe('invariants of services no execution touches', () => {
  it('are checked at the end: broken weights on a service that is not deploying', async () => {
    // Prepare: api deploys; checkout (same repository, but a tag filter the push does not match)
    // stays put, and something breaks its weights.
    const base = goodCanary();
    const checkout = service({ name: 'checkout', extra: { tagFilter: 'release-*' } });
    const input: ScenarioInput = {
      ...base,
      name: 'canary-beside-idle-service',
      config: { ...(base.config as Record<string, unknown>), services: [...((base.config as { services: unknown[] }).services ?? []), checkout] },
      world: { ...base.world, services: [...base.world.services, { ...base.world.services[0], service: 'checkout' }] },
      expect: undefined,
    } as ScenarioInput;
    const options: RunOptions = { actions: [{ at: 100, label: 'break checkout', run: (ctx) => setWeights(ctx, 'checkout', [['checkout-a', 40], ['checkout-b', 20]]) }] };

    // Act
    const trace = await run(input, options);

    // Assess
    expect(trace.summary.deployments.map((d) => [d.service, d.status])).toEqual([['api', 'SUCCEEDED']]);
    expect(trace.summary.invariantViolations).toContainEqual(expect.stringMatching(/^checkout\/production at the end: weights sum to 60, not 100/));
    expect(trace.summary.invariantViolations.filter((v) => v.startsWith('api/'))).toEqual([]);
  });
});

describe('a run the runner gives up on', () => {
  it('rejects with the stall diagnostic and stops its dynalite', async () => {
    // Prepare: an action that never ends, before the push; the runner waits 500 real ms for it.
    const before = dynalites.started.length;
    const options: RunOptions = {
      stallTimeoutMs: 500,
      actions: [{ at: 1, label: 'hung action', run: () => new Promise<never>(() => undefined) }],
    };

    // Act
    const outcome = run(goodCanary(), options);

    // Assess
    await expect(outcome).rejects.toThrow(/activities still busy after 500 real ms: .*hung action/);
    const started = dynalites.started.slice(before);
    expect(started).toHaveLength(1);
    expect(dynalites.closed).toEqual(expect.arrayContaining(started));
    await expect(fetch(started[0] as string)).rejects.toThrow();
  });
});
