/**
 * Issue #14, items 1, 2, 6 and 7, on the rehearsal runtime: the configuration is the boundary,
 * whatever a caller declares. Every finding is reproduced with the scenario kinds a user has for
 * console actions — `start` (StartExecution with a raw input and an execution name) and `invoke` (a
 * direct invocation of one of Cutover's functions with a raw payload) — plus a table write, and each
 * one is refused by name with nothing changed: no new task set, no traffic moved, no revision
 * registered or deleted.
 *
 * One rehearsal runs every case (their names and payloads are distinct), so the suite costs one run.
 */
import { describe, expect, it } from 'vitest';
import { registerInputWithImage } from '../../functions/aws/ecs.js';
import { parseConfig } from '../../functions/core/config.js';
import { imageUri } from '../../functions/core/deploy-state.js';
import { loadBalancerDimension } from '../../functions/core/metrics-dimensions.js';
import { DeploymentStatus } from '../../functions/core/model.js';
import { familyOf } from '../../functions/core/services.js';
import { scopeTaskDefinitionFamilies } from '../../lib/iam-scope.js';
import { type ConsoleSummary, type RehearsalContext, runScenario, type ScenarioTrace } from '../../local/rehearsal.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { ACCOUNT, builtinScenario, digestOf, listenerArn, REGION, targetGroupArn } from '../../local/scenarios/builtin.js';

type Json = Record<string, unknown>;
const SERVICE = 'api';
const ENVIRONMENT = 'production';
const REPOSITORY = 'shop/api';
const V2 = digestOf('shop/api:v2');
/** An image the scan gate rejects (CRITICAL findings, the service blocks HIGH). */
const V3 = digestOf('shop/api:v3');
const ECS = `arn:aws:ecs:${REGION}:${ACCOUNT}`;
/** The world's first revision of the service's family (the ECS service name: `api`). */
const API_TD = `${ECS}:task-definition/api:1`;
/** A revision of another family, another task role and a foreign image (registered at t=1). */
const EVIL_TD = `${ECS}:task-definition/evil:1`;
const EVIL_ROLE = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const EVIL_IMAGE = `evil.example.com/miner@${V2}`;
const TG_A = targetGroupArn('api-a');
const TG_B = targetGroupArn('api-b');
const FOREIGN_TG = targetGroupArn('billing-a');
const ROUTE = { kind: 'listener' as const, arn: listenerArn('api-alb', 443) };
const REQUESTED_AT = '2026-01-01T00:00:05Z';

const deployInput = (deploymentId: string, over: Json = {}): Json => ({
  deploymentId,
  service: SERVICE,
  environment: ENVIRONMENT,
  image: { repository: REPOSITORY, digest: V2, tag: 'v2' },
  requestedAt: REQUESTED_AT,
  trigger: { kind: 'manual', by: 'mallory' },
  ...over,
});

