/**
 * The local runtime's side of release gates and the release pipeline:
 * - `arn:aws:states:::ecs:runTask.sync`: RunTask through the in-memory world, then DescribeTasks on
 *   the virtual clock until the task stops; the result is the stopped task as Step Functions returns
 *   it (PascalCase), also when its container exited non-zero (the migration verdict decides);
 * - `arn:aws:states:::states:startExecution.sync:2`: a nested execution through the runner, waited
 *   for on the virtual clock; its output parsed (`.sync:2`), or `States.TaskFailed` with the
 *   DescribeExecution JSON as the cause when it did not succeed;
 * - hook Lambdas: `LambdaClient` Invoke calls are answered by the functions registered with the
 *   runner; a scenario's `world.hooks` register scripted hooks (answers in order, the last repeats);
 * - image scans of a scenario's images and pushes (`scan`);
 * - the release summary (one line per release: its status and every environment's).
 *
 * `gates` plugs all of it into the rehearsal (local/capability.ts), with the handlers and the
 * release state machine the gates and the release pipeline run.
 */
import type { Pluggable } from '@smithy/types';
import * as hook from '../functions/handlers/hook.js';
import * as migration from '../functions/handlers/migration.js';
import * as release from '../functions/handlers/release.js';
import type { ReleaseStore } from '../functions/core/ports.js';
import type { ReleaseRecord } from '../functions/core/release.js';
import type { CapabilityContext, RehearsalCapability } from './capability.js';
import type { VirtualClockImpl } from './clock.js';
import type { ExecutionRecord, LocalRunner } from './runner/index.js';
import type { World } from './world/world.js';

/** How often the runTask.sync emulation looks at the task (virtual seconds). */
export const RUN_TASK_POLL_MS = 6_000;

/** A scripted answer of a local hook. */
export type HookScriptAnswer =
  | 'pass'
  | 'fail'
  | 'ask-again'
  | 'error'
  | { readonly answer: 'pass' | 'fail' | 'ask-again' | 'error'; readonly reason?: string; readonly delaySeconds?: number };

export interface HookScript {
  readonly arn: string;
  readonly answers: readonly HookScriptAnswer[];
}

/** A scan as a scenario writes it (seconds from the push instead of absolute times). */
export interface ScenarioScan {
  readonly status?: 'COMPLETE' | 'FAILED' | 'UNSUPPORTED_IMAGE' | 'ACTIVE' | 'FINDINGS_UNAVAILABLE';
  readonly findings?: Readonly<Record<string, number>>;
  /** The scan reads IN_PROGRESS for this long after the push. */
  readonly completeAfterSeconds?: number;
}

export interface ReleaseSummary {
  readonly releaseId: string;
  readonly status: string;
  readonly reason: string | null;
  readonly reasonCode: string | null;
  readonly environments: ReadonlyArray<{
    readonly environment: string;
    readonly status: string;
    readonly deployments: ReadonlyArray<{ service: string; status: string | null }>;
    readonly requiresApproval?: boolean;
    /** How its approval was given (approve, abort, promoted-on-expiry), by whom, at what virtual second. */
    readonly approval?: { readonly action: string; readonly by: string | null; readonly at: number; readonly reason?: string };
  }>;
  /** The environment the release waited for approval before, from when (virtual seconds), while it waited or when it ended waiting. */
  readonly approvalWaits?: ReadonlyArray<{ readonly environment: string; readonly since: number; readonly until: number | null }>;
  readonly stateTransitions: number;
  readonly virtualSeconds: number;
}

/**
 * When the release's WaitForApproval tasks ran (the execution's states): the environment each waited
 * before (the Environments Map index names the stage), from and until when in virtual seconds (until:
 * the next state of that environment; null while it still waits).
 */
