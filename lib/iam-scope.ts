/**
 * Which ECS, ELB and ECR resources Cutover's roles may act on, from the configuration.
 *
 * The finest scope names every configured service, task set, listener, rule and repository. That
 * list grows with the services, and a role's inline policies are limited by IAM to 10,240
 * characters; CDK would then split the policy into extra managed policies, and the resource count
 * would grow with the services. So the scope coarsens, in three steps, until the lists fit a
 * budget:
 *
 * | level     | ECS                                      | ELB writes                                  | ECR                  |
 * | --------- | ---------------------------------------- | ------------------------------------------- | -------------------- |
 * | `service` | `service/C/S`, `task-set/C/S/*`          | each listener ARN, each listener-rule ARN   | `repository/NAME`    |
 * | `cluster` | `service/C/*`, `task-set/C/*`            | each listener ARN, `listener-rule/.../L/*`  | `repository/NS/*` ¹  |
 * | `account` | `service/*`, `task-set/*`                | `listener/app/*`, `listener-rule/app/*`     | `repository/*`       |
 *
 * ¹ a namespaced repository (`team/app`) by its first namespace, an un-namespaced one by its name.
 *
 * The same levels scope the cluster-wide lists: clusters (`cluster/C`, for `ecs:cluster`
 * conditions) and their tasks (`task/C/*`) — at the `account` level `cluster/*` and `task/*` — and
 * the subsets of services that configure `scaling` (UpdateService) or a `migration` (RunTask).
 *
 * Hook functions (user Lambdas) are scoped apart ({@link scopeHookFunctions}): they sit in other
 * roles (the hook handler, the deploy and release state machines). So are the IAM roles Cutover may
 * pass to ECS tasks ({@link scopePassRoles}): `taskRoleArns` as configured, a bounded list.
 *
 * Always in the control plane's own account and region. Example: one service `shop/checkout`
 * gets the `service` level; 200 services in 4 clusters behind 2 listeners get the `cluster` level.
 */
import type { CutoverConfig } from '../functions/core/config.js';

export const ScopeLevel = { Service: 'service', Cluster: 'cluster', Account: 'account' } as const;
export type ScopeLevel = (typeof ScopeLevel)[keyof typeof ScopeLevel];

/** Partition, region and account of the control plane (literals or CDK tokens). */
export interface ArnEnvironment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

export interface ScopedResources {
  readonly level: ScopeLevel;
  /** Service and task-set ARNs for the `ecsServices` access. */
  readonly ecs: readonly string[];
  /** Listener and listener-rule ARNs for the `elbRouting` access. */
  readonly elbRouting: readonly string[];
  /** Test-listener ARNs for the `elbTestRouting` access (empty when no service has one). */
  readonly elbTestListeners: readonly string[];
  /** Repository ARNs for the `ecrRepositories` access. */
  readonly ecr: readonly string[];
  /** Cluster ARNs of the configured services (values of `ecs:cluster` conditions). */
  readonly ecsClusters: readonly string[];
  /** Task ARNs (`task/C/*`) in the configured clusters, for the `ecsClusterTasks` access. */
  readonly ecsTasks: readonly string[];
  /** Service ARNs of the services with `scaling`, for the `ecsScaledServices` access (empty: none). */
  readonly ecsScaledServices: readonly string[];
  /** Cluster ARNs of the services with a `migration` (where the deploy state machine runs tasks; empty: none). */
  readonly migrationClusters: readonly string[];
  /** Task ARNs (`task/C/*`) in {@link migrationClusters} (the `.sync` integration watches and stops them). */
  readonly migrationTasks: readonly string[];
  /** Why the wildcards at this level are needed (for the cdk-nag acknowledgement). */
  readonly wildcardReason: string;
}

/**
 * Characters of scoped ARNs a role may carry. IAM allows 10,240 characters of inline policy per
 * role; the rest of Cutover's largest role (table, bus, describe, logs, X-Ray) takes under 2,500.
 */
export const DEFAULT_SCOPE_BUDGET_CHARS = 6000;

const LEVELS: readonly ScopeLevel[] = [ScopeLevel.Service, ScopeLevel.Cluster, ScopeLevel.Account];

