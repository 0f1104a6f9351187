/**
 * The configuration is the security boundary (DESIGN.md, safety invariants): whatever a caller
 * declares — a deploy input, a payload handed to a function directly, an item written to the table —
 * is compared with what the bundled configuration says for the request's service and environment,
 * and a mismatch is refused by name before anything changes. Pure: the handlers read AWS and the
 * store and pass what they found.
 *
 * | what is checked                | against                                                        |
 * | ------------------------------ | -------------------------------------------------------------- |
 * | a deploy state's `ctx`         | cluster, ECS service, container, traffic shape, route, test listener, target groups (a worker: none), alarms, repository, family |
 * | a pinned revision (rollback)   | a promoted version of this service on record (rollback-proof.ts), then the revision itself: family, the target container's image (configured repository at the digest), roles (`taskRoleArns`) |
 * | a stored record's resources    | target groups and watched alarms of the configuration          |
 */
import type { ServiceConfig } from './config.js';
import { type DeployContext, type DeployState, imageUri } from './deploy-state.js';
import { albDimensionOf } from './metrics-dimensions.js';
import type { DeploymentRecord, Route } from './model.js';
import type { RevisionDescription } from './ports.js';
import { familyOf, familyOfArn, trafficKindOf } from './services.js';
import { disallowedRoles } from './task-roles.js';

/** Where the control plane runs (the registry of the images it deploys). */
export interface Home {
  readonly accountId: string;
  readonly region: string;
}

/** The production route the configuration names for a service. */
export function configuredRoute(svc: Pick<ServiceConfig, 'listenerArn' | 'listenerRuleArn'>): Route {
  // A worker has no route; callers branch on trafficKindOf first (this is never called for one).
  return svc.listenerRuleArn ? { kind: 'rule', arn: svc.listenerRuleArn } : { kind: 'listener', arn: svc.listenerArn as string };
}

const q = (v: unknown): string => JSON.stringify(v ?? null);

/** Problems with a task-definition ARN that should be a revision of the service's family. */
export function familyProblems(svc: ServiceConfig, field: string, taskDefinitionArn: string | undefined): string[] {
  if (taskDefinitionArn === undefined) return [];
  const family = familyOfArn(taskDefinitionArn) ?? taskDefinitionArn.split(':')[0];
  return family === familyOf(svc)
    ? []
    : [`${field}: ${q(taskDefinitionArn)} is not a revision of ${svc.name}/${svc.environment}'s task-definition family "${familyOf(svc)}" (services[].taskDefinitionFamily)`];
}

/**
 * Every field of a deploy state's context that names a resource, compared with the configuration
 * (one line per mismatch, naming the field, what it holds and what the configuration says).
 * Example: `ctx.greenTargetGroupArn: "…/other/1" is not one of api/production's target groups`.
 */
