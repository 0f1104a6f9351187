/**
 * Deploy state machine, first states.
 * - `validate` (before the lock): parse the execution input, find the service, create the record
 *   (QUEUED). Bad input fails here with ValidationError / UnknownService and writes nothing.
 * - `inspect` (after the lock): read the live side from the listener (AWS over the store), gate the
 *   image, plan the steps, mark the record IN_PROGRESS and announce `Deployment Started`.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcrImages } from '../aws/ecr.js';
import { EcsTaskDefinitions, EcsTaskSets } from '../aws/ecs.js';
import { describeNativeService } from '../aws/ecs-native-service.js';
import { ElbTrafficRouter } from '../aws/elb.js';
import { revisionProblems } from '../core/boundary.js';
import { type RollbackProof, rollbackProof } from '../core/rollback-proof.js';
import type { ServiceConfig } from '../core/config.js';
import { DeployRequestSchema } from '../core/deploy-request.js';
import { type DeployContext, type DeployState, imageUri, MAX_REQUESTED_AT_SKEW_SECONDS } from '../core/deploy-state.js';
import { ImageNotFound, ImageRejected, ImageScanPending, LiveStateInvalid, ValidationError, WeightVerificationFailed } from '../core/errors.js';
import { gatesOf, imageGateVerdict, SCAN_POLL_SECONDS, scanResultOf } from '../core/gates.js';
import { resolveLiveSide, resolveWorkerLiveSide } from '../core/live-side.js';
import { albDimensionOf, loadBalancerDimension } from '../core/metrics-dimensions.js';
import { type DeploymentRecord, DeploymentStatus, isTerminal, LifecycleEvent, type Route, type Side, type TargetGroupWeight } from '../core/model.js';
import { engineOf, strategyFor, strategyOptionsOf } from '../core/native.js';
import { planSteps, weightsFor, workerPlan } from '../core/plan.js';
import { trafficKindOf } from '../core/services.js';
import type { Clock, DeploymentStore, EventPublisher, ImageRegistry, NativeDeployments, TaskDefinitions, TaskSets, TrafficRouter } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { entry, eventDetail, sameWeights, serviceFor } from './shared/deploy.js';
import { publisherFor } from './shared/clients.js';
import { tableFor } from './shared/store.js';
import { bindTable } from '../aws/store-items.js';
import { appendTimeline, createDeployment, listDeployments, updateDeployment } from '../aws/store-deployments.js';
import { getStable } from '../aws/store-stable.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type DeploymentMetrics, emfMetrics, METRIC } from './shared/metrics.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface PrepareDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly router: TrafficRouter;
  readonly taskSets: TaskSets;
  readonly images: ImageRegistry;
  /** Describes a pinned revision (a rollback) before it is accepted. */
  readonly taskDefinitions: Pick<TaskDefinitions, 'describeRevision'>;
  readonly store: Pick<DeploymentStore, 'appendTimeline' | 'createDeployment' | 'getStable' | 'listDeployments' | 'updateDeployment'>;
  readonly events: EventPublisher;
  /** ECS's own deployments (engine native): the live service's revision and target groups. */
  readonly native?: Pick<NativeDeployments, 'describeService'>;
  readonly deploymentMetrics?: DeploymentMetrics;
  readonly logLevel?: string;
}

const Payload = z.object({
  action: z.enum(['validate', 'inspect']),
  state: z.unknown(),
  executionArn: z.optional(z.string()),
  /** `$$.Execution.Name`: the deployment id must equal it (one execution per deployment). */
  executionName: z.optional(z.string()),
});


/**
 * A rollback deployment (the rollback state machine deploying an earlier revision) goes all at once
 * after the health gate: the version already ran in production, and every minute on the current one
 * is what the operator is rolling back from.
 */
export const ROLLBACK_PLAN = { strategy: 'rollback', steps: [{ kind: 'shift' as const, percent: 100 }] };

const isRollback = (state: DeployState): boolean => state.request.trigger.kind === 'rollback';

