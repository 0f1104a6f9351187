// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ASL placeholders are literally ${Name}
// biome-ignore-all lint/suspicious/noExplicitAny: CloudFormation JSON read from templates
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { STORE_TABLE } from '../../functions/aws/store-table.js';
import { type ControlPlane, stateMachineArnVariable, TABLE_SCHEMA } from '../../lib/control-plane.js';
import { CutoverStack } from '../../lib/cutover-stack.js';
import { HANDLER_NAMES, HANDLERS } from '../../lib/handlers.js';
import {
  ACCOUNT,
  everyFeatureConfig,
  exampleConfig,
  FIXTURES,
  HOOKS,
  manyServices,
  REGION,
  synthStack,
  testApp,
} from '../helpers/cdk.js';

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});
/** A temporary folder removed after the tests. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string }>;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const resourcesOf = (t: Template): Resources => t.toJSON().Resources as Resources;
const ofType = (t: Template, type: string) => Object.entries(resourcesOf(t)).filter(([, r]) => r.Type === type);

/** The logical id of a handler's function (`ControlPlaneShiftHandlerFunction...`). */
function functionId(t: Template, handler: string): string {
  const pascal = handler.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
  const hit = ofType(t, 'AWS::Lambda::Function').find(([id]) => id.startsWith(`ControlPlane${pascal}HandlerFunction`));
  if (!hit) throw new Error(`no function for ${handler}`);
  return hit[0];
}

/** Statements of the default policy of a handler's role. */
function roleStatements(t: Template, rolePrefix: string): Statement[] {
  const policy = ofType(t, 'AWS::IAM::Policy').find(([id]) => id.startsWith(rolePrefix));
  if (!policy) throw new Error(`no policy ${rolePrefix}`);
  return policy[1].Properties?.PolicyDocument.Statement as Statement[];
}
const handlerStatements = (t: Template, handler: string) =>
  roleStatements(t, `ControlPlane${handler.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}HandlerRole`);

/** `action -> resources` of a statement list (resources resolved to strings or JSON). */
/** What the statements allow, by action (Deny statements, the family guards, are checked on their own). */
function grants(statements: Statement[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of statements) {
    if ((s as { Effect?: string }).Effect === 'Deny') continue;
    for (const a of asList(s.Action)) {
      const rs = asList(s.Resource as unknown).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
      out.set(a, [...(out.get(a) ?? []), ...rs].sort());
    }
  }
  return out;
}

