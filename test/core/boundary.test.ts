/**
 * functions/core/boundary.ts: a deploy context, a pinned revision, a stored record and a cleanup
 * work item are compared with the configuration; every field that names a resource is checked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanupApplyProblems, ctxProblems, recordProblems, revisionProblems } from '../../functions/core/boundary.js';
import { rollbackProof } from '../../functions/core/rollback-proof.js';
import { parseConfig } from '../../functions/core/config.js';
import { type DeployContext, type DeployState, imageUri } from '../../functions/core/deploy-state.js';
import { loadBalancerDimension } from '../../functions/core/metrics-dimensions.js';
import { DeploymentStatus, type DeploymentRecord } from '../../functions/core/model.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const HOME = { accountId: ACCOUNT, region: REGION };
const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const LISTENER = `${ELB}:listener/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const TG = [`${ELB}:targetgroup/web-a/6d0ecf831eec9f09`, `${ELB}:targetgroup/web-b/2a4b6c8d0e1f3a5b`] as const;
const FOREIGN_TG = `${ELB}:targetgroup/billing-a/1111111111111111`;
const TD = (family: string, rev = 7) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${rev}`;
const DIGEST = `sha256:${'a'.repeat(64)}`;
const config = parseConfig({
  account: ACCOUNT,
  region: REGION,
  taskRoleArns: [`arn:aws:iam::${ACCOUNT}:role/web-*`],
  services: [
    {
      name: 'web',
      environment: 'production',
      cluster: 'shop',
      service: 'web',
      containerName: 'app',
      repository: 'shop/web',
      listenerArn: LISTENER,
      targetGroupArns: [...TG],
      alarms: ['web-5xx'],
      strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
    },
  ],
});
const svc = config.services[0] as (typeof config.services)[number];

function state(kind: 'manual' | 'rollback' = 'manual'): { state: DeployState; ctx: DeployContext } {
  const ctx: DeployContext = {
    cluster: 'shop',
    ecsService: 'web',
    containerName: 'app',
    route: { kind: 'listener', arn: LISTENER },
    targetGroupArns: [...TG],
    blue: { targetGroupArn: TG[0], taskDefinitionArn: TD('web') },
    greenTargetGroupArn: TG[1],
    firstDeployment: false,
    plan: { strategy: 'canary', steps: [{ kind: 'shift', percent: 10 }] },
    capacity: 'full',
    desiredCount: 4,
    healthTimeoutSeconds: 600,
    terminationWaitSeconds: 300,
    alarmNames: kind === 'rollback' ? [] : ['web-5xx'],
    analysis: svc.analysis,
    loadBalancerDimension: loadBalancerDimension(LISTENER),
    image: { repository: 'shop/web', digest: DIGEST, uri: imageUri(ACCOUNT, REGION, 'shop/web', DIGEST) },
    startedAt: '2026-01-01T00:00:00Z',
  };
  const request = {
    deploymentId: 'd1',
    service: 'web',
    environment: 'production',
    image: { repository: 'shop/web', digest: DIGEST },
    requestedAt: '2026-01-01T00:00:00Z',
    trigger: { kind },
  } as DeployState['request'];
  return { state: { request, ctx, taskDefinitionArn: TD('web', 8) }, ctx };
}

/** One field each, set to what a crafted payload would name instead. */
const MUTATIONS: Array<[field: string, mutate: (c: Record<string, unknown>) => void]> = [
  ['ctx.cluster', (c) => { c.cluster = 'billing'; }],
  ['ctx.ecsService', (c) => { c.ecsService = 'payments'; }],
  ['ctx.containerName', (c) => { c.containerName = 'sidecar'; }],
  ['ctx.route.arn', (c) => { c.route = { ...(c.route as object), arn: `${ELB}:listener/app/other/1111111111111111/2222222222222222` }; }],
  ['ctx.route.kind', (c) => { c.route = { ...(c.route as object), kind: 'rule' }; }],
  ['ctx.testListenerArn', (c) => { c.testListenerArn = LISTENER; }],
  ['ctx.targetGroupArns', (c) => { c.targetGroupArns = [TG[0], FOREIGN_TG]; }],
  ['ctx.greenTargetGroupArn', (c) => { c.greenTargetGroupArn = FOREIGN_TG; }],
  ['ctx.blue.targetGroupArn', (c) => { c.blue = { ...(c.blue as object), targetGroupArn: FOREIGN_TG }; }],
  ['ctx.blue.taskDefinitionArn', (c) => { c.blue = { ...(c.blue as object), taskDefinitionArn: TD('evil') }; }],
  ['ctx.alarmNames', (c) => { c.alarmNames = []; }],
  ['ctx.alarmNames', (c) => { c.alarmNames = ['web-5xx', 'billing-5xx']; }],
  ['ctx.loadBalancerDimension', (c) => { c.loadBalancerDimension = 'app/other/1'; }],
  ['ctx.image.repository', (c) => { c.image = { ...(c.image as object), repository: 'evil/web' }; }],
  ['ctx.image.uri', (c) => { c.image = { ...(c.image as object), uri: `999999999999.dkr.ecr.${REGION}.amazonaws.com/shop/web@${DIGEST}` }; }],
  ['ctx.image.digest', (c) => { c.image = { ...(c.image as object), digest: `sha256:${'b'.repeat(64)}` }; }],
];