/**
 * The alarms a deployment watches. None for a rollback deployment: they are most likely firing
 * because of the version being rolled back, and must not send traffic back to it.
 */
function watchedAlarms(svc: ServiceConfig, state: DeployState): string[] {
  return isRollback(state) ? [] : [...svc.alarms];
}

/** The plan: one shift to 100 % for a first deployment or a rollback, else the configured steps (`steps`). */
function planFor(state: DeployState, firstDeployment: boolean, steps: () => DeployContext['plan']): DeployContext['plan'] {
  if (firstDeployment) return { strategy: 'first-deployment', steps: [{ kind: 'shift' as const, percent: 100 }] };
  return isRollback(state) ? ROLLBACK_PLAN : steps();
}

/** What a deployment's context holds whatever its traffic shape (ALB weights or share of tasks). */
function commonContext(
  svc: ServiceConfig,
  state: DeployState,
  at: { readonly plan: DeployContext['plan']; readonly firstDeployment: boolean; readonly desiredCount: number; readonly now: number },
) {
  return {
    firstDeployment: at.firstDeployment,
    plan: at.plan,
    capacity: svc.capacity,
    desiredCount: at.desiredCount,
    healthTimeoutSeconds: svc.healthTimeoutSeconds,
    terminationWaitSeconds: at.firstDeployment ? 0 : svc.terminationWaitSeconds,
    alarmNames: watchedAlarms(svc, state),
    analysis: svc.analysis,
    image: state.request.image as DeployContext['image'],
    startedAt: new Date(at.now).toISOString(),
    ...(gatesOf(svc) ? { gates: gatesOf(svc) } : {}),
  };
}

export function routeOf(svc: ServiceConfig): Route {
  return svc.listenerRuleArn ? { kind: 'rule', arn: svc.listenerRuleArn } : { kind: 'listener', arn: svc.listenerArn as string };
}

/**
 * What a caller declares is trusted only with proof (DESIGN.md: the configuration is the security
 * boundary), checked before the record exists, so a refusal changes nothing:
 * - `deploymentId` equals the execution's name: a second execution cannot join (and take over) a
 *   deployment in flight, and an abort stops the execution that owns the deployment.
 * - a pinned `taskDefinitionArn` only with `trigger.kind: "rollback"` and vice versa (a rollback
 *   skips the scan gate and the alarms, and goes all at once), and only for a version of this
 *   service on record as promoted, whose revision ECS describes as of the service's family, running
 *   the configured repository at the digest, with roles `taskRoleArns` allows;
 * - `image.tag` points at the digest in ECR (or, for a rollback, is the tag on record).
 */
async function trustProblems(deps: PrepareDeps, svc: ServiceConfig, request: DeployState['request'], executionName: string | undefined): Promise<string[]> {
  const problems: string[] = [];
  if (executionName !== request.deploymentId) {
    problems.push(
      `deploymentId: "${request.deploymentId}" must equal the execution's name (${executionName === undefined ? 'none was given' : `"${executionName}"`}); start the execution with name = deploymentId (intake, reconcile, release, the rollback state machine and cutover deploy do)`,
    );
  }
  const pinned = request.taskDefinitionArn;
  const rollback = request.trigger.kind === 'rollback';
  let proof: RollbackProof | undefined;
  if (pinned !== undefined && !rollback) {
    problems.push(`taskDefinitionArn: a pinned revision is accepted only for a rollback; omit it to deploy the image on the stable revision, or start the rollback state machine (toVersion) to go back to a version`);
  }
  if (rollback && pinned === undefined) {
    problems.push(`trigger.kind: "rollback" deploys a revision this service ran before and needs taskDefinitionArn; start the rollback state machine instead`);
  }
  if (rollback && pinned !== undefined) {
    const { service, environment } = request;
    const [records, stable] = await Promise.all([deps.store.listDeployments(service, environment), deps.store.getStable(service, environment)]);
    proof = rollbackProof(svc, records, stable, pinned, request.image.digest);
    if (!proof) {
      problems.push(
        `taskDefinitionArn: ${pinned} with ${request.image.digest} is not a version of ${service}/${environment} on record as promoted; roll back to a deployment id or revision from cutover history (the rollback state machine)`,
      );
    } else {
      const revision = await deps.taskDefinitions.describeRevision(pinned);
      problems.push(...revisionProblems(svc, deps.env.config.taskRoleArns, revision, pinned, request.image.digest, deps.env));
    }
  }
  const tag = request.image.tag;
  if (tag !== undefined) {
    // An image that does not exist fails at Inspect (ImageNotFound), with the gate's message.
    const image = await deps.images.describeImage(request.image.repository, request.image.digest);
    if (image && !image.tags.includes(tag) && !(proof && proof.tag === tag)) {
      problems.push(
        `image.tag: "${tag}" does not point at ${request.image.digest} in ECR ${request.image.repository} (the image carries ${image.tags.length > 0 ? image.tags.map((t) => `"${t}"`).join(', ') : 'no tag'}); omit the tag or name one the image carries`,
      );
    }
  }
  return problems;
}

