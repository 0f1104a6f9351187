/**
 * The dashboard and the alarms on Cutover itself, as synthesized.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { HANDLER_NAMES } from '../../lib/handlers.js';
import { longestRunSeconds, METRIC, METRICS_NAMESPACE } from '../../lib/observability.js';
import { manyServices, synthStack } from '../helpers/cdk.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };
const ofType = (t: Template, type: string) =>
  Object.values(t.toJSON().Resources as Record<string, Resource>).filter((r) => r.Type === type);

describe('CutoverObservability', () => {
  const { template, stack } = synthStack();

  it('alarms on every handler error, every dead-letter queue, failed and stopped deployments, a stuck one and rejected events', () => {
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm');
    const dlqs = Object.values(stack.controlPlane.deadLetterQueues).filter(Boolean).length;
    const scheduleDlq = stack.controlPlane.scheduleDeadLetterQueue ? 1 : 0;
    expect(scheduleDlq).toBe(1);
    expect(alarms).toHaveLength(HANDLER_NAMES.length + dlqs + scheduleDlq + 4);
    const stuck = alarms.find((a) => JSON.stringify(a.Properties).includes(METRIC.oldestInFlight));
    expect(stuck?.Properties?.Threshold).toBe(longestRunSeconds(stack.controlPlane.config));
    expect(JSON.stringify(stuck?.Properties?.Metrics)).toContain(`SELECT MAX(${METRIC.oldestInFlight}) FROM SCHEMA(\\"${METRICS_NAMESPACE}\\", environment, service)`);
  });

  it('no alarm uses SEARCH (CloudWatch refuses it in an alarm); the fleet-wide ones are Metrics Insights queries', () => {
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm');
    for (const a of alarms) expect(JSON.stringify(a.Properties)).not.toContain('SEARCH(');
    const failed = alarms.find((a) => JSON.stringify(a.Properties).includes(METRIC.failed));
    const metrics = failed?.Properties?.Metrics as Array<{ Expression?: string; ReturnData?: boolean }>;
    expect(metrics).toEqual([expect.objectContaining({ Expression: `SELECT SUM(${METRIC.failed}) FROM SCHEMA("${METRICS_NAMESPACE}", environment, service)` })]);
  });

  it('alarms on RejectedEvents (no dimension: what intake and the alarm watcher publish) as soon as one arrives', () => {
    const alarm = ofType(template, 'AWS::CloudWatch::Alarm').find((a) => a.Properties?.MetricName === METRIC.rejectedEvents);
    expect(alarm?.Properties).toMatchObject({ Namespace: METRICS_NAMESPACE, Statistic: 'Sum', Period: 300, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    expect(alarm?.Properties?.Dimensions).toBeUndefined();
  });

  it("forwards the state changes of Cutover's own alarms (and only those) to Cutover's bus", () => {
    const rules = ofType(template, 'AWS::Events::Rule');
    // (The native engine's rule on ECS deployment state changes names services in `resources` too.)
    const forward = rules.find((r) => JSON.stringify(r.Properties?.EventPattern ?? {}).includes('"resources"') && (r.Properties?.EventPattern as { source?: string[] } | undefined)?.source?.[0] === 'aws.cloudwatch');
    const pattern = forward?.Properties?.EventPattern as { source: string[]; resources: unknown[] };
    expect(pattern.source).toEqual(['aws.cloudwatch']);
    expect(pattern.resources).toHaveLength(ofType(template, 'AWS::CloudWatch::Alarm').length);
    const targets = forward?.Properties?.Targets as Array<{ Arn: unknown }>;
    expect(JSON.stringify(targets[0]?.Arn)).toContain('Bus');
  });

  it('has one dashboard with the four DORA measures, in-flight deployments and rollback reasons', () => {
    const dashboards = ofType(template, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties?.DashboardBody);
    for (const title of ['Deployment frequency', 'Lead time', 'Change failure rate', 'Time to restore', 'in flight', 'Rollback reasons']) {
      expect(body).toContain(title);
    }
    for (const metric of [METRIC.succeeded, METRIC.leadTime, METRIC.rolledBack, METRIC.timeToRestore, METRIC.rollbackReason]) {
      expect(body).toContain(metric);
    }
  });

  it('does not grow with services: the same alarms and dashboard at 1 and at 50', () => {
    const count = (n: number) => {
      const t = synthStack({ config: parseConfig(manyServices(n)) }).template;
      return [ofType(t, 'AWS::CloudWatch::Alarm').length, ofType(t, 'AWS::CloudWatch::Dashboard').length];
    };
    expect(count(50)).toEqual(count(1));
  });

  it('the stuck threshold covers every bake extension, approvals and proportional scale-ups', () => {
    const config = parseConfig(manyServices(1));
    const svc = config.services[0];
    if (!svc) throw new Error('no service');
    const withSteps = parseConfig({
      ...config,
      services: [{ ...svc, capacity: 'proportional', strategy: { type: 'steps', steps: [{ percent: 50, bakeSeconds: 100 }, { approval: { timeoutSeconds: 600 } }, { percent: 100 }] } }],
    });
    const s = withSteps.services[0];
    if (!s) throw new Error('no service');
    const expected = s.healthTimeoutSeconds + 100 * (1 + s.analysis.maxExtensions) + 600 + 2 * s.healthTimeoutSeconds + s.terminationWaitSeconds + 1800;
    expect(longestRunSeconds(withSteps)).toBe(expected);
  });
});
