/**
 * Native-engine scenarios (issue #17): an ECS-controller service behind an ALB listener rule,
 * deployed by Cutover from an ECR push through ECS's own canary deployment, with Cutover's lifecycle
 * hook at the gated stages and the alarm watcher's StopServiceDeployment ROLLBACK.
 * The canary analysis is on (the default): the hook judges green's target group against blue's at
 * the 10 % point after the bake, as the task-set engine's Analyze step does.
 */
import { createHash } from 'node:crypto';
import type { ScenarioInput } from '../scenario.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const hex16 = (label: string): string => createHash('sha256').update(label).digest('hex').slice(0, 16);
const digestOf = (label: string): string => `sha256:${createHash('sha256').update(label).digest('hex')}`;
const elb = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const ruleArn = (lb: string, port: number, rule: string) => `${elb}:listener-rule/app/${lb}/${hex16(lb)}/${hex16(`${lb}:${port}`)}/${hex16(rule)}`;
const targetGroupArn = (name: string) => `${elb}:targetgroup/${name}/${hex16(name)}`;
const nlbListenerArn = (lb: string, port: number) => `${elb}:listener/net/${lb}/${hex16(lb)}/${hex16(`${lb}:${port}`)}`;
/** The application's version-tagged metrics (CUTOVER_VERSION as `version`), as the world publishes them (`versionMetrics`). */
const versionMetric = (metricName: string) => ({ namespace: 'Shop', metricName, dimensions: { service: 'api', version: '{version}' } });
const VERSION_METRICS = { processed: versionMetric('Requests'), errors: versionMetric('Errors'), latency: versionMetric('Latency') };

/**
 * The same service with another traffic shape: `config` replaces fields of the configured service
 * (undefined removes one), `world` of the world's service; no 5xx alarms (those are ALB target-group
 * metrics; an NLB, Service Connect or a service with no load balancer has none per target group).
 */
function reshaped(base: ScenarioInput, config: Record<string, unknown>, world: Record<string, unknown>): ScenarioInput {
  const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const baseConfig = base.config as { services: Record<string, unknown>[] };
  const svc = baseConfig.services[0] as Record<string, unknown>;
  const ws = base.world.services[0] as Record<string, unknown>;
  return {
    ...base,
    config: { ...baseConfig, services: [strip({ ...svc, alarms: [], ...config })] },
    world: { ...base.world, alarms: [], services: [strip({ ...ws, ...world }) as never] },
  };
}

const GOOD = digestOf('shop/api:v1');
const NEXT = digestOf('shop/api:v2');
const goodProfile = { errorRate: 0.002, latencyMs: 82 };
const ALARMS = ['api-5xx-a', 'api-5xx-b'];

function nativeScenario(
  name: string,
  description: string,
  timeline: ScenarioInput['timeline'],
  expect: NonNullable<ScenarioInput['expect']>['deployments'],
  settings?: NonNullable<ScenarioInput['world']['settings']>,
  service: Record<string, unknown> = {},
  controller: 'ECS' | 'CODE_DEPLOY' = 'ECS',
): ScenarioInput {
  return {
    name,
    description,
    accountId: ACCOUNT,
    region: REGION,
    config: {
      account: ACCOUNT,
      region: REGION,
      taskRoleArns: [`arn:aws:iam::${ACCOUNT}:role/*-task`, `arn:aws:iam::${ACCOUNT}:role/*-execution`],
      services: [
        {
          name: 'api',
          environment: 'production',
          cluster: 'demo',
          service: 'api',
          containerName: 'app',
          repository: 'shop/api',
          tagFilter: '*',
          engine: 'native',
          listenerRuleArn: ruleArn('demo', 443, 'api'),
          targetGroupArns: [targetGroupArn('api-a'), targetGroupArn('api-b')],
          alarms: ALARMS,
          // ECS's CANARY: 10 % for 5 minutes, then the rest; 1 minute of ECS bake time after 100 %.
          strategy: { type: 'canary', percent: 10, bakeSeconds: 300, finalBakeSeconds: 60 },
          healthTimeoutSeconds: 300,
          terminationWaitSeconds: 0,
          ...Object.fromEntries(Object.entries(service).filter(([, v]) => v !== undefined)),
        },
      ],
    },
    world: {
      ...(settings ? { settings } : {}),
      services: [{ service: 'api', desiredCount: 4, requestsPerMinute: 1200, initialDigest: GOOD, deploymentController: controller }],
      images: [{ repository: 'shop/api', digest: GOOD, tags: ['v1'], profile: { errorRate: 0.002, latencyMs: 80 } }],
      alarms: ALARMS.map((alarm) => ({
        name: alarm,
        service: 'api',
        targetGroupIndex: alarm.endsWith('-b') ? (1 as const) : (0 as const),
        metric: 'HTTPCode_Target_5XX_Count' as const,
        statistic: 'Sum' as const,
        threshold: 10,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
      })),
    },
    timeline,
    expect: { deployments: expect },
  };
}

