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
  return [...scoped.ecs, ...scoped.elbRouting, ...scoped.elbTestListeners, ...scoped.ecr].reduce(
    (n, arn) => n + arn.length + 3,
    0,
  );
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
