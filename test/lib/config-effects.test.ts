/**
 * "What the configuration says is what the template does": every configuration field the README and
 * docs/configuration.md say changes the stack, set to a value other than its default, is found in
 * the synthesized template (issue #12, defect 2: `cleanupSchedule` was validated and documented,
 * and the stack ignored it — the daily cleanup ran with `"cleanupSchedule": "off"`).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CutoverConfig, parseConfig } from '../../functions/core/config.js';
import { type CfnResource, everyFeatureConfig, HOOKS, resourcesOfType, synthStack } from '../helpers/cdk.js';

const OTHER_ACCOUNT = '210987654321';
const OTHER_REGION = 'eu-west-3';

/** everyFeatureConfig with every stack-changing top-level field away from its default. */
function nonDefaultConfig(overrides: Record<string, unknown> = {}): CutoverConfig {
  const base = everyFeatureConfig();
  const swap = (s: string) => s.replaceAll('123456789012', OTHER_ACCOUNT).replaceAll('us-east-1', OTHER_REGION);
  const raw = JSON.parse(swap(JSON.stringify(base))) as Record<string, unknown>;
  return parseConfig(
    {
      ...raw,
      cleanupSchedule: 'cron(15 4 ? * SAT *)',
      ...overrides,
    },
    'nonDefaultConfig',
  );
}

const rule = (t: Template, prefix: string): CfnResource => {
  const hit = resourcesOfType(t, 'AWS::Events::Rule').find(([id]) => id.startsWith(prefix));
  if (!hit) throw new Error(`no rule ${prefix}`);
  return hit[1];
};
const text = (t: Template) => JSON.stringify(t.toJSON());

describe('every configuration field that the docs say changes the stack, set to a non-default value, shows in the template', () => {
  let template: Template;
  let config: CutoverConfig;
  let stackEnv: { account: string; region: string };
  beforeAll(() => {
    config = nonDefaultConfig();
    const { template: t, stack } = synthStack({ config });
    template = t;
    stackEnv = { account: stack.account, region: stack.region };
  });

  it('cleanupSchedule: the cleanup rule runs at the configured cron, enabled', () => {
    const r = rule(template, 'ControlPlaneCleanupSchedule');
    expect(r.Properties?.ScheduleExpression).toBe('cron(15 4 ? * SAT *)');
    expect(r.Properties?.State).toBe('ENABLED');
  });

  it('cleanupSchedule "off": the cleanup rule is disabled (and a rate() expression is taken as is)', () => {
    const off = synthStack({ config: nonDefaultConfig({ cleanupSchedule: 'off' }) }).template;
    expect(rule(off, 'ControlPlaneCleanupSchedule').Properties?.State).toBe('DISABLED');
    const rate = synthStack({ config: nonDefaultConfig({ cleanupSchedule: 'rate(12 hours)' }) }).template;
    expect(rule(rate, 'ControlPlaneCleanupSchedule').Properties?.ScheduleExpression).toBe('rate(12 hours)');
  });

  it('account and region: the stack environment', () => {
    expect(stackEnv).toEqual({ account: OTHER_ACCOUNT, region: OTHER_REGION });
  });

  it('taskRoleArns: iam:PassRole names exactly those roles', () => {
    for (const arn of config.taskRoleArns) expect(text(template)).toContain(arn);
  });

  it('services[].repository and tagFilter-fed pushes: the ECR rule lists the repository', () => {
    const pattern = JSON.stringify(rule(template, 'ControlPlaneEcrPush').Properties?.EventPattern);
    expect(pattern).toContain(config.services[0]?.repository);
  });

  it('services[].alarms: the alarm rule lists the alarm names', () => {
    const pattern = JSON.stringify(rule(template, 'ControlPlaneAlarmStateChange').Properties?.EventPattern);
    for (const alarm of config.services.flatMap((s) => s.alarms)) expect(pattern).toContain(alarm);
  });

  it('services[].hooks and environments[].verification.hooks: invoke permission on exactly those functions', () => {
    const t = text(template);
    for (const hook of [HOOKS.afterHealthy, HOOKS.beforeShift, HOOKS.verifyProduction]) {
      expect(t).toContain(hook.replaceAll('123456789012', OTHER_ACCOUNT).replaceAll('us-east-1', OTHER_REGION));
    }
  });

  it('services[].scaling: min/max on the scalable target, target tracking at targetCpuPercent, a schedule per scheduled rule (with its time zone)', () => {
    const [, target] = resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalableTarget')[0] ?? [];
    expect(target?.Properties).toMatchObject({ MinCapacity: 2, MaxCapacity: 10 });
    const policy = resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalingPolicy')[0]?.[1];
    expect(policy?.Properties?.TargetTrackingScalingPolicyConfiguration?.TargetValue).toBe(60);
    const schedules = JSON.stringify(resourcesOfType(template, 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties));
    expect(schedules).toContain('cron(0 8 ? * MON-FRI *)');
    expect(schedules).toContain('Europe/Paris');
    expect(schedules).toContain('rate(1 day)');
    const alarmPatterns = JSON.stringify(resourcesOfType(template, 'AWS::Events::Rule').map(([, r]) => r.Properties?.EventPattern));
    expect(alarmPatterns).toContain('checkout-busy');
  });
});
