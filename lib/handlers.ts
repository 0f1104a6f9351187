/**
 * The handler manifest: every Lambda function Cutover deploys, what starts it and the AWS access it
 * needs. lib/control-plane.ts turns each entry into one function, one role and (for event-driven
 * handlers) one EventBridge rule; nothing here grows with the number of configured services.
 *
 * Access is declared as a small discriminated union rather than as IAM statements, so the construct
 * decides the resources (the table, the bus, the configured services) in one place and the
 * manifest stays reviewable: "what may `shift` do?" is answered by reading its entry.
 */

/** Every handler file, `functions/handlers/<name>.ts`. */
export const HANDLER_NAMES = [
  'intake',
  'prepare',
  'lock',
  'register',
  'green',
  'shift',
  'bake',
  'analyze',
  'promote',
  'finish',
  'rollback',
  'alarm-watcher',
] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/** ECS actions on the configured services and their task sets (resource-level permissions). */
export type EcsServiceAction =
  | 'ecs:DescribeServices'
  | 'ecs:DescribeTaskSets'
  | 'ecs:CreateTaskSet'
  | 'ecs:UpdateTaskSet'
  | 'ecs:DeleteTaskSet'
  | 'ecs:UpdateServicePrimaryTaskSet'
  | 'ecs:TagResource';
/** Elastic Load Balancing read actions; they support no resource-level permissions. */
export type ElbDescribeAction =
  | 'elasticloadbalancing:DescribeListeners'
  | 'elasticloadbalancing:DescribeRules'
  | 'elasticloadbalancing:DescribeTargetGroups'
  | 'elasticloadbalancing:DescribeTargetHealth';
/** Elastic Load Balancing writes on the configured production/test listeners and listener rules. */
export type ElbRoutingAction = 'elasticloadbalancing:ModifyListener' | 'elasticloadbalancing:ModifyRule';
export type EcrAction = 'ecr:DescribeImages' | 'ecr:DescribeImageScanFindings';
export type CloudWatchAction = 'cloudwatch:DescribeAlarms' | 'cloudwatch:GetMetricData';

/** One kind of access a handler needs. The construct maps each to IAM statements. */
export type Access =
  /** The deployments table (and its `inflight` index). */
  | { readonly kind: 'table'; readonly mode: 'read' | 'readWrite' }
  /** `events:PutEvents` on Cutover's event bus. */
  | { readonly kind: 'putEvents' }
  /** `states:StartExecution` on the deploy state machine. */
  | { readonly kind: 'startDeployment' }
  /** `states:SendTaskSuccess` / `SendTaskFailure` (answer a waiting bake or approval). */
  | { readonly kind: 'taskResponse' }
  /** ECS actions scoped to the configured services and their task sets. */
  | { readonly kind: 'ecsServices'; readonly actions: readonly EcsServiceAction[] }
  /** Read a task definition and register the next revision (families are known only at run time). */
  | { readonly kind: 'ecsTaskDefinitions' }
  /** `iam:PassRole` of task and execution roles to ECS tasks (carried over from the stable revision). */
  | { readonly kind: 'passTaskRoles' }
  | { readonly kind: 'elbDescribe'; readonly actions: readonly ElbDescribeAction[] }
  | { readonly kind: 'elbRouting'; readonly actions: readonly ElbRoutingAction[] }
  /** `ModifyListener` on the configured test listeners only (blue-green test traffic). */
  | { readonly kind: 'elbTestRouting' }
  /** ECR reads on the configured repositories. */
  | { readonly kind: 'ecrRepositories'; readonly actions: readonly EcrAction[] }
  | { readonly kind: 'cloudWatch'; readonly actions: readonly CloudWatchAction[] };

/** What invokes a handler. */
export type Trigger =
  /** An EventBridge rule on `ECR Image Action` PUSH/SUCCESS for the configured repositories (asynchronous). */
  | { readonly kind: 'ecrPush' }
  /** An EventBridge rule on `CloudWatch Alarm State Change` to ALARM for the configured alarms (asynchronous). */
  | { readonly kind: 'alarmStateChange' }
  /** A Task state of a state machine (synchronous; the state machine retries and catches). */
  | { readonly kind: 'stateMachine' };

