/**
 * Step Functions margins at the configuration schema's extremes (issue #12): the largest payload
 * (state input or output, Task parameters or result, the steps Map's collected result) and the
 * history events of one deployment, next to AWS's limits (256 KiB, 25,000 events), as the local
 * runner measures them (local/runner/limits.ts: MAX_PAYLOAD_BYTES, MAX_HISTORY_EVENTS and the counting
 * model). The extremes come from functions/core/config.ts: linear steps of 1 %, 50 explicit steps,
 * 100 alarms, names at their maximum length (service 32, environment 16, ECS cluster, service and
 * container 255, alarm 255 characters). Each plan is deployed once with a good release and once with
 * an alarm that fires in the last bake (the rollback with the most state behind it).
 *
 * A deployment that passes a limit is a result here, not a crash: the runner fails it as Step
 * Functions would (States.DataLimitExceeded / States.Runtime) and the report says so.
 */
import { performance } from 'node:perf_hooks';
import { MIN_ANALYSIS_BAKE_SECONDS } from '../functions/core/analysis.js';
import { runScenario } from '../local/rehearsal.js';
import { MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES } from '../local/runner/index.js';
import { parseScenario, type ScenarioInput } from '../local/scenario.js';
import { ACCOUNT, digestOf, listenerArn, REGION, TASK_ROLE_ARNS, targetGroupArn } from '../local/scenarios/builtin.js';

/** Schema maxima (functions/core/config.ts). */
export const SCHEMA_EXTREMES = {
  serviceNameLength: 32,
  environmentNameLength: 16,
  ecsNameLength: 255,
  alarmNameLength: 255,
  alarms: 100,
  explicitSteps: 50,
  linearStepPercent: 1,
} as const;

export type LimitsPlan = 'linear-1pct' | 'steps-50';
export const LIMITS_PLANS: readonly LimitsPlan[] = ['linear-1pct', 'steps-50'];

export interface LimitsResult {
  readonly plan: LimitsPlan;
  readonly outcome: 'deploy' | 'rollback';
  readonly status: string;
  readonly reasonCode: string | null;
  /** The execution's error when Step Functions would have failed it (e.g. States.DataLimitExceeded). */
  readonly executionError: string | null;
  readonly largestPayloadBytes: number;
  readonly payloadLimitBytes: number;
  readonly historyEvents: number;
  readonly historyLimit: number;
  readonly stateTransitions: number;
  readonly virtualSeconds: number;
  readonly wallSeconds: number;
  readonly withinLimits: boolean;
  /** Set when the run itself could not complete (a scenario the schema refused, a runtime error). */
  readonly error?: string;
}

const pad = (prefix: string, length: number, fill = 'x'): string => `${prefix}${fill.repeat(Math.max(0, length - prefix.length))}`;

/**
 * Bake seconds per step of the extreme plans: the shortest the schema accepts with the analysis on
 * and `onInconclusive: pass` (one bake must see a whole minute after ALB's data delay; virtual time
 * is free, states are not).
 */
const BAKE_SECONDS = MIN_ANALYSIS_BAKE_SECONDS;

