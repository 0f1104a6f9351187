/**
 * The native engine (issue #17) beside the task-set engine, on the local rehearsal runtime: the same
 * counts for ECS's own CANARY deployment driven by Cutover (native-alb-canary) as for Cutover's task-set
 * canary (good-canary), and the alarm reaction of each (native-alarm-during-bake, bad-release-alarm).
 *
 * Lambda invocations are counted where they happen: the deploy execution's Task states (the unit of
 * the `canary` section), the EventBridge targets the stack's rules would invoke (one per matching
 * event: ECR pushes to intake, alarms going to ALARM to the alarm watcher, ECS deployment state
 * changes to native-event) and the lifecycle-hook invocations ECS made (`world.native.invocations`).
 */
import { performance } from 'node:perf_hooks';
import { runScenario, type ScenarioTrace } from '../local/rehearsal.js';
import type { ExecutionRecord } from '../local/runner/index.js';
import { parseScenario, type ScenarioInput } from '../local/scenario.js';
import { builtinScenario } from '../local/scenarios/builtin.js';
import type { World } from '../local/world/world.js';
import { transitionsDuringBakes } from './scenarios.js';

export type Engine = 'task-set' | 'native';

/** Lambda invocations of one deployment, by who invoked them. */
export interface LambdaCounts {
  /** Task states of the deploy execution (what `canary.lambdaInvocations` counts). */
  readonly stateMachine: number;
  /** EventBridge rule targets, one invocation per event the stack's rule matches. */
  readonly intake: number;
  readonly alarmWatcher: number;
  readonly nativeEvent: number;
  /** Cutover's lifecycle hook, invoked by ECS (native engine only). */
  readonly lifecycleHook: number;
  readonly total: number;
}

export interface EngineCanary {
  readonly engine: Engine;
  readonly scenario: string;
  readonly status: string;
  readonly reasonCode: string | null;
  /** State transitions of the deploy execution. */
  readonly stateTransitions: number;
  readonly lambdaInvocations: LambdaCounts;
  /** SDK calls that reached the in-memory AWS world (DynamoDB, which is dynalite, not counted). */
  readonly apiCalls: number;
  readonly apiCallsByOperation: Readonly<Record<string, number>>;
  /** Push to the deployment's end (the two scenarios' bakes differ: see {@link NativeResult}). */
  readonly virtualSeconds: number;
  /**
   * States entered while the traffic waited: task-set, states inside a Bake's window (the `canary`
   * section's `transitionsDuringBakes`); native, states between the start of the ECS deployment
   * and the wait that its terminal state change event answered (the late-event fallback checks).
   */
  readonly transitionsWhileWaiting: number;
  /** Native: DescribeServiceDeployments checks after a wait timed out; task-set: 0. */
  readonly fallbackChecks: number;
}

export interface EngineReaction {
  readonly engine: Engine;
  readonly scenario: string;
  readonly status: string;
  readonly reasonCode: string | null;
  /**
   * From the alarm event (the record's `alarm` timeline entry) to Cutover's call that takes production
   * off green: task-set, the Rollback Lambda's weight change (`rollback-traffic`); native, the alarm
   * watcher's StopServiceDeployment ROLLBACK as ECS received it.
   */
  readonly reactionSeconds: number | null;
  /**
   * Deploy states entered from the alarm up to that call: task-set, the failed bake's successors up
   * to and including Rollback (the `rollbackReaction` section's count); native, states entered
   * between the alarm and the StopServiceDeployment call (the alarm watcher calls ECS directly).
   */
  readonly transitions: number | null;
  /** Native: the record's `native-decision` entry (when the alarm watcher recorded the stop). */
  readonly decisionSeconds: number | null;
  /** Native: alarm to ECS's ROLLBACK_SUCCESSFUL (blue steady, production on blue). */
  readonly rollbackCompleteSeconds: number | null;
  /** Alarm to the deploy execution's end. */
  readonly executionEndSeconds: number | null;
  /** Deploy states entered after the alarm, in order. */
  readonly statesAfterAlarm: readonly string[];
}

