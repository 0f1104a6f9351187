/**
 * The local rehearsal: the real deploy state machine (statemachines/deploy.asl.json) executed by
 * aws-local-stepfunctions with the real handlers, against the in-memory AWS world (ECS, ELB,
 * CloudWatch, ECR, Step Functions callbacks, EventBridge) and dynalite, on a virtual clock.
 *
 * Handlers get real SDK clients with one middleware added (the world answers every call except
 * DynamoDB's, which go to dynalite), so a handler cannot tell it is local. After every state the
 * safety invariants of DESIGN.md are checked; every violation is listed in the summary.
 */
import './polyfills.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Pluggable } from '@smithy/types';
import type { ClientOptions } from '../functions/aws/clients.js';
import { findService, type ServiceConfig } from '../functions/core/config.js';
import type { DeployRequest } from '../functions/core/deploy-state.js';
import { loadBalancerDimension, targetGroupDimension } from '../functions/core/metrics-dimensions.js';
import { checkSingleInFlight, checkTerminal, checkTrafficOnHealthy, checkWeights } from '../functions/core/invariants.js';
import { type DeploymentRecord, isTerminal, type TargetGroupWeight } from '../functions/core/model.js';
import { requiredHealthyTargets } from '../functions/core/plan.js';
import type { DeploymentStore } from '../functions/core/ports.js';
import * as alarmWatcher from '../functions/handlers/alarm-watcher.js';
import * as analyze from '../functions/handlers/analyze.js';
import * as bake from '../functions/handlers/bake.js';
import * as finish from '../functions/handlers/finish.js';
import * as green from '../functions/handlers/green.js';
import * as intake from '../functions/handlers/intake.js';
import * as lock from '../functions/handlers/lock.js';
import * as prepare from '../functions/handlers/prepare.js';
import * as promote from '../functions/handlers/promote.js';
import * as register from '../functions/handlers/register.js';
import * as rollback from '../functions/handlers/rollback.js';
import * as shift from '../functions/handlers/shift.js';
import { storeFor } from '../functions/handlers/shared/clients.js';
import type { HandlerEnv } from '../functions/handlers/shared/env.js';
import { recordingMetrics } from '../functions/handlers/shared/metrics.js';
import { VirtualClockImpl } from './clock.js';
import type { PutEvent } from './contracts.js';
import { LOCAL_CREDENTIALS, startLocalDynamo } from './dynamo.js';
import { type ExecutionRecord, LocalRunner } from './runner.js';
import type { Scenario, TimelineInput } from './scenario.js';
import type { AwsEvent } from './world/types.js';
import { World } from './world/world.js';

const STATE_MACHINES_DIR = fileURLToPath(new URL('../statemachines/', import.meta.url));

/** The Lambda functions of the control plane, by handler file name. */
const HANDLERS = {
  prepare,
  lock,
  register,
  green,
  shift,
  bake,
  analyze,
  promote,
  finish,
  rollback,
  intake,
  'alarm-watcher': alarmWatcher,
} as const;
type HandlerName = keyof typeof HANDLERS;

/** `alarm-watcher` -> `AlarmWatcher` (the ASL substitution key is `${AlarmWatcherFunctionArn}`). */
const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

const SERVICE_BY_CLIENT: Record<string, string> = {
  ECSClient: 'ECS',
  ElasticLoadBalancingV2Client: 'ElasticLoadBalancingV2',
  CloudWatchClient: 'CloudWatch',
  ECRClient: 'ECR',
  SFNClient: 'SFN',
  EventBridgeClient: 'EventBridge',
};

/**
 * The world answers every client but DynamoDB's (dynalite is the real thing); with `only`, just
 * those services (an `endpoint` run: Step Functions and EventBridge stay with the local runner).
 */
function worldPlugin(world: World, only?: readonly string[]): Pluggable<object, object> {
  return {
    applyToStack: (stack) => {
      stack.add(
        (next, context) => async (args) => {
          const service = SERVICE_BY_CLIENT[context.clientName ?? ''];
          if (!service || (only && !only.includes(service))) return next(args);
          const output = await world.call(service, (context.commandName ?? '').replace(/Command$/, ''), args.input);
          return { output, response: {} } as never;
        },
        { step: 'initialize', name: 'cutoverLocalWorld', priority: 'high', override: true },
      );
    },
  };
}

