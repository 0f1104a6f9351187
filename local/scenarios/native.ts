/**
 * Native-engine scenarios (issue #17): an ECS-controller service behind an ALB listener rule,
 * deployed by Cutover from an ECR push through ECS's own canary deployment, with Cutover's lifecycle
 * hook at the gated stages and the alarm watcher's StopServiceDeployment ROLLBACK.
 * The analysis is off here: the hook does not read an analysis verdict yet (functions/handlers/native-hook.ts).
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
          analysis: { enabled: false },
          healthTimeoutSeconds: 300,
          terminationWaitSeconds: 0,
        },
      ],
    },
    world: {
      ...(settings ? { settings } : {}),
      services: [{ service: 'api', desiredCount: 4, requestsPerMinute: 1200, initialDigest: GOOD, deploymentController: 'ECS' }],
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
];
