/**
 * The built-in scenarios, built in code so they share one realistic world, and exported as JSON
 * files under examples/scenarios/ (`npm run scenarios:export`; a test keeps the files in step).
 */
import { createHash } from 'node:crypto';
import type { ScenarioInput } from '../scenario.js';
import { MAINTENANCE_SCENARIOS } from './maintenance.js';
import { GATE_SCENARIOS } from './gates.js';
import { NATIVE_SCENARIOS } from './native.js';
import { WORKER_SCENARIOS } from './workers.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

/**
 * The roles Cutover may pass to ECS (`taskRoleArns`): the local world gives every family `F` the
 * task role `role/F-task` and the execution role `role/F-execution`.
 */
export const TASK_ROLE_ARNS = [`arn:aws:iam::${ACCOUNT}:role/*-task`, `arn:aws:iam::${ACCOUNT}:role/*-execution`];

const hex16 = (label: string): string => createHash('sha256').update(label).digest('hex').slice(0, 16);
/** A deterministic, well-formed image digest for a label. */
export const digestOf = (label: string): string => `sha256:${createHash('sha256').update(label).digest('hex')}`;

const elb = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
export const listenerArn = (lb: string, port: number) => `${elb}:listener/app/${lb}/${hex16(lb)}/${hex16(`${lb}:${port}`)}`;
export const ruleArn = (lb: string, port: number, rule: string) =>
  `${elb}:listener-rule/app/${lb}/${hex16(lb)}/${hex16(`${lb}:${port}`)}/${hex16(rule)}`;
export const targetGroupArn = (name: string) => `${elb}:targetgroup/${name}/${hex16(name)}`;

type Strategy = Record<string, unknown> & { type: string };

interface ServiceOptions {
  readonly name?: string;
  readonly repository?: string;
  readonly strategy?: Strategy;
  readonly rule?: boolean;
  readonly testListener?: boolean;
  readonly alarms?: string[];
  readonly extra?: Record<string, unknown>;
}

/** One managed service on the shared demo ALB. */
export function service(opts: ServiceOptions = {}): Record<string, unknown> {
  const name = opts.name ?? 'api';
  return {
    name,
    environment: 'production',
    cluster: 'demo',
    service: name,
    containerName: 'app',
    repository: opts.repository ?? 'shop/api',
    tagFilter: '*',
    ...(opts.rule ? { listenerRuleArn: ruleArn('demo', 443, name) } : { listenerArn: listenerArn(`${name}-alb`, 443) }),
    targetGroupArns: [targetGroupArn(`${name}-a`), targetGroupArn(`${name}-b`)],
    ...(opts.testListener ? { testListenerArn: listenerArn(`${name}-alb`, 8443) } : {}),
    // One 5xx alarm per target group: whichever side is green, its alarm is watched.
    alarms: (opts.alarms ?? [`${name}-5xx`]).flatMap((a) => [`${a}-a`, `${a}-b`]),
    strategy: opts.strategy ?? { type: 'canary', percent: 10, bakeSeconds: 300 },
    healthTimeoutSeconds: 300,
    terminationWaitSeconds: 300,
    ...(opts.extra ?? {}),
  };
}

const GOOD = digestOf('shop/api:v1');
const NEXT = digestOf('shop/api:v2');

