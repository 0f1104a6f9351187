/**
 * The handler manifest: every Lambda function Cutover deploys, what starts it and the AWS access it
 * needs. lib/control-plane.ts turns each entry into one function, one role and (for event-driven
 * handlers) one EventBridge rule — the scale handler's triggers are lib/scaling.ts's; nothing here
 * grows with the number of configured services.
 *
 * Every entry's access is what its handler's code calls (the adapters its `makeDeps` builds,
 * functions/aws/*.ts), and test/lib/handler-iam.test.ts checks the synthesized roles against it.
 *
 * Access is declared as a small discriminated union rather than as IAM statements, so the construct
 * decides the resources (the table, the bus, the configured services) in one place and the
 * manifest stays reviewable: "what may `shift` do?" is answered by reading its entry.
 */
import type { CutoverConfig } from '../functions/core/config.js';

/** Every handler file, `functions/handlers/<name>.ts`. */
export const HANDLER_NAMES = [
  'intake',
  'prepare',
  'lock',
  'register',
  'migration',
  'green',
  'hook',
  'shift',
  'bake',
  'analyze',
  'promote',
  'finish',
  'rollback',
  'alarm-watcher',
  'control',
  'reconcile',
  'cleanup',
  'scale',
  'release',
  'native',
  'native-hook',
  'native-event',
] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/**
 * State machines (`statemachines/<name>.asl.json`) a handler may get the ARN of and act on. A name
 * whose file is not loaded gets neither the environment variable nor the permission.
 */
export type StateMachineName = 'deploy' | 'release';

/** ECS actions on the configured services and their task sets (resource-level permissions). */
export type EcsServiceAction =
  | 'ecs:DescribeServices'
  | 'ecs:DescribeTaskSets'
  | 'ecs:CreateTaskSet'
  | 'ecs:UpdateTaskSet'
  | 'ecs:DeleteTaskSet'
  | 'ecs:UpdateServicePrimaryTaskSet'
  | 'ecs:TagResource'
  // The service resource of StopServiceDeployment (its other one, the deployment, is `ecsNative`).
  | 'ecs:StopServiceDeployment';
/** ECS actions on the services that configure `scaling` only. */
export type EcsScalingAction = 'ecs:DescribeServices' | 'ecs:UpdateService';
/** Elastic Load Balancing read actions; they support no resource-level permissions. */
export type ElbDescribeAction =
  | 'elasticloadbalancing:DescribeListeners'
  | 'elasticloadbalancing:DescribeRules'
  | 'elasticloadbalancing:DescribeTargetGroups'
  | 'elasticloadbalancing:DescribeTargetHealth';
/** Elastic Load Balancing writes on the configured production/test listeners and listener rules. */
export type ElbRoutingAction = 'elasticloadbalancing:ModifyListener' | 'elasticloadbalancing:ModifyRule';
export type EcrAction = 'ecr:DescribeImages' | 'ecr:DescribeImageScanFindings' | 'ecr:BatchDeleteImage';
export type CloudWatchAction = 'cloudwatch:DescribeAlarms' | 'cloudwatch:GetMetricData';
export type ExecutionAction = 'states:StartExecution' | 'states:DescribeExecution' | 'states:StopExecution';

