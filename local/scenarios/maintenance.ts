/**
 * The maintenance scenarios: cleanup (what is in use survives, the rest goes; dry run; under
 * throttling) and scaling (on an alarm, during a canary, on a schedule, at the bounds). Appended to
 * the built-in scenarios (local/scenarios/builtin.ts); self-contained so the two modules do not
 * import each other.
 */
import { createHash } from 'node:crypto';
import type { ScenarioInput } from '../scenario.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
/** The local world's task and execution roles (`role/F-task`, `role/F-execution` of family F). */
const TASK_ROLE_ARNS = [`arn:aws:iam::${ACCOUNT}:role/*-task`, `arn:aws:iam::${ACCOUNT}:role/*-execution`];
const hex16 = (label: string): string => createHash('sha256').update(label).digest('hex').slice(0, 16);
/** A deterministic, well-formed image digest for a label. */
export const digestFor = (label: string): string => `sha256:${createHash('sha256').update(label).digest('hex')}`;
const elb = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const listenerArn = (lb: string, port: number) => `${elb}:listener/app/${lb}/${hex16(lb)}/${hex16(`${lb}:${port}`)}`;
const targetGroupArn = (name: string) => `${elb}:targetgroup/${name}/${hex16(name)}`;

const REPO = 'shop/api';
const v = (n: number | string) => digestFor(`${REPO}:v${n}`);
const RUNNING = v(5);
const CI_BUILD = digestFor(`${REPO}:ci-build-1`);
const RELEASE_2024 = digestFor(`${REPO}:release-2024`);

function apiService(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'api',
    environment: 'production',
    cluster: 'demo',
    service: 'api',
    containerName: 'app',
    repository: REPO,
    listenerArn: listenerArn('api-alb', 443),
    targetGroupArns: [targetGroupArn('api-a'), targetGroupArn('api-b')],
    alarms: ['api-5xx-a', 'api-5xx-b'],
    strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
    healthTimeoutSeconds: 300,
    terminationWaitSeconds: 300,
    ...extra,
  };
}

const deployAlarms = ['api-5xx-a', 'api-5xx-b'].map((name) => ({
  name,
  service: 'api',
  targetGroupIndex: name.endsWith('-b') ? (1 as const) : (0 as const),
  metric: 'HTTPCode_Target_5XX_Count' as const,
  statistic: 'Sum' as const,
  threshold: 10,
}));
/** A load alarm the scenario drives by hand (its threshold is never reached by the traffic model). */
const loadAlarm = (name: string) => ({ name, service: 'api', metric: 'TargetResponseTime' as const, statistic: 'Average' as const, threshold: 5 });

function scenario(
  name: string,
  description: string,
  svc: Record<string, unknown>,
  world: Partial<ScenarioInput['world']>,
  timeline: ScenarioInput['timeline'],
  expect: NonNullable<ScenarioInput['expect']>,
): ScenarioInput {
  return {
    name,
    description,
    accountId: ACCOUNT,
    region: REGION,
    config: { account: ACCOUNT, region: REGION, taskRoleArns: TASK_ROLE_ARNS, services: [svc] },
    world: {
      services: [{ service: 'api', desiredCount: 4, requestsPerMinute: 1200, initialDigest: RUNNING }],
      images: [{ repository: REPO, digest: RUNNING, tags: ['v5'], profile: { errorRate: 0.002, latencyMs: 80 } }],
      alarms: deployAlarms,
      ...world,
    },
    timeline,
    expect,
  };
}

// ---------------------------------------------------------------------------------------------
// Cleanup
// ---------------------------------------------------------------------------------------------

/** Cleanup settings small enough for a short rehearsal (the defaults are days). */
export const CLEANUP = {
  keepRevisions: 2,
  deleteInactiveAfterSeconds: 1800,
  orphanGraceSeconds: 900,
  imageGraceSeconds: 1800,
  protectTags: ['latest', 'release-*'],
  // Image deletion is opt-in (issue #16); these scenarios rehearse it.
  deleteImages: true,
};

/**
 * The history of `api` at the start: ten revisions of family `api`, the running one (api:5) in the
 * middle. In use: api:3 (a long migration task still runs), api:4 (an orphaned task set), api:5
 * (the primary task set), api:6 (a deployment rolled back an hour ago names it). Newest two: api:9,
 * api:10. So: api:2, api:7, api:8 are deregistered; api:1 (inactive for 40 minutes) is deleted; the
 * orphaned task set goes; v1, v2, v8 and an untagged CI build lose their images, while v7 keeps its
 * (tagged `latest`) and so does `release-2024` (protected pattern); an old record gets its expiry.
 */
