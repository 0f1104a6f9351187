/**
 * The scaling handler: event-driven changes of a service's desired count or scalable-target bounds
 * (decisions in functions/core/scaling.ts). Started by:
 *
 * - EventBridge, `CloudWatch Alarm State Change` to ALARM of an alarm a scaling rule names: every
 *   (service, rule) with that alarm acts.
 * - EventBridge Scheduler, `{ source: "cutover.scheduler", kind: "scheduled-scaling", service,
 *   environment, ruleIndex }`: that schedule rule acts.
 * - Cutover's own bus, `Deployment Started`: dynamic (target-tracking) scale-in is suspended for the
 *   service; `Deployment Succeeded | Rolled Back | Failed | Superseded`: when no deployment of the
 *   service is in progress any more, it is resumed and a deferred scale-in is replayed (an alarm's
 *   only if the alarm is still in ALARM).
 *
 * Every action is claimed in the scaling state first (a conditional write on its version, so two
 * events at once cannot both act), then carried out, then announced as `Scaling Action` on the
 * bus. A scaling action never touches the load balancer: task sets are percentages of the desired
 * count, so both versions of a deployment scale together and no traffic moves.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { AppAutoScalingTargets } from '../aws/autoscaling.js';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { CloudWatchAlarms } from '../aws/cloudwatch.js';
import { EcsServiceCapacity, EcsTaskSetScales } from '../aws/ecs-capacity.js';
import type { ScalingRuleConfig, ServiceConfig } from '../core/config.js';
import { ConflictError, ValidationError } from '../core/errors.js';
import { AlarmStateChangeEvent, parseEvent } from '../core/events.js';
import {
  EMPTY_SCALING_STATE,
  ecsResourceId,
  type MaintenanceAction,
  MaintenanceActionKind,
  MaintenanceOutcome,
  type PendingScaling,
  type ScalingState,
  SCALING_HISTORY_LENGTH,
} from '../core/maintenance.js';
import { isTerminal, LifecycleEvent } from '../core/model.js';
import type { Alarms, Clock, DeploymentStore, EventPublisher, ScalableTargets, ScalingStateStore, ServiceCapacity, TaskSetScales } from '../core/ports.js';
import {
  decideScaling,
  nextScalingState,
  rulesForAlarm,
  ruleKey,
  type ScalingDecision,
  ScheduledScalingInput,
  scalingAction,
} from '../core/scaling.js';
import { trafficKindOf } from '../core/services.js';
import { keepShare, shareInForce } from '../core/traffic.js';
import { parseOrThrow } from '../core/validation.js';
import { publisherFor } from './shared/clients.js';
import { storeFor } from './shared/store.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { deploymentInFlight, maintenanceStoreFor, requireService } from './shared/maintenance.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface ScaleDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly capacity: ServiceCapacity;
  /** A worker's task sets: their scales are set again for the share in force after a count change. */
  readonly taskSets: TaskSetScales;
  readonly targets: ScalableTargets;
  readonly alarms: Alarms;
  readonly store: DeploymentStore;
  readonly scaling: ScalingStateStore;
  readonly events: EventPublisher;
  readonly logLevel?: string;
}

export interface ScaleResult {
  readonly ignored?: string;
  readonly actions: readonly MaintenanceAction[];
}

/** Cutover's deployment events that concern scaling. */
const DeploymentEvent = z.object({
  source: z.literal('cutover'),
  'detail-type': z.string(),
  account: z.optional(z.string()),
  region: z.optional(z.string()),
  /**
   * Set by EventBridge on an event replayed from an archive ("replay-name" names the replay; Amazon
   * EventBridge User Guide, "Archiving and replaying events": a replayed event carries the name of
   * the replay). A replay is history, not news: it never suspends or resumes anything.
   */
  'replay-name': z.optional(z.string()),
  detail: z.object({ service: z.string(), environment: z.string(), deploymentId: z.optional(z.string()) }),
});
const DEPLOYMENT_ENDED: readonly string[] = [
  LifecycleEvent.Succeeded,
  LifecycleEvent.RolledBack,
  LifecycleEvent.Failed,
  LifecycleEvent.Superseded,
];

