/**
 * Cutover's lifecycle-hook Lambda for ECS's own deployments (engine native, issue #17). ECS invokes
 * it at the stages Inspect mapped (strategyFor: POST_SCALE_UP, POST_TEST_TRAFFIC_SHIFT,
 * PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT) with the documented payload
 * (executionDetails: service ARN, target revision, test and production traffic weights; hookDetails
 * carried between IN_PROGRESS answers) and gets `{ hookStatus, callBackDelay?, hookDetails }`
 * (ECS developer guide, "Lambda hooks for Amazon ECS service deployments").
 *
 * It reads the deployment record and the facts — the watched alarms (one already in ALARM fails
 * the gate, which ECS's own alarm check ignores), green's health (ECS enters POST_SCALE_UP once the
 * target revision is steady, so it is healthy there), when the gate was first seen (the bake runs
 * from there: the traffic point), the canary analysis once the bake is over (the same judge as the
 * task-set engine: green's and blue's target groups on an ALB, the user's version-tagged metrics
 * (`analysis.metrics`) where the shape has no per-revision metric), an operator's approve or abort
 * recorded on the deployment — and answers with hookAnswer (functions/core/native.ts). Every
 * stage's first wait, each analysis and the final answer go on the deployment's timeline; a FAILED
 * answer is the rollback's reason (`native-decision`).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { CloudWatchAlarms, CloudWatchMetrics } from '../aws/cloudwatch.js';
import type { StrategyConfig } from '../core/config.js';
import { analysisWindow, assess, decideAfterVerdict } from '../core/analysis.js';
import { albDimensionOf } from '../core/metrics-dimensions.js';
import type { DeploymentRecord } from '../core/model.js';
import { type HookFacts, type NativeGate, gateAt, hookAnswer, readHookState, strategyFor, strategyOptionsOf } from '../core/native.js';
import type { Alarms, Clock, DeploymentStore, MetricSource } from '../core/ports.js';
import type { ServiceConfig } from '../core/config.js';
import { parseOrThrow } from '../core/validation.js';
import { entry } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';
import { NO_BLUE_VERSION, type Sides, sideSamples } from './shared/sides.js';
import { bindTable } from '../aws/store-items.js';
import { appendTimeline, listInFlight } from '../aws/store-deployments.js';
import { tableFor } from './shared/store.js';
import { NATIVE_DECISION_KIND, nativeDeploymentOf } from './shared/native.js';

export interface NativeHookDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly store: Pick<DeploymentStore, 'appendTimeline' | 'listInFlight'>;
  readonly alarms: Alarms;
  /** The canary analysis's metrics (GetMetricData). */
  readonly metrics: MetricSource;
  readonly logLevel?: string;
}

const HookPayload = z.object({
  executionId: z.string(),
  lifecycleStage: z.string(),
  resourceArn: z.string(),
  executionDetails: z.object({
    serviceArn: z.string(),
    targetServiceRevisionArn: z.string(),
    productionTrafficWeights: z.record(z.string(), z.number()),
    testTrafficWeights: z.optional(z.record(z.string(), z.number())),
  }),
  hookDetails: z.optional(z.unknown()),
});

export interface NativeHookAnswer {
  readonly hookStatus: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';
  readonly callBackDelay?: number;
  readonly hookDetails?: Record<string, unknown>;
}