/** One kind of access a handler needs. The construct maps each to IAM statements. */
export type Access =
  /**
   * The deployments table (and its `inflight` index): `GetItem` and `Query`, plus `PutItem` and
   * `UpdateItem` for `readWrite` — what the store adapters call (no scan, batch or delete).
   */
  /**
   * The table: reads anywhere; writes only to items whose partition key starts with the prefix of
   * `partitions` (IAM condition `dynamodb:LeadingKeys`): a deploy function cannot write a release
   * record (its approval token) and the release function cannot write a deployment record.
   */
  | { readonly kind: 'table'; readonly mode: 'read' | 'readWrite'; readonly partitions?: TablePartitions | readonly TablePartitions[] }
  /** `events:PutEvents` on Cutover's event bus. */
  | { readonly kind: 'putEvents' }
  /**
   * Executions of one of Cutover's own state machines: `StartExecution` on the state machine,
   * `DescribeExecution` / `StopExecution` on its executions.
   */
  | { readonly kind: 'executions'; readonly stateMachine: StateMachineName; readonly actions: readonly ExecutionAction[] }
  /** `states:SendTaskSuccess` / `SendTaskFailure` (answer a waiting bake, approval or release approval). */
  | { readonly kind: 'taskResponse' }
  /** ECS actions scoped to the configured services and their task sets. */
  | { readonly kind: 'ecsServices'; readonly actions: readonly EcsServiceAction[] }
  /** ECS actions scoped to the services with `scaling` (none when no service scales). */
  | { readonly kind: 'ecsScaledServices'; readonly actions: readonly EcsScalingAction[] }
  /** Read a task definition and register the next revision (families are known only at run time). */
  | { readonly kind: 'ecsTaskDefinitions' }
  /** Read a task definition only (the reconcile sweep: the image a service already runs). */
  | { readonly kind: 'ecsDescribeTaskDefinition' }
  /** List, describe, deregister and delete (DeleteTaskDefinitions) task-definition revisions: cleanup. */
  | { readonly kind: 'ecsRevisionCleanup' }
  /** ListTasks / DescribeTasks in the configured clusters (which revisions still run). */
  | { readonly kind: 'ecsClusterTasks' }
  /**
   * `iam:PassRole` to ECS tasks of the roles the configuration names in `taskRoleArns` (the task and
   * execution roles carried over from the stable revision; none when the list is empty).
   */
  | { readonly kind: 'passTaskRoles' }
  /**
   * Explicit denials outside the configured task-definition families (`services[].taskDefinitionFamily`):
   * `ecs:RegisterTaskDefinition` of another family (its resource is the revision), `ecs:CreateTaskSet`
   * of another family's revision (its `ecs:task-definition` condition key; Service Authorization
   * Reference, "Actions, resources, and condition keys for Amazon Elastic Container Service").
   */
  | { readonly kind: 'ecsFamilyGuard'; readonly actions: ReadonlyArray<'ecs:RegisterTaskDefinition' | 'ecs:CreateTaskSet' | 'ecs:UpdateService'> }
  | { readonly kind: 'elbDescribe'; readonly actions: readonly ElbDescribeAction[] }
  | { readonly kind: 'elbRouting'; readonly actions: readonly ElbRoutingAction[] }
  /** `ModifyListener` on the configured test listeners only (blue-green test traffic). */
  | { readonly kind: 'elbTestRouting' }
  /** ECR actions on the configured repositories. */
  | { readonly kind: 'ecrRepositories'; readonly actions: readonly EcrAction[] }
  | { readonly kind: 'cloudWatch'; readonly actions: readonly CloudWatchAction[] }
  /**
   * Application Auto Scaling on the ECS services' desired count: read scalable targets, set their
   * bounds and suspend/resume dynamic scale-in (none when no service scales).
   */
  | { readonly kind: 'scalableTargets' }
  /** `lambda:InvokeFunction` on the configured hook functions only (none when no hook is configured). */
  | { readonly kind: 'invokeHooks' }
  /**
   * The native engine (issue #17), on the services that may deploy natively (lib/iam-scope.ts
   * `ecsNativeServices`): UpdateService and ListServiceDeployments on the services,
   * DescribeServiceDeployments and StopServiceDeployment on their service deployments,
   * DescribeServiceRevisions on their service revisions.
   */
  | {
      readonly kind: 'ecsNative';
      readonly actions: readonly EcsNativeAction[];
      /** `deployments`: only the service-deployment (and revision) resources; the role names the services in its `ecsServices` statement. */
      readonly on?: 'deployments';
    }
  /** `iam:PassRole` of the role ECS assumes to invoke Cutover's lifecycle hook (UpdateService lifecycleHooks[].roleArn), to ECS only. */
  | { readonly kind: 'passNativeHookRole' };

