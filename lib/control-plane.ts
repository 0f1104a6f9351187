/**
 * `ControlPlane`: everything Cutover runs on, for one validated configuration.
 *
 * - a DynamoDB table for deployment records, stable pointers and locks (the store adapter's schema);
 * - an EventBridge bus for Cutover's lifecycle events, with an archive;
 * - one Lambda function per entry of lib/handlers.ts, each with its own least-privilege role;
 * - one EventBridge rule per trigger (ECR pushes, alarm state changes) whose pattern lists the
 *   configured repositories / alarms;
 * - one state machine per `statemachines/*.asl.json`, `deploy` among them;
 * - a schedule (EventBridge rule) that starts the `reconcile` state machine (every 5 minutes) and
 *   one that starts `cleanup` (daily), when those definitions are loaded;
 * - scaling (lib/scaling.ts), only for services that configure `scaling`.
 *
 * The configuration reaches the handlers inside their bundles (`cutover.config.json`), not as
 * resources, so the resource count is the same for 1 and for 500 configured services — except the
 * native scaling resources a service with `scaling` asks for (lib/scaling.ts
 * `scalingResourcesPerService`).
 */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, ArnFormat, Aws, Duration, Names, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, Effect, Grant, type IGrantable, type IRole, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type CutoverConfig, parseConfig } from '../functions/core/config.js';
import { ConfigError } from '../functions/core/errors.js';
import { BundledConfig, CONFIG_FILE_NAME, CutoverFunction } from './cutover-function.js';
import { CutoverStateMachine, type StateMachineRef, stateMachineNameOf } from './cutover-state-machine.js';
import { alarmStatePattern, DEFAULT_EVENT_PATTERN_MAX_CHARS, ecrPushPattern, type ListenPattern } from './event-patterns.js';
import {
  type Access,
  HANDLER_NAMES,
  HANDLERS,
  type HandlerName,
  type HandlerSpec,
  MAX_LAMBDA_TIMEOUT_SECONDS,
  pascalCase,
  type StateMachineName,
  TABLE_PARTITION_PREFIXES,
  type TablePartitions,
} from './handlers.js';
import {
  chunkArns,
  DEFAULT_MAX_MANAGED_POLICIES_PER_ROLE,
  DEFAULT_SCOPE_BUDGET_CHARS,
  passRoleProblems,
  type ScopedHookFunctions,
  type ScopedPassRoles,
  type ScopedResources,
  scopeHookFunctions,
  scopePassRoles,
  scopeResources,
  scopeTaskDefinitionFamilies,
} from './iam-scope.js';
import { acknowledge, acknowledgeWildcards } from './nag.js';
import { CutoverObservability, longestRunSeconds } from './observability.js';
import { CutoverScaling } from './scaling.js';
import { SynthError } from './synth-error.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The real handler and state-machine folders. */
export const DEFAULT_HANDLERS_DIR = join(REPO_ROOT, 'functions', 'handlers');
export const DEFAULT_STATE_MACHINES_DIR = join(REPO_ROOT, 'statemachines');

/** The table schema the store adapter (functions/aws/store.ts) depends on. */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  inflightIndex: 'inflight',
  inflightPartitionKey: 'gsi1pk',
  inflightSortKey: 'gsi1sk',
  ttlAttribute: 'expiresAt',
} as const;

/** What {@link ControlPlane.grantReadDeployments} allows (operators' tools may scan and batch-read). */
const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
] as const;
/**
 * What the handlers' store adapters call (functions/aws/store.ts, store-maintenance.ts,
 * release-store.ts): single-item reads and writes and queries. No handler scans, batch-writes or
 * deletes an item (records expire by TTL, a lock is released by an update).
 */
const HANDLER_TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'] as const;
const HANDLER_TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** The state machines a schedule starts, and how often by default. */
export const DEFAULT_SCHEDULES = {
  /** Orphaned deployments, stale locks and lost ECR pushes (statemachines/reconcile.asl.json). */
  reconcile: Schedule.rate(Duration.minutes(5)),
  /** Old revisions, orphaned task sets, expired records and unused images (statemachines/cleanup.asl.json), 03:00 UTC. */
  cleanup: Schedule.cron({ minute: '0', hour: '3' }),
} as const;
export type ScheduledStateMachine = keyof typeof DEFAULT_SCHEDULES;

/**
 * A configuration schedule (`cron(...)`, `rate(...)` as EventBridge writes them, or `off`) as the
 * construct takes it. EventBridge rules take cron and rate expressions in UTC
 * (EventBridge User Guide, "Creating an Amazon EventBridge rule that runs on a schedule").
 */
export function scheduleOf(expression: string): Schedule | 'off' {
  return expression === 'off' ? 'off' : Schedule.expression(expression);
}

/** How long and how often EventBridge retries delivering a trigger (rules to handlers and state machines). */
const DELIVERY = { retryAttempts: 10, maxEventAge: Duration.hours(1) } as const;

/** `deploy` -> `CUTOVER_DEPLOY_STATE_MACHINE_ARN` (functions/handlers/shared/env.ts). */
export function stateMachineArnVariable(name: string): string {
  return `CUTOVER_${name.replace(/-/g, '_').toUpperCase()}_STATE_MACHINE_ARN`;
}

