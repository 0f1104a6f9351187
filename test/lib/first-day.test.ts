/**
 * The documented first day on AWS (README "Try it on AWS", issue #16): from a new account to a first
 * rolled-out push, as far as a synth can walk it.
 *
 * 1. `cdk deploy CutoverStack` with `{ "services": [] }`: the control plane synthesizes with no
 *    service (no IAM statement without a resource, no empty event-pattern array, trigger rules off).
 * 2. `cdk deploy CutoverDemoService -c demo=true`: builds the demo alone, whatever the configuration
 *    file holds, in the CLI's account and region; its outputs carry the task and execution roles.
 * 3. The `CutoverConfig` output, as CloudFormation resolves it, is a configuration the schema
 *    accepts; the control plane synthesized from it may pass exactly the demo's roles, so the first
 *    push does not fail at register with TaskRoleNotAllowed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { disallowedRoles } from '../../functions/core/task-roles.js';
import { DemoServiceStack } from '../../lib/demo-service-stack.js';
import { REPO_ROOT, resourcesOfType, synthStack, testApp } from '../helpers/cdk.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
};

/** bin/app.ts as the CDK CLI runs it (context in CDK_CONTEXT_JSON, the CLI's env in CDK_DEFAULT_*). */
function runApp(context: Record<string, unknown>, env: Record<string, string> = {}) {
  const outdir = tempDir('cutover-first-day-');
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bin', 'app.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }), ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const templates = existsSync(outdir) ? readdirSync(outdir).filter((f) => f.endsWith('.template.json')).sort() : [];
  const template = (name: string) => JSON.parse(readFileSync(join(outdir, `${name}.template.json`), 'utf8')) as CfnTemplate;
  return { run, templates, template };
}

interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown }>;
}

function emptyArraysIn(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [path] : value.flatMap((v, i) => emptyArraysIn(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => emptyArraysIn(v, `${path}.${k}`));
  return [];
}

describe('the first day, step 1: the control plane with an empty configuration', () => {
  let result: ReturnType<typeof runApp>;
  beforeAll(() => {
    const file = join(tempDir('cutover-empty-config-'), 'cutover.config.json');
    writeFileSync(file, JSON.stringify({ services: [] }));
    result = runApp({ config: file });
  }, 120_000);

  it('synthesizes CutoverStack alone (cdk-nag included), exit 0', () => {
    expect(result.run.stderr).not.toMatch(/invalid|must list at least one service|Error/);
    expect(result.run.status).toBe(0);
    expect(result.templates).toEqual(['CutoverStack.template.json']);
  });

  it('leaves out every IAM statement that would have no resource, instead of emitting it empty', () => {
    const t = result.template('CutoverStack');
    const statements = Object.values(t.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Array<Record<string, unknown>> } | undefined)?.Statement ?? []);
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) {
      const resources = s.Resource ?? s.NotResource;
      expect(resources, JSON.stringify(s)).toBeDefined();
      if (Array.isArray(resources)) expect(resources.length, JSON.stringify(s)).toBeGreaterThan(0);
    }
  });

  it('writes no empty array into an event pattern (EventBridge refuses them), and the push and alarm rules are disabled', () => {
    const t = result.template('CutoverStack');
    const rules = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule');
    for (const [id, r] of rules) expect(emptyArraysIn(r.Properties?.EventPattern ?? {}), id).toEqual([]);
    const triggers = rules.filter(([id]) => /EcrPushRule|AlarmStateChangeRule/.test(id));
    expect(triggers).toHaveLength(2);
    for (const [, r] of triggers) expect(r.Properties?.State).toBe('DISABLED');
  });

  it('a configuration with a service still enables the trigger rules (the sample)', () => {
    const { template } = synthStack({ fixtures: false });
    const triggers = resourcesOfType(template, 'AWS::Events::Rule').filter(([id]) => /EcrPushRule|AlarmStateChangeRule/.test(id));
    expect(triggers.map(([, r]) => r.Properties?.State)).toEqual(['ENABLED', 'ENABLED']);
  });
});

