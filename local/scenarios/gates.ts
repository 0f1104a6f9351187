/**
 * The release-gate and release-pipeline scenarios: the image gate (findings, a scan still running),
 * the migration task, lifecycle hooks, and one image through staging then production. Appended to
 * the built-in scenarios (local/scenarios/builtin.ts); self-contained so the modules do not import
 * each other.
 */
import { createHash } from 'node:crypto';
import type { ScenarioInput } from '../scenario.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
/** The local world's task and execution roles (`role/F-task`, `role/F-execution` of family F). */
const TASK_ROLE_ARNS = [`arn:aws:iam::${ACCOUNT}:role/*-task`, `arn:aws:iam::${ACCOUNT}:role/*-execution`];
const REPO = 'shop/api';
const hex16 = (label: string): string => createHash('sha256').update(label).digest('hex').slice(0, 16);
const digestFor = (label: string): string => `sha256:${createHash('sha256').update(label).digest('hex')}`;
const elb = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const listenerArn = (lb: string, port: number) => `${elb}:listener/app/${lb}/${hex16(lb)}/${hex16(`${lb}:${port}`)}`;
const targetGroupArn = (name: string) => `${elb}:targetgroup/${name}/${hex16(name)}`;
/** A hook Lambda of the scenarios' account. */
export const hookArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

const RUNNING = digestFor(`${REPO}:v1`);
const NEXT = digestFor(`${REPO}:v2`);
const GOOD = { errorRate: 0.002, latencyMs: 82 };

/** The api service in one environment: its own cluster, ALB and target groups (production is the demo ALB). */
function api(environment: string, extra: Record<string, unknown> = {}, opts: { testListener?: boolean } = {}): Record<string, unknown> {
  const prefix = environment === 'production' ? 'api' : `api-${environment}`;
  return {
    name: 'api',
    environment,
    cluster: environment === 'production' ? 'demo' : environment,
    service: 'api',
    containerName: 'app',
    repository: REPO,
    listenerArn: listenerArn(`${prefix}-alb`, 443),
    targetGroupArns: [targetGroupArn(`${prefix}-a`), targetGroupArn(`${prefix}-b`)],
    ...(opts.testListener ? { testListenerArn: listenerArn(`${prefix}-alb`, 8443) } : {}),
    alarms: [`${prefix}-5xx-a`, `${prefix}-5xx-b`],
    strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
    healthTimeoutSeconds: 300,
    terminationWaitSeconds: 300,
    ...extra,
  };
}

function scenario(
  name: string,
  description: string,
  config: { services: Record<string, unknown>[]; environments?: Record<string, unknown>[] },
  timeline: ScenarioInput['timeline'],
  expect: NonNullable<ScenarioInput['expect']>,
  world: Pick<ScenarioInput['world'], 'hooks'> = {},
): ScenarioInput {
  return {
    name,
    description,
    accountId: ACCOUNT,
    region: REGION,
    config: { account: ACCOUNT, region: REGION, taskRoleArns: TASK_ROLE_ARNS, ...(config.environments ? { environments: config.environments } : {}), services: config.services },
    world: {
      services: config.services.map((s) => ({
        service: s.name as string,
        environment: s.environment as string,
        desiredCount: 4,
        requestsPerMinute: 1200,
        initialDigest: RUNNING,
      })),
      images: [{ repository: REPO, digest: RUNNING, tags: ['v1'], profile: { errorRate: 0.002, latencyMs: 80 } }],
      alarms: config.services.flatMap((s) =>
        (s.alarms as string[]).map((alarm) => ({
          name: alarm,
          service: s.name as string,
          environment: s.environment as string,
          targetGroupIndex: alarm.endsWith('-b') ? (1 as const) : (0 as const),
          metric: 'HTTPCode_Target_5XX_Count' as const,
          statistic: 'Sum' as const,
          threshold: 10,
        })),
      ),
      ...world,
    },
    timeline,
    expect,
  };
}

type Push = Extract<ScenarioInput['timeline'][number], { kind: 'push' }>;
const push = (at: number, extra: Partial<Push> = {}): Push => ({ at, kind: 'push', repository: REPO, digest: NEXT, tag: 'v2', profile: GOOD, ...extra });

const STAGING_THEN_PRODUCTION = (production: Record<string, unknown> = {}) => [
  { name: 'staging', verification: { hooks: [hookArn('staging-e2e')], url: 'https://api.staging.example.com' } },
  { name: 'production', ...production },
];
const stagingApi = () => api('staging', { strategy: { type: 'all-at-once', bakeSeconds: 120 }, terminationWaitSeconds: 60 });

