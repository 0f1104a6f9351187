/**
 * The Cutover configuration: one schema, used at synth time (bin/app.ts, lib/) and at run time
 * (handlers load the same JSON from their bundle). Built on `zod/mini` so the Lambda bundles stay
 * small (classic zod pulls in ~450 KB of locale data).
 *
 * Durations are in seconds and say so in their names. Everything that has a sensible default has
 * one; `parseConfig` returns the config with every default filled in.
 */
import * as z from 'zod/mini';
import { ALB_METRIC_DELAY_SECONDS, MIN_ANALYSIS_BAKE_SECONDS, tooShortForAnalysis } from './analysis.js';
import { ConfigError, NativeStrategyRefused, ValidationError } from './errors.js';
import { strategyFor, strategyOptionsOf } from './native.js';
import { ACCOUNT, ARN_PATTERNS, PARTITION, REGION, REPOSITORY_NAME, TAG_FILTER } from './patterns.js';
import { formatIssues } from './validation.js';

/** Literal characters a `taskRoleArns` pattern must name besides its `*` (issue #14, Low). */
export const MIN_ROLE_PATTERN_LITERALS = 4;

// The patterns live in a schema-free module so a handler that only needs them does not bundle the
// schema; re-exported here for the synth-time code and tests. The lookups over a validated
// configuration (findService, servicesForPush, tagMatches) are in services.ts, which imports this
// module's types: import them from there (a re-export here would make the two import each other).
export { ARN_PATTERNS, IMAGE_TAG, REPOSITORY_NAME, TAG_FILTER } from './patterns.js';

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const ENV_NAME = /^[a-z][a-z0-9-]{0,15}$/;
/** ECS cluster and service names: up to 255 letters, numbers, hyphens and underscores. */
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;
/** CloudWatch alarm names: 1-255 printable characters, no leading/trailing blank. */
const ALARM_NAME = /^[^\s](?:[\x20-\x7E]{0,253}[^\s])?$/;
const ALARM_NAME_MESSAGE = 'must be a CloudWatch alarm name (1-255 printable characters, no leading or trailing blank)';
const LISTENER_ARN_MESSAGE =
  'must be an ALB listener ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID), or an NLB one (listener/net/...) with engine "native"';
/** An ALB listener, or an NLB one (engine native only: checked with the service below). */
const ANY_LISTENER = new RegExp(`${ARN_PATTERNS.listener.source}|${ARN_PATTERNS.nlbListener.source}`);
const listenerPattern = (v: string): RegExp => (ARN_PATTERNS.nlbListener.test(v) ? ARN_PATTERNS.nlbListener : ARN_PATTERNS.listener);
const LISTENER_RULE_ARN_MESSAGE =
  'must be an ALB listener-rule ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener-rule/app/NAME/ID/ID/ID)';
const TARGET_GROUP_ARN_MESSAGE =
  'must be an ALB target-group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)';
const ENV_NAME_MESSAGE = 'must be 1-16 characters of a-z, 0-9 and -, starting with a letter';

const seconds = (max: number) => z.int().check(z.minimum(0), z.maximum(max));
/**
 * A value that reaches a Task's `TimeoutSecondsPath` (or `HeartbeatSecondsPath`): Step Functions
 * fails the state with `States.Runtime` unless it selects a positive integer ("TimeoutSecondsPath ...
 * must be a positive integer", Amazon States Language, Task state), which would leave a deployment
 * in progress with its lock held. So 0 is refused here, at synth, by name.
 */
const timeoutSeconds = (max: number) =>
  z.int().check(
    z.minimum(1, 'must be at least 1 second: Step Functions task timeouts are positive integers (0 would fail the state at run time)'),
    z.maximum(max),
  );

/**
 * A check that names a common mistake (a value copied from the wrong place) and its fix; it runs
 * before the field's pattern and stops it, so the user reads the specific message, not "must be".
 */
const mistake = (find: (v: string) => string | undefined) =>
  z.superRefine<string>((v, ctx) => {
    const problem = find(v);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: v, continue: false });
  });

/** `123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/payments[:tag|@digest]`, as the ECR console copies it. */
const ECR_IMAGE_URI = /^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@\s]+)/;
export function repositoryMistake(v: string): string | undefined {
  const m = ECR_IMAGE_URI.exec(v);
  return m ? `"${v}" is an image URI; give the repository name only: "${m[1]}"` : undefined;
}

/** An alarm ARN where a name belongs: the alarm rule matches names, so an ARN would never fire. */
export function alarmNameMistake(v: string): string | undefined {
  const m = /^arn:[a-z-]+:cloudwatch:[a-z0-9-]+:\d{12}:alarm:(.+)$/.exec(v);
  return m ? `"${v}" is an alarm ARN; list the alarm by its name: "${m[1]}" (alarms of this account and region only)` : undefined;
}

/**
 * A tag filter is a glob (`*` any characters, `?` one). A regular expression reads differently:
 * `release-.*` as a glob matches only tags with a dot after the hyphen. Refuse what is clearly
 * a regular expression, with the glob that was probably meant.
 */
export function tagFilterMistake(v: string): string | undefined {
  const regexLike = /[\^$\\+()[\]{}|]/.test(v) || /(^|[^A-Za-z0-9])\.[*+?]/.test(v);
  if (!regexLike) return undefined;
  const glob = v.replace(/^\^|\$$/g, '').replace(/\.[*+]/g, '*').replace(/\.\?/g, '?').replace(/\\d[+*]?/g, '*').replace(/[\\()[\]{}|+]/g, '');
  const example = glob.replace(/\*/g, '1.4.2').replace(/\?/g, '7');
  return `"${v}" looks like a regular expression; tagFilter is a glob: * stands for any characters and ? for one, e.g. "${glob}" matches "${example}"`;
}