async function validate(deps: PrepareDeps, rawState: unknown, executionArn: string | undefined, executionName: string | undefined): Promise<DeployState> {
  const request = parseOrThrow(DeployRequestSchema, rawState, 'deployment input');
  const state: DeployState = { request, ...(executionArn ? { executionArn } : {}) };
  const svc = serviceFor(deps.env, state);
  if (request.image.repository !== svc.repository) {
    throw new ValidationError('deployment input', [
      `image.repository: "${request.image.repository}" does not feed service "${svc.name}" (it deploys from "${svc.repository}")`,
    ]);
  }
  const uri = imageUri(deps.env.accountId, deps.env.region, request.image.repository, request.image.digest);
  if (request.image.uri !== undefined && !request.image.uri.endsWith(`@${request.image.digest}`)) {
    throw new ValidationError('deployment input', [`image.uri: must name the image by its digest (…@${request.image.digest}), never by tag`]);
  }
  const untrusted = await trustProblems(deps, svc, request, executionName);
  if (untrusted.length > 0) throw new ValidationError('deployment input', untrusted);
  const now = deps.clock.now();
  // Trusted time (issue #14, item 3): the lock orders deployments by requestedAt, so one dated in
  // the future would supersede every later push. Refused beyond the clock skew; never later than now.
  const claimedMs = Date.parse(request.requestedAt);
  if (claimedMs > now + MAX_REQUESTED_AT_SKEW_SECONDS * 1000) {
    throw new ValidationError('deployment input', [
      `requestedAt: ${request.requestedAt} is more than ${MAX_REQUESTED_AT_SKEW_SECONDS} s in the future; send the push or request time (or now)`,
    ]);
  }
  const record: DeploymentRecord = {
    deploymentId: request.deploymentId,
    service: request.service,
    environment: request.environment,
    status: DeploymentStatus.QUEUED,
    image: { ...request.image, uri },
    strategy: svc.strategy.type,
    alarmNames: watchedAlarms(svc, state),
    timeline: [entry('queued', 'queued', now, { trigger: request.trigger })],
    ...(executionArn ? { executionArn } : {}),
    createdAt: new Date(now).toISOString(),
    updatedAt: new Date(now).toISOString(),
  };
  const { record: stored, created } = await deps.store.createDeployment(record);
  if (!created && isTerminal(stored.status)) {
    throw new ValidationError('deployment input', [
      `deploymentId: ${request.deploymentId} already ended ${stored.status}; deploy again under a new deploymentId (cutover deploy makes one)`,
    ]);
  }
  const requestedAt = claimedMs > now ? new Date(now).toISOString() : request.requestedAt;
  return { ...state, request: { ...request, requestedAt, image: { ...request.image, uri } } };
}