function approvalWaitsOf(exec: ExecutionRecord, stages: readonly { readonly environment: string }[], startMs: number): { approvalWaits?: ReleaseSummary['approvalWaits'] } {
  const entered = exec.statesEntered;
  const out = entered.flatMap((st, i) => {
    if (st.name !== 'WaitForApproval') return [];
    const next = entered.slice(i + 1).find((x) => x.mapIndex === st.mapIndex);
    return [{ environment: stages[st.mapIndex ?? -1]?.environment ?? '?', since: (st.at - startMs) / 1000, until: next ? (next.at - startMs) / 1000 : null }];
  });
  return out.length > 0 ? { approvalWaits: out } : {};
}

export interface GatesRuntime {
  /** Answers `LambdaClient` calls (hook Invoke) from the runner's registered functions. */
  readonly lambdaPlugin: Pluggable<object, object>;
  /** `pushImage` options for a scenario scan (`undefined`: the world's default, a clean COMPLETE scan; `null`: never scanned). */
  scanOptions(scan: ScenarioScan | null | undefined): { scan?: { status?: ScenarioScan['status']; findingSeverityCounts?: Record<string, number>; completeAtMs?: number } | null };
  /** Invocations of each hook ARN (payloads), in order. */
  readonly hookCalls: Map<string, unknown[]>;
  /** One summary per release execution, with the release record's environments. */
  releases(executions: readonly ExecutionRecord[], releaseArn: string, store: ReleaseStore): Promise<ReleaseSummary[]>;
}

/**
 * `pushImage` options for a scenario scan at `nowMs` (`undefined`: the world's default, a clean
 * COMPLETE scan; `null`: never scanned).
 */
export function imageScanOptions(scan: ScenarioScan | null | undefined, nowMs: number): ReturnType<GatesRuntime['scanOptions']> {
  if (scan === undefined) return {};
  if (scan === null) return { scan: null };
  return {
    scan: {
      status: scan.status ?? 'COMPLETE',
      findingSeverityCounts: { ...(scan.findings ?? {}) },
      ...(scan.completeAfterSeconds ? { completeAtMs: nowMs + scan.completeAfterSeconds * 1000 } : {}),
    },
  };
}

const PASCAL_SKIP = new Set<string>();

/** `{ taskArn, containers: [{ exitCode }] }` -> `{ TaskArn, Containers: [{ ExitCode }] }` (Dates as ISO text). */
export function pascalKeys(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(pascalKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$metadata' || PASCAL_SKIP.has(k)) continue;
      out[k.charAt(0).toUpperCase() + k.slice(1)] = pascalKeys(v);
    }
    return out;
  }
  return value;
}

/** `{ Cluster, NetworkConfiguration: { AwsvpcConfiguration: { Subnets } } }` -> camelCase (the SDK input). */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k.charAt(0).toLowerCase() + k.slice(1)] = camelKeys(v);
    return out;
  }
  return value;
}

/** A named error as Step Functions reports a service integration's failure. */
function integrationError(name: string, cause: unknown): Error {
  const e = new Error(typeof cause === 'string' ? cause : JSON.stringify(cause));
  e.name = name;
  return e;
}

