/**
 * A rehearsal scenario: the Cutover config (the same schema as cutover.config.json), the world it
 * runs against (services, images with a quality profile each, alarms) and a timeline of inputs at
 * virtual times (ECR pushes as AWS sends them, alarm state changes, injected faults).
 * Scenario files are JSON in this shape; errors name the field.
 */
import * as z from 'zod/mini';
import { type CutoverConfig, parseConfig } from '../functions/core/config.js';
import { ConfigError, ValidationError } from '../functions/core/errors.js';
import { formatIssues } from '../functions/core/validation.js';
import { CleanupTimelineInput, ExpectedActions, ScheduleTimelineInput, ServiceHistory } from './maintenance-schema.js';
import { ExpectedReleases, HookScriptSchema, ScenarioScanSchema } from './gates-schema.js';

const digest = z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256: and 64 lowercase hex characters'));

export const ImageProfileSchema = z.strictObject({
  /** Fraction of requests answered 5xx, 0..1. */
  errorRate: z._default(z.number().check(z.minimum(0), z.maximum(1)), 0.001),
  /** Mean target response time (what `Average` of TargetResponseTime reads). */
  latencyMs: z._default(z.number().check(z.minimum(0), z.maximum(600_000)), 80),
  /**
   * 99th percentile of the target response time (what `p99` reads): above latencyMs, at most 14
   * times it (local/world/latency.ts). Default 2.5 x latencyMs.
   */
  p99LatencyMs: z.optional(z.number().check(z.minimum(0), z.maximum(600_000))),
  /** false: its targets never pass health checks. */
  healthy: z._default(z.boolean(), true),
  /**
   * true: its tasks never reach RUNNING: each exits as it starts (DescribeTasks: stoppedReason
   * "Essential container in task exited", the container's exitCode `exitCode` or 1) and is replaced.
   */
  crashes: z._default(z.boolean(), false),
  /** true: like `crashes`, killed for its memory: exit code 137, reason "OutOfMemoryError: Container killed due to memory usage". */
  oom: z._default(z.boolean(), false),
  /** Exit code of a one-off task (the migration) of this image, and of a crashing task; default 0 (a crash then exits 1). */
  exitCode: z.optional(z.int().check(z.minimum(0), z.maximum(255))),
  /** How long a one-off task of this image runs, virtual ms; default 30 s. */
  runMs: z.optional(z.int().check(z.minimum(0), z.maximum(24 * 3600 * 1000))),
});

const at = z.number().check(z.minimum(0), z.maximum(7 * 24 * 3600));

/** The metrics a worker's alarm may watch (local/world/workers.ts). */
export const WORKER_ALARM_METRICS = ['ApproximateAgeOfOldestMessage', 'MessagesProcessed', 'MessagesFailed', 'ProcessingTime'] as const;

/**
 * A worker service of the world (its config service has no listener and no target groups): what
 * its application publishes and the queue it consumes (local/world/workers.ts). Per minute its
 * running tasks share `processedPerMinute` messages; each version's tasks (CUTOVER_VERSION of their
 * revision; the initial one is `initial`) publish MessagesProcessed, MessagesFailed (their image's
 * errorRate) and ProcessingTime (their image's latencyMs) in `namespace` with `dimensions`, where
 * `{version}` stands for the version; the same values go to the dimensions without the version ones
 * (what a service-wide alarm watches). With `queueName`, AWS/SQS ApproximateAgeOfOldestMessage
 * (QueueName) grows 60 s a minute while more than 20 % of the messages fail (each version's
 * errorRate weighted by its share of the tasks) or no task runs, and is a few seconds otherwise.
 */
export const WorkerSchema = z.strictObject({
  namespace: z.string().check(z.regex(/^(?!AWS\/)[^:]{1,255}$/, 'must be a custom CloudWatch namespace (not AWS/...)')),
  processedPerMinute: z._default(z.int().check(z.minimum(0)), 600),
  /** Default `{ "service": "<service>", "version": "{version}" }`. */
  dimensions: z.optional(z.record(z.string(), z.string())),
  queueName: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, 'must be an SQS queue name (letters, digits, - and _, up to 80)'))),
});

