/**
 * Lifecycle and verification hooks: invoke the next hook of a phase (one user Lambda, synchronously,
 * with the documented payload), read its answer and say what the state machine does next
 * (`$.hooks.status`: `invoke` the next one, `wait` `waitSeconds` and ask again, or `done`).
 *
 * Phases (functions/core/hooks.ts): `preTraffic` (deploy: afterHealthy then afterTestTraffic),
 * `beforeShift` and `afterFullTraffic` (deploy, inside the steps Map), `verify` (release: the
 * environment's verification hooks). A failed hook is `HookFailed` naming the hook; every invocation
 * and its answer go on the deployment's timeline.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod/mini';
import { type ClientOptions, clientConfig, clientOptionsFromEnv } from '../aws/clients.js';
import { HOOK_CLIENT_REQUEST_TIMEOUT_MS, LambdaHookInvoker } from '../aws/lambda.js';
import type { DeployState, StepItem } from '../core/deploy-state.js';
import { HookFailed, ValidationError } from '../core/errors.js';
import {
  type DeployHookPhase,
  decideHook,
  deployHooks,
  type HookLimits,
  HookPhase,
  type HookPayload,
  type HookProgress,
  type HookRef,
  HookStage,
  progressFor,
} from '../core/hooks.js';
import type { ReleaseStageItem } from '../core/release.js';
import type { Clock, DeploymentStore, HookInvoker } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { storeFor } from './shared/store.js';
import { ctxOf, entry, serviceFor } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface HookDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly invoker: HookInvoker;
  readonly store: DeploymentStore;
  readonly logLevel?: string;
}

const Payload = z.object({
  phase: z.enum([HookPhase.PreTraffic, HookPhase.BeforeShift, HookPhase.AfterFullTraffic, HookPhase.Verify]),
  state: z.optional(z.unknown()),
  item: z.optional(z.unknown()),
});

interface Run {
  readonly hooks: readonly HookRef[];
  readonly limits: HookLimits;
  readonly previous: HookProgress | undefined;
  readonly step?: number;
  readonly payload: (hook: HookRef, attempt: number) => HookPayload;
  /** Record one invocation (deploy phases: the deployment's timeline). */
  readonly record?: (key: string, detail: Record<string, unknown>) => Promise<void>;
}

/** Invoke the current hook of `run` once; the next progress, or HookFailed. */
async function runOnce(deps: HookDeps, phase: HookPhase, run: Run): Promise<HookProgress> {
  const progress = progressFor(run.previous, phase, run.step);
  const hook = run.hooks[progress.index];
  if (progress.status === 'done' || !hook) return { ...progress, status: 'done', waitSeconds: 0 };
  const invokedAtMs = deps.clock.now();
  const reply = await deps.invoker.invoke(hook.functionArn, run.payload(hook, progress.attempt + 1), run.limits.invocationTimeoutSeconds);
  const nowMs = deps.clock.now();
  const decision = decideHook({ hooks: run.hooks, progress, reply, invokedAtMs, nowMs, limits: run.limits });
  const key = `hook-${phase}${run.step === undefined ? '' : `-${run.step}`}-${progress.index}-${progress.attempt + 1}`;
  await run.record?.(key, {
    stage: hook.stage,
    functionArn: hook.functionArn,
    attempt: progress.attempt + 1,
    answer: decision.kind === 'failed' ? 'failed' : decision.answer,
    ...(decision.kind === 'failed' ? { message: decision.message } : {}),
    ...(decision.kind === 'progress' && decision.progress.status === 'wait' ? { askAgainSeconds: decision.progress.waitSeconds } : {}),
  });
  if (decision.kind === 'failed') throw new HookFailed(decision.message, { details: decision.details });
  return decision.progress;
}

/** The production weight on green before step `index` of the plan (the last shift before it). */
function percentBefore(state: DeployState, index: number): number {
  // Plan only (deployRun checked ctx against the configuration first).
  const steps = (state.ctx?.plan.steps ?? []).slice(0, index);
  let percent = 0;
  for (const s of steps) if (s.kind === 'shift') percent = s.percent;
  return percent;
}