/** A listener-rule ARN in listenerArn, or a listener ARN in listenerRuleArn. */
export function listenerMistake(field: 'listenerArn' | 'listenerRuleArn') {
  return (v: string): string | undefined => {
    if (field === 'listenerArn' && /:listener-rule\//.test(v)) return `"${v}" is a listener-rule ARN; put it in listenerRuleArn (listenerArn is for a listener's default action)`;
    if (field === 'listenerRuleArn' && /:listener\//.test(v)) return `"${v}" is a listener ARN; put it in listenerArn (listenerRuleArn is for a rule of a shared listener)`;
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------
export const ApprovalStep = z.strictObject({
  approval: z.strictObject({
    /** How long the step waits for approve/abort (the Approval state's TimeoutSecondsPath: at least 1). */
    timeoutSeconds: z._default(timeoutSeconds(7 * 24 * 3600), 3600),
    /** What happens when nobody answers in time. */
    onTimeout: z._default(z.enum(['abort', 'promote']), 'abort'),
  }),
});
export const ShiftStep = z.strictObject({
  /** Production weight on green after this step, 1-100 (the last traffic step is 100). */
  percent: z.int().check(z.minimum(1), z.maximum(100)),
  /** Bake after the shift before the next step. */
  bakeSeconds: z._default(seconds(24 * 3600), 0),
});
const MIXED_STEP =
  'a step is either a shift { "percent", "bakeSeconds" } or an approval { "approval": { "timeoutSeconds", "onTimeout" } }, not both; split it into two steps (the approval before or after the shift)';
/** One step: a shift `{ percent, bakeSeconds }` or an approval `{ approval: {...} }`, never both. */
export const ExplicitStep = z.union([ShiftStep, ApprovalStep], {
  error: (issue) =>
    typeof issue.input === 'object' && issue.input !== null && 'percent' in issue.input && 'approval' in issue.input ? MIXED_STEP : undefined,
});

export const STRATEGY_TYPES = ['canary', 'linear', 'blue-green', 'all-at-once', 'steps'] as const;
export const Strategy = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('canary'),
      /** Production weight on green during the canary, 1-99. */
      percent: z.int().check(z.minimum(1), z.maximum(99)),
      bakeSeconds: z._default(seconds(24 * 3600), 300),
      /** Bake after 100 % before promotion. */
      finalBakeSeconds: z._default(seconds(24 * 3600), 0),
    }),
    z.strictObject({
      type: z.literal('linear'),
      /** Weight added per step, 1-100; the last step is clamped to 100. */
      stepPercent: z.int().check(z.minimum(1), z.maximum(100)),
      /**
       * Bake after each step. Default 120 s: with the analysis's two extensions that is 360 s, enough
       * for a whole minute of ALB data after each shift (MIN_ANALYSIS_BAKE_SECONDS).
       */
      intervalSeconds: z._default(seconds(24 * 3600), 120),
    }),
    z.strictObject({
      type: z.literal('blue-green'),
      /** Bake with 0 % production traffic (test listener on green) before the switch. */
      bakeSeconds: z._default(seconds(24 * 3600), 300),
      finalBakeSeconds: z._default(seconds(24 * 3600), 0),
    }),
    z.strictObject({
      type: z.literal('all-at-once'),
      bakeSeconds: z._default(seconds(24 * 3600), 0),
    }),
    z.strictObject({
      type: z.literal('steps'),
      steps: z.array(ExplicitStep).check(z.minLength(1), z.maxLength(50)),
    }),
  ],
  { error: `must be one of ${STRATEGY_TYPES.map((t) => `"${t}"`).join(', ')}` },
);

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------
/** One CloudWatch metric a worker's application publishes per version (`{version}` in a dimension value). */
export const VersionMetric = z.strictObject({
  /** CloudWatch namespace the application publishes in (e.g. `Orders`). */
  namespace: z.string().check(z.regex(/^[^:$\s][^:$]{0,254}$/, 'must be a CloudWatch namespace (1-255 characters, no : or $)')),
  /** Metric name (e.g. `MessagesProcessed`). */
  metricName: z.string().check(z.regex(/^\S.{0,254}$/, 'must be a CloudWatch metric name (1-255 characters)')),
  /** Dimension name -> value; a value may hold `{version}` (at least one must, or both sides read the same numbers). */
  dimensions: z._default(z.record(z.string().check(z.minLength(1), z.maxLength(255)), z.string().check(z.minLength(1), z.maxLength(1024))), {}),
});

