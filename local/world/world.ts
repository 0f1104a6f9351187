/**
 * The in-memory AWS world of the local rehearsal runtime.
 *
 * Real SDK v3 clients reach it through a client plugin: `client.middlewareStack.use(world.plugin)`
 * short-circuits every command at the `initialize` step (before serialization, signing, retries
 * and the network), dispatches `context.clientName` / `context.commandName` with the command input
 * to the service, and returns `{ ...result, $metadata }` or throws the SDK's own exception classes.
 * Nothing in here reads the wall clock or Math.random: time is the {@link VirtualClock}, randomness
 * a seeded generator.
 *
 * Note: because the plugin answers before the SDK's retry middleware, the SDK does not retry a
 * throttle or 5xx from the world: each injected fault reaches the caller (the state machine's Retry
 * is what retries), and one fault count is one failed call.
 */
import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ComparisonOperator, MetricDataQuery, Statistic } from '@aws-sdk/client-cloudwatch';
import type { ContainerDefinition, DeploymentConfiguration, HealthCheck, KeyValuePair, LoadBalancer, RegisterTaskDefinitionCommandInput, Secret, Tag } from '@aws-sdk/client-ecs';
import type { FindingSeverity } from '@aws-sdk/client-ecr';
import type { HandlerExecutionContext, InitializeHandlerArguments, Pluggable } from '@smithy/types';
import type { TaskSetInfo } from '../../functions/core/ports.js';
import type { TargetGroupWeight } from '../../functions/core/model.js';
import type { EventSink, PutEvent, VirtualClock } from '../contracts.js';
import { AutoScalingWorld } from './autoscaling.js';
import { ALB_NAMESPACE, type AlarmStateValue, CloudWatchWorld } from './cloudwatch.js';
import { EcrWorld, type ScanSpec } from './ecr.js';
import { EcsWorld } from './ecs.js';
import { type HookInvoker, NativeDeployments } from './ecs-native.js';
import { ElbWorld, parseElbArn } from './elb.js';
import { NativeTrafficModel } from './native-traffic.js';
import {
  AwsFault,
  responseMetadata,
  SERVICE_BY_CLIENT,
  type ServiceName,
  serverError,
  throttlingError,
  timeoutError,
  toSdkError,
  WorldNotImplemented,
} from './errors.js';
import { EventBridgeWorld } from './eventbridge.js';
import { FaultBook, type WorldFaultSpec } from './faults.js';
import { type Rng, streamFor } from './random.js';
import { SfnWorld, type StepFunctionsBackendWithList } from './sfn.js';
import { floorTo, MINUTE_MS } from './time.js';
import { NLB_NAMESPACE, TrafficModel } from './traffic.js';
import { WorkerModel, type WorkerSpec } from './workers.js';
import { MAX_TAIL_RATIO } from './latency.js';
import {
  type AwsEvent,
  type AwsEventSink,
  DEFAULT_IMAGE_PROFILE,
  DEFAULT_SETTINGS,
  type ImageProfile,
  type ResolvedImageProfile,
  type WorldContext,
  type WorldSettings,
} from './types.js';

export interface WorldOptions {
  readonly clock: VirtualClock;
  /** Default 123456789012. */
  readonly accountId?: string;
  /** Default us-east-1. */
  readonly region?: string;
  /** Seed of every id and every bit of metric noise. Default 1. */
  readonly seed?: number;
  /** Timing knobs (task start delay, health lag, deregistration delay, traffic). */
  readonly settings?: Partial<WorldSettings>;
}

/** One SDK call that reached the world. */
export interface CallRecord {
  readonly at: number;
  /** `ECS`, `ElasticLoadBalancingV2`, `CloudWatch`, `ECR`, `SFN`, `EventBridge` (or the client name when unknown). */
  readonly service: string;
  readonly operation: string;
  readonly input: unknown;
  outcome: 'ok' | 'error';
  error?: { readonly name: string; readonly message: string };
}

/** Describe/List/Get are reads; every other operation is a write. */
export const isWriteOperation = (operation: string): boolean => !/^(Describe|List|Get)/.test(operation);

export interface CreateServiceSpec {
  readonly cluster: string;
  readonly service: string;
  readonly desiredCount: number;
  /** Production traffic on a listener's default action (created, with its load balancer, when new) ... */
  readonly listener?: { readonly arn?: string; readonly port?: number };
  /** ... or on a listener rule (the listener is created with a fixed-response 404 default when new). */
  readonly rule?: { readonly arn?: string; readonly listenerArn?: string; readonly priority?: number; readonly conditions?: RuleCondition[] };
  /** Blue then green; generated when omitted. The first carries the initial task set. */
  readonly targetGroupArns?: readonly [string, string];
  readonly containerName: string;
  readonly containerPort: number;
  /** The running version. Omit for a service that has never been deployed. */
  readonly initialImage?: { readonly repository: string; readonly digest: string; readonly tag?: string };
  /** false: register the task definition but create no task set (a first deployment is pending). Default true. */
  readonly initialTaskSet?: boolean;
  /** Overrides of the generated task definition (family, roles, env, secrets as valueFrom refs, sidecars, tags...). */
  readonly taskDefinition?: TaskDefinitionOverrides;
  /** A test listener on the same load balancer (port 8443), forwarding like production. */
  readonly testListenerArn?: string;
  /** Actions placed before the forward (e.g. authenticate-oidc); they get Order 1.. and the forward comes last. */
  readonly extraActions?: readonly Action[];
  /** Stickiness of the weighted forward. Default disabled. */
  readonly stickiness?: { readonly enabled: boolean; readonly durationSeconds?: number };
  /**
   * How production (and the test listener) forward at the start: `weighted` names both target
   * groups (100/0, default); `blue-only` is a plain forward to blue's TargetGroupArn and
   * `blue-only-forward-config` a ForwardConfig naming only blue: what the console and the CDK set
   * up, where green's target group is on no listener yet.
   */
  readonly productionForward?: 'weighted' | 'blue-only' | 'blue-only-forward-config';
  /** Production requests per minute. Default settings.requestsPerMinute. */
  readonly requestsPerMinute?: number;
  /** Load balancer name when the listener ARN is not given. Default `<service>-alb` (trimmed to 32). */
  readonly loadBalancerName?: string;
  /** A container health check on the service's container (ContainerDefinition.healthCheck). Default none. */
  readonly containerHealthCheck?: HealthCheck;
  /** Health check of both target groups (lag = interval x healthyThreshold). Defaults: 10 s x 3. */
  readonly healthCheck?: { readonly intervalSeconds?: number; readonly healthyThreshold?: number; readonly deregistrationDelaySeconds?: number };
  /**
   * The service's deployment controller. Default EXTERNAL (task sets). ECS: ECS's own deployments
   * (local/world/ecs-native.ts): the service's load balancer is blue's target group with
   * advancedConfiguration { alternateTargetGroupArn: green, productionListenerRule: the rule,
   * testListenerRule (with `nativeTestRule`), roleArn }; needs `rule` and `initialImage`.
   * CODE_DEPLOY: a service Cutover must refuse (UpdateService of its task definition is refused as ECS does).
   */
  readonly deploymentController?: 'EXTERNAL' | 'ECS' | 'CODE_DEPLOY';
  /** ECS controller: the service's deploymentConfiguration (strategy, bake, hooks, alarms). Default ROLLING. */
  readonly deploymentConfiguration?: DeploymentConfiguration;
  /** ECS controller: also a test listener rule (header `x-cutover-test: 1`, on the production listener). */
  readonly nativeTestRule?: boolean;
  /**
   * The load balancer's type when `listener.arn` does not say it (a `listener/net/` ARN is a
   * Network Load Balancer). `network`: a TCP listener (port `listener.port`, default 80) forwarding
   * to TCP target groups; with the ECS controller, advancedConfiguration.productionListenerRule is
   * the listener's ARN (and testListenerRule the `testListenerArn`). Default application.
   */
  readonly loadBalancerType?: 'application' | 'network';
  /** The application's own metrics per version (local/world/native-traffic.ts); the initial revision runs CUTOVER_VERSION `initialVersion`. */
  readonly versionMetrics?: VersionMetricsOptions;
  /** CUTOVER_VERSION of the initial revision when `versionMetrics` is given. Default `initial`. */
  readonly initialVersion?: string;
}

