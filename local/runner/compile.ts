/**
 * Compiling a definition for the executor (aws-local-stepfunctions): `${Key}` substitutions,
 * validation, unsupported features refused, every Task and Wait bound to a runner function, Retry of
 * Tasks taken over by the runner, timeouts handed to the virtual clock, the Map iteration guard.
 */
import '../polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { SfnApiError, SfnApiErrorName, UnsupportedAslError, errorMessageOf } from './errors.js';
import { isObject, mapStrings } from './json.js';
import type { Retrier } from './retries.js';
import type { AslStateType, Json, JsonObject } from './types.js';

export const TASK_TOKEN_SENTINEL = '__cutover_local_task_token__';
export const INPUT_KEY = '__cutover_input';
export const PARAMS_KEY = '__cutover_params';
/** What the executor sees as TimeoutSeconds: below setTimeout's 2^31-1 ms limit, ~23 days. */
const EXECUTOR_TIMEOUT_SECONDS = 2_000_000;
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const CALLBACK_SUFFIX = '.waitForTaskToken';

/**
 * Prefix of the hidden guard state the runner puts first in every Map iteration. aws-local-stepfunctions
 * keeps starting queued iterations after one failed (p-limit's queue is not cleared); in Step Functions
 * the Map stops at its first failed iteration. The guard runs after the executor has reported the
 * failure and refuses the straggler before any of its states is entered.
 */
const MAP_GUARD_PREFIX = '__cutover_map_guard_';

export type TaskTarget =
  | { readonly kind: 'lambda-optimized' }
  | { readonly kind: 'lambda-arn'; readonly functionName: string }
  | { readonly kind: 'resource'; readonly resource: string };

export type Binding =
  | { readonly kind: 'wait' }
  /** The hidden first state of every Map iteration (see MAP_GUARD_PREFIX). `map`: the Map's internal name. */
  | { readonly kind: 'guard'; readonly map: string }
  | { readonly kind: 'task'; readonly resource: string; readonly target: TaskTarget; readonly callback: boolean };

export interface StateMeta {
  readonly internalName: string;
  /** The name in the ASL. */
  readonly name: string;
  readonly type: AslStateType;
  /** Where the state is, for messages: `Steps > Bake`. */
  readonly path: string;
  readonly definition: JsonObject;
  readonly binding?: Binding;
  readonly retriers: readonly Retrier[];
  /** A state the runner added (a Map iteration guard): never reported, counted or shown. */
  readonly hidden?: true;
}

export interface CompiledDefinition {
  readonly executorDefinition: JsonObject;
  readonly states: ReadonlyMap<string, StateMeta>;
  readonly timeoutSeconds?: number;
  readonly retryIntervalOverrides: Readonly<Record<string, number>>;
}

const UNSUPPORTED_FIELDS: Readonly<Record<string, string>> = {
  Assign: 'Variables (Assign) are not evaluated by aws-local-stepfunctions',
  Arguments: 'JSONata (Arguments) is not evaluated by aws-local-stepfunctions',
  Output: 'JSONata (Output) is not evaluated by aws-local-stepfunctions',
  Items: 'JSONata (Items) is not evaluated by aws-local-stepfunctions',
  ItemReader: 'distributed Map (ItemReader) is not supported locally',
  ItemBatcher: 'distributed Map (ItemBatcher) is not supported locally',
  ResultWriter: 'distributed Map (ResultWriter) is not supported locally',
  ToleratedFailurePercentage: 'distributed Map tolerated failures are not supported locally',
  ToleratedFailurePercentagePath: 'distributed Map tolerated failures are not supported locally',
  ToleratedFailureCount: 'distributed Map tolerated failures are not supported locally',
  ToleratedFailureCountPath: 'distributed Map tolerated failures are not supported locally',
  Credentials: 'cross-account Task credentials are not supported locally',
};

/** Replace `${Key}` in every string; throws when a `${...}` placeholder is left unresolved. */
export function applySubstitutions(definition: Json, substitutions: Readonly<Record<string, string>> = {}): Json {
  const unresolved = new Set<string>();
  const out = mapStrings(definition, (s) =>
    s.replace(/\$\{([A-Za-z0-9_.:-]+)\}/g, (whole, key: string) => {
      const v = substitutions[key];
      if (v === undefined) {
        unresolved.add(key);
        return whole;
      }
      return v;
    }),
  );
  if (unresolved.size > 0) {
    throw new SfnApiError(
      SfnApiErrorName.InvalidDefinition,
      `definition has unresolved substitutions: ${[...unresolved].map((k) => `\${${k}}`).join(', ')}`,
    );
  }
  return out;
}

function resolveTarget(resource: string): { target: TaskTarget; callback: boolean } {
  if (resource === LAMBDA_INVOKE) return { target: { kind: 'lambda-optimized' }, callback: false };
  if (resource === LAMBDA_INVOKE_CALLBACK) return { target: { kind: 'lambda-optimized' }, callback: true };
  if (/^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/.test(resource)) {
    return { target: { kind: 'lambda-arn', functionName: resource }, callback: false };
  }
  return { target: { kind: 'resource', resource }, callback: resource.endsWith(CALLBACK_SUFFIX) };
}