export const HISTORY: NonNullable<ScenarioInput['world']['history']> = [
  {
    service: 'api',
    before: [
      { digest: v(1), tags: ['v1'], deregistered: true },
      { digest: v(2), tags: ['v2'] },
      { digest: v(3), tags: ['v3'], runningTask: true },
      { digest: v(4), tags: ['v4'], orphanTaskSet: true },
    ],
    after: [
      { digest: v(6), tags: ['v6'], record: 'ROLLED_BACK' },
      { digest: v(7), tags: ['v7', 'latest'] },
      { digest: v(8), tags: ['v8'] },
      { digest: v(9), tags: ['v9'] },
      { digest: v(10), tags: ['v10'] },
    ],
    images: [
      { digest: CI_BUILD, tags: [] },
      { digest: RELEASE_2024, tags: ['release-2024'] },
    ],
    recordsWithoutExpiry: 1,
  },
];

/** What a full cleanup of that history does. */
const CLEANED = (outcome: 'done' | 'would') => [
  { kind: 'delete-task-set', outcome, count: 1 },
  { kind: 'deregister-revision', outcome, count: 3 },
  { kind: 'delete-revision', outcome, count: 1 },
  { kind: 'delete-image', outcome, count: 4 },
  { kind: 'expire-record', outcome, count: 1 },
];

export const CLEANUP_AT = 2400;

/** A cleanup scenario over HISTORY (also used by the tests for variants). */
export function cleanupScenario(
  name: string,
  description: string,
  timeline: ScenarioInput['timeline'],
  expect: NonNullable<ScenarioInput['expect']>,
  cleanup: Record<string, unknown> = CLEANUP,
): ScenarioInput {
  return scenario(name, description, apiService({ cleanup }), { history: HISTORY }, timeline, expect);
}

