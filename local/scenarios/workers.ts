/**
 * Built-in scenarios of worker services (issue #18): a queue consumer with no load balancer,
 * deployed by share of tasks. The world publishes its application metrics per version and its
 * queue's age (local/world/workers.ts); the config names them for the analysis and the alarm.
 * Part of the built-in scenarios (local/scenarios/builtin.ts).
 */
import { createHash } from 'node:crypto';
import type { ScenarioInput } from '../scenario.js';

// Self-contained (as maintenance.ts and gates.ts): the same account, region, roles and digests as builtin.ts.
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TASK_ROLE_ARNS = [`arn:aws:iam::${ACCOUNT}:role/*-task`, `arn:aws:iam::${ACCOUNT}:role/*-execution`];
const digestOf = (label: string): string => `sha256:${createHash('sha256').update(label).digest('hex')}`;

const REPOSITORY = 'shop/orders-worker';
const V1 = digestOf(`${REPOSITORY}:v1`);
const V2 = digestOf(`${REPOSITORY}:v2`);
const NAMESPACE = 'Orders';
const QUEUE = 'orders';

/** The application metrics the analysis compares, per version (`{version}`: each side's deployment id). */
const metric = (metricName: string) => ({ namespace: NAMESPACE, metricName, dimensions: { service: 'orders-worker', version: '{version}' } });
const ANALYSIS_METRICS = { processed: metric('MessagesProcessed'), errors: metric('MessagesFailed'), latency: metric('ProcessingTime') };

interface WorkerOptions {
  readonly strategy?: Record<string, unknown> & { type: string };
  readonly analysis?: Record<string, unknown>;
  readonly desiredCount?: number;
  readonly queueAgeThresholdSeconds?: number;
  readonly containerHealthCheck?: boolean;
}

function workerScenario(
  name: string,
  description: string,
  profile: Record<string, unknown>,
  expect: NonNullable<ScenarioInput['expect']>['deployments'],
  opts: WorkerOptions = {},
): ScenarioInput {
  return {
    name,
    description,
    accountId: ACCOUNT,
    region: REGION,
    config: {
      account: ACCOUNT,
      region: REGION,
      taskRoleArns: TASK_ROLE_ARNS,
      services: [
        {
          name: 'orders-worker',
          environment: 'production',
          cluster: 'demo',
          service: 'orders-worker',
          containerName: 'worker',
          repository: REPOSITORY,
          tagFilter: '*',
          // No listener, no target groups: a worker, deployed by share of tasks.
          alarms: ['orders-queue-age'],
          strategy: opts.strategy ?? { type: 'canary', percent: 25, bakeSeconds: 300 },
          analysis: opts.analysis ?? { metrics: ANALYSIS_METRICS },
          healthTimeoutSeconds: 300,
          terminationWaitSeconds: 300,
        },
      ],
    },
    world: {
      services: [
        {
          service: 'orders-worker',
          desiredCount: opts.desiredCount ?? 4,
          initialDigest: V1,
          worker: { namespace: NAMESPACE, processedPerMinute: 600, dimensions: { service: 'orders-worker', version: '{version}' }, queueName: QUEUE },
          ...(opts.containerHealthCheck ? { containerHealthCheck: { command: ['CMD-SHELL', 'test -f /tmp/alive'], intervalSeconds: 10, retries: 3, startPeriodSeconds: 0 } } : {}),
        },
      ],
      images: [{ repository: REPOSITORY, digest: V1, tags: ['v1'], profile: { errorRate: 0.002, latencyMs: 120 } }],
      alarms: [
        {
          name: 'orders-queue-age',
          service: 'orders-worker',
          metric: 'ApproximateAgeOfOldestMessage',
          statistic: 'Maximum',
          threshold: opts.queueAgeThresholdSeconds ?? 180,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
        },
      ],
    },
    timeline: [{ at: 10, kind: 'push', repository: REPOSITORY, digest: V2, tag: 'v2', profile }],
    expect: { deployments: expect },
  };
}

export const WORKER_SCENARIOS: ScenarioInput[] = [
  workerScenario(
    'worker-canary',
    'A queue worker with no load balancer: a canary by share of tasks (1 of 4 tasks, 25 %), container health checks HEALTHY, the per-version metrics compared, then 100 %.',
    { errorRate: 0.002, latencyMs: 118 },
    [{ service: 'orders-worker', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
    { containerHealthCheck: true },
  ),
  workerScenario(
    'worker-bad-release',
    'A worker release that fails every message: with 1 of 3 tasks on green the queue backs up, its age alarm fires during the canary bake and the deployment rolls back.',
    { errorRate: 1, latencyMs: 120 },
    [{ service: 'orders-worker', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' }],
    { desiredCount: 3, strategy: { type: 'canary', percent: 30, bakeSeconds: 900 } },
  ),
  workerScenario(
    'worker-crashloop',
    'Green worker tasks exit as they start (exit code 2) and ECS keeps replacing them: the health gate gives up with ECS\'s stopped reason and the deployment rolls back.',
    { errorRate: 0.002, latencyMs: 120, crashes: true, exitCode: 2 },
    [{ service: 'orders-worker', status: 'ROLLED_BACK', reasonCode: 'HealthCheckTimeout' }],
  ),
  workerScenario(
    'worker-analysis-fail',
    'Green fails 5 % of its messages (blue 0.2 %): too few to age the queue, but the version-tagged error metric is worse on green and the analysis rolls it back.',
    { errorRate: 0.05, latencyMs: 120 },
    [{ service: 'orders-worker', status: 'ROLLED_BACK', reasonCode: 'AnalysisFailed' }],
  ),
  workerScenario(
    'worker-small-service',
    'A worker with 2 tasks and a 10 % canary: green gets 1 task (never 0), so the real share is 50 %, which the report states.',
    { errorRate: 0.002, latencyMs: 118 },
    [{ service: 'orders-worker', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
    { desiredCount: 2, strategy: { type: 'canary', percent: 10, bakeSeconds: 300 } },
  ),
];