function collectStateNames(scope: JsonObject, into: Set<string>): void {
  const states = scope.States;
  if (!isObject(states)) return;
  for (const [name, state] of Object.entries(states)) {
    into.add(name);
    if (!isObject(state)) continue;
    const processor = state.ItemProcessor ?? state.Iterator;
    if (isObject(processor)) collectStateNames(processor, into);
    if (Array.isArray(state.Branches)) for (const b of state.Branches) if (isObject(b)) collectStateNames(b, into);
  }
}

class DefinitionCompiler {
  private readonly claimed = new Set<string>();
  private readonly allNames = new Set<string>();
  readonly states = new Map<string, StateMeta>();
  readonly retryIntervalOverrides: Record<string, number> = {};

  constructor(root: JsonObject) {
    collectStateNames(root, this.allNames);
  }

  compileScope(scope: JsonObject, where: string): JsonObject {
    const states = scope.States;
    if (!isObject(states)) throw new UnsupportedAslError(`${where || 'definition'}: States must be an object`);
    if (scope.QueryLanguage === 'JSONata') {
      throw new UnsupportedAslError(`${where || 'definition'}: JSONata is not evaluated by aws-local-stepfunctions`);
    }
    const renames = new Map<string, string>();
    for (const name of Object.keys(states)) {
      const internal = this.claim(name);
      if (internal !== name) renames.set(name, internal);
    }
    const rename = (n: Json | undefined): Json | undefined => (typeof n === 'string' ? (renames.get(n) ?? n) : n);
    const out: JsonObject = {};
    for (const [name, raw] of Object.entries(states)) {
      if (!isObject(raw)) throw new UnsupportedAslError(`${where}${name}: state must be an object`);
      const internal = renames.get(name) ?? name;
      const compiled = this.compileState(name, internal, raw, where);
      if (typeof compiled.Next === 'string') compiled.Next = rename(compiled.Next) as string;
      if (typeof compiled.Default === 'string') compiled.Default = rename(compiled.Default) as string;
      if (Array.isArray(compiled.Choices)) {
        compiled.Choices = compiled.Choices.map((c) => (isObject(c) && typeof c.Next === 'string' ? { ...c, Next: rename(c.Next) as string } : c));
      }
      if (Array.isArray(compiled.Catch)) {
        compiled.Catch = compiled.Catch.map((c) => (isObject(c) && typeof c.Next === 'string' ? { ...c, Next: rename(c.Next) as string } : c));
      }
      out[internal] = compiled;
    }
    const result: JsonObject = { ...scope, States: out };
    if (typeof scope.StartAt === 'string') result.StartAt = rename(scope.StartAt) as string;
    return result;
  }

  private claim(name: string): string {
    if (!this.claimed.has(name)) {
      this.claimed.add(name);
      return name;
    }
    for (let n = 2; ; n++) {
      const candidate = `${name}~${n}`;
      if (!this.claimed.has(candidate) && !this.allNames.has(candidate)) {
        this.claimed.add(candidate);
        return candidate;
      }
    }
  }