function deployRun(deps: HookDeps, phase: DeployHookPhase, state: DeployState, previous: HookProgress | undefined, step?: { index: number; percent: number }): Run {
  const svc = serviceFor(deps.env, state);
  const ctx = ctxOf(state, deps.env);
  const { service, environment, deploymentId } = state.request;
  const traffic =
    phase === HookPhase.PreTraffic
      ? { trafficPercent: 0 }
      : phase === HookPhase.BeforeShift
        ? { trafficPercent: percentBefore(state, step?.index ?? 0), nextPercent: step?.percent ?? 0 }
        : { trafficPercent: 100 };
  return {
    hooks: deployHooks(svc.hooks, phase),
    limits: svc.hooks,
    previous,
    ...(step ? { step: step.index } : {}),
    payload: (hook, attempt) => ({
      cutoverHookVersion: '1',
      stage: hook.stage,
      deploymentId,
      service,
      environment,
      image: state.request.image,
      versions: {
        ...(ctx.blue ? { blue: { ...(ctx.blue.targetGroupArn ? { targetGroupArn: ctx.blue.targetGroupArn } : {}), ...(ctx.blue.taskDefinitionArn ? { taskDefinitionArn: ctx.blue.taskDefinitionArn } : {}), ...(ctx.blue.taskSetId ? { taskSetId: ctx.blue.taskSetId } : {}) } } : {}),
        green: {
          ...(ctx.greenTargetGroupArn ? { targetGroupArn: ctx.greenTargetGroupArn } : {}),
          ...(state.taskDefinitionArn ? { taskDefinitionArn: state.taskDefinitionArn } : {}),
          ...(state.green?.taskSetId ? { taskSetId: state.green.taskSetId } : {}),
        },
      },
      ...traffic,
      ...(svc.hooks.testUrl ? { testUrl: svc.hooks.testUrl } : {}),
      attempt,
    }),
    record: (key, detail) => deps.store.appendTimeline(service, environment, deploymentId, entry(key, 'hook', deps.clock.now(), detail)),
  };
}

function verifyRun(deps: HookDeps, item: ReleaseStageItem): Run {
  const env = deps.env.config.environments.find((e) => e.name === item.stage?.environment);
  if (!env) throw new ValidationError('hook payload', [`item.stage.environment: "${item.stage?.environment}" is not a configured environment`]);
  const v = env.verification;
  return {
    hooks: v.hooks.map((functionArn) => ({ stage: HookStage.Verify, functionArn })),
    limits: v,
    previous: item.hooks,
    payload: (hook, attempt) => ({
      cutoverHookVersion: '1',
      stage: hook.stage,
      releaseId: item.release.releaseId,
      environment: env.name,
      image: item.release.image,
      deployments: item.deployed ?? item.stage.deployments.map((d) => ({ service: d.service, deploymentId: d.deploymentId, status: 'SUCCEEDED' })),
      ...(v.url ? { testUrl: v.url } : {}),
      attempt,
    }),
  };
}

export function createHandler(deps: HookDeps): Handler<unknown, unknown> {
  const logger = makeLogger('cutover-hook', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'hook payload');
    switch (payload.phase) {
      case HookPhase.PreTraffic: {
        const state = payload.state as DeployState;
        if (!state?.request) throw new ValidationError('hook payload', ['state: is required for phase preTraffic']);
        logger.appendKeys({ deploymentId: state.request.deploymentId, cutoverService: state.request.service, phase: payload.phase });
        const hooks = await runOnce(deps, payload.phase, deployRun(deps, payload.phase, state, state.hooks));
        return { ...state, hooks };
      }
      case HookPhase.BeforeShift:
      case HookPhase.AfterFullTraffic: {
        const item = payload.item as StepItem;
        if (!item?.state?.request || item.step?.kind !== 'shift') {
          throw new ValidationError('hook payload', [`item: a shift step of the steps Map is required for phase ${payload.phase}`]);
        }
        logger.appendKeys({ deploymentId: item.state.request.deploymentId, cutoverService: item.state.request.service, phase: payload.phase, step: item.index });
        const run = deployRun(deps, payload.phase, item.state, item.hooks, { index: item.index, percent: item.step.percent });
        return { ...item, hooks: await runOnce(deps, payload.phase, run) };
      }
      case HookPhase.Verify: {
        const item = payload.item as ReleaseStageItem;
        if (!item?.release?.releaseId || !item.stage) throw new ValidationError('hook payload', ['item: an Environments Map item is required for phase verify']);
        logger.appendKeys({ releaseId: item.release.releaseId, environment: item.stage.environment, phase: payload.phase });
        return { ...item, hooks: await runOnce(deps, payload.phase, verifyRun(deps, item)) };
      }
      default: {
        const never: never = payload.phase;
        throw new ValidationError('hook payload', [`phase: unknown phase ${String(never)}`]);
      }
    }
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): HookDeps {
  // The hook's own timeout is enforced per invocation (invocationTimeoutSeconds); the client's
  // request timeout only has to outlast the longest one.
  const config = clientConfig(opts);
  const lambda = new LambdaClient({ ...config, requestHandler: { ...config.requestHandler, requestTimeout: HOOK_CLIENT_REQUEST_TIMEOUT_MS } });
  for (const plugin of opts.plugins ?? []) lambda.middlewareStack.use(plugin);
  return { env, clock, invoker: new LambdaHookInvoker(lambda), store: storeFor(opts, env) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