async function gateImage(deps: PrepareDeps, svc: ServiceConfig, state: DeployState): Promise<void> {
  const { repository, digest } = state.request.image;
  const image = await deps.images.describeImage(repository, digest);
  if (!image) {
    throw new ImageNotFound(`Image ${repository}@${digest} does not exist in ECR; push it, or check the repository and digest`);
  }
  const gate = svc.imageScan.blockSeverity;
  // A rollback goes back to an image that already went live: its scan does not stop it.
  if (gate === 'NONE' || isRollback(state)) return;
  // The scan as DescribeImageScanFindings reports it; an unfinished one is waited for (the ASL's
  // WaitForImageScan loop, on ImageScanPending) up to imageScan.waitSeconds after the push.
  const scan = await deps.images.scanFindings(repository, digest);
  const now = deps.clock.now();
  const verdict = imageGateVerdict({
    image: `${repository}@${digest}`,
    blockSeverity: gate,
    waitSeconds: svc.imageScan.waitSeconds,
    onTimeout: svc.imageScan.onTimeout,
    scan: scanResultOf(scan.status, scan.findingCounts, scan.description),
    pushedAtMs: Date.parse(image.pushedAt ?? state.request.requestedAt),
    nowMs: now,
  });
  if (verdict.decision === 'reject') throw new ImageRejected(verdict.message, { details: verdict.details });
  if (verdict.decision === 'wait') {
    const { service, environment, deploymentId } = state.request;
    await deps.store.appendTimeline(service, environment, deploymentId,
      entry('image-scan-pending', 'gate', now, { scanStatus: verdict.status, waitSeconds: svc.imageScan.waitSeconds }));
    throw new ImageScanPending(
      `Image scan of ${repository}@${digest} is ${verdict.status}; looking again in ${SCAN_POLL_SECONDS} s (at most ${verdict.remainingSeconds} s more, imageScan.waitSeconds)`,
      { details: { scanStatus: verdict.status, remainingSeconds: verdict.remainingSeconds } },
    );
  }
}

/**
 * A route that forwards to blue alone (a plain `forward` to one target group, or a ForwardConfig
 * naming only blue: what the console and the CDK set up) leaves green's target group on no
 * listener, and ECS refuses CreateTaskSet for a target group with no associated load balancer (its
 * targets would stay `unused`, Target.NotInUse; ECS API reference, CreateTaskSet). So green is added
 * at weight 0 beside blue here, after the image gate, and read back; no traffic moves. ECS may
 * need a moment to see the association: CreateGreen retries that answer (AwsUnavailable).
 */
async function addGreenAtZero(
  deps: PrepareDeps,
  state: DeployState,
  route: Route,
  blueTg: string,
  greenTg: string,
  found: readonly TargetGroupWeight[],
): Promise<void> {
  const wanted = weightsFor(0, blueTg, greenTg);
  await deps.router.setWeights(route, wanted);
  const held = await deps.router.readWeights(route);
  if (!held.some((w) => w.targetGroupArn === greenTg && w.weight === 0) || !sameWeights(wanted, held)) {
    throw new WeightVerificationFailed(`adding green ${greenTg} at weight 0 beside blue set ${JSON.stringify(wanted)} but the ${route.kind} holds ${JSON.stringify(held)}`, {
      details: { route, wanted, held },
    });
  }
  await deps.store.appendTimeline(state.request.service, state.request.environment, state.request.deploymentId,
    entry('green-on-route', 'repair', deps.clock.now(), { found, weights: held, why: 'the route forwarded to blue alone; green added at weight 0 so ECS can attach its task set' }));
}

/**
 * Inspect for a worker (no load balancer, traffic `task-share`): blue is the PRIMARY task set; a
 * split left by an interrupted deployment (another task set still sized above 0) is put back on blue
 * first; blue's version is the CUTOVER_VERSION of its revision (what its metrics carry).
 */
