/**
 * Which ECS, ELB and ECR resources Cutover's roles may act on, from the configuration.
 *
 * **Writes never coarsen** (issue #14, 9). Every write — CreateTaskSet, UpdateTaskSet, DeleteTaskSet,
 * UpdateServicePrimaryTaskSet, UpdateService, ModifyListener, ModifyRule, BatchDeleteImage, RunTask's
 * clusters, StopTask, hook invocation — names each configured service, task set, listener, rule,
 * repository, cluster and function, however many services there are (the `*Write` lists below, and
 * {@link scopeHookFunctions}). A long list is split into several statements, which CDK spreads over
 * the role's inline policy and overflow managed policies; lib/control-plane.ts fails synth, naming
 * the role and the limit, when a role would need more managed policies than IAM allows.
 *
 * Only the **reads** (Describe*, ListTasks) coarsen: a read names what it may see, and a role that
 * reads every service's list would carry it twice. The read lists coarsen in three steps until they
 * fit a budget:
 *
 * | level     | ECS reads                                | ECR reads            |
 * | --------- | ---------------------------------------- | -------------------- |
 * | `service` | `service/C/S`, `task-set/C/S/*`          | `repository/NAME`    |
 * | `cluster` | `service/C/*`, `task-set/C/*`            | `repository/NS/*` ¹  |
 * | `account` | `service/*`, `task-set/*`                | `repository/*`       |
 *
 * ¹ a namespaced repository (`team/app`) by its first namespace, an un-namespaced one by its name.
 *
 * The same levels scope the cluster-wide read lists: clusters (`cluster/C`, for ListTasks'
 * `ecs:cluster` condition) and their tasks (`task/C/*`, DescribeTasks) — at the `account` level
 * `cluster/*` and `task/*`. The services that configure `scaling` (UpdateService) or a `migration`
 * (RunTask, StopTask) are writes: always exact.
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
  /** The level of the read lists ({@link ecs}, {@link ecr}, {@link ecsClusters}, {@link ecsTasks}). */
  readonly level: ScopeLevel;
  /** Service and task-set ARNs for the `ecsServices` access's reads (Describe*): coarsens. */
  readonly ecs: readonly string[];
  /** Service and task-set ARNs of every configured service, for the `ecsServices` access's writes: never coarsens. */
  readonly ecsWrite: readonly string[];
  /** Repository ARNs of every configured repository, for ECR writes (BatchDeleteImage): never coarsens. */
  readonly ecrWrite: readonly string[];
  /** Listener and listener-rule ARNs for the `elbRouting` access (writes: every configured listener and rule, never coarsened). */
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
  /**
   * The native engine (issue #17): service ARNs of the services that may deploy with ECS's own
   * deployments (every service whose `engine` is not `task-set`: the engine is detected at Inspect),
   * for UpdateService and ListServiceDeployments; their service deployments
   * (`service-deployment/C/S/*`) and service revisions (`service-revision/C/S/*`). Exact at every level.
   */
  readonly ecsNativeServices: readonly string[];
  readonly ecsNativeDeployments: readonly string[];
  readonly ecsNativeRevisions: readonly string[];
  /** Why the wildcards at this level are needed (for the cdk-nag acknowledgement of the read lists). */
  readonly wildcardReason: string;
  /** Why the write lists have wildcards (task sets' generated ids, tasks' generated ids). */
  readonly writeWildcardReason: string;
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
  };
  /** Writes: exact at every level (issue #14, 9). */
  const ecsWrite = unique(
    config.services.flatMap((s) => [ecsArn(`service/${s.cluster}/${s.service}`), ecsArn(`task-set/${s.cluster}/${s.service}/*`)]),
  );
  const native = config.services.filter((s) => s.engine !== 'task-set');
  const writes = {
    ecsWrite,
    ecsNativeServices: unique(native.map((s) => ecsArn(`service/${s.cluster}/${s.service}`))),
    ecsNativeDeployments: unique(native.map((s) => ecsArn(`service-deployment/${s.cluster}/${s.service}/*`))),
    ecsNativeRevisions: unique(native.map((s) => ecsArn(`service-revision/${s.cluster}/${s.service}/*`))),
    ecrWrite: repositories,
    elbRouting: unique([...listeners, ...rules]),
    elbTestListeners: testListeners,
    ecsScaledServices: unique(scaled.map((s) => ecsArn(`service/${s.cluster}/${s.service}`))),
    // RunTask's ecs:cluster condition and runTask.sync's StopTask: the clusters that run migrations.
    migrationClusters: clusters(migrating),
    migrationTasks: tasks(migrating),
    writeWildcardReason:
      'ECS generates task-set and task ids, so each configured service gets task-set/CLUSTER/SERVICE/* and each migrating cluster task/CLUSTER/*: ' +
      'the wildcard covers only the task sets of that one configured service (the tasks of that cluster); writes are never coarsened',
  };
  switch (level) {
    case ScopeLevel.Service:
      return {
        level,
        ecs: ecsWrite,
        ecr: repositories,
        ...clusterLists,
        ...writes,
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
        ecr: unique(
          config.services.map((s) => {
            const slash = s.repository.indexOf('/');
            return ecrArn(`repository/${slash === -1 ? s.repository : `${s.repository.slice(0, slash)}/*`}`);
          }),
        ),
        ...clusterLists,
        ...writes,
        wildcardReason:
          'the per-service ARNs of the configured services exceed the read budget, so ECS reads (Describe*) are ' +
          'scoped to the configured clusters and ECR reads to the namespaces of the configured repositories (account ' +
          'and region pinned); every write names each configured resource',
      };
    case ScopeLevel.Account:
      return {
        level,
        ecs: [ecsArn('service/*'), ecsArn('task-set/*')],
        ecr: [ecrArn('repository/*')],
        ecsClusters: [ecsArn('cluster/*')],
        ecsTasks: [ecsArn('task/*')],
        ...writes,
        wildcardReason:
          'the configured services and clusters exceed the read budget even per cluster, so ECS and ECR reads ' +
          '(Describe*, ListTasks) are scoped to their resource type in this account and region; every write names ' +
          'each configured resource',
      };
    default: {
      const never: never = level;
      throw new Error(`unknown scope level ${String(never)}`);
    }
  }
}

/** Characters the coarsening (read) lists take in a policy document (each ARN quoted, comma separated). */
export function scopeSize(scoped: ScopedResources): number {
  return [...scoped.ecs, ...scoped.ecr, ...scoped.ecsClusters, ...scoped.ecsTasks].reduce((n, arn) => n + arn.length + 3, 0);
}

/**
 * `arns` in consecutive groups of at most `maxChars` characters (as {@link scopeSize} counts them),
 * one statement each, so CDK can spread a long write list over the inline policy and overflow
 * managed policies (it splits between statements, never inside one). Order is kept.
 */
export function chunkArns(arns: readonly string[], maxChars: number = WRITE_STATEMENT_MAX_CHARS): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const arn of arns) {
    const n = arn.length + 3;
    if (current.length > 0 && size + n > maxChars) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(arn);
    size += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Characters of ARNs one write statement carries: under CDK's 6,000-character overflow managed
 * policy (IAM: 6,144 characters per managed policy; IAM and AWS STS quotas, IAM User Guide) with
 * room for the statement's actions and conditions.
 */
export const WRITE_STATEMENT_MAX_CHARS = 4500;

/**
 * Managed policies IAM attaches to a role by default (IAM and AWS STS quotas: "Managed policies
 * attached to an IAM role", 10, adjustable to 20). CDK puts what does not fit the 10,240-character
 * inline policy into overflow managed policies; past this many, synth fails (lib/control-plane.ts).
 */
export const DEFAULT_MAX_MANAGED_POLICIES_PER_ROLE = 10;

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
  // Issue #14 (Low): invocation never widens to `function:*` (which would include Cutover's own
  // functions): a long list is split into statements like every other write. `budgetChars` is kept
  // for callers; it no longer changes the scope.
  void budgetChars;
  return { arns, coarsened: false, wildcardReason: 'the configured hook functions, each by its ARN' };
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

/**
 * The task-definition families of the configured services (`services[].taskDefinitionFamily`, see
 * functions/core/services.ts `familyOf`), as `task-definition/FAMILY:*` ARNs: the only revisions
 * Cutover may register, create a task set from (CreateTaskSet's `ecs:task-definition` condition) or
 * run (RunTask's task-definition resource). `only` narrows them to some services (those with a
 * migration). Never coarsened: one ARN per family (issue #14, 1).
 */
export function scopeTaskDefinitionFamilies(
  config: CutoverConfig,
  env: ArnEnvironment,
  only: (s: CutoverConfig['services'][number]) => boolean = () => true,
): string[] {
  const { partition, region, account } = env;
  // functions/core/services.ts familyOf (lib imports no handler code; test/security/boundary.test.ts compares them).
  const familyOf = (s: CutoverConfig['services'][number]) => s.taskDefinitionFamily ?? s.bootstrap?.taskDefinition.split(':')[0] ?? s.service;
  return [...new Set(config.services.filter(only).map((s) => `arn:${partition}:ecs:${region}:${account}:task-definition/${familyOf(s)}:*`))].sort();
}
