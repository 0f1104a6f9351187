/**
 * What an idle control plane keeps running, and the configuration fields that turn it down
 * (issue #16, "Costs nothing while nobody deploys is not true"). Each field changes the template;
 * the counts docs/cost.md prices are those of a real synth of the sample configuration.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CutoverConfig, parseConfig } from '../../functions/core/config.js';
import { exampleConfig, REPO_ROOT, resourcesOfType, synthStack } from '../helpers/cdk.js';

const withFields = (fields: Record<string, unknown>): CutoverConfig => parseConfig({ ...exampleConfig(), ...fields }, 'cost-settings');
const real = (config: CutoverConfig) => synthStack({ config, fixtures: false }).template;
const count = (t: Template, type: string) => resourcesOfType(t, type).length;
const reconcileRule = (t: Template) => resourcesOfType(t, 'AWS::Events::Rule').find(([id]) => id.startsWith('ControlPlaneReconcileSchedule'))?.[1];

/** The idle inventory docs/cost.md prices. */
function inventory(t: Template) {
  return {
    alarms: count(t, 'AWS::CloudWatch::Alarm'),
    dashboards: count(t, 'AWS::CloudWatch::Dashboard'),
    logGroups: count(t, 'AWS::Logs::LogGroup'),
    archives: count(t, 'AWS::Events::Archive'),
    stateMachines: count(t, 'AWS::StepFunctions::StateMachine'),
    functions: count(t, 'AWS::Lambda::Function'),
    tables: count(t, 'AWS::DynamoDB::GlobalTable') + count(t, 'AWS::DynamoDB::Table'),
  };
}

describe('the idle control plane (sample configuration, real handlers and state machines)', () => {
  let template: Template;
  beforeAll(() => {
    template = real(exampleConfig());
  }, 120_000);

  it('has the resources docs/cost.md prices, in the numbers it states', () => {
    const inv = inventory(template);
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'cost.md'), 'utf8');
    // docs/cost.md states the inventory in one line: "Counted from a synth: A alarms, D dashboard, L log groups, ..."
    const line = /Counted from a synth of the sample configuration: (\d+) alarms, (\d+) dashboard, (\d+) log groups, (\d+) event archive, (\d+) state machines, (\d+) Lambda functions, (\d+) DynamoDB table/.exec(doc);
    expect(line, 'docs/cost.md states the inventory').not.toBeNull();
    expect(line?.slice(1).map(Number)).toEqual([inv.alarms, inv.dashboards, inv.logGroups, inv.archives, inv.stateMachines, inv.functions, inv.tables]);
  });

  it('sweeps every 5 minutes by default, enabled (8,640 executions in a 30-day month)', () => {
    expect(reconcileRule(template)?.Properties).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
  });
});

describe('each field that turns the idle cost down changes the template', () => {
  it('reconcileSchedule: the sweep runs at the given rate, or its rule is disabled with "off"', () => {
    expect(reconcileRule(real(withFields({ reconcileSchedule: 'rate(1 hour)' })))?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
    });
    expect(reconcileRule(real(withFields({ reconcileSchedule: 'off' })))?.Properties?.State).toBe('DISABLED');
    expect(() => withFields({ reconcileSchedule: 'every 5 minutes' })).toThrow(/reconcileSchedule: .*must be an EventBridge schedule/);
  });

  it('observability.dashboard false: no dashboard; the alarms stay', () => {
    const t = real(withFields({ observability: { dashboard: false } }));
    expect(count(t, 'AWS::CloudWatch::Dashboard')).toBe(0);
    expect(count(t, 'AWS::CloudWatch::Alarm')).toBeGreaterThan(10);
  });

  it('observability.cutoverAlarms false: no alarm on Cutover itself and no forwarding rule; the dashboard stays', () => {
    const t = real(withFields({ observability: { cutoverAlarms: false } }));
    expect(count(t, 'AWS::CloudWatch::Alarm')).toBe(0);
    expect(resourcesOfType(t, 'AWS::Events::Rule').filter(([id]) => id.includes('ForwardAlarmsToBus'))).toEqual([]);
    expect(count(t, 'AWS::CloudWatch::Dashboard')).toBe(1);
  });

  it('eventArchiveDays: the archive keeps events that long; 0 creates no archive', () => {
    const week = real(withFields({ eventArchiveDays: 7 }));
    expect(resourcesOfType(week, 'AWS::Events::Archive')[0]?.[1].Properties?.RetentionDays).toBe(7);
    expect(count(real(withFields({ eventArchiveDays: 0 })), 'AWS::Events::Archive')).toBe(0);
    expect(() => withFields({ eventArchiveDays: -1 })).toThrow(/eventArchiveDays/);
  });
});

describe('safe defaults', () => {
  it('cleanup.deleteImages is opt-in: false unless a service sets it', () => {
    const config = exampleConfig();
    expect(config.services.every((s) => s.cleanup.deleteImages === false)).toBe(true);
    const raw = JSON.parse(JSON.stringify(config)) as { services: Array<Record<string, unknown>> };
    raw.services[0] = { ...raw.services[0], cleanup: { deleteImages: true } };
    expect(parseConfig(raw).services[0]?.cleanup.deleteImages).toBe(true);
  });

  it('an empty service list is a valid configuration (the first deploy into a new account)', () => {
    expect(parseConfig({ services: [] }).services).toEqual([]);
  });
});