describe('ctxProblems', () => {
  it('a context exactly as Inspect builds it has no problem (a deployment and a rollback)', () => {
    for (const kind of ['manual', 'rollback'] as const) {
      const { state: s, ctx } = state(kind);
      expect(ctxProblems(svc, s, ctx, HOME)).toEqual([]);
    }
  });

  it('any one field changed (or several) is named, whatever the combination', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: MUTATIONS.length - 1 }), { minLength: 1, maxLength: 4 }), (picks) => {
        const { state: s, ctx } = state();
        const crafted = structuredClone(ctx) as unknown as Record<string, unknown>;
        for (const i of picks) (MUTATIONS[i] as (typeof MUTATIONS)[number])[1](crafted);
        const problems = ctxProblems(svc, s, crafted as unknown as DeployContext, HOME);
        for (const i of picks) {
          const field = (MUTATIONS[i] as (typeof MUTATIONS)[number])[0];
          expect(problems.some((p) => p.startsWith(`${field}:`)), `${field} in ${JSON.stringify(problems)}`).toBe(true);
        }
      }),
      { numRuns: 200, seed: 14 },
    );
  });

  it('the revision to deploy must be of the service family', () => {
    const { state: s, ctx } = state();
    expect(ctxProblems(svc, { ...s, taskDefinitionArn: TD('evil', 1) }, ctx, HOME)).toEqual([
      `taskDefinitionArn: "${TD('evil', 1)}" is not a revision of web/production's task-definition family "web" (services[].taskDefinitionFamily)`,
    ]);
  });
});