export interface RollbackReaction {
  /** States entered after the bake failed, up to and including the rollback task. */
  readonly transitions: number;
  /** From the alarm event to production weights back on blue. */
  readonly virtualSeconds: number;
}

export interface DeploymentSummary {
  readonly service: string;
  readonly environment: string;
  readonly deploymentId: string;
  readonly status: string;
  readonly reason: string | null;
  readonly reasonCode: string | null;
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  readonly virtualSeconds: number;
  readonly rollbackReaction: RollbackReaction | null;
}

export interface ScenarioSummary {
  readonly scenario: string;
  readonly deployments: DeploymentSummary[];
  readonly invariantViolations: string[];
}

/** What a report needs beyond the summary. */
export interface ScenarioTrace {
  readonly summary: ScenarioSummary;
  readonly startMs: number;
  readonly endMs: number;
  readonly records: DeploymentRecord[];
  readonly executions: ExecutionRecord[];
  /** Production weights of each service route after every change, in virtual time. */
  readonly weights: Array<{ at: number; service: string; environment: string; weights: TargetGroupWeight[] }>;
  readonly awsEvents: AwsEvent[];
  readonly lifecycleEvents: PutEvent[];
  readonly apiCalls: number;
  /** The data points the handlers published (DeploymentStarted, LeadTimeSeconds ...). */
  readonly deploymentMetrics: ReadonlyArray<{ name: string; value: number; unit: string; dimensions: Record<string, string> }>;
  readonly metrics: Array<{ at: number; targetGroupArn: string; requests: number; errors: number; latencyMs: number | null }>;
}

export interface ProgressEvent {
  readonly at: number;
  readonly deploymentId: string;
  readonly service: string;
  readonly environment: string;
  readonly state: string;
  readonly weights?: TargetGroupWeight[];
}

/** What programmatic actions (CLI tests, operator steps) can reach during a run. */
export interface RehearsalContext {
  /** Client options that reach this run's world and dynalite (for any SDK client or CLI command). */
  readonly clientOptions: ClientOptions;
  readonly env: HandlerEnv;
  readonly world: World;
  readonly runner: LocalRunner;
  readonly store: DeploymentStore;
  readonly clock: VirtualClockImpl;
  /** State machine ARNs by name (`deploy`, ...). */
  readonly stateMachines: Readonly<Record<string, string>>;
  /** Invoke one of the control plane's Lambda handlers by file name (`alarm-watcher`, ...). */
  invoke(handler: string, event: unknown): Promise<unknown>;
}

export interface RunOptions {
  readonly onProgress?: (event: ProgressEvent) => void;
  readonly seed?: number;
  /** Code to run at virtual times (seconds from the start), tracked so the clock waits for it. */
  readonly actions?: ReadonlyArray<{ readonly at: number; readonly label?: string; run(ctx: RehearsalContext): unknown }>;
  /**
   * Send ECS, ELB, CloudWatch and ECR calls to this AWS-API-compatible endpoint (the SDK's endpoint
   * override) instead of the in-memory world. The scenario's world must already exist there: the
   * run creates nothing and checks no world invariants. The state machines still run here, and the
   * table is dynalite unless `dynamodb` is given.
   */
  readonly endpoint?: string;
  /** An existing DynamoDB endpoint and table to use instead of dynalite. */
  readonly dynamodb?: { readonly endpoint: string; readonly tableName: string };
}

const fnArn = (accountId: string, region: string, name: string) => `arn:aws:lambda:${region}:${accountId}:function:cutover-${name}`;