async function inspectWorker(deps: PrepareDeps, state: DeployState, svc: ServiceConfig): Promise<DeployState> {
  const now = deps.clock.now();
  const service = await deps.taskSets.describeService(svc.cluster, svc.service);
  // CODE_DEPLOY refused with the steps to switch; a configured engine that disagrees: EngineMismatch.
  if (engineOf({ serviceName: `${svc.cluster}/${svc.service}`, deploymentController: { type: service.deploymentController } }, svc.engine) === 'native') {
    // No load balancer in the configuration: Service Connect or no traffic at all (blue/green only).
    return inspectNative(deps, state, svc, undefined);
  }
  const live = resolveWorkerLiveSide(service.taskSets);
  const { service: name, environment, deploymentId } = state.request;
  if (live.split && live.blue) {
    await deps.taskSets.updateScale(svc.cluster, svc.service, live.blue, 100);
    for (const id of live.others) await deps.taskSets.updateScale(svc.cluster, svc.service, id, 0);
    await deps.store.appendTimeline(name, environment, deploymentId,
      entry('repaired-split', 'repair', now, { traffic: 'task-share', bluePercent: live.bluePercent, scaledToZero: live.others }));
  }
  await gateImage(deps, svc, state);
  const primary = service.taskSets.find((t) => t.id === live.blue);
  const firstDeployment = primary === undefined;
  if (firstDeployment && !svc.bootstrap) {
    throw new LiveStateInvalid(
      `ECS service ${svc.cluster}/${svc.service} has no task set yet; set services[].bootstrap (task definition and network settings) for its first deployment`,
    );
  }
  let blue: Side | undefined;
  if (primary) {
    const revision = await deps.taskDefinitions.describeRevision(primary.taskDefinitionArn);
    const version = revision?.containers.find((c) => c.name === svc.containerName)?.environment?.CUTOVER_VERSION;
    blue = { taskSetId: primary.id, taskSetArn: primary.arn, taskDefinitionArn: primary.taskDefinitionArn, ...(version ? { version } : {}) };
  }
  const plan = planFor(state, firstDeployment, () => workerPlan(planSteps(svc.strategy)));
  const ctx: DeployContext = {
    cluster: svc.cluster,
    ecsService: svc.service,
    containerName: svc.containerName,
    traffic: 'task-share',
    ...(blue ? { blue } : {}),
    ...commonContext(svc, state, { plan, firstDeployment, desiredCount: service.desiredCount, now }),
  };
  await deps.store.updateDeployment(name, environment, deploymentId, {
    status: DeploymentStatus.IN_PROGRESS,
    plan,
    ...(blue ? { blue } : {}),
    green: { version: deploymentId },
    ...(state.executionArn ? { executionArn: state.executionArn } : {}),
  });
  await deps.store.appendTimeline(name, environment, deploymentId,
    entry('started', 'started', now, { traffic: 'task-share', bluePercent: live.bluePercent, blue: blue ?? null, desiredCount: service.desiredCount, plan: plan.steps }));
  await deps.events.publish(LifecycleEvent.Started, eventDetail(state, { strategy: plan.strategy, firstDeployment, traffic: 'task-share' }));
  deps.deploymentMetrics?.put(METRIC.started, 1, 'Count', { service: name, environment });
  return { ...state, ctx };
}

