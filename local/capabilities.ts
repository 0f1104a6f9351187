/**
 * The capabilities the rehearsal runs with (local/capability.ts), in order: the order in which they
 * register their functions and state machines, their schedules, and add their summary parts.
 */
import type { RehearsalCapabilityFactory } from './capability.js';
import { deployPath } from './deploy-path.js';
import { gates } from './gates-runtime.js';
import { maintenance } from './maintenance.js';
import { nativeEngine } from './native-engine.js';

export const CAPABILITIES = [deployPath, nativeEngine, maintenance, gates] as const satisfies readonly RehearsalCapabilityFactory<object, object>[];
