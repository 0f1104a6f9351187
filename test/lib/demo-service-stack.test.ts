import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { parseConfig, Strategy } from '../../functions/core/config.js';
import { strategyFor } from '../../functions/core/native.js';
import {
  BOOTSTRAP_HANDLER,
  DemoServiceStack,
  type DemoServiceStackProps,
  demoServiceConfig,
  nativeDeploymentConfiguration,
  TEST_LISTENER_PORT,
} from '../../lib/demo-service-stack.js';
import { testApp, unacknowledged, type ValidationReport } from '../helpers/cdk.js';

const ENV = { account: '123456789012', region: 'us-east-1' };

function synth(props: DemoServiceStackProps = {}) {
  const app = testApp();
  const stack = new DemoServiceStack(app, 'CutoverDemoService', { env: ENV, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

describe('DemoServiceStack', () => {
  it('runs an ECS service with the EXTERNAL deployment controller: no task definition or load balancer on the service', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentController: { Type: 'EXTERNAL' },
      DesiredCount: 2,
      ServiceName: 'web',
      TaskDefinition: Match.absent(),
      LoadBalancers: Match.absent(),
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    template.allResourcesProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { TargetType: 'ip', Protocol: 'HTTP' });
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  it('holds no traffic weights in the template, so a later cdk deploy cannot reset what Cutover set', () => {
    const { template } = synth();

    // The only listener CloudFormation owns answers 404 by default; production traffic is a rule
    // the bootstrap creates once. No rule, task set or forward action is a CloudFormation resource.
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '404' }) })],
    });
    for (const type of ['AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::ECS::TaskSet', 'AWS::ECS::PrimaryTaskSet']) {
      template.resourceCountIs(type, 0);
    }
    expect(JSON.stringify(template.toJSON())).not.toMatch(/"Type":"forward"|"TargetGroupWeight"|"Weight":/);
  });

  it('a later deploy with other settings changes neither the listener nor what the bootstrap creates', () => {
    const first = synth().template.toJSON() as { Resources: Record<string, { Type: string; Properties?: unknown }> };
    const later = synth({ desiredCount: 4, initialImage: 'public.ecr.aws/nginx/nginx:mainline' }).template.toJSON() as typeof first;

    const byType = (t: typeof first, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
    expect(byType(later, 'AWS::ElasticLoadBalancingV2::Listener')).toEqual(byType(first, 'AWS::ElasticLoadBalancingV2::Listener'));
    expect(byType(later, 'Custom::CutoverDemoBootstrap')).toEqual(byType(first, 'Custom::CutoverDemoBootstrap'));
    // (A new task-definition revision does reach the bootstrap as an Update: it writes nothing then, see below.)
  });

  it('bootstraps through a custom resource: the production rule, the test listener and the initial task set', () => {
    const { template } = synth();
    template.hasResourceProperties('Custom::CutoverDemoBootstrap', {
      ListenerArn: { Ref: Match.stringLikeRegexp('^LoadBalancerProduction') },
      TargetGroupA: { Ref: Match.stringLikeRegexp('^TargetGroupA') },
      TargetGroupB: { Ref: Match.stringLikeRegexp('^TargetGroupB') },
      TestPort: String(TEST_LISTENER_PORT),
      Service: 'web',
      ContainerName: 'app',
      ContainerPort: '80',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { ZipFile: BOOTSTRAP_HANDLER },
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
    });
    expect(BOOTSTRAP_HANDLER.length).toBeLessThanOrEqual(4096); // CloudFormation's inline ZipFile limit
  });

  it('alarms on 5xx and p99 latency of each target group, named as the config lists them', () => {
    const { template, stack } = synth();
    for (const side of ['a', 'b']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `cutover-demo-web-5xx-${side}`,
        MetricName: 'HTTPCode_Target_5XX_Count',
        Namespace: 'AWS/ApplicationELB',
        Statistic: 'Sum',
        Period: 60,
        Threshold: 10,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [Match.objectLike({ Name: 'LoadBalancer' }), Match.objectLike({ Name: 'TargetGroup' })],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `cutover-demo-web-latency-${side}`,
        MetricName: 'TargetResponseTime',
        ExtendedStatistic: 'p99',
        Threshold: 1,
      });
    }
    expect(stack.serviceConfig.alarms).toHaveLength(4);
  });

  it('outputs the service entry for cutover.config.json, which the config schema accepts once deployed', () => {
    const { template } = synth();
    template.hasOutput('CutoverServiceConfig', { Value: Match.anyValue() });
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
    const entry = demoServiceConfig({
      name: 'web',
      environment: 'production',
      cluster: 'cutover-demo-web',
      service: 'web',
      containerName: 'app',
      repository: 'cutover-demo/web',
      listenerRuleArn: `${arn}:listener-rule/app/Cutov-LoadB-1/0123456789abcdef/0123456789abcdef/0123456789abcdef`,
      testListenerArn: `${arn}:listener/app/Cutov-LoadB-1/0123456789abcdef/fedcba9876543210`,
      targetGroupArns: [`${arn}:targetgroup/Cutov-Targe-A/0123456789abcdef`, `${arn}:targetgroup/Cutov-Targe-B/fedcba9876543210`],
      alarms: ['cutover-demo-web-5xx-a', 'cutover-demo-web-latency-a', 'cutover-demo-web-5xx-b', 'cutover-demo-web-latency-b'],
      strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
    });
    expect(parseConfig({ account: '123456789012', region: 'us-east-1', services: [entry] }).services[0]?.listenerRuleArn).toContain('listener-rule');
  });

  it('synthesizes offline: no context lookup (availability zones come from Fn::GetAZs)', () => {
    const { app } = synth();
    expect(app.synth().manifest.missing ?? []).toEqual([]);
  });

  it('names the bad prop', () => {
    expect(() => synth({ serviceName: 'Web_1' })).toThrow(/serviceName: "Web_1" must be 1-32 characters/);
    expect(() => synth({ desiredCount: 0 })).toThrow(/desiredCount: 0 must be a whole number from 1 to 100/);
  });

  it.each([
    ['in an account and region', ENV],
    ['environment-agnostic', undefined],
  ])('passes cdk-nag (AwsSolutions) %s', (_name, env) => {
    const app = testApp({ cfnValidation: false });
    new DemoServiceStack(app, 'CutoverDemoService', env ? { env } : {});
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let threw = false;
    try {
      app.synth();
    } catch {
      threw = true;
    }
    const file = join(app.outdir, 'validation-report.json');
    const report: ValidationReport = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { pluginReports: [] };
    expect(unacknowledged(report)).toEqual([]);
    expect(threw).toBe(false);
  }, 120_000);
});

