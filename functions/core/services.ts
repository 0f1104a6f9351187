/**
 * Lookups over a validated configuration. Schema-free (types only), so handlers, which read the
 * configuration the synth already validated, do not bundle the config schema.
 */
import type { CutoverConfig, ServiceConfig } from './config.js';

/** Find a service by name and environment. */
export function findService(config: CutoverConfig, name: string, environment: string): ServiceConfig | undefined {
  return config.services.find((s) => s.name === name && s.environment === environment);
}

/** ECR-style tag filter match: `*` any run, `?` one character; whole-tag match. */
export function tagMatches(filter: string, tag: string | undefined): boolean {
  if (tag === undefined) return filter === '*';
  const re = new RegExp(`^${filter.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(tag);
}

/** The services a push to `repository` with `tag` deploys to. */
export function servicesForPush(config: CutoverConfig, repository: string, tag: string | undefined): ServiceConfig[] {
  return config.services.filter((s) => s.repository === repository && tagMatches(s.tagFilter, tag));
}
