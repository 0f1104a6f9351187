/**
 * An alarm the alarm watcher recorded for a deployment (issue #12, defect 9). The watcher can only
 * end a wait that has a task token (a bake, an approval or hold, the termination wait); an alarm
 * that fires while a Shift, an Analyze or a Promote runs has no token to fail. So the watcher also
 * records every alarm on the deployment record (a timeline entry of kind `alarm`), and Shift,
 * Analyze, Promote and the start of every wait read the record before they act: a recorded alarm
 * is `AlarmTriggered`, whatever state the deployment is in, even if the alarm is back to OK by then.
 */
import type { DeploymentRecord } from './model.js';

/** The timeline kind of a recorded alarm (functions/handlers/alarm-watcher.ts writes it). */
export const ALARM_ENTRY_KIND = 'alarm';

export interface RecordedAlarm {
  readonly alarmName: string;
  readonly reason: string;
  readonly at: string;
}

/**
 * The first alarm recorded for the deployment, if any.
 *
 * Example: a timeline `[lock-acquired, shift-0, alarm-api-5xx-b-e1 { alarmName: 'api-5xx-b' }]`
 * -> `{ alarmName: 'api-5xx-b', reason, at }`; a timeline with no `alarm` entry -> undefined.
 */
export function recordedAlarm(record: Pick<DeploymentRecord, 'timeline'> | undefined): RecordedAlarm | undefined {
  const e = record?.timeline.find((t) => t.kind === ALARM_ENTRY_KIND);
  if (!e) return undefined;
  const name = typeof e.detail?.alarmName === 'string' ? e.detail.alarmName : e.key.replace(/^alarm-/, '');
  const reason = typeof e.detail?.reason === 'string' ? e.detail.reason : '';
  return { alarmName: name, reason, at: e.at };
}
