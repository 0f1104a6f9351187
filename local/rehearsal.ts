/**
 * The local rehearsal: the real deploy state machine (statemachines/deploy.asl.json) executed by
 * aws-local-stepfunctions with the real handlers, against the in-memory AWS world (ECS, ELB,
 * CloudWatch, ECR, Step Functions callbacks, EventBridge) and dynalite, on a virtual clock.
 *
 * Handlers get real SDK clients with one middleware added (the world answers every call except
 * DynamoDB's, which go to dynalite), so a handler cannot tell it is local. After every state the
 * safety invariants of DESIGN.md are checked for what that state could change (its execution's
 * service, or every service for executions that span services), and for every service at the end;
 * every violation is listed in the summary.
 */
import './polyfills.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBServiceException, InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { Pluggable } from '@smithy/types';
import type { ClientOptions } from '../functions/aws/clients.js';
import type { ServiceConfig } from '../functions/core/config.js';
import { findService } from '../functions/core/services.js';
import type { DeployRequest } from '../functions/core/deploy-state.js';
import { loadBalancerDimension, targetGroupDimension } from '../functions/core/metrics-dimensions.js';
import { checkSingleInFlight, checkTerminal, checkTrafficOnHealthy, checkWeights, checkWorkerShare } from '../functions/core/invariants.js';
import { type DeploymentRecord, isTerminal, type TargetGroupWeight } from '../functions/core/model.js';
import { requiredHealthyTargets } from '../functions/core/plan.js';
import type { DeploymentStore } from '../functions/core/ports.js';
import { waitingReleaseFor } from '../functions/core/release.js';
import * as release from '../functions/handlers/release.js';
import { storeFor } from '../functions/handlers/shared/store.js';
import type { HandlerEnv } from '../functions/handlers/shared/env.js';
import { recordingMetrics } from '../functions/handlers/shared/metrics.js';
import type { CapabilityContext, RehearsalCapability, RehearsalCapabilityFactory } from './capability.js';
import { CAPABILITIES } from './capabilities.js';
import { VirtualClockImpl } from './clock.js';
import type { PutEvent } from './contracts.js';
import { LOCAL_CREDENTIALS, type LocalDynamo, startLocalDynamo } from './dynamo.js';
import { imageScanOptions, type ReleaseSummary } from './gates-runtime.js';
import type { ActionSummary, MaintenanceInventory } from './maintenance.js';
import { type ExecutionRecord, LocalRunner } from './runner/index.js';
import { runSchedules } from './schedules.js';
import { isWorkerService, type Scenario, type TimelineInput, WORKER_ALARM_METRICS } from './scenario.js';
import { FaultBook } from './world/faults.js';
import type { AwsEvent } from './world/types.js';
import { type CreateAlarmSpec, World } from './world/world.js';

const STATE_MACHINES_DIR = fileURLToPath(new URL('../statemachines/', import.meta.url));

/** EventBridge invokes its Lambda targets asynchronously: a failed invocation is retried twice. */
const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;

/** Errors that put an asynchronously invoked event in the dead-letter queue as an expected outcome (AWS trouble). */
const TRANSIENT_AWS_ERRORS = new Set(['AwsThrottled', 'AwsUnavailable']);

/** `alarm-watcher` -> `AlarmWatcher` (the ASL substitution key is `${AlarmWatcherFunctionArn}`). */
const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