describe('DemoServiceStack engine native (issue #17): an ECS-controller service for ECS\'s own blue/green, canary and linear', () => {
  type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;
  const resources = (template: Template) => (template.toJSON() as { Resources: Resources }).Resources;
  const idOf = (template: Template, type: string, prefix: string) => {
    const ids = Object.keys(template.findResources(type)).filter((k) => k.startsWith(prefix));
    expect(ids, `one ${type} ${prefix}*`).toHaveLength(1);
    return ids[0] as string;
  };

  it('runs the service with the ECS controller, the task definition, a CANARY strategy and the load balancer\'s advancedConfiguration', () => {
    const { template } = synth({ engine: 'native' });
    const bootstrap = idOf(template, 'Custom::CutoverDemoBootstrap', 'TrafficBootstrap');
    const role = idOf(template, 'AWS::IAM::Role', 'EcsInfrastructureRole');
    template.resourceCountIs('AWS::ECS::Service', 1);
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentController: { Type: 'ECS' },
      DeploymentConfiguration: { Strategy: 'CANARY', BakeTimeInMinutes: 0, CanaryConfiguration: { CanaryPercent: 10, CanaryBakeTimeInMinutes: 0 } },
      TaskDefinition: { Ref: Match.stringLikeRegexp('^TaskDefinition') },
      LaunchType: 'FARGATE',
      DesiredCount: 2,
      ServiceName: 'web',
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      LoadBalancers: [
        {
          ContainerName: 'app',
          ContainerPort: 80,
          TargetGroupArn: { Ref: Match.stringLikeRegexp('^TargetGroupA') },
          AdvancedConfiguration: {
            AlternateTargetGroupArn: { Ref: Match.stringLikeRegexp('^TargetGroupB') },
            ProductionListenerRule: { 'Fn::GetAtt': [bootstrap, 'ProductionRuleArn'] },
            RoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
          },
        },
      ],
    });
    template.resourceCountIs('AWS::ECS::TaskSet', 0);
  });

  it('the infrastructure role: only ecs.amazonaws.com may assume it, and it holds AmazonECSInfrastructureRolePolicyForLoadBalancers and nothing else', () => {
    const { template } = synth({ engine: 'native' });
    const id = idOf(template, 'AWS::IAM::Role', 'EcsInfrastructureRole');
    const role = resources(template)[id]?.Properties as Record<string, unknown>;
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } }],
    });
    expect(role.ManagedPolicyArns).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers']] },
    ]);
    expect(role.Policies).toBeUndefined();
    const inline = Object.values(resources(template)).filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(id));
    expect(inline).toEqual([]);
  });

  it('still holds no weights: the bootstrap creates the production rule only (no task set, no test listener), and may touch nothing of ECS', () => {
    const { template } = synth({ engine: 'native' });
    for (const type of ['AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::ECS::TaskSet', 'AWS::ECS::PrimaryTaskSet']) template.resourceCountIs(type, 0);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/"Type":"forward"|"TargetGroupWeight"|"Weight":/);
    template.hasResourceProperties('Custom::CutoverDemoBootstrap', {
      Engine: 'native',
      TargetGroupA: { Ref: Match.stringLikeRegexp('^TargetGroupA') },
      TargetGroupB: { Ref: Match.stringLikeRegexp('^TargetGroupB') },
      TaskDefinition: Match.absent(),
      Service: Match.absent(),
    });
    const bootstrapRole = idOf(template, 'AWS::IAM::Role', 'BootstrapRole');
    const actions = Object.values(resources(template))
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(bootstrapRole))
      .flatMap((r) => ((r.Properties?.PolicyDocument ?? { Statement: [] }) as { Statement: Array<{ Action: string | string[] }> }).Statement.flatMap((st) => [st.Action].flat()));
    expect(actions).toContain('elasticloadbalancing:CreateRule');
    expect(actions.filter((a) => /^ecs:|^iam:PassRole$|CreateListener$/.test(a))).toEqual([]);
  });

  it('a later deploy with a new task definition does not reach the bootstrap (the rule is ECS\'s after Create)', () => {
    const first = synth({ engine: 'native' }).template.findResources('Custom::CutoverDemoBootstrap');
    const later = synth({ engine: 'native', initialImage: 'public.ecr.aws/nginx/nginx:mainline', desiredCount: 3 }).template.findResources('Custom::CutoverDemoBootstrap');
    expect(later).toEqual(first);
  });

  it('outputs engine "native", the listener rule and the two target groups (no test listener), and the config schema accepts the entry', () => {
    const { stack, template } = synth({ engine: 'native' });
    const bootstrap = idOf(template, 'Custom::CutoverDemoBootstrap', 'TrafficBootstrap');
    const entry = stack.resolve(stack.serviceConfig) as Record<string, unknown>;
    expect(entry).toMatchObject({
      engine: 'native',
      listenerRuleArn: { 'Fn::GetAtt': [bootstrap, 'ProductionRuleArn'] },
      targetGroupArns: [{ Ref: expect.stringMatching(/^TargetGroupA/) }, { Ref: expect.stringMatching(/^TargetGroupB/) }],
      strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
    });
    expect(entry).not.toHaveProperty('testListenerArn');
    expect(stack.testListenerArn).toBeUndefined();
    expect(JSON.stringify(template.toJSON().Outputs.CutoverServiceConfig.Value)).toContain('\\"engine\\":\\"native\\"');

    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
    const parsed = parseConfig({
      account: '123456789012',
      region: 'us-east-1',
      services: [
        demoServiceConfig({
          name: 'web',
          environment: 'production',
          cluster: 'cutover-demo-web',
          service: 'web',
          containerName: 'app',
          repository: 'cutover-demo/web',
          listenerRuleArn: `${arn}:listener-rule/app/Cutov-LoadB-1/0123456789abcdef/0123456789abcdef/0123456789abcdef`,
          targetGroupArns: [`${arn}:targetgroup/Cutov-Targe-A/0123456789abcdef`, `${arn}:targetgroup/Cutov-Targe-B/fedcba9876543210`],
          alarms: ['cutover-demo-web-5xx-a'],
          strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
          engine: 'native',
        }),
      ],
    }).services[0];
    expect(parsed?.engine).toBe('native');
    expect(parsed?.testListenerArn).toBeUndefined();
  });

  it.each([
    [{ type: 'canary', percent: 10, bakeSeconds: 300 }],
    [{ type: 'canary', percent: 25, bakeSeconds: 600, finalBakeSeconds: 180 }],
    [{ type: 'blue-green', bakeSeconds: 300, finalBakeSeconds: 120 }],
    [{ type: 'blue-green' }],
    [{ type: 'linear', stepPercent: 25, intervalSeconds: 120 }],
    [{ type: 'linear', stepPercent: 100 }],
    [{ type: 'all-at-once', bakeSeconds: 120 }],
  ])('the service\'s deployment configuration for %j is what Cutover\'s native engine sets (strategyFor)', (strategy) => {
    const expected = strategyFor(Strategy.parse(strategy)).deploymentConfiguration;
    expect(nativeDeploymentConfiguration(strategy)).toEqual(expected);
    const { template } = synth({ engine: 'native', strategy });
    const cfn = Object.fromEntries(Object.entries(expected).map(([k, v]) => [k[0]?.toUpperCase() + k.slice(1), v]));
    const nested = (o: unknown): unknown =>
      typeof o === 'object' && o !== null ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k[0]?.toUpperCase() + k.slice(1), nested(v)])) : o;
    template.hasResourceProperties('AWS::ECS::Service', { DeploymentConfiguration: nested(cfn) });
  });

  it('names the strategy ECS cannot take and the bad engine', () => {
    expect(() => synth({ engine: 'native', strategy: { type: 'linear', stepPercent: 2 } })).toThrow(/strategy \(engine native\).*stepPercent must be a whole number from 3 to 100/);
    expect(() => synth({ engine: 'native', strategy: { type: 'canary', percent: 10, finalBakeSeconds: 90 } })).toThrow(/finalBakeSeconds 90 must be whole minutes/);
    expect(() => synth({ engine: 'native', strategy: { type: 'steps', steps: [{ percent: 100 }] } })).toThrow(/maps "canary", "linear", "blue-green" or "all-at-once"/);
    expect(() => synth({ engine: 'blue' as never })).toThrow(/engine: "blue" must be "task-set" \(EXTERNAL controller\) or "native"/);
    // The task-set engine writes the strategy as given (Cutover's schema checks it).
    expect(() => synth({ strategy: { type: 'steps', steps: [{ percent: 100 }] } })).not.toThrow();
  });

  it('the default (task-set) is unchanged: EXTERNAL, no engine in the entry, the test listener kept, no infrastructure role', () => {
    const { stack, template } = synth();
    expect(stack.engine).toBe('task-set');
    const entry = stack.resolve(stack.serviceConfig) as Record<string, unknown>;
    expect(entry).not.toHaveProperty('engine');
    expect(entry.testListenerArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TrafficBootstrap/), 'TestListenerArn'] });
    expect(Object.keys(entry)).toEqual(['name', 'environment', 'cluster', 'service', 'containerName', 'repository', 'tagFilter', 'listenerRuleArn', 'targetGroupArns', 'testListenerArn', 'alarms', 'strategy']);
    template.hasResourceProperties('AWS::ECS::Service', { DeploymentController: { Type: 'EXTERNAL' }, DeploymentConfiguration: Match.absent() });
    template.hasResourceProperties('Custom::CutoverDemoBootstrap', { Engine: Match.absent(), TaskDefinition: Match.anyValue() });
    expect(Object.keys(template.findResources('AWS::IAM::Role')).filter((k) => k.startsWith('EcsInfrastructureRole'))).toEqual([]);
    expect(template.toJSON().Description).toBe('Cutover demo: an ECS service (EXTERNAL deployment controller) behind an ALB');
  });

  it.each([
    ['in an account and region', ENV],
    ['environment-agnostic', undefined],
  ])('passes cdk-nag (AwsSolutions) %s', (_name, env) => {
    const app = testApp({ cfnValidation: false });
    new DemoServiceStack(app, 'CutoverDemoService', { engine: 'native', ...(env ? { env } : {}) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let threw = false;
    try {
      app.synth();
    } catch {
      threw = true;
    }
    const file = join(app.outdir, 'validation-report.json');
    const report: ValidationReport = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { pluginReports: [] };
    expect(unacknowledged(report)).toEqual([]);
    expect(threw).toBe(false);
  }, 120_000);
});