const unique = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/** The resource lists at one level. */
export function resourcesAt(level: ScopeLevel, config: CutoverConfig, env: ArnEnvironment): ScopedResources {
  const { partition, region, account } = env;
  const ecsArn = (resource: string) => `arn:${partition}:ecs:${region}:${account}:${resource}`;
  const elbArn = (resource: string) => `arn:${partition}:elasticloadbalancing:${region}:${account}:${resource}`;
  const ecrArn = (resource: string) => `arn:${partition}:ecr:${region}:${account}:${resource}`;
  const listeners = config.services.flatMap((s) => [s.listenerArn, s.testListenerArn].filter((a): a is string => !!a));
  const rules = config.services.flatMap((s) => (s.listenerRuleArn ? [s.listenerRuleArn] : []));
  const testListeners = unique(config.services.flatMap((s) => (s.testListenerArn ? [s.testListenerArn] : [])));
  const repositories = unique(config.services.map((s) => ecrArn(`repository/${s.repository}`)));
  const scaled = config.services.filter((s) => s.scaling !== undefined);
  const migrating = config.services.filter((s) => s.migration !== undefined);
  const clusters = (services: CutoverConfig['services']) => unique(services.map((s) => ecsArn(`cluster/${s.cluster}`)));
  const tasks = (services: CutoverConfig['services']) => unique(services.map((s) => ecsArn(`task/${s.cluster}/*`)));
  /** Clusters and tasks are never listed per service: the `service` and `cluster` levels name each cluster. */
  const clusterLists = {
    ecsClusters: clusters(config.services),
    ecsTasks: tasks(config.services),
    migrationClusters: clusters(migrating),
    migrationTasks: tasks(migrating),
  };
  switch (level) {
    case ScopeLevel.Service:
      return {
        level,
        ecs: unique(
          config.services.flatMap((s) => [
            ecsArn(`service/${s.cluster}/${s.service}`),
            ecsArn(`task-set/${s.cluster}/${s.service}/*`),
          ]),
        ),
        elbRouting: unique([...listeners, ...rules]),
        elbTestListeners: testListeners,
        ecr: repositories,
        ...clusterLists,
        ecsScaledServices: unique(scaled.map((s) => ecsArn(`service/${s.cluster}/${s.service}`))),
        wildcardReason:
          'ECS generates task-set ids at CreateTaskSet, so each configured service gets task-set/CLUSTER/SERVICE/*: ' +
          'the wildcard covers only the task sets of that one configured service',
      };
    case ScopeLevel.Cluster:
      return {
        level,
        ecs: unique(
          config.services.flatMap((s) => [ecsArn(`service/${s.cluster}/*`), ecsArn(`task-set/${s.cluster}/*`)]),
        ),
        // listener-rule/app/LB/LBID/LISTENERID/RULEID -> listener-rule/app/LB/LBID/LISTENERID/*
        elbRouting: unique([...listeners, ...rules.map((r) => r.replace(/\/[^/]+$/, '/*'))]),
        elbTestListeners: testListeners,
        ecr: unique(
          config.services.map((s) => {
            const slash = s.repository.indexOf('/');
            return ecrArn(`repository/${slash === -1 ? s.repository : `${s.repository.slice(0, slash)}/*`}`);
          }),
        ),
        ...clusterLists,
        ecsScaledServices: unique(scaled.map((s) => ecsArn(`service/${s.cluster}/*`))),
        wildcardReason:
          'the per-service ARNs of the configured services exceed the IAM inline-policy size, so ECS writes are ' +
          'scoped to the configured clusters, listener-rule writes to the rules of the configured listeners and ECR ' +
          'reads to the namespaces of the configured repositories (account and region pinned)',
      };
    case ScopeLevel.Account:
      return {
        level,
        ecs: [ecsArn('service/*'), ecsArn('task-set/*')],
        elbRouting: [elbArn('listener/app/*'), elbArn('listener-rule/app/*')],
        elbTestListeners: testListeners.length > 0 ? [elbArn('listener/app/*')] : [],
        ecr: [ecrArn('repository/*')],
        ecsClusters: [ecsArn('cluster/*')],
        ecsTasks: [ecsArn('task/*')],
        ecsScaledServices: scaled.length > 0 ? [ecsArn('service/*')] : [],
        migrationClusters: migrating.length > 0 ? [ecsArn('cluster/*')] : [],
        migrationTasks: migrating.length > 0 ? [ecsArn('task/*')] : [],
        wildcardReason:
          'the configured services, clusters and listeners exceed the IAM inline-policy size even per cluster, so ' +
          'ECS, ELB and ECR permissions are scoped to their resource type in this account and region; the ' +
          'handlers act only on services named in the bundled configuration',
      };
    default: {
      const never: never = level;
      throw new Error(`unknown scope level ${String(never)}`);
    }
  }
}

/** Characters the lists take in a policy document (each ARN quoted, comma separated). */
export function scopeSize(scoped: ScopedResources): number {
  return [
    ...scoped.ecs,
    ...scoped.elbRouting,
    ...scoped.elbTestListeners,
    ...scoped.ecr,
    ...scoped.ecsClusters,
    ...scoped.ecsTasks,
    ...scoped.ecsScaledServices,
    ...scoped.migrationClusters,
    ...scoped.migrationTasks,
  ].reduce((n, arn) => n + arn.length + 3, 0);
}

/** The finest level whose lists fit `budgetChars`. */
export function scopeResources(
  config: CutoverConfig,
  env: ArnEnvironment,
  budgetChars: number = DEFAULT_SCOPE_BUDGET_CHARS,
): ScopedResources {
  for (const level of LEVELS) {
    const scoped = resourcesAt(level, config, env);
    if (scopeSize(scoped) <= budgetChars) return scoped;
  }
  return resourcesAt(ScopeLevel.Account, config, env);
}

/** The hook functions (user Lambdas) the hook handler and the state machines may invoke. */
export interface ScopedHookFunctions {
  /** Function ARNs (empty when no hook is configured). */
  readonly arns: readonly string[];
  /** True when the list did not fit and was coarsened to `function:*` per account and region. */
  readonly coarsened: boolean;
  /** Why a coarsened list has wildcards (for the cdk-nag acknowledgement). */
  readonly wildcardReason: string;
}

const LAMBDA_ARN = /^arn:([^:]+):lambda:([^:]+):(\d{12}):function:/;

/**
 * Every configured hook ARN (services' lifecycle hooks and environments' verification hooks), exactly
 * as configured (an alias or version qualifier is part of what is allowed). When the list exceeds
 * `budgetChars`, each account and region the hooks live in gets `function:*` instead.
 */
export function scopeHookFunctions(config: CutoverConfig, budgetChars: number = DEFAULT_SCOPE_BUDGET_CHARS): ScopedHookFunctions {
  const arns = unique([
    ...config.services.flatMap((s) => [
      ...s.hooks.afterHealthy,
      ...s.hooks.afterTestTraffic,
      ...s.hooks.beforeShift,
      ...s.hooks.afterFullTraffic,
    ]),
    ...config.environments.flatMap((e) => e.verification.hooks),
  ]);
  const size = arns.reduce((n, arn) => n + arn.length + 3, 0);
  if (size <= budgetChars) {
    return { arns, coarsened: false, wildcardReason: 'the configured hook functions, each by its ARN' };
  }
  const coarse = unique(
    arns.map((arn) => {
      const m = LAMBDA_ARN.exec(arn);
      return m ? `arn:${m[1]}:lambda:${m[2]}:${m[3]}:function:*` : arn;
    }),
  );
  return {
    arns: coarse,
    coarsened: true,
    wildcardReason:
      'the configured hook function ARNs exceed the IAM inline-policy size, so invocation is scoped to the functions of ' +
      'the accounts and regions the hooks live in; the handler invokes only the hooks named in the bundled configuration',
  };
}

/** The IAM roles register (and a state machine's `ecs:runTask`) may pass to ECS tasks. */
export interface ScopedPassRoles {
  /** Role ARNs and patterns: the configuration's `taskRoleArns`, as written (empty: no PassRole at all). */
  readonly arns: readonly string[];
  /** Why a pattern has a wildcard (for the cdk-nag acknowledgement of a `role/PREFIX-*` resource). */
  readonly wildcardReason: string;
}

const LITERAL_ACCOUNT = /^\d{12}$/;
const LITERAL_PARTITION = /^aws(-cn|-us-gov)?$/;
const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\//;

/**
 * The roles of `taskRoleArns`, exactly as configured: they do not grow with the services (the
 * schema allows at most 20), and the register role checks the carried-over roles against the same
 * list (functions/core/task-roles.ts), so the policy and the check cannot disagree.
 *
 * Throws nothing; {@link passRoleProblems} says what is wrong with the list for this environment.
 */
export function scopePassRoles(config: CutoverConfig): ScopedPassRoles {
  return {
    arns: [...config.taskRoleArns],
    wildcardReason:
      'iam:PassRole of the task and execution roles the configuration names in taskRoleArns, where * stands for ' +
      'characters of the role name (the naming prefix or role path the team gives its ECS task roles); the ' +
      'iam:PassedToService condition allows passing them to ECS tasks only',
  };
}

/**
 * `taskRoleArns` entries in another account or partition than the stack's, when the stack's are
 * literals (not CloudFormation tokens): one line per problem, naming the field. (The configuration's
 * own `account` is compared by the schema's cross-field rules, as for every other ARN.)
 */
export function passRoleProblems(config: CutoverConfig, env: ArnEnvironment): string[] {
  const problems: string[] = [];
  config.taskRoleArns.forEach((arn, i) => {
    const m = ROLE_ARN.exec(arn);
    if (!m) return; // the schema already refused it
    const [, partition, account] = m;
    if (LITERAL_ACCOUNT.test(env.account) && account !== env.account) {
      problems.push(`taskRoleArns[${i}]: account ${account} differs from the control plane's account ${env.account}; ECS tasks take roles of their own account`);
    }
    if (LITERAL_PARTITION.test(env.partition) && partition !== env.partition) {
      problems.push(`taskRoleArns[${i}]: partition ${partition} differs from the control plane's partition ${env.partition}`);
    }
  });
  return problems;
}
