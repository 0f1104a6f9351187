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
 * target revision is steady, so it is healthy there), when the gate was first seen (the bake) — and
 * answers with hookAnswer (functions/core/native.ts). Every stage's first wait and its final answer
 * go on the deployment's timeline; a FAILED answer is the rollback's reason (`native-decision`).
 * Not wired yet: the canary analysis verdict and approvals (a gate that analyses or waits for an
 * approval fails when its grace or timeout runs out).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { CloudWatchAlarms } from '../aws/cloudwatch.js';
import type { StrategyConfig } from '../core/config.js';
import { type HookFacts, gateAt, hookAnswer, strategyFor } from '../core/native.js';
import type { Alarms, Clock, DeploymentStore } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { entry } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';
import { storeFor } from './shared/store.js';
import { NATIVE_DECISION_KIND, nativeDeploymentOf } from './shared/native.js';

export interface NativeHookDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly store: DeploymentStore;
  readonly alarms: Alarms;
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
    const mapping = strategyFor(strategy, { analyse: svc.analysis.enabled && record.plan?.strategy !== 'rollback', healthTimeoutSeconds: svc.healthTimeoutSeconds });
    const percent = p.executionDetails.productionTrafficWeights[p.executionDetails.targetServiceRevisionArn] ?? 0;
    const gate = gateAt(mapping, p.lifecycleStage, percent);
    const watched = record.alarmNames;
    const alarms = watched.length === 0 ? [] : await deps.alarms.describe(watched);
    const facts: HookFacts = {
      now,
      gate,
      alarmsInAlarm: alarms.filter((a) => a.state === 'ALARM').map((a) => a.name),
      greenHealth: 'healthy',
      aborted: (record.controls ?? []).some((c) => (c as { action?: string }).action === 'abort'),
    };
    const answer = hookAnswer(p.lifecycleStage, facts, p.hookDetails);
    const base = `native-hook-${p.lifecycleStage}-${percent}`;
    const detail = { stage: p.lifecycleStage, percent, hookStatus: answer.hookStatus, code: answer.reason.code, message: answer.reason.message, executionId: p.executionId };
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

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): NativeHookDeps {
  return { env, clock, store: storeFor(opts, env), alarms: new CloudWatchAlarms(makeClient(CloudWatchClient, opts)) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
