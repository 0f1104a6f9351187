/**
 * Issue #14 (9): IAM never widens silently as services grow. Before, the scope coarsened past a
 * character budget: at 40 services (in 3 clusters) ECS writes covered whole clusters and image
 * deletion whole namespaces; at 120, listener and rule writes covered every ALB of the account and
 * image deletion every repository. Now every write names each configured resource at any size (long
 * lists spread over statements and overflow managed policies), and synth fails, naming the role and
 * the quota, when a role cannot carry its exact permissions.
 *
 * Checked with the IAM simulator on the synthesized roles at 1, 40 and 120 services: allowed on a
 * configured service, listener rule and repository; denied on an unmanaged service of a configured
 * cluster, another rule of a configured listener, a listener of another ALB, and another repository
 * of a configured namespace.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ACCOUNT, manyServices, REGION, synthStack } from '../helpers/cdk.js';
import { type Decision, simulatorFor } from './iam-sim.js';

const ECS = `arn:aws:ecs:${REGION}:${ACCOUNT}`;
const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const ECR = `arn:aws:ecr:${REGION}:${ACCOUNT}`;

/** The listener rule manyServices gives service `i` (shared ALBs shop-alb-0..6). */
function ruleOf(config: ReturnType<typeof parseConfig>, i: number): string {
  return config.services[i]?.listenerRuleArn as string;
}