  private compileState(name: string, internal: string, state: JsonObject, where: string): JsonObject {
    const path = `${where}${name}`;
    if (state.QueryLanguage === 'JSONata') throw new UnsupportedAslError(`${path}: JSONata is not evaluated by aws-local-stepfunctions`);
    for (const [field, why] of Object.entries(UNSUPPORTED_FIELDS)) {
      if (field in state) throw new UnsupportedAslError(`${path}: ${why}`);
    }
    const type = state.Type as AslStateType;
    const base = { internalName: internal, name, type, path, definition: state };
    switch (type) {
      case 'Task': {
        const resource = state.Resource;
        if (typeof resource !== 'string') throw new UnsupportedAslError(`${path}: Task without a string Resource`);
        const { target, callback } = resolveTarget(resource);
        const retriers = Array.isArray(state.Retry) ? (state.Retry as unknown as Retrier[]) : [];
        this.states.set(internal, { ...base, binding: { kind: 'task', resource, target, callback }, retriers });
        const {
          TimeoutSeconds: _t,
          TimeoutSecondsPath: _tp,
          HeartbeatSeconds: _h,
          HeartbeatSecondsPath: _hp,
          Retry: _r,
          Parameters: params,
          ...rest
        } = state;
        const wrapper: JsonObject = { [`${INPUT_KEY}.$`]: '$' };
        if (params !== undefined) wrapper[PARAMS_KEY] = params;
        const out: JsonObject = { ...rest, Parameters: wrapper, TimeoutSeconds: EXECUTOR_TIMEOUT_SECONDS };
        if (Array.isArray(state.Catch)) {
          // States.Timeout also catches heartbeat timeouts (the executor only compares names).
          out.Catch = state.Catch.map((c) =>
            isObject(c) && Array.isArray(c.ErrorEquals) && c.ErrorEquals.includes('States.Timeout') && !c.ErrorEquals.includes('States.HeartbeatTimeout')
              ? { ...c, ErrorEquals: [...c.ErrorEquals, 'States.HeartbeatTimeout'] }
              : c,
          );
        }
        return out;
      }
      case 'Wait': {
        this.states.set(internal, { ...base, binding: { kind: 'wait' }, retriers: [] });
        const out: JsonObject = {
          Type: 'Task',
          Resource: LAMBDA_INVOKE,
          Parameters: { [`${INPUT_KEY}.$`]: '$' },
          TimeoutSeconds: EXECUTOR_TIMEOUT_SECONDS,
        };
        for (const k of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End'] as const) {
          if (k in state) out[k] = state[k] as Json;
        }
        return out;
      }
      case 'Map': {
        this.states.set(internal, { ...base, retriers: [] });
        if (Array.isArray(state.Retry)) this.retryIntervalOverrides[internal] = 0;
        const key = isObject(state.ItemProcessor) ? 'ItemProcessor' : 'Iterator';
        const processor = state[key];
        if (!isObject(processor)) throw new UnsupportedAslError(`${path}: Map without ItemProcessor`);
        const config = processor.ProcessorConfig;
        if (isObject(config) && config.Mode === 'DISTRIBUTED') {
          throw new UnsupportedAslError(`${path}: distributed Map is not supported locally`);
        }
        const iterator = this.compileScope(processor, `${path} > `);
        // A hidden guard first in every iteration (see MAP_GUARD_PREFIX): a straggler stops there.
        const guard = this.claim(`${MAP_GUARD_PREFIX}${internal}`);
        this.states.set(guard, {
          internalName: guard,
          name: guard,
          type: 'Task',
          path: `${path} > ${guard}`,
          definition: {},
          binding: { kind: 'guard', map: internal },
          retriers: [],
          hidden: true,
        });
        const guardState: JsonObject = {
          Type: 'Task',
          Resource: LAMBDA_INVOKE,
          Parameters: { [`${INPUT_KEY}.$`]: '$' },
          TimeoutSeconds: EXECUTOR_TIMEOUT_SECONDS,
          Next: iterator.StartAt as string,
        };
        return { ...state, [key]: { ...iterator, StartAt: guard, States: { [guard]: guardState, ...(iterator.States as JsonObject) } } };
      }
      case 'Parallel': {
        this.states.set(internal, { ...base, retriers: [] });
        if (Array.isArray(state.Retry)) this.retryIntervalOverrides[internal] = 0;
        const branches = Array.isArray(state.Branches) ? state.Branches : [];
        return {
          ...state,
          Branches: branches.map((b, i) => {
            if (!isObject(b)) throw new UnsupportedAslError(`${path}: branch ${i} must be an object`);
            return this.compileScope(b, `${path}[${i}] > `);
          }),
        };
      }
      case 'Pass':
      case 'Choice':
      case 'Succeed':
      case 'Fail':
        this.states.set(internal, { ...base, retriers: [] });
        return { ...state };
      default:
        throw new UnsupportedAslError(`${path}: unknown state type ${JSON.stringify(state.Type)}`);
    }
  }
}

/** Rewrite a definition so that aws-local-stepfunctions runs it on the runner's terms (see file doc). */
export function compileDefinition(definition: JsonObject): CompiledDefinition {
  // The executor sets $$.Execution.StartTime to the wall clock and $$.Execution.Input to the Map item
  // inside iterations: point both at fields the runner fills in.
  const rewritten = mapStrings(definition, (s) =>
    s
      .replace(/\$\$\.Execution\.StartTime(?![A-Za-z0-9_])/g, '$$$$.Execution.VirtualStartTime')
      .replace(/\$\$\.Execution\.Input(?![A-Za-z0-9_])/g, '$$$$.Execution.RootInput'),
  ) as JsonObject;
  const compiler = new DefinitionCompiler(rewritten);
  const { TimeoutSeconds: timeoutSeconds, ...top } = rewritten;
  const executorDefinition = compiler.compileScope(top, '');
  return {
    executorDefinition,
    states: compiler.states,
    ...(typeof timeoutSeconds === 'number' ? { timeoutSeconds } : {}),
    retryIntervalOverrides: compiler.retryIntervalOverrides,
  };
}

// ---------------------------------------------------------------------------------------------------
// Small pure helpers (exported for tests)

/**
 * Validate with the executor's validator (asl-validator: JSON schema, paths, ARNs, reachability,
 * machine-wide unique state names). It compiles its schema on every call (~200 ms), so results are
 * cached per definition text. Returns the problem, or undefined when valid.
 */
const validationCache = new Map<string, string | undefined>();
export function validateDefinition(definition: JsonObject): string | undefined {
  const key = JSON.stringify(definition);
  if (validationCache.has(key)) return validationCache.get(key);
  let problem: string | undefined;
  try {
    new StateMachine(definition as unknown as StateMachineDefinition);
  } catch (e) {
    problem = errorMessageOf(e);
  }
  validationCache.set(key, problem);
  return problem;
}