/** Powertools log levels. */
export type HandlerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface ControlPlaneProps {
  /** The Cutover configuration (validated again here; defaults are filled). */
  readonly config: CutoverConfig;
  /**
   * What happens to the deployments table when it leaves the stack.
   * @default RemovalPolicy.RETAIN - deployment history is audit data
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection on the deployments table.
   * @default true - DeleteTable is refused until it is turned off
   */
  readonly tableDeletionProtection?: boolean;
  /**
   * Retention of every function's and state machine's log group.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Memory of every handler, in MB (128-10240). CPU share grows with memory, so this also sets how
   * fast a cold start and a rollback run.
   * @default 512
   */
  readonly lambdaMemoryMb?: number;
  /**
   * Powertools log level of the handlers (`POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: HandlerLogLevel;
  /**
   * Name of the event bus for Cutover's lifecycle events.
   * @default - a name unique to this construct, generated by CDK
   */
  readonly eventBusName?: string;
  /**
   * How long the bus archive keeps lifecycle events (replayable).
   * @default - the configuration's `eventArchiveDays` (90; 0 creates no archive)
   */
  readonly eventArchiveRetention?: Duration;
  /**
   * Longest EventBridge pattern to write, in characters; a repository or alarm list that would
   * make a pattern longer is left out and the handler filters instead (see lib/event-patterns.ts).
   * @default 2048 - EventBridge's default quota
   */
  readonly eventPatternMaxChars?: number;
  /**
   * Characters of service-scoped ARNs one role may carry before permissions coarsen to clusters,
   * then to the account (see lib/iam-scope.ts).
   * @default 6000
   */
  readonly iamScopeBudgetChars?: number;
  /**
   * Managed policies IAM lets this account attach to one role. Writes are never coarsened, so a large
   * configuration's exact resource lists overflow into managed policies; past this many, synth fails
   * with the role's name.
   * @default 10 - IAM's default quota (adjustable to 20)
   */
  readonly maxManagedPoliciesPerRole?: number;
  /**
   * Folder of the handler sources (`<name>.ts` for each entry of lib/handlers.ts). Must be inside
   * this repository: esbuild bundles from its root (package-lock.json).
   * @default functions/handlers of this repository
   */
  readonly handlersDir?: string;
  /**
   * Folder of the state machine definitions (`*.asl.json`; `deploy.asl.json` is required).
   * @default statemachines of this repository
   */
  readonly stateMachinesDir?: string;
  /**
   * How often the reconcile sweep runs (when statemachines/reconcile.asl.json is loaded): an
   * EventBridge rule starts the reconcile state machine with the scheduled event as its input.
   * `'off'` keeps the rule but disables it (start the state machine by hand, or enable the rule).
   * @default - the configuration's `reconcileSchedule` (its default: every 5 minutes, so a lost push deploys, and a stopped deployment is closed, within minutes)
   */
  readonly reconcileSchedule?: Schedule | 'off';
  /**
   * When the cleanup runs (when statemachines/cleanup.asl.json is loaded): an EventBridge rule starts
   * the cleanup state machine with the scheduled event as its input (a real run; per service
   * `cleanup.enabled: false` opts out). `'off'` keeps the rule but disables it (`cutover cleanup`,
   * or StartExecution, still runs it).
   * @default - the configuration's `cleanupSchedule` (its default: daily at 03:00 UTC; `off` disables the rule)
   */
  readonly cleanupSchedule?: Schedule | 'off';
}

type StatementSpec = { readonly statement: PolicyStatement; readonly wildcardReason?: string };

export class ControlPlane extends Construct {
  /** The configuration as the handlers see it (validated, defaults filled). */
  readonly config: CutoverConfig;
  readonly table: TableV2;
  readonly bus: EventBus;
  /** The bus archive; none when the configuration's `eventArchiveDays` is 0. */
  readonly archive: Archive | undefined;
  /** Every handler's function, by handler name. */
  readonly functions: Readonly<Record<HandlerName, NodejsFunction>>;
  /** Every handler's construct (function, role, log group, dead-letter queue), by handler name. */
  readonly handlers: Readonly<Record<HandlerName, CutoverFunction>>;
  /** Dead-letter queues of the asynchronously invoked handlers. */
  readonly deadLetterQueues: Readonly<Partial<Record<HandlerName, Queue>>>;
  /** The rule per event trigger kind (`ecrPush`, `alarmStateChange`). */
  readonly rules: Readonly<Partial<Record<EventTrigger, Rule>>>;
  /** What each rule's pattern turned out to be (names listed, or left to the handler). */
  readonly patterns: Readonly<Partial<Record<EventTrigger, ListenPattern>>>;
  /** The schedule rules starting state machines (`reconcile`, `cleanup`), when those are loaded. */
  readonly schedules: Readonly<Partial<Record<ScheduledStateMachine, Rule>>>;
  /** Dead-letter queue of the schedule rules' state-machine targets (when any schedule exists). */
  readonly scheduleDeadLetterQueue: Queue | undefined;
  /** The scale handler's triggers and each scaled service's native scaling (lib/scaling.ts). */
  readonly scaling: CutoverScaling;
  /** Every loaded state machine, by file name (`deploy`). */
  readonly stateMachines: Readonly<Record<string, StateMachine>>;
  readonly deployStateMachine: StateMachine;
  /** The deploy state machine's ARN, built from its name (no reference, so no dependency cycle). */
  readonly deployStateMachineArn: string;
  /** The resources the ECS/ELB/ECR permissions are scoped to. */
  readonly iamScope: ScopedResources;
  /** The hook functions the hook handler (and a state machine's `FunctionName.$` task) may invoke. */
  readonly hookFunctions: ScopedHookFunctions;
  /** The roles register (and the deploy state machine's migration RunTask) may pass to ECS tasks: `taskRoleArns`. */
  readonly passRoles: ScopedPassRoles;
  /** The DORA dashboard and the alarms on Cutover itself. */
  readonly observability: CutoverObservability;
  /** The only principals the bus policy lets put events on Cutover's bus (besides AWS services). */
  readonly busPublisherRoleArns: readonly string[];
  /**
   * The role ECS assumes to invoke Cutover's lifecycle hook in a native deployment (issue #17):
   * trusted by ecs.amazonaws.com, `lambda:InvokeFunction` on the native-hook function only.
   */
  readonly nativeHookInvokeRole: Role;

  private readonly inflightIndexArn: string;
  /** State machine roles that put events on the bus (the PutEvents integration). */
  private readonly stateMachinePublishers: IRole[] = [];
  private readonly stateMachineRefs: Readonly<Record<string, StateMachineRef>>;