async function inspect(deps: PrepareDeps, state: DeployState): Promise<DeployState> {
  const svc = serviceFor(deps.env, state);
  if (trafficKindOf(svc) === 'task-share') return inspectWorker(deps, state, svc);
  const route = routeOf(svc);
  const targetGroupArns = svc.targetGroupArns as readonly [string, string];
  const now = deps.clock.now();
  const [weights, service] = await Promise.all([
    deps.router.readWeights(route),
    deps.taskSets.describeService(svc.cluster, svc.service),
  ]);
  // The engine per service (issue #17): task sets for EXTERNAL, ECS's own deployments for ECS;
  // CODE_DEPLOY refused with the steps to switch in place; a configured engine that disagrees: EngineMismatch.
  const engine = engineOf({ serviceName: `${svc.cluster}/${svc.service}`, deploymentController: { type: service.deploymentController } }, svc.engine);
  if (engine === 'native') return inspectNative(deps, state, svc, { route, weights });
  const primarySet = service.taskSets.find((t) => t.status === 'PRIMARY');
  const primaryTg = primarySet?.targetGroupArns.find((tg) => targetGroupArns.includes(tg));
  const live = resolveLiveSide(weights, targetGroupArns, primaryTg);
  // Blue is the task set behind the live target group (the listener decides, not the PRIMARY flag).
  const onBlue = service.taskSets.filter((t) => t.targetGroupArns.includes(live.blue) && t.status !== 'DRAINING');
  const primary = onBlue.find((t) => t.status === 'PRIMARY') ?? onBlue[0];
  if (!primary && service.taskSets.some((t) => t.status !== 'DRAINING')) {
    throw new LiveStateInvalid(
      `the listener sends production to ${live.blue} but no task set of ${svc.cluster}/${svc.service} is attached to it; roll back the interrupted deployment or fix the listener`,
    );
  }
  if (live.split) {
    // An interrupted deployment left traffic split: put it all back on the primary before starting.
    await deps.router.setWeights(route, weightsFor(0, live.blue, live.green));
    await deps.store.appendTimeline(state.request.service, state.request.environment, state.request.deploymentId,
      entry('repaired-split', 'repair', now, { found: weights }));
  }
  await gateImage(deps, svc, state);

  const firstDeployment = primary === undefined;
  if (firstDeployment && !svc.bootstrap) {
    throw new LiveStateInvalid(
      `ECS service ${svc.cluster}/${svc.service} has no task set yet; set services[].bootstrap (task definition and network settings) for its first deployment`,
    );
  }
  if (!firstDeployment && !weights.some((w) => w.targetGroupArn === live.green)) await addGreenAtZero(deps, state, route, live.blue, live.green, weights);
  const blue: Side | undefined = primary
    ? {
        targetGroupArn: live.blue,
        taskSetId: primary.id,
        taskSetArn: primary.arn,
        taskDefinitionArn: primary.taskDefinitionArn,
      }
    : undefined;
  // First deployment: green goes on the target group the listener already sends everything to.
  const greenTargetGroupArn = firstDeployment ? live.blue : live.green;
  const plan = planFor(state, firstDeployment, () => planSteps(svc.strategy));
  const ctx: DeployContext = {
    cluster: svc.cluster,
    ecsService: svc.service,
    containerName: svc.containerName,
    route,
    ...(svc.testListenerArn ? { testListenerArn: svc.testListenerArn } : {}),
    targetGroupArns,
    ...(blue ? { blue } : {}),
    greenTargetGroupArn,
    loadBalancerDimension: loadBalancerDimension(route.arn),
    ...commonContext(svc, state, { plan, firstDeployment, desiredCount: service.desiredCount, now }),
  };
  const { service: name, environment, deploymentId } = state.request;
  await deps.store.updateDeployment(name, environment, deploymentId, {
    status: DeploymentStatus.IN_PROGRESS,
    plan,
    ...(blue ? { blue } : {}),
    green: { targetGroupArn: greenTargetGroupArn },
    ...(state.executionArn ? { executionArn: state.executionArn } : {}),
  });
  await deps.store.appendTimeline(name, environment, deploymentId,
    entry('started', 'started', now, { weights, blue: blue ?? null, greenTargetGroupArn, plan: plan.steps }));
  await deps.events.publish(LifecycleEvent.Started, eventDetail(state, { strategy: plan.strategy, firstDeployment }));
  deps.deploymentMetrics?.put(METRIC.started, 1, 'Count', { service: name, environment });
  return { ...state, ctx };
}

/**
 * Inspect for an ECS-controller service (engine native): ECS moves the traffic, so Cutover reads the
 * service as it is — its revision, its traffic shape (an ALB rule or NLB listener with production and
 * alternate target groups, Service Connect, or none), where its tasks run — gates the image and maps
 * the strategy (strategyFor; a step list ECS cannot express was refused at synth and is refused here
 * again). Nothing on the load balancer or the service is written; a configuration that names other
 * target groups or another rule than the service's own is refused (LiveStateInvalid, both named).
 */
