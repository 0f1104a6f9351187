/**
 * Before a deploy step acts (Shift, Analyze, Promote, the start of a bake, approval or termination
 * wait, the pre-traffic check): an alarm the watcher recorded for this deployment stops it, even
 * one that fired while no task token was waiting and is back to OK by now (issue #12, defect 9).
 */
import { AlarmTriggered } from '../../core/errors.js';
import type { DeploymentStore } from '../../core/ports.js';
import { recordedAlarm } from '../../core/recorded-alarm.js';

export async function failIfAlarmRecorded(
  store: DeploymentStore,
  request: { readonly service: string; readonly environment: string; readonly deploymentId: string },
  before: string,
): Promise<void> {
  const record = await store.getDeployment(request.service, request.environment, request.deploymentId);
  const alarm = recordedAlarm(record);
  if (!alarm) return;
  throw new AlarmTriggered(
    `Alarm ${alarm.alarmName} went to ALARM at ${alarm.at} (recorded for this deployment; seen before ${before}): ${alarm.reason}`,
    { details: { alarmName: alarm.alarmName, recordedAt: alarm.at, before } },
  );
}