export interface NativeResult {
  /** good-canary (10 %, 5-minute bake with analysis, 100 %; 300 s termination wait) beside native-alb-canary (10 %, 5-minute bake with analysis, 100 %, 60 s ECS bake; no termination wait). */
  readonly canary: { readonly taskSet: EngineCanary; readonly native: EngineCanary };
  readonly reaction: { readonly taskSet: EngineReaction; readonly native: EngineReaction };
  readonly withinBudget: { readonly transitions: boolean; readonly reaction: boolean };
  readonly wallSeconds: number;
}

interface Run {
  readonly trace: ScenarioTrace;
  readonly world: World;
}

async function run(name: string): Promise<Run> {
  const input: ScenarioInput | undefined = builtinScenario(name);
  if (!input) throw new Error(`no built-in scenario ${name}`);
  let world: World | undefined;
  const trace = await runScenario(parseScenario(input, name), {
    actions: [
      {
        at: 0,
        label: 'bench: the world',
        run: (ctx) => {
          world = ctx.world;
        },
      },
    ],
  });
  if (!world) throw new Error(`${name}: the rehearsal never ran the bench's action at 0 s`);
  return { trace, world };
}

function deployExecution(trace: ScenarioTrace, name: string): ExecutionRecord {
  const exec = trace.executions.find((e) => e.stateMachineArn.endsWith(':stateMachine:cutover-deploy'));
  if (!exec) throw new Error(`${name}: no deploy execution`);
  return exec;
}

/** EventBridge deliveries the stack's rules would make (lib/event-patterns.ts, lib/control-plane.ts), one per event. */
export function eventTargetCounts(events: ScenarioTrace['awsEvents']): Pick<LambdaCounts, 'intake' | 'alarmWatcher' | 'nativeEvent'> {
  let intake = 0;
  let alarmWatcher = 0;
  let nativeEvent = 0;
  for (const e of events) {
    if (e.source === 'aws.ecr' && e['detail-type'] === 'ECR Image Action') intake++;
    // The alarm rule matches state ALARM only (alarmStatePattern); the rehearsal delivers every change.
    if (e.source === 'aws.cloudwatch' && e['detail-type'] === 'CloudWatch Alarm State Change' && (e.detail as { state?: { value?: string } }).state?.value === 'ALARM') alarmWatcher++;
    if (e.source === 'aws.ecs' && e['detail-type'] === 'ECS Deployment State Change') nativeEvent++;
  }
  return { intake, alarmWatcher, nativeEvent };
}

/**
 * Native: states entered after StartNativeDeployment's first wait and before the last wait (the one
 * the terminal event answered): the fallback checks and the waits they re-entered.
 * e.g. [..., StartNativeDeployment, Wait, Check, NativeEnded, Wait, NativeEnded, NativeSucceeded] -> 3
 */
export function nativeStatesWhileWaiting(names: readonly string[]): number {
  const first = names.indexOf('WaitForNativeDeployment');
  const last = names.lastIndexOf('WaitForNativeDeployment');
  return first < 0 ? 0 : last - first;
}

function canaryOf(engine: Engine, scenario: string, { trace, world }: Run): EngineCanary {
  const d = trace.summary.deployments[0];
  if (!d) throw new Error(`${scenario}: no deployment`);
  const exec = deployExecution(trace, scenario);
  const names = exec.statesEntered.map((s) => s.name);
  const targets = eventTargetCounts(trace.awsEvents);
  const lifecycleHook = world.native.invocations.length;
  const byOperation: Record<string, number> = {};
  for (const c of world.calls) byOperation[`${c.service}:${c.operation}`] = (byOperation[`${c.service}:${c.operation}`] ?? 0) + 1;
  return {
    engine,
    scenario,
    status: d.status,
    reasonCode: d.reasonCode,
    stateTransitions: d.stateTransitions,
    lambdaInvocations: {
      stateMachine: d.lambdaInvocations,
      ...targets,
      lifecycleHook,
      total: d.lambdaInvocations + targets.intake + targets.alarmWatcher + targets.nativeEvent + lifecycleHook,
    },
    apiCalls: trace.apiCalls,
    apiCallsByOperation: Object.fromEntries(Object.entries(byOperation).sort(([a], [b]) => a.localeCompare(b))),
    virtualSeconds: d.virtualSeconds,
    transitionsWhileWaiting: engine === 'native' ? nativeStatesWhileWaiting(names) : transitionsDuringBakes(exec),
    fallbackChecks: names.filter((n) => n === 'CheckNativeDeployment').length,
  };
}

