/**
 * Wake the deployment parked on a service's lock (deploy WaitForLockRelease, a
 * `.waitForTaskToken` task) once the lock is free, so a queued deployment costs a handful of
 * history events however long it waits (issue #12, defect 7). Idempotent: a replay wakes again and
 * Step Functions' answer for a closed token (TaskTimedOut) is ignored by the adapter. The waiter
 * also re-checks on its own after LOCK_RETRY_SECONDS, so a wake that is lost is only late.
 */
import type { DeploymentStore, Orchestrator } from '../../core/ports.js';

export async function wakeLockWaiter(
  store: DeploymentStore,
  orchestrator: Orchestrator | undefined,
  service: string,
  environment: string,
): Promise<string | undefined> {
  if (!orchestrator) return undefined;
  const lock = await store.getLock(service, environment);
  if (!lock?.parked || lock.holder !== undefined) return undefined;
  await orchestrator.sendTaskSuccess(lock.parked.token, { woken: 'lock-released' });
  return lock.parked.deploymentId;
}