function base(
  name: string,
  description: string,
  services: Record<string, unknown>[],
  timeline: ScenarioInput['timeline'],
  expect: NonNullable<ScenarioInput['expect']>['deployments'],
  images: ScenarioInput['world']['images'] = [],
  world: { readonly requestsPerMinute?: number; readonly productionForward?: 'blue-only' | 'blue-only-forward-config' } = {},
): ScenarioInput {
  const repos = [...new Set(services.map((s) => s.repository as string))];
  return {
    name,
    description,
    accountId: ACCOUNT,
    region: REGION,
    config: { account: ACCOUNT, region: REGION, taskRoleArns: TASK_ROLE_ARNS, services },
    world: {
      services: services.map((s) => ({
        service: s.name as string,
        desiredCount: 4,
        requestsPerMinute: world.requestsPerMinute ?? 1200,
        initialDigest: GOOD,
        ...(world.productionForward ? { productionForward: world.productionForward } : {}),
      })),
      images: [
        ...repos.map((repository) => ({ repository, digest: GOOD, tags: ['v1'], profile: { errorRate: 0.002, latencyMs: 80 } })),
        ...images,
      ],
      alarms: services.flatMap((s) =>
        ((s.alarms as string[]) ?? []).map((alarm) => ({
          name: alarm,
          service: s.name as string,
          targetGroupIndex: alarm.endsWith('-b') ? (1 as const) : (0 as const),
          ...alarmKind(alarm),
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
        })),
      ),
    },
    timeline,
    expect: { deployments: expect },
  };
}

/**
 * What a config alarm name watches in the world: `*-p99-*` the target group's p99 latency above 1 s,
 * `*-unhealthy-*` any unhealthy target, anything else more than 10 target 5xx a minute.
 */
function alarmKind(name: string) {
  if (name.includes('-p99')) return { metric: 'TargetResponseTime' as const, statistic: 'p99', threshold: 1 };
  if (name.includes('-unhealthy')) return { metric: 'UnHealthyHostCount' as const, statistic: 'Maximum' as const, threshold: 0 };
  return { metric: 'HTTPCode_Target_5XX_Count' as const, statistic: 'Sum' as const, threshold: 10 };
}

const push = (at: number, digest: string, tag: string, extra: Record<string, unknown> = {}) =>
  ({ at, kind: 'push' as const, repository: 'shop/api', digest, tag, ...extra });
const goodProfile = { errorRate: 0.002, latencyMs: 82 };
const operator = (at: number, action: string, extra: Record<string, unknown> = {}) =>
  ({ at, kind: 'operator' as const, action, service: 'api', by: 'alice@example.com', ...extra });