const push = (at: number, digest: string, tag: string, extra: Record<string, unknown> = {}) =>
  ({ at, kind: 'push' as const, repository: 'shop/api', digest, tag, ...extra });

export const NATIVE_SCENARIOS: ScenarioInput[] = [
  nativeScenario(
    'native-alb-canary',
    "An ECS-controller service (ECS's own deployments) behind an ALB listener rule: an ECR push starts ECS's CANARY (10 % for 5 minutes, then 100 %) with Cutover's lifecycle hook at POST_SCALE_UP and before the rest moves; the deploy state machine follows the ECS deployment state change events to SUCCEEDED.",
    [push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
  ),
  nativeScenario(
    'native-alarm-during-bake',
    "A bad release on an ECS-controller service: its 5xx alarm fires while the 10 % canary bakes; the alarm watcher calls StopServiceDeployment (ROLLBACK) at once and the deployment ends ROLLED_BACK with the alarm as the reason.",
    [push(10, NEXT, 'v2', { profile: { errorRate: 0.35, latencyMs: 90 } })],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' }],
    // Tasks start in 25 s: the hook's held gate is asked again at :05 of each minute, the alarm fires
    // on the minute, so the alarm event (not the hook's next answer) is what stops the deployment.
    { taskStartDelaySeconds: 25 },
  ),
  nativeScenario(
    'native-alarm-already-firing',
    "A watched alarm is already in ALARM when the native deployment starts (ECS's own alarm check would ignore it): Cutover's hook answers FAILED at POST_SCALE_UP, ECS rolls back before any production traffic moves, ROLLED_BACK AlarmTriggered.",
    [
      { at: 5, kind: 'alarm', name: 'api-5xx-a', state: 'ALARM', reason: 'Threshold Crossed: 5xx on the live version (set by the scenario)', holdSeconds: 1800 },
      push(10, NEXT, 'v2', { profile: goodProfile }),
    ],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' }],
  ),
  nativeScenario(
    'native-analysis-fail',
    "A release 20 times as error-prone as the live one, too few errors at 10 % to trip the 5xx alarms (about 5 a minute, threshold 10): after the 5-minute canary bake Cutover's hook judges green's target group against blue's, answers FAILED, and ECS rolls back: ROLLED_BACK AnalysisFailed before the rest of production moves.",
    [push(10, NEXT, 'v2', { profile: { errorRate: 0.04, latencyMs: 84 } })],
    [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AnalysisFailed' }],
  ),
  nativeScenario(
    'native-approval',
    "An approval step on an ECS-controller service: ECS's CANARY moves 10 %, Cutover's hook holds the 5-minute bake and the analysis, then holds the approval (IN_PROGRESS, asked again every minute) with 90 % still on blue; an operator approves at 16:40 (the control state machine records it on the deployment) and the hook lets ECS move the rest: SUCCEEDED.",
    [
      push(10, NEXT, 'v2', { profile: goodProfile }),
      { at: 1000, kind: 'operator', action: 'approve', service: 'api', environment: 'production', by: 'alice' },
    ],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
    undefined,
    { strategy: { type: 'steps', steps: [{ percent: 10, bakeSeconds: 300 }, { approval: { timeoutSeconds: 3600, onTimeout: 'abort' } }, { percent: 100, bakeSeconds: 60 }] } },
  ),
  reshaped(
    nativeScenario(
      'native-nlb-blue-green',
      "An ECS-controller service behind a Network Load Balancer: ECS's BLUE_GREEN moves the NLB listener's forward from the production to the alternate target group (ECS waits 10 minutes at each NLB traffic shift), Cutover's hook gates health; NLB has no per-target-group request metric, so the application's version-tagged metrics are what Cutover would judge; SUCCEEDED.",
      [push(10, NEXT, 'v2', { profile: goodProfile })],
      [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
    ),
    {
      listenerRuleArn: undefined,
      listenerArn: nlbListenerArn('shop-nlb', 443),
      strategy: { type: 'blue-green', bakeSeconds: 0, finalBakeSeconds: 60 },
      analysis: { metrics: VERSION_METRICS },
    },
    { versionMetrics: { namespace: 'Shop' } },
  ),
  reshaped(
    nativeScenario(
      'native-service-connect-linear',
      "An ECS-controller service reached through Service Connect (no load balancer): ECS's LINEAR moves 25 % of the Service Connect traffic at a time; at each step Cutover's hook holds the 4-minute bake and judges green against blue on the application's version-tagged metrics (Service Connect publishes none per revision); SUCCEEDED.",
      [push(10, NEXT, 'v2', { profile: goodProfile })],
      [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
    ),
    {
      listenerRuleArn: undefined,
      targetGroupArns: undefined,
      serviceConnect: true,
      strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 240 },
      analysis: { metrics: VERSION_METRICS },
    },
    { serviceConnect: { namespace: 'prod.local', discoveryName: 'api' }, versionMetrics: { namespace: 'Shop' } },
  ),
  reshaped(
    nativeScenario(
      'native-headless-blue-green',
      "An ECS-controller service with no load balancer and no Service Connect (a queue worker): ECS deploys it blue/green only; Cutover's hook gates the new revision's health after scale-up and the 2-minute bake before ECS retires the old one; SUCCEEDED.",
      [push(10, NEXT, 'v2', { profile: goodProfile })],
      [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
    ),
    {
      listenerRuleArn: undefined,
      targetGroupArns: undefined,
      strategy: { type: 'blue-green', bakeSeconds: 120, finalBakeSeconds: 60 },
      analysis: { enabled: false },
    },
    { requestsPerMinute: undefined },
  ),
  nativeScenario(
    'native-approval-pause',
    "An approval held by an ECS PAUSE hook (nativeApproval \"pause\"): after 100 % ECS pauses at POST_PRODUCTION_TRAFFIC_SHIFT with no invocations while it waits (hookId in DescribeServiceDeployments, the ECS Hook State Change event); the operator approves at 15:00, the control state machine wakes the deploy execution, which proves the wake-up came through the control path and calls ContinueServiceDeployment: SUCCEEDED.",
    [
      push(10, NEXT, 'v2', { profile: goodProfile }),
      { at: 900, kind: 'operator', action: 'approve', service: 'api', environment: 'production', by: 'alice' },
    ],
    [{ service: 'api', status: 'SUCCEEDED', reasonCode: 'Promoted' }],
    undefined,
    {
      nativeApproval: 'pause',
      strategy: { type: 'steps', steps: [{ percent: 10, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 0 }, { approval: { timeoutSeconds: 3600, onTimeout: 'abort' } }] },
    },
  ),
  nativeScenario(
    'native-codedeploy-refused',
    "A service still on the CODE_DEPLOY deployment controller: Cutover refuses it at Inspect (CodeDeployNotSupported) with the steps to switch it in place to the ECS controller; nothing on the service changes, the deployment ends FAILED.",
    [push(10, NEXT, 'v2', { profile: goodProfile })],
    [{ service: 'api', status: 'FAILED', reasonCode: 'CodeDeployNotSupported' }],
    undefined,
    { engine: undefined },
    'CODE_DEPLOY',
  ),
];
