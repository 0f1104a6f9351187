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
import { Grant, type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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
} from './handlers.js';
import {
  DEFAULT_SCOPE_BUDGET_CHARS,
  passRoleProblems,
  type ScopedHookFunctions,
  type ScopedPassRoles,
  type ScopedResources,
  scopeHookFunctions,
  scopePassRoles,
  scopeResources,
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
   * @default Duration.days(90)
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
   * @default Schedule.rate(Duration.minutes(5)) - a lost push deploys, and a stopped deployment is closed, within minutes
   */
  readonly reconcileSchedule?: Schedule | 'off';
  /**
   * When the cleanup runs (when statemachines/cleanup.asl.json is loaded): an EventBridge rule starts
   * the cleanup state machine with the scheduled event as its input (a real run; per service
   * `cleanup.enabled: false` opts out). `'off'` keeps the rule but disables it (`cutover cleanup`,
   * or StartExecution, still runs it).
   * @default Schedule.cron({ minute: '0', hour: '3' }) - daily at 03:00 UTC
   */
  readonly cleanupSchedule?: Schedule | 'off';
}

type StatementSpec = { readonly statement: PolicyStatement; readonly wildcardReason?: string };

export class ControlPlane extends Construct {
  /** The configuration as the handlers see it (validated, defaults filled). */
  readonly config: CutoverConfig;
  readonly table: TableV2;
  readonly bus: EventBus;
  readonly archive: Archive;
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

  private readonly inflightIndexArn: string;
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
    });
    this.inflightIndexArn = `${this.table.tableArn}/index/${TABLE_SCHEMA.inflightIndex}`;

    this.bus = new EventBus(this, 'Bus', props.eventBusName ? { eventBusName: props.eventBusName } : {});
    this.archive = new Archive(this, 'BusArchive', {
      sourceEventBus: this.bus,
      description: 'Cutover lifecycle events (replayable)',
      eventPattern: { account: [stack.account] },
      retention: props.eventArchiveRetention ?? Duration.days(90),
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
    if (this.passRoles.arns.length === 0) {
      Annotations.of(this).addWarningV2(
        'cutover:taskRoleArns',
        'taskRoleArns is empty: Cutover may pass no IAM role to ECS, so a deployment whose task definition has a task or execution role fails at register (TaskRoleNotAllowed); list those roles (or a prefix such as role/shop-*) in taskRoleArns',
      );
    }

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
        asynchronous: spec.trigger.kind !== 'stateMachine',
      });
      for (const access of spec.access) {
        for (const { statement, wildcardReason } of this.statementsFor(access)) {
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

    // --- Event-driven triggers: one rule per kind, patterns list the configured names ----------
    const rules: Partial<Record<EventTrigger, Rule>> = {};
    const patterns: Partial<Record<EventTrigger, ListenPattern>> = {};
    for (const name of HANDLER_NAMES) {
      const trigger = HANDLERS[name].trigger;
      // State machines invoke theirs; lib/scaling.ts wires the scale handler below.
      if (trigger.kind === 'stateMachine' || trigger.kind === 'scaling') continue;
      let rule = rules[trigger.kind];
      if (rule === undefined) {
        const pattern = this.patternFor(trigger.kind, patternMax);
        patterns[trigger.kind] = pattern;
        rule = new Rule(this, trigger.kind === 'ecrPush' ? 'EcrPushRule' : 'AlarmStateChangeRule', {
          description:
            trigger.kind === 'ecrPush'
              ? 'Cutover: ECR pushes to the configured repositories start deployments'
              : 'Cutover: configured alarms going to ALARM roll back in-flight deployments',
          eventPattern: pattern.pattern,
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
        functions,
        stateMachines: smRefs,
        eventBus: this.bus,
        logRetention,
        logRemovalPolicy,
        hookFunctions: this.hookFunctions,
        taskClusters: { clusters: this.iamScope.migrationClusters, tasks: this.iamScope.migrationTasks, passRoles: this.passRoles },
      });
      stateMachines[name] = sm.stateMachine;
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
      const schedule = { reconcile: props.reconcileSchedule, cleanup: props.cleanupSchedule };
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
    });
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

  private patternFor(kind: 'ecrPush' | 'alarmStateChange', maxChars: number): ListenPattern {
    switch (kind) {
      case 'ecrPush':
        return ecrPushPattern(
          this.config.services.map((s) => s.repository),
          maxChars,
        );
      case 'alarmStateChange':
        return alarmStatePattern(
          this.config.services.flatMap((s) => s.alarms),
          maxChars,
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
          {
            statement: new PolicyStatement({
              actions:
                access.mode === 'read'
                  ? [...HANDLER_TABLE_READ_ACTIONS]
                  : [...HANDLER_TABLE_READ_ACTIONS, ...HANDLER_TABLE_WRITE_ACTIONS],
              resources: tableResources,
            }),
          },
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
      case 'ecsServices':
        return [
          {
            statement: new PolicyStatement({ actions: [...access.actions], resources: [...this.iamScope.ecs] }),
            wildcardReason: this.iamScope.wildcardReason,
          },
        ];
      case 'ecsScaledServices':
        // No statement when no service scales (IAM needs a resource).
        return this.iamScope.ecsScaledServices.length === 0
          ? []
          : [
              {
                statement: new PolicyStatement({ actions: [...access.actions], resources: [...this.iamScope.ecsScaledServices] }),
                wildcardReason: this.iamScope.wildcardReason,
              },
            ];
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
            statement: new PolicyStatement({
              actions: ['ecs:TagResource'],
              resources: [stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: '*' })],
            }),
            wildcardReason:
              'ecs:TagResource tags the revision being registered (tag-on-create); its family and revision are known only at run time',
          },
        ];
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
        return [
          {
            statement: new PolicyStatement({ actions: [...access.actions], resources: [...this.iamScope.elbRouting] }),
            wildcardReason: this.iamScope.wildcardReason,
          },
        ];
      case 'elbTestRouting':
        // No statement when no service has a test listener (IAM needs a resource).
        return this.iamScope.elbTestListeners.length === 0
          ? []
          : [
              {
                statement: new PolicyStatement({
                  actions: ['elasticloadbalancing:ModifyListener'],
                  resources: [...this.iamScope.elbTestListeners],
                }),
                wildcardReason: this.iamScope.wildcardReason,
              },
            ];
      case 'ecrRepositories':
        return [
          {
            statement: new PolicyStatement({ actions: [...access.actions], resources: [...this.iamScope.ecr] }),
            wildcardReason: this.iamScope.wildcardReason,
          },
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
        return this.hookFunctions.arns.length === 0
          ? []
          : [
              {
                statement: new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...this.hookFunctions.arns] }),
                ...(this.hookFunctions.coarsened ? { wildcardReason: this.hookFunctions.wildcardReason } : {}),
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

function listDefinitions(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** Event-driven triggers that get one rule each. */
type EventTrigger = 'ecrPush' | 'alarmStateChange';

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