export const Analysis = z.strictObject({
  /** Compare green against blue at the end of every bake. */
  enabled: z._default(z.boolean(), true),
  /** Confidence of the one-sided tests, e.g. 0.95. */
  confidence: z._default(z.number().check(z.minimum(0.5), z.maximum(0.9999)), 0.95),
  /** Green's error rate may exceed blue's by this much (absolute) before it counts as worse. */
  errorRateTolerance: z._default(z.number().check(z.minimum(0), z.maximum(1)), 0.01),
  /** Green's latency may exceed blue's by this fraction before it counts as worse. */
  latencyTolerance: z._default(z.number().check(z.minimum(0), z.maximum(10)), 0.1),
  /** Fewer requests than this on either side is Inconclusive. */
  minRequests: z._default(z.int().check(z.minimum(1)), 100),
  onInconclusive: z._default(z.enum(['extend', 'fail', 'pass']), 'extend'),
  /** With `extend`: how many times a bake may be extended before `onInconclusive` becomes fail. */
  maxExtensions: z._default(z.int().check(z.minimum(0), z.maximum(20)), 2),
  /**
   * Workers only (a service with no load balancer): the CloudWatch metrics the judge compares green
   * and blue on. A dimension value may hold `{version}`, replaced by each side's version (green: the
   * deployment id; blue: the CUTOVER_VERSION of blue's revision). `processed` (Sum) plays the role of
   * requests, `errors` (Sum) of 5xx, `latency` (Average per minute, ms) of response times.
   * Required on a worker with analysis enabled; refused on a web service.
   */
  metrics: z.optional(
    z.strictObject({
      /** Messages processed per version (Sum per minute): the requests of a web service's analysis. */
      processed: VersionMetric,
      /** Messages failed per version (Sum per minute): the 5xx. Omit to judge latency only. */
      errors: z.optional(VersionMetric),
      /** Processing time per version (Average per minute, ms). Omit to judge errors only. */
      latency: z.optional(VersionMetric),
    }),
  ),
});