/** One service with every name at its maximum length, 100 alarms of 255 characters, and `plan`. */
export function extremeScenario(plan: LimitsPlan, outcome: 'deploy' | 'rollback'): ScenarioInput {
  const name = pad('api-', SCHEMA_EXTREMES.serviceNameLength, 'a');
  const environment = pad('prod-', SCHEMA_EXTREMES.environmentNameLength, 'e');
  const ecs = (what: string) => pad(`${what}-`, SCHEMA_EXTREMES.ecsNameLength, 'n');
  // Half the alarms per target group (whichever side is green, its alarms are watched).
  const alarms = Array.from({ length: SCHEMA_EXTREMES.alarms }, (_, i) => pad(`alarm-${String(i).padStart(3, '0')}-${i % 2 === 0 ? 'a' : 'b'}-`, SCHEMA_EXTREMES.alarmNameLength, 'm'));
  const strategy =
    plan === 'linear-1pct'
      ? { type: 'linear', stepPercent: SCHEMA_EXTREMES.linearStepPercent, intervalSeconds: BAKE_SECONDS }
      : {
          type: 'steps',
          steps: Array.from({ length: SCHEMA_EXTREMES.explicitSteps }, (_, i) => ({ percent: 2 * (i + 1), bakeSeconds: BAKE_SECONDS })),
        };
  const bakes = plan === 'linear-1pct' ? 100 / SCHEMA_EXTREMES.linearStepPercent - 1 : SCHEMA_EXTREMES.explicitSteps;
  const v1 = digestOf('shop/api:v1');
  const v2 = digestOf('shop/api:v2');
  const service = {
    name,
    environment,
    cluster: ecs('cluster'),
    service: ecs('service'),
    containerName: ecs('container'),
    repository: 'shop/api',
    tagFilter: '*',
    listenerArn: listenerArn('extreme-alb', 443),
    targetGroupArns: [targetGroupArn('extreme-a'), targetGroupArn('extreme-b')],
    alarms,
    strategy,
    healthTimeoutSeconds: 300,
    terminationWaitSeconds: 60,
    // The analysis runs at every bake; at 1 % of 1,200 requests a minute it is inconclusive: let it pass.
    analysis: { onInconclusive: 'pass' },
  };
  // The rollback: an alarm of green (target group b) fires during the last bake.
  const lastBakeAt = 10 + 120 + (bakes - 0.5) * BAKE_SECONDS;
  const greenAlarm = alarms.find((a) => a.startsWith('alarm-001-b')) as string;
  return {
    name: `limits-${plan}-${outcome}`,
    description: `${plan} at the schema's extremes (${outcome})`,
    accountId: ACCOUNT,
    region: REGION,
    config: { account: ACCOUNT, region: REGION, taskRoleArns: TASK_ROLE_ARNS, environments: [{ name: environment }], services: [service] },
    world: {
      services: [{ service: name, desiredCount: 4, requestsPerMinute: 1200, initialDigest: v1 }],
      images: [{ repository: 'shop/api', digest: v1, tags: ['v1'], profile: { errorRate: 0.002, latencyMs: 80 } }],
      alarms: alarms.map((alarm) => ({
        name: alarm,
        service: name,
        targetGroupIndex: alarm.startsWith('alarm-') && /^alarm-\d{3}-b-/.test(alarm) ? (1 as const) : (0 as const),
        metric: 'HTTPCode_Target_5XX_Count' as const,
        statistic: 'Sum' as const,
        threshold: 1_000_000,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
      })),
    },
    timeline: [
      { at: 10, kind: 'push', repository: 'shop/api', digest: v2, tag: 'v2', profile: { errorRate: 0.002, latencyMs: 82 } },
      ...(outcome === 'rollback'
        ? [{ at: lastBakeAt, kind: 'alarm' as const, name: greenAlarm, state: 'ALARM' as const, reason: 'set by the bench: the last bake fails', holdSeconds: 3600 }]
        : []),
    ],
    // Every bake of the plan, the health wait and the termination wait, with room to spare.
    maxVirtualSeconds: Math.ceil(lastBakeAt + 2 * BAKE_SECONDS + 3600),
  } as ScenarioInput;
}

export async function benchLimits(
  plans: readonly LimitsPlan[] = LIMITS_PLANS,
  onResult: (r: LimitsResult) => void = () => {},
): Promise<LimitsResult[]> {
  const results: LimitsResult[] = [];
  for (const plan of plans) {
    for (const outcome of ['deploy', 'rollback'] as const) {
      const input = extremeScenario(plan, outcome);
      const t0 = performance.now();
      let trace: Awaited<ReturnType<typeof runScenario>>;
      try {
        trace = await runScenario(parseScenario(input, input.name), { stallTimeoutMs: 600_000 });
      } catch (e) {
        // Reported, not thrown: the other plans still run.
        const failed: LimitsResult = {
          plan,
          outcome,
          status: 'ERROR',
          reasonCode: null,
          executionError: null,
          largestPayloadBytes: 0,
          payloadLimitBytes: MAX_PAYLOAD_BYTES,
          historyEvents: 0,
          historyLimit: MAX_HISTORY_EVENTS,
          stateTransitions: 0,
          virtualSeconds: 0,
          wallSeconds: Math.round((performance.now() - t0) / 10) / 100,
          withinLimits: false,
          error: String((e as Error)?.message ?? e).slice(0, 500),
        };
        results.push(failed);
        onResult(failed);
        continue;
      }
      const d = trace.summary.deployments[0];
      const exec = trace.executions[0];
      const largestPayloadBytes = d?.largestPayloadBytes ?? 0;
      const historyEvents = d?.historyEvents ?? 0;
      const result: LimitsResult = {
        plan,
        outcome,
        status: d?.status ?? 'NO DEPLOYMENT',
        reasonCode: d?.reasonCode ?? null,
        executionError: exec?.status === 'FAILED' ? (exec.error ?? null) : null,
        largestPayloadBytes,
        payloadLimitBytes: MAX_PAYLOAD_BYTES,
        historyEvents,
        historyLimit: MAX_HISTORY_EVENTS,
        stateTransitions: d?.stateTransitions ?? 0,
        virtualSeconds: d?.virtualSeconds ?? 0,
        wallSeconds: Math.round((performance.now() - t0) / 10) / 100,
        withinLimits:
          largestPayloadBytes <= MAX_PAYLOAD_BYTES &&
          historyEvents < MAX_HISTORY_EVENTS &&
          (outcome === 'deploy' ? d?.status === 'SUCCEEDED' : d?.status === 'ROLLED_BACK'),
      };
      results.push(result);
      onResult(result);
    }
  }
  return results;
}