export function ctxProblems(svc: ServiceConfig, state: DeployState, ctx: DeployContext, home: Home): string[] {
  const p: string[] = [];
  const who = `${svc.name}/${svc.environment}`;
  const expect = (field: string, actual: unknown, wanted: unknown) => {
    if (actual !== wanted) p.push(`${field}: ${q(actual)} is not ${who}'s configured ${q(wanted)}`);
  };
  expect('ctx.cluster', ctx.cluster, svc.cluster);
  expect('ctx.ecsService', ctx.ecsService, svc.service);
  expect('ctx.containerName', ctx.containerName, svc.containerName);
  // The traffic shape is the configuration's (a worker has no route or target groups to name).
  const kind = trafficKindOf(svc);
  expect('ctx.traffic', ctx.traffic ?? 'alb-weights', kind);
  if (kind === 'task-share') {
    for (const f of ['route', 'testListenerArn', 'targetGroupArns', 'greenTargetGroupArn', 'loadBalancerDimension'] as const) {
      if (ctx[f] !== undefined) p.push(`ctx.${f}: ${q(ctx[f])} given, but ${who} is a worker (no load balancer): it has none`);
    }
    if (ctx.blue?.targetGroupArn !== undefined) p.push(`ctx.blue.targetGroupArn: ${q(ctx.blue.targetGroupArn)} given, but ${who} is a worker (no load balancer)`);
  } else {
    const route = configuredRoute(svc);
    expect('ctx.route.kind', ctx.route?.kind, route.kind);
    expect('ctx.route.arn', ctx.route?.arn, route.arn);
    expect('ctx.testListenerArn', ctx.testListenerArn, svc.testListenerArn);
    expect('ctx.loadBalancerDimension', ctx.loadBalancerDimension, albDimensionOf(route.arn));
    const tgs = (svc.targetGroupArns ?? []) as readonly string[];
    const given = ctx.targetGroupArns ?? [];
    if (given.length !== 2 || !given.every((t) => tgs.includes(t)) || given[0] === given[1]) {
      p.push(`ctx.targetGroupArns: ${q(given)} are not ${who}'s configured target groups ${q(tgs)}`);
    }
    const tgField = (field: string, tg: string | undefined) => {
      if (tg !== undefined && !tgs.includes(tg)) p.push(`${field}: ${q(tg)} is not one of ${who}'s target groups ${q(tgs)}`);
    };
    tgField('ctx.greenTargetGroupArn', ctx.greenTargetGroupArn);
    if (ctx.greenTargetGroupArn === undefined) p.push(`ctx.greenTargetGroupArn: is required for ${who} (a web service; Inspect sets it)`);
    tgField('ctx.blue.targetGroupArn', ctx.blue?.targetGroupArn);
  }
  p.push(...familyProblems(svc, 'ctx.blue.taskDefinitionArn', ctx.blue?.taskDefinitionArn));
  // Exactly the configured alarms (none for a rollback, which Validate accepted only with proof):
  // an edited list can neither name another service's alarms nor drop one of this service's.
  const watched = state.request.trigger?.kind === 'rollback' ? [] : [...svc.alarms];
  const alarms = [...(ctx.alarmNames ?? [])];
  if (alarms.length !== watched.length || !alarms.every((a) => watched.includes(a))) {
    p.push(`ctx.alarmNames: ${q(alarms)} are not the alarms ${who} watches ${q(watched)} (services[].alarms)`);
  }
  const { repository, digest } = state.request.image;
  expect('request.image.repository', repository, svc.repository);
  expect('ctx.image.repository', ctx.image?.repository, svc.repository);
  expect('ctx.image.digest', ctx.image?.digest, digest);
  expect('ctx.image.uri', ctx.image?.uri, imageUri(home.accountId, home.region, svc.repository, digest));
  p.push(...familyProblems(svc, 'taskDefinitionArn', state.taskDefinitionArn));
  return p;
}

/**
 * A revision Cutover is about to deploy as is (a rollback), as ECS describes it: of the service's
 * family, its target container running the configured repository at `digest` (by digest, in this
 * account and region), and passing only roles `taskRoleArns` names.
 */
export function revisionProblems(
  svc: ServiceConfig,
  taskRoleArns: readonly string[],
  revision: RevisionDescription | undefined,
  taskDefinitionArn: string,
  digest: string,
  home: Home,
): string[] {
  if (!revision) return [`taskDefinitionArn: ECS does not know ${taskDefinitionArn}; name a revision this service ran (cutover history)`];
  const p: string[] = [];
  if (revision.family !== familyOf(svc)) {
    p.push(`taskDefinitionArn: ${taskDefinitionArn} is of family "${revision.family}", not ${svc.name}/${svc.environment}'s "${familyOf(svc)}" (services[].taskDefinitionFamily)`);
  }
  const target = revision.containers.find((c) => c.name === svc.containerName);
  const wanted = imageUri(home.accountId, home.region, svc.repository, digest);
  if (!target) p.push(`taskDefinitionArn: ${taskDefinitionArn} has no container "${svc.containerName}" (services[].containerName)`);
  else if (target.image !== wanted) {
    p.push(`taskDefinitionArn: container "${svc.containerName}" of ${taskDefinitionArn} runs ${q(target.image)}, not the configured repository at the digest (${wanted})`);
  }
  for (const [field, arn] of disallowedRoles(taskRoleArns, revision)) {
    p.push(`taskDefinitionArn: ${taskDefinitionArn} passes ${field} ${arn}, which taskRoleArns does not allow`);
  }
  return p;
}

