/**
 * The roles of the operator and maintenance handlers (control, reconcile, cleanup, scale, hook,
 * migration, release), as synthesized: each allows exactly what its code calls (the adapters its
 * makeDeps builds), on the configured resources, and nothing broader.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import type { CutoverStack } from '../../lib/cutover-stack.js';
import { HANDLER_NAMES, hookTimeoutSeconds } from '../../lib/handlers.js';
import {
  ACCOUNT,
  everyFeatureConfig,
  exampleConfig,
  handlerGrants,
  handlerStatements,
  HOOKS,
  manyServices,
  REGION,
  resourcesOfType,
  statementFor,
  synthStack,
} from '../helpers/cdk.js';

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const ecs = (resource: string) => arn('ecs', resource);
/** The two ECS services of everyFeatureConfig (staging in cluster shop-staging, production in shop). */
const SERVICES = [
  ecs('service/shop-staging/checkout'),
  ecs('service/shop/checkout'),
  ecs('task-set/shop-staging/checkout/*'),
  ecs('task-set/shop/checkout/*'),
];
const REPOSITORY = [arn('ecr', 'repository/shop/checkout')];
/** What the store adapters call: no scan, batch or delete (lib/control-plane.ts). */
const READ = ['dynamodb:GetItem', 'dynamodb:Query'];
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

function fixture(template: Template, stack: CutoverStack) {
  const [tableId] = resourcesOfType(template, 'AWS::DynamoDB::GlobalTable')[0] ?? [];
  const [busId] = resourcesOfType(template, 'AWS::Events::EventBus')[0] ?? [];
  const table = [
    JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] }),
    JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/inflight']] }),
  ].sort();
  // Writes are on the table itself (not its index), conditioned on the partition (dynamodb:LeadingKeys).
  const readWrite = Object.fromEntries([...READ.map((a) => [a, table]), ...WRITE.map((a) => [a, [JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] })]])]);
  const bus = { 'events:PutEvents': [JSON.stringify({ 'Fn::GetAtt': [busId, 'Arn'] })] };
  const deploy = stack.controlPlane.deployStateMachineArn;
  const deployName = deploy.split(':').pop() as string;
  return { readWrite, bus, deploy, deployExecutions: arn('states', `execution:${deployName}:*`) };
}