export const TimelineInput = z.discriminatedUnion('kind', [
  z.strictObject({
    at,
    kind: z.literal('push'),
    repository: z.string(),
    digest,
    tag: z.optional(z.string()),
    profile: z.optional(ImageProfileSchema),
    /** How many times EventBridge delivers the push event (duplicates happen). */
    deliveries: z._default(z.int().check(z.minimum(0), z.maximum(10)), 1),
    /** The pushed image's scan (local/gates-schema.ts); null: never scanned. Default: COMPLETE, no findings. */
    scan: z.optional(z.nullable(ScenarioScanSchema)),
  }),
  z.strictObject({
    at,
    kind: z.literal('alarm'),
    name: z.string(),
    state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
    reason: z._default(z.string(), 'set by the scenario'),
    /** Pin the state against the alarm's own evaluation for this long (default: the next evaluation may change it). */
    holdSeconds: z.optional(z.number().check(z.minimum(1))),
  }),
  z.strictObject({
    at,
    kind: z.literal('fault'),
    /** `Service:Operation` (e.g. `ECS:CreateTaskSet`, `DynamoDB:UpdateItem`), `Service:*` or `*`. */
    operation: z.string(),
    fault: z.enum(['throttle', '5xx', 'timeout']),
    /** How many calls fail; omit for every call from then on. */
    count: z.optional(z.int().check(z.minimum(1))),
    /** Only for `timeout`: the request took effect, only the response was lost. */
    applied: z.optional(z.boolean()),
  }),
  z.strictObject({
    at,
    kind: z.literal('clear-faults'),
  }),
  z.strictObject({
    at,
    /**
     * An operator's control, run exactly as from the console: StartExecution of the control state
     * machine with this document (functions/core/control.ts; `environment` defaults to the
     * service's). Left loose here so a scenario can show what a bad document gets.
     *
     * Releases: `approve` / `abort` with `service` and `environment` reach the release waiting for
     * approval before that environment when no deployment of the service waits (approve) or is in
     * flight (abort); or name it with `releaseId` (no `service`): `{ "kind": "operator", "action":
     * "approve", "releaseId": "shop-api-…", "environment": "production" }`.
     *
     * `when` waits for a state instead of a guessed second: from `at`, the input is delivered as soon
     * as the state is reached (`approval`: a deployment of `service`/`environment` at its approval
     * step or hold, or a release waiting for approval before `environment` with `service` in it —
     * or `releaseId`'s; `bake`: the deployment bakes), at most `withinSeconds` later (default 3600).
     * If it never comes, nothing is sent, the summary's `waits` says so and `expect` fails.
     */
    kind: z.literal('operator'),
    action: z.string(),
    service: z.optional(z.string()),
    releaseId: z.optional(z.string()),
    environment: z.optional(z.string()),
    deploymentId: z.optional(z.string()),
    reason: z.optional(z.string()),
    extendSeconds: z.optional(z.number()),
    by: z.optional(z.string()),
    when: z.optional(
      z.strictObject({
        waitingFor: z.enum(['approval', 'bake']),
        /** Default: the input's `service`. */
        service: z.optional(z.string()),
        /** Default: the input's `environment`, else the service's. */
        environment: z.optional(z.string()),
        withinSeconds: z._default(z.int().check(z.minimum(1), z.maximum(7 * 24 * 3600)), 3600),
      }),
    ),
  }),
  z.strictObject({
    at,
    /** StartExecution of the rollback state machine (functions/core/control.ts RollbackInputSchema). */
    kind: z.literal('rollback'),
    service: z.string(),
    environment: z.optional(z.string()),
    toVersion: z.optional(z.string()),
    reason: z.optional(z.string()),
    by: z.optional(z.string()),
  }),
  z.strictObject({
    at,
    /** StopExecution of the deploy execution (default: the service's deployment in flight), as from the console. */
    kind: z.literal('stop-execution'),
    service: z.string(),
    environment: z.optional(z.string()),
    deploymentId: z.optional(z.string()),
  }),
  z.strictObject({
    at,
    /** StartExecution of the reconcile state machine (what its schedule does). */
    kind: z.literal('reconcile'),
  }),
  z.strictObject({
    at,
    kind: z.literal('event'),
    /** A raw EventBridge event delivered as is (to test hostile or foreign input). */
    target: z.enum(['intake', 'alarm-watcher']),
    event: z.unknown(),
  }),
  z.strictObject({
    at,
    /**
     * StartExecution exactly as the console (or any caller allowed to start it) sends it: the raw
     * input, unchecked here, and an optional execution name (default: one the runner makes up, as
     * the console does). The summary lists it under `console` with the execution's status and error.
     */
    kind: z.literal('start'),
    stateMachine: z.enum(['deploy', 'control', 'rollback', 'release', 'cleanup', 'reconcile']),
    name: z.optional(z.string()),
    input: z.unknown(),
  }),
  z.strictObject({
    at,
    /**
     * A direct invocation of one of Cutover's functions (`prepare`, `shift`, `cleanup` ... by handler
     * file name) with a raw payload, as anyone allowed lambda:InvokeFunction on it could send. The
     * summary lists it under `console` with the function's answer or error.
     */
    kind: z.literal('invoke'),
    function: z.string().check(z.regex(/^[a-z][a-z-]{0,31}$/, 'must be a Cutover handler name such as shift or cleanup')),
    payload: z.unknown(),
  }),
  CleanupTimelineInput,
  ScheduleTimelineInput,
]);
export type TimelineInput = z.output<typeof TimelineInput>;