  constructor(scope: Construct, id: string, props: ControlPlaneProps) {
    super(scope, id);
    this.config = parseConfig(props.config, `${this.node.path} (ControlPlaneProps.config)`);
    const memorySize = validateMemory(props.lambdaMemoryMb ?? 512);
    const patternMax = validatePatternMax(props.eventPatternMaxChars ?? DEFAULT_EVENT_PATTERN_MAX_CHARS);
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    const handlersDir = props.handlersDir ?? DEFAULT_HANDLERS_DIR;
    const stateMachinesDir = props.stateMachinesDir ?? DEFAULT_STATE_MACHINES_DIR;
    const stack = Stack.of(this);

    // --- State -----------------------------------------------------------------------------
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: TABLE_SCHEMA.inflightIndex,
          partitionKey: { name: TABLE_SCHEMA.inflightPartitionKey, type: AttributeType.STRING },
          sortKey: { name: TABLE_SCHEMA.inflightSortKey, type: AttributeType.STRING },
        },
      ],
      billing: Billing.onDemand(),
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS managed key (aws/dynamodb): KMS encryption with every use in CloudTrail, and no key policy
      // to keep right. The records hold no secrets (task-definition secrets stay references), so a
      // customer managed key's extra control (key policy, revocation) buys nothing here.
      encryption: TableEncryptionV2.awsManagedKey(),
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
      // Issue #14 (Low): a DeleteTable (by hand, or a stack update that replaces the table) is refused
      // until someone turns this off on purpose; deployment history is audit data.
      deletionProtection: props.tableDeletionProtection ?? true,
    });
    this.inflightIndexArn = `${this.table.tableArn}/index/${TABLE_SCHEMA.inflightIndex}`;

    this.bus = new EventBus(this, 'Bus', props.eventBusName ? { eventBusName: props.eventBusName } : {});
    // The prop wins over the configuration's eventArchiveDays (0 there: no archive at all).
    const archiveRetention =
      props.eventArchiveRetention ?? (this.config.eventArchiveDays > 0 ? Duration.days(this.config.eventArchiveDays) : undefined);
    this.archive =
      archiveRetention === undefined
        ? undefined
        : new Archive(this, 'BusArchive', {
            sourceEventBus: this.bus,
            description: 'Cutover lifecycle events (replayable)',
            eventPattern: { account: [stack.account] },
            retention: archiveRetention,
          });

    // --- Names known before anything is built -----------------------------------------------
    const definitionFiles = listDefinitions(stateMachinesDir);
    const smRefs: Record<string, StateMachineRef> = {};
    for (const file of definitionFiles) {
      const name = stateMachineNameOf(file);
      const physical = this.stateMachinePhysicalName(name);
      smRefs[name] = {
        name: physical,
        arn: stack.formatArn({
          service: 'states',
          resource: 'stateMachine',
          resourceName: physical,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      };
    }
    const deployRef = smRefs.deploy;
    if (deployRef === undefined) {
      throw new SynthError(
        `Cutover: ${join(stateMachinesDir, 'deploy.asl.json')} does not exist; the control plane needs the deploy state machine`,
      );
    }
    this.deployStateMachineArn = deployRef.arn;
    this.stateMachineRefs = smRefs;
    this.iamScope = scopeResources(
      this.config,
      { partition: stack.partition, region: stack.region, account: stack.account },
      props.iamScopeBudgetChars ?? DEFAULT_SCOPE_BUDGET_CHARS,
    );
    this.hookFunctions = scopeHookFunctions(this.config, props.iamScopeBudgetChars ?? DEFAULT_SCOPE_BUDGET_CHARS);
    const roleProblems = passRoleProblems(this.config, { partition: stack.partition, region: stack.region, account: stack.account });
    if (roleProblems.length > 0) throw new ConfigError(`${this.node.path} (ControlPlaneProps.config)`, roleProblems);
    this.passRoles = scopePassRoles(this.config);
    if (this.passRoles.arns.length === 0 && this.config.services.length > 0) {
      Annotations.of(this).addWarningV2(
        'cutover:taskRoleArns',
        'taskRoleArns is empty: Cutover may pass no IAM role to ECS, so a deployment whose task definition has a task or execution role fails at register (TaskRoleNotAllowed); list those roles (or a prefix such as role/shop-*) in taskRoleArns',
      );
    }

    // --- The role ECS assumes to invoke the native engine's hook (UpdateService lifecycleHooks[].roleArn)
    this.nativeHookInvokeRole = new Role(this, 'NativeHookInvokeRole', {
      // Only ECS acting for this account (confused deputy: aws:SourceAccount).
      assumedBy: new ServicePrincipal('ecs.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } }),
      description: "Cutover: ECS assumes it to invoke Cutover's lifecycle hook during a native deployment",
    });

    // --- Handlers ---------------------------------------------------------------------------
    const bundledConfig = new BundledConfig(
      this.config,
      Stage.of(this)?.outdir ?? tmpdir(),
      `${Names.uniqueId(this)}.${CONFIG_FILE_NAME}`,
    );
    const commonEnvironment = {
      CUTOVER_TABLE_NAME: this.table.tableName,
      CUTOVER_EVENT_BUS_NAME: this.bus.eventBusName,
      CUTOVER_ACCOUNT_ID: Aws.ACCOUNT_ID,
      POWERTOOLS_SERVICE_NAME: 'cutover',
      POWERTOOLS_METRICS_NAMESPACE: 'Cutover',
    };
    const handlers = {} as Record<HandlerName, CutoverFunction>;
    const functions = {} as Record<HandlerName, NodejsFunction>;
    const deadLetterQueues: Partial<Record<HandlerName, Queue>> = {};
    for (const name of HANDLER_NAMES) {
      const spec = HANDLERS[name];
      const handler = new CutoverFunction(this, `${pascalCase(name)}Handler`, {
        handlerName: name,
        handlersDir,
        entry: spec.entry,
        description: spec.description,
        projectRoot: REPO_ROOT,
        bundledConfig,
        environment: { ...commonEnvironment, ...this.stateMachineEnvironment(spec) },
        logRetention,
        logRemovalPolicy,
        memorySize,
        timeout: Duration.seconds(timeoutOf(name, spec, this.config)),
        logLevel: props.logLevel ?? 'INFO',
        // ECS invokes the native hook synchronously (its answer is the hook's status): no dead-letter queue.
        asynchronous: spec.trigger.kind !== 'stateMachine' && spec.trigger.kind !== 'ecsLifecycleHook',
      });
      for (const access of spec.access) {
        for (const { statement, wildcardReason } of this.statementsFor(access)) {
          // A statement scoped to the configured services has no resource when there are none
          // (`services: []`, the first deploy into a new account): IAM refuses a statement without
          // a resource, and it would allow nothing anyway, so it is left out.
          if (statement.resources.length === 0 && statement.notResources.length === 0) continue;
          handler.role.addToPrincipalPolicy(statement);
          if (wildcardReason) acknowledgeWildcards(handler.role, statement, wildcardReason);
        }
      }
      handlers[name] = handler;
      functions[name] = handler.function;
      if (handler.deadLetterQueue) deadLetterQueues[name] = handler.deadLetterQueue;
    }
    this.handlers = handlers;
    this.functions = functions;
    this.deadLetterQueues = deadLetterQueues;
    // The native engine: ECS invokes the hook through this role only; the native function names both in UpdateService.
    // It also invokes the services' own hooks (services[].hooks) that the native engine adds as ECS
    // lifecycle hooks beside Cutover's (functions/core/native.ts userLifecycleHooks): exactly those ARNs.
    const nativeUserHooks = [
      ...new Set(
        this.config.services
          .filter((s) => s.engine !== 'task-set')
          .flatMap((s) => [...s.hooks.afterHealthy, ...s.hooks.afterTestTraffic, ...s.hooks.beforeShift, ...s.hooks.afterFullTraffic]),
      ),
    ].sort();
    this.nativeHookInvokeRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [functions['native-hook'].functionArn, ...nativeUserHooks] }),
    );
    functions.native.addEnvironment('CUTOVER_NATIVE_HOOK_FUNCTION_ARN', functions['native-hook'].functionArn);
    functions.native.addEnvironment('CUTOVER_NATIVE_HOOK_ROLE_ARN', this.nativeHookInvokeRole.roleArn);

    // --- Event-driven triggers: one rule per kind, patterns list the configured names ----------
    const rules: Partial<Record<EventTrigger, Rule>> = {};
    const patterns: Partial<Record<EventTrigger, ListenPattern>> = {};
    for (const name of HANDLER_NAMES) {
      const trigger = HANDLERS[name].trigger;
      // State machines invoke theirs; lib/scaling.ts wires the scale handler below.
      // ECS invokes the native hook directly (no rule).
      if (trigger.kind === 'stateMachine' || trigger.kind === 'scaling' || trigger.kind === 'ecsLifecycleHook') continue;
      let rule = rules[trigger.kind];
      if (rule === undefined) {
        const pattern = this.patternFor(trigger.kind, patternMax);
        patterns[trigger.kind] = pattern;
        rule = new Rule(this, RULE_IDS[trigger.kind], {
          description: RULE_DESCRIPTIONS[trigger.kind],
          eventPattern: pattern.pattern,
          // With no service configured (`services: []`) there is nothing to deploy or roll back: the
          // rules exist but are disabled, so no push or alarm of the account invokes a handler.
          enabled: trigger.kind === 'ecsDeploymentStateChange' ? this.iamScope.ecsNativeServices.length > 0 : this.config.services.length > 0,
        });
        rules[trigger.kind] = rule;
      }
      rule.addTarget(
        new LambdaFunction(functions[name], {
          deadLetterQueue: deadLetterQueues[name],
          retryAttempts: DELIVERY.retryAttempts,
          maxEventAge: DELIVERY.maxEventAge,
        }),
      );
    }
    this.rules = rules;
    this.patterns = patterns;

    // --- Scaling: only what services[].scaling asks for -----------------------------------------
    const scaleDeadLetterQueue = deadLetterQueues.scale;
    if (scaleDeadLetterQueue === undefined) throw new Error('the scale handler has no dead-letter queue');
    this.scaling = new CutoverScaling(this, 'Scaling', {
      config: this.config,
      handler: functions.scale,
      deadLetterQueue: scaleDeadLetterQueue,
      bus: this.bus,
      eventPatternMaxChars: patternMax,
    });

    // --- State machines -----------------------------------------------------------------------
    const stateMachines: Record<string, StateMachine> = {};
    for (const file of definitionFiles) {
      const name = stateMachineNameOf(file);
      const ref = smRefs[name] as StateMachineRef;
      const sm = new CutoverStateMachine(this, `${pascalCase(name)}StateMachine`, {
        definitionFile: file,
        stateMachineName: ref.name,
        stateMachineArn: ref.arn,
        functions,
        stateMachines: smRefs,
        eventBus: this.bus,
        logRetention,
        logRemovalPolicy,
        hookFunctions: this.hookFunctions,
        taskClusters: {
          clusters: this.iamScope.migrationClusters,
          tasks: this.iamScope.migrationTasks,
          passRoles: this.passRoles,
          // RunTask runs revisions of the migrating services' families only (issue #14, 1).
          // (Every family, task-definition/*, when the list does not fit a policy: register and green refuse other families.)
          families: ((f) => (f.reduce((n, a) => n + a.length + 3, 0) > DEFAULT_SCOPE_BUDGET_CHARS ? undefined : f))(
            scopeTaskDefinitionFamilies(
              this.config,
              { partition: Stack.of(this).partition, region: Stack.of(this).region, account: Stack.of(this).account },
              (s) => s.migration !== undefined,
            ),
          ),
        },
      });
      stateMachines[name] = sm.stateMachine;
      if (sm.integrations.some((i) => i.kind === 'putEvents')) this.stateMachinePublishers.push(sm.stateMachine.role);
    }
    this.stateMachines = stateMachines;
    this.deployStateMachine = stateMachines.deploy as StateMachine;

    // --- Schedules: the reconcile sweep and the cleanup start their state machines -------------
    const scheduled = (Object.keys(DEFAULT_SCHEDULES) as ScheduledStateMachine[]).filter((n) => stateMachines[n] !== undefined);
    const schedules: Partial<Record<ScheduledStateMachine, Rule>> = {};
    if (scheduled.length > 0) {
      this.scheduleDeadLetterQueue = new Queue(this, 'ScheduleDeadLetterQueue', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(
        this.scheduleDeadLetterQueue,
        'AwsSolutions-SQS3',
        'this queue is itself the dead-letter queue of the schedule rules that start the reconcile and cleanup state machines; a DLQ behind it would only hold the same failed events again',
      );
      // One role for the schedule targets: states:StartExecution on exactly the scheduled state machines.
      const role = new Role(this, 'ScheduleRole', {
        description: 'Cutover: EventBridge starts the scheduled state machines (reconcile, cleanup)',
        assumedBy: new ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      });
      // The configuration's cleanupSchedule applies unless a prop overrides it (a validated field that
      // changed nothing was issue #12's defect 2: the daily cleanup ran with `"cleanupSchedule": "off"`).
      const schedule = {
        reconcile: props.reconcileSchedule ?? scheduleOf(this.config.reconcileSchedule),
        cleanup: props.cleanupSchedule ?? scheduleOf(this.config.cleanupSchedule),
      };
      for (const name of scheduled) {
        const chosen = schedule[name];
        schedules[name] = new Rule(this, `${pascalCase(name)}Schedule`, {
          description:
            name === 'reconcile'
              ? 'Cutover: starts the reconcile sweep (orphaned deployments, stale locks, lost ECR pushes)'
              : 'Cutover: starts the cleanup (old revisions, orphaned task sets, expired records, unused images)',
          schedule: chosen === undefined || chosen === 'off' ? DEFAULT_SCHEDULES[name] : chosen,
          enabled: chosen !== 'off',
          // The scheduled event is the execution input (cleanup takes it as a scheduled, real run).
          targets: [
            new SfnStateMachine(stateMachines[name] as StateMachine, {
              role,
              deadLetterQueue: this.scheduleDeadLetterQueue,
              retryAttempts: DELIVERY.retryAttempts,
              maxEventAge: DELIVERY.maxEventAge,
            }),
          ],
        });
      }
    } else {
      this.scheduleDeadLetterQueue = undefined;
    }
    this.schedules = schedules;

    // --- Dashboard and alarms on Cutover itself ---------------------------------------------------
    this.observability = new CutoverObservability(this, 'Observability', {
      functions,
      deadLetterQueues: { ...deadLetterQueues, ...(this.scheduleDeadLetterQueue ? { schedules: this.scheduleDeadLetterQueue } : {}) },
      deployStateMachine: this.deployStateMachine,
      bus: this.bus,
      stuckAfter: Duration.seconds(longestRunSeconds(this.config)),
      dashboard: this.config.observability.dashboard,
      alarms: this.config.observability.cutoverAlarms,
    });

    // --- Who may put events on Cutover's bus (issue #14, 8) ------------------------------------------
    // Same-account principals need no bus policy to PutEvents, so an Allow would restrict nothing: the
    // policy denies PutEvents to every principal but the roles that publish Cutover's events. AWS
    // services (an archive replay) stay admitted; the handlers ignore replays (`replay-name`).
    const publishers = [
      ...HANDLER_NAMES.filter((n) => HANDLERS[n].access.some((a) => a.kind === 'putEvents')).map((n) => handlers[n].role),
      ...this.stateMachinePublishers,
      this.observability.forwardingRole,
    ];
    this.busPublisherRoleArns = publishers.map((r) => r.roleArn);

    // --- Writes never coarsen: fail synth when a role cannot carry them (issue #14, 9) -----------------
    const maxManaged = props.maxManagedPoliciesPerRole ?? DEFAULT_MAX_MANAGED_POLICIES_PER_ROLE;
    if (!Number.isInteger(maxManaged) || maxManaged < 0 || maxManaged > 20) {
      throw new SynthError(`ControlPlaneProps.maxManagedPoliciesPerRole: ${maxManaged} is not allowed; allowed: an integer from 0 to 20 (IAM's largest quota)`);
    }
    const checkedRoles: Array<readonly [string, Role]> = [
      ...HANDLER_NAMES.map((n) => [`the ${n} handler's role`, handlers[n].role] as const),
      ...Object.entries(stateMachines).flatMap(([n, sm]) => (sm.role instanceof Role ? [[`the ${n} state machine's role`, sm.role] as const] : [])),
    ];
    this.node.addValidation({ validate: () => overflowProblems(checkedRoles, maxManaged) });
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyCutoverPublishes',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': this.busPublisherRoleArns },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
  }

  /** Allow `grantee` to start a deployment by hand (`states:StartExecution` on the deploy state machine). */
  grantStartDeployment(grantee: IGrantable): Grant {
    return this.deployStateMachine.grantStartExecution(grantee);
  }

  /** Allow `grantee` to read deployment records, stable pointers and locks (table and `inflight` index). */
  grantReadDeployments(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: [...TABLE_READ_ACTIONS],
      resourceArns: [this.table.tableArn, this.inflightIndexArn],
    });
  }

  /** `CUTOVER_<NAME>_STATE_MACHINE_ARN` for each state machine the handler names that is loaded. */
  private stateMachineEnvironment(spec: HandlerSpec): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of spec.stateMachineArns) {
      const ref = this.stateMachineRefs[name];
      if (ref) out[stateMachineArnVariable(name)] = ref.arn;
    }
    return out;
  }

  private stateMachinePhysicalName(name: string): string {
    const suffix = pascalCase(name);
    const prefix = Names.uniqueResourceName(this, { maxLength: 80 - suffix.length - 1, separator: '-' });
    return `${prefix}-${suffix}`;
  }

  private patternFor(kind: EventTrigger, maxChars: number): ListenPattern {
    switch (kind) {
      case 'ecsDeploymentStateChange': {
        // The services that may deploy natively, by ARN (ECS puts the service ARN in `resources`);
        // past the pattern quota the handler filters (it ignores a service the configuration does not name).
        const base = { source: ['aws.ecs'], detailType: ['ECS Deployment State Change'], account: [Stack.of(this).account] };
        const named = { ...base, resources: [...this.iamScope.ecsNativeServices] };
        const fits = JSON.stringify(Stack.of(this).resolve(named)).length <= maxChars && this.iamScope.ecsNativeServices.length > 0;
        return fits ? { pattern: named, filteredByName: true } : { pattern: base, filteredByName: false };
      }
      case 'ecrPush':
        return ecrPushPattern(
          this.config.services.map((s) => s.repository),
          maxChars,
          Stack.of(this).account,
        );
      case 'alarmStateChange':
        return alarmStatePattern(
          this.config.services.flatMap((s) => s.alarms),
          maxChars,
          Stack.of(this).account,
        );
      default: {
        const never: never = kind;
        throw new Error(`unknown trigger ${String(never)}`);
      }
    }
  }

  /** The IAM statements for one declared access (see lib/handlers.ts). */
  private statementsFor(access: Access): StatementSpec[] {
    const stack = Stack.of(this);
    const tableResources = [this.table.tableArn, this.inflightIndexArn];
    switch (access.kind) {
      case 'table':
        return [
          { statement: new PolicyStatement({ actions: [...HANDLER_TABLE_READ_ACTIONS], resources: tableResources }) },
          // Writes only to the partitions the handler owns (dynamodb:LeadingKeys, the partition key
          // values a request touches; ForAllValues so every key must match).
          ...(access.mode === 'read'
            ? []
            : [
                {
                  statement: new PolicyStatement({
                    actions: [...HANDLER_TABLE_WRITE_ACTIONS],
                    resources: [this.table.tableArn],
                    conditions: {
                      'ForAllValues:StringLike': {
                        'dynamodb:LeadingKeys': ([] as TablePartitions[]).concat(access.partitions ?? 'deployments').map((p) => `${TABLE_PARTITION_PREFIXES[p]}*`),
                      },
                    },
                  }),
                },
              ]),
        ];
      case 'putEvents':
        return [{ statement: new PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }) }];
      case 'executions':
        return this.executionStatements(access.stateMachine, access.actions);
      case 'taskResponse':
        return [
          {
            statement: new PolicyStatement({
              actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
              resources: ['*'],
            }),
            wildcardReason:
              'states:SendTaskSuccess and states:SendTaskFailure support no resource-level permissions (Service Authorization Reference lists no resource type); the task token itself names the execution',
          },
        ];
      case 'ecsServices': {
        // Reads may coarsen; writes name every configured service and its task sets (issue #14, 9).
        const reads = access.actions.filter(isReadAction);
        // StopServiceDeployment's service resource only when some service may deploy natively.
        const writes = access.actions.filter((a) => !isReadAction(a) && (a !== 'ecs:StopServiceDeployment' || this.iamScope.ecsNativeServices.length > 0));
        return [
          ...(reads.length === 0
            ? []
            : [{ statement: new PolicyStatement({ actions: reads, resources: [...this.iamScope.ecs] }), wildcardReason: this.iamScope.wildcardReason }]),
          ...this.writeStatements(writes, this.iamScope.ecsWrite),
        ];
      }
      case 'ecsScaledServices':
        // No statement when no service scales (IAM needs a resource). UpdateService is a write: exact.
        return this.writeStatements(access.actions, this.iamScope.ecsScaledServices);
      case 'ecsRevisionCleanup':
        return [
          {
            statement: new PolicyStatement({
              actions: ['ecs:ListTaskDefinitions', 'ecs:DescribeTaskDefinition', 'ecs:DeregisterTaskDefinition'],
              resources: ['*'],
            }),
            wildcardReason:
              'ecs:ListTaskDefinitions, ecs:DescribeTaskDefinition and ecs:DeregisterTaskDefinition support no resource-level permissions; cleanup acts only on the families of the configured services, found at run time',
          },
          {
            statement: new PolicyStatement({
              actions: ['ecs:DeleteTaskDefinitions'],
              resources: [stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: '*' })],
            }),
            wildcardReason:
              'ecs:DeleteTaskDefinitions deletes INACTIVE revisions of the configured services\' families, which are found at run time (the live task sets and the deployment records); account and region pinned',
          },
        ];
      case 'ecsClusterTasks':
        return [
          {
            statement: new PolicyStatement({
              actions: ['ecs:ListTasks'],
              resources: ['*'],
              conditions: { ArnLike: { 'ecs:cluster': [...this.iamScope.ecsClusters] } },
            }),
            wildcardReason:
              'ecs:ListTasks authorizes on container instances, which Fargate tasks do not have; the ecs:cluster condition limits it to the configured clusters',
          },
          {
            statement: new PolicyStatement({ actions: ['ecs:DescribeTasks'], resources: [...this.iamScope.ecsTasks] }),
            wildcardReason:
              'ecs:DescribeTasks reads the running tasks of the configured clusters (which revisions are still in use); task ids are generated by ECS',
          },
        ];
      case 'ecsDescribeTaskDefinition':
        return [
          {
            statement: new PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }),
            wildcardReason: 'ecs:DescribeTaskDefinition supports no resource-level permissions (read only)',
          },
        ];
      case 'ecsTaskDefinitions':
        return [
          {
            statement: new PolicyStatement({
              actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
              resources: ['*'],
            }),
            wildcardReason:
              'ecs:DescribeTaskDefinition and ecs:RegisterTaskDefinition support no resource-level permissions; the family is read from the live service at run time',
          },
          {
            // Issue #14 (Low): Cutover copies the stable revision with one image changed; it never needs a
            // privileged container, so a register that asks for one is refused by IAM whatever the input
            // (Service Authorization Reference, Amazon ECS: RegisterTaskDefinition supports ecs:privileged).
            statement: new PolicyStatement({
              effect: Effect.DENY,
              actions: ['ecs:RegisterTaskDefinition'],
              resources: ['*'],
              conditions: { StringEqualsIgnoreCase: { 'ecs:privileged': 'true' } },
            }),
          },
          {
            statement: new PolicyStatement({
              actions: ['ecs:TagResource'],
              resources: [stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: '*' })],
            }),
            wildcardReason:
              'ecs:TagResource tags the revision being registered (tag-on-create); its family and revision are known only at run time',
          },
        ];
      case 'ecsFamilyGuard': {
        const families = scopeTaskDefinitionFamilies(this.config, { partition: stack.partition, region: stack.region, account: stack.account });
        // A deny of "anything but these" cannot be split over statements: when the families do not fit
        // one policy, the handlers' own family checks (functions/core/boundary.ts) are the guard, and
        // synth says so.
        if (families.reduce((n, f) => n + f.length + 3, 0) > DEFAULT_SCOPE_BUDGET_CHARS) {
          Annotations.of(this).addWarningV2(
            'cutover:family-guard',
            `${families.length} task-definition families do not fit an IAM policy: ${access.actions.join(' and ')} outside them are refused by the handlers, not by IAM; fewer services per Cutover stack keep the IAM guard`,
          );
          return [];
        }
        const out: StatementSpec[] = [];
        if (access.actions.includes('ecs:RegisterTaskDefinition')) {
          out.push({
            statement: new PolicyStatement({
              effect: Effect.DENY,
              actions: ['ecs:RegisterTaskDefinition'],
              notResources: [...families, ...families.map((f) => f.replace(/:\*$/, ''))],
            }),
          });
        }
        for (const action of ['ecs:CreateTaskSet', 'ecs:UpdateService'] as const) {
          if (!access.actions.includes(action)) continue;
          out.push({
            statement: new PolicyStatement({
              effect: Effect.DENY,
              actions: [action],
              resources: ['*'],
              conditions: { ArnNotLike: { 'ecs:task-definition': families } },
            }),
          });
        }
        return out;
      }
      case 'passTaskRoles':
        // Exactly the roles of taskRoleArns; none at all when it is empty (IAM needs a resource).
        return this.passRoles.arns.length === 0
          ? []
          : [
              {
                statement: new PolicyStatement({
                  actions: ['iam:PassRole'],
                  resources: [...this.passRoles.arns],
                  conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
                }),
                // Acknowledges only a pattern's own wildcard (role/PREFIX-*); exact ARNs raise no finding.
                wildcardReason: this.passRoles.wildcardReason,
              },
            ];
      case 'elbDescribe':
        return [
          {
            statement: new PolicyStatement({ actions: [...access.actions], resources: ['*'] }),
            wildcardReason: `${access.actions.join(', ')} support no resource-level permissions (read-only)`,
          },
        ];
      case 'elbRouting':
        return this.writeStatements(access.actions, this.iamScope.elbRouting);
      case 'elbTestRouting':
        // No statement when no service has a test listener (IAM needs a resource).
        return this.writeStatements(['elasticloadbalancing:ModifyListener'], this.iamScope.elbTestListeners);
      case 'ecrRepositories':
        return [
          // Reads may coarsen; BatchDeleteImage names every configured repository (issue #14, 9).
          ...(access.actions.some(isReadAction)
            ? [
                {
                  statement: new PolicyStatement({ actions: access.actions.filter(isReadAction), resources: [...this.iamScope.ecr] }),
                  wildcardReason: this.iamScope.wildcardReason,
                },
              ]
            : []),
          ...this.writeStatements(access.actions.filter((a) => !isReadAction(a)), this.iamScope.ecrWrite),
          // Enhanced scanning: ECR reads an image's findings from Amazon Inspector with the caller's
          // permissions. "IAM permissions required for enhanced scanning in Amazon ECR" (ECR user
          // guide) lists inspector2:ListFindings and inspector2:ListCoverage to retrieve findings;
          // its Enable/Disable/ListAccountPermissions and iam:CreateServiceLinkedRole turn scanning
          // on or off, which Cutover never does, so they are not granted.
          ...(access.actions.includes('ecr:DescribeImageScanFindings')
            ? [
                {
                  statement: new PolicyStatement({ actions: ['inspector2:ListFindings', 'inspector2:ListCoverage'], resources: ['*'] }),
                  wildcardReason:
                    'inspector2:ListFindings and inspector2:ListCoverage support no resource-level permissions; read-only, needed for DescribeImageScanFindings on repositories with enhanced scanning (ECR user guide)',
                },
              ]
            : []),
        ];
      case 'scalableTargets': {
        if (this.iamScope.ecsScaledServices.length === 0) return [];
        return [
          {
            statement: new PolicyStatement({ actions: ['application-autoscaling:DescribeScalableTargets'], resources: ['*'] }),
            wildcardReason: 'application-autoscaling:DescribeScalableTargets supports no resource-level permissions (read-only)',
          },
          {
            statement: new PolicyStatement({
              actions: ['application-autoscaling:RegisterScalableTarget'],
              resources: [stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' })],
              conditions: {
                StringEquals: {
                  'application-autoscaling:service-namespace': 'ecs',
                  'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
                },
              },
            }),
            wildcardReason:
              'Application Auto Scaling names scalable targets by a generated id; the conditions allow only ECS services\' desired count, and the handler changes only the scaled services of the bundled configuration (their ECS UpdateService is scoped to them)',
          },
        ];
      }
      case 'invokeHooks':
        return this.writeStatements(['lambda:InvokeFunction'], this.hookFunctions.arns);
      case 'ecsNative': {
        const on = (actions: readonly string[], resources: readonly string[]) => this.writeStatements(access.actions.filter((a) => actions.includes(a)), resources);
        return [
          // StopServiceDeployment: the Service Authorization Reference lists both the service and the
          // service deployment as its resource types, so both are named (each exactly the managed ones).
          ...(access.on === 'deployments' ? [] : on(['ecs:UpdateService', 'ecs:ListServiceDeployments', 'ecs:StopServiceDeployment', 'ecs:ContinueServiceDeployment'], this.iamScope.ecsNativeServices)),
          ...on(['ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment', 'ecs:ContinueServiceDeployment'], this.iamScope.ecsNativeDeployments),
          ...on(['ecs:DescribeServiceRevisions'], this.iamScope.ecsNativeRevisions),
        ];
      }
      case 'passNativeHookRole':
        return [
          {
            statement: new PolicyStatement({
              actions: ['iam:PassRole'],
              resources: [this.nativeHookInvokeRole.roleArn],
              conditions: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
            }),
          },
        ];
      case 'cloudWatch':
        return [
          {
            statement: new PolicyStatement({ actions: [...access.actions], resources: ['*'] }),
            wildcardReason: access.actions.includes('cloudwatch:DescribeAlarms')
              ? 'cloudwatch:DescribeAlarms is read-only and called with the alarm names of the deployment; scoping it per alarm would grow the policy with every configured alarm'
              : 'cloudwatch:GetMetricData supports no resource-level permissions (read-only)',
          },
        ];
      default: {
        const never: never = access;
        throw new Error(`unknown access ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * A write on exactly `resources`, in as many statements as the list needs (lib/iam-scope.ts
   * `chunkArns`): never a coarser resource. Nothing when the list is empty (IAM needs a resource).
   */
  private writeStatements(actions: readonly string[], resources: readonly string[]): StatementSpec[] {
    if (actions.length === 0) return [];
    return chunkArns(resources).map((chunk) => ({
      statement: new PolicyStatement({ actions: [...actions], resources: chunk }),
      wildcardReason: this.iamScope.writeWildcardReason,
    }));
  }

  /** Executions of one of Cutover's state machines; nothing when it is not loaded. */
  private executionStatements(name: StateMachineName, actions: readonly string[]): StatementSpec[] {
    const ref = this.stateMachineRefs[name];
    if (ref === undefined) return [];
    const out: StatementSpec[] = [];
    if (actions.includes('states:StartExecution')) {
      out.push({ statement: new PolicyStatement({ actions: ['states:StartExecution'], resources: [ref.arn] }) });
    }
    const onExecutions = actions.filter((a) => a !== 'states:StartExecution');
    if (onExecutions.length > 0) {
      out.push({
        statement: new PolicyStatement({
          actions: [...onExecutions],
          resources: [
            Stack.of(this).formatArn({
              service: 'states',
              resource: 'execution',
              resourceName: `${ref.name}:*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
        wildcardReason: `${onExecutions.join(' and ')} on executions of the ${name} state machine only; execution names are deployment ids, known at run time`,
      });
    }
    return out;
  }
}