// ------------------------------------------------------------------ the bootstrap handler, run

const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/CutoverDemo/0f0e0d0c-0b0a-0908-0706-050403020100';

interface Call {
  readonly service: string;
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** Run BOOTSTRAP_HANDLER with fake SDK clients (recording every command) and a fake HTTPS reply. */
async function runBootstrap(event: Record<string, unknown>, fixtures: Record<string, (input: Record<string, unknown>) => unknown> = {}) {
  let responses = fixtures;
  const calls: Call[] = [];
  const replies: Array<Record<string, unknown>> = [];
  const sdk = (service: string) =>
    new Proxy(
      {},
      {
        get: (_t, name: string) => {
          if (name.endsWith('Client')) {
            return class {
              send(cmd: { command: string; input: Record<string, unknown> }) {
                calls.push({ service, command: cmd.command, input: cmd.input });
                return Promise.resolve(responses[cmd.command]?.(cmd.input) ?? {});
              }
            };
          }
          const command = name.replace(/Command$/, '');
          return class {
            readonly command = command;
            constructor(readonly input: Record<string, unknown>) {}
          };
        },
      },
    );
  const https = {
    request: (_opts: unknown, onResponse: (res: unknown) => void) => {
      const req = {
        on: () => req,
        end: (body: string) => {
          replies.push(JSON.parse(body));
          onResponse({ resume: () => undefined, on: (ev: string, f: () => void) => ev === 'end' && setImmediate(f) });
        },
      };
      return req;
    },
  };
  const modules: Record<string, unknown> = {
    '@aws-sdk/client-ecs': sdk('ecs'),
    '@aws-sdk/client-elastic-load-balancing-v2': sdk('elb'),
    '@aws-sdk/client-cloudformation': sdk('cloudformation'),
    https,
  };
  // CloudFormation reports the resource as <RequestType>_IN_PROGRESS while it waits for the answer.
  responses = {
    DescribeStackResource: () => ({ StackResourceDetail: { ResourceStatus: `${String(event.RequestType).toUpperCase()}_IN_PROGRESS` } }),
    ...responses,
  };
  const module = { exports: {} as { handler: (e: unknown) => Promise<void> } };
  const silent = { error: () => undefined, log: () => undefined };
  const processEnv = { env: { STACK_ID: STACK_ID, LOGICAL_ID: 'TrafficBootstrap' } };
  new Function('require', 'exports', 'module', 'console', 'process', BOOTSTRAP_HANDLER)((m: string) => modules[m], module.exports, module, silent, processEnv);
  await module.exports.handler(event);
  return { calls, replies };
}

const PROPS = {
  LoadBalancerArn: 'arn:lb',
  ListenerArn: 'arn:listener-80',
  TestPort: '8080',
  TargetGroupA: 'arn:tg-a',
  TargetGroupB: 'arn:tg-b',
  Cluster: 'cutover-demo-web',
  Service: 'web',
  TaskDefinition: 'arn:td:1',
  ContainerName: 'app',
  ContainerPort: '80',
  Subnets: ['subnet-1'],
  SecurityGroups: ['sg-1'],
};
const event = (RequestType: string, extra: Record<string, unknown> = {}) => ({
  RequestType,
  ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws%3Acloudformation/reply?X-Amz-Signature=1',
  StackId: STACK_ID,
  RequestId: 'req-0123456789abcdef0123456789abcdef0123',
  LogicalResourceId: 'TrafficBootstrap',
  ResourceProperties: PROPS,
  ...extra,
});
const listeners = () => ({ Listeners: [{ Port: 80, ListenerArn: 'arn:listener-80' }, { Port: 8080, ListenerArn: 'arn:listener-8080' }] });
const writes = (calls: readonly Call[]) => calls.filter((c) => !/^Describe/.test(c.command)).map((c) => `${c.service}:${c.command}`);

describe('the bootstrap custom resource', () => {
  it('on Create: the production rule at A 100 / B 0, the test listener on B, the initial task set on A, primary', async () => {
    const { calls, replies } = await runBootstrap(event('Create'), {
      CreateRule: () => ({ Rules: [{ RuleArn: 'arn:rule-1' }] }),
      CreateTaskSet: () => ({ taskSet: { taskSetArn: 'arn:ts-1' } }),
      DescribeListeners: listeners,
    });

    expect(writes(calls)).toEqual(['elb:CreateRule', 'elb:CreateListener', 'ecs:CreateTaskSet', 'ecs:UpdateServicePrimaryTaskSet']);
    const rule = calls.find((c) => c.command === 'CreateRule')?.input;
    expect(rule).toMatchObject({
      ListenerArn: 'arn:listener-80',
      Priority: 1,
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'arn:tg-a', Weight: 100 }, { TargetGroupArn: 'arn:tg-b', Weight: 0 }] } }],
    });
    expect(calls.find((c) => c.command === 'CreateTaskSet')?.input).toMatchObject({
      taskDefinition: 'arn:td:1',
      launchType: 'FARGATE',
      loadBalancers: [{ targetGroupArn: 'arn:tg-a', containerName: 'app', containerPort: 80 }],
      scale: { unit: 'PERCENT', value: 100 },
    });
    expect(replies).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'arn:rule-1', Data: { ProductionRuleArn: 'arn:rule-1', TestListenerArn: 'arn:listener-8080' } }),
    ]);
  });

  it('on Update: writes nothing (Cutover owns weights and task sets) and reports the same resources', async () => {
    const { calls, replies } = await runBootstrap(event('Update', { PhysicalResourceId: 'arn:rule-1' }), { DescribeListeners: listeners });

    expect(writes(calls)).toEqual([]);
    expect(replies).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'arn:rule-1', Data: { ProductionRuleArn: 'arn:rule-1', TestListenerArn: 'arn:listener-8080' } })]);
  });

  it('on Delete: removes the test listener, the rule and every task set, so the stack deletes cleanly', async () => {
    const { calls, replies } = await runBootstrap(event('Delete', { PhysicalResourceId: 'arn:rule-1' }), {
      DescribeListeners: listeners,
      DescribeServices: () => ({ services: [{ taskSets: [{ id: 'ecs-svc/1' }, { id: 'ecs-svc/2' }] }] }),
    });

    expect(writes(calls)).toEqual(['elb:DeleteListener', 'elb:DeleteRule', 'ecs:DeleteTaskSet', 'ecs:DeleteTaskSet']);
    expect(replies).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'arn:rule-1' })]);
  });

  it('engine native, on Create: the production rule only (A 100 / B 0); ECS deploys the service itself', async () => {
    const native = { LoadBalancerArn: 'arn:lb', ListenerArn: 'arn:listener-80', TestPort: '8080', TargetGroupA: 'arn:tg-a', TargetGroupB: 'arn:tg-b', Engine: 'native' };
    const { calls, replies } = await runBootstrap(event('Create', { ResourceProperties: native }), {
      CreateRule: () => ({ Rules: [{ RuleArn: 'arn:rule-1' }] }),
      DescribeListeners: () => ({ Listeners: [{ Port: 80, ListenerArn: 'arn:listener-80' }] }),
    });
    expect(writes(calls)).toEqual(['elb:CreateRule']);
    expect(calls.find((c) => c.command === 'CreateRule')?.input).toMatchObject({
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'arn:tg-a', Weight: 100 }, { TargetGroupArn: 'arn:tg-b', Weight: 0 }] } }],
    });
    expect(replies).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'arn:rule-1', Data: { ProductionRuleArn: 'arn:rule-1', TestListenerArn: '' } })]);
  });

  it('engine native, on Delete: removes the rule and reads nothing of ECS (the service, deleted first, owns its tasks)', async () => {
    const native = { LoadBalancerArn: 'arn:lb', ListenerArn: 'arn:listener-80', TestPort: '8080', TargetGroupA: 'arn:tg-a', TargetGroupB: 'arn:tg-b', Engine: 'native' };
    const { calls, replies } = await runBootstrap(event('Delete', { PhysicalResourceId: 'arn:rule-1', ResourceProperties: native }), {
      DescribeListeners: () => ({ Listeners: [{ Port: 80, ListenerArn: 'arn:listener-80' }] }),
    });
    expect(writes(calls)).toEqual(['elb:DeleteRule']);
    expect(calls.filter((c) => c.service === 'ecs')).toEqual([]);
    expect(replies).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'arn:rule-1' })]);
  });

  it('reports a failure to CloudFormation with the reason instead of hanging the stack', async () => {
    const { replies } = await runBootstrap(event('Create'), {
      CreateRule: () => {
        throw Object.assign(new Error('Priority 1 is in use'), { name: 'PriorityInUseException' });
      },
    });
    expect(replies).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: 'Priority 1 is in use', PhysicalResourceId: 'not-created' })]);
  });
});

