/**
 * What the native engine's handlers share (issue #17): where a deployment record names the ECS
 * service deployment it follows, how a native rollback's reason is recorded, and how a service
 * deployment's status reads as ended.
 */
import type { DeploymentRecord } from '../../core/model.js';
import type { NativeDeploymentInfo } from '../../core/ports.js';

/** Timeline key of the entry naming the service deployment (the alarm watcher, the hook and the event read it). */
export const NATIVE_STARTED = 'native-started';
/** Timeline key prefix of a PAUSE hook Cutover continued after an approval (ContinueServiceDeployment). */
export const NATIVE_CONTINUED = 'native-continued-';
/** Timeline kind of what decided a native rollback (a FAILED hook answer, a stop): its detail carries `code` and `message`. */
export const NATIVE_DECISION_KIND = 'native-decision';

/** Service deployment statuses that are final (ECS API reference, ServiceDeployment.status). */
const TERMINAL = new Set(['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);

export interface Ended {
  readonly terminal: boolean;
  readonly status: string;
}

/** How a service deployment reads for the deploy state machine's NativeEnded choice (MISSING: not found). */
export const endedOf = (d: NativeDeploymentInfo | undefined): Ended => ({ terminal: d !== undefined && TERMINAL.has(d.status), status: d?.status ?? 'MISSING' });

/** The service deployment a record follows (timeline `native-started`), if it started. */
export function nativeDeploymentOf(record: DeploymentRecord | undefined): string | undefined {
  const e = record?.timeline.find((t) => t.key === NATIVE_STARTED);
  const arn = (e?.detail as { serviceDeploymentArn?: unknown } | undefined)?.serviceDeploymentArn;
  return typeof arn === 'string' ? arn : undefined;
}