/** The answer a scripted hook gives on its `n`-th invocation (0-based; the last answer repeats). */
export function scriptedAnswer(answers: readonly HookScriptAnswer[], n: number): unknown {
  const raw = answers[Math.min(n, answers.length - 1)] ?? 'pass';
  const a = typeof raw === 'string' ? { answer: raw } : raw;
  switch (a.answer) {
    case 'pass':
      return { hookStatus: 'SUCCEEDED' };
    case 'fail':
      return { hookStatus: 'FAILED', reason: a.reason ?? 'the scripted hook failed' };
    case 'ask-again':
      return { hookStatus: 'IN_PROGRESS', ...(a.delaySeconds === undefined ? {} : { callBackDelay: a.delaySeconds }) };
    case 'error': {
      const e = new Error(a.reason ?? 'the scripted hook threw');
      e.name = 'HookScriptError';
      throw e;
    }
    default: {
      const never: never = a.answer;
      throw new Error(`unknown scripted answer ${String(never)}`);
    }
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function attachGates(opts: { runner: LocalRunner; world: World; clock: VirtualClockImpl; hooks?: readonly HookScript[] }): GatesRuntime {
  const { runner, world, clock } = opts;
  const startMs = clock.now();
  const seconds = (iso: string | undefined) => (iso === undefined || Number.isNaN(Date.parse(iso)) ? null : (Date.parse(iso) - startMs) / 1000);
  const hookCalls = new Map<string, unknown[]>();

  // ---- hooks: scripted functions registered with the runner
  for (const script of opts.hooks ?? []) {
    runner.registerFunction(script.arn, async (payload) => {
      const calls = hookCalls.get(script.arn) ?? [];
      calls.push(payload);
      hookCalls.set(script.arn, calls);
      return scriptedAnswer(script.answers, calls.length - 1);
    });
  }

  const lambdaPlugin: Pluggable<object, object> = {
    applyToStack: (stack) => {
      stack.add(
        (next, context) => async (args) => {
          if (context.clientName !== 'LambdaClient') return next(args);
          if (context.commandName !== 'InvokeCommand') throw new Error(`local runtime: Lambda ${context.commandName} is not emulated (only Invoke)`);
          const input = args.input as { FunctionName?: string; Payload?: Uint8Array | string };
          const text = input.Payload === undefined ? '' : typeof input.Payload === 'string' ? input.Payload : decoder.decode(input.Payload);
          const event = text === '' ? {} : (JSON.parse(text) as unknown);
          let output: Record<string, unknown>;
          try {
            const result = await runner.invokeFunction(input.FunctionName ?? '', event, { recordErrors: false });
            output = { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: encoder.encode(JSON.stringify(result ?? null)) };
          } catch (e) {
            const err = e as Error;
            output = {
              StatusCode: 200,
              ExecutedVersion: '$LATEST',
              FunctionError: 'Unhandled',
              Payload: encoder.encode(JSON.stringify({ errorType: err?.name ?? 'Error', errorMessage: err?.message ?? String(e), trace: [] })),
            };
          }
          return { output: { ...output, $metadata: { httpStatusCode: 200 } }, response: {} } as never;
        },
        { step: 'initialize', name: 'cutoverLocalLambda', priority: 'high', override: true },
      );
    },
  };

  // ---- ecs:runTask.sync
  runner.registerTaskResource('arn:aws:states:::ecs:runTask.sync', async (parameters) => {
    const input = { ...(camelKeys(parameters) as Record<string, unknown>), startedBy: 'AWS Step Functions' };
    let out: Record<string, unknown>;
    try {
      out = await world.call('ECS', 'RunTask', input);
    } catch (e) {
      throw integrationError('ECS.AmazonECSException', { message: (e as Error).message, errorCode: (e as Error).name });
    }
    const failures = (out.failures as unknown[] | undefined) ?? [];
    const task = (out.tasks as Array<{ taskArn?: string; clusterArn?: string }> | undefined)?.[0];
    if (failures.length > 0 || !task?.taskArn) throw integrationError('AmazonECS.Unknown', pascalKeys({ failures }));
    for (;;) {
      const described = await world.call('ECS', 'DescribeTasks', { cluster: task.clusterArn, tasks: [task.taskArn] });
      const t = (described.tasks as Array<{ lastStatus?: string }> | undefined)?.[0];
      if (t?.lastStatus === 'STOPPED') return pascalKeys(t);
      await clock.sleep(RUN_TASK_POLL_MS);
    }
  });

  // ---- states:startExecution.sync:2
  const finished = new Map<string, (record: ExecutionRecord) => void>();
  runner.onExecutionFinished((record) => {
    finished.get(record.executionArn)?.(record);
    finished.delete(record.executionArn);
  });
  runner.registerTaskResource('arn:aws:states:::states:startExecution.sync:2', async (parameters) => {
    const p = parameters as { StateMachineArn?: string; Name?: string; Input?: unknown };
    const input = typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input ?? {});
    let executionArn: string;
    try {
      ({ executionArn } = await runner.startExecution({ stateMachineArn: p.StateMachineArn ?? '', ...(p.Name ? { name: p.Name } : {}), input }));
    } catch (e) {
      throw integrationError(`StepFunctions.${(e as Error).name}Exception`.replace(/ExceptionException$/, 'Exception'), (e as Error).message);
    }
    let record = runner.getExecution(executionArn);
    if (record.status === 'RUNNING') {
      record = await clock.blockedOn(new Promise<ExecutionRecord>((resolve) => finished.set(executionArn, resolve)));
    }
    const description = {
      ExecutionArn: record.executionArn,
      StateMachineArn: record.stateMachineArn,
      Name: record.name,
      Status: record.status,
      StartDate: record.startMs,
      ...(record.stopMs === undefined ? {} : { StopDate: record.stopMs }),
      Input: JSON.parse(record.input) as unknown,
      ...(record.output === undefined ? {} : { Output: JSON.parse(record.output) as unknown }),
      ...(record.error === undefined ? {} : { Error: record.error }),
      ...(record.cause === undefined ? {} : { Cause: record.cause }),
    };
    if (record.status === 'SUCCEEDED') return description;
    throw integrationError('States.TaskFailed', description);
  });

  return {
    lambdaPlugin,
    hookCalls,
    scanOptions: (scan) => imageScanOptions(scan, clock.now()),
    async releases(executions, releaseArn, store) {
      const out: ReleaseSummary[] = [];
      for (const exec of executions.filter((x) => x.stateMachineArn === releaseArn).sort((a, b) => a.startMs - b.startMs)) {
        let releaseId = exec.name;
        try {
          releaseId = (JSON.parse(exec.input) as { releaseId?: string }).releaseId ?? exec.name;
        } catch {
          // the execution name then
        }
        const record: ReleaseRecord | undefined = await store.getRelease(releaseId);
        out.push({
          releaseId,
          status: record?.status ?? (exec.status === 'FAILED' ? 'REJECTED' : exec.status),
          reason: record?.reason ? `${record.reason.code}: ${record.reason.message}` : (exec.cause ?? null),
          reasonCode: record?.reason?.code ?? exec.error ?? null,
          environments: (record?.stages ?? []).map((s) => ({
            environment: s.environment,
            status: s.status,
            deployments: s.deployments.map((d) => ({ service: d.service, status: d.status ?? null })),
            ...(s.requiresApproval ? { requiresApproval: true } : {}),
            ...(s.approval
              ? { approval: { action: s.approval.action, by: s.approval.by ?? null, at: seconds(s.approval.at) ?? 0, ...(s.approval.reason ? { reason: s.approval.reason } : {}) } }
              : {}),
          })),
          ...approvalWaitsOf(exec, record?.stages ?? [], startMs),
          stateTransitions: exec.transitions,
          virtualSeconds: ((exec.stopMs ?? clock.now()) - exec.startMs) / 1000,
        });
      }
      return out;
    },
  };
}

/**
 * Release gates and the release pipeline as a rehearsal capability: the runtime above (hook
 * functions, runTask.sync, startExecution.sync:2, the Lambda plugin), the hook, migration and
 * release handlers, the release state machine, and the summary's `releases`.
 */
export function gates(ctx: CapabilityContext): RehearsalCapability<{ releases?: ReleaseSummary[] }> {
  const runtime = attachGates({ runner: ctx.runner, world: ctx.world, clock: ctx.clock, hooks: ctx.scenario.world.hooks });
  const releaseStore = release.releaseStoreFor({ ...ctx.baseClientOptions, plugins: [] }, ctx.env);
  return {
    name: 'gates',
    plugins: [runtime.lambdaPlugin],
    handlers: { hook, migration, release },
    stateMachines: [{ name: 'release' }],
    async summary(executions) {
      const releases = await runtime.releases(executions, ctx.stateMachineArn('release'), releaseStore);
      return releases.length > 0 ? { releases } : {};
    },
  };
}
