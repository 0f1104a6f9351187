/**
 * Least privilege, checked with an IAM policy simulator (@cloud-copilot/iam-simulate) on the policies
 * the CDK construct synthesizes (not on lib/handlers.ts's declarations): each handler's role is
 * allowed every call its handler makes on the configured services, and denied the same calls on an
 * unmanaged service, listener, rule or repository, a PassRole of a role `taskRoleArns` does not
 * name, and actions no handler needs (reading objects and secrets, creating users, deleting
 * infrastructure). A handler that legitimately needs one of those generic denials (cleanup deletes
 * images, scale updates a service's desired count) has it as a named exception with its reason.
 *
 * The template's intrinsics (Fn::GetAtt, Fn::Join, Ref) are resolved to the ARNs CloudFormation
 * would give, with each resource's logical id standing in for its generated name.
 */
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { DEFAULT_HANDLERS_DIR } from '../../lib/control-plane.js';
import { releaseKey } from '../../functions/aws/release-store.js';
import { serviceKey } from '../../functions/aws/store.js';
import { HANDLER_NAMES, type HandlerName, isHandlerName, TABLE_PARTITION_PREFIXES } from '../../lib/handlers.js';
import { ACCOUNT, REGION, synthStack } from '../helpers/cdk.js';
import { simulatorFor } from './iam-sim.js';

// ---------------------------------------------------------------------------------------------
// Two configured services in cluster `shop`: checkout behind its own listener (with a hook, a
// migration and scaling), search behind a listener rule of a shared ALB with a test listener; a
// production verification hook; taskRoleArns naming checkout's roles and search's by prefix.
// Everything "OTHER"/"UNMANAGED"/"UNRELATED"/look-alike is not configured.
// ---------------------------------------------------------------------------------------------
const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const ECS = `arn:aws:ecs:${REGION}:${ACCOUNT}`;
const ECR = `arn:aws:ecr:${REGION}:${ACCOUNT}`;
const LISTENER = `${ELB}:listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const RULE = `${ELB}:listener-rule/app/edge-alb/1111111111111111/2222222222222222/3333333333333333`;
const TEST_LISTENER = `${ELB}:listener/app/edge-alb/1111111111111111/4444444444444444`;
const OTHER_LISTENER = `${ELB}:listener/app/billing-alb/5555555555555555/6666666666666666`;
/** Another rule on the listener that carries the configured rule. */
const OTHER_RULE = `${ELB}:listener-rule/app/edge-alb/1111111111111111/2222222222222222/7777777777777777`;
const CHECKOUT = `${ECS}:service/shop/checkout`;
const CHECKOUT_TASK_SET = `${ECS}:task-set/shop/checkout/ecs-svc/1234567890123456789`;
const SEARCH = `${ECS}:service/shop/search`;
const SEARCH_TASK_SET = `${ECS}:task-set/shop/search/ecs-svc/9876543210987654321`;
const UNMANAGED_SERVICE = `${ECS}:service/shop/payments`;
const UNMANAGED_TASK_SET = `${ECS}:task-set/shop/payments/ecs-svc/1111111111111111111`;
const FOREIGN_TASK_SET = `arn:aws:ecs:eu-west-1:999999999999:task-set/shop/checkout/ecs-svc/1234567890123456789`;
const REPOSITORY = `${ECR}:repository/shop/checkout`;
const OTHER_REPOSITORY = `${ECR}:repository/shop/payments`;
const TASK_DEFINITION = `${ECS}:task-definition/checkout:42`;
const IAM = `arn:aws:iam::${ACCOUNT}`;
/** taskRoleArns: checkout's two roles by name, search's by a naming prefix. */
const TASK_ROLE = `${IAM}:role/checkout-task`;
const EXECUTION_ROLE = `${IAM}:role/checkout-execution`;
const SEARCH_ROLES = `${IAM}:role/search-*`;
const SEARCH_TASK_ROLE = `${IAM}:role/search-task`;
const UNRELATED_ROLE = `${IAM}:role/OrganizationAccountAccessRole`;
/** Look-alikes of the configured roles: a longer name, another case, the prefix without its dash. */
const LOOKALIKE_ROLES = [`${IAM}:role/checkout-task-admin`, `${IAM}:role/Search-task`, `${IAM}:role/searchadmin`];
const ALARM = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:checkout-5xx`;
const LAMBDA = `arn:aws:lambda:${REGION}:${ACCOUNT}:function`;
/** checkout's afterHealthy hook and the production environment's verification hook. */
const HOOK = `${LAMBDA}:checkout-smoke`;
const VERIFY_HOOK = `${LAMBDA}:verify-production`;
const SCALABLE_TARGET = `arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/0ec9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3`;
const ECS_DESIRED_COUNT = {
  'application-autoscaling:service-namespace': 'ecs',
  'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
};
const SHOP_CLUSTER = `${ECS}:cluster/shop`;
const SHOP_TASK = `${ECS}:task/shop/0123456789abcdef0123456789abcdef`;
/** ListTasks authorizes on a container instance; the `ecs:cluster` condition is what scopes it. */
const CONTAINER_INSTANCE = `${ECS}:container-instance/shop/0123456789abcdef0123456789abcdef`;