export const Hooks = z.strictObject({
  afterHealthy: z._default(z.array(z.string()), []),
  afterTestTraffic: z._default(z.array(z.string()), []),
  beforeShift: z._default(z.array(z.string()), []),
  afterFullTraffic: z._default(z.array(z.string()), []),
  /** A hook must pass within this long of its first invocation; "ask again later" (IN_PROGRESS) answers count. */
  timeoutSeconds: z._default(seconds(3600), 300),
  /** One invocation (synchronous) must answer within this long. */
  invocationTimeoutSeconds: z._default(z.int().check(z.minimum(1), z.maximum(840)), 30),
  /** An IN_PROGRESS answer's callBackDelay is capped at this (an answer without one is asked again after 30 s). */
  maxCallBackDelaySeconds: z._default(z.int().check(z.minimum(1), z.maximum(3600)), 300),
  /** Where green answers test traffic (the test listener), passed to every hook as `testUrl`. */
  testUrl: z.optional(z.string().check(z.maxLength(2048), z.regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL'))),
});

/** A release's verification of one environment: hooks run once every service of it deployed. */
export const EnvironmentVerification = z.strictObject({
  /** Lambda function ARNs, run in order (same answers as lifecycle hooks). */
  hooks: z._default(z.array(z.string()), []),
  timeoutSeconds: z._default(seconds(24 * 3600), 600),
  /** One invocation (synchronous) must answer within this long. */
  invocationTimeoutSeconds: z._default(z.int().check(z.minimum(1), z.maximum(840)), 30),
  /** An IN_PROGRESS answer's callBackDelay is capped at this (an answer without one is asked again after 30 s). */
  maxCallBackDelaySeconds: z._default(z.int().check(z.minimum(1), z.maximum(3600)), 300),
  /** The environment's URL, passed to the hooks as `testUrl`. */
  url: z.optional(z.string().check(z.maxLength(2048), z.regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL'))),
});

export const Migration = z.strictObject({
  command: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /** Container whose exit code decides; default: the service's container. */
  containerName: z.optional(z.string().check(z.regex(ECS_NAME, 'must be a container name (letters, digits, - and _)'))),
  /** The RunMigration state's TimeoutSecondsPath: at least 1. */
  timeoutSeconds: z._default(timeoutSeconds(24 * 3600), 1800),
});

export const ImageScan = z.strictObject({
  /** Findings at or above this severity block the release; NONE disables the gate. */
  blockSeverity: z._default(z.enum(['NONE', 'CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL']), 'NONE'),
  /** How long to wait for a scan that has not finished. */
  waitSeconds: z._default(seconds(3600), 300),
  onTimeout: z._default(z.enum(['reject', 'allow']), 'reject'),
});

export const ScalingRule = z.strictObject({
  /** A CloudWatch alarm name whose ALARM state triggers this rule, or a schedule. */
  alarmName: z.optional(z.string().check(z.regex(ALARM_NAME, ALARM_NAME_MESSAGE))),
  schedule: z.optional(
    z.string().check(z.regex(/^(cron|rate|at)\(.+\)$/, 'must be an EventBridge schedule: cron(...), rate(...) or at(...)')),
  ),
  /** Change of desired count (negative to scale in). */
  adjustment: z.optional(z.int().check(z.minimum(-1000), z.maximum(1000))),
  /** Or new bounds (for scheduled windows). */
  minCount: z.optional(z.int().check(z.minimum(0), z.maximum(5000))),
  maxCount: z.optional(z.int().check(z.minimum(0), z.maximum(5000))),
  cooldownSeconds: z._default(seconds(24 * 3600), 300),
  /** Time zone of a cron schedule (IANA name, e.g. Europe/Paris). */
  timezone: z._default(z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, 'must be an IANA time zone like UTC or Europe/Paris')), 'UTC'),
});

export const Scaling = z.strictObject({
  minCount: z.int().check(z.minimum(0), z.maximum(5000)),
  maxCount: z.int().check(z.minimum(1), z.maximum(5000)),
  /** Native target tracking on average CPU, percent. */
  targetCpuPercent: z.optional(z.int().check(z.minimum(1), z.maximum(100))),
  rules: z._default(z.array(ScalingRule), []),
});

export const Cleanup = z.strictObject({
  /** Task-definition revisions to keep per family (those in use are always kept). */
  keepRevisions: z._default(z.int().check(z.minimum(1), z.maximum(100)), 5),
  /** INACTIVE revisions older than this are deleted. */
  deleteInactiveAfterSeconds: z._default(seconds(3650 * 24 * 3600), 30 * 24 * 3600),
  /** Orphaned task sets older than this are removed. */
  orphanGraceSeconds: z._default(seconds(30 * 24 * 3600), 3600),
  /** Image tags matching these filters are never deleted. */
  protectTags: z._default(
    z.array(z.string().check(z.regex(TAG_FILTER, 'must be a tag pattern of A-Z a-z 0-9 _ . - with * and ? wildcards'))),
    ['latest'],
  ),
  /** false: the scheduled cleanup leaves this service alone. */
  enabled: z._default(z.boolean(), true),
  /**
   * Opt-in: true lets the cleanup delete this service's repository's images that nothing kept uses.
   * Off by default because a repository often feeds things Cutover does not manage (another service,
   * a scheduled task, another account, a rollback older than the kept revisions). Before turning it
   * on, read what would go: `cutover cleanup --dry-run` (docs/cost.md, "Safe defaults").
   */
  deleteImages: z._default(z.boolean(), false),
  /** Images pushed less than this long ago are kept (a push may be about to deploy). */
  imageGraceSeconds: z._default(seconds(365 * 24 * 3600), 24 * 3600),
  /** Revisions and images of deployments that ended less than this long ago are kept (rollback targets). */
  recentDeploymentSeconds: z._default(seconds(365 * 24 * 3600), 7 * 24 * 3600),
});

/**
 * A service's first deployment (no task set yet) has nothing to copy from: it starts from this task
 * definition and these network settings. Later deployments copy the live task set and ignore this.
 */
export const Bootstrap = z.strictObject({
  /** Family (latest ACTIVE revision) or family:revision. */
  taskDefinition: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,255}(:\d+)?$/, 'must be a task-definition family or family:revision')),
  containerPort: z.int().check(z.minimum(1), z.maximum(65535)),
  launchType: z._default(z.enum(['FARGATE', 'EC2']), 'FARGATE'),
  subnets: z.array(z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id'))).check(z.minLength(1), z.maxLength(16)),
  securityGroups: z._default(
    z.array(z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security-group id'))).check(z.maxLength(5)),
    [],
  ),
  assignPublicIp: z._default(z.boolean(), false),
});

export const Service = z.strictObject({
  name: z.string().check(z.regex(SERVICE_NAME, 'must be 1-32 characters of a-z, 0-9 and -, starting with a letter')),
  environment: z.string().check(z.regex(ENV_NAME, ENV_NAME_MESSAGE)),
  cluster: z.string().check(z.regex(ECS_NAME, 'must be an ECS cluster name (letters, digits, - and _)')),
  service: z.string().check(z.regex(ECS_NAME, 'must be an ECS service name (letters, digits, - and _)')),
  containerName: z.string().check(z.regex(ECS_NAME, 'must be a container name (letters, digits, - and _)')),
  /**
   * The task-definition family of the service's revisions: Cutover registers, deploys, runs and
   * rolls back revisions of this family only (IAM conditions CreateTaskSet and RunTask on it).
   * Default: the family of `bootstrap.taskDefinition` when set, else the ECS service name.
   */
  taskDefinitionFamily: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be a task-definition family name (letters, digits, - and _)'))),
  repository: z.string().check(mistake(repositoryMistake), z.regex(REPOSITORY_NAME, 'must be an ECR repository name (lowercase, digits, ._-/)')),
  /** Which tags deploy: `*` any, `v*`, `release-?`; a push whose tag does not match is ignored. */
  tagFilter: z._default(
    z.string().check(mistake(tagFilterMistake), z.regex(TAG_FILTER, 'must be a tag pattern of A-Z a-z 0-9 _ . - with * and ? wildcards')),
    '*',
  ),
  /** Production traffic: the listener's default action ... */
  listenerArn: z.optional(z.string().check(mistake(listenerMistake('listenerArn')), z.regex(ANY_LISTENER, LISTENER_ARN_MESSAGE))),
  /** ... or a listener rule (shared ALBs). Exactly one of the two. */
  listenerRuleArn: z.optional(
    z.string().check(mistake(listenerMistake('listenerRuleArn')), z.regex(ARN_PATTERNS.listenerRule, LISTENER_RULE_ARN_MESSAGE)),
  ),
  /** The two target groups (one per version) of a web service; a worker (no load balancer) has none. */
  targetGroupArns: z.optional(
    z.tuple([
      z.string().check(z.regex(ARN_PATTERNS.targetGroup, TARGET_GROUP_ARN_MESSAGE)),
      z.string().check(z.regex(ARN_PATTERNS.targetGroup, TARGET_GROUP_ARN_MESSAGE)),
    ]),
  ),
  testListenerArn: z.optional(z.string().check(z.regex(ANY_LISTENER, LISTENER_ARN_MESSAGE))),
  /** CloudWatch alarm names watched during bakes (exact names). */
  alarms: z._default(z.array(z.string().check(mistake(alarmNameMistake), z.regex(ALARM_NAME, ALARM_NAME_MESSAGE))).check(z.maxLength(100)), []),
  strategy: Strategy,
  healthTimeoutSeconds: z._default(seconds(6 * 3600), 600),
  /** How long blue keeps running after promotion; a rollback in this window is a weight flip. */
  terminationWaitSeconds: z._default(seconds(48 * 3600), 300),
  /** Green at full size from the start, or sized to the traffic it is about to take. */
  capacity: z._default(z.enum(['full', 'proportional']), 'full'),
  analysis: z._default(Analysis, () => Analysis.parse({})),
  hooks: z._default(Hooks, () => Hooks.parse({})),
  migration: z.optional(Migration),
  imageScan: z._default(ImageScan, () => ImageScan.parse({})),
  scaling: z.optional(Scaling),
  bootstrap: z.optional(Bootstrap),
  cleanup: z._default(Cleanup, () => Cleanup.parse({})),
  /**
   * Which engine deploys the service: `task-set` (EXTERNAL deployment controller: Cutover's task sets)
   * or `native` (ECS deployment controller: ECS's own blue/green, canary or linear, gated by Cutover's
   * lifecycle hook). Default: detected from the live service at Inspect; when stated, Inspect fails
   * with EngineMismatch if the service disagrees. With `native` the strategy must be one ECS can
   * express (functions/core/native.ts strategyFor), checked at synth with the reason.
   */
  engine: z.optional(z.enum(['task-set', 'native'])),
  /**
   * `engine: native` with no load balancer here: `true` when the service takes its traffic through
   * Service Connect (ECS moves it between revisions: canary and linear work), absent or false when it
   * takes none (ECS deploys it blue/green only). Inspect checks it against the live service.
   */
  serviceConnect: z.optional(z.boolean()),
  /**
   * `engine: native`: who holds an approval step. `lambda` (default): Cutover's lifecycle hook, asked
   * again at most every 60 s, at any traffic point. `pause`: an ECS PAUSE hook that waits without
   * invocations until the operator's approve (ContinueServiceDeployment); only before the first shift
   * or after 100 % (a PAUSE hook at PRODUCTION_TRAFFIC_SHIFT would pause every step).
   */
  nativeApproval: z.optional(z.enum(['lambda', 'pause'])),
});

export const Environment = z.strictObject({
  name: z.string().check(z.regex(ENV_NAME, ENV_NAME_MESSAGE)),
  /** Promotion into this environment waits for an approval. */
  requiresApproval: z._default(z.boolean(), false),
  /** The release's WaitForApproval and an operator's Hold: a TimeoutSecondsPath, so at least 1. */
  approvalTimeoutSeconds: z._default(timeoutSeconds(7 * 24 * 3600), 24 * 3600),
  onApprovalTimeout: z._default(z.enum(['abort', 'promote']), 'abort'),
  /** Verification hooks after every service of this environment deployed (release pipeline): `hooks` (Lambda ARNs, run in order), `timeoutSeconds` per hook, `url` passed as `testUrl`. */
  verification: z._default(EnvironmentVerification, () => EnvironmentVerification.parse({})),
});

export const CutoverConfig = z.strictObject({
  /** The control plane's account and region: every ARN must be in them (validated when set). */
  account: z.optional(z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'))),
  region: z.optional(z.string().check(z.regex(new RegExp(`^${REGION}$`), 'must be an AWS region like eu-west-1'))),
  environments: z._default(z.array(Environment).check(z.minLength(1)), [
    {
      name: 'production',
      requiresApproval: false,
      approvalTimeoutSeconds: 86400,
      onApprovalTimeout: 'abort',
      verification: { hooks: [], timeoutSeconds: 600, invocationTimeoutSeconds: 30, maxCallBackDelaySeconds: 300 },
    },
  ]),
  /**
   * The managed services. May be empty: the control plane then deploys with nothing to manage (the
   * first step of a new account, before the demo or a real service is added; see README "Try it on
   * AWS").
   */
  services: z.array(Service).check(z.maxLength(500)),
  /** Deployment records expire this long after they end. */
  recordRetentionSeconds: z._default(seconds(3650 * 24 * 3600), 90 * 24 * 3600),
  /** When the cleanup state machine runs (EventBridge Scheduler, UTC), or `off`; per-service options under `cleanup`. */
  cleanupSchedule: z._default(
    z.string().check(z.regex(/^((cron|rate)\(.+\)|off)$/, 'must be an EventBridge schedule: cron(...) or rate(...), or off')),
    'cron(0 3 * * ? *)',
  ),
  /**
   * How often the reconcile sweep runs (closes stopped or lost deployments, frees stale locks,
   * deploys a push whose event was lost): an EventBridge schedule, cron(...) or rate(...), or `off`
   * (the rule is kept, disabled; nothing is then repaired on its own). Every 5 minutes is 8,640
   * executions a month, the largest part of an idle control plane's cost (docs/cost.md).
   */
  reconcileSchedule: z._default(
    z.string().check(z.regex(/^((cron|rate)\(.+\)|off)$/, 'must be an EventBridge schedule: cron(...) or rate(...), or off')),
    'rate(5 minutes)',
  ),
  /** The optional parts that watch Cutover itself; each costs money while nobody deploys (docs/cost.md). */
  observability: z._default(
    z.strictObject({
      /** The CloudWatch dashboard of the four DORA measures (one dashboard). */
      dashboard: z._default(z.boolean(), true),
      /** The CloudWatch alarms on Cutover itself (handler errors, dead letters, failed, stopped and stuck deployments) and the rule that forwards their state changes to Cutover's bus. */
      cutoverAlarms: z._default(z.boolean(), true),
    }),
    () => ({ dashboard: true, cutoverAlarms: true }),
  ),
  /** Days the EventBridge archive keeps Cutover's lifecycle events for replay (1-3650), or 0 for no archive at all. */
  eventArchiveDays: z._default(z.int().check(z.minimum(0), z.maximum(3650)), 90),
  /**
   * The IAM roles Cutover may pass to ECS: every task role and execution role the managed services'
   * task definitions carry (a new revision keeps the stable one's roles, and registering it passes
   * them). Role ARNs; `*` stands for any characters in the role name, e.g.
   * `arn:aws:iam::123456789012:role/shop-*` or a role path `arn:aws:iam::123456789012:role/ecs-tasks/*`
   * (a bare `role/*` is refused). They are the resources of the `iam:PassRole` permission (to
   * ecs-tasks.amazonaws.com only), so keep the list short: use a naming prefix or a path rather than
   * one entry per service. Default none: a revision that carries a role then fails at register with
   * `TaskRoleNotAllowed` before anything changes — set this for every real deployment. */
  taskRoleArns: z._default(
    z
      .array(
        z.string().check(
          z.maxLength(200),
          z.regex(
            new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/(?!\\*+$)(?:[\\w+=,.@-]+/)*[\\w+=,.@*-]{1,64}$`),
            'must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME) where * may stand for characters of the role name, e.g. arn:aws:iam::123456789012:role/shop-*; role/* (every role) is not allowed',
          ),
          // Issue #14 (Low): `role/a*` or `role/*-*` is nearly `role/*`. A pattern must name at least
          // MIN_ROLE_PATTERN_LITERALS characters of the role path or name besides its `*` (at most two).
          z.refine(
            (arn) => {
              const name = arn.split(':role/')[1] ?? '';
              if (!name.includes('*')) return true;
              return name.replace(/[*/]/g, '').length >= MIN_ROLE_PATTERN_LITERALS && (name.match(/\*/g) ?? []).length <= 2;
            },
            `a pattern must name at least ${MIN_ROLE_PATTERN_LITERALS} characters of the role path or name besides its * (at most two *), e.g. role/shop-*, role/*-task or role/ecs-tasks/*; a broader pattern is nearly every role in the account`,
          ),
        ),
      )
      .check(z.maxLength(20)),
    [],
  ),
});