/** Describe*, List* and Get* are reads (they may coarsen); everything else is a write (it never does). */
function isReadAction(action: string): boolean {
  return /^[a-z0-9-]+:(Describe|List|Get|BatchGet)/.test(action);
}

/**
 * Issue #14 (9): synth fails, naming the role and the numbers, when a role's policies would need more
 * managed policies than IAM attaches to a role — rather than a coarser resource. Counts the overflow
 * managed policies CDK made (it puts what does not fit the inline policy into them) once the
 * aspects have run.
 */
function overflowProblems(roles: ReadonlyArray<readonly [string, Role]>, max: number): string[] {
  const problems: string[] = [];
  for (const [what, role] of roles) {
    const count = role.node.children.filter((c) => c instanceof ManagedPolicy).length;
    if (count > max) {
      problems.push(
        `${what}: its exact permissions need ${count} overflow managed policies, more than the ${max} IAM attaches to a role ` +
          '(IAM and AWS STS quotas, "Managed policies attached to an IAM role"); Cutover never widens a write to fit. ' +
          'Split the configuration over several control planes, or raise the quota (up to 20) and set ControlPlaneProps.maxManagedPoliciesPerRole',
      );
    }
  }
  return problems;
}

function listDefinitions(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** Event-driven triggers that get one rule each. */
type EventTrigger = 'ecrPush' | 'alarmStateChange' | 'ecsDeploymentStateChange';
const RULE_IDS: Record<EventTrigger, string> = { ecrPush: 'EcrPushRule', alarmStateChange: 'AlarmStateChangeRule', ecsDeploymentStateChange: 'EcsDeploymentStateChangeRule' };
const RULE_DESCRIPTIONS: Record<EventTrigger, string> = {
  ecrPush: 'Cutover: ECR pushes to the configured repositories start deployments',
  alarmStateChange: 'Cutover: configured alarms going to ALARM roll back in-flight deployments',
  ecsDeploymentStateChange: "Cutover: ECS's own deployments of the managed services ending answer the deploy state machine's wait (native engine)",
};

/** A handler's Lambda timeout in seconds (1-900). */
function timeoutOf(name: string, spec: HandlerSpec, config: CutoverConfig): number {
  const seconds = typeof spec.timeoutSeconds === 'function' ? spec.timeoutSeconds(config) : (spec.timeoutSeconds ?? 30);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_LAMBDA_TIMEOUT_SECONDS) {
    throw new SynthError(`lib/handlers.ts ${name}.timeoutSeconds: ${seconds} is not allowed; allowed: an integer from 1 to ${MAX_LAMBDA_TIMEOUT_SECONDS}`);
  }
  return seconds;
}

function validateMemory(mb: number): number {
  if (!Number.isInteger(mb) || mb < 128 || mb > 10240) {
    throw new SynthError(`ControlPlaneProps.lambdaMemoryMb: ${mb} is not allowed; allowed: an integer from 128 to 10240 (MB)`);
  }
  return mb;
}

function validatePatternMax(chars: number): number {
  if (!Number.isInteger(chars) || chars < 512) {
    throw new SynthError(`ControlPlaneProps.eventPatternMaxChars: ${chars} is not allowed; allowed: an integer of at least 512`);
  }
  return chars;
}