describe('handler roles, with every optional feature configured', () => {
  let template: Template;
  let stack: CutoverStack;
  let f: ReturnType<typeof fixture>;
  beforeAll(() => {
    ({ template, stack } = synthStack({ config: everyFeatureConfig() }));
    f = fixture(template, stack);
  });

  it('control: answers tokens, stops and starts deploy executions, reads services; nothing else', () => {
    expect(handlerGrants(template, 'control')).toEqual({
      ...f.readWrite,
      'ecs:DescribeServices': SERVICES,
      'states:SendTaskFailure': ['*'],
      'states:SendTaskSuccess': ['*'],
      'states:StartExecution': [f.deploy],
      'states:StopExecution': [f.deployExecutions],
    });
  });

  it('reconcile: reads deploy executions and ECR images, starts deploys for lost pushes', () => {
    expect(handlerGrants(template, 'reconcile')).toEqual({
      ...f.readWrite,
      'ecr:DescribeImages': REPOSITORY,
      'ecs:DescribeServices': SERVICES,
      // The image a service already runs is not a lost push.
      'ecs:DescribeTaskDefinition': ['*'],
      // Traffic left on a task set that is not primary after a deployment ended goes back to the primary.
      'elasticloadbalancing:DescribeListeners': ['*'],
      'elasticloadbalancing:DescribeRules': ['*'],
      'elasticloadbalancing:ModifyListener': expect.any(Array),
      'elasticloadbalancing:ModifyRule': expect.any(Array),
      // (With a release state machine loaded, its executions too: a lost push starts its release, as intake would.)
      'states:DescribeExecution': [f.deployExecutions],
      'states:StartExecution': [f.deploy],
    });
  });

  it('cleanup: revisions, orphaned task sets and images of the configured services only', () => {
    expect(handlerGrants(template, 'cleanup')).toEqual({
      ...f.readWrite,
      ...f.bus,
      'ecr:BatchDeleteImage': REPOSITORY,
      'ecr:DescribeImages': REPOSITORY,
      'ecs:DeleteTaskDefinitions': [ecs('task-definition/*')],
      'ecs:DeleteTaskSet': SERVICES,
      'ecs:DeregisterTaskDefinition': ['*'],
      'ecs:DescribeServices': SERVICES,
      'ecs:DescribeTaskDefinition': ['*'],
      'ecs:DescribeTasks': [ecs('task/shop-staging/*'), ecs('task/shop/*')],
      'ecs:ListTaskDefinitions': ['*'],
      'ecs:ListTasks': ['*'],
      'elasticloadbalancing:DescribeListeners': ['*'],
      'elasticloadbalancing:DescribeRules': ['*'],
    });
    // ListTasks authorizes on container instances: the cluster condition is what scopes it.
    expect(statementFor(handlerStatements(template, 'cleanup'), 'ecs:ListTasks')?.Condition).toEqual({
      ArnLike: { 'ecs:cluster': [ecs('cluster/shop'), ecs('cluster/shop-staging')] },
    });
  });

  it('scale: desired count of the scaled service only, its scalable target, alarms, the bus', () => {
    expect(handlerGrants(template, 'scale')).toEqual({
      ...f.readWrite,
      ...f.bus,
      'application-autoscaling:DescribeScalableTargets': ['*'],
      'application-autoscaling:RegisterScalableTarget': [arn('application-autoscaling', 'scalable-target/*')],
      'cloudwatch:DescribeAlarms': ['*'],
      // production scales; staging does not
      'ecs:DescribeServices': [ecs('service/shop/checkout')],
      'ecs:UpdateService': [ecs('service/shop/checkout')],
    });
    expect(statementFor(handlerStatements(template, 'scale'), 'application-autoscaling:RegisterScalableTarget')?.Condition).toEqual({
      StringEquals: {
        'application-autoscaling:service-namespace': 'ecs',
        'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
      },
    });
  });

  it('hook: invokes exactly the configured hook functions (qualifier included)', () => {
    expect(handlerGrants(template, 'hook')).toEqual({
      ...f.readWrite,
      'lambda:InvokeFunction': [HOOKS.afterHealthy, HOOKS.beforeShift, HOOKS.verifyProduction].sort(),
    });
  });

  it('migration: reads the stable task set; RunTask belongs to the state machine', () => {
    expect(handlerGrants(template, 'migration')).toEqual({ ...f.readWrite, 'ecs:DescribeTaskSets': SERVICES });
  });

  it('release: its record and the bus; no task token (operators approve through the control state machine, issue #14 item 4)', () => {
    expect(handlerGrants(template, 'release')).toEqual({
      ...f.readWrite,
      ...f.bus,
    });
  });

  it('green: the pre-traffic alarm check reads alarms', () => {
    expect(handlerGrants(template, 'green')['cloudwatch:DescribeAlarms']).toEqual(['*']);
  });

  it('the hook handler outlives the longest configured hook invocation', () => {
    const fn = resourcesOfType(template, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ControlPlaneHookHandler'));
    expect(fn?.[1].Properties?.Timeout).toBe(hookTimeoutSeconds(everyFeatureConfig()));
    const slow = parseConfig({ ...exampleConfig(), services: [{ ...exampleConfig().services[0], hooks: { invocationTimeoutSeconds: 840 } }] });
    expect(hookTimeoutSeconds(slow)).toBe(855);
    expect(hookTimeoutSeconds(exampleConfig())).toBe(45);
  });
});

describe('handler roles, without scaling, hooks or a release state machine', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack({ config: exampleConfig() }));
  });

  it('scale gets no ECS or Application Auto Scaling write when no service scales', () => {
    const g = handlerGrants(template, 'scale');
    expect(Object.keys(g).filter((a) => a.startsWith('ecs:') || a.startsWith('application-autoscaling:'))).toEqual([]);
  });

  it('hook may invoke nothing when no hook is configured', () => {
    expect(handlerGrants(template, 'hook')['lambda:InvokeFunction']).toBeUndefined();
  });

  it('intake may start the deploy state machine only when no release state machine is loaded', () => {
    const g = handlerGrants(template, 'intake');
    expect(g).toEqual({
      'states:StartExecution': [expect.stringMatching(/:stateMachine:CutoverStack-ControlPlane-[0-9A-F]{8}-Deploy$/)],
      // A later push of a digest whose execution ended starts anew (functions/handlers/shared/push.ts).
      'states:DescribeExecution': [expect.stringMatching(/:execution:CutoverStack-ControlPlane-[0-9A-F]{8}-Deploy:\*$/)],
      // ECR's push time: the trusted time a push is ordered by.
      'ecr:DescribeImages': [expect.stringMatching(/:repository\/shop\/checkout$/)],
    });
  });
});