async function inspectNative(
  deps: PrepareDeps,
  state: DeployState,
  svc: ServiceConfig,
  lb: { readonly route: Route; readonly weights: readonly TargetGroupWeight[] } | undefined,
): Promise<DeployState> {
  if (!deps.native) throw new LiveStateInvalid('the native engine is not available to this function (no ECS native adapter)');
  const now = deps.clock.now();
  const live = await deps.native.describeService(svc.cluster, svc.service);
  const name = `${svc.cluster}/${svc.service}`;
  if (!live.taskDefinitionArn) {
    throw new LiveStateInvalid(`ECS service ${name} runs no task definition yet; the native engine deploys a service that already runs (create it with its first revision)`);
  }
  const shape = live.serviceConnect ? 'service-connect' : live.targetGroupArn ? (/\/net\//.test(live.productionListenerRule ?? '') ? 'nlb' : 'alb') : 'headless';
  const liveTgs = [live.targetGroupArn, live.alternateTargetGroupArn].filter((t): t is string => !!t);
  if (lb) {
    const configured = svc.targetGroupArns ?? [];
    if (liveTgs.length !== 2 || configured.some((t) => !liveTgs.includes(t))) {
      throw new LiveStateInvalid(
        `ECS service ${name}: the configuration names target groups ${configured.join(', ')} but the service's load balancer uses ${liveTgs.join(', ') || 'none'} (production and advancedConfiguration.alternateTargetGroupArn); Cutover keeps the service's own: fix targetGroupArns`,
        { details: { configured, live: liveTgs } },
      );
    }
    if (live.productionListenerRule && live.productionListenerRule !== lb.route.arn) {
      throw new LiveStateInvalid(
        `ECS service ${name}: the configuration's ${lb.route.kind === 'rule' ? 'listenerRuleArn' : 'listenerArn'} is ${lb.route.arn} but ECS shifts production on ${live.productionListenerRule} (advancedConfiguration.productionListenerRule); set it to the service's own`,
        { details: { configured: lb.route.arn, live: live.productionListenerRule } },
      );
    }
  } else if ((shape === 'service-connect') !== (svc.serviceConnect === true)) {
    throw new LiveStateInvalid(
      `ECS service ${name} ${shape === 'service-connect' ? 'takes its traffic through Service Connect: set serviceConnect true' : 'has no Service Connect: remove serviceConnect (it deploys blue/green only)'} in the configuration`,
      { details: { live: shape, configured: svc.serviceConnect ?? false } },
    );
  } else if (shape === 'alb' || shape === 'nlb') {
    throw new LiveStateInvalid(
      `ECS service ${name} has a load balancer (${live.productionListenerRule ?? live.targetGroupArn}); name it in the configuration (listenerRuleArn or listenerArn, and targetGroupArns ${liveTgs.join(', ')}) so Cutover follows its traffic and watches the right target groups`,
      { details: { live: liveTgs } },
    );
  }
  await gateImage(deps, svc, state);
  // Blue: the target group holding production on the rule or listener (ECS alternates the two from one deployment to the next).
  const onProd = lb ? [...lb.weights].sort((a, b) => b.weight - a.weight)[0]?.targetGroupArn : undefined;
  const blueTg = onProd && liveTgs.includes(onProd) ? onProd : live.targetGroupArn;
  const greenTg = liveTgs.find((t) => t !== blueTg);
  const revision = await deps.taskDefinitions.describeRevision(live.taskDefinitionArn);
  const version = revision?.containers.find((c) => c.name === svc.containerName)?.environment?.CUTOVER_VERSION;
  const blue: Side = { taskDefinitionArn: live.taskDefinitionArn, ...(blueTg ? { targetGroupArn: blueTg } : {}), ...(version ? { version } : {}) };
  const plan = planFor(state, false, () => planSteps(svc.strategy));
  // The same options as the synth check and the hook (strategyOptionsOf); the live shape decides headless.
  const mapping = strategyFor(isRollback(state) ? ({ type: 'all-at-once', bakeSeconds: 0 } as ServiceConfig['strategy']) : svc.strategy, {
    ...strategyOptionsOf(svc, isRollback(state)),
    headless: shape === 'headless',
  });
  const ctx: DeployContext = {
    cluster: svc.cluster,
    ecsService: svc.service,
    containerName: svc.containerName,
    // The CloudWatch LoadBalancer dimension is an ALB's (an NLB has no per-target-group request metric).
    ...(lb
      ? { route: lb.route, targetGroupArns: svc.targetGroupArns as readonly [string, string], ...(albDimensionOf(lb.route.arn) ? { loadBalancerDimension: albDimensionOf(lb.route.arn) } : {}) }
      : { traffic: 'task-share' as const }),
    ...(svc.testListenerArn ? { testListenerArn: svc.testListenerArn } : {}),
    blue,
    ...(greenTg ? { greenTargetGroupArn: greenTg } : {}),
    ...commonContext(svc, state, { plan, firstDeployment: false, desiredCount: live.desiredCount, now }),
    terminationWaitSeconds: 0,
    engine: 'native',
    native: {
      serviceArn: live.arn,
      deploymentConfiguration: { ...mapping.deploymentConfiguration },
      lifecycleStages: mapping.lifecycleStages,
      hookTimeoutMinutes: mapping.hookTimeoutMinutes,
      ...(mapping.pauses.length > 0 ? { pauses: mapping.pauses } : {}),
      shape,
      ...(live.placement ? { placement: live.placement } : {}),
    },
  };
  const { service: svcName, environment, deploymentId } = state.request;
  await deps.store.updateDeployment(svcName, environment, deploymentId, {
    status: DeploymentStatus.IN_PROGRESS,
    plan,
    blue,
    green: { ...(greenTg ? { targetGroupArn: greenTg } : {}), version: deploymentId },
    ...(state.executionArn ? { executionArn: state.executionArn } : {}),
  });
  await deps.store.appendTimeline(svcName, environment, deploymentId,
    entry('started', 'started', now, { engine: 'native', shape, weights: lb?.weights ?? null, blue, greenTargetGroupArn: greenTg ?? null, plan: plan.steps, deploymentConfiguration: mapping.deploymentConfiguration, gates: mapping.gates }));
  await deps.events.publish(LifecycleEvent.Started, eventDetail(state, { strategy: plan.strategy, firstDeployment: false, engine: 'native' }));
  deps.deploymentMetrics?.put(METRIC.started, 1, 'Count', { service: svcName, environment });
  return { ...state, ctx };
}

export function createHandler(deps: PrepareDeps): Handler<unknown, DeployState> {
  const logger = makeLogger('cutover-prepare', deps.logLevel);
  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'prepare payload');
    if (payload.action === 'validate') {
      // The name is the ARN's last field (`arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME`).
      const name = payload.executionName ?? payload.executionArn?.split(':')[7];
      return validate(deps, payload.state, payload.executionArn, name);
    }
    const state = payload.state as DeployState;
    logger.appendKeys({ deploymentId: state.request?.deploymentId, cutoverService: state.request?.service });
    return inspect(deps, state);
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): PrepareDeps {
  const ecs = makeClient(ECSClient, opts);
  return {
    env,
    clock,
    router: new ElbTrafficRouter(makeClient(ElasticLoadBalancingV2Client, opts)),
    taskSets: new EcsTaskSets(ecs),
    images: new EcrImages(makeClient(ECRClient, opts)),
    taskDefinitions: new EcsTaskDefinitions(ecs),
    // Only the store operations bound here are bundled (functions/aws/store-items.ts bindTable).
    store: bindTable(tableFor(opts, env), { appendTimeline, createDeployment, getStable, listDeployments, updateDeployment }),
    events: publisherFor(opts, env),
    native: { describeService: (cluster, service) => describeNativeService(ecs, cluster, service) },
    deploymentMetrics: emfMetrics('cutover-prepare'),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