const CONFIG = parseConfig({
  account: ACCOUNT,
  region: REGION,
  environments: [{ name: 'production', verification: { hooks: [VERIFY_HOOK] } }],
  taskRoleArns: [TASK_ROLE, EXECUTION_ROLE, SEARCH_ROLES],
  services: [
    {
      name: 'checkout',
      environment: 'production',
      cluster: 'shop',
      service: 'checkout',
      containerName: 'app',
      repository: 'shop/checkout',
      listenerArn: LISTENER,
      targetGroupArns: [`${ELB}:targetgroup/checkout-a/6d0ecf831eec9f09`, `${ELB}:targetgroup/checkout-b/2a4b6c8d0e1f3a5b`],
      alarms: ['checkout-5xx'],
      strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
      hooks: { afterHealthy: [HOOK] },
      migration: { command: ['npm', 'run', 'migrate'] },
      scaling: { minCount: 2, maxCount: 10, rules: [{ alarmName: 'checkout-busy', adjustment: 2 }] },
    },
    {
      name: 'search',
      environment: 'production',
      cluster: 'shop',
      service: 'search',
      containerName: 'app',
      repository: 'team/search',
      listenerRuleArn: RULE,
      testListenerArn: TEST_LISTENER,
      targetGroupArns: [`${ELB}:targetgroup/search-a/1a2b3c4d5e6f7a8b`, `${ELB}:targetgroup/search-b/8b7a6f5e4d3c2b1a`],
      alarms: ['search-5xx'],
      strategy: { type: 'blue-green', bakeSeconds: 300 },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// The synthesized template, its intrinsics resolved
// ---------------------------------------------------------------------------------------------
// The real handlers and state machines (the deploy definition's migration RunTask passes roles too).
const { template, stack } = synthStack({ config: CONFIG, fixtures: false });
// Intrinsics resolved and roles read as test/security/iam-sim.ts does for every IAM test.
const sim = simulatorFor(template, stack);
const RESOURCES = sim.resources;
const { resolve } = sim;

const resolved = (token: string): string => resolve(stack.resolve(token)) as string;
const TABLE = resolved(stack.controlPlane.table.tableArn);
const INFLIGHT_INDEX = `${TABLE}/index/inflight`;
const BUS = resolved(stack.controlPlane.bus.eventBusArn);
/** The deploy state machine as the template names it (the resource, not the construct's idea of its ARN). */
const DEPLOY_STATE_MACHINE = (() => {
  const id = stack.getLogicalId(stack.controlPlane.deployStateMachine.node.defaultChild as never);
  const name = RESOURCES[id]?.Properties?.StateMachineName;
  expect(typeof name, 'the deploy state machine has a fixed name').toBe('string');
  return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name as string}`;
})();

interface Role {
  readonly arn: string;
  readonly policies: Array<{ name: string; policy: unknown }>;
  readonly logStream: string;
}

/** A handler's role: every identity policy attached to it (inline and AWS::IAM::Policy). */
function roleOf(handler: HandlerName): Role {
  const construct = stack.controlPlane.handlers[handler];
  const logGroup = (resolve(stack.resolve(construct.logGroup.logGroupArn)) as string).replace(/:\*$/, '');
  return roleFrom(construct.role, `${logGroup}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`, handler);
}

/** A state machine's role (its log stream is not simulated: Step Functions delivers its logs itself). */
function stateMachineRoleOf(name: string): Role {
  const sm = stack.controlPlane.stateMachines[name];
  if (!sm) throw new Error(`no ${name} state machine`);
  return roleFrom(sm.role, '', `${name} state machine`);
}

function roleFrom(construct: IRole, logStream: string, what: string): Role {
  const roleId = stack.getLogicalId(construct.node.defaultChild as never);
  expect(RESOURCES[roleId]?.Properties?.ManagedPolicyArns, `${what}: no managed policies`).toBeUndefined();
  return { ...sim.roleOf(construct), logStream };
}

type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** One request by `role`: the simulator's decision (a request the simulator finds malformed fails). */
async function decide(role: Role, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<Decision> {
  const [service, name] = action.split(':') as [string, string];
  const target = (await isWildcardOnlyAction(service, name)) ? '*' : resource;
  const result = await runSimulation(
    {
      request: {
        principal: role.arn,
        action,
        resource: { resource: target, accountId: target.split(':')[4] || ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: role.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`${action} on ${target}: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

// ---------------------------------------------------------------------------------------------
// What each handler calls (functions/handlers/*.ts through functions/aws/*.ts), on the configured
// services. [action, resource, context?, known gap?]
// ---------------------------------------------------------------------------------------------
type Need = readonly [action: string, resource: string, context?: Record<string, string | string[]>, gap?: string];

/** The store adapters' calls (functions/aws/store.ts, store-maintenance.ts, release-store.ts). */
const GET: Need = ['dynamodb:GetItem', TABLE];
/** A write names its item's partition key (dynamodb:LeadingKeys): a service's, or a release's. */
const SERVICE_ITEM = { 'dynamodb:LeadingKeys': ['SVC#checkout#production'] };
const RELEASE_ITEM = { 'dynamodb:LeadingKeys': ['REL#shop-checkout-0123456789abcdef'] };
const PUT: Need = ['dynamodb:PutItem', TABLE, SERVICE_ITEM];
const UPDATE: Need = ['dynamodb:UpdateItem', TABLE, SERVICE_ITEM];
/** listDeployments */
const QUERY: Need = ['dynamodb:Query', TABLE];
/** listInFlight */
const QUERY_INFLIGHT: Need = ['dynamodb:Query', INFLIGHT_INDEX];
const TABLE_RW: Need[] = [GET, PUT, UPDATE, QUERY, QUERY_INFLIGHT];
const PUBLISH: Need = ['events:PutEvents', BUS];
const ECS_TASK_SETS = (action: string): Need[] => [
  [action, CHECKOUT_TASK_SET],
  [action, SEARCH_TASK_SET],
];
const DESCRIBE_SERVICES: Need[] = [
  ['ecs:DescribeServices', CHECKOUT],
  ['ecs:DescribeServices', SEARCH],
];
const READ_ROUTES: Need[] = [
  ['elasticloadbalancing:DescribeListeners', LISTENER],
  ['elasticloadbalancing:DescribeRules', RULE],
];
const WRITE_ROUTES: Need[] = [
  ['elasticloadbalancing:ModifyListener', LISTENER],
  ['elasticloadbalancing:ModifyRule', RULE],
];
const ANSWER_TOKENS: Need[] = [
  ['states:SendTaskSuccess', '*'],
  ['states:SendTaskFailure', '*'],
];
/** An execution of the deploy state machine (execution names are deployment ids). */
const DEPLOY_EXECUTION = `${DEPLOY_STATE_MACHINE.replace(':stateMachine:', ':execution:')}:checkout-production-01JABCDEFGHJKMNPQRSTVWXYZ`;
const PASS_TO_ECS = { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' };
/** The native engine (issue #17): a service deployment and a service revision of checkout, and the role ECS assumes to invoke Cutover's hook. */
const NATIVE_DEPLOYMENT = `${ECS}:service-deployment/shop/checkout/0123456789abcdef012345`;
const SEARCH_NATIVE_DEPLOYMENT = `${ECS}:service-deployment/shop/search/0123456789abcdef012345`;
/** Service deployments Cutover does not manage: another service, the same name in another cluster, a longer name, another region and account. */
const UNMANAGED_DEPLOYMENTS = [
  `${ECS}:service-deployment/shop/payments/0123456789abcdef012345`,
  `${ECS}:service-deployment/billing/checkout/0123456789abcdef012345`,
  `${ECS}:service-deployment/shop/checkout-admin/0123456789abcdef012345`,
  `arn:aws:ecs:eu-west-1:999999999999:service-deployment/shop/checkout/0123456789abcdef012345`,
];
const NATIVE_REVISION = `${ECS}:service-revision/shop/checkout/1234567890123456789`;
const NATIVE_HOOK_ROLE = resolved(stack.controlPlane.nativeHookInvokeRole.roleArn);

const NEEDS: Record<HandlerName, Need[]> = {
  intake: [['states:StartExecution', DEPLOY_STATE_MACHINE]],
  prepare: [
    ...READ_ROUTES,
    // An interrupted deployment left traffic split: prepare puts it back on the primary.
    ...WRITE_ROUTES,
    ...DESCRIBE_SERVICES,
    ['ecr:DescribeImages', REPOSITORY],
    ['ecr:DescribeImageScanFindings', REPOSITORY],
    // Enhanced scanning: ECR reads the findings from Amazon Inspector with the caller's permissions.
    ['inspector2:ListFindings', '*'],
    ['inspector2:ListCoverage', '*'],
    ...TABLE_RW,
    PUBLISH,
  ],
  lock: [...TABLE_RW],
  register: [
    ['ecs:DescribeTaskDefinition', TASK_DEFINITION],
    ['ecs:RegisterTaskDefinition', TASK_DEFINITION],
    ['ecs:TagResource', TASK_DEFINITION],
    // The stable revision's task and execution roles, carried over: those taskRoleArns names.
    ['iam:PassRole', TASK_ROLE, PASS_TO_ECS],
    ['iam:PassRole', EXECUTION_ROLE, PASS_TO_ECS],
    ['iam:PassRole', SEARCH_TASK_ROLE, PASS_TO_ECS],
    ...TABLE_RW,
  ],
  // functions/handlers/migration.ts: the stable task set's network (describeTaskSetTemplate); the
  // RunTask itself is the deploy state machine's (checked below).
  migration: [...ECS_TASK_SETS('ecs:DescribeTaskSets'), GET, UPDATE],
  green: [
    // A revision of the service's own family (the ecs:task-definition condition key).
    ['ecs:CreateTaskSet', CHECKOUT_TASK_SET, { 'ecs:task-definition': TASK_DEFINITION }],
    ['ecs:CreateTaskSet', SEARCH_TASK_SET, { 'ecs:task-definition': `${ECS}:task-definition/search:3` }],
    // CreateTaskSet passes the revision's roles (docs/aws-behaviour.md): those taskRoleArns names.
    ['iam:PassRole', TASK_ROLE, PASS_TO_ECS],
    ['iam:PassRole', EXECUTION_ROLE, PASS_TO_ECS],
    ['iam:PassRole', SEARCH_TASK_ROLE, PASS_TO_ECS],
    ...ECS_TASK_SETS('ecs:DescribeTaskSets'),
    // At ECS's limit of 5 task sets per service, orphans are deleted to make room for green.
    ...ECS_TASK_SETS('ecs:DeleteTaskSet'),
    ...DESCRIBE_SERVICES,
    ['elasticloadbalancing:DescribeTargetHealth', '*'],
    ['elasticloadbalancing:DescribeListeners', TEST_LISTENER],
    // Points the test listener at green (blue-green).
    ['elasticloadbalancing:ModifyListener', TEST_LISTENER],
    // The pre-traffic alarm check (functions/handlers/green.ts: deps.alarms.describe).
    ['cloudwatch:DescribeAlarms', ALARM],
    ...TABLE_RW,
  ],
  // functions/handlers/hook.ts: one configured hook per call (lifecycle or verification), and the
  // deployment's timeline.
  hook: [['lambda:InvokeFunction', HOOK], ['lambda:InvokeFunction', VERIFY_HOOK], UPDATE],
  shift: [
    ...DESCRIBE_SERVICES,
    ...ECS_TASK_SETS('ecs:UpdateTaskSet'),
    ['elasticloadbalancing:DescribeTargetHealth', '*'],
    ...READ_ROUTES,
    ...WRITE_ROUTES,
    ...TABLE_RW,
    PUBLISH,
  ],
  bake: [['cloudwatch:DescribeAlarms', ALARM], ...TABLE_RW],
  analyze: [['cloudwatch:GetMetricData', '*'], ...TABLE_RW, PUBLISH],
  promote: [['ecs:UpdateServicePrimaryTaskSet', CHECKOUT], ['ecs:UpdateServicePrimaryTaskSet', SEARCH], ...TABLE_RW],
  finish: [...ECS_TASK_SETS('ecs:UpdateTaskSet'), ...ECS_TASK_SETS('ecs:DeleteTaskSet'), ...TABLE_RW, PUBLISH],
  rollback: [
    ...READ_ROUTES,
    ...WRITE_ROUTES,
    // The test listener goes back to blue too.
    ['elasticloadbalancing:ModifyListener', TEST_LISTENER],
    ...DESCRIBE_SERVICES,
    ['ecs:UpdateServicePrimaryTaskSet', CHECKOUT],
    ...ECS_TASK_SETS('ecs:UpdateTaskSet'),
    ...ECS_TASK_SETS('ecs:DeleteTaskSet'),
    // An orphaned native deployment (found by the sweep) is rolled back by ECS: StopServiceDeployment ROLLBACK (issue #17).
    ['ecs:StopServiceDeployment', NATIVE_DEPLOYMENT],
    ['ecs:StopServiceDeployment', SEARCH_NATIVE_DEPLOYMENT],
    ...TABLE_RW,
    PUBLISH,
  ],
  // A native deployment is stopped with ROLLBACK at once (issue #17).
  'alarm-watcher': [
    QUERY_INFLIGHT,
    UPDATE,
    ['states:SendTaskFailure', '*'],
    ['ecs:StopServiceDeployment', NATIVE_DEPLOYMENT],
    ['ecs:StopServiceDeployment', SEARCH_NATIVE_DEPLOYMENT],
  ],
  // functions/handlers/control.ts (and shared/recovery.ts): the in-flight records, the lock, the
  // token a deployment waits on, a stop of a deploy execution with no token, the rollback deployment
  // it starts, and blue read from ECS when a record lost it.
  control: [
    QUERY_INFLIGHT,
    QUERY,
    GET,
    UPDATE,
    // A release's approve / abort: who and when on its stage, the approval's proof (hashes).
    ['dynamodb:UpdateItem', TABLE, RELEASE_ITEM],
    ...ANSWER_TOKENS,
    ['states:StopExecution', DEPLOY_EXECUTION],
    ['states:StartExecution', DEPLOY_STATE_MACHINE],
    ...DESCRIBE_SERVICES,
  ],
  // functions/handlers/reconcile.ts: stale locks and orphaned deployments (their executions' status),
  // lost ECR pushes (the repositories' newest images, started as deployments), blue from ECS.
  reconcile: [
    QUERY_INFLIGHT,
    QUERY,
    GET,
    UPDATE,
    ['states:DescribeExecution', DEPLOY_EXECUTION],
    ['states:StartExecution', DEPLOY_STATE_MACHINE],
    ['ecr:DescribeImages', REPOSITORY],
    ...DESCRIBE_SERVICES,
  ],
  // functions/handlers/cleanup.ts: plans from the live task sets, the records, the revisions and the
  // tasks still running, the production weights and the images; applies deletions; reports.
  cleanup: [
    QUERY,
    GET,
    // RecordExpiry: the TTL of an ended record.
    UPDATE,
    PUBLISH,
    ...DESCRIBE_SERVICES,
    ...ECS_TASK_SETS('ecs:DeleteTaskSet'),
    ['ecs:ListTaskDefinitions', '*'],
    ['ecs:DescribeTaskDefinition', TASK_DEFINITION],
    ['ecs:DeregisterTaskDefinition', TASK_DEFINITION],
    ['ecs:DeleteTaskDefinitions', TASK_DEFINITION],
    ['ecs:ListTasks', CONTAINER_INSTANCE, { 'ecs:cluster': SHOP_CLUSTER }],
    ['ecs:DescribeTasks', SHOP_TASK],
    ...READ_ROUTES,
    ['ecr:DescribeImages', REPOSITORY],
    ['ecr:BatchDeleteImage', REPOSITORY],
  ],
  // functions/handlers/scale.ts: the scaled service's desired count (ECS) and its scalable target's
  // bounds and scale-in suspension (Application Auto Scaling), the alarm of a deferred scale-in, the
  // lock and records (a deployment in flight), its own state item, events.
  scale: [
    ['ecs:DescribeServices', CHECKOUT],
    ['ecs:UpdateService', CHECKOUT],
    // Allowed whatever the request names (the native role's family guard is not on this role); a generic denial's exception.
    ['ecs:UpdateService', CHECKOUT, { 'ecs:task-definition': TASK_DEFINITION }],
    ['application-autoscaling:DescribeScalableTargets', '*'],
    ['application-autoscaling:RegisterScalableTarget', SCALABLE_TARGET, ECS_DESIRED_COUNT],
    ['cloudwatch:DescribeAlarms', `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:checkout-busy`],
    GET,
    QUERY,
    // ScalingStateStore.put (versioned).
    PUT,
    PUBLISH,
  ],
  // functions/handlers/release.ts: its release record (create, read, stages, approval token, finish),
  // the deployments it waits on, events. It answers no token: the control function does (issue #14, item 4).
  release: [['dynamodb:PutItem', TABLE, RELEASE_ITEM], GET, ['dynamodb:UpdateItem', TABLE, RELEASE_ITEM], PUBLISH],
  // functions/handlers/native.ts (issue #17): UpdateService with the revision and Cutover's hook (passing
  // the hook-invoke role to ECS), the service deployments it follows and stops, the record, the wait's token.
  native: [
    // A revision of the service's own family (the ecs:task-definition condition key).
    ['ecs:UpdateService', CHECKOUT, { 'ecs:task-definition': TASK_DEFINITION }],
    ['ecs:UpdateService', SEARCH, { 'ecs:task-definition': `${ECS}:task-definition/search:3` }],
    ['ecs:ListServiceDeployments', CHECKOUT],
    ['ecs:ListServiceDeployments', SEARCH],
    ['ecs:DescribeServiceDeployments', NATIVE_DEPLOYMENT],
    ['ecs:StopServiceDeployment', NATIVE_DEPLOYMENT],
    ['ecs:StopServiceDeployment', SEARCH_NATIVE_DEPLOYMENT],
    ['ecs:ContinueServiceDeployment', NATIVE_DEPLOYMENT],
    ['ecs:DescribeServiceRevisions', NATIVE_REVISION],
    ['iam:PassRole', NATIVE_HOOK_ROLE, { 'iam:PassedToService': 'ecs.amazonaws.com' }],
    ...DESCRIBE_SERVICES,
    ...ANSWER_TOKENS,
    ...TABLE_RW,
    PUBLISH,
  ],
  // functions/handlers/native-hook.ts: the in-flight record and its timeline, the watched alarms, the
  // canary analysis's metrics (GetMetricData has no resource-level permission).
  'native-hook': [QUERY_INFLIGHT, UPDATE, ['cloudwatch:DescribeAlarms', ALARM], ['cloudwatch:GetMetricData', '*']],
  // functions/handlers/native-event.ts: the in-flight record, its service deployment, the wait's token.
  'native-event': [QUERY_INFLIGHT, UPDATE, ['ecs:DescribeServiceDeployments', NATIVE_DEPLOYMENT], ['states:SendTaskSuccess', '*']],
};

/** What every Lambda needs whatever it does: its own log stream, X-Ray. */
const RUNTIME_NEEDS = (role: Role): Need[] => [
  ['logs:CreateLogStream', role.logStream],
  ['logs:PutLogEvents', role.logStream],
  ['xray:PutTraceSegments', '*'],
];

// ---------------------------------------------------------------------------------------------
// What no role may do. [action, resource, context?]
// ---------------------------------------------------------------------------------------------
const OTHER_TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`;
const OTHER_CLUSTER = `${ECS}:cluster/billing`;
const NEVER: Need[] = [
  // Unrelated actions.
  ['s3:GetObject', 'arn:aws:s3:::company-secrets/prod/db.env'],
  ['iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/mallory`],
  ['iam:AttachRolePolicy', UNRELATED_ROLE],
  ['sts:AssumeRole', UNRELATED_ROLE],
  ['secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:checkout/db-password-AbCdEf`],
  ['ssm:GetParameter', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/checkout/db-password`],
  ['kms:Decrypt', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
  ['lambda:InvokeFunction', `${LAMBDA}:anything`],
  ['ec2:RunInstances', `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*`],
  // PassRole of a role taskRoleArns does not name, to ECS tasks or anywhere else; of a named role to
  // anything but ECS tasks.
  ['iam:PassRole', UNRELATED_ROLE, PASS_TO_ECS],
  ...LOOKALIKE_ROLES.map((role): Need => ['iam:PassRole', role, PASS_TO_ECS]),
  ['iam:PassRole', UNRELATED_ROLE, { 'iam:PassedToService': 'lambda.amazonaws.com' }],
  ['iam:PassRole', UNRELATED_ROLE, { 'iam:PassedToService': 'ec2.amazonaws.com' }],
  ['iam:PassRole', TASK_ROLE, { 'iam:PassedToService': 'lambda.amazonaws.com' }],
  ['iam:PassRole', SEARCH_TASK_ROLE, { 'iam:PassedToService': 'ec2.amazonaws.com' }],
  // Destroying what Cutover manages, or its own state.
  ['dynamodb:DeleteTable', TABLE],
  ['dynamodb:DeleteItem', TABLE],
  ['dynamodb:BatchWriteItem', TABLE],
  ['dynamodb:PutItem', OTHER_TABLE],
  ['events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`],
  ['states:StartExecution', `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:someone-elses`],
  ['states:StopExecution', `arn:aws:states:${REGION}:${ACCOUNT}:execution:someone-elses:x`],
  ['ecs:DeleteService', CHECKOUT],
  ['ecs:UpdateService', CHECKOUT],
  ['elasticloadbalancing:DeleteListener', LISTENER],
  ['elasticloadbalancing:DeleteRule', RULE],
  ['ecr:BatchDeleteImage', REPOSITORY],
  ['ecr:PutImage', REPOSITORY],
  // Scalable targets of anything but an ECS service's desired count.
  [
    'application-autoscaling:RegisterScalableTarget',
    SCALABLE_TARGET,
    { 'application-autoscaling:service-namespace': 'dynamodb', 'application-autoscaling:scalable-dimension': 'dynamodb:table:WriteCapacityUnits' },
  ],
  // The same mutations Cutover makes, on what it does not manage.
  ['elasticloadbalancing:ModifyListener', OTHER_LISTENER],
  ['elasticloadbalancing:ModifyRule', OTHER_RULE],
  ['ecs:CreateTaskSet', UNMANAGED_TASK_SET],
  ['ecs:UpdateTaskSet', UNMANAGED_TASK_SET],
  ['ecs:DeleteTaskSet', UNMANAGED_TASK_SET],
  ['ecs:UpdateServicePrimaryTaskSet', UNMANAGED_SERVICE],
  ['ecs:UpdateTaskSet', FOREIGN_TASK_SET],
  ['ecs:DeleteTaskSet', FOREIGN_TASK_SET],
  // search is configured but does not scale: its desired count is not Cutover's; nor is payments'.
  ['ecs:UpdateService', SEARCH],
  ['ecs:UpdateService', UNMANAGED_SERVICE],
  // Deploying a managed service's own family: only the native function (and scale, unconditioned).
  ['ecs:UpdateService', CHECKOUT, { 'ecs:task-definition': TASK_DEFINITION }],
  ['ecs:UpdateService', SEARCH, { 'ecs:task-definition': `${ECS}:task-definition/search:3` }],
  ['ecs:UpdateService', `${ECS}:service/billing/checkout`],
  // A managed service's deployment is stopped only by the roles that roll back (exceptions below); an
  // unmanaged one by none (issue #17).
  ['ecs:StopServiceDeployment', NATIVE_DEPLOYMENT],
  ...UNMANAGED_DEPLOYMENTS.map((d): Need => ['ecs:StopServiceDeployment', d]),
  ['ecs:ListTasks', CONTAINER_INSTANCE, { 'ecs:cluster': OTHER_CLUSTER }],
  ['ecs:DescribeTasks', `${ECS}:task/billing/0123456789abcdef0123456789abcdef`],
  ['ecr:DescribeImages', OTHER_REPOSITORY],
  ['ecr:BatchDeleteImage', OTHER_REPOSITORY],
  ['lambda:InvokeFunction', `${LAMBDA}:checkout-smoke-other`],
  ['logs:PutLogEvents', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/other:log-stream:x`],
];

const label = ([action, resource, context]: Need) =>
  `${action} on ${resource}${context && Object.keys(context).length ? ` ${JSON.stringify(context)}` : ''}`;

/**
 * Entries of NEVER a handler's job is (each is in its NEEDS too), with the reason; every other role
 * is still denied them.
 */
const EXCEPTIONS: Partial<Record<HandlerName, ReadonlyArray<readonly [need: Need, reason: string]>>> = {
  cleanup: [[['ecr:BatchDeleteImage', REPOSITORY], 'deletes the unused images of the configured repositories (functions/core/cleanup.ts plans which)']],
  scale: [
    [['ecs:UpdateService', CHECKOUT], "sets the desired count of a service that configures scaling, within its bounds"],
    [['ecs:UpdateService', CHECKOUT, { 'ecs:task-definition': TASK_DEFINITION }], 'its UpdateService (desired count) is not conditioned on a task definition'],
  ],
  native: [
    [['ecs:UpdateService', CHECKOUT, { 'ecs:task-definition': TASK_DEFINITION }], "starts ECS's own deployment of a managed service (engine native, issue #17): its own family's revision, strategy and Cutover's hook"],
    [['ecs:UpdateService', SEARCH, { 'ecs:task-definition': `${ECS}:task-definition/search:3` }], "starts ECS's own deployment of a managed service (engine native, issue #17)"],
    [['ecs:StopServiceDeployment', NATIVE_DEPLOYMENT], 'stops the native deployment it started (abort, failed analysis): ROLLBACK'],
  ],
  rollback: [[['ecs:StopServiceDeployment', NATIVE_DEPLOYMENT], 'rolls back an orphaned native deployment the reconcile sweep found (ROLLBACK)']],
  'alarm-watcher': [[['ecs:StopServiceDeployment', NATIVE_DEPLOYMENT], 'an alarm on a native deployment rolls it back at once (ROLLBACK)']],
};
const exceptionLabels = (handler: HandlerName): Set<string> => new Set((EXCEPTIONS[handler] ?? []).map(([need]) => label(need)));

// ---------------------------------------------------------------------------------------------
describe('IAM: every handler role is allowed what its handler calls, and nothing else', () => {
  for (const handler of HANDLER_NAMES) {
    describe(handler, () => {
      const role = roleOf(handler);
      const needs = [...NEEDS[handler], ...RUNTIME_NEEDS(role)];

      for (const need of needs.filter((n) => !n[3])) {
        it(`allowed: ${label(need)}`, async () => {
          expect(await decide(role, need[0], need[1], need[2])).toBe('Allowed');
        });
      }
      // BUG (lib/handlers.ts): a permission the handler's code needs and its role lacks; the reason
      // is in the need. The test turns green (and this it.fails red) once the role gets it.
      for (const need of needs.filter((n) => n[3])) {
        it.fails(`allowed: ${label(need)} — missing: ${need[3]}`, async () => {
          expect(await decide(role, need[0], need[1], need[2])).toBe('Allowed');
        });
      }

      const excepted = exceptionLabels(handler);
      const never = NEVER.filter((n) => !excepted.has(label(n)));
      it(`denied: ${never.length} unrelated actions and mutations of unmanaged resources`, async () => {
        const allowed: string[] = [];
        for (const n of never) if ((await decide(role, n[0], n[1], n[2])) === 'Allowed') allowed.push(label(n));
        expect(allowed).toEqual([]);
      });
    });
  }

  it('every exception to the denials is a need of that handler, and is still denied to every other role', async () => {
    for (const [handler, entries] of Object.entries(EXCEPTIONS) as Array<[HandlerName, ReadonlyArray<readonly [Need, string]>]>) {
      const needs = new Set(NEEDS[handler].map(label));
      for (const [need, reason] of entries) {
        expect(needs.has(label(need)), `${handler}: ${label(need)} (${reason}) is in its NEEDS`).toBe(true);
        expect(NEVER.map(label), `${label(need)} is a generic denial`).toContain(label(need));
        const others: string[] = [];
        // A handler with the same exception (its own reason) is allowed it too.
        for (const h of HANDLER_NAMES) if (h !== handler && !exceptionLabels(h).has(label(need)) && (await decide(roleOf(h), need[0], need[1], need[2])) === 'Allowed') others.push(h);
        expect(others, label(need)).toEqual([]);
      }
    }
  });

  it('register: denied a PassRole of an unrelated role to ECS tasks', async () => {
    expect(await decide(roleOf('register'), 'iam:PassRole', UNRELATED_ROLE, PASS_TO_ECS)).not.toBe('Allowed');
  });

  it('only register and green (CreateTaskSet) pass roles to ECS tasks among the handlers, and only those taskRoleArns names', async () => {
    const passers: string[] = [];
    for (const h of HANDLER_NAMES) if ((await decide(roleOf(h), 'iam:PassRole', TASK_ROLE, PASS_TO_ECS)) === 'Allowed') passers.push(h);
    expect(passers.sort()).toEqual(['green', 'register']);
  });

  // Issue #14 (1, 6): a revision of another family — registered, made a task set or run — is denied
  // by IAM too, whatever the handler was handed.
  const FOREIGN_FAMILY = `${ECS}:task-definition/payments:3`;
  it('register: denied RegisterTaskDefinition of a family no configured service has', async () => {
    const register = roleOf('register');
    expect(await decide(register, 'ecs:RegisterTaskDefinition', TASK_DEFINITION)).toBe('Allowed');
    expect(await decide(register, 'ecs:RegisterTaskDefinition', FOREIGN_FAMILY)).not.toBe('Allowed');
    expect(await decide(register, 'ecs:RegisterTaskDefinition', `${ECS}:task-definition/checkout-admin:1`)).not.toBe('Allowed');
  });

  it('native: denied UpdateService with a revision of another family, even on a configured service', async () => {
    const native = roleOf('native');
    expect(await decide(native, 'ecs:UpdateService', CHECKOUT, { 'ecs:task-definition': FOREIGN_FAMILY })).not.toBe('Allowed');
    expect(await decide(native, 'ecs:UpdateService', CHECKOUT, { 'ecs:task-definition': `${ECS}:task-definition/checkoutx:1` })).not.toBe('Allowed');
    expect(await decide(native, 'ecs:UpdateService', CHECKOUT, { 'ecs:task-definition': TASK_DEFINITION })).toBe('Allowed');
  });

  it('green: denied CreateTaskSet from a revision of another family, even on a configured service', async () => {
    const green = roleOf('green');
    expect(await decide(green, 'ecs:CreateTaskSet', CHECKOUT_TASK_SET, { 'ecs:task-definition': FOREIGN_FAMILY })).not.toBe('Allowed');
    expect(await decide(green, 'ecs:CreateTaskSet', CHECKOUT_TASK_SET, { 'ecs:task-definition': `${ECS}:task-definition/checkoutx:1` })).not.toBe('Allowed');
  });

  it('the deploy state machine: denied RunTask of a revision of another family (or of a service without a migration)', async () => {
    const deploy = stateMachineRoleOf('deploy');
    expect(await decide(deploy, 'ecs:RunTask', FOREIGN_FAMILY, { 'ecs:cluster': SHOP_CLUSTER })).not.toBe('Allowed');
    // search configures no migration: nothing of its family is run.
    expect(await decide(deploy, 'ecs:RunTask', `${ECS}:task-definition/search:3`, { 'ecs:cluster': SHOP_CLUSTER })).not.toBe('Allowed');
  });

  it('table writes: a deploy function writes only service partitions (never a release record), release only release partitions', async () => {
    const crossing: string[] = [];
    for (const h of HANDLER_NAMES) {
      const role = roleOf(h);
      // The control function writes both: deployments, and a release's approval (issue #14, item 4).
      if (h === 'control') continue;
      const foreign = h === 'release' ? SERVICE_ITEM : RELEASE_ITEM;
      for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem']) {
        if ((await decide(role, action, TABLE, foreign)) === 'Allowed') crossing.push(`${h} ${action} ${JSON.stringify(foreign)}`);
      }
      // A request that names keys of both kinds at once is denied too (ForAllValues).
      if ((await decide(role, 'dynamodb:UpdateItem', TABLE, { 'dynamodb:LeadingKeys': ['SVC#checkout#production', 'REL#x'] })) === 'Allowed') {
        crossing.push(`${h} UpdateItem with both`);
      }
    }
    expect(crossing).toEqual([]);
  });

  it('releases are approved through the control state machine: only the control, alarm-watcher and lock-waking roles answer tokens, never release (issue #14, item 4)', async () => {
    // Invoking the release function directly can answer no approval: its role may not SendTaskSuccess/Failure.
    const release = roleOf('release');
    for (const action of ['states:SendTaskSuccess', 'states:SendTaskFailure']) expect(await decide(release, action, '*'), action).not.toBe('Allowed');
    // The control function, which the control state machine runs, may, and may write the release's approval.
    const control = roleOf('control');
    expect(await decide(control, 'states:SendTaskSuccess', '*')).toBe('Allowed');
    expect(await decide(control, 'dynamodb:UpdateItem', TABLE, RELEASE_ITEM)).toBe('Allowed');
    // Every role that answers tokens, by name.
    const answering: string[] = [];
    for (const h of HANDLER_NAMES) if ((await decide(roleOf(h), 'states:SendTaskSuccess', '*')) === 'Allowed') answering.push(h);
    expect(answering.sort()).toEqual(['alarm-watcher', 'control', 'finish', 'lock', 'native', 'native-event', 'rollback']);
  });

  it('the partition prefixes the policies name are the store adapters\' keys', () => {
    expect(serviceKey('checkout', 'production').startsWith(TABLE_PARTITION_PREFIXES.deployments)).toBe(true);
    expect(releaseKey('r1').startsWith(TABLE_PARTITION_PREFIXES.releases)).toBe(true);
  });

  it('the deploy state machine (migration RunTask) passes the roles taskRoleArns names, to ECS tasks only', async () => {
    const deploy = stateMachineRoleOf('deploy');
    expect(await decide(deploy, 'ecs:RunTask', TASK_DEFINITION, { 'ecs:cluster': SHOP_CLUSTER })).toBe('Allowed');
    for (const role of [TASK_ROLE, EXECUTION_ROLE, SEARCH_TASK_ROLE]) expect(await decide(deploy, 'iam:PassRole', role, PASS_TO_ECS), role).toBe('Allowed');
    for (const role of [UNRELATED_ROLE, ...LOOKALIKE_ROLES]) expect(await decide(deploy, 'iam:PassRole', role, PASS_TO_ECS), role).not.toBe('Allowed');
    expect(await decide(deploy, 'iam:PassRole', TASK_ROLE, { 'iam:PassedToService': 'lambda.amazonaws.com' })).not.toBe('Allowed');
    expect(await decide(deploy, 'ecs:RunTask', TASK_DEFINITION, { 'ecs:cluster': OTHER_CLUSTER })).not.toBe('Allowed');
  });

  it("native engine (issue #17): ECS may invoke only Cutover's native hook (and the services' own lifecycle hooks) through the hook-invoke role; only native passes that role, to ECS only; nobody stops an unmanaged service's deployment", async () => {
    const hookRole = roleFrom(stack.controlPlane.nativeHookInvokeRole, '', 'native hook invoke role');
    const hookFn = resolved(stack.controlPlane.functions['native-hook'].functionArn);
    expect(await decide(hookRole, 'lambda:InvokeFunction', hookFn)).toBe('Allowed');
    // lib/control-plane.ts: the role also invokes the hooks of services that may deploy natively (no
    // engine, or engine native), which the native engine adds as ECS lifecycle hooks after Cutover's:
    // checkout's afterHealthy hook, exactly. The environment's verification hook is not one of them.
    expect(await decide(hookRole, 'lambda:InvokeFunction', HOOK)).toBe('Allowed');
    const cutoverFunctions = HANDLER_NAMES.filter((h) => h !== 'native-hook').map((h) => resolved(stack.controlPlane.functions[h].functionArn));
    for (const other of [...cutoverFunctions, VERIFY_HOOK, `${LAMBDA}:anything`, `${LAMBDA}:checkout-smoke-other`, `${LAMBDA}:checkout-smoke:live`]) {
      expect(await decide(hookRole, 'lambda:InvokeFunction', other), other).not.toBe('Allowed');
    }
    // Nothing but lambda:InvokeFunction: every generic denial holds for it too.
    const hookAllowed: string[] = [];
    for (const n of NEVER) if ((await decide(hookRole, n[0], n[1], n[2])) === 'Allowed') hookAllowed.push(label(n));
    expect(hookAllowed).toEqual([]);
    const hookActions = hookRole.policies.flatMap(({ policy }) => (policy as { Statement: Array<{ Action: string | string[] }> }).Statement.flatMap((st) => [st.Action].flat()));
    expect([...new Set(hookActions)]).toEqual(['lambda:InvokeFunction']);
    const trust = RESOURCES[stack.getLogicalId(stack.controlPlane.nativeHookInvokeRole.node.defaultChild as never)]?.Properties?.AssumeRolePolicyDocument;
    expect(JSON.stringify(trust)).toContain('ecs.amazonaws.com');
    expect((trust as { Statement: unknown[] }).Statement).toHaveLength(1);
    const passers: string[] = [];
    for (const h of HANDLER_NAMES) if ((await decide(roleOf(h), 'iam:PassRole', NATIVE_HOOK_ROLE, { 'iam:PassedToService': 'ecs.amazonaws.com' })) === 'Allowed') passers.push(h);
    expect(passers).toEqual(['native']);
    expect(await decide(roleOf('native'), 'iam:PassRole', NATIVE_HOOK_ROLE, { 'iam:PassedToService': 'lambda.amazonaws.com' })).not.toBe('Allowed');
    const unmanaged = `${ECS}:service-deployment/shop/payments/0123456789abcdef012345`;
    for (const h of HANDLER_NAMES) expect(await decide(roleOf(h), 'ecs:StopServiceDeployment', unmanaged), h).not.toBe('Allowed');
  });

  it('native engine (issue #17): only native, rollback and alarm-watcher stop a service deployment, each only of the managed services; only native updates one', async () => {
    const stoppers: string[] = [];
    for (const h of HANDLER_NAMES) if ((await decide(roleOf(h), 'ecs:StopServiceDeployment', NATIVE_DEPLOYMENT)) === 'Allowed') stoppers.push(h);
    expect(stoppers.sort()).toEqual(['alarm-watcher', 'native', 'rollback']);
    for (const h of ['native', 'rollback', 'alarm-watcher'] as const) {
      const role = roleOf(h);
      for (const d of [NATIVE_DEPLOYMENT, SEARCH_NATIVE_DEPLOYMENT]) expect(await decide(role, 'ecs:StopServiceDeployment', d), `${h} ${d}`).toBe('Allowed');
      for (const d of UNMANAGED_DEPLOYMENTS) expect(await decide(role, 'ecs:StopServiceDeployment', d), `${h} ${d}`).not.toBe('Allowed');
      for (const svc of [UNMANAGED_SERVICE, `${ECS}:service/billing/checkout`, `${ECS}:service/shop/checkout-admin`]) {
        expect(await decide(role, 'ecs:UpdateService', svc), `${h} UpdateService ${svc}`).not.toBe('Allowed');
      }
      // Stopping is not updating: rollback and alarm-watcher never start or change a deployment.
      if (h !== 'native') for (const svc of [CHECKOUT, SEARCH]) expect(await decide(role, 'ecs:UpdateService', svc), `${h} UpdateService ${svc}`).not.toBe('Allowed');
    }
  });

  it('native engine: only the native function may continue a paused service deployment (an approval held by a PAUSE hook), and only a managed service\'s', async () => {
    const continuing: string[] = [];
    for (const h of HANDLER_NAMES) if ((await decide(roleOf(h), 'ecs:ContinueServiceDeployment', NATIVE_DEPLOYMENT)) === 'Allowed') continuing.push(h);
    const hookRole = roleFrom(stack.controlPlane.nativeHookInvokeRole, '', 'native hook invoke role');
    if ((await decide(hookRole, 'ecs:ContinueServiceDeployment', NATIVE_DEPLOYMENT)) === 'Allowed') continuing.push('native hook invoke role');
    expect(continuing).toEqual(['native']);
    expect(await decide(roleOf('native'), 'ecs:ContinueServiceDeployment', CHECKOUT)).toBe('Allowed');
    for (const unmanaged of [`${ECS}:service-deployment/shop/billing/x1`, `${ECS}:service-deployment/billing/checkout/x1`, UNMANAGED_SERVICE]) {
      expect(await decide(roleOf('native'), 'ecs:ContinueServiceDeployment', unmanaged), unmanaged).not.toBe('Allowed');
    }
  });

  it('the simulator is not trivially denying: a role with no policy is denied what a handler is allowed', async () => {
    const shift = roleOf('shift');
    expect(await decide(shift, 'elasticloadbalancing:ModifyListener', LISTENER)).toBe('Allowed');
    expect(await decide({ ...shift, policies: [] }, 'elasticloadbalancing:ModifyListener', LISTENER)).toBe('ImplicitlyDenied');
  });

  it('only the roles that move traffic may modify the production listener', async () => {
    const movers: string[] = [];
    for (const h of HANDLER_NAMES) if ((await decide(roleOf(h), 'elasticloadbalancing:ModifyListener', LISTENER)) === 'Allowed') movers.push(h);
    // prepare adds green at weight 0 beside blue (a blue-only route), shift and rollback move traffic, and the
    // reconcile sweep puts traffic back on the primary after a deployment that ended half-shifted.
    expect(movers.sort()).toEqual(['prepare', 'reconcile', 'rollback', 'shift']);
  });

  // Handler files with no role at all (lib/handlers.ts does not list them yet): nothing to simulate.
  const unbuilt = readdirSync(DEFAULT_HANDLERS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => basename(f, '.ts'))
    .filter((n) => !isHandlerName(n));
  for (const name of unbuilt) it.todo(`${name}: functions/handlers/${name}.ts has no entry in lib/handlers.ts, so no role to check`);
});