export const BUILTIN_SCENARIOS: ScenarioInput[] = [
  base('good-canary', 'A healthy release: 10 % canary, 5-minute bake with the analysis, then 100 %.',
    [service()], [push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }]),
  base('good-linear', 'A healthy release shifted 25 % at a time, 2 minutes between steps.',
    [service({ strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 120 } })],
    [push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }]),
  base('good-blue-green', 'Blue-green: green baked on the test listener with 0 % production, then switched at once.',
    [service({ strategy: { type: 'blue-green', bakeSeconds: 300 }, testListener: true })],
    [push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }]),
  base('good-all-at-once', 'All traffic to green as soon as it is healthy, then a 2-minute bake. Production starts as the console sets it up: a plain forward to blue alone; green is added at weight 0 before its task set is created.',
    [service({ strategy: { type: 'all-at-once', bakeSeconds: 120 } })],
    [push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }], [], { productionForward: 'blue-only' }),
  base('good-steps', 'An explicit list of steps: 5 %, 25 %, 50 %, 100 %.',
    [service({ strategy: { type: 'steps', steps: [
      { percent: 5, bakeSeconds: 180 }, { percent: 25, bakeSeconds: 120 }, { percent: 50, bakeSeconds: 120 }, { percent: 100 },
    ] } })],
    [push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }]),
  base('unhealthy-release', 'Green never passes its health checks: rolled back with HealthCheckTimeout, no production traffic moved.',
    [service()], [push(10, NEXT, 'v2', { profile: { errorRate: 0.002, latencyMs: 80, healthy: false } })],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'HealthCheckTimeout' }]),
  base('superseded-push', 'Three pushes in quick succession: the first completes, the middle one is superseded, the last succeeds.',
    [service()],
    [
      push(10, digestOf('shop/api:v2'), 'v2', { profile: goodProfile }),
      push(40, digestOf('shop/api:v3'), 'v3', { profile: goodProfile }),
      push(70, digestOf('shop/api:v4'), 'v4', { profile: goodProfile }),
    ],
    [
      { service: 'api', status: 'SUCCEEDED' },
      { service: 'api', status: 'SUPERSEDED', reasonCode: 'Superseded' },
      { service: 'api', status: 'SUCCEEDED' },
    ]),
  base('duplicate-event', 'EventBridge delivers the same push event twice: one deployment.',
    [service()], [push(10, NEXT, 'v2', { profile: goodProfile, deliveries: 2 })],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }]),
  base('two-services-one-repo', 'One repository feeds two services: one push rolls out to both, each with its own strategy.',
    [service(), service({ name: 'checkout', strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 120 } })],
    [push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'SUCCEEDED' }, { service: 'checkout', status: 'SUCCEEDED' }]),
  base('rule-listener', 'A shared ALB: production traffic is a listener rule, not the default action.',
    [service({ rule: true })], [push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }]),
  base('bad-release-alarm', 'A bad release: its 5xx alarm fires during the canary bake and the deployment rolls back at once.',
    [service()], [push(10, NEXT, 'v2', { profile: { errorRate: 0.35, latencyMs: 90 } })],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' }]),
  base('bad-release-p99', 'A release whose average latency looks acceptable (150 ms) but whose slowest 1 % take 1.8 s: its p99 latency alarm (ExtendedStatistic p99 on the target group, threshold 1 s) fires during the canary bake and the deployment rolls back.',
    [service({ alarms: ['api-5xx', 'api-p99'] })], [push(10, NEXT, 'v2', { profile: { errorRate: 0.002, latencyMs: 150, p99LatencyMs: 1800 } })],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' }]),
  base('analysis-fail', 'A release a little worse than blue, below the alarm threshold: the canary analysis fails it.',
    [service({ alarms: [] })], [push(10, NEXT, 'v2', { profile: { errorRate: 0.03, latencyMs: 140 } })],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AnalysisFailed' }]),
  base('alarm-already-firing', 'A watched alarm is already in ALARM when green becomes healthy: the pre-traffic check rolls back before any production traffic moves to green.',
    [service()],
    [
      push(10, NEXT, 'v2', { profile: goodProfile }),
      { at: 20, kind: 'alarm', name: 'api-5xx-a', state: 'ALARM', reason: 'Threshold Crossed: 5xx on the live version (set by the scenario)', holdSeconds: 1800 },
    ],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' }]),
  base('analysis-inconclusive', 'Too little traffic for a verdict: api extends its bake twice and then fails by its policy; checkout (onInconclusive pass) goes on.',
    [
      service({ alarms: [] }),
      service({ name: 'checkout', alarms: [], extra: { analysis: { onInconclusive: 'pass' } } }),
    ],
    [push(10, NEXT, 'v2', { profile: goodProfile })],
    [
      { service: 'api', status: 'ROLLED_BACK', reasonCode: 'AnalysisFailed' },
      { service: 'checkout', status: 'SUCCEEDED', reasonCode: 'Promoted' },
    ],
    [], { requestsPerMinute: 30 }),
  base('abort', 'An operator aborts a canary during its bake: traffic back on blue at once, ROLLED_BACK with the reason Aborted and who asked.',
    [service({ strategy: { type: 'canary', percent: 10, bakeSeconds: 1800 } })],
    [push(10, NEXT, 'v2', { profile: goodProfile }), operator(300, 'abort', { reason: 'checkout error budget is burning' })],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'Aborted' }]),
  base('promote-now', 'Linear 25 % every 20 minutes: an operator promotes the first bake early, then promotes fully from 50 %.',
    [service({ strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1200 } })],
    [push(10, NEXT, 'v2', { profile: goodProfile }), operator(200, 'promote'), operator(400, 'promote-fully')],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }]),
  base('approval-gate', 'An approval step after 20 %: api is approved (an early approve during the bake is refused with NotWaitingForApproval); checkout is not, and its gate expires into a rollback.',
    [
      service({ strategy: { type: 'steps', steps: [{ percent: 20, bakeSeconds: 120 }, { approval: { timeoutSeconds: 1800, onTimeout: 'abort' } }, { percent: 100 }] } }),
      service({ name: 'checkout', strategy: { type: 'steps', steps: [{ percent: 20, bakeSeconds: 120 }, { approval: { timeoutSeconds: 600, onTimeout: 'abort' } }, { percent: 100 }] } }),
    ],
    [push(10, NEXT, 'v2', { profile: goodProfile }), operator(120, 'approve'), operator(400, 'approve')],
    [
      { service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' },
      { service: 'checkout', status: 'ROLLED_BACK', reasonCode: 'Aborted' },
    ]),
  base('rollback-after-success', 'Rollback after success: to the previous version once blue is gone (a deployment of that revision, all at once), and in a termination wait (a weight flip).',
    [service({ strategy: { type: 'canary', percent: 10, bakeSeconds: 120 } })],
    [
      push(10, NEXT, 'v2', { profile: goodProfile }),
      push(800, digestOf('shop/api:v3'), 'v3', { profile: goodProfile }),
      { at: 1500, kind: 'rollback', service: 'api', reason: 'v3 breaks the mobile app', by: 'alice@example.com' },
      push(2200, digestOf('shop/api:v4'), 'v4', { profile: goodProfile }),
      { at: 2700, kind: 'rollback', service: 'api', reason: 'v4 logs too much', by: 'bob@example.com' },
    ],
    [
      { service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' },
      { service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' },
      { service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' },
      { service: 'api', status: 'ROLLED_BACK', reasonCode: 'RollbackRequested' },
    ]),
  base('fault-throttle', 'AWS throttles: the first calls of everything, two listener writes and two table writes. Retries with backoff and jitter: the release still goes out.',
    [service()],
    [
      { at: 11, kind: 'fault', operation: '*', fault: 'throttle', count: 3 },
      push(10, NEXT, 'v2', { profile: goodProfile }),
      { at: 60, kind: 'fault', operation: 'ElasticLoadBalancingV2:ModifyListener', fault: 'throttle', count: 2 },
      { at: 60, kind: 'fault', operation: 'DynamoDB:UpdateItem', fault: 'throttle', count: 2 },
      { at: 60, kind: 'fault', operation: 'ECS:DescribeServices', fault: 'timeout', count: 1 },
    ],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }]),
  base('fault-5xx', 'ECS answers 500 to every CreateTaskSet: after its retries the deployment rolls back cleanly, nothing left behind.',
    [service()],
    [{ at: 0, kind: 'fault', operation: 'ECS:CreateTaskSet', fault: '5xx' }, push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AwsUnavailable' }]),
  base('stopped-execution', 'Someone stops the deploy execution in the console mid-canary (Catch does not run): the reconcile sweep rolls it back and closes it.',
    [service({ strategy: { type: 'canary', percent: 10, bakeSeconds: 1800 } })],
    [push(10, NEXT, 'v2', { profile: goodProfile }), { at: 300, kind: 'stop-execution', service: 'api' }, { at: 600, kind: 'reconcile' }],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'ExecutionStopped' }]),
  base('lost-push-event', 'EventBridge never delivers the push event: the reconcile sweep finds the newest image without a deployment and deploys it.',
    [service()],
    [push(10, NEXT, 'v2', { profile: goodProfile, deliveries: 0 }), { at: 300, kind: 'reconcile' }],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }]),
  // Cleanup and scaling (local/scenarios/maintenance.ts).
  ...MAINTENANCE_SCENARIOS,
  // Release gates and the release pipeline (local/scenarios/gates.ts).
  ...GATE_SCENARIOS,
  // Workers with no load balancer, by share of tasks (local/scenarios/workers.ts, issue #18).
  ...WORKER_SCENARIOS,
  // ECS-controller services deployed by ECS's own deployments (local/scenarios/native.ts, issue #17).
  ...NATIVE_SCENARIOS,
];

export function builtinScenario(name: string): ScenarioInput | undefined {
  return BUILTIN_SCENARIOS.find((s) => s.name === name);
}