/** What a native web service's application publishes per version (local/world/native-traffic.ts VERSION_METRICS). */
export interface VersionMetricsOptions {
  /** Custom CloudWatch namespace (not AWS/...). */
  readonly namespace: string;
  /** Default `{ service: <service>, version: "{version}" }`. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * A worker: an EXTERNAL ECS service with no load balancer (queue consumers, stream processors).
 * Its task sets have no loadBalancers; it publishes its application metrics per version and the
 * age of its queue (local/world/workers.ts).
 */
export interface CreateWorkerServiceSpec {
  readonly cluster: string;
  readonly service: string;
  readonly desiredCount: number;
  readonly containerName: string;
  /** The running version. Omit for a service that has never been deployed. */
  readonly initialImage?: { readonly repository: string; readonly digest: string; readonly tag?: string };
  /** CUTOVER_VERSION in the initial revision's environment (the version its metrics carry). Default `initial`. */
  readonly initialVersion?: string;
  /** false: register the task definition but create no task set. Default true. */
  readonly initialTaskSet?: boolean;
  /** A container health check on the worker container (ContainerDefinition.healthCheck). Default none. */
  readonly healthCheck?: HealthCheck;
  readonly taskDefinition?: TaskDefinitionOverrides;
  /** Default EXTERNAL. ECS: a headless ECS-controller service (ECS's own BLUE_GREEN without a load balancer). */
  readonly deploymentController?: 'EXTERNAL' | 'ECS' | 'CODE_DEPLOY';
  /** ECS controller: the service's deploymentConfiguration. */
  readonly deploymentConfiguration?: DeploymentConfiguration;
  /**
   * ECS controller: a Service Connect client-server service (no load balancer): the task definition
   * gets a port mapping named `portName` on `port`, the service serviceConnectConfiguration
   * { enabled, namespace, services: [{ portName, discoveryName, clientAliases }] }; its clients send
   * it `requestsPerMinute`, split between revisions by the deployment's production weights, and the
   * world publishes the Service Connect metrics (local/world/native-traffic.ts).
   */
  readonly serviceConnect?: {
    readonly namespace: string;
    readonly discoveryName: string;
    readonly port: number;
    /** Default `http`. */
    readonly portName?: string;
    /** Default [{ port, dnsName: discoveryName }]. */
    readonly clientAliases?: ReadonlyArray<{ readonly port: number; readonly dnsName?: string; readonly testTrafficRules?: { readonly header: { readonly name: string; readonly value?: { readonly exact: string } } } }>;
    /** Default settings.requestsPerMinute. */
    readonly requestsPerMinute?: number;
  };
  /** The application's own request metrics per version (a Service Connect service; local/world/native-traffic.ts). */
  readonly versionMetrics?: VersionMetricsOptions;
  /** What the application publishes and the queue it consumes; omit for a worker without metrics. */
  readonly metrics?: {
    readonly namespace: string;
    /** Default settings.requestsPerMinute. */
    readonly processedPerMinute?: number;
    /** Default `{ service: <service>, version: "{version}" }`. */
    readonly dimensions?: Readonly<Record<string, string>>;
    readonly queueName?: string;
  };
}

export interface SeededWorkerService {
  readonly clusterArn: string;
  readonly serviceArn: string;
  readonly taskDefinitionArn?: string;
  readonly taskSetId?: string;
  readonly taskSetArn?: string;
  readonly imageUri?: string;
  /** ECS controller: the service's first service revision. */
  readonly serviceRevisionArn?: string;
}

/** A metric alarm on any metric (a worker's queue age, an application metric), as PutMetricAlarm takes it. */
export interface CreateMetricAlarmSpec {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly threshold: number;
  /** Default Maximum. A percentile (`p99`) becomes the ExtendedStatistic. */
  readonly statistic?: Statistic | `p${string}`;
  /** Default GreaterThanThreshold. */
  readonly comparison?: ComparisonOperator;
  /** Default 1. */
  readonly evaluationPeriods?: number;
  /** Default evaluationPeriods. */
  readonly datapointsToAlarm?: number;
  /** Default 60. */
  readonly periodSeconds?: number;
  /** Default missing. */
  readonly treatMissingData?: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  readonly description?: string;
}

export interface TaskDefinitionOverrides {
  readonly family?: string;
  readonly taskRoleArn?: string;
  readonly executionRoleArn?: string;
  readonly cpu?: string;
  readonly memory?: string;
  readonly environment?: KeyValuePair[];
  readonly secrets?: Secret[];
  /** More containers next to the service's container. */
  readonly sidecars?: ContainerDefinition[];
  readonly tags?: Tag[];
  /** Any other RegisterTaskDefinition field (merged last). */
  readonly extra?: Partial<RegisterTaskDefinitionCommandInput>;
}

export interface SeededService {
  readonly clusterArn: string;
  readonly serviceArn: string;
  readonly loadBalancerArn: string;
  /** `app/NAME/ID` (CloudWatch LoadBalancer dimension). */
  readonly loadBalancerFullName: string;
  readonly listenerArn: string;
  readonly ruleArn?: string;
  /** The production route: the rule when given, else the listener. */
  readonly routeArn: string;
  readonly testListenerArn?: string;
  /** ECS controller with `nativeTestRule`: the test listener rule. */
  readonly testRuleArn?: string;
  /** ECS controller: the service's first service revision. */
  readonly serviceRevisionArn?: string;
  readonly targetGroupArns: readonly [string, string];
  readonly taskDefinitionArn?: string;
  readonly taskSetId?: string;
  readonly taskSetArn?: string;
  readonly imageUri?: string;
}

export type AlarmMetric =
  | 'HTTPCode_Target_5XX_Count'
  | 'TargetResponseTime'
  | 'RequestCount'
  | 'HealthyHostCount'
  | 'UnHealthyHostCount'
  | 'HTTPCode_ELB_5XX_Count'
  /** Metric math: 100 * FILL(5XX, 0) / RequestCount, in percent. */
  | 'ErrorRate';

export interface CreateAlarmSpec {
  readonly name: string;
  readonly metric: AlarmMetric;
  readonly targetGroupArn: string;
  readonly threshold: number;
  /** Default GreaterThanThreshold. */
  readonly comparison?: ComparisonOperator;
  /** Default 1. */
  readonly evaluationPeriods?: number;
  /** Default evaluationPeriods. */
  readonly datapointsToAlarm?: number;
  /**
   * Default Sum for counts, Average for TargetResponseTime and host counts. A percentile (`p99`,
   * `p99.9`) becomes the alarm's ExtendedStatistic, as PutMetricAlarm takes it.
   */
  readonly statistic?: Statistic | `p${string}`;
  /**
   * The service's target groups, when the alarm watches the whole service rather than
   * `targetGroupArn` alone. Counts (Sum or SampleCount) and host counts are summed over these target
   * groups with metric math (FILL(m, 0) + ...: exact even on a shared load balancer; AWS publishes
   * host counts per target group only); other statistics (latency averages and percentiles) read
   * the LoadBalancer dimension, which ALB publishes for TargetResponseTime and the 5xx and request
   * counts, so the load balancer must serve this service alone.
   */
  readonly serviceTargetGroupArns?: readonly string[];
  /** Default 60. */
  readonly periodSeconds?: number;
  /** Default notBreaching (ALB publishes no zero counts). */
  readonly treatMissingData?: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  readonly description?: string;
}

export interface TargetHealthView {
  readonly id: string;
  readonly port: number;
  readonly taskSetId: string;
  readonly taskArn: string;
  readonly state: 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';
}

type ServiceOps = Record<string, (input: never) => unknown>;

export class World {
  readonly clock: VirtualClock;
  readonly accountId: string;
  readonly region: string;
  readonly seed: number;
  readonly settings: WorldSettings;

