/**
 * The deploy path in the rehearsal (a capability, local/capability.ts): the deploy state machine
 * and the operator state machines next to it (control, rollback, the reconcile sweep), the Lambda
 * handlers they and the EventBridge rules call (intake, alarm watcher), and the sweep's schedule.
 * Its timeline inputs (pushes, alarms, operator actions, console actions) and the deployments'
 * summary are the rehearsal's own (local/rehearsal.ts).
 */
import * as alarmWatcher from '../functions/handlers/alarm-watcher.js';
import * as analyze from '../functions/handlers/analyze.js';
import * as bake from '../functions/handlers/bake.js';
import * as control from '../functions/handlers/control.js';
import * as finish from '../functions/handlers/finish.js';
import * as green from '../functions/handlers/green.js';
import * as intake from '../functions/handlers/intake.js';
import * as lock from '../functions/handlers/lock.js';
import * as prepare from '../functions/handlers/prepare.js';
import * as promote from '../functions/handlers/promote.js';
import * as reconcile from '../functions/handlers/reconcile.js';
import * as register from '../functions/handlers/register.js';
import * as rollback from '../functions/handlers/rollback.js';
import * as shift from '../functions/handlers/shift.js';
import type { RehearsalCapability } from './capability.js';
import { RECONCILE_RULE } from './schedules.js';

export function deployPath(): RehearsalCapability {
  return {
    name: 'deploy',
    handlers: {
      prepare,
      lock,
      register,
      green,
      shift,
      bake,
      analyze,
      promote,
      finish,
      rollback,
      intake,
      'alarm-watcher': alarmWatcher,
      control,
      reconcile,
    },
    stateMachines: [
      { name: 'deploy' },
      { name: 'control', operation: true },
      { name: 'rollback', operation: true },
      { name: 'reconcile', operation: true, sweep: true },
    ],
    schedules: [RECONCILE_RULE],
  };
}