export type CutoverConfig = z.output<typeof CutoverConfig>;
export type CutoverConfigInput = z.input<typeof CutoverConfig>;
export type ServiceConfig = z.output<typeof Service>;
export type StrategyConfig = z.output<typeof Strategy>;
export type ExplicitStepConfig = z.output<typeof ExplicitStep>;
export type AnalysisConfig = z.output<typeof Analysis>;
export type VersionMetricConfig = z.output<typeof VersionMetric>;
export type EnvironmentConfig = z.output<typeof Environment>;
export type ScalingConfig = z.output<typeof Scaling>;
export type ScalingRuleConfig = z.output<typeof ScalingRule>;
export type CleanupConfig = z.output<typeof Cleanup>;

// ---------------------------------------------------------------------------------------------
// Cross-field rules zod cannot express per field
// ---------------------------------------------------------------------------------------------
function crossFieldProblems(config: CutoverConfig): string[] {
  const problems: string[] = [];
  const envNames = new Set<string>();
  config.environments.forEach((e, i) => {
    if (envNames.has(e.name)) problems.push(`environments[${i}].name: duplicate environment "${e.name}"; names must be unique`);
    envNames.add(e.name);
    e.verification.hooks.forEach((arn, j) => {
      const m = ARN_PATTERNS.lambda.exec(arn);
      const at = `environments[${i}].verification.hooks[${j}]`;
      if (!m) problems.push(`${at}: "${arn}" must be a Lambda function ARN`);
      else if (config.region && m[2] !== config.region) problems.push(`${at}: region ${m[2]} differs from the control plane's region ${config.region}`);
      else if (config.account && m[m.length - 2] !== config.account) problems.push(`${at}: account ${m[m.length - 2]} differs from the control plane's account ${config.account}`);
    });
  });
  const keys = new Set<string>();
  config.services.forEach((s, i) => {
    const at = `services[${i}]`;
    const key = `${s.name}/${s.environment}`;
    if (keys.has(key)) {
      problems.push(`${at}.name: duplicate service "${s.name}" in environment "${s.environment}"; each name may appear once per environment`);
    }
    keys.add(key);
    if (!envNames.has(s.environment)) {
      problems.push(`${at}.environment: "${s.environment}" is not a configured environment; allowed: ${[...envNames].join(', ')}`);
    }
    const worker = isWorkerService(s);
    problems.push(...shapeProblems(s, at));
    if (!worker && s.targetGroupArns && s.targetGroupArns[0] === s.targetGroupArns[1]) {
      problems.push(`${at}.targetGroupArns: the two target groups must differ (one per version)`);
    }
    if (s.testListenerArn !== undefined && s.testListenerArn === s.listenerArn) {
      problems.push(`${at}.testListenerArn: must differ from the production listenerArn`);
    }
    if (s.strategy.type === 'steps') {
      let last = 0;
      let lastShift = -1;
      s.strategy.steps.forEach((step, j) => {
        if ('percent' in step) {
          if (step.percent < last) {
            problems.push(`${at}.strategy.steps[${j}].percent: ${step.percent} is below the previous step's ${last}; steps may not move traffic back`);
          }
          last = step.percent;
          lastShift = j;
        }
      });
      if (lastShift === -1 || last !== 100) {
        problems.push(`${at}.strategy.steps: the last traffic step must be percent 100 (found ${last}); add { "percent": 100 }`);
      }
    }
    // A Network Load Balancer publishes no per-target-group request, 5xx or latency metric
    // (AWS/NetworkELB has flows, bytes and resets): like a worker, such a service is analysed on
    // the metrics its application publishes per version.
    const nlb = /:listener\/net\//.test(s.listenerArn ?? '');
    if ((nlb || /:listener\/net\//.test(s.testListenerArn ?? '')) && s.engine !== 'native') {
      problems.push(`${at}.listenerArn: a Network Load Balancer listener is for engine "native" (ECS's own deployments shift its forward); Cutover's task sets need an ALB listener or rule: set engine "native" (an ECS-controller service) or use an ALB`);
    }
    if ((worker || nlb) && s.analysis.enabled && s.analysis.metrics === undefined) {
      problems.push(
        `${at}.analysis.metrics: ${nlb ? 'a service behind a Network Load Balancer (no per-target-group request metrics)' : 'a worker (no load balancer)'} is analysed on the metrics its application publishes per version; set analysis.metrics { "processed": { "namespace", "metricName", "dimensions": { ..., "version": "{version}" } } }, or set analysis.enabled false`,
      );
    }
    if (!worker && !nlb && s.analysis.metrics !== undefined) {
      problems.push(`${at}.analysis.metrics: only for a worker (a service with no load balancer) or a service behind a Network Load Balancer; a web service behind an ALB is analysed on its target groups' ALB metrics: remove analysis.metrics`);
    }
    if (s.analysis.metrics) {
      const m = s.analysis.metrics;
      for (const [name, metric] of [['processed', m.processed], ['errors', m.errors], ['latency', m.latency]] as const) {
        if (metric && !Object.values(metric.dimensions).some((v) => v.includes('{version}'))) {
          problems.push(`${at}.analysis.metrics.${name}.dimensions: no value holds {version}, so green and blue would read the same numbers; tag the metric by version, e.g. "version": "{version}" (CUTOVER_VERSION)`);
        }
      }
    }
    if (s.analysis.enabled) {
      // A bake analysed green against blue (both take traffic) must give the analysis one whole
      // minute of data after the shift: ALB metrics arrive up to 2 minutes late (issue #13, item 8).
      for (const { percent, bakeSeconds, path } of analysedBakes(s.strategy)) {
        if (tooShortForAnalysis(bakeSeconds, s.analysis)) {
          const tries = 1 + (s.analysis.onInconclusive === 'extend' ? s.analysis.maxExtensions : 0);
          problems.push(
            `${at}.strategy.${path}: a ${bakeSeconds} s bake at ${percent} % is too short for the canary analysis (minRequests ${s.analysis.minRequests}): ALB metrics arrive up to ${ALB_METRIC_DELAY_SECONDS} s late and only whole minutes after the shift count, so ${tries} bake(s) of it may not see one whole minute; bake at least ${Math.ceil(MIN_ANALYSIS_BAKE_SECONDS / tries)} s, or set analysis.enabled false`,
          );
        }
      }
    }
    if (s.serviceConnect !== undefined && (s.engine !== 'native' || !worker)) {
      problems.push(`${at}.serviceConnect: only for engine "native" with no load balancer in the configuration (ECS shifts Service Connect traffic between revisions); remove it, or set engine "native" and remove the listener and target groups`);
    }
    if (s.nativeApproval !== undefined && s.engine !== 'native') {
      problems.push(`${at}.nativeApproval: only for engine "native" (who holds an approval on ECS's own deployments); remove it, or set engine "native"`);
    }
    if (s.engine === 'native') {
      try {
        strategyFor(s.strategy, strategyOptionsOf(s));
      } catch (e) {
        // A step list that is not a plan at all (ValidationError) is already reported above.
        if (e instanceof NativeStrategyRefused) problems.push(`${at}.strategy: ${e.message}`);
        else if (!(e instanceof ValidationError)) throw e;
      }
    }
    if (s.strategy.type === 'blue-green' && s.testListenerArn === undefined && s.strategy.bakeSeconds > 0) {
      // Allowed, but the 0 % bake then sees no traffic at all: the analysis would be inconclusive.
    }
    if (s.scaling && s.scaling.minCount > s.scaling.maxCount) {
      problems.push(`${at}.scaling.minCount: ${s.scaling.minCount} exceeds maxCount ${s.scaling.maxCount}`);
    }
    s.scaling?.rules.forEach((r, j) => {
      if ((r.alarmName === undefined) === (r.schedule === undefined)) {
        problems.push(`${at}.scaling.rules[${j}]: set exactly one of alarmName or schedule`);
      }
      if (r.adjustment === undefined && r.minCount === undefined && r.maxCount === undefined) {
        problems.push(`${at}.scaling.rules[${j}]: set adjustment, or minCount/maxCount`);
      }
      const sc = s.scaling as NonNullable<typeof s.scaling>;
      for (const key of ['minCount', 'maxCount'] as const) {
        const v = r[key];
        if (v !== undefined && (v < sc.minCount || v > sc.maxCount)) {
          problems.push(`${at}.scaling.rules[${j}].${key}: ${v} is outside the service's bounds ${sc.minCount}-${sc.maxCount} (scaling.minCount/maxCount)`);
        }
      }
      if (r.minCount !== undefined && r.maxCount !== undefined && r.minCount > r.maxCount) {
        problems.push(`${at}.scaling.rules[${j}].minCount: ${r.minCount} exceeds maxCount ${r.maxCount}`);
      }
    });
    if (s.hooks.afterTestTraffic.length > 0 && s.testListenerArn === undefined) {
      problems.push(`${at}.hooks.afterTestTraffic: needs testListenerArn (the test listener green is put behind); use hooks.afterHealthy without one`);
    }
    const hookArns = [
      ...s.hooks.afterHealthy.map((a, j) => [`hooks.afterHealthy[${j}]`, a] as const),
      ...s.hooks.afterTestTraffic.map((a, j) => [`hooks.afterTestTraffic[${j}]`, a] as const),
      ...s.hooks.beforeShift.map((a, j) => [`hooks.beforeShift[${j}]`, a] as const),
      ...s.hooks.afterFullTraffic.map((a, j) => [`hooks.afterFullTraffic[${j}]`, a] as const),
    ];
    for (const [path, arn] of hookArns) {
      if (!ARN_PATTERNS.lambda.test(arn)) problems.push(`${at}.${path}: "${arn}" must be a Lambda function ARN`);
    }
    // Account and region of every ARN.
    const arns: Array<[string, string, RegExp]> = [
      ...(s.listenerArn ? [[`${at}.listenerArn`, s.listenerArn, listenerPattern(s.listenerArn)] as [string, string, RegExp]] : []),
      ...(s.listenerRuleArn
        ? [[`${at}.listenerRuleArn`, s.listenerRuleArn, ARN_PATTERNS.listenerRule] as [string, string, RegExp]]
        : []),
      ...(s.testListenerArn
        ? [[`${at}.testListenerArn`, s.testListenerArn, listenerPattern(s.testListenerArn)] as [string, string, RegExp]]
        : []),
      ...(s.targetGroupArns
        ? ([
            [`${at}.targetGroupArns[0]`, s.targetGroupArns[0], ARN_PATTERNS.targetGroup],
            [`${at}.targetGroupArns[1]`, s.targetGroupArns[1], ARN_PATTERNS.targetGroup],
          ] as Array<[string, string, RegExp]>)
        : []),
      ...hookArns.map(([p, a]) => [`${at}.${p}`, a, ARN_PATTERNS.lambda] as [string, string, RegExp]),
    ];
    for (const [path, arn, pattern] of arns) {
      const m = pattern.exec(arn);
      if (!m) continue;
      const region = m[2];
      const account = m[m.length - (pattern === ARN_PATTERNS.lambda ? 2 : 1)];
      if (config.region && region !== config.region) {
        problems.push(`${path}: region ${region} differs from the control plane's region ${config.region}`);
      }
      if (config.account && account !== config.account) {
        problems.push(`${path}: account ${account} differs from the control plane's account ${config.account}`);
      }
    }
  });
  // IAM roles have no region; ECS tasks take roles of their own account.
  config.taskRoleArns.forEach((arn, i) => {
    const account = /^arn:[^:]+:iam::(\d{12}):role\//.exec(arn)?.[1];
    if (config.account && account !== undefined && account !== config.account) {
      problems.push(`taskRoleArns[${i}]: account ${account} differs from the control plane's account ${config.account}; ECS tasks take roles of their own account`);
    }
  });
  return problems;
}

/** The fields that put a service behind a load balancer; a worker has none of them. */
export const WEB_FIELDS = ['listenerArn', 'listenerRuleArn', 'targetGroupArns', 'testListenerArn'] as const;

/** A worker: a service with none of listenerArn, listenerRuleArn, targetGroupArns, testListenerArn. */
export function isWorkerService(s: Pick<ServiceConfig, (typeof WEB_FIELDS)[number]>): boolean {
  return WEB_FIELDS.every((f) => s[f] === undefined);
}

/**
 * A web service names exactly one of listenerArn / listenerRuleArn and both target groups; a worker
 * none of the four load-balancer fields. Anything between is refused with what to add or remove.
 */
function shapeProblems(s: ServiceConfig, at: string): string[] {
  if (isWorkerService(s)) return [];
  const set = WEB_FIELDS.filter((f) => s[f] !== undefined);
  const mix = `${at}: a partial load-balancer setup (it sets ${set.join(', ')}): a web service needs exactly one of listenerArn or listenerRuleArn and both targetGroupArns; a worker (no load balancer: queue consumers, schedulers) sets none of listenerArn, listenerRuleArn, targetGroupArns, testListenerArn`;
  const p: string[] = [];
  if ((s.listenerArn === undefined) === (s.listenerRuleArn === undefined)) {
    p.push(
      s.listenerArn === undefined
        ? `${mix}; set exactly one of listenerArn (listener default action) or listenerRuleArn (listener rule), or remove ${set.join(', ')} for a worker`
        : `${at}: set exactly one of listenerArn (listener default action) or listenerRuleArn (listener rule)`,
    );
  }
  if (s.targetGroupArns === undefined) p.push(`${mix}; add targetGroupArns (two target groups, one per version), or remove ${set.join(', ')} for a worker`);
  return p;
}

/**
 * The bakes of a strategy that the canary analysis reads (after a shift to 1-99 % on green), with
 * where each is configured. Blue-green's bake (0 % production) and bakes at 100 % are not analysed.
 */
function analysedBakes(strategy: z.output<typeof Strategy>): Array<{ percent: number; bakeSeconds: number; path: string }> {
  switch (strategy.type) {
    case 'canary':
      return [{ percent: strategy.percent, bakeSeconds: strategy.bakeSeconds, path: 'bakeSeconds' }];
    case 'linear':
      return strategy.stepPercent < 100 ? [{ percent: strategy.stepPercent, bakeSeconds: strategy.intervalSeconds, path: 'intervalSeconds' }] : [];
    case 'steps':
      return strategy.steps.flatMap((step, j) =>
        'percent' in step && step.percent > 0 && step.percent < 100 ? [{ percent: step.percent, bakeSeconds: step.bakeSeconds, path: `steps[${j}].bakeSeconds` }] : [],
      );
    default:
      return [];
  }
}

/**
 * Parse and validate a configuration. Throws {@link ConfigError} listing every problem as
 * `path: what is wrong; what is allowed`.
 */
export function parseConfig(raw: unknown, source = '(inline)'): CutoverConfig {
  // `reportInput` puts the offending value on each issue, so messages can say what was found.
  const result = CutoverConfig.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(source, formatIssues(result.error.issues));
  const problems = crossFieldProblems(result.data);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return result.data;
}
