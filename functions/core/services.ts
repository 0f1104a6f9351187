/**
 * Lookups over a validated configuration. Schema-free (types only), so handlers, which read the
 * configuration the synth already validated, do not bundle the config schema.
 */
import type { CutoverConfig, ServiceConfig } from './config.js';
import { IMAGE_TAG } from './patterns.js';

/** Find a service by name and environment. */
export function findService(config: CutoverConfig, name: string, environment: string): ServiceConfig | undefined {
  return config.services.find((s) => s.name === name && s.environment === environment);
}

/** ECR-style tag filter match: `*` any run, `?` one character; whole-tag match. */
export function tagMatches(filter: string, tag: string | undefined): boolean {
  if (tag === undefined) return filter === '*';
  // A tag ECR took but Docker would not (over 128 characters, or other characters) matches no filter:
  // a deterministic "nothing to deploy", never an error (issue #14, Low).
  if (!IMAGE_TAG.test(tag)) return false;
  const re = new RegExp(`^${filter.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(tag);
}

/** The services a push to `repository` with `tag` deploys to. */
export function servicesForPush(config: CutoverConfig, repository: string, tag: string | undefined): ServiceConfig[] {
  return config.services.filter((s) => s.repository === repository && tagMatches(s.tagFilter, tag));
}

/**
 * The task-definition family a service's revisions belong to: `taskDefinitionFamily`, else the
 * family of `bootstrap.taskDefinition`, else the ECS service name.
 */
export function familyOf(svc: Pick<ServiceConfig, 'taskDefinitionFamily' | 'bootstrap' | 'service'>): string {
  return svc.taskDefinitionFamily ?? svc.bootstrap?.taskDefinition.split(':')[0] ?? svc.service;
}

/** `arn:...:task-definition/FAMILY:7` -> `FAMILY` (undefined for anything else). */
export function familyOfArn(taskDefinitionArn: string): string | undefined {
  return /:task-definition\/([A-Za-z0-9_-]{1,255}):\d+$/.exec(taskDefinitionArn)?.[1];
}

/**
 * How a service's traffic moves (functions/core/traffic.ts): `alb-weights` for a web service (a
 * listener's forward weights), `task-share` for a worker (no load balancer: the share of tasks).
 * Same rule as config.ts isWorkerService, kept schema-free for the handlers.
 */
export function trafficKindOf(svc: Pick<ServiceConfig, 'listenerArn' | 'listenerRuleArn' | 'targetGroupArns' | 'testListenerArn'>): 'alb-weights' | 'task-share' {
  const web = svc.listenerArn !== undefined || svc.listenerRuleArn !== undefined || svc.targetGroupArns !== undefined || svc.testListenerArn !== undefined;
  return web ? 'alb-weights' : 'task-share';
}