export function createHandler(deps: NativeHookDeps): Handler<unknown, NativeHookAnswer> {
  const logger = makeLogger('cutover-native-hook', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const p = parseOrThrow(HookPayload, event, 'lifecycle hook payload');
    const now = deps.clock.now();
    // arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE
    const [, cluster, name] = p.executionDetails.serviceArn.split(':')[5]?.split('/') ?? [];
    const svc = deps.env.config.services.find((s) => s.cluster === cluster && s.service === name);
    const fail = (message: string): NativeHookAnswer => {
      logger.warn(message);
      return { hookStatus: 'FAILED' };
    };
    if (!svc) return fail(`no configured service is ${p.executionDetails.serviceArn}: Cutover gates only the services it manages`);
    const inFlight = (await deps.store.listInFlight()).filter((r) => r.service === svc.name && r.environment === svc.environment);
    // The record names its service deployment once StartNativeDeployment wrote it; the first hook may come before.
    const record = inFlight.find((r) => nativeDeploymentOf(r) === p.resourceArn) ?? inFlight.find((r) => nativeDeploymentOf(r) === undefined);
    if (!record) return fail(`no in-flight Cutover deployment of ${svc.name}/${svc.environment} follows ${p.resourceArn}`);
    logger.appendKeys({ deploymentId: record.deploymentId, cutoverService: record.service, stage: p.lifecycleStage });
    const strategy: StrategyConfig = record.plan?.strategy === 'rollback' ? ({ type: 'all-at-once', bakeSeconds: 0 } as StrategyConfig) : svc.strategy;
    // The same mapping Inspect made (functions/handlers/prepare.ts inspectNative; strategyOptionsOf).
    const mapping = strategyFor(strategy, strategyOptionsOf(svc, record.plan?.strategy === 'rollback'));
    const percent = p.executionDetails.productionTrafficWeights[p.executionDetails.targetServiceRevisionArn] ?? 0;
    const gate = gateAt(mapping, p.lifecycleStage, percent);
    const watched = record.alarmNames;
    const alarms = watched.length === 0 ? [] : await deps.alarms.describe(watched);
    // The gate's first call (hookDetails carry it between IN_PROGRESS answers): the bake, the
    // analysis window and the approval all count from there (the traffic point).
    const key = gate ? `${gate.stage}@${gate.percent}` : `${p.lifecycleStage}@-`;
    const prior = readHookState(p.hookDetails);
    const since = prior && prior.gate === key ? prior.firstSeenAt : now;
    const controls = (record.controls ?? []).filter((c) => Date.parse(c.at) >= since);
    // An inconclusive verdict bakes the step again (onInconclusive "extend", up to maxExtensions), as
    // the task-set engine's extensions do: the bakes elapsed since the traffic point say how many.
    const bakeMs = (gate?.bakeSeconds ?? 0) * 1000;
    const extensions = gate?.analyse && bakeMs > 0 ? Math.max(0, Math.min(gate.maxExtensions ?? 0, Math.floor((now - since) / bakeMs) - 1)) : 0;
    // An extension already decided at this count holds until its bake is over (judged once per bake).
    const extending = (record.timeline ?? []).some((e) => {
      const d = e.detail as { percent?: number; decision?: string; extensions?: number } | undefined;
      return e.kind === 'analysis' && Date.parse(e.at) >= since && d?.percent === gate?.percent && d?.decision === 'extend' && d?.extensions === extensions;
    });
    const judged = gate?.analyse && !extending && now >= since + bakeMs * (extensions + 1) ? await analyse(deps, svc, record, gate, since, now, extensions) : undefined;
    const extend = extending || judged?.decision === 'extend';
    const verdict = extend ? undefined : judged?.decision;
    const facts: HookFacts = {
      now,
      // While extended, the gate holds one more bake from the traffic point.
      gate: gate && extend ? { ...gate, bakeSeconds: gate.bakeSeconds * (extensions + 2) } : gate,
      alarmsInAlarm: alarms.filter((a) => a.state === 'ALARM').map((a) => a.name),
      greenHealth: 'healthy',
      ...(verdict ? { verdict } : {}),
      ...(gate?.approval ? { approval: controls.some((c) => c.action === 'approve') ? ('approved' as const) : ('pending' as const) } : {}),
      aborted: (record.controls ?? []).some((c) => c.action === 'abort' || c.action === 'rollback'),
    };
    const answer = hookAnswer(p.lifecycleStage, facts, p.hookDetails);
    const base = `native-hook-${p.lifecycleStage}-${percent}`;
    // A failed analysis names what it found (the same words as the task-set engine's AnalysisFailed).
    const message = answer.reason.code === 'AnalysisFailed' && judged?.reasons.length ? `Canary analysis Fail at ${percent} %: ${judged.reasons.join('; ')}` : answer.reason.message;
    const detail = { stage: p.lifecycleStage, percent, hookStatus: answer.hookStatus, code: answer.reason.code, message, executionId: p.executionId };
    if (answer.hookStatus === 'FAILED') {
      await deps.store.appendTimeline(record.service, record.environment, record.deploymentId, entry(`${base}-failed`, NATIVE_DECISION_KIND, now, detail));
    } else {
      await deps.store.appendTimeline(record.service, record.environment, record.deploymentId,
        entry(`${base}-${answer.hookStatus === 'IN_PROGRESS' ? 'waiting' : 'passed'}`, 'native-hook', now, detail));
    }
    return {
      hookStatus: answer.hookStatus,
      ...(answer.callBackDelay !== undefined ? { callBackDelay: answer.callBackDelay } : {}),
      hookDetails: answer.hookDetails,
    };
  });
}

