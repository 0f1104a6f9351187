/**
 * Cost, rollback reaction and concurrency, measured on the local rehearsal runtime: the real deploy
 * state machine and the real handlers against the in-memory AWS world, on a virtual clock.
 */
import { performance } from 'node:perf_hooks';
import { type RunOptions, runScenario, type ScenarioTrace } from '../local/rehearsal.js';
import type { ExecutionRecord } from '../local/runner/index.js';
import { parseScenario, type ScenarioInput } from '../local/scenario.js';
import { ACCOUNT, builtinScenario, digestOf, REGION, service, TASK_ROLE_ARNS } from '../local/scenarios/builtin.js';

/** DESIGN.md: state transitions for one canary deployment (10 %, 5-minute bake, 100 %) stay under this. */
export const CANARY_TRANSITIONS_BUDGET = 40;
/**
 * DESIGN.md: traffic back on blue within one state transition plus one Lambda after the alarm
 * event. The rehearsal counts the states entered after the failed bake up to and including the
 * rollback task (the task whose Lambda moves the weights), as test/statemachines/scenarios.test.ts
 * does: at most one state in between, then Rollback.
 */
export const ROLLBACK_TRANSITIONS_BUDGET = 2;

export interface CanaryResult {
  readonly scenario: string;
  readonly status: string;
  readonly reason: string | null;
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  /** SDK calls that reached the in-memory AWS world (DynamoDB, which is dynalite, not counted). */
  readonly apiCalls: number;
  readonly virtualSeconds: number;
  /** States the execution entered while a bake was waiting (0: no polling during bakes). */
  readonly transitionsDuringBakes: number;
  readonly withinBudget: boolean;
  readonly wallSeconds: number;
}

export interface RollbackResult {
  readonly scenario: string;
  readonly status: string;
  readonly reasonCode: string | null;
  readonly transitions: number | null;
  readonly virtualSeconds: number | null;
  /** The states entered from the failed bake to the rollback task, `Name[#mapIndex]`. */
  readonly path: readonly string[];
  readonly withinBudget: boolean;
}