export const ScenarioSchema = z.strictObject({
  name: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lowercase letters, digits and -')),
  description: z.string(),
  accountId: z._default(z.string().check(z.regex(/^\d{12}$/)), '123456789012'),
  region: z._default(z.string(), 'us-east-1'),
  config: z.unknown(),
  world: z.strictObject({
    settings: z.optional(
      z.strictObject({
        taskStartDelaySeconds: z.optional(z.number().check(z.minimum(0))),
        healthCheckIntervalSeconds: z.optional(z.number().check(z.minimum(1))),
        healthyThresholdCount: z.optional(z.int().check(z.minimum(1))),
      }),
    ),
    services: z.array(
      z.strictObject({
        /** The service's name in the config. */
        service: z.string(),
        environment: z.optional(z.string()),
        desiredCount: z._default(z.int().check(z.minimum(1), z.maximum(100)), 4),
        containerPort: z._default(z.int().check(z.minimum(1), z.maximum(65535)), 8080),
        requestsPerMinute: z._default(z.int().check(z.minimum(0)), 600),
        /** What runs before the scenario starts (it must be one of `images`). */
        initialDigest: digest,
        /** How production forwards at the start (local/world CreateServiceSpec.productionForward). Default weighted (100/0). */
        productionForward: z.optional(z.enum(['weighted', 'blue-only', 'blue-only-forward-config'])),
        /** Only for a worker (a config service with no listener): its metrics and queue (WorkerSchema). */
        worker: z.optional(WorkerSchema),
        /**
         * The service's deployment controller (issue #17). Default EXTERNAL (task sets). ECS: ECS's own
         * deployments (local/world/ecs-native.ts), the config's second target group as the alternate one.
         * The traffic shape follows the config service: a listener rule is an ALB (productionListenerRule
         * the rule); a `listener/net/` listenerArn is a Network Load Balancer (productionListenerRule the
         * listener, the config's testListenerArn the test listener, TCP target groups); no listener and
         * `serviceConnect` is Service Connect; no listener and no `serviceConnect` is headless (BLUE_GREEN).
         */
        deploymentController: z.optional(z.enum(['EXTERNAL', 'ECS', 'CODE_DEPLOY'])),
        /**
         * ECS controller, a config service with no listener: a Service Connect client-server service
         * (local/world/native-traffic.ts). Its clients send it `requestsPerMinute`, split between the
         * revisions by the deployment's production weights; the world publishes AWS/ECS RequestCount
         * (DiscoveryName), HTTPCode_Target_2XX/5XX_Count and TargetResponseTime (TargetDiscoveryName).
         */
        serviceConnect: z.optional(
          z.strictObject({
            namespace: z.string().check(z.minLength(1)),
            discoveryName: z.string().check(z.regex(/^[a-z0-9_][a-z0-9_-]{0,63}$/, 'must be 1-64 lowercase letters, digits, _ and -, not starting with -')),
            /** The port mapping's port. Default containerPort. */
            port: z.optional(z.int().check(z.minimum(1), z.maximum(65535))),
            /** The port mapping's name (ServiceConnectService.portName). Default http. */
            portName: z.optional(z.string().check(z.minLength(1))),
          }),
        ),
        /**
         * A native web service's own request metrics per version (local/world/native-traffic.ts): per
         * minute and CUTOVER_VERSION (the initial revision's is `initial`), Requests and Errors (Sum) and
         * Latency (ms, Average) in `namespace` with `dimensions` (`{version}` in a value), from the
         * requests each version served; what a config's analysis.metrics reads.
         */
        versionMetrics: z.optional(
          z.strictObject({
            namespace: z.string().check(z.regex(/^(?!AWS\/)[^:]{1,255}$/, 'must be a custom CloudWatch namespace (not AWS/...)')),
            /** Default `{ "service": "<service>", "version": "{version}" }`. */
            dimensions: z.optional(z.record(z.string(), z.string())),
          }),
        ),
        /**
         * A container health check on the service's container (ContainerDefinition.healthCheck): tasks
         * report healthStatus, HEALTHY one interval after they run, or, for an image with `healthy:
         * false`, UNHEALTHY after startPeriod + interval x retries, when ECS stops ("Task failed
         * container health checks") and replaces them. Default none.
         */
        containerHealthCheck: z.optional(
          z.strictObject({
            command: z._default(z.array(z.string()).check(z.minLength(1)), ['CMD-SHELL', 'exit 0']),
            intervalSeconds: z._default(z.int().check(z.minimum(5), z.maximum(300)), 30),
            retries: z._default(z.int().check(z.minimum(1), z.maximum(10)), 3),
            startPeriodSeconds: z._default(z.int().check(z.minimum(0), z.maximum(300)), 0),
          }),
        ),
      }),
    ),
    images: z.array(
      z.strictObject({
        repository: z.string(),
        digest,
        tags: z._default(z.array(z.string()), []),
        profile: z._default(ImageProfileSchema, () => ImageProfileSchema.parse({})),
        /** false: the image is only pushed by the timeline. */
        existsAtStart: z._default(z.boolean(), true),
        /** Its scan (local/gates-schema.ts); null: never scanned. Default: COMPLETE, no findings. */
        scan: z.optional(z.nullable(ScenarioScanSchema)),
      }),
    ),
    alarms: z._default(
      z.array(
        z.strictObject({
          name: z.string(),
          /** The config service whose target groups the alarm watches (`scope` says one or both). */
          service: z.string(),
          environment: z.optional(z.string()),
          /**
           * `target-group` (default): one of the service's two target groups (`targetGroupIndex`),
           * like the usual pair of alarms, one per side. `service`: the whole service — counts
           * (Sum, SampleCount) and UnHealthyHostCount summed over both target groups with metric
           * math; latency (Average, percentiles) over the LoadBalancer dimension, so the service
           * must have its load balancer to itself (local/world/world.ts createAlarm).
           */
          scope: z._default(z.enum(['target-group', 'service']), 'target-group'),
          /** With scope `target-group`: which of the service's two target groups (default 0). */
          targetGroupIndex: z.optional(z.union([z.literal(0), z.literal(1)])),
          /**
           * ALB metrics for a web service; for a worker, its queue's `ApproximateAgeOfOldestMessage`
           * (AWS/SQS, QueueName: the world service's worker.queueName; default statistic Maximum) or
           * an application metric (MessagesProcessed, MessagesFailed: Sum; ProcessingTime: Average)
           * over the whole service (worker.dimensions without the version ones).
           */
          metric: z.enum(['HTTPCode_Target_5XX_Count', 'TargetResponseTime', 'UnHealthyHostCount', ...WORKER_ALARM_METRICS]),
          /**
           * Sum, Average, Minimum, Maximum, SampleCount, or a percentile `pNN.NN` (TargetResponseTime
           * only: the alarm's ExtendedStatistic). Default Sum for the 5xx count, Average for
           * TargetResponseTime and UnHealthyHostCount.
           */
          statistic: z.optional(z.union([z.enum(['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount']), z.string().check(z.regex(/^p(\d{1,2}(\.\d{1,2})?|100)$/))])),
          threshold: z.number(),
          evaluationPeriods: z._default(z.int().check(z.minimum(1)), 1),
          datapointsToAlarm: z._default(z.int().check(z.minimum(1)), 1),
        }),
      ),
      [],
    ),
    /** Task-definition revisions, images and records the services have at the start (local/maintenance-schema.ts). */
    history: z._default(z.array(ServiceHistory), []),
    /** Hook Lambdas and what they answer (local/gates-schema.ts). */
    hooks: z._default(z.array(HookScriptSchema), []),
  }),
  timeline: z.array(TimelineInput).check(z.minLength(1)),
  /**
   * Schedules of the stack this scenario turns off, by name: `reconcile`, `cleanup`, `scaling` (every
   * scheduled scaling rule) or `scaling:<service>/<environment>#<rule index>`. Every other schedule
   * runs as EventBridge would (local/schedules.ts). Default: none off.
   */
  schedulesOff: z._default(z.array(z.string()), []),
  /** The outcome the scenario is built to show (checked by the test suite). */
  expect: z.optional(
    z.strictObject({
      deployments: z.array(
        z.strictObject({
          service: z.string(),
          environment: z.optional(z.string()),
          status: z.enum(['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'SUPERSEDED']),
          reasonCode: z.optional(z.string()),
        }),
      ),
      /** Cleanup and scaling actions by kind and outcome (local/maintenance-schema.ts). */
      actions: z.optional(ExpectedActions),
      /** Release outcomes, in start order (local/gates-schema.ts). */
      releases: z.optional(ExpectedReleases),
    }),
  ),
  maxVirtualSeconds: z._default(z.int().check(z.minimum(60)), 6 * 3600),
});
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema> & { readonly config: CutoverConfig };

/** `app/NAME/ID` of a listener or listener-rule ARN. */
const loadBalancerOfRoute = (arn: string | undefined): string | undefined => /:listener(?:-rule)?\/(app\/[^/]+\/[^/]+)\//.exec(arn ?? '')?.[1];

/**
 * A scenario alarm's problems: its service exists; a percentile only on TargetResponseTime (ALB
 * publishes per-request values only for it); `targetGroupIndex` only with scope `target-group`; a
 * service-wide latency alarm (the LoadBalancer dimension) only on a load balancer no other
 * configured service uses.
 */
function alarmProblems(a: z.output<typeof ScenarioSchema>['world']['alarms'][number], i: number, config: CutoverConfig, world: z.output<typeof ScenarioSchema>['world']): string[] {
  const at = `world.alarms[${i}]`;
  const svc = config.services.find((s) => s.name === a.service && (a.environment === undefined || s.environment === a.environment));
  if (!svc) return [`${at}.service: "${a.service}"${a.environment ? ` in ${a.environment}` : ''} is not a service in config.services`];
  const worker = world.services.find((w) => w.service === a.service && (a.environment === undefined || w.environment === undefined || w.environment === a.environment))?.worker;
  if ((WORKER_ALARM_METRICS as readonly string[]).includes(a.metric)) {
    if (!worker) return [`${at}.metric: ${a.metric} is a worker's metric; give world.services "${a.service}" a worker block (a worker's config service has no listener)`];
    const problems: string[] = [];
    if (a.metric === 'ApproximateAgeOfOldestMessage' && !worker.queueName) problems.push(`${at}.metric: ApproximateAgeOfOldestMessage needs the queue: set worker.queueName of world.services "${a.service}"`);
    if (a.targetGroupIndex !== undefined) problems.push(`${at}.targetGroupIndex: a worker has no target groups; remove it`);
    if (a.statistic?.startsWith('p')) problems.push(`${at}.statistic: a percentile (${a.statistic}) is not available for ${a.metric} here; use Maximum, Average or Sum`);
    return problems;
  }
  if (isWorkerService(svc)) return [`${at}.metric: ${a.metric} is an ALB metric and "${a.service}" is a worker (no load balancer); use ${WORKER_ALARM_METRICS.join(', ')}`];
  const problems: string[] = [];
  const percentile = a.statistic?.startsWith('p') ?? false;
  if (percentile && a.metric !== 'TargetResponseTime') {
    problems.push(`${at}.statistic: a percentile (${a.statistic}) is computed only for TargetResponseTime (ALB publishes its per-request values); use ${a.metric === 'UnHealthyHostCount' ? 'Maximum or Average' : 'Sum'} for ${a.metric}`);
  }
  if (a.scope === 'service' && a.targetGroupIndex !== undefined) {
    problems.push(`${at}.targetGroupIndex: only with scope "target-group"; scope "service" watches both target groups`);
  }
  const summed = a.metric === 'UnHealthyHostCount' || (a.statistic ?? 'Sum') === 'Sum' || a.statistic === 'SampleCount';
  const latencyStat = a.metric === 'TargetResponseTime' ? (a.statistic ?? 'Average') : a.statistic;
  if (a.scope === 'service' && (a.metric === 'TargetResponseTime' || !summed)) {
    const lb = loadBalancerOfRoute(svc.listenerRuleArn ?? svc.listenerArn);
    const others = config.services.filter((s) => s !== svc && loadBalancerOfRoute(s.listenerRuleArn ?? s.listenerArn) === lb).map((s) => `${s.name}/${s.environment}`);
    if (lb && others.length > 0) {
      problems.push(
        `${at}.scope: ${a.metric} ${latencyStat} over the whole service reads the LoadBalancer dimension of ${lb}, which also serves ${others.join(', ')}: use scope "target-group" (one alarm per target group), or give ${a.service} its own load balancer`,
      );
    }
  }
  return problems;
}

/** A config service with no listener (and no target groups): a worker (issue #18). */
export const isWorkerService = (svc: CutoverConfig['services'][number]): boolean =>
  svc.listenerArn === undefined && svc.listenerRuleArn === undefined && svc.testListenerArn === undefined;

/** Parse a scenario; every problem names its field (config problems under `config.`). */
export function parseScenario(raw: unknown, source = '(inline)'): Scenario {
  // `reportInput` puts the offending value on each issue (an unknown `kind` is quoted, with the kinds allowed).
  const result = ScenarioSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ValidationError(`scenario ${source}`, formatIssues(result.error.issues));
  let config: CutoverConfig;
  try {
    config = parseConfig(result.data.config, `${source} (config)`);
  } catch (e) {
    if (e instanceof ConfigError) throw new ValidationError(`scenario ${source}`, e.problems.map((p) => `config.${p}`));
    throw e;
  }
  const problems: string[] = [];
  const names = new Set(config.services.map((s) => s.name));
  result.data.world.services.forEach((s, i) => {
    if (!names.has(s.service)) problems.push(`world.services[${i}].service: "${s.service}" is not a service in config.services`);
    const svc = config.services.find((c) => c.name === s.service && (s.environment === undefined || c.environment === s.environment));
    if (svc && s.worker && !isWorkerService(svc)) {
      problems.push(`world.services[${i}].worker: "${s.service}" has a listener in the config (a web service); a worker block is only for a service with no listener and no target groups`);
    }
    if (!result.data.world.images.some((im) => im.digest === s.initialDigest)) {
      problems.push(`world.services[${i}].initialDigest: not listed in world.images`);
    }
    if (s.serviceConnect) {
      if (svc && !isWorkerService(svc)) problems.push(`world.services[${i}].serviceConnect: "${s.service}" has a listener in the config; Service Connect is for a config service with no listener and no target groups`);
      if (s.deploymentController !== 'ECS') problems.push(`world.services[${i}].serviceConnect: needs deploymentController "ECS" (ECS's own deployments shift Service Connect traffic)`);
      if (s.worker) problems.push(`world.services[${i}].serviceConnect: a Service Connect service takes requests, not a worker's queue; remove worker (use versionMetrics for its per-version metrics)`);
    }
    if (s.versionMetrics) {
      if (svc && isWorkerService(svc) && !s.serviceConnect) problems.push(`world.services[${i}].versionMetrics: "${s.service}" has no listener and no serviceConnect: a worker publishes its per-version metrics through worker`);
      if (!Object.values(s.versionMetrics.dimensions ?? { version: '{version}' }).some((v) => v.includes('{version}'))) problems.push(`world.services[${i}].versionMetrics.dimensions: no value holds {version}; add e.g. "version": "{version}"`);
    }
  });
  result.data.world.alarms.forEach((a, i) => {
    problems.push(...alarmProblems(a, i, config, result.data.world));
  });
  result.data.world.images.forEach((im, i) => {
    const { latencyMs, p99LatencyMs } = im.profile;
    if (p99LatencyMs !== undefined && !(p99LatencyMs > latencyMs && p99LatencyMs <= latencyMs * 14)) {
      problems.push(`world.images[${i}].profile.p99LatencyMs: ${p99LatencyMs} must be above latencyMs (${latencyMs}, the mean) and at most 14 times it; raise latencyMs for a longer tail`);
    }
  });
  if (problems.length > 0) throw new ValidationError(`scenario ${source}`, problems);
  return { ...result.data, config };
}