/**
 * Target groups and alarms a stored record names, compared with the configuration (a table write
 * must not choose where traffic goes or which alarms are ignored).
 */
export function recordProblems(svc: ServiceConfig, record: Pick<DeploymentRecord, 'blue' | 'green' | 'alarmNames'>): string[] {
  const p: string[] = [];
  const tgs = (svc.targetGroupArns ?? []) as readonly string[];
  for (const [field, tg] of [
    ['record.blue.targetGroupArn', record.blue?.targetGroupArn],
    ['record.green.targetGroupArn', record.green?.targetGroupArn],
  ] as const) {
    if (tg !== undefined && !tgs.includes(tg)) p.push(`${field}: ${q(tg)} is not one of ${svc.name}/${svc.environment}'s target groups ${q(tgs)}`);
  }
  p.push(...familyProblems(svc, 'record.blue.taskDefinitionArn', record.blue?.taskDefinitionArn));
  p.push(...familyProblems(svc, 'record.green.taskDefinitionArn', record.green?.taskDefinitionArn));
  const foreign = (record.alarmNames ?? []).filter((a) => !svc.alarms.includes(a));
  if (foreign.length > 0) p.push(`record.alarmNames: ${q(foreign)} are not alarms ${svc.name}/${svc.environment} watches`);
  return p;
}

/** What cleanup's apply is handed: the scope and its planned actions (functions/core/cleanup.ts). */
interface CleanupApplyItem {
  readonly scope:
    | { readonly kind: 'service'; readonly service: string; readonly environment: string }
    | { readonly kind: 'repository'; readonly repository: string };
  readonly pending: ReadonlyArray<{
    readonly kind: string;
    readonly service: string;
    readonly environment: string;
    readonly target: string;
    readonly detail?: Readonly<Record<string, string | number | boolean>>;
  }>;
}

/**
 * Cleanup's apply acts only within the configuration: a service scope's task sets (its cluster and
 * ECS service), revisions of its family and its records; a repository scope's images of that
 * configured repository. One line per action outside it.
 */
export function cleanupApplyProblems(services: readonly ServiceConfig[], item: CleanupApplyItem): string[] {
  const { scope } = item;
  const inScope =
    scope.kind === 'service'
      ? services.filter((s) => s.name === scope.service && s.environment === scope.environment)
      : services.filter((s) => s.repository === scope.repository);
  if (inScope.length === 0) {
    return [`scope: ${q(scope)} is not a configured service or repository; cleanup plans its own scopes (start the cleanup state machine)`];
  }
  const p: string[] = [];
  item.pending.forEach((a, i) => {
    const at = `pending[${i}]`;
    const svc = inScope.find((s) => s.name === a.service && s.environment === a.environment);
    if (!svc) {
      p.push(`${at}.service: ${a.service}/${a.environment} is not in scope ${q(scope)}`);
      return;
    }
    switch (a.kind) {
      case 'delete-task-set':
        if (scope.kind !== 'service' || a.detail?.cluster !== svc.cluster || a.detail?.ecsService !== svc.service) {
          p.push(`${at}: a task set of ${q(a.detail?.cluster)}/${q(a.detail?.ecsService)} is not ${svc.name}/${svc.environment}'s (${svc.cluster}/${svc.service})`);
        }
        return;
      case 'deregister-revision':
      case 'delete-revision':
        if (scope.kind !== 'service') p.push(`${at}: revisions are cleaned in a service scope`);
        p.push(...familyProblems(svc, `${at}.target`, a.target));
        return;
      case 'delete-image':
        if (scope.kind !== 'repository' || a.detail?.repository !== scope.repository) {
          p.push(`${at}: an image of ${q(a.detail?.repository)} is not in scope ${q(scope)}`);
        }
        return;
      case 'expire-record':
        if (scope.kind !== 'service') p.push(`${at}: records are expired in a service scope`);
        return;
      default:
        p.push(`${at}.kind: ${q(a.kind)} is not an action cleanup applies`);
    }
  });
  return p;
}