export const MAINTENANCE_SCENARIOS: ScenarioInput[] = [
  cleanupScenario(
    'cleanup-keeps-in-use',
    'Scheduled cleanup of a service with history: what is in use (primary, a running migration, an orphaned task set, a recent rollback, the newest revisions, protected tags) survives; the rest goes.',
    [{ at: CLEANUP_AT, kind: 'cleanup', dryRun: false }],
    { deployments: [], actions: CLEANED('done') },
  ),
  cleanupScenario(
    'cleanup-dry-run',
    'The same history, cleaned in dry-run mode: the report lists what would go and why, and the world is unchanged.',
    [{ at: CLEANUP_AT, kind: 'cleanup', dryRun: true }],
    { deployments: [], actions: CLEANED('would') },
  ),
  cleanupScenario(
    'cleanup-throttled',
    'The same cleanup while ECS and ECR throttle (and one DeleteTaskSet answers 500): it backs off, paces itself and still removes exactly the same things.',
    [
      { at: CLEANUP_AT - 10, kind: 'fault', operation: 'ECS:DescribeServices', fault: 'throttle', count: 2 },
      { at: CLEANUP_AT - 10, kind: 'fault', operation: 'ECS:DeregisterTaskDefinition', fault: 'throttle', count: 3 },
      { at: CLEANUP_AT - 10, kind: 'fault', operation: 'ECS:DeleteTaskSet', fault: '5xx', count: 1 },
      { at: CLEANUP_AT - 10, kind: 'fault', operation: 'ECR:BatchDeleteImage', fault: 'throttle', count: 2 },
      { at: CLEANUP_AT, kind: 'cleanup', dryRun: false },
    ],
    { deployments: [], actions: CLEANED('done') },
  ),

  // -------------------------------------------------------------------------------------------
  // Scaling
  // -------------------------------------------------------------------------------------------
  scenario(
    'scale-out-on-alarm',
    'A load alarm fires: +2 tasks (4 -> 6); again within the cooldown: nothing; later: 6 -> 8; once more at the maximum: nothing.',
    apiService({ scaling: { minCount: 2, maxCount: 8, rules: [{ alarmName: 'api-busy', adjustment: 2, cooldownSeconds: 300 }] } }),
    { alarms: [...deployAlarms, loadAlarm('api-busy')] },
    [
      { at: 61, kind: 'alarm', name: 'api-busy', state: 'ALARM', reason: 'p99 latency above target' },
      { at: 130, kind: 'alarm', name: 'api-busy', state: 'ALARM', reason: 'still busy' },
      { at: 500, kind: 'alarm', name: 'api-busy', state: 'ALARM', reason: 'busy again' },
      { at: 900, kind: 'alarm', name: 'api-busy', state: 'ALARM', reason: 'very busy' },
    ],
    {
      deployments: [],
      actions: [
        { kind: 'scale', outcome: 'done', count: 2 },
        { kind: 'scale', outcome: 'skipped', count: 2 },
      ],
    },
  ),
  scenario(
    'scale-during-canary',
    'Load changes during a canary: scale-out goes ahead (blue and green grow together, no traffic moves), scale-in is deferred until the deployment ends, target-tracking scale-in is suspended meanwhile.',
    apiService({
      scaling: {
        minCount: 2,
        maxCount: 10,
        targetCpuPercent: 60,
        rules: [
          { alarmName: 'api-busy', adjustment: 2, cooldownSeconds: 60 },
          { alarmName: 'api-quiet', adjustment: -2, cooldownSeconds: 60 },
        ],
      },
    }),
    {
      alarms: [...deployAlarms, loadAlarm('api-busy'), loadAlarm('api-quiet')],
      images: [
        { repository: REPO, digest: RUNNING, tags: ['v5'], profile: { errorRate: 0.002, latencyMs: 80 } },
      ],
    },
    [
      { at: 10, kind: 'push', repository: REPO, digest: v(6), tag: 'v6', profile: { errorRate: 0.002, latencyMs: 82 } },
      { at: 200, kind: 'alarm', name: 'api-busy', state: 'ALARM', reason: 'traffic spike during the canary' },
      { at: 290, kind: 'alarm', name: 'api-quiet', state: 'ALARM', reason: 'traffic back to normal', holdSeconds: 3600 },
    ],
    {
      deployments: [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
      actions: [
        { kind: 'suspend-scale-in', outcome: 'done', count: 1 },
        { kind: 'scale', outcome: 'done', count: 2 },
        { kind: 'scale', outcome: 'deferred', count: 1 },
        { kind: 'resume-scale-in', outcome: 'done', count: 1 },
      ],
    },
  ),
  scenario(
    'scheduled-scale',
    'Scheduled windows (EventBridge Scheduler): business hours raise the bounds to 6-12 (4 -> 6 tasks), the evening lowers them to 2-6, a nightly rule removes 2 tasks.',
    apiService({
      scaling: {
        minCount: 2,
        maxCount: 12,
        rules: [
          { schedule: 'cron(0 8 ? * MON-FRI *)', timezone: 'Europe/Paris', minCount: 6, maxCount: 12 },
          { schedule: 'cron(0 20 ? * MON-FRI *)', timezone: 'Europe/Paris', minCount: 2, maxCount: 6 },
          { schedule: 'cron(0 23 * * ? *)', timezone: 'Europe/Paris', adjustment: -2 },
        ],
      },
    }),
    {},
    [
      { at: 60, kind: 'schedule', service: 'api', rule: 0 },
      { at: 400, kind: 'schedule', service: 'api', rule: 1 },
      { at: 800, kind: 'schedule', service: 'api', rule: 2 },
    ],
    {
      deployments: [],
      actions: [
        { kind: 'set-bounds', outcome: 'done', count: 2 },
        { kind: 'scale', outcome: 'done', count: 1 },
      ],
    },
  ),
  scenario(
    'scale-bounds',
    'Steps larger than the room left are clamped to the bounds (4 -> 10, 10 -> 2); a scale-in right after a scale-out waits out the cooldown; a schedule narrows the bounds to 3-6 and the next step stops at 6.',
    apiService({
      scaling: {
        minCount: 2,
        maxCount: 10,
        rules: [
          { alarmName: 'api-surge', adjustment: 20, cooldownSeconds: 120 },
          { alarmName: 'api-idle', adjustment: -20, cooldownSeconds: 120 },
          { schedule: 'cron(0 22 * * ? *)', minCount: 3, maxCount: 6 },
        ],
      },
    }),
    { alarms: [...deployAlarms, loadAlarm('api-surge'), loadAlarm('api-idle')] },
    [
      { at: 61, kind: 'alarm', name: 'api-surge', state: 'ALARM', reason: 'surge' },
      { at: 100, kind: 'alarm', name: 'api-idle', state: 'ALARM', reason: 'idle right after the surge' },
      { at: 250, kind: 'alarm', name: 'api-surge', state: 'ALARM', reason: 'surge again' },
      { at: 310, kind: 'alarm', name: 'api-idle', state: 'ALARM', reason: 'idle' },
      { at: 500, kind: 'alarm', name: 'api-idle', state: 'ALARM', reason: 'still idle' },
      { at: 700, kind: 'schedule', service: 'api', rule: 2 },
      { at: 900, kind: 'alarm', name: 'api-surge', state: 'ALARM', reason: 'evening surge' },
    ],
    {
      deployments: [],
      actions: [
        { kind: 'scale', outcome: 'done', count: 3 },
        { kind: 'scale', outcome: 'skipped', count: 3 },
        { kind: 'set-bounds', outcome: 'done', count: 1 },
      ],
    },
  ),
];
