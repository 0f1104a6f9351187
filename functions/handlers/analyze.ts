/**
 * Deploy state machine: canary analysis at the end of a bake. Green against blue on their target
 * groups' metrics over the bake: error rate (two-proportion test) and latency (Mann-Whitney U).
 * Only meaningful while both sides take production traffic; at 0 % or 100 % the step passes with
 * the reason recorded. The verdict and its numbers go on the record and the StepCompleted event.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { CloudWatchMetrics } from '../aws/cloudwatch.js';
import { analysisWindow, assess, decideAfterVerdict } from '../core/analysis.js';
import type { StepItem } from '../core/deploy-state.js';
import { AnalysisFailed } from '../core/errors.js';
import { LifecycleEvent } from '../core/model.js';
import { percentAfter } from '../core/plan.js';
import { trafficKindOfCtx } from '../core/traffic.js';
import type { Clock, DeploymentStore, EventPublisher, MetricSource } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { publisherFor } from './shared/clients.js';
import { NO_BLUE_VERSION, type Sides, sideSamples } from './shared/sides.js';
import { storeFor } from './shared/store.js';
import { failIfAlarmRecorded } from './shared/alarm-check.js';
import { ctxOf, entry, eventDetail } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface AnalyzeDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly metrics: MetricSource;
  readonly store: DeploymentStore;
  readonly events: EventPublisher;
  readonly logLevel?: string;
}

const Payload = z.object({ item: z.unknown() });

export function createHandler(deps: AnalyzeDeps): Handler<unknown, StepItem> {
  const logger = makeLogger('cutover-analyze', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const item = parseOrThrow(Payload, event, 'analyze payload').item as StepItem;
    const state = item.state;
    const ctx = ctxOf(state, deps.env);
    const { service, environment, deploymentId } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment, step: item.index });
    const now = deps.clock.now();
    const extensions = item.extensions ?? 0;
    const key = `analysis-${item.index}${extensions ? `-x${extensions}` : ''}`;
    await deps.store.setTaskToken(service, environment, deploymentId, undefined);
    // An alarm recorded during the bake whose failure did not reach it (or since) fails the step.
    await failIfAlarmRecorded(deps.store, state.request, `the analysis of step ${item.index}`);

    const worker = trafficKindOfCtx(ctx) === 'task-share';
    const blueTg = ctx.blue?.targetGroupArn;
    const greenWeight = percentAfter(ctx.plan, item.index);
    const metrics = ctx.analysis.metrics;
    const skip = !ctx.analysis.enabled
      ? 'analysis disabled'
      : !ctx.blue || (!worker && !blueTg)
        ? 'first deployment: no baseline'
        : greenWeight === 0 || greenWeight === 100
          ? `not applicable at ${greenWeight} % on green`
          : worker && !metrics
            ? 'no analysis.metrics for this worker'
            : worker && !ctx.blue.version
              ? NO_BLUE_VERSION
              : undefined;
    if (skip !== undefined) {
      await deps.store.appendTimeline(service, environment, deploymentId, entry(key, 'analysis', now, { verdict: 'Skipped', why: skip, ...(worker ? { traffic: 'task-share' } : {}) }));
      return { ...item, verdict: { kind: 'Skipped', decision: 'pass' } };
    }
    // The bake and every extension of it (each extension bakes the step again) began with the shift;
    // the window is the whole minutes after it whose data has arrived (analysisWindow).
    const bakeSeconds = item.step.kind === 'bake' ? item.step.seconds : 0;
    const shiftedAtMs = now - bakeSeconds * 1000 * (extensions + 1);
    const window = analysisWindow(shiftedAtMs, now);
    const none = { requests: 0, errors5xx: 0, latencies: [] as number[] };
    const sides: Sides = worker
      ? // A worker: its application's metrics tagged by version (green: the deployment id; blue: its CUTOVER_VERSION).
        { kind: 'versions', metrics: metrics as NonNullable<typeof metrics>, green: deploymentId, blue: ctx.blue?.version as string }
      : { kind: 'target-groups', loadBalancer: ctx.loadBalancerDimension as string, green: ctx.greenTargetGroupArn as string, blue: blueTg as string };
    const { green, blue } = window.minutes === 0 ? { green: none, blue: none } : await sideSamples(deps.metrics, sides, window.startMs, window.endMs);
    const verdict = assess({ green, blue }, ctx.analysis);
    const decision = decideAfterVerdict(verdict, ctx.analysis, extensions);
    const windowDetail = {
      start: new Date(window.startMs).toISOString(),
      end: new Date(window.endMs).toISOString(),
      minutes: window.minutes,
      dataDelaySeconds: window.delaySeconds,
    };
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry(key, 'analysis', now, { verdict: verdict.kind, decision, ...verdict, window: windowDetail, ...(worker ? { traffic: 'task-share' } : {}) } as Record<string, unknown>));
    await deps.events.publish(LifecycleEvent.StepCompleted,
      eventDetail(state, { step: item.index, kind: 'analysis', verdict, decision }));
    if (decision === 'fail') {
      throw new AnalysisFailed(`Canary analysis ${verdict.kind}: ${verdict.reasons.join('; ')}`, {
        details: { verdict },
      });
    }
    return {
      ...item,
      extensions: decision === 'extend' ? extensions + 1 : extensions,
      verdict: { kind: verdict.kind, decision },
    };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): AnalyzeDeps {
  return {
    env,
    clock,
    metrics: new CloudWatchMetrics(makeClient(CloudWatchClient, opts)),
    store: storeFor(opts, env),
    events: publisherFor(opts, env),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