describe.each([1, 40, 120])('writes at %i services (3 clusters)', (count) => {
  const config = parseConfig(manyServices(count, { clusters: Math.min(3, count) }));
  const { template, stack } = synthStack({ config, fixtures: false });
  const sim = simulatorFor(template, stack);
  const role = (name: 'rollback' | 'shift' | 'green' | 'cleanup' | 'finish') => sim.roleOf(stack.controlPlane.handlers[name].role);
  const last = count - 1;
  const svc = config.services[last] as (typeof config.services)[number];
  const rule = ruleOf(config, last);
  const otherRuleSameListener = rule.replace(/\/[0-9a-f]{16}$/, '/ffffffffffffffff');
  const otherAlbListener = `${ELB}:listener/app/billing-alb/5555555555555555/6666666666666666`;
  const unmanagedTaskSet = `${ECS}:task-set/${svc.cluster}/payments/ecs-svc/1111111111111111111`;
  const unmanagedService = `${ECS}:service/${svc.cluster}/payments`;
  const otherRepository = `${ECR}:repository/${svc.repository.split('/')[0]}/not-configured`;

  /** 'Denied': implicitly or explicitly (another guard may deny too). */
  const cases: Array<[string, () => Promise<Decision>, 'Allowed' | 'Denied']> = [
    ['rollback UpdateTaskSet on the configured task set', () => sim.decide(role('rollback'), 'ecs:UpdateTaskSet', `${ECS}:task-set/${svc.cluster}/${svc.service}/ecs-svc/1`), 'Allowed'],
    ['rollback UpdateTaskSet on an unmanaged service of the same cluster', () => sim.decide(role('rollback'), 'ecs:UpdateTaskSet', unmanagedTaskSet), 'Denied'],
    ['rollback UpdateServicePrimaryTaskSet on an unmanaged service', () => sim.decide(role('rollback'), 'ecs:UpdateServicePrimaryTaskSet', unmanagedService), 'Denied'],
    ['green CreateTaskSet on an unmanaged service of the same cluster', () => sim.decide(role('green'), 'ecs:CreateTaskSet', unmanagedTaskSet), 'Denied'],
    ['finish DeleteTaskSet on an unmanaged service of the same cluster', () => sim.decide(role('finish'), 'ecs:DeleteTaskSet', unmanagedTaskSet), 'Denied'],
    ['shift ModifyRule on the configured rule', () => sim.decide(role('shift'), 'elasticloadbalancing:ModifyRule', rule), 'Allowed'],
    ['shift ModifyRule on another rule of the same listener', () => sim.decide(role('shift'), 'elasticloadbalancing:ModifyRule', otherRuleSameListener), 'Denied'],
    ['shift ModifyListener on a listener of another ALB', () => sim.decide(role('shift'), 'elasticloadbalancing:ModifyListener', otherAlbListener), 'Denied'],
    ['cleanup BatchDeleteImage on the configured repository', () => sim.decide(role('cleanup'), 'ecr:BatchDeleteImage', `${ECR}:repository/${svc.repository}`), 'Allowed'],
    ['cleanup BatchDeleteImage on another repository of the same namespace', () => sim.decide(role('cleanup'), 'ecr:BatchDeleteImage', otherRepository), 'Denied'],
    ['cleanup BatchDeleteImage on a repository of no configured namespace', () => sim.decide(role('cleanup'), 'ecr:BatchDeleteImage', `${ECR}:repository/payments`), 'Denied'],
  ];
  it.each(cases)('%s', async (_what, decide, expected) => {
    const decision = await decide();
    expect(decision === 'Allowed' ? 'Allowed' : 'Denied').toBe(expected);
  });

  it('every service is still allowed its writes (the first and the last)', async () => {
    for (const i of [0, last]) {
      const s = config.services[i] as (typeof config.services)[number];
      expect(await sim.decide(role('rollback'), 'ecs:UpdateTaskSet', `${ECS}:task-set/${s.cluster}/${s.service}/ecs-svc/7`)).toBe('Allowed');
      expect(await sim.decide(role('shift'), 'elasticloadbalancing:ModifyRule', ruleOf(config, i))).toBe('Allowed');
    }
  });

  it('no write statement has a resource coarser than one configured service', () => {
    const writes = /^(ecs:(Create|Update|Delete|Run|Stop)|elasticloadbalancing:Modify|ecr:BatchDelete|lambda:Invoke)/;
    for (const [id, r] of Object.entries(sim.resources)) {
      if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const doc = sim.resolve(r.Properties?.PolicyDocument) as { Statement: Array<{ Effect: string; Action: string | string[]; Resource: string | string[] }> };
      for (const s of doc.Statement) {
        const actions = ([] as string[]).concat(s.Action);
        if (s.Effect !== 'Allow' || !actions.some((a) => writes.test(a))) continue;
        for (const resource of ([] as string[]).concat(s.Resource)) {
          // Allowed wildcards: a configured service's task sets, a migrating cluster's tasks, RunTask's
          // task definitions (conditioned on the cluster), our own functions' versions.
          const ok =
            !resource.includes('*') ||
            /:task-set\/[^/*]+\/[^/*]+\/\*$/.test(resource) ||
            // The native engine (issue #17): a configured service's service deployments and revisions (ids ECS generates).
            /:service-(deployment|revision)\/[^/*]+\/[^/*]+\/\*$/.test(resource) ||
            /:task\/[^/*]+\/\*$/.test(resource) ||
            /:task-definition\/[^*]*\*$/.test(resource);
          expect(ok, `${id}: ${actions.join(',')} on ${resource}`).toBe(true);
        }
      }
    }
  });

  it('every policy document stays within IAM size limits', () => {
    for (const [id, r] of Object.entries(sim.resources)) {
      if (r.Type === 'AWS::IAM::Policy') expect(JSON.stringify(r.Properties?.PolicyDocument).length, id).toBeLessThan(10_240);
      if (r.Type === 'AWS::IAM::ManagedPolicy') expect(JSON.stringify(r.Properties?.PolicyDocument).length, id).toBeLessThan(6_144);
    }
  });
});

describe('a role that cannot carry its exact writes fails synth (issue #14, 9)', () => {
  it('500 services behind listener rules: synth fails naming the role, the count and the quota', () => {
    const config = parseConfig(manyServices(500, { clusters: 3 }));
    expect(() => synthStack({ config, fixtures: false })).toThrow(
      /the (shift|rollback|prepare) handler's role: its exact permissions need \d+ overflow managed policies, more than the 10 IAM attaches to a role/,
    );
  });

  it('a raised quota (maxManagedPoliciesPerRole) is taken into account', () => {
    const config = parseConfig(manyServices(200, { clusters: 3 }));
    expect(() => synthStack({ config, fixtures: false, controlPlane: { maxManagedPoliciesPerRole: 2 } })).toThrow(/more than the 2 IAM attaches/);
    expect(() => synthStack({ config, fixtures: false, controlPlane: { maxManagedPoliciesPerRole: 20 } })).not.toThrow();
  });
});
