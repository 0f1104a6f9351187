/**
 * Deploy state machine, one `shift` step: make sure green can take the traffic (proportional
 * capacity scales it up first and waits), set the production weights, read them back and fail with
 * `WeightVerificationFailed` when AWS does not hold what was set.
 *
 * Safety: traffic never moves to a target group with fewer healthy targets than the step requires
 * (`InsufficientHealthyTargets`), weights always sum to 100 and only name the service's two groups.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsTaskSets } from '../aws/ecs.js';
import { ElbTargetHealth, ElbTrafficRouter } from '../aws/elb.js';
import type { DeployContext, StepItem } from '../core/deploy-state.js';
import { HealthCheckTimeout, InsufficientHealthyTargets, LiveStateInvalid, ValidationError, WeightVerificationFailed } from '../core/errors.js';
import { LifecycleEvent, type Route, type TargetGroupWeight } from '../core/model.js';
import { targetOf, trafficFor, trafficKindOfCtx } from '../core/traffic.js';
import { requiredHealthyTargets, weightsFor } from '../core/plan.js';
import type { Clock, DeploymentStore, EventPublisher, TargetHealthReader, TaskSets, TrafficRouter } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { publisherFor } from './shared/clients.js';
import { storeFor } from './shared/store.js';
import { failIfAlarmRecorded } from './shared/alarm-check.js';
import { ctxOf, entry, eventDetail, sameWeights } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface ShiftDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly router: TrafficRouter;
  readonly health: TargetHealthReader;
  readonly taskSets: TaskSets;
  readonly store: DeploymentStore;
  readonly events: EventPublisher;
  readonly logLevel?: string;
}

export const SCALE_CHECK_SECONDS = 15;

const Payload = z.object({ item: z.unknown() });

/** The weights for `percent` on green; on a first deployment the other group is the idle one. */
export function targetWeights(ctx: DeployContext, percent: number): TargetGroupWeight[] {
  const green = ctx.greenTargetGroupArn;
  const other = ctx.blue?.targetGroupArn ?? ctx.targetGroupArns?.find((tg) => tg !== green);
  if (!other || !green) throw new LiveStateInvalid('the service has no second target group');
  return weightsFor(percent, other, green);
}

/**
 * A worker's shift (traffic `task-share`): green and blue scaled to the step's share of tasks
 * (green first), then read back; pending (tasks still starting) is looked at again every
 * SCALE_CHECK_SECONDS until the health timeout. The timeline and the event carry the share actually
 * achieved (1 task of 3 is 33 %).
 */
async function shiftWorker(deps: ShiftDeps, item: StepItem, percent: number, now: number): Promise<StepItem> {
  const state = item.state;
  const ctx = ctxOf(state, deps.env);
  const { service, environment, deploymentId } = state.request;
  const traffic = trafficFor(targetOf(ctx, state.green?.taskSetId), { taskSets: deps.taskSets });
  await traffic.setShare(percent);
  const v = await traffic.verify(percent);
  if (v.status === 'pending') {
    const deadlineMs = item.shift?.deadlineMs ?? now + ctx.healthTimeoutSeconds * 1000;
    if (now >= deadlineMs) {
      throw new HealthCheckTimeout(`[traffic: ${traffic.kind}] the shift to ${percent} % did not settle within ${ctx.healthTimeoutSeconds} s: ${v.why}`, {
        details: { traffic: traffic.kind, percent, reading: v.reading },
      });
    }
    return { ...item, shift: { status: 'scaling', waitSeconds: SCALE_CHECK_SECONDS, deadlineMs } };
  }
  const { greenPercent, detail } = v.reading;
  await deps.store.appendTimeline(service, environment, deploymentId,
    entry(`shift-${item.index}`, 'shift', deps.clock.now(), { traffic: traffic.kind, percent, achievedPercent: greenPercent, tasks: detail }));
  await deps.events.publish(LifecycleEvent.StepCompleted,
    eventDetail(state, { step: item.index, kind: 'shift', traffic: traffic.kind, percent, achievedPercent: greenPercent }));
  return { ...item, shift: { status: 'done', waitSeconds: 0, deadlineMs: 0 } };
}