describe('the first day, step 2: the demo stack, deployed without the control plane configuration in the way', () => {
  let result: ReturnType<typeof runApp>;
  beforeAll(() => {
    // The sample's account clashes with the user's, and a half-written file does not parse: neither matters.
    result = runApp({ demo: 'true', config: '/nonexistent/cutover.config.json' }, { CDK_DEFAULT_ACCOUNT: ACCOUNT, CDK_DEFAULT_REGION: REGION });
  }, 120_000);

  it('builds CutoverDemoService alone, in the account and region the CLI runs with', () => {
    expect(result.run.stderr).not.toMatch(/cannot be read|invalid/);
    expect(result.run.status).toBe(0);
    expect(result.templates).toEqual(['CutoverDemoService.template.json']);
    // A concrete env: the ALB's access logs go to the bucket (only possible with a known region).
    const lb = Object.values(result.template('CutoverDemoService').Resources).find((r) => r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(JSON.stringify(lb?.Properties)).toContain('access_logs.s3.enabled');
  });

  it('outputs the task and execution roles, and a whole configuration that lists them in taskRoleArns', () => {
    const outputs = result.template('CutoverDemoService').Outputs ?? {};
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['CutoverServiceConfig', 'CutoverTaskRoleArns', 'CutoverConfig', 'RepositoryUri', 'Url']));
    const roles = JSON.stringify(outputs.CutoverTaskRoleArns?.Value);
    expect(roles).toMatch(/TaskDefinitionTaskRole[0-9A-F]{8}","Arn"/);
    expect(roles).toMatch(/TaskDefinitionExecutionRole[0-9A-F]{8}","Arn"/);
    const whole = JSON.stringify(outputs.CutoverConfig?.Value);
    expect(whole).toContain('\\"taskRoleArns\\":');
    expect(whole).toMatch(/TaskDefinitionExecutionRole[0-9A-F]{8}","Arn"/);
  });
});

/**
 * What CloudFormation would answer for the demo's tokens, so the `CutoverConfig` output can be read
 * as the user reads it after `cdk deploy` (ARNs of the demo account and region).
 */
function resolveTokens(value: unknown, t: CfnTemplate): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveTokens(v, t));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveTokens(p, t)).join(sep);
  }
  if ('Ref' in o) {
    const ref = o.Ref as string;
    if (ref === 'AWS::AccountId') return ACCOUNT;
    if (ref === 'AWS::Region') return REGION;
    if (ref === 'AWS::Partition') return 'aws';
    const type = t.Resources[ref]?.Type;
    if (type === 'AWS::ElasticLoadBalancingV2::TargetGroup') return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${ref.slice(0, 20)}/0123456789abcdef`;
    if (type === 'AWS::ECR::Repository') return String(t.Resources[ref]?.Properties?.RepositoryName);
    if (type === 'AWS::ECS::Cluster') return String(t.Resources[ref]?.Properties?.ClusterName);
    if (type === 'AWS::CloudWatch::Alarm') return String(t.Resources[ref]?.Properties?.AlarmName);
    throw new Error(`unresolved Ref ${ref} (${type})`);
  }
  if ('Fn::GetAtt' in o) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    if (attr === 'Arn' && t.Resources[id]?.Type === 'AWS::IAM::Role') return `arn:aws:iam::${ACCOUNT}:role/CutoverDemoService-${id.slice(0, 30)}-AbC123dEf456`;
    if (attr === 'ProductionRuleArn') return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener-rule/app/demo-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
    if (attr === 'TestListenerArn') return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/demo-alb/50dc6c495c0c9188/0467ef3c8400ae65`;
    if (attr === 'TargetGroupFullName' || attr === 'LoadBalancerFullName') return `app/${id}/0123456789abcdef`;
    throw new Error(`unresolved GetAtt ${id}.${attr}`);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveTokens(v, t)]));
}