describe('rollbackProof and revisionProblems', () => {
  const record = (over: Partial<DeploymentRecord>): DeploymentRecord => ({
    deploymentId: 'old',
    service: 'web',
    environment: 'production',
    status: DeploymentStatus.SUCCEEDED,
    image: { repository: 'shop/web', digest: DIGEST, tag: 'v1', uri: '' },
    strategy: 'canary',
    alarmNames: [],
    green: { targetGroupArn: TG[1], taskDefinitionArn: TD('web', 5) },
    timeline: [],
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...over,
  });

  it('a promoted record with the revision and the digest is proof; a rolled-back one, another digest or another repository is not', () => {
    expect(rollbackProof(svc, [record({})], undefined, TD('web', 5), DIGEST)).toEqual({ deploymentId: 'old', tag: 'v1' });
    expect(rollbackProof(svc, [record({ status: DeploymentStatus.ROLLED_BACK })], undefined, TD('web', 5), DIGEST)).toBeUndefined();
    expect(rollbackProof(svc, [record({})], undefined, TD('web', 5), `sha256:${'c'.repeat(64)}`)).toBeUndefined();
    expect(rollbackProof(svc, [record({ image: { repository: 'evil/web', digest: DIGEST, uri: '' } })], undefined, TD('web', 5), DIGEST)).toBeUndefined();
    const stable = { deploymentId: 's', taskDefinitionArn: TD('web', 6), digest: DIGEST, targetGroupArn: TG[0], updatedAt: '' };
    expect(rollbackProof(svc, [], stable, TD('web', 6), DIGEST)).toEqual({ deploymentId: 's' });
  });

  it('the revision as ECS describes it: family, target image at the digest, roles', () => {
    const good = {
      arn: TD('web', 5),
      family: 'web',
      revision: 5,
      containers: [{ name: 'app', image: imageUri(ACCOUNT, REGION, 'shop/web', DIGEST) }, { name: 'proxy', image: 'envoy:1' }],
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/web-task`,
    };
    expect(revisionProblems(svc, config.taskRoleArns, good, good.arn, DIGEST, HOME)).toEqual([]);
    expect(revisionProblems(svc, config.taskRoleArns, undefined, good.arn, DIGEST, HOME)[0]).toMatch(/ECS does not know/);
    const bad = revisionProblems(svc, config.taskRoleArns, { ...good, family: 'evil', containers: [{ name: 'app', image: 'evil/x:latest' }], taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/Admin` }, good.arn, DIGEST, HOME);
    expect(bad).toHaveLength(3);
    expect(bad.join('\n')).toMatch(/family "evil"[\s\S]*runs "evil\/x:latest"[\s\S]*taskRoleArn arn:aws:iam::123456789012:role\/Admin/);
    expect(revisionProblems(svc, config.taskRoleArns, { ...good, containers: [{ name: 'proxy', image: 'envoy:1' }] }, good.arn, DIGEST, HOME)[0]).toMatch(/no container "app"/);
  });
});

describe('recordProblems and cleanupApplyProblems', () => {
  it('a record naming a foreign target group, family or alarm is named', () => {
    expect(recordProblems(svc, { green: { targetGroupArn: FOREIGN_TG, taskDefinitionArn: TD('evil') }, alarmNames: ['billing-5xx'] })).toHaveLength(3);
    expect(recordProblems(svc, { green: { targetGroupArn: TG[1], taskDefinitionArn: TD('web') }, alarmNames: ['web-5xx'] })).toEqual([]);
  });

  it("cleanup's apply: only the scope's own task sets, family, repository and records", () => {
    const scope = { kind: 'service' as const, service: 'web', environment: 'production' };
    const a = (kind: string, target: string, detail?: Record<string, string>) => ({ kind, service: 'web', environment: 'production', target, ...(detail ? { detail } : {}) });
    expect(cleanupApplyProblems(config.services, { scope, pending: [a('deregister-revision', TD('web', 1)), a('delete-task-set', 'ecs-svc/1', { cluster: 'shop', ecsService: 'web' }), a('expire-record', 'd1')] })).toEqual([]);
    expect(cleanupApplyProblems(config.services, { scope, pending: [a('delete-revision', TD('evil', 1))] })[0]).toMatch(/pending\[0\]\.target/);
    expect(cleanupApplyProblems(config.services, { scope, pending: [a('delete-task-set', 'ecs-svc/1', { cluster: 'billing', ecsService: 'payments' })] })).toHaveLength(1);
    expect(cleanupApplyProblems(config.services, { scope: { kind: 'service', service: 'payments', environment: 'production' }, pending: [] })[0]).toMatch(/not a configured/);
    expect(cleanupApplyProblems(config.services, { scope: { kind: 'repository', repository: 'shop/web' }, pending: [a('delete-image', 'shop/other@x', { repository: 'shop/other' })] })).toHaveLength(1);
  });
});