const seconds = (fromMs: number | undefined, toMs: number | undefined): number | null =>
  fromMs === undefined || toMs === undefined || Number.isNaN(fromMs) || Number.isNaN(toMs) ? null : (toMs - fromMs) / 1000;

function reactionOf(engine: Engine, scenario: string, { trace, world }: Run): EngineReaction {
  const d = trace.summary.deployments[0];
  if (!d) throw new Error(`${scenario}: no deployment`);
  const exec = deployExecution(trace, scenario);
  const record = trace.records.find((r) => r.deploymentId === d.deploymentId);
  const alarmEntry = record?.timeline.find((e) => e.kind === 'alarm');
  const alarmMs = alarmEntry ? Date.parse(alarmEntry.at) : undefined;
  const after = alarmMs === undefined ? [] : exec.statesEntered.filter((s) => s.at >= alarmMs);
  const base = {
    engine,
    scenario,
    status: d.status,
    reasonCode: d.reasonCode,
    executionEndSeconds: seconds(alarmMs, exec.stopMs),
    statesAfterAlarm: after.map((s) => s.name),
  };
  if (engine === 'task-set') {
    return { ...base, reactionSeconds: d.rollbackReaction?.virtualSeconds ?? null, transitions: d.rollbackReaction?.transitions ?? null, decisionSeconds: null, rollbackCompleteSeconds: null };
  }
  const stop = world.calls.find((c) => c.service === 'ECS' && c.operation === 'StopServiceDeployment' && c.outcome === 'ok');
  const decision = record?.timeline.find((e) => e.kind === 'native-decision');
  const stopped = (stop?.input as { serviceDeploymentArn?: string } | undefined)?.serviceDeploymentArn;
  const ecs = stopped ? world.native.describeServiceDeployments({ serviceDeploymentArns: [stopped] }).serviceDeployments?.[0] : undefined;
  return {
    ...base,
    reactionSeconds: seconds(alarmMs, stop?.at),
    transitions: alarmMs === undefined || !stop ? null : exec.statesEntered.filter((s) => s.at >= alarmMs && s.at < stop.at).length,
    decisionSeconds: seconds(alarmMs, decision ? Date.parse(decision.at) : undefined),
    rollbackCompleteSeconds: ecs?.status === 'ROLLBACK_SUCCESSFUL' ? seconds(alarmMs, ecs.finishedAt?.getTime()) : null,
  };
}

export async function benchNative(): Promise<NativeResult> {
  const t0 = performance.now();
  // One at a time: the runs share the machine's two cores with the rest of the bench.
  const taskSetCanary = canaryOf('task-set', 'good-canary', await run('good-canary'));
  const nativeCanary = canaryOf('native', 'native-alb-canary', await run('native-alb-canary'));
  const taskSetReaction = reactionOf('task-set', 'bad-release-alarm', await run('bad-release-alarm'));
  const nativeReaction = reactionOf('native', 'native-alarm-during-bake', await run('native-alarm-during-bake'));
  return {
    canary: { taskSet: taskSetCanary, native: nativeCanary },
    reaction: { taskSet: taskSetReaction, native: nativeReaction },
    withinBudget: {
      transitions: nativeCanary.status === 'SUCCEEDED' && taskSetCanary.status === 'SUCCEEDED' && nativeCanary.stateTransitions < taskSetCanary.stateTransitions,
      reaction: nativeReaction.status === 'ROLLED_BACK' && nativeReaction.reasonCode === 'AlarmTriggered' && nativeReaction.reactionSeconds === 0 && nativeReaction.transitions === 0,
    },
    wallSeconds: Math.round(performance.now() - t0) / 1000,
  };
}