/**
 * The canary analysis at a native gate, once its bake is over: green against blue over the whole
 * minutes since the traffic point (analysisWindow), judged by assess / decideAfterVerdict as the
 * task-set engine's Analyze step judges. Green and blue are the target groups Inspect recorded (an
 * ALB: per-target-group metrics), or the user's version-tagged metrics (`analysis.metrics`; green's
 * version is the deployment id, CUTOVER_VERSION) where the shape has none per revision (NLB,
 * Service Connect, no load balancer). `pass` / `fail`; `extend` for an inconclusive verdict with
 * extensions left (`extensions` so far: the step bakes again); undefined when no whole minute of
 * data has arrived yet (the hook holds up to ANALYSIS_GRACE_SECONDS more). Each verdict goes on
 * the timeline.
 */
async function analyse(
  deps: NativeHookDeps,
  svc: ServiceConfig,
  record: DeploymentRecord,
  gate: NativeGate,
  since: number,
  now: number,
  extensions: number,
): Promise<{ readonly decision: 'pass' | 'fail' | 'extend' | undefined; readonly reasons: readonly string[] }> {
  const key = `analysis-native-${gate.percent}-${Math.floor(now / 60_000)}`;
  const note = async (detail: Record<string, unknown>) =>
    deps.store.appendTimeline(record.service, record.environment, record.deploymentId, entry(key, 'analysis', now, { percent: gate.percent, engine: 'native', ...detail }));
  const window = analysisWindow(since, now);
  if (window.minutes === 0) return { decision: undefined, reasons: [] };
  const metrics = svc.analysis.metrics;
  const route = svc.listenerRuleArn ?? svc.listenerArn;
  const blueTg = record.blue?.targetGroupArn;
  const greenTg = record.green?.targetGroupArn;
  const skip = async (why: string) => {
    await note({ verdict: 'Skipped', why });
    return { decision: 'pass' as const, reasons: [why] };
  };
  let sides: Sides;
  if (metrics) {
    if (!record.blue?.version) return skip(NO_BLUE_VERSION);
    sides = { kind: 'versions', metrics, green: record.deploymentId, blue: record.blue.version };
  } else if (route && albDimensionOf(route) && blueTg && greenTg) {
    sides = { kind: 'target-groups', loadBalancer: albDimensionOf(route) as string, green: greenTg, blue: blueTg };
  } else {
    return skip('this traffic shape publishes no per-revision request metric (NLB, Service Connect, no load balancer); set analysis.metrics (version-tagged) to analyse it');
  }
  const { green, blue } = await sideSamples(deps.metrics, sides, window.startMs, window.endMs);
  const verdict = assess({ green, blue }, svc.analysis);
  const decision = decideAfterVerdict(verdict, svc.analysis, extensions);
  await note({
    verdict: verdict.kind,
    decision,
    ...verdict,
    extensions,
    window: { start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString(), minutes: window.minutes },
  } as Record<string, unknown>);
  return { decision, reasons: verdict.reasons };
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): NativeHookDeps {
  const cloudwatch = makeClient(CloudWatchClient, opts);
  // Only the store operations bound here are bundled (functions/aws/store-items.ts bindTable).
  return { env, clock, store: bindTable(tableFor(opts, env), { appendTimeline, listInFlight }), alarms: new CloudWatchAlarms(cloudwatch), metrics: new CloudWatchMetrics(cloudwatch) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