  /** Every SDK call that reached the world, in order. */
  readonly calls: CallRecord[] = [];
  /** Every EventBridge PutEvents entry accepted. */
  readonly putEvents: PutEvent[] = [];
  /** Every AWS event the world emitted (alarm state changes ...), in order. */
  readonly awsEvents: AwsEvent[] = [];

  readonly ecs: EcsWorld;
  readonly elb: ElbWorld;
  readonly cloudwatch: CloudWatchWorld;
  readonly ecr: EcrWorld;
  readonly sfn: SfnWorld;
  readonly events: EventBridgeWorld;
  readonly autoscaling: AutoScalingWorld;
  /** ECS's own deployments of ECS-controller services (local/world/ecs-native.ts). */
  readonly native: NativeDeployments;
  /** The load balancer of each seeded service's route, by its target groups (alarm dimensions). */
  private readonly serviceLoadBalancer = new Map<string, { arn: string; fullName: string }>();
  readonly traffic: TrafficModel;
  /** Worker services' application metrics and queue ages (local/world/workers.ts). */
  readonly workers: WorkerModel;
  /** Service Connect traffic and per-version application metrics of native web services (local/world/native-traffic.ts). */
  readonly nativeTraffic: NativeTrafficModel;

  /**
   * The client plugin: `client.middlewareStack.use(world.plugin)`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: one plugin serves every client's input and output types
  readonly plugin: Pluggable<any, any>;

  private readonly faults = new FaultBook();
  private readonly profiles = new Map<string, ImageProfile>();
  private readonly awsSinks: AwsEventSink[] = [];
  private readonly putSinks: EventSink[] = [];
  private readonly ids: Rng;
  private readonly requestIds: Rng;
  private readonly ops: Record<ServiceName, ServiceOps>;
  private readonly createdAt: number;
  private nextMinute: number;
  private cancelTicks: (() => void) | undefined;

  constructor(opts: WorldOptions) {
    this.clock = opts.clock;
    this.accountId = opts.accountId ?? '123456789012';
    this.region = opts.region ?? 'us-east-1';
    this.seed = opts.seed ?? 1;
    this.settings = { ...DEFAULT_SETTINGS, ...(opts.settings ?? {}) };
    if (!/^\d{12}$/.test(this.accountId)) throw new Error(`accountId must be 12 digits (got ${this.accountId})`);
    this.ids = streamFor(this.seed, 'ids');
    this.requestIds = streamFor(this.seed, 'request-ids');
    this.createdAt = this.clock.now();
    this.nextMinute = floorTo(this.createdAt, MINUTE_MS);

    const ctx: WorldContext = {
      clock: this.clock,
      accountId: this.accountId,
      region: this.region,
      seed: this.seed,
      ids: this.ids,
      settings: this.settings,
      profile: (digest) => this.imageProfile(digest),
      digestOfImage: (image) => this.ecr.digestOfImage(image),
      ecrHasImage: (image) => this.ecr.resolves(image),
      emit: (event) => this.emit(event),
    };
    this.ecr = new EcrWorld(ctx);
    this.ecs = new EcsWorld(ctx);
    this.elb = new ElbWorld(ctx, this.ecs);
    this.ecs.attachTargetGroups(this.elb);
    this.cloudwatch = new CloudWatchWorld(ctx);
    this.native = new NativeDeployments(ctx, this.ecs, this.elb, (name) => this.cloudwatch.alarmState(name)?.value, this.settings.nativeAlarmPollMs);
    this.ecs.attachNative(this.native);
    this.sfn = new SfnWorld(ctx);
    this.events = new EventBridgeWorld(ctx, (e) => {
      this.putEvents.push(e);
      for (const sink of this.putSinks) sink(e);
    });
    this.traffic = new TrafficModel(ctx, this.elb, this.cloudwatch.metrics);
    this.autoscaling = new AutoScalingWorld(ctx, this.ecs);
    this.workers = new WorkerModel(ctx, this.ecs, this.cloudwatch.metrics);
    this.nativeTraffic = new NativeTrafficModel(ctx, this.ecs, this.elb, this.native, this.traffic, this.cloudwatch.metrics);
    this.ops = {
      ECS: { ...this.ecs.operations(), ...this.native.operations() },
      ElasticLoadBalancingV2: this.elb.operations(),
      CloudWatch: this.cloudwatch.operations(),
      ECR: this.ecr.operations(),
      SFN: this.sfn.operations(),
      EventBridge: this.events.operations(),
      ApplicationAutoScaling: this.autoscaling.operations(),
    };
    this.plugin = {
      applyToStack: (stack) => {
        stack.add(
          (_next, context: HandlerExecutionContext) => async (args: InitializeHandlerArguments<object>) => {
            const output = await this.handle(context.clientName, context.commandName, args.input);
            return { output, response: {} };
          },
          { step: 'initialize', name: 'cutoverLocalAwsWorld', priority: 'high', override: true },
        );
      },
    };
  }

  // ------------------------------------------------------------------ dispatch
  /**
   * Answer one SDK call as AWS would: `{...result, $metadata}` or a thrown SDK exception. Also what
   * the plugin calls; usable directly (`world.call('ECS', 'DescribeServices', {...})`).
   */
  async call(service: string, operation: string, input: unknown): Promise<Record<string, unknown>> {
    const at = this.clock.now();
    const record: CallRecord = { at, service, operation, input: clone(input), outcome: 'ok' };
    this.calls.push(record);
    const requestId = this.requestIds.uuid();
    try {
      const ops = this.ops[service as ServiceName];
      const op = ops?.[operation];
      if (!ops || !op) throw new WorldNotImplemented(service, operation);
      const svc = service as ServiceName;
      const f = this.faults.take(service, operation, at);
      if (f) {
        if (f.kind === 'timeout') {
          if (f.applied) await Promise.resolve(op(clone(input) as never)).catch(() => undefined);
          throw timeoutError();
        }
        throw f.kind === 'throttle' ? throttlingError(svc, requestId) : serverError(svc, requestId);
      }
      let result: unknown;
      try {
        result = await op(clone(input ?? {}) as never);
      } catch (e) {
        if (e instanceof AwsFault) throw toSdkError(svc, e, requestId);
        throw e;
      }
      return { ...(structuredClone(result) as Record<string, unknown>), $metadata: responseMetadata(200, requestId) };
    } catch (e) {
      record.outcome = 'error';
      record.error = { name: (e as Error).name, message: (e as Error).message };
      throw e;
    }
  }