export interface ConcurrentResult {
  readonly mode: ConcurrentMode;
  readonly deployments: number;
  /** The most deployments in flight at the same virtual time. */
  readonly maxInFlight: number;
  readonly wallSeconds: number;
  readonly invariantViolations: number;
  /** The first few violations, for the reader. */
  readonly violationSamples: readonly string[];
  /** Deployments by terminal status. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly virtualSeconds: number;
  readonly stateTransitions: number;
  readonly apiCalls: number;
}

async function run(input: ScenarioInput, options: RunOptions = {}): Promise<{ trace: ScenarioTrace; wallSeconds: number }> {
  const scenario = parseScenario(input, input.name);
  const t0 = performance.now();
  const trace = await runScenario(scenario, options);
  return { trace, wallSeconds: (performance.now() - t0) / 1000 };
}

function builtin(name: string): ScenarioInput {
  const input = builtinScenario(name);
  if (!input) throw new Error(`no built-in scenario ${name}`);
  return input;
}

/**
 * States entered by `exec` strictly inside the windows in which one of its bake tasks waited
 * (from a `Bake` entered to its exit or failure). Event-driven bakes make this 0.
 */
export function transitionsDuringBakes(exec: ExecutionRecord): number {
  const windows: Array<[number, number]> = [];
  const open: number[] = [];
  for (const e of exec.history) {
    if (e.stateName !== 'Bake') continue;
    if (e.kind === 'StateEntered') open.push(e.at);
    if (e.kind === 'StateExited' || e.kind === 'StateFailed') {
      const from = open.shift();
      if (from !== undefined) windows.push([from, e.at]);
    }
  }
  return exec.statesEntered.filter((s) => s.name !== 'Bake' && windows.some(([a, b]) => s.at > a && s.at < b)).length;
}

export async function benchCanary(): Promise<CanaryResult> {
  const { trace, wallSeconds } = await run(builtin('good-canary'));
  const d = trace.summary.deployments[0];
  if (!d) throw new Error('good-canary: no deployment');
  const exec = trace.executions[0];
  return {
    scenario: 'good-canary',
    status: d.status,
    reason: d.reason,
    stateTransitions: d.stateTransitions,
    lambdaInvocations: d.lambdaInvocations,
    apiCalls: trace.apiCalls,
    virtualSeconds: d.virtualSeconds,
    transitionsDuringBakes: exec ? transitionsDuringBakes(exec) : 0,
    withinBudget: d.status === 'SUCCEEDED' && d.stateTransitions < CANARY_TRANSITIONS_BUDGET,
    wallSeconds: round(wallSeconds),
  };
}

export async function benchRollback(): Promise<RollbackResult> {
  const { trace } = await run(builtin('bad-release-alarm'));
  const d = trace.summary.deployments[0];
  if (!d) throw new Error('bad-release-alarm: no deployment');
  const r = d.rollbackReaction;
  const entered = trace.executions[0]?.statesEntered ?? [];
  const bake = entered.map((x) => x.name).lastIndexOf('Bake');
  const rollback = entered.findIndex((x) => x.name === 'Rollback');
  const path =
    bake >= 0 && rollback > bake
      ? entered.slice(bake, rollback + 1).map((x) => (x.mapIndex === undefined ? x.name : `${x.name}#${x.mapIndex}`))
      : [];
  return {
    scenario: 'bad-release-alarm',
    status: d.status,
    reasonCode: d.reasonCode,
    transitions: r?.transitions ?? null,
    virtualSeconds: r?.virtualSeconds ?? null,
    path,
    withinBudget: d.status === 'ROLLED_BACK' && r !== null && r.transitions <= ROLLBACK_TRANSITIONS_BUDGET,
  };
}

/**
 * How the concurrent deployments start:
 * - `push-each`: every service has its own repository and gets its own push, 100 ms apart (all in
 *   flight together; each execution's states fall on their own virtual instants);
 * - `one-repo`: one repository feeds every service and one push starts them all in lockstep (every
 *   state of every execution falls on the same virtual instant: the local runtime's worst case).
 */
export type ConcurrentMode = 'push-each' | 'one-repo';

/** `count` services on their own load balancers, deployed at once (see {@link ConcurrentMode}). */
export function concurrentScenario(count: number, mode: ConcurrentMode = 'push-each'): ScenarioInput {
  const v1 = digestOf('shop/api:v1');
  const v2 = digestOf('shop/api:v2');
  const names = Array.from({ length: count }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
  const repositoryOf = (name: string) => (mode === 'one-repo' ? 'shop/api' : `shop/${name}`);
  const services = names.map((name) => service({ name, repository: repositoryOf(name) }));
  const repositories = [...new Set(names.map(repositoryOf))];
  const profile = { errorRate: 0.002, latencyMs: 82 };
  return {
    name: `concurrent-${count}`,
    description: `${count} services deployed at once (${mode})`,
    accountId: ACCOUNT,
    region: REGION,
    config: { account: ACCOUNT, region: REGION, taskRoleArns: TASK_ROLE_ARNS, services },
    world: {
      services: services.map((s) => ({ service: s.name as string, desiredCount: 2, requestsPerMinute: 600, initialDigest: v1 })),
      images: repositories.map((repository) => ({ repository, digest: v1, tags: ['v1'], profile: { errorRate: 0.002, latencyMs: 80 } })),
      alarms: services.flatMap((s) =>
        (s.alarms as string[]).map((alarm) => ({
          name: alarm,
          service: s.name as string,
          targetGroupIndex: alarm.endsWith('-b') ? (1 as const) : (0 as const),
          metric: 'HTTPCode_Target_5XX_Count' as const,
          statistic: 'Sum' as const,
          threshold: 10,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
        })),
      ),
    },
    timeline: repositories.map((repository, i) => ({
      at: 10 + i * 0.1,
      kind: 'push' as const,
      repository,
      digest: v2,
      tag: 'v2',
      profile,
    })),
  };
}

/** The most executions running at the same virtual time. */
export function maxInFlight(executions: readonly ExecutionRecord[], endMs: number): number {
  const edges = executions.flatMap((e) => [
    { at: e.startMs, d: 1 },
    { at: e.stopMs ?? endMs, d: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of edges) {
    now += e.d;
    max = Math.max(max, now);
  }
  return max;
}

/**
 * Real ms the runner may stay busy without a quiet moment before it gives up: with every execution
 * on the same virtual instant (one-repo) that is all of them at once. The bench's parent process
 * bounds the whole run (`--concurrent-timeout`).
 */
const CONCURRENT_STALL_TIMEOUT_MS = 600_000;

export async function benchConcurrent(count = 100, mode: ConcurrentMode = 'push-each'): Promise<ConcurrentResult> {
  const { trace, wallSeconds } = await run(concurrentScenario(count, mode), { stallTimeoutMs: CONCURRENT_STALL_TIMEOUT_MS });
  const statuses: Record<string, number> = {};
  for (const d of trace.summary.deployments) statuses[d.status] = (statuses[d.status] ?? 0) + 1;
  return {
    mode,
    deployments: trace.summary.deployments.length,
    maxInFlight: maxInFlight(trace.executions, trace.endMs),
    wallSeconds: round(wallSeconds),
    invariantViolations: trace.summary.invariantViolations.length,
    violationSamples: trace.summary.invariantViolations.slice(0, 5),
    statuses,
    virtualSeconds: (trace.endMs - trace.startMs) / 1000,
    stateTransitions: trace.summary.deployments.reduce((n, d) => n + d.stateTransitions, 0),
    apiCalls: trace.apiCalls,
  };
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
