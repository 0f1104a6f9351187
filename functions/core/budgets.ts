/**
 * Numbers more than one part of Cutover must agree on: the EMF metric names the handlers publish
 * and the dashboard reads, and the longest a deployment can run (the lock's lease, the "stuck
 * deployment" alarm). lib/ imports this module too, so each is written once.
 */
import type { CutoverConfig, ServiceConfig } from './config.js';
import { planSteps } from './plan.js';

export const METRICS_NAMESPACE = 'Cutover';
export const METRIC = {
  started: 'DeploymentStarted',
  succeeded: 'DeploymentSucceeded',
  rolledBack: 'DeploymentRolledBack',
  failed: 'DeploymentFailed',
  leadTime: 'LeadTimeSeconds',
  timeToRestore: 'TimeToRestoreSeconds',
  rollbackReason: 'RollbackReason',
  oldestInFlight: 'OldestInFlightSeconds',
  /** An EventBridge event intake or the alarm watcher refused (no dimension; the log line names the handler). */
  rejectedEvents: 'RejectedEvents',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Margin added to the longest a deployment can take. */
export const RUN_MARGIN_SECONDS = 1800;

/**
 * The longest a deployment of `svc` can run: the health wait, every bake with all its analysis
 * extensions, every approval, a health wait per shift for proportional capacity, the termination
 * wait, and a margin.
 */
export function longestRunSeconds(svc: ServiceConfig): number {
  let seconds = svc.healthTimeoutSeconds + svc.terminationWaitSeconds + RUN_MARGIN_SECONDS;
  for (const step of planSteps(svc.strategy).steps) {
    if (step.kind === 'bake') seconds += step.seconds * (1 + svc.analysis.maxExtensions);
    else if (step.kind === 'approval') seconds += step.timeoutSeconds;
    else if (svc.capacity === 'proportional') seconds += svc.healthTimeoutSeconds;
  }
  return seconds;
}

/** The longest run over every configured service. */
export function longestRunOfAny(config: CutoverConfig): number {
  return Math.max(0, ...config.services.map(longestRunSeconds));
}
