/**
 * A small hand-built rehearsal trace (a canary that an alarm rolls back) for the report tests that
 * need no run, and a cached real run of the demo scenarios for those that do.
 */
import type { DeploymentRecord, TargetGroupWeight } from '../../functions/core/model.js';
import { runScenario, type ScenarioTrace } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { builtinScenario } from '../../local/scenarios/builtin.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const at = (s: number) => T0 + s * 1000;
export const iso = (s: number) => new Date(at(s)).toISOString();

export const BLUE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-a/0123456789abcdef';
export const GREEN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-b/fedcba9876543210';
const w = (blue: number): TargetGroupWeight[] => [
  { targetGroupArn: BLUE, weight: blue },
  { targetGroupArn: GREEN, weight: 100 - blue },
];

const record: DeploymentRecord = {
  deploymentId: 'api-production-0123456789abcdef',
  service: 'api',
  environment: 'production',
  status: 'ROLLED_BACK',
  image: { repository: 'shop/api', digest: `sha256:${'ab'.repeat(32)}`, tag: 'v2', uri: 'x' },
  strategy: 'canary',
  plan: { strategy: 'canary', steps: [{ kind: 'shift', percent: 10 }, { kind: 'bake', seconds: 300 }, { kind: 'shift', percent: 100 }] },
  blue: { targetGroupArn: BLUE, taskSetId: 'ts-blue' },
  green: { targetGroupArn: GREEN, taskSetId: 'ts-green' },
  alarmNames: ['api-5xx-a', 'api-5xx-b'],
  reason: { code: 'AlarmTriggered', message: 'Alarm api-5xx-b is in ALARM' },
  timeline: [
    { key: 'queued', kind: 'queued', at: iso(10), detail: { trigger: { kind: 'ecr-push' } } },
    { key: 'started', kind: 'started', at: iso(10), detail: { weights: w(100), greenTargetGroupArn: GREEN } },
    { key: 'green-healthy', kind: 'green', at: iso(70), detail: { healthy: 4, required: 4 } },
    { key: 'shift-0', kind: 'shift', at: iso(70), detail: { percent: 10, weights: w(90) } },
    { key: 'bake-1', kind: 'bake', at: iso(70), detail: { step: { kind: 'bake', seconds: 300 } } },
    { key: 'alarm-x', kind: 'alarm', at: iso(120), detail: { alarmName: 'api-5xx-b', reason: 'Threshold Crossed' } },
    { key: 'rollback-traffic', kind: 'rollback', at: iso(121), detail: { weights: w(100), reason: { code: 'AlarmTriggered', message: 'Alarm api-5xx-b is in ALARM' } } },
    { key: 'rolled_back', kind: 'terminal', at: iso(121), detail: { reason: { code: 'AlarmTriggered', message: 'Alarm api-5xx-b is in ALARM' } } },
    { key: 'something-new', kind: 'hook', at: iso(121), detail: { name: 'smoke', passed: true } },
  ],
  createdAt: iso(10),
  updatedAt: iso(121),
};

const alarmEvent = (s: number, name: string, previous: string, state: string) => ({
  version: '0',
  id: `${name}-${s}`,
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: iso(s),
  region: 'us-east-1',
  resources: [],
  detail: { alarmName: name, previousState: { value: previous }, state: { value: state, reason: 'because', timestamp: iso(s).replace('Z', '+0000').replace(/\.\d{3}/, '.000') } },
});

/** A trace shaped like runScenario's, for one rolled-back canary. */
export function syntheticTrace(): ScenarioTrace {
  return {
    summary: {
      scenario: 'synthetic',
      deployments: [
        {
          service: 'api',
          environment: 'production',
          deploymentId: record.deploymentId,
          status: 'ROLLED_BACK',
          reason: 'AlarmTriggered: Alarm api-5xx-b is in ALARM',
          reasonCode: 'AlarmTriggered',
          stateTransitions: 25,
          lambdaInvocations: 11,
          virtualSeconds: 111,
          rollbackReaction: { transitions: 2, virtualSeconds: 1 },
          largestPayloadBytes: 4096,
          historyEvents: 120,
        },
      ],
      invariantViolations: [],
    },
    startMs: T0,
    endMs: at(125),
    records: [record],
    executions: [
      {
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:cutover-deploy:${record.deploymentId}`,
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:cutover-deploy',
        name: record.deploymentId,
        input: '{}',
        status: 'FAILED',
        startMs: at(10),
        stopMs: at(121),
        transitions: 25,
        retries: 0,
        lambdaInvocations: 11,
        historyEvents: 120,
        largestPayloadBytes: 4096,
        history: [],
        statesEntered: [],
        openStates: [],
      },
    ],
    weights: [
      { at: T0, service: 'api', environment: 'production', weights: w(100) },
      { at: at(70), service: 'api', environment: 'production', weights: w(90) },
      { at: at(121), service: 'api', environment: 'production', weights: w(100) },
    ],
    awsEvents: [
      alarmEvent(60, 'api-5xx-a', 'INSUFFICIENT_DATA', 'OK'),
      alarmEvent(120, 'api-5xx-b', 'OK', 'ALARM'),
      alarmEvent(120, 'other-service-alarm', 'OK', 'ALARM'),
    ] as unknown as ScenarioTrace['awsEvents'],
    lifecycleEvents: [],
    apiCalls: 42,
    deploymentMetrics: [],
    metrics: [
      { at: T0, targetGroupArn: BLUE, requests: 1200, errors: 2, latencyMs: 80 },
      { at: at(60), targetGroupArn: BLUE, requests: 1100, errors: 2, latencyMs: 81 },
      { at: at(60), targetGroupArn: GREEN, requests: 100, errors: 40, latencyMs: 90 },
      { at: at(120), targetGroupArn: GREEN, requests: 0, errors: 0, latencyMs: null },
    ],
  };
}

const runs = new Map<string, Promise<ScenarioTrace>>();
/** A built-in scenario, run once per test file. */
export function runBuiltin(name: string): Promise<ScenarioTrace> {
  let run = runs.get(name);
  if (!run) {
    run = runScenario(parseScenario(builtinScenario(name), name));
    runs.set(name, run);
  }
  return run;
}