export function createHandler(deps: ShiftDeps): Handler<unknown, StepItem> {
  const logger = makeLogger('cutover-shift', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const item = parseOrThrow(Payload, event, 'shift payload').item as StepItem;
    if (item.step?.kind !== 'shift') throw new ValidationError('shift payload', ['item.step.kind: expected "shift"']);
    const state = item.state;
    const ctx = ctxOf(state, deps.env);
    const { service, environment, deploymentId } = state.request;
    logger.appendKeys({ deploymentId, cutoverService: service, environment, step: item.index });
    if (!state.green) throw new LiveStateInvalid('green task set missing from the state');
    const percent = item.step.percent;
    const now = deps.clock.now();
    // An alarm that fired while no wait held a token (during the last Analyze or Shift) stops it here.
    await failIfAlarmRecorded(deps.store, state.request, `the shift to ${percent} %`);
    // A bake ended by an operator leaves its token behind: nothing waits on it any more.
    await deps.store.setTaskToken(service, environment, deploymentId, undefined);
    if (trafficKindOfCtx(ctx) === 'task-share') return shiftWorker(deps, item, percent, now);
    const greenTg = ctx.greenTargetGroupArn as string;
    const route = ctx.route as Route;

    // 1. Capacity: green must be able to serve `percent` of production.
    const svc = await deps.taskSets.describeService(ctx.cluster, ctx.ecsService);
    const green = svc.taskSets.find((t) => t.id === state.green?.taskSetId);
    if (!green) throw new LiveStateInvalid(`green task set ${state.green.taskSetId} is gone`);
    const required = requiredHealthyTargets(svc.desiredCount, percent, ctx.capacity);
    if (ctx.capacity === 'proportional' && green.scalePercent < percent) {
      await deps.taskSets.updateScale(ctx.cluster, ctx.ecsService, green.id, percent);
    }
    const { healthy } = await deps.health.health(greenTg);
    if (healthy < required) {
      if (ctx.capacity === 'proportional') {
        const deadlineMs = item.shift?.deadlineMs ?? now + ctx.healthTimeoutSeconds * 1000;
        if (now >= deadlineMs) {
          throw new HealthCheckTimeout(`green did not reach ${required} healthy targets for ${percent} % within ${ctx.healthTimeoutSeconds} s (${healthy} healthy)`);
        }
        return { ...item, shift: { status: 'scaling', waitSeconds: SCALE_CHECK_SECONDS, deadlineMs } };
      }
      throw new InsufficientHealthyTargets(
        `green target group has ${healthy} healthy targets; a shift to ${percent} % needs ${required}`,
        { details: { healthy, required, percent } },
      );
    }

    // 2. Set, then read back what AWS holds (the alb-weights shape: a listener settles at once).
    const wanted = targetWeights(ctx, percent);
    const traffic = trafficFor(targetOf(ctx, state.green.taskSetId), { router: deps.router });
    await traffic.setShare(percent);
    const v = await traffic.verify(percent);
    const held = v.reading.detail.weights as TargetGroupWeight[];
    if (v.status === 'pending' || !sameWeights(wanted, held)) {
      throw new WeightVerificationFailed(
        `after setting ${JSON.stringify(wanted)} the ${route.kind} holds ${JSON.stringify(held)}`,
        { details: { wanted, held } },
      );
    }
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry(`shift-${item.index}`, 'shift', deps.clock.now(), { traffic: traffic.kind, percent, weights: held, healthy, required }));
    await deps.events.publish(LifecycleEvent.StepCompleted, eventDetail(state, { step: item.index, kind: 'shift', percent, weights: held }));
    return { ...item, shift: { status: 'done', waitSeconds: 0, deadlineMs: 0 } };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): ShiftDeps {
  const elb = makeClient(ElasticLoadBalancingV2Client, opts);
  return {
    env,
    clock,
    router: new ElbTrafficRouter(elb),
    health: new ElbTargetHealth(elb),
    taskSets: new EcsTaskSets(makeClient(ECSClient, opts)),
    store: storeFor(opts, env),
    events: publisherFor(opts, env),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