/** A deploy context exactly as Inspect builds it for api, with `over` applied. */
function craftedState(deploymentId: string, ctxOver: Json = {}, over: Json = {}): Json {
  const svc = parseConfig(scenario().config).services[0];
  if (!svc) throw new Error('no service');
  return {
    request: deployInput(deploymentId),
    executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:cutover-deploy:${deploymentId}`,
    ctx: {
      cluster: svc.cluster,
      ecsService: svc.service,
      containerName: svc.containerName,
      route: ROUTE,
      targetGroupArns: [TG_A, TG_B],
      blue: { targetGroupArn: TG_A, taskDefinitionArn: API_TD },
      greenTargetGroupArn: TG_B,
      firstDeployment: false,
      plan: { strategy: 'canary', steps: [{ kind: 'shift', percent: 10 }] },
      capacity: 'full',
      desiredCount: 4,
      healthTimeoutSeconds: 300,
      terminationWaitSeconds: 300,
      alarmNames: [...svc.alarms],
      analysis: svc.analysis,
      loadBalancerDimension: loadBalancerDimension(ROUTE.arn),
      image: { repository: REPOSITORY, digest: V2, tag: 'v2', uri: imageUri(ACCOUNT, REGION, REPOSITORY, V2) },
      startedAt: REQUESTED_AT,
      ...ctxOver,
    },
    ...over,
  };
}

/** good-canary's world (service api, alarms), V2 and V3 in ECR, the scan gate at HIGH, and `timeline`. */
function scenario(timeline: ScenarioInput['timeline'] = [{ at: 0, kind: 'alarm', name: 'api-5xx-a', state: 'OK' }]): ScenarioInput {
  const base = structuredClone(builtinScenario('good-canary') as ScenarioInput);
  const config = base.config as { services: Json[] };
  config.services = config.services.map((s) => ({ ...s, imageScan: { blockSeverity: 'HIGH' } }));
  base.world.images.push(
    { repository: REPOSITORY, digest: V2, tags: ['v2'], profile: { errorRate: 0.002, latencyMs: 82 } },
    { repository: REPOSITORY, digest: V3, tags: ['v3'], scan: { status: 'COMPLETE', findings: { CRITICAL: 2 } } },
  );
  return { ...base, name: 'boundary', timeline };
}

const start = (at: number, name: string, input: unknown, stateMachine: 'deploy' | 'rollback' = 'deploy') =>
  ({ at, kind: 'start' as const, stateMachine, name, input });
const invoke = (at: number, fn: string, payload: unknown) => ({ at, kind: 'invoke' as const, function: fn, payload });

// ---------------------------------------------------------------------------------------------
// The timeline: every hostile console action, then a legitimate push and a hijack of it.
// ---------------------------------------------------------------------------------------------
const FORGED = 'api-production-forged';
const TIMELINE: ScenarioInput['timeline'] = [
  // 1. A pinned revision of another family, another role and a foreign image, declared a rollback.
  start(5, 'rb-evil', deployInput('rb-evil', { taskDefinitionArn: EVIL_TD, trigger: { kind: 'rollback', by: 'mallory' } })),
  // 7. ... with a forged record (a table write) claiming it was promoted: the revision check stops it.
  start(6, 'rb-forged', deployInput('rb-forged', { taskDefinitionArn: EVIL_TD, trigger: { kind: 'rollback', by: 'mallory' } })),
  // 2. A pinned revision without the rollback trigger; a rollback trigger without a pinned revision
  //    (the image the scan gate rejects); a deploymentId that is not the execution's name; a made-up tag.
  start(7, 'pinned-manual', deployInput('pinned-manual', { taskDefinitionArn: API_TD })),
  start(8, 'rb-no-proof', deployInput('rb-no-proof', { image: { repository: REPOSITORY, digest: V3, tag: 'v3' }, trigger: { kind: 'rollback' } })),
  start(9, 'not-my-name', deployInput('someone-elses-deployment')),
  start(10, 'made-up-tag', deployInput('made-up-tag', { image: { repository: REPOSITORY, digest: V2, tag: 'release-2099' } })),
  // 6. Direct invocations with crafted payloads.
  invoke(12, 'shift', { item: { state: craftedState('crafted-shift', { greenTargetGroupArn: FOREIGN_TG }, { green: { taskSetId: 'ecs-svc/1', taskSetArn: 'x' } }), step: { kind: 'shift', percent: 100 }, index: 0 } }),
  invoke(13, 'register', { state: craftedState('crafted-register', { blue: { targetGroupArn: TG_A, taskDefinitionArn: EVIL_TD } }) }),
  invoke(14, 'cleanup', {
    action: 'apply',
    item: {
      run: { runId: 'crafted', dryRun: false, startedAt: REQUESTED_AT, listLimit: 50 },
      scope: { kind: 'service', service: SERVICE, environment: ENVIRONMENT },
      status: 'applying',
      pending: [{ kind: 'deregister-revision', service: SERVICE, environment: ENVIRONMENT, target: EVIL_TD, reason: 'crafted' }],
      done: [],
      kept: [],
      keptTotal: 0,
      deferred: 0,
      attempts: 0,
      waitSeconds: 0,
    },
  }),
  invoke(15, 'bake', { item: { state: craftedState('no-such-deployment'), step: { kind: 'bake', seconds: 300 }, index: 1 }, taskToken: 'planted', kind: 'bake' }),
  invoke(16, 'green', { action: 'create', state: { ...craftedState('crafted-green', { cluster: 'billing' }), taskDefinitionArn: API_TD } }),
  // 2. A real push, and a second execution that tries to join its deployment under another name.
  { at: 100, kind: 'push', repository: REPOSITORY, digest: V2, tag: 'v2', profile: { errorRate: 0.002, latencyMs: 82 } },
  start(160, 'hijack', deployInput(`api-production-${V2.slice(7, 23)}`, { trigger: { kind: 'manual', by: 'mallory' } })),
];

let traceP: Promise<{ trace: ScenarioTrace; evilActiveAtEnd: boolean; revisionsOfEvil: number }> | undefined;
/** The one rehearsal every test reads (run on first use). */
function rehearsal() {
  traceP ??= (async () => {
    let evilActiveAtEnd = false;
    let revisionsOfEvil = 0;
    const trace = await runScenario(parseScenario(scenario(TIMELINE), 'boundary'), {
      actions: [
        {
          at: 1,
          label: 'register a foreign revision (another family, role and image)',
          run: async (ctx: RehearsalContext) => {
            const d = (await ctx.world.call('ECS', 'DescribeTaskDefinition', { taskDefinition: API_TD })) as { taskDefinition: Json };
            const input = registerInputWithImage(d.taskDefinition as never, undefined, 'app', EVIL_IMAGE) as unknown as Json;
            await ctx.world.call('ECS', 'RegisterTaskDefinition', { ...input, family: 'evil', taskRoleArn: EVIL_ROLE });
          },
        },
        {
          at: 5.5,
          label: 'a table write: a forged SUCCEEDED record naming the foreign revision',
          run: async (ctx: RehearsalContext) => {
            await ctx.store.createDeployment({
              deploymentId: FORGED,
              service: SERVICE,
              environment: ENVIRONMENT,
              status: DeploymentStatus.SUCCEEDED,
              image: { repository: REPOSITORY, digest: V2, tag: 'v2', uri: imageUri(ACCOUNT, REGION, REPOSITORY, V2) },
              strategy: 'canary',
              alarmNames: [],
              green: { targetGroupArn: TG_B, taskDefinitionArn: EVIL_TD },
              timeline: [{ key: 'promote', kind: 'promote', at: REQUESTED_AT }],
              createdAt: REQUESTED_AT,
              updatedAt: REQUESTED_AT,
            });
          },
        },
        {
          at: 900,
          label: 'look at the foreign family',
          run: async (ctx: RehearsalContext) => {
            const out = (await ctx.world.call('ECS', 'ListTaskDefinitions', { familyPrefix: 'evil', status: 'ACTIVE' })) as { taskDefinitionArns?: string[] };
            revisionsOfEvil = out.taskDefinitionArns?.length ?? 0;
            evilActiveAtEnd = (out.taskDefinitionArns ?? []).includes(EVIL_TD);
          },
        },
      ],
    });
    return { trace, evilActiveAtEnd, revisionsOfEvil };
  })();
  return traceP;
}

const startOf = (trace: ScenarioTrace, name: string): Extract<ConsoleSummary, { kind: 'start' }> => {
  const found = trace.summary.console?.find((c): c is Extract<ConsoleSummary, { kind: 'start' }> => c.kind === 'start' && c.name === name);
  if (!found) throw new Error(`no console start named ${name}: ${JSON.stringify(trace.summary.console)}`);
  return found;
};
const invokeOf = (trace: ScenarioTrace, fn: string): Extract<ConsoleSummary, { kind: 'invoke' }> => {
  const found = trace.summary.console?.find((c): c is Extract<ConsoleSummary, { kind: 'invoke' }> => c.kind === 'invoke' && c.function === fn);
  if (!found) throw new Error(`no console invoke of ${fn}`);
  return found;
};
/** Refused at Validate (the Rejected state) with ValidationError, the cause naming `field`. */
function expectRejected(trace: ScenarioTrace, name: string, field: RegExp): void {
  const c = startOf(trace, name);
  expect(c.status, `${name}: ${c.cause}`).toBe('FAILED');
  expect(c.error, name).toBe('ValidationError');
  expect(messageOf(c), name).toMatch(field);
}
/** The Lambda error's message in an execution's cause. */
const messageOf = (c: { cause: string | null }): string => (JSON.parse(c.cause ?? '{}') as { errorMessage?: string }).errorMessage ?? '';
/** Production weights of api never changed, and api never had more than its one task set. */
function expectNothingMovedBefore(trace: ScenarioTrace, untilSeconds: number): void {
  const early = trace.weights.filter((w) => w.service === SERVICE && w.at - trace.startMs < untilSeconds * 1000);
  expect(early, 'api weights changed before the real push').toHaveLength(1);
  expect(early[0]?.weights.filter((w) => w.weight > 0).map((w) => w.targetGroupArn)).toEqual([TG_A]);
}

describe('issue #14: no input, invocation or table write makes Cutover exceed its configuration (rehearsal)', () => {
  it('1: a pinned revision of another family, role and image, declared a rollback, is refused at Validate; nothing moves', async () => {
    const { trace } = await rehearsal();
    expectRejected(trace, 'rb-evil', /taskDefinitionArn: .*evil:1 .* is not a version of api\/production on record as promoted/);
    expect(trace.summary.deployments.find((d) => d.deploymentId === 'rb-evil')?.status).toBe('REJECTED');
    expectNothingMovedBefore(trace, 100);
  });

  it('1, 7: with a forged record as "proof", ECS\'s description of the revision refuses it: family, image and role named', async () => {
    const { trace } = await rehearsal();
    expectRejected(trace, 'rb-forged', /family "evil", not api\/production's "api"/);
    const cause = messageOf(startOf(trace, 'rb-forged'));
    expect(cause).toContain(EVIL_IMAGE);
    expect(cause).toContain(`taskRoleArn ${EVIL_ROLE}`);
  });

  it('2: a pinned revision needs the rollback trigger, and the rollback trigger needs a pinned revision with proof', async () => {
    const { trace } = await rehearsal();
    expectRejected(trace, 'pinned-manual', /taskDefinitionArn: a pinned revision is accepted only for a rollback/);
    // The image the scan gate rejects does not get past it as a "rollback".
    expectRejected(trace, 'rb-no-proof', /trigger.kind: "rollback" .* needs taskDefinitionArn/);
    // (The hijack execution names the real deployment's id, so the summary lists that record twice.)
    expect([...new Set(trace.summary.deployments.filter((d) => d.status === 'SUCCEEDED').map((d) => d.deploymentId))]).toEqual([
      `api-production-${V2.slice(7, 23)}`,
    ]);
  });

  it("2: deploymentId must equal the execution's name; a second execution cannot join a deployment in flight", async () => {
    const { trace } = await rehearsal();
    expectRejected(trace, 'not-my-name', /deploymentId: "someone-elses-deployment" must equal the execution's name \("not-my-name"\)/);
    expectRejected(trace, 'hijack', /must equal the execution's name \("hijack"\)/);
    // The real deployment went on undisturbed.
    const real = trace.summary.deployments.find((d) => d.deploymentId === `api-production-${V2.slice(7, 23)}`);
    expect(real?.status).toBe('SUCCEEDED');
    expect(trace.summary.invariantViolations).toEqual([]);
  });

  it('2: image.tag must point at the digest in ECR', async () => {
    const { trace } = await rehearsal();
    expectRejected(trace, 'made-up-tag', /image.tag: "release-2099" does not point at sha256:[0-9a-f]{64} in ECR shop\/api \(the image carries "v2"\)/);
  });

  it('6: shift invoked with a foreign target group is refused by name; the listener is untouched', async () => {
    const { trace } = await rehearsal();
    const c = invokeOf(trace, 'shift');
    expect(c.status).toBe('error');
    expect(c.error).toBe('ValidationError');
    expect(c.message).toContain(`ctx.greenTargetGroupArn: "${FOREIGN_TG}" is not one of api/production's target groups`);
    expectNothingMovedBefore(trace, 100);
  });

  it('6: register invoked with another family\'s revision as blue registers nothing', async () => {
    const { trace, revisionsOfEvil } = await rehearsal();
    const c = invokeOf(trace, 'register');
    expect([c.status, c.error]).toEqual(['error', 'ValidationError']);
    expect(c.message).toMatch(/ctx.blue.taskDefinitionArn: .*evil:1.* is not a revision of api\/production's task-definition family "api"/);
    expect(revisionsOfEvil).toBe(1);
  });

  it("6: cleanup's apply refuses an action on another family; the revision stays ACTIVE", async () => {
    const { trace, evilActiveAtEnd } = await rehearsal();
    const c = invokeOf(trace, 'cleanup');
    expect([c.status, c.error]).toEqual(['error', 'ValidationError']);
    expect(c.message).toMatch(/pending\[0\].target: .*evil:1.* is not a revision of api\/production's task-definition family/);
    expect(evilActiveAtEnd).toBe(true);
  });

  it('6: bake plants no token on a deployment that is not in flight under that execution', async () => {
    const { trace } = await rehearsal();
    const c = invokeOf(trace, 'bake');
    expect([c.status, c.error]).toEqual(['error', 'ValidationError']);
    expect(c.message).toContain('no-such-deployment is not a deployment of api/production in flight');
    expect(trace.records.find((r) => r.deploymentId === 'no-such-deployment')).toBeUndefined();
  });

  it('6: green invoked with another cluster is refused by name; no task set is created', async () => {
    const { trace } = await rehearsal();
    const c = invokeOf(trace, 'green');
    expect([c.status, c.error]).toEqual(['error', 'ValidationError']);
    expect(c.message).toContain(`ctx.cluster: "billing" is not api/production's configured "demo"`);
  });

  it('the summary lists every console action with its outcome, in timeline order', async () => {
    const { trace } = await rehearsal();
    expect(trace.summary.console?.map((c) => (c.kind === 'start' ? `start ${c.name} ${c.status}` : `invoke ${c.function} ${c.status}`))).toEqual([
      'start rb-evil FAILED',
      'start rb-forged FAILED',
      'start pinned-manual FAILED',
      'start rb-no-proof FAILED',
      'start not-my-name FAILED',
      'start made-up-tag FAILED',
      'invoke shift error',
      'invoke register error',
      'invoke cleanup error',
      'invoke bake error',
      'invoke green error',
      'start hijack FAILED',
    ]);
  }, 120_000);

  it('the IAM family scope and the handlers agree on a service\'s family', () => {
    const config = parseConfig(scenario().config);
    const env = { partition: 'aws', region: REGION, account: ACCOUNT };
    expect(scopeTaskDefinitionFamilies(config, env)).toEqual(config.services.map((s) => `${ECS}:task-definition/${familyOf(s)}:*`));
    const withBootstrap = parseConfig({
      ...(scenario().config as Json),
      services: (scenario().config as { services: Json[] }).services.map((s) => ({
        ...s,
        bootstrap: { taskDefinition: 'api-boot:3', containerPort: 8080, subnets: ['subnet-0abc1234'] },
      })),
    });
    expect(scopeTaskDefinitionFamilies(withBootstrap, env)).toEqual([`${ECS}:task-definition/api-boot:*`]);
    expect(familyOf(withBootstrap.services[0] as never)).toBe('api-boot');
  });
});