  private handle(clientName: string | undefined, commandName: string | undefined, input: unknown): Promise<Record<string, unknown>> {
    const service = SERVICE_BY_CLIENT[clientName ?? ''] ?? clientName ?? '(unknown client)';
    const operation = (commandName ?? '(unknown command)').replace(/Command$/, '');
    return this.call(service, operation, input);
  }

  /** Mutating calls (anything but Describe/List/Get) that reached the world, failed ones included unless `okOnly`. */
  writeCount(filter: { service?: string; okOnly?: boolean } = {}): number {
    return this.calls.filter(
      (c) => isWriteOperation(c.operation) && (filter.service === undefined || c.service === filter.service) && (!filter.okOnly || c.outcome === 'ok'),
    ).length;
  }

  // ------------------------------------------------------------------ faults, events, backends
  /** Fail the next `count` calls matching `spec.operation` (`Service:Operation`, `Service:*`, `*`). */
  injectFault(spec: WorldFaultSpec): void {
    this.faults.add(spec, this.clock.now());
  }
  pendingFaults(): Array<WorldFaultSpec & { remaining: number }> {
    return this.faults.pending();
  }
  clearFaults(): void {
    this.faults.clear();
  }

  /** Receive every AWS event the world emits (alarm state changes). Returns an unsubscribe function. */
  onAwsEvent(fn: AwsEventSink): () => void {
    this.awsSinks.push(fn);
    return () => {
      const k = this.awsSinks.indexOf(fn);
      if (k >= 0) this.awsSinks.splice(k, 1);
    };
  }
  /** Receive every entry accepted by EventBridge PutEvents. Returns an unsubscribe function. */
  onPutEvent(fn: EventSink): () => void {
    this.putSinks.push(fn);
    return () => {
      const k = this.putSinks.indexOf(fn);
      if (k >= 0) this.putSinks.splice(k, 1);
    };
  }
  private emit(event: AwsEvent): void {
    this.awsEvents.push(event);
    for (const sink of [...this.awsSinks]) sink(event);
  }

  /**
   * Who answers the Lambda lifecycle hooks of ECS-controller deployments: called with the function
   * ARN and the payload ECS sends; returns the function's answer (`{ hookStatus, callBackDelay?,
   * hookDetails? }`); a throw is a failed invocation. Unset: every hook invocation fails.
   */
  setHookInvoker(fn: HookInvoker | undefined): void {
    this.native.setHookInvoker(fn);
  }

  setStepFunctionsBackend(backend: StepFunctionsBackendWithList): void {
    this.sfn.setBackend(backend);
  }

  // ------------------------------------------------------------------ images
  /** How an image behaves (merged over the defaults: errorRate 0.001, latencyMs 80, healthy). */
  setImageProfile(digest: string, profile: Partial<ImageProfile>): void {
    const next = { ...this.imageProfile(digest), ...profile };
    if (next.p99LatencyMs !== undefined && !(next.p99LatencyMs > next.latencyMs && next.p99LatencyMs <= next.latencyMs * MAX_TAIL_RATIO)) {
      throw new Error(`image ${digest}: p99LatencyMs (${next.p99LatencyMs}) must be above latencyMs (${next.latencyMs}, the mean) and at most ${MAX_TAIL_RATIO} times it`);
    }
    this.profiles.set(digest, next);
  }
  imageProfile(digest: string | undefined): ResolvedImageProfile {
    const p = digest === undefined ? undefined : this.profiles.get(digest);
    return { ...DEFAULT_IMAGE_PROFILE, ...(p ?? {}) };
  }

  /**
   * Push an image to ECR (the repository is created when new) and return the `ECR Image Action`
   * event exactly as AWS sends it (for the first tag). The event goes to the onAwsEvent sinks
   * only with `emit: true`; by default the caller routes it.
   */
  pushImage(
    repository: string,
    digest: string,
    tags: readonly string[] = [],
    opts: { scan?: ScanSpec | null; sizeBytes?: number; emit?: boolean } = {},
  ): AwsEvent {
    const event = this.ecr.pushImage(repository, digest, tags, opts);
    if (opts.emit) this.emit(event as unknown as AwsEvent);
    return event as unknown as AwsEvent;
  }
  /** Scan result of an image: status (default COMPLETE), severity counts, IN_PROGRESS until completeAtMs. `null`: never scanned. */
  setScanFindings(
    repository: string,
    digest: string,
    scan: { status?: ScanSpec['status']; findingSeverityCounts?: Partial<Record<FindingSeverity, number>>; completeAtMs?: number } | null,
  ): void {
    this.ecr.setScanFindings(repository, digest, scan);
  }
  imageUri(repository: string, digest: string): string {
    return this.ecr.imageUri(repository, digest);
  }