/** ECS actions of the native engine (ECS API reference; Service Authorization Reference for their resource types). */
export type EcsNativeAction =
  | 'ecs:UpdateService'
  | 'ecs:ListServiceDeployments'
  | 'ecs:DescribeServiceDeployments'
  | 'ecs:StopServiceDeployment'
  | 'ecs:ContinueServiceDeployment'
  | 'ecs:DescribeServiceRevisions';

/** What invokes a handler. */
export type Trigger =
  /** An EventBridge rule on `ECR Image Action` PUSH/SUCCESS for the configured repositories (asynchronous). */
  | { readonly kind: 'ecrPush' }
  /** An EventBridge rule on `CloudWatch Alarm State Change` to ALARM for the configured alarms (asynchronous). */
  | { readonly kind: 'alarmStateChange' }
  /** A Task state of a state machine (synchronous; the state machine retries and catches). */
  | { readonly kind: 'stateMachine' }
  /**
   * Scaling (asynchronous; only what the configuration asks for): an EventBridge rule on the
   * scaling rules' alarms going to ALARM, one EventBridge Scheduler schedule per scaling rule with a
   * `schedule`, and a rule on Cutover's bus for the deployment events of scaled services.
   */
  | { readonly kind: 'scaling' }
  /** An EventBridge rule on `ECS Deployment State Change` of the services that may deploy natively (asynchronous). */
  | { readonly kind: 'ecsDeploymentStateChange' }
  /** ECS invokes it as the lifecycle hook of a native deployment, assuming the hook-invoke role (synchronous; no rule). */
  | { readonly kind: 'ecsLifecycleHook' };

export interface HandlerSpec {
  /** `functions/handlers/<name>.ts`, relative to the handlers folder. */
  readonly entry: string;
  /** The Lambda function's description. */
  readonly description: string;
  readonly trigger: Trigger;
  readonly access: readonly Access[];
  /**
   * State machines whose ARNs the handler reads from `CUTOVER_<NAME>_STATE_MACHINE_ARN` (built from
   * the state machine's name: no reference, so no dependency cycle).
   */
  readonly stateMachineArns: readonly StateMachineName[];
  /**
   * Lambda timeout: seconds, or computed from the configuration.
   * @default 30
   */
  readonly timeoutSeconds?: number | ((config: CutoverConfig) => number);
}

/**
 * The table's partitions by what they hold (functions/aws/store.ts `serviceKey`: `SVC#<service>#<environment>`
 * for deployments, locks, stable pointers and scaling state; functions/aws/release-store.ts
 * `releaseKey`: `REL#<releaseId>`). test/security/iam.test.ts checks the prefixes against those keys.
 */
export const TABLE_PARTITION_PREFIXES = { deployments: 'SVC#', releases: 'REL#' } as const;
export type TablePartitions = keyof typeof TABLE_PARTITION_PREFIXES;

const READ_WRITE = { kind: 'table', mode: 'readWrite', partitions: 'deployments' } as const;
const PUT_EVENTS = { kind: 'putEvents' } as const;
const ROUTING_DESCRIBE: readonly ElbDescribeAction[] = [
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetHealth',
];
const ROUTING_WRITE: readonly ElbRoutingAction[] = ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule'];
const STATE_MACHINE = { kind: 'stateMachine' } as const;
/** Lambda's maximum timeout. */
export const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

/**
 * The hook handler invokes one user hook synchronously per call and must outlive the longest
 * configured `invocationTimeoutSeconds` (lifecycle hooks and environment verification hooks), plus
 * the time to record the answer.
 */
export function hookTimeoutSeconds(config: CutoverConfig): number {
  const longest = Math.max(
    0,
    ...config.services.map((s) => s.hooks.invocationTimeoutSeconds),
    ...config.environments.map((e) => e.verification.invocationTimeoutSeconds),
  );
  return Math.min(MAX_LAMBDA_TIMEOUT_SECONDS, Math.max(30, longest + 15));
}