describe('the bootstrap custom resource refuses what CloudFormation did not send (issue #14, Low)', () => {
  const DELETE_FIXTURES = {
    DescribeListeners: listeners,
    DescribeServices: () => ({ services: [{ taskSets: [{ id: 'ecs-svc/1' }] }] }),
  };
  it.each([
    ['a ResponseURL of another host', { ResponseURL: 'https://attacker.example/collect' }],
    ['a look-alike host', { ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.attacker.example/x' }],
    ['plain http', { ResponseURL: 'http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x' }],
    ['another stack', { StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Other/1' }],
    ['another logical resource', { LogicalResourceId: 'SomethingElse' }],
    ['an unknown request type', { RequestType: 'Purge' }],
  ])('a direct Delete with %s deletes nothing and answers nobody', async (_what, extra) => {
    const { calls, replies } = await runBootstrap(event('Delete', { PhysicalResourceId: 'arn:rule-1', ...extra }), DELETE_FIXTURES);
    expect(writes(calls)).toEqual([]);
    expect(replies).toEqual([]);
  });

  it('a well-formed Delete while CloudFormation is not deleting the resource deletes nothing', async () => {
    const { calls, replies } = await runBootstrap(event('Delete', { PhysicalResourceId: 'arn:rule-1' }), {
      ...DELETE_FIXTURES,
      DescribeStackResource: () => ({ StackResourceDetail: { ResourceStatus: 'CREATE_COMPLETE' } }),
    });
    expect(writes(calls)).toEqual([]);
    expect(replies).toEqual([]);
  });

  it('the function knows its stack and resource, and may only describe that stack', () => {
    const { template } = synth();
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties?.Code?.ZipFile === BOOTSTRAP_HANDLER);
    expect(fn?.Properties?.Environment?.Variables).toMatchObject({ STACK_ID: { Ref: 'AWS::StackId' }, LOGICAL_ID: expect.stringMatching(/^TrafficBootstrap/) });
  });
});