const SERVICE_BY_CLIENT: Record<string, string> = {
  ECSClient: 'ECS',
  ElasticLoadBalancingV2Client: 'ElasticLoadBalancingV2',
  CloudWatchClient: 'CloudWatch',
  ECRClient: 'ECR',
  SFNClient: 'SFN',
  EventBridgeClient: 'EventBridge',
  ApplicationAutoScalingClient: 'ApplicationAutoScaling',
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

/**
 * DynamoDB faults: the world does not answer DynamoDB (dynalite does), so its faults are injected
 * here, at the same middleware step, with the errors DynamoDB really sends (a throttle, a 500, a
 * timeout that may have been applied).
 */
function dynamoFaultPlugin(
  book: FaultBook,
  now: () => number,
  calls: Array<{ at: number; operation: string }>,
  /** Counts table writes once they completed (or failed): the invariant checker re-reads after one. */
  writes: { done: number },
): Pluggable<object, object> {
  return {
    applyToStack: (stack) => {
      stack.add(
        (next, context) => async (args) => {
          if (context.clientName !== 'DynamoDBClient') return next(args);
          const operation = (context.commandName ?? '').replace(/Command$/, '');
          calls.push({ at: now(), operation: `DynamoDB:${operation}` });
          const write = !/^(Get|Query|Scan|BatchGet|Describe)/.test(operation);
          const fault = book.take('DynamoDB', operation, now());
          if (!fault) {
            try {
              return await next(args);
            } finally {
              if (write) writes.done += 1;
            }
          }
          if (write) writes.done += 1;
          const $metadata = { httpStatusCode: fault.kind === 'throttle' ? 400 : 500, requestId: 'local-fault' };
          switch (fault.kind) {
            case 'throttle':
              throw new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata });
            case '5xx':
              throw new InternalServerError({ message: 'Internal server error', $metadata });
            case 'timeout': {
              if (fault.applied) await next(args).catch(() => undefined);
              const e = new DynamoDBServiceException({ name: 'TimeoutError', $fault: 'client', message: 'Connection timed out', $metadata: {} });
              throw e;
            }
            default:
              return next(args);
          }
        },
        { step: 'initialize', name: 'cutoverLocalDynamoFaults', priority: 'high', override: true },
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
  /**
   * The largest payload (UTF-8 bytes) of the deployment's execution: its input, any state's input or
   * output, a Task's parameters or result, the steps Map's collected result. Step Functions' limit is
   * 262,144 (local/runner.ts MAX_PAYLOAD_BYTES).
   */
  readonly largestPayloadBytes: number;
  /** History events of the deployment's execution (limit 25,000; the model is in local/runner.ts). */
  readonly historyEvents: number;
}

/** An execution of the control, rollback or reconcile state machine (what the operator saw). */
/** The runs a schedule of the stack started (the sweep, cleanup), by state machine, and any that did not succeed. */
export interface ScheduledRunsSummary {
  readonly runs: number;
  readonly failed: ReadonlyArray<{ readonly name: string; readonly startedAt: number; readonly status: string; readonly error: string | null }>;
}

/** An operator input with `when` (local/scenario.ts): what it waited for and when it went out. */
export interface OperatorWaitSummary {
  /** The input's `at` (virtual seconds): waiting started then. */
  readonly at: number;
  readonly action: string;
  /** `approval of api/production`, `approval of release shop-api-…`. */
  readonly condition: string;
  readonly withinSeconds: number;
  /** Virtual seconds from the start when the state was reached and the input sent; null: never within the bound (nothing sent). */
  readonly deliveredAt: number | null;
  /** What waited: `deployment api-production-…`, `release shop-api-… before production`. */
  readonly found: string | null;
}

export interface OperationSummary {
  readonly stateMachine: string;
  readonly name: string;
  readonly status: string;
  readonly startedAt: number;
  readonly error: string | null;
  readonly cause: string | null;
  readonly input: unknown;
  readonly output: unknown;
}

/**
 * A console action of the timeline (`start`: StartExecution with a raw input; `invoke`: a direct
 * invocation of a function with a raw payload) and what became of it: the execution's status and
 * error (or StartExecution's own refusal), or the function's answer or error.
 */
export type ConsoleSummary =
  | {
      readonly kind: 'start';
      readonly at: number;
      readonly stateMachine: string;
      readonly name: string | null;
      readonly executionArn: string | null;
      readonly status: string;
      readonly error: string | null;
      readonly cause: string | null;
      readonly output: unknown;
    }
  | {
      readonly kind: 'invoke';
      readonly at: number;
      readonly function: string;
      readonly status: 'answered' | 'error';
      readonly answer: unknown;
      readonly error: string | null;
      readonly message: string | null;
    };

/**
 * A raw `event` input of the timeline (delivered to intake or the alarm watcher) and what became of
 * it (issue #15): `started` (intake started a deployment or release, or found it started; the alarm
 * watcher acted on a deployment that watches the alarm), `ignored` (well formed, not for Cutover:
 * `message` says why), `rejected` (refused by name: `error`, `message`), or `failed` (the handler
 * threw: AWS trouble a retry may pass).
 */
export interface EventInputSummary {
  readonly at: number;
  readonly target: 'intake' | 'alarm-watcher';
  readonly outcome: 'started' | 'ignored' | 'rejected' | 'failed';
  readonly error?: string;
  readonly message?: string;
}

/** What intake's or the alarm watcher's answer says happened to an event. */
export function eventOutcome(answer: unknown): Pick<EventInputSummary, 'outcome' | 'error' | 'message'> {
  const a = (answer ?? {}) as {
    rejected?: { error: string; message: string };
    ignored?: string;
    started?: ReadonlyArray<{ deploymentId: string; alreadyStarted: boolean }>;
    release?: { releaseId: string; alreadyStarted: boolean };
    failed?: readonly string[];
  };
  if (a.rejected) return { outcome: 'rejected', error: a.rejected.error, message: a.rejected.message };
  if (a.ignored !== undefined) return { outcome: 'ignored', message: a.ignored };
  const what = [
    ...(a.release ? [`release ${a.release.releaseId}${a.release.alreadyStarted ? ' (already started)' : ''}`] : []),
    ...(a.started ?? []).map((s) => `${s.deploymentId}${s.alreadyStarted ? ' (already started)' : ''}`),
    ...(a.failed ?? []).map((id) => `failed the wait of ${id}`),
  ];
  return { outcome: 'started', ...(what.length > 0 ? { message: what.join(', ') } : {}) };
}

export interface ScenarioSummary {
  readonly scenario: string;
  /** The timeline's `start` and `invoke` inputs, in timeline order, with their outcomes. */
  readonly console?: ConsoleSummary[];
  /** The timeline's `event` inputs, in timeline order, with their outcomes. */
  readonly events?: EventInputSummary[];
  readonly deployments: DeploymentSummary[];
  readonly invariantViolations: string[];
  /** Release executions (statemachines/release.asl.json): each with every environment's outcome. */
  readonly releases?: ReleaseSummary[];
  /** Control, rollback, reconcile and cleanup executions an operator (or the timeline) started, in start order (virtual seconds from the start). */
  readonly operations?: OperationSummary[];
  /** Operator inputs that waited for a state (`when`): when each was delivered, or null when the state never came in time. */
  readonly waits?: OperatorWaitSummary[];
  /** What the stack's schedules ran (EventBridge rules: the reconcile sweep, cleanup), by state machine. */
  readonly scheduled?: Record<string, ScheduledRunsSummary>;
  /** Every cleanup and scaling action, in virtual time (local/maintenance.ts). */
  readonly actions?: ActionSummary[];
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
  /** Events an EventBridge target failed on three times (Lambda's asynchronous retries), with the last error. */
  readonly deadLetters?: Array<{ at: number; target: string; error: string }>;
  /** Every AWS call made (the world's and DynamoDB's) as `Service:Operation`, in virtual time, for fault matrices. */
  readonly awsCalls?: Array<{ at: number; operation: string }>;
  /** Task definitions, images, task sets, desired counts and scalable targets at the end (local/maintenance.ts). */
  readonly maintenance?: MaintenanceInventory;
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
  /**
   * The parts of the control plane the rehearsal runs (local/capability.ts); default
   * local/capabilities.ts CAPABILITIES: the deploy path, maintenance, release gates.
   */
  readonly capabilities?: readonly RehearsalCapabilityFactory<Partial<ScenarioSummary>, Partial<ScenarioTrace>>[];
  /** An existing DynamoDB endpoint and table to use instead of dynalite. */
  readonly dynamodb?: { readonly endpoint: string; readonly tableName: string };
  /**
   * Real milliseconds the runner waits for busy activities (handlers, hooks) before it gives up
   * with a diagnostic error (the runner's stall detection; default 60 000). The run then throws.
   */
  readonly stallTimeoutMs?: number;
}

/** A capability as the rehearsal sees it: its summary and trace parts are ScenarioSummary's and ScenarioTrace's. */
type Capability = RehearsalCapability<Partial<ScenarioSummary>, Partial<ScenarioTrace>>;

const fnArn = (accountId: string, region: string, name: string) => `arn:aws:lambda:${region}:${accountId}:function:cutover-${name}`;

function routeArnOf(svc: ServiceConfig): string {
  return svc.listenerRuleArn ?? (svc.listenerArn as string);
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioTrace> {
  const dynamo: LocalDynamo = options.dynamodb
    ? { ...options.dynamodb, close: async () => undefined }
    : await startLocalDynamo('cutover-local', scenario.region);
  // dynalite listens on a port: stop it however the run ends.
  try {
    return await rehearse(scenario, options, dynamo);
  } finally {
    await dynamo.close();
  }
}

async function rehearse(scenario: Scenario, options: RunOptions, dynamo: LocalDynamo): Promise<ScenarioTrace> {
  const { accountId, region, config } = scenario;
  // An endpoint run talks to a service that stamps real times (an image's imagePushedAt, a task
  // set's createdAt): its virtual clock starts now (the next whole second), so what exists there
  // was made in its past (a requestedAt ahead of it is refused; the reconcile sweep takes a push
  // newer than every record for a lost one). Otherwise a fixed start, for replay.
  const clock = new VirtualClockImpl(options.endpoint !== undefined ? Math.ceil(Date.now() / 1000) * 1000 : undefined);
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
  const runner = new LocalRunner({
    clock,
    region,
    accountId,
    seed: options.seed ?? 1,
    ...(options.stallTimeoutMs !== undefined ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
  });
  world.setStepFunctionsBackend({
    startExecution: (req) => runner.startExecution(req),
    sendTaskSuccess: (token, output) => runner.sendTaskSuccess(token, output),
    sendTaskFailure: (token, error, cause) => runner.sendTaskFailure(token, error, cause),
    describeExecution: (arn) => runner.describeExecution(arn),
    stopExecution: (arn, error, cause) => runner.stopExecution(arn, error, cause),
  });

  const stateMachineArn = (name: string) => `arn:aws:states:${region}:${accountId}:stateMachine:cutover-${name}`;
  const deployArn = stateMachineArn('deploy');
  const releaseArn = stateMachineArn('release');
  const dynamoFaults = new FaultBook();
  const dynamoCalls: Array<{ at: number; operation: string }> = [];
  const dynamoWrites = { done: 0 };
  const env: HandlerEnv = {
    tableName: dynamo.tableName,
    eventBusName: 'cutover',
    accountId,
    region,
    deployStateMachineArn: deployArn,
    releaseStateMachineArn: releaseArn,
    config,
  };
  const baseOpts: ClientOptions = {
    region,
    dynamodbEndpoint: dynamo.endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...(remote ? { endpoint: options.endpoint } : {}),
  };
  const store: DeploymentStore = storeFor({ ...baseOpts, plugins: [] }, env);
  const invoke: Record<string, (event: unknown) => Promise<unknown>> = {};

  // ---- EventBridge -> Lambda, and StartExecution as the console and the stack's schedules do it
  const deadLetters: NonNullable<ScenarioTrace['deadLetters']> = [];
  const asyncErrors: string[] = [];
  /** EventBridge -> Lambda is asynchronous: a failed invocation is retried twice, then dead-lettered. */
  const deliver = (target: string, label: string, event: unknown, attempt = 0): void => {
    void runner
      .invokeAsync(`${label}${attempt ? ` (retry ${attempt})` : ''}`, () => invoke[target]?.(event), { recordErrors: false })
      .catch((error: unknown) => {
        const delay = ASYNC_RETRY_DELAYS_MS[attempt];
        if (delay !== undefined) {
          clock.at(clock.now() + delay, () => deliver(target, label, event, attempt + 1), { label: `${label} retry ${attempt + 1}` });
          return;
        }
        const name = (error as Error)?.name ?? 'Error';
        const text = `${name}: ${(error as Error)?.message ?? String(error)}`;
        // AWS trouble (an injected fault) dead-letters the event; anything else is a bug.
        if (TRANSIENT_AWS_ERRORS.has(name)) deadLetters.push({ at: clock.now(), target, error: text });
        else asyncErrors.push(`${label}: ${text}`);
      });
  };
  /** Executions the stack's schedules started (EventBridge): not operator operations. */
  const scheduledArns = new Set<string>();
  /** StartExecution of an operator state machine, as the console does (the runner names the execution). */
  const startOperation = (name: string, input: unknown, scheduled = false): void => {
    void runner.invokeAsync(`start ${name}`, async () => {
      const started = await runner.startExecution({ stateMachineArn: stateMachineArn(name), input: JSON.stringify(input) });
      if (scheduled) scheduledArns.add(started.executionArn);
      return started;
    });
  };

  // ---- the capabilities (local/capability.ts): the deploy path, release gates, maintenance
  const capabilityContext: CapabilityContext = {
    scenario,
    config,
    accountId,
    region,
    remote,
    clock,
    startMs,
    world,
    runner,
    env,
    baseClientOptions: baseOpts,
    store,
    invoke,
    stateMachineArn,
    deliver: (target, label, event) => deliver(target, label, event),
    startOperation,
  };
  const capabilities: Capability[] = (options.capabilities ?? CAPABILITIES).map((create) => create(capabilityContext));
  const opts: ClientOptions = {
    ...baseOpts,
    plugins: [
      worldPlugin(world, remote ? ['SFN', 'EventBridge'] : undefined),
      dynamoFaultPlugin(dynamoFaults, () => clock.now(), dynamoCalls, dynamoWrites),
      ...capabilities.flatMap((c) => c.plugins ?? []),
    ],
  };
  const vclock = { now: () => clock.now() };
  // The handlers' EMF metrics, recorded instead of printed.
  const deploymentMetrics = recordingMetrics();
  for (const capability of capabilities) {
    for (const [name, mod] of Object.entries(capability.handlers ?? {})) {
      if (invoke[name]) throw new Error(`rehearsal: the ${capability.name} capability registers handler ${name} again`);
      // biome-ignore lint/suspicious/noExplicitAny: every handler module has the same makeDeps/createHandler shape
      const deps = { ...(mod.makeDeps as any)(opts, env, vclock), logLevel: 'SILENT', deploymentMetrics };
      // biome-ignore lint/suspicious/noExplicitAny: see above
      const handler = (mod.createHandler as any)(deps) as (event: unknown) => Promise<unknown>;
      invoke[name] = handler;
      runner.registerFunction(fnArn(accountId, region, name), (payload) => handler(payload));
    }
  }
  const machines = capabilities.flatMap((c) => c.stateMachines ?? []);
  // Every definition may name every function and every state machine.
  const substitutions = Object.fromEntries([
    ...Object.keys(invoke).map((name) => [`${pascal(name)}FunctionArn`, fnArn(accountId, region, name)]),
    ...machines.map((m) => [`${pascal(m.name)}StateMachineArn`, stateMachineArn(m.name)]),
  ]);
  for (const m of machines) {
    runner.registerStateMachine({
      name: `cutover-${m.name}`,
      arn: stateMachineArn(m.name),
      definition: readFileSync(`${STATE_MACHINES_DIR}${m.name}.asl.json`, 'utf8'),
      substitutions,
    });
  }
  /** The state machines an operator (or a schedule) starts, by ARN: their executions are the summary's operations. */
  const operationArns = new Map(machines.filter((m) => m.operation).map((m) => [stateMachineArn(m.name), m.name]));
  for (const c of capabilities) await c.ready?.();
  if (!remote) for (const c of capabilities) await c.beforeServices?.();

  // ---- the world as the scenario describes it
  for (const image of scenario.world.images) {
    world.setImageProfile(image.digest, image.profile);
    if (image.existsAtStart) world.pushImage(image.repository, image.digest, image.tags, imageScanOptions(image.scan, clock.now()));
  }
  const services = scenario.world.services.map((ws) => {
    const svc = findService(config, ws.service, ws.environment ?? config.services.find((s) => s.name === ws.service)?.environment ?? '');
    if (!svc) throw new Error(`world.services: ${ws.service} is not configured`);
    if (remote) return svc;
    const image = scenario.world.images.find((im) => im.digest === ws.initialDigest);
    const hc = ws.containerHealthCheck;
    const containerHealthCheck = hc ? { command: hc.command, interval: hc.intervalSeconds, retries: hc.retries, startPeriod: hc.startPeriodSeconds, timeout: 5 } : undefined;
    // A worker (no listener, no target groups): no load balancer; its metrics and queue (issue #18).
    if (isWorkerService(svc)) {
      world.createWorkerService({
        cluster: svc.cluster,
        service: svc.service,
        desiredCount: ws.desiredCount,
        containerName: svc.containerName,
        initialImage: { repository: svc.repository, digest: ws.initialDigest, ...(image?.tags[0] ? { tag: image.tags[0] } : {}) },
        ...(containerHealthCheck ? { healthCheck: containerHealthCheck } : {}),
        ...(ws.worker ? { metrics: { ...ws.worker, dimensions: ws.worker.dimensions ?? { service: svc.service, version: '{version}' } } } : {}),
        // Headless native (no serviceConnect) or Service Connect native (issue #17).
        ...(ws.deploymentController && ws.deploymentController !== 'EXTERNAL' ? { deploymentController: ws.deploymentController } : {}),
        ...(ws.serviceConnect
          ? {
              serviceConnect: {
                namespace: ws.serviceConnect.namespace,
                discoveryName: ws.serviceConnect.discoveryName,
                port: ws.serviceConnect.port ?? ws.containerPort,
                ...(ws.serviceConnect.portName ? { portName: ws.serviceConnect.portName } : {}),
                requestsPerMinute: ws.requestsPerMinute,
              },
            }
          : {}),
        ...(ws.versionMetrics ? { versionMetrics: { namespace: ws.versionMetrics.namespace, dimensions: ws.versionMetrics.dimensions ?? { service: svc.service, version: '{version}' } } } : {}),
      });
      return svc;
    }
    world.createService({
      ...(containerHealthCheck ? { containerHealthCheck } : {}),
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
      ...(ws.productionForward ? { productionForward: ws.productionForward } : {}),
      ...(ws.deploymentController && ws.deploymentController !== 'EXTERNAL' ? { deploymentController: ws.deploymentController } : {}),
      ...(ws.versionMetrics ? { versionMetrics: { namespace: ws.versionMetrics.namespace, dimensions: ws.versionMetrics.dimensions ?? { service: svc.service, version: '{version}' } } } : {}),
    });
    return svc;
  });
  if (!remote) for (const c of capabilities) await c.afterServices?.(services);
  // Cutover was installed before the scenario starts: every service is under management from its
  // first second (the reconcile sweep recovers only pushes made since; functions/core/lost-push.ts lostPush).
  if (!remote) for (const s of services) await store.markManaged(s.name, s.environment, new Date(clock.now()).toISOString());
  for (const alarm of remote ? [] : scenario.world.alarms) {
    const svc = services.find((s) => s.name === alarm.service && (!alarm.environment || s.environment === alarm.environment));
    if (!svc) continue;
    if ((WORKER_ALARM_METRICS as readonly string[]).includes(alarm.metric)) {
      // A worker's queue age or application metric (local/world/workers.ts alarmMetric).
      const metric = world.workers.alarmMetric(svc.cluster, svc.service, alarm.metric as (typeof WORKER_ALARM_METRICS)[number]);
      world.createMetricAlarm({
        name: alarm.name,
        ...metric,
        threshold: alarm.threshold,
        statistic: (alarm.statistic ?? (alarm.metric === 'ProcessingTime' ? 'Average' : alarm.metric === 'ApproximateAgeOfOldestMessage' ? 'Maximum' : 'Sum')) as NonNullable<CreateAlarmSpec['statistic']>,
        evaluationPeriods: alarm.evaluationPeriods,
        datapointsToAlarm: alarm.datapointsToAlarm,
      });
      continue;
    }
    if (!svc.targetGroupArns) continue;
    const tg = svc.targetGroupArns[alarm.targetGroupIndex ?? 0];
    world.createAlarm({
      name: alarm.name,
      metric: alarm.metric as 'HTTPCode_Target_5XX_Count' | 'TargetResponseTime' | 'UnHealthyHostCount',
      targetGroupArn: tg,
      // scope "service": both target groups, summed, or the LoadBalancer dimension (CreateAlarmSpec).
      ...(alarm.scope === 'service' ? { serviceTargetGroupArns: svc.targetGroupArns } : {}),
      threshold: alarm.threshold,
      ...(alarm.statistic ? { statistic: alarm.statistic as NonNullable<CreateAlarmSpec['statistic']> } : {}),
      evaluationPeriods: alarm.evaluationPeriods,
      datapointsToAlarm: alarm.datapointsToAlarm,
    });
  }

  // ---- EventBridge rules: ECR pushes to intake, alarm state changes to the alarm watcher
  const awsEvents: AwsEvent[] = [];
  world.onAwsEvent((event) => {
    awsEvents.push(event);
    if (event.source === 'aws.cloudwatch' && event['detail-type'] === 'CloudWatch Alarm State Change') {
      deliver('alarm-watcher', `alarm-watcher ${event.id}`, event);
    }
  });
  const environmentOf = (service: string, environment?: string): string =>
    environment ?? config.services.find((s) => s.name === service)?.environment ?? 'production';
  const lifecycleEvents: PutEvent[] = [];
  world.onPutEvent((e) => lifecycleEvents.push(e));
  // ---- operator inputs that wait for a state (`when`): checked every virtual second after `at`,
  // re-reading the table only when it was written since.
  const releaseStore = release.releaseStoreFor({ ...opts, plugins: [] }, env);
  const waits: OperatorWaitSummary[] = [];
  const awaitState = (
    input: Extract<TimelineInput, { kind: 'operator' }>,
    when: NonNullable<Extract<TimelineInput, { kind: 'operator' }>['when']>,
    deliver: () => void,
  ): void => {
    const service = when.service ?? input.service;
    const environment = when.environment ?? input.environment ?? (service ? environmentOf(service) : undefined);
    const condition = `${when.waitingFor} of ${input.releaseId ? `release ${input.releaseId}` : `${service ?? '?'}/${environment ?? '?'}`}`;
    const entry: OperatorWaitSummary = { at: input.at, action: input.action, condition, withinSeconds: when.withinSeconds, deliveredAt: null, found: null };
    waits.push(entry);
    const deadline = clock.now() + when.withinSeconds * 1000;
    let seenWrites = -1;
    const reached = async (): Promise<string | undefined> => {
      if (service && environment) {
        const rec = (await store.listInFlight()).find(
          (r) => r.service === service && r.environment === environment && r.status === 'IN_PROGRESS' && r.taskToken !== undefined && r.waitingFor === when.waitingFor,
        );
        if (rec) return `deployment ${rec.deploymentId}`;
      }
      if (when.waitingFor !== 'approval') return undefined;
      const waiting = await releaseStore.listWaitingReleases();
      const rel = input.releaseId
        ? waiting.find((r) => r.releaseId === input.releaseId && (environment === undefined || r.waitingFor?.environment === environment))
        : service && environment
          ? waitingReleaseFor(service, environment, waiting)
          : undefined;
      return rel ? `release ${rel.releaseId} before ${rel.waitingFor?.environment}` : undefined;
    };
    const check = () =>
      void runner.invokeAsync(`operator@${input.at} waits for ${condition}`, async () => {
        if (dynamoWrites.done !== seenWrites) {
          seenWrites = dynamoWrites.done;
          const found = await reached();
          if (found) {
            Object.assign(entry, { deliveredAt: (clock.now() - startMs) / 1000, found });
            deliver();
            return;
          }
        }
        if (clock.now() + 1000 <= deadline) clock.at(clock.now() + 1000, check, { label: `operator@${input.at} wait` });
      });
    check();
  };
  /** Console actions (`start`, `invoke`) as they happened; executions are looked up at the end. */
  const consoleLog: Array<
    | { kind: 'start'; at: number; stateMachine: string; name: string | null; executionArn?: string; refused?: { error: string; cause: string } }
    | Extract<ConsoleSummary, { kind: 'invoke' }>
  > = [];
  const consoleArns: Record<string, string> = Object.fromEntries(machines.map((m) => [m.name, stateMachineArn(m.name)]));
  /** The `event` inputs as they happened (their outcome filled in when the handler answers). */
  const eventLog: EventInputSummary[] = [];

  /** The timeline inputs a capability applies, by kind (one owner each). */
  const inputOwners = new Map<string, Capability>();
  for (const c of capabilities) {
    for (const kind of c.inputs ?? []) {
      const other = inputOwners.get(kind);
      if (other) throw new Error(`rehearsal: timeline input ${kind} is applied by both ${other.name} and ${c.name}`);
      inputOwners.set(kind, c);
    }
  }
  const apply = (input: TimelineInput) => {
    const owner = inputOwners.get(input.kind);
    if (owner?.apply) {
      owner.apply(input);
      return;
    }
    switch (input.kind) {
      case 'push': {
        if (input.profile) world.setImageProfile(input.digest, input.profile);
        const event = world.pushImage(input.repository, input.digest, input.tag ? [input.tag] : [], imageScanOptions(input.scan, clock.now()));
        awsEvents.push(event);
        for (let i = 0; i < input.deliveries; i++) deliver('intake', `intake ${event.id}#${i}`, event);
        return;
      }
      case 'alarm':
        world.setAlarmState(input.name, input.state, input.reason, input.holdSeconds ? { holdMs: input.holdSeconds * 1000 } : {});
        return;
      case 'fault': {
        const spec = {
          operation: input.operation,
          kind: input.fault,
          count: input.count ?? Number.POSITIVE_INFINITY,
          ...(input.applied ? { applied: true } : {}),
        };
        const dynamo = input.operation.startsWith('DynamoDB:');
        if (dynamo || input.operation === '*') dynamoFaults.add(spec, clock.now());
        if (!dynamo) world.injectFault(spec);
        return;
      }
      case 'clear-faults':
        world.clearFaults();
        dynamoFaults.clear();
        return;
      case 'operator': {
        const { at: _at, kind: _kind, when, ...doc } = input;
        // By release id: the document as typed; by service: its environment by default.
        const sent = doc.service === undefined ? doc : { ...doc, environment: environmentOf(doc.service, doc.environment) };
        if (when) awaitState(input, when, () => startOperation('control', sent));
        else startOperation('control', sent);
        return;
      }
      case 'rollback': {
        const { at: _at, kind: _kind, ...doc } = input;
        startOperation('rollback', { ...doc, environment: environmentOf(doc.service, doc.environment) });
        return;
      }
      case 'reconcile':
        startOperation('reconcile', { source: 'scenario', 'detail-type': 'Scheduled Event' });
        return;
      case 'stop-execution':
        void runner.invokeAsync(`stop-execution@${input.at}`, async () => {
          const environment = environmentOf(input.service, input.environment);
          const id =
            input.deploymentId ??
            (await store.listInFlight()).find((r) => r.service === input.service && r.environment === environment && r.status === 'IN_PROGRESS')
              ?.deploymentId;
          if (!id) {
            asyncErrors.push(`stop-execution@${input.at}: nothing in flight for ${input.service}/${environment}`);
            return;
          }
          const rec = await store.getDeployment(input.service, environment, id);
          const arn = rec?.executionArn ?? `${deployArn.replace(':stateMachine:', ':execution:')}:${id}`;
          await runner.stopExecution(arn, 'Stopped', 'stopped from the Step Functions console (scenario)');
        });
        return;
      case 'event': {
        const index = eventLog.push({ at: input.at, target: input.target, outcome: 'failed', message: 'no answer before the run ended' }) - 1;
        void runner
          .invokeAsync(`${input.target} (scenario event)`, () => invoke[input.target]?.(input.event), { recordErrors: false })
          .then((answer) => {
            eventLog[index] = { at: input.at, target: input.target, ...eventOutcome(answer) };
          })
          .catch((e: unknown) => {
            eventLog[index] = { at: input.at, target: input.target, outcome: 'failed', error: (e as Error)?.name ?? 'Error', message: (e as Error)?.message ?? String(e) };
          });
        return;
      }
      case 'start': {
        // StartExecution as the console sends it: the raw input, serialized as is.
        const entry: (typeof consoleLog)[number] = { kind: 'start', at: input.at, stateMachine: input.stateMachine, name: input.name ?? null };
        consoleLog.push(entry);
        const stateMachineArn = consoleArns[input.stateMachine] as string;
        void runner
          .invokeAsync(`start ${input.stateMachine} (console)`, () =>
            runner.startExecution({ stateMachineArn, input: JSON.stringify(input.input ?? {}), ...(input.name !== undefined ? { name: input.name } : {}) }),
          { recordErrors: false })
          .then((out) => {
            (entry as { executionArn?: string }).executionArn = (out as { executionArn: string }).executionArn;
          })
          .catch((e: unknown) => {
            (entry as { refused?: unknown }).refused = { error: (e as Error)?.name ?? 'Error', cause: (e as Error)?.message ?? String(e) };
          });
        return;
      }
      case 'invoke': {
        const fn = invoke[input.function];
        const base = { kind: 'invoke' as const, at: input.at, function: input.function };
        if (!fn) {
          consoleLog.push({ ...base, status: 'error', answer: null, error: 'ResourceNotFoundException', message: `Function not found: ${input.function} is not one of Cutover's functions (${Object.keys(invoke).join(', ')})` });
          return;
        }
        const at = consoleLog.length;
        consoleLog.push({ ...base, status: 'answered', answer: null, error: null, message: null });
        void runner
          .invokeAsync(`invoke ${input.function} (console)`, () => fn(structuredClone(input.payload)), { recordErrors: false })
          .then((answer) => {
            consoleLog[at] = { ...base, status: 'answered', answer: answer ?? null, error: null, message: null };
          })
          .catch((e: unknown) => {
            consoleLog[at] = { ...base, status: 'error', answer: null, error: (e as Error)?.name ?? 'Error', message: (e as Error)?.message ?? String(e) };
          });
        return;
      }
      default:
        // A kind a capability owns (cleanup, schedule) reaches here only when no capability applies it.
        throw new Error(`timeline input ${JSON.stringify(input)}: no capability of the rehearsal applies it`);
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
    stateMachines: consoleArns,
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
      if (!svc.targetGroupArns) continue; // a worker has no listener weights (its share is on its task sets)
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
  // The in-flight records change only when the table is written: re-read them only then.
  let inFlightCache: { writes: number; records: DeploymentRecord[] } | undefined;
  const inFlightNow = async (): Promise<DeploymentRecord[]> => {
    const writes = dynamoWrites.done;
    if (inFlightCache?.writes !== writes) inFlightCache = { writes, records: await store.listInFlight() };
    return inFlightCache.records;
  };
  /** The non-terminal records of one service and environment (read from its partition, not the index). */
  const inFlightOf = async (svc: ServiceConfig): Promise<DeploymentRecord[]> =>
    (await store.listDeployments(svc.name, svc.environment)).filter((r) => !isTerminal(r.status));
  /**
   * The safety invariants for `scope` (default: every service): weights, traffic only on healthy
   * targets (with `traffic`: it is about the moment traffic moves, so it is checked after the
   * states, not at the end, when scaling may have since changed the desired count), the stable task
   * set at full scale while a deployment is in flight, at most one deployment in flight per service
   * and environment, nothing in use deleted and desired counts within bounds.
   */
  const checkInvariants = async (when: string, scope?: readonly ServiceConfig[], traffic = true) => {
    const checked = remote ? [] : (scope ?? services);
    const inFlight = scope ? (await Promise.all(scope.map(inFlightOf))).flat() : await inFlightNow();
    for (const svc of checked) {
      if (!svc.targetGroupArns) {
        // A worker (no load balancer): its share of tasks keeps a replica canary's rules (checkWorkerShare).
        const desired = scenario.world.services.find((w) => w.service === svc.name)?.desiredCount ?? 1;
        const sets = world.taskSets(svc.cluster, svc.service);
        for (const record of inFlight.filter((r) => r.service === svc.name && r.environment === svc.environment)) {
          const green = sets.find((t) => t.id === record.green?.taskSetId);
          const blue = sets.find((t) => t.id === record.blue?.taskSetId);
          if (!green) continue;
          for (const p of checkWorkerShare({ desiredCount: desired, green, ...(blue ? { blue } : {}), percent: Math.round(green.scalePercent) })) {
            violations.push(`${svc.name}/${svc.environment} ${when}: ${p}`);
          }
        }
        continue;
      }
      const weights = world.weights(routeArnOf(svc));
      const problems = checkWeights(weights, svc.targetGroupArns);
      if (traffic) {
        const desired = scenario.world.services.find((w) => w.service === svc.name)?.desiredCount ?? 1;
        const healthyByTg: Record<string, number> = {};
        const requiredByTg: Record<string, number> = {};
        for (const w of weights) {
          healthyByTg[w.targetGroupArn] = world.healthyTargets(w.targetGroupArn);
          requiredByTg[w.targetGroupArn] = requiredHealthyTargets(desired, w.weight, svc.capacity);
        }
        problems.push(...checkTrafficOnHealthy({ weights, healthyByTg, requiredByTg }));
      }
      const records = inFlight.filter((r) => r.service === svc.name && r.environment === svc.environment);
      // The stable task set keeps full scale until green is primary and the last bake passed.
      const sets = records.length > 0 ? world.taskSets(svc.cluster, svc.service) : [];
      for (const record of records) {
        const blueId = record.blue?.taskSetId;
        const blueSet = blueId ? sets.find((t) => t.id === blueId) : undefined;
        if (blueSet && blueSet.status === 'PRIMARY' && blueSet.scalePercent < 100) {
          problems.push(`stable task set ${blueId} scaled to ${blueSet.scalePercent} % while ${record.deploymentId} is in flight`);
        }
      }
      for (const p of problems) violations.push(`${svc.name}/${svc.environment} ${when}: ${p}`);
    }
    for (const p of checkSingleInFlight(inFlight.filter((r) => r.status === 'IN_PROGRESS'))) violations.push(`${when}: ${p}`);
    for (const c of remote ? [] : capabilities) for (const p of c.check?.(checked) ?? []) violations.push(`${when}: ${p}`);
  };
  /**
   * The services a state of this execution can change: a deployment's (or an operator action's)
   * own service and environment; every service for the others (release, cleanup, reconcile).
   */
  const scopes = new Map<string, ServiceConfig[] | undefined>();
  const scopeOf = (executionArn: string): ServiceConfig[] | undefined => {
    if (scopes.has(executionArn)) return scopes.get(executionArn);
    const doc = parseJson(runner.getExecution(executionArn).input) as { service?: unknown; environment?: unknown } | null;
    const svc =
      typeof doc?.service === 'string' && typeof doc.environment === 'string'
        ? services.find((s) => s.name === doc.service && s.environment === doc.environment)
        : undefined;
    scopes.set(executionArn, svc ? [svc] : undefined);
    return scopes.get(executionArn);
  };
  /** The scheduled sweeps and cleanups (schedules are on): their states move traffic only when they repair or roll back. */
  const sweeping = new Set(machines.filter((m) => m.sweep).map((m) => stateMachineArn(m.name)));
  // ECS's own deployments (the native engine) move a listener's traffic between Cutover's states:
  // the trace and the live view follow every write of a route, not only the states' exits.
  const lastDeployment = new Map<string, string>();
  if (!remote) {
    world.elb.onRoutingChange((routeArn) => {
      const before = weightsTrace.length;
      recordWeights();
      if (weightsTrace.length === before || !options.onProgress) return;
      for (const svc of services) {
        const deploymentId = lastDeployment.get(`${svc.name}/${svc.environment}`);
        if (!svc.targetGroupArns || routeArnOf(svc) !== routeArn || !deploymentId) continue;
        options.onProgress({ at: clock.now(), deploymentId, service: svc.name, environment: svc.environment, state: 'ECS', weights: world.weights(routeArn) });
      }
    });
  }
  runner.onStateExited(async (info) => {
    const before = weightsTrace.length;
    recordWeights();
    // After every state, the invariants of what that state could change: checking every service
    // after every state made n deployments at once cost n² checks, each reading all n (bench).
    // Traffic on healthy targets is about the moment traffic moves: a sweep's or cleanup's state is
    // checked for it only when it moved traffic.
    const moved = weightsTrace.length > before;
    const traffic = moved || !sweeping.has(runner.getExecution(info.executionArn).stateMachineArn);
    await checkInvariants(`after ${info.stateName}`, scopeOf(info.executionArn), traffic);
    if (options.onProgress) {
      const request = parseRequest(runner.getExecution(info.executionArn).input);
      if (request) {
        lastDeployment.set(`${request.service}/${request.environment}`, request.deploymentId);
        const svc = services.find((s) => s.name === request.service && s.environment === request.environment);
        options.onProgress({
          at: info.at,
          deploymentId: request.deploymentId,
          service: request.service,
          environment: request.environment,
          state: info.stateName,
          ...(svc?.targetGroupArns && !remote ? { weights: world.weights(routeArnOf(svc)) } : {}),
        });
      }
    }
  });

  // ---- the stack's schedules, as EventBridge runs them (local/schedules.ts): the reconcile sweep
  // every 5 minutes, the cleanup at cleanupSchedule, each scheduled scaling rule; a scenario turns
  // one off by name (`schedulesOff`). They run on background timers: a run still ends when nothing
  // but schedules is left.
  const scheduleOwners = new Map(capabilities.flatMap((c) => (c.schedules ?? []).map((rule) => [rule, c] as const)));
  runSchedules(clock, [...scheduleOwners.keys()], scenario.schedulesOff, (rule, atMs) => {
    if (rule.target.kind !== 'state-machine') {
      scheduleOwners.get(rule)?.fire?.(rule, atMs);
      return;
    }
    // An EventBridge rule with a state machine target passes its scheduled event as the input.
    startOperation(rule.target.stateMachine, {
      version: '0',
      id: `schedule-${rule.name}-${atMs}`,
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: accountId,
      time: new Date(atMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [`arn:aws:events:${region}:${accountId}:rule/cutover-${rule.name}-schedule`],
      detail: {},
    }, true);
  });

  // ---- run
  world.start();
  let report: Awaited<ReturnType<LocalRunner['runUntilQuiescent']>>;
  try {
    report = await runner.runUntilQuiescent({ maxVirtualMs: scenario.maxVirtualSeconds * 1000, failOnErrors: false });
  } catch (error) {
    runner.dispose();
    throw error;
  } finally {
    world.stop();
  }
  recordWeights();
  // Every service once more, whatever the last states were scoped to (re-reading the table: writes
  // made outside the handlers, by actions, are not counted).
  inFlightCache = undefined;
  await checkInvariants('at the end', undefined, false);
  for (const e of report.errors) violations.push(`runtime error in ${e.label}: ${(e.error as Error)?.message ?? String(e.error)}`);
  for (const r of report.running) violations.push(`execution ${r.name} still running at the end (in ${r.openStates.join(', ')})`);
  for (const e of asyncErrors) violations.push(`runtime error in ${e}`);

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
        largestPayloadBytes: exec.largestPayloadBytes,
        historyEvents: exec.historyEvents,
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
      largestPayloadBytes: exec.largestPayloadBytes,
      historyEvents: exec.historyEvents,
    });
  }
  const apiCalls = world.calls.length;
  const metrics = remote ? [] : metricsTrace(world, services, startMs, clock.now());
  const scheduled: Record<string, ScheduledRunsSummary> = {};
  for (const x of runner.listExecutions().filter((e) => scheduledArns.has(e.executionArn))) {
    const name = operationArns.get(x.stateMachineArn) as string;
    const runs = scheduled[name] ?? { runs: 0, failed: [] };
    scheduled[name] = {
      runs: runs.runs + 1,
      failed: x.status === 'SUCCEEDED' || x.status === 'RUNNING' ? runs.failed : [...runs.failed, { name: x.name, startedAt: (x.startMs - startMs) / 1000, status: x.status, error: x.error ?? null }],
    };
  }
  const operations: OperationSummary[] = runner
    .listExecutions()
    .filter((x) => operationArns.has(x.stateMachineArn) && !scheduledArns.has(x.executionArn))
    .sort((a, b) => a.startMs - b.startMs)
    .map((x) => ({
      stateMachine: operationArns.get(x.stateMachineArn) as string,
      name: x.name,
      status: x.status,
      startedAt: (x.startMs - startMs) / 1000,
      error: x.error ?? null,
      cause: x.cause ?? null,
      input: parseJson(x.input),
      output: x.output === undefined ? null : parseJson(x.output),
    }));
  const awsCalls = [...world.calls.map((c) => ({ at: c.at, operation: `${c.service}:${c.operation}` })), ...dynamoCalls].sort((a, b) => a.at - b.at);
  const consoleSummary: ConsoleSummary[] = consoleLog.map((c) => {
    if (c.kind === 'invoke') return c;
    const exec = c.executionArn ? runner.getExecution(c.executionArn) : undefined;
    return {
      kind: 'start',
      at: c.at,
      stateMachine: c.stateMachine,
      name: exec?.name ?? c.name,
      executionArn: c.executionArn ?? null,
      status: exec?.status ?? (c.refused ? 'NOT_STARTED' : 'UNKNOWN'),
      error: exec?.error ?? c.refused?.error ?? null,
      cause: exec?.cause ?? c.refused?.cause ?? null,
      output: exec?.output === undefined ? null : parseJson(exec.output),
    };
  });
  // The capabilities' parts of the summary (actions, releases ...), in their order.
  const parts: Array<Partial<ScenarioSummary>> = [];
  for (const c of capabilities) parts.push((await c.summary?.(runner.listExecutions())) ?? {});
  runner.dispose();
  return {
    summary: {
      scenario: scenario.name,
      ...(consoleLog.length > 0 ? { console: consoleSummary } : {}),
      ...(eventLog.length > 0 ? { events: eventLog } : {}),
      deployments,
      invariantViolations: violations,
      operations,
      ...(waits.length > 0 ? { waits } : {}),
      ...(Object.keys(scheduled).length > 0 ? { scheduled } : {}),
      ...Object.assign({}, ...parts),
    },
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
    deadLetters,
    awsCalls,
    ...Object.assign({}, ...capabilities.map((c) => c.trace?.() ?? {})),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
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
  const names = exec.statesEntered.map((s) => s.name);
  const rollbackIdx = names.indexOf('Rollback');
  // The state that saw the alarm: a bake (or its extension), the termination wait, or the pre-traffic check.
  const watchIdx = Math.max(...WATCHING_STATES.map((w) => names.lastIndexOf(w, rollbackIdx)));
  if (!traffic || watchIdx < 0 || rollbackIdx < 0) return null;
  const watchedFrom = exec.statesEntered[watchIdx]?.at ?? 0;
  const alarm = record.timeline.filter((e) => e.kind === 'alarm').at(-1);
  // An alarm already firing when the state started is seen by that state itself: it is the start.
  const fromMs = alarm && Date.parse(alarm.at) >= watchedFrom ? Date.parse(alarm.at) : watchedFrom;
  return { transitions: rollbackIdx - watchIdx, virtualSeconds: (Date.parse(traffic.at) - fromMs) / 1000 };
}

/** Deploy states that watch the alarms. */
const WATCHING_STATES = ['Bake', 'ExtendedBake', 'TerminationWait', 'PreTrafficAlarmCheck'] as const;

/** Per minute and target group: requests, 5xx and mean latency, as CloudWatch holds them. */
function metricsTrace(world: World, services: ServiceConfig[], startMs: number, endMs: number): ScenarioTrace['metrics'] {
  const out: ScenarioTrace['metrics'] = [];
  const ns = 'AWS/ApplicationELB';
  for (const svc of services) {
    if (!svc.targetGroupArns) continue; // a worker: no load balancer metrics
    if (/:listener\/net\//.test(routeArnOf(svc))) continue; // an NLB: no per-target-group request metrics
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