/** How often a lost race on the scaling state is retried before ConflictError (then EventBridge retries). */
const MAX_STATE_ATTEMPTS = 5;

export function createHandler(deps: ScaleDeps): Handler<unknown, ScaleResult> {
  const logger = makeLogger('cutover-scale', deps.logLevel);
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  async function announce(action: MaintenanceAction): Promise<void> {
    logger.info('scaling action', { ...action });
    await deps.events.publish(LifecycleEvent.ScalingAction, { ...action });
  }

  /** Read-modify-write of the scaling state with the version check; `change` may return undefined (nothing to write). */
  async function withState<T>(
    svc: ServiceConfig,
    change: (state: ScalingState) => Promise<{ next: ScalingState; result: T } | undefined>,
  ): Promise<T | undefined> {
    for (let attempt = 0; attempt < MAX_STATE_ATTEMPTS; attempt++) {
      const state = (await deps.scaling.get(svc.name, svc.environment)) ?? EMPTY_SCALING_STATE;
      const out = await change(state);
      if (out === undefined) return undefined;
      if (await deps.scaling.put(svc.name, svc.environment, out.next)) return out.result;
    }
    throw new ConflictError(`Scaling state of ${svc.name}/${svc.environment} is contended; gave up after ${MAX_STATE_ATTEMPTS} attempts`);
  }

  /** Decide, claim, act, announce: one rule of one service. */
  async function applyRule(svc: ServiceConfig, rule: ScalingRuleConfig, index: number, trigger: string, replay = false): Promise<MaintenanceAction> {
    const scaling = svc.scaling;
    if (scaling === undefined) throw new ValidationError('scaling rule', [`${svc.name}/${svc.environment}: has no scaling configuration`]);
    const key = ruleKey(rule, index);
    const resourceId = ecsResourceId(svc.cluster, svc.service);
    const who = { service: svc.name, environment: svc.environment, resourceId };
    let decided: { decision: ScalingDecision; action: MaintenanceAction; previous: ScalingState; inFlight?: string } | undefined;
    await withState(svc, async (state) => {
      const now = deps.clock.now();
      const [desired, target, busy] = await Promise.all([
        deps.capacity.desiredCount(svc.cluster, svc.service),
        deps.targets.describe(resourceId),
        deploymentInFlight(deps.store, svc.name, svc.environment, now, 'inProgress'),
      ]);
      const decision = decideScaling({
        scaling,
        rule,
        ruleKey: key,
        desired,
        ...(target ? { target } : {}),
        state,
        nowMs: now,
        ...(busy ? { deploymentInProgress: busy.deploymentId } : {}),
        replay,
      });
      const outcome =
        decision.kind === 'skip' ? MaintenanceOutcome.Skipped : decision.kind === 'defer' ? MaintenanceOutcome.Deferred : MaintenanceOutcome.Done;
      const action = scalingAction(decision, who, trigger, outcome, new Date(now).toISOString());
      const deferred: PendingScaling = {
        ruleKey: key,
        ruleIndex: index,
        requestedAt: new Date(now).toISOString(),
        trigger: rule.alarmName !== undefined ? 'alarm' : 'schedule',
        ...(rule.alarmName !== undefined ? { alarmName: rule.alarmName } : {}),
      };
      // A deferral replaces the deferred action; a replay, or a newer change, clears it.
      const pending =
        decision.kind === 'defer' ? { set: deferred } : replay || outcome === MaintenanceOutcome.Done ? ('clear' as const) : ('keep' as const);
      decided = { decision, action, previous: state, ...(busy ? { inFlight: busy.deploymentId } : {}) };
      return { next: nextScalingState(state, action, decision, key, now, pending), result: action };
    });
    const { decision, action, previous, inFlight } = decided as NonNullable<typeof decided>;
    try {
      if (decision.kind === 'scale') {
        await deps.capacity.setDesiredCount(svc.cluster, svc.service, decision.to);
      } else if (decision.kind === 'set-bounds') {
        await deps.targets.setBounds(resourceId, decision.bounds.min, decision.bounds.max);
        // Application Auto Scaling moves the desired count into new bounds on its own, a little
        // later; setting it here makes the change immediate and the same everywhere.
        if (decision.to !== decision.from) await deps.capacity.setDesiredCount(svc.cluster, svc.service, decision.to);
      }
    } catch (e) {
      // Give the cooldown back (the action did not happen) and record the failure; EventBridge retries.
      const failed: MaintenanceAction = { ...action, outcome: MaintenanceOutcome.Failed, at: nowIso(), error: `${(e as Error).name}: ${(e as Error).message}` };
      await withState(svc, async (state) => ({
        next: {
          ...state,
          version: state.version + 1,
          lastActionAt: { ...state.lastActionAt, [key]: previous.lastActionAt[key] ?? 0 },
          history: [...state.history, failed].slice(-SCALING_HISTORY_LENGTH),
        },
        result: undefined,
      })).catch(() => undefined);
      await announce(failed).catch(() => undefined);
      throw e;
    }
    const changed = (decision.kind === 'scale' || decision.kind === 'set-bounds') && decision.to !== decision.from;
    const kept = changed && inFlight !== undefined ? await keepWorkerShare(svc, inFlight, decision.from) : undefined;
    const done = kept ? { ...action, reason: `${action.reason}; ${kept.sentence}`, detail: { ...action.detail, ...kept.detail } } : action;
    await announce(done);
    return done;
  }

  /**
   * A worker with a deployment in flight: its task sets are percentages of the desired count and
   * ECS rounds each up, so after a count change green's and blue's scales are set again for the
   * share in force (functions/core/traffic.ts keepShare): green and blue tasks sum to the new count
   * at the real share. A failure here is written on the action, not thrown: the count did change,
   * and EventBridge's retry would scale a second time (the next shift sets the scales anyway).
   */
  async function keepWorkerShare(
    svc: ServiceConfig,
    deploymentId: string,
    from: number,
  ): Promise<{ sentence: string; detail: Record<string, string | number | boolean> } | undefined> {
    // The schema-free test (config.ts's isWorkerService would bundle the configuration schema).
    if (trafficKindOf(svc) !== 'task-share') return undefined;
    const record = await deps.store.getDeployment(svc.name, svc.environment, deploymentId);
    const greenTaskSetId = record?.green?.taskSetId;
    if (record === undefined || isTerminal(record.status) || greenTaskSetId === undefined) {
      return { sentence: `share of tasks: deployment ${deploymentId} has no green task set yet`, detail: { traffic: 'task-share', share: 'unchanged' } };
    }
    const inForce = shareInForce(record.timeline, record.plan);
    try {
      const kept = await keepShare(
        deps.taskSets,
        {
          kind: 'task-share',
          cluster: svc.cluster,
          service: svc.service,
          ...(record.blue?.taskSetId ? { blueTaskSetId: record.blue.taskSetId } : {}),
          greenTaskSetId,
        },
        inForce,
        from,
      );
      const r = kept.reading.detail as { desiredCount: number; greenTasks: number; blueTasks: number };
      logger.info('share of tasks kept', { deploymentId, status: kept.status, percent: kept.percent, why: kept.why, reading: kept.reading.detail });
      return {
        sentence: `share of tasks (${inForce.phase} ${kept.percent} %) ${kept.status}: green ${r.greenTasks} / blue ${r.blueTasks} of ${r.desiredCount} (${kept.reading.greenPercent} % on green)${kept.why ? `: ${kept.why}` : ''}`,
        detail: {
          traffic: 'task-share',
          share: kept.status,
          percent: kept.percent,
          achievedPercent: kept.reading.greenPercent,
          greenTasks: r.greenTasks,
          blueTasks: r.blueTasks,
        },
      };
    } catch (e) {
      logger.error('share of tasks not kept', { deploymentId, error: `${(e as Error).name}: ${(e as Error).message}` });
      return {
        sentence: `share of tasks not set again (${(e as Error).name}: ${(e as Error).message}); the next shift sets it`,
        detail: { traffic: 'task-share', share: 'failed' },
      };
    }
  }

  async function onAlarm(raw: unknown): Promise<ScaleResult> {
    const event = parseEvent(AlarmStateChangeEvent, raw, { source: 'aws.cloudwatch', detailType: 'CloudWatch Alarm State Change' }, deps.env);
    const { alarmName, state } = event.detail;
    logger.appendKeys({ eventId: event.id, alarmName });
    if (state.value !== 'ALARM') return { ignored: `state ${state.value}: only ALARM scales`, actions: [] };
    const rules = rulesForAlarm(deps.env.config, alarmName);
    if (rules.length === 0) return { ignored: `no scaling rule names alarm ${alarmName}`, actions: [] };
    const actions: MaintenanceAction[] = [];
    for (const { service, rule, index } of rules) {
      actions.push(await applyRule(service, rule, index, `alarm ${alarmName} in ALARM`));
    }
    return { actions };
  }

  async function onSchedule(raw: unknown): Promise<ScaleResult> {
    const input = parseOrThrow(ScheduledScalingInput, raw, 'scheduled scaling input');
    const svc = requireService(deps.env, input.service, input.environment);
    const rule = svc.scaling?.rules[input.ruleIndex];
    if (rule?.schedule === undefined) {
      throw new ValidationError('scheduled scaling input', [
        `ruleIndex: ${input.ruleIndex} is not a schedule rule of ${svc.name}/${svc.environment} (scaling.rules has ${svc.scaling?.rules.length ?? 0})`,
      ]);
    }
    logger.appendKeys({ cutoverService: svc.name, environment: svc.environment, ruleIndex: input.ruleIndex });
    return { actions: [await applyRule(svc, rule, input.ruleIndex, `schedule ${rule.schedule}`)] };
  }

  async function setSuspended(svc: ServiceConfig, suspended: boolean, why: string): Promise<MaintenanceAction | undefined> {
    if (svc.scaling?.targetCpuPercent === undefined) return undefined;
    const resourceId = ecsResourceId(svc.cluster, svc.service);
    const target = await deps.targets.describe(resourceId);
    if (target === undefined || target.scaleInSuspended === suspended) return undefined;
    await deps.targets.setScaleInSuspended(resourceId, suspended);
    const action: MaintenanceAction = {
      kind: suspended ? MaintenanceActionKind.SuspendScaleIn : MaintenanceActionKind.ResumeScaleIn,
      service: svc.name,
      environment: svc.environment,
      target: resourceId,
      outcome: MaintenanceOutcome.Done,
      at: nowIso(),
      reason: why,
    };
    await announce(action);
    return action;
  }

  async function onDeployment(raw: unknown): Promise<ScaleResult> {
    const event = parseOrThrow(DeploymentEvent, raw, 'Cutover deployment event');
    const { service, environment, deploymentId } = event.detail;
    const kind = event['detail-type'];
    // Issue #14 (8): an event on the bus is a claim, not a fact. A replay, another account's or
    // region's event, or a start with no such deployment in flight changes nothing.
    if (event['replay-name'] !== undefined) return { ignored: `replayed from an archive (replay ${event['replay-name']}): replays change no scaling`, actions: [] };
    if (event.account !== deps.env.accountId || event.region !== deps.env.region) {
      return { ignored: `account ${event.account ?? '(none)'} / region ${event.region ?? '(none)'} is not this control plane's`, actions: [] };
    }
    const svc = requireService(deps.env, service, environment);
    logger.appendKeys({ cutoverService: service, environment, deploymentId });
    if (svc.scaling === undefined) return { ignored: `${service}/${environment} has no scaling configuration`, actions: [] };
    if (kind === LifecycleEvent.Started) {
      const record = deploymentId === undefined ? undefined : await deps.store.getDeployment(service, environment, deploymentId);
      if (record === undefined || isTerminal(record.status)) {
        logger.warn('deployment event not on record: ignored', { deploymentId, status: record?.status ?? null });
        return {
          ignored: `no deployment ${deploymentId ?? '(no deploymentId)'} of ${service}/${environment} is in flight on record${record ? ` (it is ${record.status})` : ''}: scale-in stays as it is`,
          actions: [],
        };
      }
      const a = await setSuspended(
        svc,
        true,
        `deployment ${deploymentId ?? ''} started: target tracking may scale out, not in, until it ends`,
      );
      return { actions: a ? [a] : [] };
    }
    if (!DEPLOYMENT_ENDED.includes(kind)) return { ignored: `${kind}: not a start or an end`, actions: [] };
    const busy = await deploymentInFlight(deps.store, svc.name, svc.environment, deps.clock.now(), 'inProgress');
    if (busy) return { ignored: `${busy.why}: scale-in stays deferred`, actions: [] };
    const actions: MaintenanceAction[] = [];
    const resumed = await setSuspended(svc, false, `deployment ${deploymentId ?? ''} ended (${kind}): target tracking may scale in again`);
    if (resumed) actions.push(resumed);
    const state = await deps.scaling.get(svc.name, svc.environment);
    const pending = state?.pending;
    if (pending === undefined) return { actions };
    const rule = svc.scaling.rules[pending.ruleIndex];
    if (rule === undefined || ruleKey(rule, pending.ruleIndex) !== pending.ruleKey) {
      await withState(svc, async (s) => ({ next: { ...s, version: s.version + 1, pending: undefined }, result: undefined }));
      return { actions };
    }
    if (pending.trigger === 'alarm' && pending.alarmName !== undefined) {
      const [alarm] = await deps.alarms.describe([pending.alarmName]);
      if (alarm?.state !== 'ALARM') {
        const dropped: MaintenanceAction = {
          kind: MaintenanceActionKind.Scale,
          service: svc.name,
          environment: svc.environment,
          target: ecsResourceId(svc.cluster, svc.service),
          outcome: MaintenanceOutcome.Skipped,
          at: nowIso(),
          reason: `deferred scale-in dropped: alarm ${pending.alarmName} is ${alarm?.state ?? 'gone'} now`,
        };
        await withState(svc, async (s) => ({
          next: { ...s, version: s.version + 1, pending: undefined, history: [...s.history, dropped].slice(-SCALING_HISTORY_LENGTH) },
          result: undefined,
        }));
        await announce(dropped);
        actions.push(dropped);
        return { actions };
      }
    }
    const trigger = `${pending.trigger === 'alarm' ? `alarm ${pending.alarmName} in ALARM` : `schedule ${rule.schedule}`} (deferred at ${pending.requestedAt})`;
    actions.push(await applyRule(svc, rule, pending.ruleIndex, trigger, true));
    return { actions };
  }

  return wrap(logger, async (raw: unknown) => {
    const source = typeof raw === 'object' && raw !== null ? (raw as { source?: unknown }).source : undefined;
    switch (source) {
      case 'aws.cloudwatch':
        return onAlarm(raw);
      case 'cutover.scheduler':
        return onSchedule(raw);
      case 'cutover':
        return onDeployment(raw);
      default:
        throw new ValidationError('scaling event', [
          `source: ${JSON.stringify(source)}; expected "aws.cloudwatch" (alarm), "cutover.scheduler" (schedule) or "cutover" (deployment events)`,
        ]);
    }
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): ScaleDeps {
  const ecs = makeClient(ECSClient, opts);
  return {
    env,
    clock,
    capacity: new EcsServiceCapacity(ecs),
    taskSets: new EcsTaskSetScales(ecs),
    targets: new AppAutoScalingTargets(makeClient(ApplicationAutoScalingClient, opts)),
    alarms: new CloudWatchAlarms(makeClient(CloudWatchClient, opts)),
    store: storeFor(opts, env),
    scaling: maintenanceStoreFor(opts, env),
    events: publisherFor(opts, env),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