export interface HandlerSpec {
  /** `functions/handlers/<name>.ts`, relative to the handlers folder. */
  readonly entry: string;
  /** The Lambda function's description. */
  readonly description: string;
  readonly trigger: Trigger;
  readonly access: readonly Access[];
  /** Gets `CUTOVER_DEPLOY_STATE_MACHINE_ARN`. */
  readonly needsDeployStateMachineArn: boolean;
  /** @default 30 */
  readonly timeoutSeconds?: number;
}

const READ_WRITE = { kind: 'table', mode: 'readWrite' } as const;
const PUT_EVENTS = { kind: 'putEvents' } as const;
const ROUTING_DESCRIBE: readonly ElbDescribeAction[] = [
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetHealth',
];
const ROUTING_WRITE: readonly ElbRoutingAction[] = ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule'];
const STATE_MACHINE = { kind: 'stateMachine' } as const;

export const HANDLERS: Readonly<Record<HandlerName, HandlerSpec>> = {
  intake: {
    entry: 'intake.ts',
    description: 'Cutover: starts a deployment for every service fed by a pushed ECR image',
    trigger: { kind: 'ecrPush' },
    access: [{ kind: 'startDeployment' }],
    needsDeployStateMachineArn: true,
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
      // An interrupted deployment can leave traffic split: prepare puts it back on the primary first.
      { kind: 'elbRouting', actions: ROUTING_WRITE },
      { kind: 'ecsServices', actions: ['ecs:DescribeServices', 'ecs:DescribeTaskSets'] },
      { kind: 'ecrRepositories', actions: ['ecr:DescribeImages', 'ecr:DescribeImageScanFindings'] },
      READ_WRITE,
      PUT_EVENTS,
    ],
    needsDeployStateMachineArn: false,
  },
  lock: {
    entry: 'lock.ts',
    description: 'Cutover: takes, renews and releases the per-service deployment lock',
    trigger: STATE_MACHINE,
    access: [READ_WRITE],
    needsDeployStateMachineArn: false,
  },
  register: {
    entry: 'register.ts',
    description: 'Cutover: registers the stable task definition with only the image changed',
    trigger: STATE_MACHINE,
    access: [{ kind: 'ecsTaskDefinitions' }, { kind: 'passTaskRoles' }, READ_WRITE],
    needsDeployStateMachineArn: false,
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
          'ecs:TagResource',
        ],
      },
      {
        kind: 'elbDescribe',
        actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth'],
      },
      // Points the test listener (blue-green) at green; production routing is not its business.
      { kind: 'elbTestRouting' },
      READ_WRITE,
    ],
    needsDeployStateMachineArn: false,
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
    needsDeployStateMachineArn: false,
  },
  bake: {
    entry: 'bake.ts',
    description: 'Cutover: stores the bake task token, then checks the watched alarms',
    trigger: STATE_MACHINE,
    access: [READ_WRITE, { kind: 'cloudWatch', actions: ['cloudwatch:DescribeAlarms'] }],
    needsDeployStateMachineArn: false,
  },
  analyze: {
    entry: 'analyze.ts',
    description: 'Cutover: compares green against blue (canary analysis)',
    trigger: STATE_MACHINE,
    access: [{ kind: 'cloudWatch', actions: ['cloudwatch:GetMetricData'] }, READ_WRITE, PUT_EVENTS],
    needsDeployStateMachineArn: false,
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
    needsDeployStateMachineArn: false,
  },
  finish: {
    entry: 'finish.ts',
    description: 'Cutover: scales blue to zero, deletes it and closes the deployment',
    trigger: STATE_MACHINE,
    access: [
      {
        kind: 'ecsServices',
        actions: ['ecs:UpdateTaskSet', 'ecs:DeleteTaskSet', 'ecs:DescribeServices', 'ecs:DescribeTaskSets'],
      },
      READ_WRITE,
      PUT_EVENTS,
    ],
    needsDeployStateMachineArn: false,
  },
  rollback: {
    entry: 'rollback.ts',
    description: 'Cutover: puts all traffic back on blue and removes green',
    trigger: STATE_MACHINE,
    access: [
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
        ],
      },
      READ_WRITE,
      PUT_EVENTS,
    ],
    needsDeployStateMachineArn: false,
  },
  'alarm-watcher': {
    entry: 'alarm-watcher.ts',
    description: 'Cutover: fails the bake of every in-flight deployment that watches an alarm gone to ALARM',
    trigger: { kind: 'alarmStateChange' },
    access: [READ_WRITE, { kind: 'taskResponse' }],
    needsDeployStateMachineArn: true,
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