export const HANDLERS: Readonly<Record<HandlerName, HandlerSpec>> = {
  intake: {
    entry: 'intake.ts',
    description: 'Cutover: starts a deployment (or, with several environments, a release) for every service fed by a pushed ECR image',
    trigger: { kind: 'ecrPush' },
    access: [
      // DescribeExecution: a later push of a digest whose execution ended starts anew (shared/push.ts).
      { kind: 'executions', stateMachine: 'deploy', actions: ['states:StartExecution', 'states:DescribeExecution'] },
      { kind: 'executions', stateMachine: 'release', actions: ['states:StartExecution', 'states:DescribeExecution'] },
      // ECR's push time: the trusted time a push is ordered by.
      { kind: 'ecrRepositories', actions: ['ecr:DescribeImages'] },
    ],
    stateMachineArns: ['deploy', 'release'],
  },
  prepare: {
    entry: 'prepare.ts',
    description: 'Cutover: resolves the service, reads the live side and gates the image',
    trigger: STATE_MACHINE,
    access: [
      {
        kind: 'elbDescribe',
        actions: [
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
        ],
      },
      // An interrupted deployment can leave traffic split: prepare puts it back on the primary first
      // (a web service's weights; a worker's task-set scales: UpdateTaskSet).
      { kind: 'elbRouting', actions: ROUTING_WRITE },
      { kind: 'ecsServices', actions: ['ecs:DescribeServices', 'ecs:DescribeTaskSets', 'ecs:UpdateTaskSet'] },
      // A pinned rollback revision, and a worker blue's revision (its CUTOVER_VERSION).
      { kind: 'ecsDescribeTaskDefinition' },
      { kind: 'ecrRepositories', actions: ['ecr:DescribeImages', 'ecr:DescribeImageScanFindings'] },
      READ_WRITE,
      PUT_EVENTS,
    ],
    stateMachineArns: [],
  },
  lock: {
    entry: 'lock.ts',
    description: 'Cutover: takes, renews and releases the per-service deployment lock',
    trigger: STATE_MACHINE,
    // SendTaskSuccess: wakes the deployment parked on the lock (WaitForLockRelease).
    access: [READ_WRITE, { kind: 'taskResponse' }],
    stateMachineArns: [],
  },
  register: {
    entry: 'register.ts',
    description: 'Cutover: registers the stable task definition with only the image changed',
    trigger: STATE_MACHINE,
    access: [
      { kind: 'ecsTaskDefinitions' },
      { kind: 'passTaskRoles' },
      { kind: 'ecsFamilyGuard', actions: ['ecs:RegisterTaskDefinition'] },
      READ_WRITE,
    ],
    stateMachineArns: [],
  },
  migration: {
    entry: 'migration.ts',
    description: 'Cutover: prepares the migration task of a deployment and judges its exit code',
    trigger: STATE_MACHINE,
    // Reads the stable task set's network configuration; the RunTask itself is the state machine's.
    access: [{ kind: 'ecsServices', actions: ['ecs:DescribeTaskSets'] }, READ_WRITE],
    stateMachineArns: [],
  },
  green: {
    entry: 'green.ts',
    description: 'Cutover: creates the green task set and reports when it is steady and healthy',
    trigger: STATE_MACHINE,
    access: [
      {
        kind: 'ecsServices',
        actions: [
          'ecs:CreateTaskSet',
          'ecs:DescribeTaskSets',
          'ecs:DescribeServices',
          'ecs:UpdateTaskSet',
          // At ECS's limit of 5 task sets per service, orphans (no traffic, not blue) are deleted
          // to make room for green (functions/core/live-side.ts taskSetRoom).
          'ecs:DeleteTaskSet',
          'ecs:TagResource',
        ],
      },
      {
        kind: 'elbDescribe',
        actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth'],
      },
      // CreateTaskSet passes the revision's task and execution roles: ECS checks iam:PassRole on it, as
      // the ECS Developer Guide says for CodeDeploy's role, which calls CreateTaskSet ("Amazon ECS
      // CodeDeploy IAM Role"; docs/aws-behaviour.md). Only the roles taskRoleArns names.
      { kind: 'passTaskRoles' },
      // ... and only a revision of the service's own family.
      { kind: 'ecsFamilyGuard', actions: ['ecs:CreateTaskSet'] },
      // Points the test listener (blue-green) at green; production routing is not its business.
      { kind: 'elbTestRouting' },
      // The pre-traffic check: a watched alarm already in ALARM fails the deployment before any shift.
      { kind: 'cloudWatch', actions: ['cloudwatch:DescribeAlarms'] },
      // A worker's health gate: green's running and stopped tasks (ListTasks startedBy the task set,
      // DescribeTasks) and whether its revision has container health checks.
      { kind: 'ecsClusterTasks' },
      { kind: 'ecsDescribeTaskDefinition' },
      READ_WRITE,
    ],
    stateMachineArns: [],
  },
  hook: {
    entry: 'hook.ts',
    description: 'Cutover: invokes the configured lifecycle and verification hooks and reads their answers',
    trigger: STATE_MACHINE,
    access: [{ kind: 'invokeHooks' }, READ_WRITE],
    stateMachineArns: [],
    timeoutSeconds: hookTimeoutSeconds,
  },
  shift: {
    entry: 'shift.ts',
    description: 'Cutover: moves production traffic to the next weight and verifies it',
    trigger: STATE_MACHINE,
    access: [
      { kind: 'elbDescribe', actions: ROUTING_DESCRIBE },
      { kind: 'elbRouting', actions: ROUTING_WRITE },
      { kind: 'ecsServices', actions: ['ecs:DescribeServices', 'ecs:DescribeTaskSets', 'ecs:UpdateTaskSet'] },
      READ_WRITE,
      PUT_EVENTS,
    ],
    stateMachineArns: [],
  },
  bake: {
    entry: 'bake.ts',
    description: 'Cutover: stores the bake task token, then checks the watched alarms',
    trigger: STATE_MACHINE,
    access: [READ_WRITE, { kind: 'cloudWatch', actions: ['cloudwatch:DescribeAlarms'] }],
    stateMachineArns: [],
  },
  analyze: {
    entry: 'analyze.ts',
    description: 'Cutover: compares green against blue (canary analysis)',
    trigger: STATE_MACHINE,
    access: [{ kind: 'cloudWatch', actions: ['cloudwatch:GetMetricData'] }, READ_WRITE, PUT_EVENTS],
    stateMachineArns: [],
  },
  promote: {
    entry: 'promote.ts',
    description: 'Cutover: makes green the primary task set',
    trigger: STATE_MACHINE,
    access: [
      {
        kind: 'ecsServices',
        actions: ['ecs:UpdateServicePrimaryTaskSet', 'ecs:DescribeServices', 'ecs:DescribeTaskSets'],
      },
      READ_WRITE,
      PUT_EVENTS,
    ],
    stateMachineArns: [],
  },
  finish: {
    entry: 'finish.ts',
    description: 'Cutover: scales blue to zero, deletes it and closes the deployment',
    trigger: STATE_MACHINE,
    access: [
      // SendTaskSuccess: wakes the deployment parked on the lock (WaitForLockRelease).
      { kind: 'taskResponse' },
      {
        kind: 'ecsServices',
        actions: ['ecs:UpdateTaskSet', 'ecs:DeleteTaskSet', 'ecs:DescribeServices', 'ecs:DescribeTaskSets'],
      },
      READ_WRITE,
      PUT_EVENTS,
    ],
    stateMachineArns: [],
  },
  rollback: {
    entry: 'rollback.ts',
    description: 'Cutover: puts all traffic back on blue and removes green',
    trigger: STATE_MACHINE,
    access: [
      // SendTaskSuccess: wakes the deployment parked on the lock (WaitForLockRelease).
      { kind: 'taskResponse' },
      { kind: 'elbDescribe', actions: ROUTING_DESCRIBE },
      { kind: 'elbRouting', actions: ROUTING_WRITE },
      {
        kind: 'ecsServices',
        actions: [
          'ecs:DescribeServices',
          'ecs:DescribeTaskSets',
          'ecs:UpdateTaskSet',
          'ecs:DeleteTaskSet',
          // Makes blue primary again when a failed promotion had moved it.
          'ecs:UpdateServicePrimaryTaskSet',
          'ecs:StopServiceDeployment',
        ],
      },
      // A native deployment (an orphan the sweep found) is rolled back by ECS: StopServiceDeployment
      // ROLLBACK, on the managed services' deployments here and on the services in ecsServices
      // above (one statement fewer: this role is the largest at 150 services).
      { kind: 'ecsNative', actions: ['ecs:StopServiceDeployment'], on: 'deployments' },
      READ_WRITE,
      PUT_EVENTS,
    ],
    stateMachineArns: [],
  },
  'alarm-watcher': {
    entry: 'alarm-watcher.ts',
    description: 'Cutover: fails the bake of every in-flight deployment that watches an alarm gone to ALARM',
    trigger: { kind: 'alarmStateChange' },
    // StopServiceDeployment ROLLBACK: an alarm on a native deployment rolls it back at once (issue #17).
    access: [READ_WRITE, { kind: 'taskResponse' }, { kind: 'ecsNative', actions: ['ecs:StopServiceDeployment'] }],
    stateMachineArns: ['deploy'],
  },
  control: {
    entry: 'control.ts',
    description: 'Cutover: operator controls and rollbacks (control and rollback state machines)',
    trigger: STATE_MACHINE,
    access: [
      // Deployments, and releases: the proof of an approval (hashes) goes on the release record before
      // the control function answers its token (issue #14, item 4).
      { kind: 'table', mode: 'readWrite', partitions: ['deployments', 'releases'] },
      // Answers the token the deployment (or the release) waits on (promote, approve, abort, rollback).
      { kind: 'taskResponse' },
      // Stops a deploy execution with no token to answer; starts the rollback deployment.
      { kind: 'executions', stateMachine: 'deploy', actions: ['states:StartExecution', 'states:StopExecution'] },
      // Finds blue on AWS when a record lost it (closing a stopped deployment).
      { kind: 'ecsServices', actions: ['ecs:DescribeServices'] },
    ],
    stateMachineArns: ['deploy'],
  },
  reconcile: {
    entry: 'reconcile.ts',
    description: 'Cutover: the reconcile sweep (orphaned deployments, stale locks, lost ECR pushes)',
    trigger: STATE_MACHINE,
    access: [
      READ_WRITE,
      { kind: 'executions', stateMachine: 'deploy', actions: ['states:DescribeExecution', 'states:StartExecution'] },
      // A lost push with several environments starts its release, as intake would have.
      { kind: 'executions', stateMachine: 'release', actions: ['states:DescribeExecution', 'states:StartExecution'] },
      { kind: 'ecrRepositories', actions: ['ecr:DescribeImages'] },
      { kind: 'ecsServices', actions: ['ecs:DescribeServices'] },
      // The image a service already runs (DescribeTaskDefinition) is not a lost push.
      { kind: 'ecsDescribeTaskDefinition' },
      // Traffic left on a task set that is not primary after a deployment ended goes back to the primary.
      { kind: 'elbDescribe', actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'] },
      { kind: 'elbRouting', actions: ROUTING_WRITE },
    ],
    stateMachineArns: ['deploy', 'release'],
    // Visits every configured service and repository in one call.
    timeoutSeconds: 300,
  },
  cleanup: {
    entry: 'cleanup.ts',
    description: 'Cutover: plans and applies the cleanup of old revisions, orphaned task sets, expired records and unused images',
    trigger: STATE_MACHINE,
    access: [
      READ_WRITE,
      PUT_EVENTS,
      { kind: 'ecsServices', actions: ['ecs:DescribeServices', 'ecs:DeleteTaskSet'] },
      { kind: 'ecsRevisionCleanup' },
      { kind: 'ecsClusterTasks' },
      { kind: 'ecrRepositories', actions: ['ecr:DescribeImages', 'ecr:BatchDeleteImage'] },
      // Production weights: a task set that still takes traffic is never an orphan.
      { kind: 'elbDescribe', actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'] },
    ],
    stateMachineArns: [],
    // Planning a repository reads every revision its services still use.
    timeoutSeconds: 300,
  },
  scale: {
    entry: 'scale.ts',
    description: 'Cutover: scaling rules (alarms, schedules) and scale-in suspension during deployments',
    trigger: { kind: 'scaling' },
    access: [
      READ_WRITE,
      PUT_EVENTS,
      { kind: 'ecsScaledServices', actions: ['ecs:DescribeServices', 'ecs:UpdateService'] },
      { kind: 'scalableTargets' },
      // A deferred scale-in replays only while its alarm is still in ALARM.
      { kind: 'cloudWatch', actions: ['cloudwatch:DescribeAlarms'] },
    ],
    stateMachineArns: [],
    timeoutSeconds: 60,
  },
  release: {
    entry: 'release.ts',
    description: 'Cutover: the release pipeline (environments in order, approvals, verification)',
    trigger: STATE_MACHINE,
    // The deploy executions are the state machine's (startExecution.sync:2). No taskResponse: an
    // operator's approve or abort goes through the control state machine, whose function answers the
    // release's approval token (issue #14, item 4); invoking this function answers no token.
    access: [{ kind: 'table', mode: 'readWrite', partitions: 'releases' }, PUT_EVENTS],
    stateMachineArns: [],
  },
  native: {
    entry: 'native.ts',
    description: "Cutover: starts ECS's own deployment of an ECS-controller service and follows it to its end (native engine)",
    trigger: STATE_MACHINE,
    access: [
      {
        kind: 'ecsNative',
        // ContinueServiceDeployment: an approval held by an ECS PAUSE hook (nativeApproval "pause").
        actions: ['ecs:UpdateService', 'ecs:ListServiceDeployments', 'ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment', 'ecs:ContinueServiceDeployment', 'ecs:DescribeServiceRevisions'],
      },
      { kind: 'ecsServices', actions: ['ecs:DescribeServices'] },
      // UpdateService only with a revision of a configured family (its ecs:task-definition condition
      // key), as CreateTaskSet on the task-set path: a crafted state cannot put another family's
      // revision on a managed service. The native function always names a task definition.
      { kind: 'ecsFamilyGuard', actions: ['ecs:UpdateService'] },
      // UpdateService names the role ECS assumes to invoke Cutover's hook.
      { kind: 'passNativeHookRole' },
      // Answers its own wait when the deployment already ended; wakes the deployment parked on the lock.
      { kind: 'taskResponse' },
      READ_WRITE,
      PUT_EVENTS,
    ],
    stateMachineArns: [],
  },
  'native-hook': {
    entry: 'native-hook.ts',
    description: 'Cutover: the lifecycle hook ECS invokes during a native deployment (health, alarms, bake, analysis, approval)',
    trigger: { kind: 'ecsLifecycleHook' },
    // DescribeAlarms: the watched alarms; GetMetricData: the canary analysis (no resource-level permission).
    access: [READ_WRITE, { kind: 'cloudWatch', actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'] }],
    stateMachineArns: [],
  },
  'native-event': {
    entry: 'native-event.ts',
    description: "Cutover: an ECS deployment state change of a managed service answers the deploy state machine's wait (native engine)",
    trigger: { kind: 'ecsDeploymentStateChange' },
    access: [READ_WRITE, { kind: 'taskResponse' }, { kind: 'ecsNative', actions: ['ecs:DescribeServiceDeployments'] }],
    stateMachineArns: [],
  },
};

/** `AlarmWatcher` -> `alarm-watcher` (the ASL placeholder stem to the handler file name). */
export function kebabCase(pascal: string): string {
  return pascal.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
}

/** `alarm-watcher` -> `AlarmWatcher`. */
export function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export function isHandlerName(name: string): name is HandlerName {
  return (HANDLER_NAMES as readonly string[]).includes(name);
}