export const GATE_SCENARIOS: ScenarioInput[] = [
  // ---- the image gate
  scenario(
    'image-rejected',
    'The pushed image has CRITICAL and HIGH findings and the gate is HIGH: rejected with the counts before anything is registered.',
    { services: [api('production', { imageScan: { blockSeverity: 'HIGH' } })] },
    [push(10, { scan: { status: 'COMPLETE', findings: { CRITICAL: 1, HIGH: 3, MEDIUM: 7 } } })],
    { deployments: [{ service: 'api', status: 'FAILED', reasonCode: 'ImageRejected' }] },
  ),
  scenario(
    'scan-pending-then-clean',
    'The scan is still running when the push arrives: the deployment waits (30 s at a time) until it completes with only MEDIUM findings, then rolls out.',
    { services: [api('production', { imageScan: { blockSeverity: 'HIGH', waitSeconds: 600 } })] },
    [push(10, { scan: { status: 'COMPLETE', findings: { MEDIUM: 2 }, completeAfterSeconds: 100 } })],
    { deployments: [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }] },
  ),
  // ---- the migration task
  scenario(
    'migration-fails',
    'The migration task of the new revision exits 3: MigrationFailed with the exit code and the stopped reason; no green task set, no traffic moved.',
    { services: [api('production', { migration: { command: ['npm', 'run', 'migrate'] } })] },
    [push(10, { profile: { ...GOOD, exitCode: 3, runMs: 45_000 } })],
    { deployments: [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'MigrationFailed' }] },
  ),
  scenario(
    'migration-ok',
    'The migration task runs (45 s) and exits 0 before green is created; the release then goes out as usual.',
    { services: [api('production', { migration: { command: ['npm', 'run', 'migrate'], timeoutSeconds: 600 } })] },
    [push(10, { profile: { ...GOOD, exitCode: 0, runMs: 45_000 } })],
    { deployments: [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }] },
  ),
  // ---- lifecycle hooks
  scenario(
    'hook-fails-on-test-traffic',
    'Blue-green: the smoke-test hook on the test listener fails: rolled back with HookFailed naming the hook, before any production traffic moved.',
    {
      services: [
        api(
          'production',
          {
            strategy: { type: 'blue-green', bakeSeconds: 300 },
            hooks: { afterTestTraffic: [hookArn('smoke-test')], testUrl: 'https://api.example.com:8443' },
          },
          { testListener: true },
        ),
      ],
    },
    [push(10)],
    { deployments: [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'HookFailed' }] },
    { hooks: [{ arn: hookArn('smoke-test'), answers: [{ answer: 'fail', reason: 'GET /checkout returned 503 on the test listener' }] }] },
  ),
  scenario(
    'hook-asks-again',
    'Hooks after green is healthy, before every shift and after full traffic; the load test asks to be called again twice before it passes.',
    {
      services: [
        api('production', {
          hooks: {
            afterHealthy: [hookArn('warm-caches')],
            beforeShift: [hookArn('load-test')],
            afterFullTraffic: [hookArn('notify-release')],
            maxCallBackDelaySeconds: 60,
          },
        }),
      ],
    },
    [push(10)],
    { deployments: [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }] },
    {
      hooks: [
        { arn: hookArn('warm-caches'), answers: ['pass'] },
        { arn: hookArn('load-test'), answers: [{ answer: 'ask-again', delaySeconds: 45 }, { answer: 'ask-again', delaySeconds: 600 }, 'pass'] },
        { arn: hookArn('notify-release'), answers: ['pass'] },
      ],
    },
  ),
  // ---- the release pipeline
  scenario(
    'staging-then-prod',
    'One push, two environments: staging (all at once, then its end-to-end verification hook), then production (canary).',
    { environments: STAGING_THEN_PRODUCTION(), services: [stagingApi(), api('production')] },
    [push(10)],
    {
      deployments: [
        { service: 'api', environment: 'staging', status: 'SUCCEEDED', reasonCode: 'Promoted' },
        { service: 'api', environment: 'production', status: 'SUCCEEDED', reasonCode: 'Promoted' },
      ],
      releases: [{ status: 'SUCCEEDED', reasonCode: 'Released', environments: { staging: 'SUCCEEDED', production: 'SUCCEEDED' } }],
    },
    { hooks: [{ arn: hookArn('staging-e2e'), answers: ['ask-again', 'pass'] }] },
  ),
  scenario(
    'staging-fails',
    'A bad image: its 5xx alarm rolls staging back, and the release stops there: production is never touched.',
    { environments: STAGING_THEN_PRODUCTION(), services: [stagingApi(), api('production')] },
    [push(10, { profile: { errorRate: 0.35, latencyMs: 90 } })],
    {
      deployments: [{ service: 'api', environment: 'staging', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' }],
      releases: [{ status: 'FAILED', reasonCode: 'DeploymentRolledBack', environments: { staging: 'ROLLED_BACK', production: 'NOT_REACHED' } }],
    },
    { hooks: [{ arn: hookArn('staging-e2e'), answers: ['pass'] }] },
  ),
  scenario(
    'prod-approval-expired',
    'Staging goes out; production requires an approval that nobody gives within 30 minutes: the release is aborted, production untouched.',
    {
      environments: STAGING_THEN_PRODUCTION({ requiresApproval: true, approvalTimeoutSeconds: 1800, onApprovalTimeout: 'abort' }),
      services: [stagingApi(), api('production')],
    },
    [push(10)],
    {
      deployments: [{ service: 'api', environment: 'staging', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
      releases: [{ status: 'ABORTED', reasonCode: 'ApprovalExpired', environments: { staging: 'SUCCEEDED', production: 'APPROVAL_EXPIRED' } }],
    },
    { hooks: [{ arn: hookArn('staging-e2e'), answers: ['pass'] }] },
  ),
];
