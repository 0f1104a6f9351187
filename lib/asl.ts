/**
 * Reading an Amazon States Language file at synth time: which `${Placeholder}`s it uses and which
 * service integrations its Task states call, so lib/cutover-state-machine.ts can substitute every
 * placeholder and grant exactly what the definition needs. `DefinitionBody.fromFile` hides the
 * definition from CDK, so nothing is inferred for us.
 *
 * Pure functions; errors are thrown as {@link AslError} with the file and the state named.
 */
import { kebabCase } from './handlers.js';
import { SynthError } from './synth-error.js';

/** A state-machine definition Cutover cannot load or grant for. */
export class AslError extends SynthError {
  override readonly name: string = 'AslError';
}

/** What a `${Key}` placeholder stands for. */
export type Placeholder =
  /** `${AlarmWatcherFunctionArn}` -> the function built from functions/handlers/alarm-watcher.ts. */
  | { readonly kind: 'functionArn'; readonly key: string; readonly handler: string }
  /** `${CleanupStateMachineArn}` -> the state machine loaded from statemachines/cleanup.asl.json. */
  | { readonly kind: 'stateMachineArn'; readonly key: string; readonly stateMachine: string }
  | { readonly kind: 'eventBusName'; readonly key: string }
  | { readonly kind: 'eventBusArn'; readonly key: string };

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** Every distinct `${Key}` in the text, in order of first appearance. */
export function placeholderKeys(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

/** Classify a placeholder key, or `undefined` when Cutover does not know it. */
export function classifyPlaceholder(key: string): Placeholder | undefined {
  if (key === 'EventBusName') return { kind: 'eventBusName', key };
  if (key === 'EventBusArn') return { kind: 'eventBusArn', key };
  const fn = /^([A-Z][A-Za-z0-9]*)FunctionArn$/.exec(key);
  if (fn) return { kind: 'functionArn', key, handler: kebabCase(fn[1] as string) };
  const sm = /^([A-Z][A-Za-z0-9]*)StateMachineArn$/.exec(key);
  if (sm) return { kind: 'stateMachineArn', key, stateMachine: kebabCase(sm[1] as string) };
  return undefined;
}

/** How a Task state waits: the optimized-integration suffix. */
export type IntegrationMode = 'requestResponse' | 'sync' | 'sync2' | 'waitForTaskToken';

/** A Task state's service integration, with the placeholder it targets where that matters. */
export type Integration =
  | { readonly kind: 'lambdaInvoke'; readonly state: string; readonly mode: IntegrationMode; readonly functionKey: string }
  /**
   * `lambda:invoke` of a function named at run time (`"FunctionName.$": "$.hook.functionArn"`): a
   * user's hook. Granted on the configured hook functions only, so any other name is refused by IAM.
   */
  | { readonly kind: 'hookInvoke'; readonly state: string; readonly mode: IntegrationMode; readonly functionPath: string }
  | {
      readonly kind: 'startExecution';
      readonly state: string;
      readonly mode: IntegrationMode;
      readonly stateMachineKey: string;
    }
  | { readonly kind: 'ecsRunTask'; readonly state: string; readonly mode: IntegrationMode }
  | { readonly kind: 'putEvents'; readonly state: string; readonly mode: IntegrationMode; readonly busKeys: readonly string[] };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `"${PrepareFunctionArn}"` -> `PrepareFunctionArn`; anything else -> undefined. */
function wholePlaceholder(value: Json | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^\$\{([A-Za-z0-9_]+)\}$/.exec(value);
  return m ? m[1] : undefined;
}

/** Every Task state (name and definition), through Parallel branches and inline Map processors. */
export function taskStates(definition: unknown, file = '(definition)'): Array<{ state: string; task: JsonObject }> {
  const out: Array<{ state: string; task: JsonObject }> = [];
  const visit = (machine: Json | undefined, where: string) => {
    if (!isObject(machine) || !isObject(machine.States)) {
      throw new AslError(`${file}: ${where} has no "States" object`);
    }
    for (const [name, state] of Object.entries(machine.States)) {
      if (!isObject(state)) throw new AslError(`${file}: state "${name}" is not an object`);
      switch (state.Type) {
        case 'Task':
          out.push({ state: name, task: state });
          break;
        case 'Parallel': {
          const branches = Array.isArray(state.Branches) ? state.Branches : [];
          branches.forEach((b, i) => {
            visit(b, `state "${name}" branch ${i}`);
          });
          break;
        }
        case 'Map': {
          const processor = state.ItemProcessor ?? state.Iterator;
          if (isObject(state.ItemProcessor) && isObject(state.ItemProcessor.ProcessorConfig)) {
            if (state.ItemProcessor.ProcessorConfig.Mode === 'DISTRIBUTED') {
              throw new AslError(`${file}: state "${name}" is a distributed Map, which Cutover does not grant for; use an inline Map`);
            }
          }
          visit(processor, `state "${name}" item processor`);
          break;
        }
        default:
          break;
      }
    }
  };
  visit(definition as Json, 'the definition');
  return out;
}

const OPTIMIZED = /^arn:[a-z-]+:states:::([a-z0-9-]+):([A-Za-z]+)(?:\.(sync(?::2)?|waitForTaskToken))?$/;

function modeOf(suffix: string | undefined): IntegrationMode {
  switch (suffix) {
    case undefined:
      return 'requestResponse';
    case 'sync':
      return 'sync';
    case 'sync:2':
      return 'sync2';
    case 'waitForTaskToken':
      return 'waitForTaskToken';
    default:
      throw new AslError(`unknown integration suffix .${suffix}`);
  }
}

/**
 * The integrations a definition uses. Throws {@link AslError} for a Resource Cutover does not know
 * how to grant, and for a target that is not a placeholder (a literal ARN): the grant must be known
 * at synth time. A `FunctionName.$` path is a hook invocation ({@link Integration} `hookInvoke`),
 * granted on the configured hook functions only.
 */
export function integrations(definition: unknown, file = '(definition)'): Integration[] {
  return taskStates(definition, file).map(({ state, task }) => {
    const resource = task.Resource;
    if (typeof resource !== 'string') throw new AslError(`${file}: Task state "${state}" has no Resource`);
    const params = isObject(task.Parameters) ? task.Parameters : {};
    const direct = wholePlaceholder(resource);
    if (direct !== undefined) {
      if (classifyPlaceholder(direct)?.kind !== 'functionArn') {
        throw new AslError(`${file}: Task state "${state}" has Resource \${${direct}}, which is not a <Name>FunctionArn placeholder`);
      }
      return { kind: 'lambdaInvoke', state, mode: 'requestResponse', functionKey: direct };
    }
    const m = OPTIMIZED.exec(resource);
    if (!m) throw new AslError(`${file}: Task state "${state}" uses Resource "${resource}", which Cutover does not grant for`);
    const [, service, api, suffix] = m;
    const mode = modeOf(suffix);
    const target = `${service}:${api}`;
    switch (target) {
      case 'lambda:invoke': {
        if (mode === 'sync' || mode === 'sync2') throw new AslError(`${file}: Task state "${state}": lambda:invoke has no .sync`);
        const path = params['FunctionName.$'];
        if (typeof path === 'string' && params.FunctionName === undefined) {
          return { kind: 'hookInvoke', state, mode, functionPath: path };
        }
        const key = wholePlaceholder(params.FunctionName);
        if (key === undefined || classifyPlaceholder(key)?.kind !== 'functionArn') {
          throw new AslError(
            `${file}: Task state "${state}" must name its function as "FunctionName": "\${<Name>FunctionArn}" (a Cutover handler) or "FunctionName.$" (a configured hook)`,
          );
        }
        return { kind: 'lambdaInvoke', state, mode, functionKey: key };
      }
      case 'states:startExecution': {
        const key = wholePlaceholder(params.StateMachineArn);
        if (key === undefined || classifyPlaceholder(key)?.kind !== 'stateMachineArn') {
          throw new AslError(
            `${file}: Task state "${state}" must name its state machine as "StateMachineArn": "\${<Name>StateMachineArn}"`,
          );
        }
        return { kind: 'startExecution', state, mode, stateMachineKey: key };
      }
      case 'ecs:runTask':
        if (mode === 'sync2') throw new AslError(`${file}: Task state "${state}": ecs:runTask has no .sync:2`);
        return { kind: 'ecsRunTask', state, mode };
      case 'events:putEvents': {
        const entries = Array.isArray(params.Entries) ? params.Entries : [];
        const keys = entries.map((e) => (isObject(e) ? wholePlaceholder(e.EventBusName) : undefined));
        if (entries.length === 0 || keys.some((k) => k === undefined || !['EventBusName', 'EventBusArn'].includes(k))) {
          throw new AslError(
            `${file}: Task state "${state}" must send every entry to Cutover's bus: "EventBusName": "\${EventBusName}"`,
          );
        }
        if (mode !== 'requestResponse' && mode !== 'waitForTaskToken') {
          throw new AslError(`${file}: Task state "${state}": events:putEvents has no .sync`);
        }
        return { kind: 'putEvents', state, mode, busKeys: [...new Set(keys as string[])] };
      }
      default:
        throw new AslError(`${file}: Task state "${state}" uses Resource "${resource}", which Cutover does not grant for`);
    }
  });
}

export type { Json as AslJson };