  // ------------------------------------------------------------------ seeding
  /**
   * A managed service as Cutover expects to find it: an EXTERNAL ECS service whose PRIMARY task set
   * (task definition revision 1 with `initialImage`) runs on targetGroupArns[0] at 100 %, steady and
   * healthy; the production listener (or rule) forwards 100/0 to the two target groups.
   */
  createService(spec: CreateServiceSpec): SeededService {
    if (spec.listener && spec.rule) throw new Error('createService: give listener or rule, not both');
    const fromArn = spec.listener?.arn ? parseElbArn(spec.listener.arn) : undefined;
    const network = spec.loadBalancerType === 'network' || (fromArn?.kind === 'listener' && fromArn.lbType === 'network');
    if (network && spec.loadBalancerType === 'application') throw new Error(`createService: ${spec.listener?.arn} is a Network Load Balancer listener (listener/net/), not an application one`);
    if (network && (spec.rule || spec.nativeTestRule || spec.extraActions?.length)) {
      throw new Error('createService: a Network Load Balancer service takes production on the listener itself: no rule, no nativeTestRule, no extraActions (an NLB listener has one forward action)');
    }
    const hc = spec.healthCheck ?? {};
    const tgSpec = (arn: string | undefined, suffix: string) => ({
      ...(arn ? { arn } : { name: `${spec.service.slice(0, 26)}-${suffix}`.replace(/[^A-Za-z0-9-]/g, '-') }),
      ...(network ? { protocol: 'TCP' } : {}),
      port: spec.containerPort,
      ...(hc.intervalSeconds !== undefined ? { healthCheckIntervalSeconds: hc.intervalSeconds } : {}),
      ...(hc.healthyThreshold !== undefined ? { healthyThresholdCount: hc.healthyThreshold } : {}),
      ...(hc.deregistrationDelaySeconds !== undefined ? { deregistrationDelaySeconds: hc.deregistrationDelaySeconds } : {}),
    });
    const blue = this.elb.ensureTargetGroup(tgSpec(spec.targetGroupArns?.[0], 'blue'));
    const green = this.elb.ensureTargetGroup(tgSpec(spec.targetGroupArns?.[1], 'green'));
    if (blue.arn === green.arn) throw new Error('createService: the two target groups must differ');

    const extra = (spec.extraActions ?? []).map((a, k) => ({ ...structuredClone(a), Order: k + 1 }));
    const shape = spec.productionForward ?? 'weighted';
    const forward: Action = shape === 'blue-only' ? {
      Type: 'forward',
      ...(extra.length > 0 ? { Order: extra.length + 1 } : {}),
      TargetGroupArn: blue.arn,
    } : {
      Type: 'forward',
      ...(extra.length > 0 ? { Order: extra.length + 1 } : {}),
      ForwardConfig: {
        TargetGroups: shape === 'blue-only-forward-config' ? [{ TargetGroupArn: blue.arn, Weight: 1 }] : [
          { TargetGroupArn: blue.arn, Weight: 100 },
          { TargetGroupArn: green.arn, Weight: 0 },
        ],
        TargetGroupStickinessConfig: spec.stickiness
          ? { Enabled: spec.stickiness.enabled, ...(spec.stickiness.durationSeconds !== undefined ? { DurationSeconds: spec.stickiness.durationSeconds } : {}) }
          : { Enabled: false },
      },
    };
    const actions = [...extra, forward];
    const lbName = (spec.loadBalancerName ?? `${spec.service}-${network ? 'nlb' : 'alb'}`).slice(0, 32).replace(/-+$/, '');

    let listenerArn: string;
    let ruleArn: string | undefined;
    if (spec.rule) {
      const fromRule = spec.rule.arn ? parseElbArn(spec.rule.arn) : undefined;
      if (spec.rule.arn && fromRule?.kind !== 'rule') throw new Error(`createService: '${spec.rule.arn}' is not a listener-rule ARN`);
      const derived = fromRule?.kind === 'rule' ? `${fromRule.prefix}:listener/app/${fromRule.lbName}/${fromRule.lbId}/${fromRule.listenerId}` : undefined;
      listenerArn = spec.rule.listenerArn ?? derived ?? '';
      if (derived && spec.rule.listenerArn && derived !== spec.rule.listenerArn) {
        throw new Error(`createService: rule ${spec.rule.arn} does not belong to listener ${spec.rule.listenerArn}`);
      }
      if (!listenerArn || !this.elb.hasListener(listenerArn)) {
        listenerArn = this.elb.createListener({
          ...(listenerArn ? { arn: listenerArn } : { loadBalancerName: lbName }),
          port: 443,
          protocol: 'HTTPS',
          defaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } }],
        }).arn;
      }
      ruleArn = this.elb.createRule({
        ...(spec.rule.arn ? { arn: spec.rule.arn } : {}),
        listenerArn,
        ...(spec.rule.priority !== undefined ? { priority: spec.rule.priority } : {}),
        conditions: spec.rule.conditions ?? [{ Field: 'path-pattern', Values: [`/${spec.service}/*`], PathPatternConfig: { Values: [`/${spec.service}/*`] } }],
        actions,
      }).arn;
    } else {
      listenerArn = this.elb.createListener({
        ...(spec.listener?.arn ? { arn: spec.listener.arn } : { loadBalancerName: lbName, ...(network ? { loadBalancerType: 'network' as const } : {}) }),
        port: spec.listener?.port ?? (network ? 80 : 443),
        protocol: network ? 'TCP' : 'HTTPS',
        defaultActions: actions,
      }).arn;
    }
    const lb = this.elb.loadBalancerOfRoute(listenerArn);
    if (!lb) throw new Error('createService: listener without load balancer');
    for (const tg of [blue.arn, green.arn]) this.serviceLoadBalancer.set(tg, { arn: lb.arn, fullName: lb.fullName });

    let testListenerArn: string | undefined;
    if (spec.testListenerArn) {
      const p = parseElbArn(spec.testListenerArn);
      const prod = parseElbArn(listenerArn);
      if (p?.kind !== 'listener' || prod?.kind !== 'listener' || p.lbId !== prod.lbId || p.lbName !== prod.lbName) {
        throw new Error('createService: testListenerArn must be a listener ARN on the same load balancer as production');
      }
      testListenerArn = this.elb.createListener({ arn: spec.testListenerArn, port: 8443, protocol: network ? 'TCP' : 'HTTPS', defaultActions: [structuredClone(forward)] }).arn;
      this.traffic.setRequestsPerMinute(testListenerArn, 0);
    }

    const cluster = this.ecs.ensureCluster(spec.cluster);
    let taskDefinitionArn: string | undefined;
    let imageUri: string | undefined;
    let seeded: { serviceArn: string; taskSetId?: string; taskSetArn?: string } | undefined;
    if (spec.initialImage) {
      const { repository, digest, tag } = spec.initialImage;
      if (!this.ecr.hasImage(repository, digest)) this.ecr.pushImage(repository, digest, tag ? [tag] : []);
      imageUri = this.ecr.imageUri(repository, digest);
      const env = spec.versionMetrics ? [{ name: 'CUTOVER_VERSION', value: spec.initialVersion ?? 'initial' }] : undefined;
      taskDefinitionArn = this.ecs.register(this.taskDefinitionInput({ ...spec, ...(env ? { env } : {}) }, imageUri), `arn:aws:iam::${this.accountId}:root`).taskDefinitionArn as string;
    }
    const controller = spec.deploymentController ?? 'EXTERNAL';
    if (controller !== 'EXTERNAL' && (!spec.initialImage || spec.initialTaskSet === false)) {
      throw new Error(`createService: a ${controller}-controller service needs initialImage (the world seeds it running its first revision)`);
    }
    if (controller === 'ECS' && !ruleArn && !network) {
      throw new Error('createService: an ECS-controller service behind an ALB needs `rule` (advancedConfiguration.productionListenerRule is a listener rule for an ALB, the listener for an NLB)');
    }
    if (controller === 'EXTERNAL' && (spec.deploymentConfiguration || spec.nativeTestRule)) throw new Error('createService: deploymentConfiguration and nativeTestRule need deploymentController ECS');
    if (spec.initialImage && spec.initialTaskSet !== false && taskDefinitionArn) {
      seeded = this.ecs.seedService({
        cluster: cluster.name,
        service: spec.service,
        desiredCount: spec.desiredCount,
        taskDefinitionArn,
        targetGroupArn: blue.arn,
        containerName: spec.containerName,
        containerPort: spec.containerPort,
        runningSinceMs: 3_600_000,
        controller,
      });
    } else {
      seeded = this.ecs.seedEmptyService(cluster.name, spec.service, spec.desiredCount);
    }
    let testRuleArn: string | undefined;
    let serviceRevisionArn: string | undefined;
    if (controller !== 'EXTERNAL') {
      if (spec.nativeTestRule && ruleArn) {
        testRuleArn = this.elb.createRule({
          listenerArn,
          priority: (spec.rule?.priority ?? 1) + 1000,
          conditions: [
            ...(spec.rule?.conditions ?? [{ Field: 'path-pattern', Values: [`/${spec.service}/*`], PathPatternConfig: { Values: [`/${spec.service}/*`] } }]),
            { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-cutover-test', Values: ['1'] } },
          ],
          actions: [structuredClone(forward)],
        }).arn;
      }
      const lbs: LoadBalancer[] =
        controller === 'ECS'
          ? [
              {
                targetGroupArn: blue.arn,
                containerName: spec.containerName,
                containerPort: spec.containerPort,
                advancedConfiguration: {
                  alternateTargetGroupArn: green.arn,
                  productionListenerRule: network ? listenerArn : (ruleArn as string),
                  ...(network && testListenerArn ? { testListenerRule: testListenerArn } : {}),
                  ...(testRuleArn ? { testListenerRule: testRuleArn } : {}),
                  roleArn: `arn:aws:iam::${this.accountId}:role/ecsInfrastructureRoleForLoadBalancers`,
                },
              },
            ]
          : [{ targetGroupArn: blue.arn, containerName: spec.containerName, containerPort: spec.containerPort }];
      serviceRevisionArn = this.native.register({
        cluster: cluster.name,
        service: spec.service,
        loadBalancers: lbs,
        ...(spec.deploymentConfiguration ? { deploymentConfiguration: spec.deploymentConfiguration } : {}),
      }).serviceRevisionArn;
    }
    const routeArn = ruleArn ?? listenerArn;
    this.traffic.setRequestsPerMinute(routeArn, spec.requestsPerMinute ?? this.settings.requestsPerMinute);
    if (spec.versionMetrics) {
      this.nativeTraffic.addVersionMetrics({
        cluster: cluster.name,
        service: spec.service,
        containerName: spec.containerName,
        namespace: spec.versionMetrics.namespace,
        dimensions: spec.versionMetrics.dimensions ?? { service: spec.service, version: '{version}' },
        routeArn,
      });
    }
    return {
      clusterArn: cluster.arn,
      serviceArn: seeded.serviceArn,
      loadBalancerArn: lb.arn,
      loadBalancerFullName: lb.fullName,
      listenerArn,
      ...(ruleArn ? { ruleArn } : {}),
      routeArn,
      ...(testListenerArn ? { testListenerArn } : {}),
      ...(testRuleArn ? { testRuleArn } : {}),
      ...(serviceRevisionArn ? { serviceRevisionArn } : {}),
      targetGroupArns: [blue.arn, green.arn],
      ...(taskDefinitionArn ? { taskDefinitionArn } : {}),
      ...(seeded.taskSetId && !serviceRevisionArn ? { taskSetId: seeded.taskSetId, taskSetArn: seeded.taskSetArn as string } : {}),
      ...(imageUri ? { imageUri } : {}),
    };
  }

  private taskDefinitionInput(
    spec: { service: string; containerName: string; containerPort?: number; portName?: string; taskDefinition?: TaskDefinitionOverrides; containerHealthCheck?: HealthCheck; env?: KeyValuePair[] },
    imageUri: string,
  ): RegisterTaskDefinitionCommandInput {
    const o = spec.taskDefinition ?? {};
    const env = spec.env ?? [];
    const base = o.environment ?? (spec.containerPort !== undefined ? [{ name: 'PORT', value: String(spec.containerPort) }] : []);
    const family = o.family ?? spec.service;
    return {
      family,
      taskRoleArn: o.taskRoleArn ?? `arn:aws:iam::${this.accountId}:role/${family}-task`,
      executionRoleArn: o.executionRoleArn ?? `arn:aws:iam::${this.accountId}:role/${family}-execution`,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: o.cpu ?? '256',
      memory: o.memory ?? '512',
      containerDefinitions: [
        {
          name: spec.containerName,
          image: imageUri,
          essential: true,
          ...(spec.containerPort !== undefined
            ? { portMappings: [{ containerPort: spec.containerPort, protocol: 'tcp' as const, ...(spec.portName ? { name: spec.portName, appProtocol: 'http' as const } : {}) }] }
            : {}),
          environment: [...base.filter((e) => !env.some((x) => x.name === e.name)), ...env],
          ...(spec.containerHealthCheck ? { healthCheck: structuredClone(spec.containerHealthCheck) } : {}),
          ...(o.secrets ? { secrets: o.secrets } : {}),
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': `/ecs/${family}`, 'awslogs-region': this.region, 'awslogs-stream-prefix': spec.containerName },
          },
        },
        ...(o.sidecars ?? []),
      ],
      tags: o.tags ?? [{ key: 'service', value: spec.service }],
      ...(o.extra ?? {}),
    };
  }

  /**
   * A worker service (no load balancer): an EXTERNAL ECS service whose PRIMARY task set (revision 1
   * with `initialImage`, CUTOVER_VERSION `initialVersion` in the worker container's environment)
   * runs at 100 % with no loadBalancers, steady; with `metrics`, the world publishes its
   * application metrics per version and its queue's age every minute (local/world/workers.ts).
   */
  createWorkerService(spec: CreateWorkerServiceSpec): SeededWorkerService {
    const cluster = this.ecs.ensureCluster(spec.cluster);
    let taskDefinitionArn: string | undefined;
    let imageUri: string | undefined;
    if (spec.initialImage) {
      const { repository, digest, tag } = spec.initialImage;
      if (!this.ecr.hasImage(repository, digest)) this.ecr.pushImage(repository, digest, tag ? [tag] : []);
      imageUri = this.ecr.imageUri(repository, digest);
      const env = [
        { name: 'CUTOVER_VERSION', value: spec.initialVersion ?? 'initial' },
        { name: 'CUTOVER_COLOR', value: 'blue' },
      ];
      const sc = spec.serviceConnect;
      taskDefinitionArn = this.ecs.register(
        this.taskDefinitionInput(
          {
            service: spec.service,
            containerName: spec.containerName,
            env,
            ...(sc ? { containerPort: sc.port, portName: sc.portName ?? 'http' } : {}),
            ...(spec.taskDefinition ? { taskDefinition: spec.taskDefinition } : {}),
            ...(spec.healthCheck ? { containerHealthCheck: spec.healthCheck } : {}),
          },
          imageUri,
        ),
        `arn:aws:iam::${this.accountId}:root`,
      ).taskDefinitionArn as string;
    }
    const seeded: { serviceArn: string; taskSetId?: string; taskSetArn?: string } =
      spec.initialImage && spec.initialTaskSet !== false && taskDefinitionArn
        ? this.ecs.seedService({
            cluster: cluster.name,
            service: spec.service,
            desiredCount: spec.desiredCount,
            taskDefinitionArn,
            containerName: spec.containerName,
            containerPort: 0,
            runningSinceMs: 3_600_000,
            ...(spec.deploymentController ? { controller: spec.deploymentController } : {}),
          })
        : this.ecs.seedEmptyService(cluster.name, spec.service, spec.desiredCount, spec.deploymentController ?? 'EXTERNAL');
    let serviceRevisionArn: string | undefined;
    if ((spec.deploymentController ?? 'EXTERNAL') !== 'EXTERNAL') {
      if (!seeded.taskSetId) throw new Error(`createWorkerService: a ${spec.deploymentController}-controller service needs initialImage`);
      const sc = spec.serviceConnect;
      serviceRevisionArn = this.native.register({
        cluster: cluster.name,
        service: spec.service,
        ...(spec.deploymentConfiguration ? { deploymentConfiguration: spec.deploymentConfiguration } : {}),
        ...(sc
          ? {
              serviceConnectConfiguration: {
                enabled: true,
                namespace: sc.namespace,
                services: [
                  {
                    portName: sc.portName ?? 'http',
                    discoveryName: sc.discoveryName,
                    clientAliases: (sc.clientAliases ?? [{ port: sc.port, dnsName: sc.discoveryName }]).map((a) => structuredClone(a) as never),
                  },
                ],
              },
            }
          : {}),
      }).serviceRevisionArn;
      if (sc) this.nativeTraffic.addServiceConnect({ cluster: cluster.name, service: spec.service, discoveryName: sc.discoveryName, requestsPerMinute: sc.requestsPerMinute ?? this.settings.requestsPerMinute });
    } else if (spec.deploymentConfiguration || spec.serviceConnect) throw new Error('createWorkerService: deploymentConfiguration and serviceConnect need deploymentController ECS');
    if (spec.versionMetrics) {
      if (!spec.serviceConnect) throw new Error('createWorkerService: versionMetrics are request metrics of a Service Connect service; a worker publishes `metrics`');
      this.nativeTraffic.addVersionMetrics({
        cluster: cluster.name,
        service: spec.service,
        containerName: spec.containerName,
        namespace: spec.versionMetrics.namespace,
        dimensions: spec.versionMetrics.dimensions ?? { service: spec.service, version: '{version}' },
      });
    }
    if (spec.metrics) {
      const worker: WorkerSpec = {
        cluster: cluster.name,
        service: spec.service,
        containerName: spec.containerName,
        namespace: spec.metrics.namespace,
        processedPerMinute: spec.metrics.processedPerMinute ?? this.settings.requestsPerMinute,
        dimensions: spec.metrics.dimensions ?? { service: spec.service, version: '{version}' },
        ...(spec.metrics.queueName ? { queueName: spec.metrics.queueName } : {}),
      };
      this.workers.add(worker);
    }
    return {
      clusterArn: cluster.arn,
      serviceArn: seeded.serviceArn,
      ...(taskDefinitionArn ? { taskDefinitionArn } : {}),
      ...(seeded.taskSetId && !serviceRevisionArn ? { taskSetId: seeded.taskSetId, taskSetArn: seeded.taskSetArn as string } : {}),
      ...(imageUri ? { imageUri } : {}),
      ...(serviceRevisionArn ? { serviceRevisionArn } : {}),
    };
  }

  /** A metric alarm on any namespace, metric and dimensions (PutMetricAlarm): a worker's queue age or application metric. */
  createMetricAlarm(spec: CreateMetricAlarmSpec): { alarmName: string; alarmArn: string } {
    const statistic = spec.statistic ?? 'Maximum';
    this.cloudwatch.putMetricAlarm({
      AlarmName: spec.name,
      ...(spec.description ? { AlarmDescription: spec.description } : {}),
      Namespace: spec.namespace,
      MetricName: spec.metricName,
      Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
      ...(/^p/.test(statistic) ? { ExtendedStatistic: statistic } : { Statistic: statistic as Statistic }),
      Period: spec.periodSeconds ?? 60,
      EvaluationPeriods: spec.evaluationPeriods ?? 1,
      DatapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison ?? 'GreaterThanThreshold',
      TreatMissingData: spec.treatMissingData ?? 'missing',
    });
    return { alarmName: spec.name, alarmArn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${spec.name}` };
  }

  /**
   * A CloudWatch alarm on a target group's ALB metric (namespace AWS/ApplicationELB, dimensions
   * TargetGroup + LoadBalancer; HTTPCode_ELB_5XX_Count on LoadBalancer only). `ErrorRate` is a
   * metric-math alarm: `100 * FILL(m1, 0) / m2` with m1 = HTTPCode_Target_5XX_Count (Sum) and
   * m2 = RequestCount (Sum), in percent.
   */
  createAlarm(spec: CreateAlarmSpec): { alarmName: string; alarmArn: string } {
    const tgName = this.elb.targetGroupFullName(spec.targetGroupArn);
    if (!tgName) throw new Error(`createAlarm: no target group ${spec.targetGroupArn}`);
    // A target group on no listener yet (a route forwarding to blue alone) still has its service's
    // load balancer as its LoadBalancer dimension: the metric appears once a listener names it.
    const lb = this.elb.loadBalancersOf(spec.targetGroupArn)[0] ?? this.serviceLoadBalancer.get(spec.targetGroupArn);
    if (!lb) throw new Error(`createAlarm: target group ${spec.targetGroupArn} is not behind a load balancer`);
    if (lb.fullName.startsWith('net/')) {
      // AWS/NetworkELB publishes only the host counts per target group (no HTTP codes, no response time).
      if (spec.metric !== 'HealthyHostCount' && spec.metric !== 'UnHealthyHostCount') {
        throw new Error(`createAlarm ${spec.name}: ${spec.metric} does not exist for a Network Load Balancer's target group (AWS/NetworkELB has HealthyHostCount and UnHealthyHostCount per target group); alarm on those, or on the application's version metrics (createMetricAlarm)`);
      }
      if (spec.serviceTargetGroupArns) throw new Error(`createAlarm ${spec.name}: serviceTargetGroupArns is not modelled for a Network Load Balancer; alarm per target group`);
      this.cloudwatch.putMetricAlarm({
        AlarmName: spec.name,
        ...(spec.description ? { AlarmDescription: spec.description } : {}),
        Namespace: NLB_NAMESPACE,
        MetricName: spec.metric,
        Dimensions: [
          { Name: 'TargetGroup', Value: tgName },
          { Name: 'LoadBalancer', Value: lb.fullName },
        ],
        Statistic: (spec.statistic ?? 'Average') as Statistic,
        Period: spec.periodSeconds ?? 60,
        EvaluationPeriods: spec.evaluationPeriods ?? 1,
        DatapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
        Threshold: spec.threshold,
        ComparisonOperator: spec.comparison ?? 'GreaterThanThreshold',
        TreatMissingData: spec.treatMissingData ?? 'notBreaching',
      });
      return { alarmName: spec.name, alarmArn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${spec.name}` };
    }
    const period = spec.periodSeconds ?? 60;
    const dims = [
      { Name: 'TargetGroup', Value: tgName },
      { Name: 'LoadBalancer', Value: lb.fullName },
    ];
    const common = {
      AlarmName: spec.name,
      ...(spec.description ? { AlarmDescription: spec.description } : {}),
      EvaluationPeriods: spec.evaluationPeriods ?? 1,
      DatapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison ?? 'GreaterThanThreshold',
      TreatMissingData: spec.treatMissingData ?? 'notBreaching',
    } as const;
    const averaged = spec.metric === 'TargetResponseTime' || spec.metric === 'HealthyHostCount' || spec.metric === 'UnHealthyHostCount';
    const statistic = spec.statistic ?? (averaged ? 'Average' : 'Sum');
    const percentile = /^p/.test(statistic);
    const statOf = (): { Statistic: Statistic } | { ExtendedStatistic: string } =>
      percentile ? { ExtendedStatistic: statistic } : { Statistic: statistic as Statistic };
    const tgDims = (arn: string) => {
      const name = this.elb.targetGroupFullName(arn);
      if (!name) throw new Error(`createAlarm: no target group ${arn}`);
      return [
        { Name: 'TargetGroup', Value: name },
        { Name: 'LoadBalancer', Value: lb.fullName },
      ];
    };
    const query = (id: string, name: string, d: ReturnType<typeof tgDims>, stat = 'Sum'): MetricDataQuery => ({
      Id: id,
      MetricStat: { Metric: { Namespace: ALB_NAMESPACE, MetricName: name, Dimensions: d }, Period: period, Stat: stat },
      ReturnData: false,
    });
    const whole = spec.serviceTargetGroupArns;
    const filled = (ids: readonly string[]) => ids.map((id) => `FILL(${id}, 0)`).join(' + ');
    if (spec.metric === 'ErrorRate') {
      const groups = whole ?? [spec.targetGroupArn];
      const errors = groups.map((tg, k) => query(`e${k}`, 'HTTPCode_Target_5XX_Count', tgDims(tg)));
      const requests = groups.map((tg, k) => query(`r${k}`, 'RequestCount', tgDims(tg)));
      this.cloudwatch.putMetricAlarm({
        ...common,
        Metrics: whole
          ? [
              { Id: 'rate', Expression: `100 * (${filled(errors.map((q) => q.Id as string))}) / (${filled(requests.map((q) => q.Id as string))})`, Label: 'ErrorRate', ReturnData: true },
              ...errors,
              ...requests,
            ]
          : [
              { Id: 'e1', Expression: '100 * FILL(m1, 0) / m2', Label: 'ErrorRate', ReturnData: true },
              query('m1', 'HTTPCode_Target_5XX_Count', dims),
              query('m2', 'RequestCount', dims),
            ],
      });
    } else if (whole && spec.metric !== 'HTTPCode_ELB_5XX_Count' && (spec.metric === 'HealthyHostCount' || spec.metric === 'UnHealthyHostCount' || statistic === 'Sum' || statistic === 'SampleCount')) {
      // The whole service, summed over its target groups (metric math).
      const parts = whole.map((tg, k) => query(`m${k}`, spec.metric, tgDims(tg), statistic));
      this.cloudwatch.putMetricAlarm({
        ...common,
        Metrics: [{ Id: 'service', Expression: filled(parts.map((q) => q.Id as string)), Label: `${spec.metric} (service)`, ReturnData: true }, ...parts],
      });
    } else {
      if (whole && spec.metric !== 'HTTPCode_ELB_5XX_Count') {
        // The LoadBalancer dimension counts every target group behind the load balancer.
        const others = this.elb
          .targetGroupArns()
          .filter((tg) => !whole.includes(tg))
          .filter((tg) => this.elb.loadBalancersOf(tg).some((x) => x.fullName === lb.fullName) || this.serviceLoadBalancer.get(tg)?.fullName === lb.fullName);
        if (others.length > 0) {
          throw new Error(
            `createAlarm ${spec.name}: ${spec.metric} ${statistic} over the whole service reads the LoadBalancer dimension of ${lb.fullName}, which also serves ${others.map((tg) => this.elb.targetGroupFullName(tg)).join(', ')}: alarm per target group, or give the service its own load balancer`,
          );
        }
      }
      this.cloudwatch.putMetricAlarm({
        ...common,
        Namespace: ALB_NAMESPACE,
        MetricName: spec.metric,
        Dimensions: spec.metric === 'HTTPCode_ELB_5XX_Count' || whole ? [{ Name: 'LoadBalancer', Value: lb.fullName }] : dims,
        ...statOf(),
        Period: period,
      });
    }
    return { alarmName: spec.name, alarmArn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${spec.name}` };
  }

  /** A composite alarm, e.g. rule `ALARM("a") OR ALARM("b")`. */
  createCompositeAlarm(spec: { name: string; rule: string; description?: string }): { alarmName: string; alarmArn: string } {
    this.cloudwatch.putCompositeAlarm({ AlarmName: spec.name, AlarmRule: spec.rule, ...(spec.description ? { AlarmDescription: spec.description } : {}) });
    return { alarmName: spec.name, alarmArn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${spec.name}` };
  }

  /**
   * Set an alarm's state as SetAlarmState does (emits the state-change event when the value
   * changes; the next evaluation may change it back). `holdMs` pins it against evaluation for a while.
   */
  setAlarmState(name: string, value: AlarmStateValue, reason: string, opts: { reasonData?: string; holdMs?: number } = {}): void {
    this.cloudwatch.setState(name, value, reason, opts.reasonData, opts.holdMs);
  }
  alarmState(name: string): AlarmStateValue | undefined {
    return this.cloudwatch.alarmState(name)?.value;
  }

  /** Production (or test) requests per minute of a listener or rule. */
  setRequestsPerMinute(routeArn: string, requestsPerMinute: number): void {
    this.traffic.setRequestsPerMinute(routeArn, requestsPerMinute);
  }

  // ------------------------------------------------------------------ time
  /** One virtual minute: metrics for every completed minute not yet produced, then alarm evaluation. */
  tick(): void {
    const now = this.clock.now();
    const limit = floorTo(now, MINUTE_MS) - MINUTE_MS; // the last complete minute
    if (limit - this.nextMinute > 7 * 24 * 60 * MINUTE_MS) this.nextMinute = limit - 7 * 24 * 60 * MINUTE_MS;
    for (; this.nextMinute <= limit; this.nextMinute += MINUTE_MS) {
      this.traffic.runMinute(this.nextMinute);
      this.workers.runMinute(this.nextMinute);
      this.nativeTraffic.runMinute(this.nextMinute);
    }
    this.cloudwatch.evaluate();
  }
  /** Tick every 60 virtual seconds until stop(). */
  start(): void {
    if (this.cancelTicks) return;
    this.cancelTicks = this.clock.every(MINUTE_MS, () => this.tick());
  }
  stop(): void {
    this.cancelTicks?.();
    this.cancelTicks = undefined;
  }

  // ------------------------------------------------------------------ getters for invariant checks
  /** The forward weights of a listener's default action or a rule, as the load balancer holds them now. */
  weights(listenerOrRuleArn: string): TargetGroupWeight[] {
    const groups = this.elb.weights(listenerOrRuleArn);
    // A forward to one target group (a plain TargetGroupArn, or a ForwardConfig naming one) sends it
    // all the traffic, whatever its relative weight: 100 %.
    if (groups.length === 1) return [{ targetGroupArn: (groups[0] as { targetGroupArn: string }).targetGroupArn, weight: 100 }];
    return groups.map((g) => ({ targetGroupArn: g.targetGroupArn, weight: g.weight }));
  }
  /** Number of healthy targets in a target group now. */
  healthyTargets(targetGroupArn: string): number {
    return this.elb.targets(targetGroupArn).filter((t) => t.state === 'healthy').length;
  }
  /** Every registered target of a target group with its state now. */
  targetHealth(targetGroupArn: string): TargetHealthView[] {
    return this.elb.targets(targetGroupArn).map(({ target, state }) => ({
      id: target.ip,
      port: target.port,
      taskSetId: target.taskSetId,
      taskArn: target.taskArn,
      state,
    }));
  }
  /** The task sets of a service now (DRAINING ones included until they are gone). */
  taskSets(cluster: string, service: string): TaskSetInfo[] {
    return this.ecs.taskSetViews(cluster, service).map((ts) => ({
      id: ts.id as string,
      arn: ts.taskSetArn as string,
      status: ts.status as string,
      taskDefinitionArn: ts.taskDefinition as string,
      targetGroupArns: (ts.loadBalancers ?? []).map((l) => l.targetGroupArn as string),
      scalePercent: ts.scale?.value ?? 0,
      runningCount: ts.runningCount ?? 0,
      pendingCount: ts.pendingCount ?? 0,
      computedDesiredCount: ts.computedDesiredCount ?? 0,
      stabilityStatus: ts.stabilityStatus as string,
      ...(ts.externalId !== undefined ? { externalId: ts.externalId } : {}),
      ...(ts.createdAt ? { createdAt: ts.createdAt.toISOString() } : {}),
    }));
  }
}

function clone<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}