describe('the demo stack with -c demoEngine (issue #17)', () => {
  it('-c demoEngine=native builds an ECS-controller service whose entry says engine native (cdk-nag included), exit 0', () => {
    const result = runApp({ demo: 'true', demoEngine: 'native' }, { CDK_DEFAULT_ACCOUNT: ACCOUNT, CDK_DEFAULT_REGION: REGION });
    expect(result.run.stderr).not.toMatch(/Error|invalid/);
    expect(result.run.status).toBe(0);
    expect(result.templates).toEqual(['CutoverDemoService.template.json']);
    const t = result.template('CutoverDemoService');
    const service = Object.values(t.Resources).find((r) => r.Type === 'AWS::ECS::Service');
    expect(service?.Properties?.DeploymentController).toEqual({ Type: 'ECS' });
    expect(JSON.stringify(t.Outputs?.CutoverServiceConfig?.Value)).toContain('\\"engine\\":\\"native\\"');
  }, 120_000);

  it('an unknown -c demoEngine stops the synth with a message naming it, no stack trace, exit 1', () => {
    const result = runApp({ demo: 'true', demoEngine: 'ecs' }, { CDK_DEFAULT_ACCOUNT: ACCOUNT, CDK_DEFAULT_REGION: REGION });
    expect(result.run.status).toBe(1);
    expect(result.run.stderr).toContain('-c demoEngine=ecs: must be "task-set" (EXTERNAL deployment controller, the default) or "native"');
    expect(result.run.stderr).not.toMatch(/\n\s+at /);
    expect(result.templates).toEqual([]);
  }, 120_000);
});

describe('the first day, step 3: the demo entry in the configuration, and the control plane redeployed', () => {
  it('the CutoverConfig output is a configuration parseConfig accepts, whose taskRoleArns allow the demo task definition roles', () => {
    const app = testApp();
    const demo = new DemoServiceStack(app, 'CutoverDemoService', { env: { account: ACCOUNT, region: REGION } });
    const template = Template.fromStack(demo).toJSON() as CfnTemplate;

    const text = resolveTokens(template.Outputs?.CutoverConfig?.Value, template) as string;
    const config = parseConfig(JSON.parse(text), 'CutoverConfig output');

    expect(config.services.map((s) => `${s.name}/${s.environment}`)).toEqual(['web/production']);
    expect(config.services[0]?.listenerRuleArn).toMatch(/:listener-rule\//);
    const taskDefinition = Object.values(template.Resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition')?.Properties ?? {};
    const roles = {
      taskRoleArn: resolveTokens(taskDefinition.TaskRoleArn, template) as string,
      executionRoleArn: resolveTokens(taskDefinition.ExecutionRoleArn, template) as string,
    };
    expect(roles.taskRoleArn).toMatch(/^arn:aws:iam::111122223333:role\//);
    expect(roles.executionRoleArn).toMatch(/^arn:aws:iam::111122223333:role\//);
    expect(disallowedRoles(config.taskRoleArns, roles)).toEqual([]);
    // The separate output carries the same roles.
    expect(JSON.parse(resolveTokens(template.Outputs?.CutoverTaskRoleArns?.Value, template) as string)).toEqual(config.taskRoleArns);

    // The control plane redeployed with it: iam:PassRole names exactly those roles.
    const { template: plane } = synthStack({ config, fixtures: false });
    const passRole = resourcesOfType(plane, 'AWS::IAM::Policy')
      .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> } | undefined)?.Statement ?? [])
      .filter((s) => JSON.stringify(s.Action).includes('iam:PassRole'))
      // The native engine passes the role ECS assumes to invoke Cutover's hook, to ECS itself (issue #17).
      .filter((s) => !JSON.stringify(s).includes('ecs.amazonaws.com"'));
    expect(passRole.length).toBeGreaterThan(0);
    for (const s of passRole) expect([s.Resource].flat().sort()).toEqual([...config.taskRoleArns].sort());
  });
});

describe('the first day as the README writes it', () => {
  it('names every step this file synthesizes, in order, and the teardown', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Try it on AWS'));
    const steps = [
      '{ "services": [] }',
      'npx cdk bootstrap',
      'npx cdk deploy CutoverStack',
      'npx cdk deploy CutoverDemoService -c demo=true',
      "OutputKey=='CutoverConfig'",
      'aws ecr get-login-password',
      'docker push',
      'npx cutover status web --watch',
      'npx cdk destroy CutoverStack',
      'npx cdk destroy CutoverDemoService -c demo=true',
    ];
    const at = steps.map((s) => section.indexOf(s));
    expect(at.every((i) => i >= 0), JSON.stringify(steps.filter((_, i) => (at[i] ?? -1) < 0))).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(section).toMatch(/CutoverTaskRoleArns/);
    expect(section).toMatch(/Retained/);
  });
});