describe('every handler role', () => {
  it('has no Action wildcard and no unconditioned iam:PassRole beyond ECS tasks', () => {
    const { template } = synthStack({ config: everyFeatureConfig() });
    for (const name of HANDLER_NAMES) {
      const statements = handlerStatements(template, name);
      for (const s of statements) {
        for (const a of [s.Action].flat()) expect(a, `${name}: ${a}`).not.toMatch(/\*/);
      }
      const passRole = statementFor(statements, 'iam:PassRole');
      // native passes the role ECS assumes to invoke Cutover's hook, to ECS itself (issue #17).
      const service = name === 'native' ? 'ecs.amazonaws.com' : 'ecs-tasks.amazonaws.com';
      if (passRole) expect(passRole.Condition, name).toEqual({ StringEquals: { 'iam:PassedToService': service } });
    }
  });

  it('keeps every policy within IAM size limits with 150 scaled services in 150 clusters, with hooks, and never coarsens a write', () => {
    const raw = manyServices(150, { scaling: { services: 150, targetCpu: false, schedules: 0, alarms: 1 } });
    const hooks = Array.from({ length: 150 }, (_, i) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hook-${i}`);
    const config = parseConfig({ ...raw, services: raw.services.map((s, i) => ({ ...s, hooks: { afterHealthy: [hooks[i] as string] } })) });
    const { template, stack } = synthStack({ config });
    for (const [id, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument).length, id).toBeLessThan(10_240);
    }
    // Long exact lists spill into overflow managed policies (IAM: 6,144 characters each).
    for (const [id, policy] of resourcesOfType(template, 'AWS::IAM::ManagedPolicy')) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument).length, id).toBeLessThan(6_144);
    }
    expect(stack.controlPlane.iamScope.level).toBe('account');
    // Writes never widen (issue #14, 9): every hook by its ARN, every scaled service by its ARN.
    expect(stack.controlPlane.hookFunctions.coarsened).toBe(false);
    const everyStatement = [...resourcesOfType(template, 'AWS::IAM::Policy'), ...resourcesOfType(template, 'AWS::IAM::ManagedPolicy')].flatMap(
      ([, p]) => ((p.Properties?.PolicyDocument ?? { Statement: [] }) as { Statement: Array<{ Effect: string; Action: string | string[]; Resource: unknown }> }).Statement,
    );
    const resourcesOf = (action: string) =>
      everyStatement.filter((st) => st.Effect === 'Allow' && ([] as string[]).concat(st.Action).includes(action)).flatMap((st) => ([] as unknown[]).concat(st.Resource).map((r) => (typeof r === 'string' ? r : JSON.stringify(r))));
    const invoked = resourcesOf('lambda:InvokeFunction');
    expect(invoked).not.toContain(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:*`);
    for (const h of hooks) expect(invoked).toContain(h);
    expect(resourcesOf('ecs:UpdateService')).not.toContain(ecs('service/*'));
  });
});
