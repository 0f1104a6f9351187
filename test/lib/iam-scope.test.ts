import { Aws, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';
import { alarmStatePattern, DEFAULT_EVENT_PATTERN_MAX_CHARS, ecrPushPattern } from '../../lib/event-patterns.js';
import {
  chunkArns,
  passRoleProblems,
  resourcesAt,
  ScopeLevel,
  scopeHookFunctions,
  scopePassRoles,
  scopeResources,
  scopeSize,
} from '../../lib/iam-scope.js';
import {
  ACCOUNT,
  everyFeatureConfig,
  exampleConfig,
  FIXTURES,
  handlerStatements,
  HOOKS,
  manyServices,
  policyStatements,
  REGION,
  resourcesOfType,
  statementFor,
  synthStack,
  testApp,
} from '../helpers/cdk.js';
import { ControlPlane } from '../../lib/control-plane.js';

const ENV = { partition: 'aws', region: REGION, account: ACCOUNT };
const ecs = (r: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:${r}`;

describe('scopeResources picks the finest scope that fits the budget', () => {
  it('one service: its own service, task sets, listener and repository', () => {
    const scoped = scopeResources(exampleConfig(), ENV);

    expect(scoped.level).toBe(ScopeLevel.Service);
    expect(scoped.ecs).toEqual([ecs('service/shop/checkout'), ecs('task-set/shop/checkout/*')]);
    expect(scoped.elbRouting).toEqual([
      `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`,
    ]);
    expect(scoped.ecr).toEqual([`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/shop/checkout`]);
  });

  it.each([
    ['10 services, 10 clusters', 10, 10, ScopeLevel.Service],
    ['60 services in 3 clusters', 60, 3, ScopeLevel.Cluster],
    ['200 services in 4 clusters', 200, 4, ScopeLevel.Cluster],
    ['500 services in 500 clusters', 500, 500, ScopeLevel.Account],
  ])('%s -> %s', (_name, count, clusters, level) => {
    const config = parseConfig(manyServices(count, { clusters }));

    const scoped = scopeResources(config, ENV);

    expect(scoped.level).toBe(level);
    expect(scopeSize(scoped)).toBeLessThanOrEqual(6000);
  });

  it('the cluster level names each cluster once for reads; writes still name every service, rule and repository', () => {
    const config = parseConfig(manyServices(60, { clusters: 3 }));

    const scoped = resourcesAt(ScopeLevel.Cluster, config, ENV);

    expect(scoped.ecs).toEqual(
      [0, 1, 2].flatMap((c) => [ecs(`service/cluster-${c}/*`), ecs(`task-set/cluster-${c}/*`)]).sort(),
    );
    expect(scoped.ecr).toHaveLength(13);
    expect(scoped.ecr).toContain(`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team-0/*`);
    // Issue #14 (9): writes never coarsen.
    expect(scoped.ecsWrite).toHaveLength(120);
    expect(scoped.elbRouting).toEqual([...config.services.map((s) => s.listenerRuleArn as string)].sort());
    expect(scoped.ecrWrite).toHaveLength(60);
  });

  it('the account level pins account and region', () => {
    const scoped = resourcesAt(ScopeLevel.Account, exampleConfig(), ENV);

    expect(scoped.ecs).toEqual([ecs('service/*'), ecs('task-set/*')]);
    expect(scoped.ecr).toEqual([`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/*`]);
    // Issue #14 (9): the writes are the service level's, at every level.
    const service = resourcesAt(ScopeLevel.Service, exampleConfig(), ENV);
    expect(scoped.ecsWrite).toEqual(service.ecsWrite);
    expect(scoped.elbRouting).toEqual(service.elbRouting);
    expect(scoped.ecrWrite).toEqual(service.ecrWrite);
  });

  it('a smaller budget coarsens the scope', () => {
    expect(scopeResources(exampleConfig(), ENV, 100).level).toBe(ScopeLevel.Account);
  });
});

describe('cluster-wide lists and the scaled / migrating subsets', () => {
  it('the service level names each cluster, its tasks, the scaled service and the migrating cluster', () => {
    const scoped = scopeResources(everyFeatureConfig(), ENV);

    expect(scoped.level).toBe(ScopeLevel.Service);
    expect(scoped.ecsClusters).toEqual([ecs('cluster/shop'), ecs('cluster/shop-staging')]);
    expect(scoped.ecsTasks).toEqual([ecs('task/shop-staging/*'), ecs('task/shop/*')]);
    // production scales and migrates; staging does neither
    expect(scoped.ecsScaledServices).toEqual([ecs('service/shop/checkout')]);
    expect(scoped.migrationClusters).toEqual([ecs('cluster/shop')]);
    expect(scoped.migrationTasks).toEqual([ecs('task/shop/*')]);
  });

  it('UpdateService names exactly the scaled services at every level (a write never coarsens)', () => {
    const config = parseConfig(manyServices(60, { clusters: 3, scaling: { services: 2 } }));

    for (const level of [ScopeLevel.Service, ScopeLevel.Cluster, ScopeLevel.Account]) {
      const scoped = resourcesAt(level, config, ENV);
      expect(scoped.ecsScaledServices, level).toEqual([ecs('service/cluster-0/svc-0'), ecs('service/cluster-1/svc-1')]);
    }
    expect(resourcesAt(ScopeLevel.Cluster, config, ENV).ecsClusters).toHaveLength(3);
  });

  it('the account level pins account and region, and stays empty for what nobody configures', () => {
    const scoped = resourcesAt(ScopeLevel.Account, exampleConfig(), ENV);

    expect(scoped.ecsClusters).toEqual([ecs('cluster/*')]);
    expect(scoped.ecsTasks).toEqual([ecs('task/*')]);
    expect(scoped.ecsScaledServices).toEqual([]);
    expect(scoped.migrationClusters).toEqual([]);
    expect(scoped.migrationTasks).toEqual([]);
    // A migrating configuration keeps its exact clusters for RunTask and StopTask at the account level.
    const migrating = resourcesAt(ScopeLevel.Account, everyFeatureConfig(), ENV);
    expect(migrating.migrationClusters).toEqual([ecs('cluster/shop')]);
    expect(migrating.migrationTasks).toEqual([ecs('task/shop/*')]);
  });

  it('counts only the read lists against the budget (the writes are split, never coarsened)', () => {
    const config = everyFeatureConfig();
    const scoped = resourcesAt(ScopeLevel.Service, config, ENV);
    const reads = [...scoped.ecs, ...scoped.ecr, ...scoped.ecsClusters, ...scoped.ecsTasks];
    expect(scopeSize(scoped)).toBe(reads.reduce((n, a) => n + a.length + 3, 0));
    expect(scopeSize({ ...scoped, ecsWrite: [], elbRouting: [], ecrWrite: [], ecsScaledServices: [] })).toBe(scopeSize(scoped));
  });

  it('chunkArns keeps order and puts at most maxChars in each chunk', () => {
    const arns = Array.from({ length: 50 }, (_, i) => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/c/s-${i}`);
    const chunks = chunkArns(arns, 500);
    expect(chunks.flat()).toEqual(arns);
    for (const c of chunks) expect(c.reduce((n, a) => n + a.length + 3, 0)).toBeLessThanOrEqual(500);
    expect(chunkArns([])).toEqual([]);
  });
});

describe('scopeHookFunctions', () => {
  it('lists every configured hook (services and environments) once, qualifier included', () => {
    expect(scopeHookFunctions(everyFeatureConfig())).toMatchObject({
      arns: [HOOKS.afterHealthy, HOOKS.beforeShift, HOOKS.verifyProduction].sort(),
      coarsened: false,
    });
  });

  it('no hook, no ARN', () => {
    expect(scopeHookFunctions(exampleConfig()).arns).toEqual([]);
  });

  it('never widens to function:* (which would include Cutover\'s own functions), whatever the budget', () => {
    const hooks = scopeHookFunctions(everyFeatureConfig(), 50);
    expect(hooks).toMatchObject({ arns: [HOOKS.afterHealthy, HOOKS.beforeShift, HOOKS.verifyProduction].sort(), coarsened: false });
  });
});

describe('EventBridge patterns list the configured names while they fit', () => {
  it('ECR pushes of the configured repositories, each listed once, sorted', () => {
    const { pattern, filteredByName } = ecrPushPattern(['b/two', 'a/one', 'b/two']);

    expect(filteredByName).toBe(true);
    expect(pattern).toEqual({
      source: ['aws.ecr'],
      detailType: ['ECR Image Action'],
      detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['a/one', 'b/two'] },
    });
  });

  it('alarm state changes into ALARM for the configured alarm names', () => {
    const { pattern, filteredByName } = alarmStatePattern(['checkout-5xx', 'checkout-latency']);

    expect(filteredByName).toBe(true);
    expect(pattern).toEqual({
      source: ['aws.cloudwatch'],
      detailType: ['CloudWatch Alarm State Change'],
      detail: { state: { value: ['ALARM'] }, alarmName: ['checkout-5xx', 'checkout-latency'] },
    });
  });

  it('a list past the pattern quota is left to the handler (the pattern would be rejected)', () => {
    const names = Array.from({ length: 200 }, (_, i) => `team/service-number-${i}`);

    const { pattern, filteredByName } = ecrPushPattern(names);

    expect(filteredByName).toBe(false);
    expect(pattern.detail).toEqual({ 'action-type': ['PUSH'], result: ['SUCCESS'] });
    expect(JSON.stringify(pattern).length).toBeLessThan(DEFAULT_EVENT_PATTERN_MAX_CHARS);
  });

  it('a raised quota keeps the list', () => {
    const names = Array.from({ length: 200 }, (_, i) => `team/service-number-${i}`);
    expect(ecrPushPattern(names, 20_000).filteredByName).toBe(true);
  });

  it('no configured alarms: every ALARM transition reaches the watcher, which finds nothing in flight', () => {
    expect(alarmStatePattern([])).toEqual({
      filteredByName: false,
      pattern: { source: ['aws.cloudwatch'], detailType: ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } },
    });
  });
});

describe('scopePassRoles: the roles register and the migration RunTask may pass (taskRoleArns)', () => {
  const role = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;

  it('is taskRoleArns exactly as configured, however many services', () => {
    expect(scopePassRoles(exampleConfig()).arns).toEqual(exampleConfig().taskRoleArns);
    expect(scopePassRoles(parseConfig(manyServices(500))).arns).toEqual([role('svc-*')]);
  });

  it("says what is wrong with a role of another account or partition than the stack's", () => {
    const config = parseConfig({ ...exampleConfig(), account: undefined, taskRoleArns: [role('a'), role('b', '999999999999'), `arn:aws-cn:iam::${ACCOUNT}:role/c`] });
    expect(passRoleProblems(config, ENV)).toEqual([
      "taskRoleArns[1]: account 999999999999 differs from the control plane's account 123456789012; ECS tasks take roles of their own account",
      "taskRoleArns[2]: partition aws-cn differs from the control plane's partition aws",
    ]);
    // Tokens (an environment-agnostic stack) are not compared.
    const tokens = { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID };
    expect(passRoleProblems(config, tokens)).toEqual([]);
  });

  it("the configuration's own account refuses a role of another account before any synth", () => {
    expect(() => parseConfig({ ...exampleConfig(), taskRoleArns: [role('a'), role('b', '999999999999')] })).toThrow(
      /taskRoleArns\[1\]: account 999999999999 differs from the control plane's account 123456789012/,
    );
  });

  it("synth refuses a role of another account than the stack's with a ConfigError naming the field", () => {
    // A config without `account`, in a stack with a literal environment (CutoverStack takes its
    // environment from config.account; a team's own stack may set one).
    const config = parseConfig({ ...exampleConfig(), account: undefined, taskRoleArns: [role('checkout-task', '999999999999')] });
    const build = () => {
      const stack = new Stack(testApp(), 'Own', { env: { account: ACCOUNT, region: REGION } });
      new ControlPlane(stack, 'ControlPlane', { config, handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.stateMachinesDir });
    };
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/taskRoleArns\[0\]: account 999999999999/);
  });

  it('taskRoleArns empty: no PassRole anywhere, and synth warns that a deployment with roles will fail at register', () => {
    const config = parseConfig({ ...everyFeatureConfig(), taskRoleArns: [] });
    const { stack, template } = synthStack({ config, fixtures: false });
    expect(statementFor(handlerStatements(template, 'register'), 'iam:PassRole')).toBeUndefined();
    expect(statementFor(policyStatements(template, 'ControlPlaneDeployStateMachineRole'), 'iam:PassRole')).toBeUndefined();
    // The migration still runs tasks of revisions without roles.
    expect(statementFor(policyStatements(template, 'ControlPlaneDeployStateMachineRole'), 'ecs:RunTask')).toBeDefined();
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('taskRoleArns is empty'));
    expect(Annotations.fromStack(synthStack().stack).findWarning('*', Match.stringLikeRegexp('taskRoleArns'))).toEqual([]);
  });

  it('every policy stays under 10,240 characters at 100 services with migrations and the longest taskRoleArns allowed', () => {
    // (500 services' exact writes no longer fit one role: test/security/iam-growth.test.ts.)
    const raw = manyServices(100);
    const longest = Array.from({ length: 20 }, (_, i) => role(`${'p'.repeat(60)}/${'q'.repeat(60)}/${String(i).padStart(2, '0')}-${'r'.repeat(36)}-*`));
    expect(Math.min(...longest.map((a) => a.length))).toBeGreaterThanOrEqual(190);
    const config = parseConfig({
      ...raw,
      taskRoleArns: longest,
      services: raw.services.map((s) => ({ ...s, migration: { command: ['migrate'] } })),
    });
    const { template } = synthStack({ config, fixtures: false });
    for (const [id, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument).length, id).toBeLessThan(10_240);
    }
    expect(statementFor(handlerStatements(template, 'register'), 'iam:PassRole')?.Resource).toEqual(longest);
  });
});
