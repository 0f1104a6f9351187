/**
 * makeDeps: every handler module builds its ports from client options and the env, without a
 * network call (SDK clients connect lazily), and its `handler` export builds nothing at import.
 */
import { describe, expect, it } from 'vitest';
import * as alarmWatcher from '../../functions/handlers/alarm-watcher.js';
import * as analyze from '../../functions/handlers/analyze.js';
import * as bake from '../../functions/handlers/bake.js';
import * as finish from '../../functions/handlers/finish.js';
import * as green from '../../functions/handlers/green.js';
import * as intake from '../../functions/handlers/intake.js';
import * as lock from '../../functions/handlers/lock.js';
import * as native from '../../functions/handlers/native.js';
import * as nativeEvent from '../../functions/handlers/native-event.js';
import * as nativeHook from '../../functions/handlers/native-hook.js';
import * as prepare from '../../functions/handlers/prepare.js';
import * as promote from '../../functions/handlers/promote.js';
import * as register from '../../functions/handlers/register.js';
import * as rollback from '../../functions/handlers/rollback.js';
import * as shift from '../../functions/handlers/shift.js';
import { REGION, testEnv } from '../helpers/fakes.js';

const OPTS = { region: REGION, endpoint: 'http://127.0.0.1:9', dynamodbEndpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

const PORT_METHODS: Record<string, string[]> = {
  router: ['readWeights', 'setWeights'],
  health: ['health'],
  taskSets: ['describeService', 'createTaskSet', 'updateScale', 'setPrimary', 'deleteTaskSet', 'retireTaskSet', 'describeTaskSetTemplate'],
  taskDefinitions: ['registerWithImage'],
  alarms: ['describe'],
  metrics: ['targetGroupSamples'],
  images: ['describeImage'],
  store: ['createDeployment', 'getDeployment', 'updateDeployment', 'appendTimeline', 'setTaskToken', 'finish', 'acquireLock', 'releaseLock', 'setStable'],
  events: ['publish'],
  orchestrator: ['start', 'sendTaskSuccess', 'sendTaskFailure'],
  native: ['describeService', 'startDeployment', 'describeDeployment', 'listInProgress', 'stopWithRollback', 'continuePause'],
  // prepare binds only the store operations it calls (bindTable: its bundle holds no other).
  'store:prepare': ['appendTimeline', 'createDeployment', 'getStable', 'listDeployments', 'updateDeployment'],
  'store:native-hook': ['appendTimeline', 'listInFlight'],
};

type Module = { makeDeps: (o: typeof OPTS, e: ReturnType<typeof testEnv>) => Record<string, unknown>; createHandler: (d: never) => unknown; handler: unknown };
const modules: Array<[string, Module, string[]]> = [
  ['intake', intake as unknown as Module, ['orchestrator']],
  ['alarm-watcher', alarmWatcher as unknown as Module, ['store', 'orchestrator']],
  ['prepare', prepare as unknown as Module, ['router', 'taskSets', 'images', 'store:prepare', 'events']],
  ['lock', lock as unknown as Module, ['store']],
  ['register', register as unknown as Module, ['taskDefinitions', 'store']],
  ['green', green as unknown as Module, ['taskSets', 'health', 'router', 'store']],
  ['shift', shift as unknown as Module, ['router', 'health', 'taskSets', 'store', 'events']],
  ['bake', bake as unknown as Module, ['alarms', 'store']],
  ['analyze', analyze as unknown as Module, ['metrics', 'store', 'events']],
  ['promote', promote as unknown as Module, ['taskSets', 'store']],
  ['rollback', rollback as unknown as Module, ['router', 'taskSets', 'store', 'events']],
  ['finish', finish as unknown as Module, ['taskSets', 'store', 'events']],
  ['native', native as unknown as Module, ['native', 'store', 'events', 'orchestrator']],
  ['native-hook', nativeHook as unknown as Module, ['alarms', 'store:native-hook']],
  ['native-event', nativeEvent as unknown as Module, ['store', 'orchestrator']],
];

describe('makeDeps', () => {
  it.each(modules)('%s: builds its ports and keeps the env', (_name, mod, ports) => {
    const env = testEnv();
    const deps = mod.makeDeps(OPTS, env);
    expect(deps.env).toBe(env);
    for (const key of ports) {
      const port = key.split(':')[0] as string;
      const methods = PORT_METHODS[key] ?? [];
      for (const m of methods) expect(typeof (deps[port] as Record<string, unknown>)[m], `${port}.${m}`).toBe('function');
    }
    expect(typeof mod.createHandler(deps as never)).toBe('function');
    expect(typeof mod.handler).toBe('function');
  });
});