describe('ControlPlane with the example configuration', () => {
  let template: Template;
  let stack: CutoverStack;
  beforeAll(() => {
    ({ template, stack } = synthStack());
  });

  it('is deployed to the configured account and region', () => {
    expect(stack.account).toBe(ACCOUNT);
    expect(stack.region).toBe(REGION);
  });

  it('has the deployments table the store adapter expects', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'inflight',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        // AWS managed KMS key: KMS, and no customer key id.
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ Region: REGION, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      },
    });
    const replica = ofType(template, 'AWS::DynamoDB::GlobalTable')[0]?.[1].Properties?.Replicas[0];
    expect(replica.SSESpecification).toBeUndefined();
  });

  it('uses the same table schema as the store adapter (functions/aws/store-table.ts)', () => {
    expect(TABLE_SCHEMA).toEqual({
      partitionKey: STORE_TABLE.partitionKey,
      sortKey: STORE_TABLE.sortKey,
      inflightIndex: STORE_TABLE.inFlightIndex,
      inflightPartitionKey: STORE_TABLE.inFlightPartitionKey,
      inflightSortKey: STORE_TABLE.inFlightSortKey,
      ttlAttribute: STORE_TABLE.timeToLiveAttribute,
    });
  });

  it('has an event bus for lifecycle events, archived for 90 days', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    const [busId] = ofType(template, 'AWS::Events::EventBus')[0] ?? [];
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      RetentionDays: 90,
      EventPattern: { account: [ACCOUNT] },
    });
  });

  it('builds one function per handler in the manifest', () => {
    template.resourceCountIs('AWS::Lambda::Function', HANDLER_NAMES.length);
    for (const name of HANDLER_NAMES) {
      template.hasResourceProperties('AWS::Lambda::Function', { Description: HANDLERS[name].description });
    }
  });

  it('every function: arm64, Node.js 24, active tracing, own log group with retention, Powertools and Cutover env', () => {
    const logGroups = Object.fromEntries(ofType(template, 'AWS::Logs::LogGroup'));
    for (const [id, fn] of ofType(template, 'AWS::Lambda::Function')) {
      const p = fn.Properties ?? {};
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.Runtime, id).toBe('nodejs24.x');
      expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(p.MemorySize, id).toBe(512);
      expect(p.Handler, id).toBe('index.handler');
      const logGroupId = p.LoggingConfig?.LogGroup?.Ref as string;
      expect(logGroups[logGroupId]?.Properties?.RetentionInDays, id).toBe(90);
      expect(p.Environment.Variables, id).toMatchObject({
        CUTOVER_TABLE_NAME: { Ref: expect.stringMatching(/^ControlPlaneTable/) },
        CUTOVER_EVENT_BUS_NAME: { Ref: expect.stringMatching(/^ControlPlaneBus/) },
        CUTOVER_CONFIG_PATH: '/var/task/cutover.config.json',
        CUTOVER_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
        POWERTOOLS_SERVICE_NAME: 'cutover',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_NAMESPACE: 'Cutover',
      });
    }
  });

  it('the handlers that start or watch deployments get the deploy state machine ARN, built from its name', () => {
    const arn = stack.controlPlane.deployStateMachineArn;
    expect(arn).toMatch(new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:CutoverStack-ControlPlane-[0-9A-F]{8}-Deploy$`));
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: arn.split(':').pop() });
    for (const name of HANDLER_NAMES) {
      const env = resourcesOf(template)[functionId(template, name)]?.Properties?.Environment.Variables;
      expect(env.CUTOVER_DEPLOY_STATE_MACHINE_ARN, name).toBe(HANDLERS[name].stateMachineArns.includes('deploy') ? arn : undefined);
      // The fixtures load no release state machine: nobody gets its ARN.
      expect(env.CUTOVER_RELEASE_STATE_MACHINE_ARN, name).toBeUndefined();
    }
    expect(HANDLER_NAMES.filter((n) => HANDLERS[n].stateMachineArns.includes('deploy')).sort()).toEqual(
      ['alarm-watcher', 'control', 'intake', 'reconcile'],
    );
    expect(stateMachineArnVariable('deploy')).toBe('CUTOVER_DEPLOY_STATE_MACHINE_ARN');
    expect(stateMachineArnVariable('release')).toBe('CUTOVER_RELEASE_STATE_MACHINE_ARN');
  });

  it('listens to ECR pushes of the configured repositories with one rule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['shop/checkout'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId(template, 'intake'), 'Arn'] } })],
    });
  });

  it('listens to the configured alarms going to ALARM with one rule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { state: { value: ['ALARM'] }, alarmName: ['checkout-5xx-rate', 'checkout-p99-latency'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId(template, 'alarm-watcher'), 'Arn'] } })],
    });
  });

  it('asynchronous handlers have an encrypted, TLS-only dead-letter queue on both the rule target and the function', () => {
    const queues = ofType(template, 'AWS::SQS::Queue');
    // intake, alarm-watcher, scale, native-event (the ECS deployment state change rule), and the schedule rules' queue
    expect(queues).toHaveLength(5);
    for (const [, q] of queues) expect(q.Properties?.SqsManagedSseEnabled).toBe(true);
    for (const [queueId] of queues) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    for (const handler of ['intake', 'alarm-watcher', 'native-event']) {
      const fnId = functionId(template, handler);
      const rule = ofType(template, 'AWS::Events::Rule').find(([, r]) =>
        JSON.stringify(r.Properties?.Targets).includes(fnId),
      )?.[1];
      const target = rule?.Properties?.Targets[0];
      expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][0], handler).toMatch(/DeadLetterQueue/);
      expect(target.RetryPolicy, handler).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId },
        DestinationConfig: { OnFailure: { Destination: target.DeadLetterConfig.Arn } },
        MaximumRetryAttempts: 2,
      });
    }
  });

  it('state-machine-invoked handlers have no dead-letter queue (the state machine retries and catches)', () => {
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 4);
    expect(Object.keys(stack.controlPlane.deadLetterQueues).sort()).toEqual(['alarm-watcher', 'intake', 'native-event', 'scale']);
    // native-hook: ECS invokes it synchronously (the answer is the hook's status), so no dead-letter queue either.
    expect(HANDLER_NAMES.filter((n) => HANDLERS[n].trigger.kind !== 'stateMachine').sort()).toEqual(['alarm-watcher', 'intake', 'native-event', 'native-hook', 'scale']);
  });

  it('loads the deploy state machine with ALL-level logging without execution data, and tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeployStateMachineLogs'), 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
      DefinitionS3Location: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': ['', [Match.stringLikeRegexp('^/aws/vendedlogs/states/CutoverStack-ControlPlane-.*-Deploy-$'), { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]],
      },
      RetentionInDays: 90,
    });
  });

  it('names no RETAINed log group with a fixed name: a deleted stack or a failed first deploy never blocks the next (issue #12, defect 8)', () => {
    // Every log group the stack retains either has no name (CloudFormation generates one) or a name
    // that ends with the stack's GUID, which is new for every stack created.
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups).length).toBeGreaterThan(0);
    const fixed = Object.entries(groups)
      .filter(([, r]) => r.DeletionPolicy === 'Retain' && r.Properties?.LogGroupName !== undefined)
      .filter(([, r]) => !JSON.stringify(r.Properties.LogGroupName).includes('AWS::StackId'))
      .map(([id]) => id);
    expect(fixed).toEqual([]);
  });

  it('substitutes every ${<Name>FunctionArn} with the function built from functions/handlers/<name>.ts', () => {
    const invoked = ['prepare', 'lock', 'register', 'green', 'shift', 'bake', 'analyze', 'promote', 'finish', 'rollback'];
    const expected = Object.fromEntries(
      invoked.map((h) => [
        `${h.charAt(0).toUpperCase()}${h.slice(1)}FunctionArn`,
        { 'Fn::GetAtt': [functionId(template, h), 'Arn'] },
      ]),
    );
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { DefinitionSubstitutions: expected });
  });

  it('grants the deploy state machine invoke on exactly the functions its definition names', () => {
    const statements = roleStatements(template, 'ControlPlaneDeployStateMachineRole');
    const g = grants(statements);
    const invoked = ['prepare', 'lock', 'register', 'green', 'shift', 'bake', 'analyze', 'promote', 'finish', 'rollback'];

    expect(g.get('lambda:InvokeFunction')).toEqual(
      invoked.map((h) => JSON.stringify({ 'Fn::GetAtt': [functionId(template, h), 'Arn'] })).sort(),
    );
    // Besides invoke: only what logging and tracing need.
    const other = [...g.keys()].filter((a) => a !== 'lambda:InvokeFunction');
    expect(other.every((a) => a.startsWith('logs:') || a.startsWith('xray:')), other.join(', ')).toBe(true);
  });

  it('no IAM statement allows every action of a service', () => {
    for (const [id, policy] of ofType(template, 'AWS::IAM::Policy')) {
      for (const s of (policy.Properties?.PolicyDocument.Statement ?? []) as Statement[]) {
        for (const a of asList(s.Action)) expect(a, id).not.toMatch(/(^\*$|:\*$)/);
      }
    }
  });

  it('no role uses an AWS managed policy', () => {
    for (const [id, role] of ofType(template, 'AWS::IAM::Role')) expect(role.Properties?.ManagedPolicyArns, id).toBeUndefined();
  });

  it('each handler role allows what its manifest entry declares, on the declared resources', () => {
    const table = (t: Template) => ofType(t, 'AWS::DynamoDB::GlobalTable')[0]?.[0] as string;
    const tableArn = JSON.stringify({ 'Fn::GetAtt': [table(template), 'Arn'] });
    const indexArn = JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [table(template), 'Arn'] }, '/index/inflight']] });
    const listener = exampleConfig().services[0]?.listenerArn;
    const service = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/shop/checkout`;
    const taskSets = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-set/shop/checkout/*`;

    const intake = grants(handlerStatements(template, 'intake'));
    expect(intake.get('states:StartExecution')).toEqual([stack.controlPlane.deployStateMachineArn]);
    // DescribeExecution: a later push of a digest whose execution ended starts anew; DescribeImages: ECR's push time.
    expect([...intake.keys()].filter((a) => !/^(logs|xray|sqs):/.test(a)).sort()).toEqual(['ecr:DescribeImages', 'states:DescribeExecution', 'states:StartExecution']);
    // sqs: only to send failed events to its own dead-letter queue.
    expect(intake.get('sqs:SendMessage')).toEqual([expect.stringMatching(/IntakeHandlerDeadLetterQueue/)]);

    const shift = grants(handlerStatements(template, 'shift'));
    expect(shift.get('elasticloadbalancing:ModifyListener')).toEqual([listener]);
    expect(shift.get('elasticloadbalancing:ModifyRule')).toEqual([listener]);
    expect(shift.get('elasticloadbalancing:DescribeTargetHealth')).toEqual(['*']);
    expect(shift.get('ecs:UpdateTaskSet')).toEqual([service, taskSets]);
    // Writes go to the table only (an index is written through it), scoped by partition (dynamodb:LeadingKeys).
    expect(shift.get('dynamodb:UpdateItem')).toEqual([tableArn]);
    expect(shift.get('events:PutEvents')).toHaveLength(1);

    // register passes exactly the roles of taskRoleArns, to ECS tasks only
    const register = handlerStatements(template, 'register');
    const passRole = register.find((s) => asList(s.Action).includes('iam:PassRole'));
    expect(asList(passRole?.Resource).sort()).toEqual([...exampleConfig().taskRoleArns].sort());
    expect(passRole?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });

    const prepare = grants(handlerStatements(template, 'prepare'));
    expect(prepare.get('ecr:DescribeImages')).toEqual([`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/shop/checkout`]);
    expect(prepare.get('ecs:DescribeServices')).toEqual([service, taskSets]);
    // prepare heals a split left by an interrupted deployment
    expect(prepare.get('elasticloadbalancing:ModifyListener')).toEqual([listener]);

    // green has no production routing, and no test listener is configured here
    const green = grants(handlerStatements(template, 'green'));
    expect(green.has('elasticloadbalancing:ModifyListener')).toBe(false);
    expect(green.has('elasticloadbalancing:ModifyRule')).toBe(false);
    expect(green.get('ecs:CreateTaskSet')).toEqual([service, taskSets]);

    const rollback = grants(handlerStatements(template, 'rollback'));
    expect(rollback.get('ecs:UpdateServicePrimaryTaskSet')).toEqual([service, taskSets]);
    expect(rollback.get('ecs:DeleteTaskSet')).toEqual([service, taskSets]);

    const promote = grants(handlerStatements(template, 'promote'));
    expect(promote.get('ecs:UpdateServicePrimaryTaskSet')).toEqual([service, taskSets]);

    const watcher = grants(handlerStatements(template, 'alarm-watcher'));
    expect(watcher.get('states:SendTaskFailure')).toEqual(['*']);
    expect(watcher.get('dynamodb:Query')).toEqual([tableArn, indexArn].sort());

    // lock: the table, and the callback of a queued deployment it wakes (a newer waiter replaces an older one).
    const lock = grants(handlerStatements(template, 'lock'));
    expect([...lock.keys()].filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:') && !a.startsWith('xray:')).sort()).toEqual([
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
    ]);
  });

  it('green may point only the test listener at green', () => {
    const config = exampleConfig();
    const svc = config.services[0] as (typeof config.services)[number];
    const testListener = svc.listenerArn?.replace(/[0-9a-f]{16}$/, '00000000000000aa') as string;
    const { template: t } = synthStack({ config: parseConfig({ ...config, services: [{ ...svc, testListenerArn: testListener }] }) });

    expect(grants(handlerStatements(t, 'green')).get('elasticloadbalancing:ModifyListener')).toEqual([testListener]);
    expect(grants(handlerStatements(t, 'shift')).get('elasticloadbalancing:ModifyListener')).toEqual(
      [svc.listenerArn, testListener].sort(),
    );
  });

  it('grantStartDeployment and grantReadDeployments grant exactly that', () => {
    const fresh = new CutoverStack(testApp(), 'CutoverStack', {
      config: exampleConfig(),
      controlPlane: { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.stateMachinesDir },
    });
    const grantee = new Role(fresh, 'Operator', { assumedBy: new AccountRootPrincipal() });
    fresh.controlPlane.grantStartDeployment(grantee);
    fresh.controlPlane.grantReadDeployments(grantee);

    const t = Template.fromStack(fresh);
    const g = grants(roleStatements(t, 'Operator'));

    expect([...g.keys()].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'states:StartExecution',
    ]);
    const smId = t.getResourceId('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: Match.stringLikeRegexp('-Deploy$') } });
    expect(g.get('states:StartExecution')).toEqual([JSON.stringify({ Ref: smId })]);
    expect(g.get('dynamodb:Query')).toHaveLength(2);
    expect(g.get('dynamodb:PutItem')).toBeUndefined();
  });
});

describe('ControlPlane resources do not grow with the configured services', () => {
  const typeCounts = (t: Template) => {
    const counts: Record<string, number> = {};
    for (const r of Object.values(resourcesOf(t))) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    return counts;
  };

  it('1 and 50 services synthesize the same number and types of resources, but for the overflow policies of exact writes', () => {
    const one = synthStack({ config: parseConfig(manyServices(1)) }).template;
    const fifty = synthStack({ config: parseConfig(manyServices(50)) }).template;
    const withoutManaged = (t: Template) => {
      const { 'AWS::IAM::ManagedPolicy': _managed, ...rest } = typeCounts(t);
      return rest;
    };

    // Issue #14 (9): writes are never coarsened to keep the count flat; their lists overflow into
    // managed policies of the roles that write (a few, bounded by maxManagedPoliciesPerRole per role).
    expect(withoutManaged(fifty)).toEqual(withoutManaged(one));
    expect(typeCounts(one)['AWS::IAM::ManagedPolicy'] ?? 0).toBe(0);
    expect(typeCounts(fifty)['AWS::IAM::ManagedPolicy'] ?? 0).toBeLessThanOrEqual(10);
  });

  it.each([1, 50, 120])('every role policy stays under IAM\'s size limits with %i services', (count) => {
    const { template } = synthStack({ config: parseConfig(manyServices(count)) });
    for (const [id, policy] of ofType(template, 'AWS::IAM::Policy')) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument).length, id).toBeLessThan(10_240);
    }
    for (const [id, policy] of ofType(template, 'AWS::IAM::ManagedPolicy')) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument).length, id).toBeLessThan(6_144);
    }
  });

  it('20 services list all 40 alarms in the one alarm rule while the pattern fits', () => {
    const { template, stack } = synthStack({ config: parseConfig(manyServices(20)) });
    const alarmRule = ofType(template, 'AWS::Events::Rule').find(([, r]) => r.Properties?.EventPattern.source[0] === 'aws.cloudwatch');
    expect(alarmRule?.[1].Properties?.EventPattern.detail.alarmName).toHaveLength(40);
    expect(stack.controlPlane.patterns.alarmStateChange?.filteredByName).toBe(true);
  });

  it('a repository list past the pattern quota leaves the filtering to intake, with the same resources', () => {
    // 200 services: the rollback role's exact writes (task sets, routes and, since the native engine,
    // StopServiceDeployment per service) need more than IAM's default 10 managed policies per role;
    // the quota raised to 20 as the synth error says (never a wider write).
    const { template, stack } = synthStack({ config: parseConfig(manyServices(200)), controlPlane: { maxManagedPoliciesPerRole: 20 } });
    const ecrRule = ofType(template, 'AWS::Events::Rule').find(([, r]) => r.Properties?.EventPattern.source[0] === 'aws.ecr');
    expect(ecrRule?.[1].Properties?.EventPattern.detail['repository-name']).toBeUndefined();
    expect(stack.controlPlane.patterns.ecrPush?.filteredByName).toBe(false);
    // ECR push, alarm state change, ECS deployment state change, forwarding of Cutover's own alarms, the reconcile and cleanup schedules
    template.resourceCountIs('AWS::Events::Rule', 6);
    expect(stack.controlPlane.patterns.ecsDeploymentStateChange?.filteredByName).toBe(false);
  });

  it('an environment-agnostic configuration synthesizes with account and region from the deploy environment', () => {
    const { stack, template } = synthStack({ config: parseConfig(manyServices(3, { withEnv: false })) });
    expect(Token.isUnresolved(stack.account)).toBe(true);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 3);
    expect(stack.controlPlane.iamScope.level).toBe('service');
  });
});

describe('ControlPlane props', () => {
  it('take memory, log retention and log level', () => {
    const { template } = synthStack({
      controlPlane: { lambdaMemoryMb: 1024, logRetention: RetentionDays.ONE_WEEK, logLevel: 'DEBUG' },
    });
    const fns = ofType(template, 'AWS::Lambda::Function');
    expect(fns.every(([, f]) => f.Properties?.MemorySize === 1024)).toBe(true);
    expect(fns.every(([, f]) => f.Properties?.Environment.Variables.POWERTOOLS_LOG_LEVEL === 'DEBUG')).toBe(true);
    expect(ofType(template, 'AWS::Logs::LogGroup').every(([, g]) => g.Properties?.RetentionInDays === 7)).toBe(true);
  });

  it.each([64, 512.5, 20_000])('reject lambdaMemoryMb %s, naming the prop and the allowed range', (mb) => {
    expect(() => synthStack({ controlPlane: { lambdaMemoryMb: mb } })).toThrow(
      /ControlPlaneProps\.lambdaMemoryMb: .* is not allowed; allowed: an integer from 128 to 10240/,
    );
  });

  it('validate the configuration again (a hand-built config is checked too)', () => {
    const config = { ...exampleConfig(), recordRetentionSeconds: -1 };
    expect(() => synthStack({ config })).toThrow(/ControlPlaneProps\.config\) is invalid:\n {2}- recordRetentionSeconds: /);
  });

  it('name the missing handler file when a manifest entry has none', () => {
    const empty = tempDir('cutover-handlers-');
    expect(() => synthStack({ controlPlane: { handlersDir: empty } })).toThrow(
      /Cutover handler "intake": .*intake\.ts does not exist \(lib\/handlers\.ts lists it/,
    );
  });

  it('require statemachines/deploy.asl.json', () => {
    const dir = tempDir('cutover-asl-');
    expect(() => synthStack({ controlPlane: { stateMachinesDir: dir } })).toThrow(/deploy\.asl\.json does not exist/);
  });

  it('fail synth on an unknown placeholder, naming it', () => {
    const dir = tempDir('cutover-asl-');
    writeFileSync(
      join(dir, 'deploy.asl.json'),
      JSON.stringify({
        StartAt: 'A',
        States: { A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${PrepareFunctionArn}', 'Table': '${TableName}' }, End: true } },
      }),
    );
    expect(() => synthStack({ controlPlane: { stateMachinesDir: dir } })).toThrow(/deploy\.asl\.json: unknown placeholder \$\{TableName\}/);
  });

  it('fail synth on a function placeholder that names no handler', () => {
    const dir = tempDir('cutover-asl-');
    writeFileSync(
      join(dir, 'deploy.asl.json'),
      JSON.stringify({
        StartAt: 'A',
        States: { A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${NoSuchHandlerFunctionArn}' }, End: true } },
      }),
    );
    expect(() => synthStack({ controlPlane: { stateMachinesDir: dir } })).toThrow(
      /placeholder \$\{NoSuchHandlerFunctionArn\} names handler "no-such-handler", which is not built/,
    );
  });
});

describe('state machine grants for every supported integration', () => {
  let template: Template;
  let controlPlane: ControlPlane;
  beforeAll(() => {
    const app = testApp();
    const stack = new CutoverStack(app, 'CutoverStack', {
      config: everyFeatureConfig(),
      controlPlane: { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.allIntegrationsDir },
    });
    controlPlane = stack.controlPlane;
    template = Template.fromStack(stack);
  });

  it('loads every *.asl.json in the folder, by file name', () => {
    expect(Object.keys(controlPlane.stateMachines).sort()).toEqual(['child', 'deploy']);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
  });

  it('grants exactly the actions the deploy definition uses', () => {
    const statements = roleStatements(template, 'ControlPlaneDeployStateMachineRole');
    const g = grants(statements);
    const p = `arn:aws:states:${REGION}:${ACCOUNT}`;
    const childName = ofType(template, 'AWS::StepFunctions::StateMachine')
      .map(([, r]) => r.Properties?.StateMachineName as string)
      .find((n) => n.endsWith('-Child'));
    expect(childName).toMatch(/^CutoverStack-ControlPlane-[0-9A-F]{8}-Child$/);

    // lambda:invoke of handlers by placeholder, and of the configured hooks by `FunctionName.$`
    expect(g.get('lambda:InvokeFunction')).toEqual(
      [
        ...['prepare', 'bake'].map((h) => JSON.stringify({ 'Fn::GetAtt': [functionId(template, h), 'Arn'] })),
        HOOKS.afterHealthy,
        HOOKS.beforeShift,
        HOOKS.verifyProduction,
      ].sort(),
    );
    // states:startExecution.sync:2
    expect(g.get('states:StartExecution')).toEqual([`${p}:stateMachine:${childName}`]);
    expect(g.get('states:DescribeExecution')).toEqual([`${p}:execution:${childName}:*`]);
    expect(g.get('states:StopExecution')).toEqual([`${p}:execution:${childName}:*`]);
    // ecs:runTask.sync: only revisions of the migrating service's family (issue #14, 1), only in its
    // cluster (production, cluster "shop")
    expect(g.get('ecs:RunTask')).toEqual([`arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/checkout:*`]);
    const runTask = statements.find((s) => asList(s.Action).includes('ecs:RunTask'));
    expect(runTask?.Condition).toEqual({ ArnLike: { 'ecs:cluster': [`arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/shop`] } });
    expect(g.get('ecs:StopTask')).toEqual([`arn:aws:ecs:${REGION}:${ACCOUNT}:task/shop/*`]);
    expect(g.get('ecs:DescribeTasks')).toEqual([`arn:aws:ecs:${REGION}:${ACCOUNT}:task/shop/*`]);
    // the migration's RunTask passes the registered revision's roles: those of taskRoleArns only
    expect(g.get('iam:PassRole')).toEqual([...everyFeatureConfig().taskRoleArns].sort());
    const passRole = statements.find((s) => asList(s.Action).includes('iam:PassRole'));
    expect(passRole?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(g.get('events:PutRule')).toEqual(
      [
        `arn:aws:events:${REGION}:${ACCOUNT}:rule/StepFunctionsGetEventsForECSTaskRule`,
        `arn:aws:events:${REGION}:${ACCOUNT}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`,
      ].sort(),
    );
    // events:putEvents to Cutover's bus
    const [busId] = ofType(template, 'AWS::Events::EventBus')[0] ?? [];
    expect(g.get('events:PutEvents')).toEqual([JSON.stringify({ 'Fn::GetAtt': [busId, 'Arn'] })]);

    const expected = [
      'lambda:InvokeFunction',
      'states:StartExecution',
      'states:DescribeExecution',
      'states:StopExecution',
      'events:PutTargets',
      'events:PutRule',
      'events:DescribeRule',
      'ecs:RunTask',
      'ecs:StopTask',
      'ecs:DescribeTasks',
      'iam:PassRole',
      'events:PutEvents',
    ].sort();
    expect([...g.keys()].filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')).sort()).toEqual(expected);
  });

  it('grants the child only what its own definition uses', () => {
    const g = grants(roleStatements(template, 'ControlPlaneChildStateMachineRole'));
    expect([...g.keys()].filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))).toEqual(['lambda:InvokeFunction']);
    expect(g.get('lambda:InvokeFunction')).toEqual([JSON.stringify({ 'Fn::GetAtt': [functionId(template, 'finish'), 'Arn'] })]);
  });

  it('without a configured migration or hook: no RunTask, PassRole, task or hook grant at all', () => {
    const { template: t } = synthStack({
      config: exampleConfig(),
      controlPlane: { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.allIntegrationsDir },
    });
    const g = grants(roleStatements(t, 'ControlPlaneDeployStateMachineRole'));
    for (const action of ['ecs:RunTask', 'ecs:StopTask', 'ecs:DescribeTasks', 'iam:PassRole']) expect(g.has(action), action).toBe(false);
    expect(g.get('events:PutRule')).toEqual([`arn:aws:events:${REGION}:${ACCOUNT}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`]);
    expect(g.get('lambda:InvokeFunction')?.every((r) => r.includes('Fn::GetAtt'))).toBe(true);
  });
});