function routeArnOf(svc: ServiceConfig): string {
  return svc.listenerRuleArn ?? (svc.listenerArn as string);
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioTrace> {
  const { accountId, region, config } = scenario;
  const clock = new VirtualClockImpl();
  const startMs = clock.now();
  const settings = scenario.world.settings;
  const world = new World({
    clock,
    accountId,
    region,
    seed: options.seed ?? 1,
    settings: {
      ...(settings?.taskStartDelaySeconds !== undefined ? { taskStartDelayMs: settings.taskStartDelaySeconds * 1000 } : {}),
      ...(settings?.healthCheckIntervalSeconds !== undefined ? { healthCheckIntervalSeconds: settings.healthCheckIntervalSeconds } : {}),
      ...(settings?.healthyThresholdCount !== undefined ? { healthyThresholdCount: settings.healthyThresholdCount } : {}),
    },
  });
  const remote = options.endpoint !== undefined;
  const dynamo = options.dynamodb
    ? { ...options.dynamodb, close: async () => undefined }
    : await startLocalDynamo('cutover-local', region);
  const runner = new LocalRunner({ clock, region, accountId, seed: options.seed ?? 1 });
  world.setStepFunctionsBackend({
    startExecution: (req) => runner.startExecution(req),
    sendTaskSuccess: (token, output) => runner.sendTaskSuccess(token, output),
    sendTaskFailure: (token, error, cause) => runner.sendTaskFailure(token, error, cause),
    describeExecution: (arn) => runner.describeExecution(arn),
    stopExecution: (arn, error, cause) => runner.stopExecution(arn, error, cause),
  });

  const deployArn = `arn:aws:states:${region}:${accountId}:stateMachine:cutover-deploy`;
  const env: HandlerEnv = {
    tableName: dynamo.tableName,
    eventBusName: 'cutover',
    accountId,
    region,
    deployStateMachineArn: deployArn,
    config,
  };
  const opts: ClientOptions = {
    region,
    dynamodbEndpoint: dynamo.endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...(remote ? { endpoint: options.endpoint } : {}),
    plugins: [worldPlugin(world, remote ? ['SFN', 'EventBridge'] : undefined)],
  };
  const vclock = { now: () => clock.now() };
  // The handlers' EMF metrics, recorded instead of printed.
  const deploymentMetrics = recordingMetrics();
  const invoke: Record<string, (event: unknown) => Promise<unknown>> = {};
  for (const [name, mod] of Object.entries(HANDLERS) as Array<[HandlerName, (typeof HANDLERS)[HandlerName]]>) {
    // biome-ignore lint/suspicious/noExplicitAny: every handler module has the same makeDeps/createHandler shape
    const deps = { ...(mod.makeDeps as any)(opts, env, vclock), logLevel: 'SILENT', deploymentMetrics };
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const handler = (mod.createHandler as any)(deps) as (event: unknown) => Promise<unknown>;
    invoke[name] = handler;
    runner.registerFunction(fnArn(accountId, region, name), (payload) => handler(payload));
  }
  const substitutions = Object.fromEntries(
    Object.keys(HANDLERS).map((name) => [`${pascal(name)}FunctionArn`, fnArn(accountId, region, name)]),
  );
  runner.registerStateMachine({
    name: 'cutover-deploy',
    arn: deployArn,
    definition: readFileSync(`${STATE_MACHINES_DIR}deploy.asl.json`, 'utf8'),
    substitutions,
  });
  const store: DeploymentStore = storeFor({ ...opts, plugins: [] }, env);

  // ---- the world as the scenario describes it
  for (const image of scenario.world.images) {
    world.setImageProfile(image.digest, image.profile);
    if (image.existsAtStart) world.pushImage(image.repository, image.digest, image.tags);
  }
  const services = scenario.world.services.map((ws) => {
    const svc = findService(config, ws.service, ws.environment ?? config.services.find((s) => s.name === ws.service)?.environment ?? '');
    if (!svc) throw new Error(`world.services: ${ws.service} is not configured`);
    if (remote) return svc;
    const image = scenario.world.images.find((im) => im.digest === ws.initialDigest);
    world.createService({
      cluster: svc.cluster,
      service: svc.service,
      desiredCount: ws.desiredCount,
      ...(svc.listenerRuleArn ? { rule: { arn: svc.listenerRuleArn } } : { listener: { arn: svc.listenerArn as string } }),
      targetGroupArns: svc.targetGroupArns,
      containerName: svc.containerName,
      containerPort: ws.containerPort,
      initialImage: { repository: svc.repository, digest: ws.initialDigest, ...(image?.tags[0] ? { tag: image.tags[0] } : {}) },
      ...(svc.testListenerArn ? { testListenerArn: svc.testListenerArn } : {}),
      requestsPerMinute: ws.requestsPerMinute,
    });
    return svc;
  });
  for (const alarm of remote ? [] : scenario.world.alarms) {
    const svc = services.find((s) => s.name === alarm.service && (!alarm.environment || s.environment === alarm.environment));
    if (!svc) continue;
    const tg = svc.targetGroupArns[alarm.targetGroupIndex];
    world.createAlarm({
      name: alarm.name,
      metric: alarm.metric,
      targetGroupArn: tg,
      threshold: alarm.threshold,
      statistic: alarm.statistic,
      evaluationPeriods: alarm.evaluationPeriods,
      datapointsToAlarm: alarm.datapointsToAlarm,
    });
  }

  // ---- EventBridge rules: ECR pushes to intake, alarm state changes to the alarm watcher
  const awsEvents: AwsEvent[] = [];
  world.onAwsEvent((event) => {
    awsEvents.push(event);
    if (event.source === 'aws.cloudwatch' && event['detail-type'] === 'CloudWatch Alarm State Change') {
      void runner.invokeAsync(`alarm-watcher ${event.id}`, () => invoke['alarm-watcher']?.(event));
    }
  });
  const lifecycleEvents: PutEvent[] = [];
  world.onPutEvent((e) => lifecycleEvents.push(e));

  const apply = (input: TimelineInput) => {
    switch (input.kind) {
      case 'push': {
        if (input.profile) world.setImageProfile(input.digest, input.profile);
        const event = world.pushImage(input.repository, input.digest, input.tag ? [input.tag] : []);
        awsEvents.push(event);
        for (let i = 0; i < input.deliveries; i++) {
          void runner.invokeAsync(`intake ${event.id}#${i}`, () => invoke.intake?.(event));
        }
        return;
      }
      case 'alarm':
        world.setAlarmState(input.name, input.state, input.reason);
        return;
      case 'fault':
        world.injectFault({ operation: input.operation, kind: input.fault, count: input.count ?? Number.POSITIVE_INFINITY });
        return;
      case 'event':
        void runner.invokeAsync(`${input.target} (scenario event)`, () => invoke[input.target]?.(input.event), { recordErrors: false }).catch(() => undefined);
        return;
      default: {
        const never: never = input;
        throw new Error(`unknown timeline input ${JSON.stringify(never)}`);
      }
    }
  };
  for (const input of scenario.timeline) clock.at(startMs + input.at * 1000, () => apply(input), { label: `timeline ${input.kind}@${input.at}` });
  const context: RehearsalContext = {
    clientOptions: opts,
    env,
    world,
    runner,
    store,
    clock,
    stateMachines: { deploy: deployArn },
    invoke: (handler, event) => {
      const fn = invoke[handler];
      if (!fn) return Promise.reject(new Error(`no handler ${handler}`));
      return runner.invokeAsync(`${handler} (action)`, () => fn(event));
    },
  };
  for (const action of options.actions ?? []) {
    clock.at(startMs + action.at * 1000, () => void runner.invokeAsync(action.label ?? `action@${action.at}`, () => action.run(context)), {
      label: action.label ?? `action@${action.at}`,
    });
  }

  // ---- invariants after every state, and the weight trace
  const violations: string[] = [];
  const weightsTrace: ScenarioTrace['weights'] = [];
  const lastWeights = new Map<string, string>();
  const recordWeights = () => {
    for (const svc of remote ? [] : services) {
      const w = world.weights(routeArnOf(svc));
      const key = `${svc.name}/${svc.environment}`;
      const text = JSON.stringify(w);
      if (lastWeights.get(key) !== text) {
        lastWeights.set(key, text);
        weightsTrace.push({ at: clock.now(), service: svc.name, environment: svc.environment, weights: w });
      }
    }
  };
  recordWeights();
  const checkInvariants = async (where: string) => {
    const inFlight = await store.listInFlight();
    for (const svc of remote ? [] : services) {
      const weights = world.weights(routeArnOf(svc));
      const desired = scenario.world.services.find((w) => w.service === svc.name)?.desiredCount ?? 1;
      const healthyByTg: Record<string, number> = {};
      const requiredByTg: Record<string, number> = {};
      for (const w of weights) {
        healthyByTg[w.targetGroupArn] = world.healthyTargets(w.targetGroupArn);
        requiredByTg[w.targetGroupArn] = requiredHealthyTargets(desired, w.weight, svc.capacity);
      }
      const problems = [...checkWeights(weights, svc.targetGroupArns), ...checkTrafficOnHealthy({ weights, healthyByTg, requiredByTg })];
      // The stable task set keeps full scale until green is primary and the last bake passed.
      for (const record of inFlight.filter((r) => r.service === svc.name && r.environment === svc.environment)) {
        const blueId = record.blue?.taskSetId;
        const blueSet = blueId ? world.taskSets(svc.cluster, svc.service).find((t) => t.id === blueId) : undefined;
        if (blueSet && blueSet.status === 'PRIMARY' && blueSet.scalePercent < 100) {
          problems.push(`stable task set ${blueId} scaled to ${blueSet.scalePercent} % while ${record.deploymentId} is in flight`);
        }
      }
      for (const p of problems) violations.push(`${svc.name}/${svc.environment} after ${where}: ${p}`);
    }
    for (const p of checkSingleInFlight(inFlight.filter((r) => r.status === 'IN_PROGRESS'))) violations.push(`after ${where}: ${p}`);
  };
  runner.onStateExited(async (info) => {
    recordWeights();
    await checkInvariants(`${info.stateName}`);
    if (options.onProgress) {
      const request = parseRequest(runner.getExecution(info.executionArn).input);
      if (request) {
        const svc = services.find((s) => s.name === request.service && s.environment === request.environment);
        options.onProgress({
          at: info.at,
          deploymentId: request.deploymentId,
          service: request.service,
          environment: request.environment,
          state: info.stateName,
          ...(svc && !remote ? { weights: world.weights(routeArnOf(svc)) } : {}),
        });
      }
    }
  });

  // ---- run
  world.start();
  let report: Awaited<ReturnType<LocalRunner['runUntilQuiescent']>>;
  try {
    report = await runner.runUntilQuiescent({ maxVirtualMs: scenario.maxVirtualSeconds * 1000, failOnErrors: false });
  } finally {
    world.stop();
  }
  recordWeights();
  for (const e of report.errors) violations.push(`runtime error in ${e.label}: ${(e.error as Error)?.message ?? String(e.error)}`);
  for (const r of report.running) violations.push(`execution ${r.name} still running at the end (in ${r.openStates.join(', ')})`);

  // ---- summary
  const executions = runner.listExecutions().filter((x) => x.stateMachineArn === deployArn).sort((a, b) => a.startMs - b.startMs);
  const records: DeploymentRecord[] = [];
  const deployments: DeploymentSummary[] = [];
  for (const exec of executions) {
    const request = parseRequest(exec.input);
    if (!request) continue;
    const record = await store.getDeployment(request.service, request.environment, request.deploymentId);
    if (!record) {
      deployments.push({
        service: request.service,
        environment: request.environment,
        deploymentId: request.deploymentId,
        status: exec.status === 'FAILED' ? 'REJECTED' : exec.status,
        reason: exec.cause ?? exec.error ?? null,
        reasonCode: exec.error ?? null,
        stateTransitions: exec.transitions,
        lambdaInvocations: exec.lambdaInvocations,
        virtualSeconds: ((exec.stopMs ?? clock.now()) - exec.startMs) / 1000,
        rollbackReaction: null,
      });
      continue;
    }
    records.push(record);
    if (isTerminal(record.status)) for (const p of checkTerminal(record)) violations.push(`${record.deploymentId}: ${p}`);
    else violations.push(`${record.deploymentId}: still ${record.status} at the end`);
    const lockState = await store.getLock(request.service, request.environment);
    if (lockState?.holder === request.deploymentId) violations.push(`${record.deploymentId}: lock still held at the end`);
    deployments.push({
      service: record.service,
      environment: record.environment,
      deploymentId: record.deploymentId,
      status: record.status,
      reason: record.reason ? `${record.reason.code}: ${record.reason.message}` : null,
      reasonCode: record.reason?.code ?? null,
      stateTransitions: exec.transitions,
      lambdaInvocations: exec.lambdaInvocations,
      virtualSeconds: ((exec.stopMs ?? clock.now()) - exec.startMs) / 1000,
      rollbackReaction: rollbackReaction(record, exec),
    });
  }
  const apiCalls = world.calls.length;
  const metrics = remote ? [] : metricsTrace(world, services, startMs, clock.now());
  await dynamo.close();
  runner.dispose();
  return {
    summary: { scenario: scenario.name, deployments, invariantViolations: violations },
    startMs,
    endMs: clock.now(),
    records,
    executions,
    weights: weightsTrace,
    awsEvents,
    lifecycleEvents,
    apiCalls,
    deploymentMetrics: deploymentMetrics.points,
    metrics,
  };
}

function parseRequest(input: string): DeployRequest | undefined {
  try {
    const parsed = JSON.parse(input) as DeployRequest;
    return parsed?.deploymentId ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** From the alarm to weights back on blue: transitions and virtual seconds (alarm rollbacks only). */
function rollbackReaction(record: DeploymentRecord, exec: ExecutionRecord): RollbackReaction | null {
  if (record.reason?.code !== 'AlarmTriggered') return null;
  const traffic = record.timeline.find((e) => e.key === 'rollback-traffic');
  const alarm = record.timeline.find((e) => e.kind === 'alarm');
  const bakeIdx = exec.statesEntered.map((s) => s.name).lastIndexOf('Bake');
  const rollbackIdx = exec.statesEntered.findIndex((s) => s.name === 'Rollback');
  if (!traffic || bakeIdx < 0 || rollbackIdx < 0) return null;
  // An alarm already firing when the bake starts is seen by the bake itself: the bake is the start.
  const fromMs = alarm ? Date.parse(alarm.at) : (exec.statesEntered[bakeIdx]?.at ?? 0);
  return { transitions: rollbackIdx - bakeIdx, virtualSeconds: (Date.parse(traffic.at) - fromMs) / 1000 };
}

/** Per minute and target group: requests, 5xx and mean latency, as CloudWatch holds them. */
function metricsTrace(world: World, services: ServiceConfig[], startMs: number, endMs: number): ScenarioTrace['metrics'] {
  const out: ScenarioTrace['metrics'] = [];
  const ns = 'AWS/ApplicationELB';
  for (const svc of services) {
    const lb = loadBalancerDimension(routeArnOf(svc));
    for (const tg of svc.targetGroupArns) {
      const dims = { TargetGroup: targetGroupDimension(tg), LoadBalancer: lb };
      const requests = world.cloudwatch.metrics.series(ns, 'RequestCount', dims, 'Sum', 60_000, startMs, endMs + 60_000);
      const errors = world.cloudwatch.metrics.series(ns, 'HTTPCode_Target_5XX_Count', dims, 'Sum', 60_000, startMs, endMs + 60_000);
      const latency = world.cloudwatch.metrics.series(ns, 'TargetResponseTime', dims, 'Average', 60_000, startMs, endMs + 60_000);
      for (const [at, n] of requests) {
        const l = latency.get(at);
        out.push({ at, targetGroupArn: tg, requests: n, errors: errors.get(at) ?? 0, latencyMs: l === undefined || Number.isNaN(l) ? null : l * 1000 });
      }
    }
  }
  return out.sort((a, b) => a.at - b.at);
}
