/**
 * Scenarios at the schema's extremes and the measurements of what Step Functions limits: the size
 * of every state's input and output, of the steps Map's collected result, and the execution's
 * history events. Shared by limits.test.ts and limits-property.test.ts.
 *
 * AWS limits: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a
 * UTF-8 encoded string" and "Execution history: 25,000 events in a single execution history"
 * (Step Functions Developer Guide, "Step Functions service quotas",
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). The Map state's result
 * is the array of its iterations' outputs and is held to the same 256 KiB.
 */
import { digestOf, service } from '../../local/scenarios/builtin.js';
import { ACCOUNT, REGION, TASK_ROLE_ARNS } from '../../local/scenarios/builtin.js';
import type { RehearsalContext } from '../../local/rehearsal.js';
import type { ExecutionRecord } from '../../local/runner/index.js';
import type { ScenarioInput } from '../../local/scenario.js';

export const PAYLOAD_LIMIT_BYTES = 256 * 1024;
export const HISTORY_LIMIT_EVENTS = 25_000;

const GOOD = digestOf('shop/api:v1');
export const NEXT = digestOf('shop/api:v2');

/** `count` distinct alarm names of exactly `length` characters (the schema allows 255), each ending -a or -b. */
export function alarmNames(count: number, length: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const suffix = `-${i}-${i % 2 === 0 ? 'a' : 'b'}`;
    return `${'x'.repeat(Math.max(1, length - suffix.length))}${suffix}`.slice(-length);
  });
}

export interface ExtremeOptions {
  readonly name: string;
  readonly strategy: Record<string, unknown> & { type: string };
  readonly alarms: readonly string[];
  /** The first alarm fires at this many seconds (the deployment should roll back). */
  readonly alarmAt?: number;
  /** The deployment is expected to roll back (an alarm from `alarmAt` or an action). */
  readonly rollsBack?: boolean;
  readonly maxVirtualSeconds?: number;
}

/** One service (api) deployed with `strategy` and `alarms`; optionally one alarm set to ALARM mid-way. */
export function extremeScenario(opts: ExtremeOptions): ScenarioInput {
  // Short bakes at 1-2 % see too few requests for the canary analysis (the schema refuses such a
  // plan with the analysis on): it is off here; the Analyze state still runs after every bake.
  const svc = { ...service({ strategy: opts.strategy }), alarms: [...opts.alarms], analysis: { enabled: false } };
  const rollback = opts.alarmAt !== undefined || opts.rollsBack === true;
  return {
    name: opts.name,
    description: `limits: ${JSON.stringify(opts.strategy)} with ${opts.alarms.length} alarms`,
    accountId: ACCOUNT,
    region: REGION,
    config: { account: ACCOUNT, region: REGION, taskRoleArns: TASK_ROLE_ARNS, services: [svc] },
    world: {
      services: [{ service: 'api', desiredCount: 4, requestsPerMinute: 1200, initialDigest: GOOD }],
      images: [
        { repository: 'shop/api', digest: GOOD, tags: ['v1'], profile: { errorRate: 0.002, latencyMs: 80 } },
        { repository: 'shop/api', digest: NEXT, tags: ['v2'], profile: { errorRate: 0.002, latencyMs: 82 }, existsAtStart: false },
      ],
      alarms: opts.alarms.map((name, i) => ({
        name,
        service: 'api',
        targetGroupIndex: i % 2 === 0 ? (0 as const) : (1 as const),
        metric: 'HTTPCode_Target_5XX_Count' as const,
        statistic: 'Sum' as const,
        // High enough that only the scenario sets one off.
        threshold: 1_000_000,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
      })),
    },
    timeline: [
      { at: 10, kind: 'push', repository: 'shop/api', digest: NEXT, tag: 'v2', profile: { errorRate: 0.002, latencyMs: 82 } },
      ...(opts.alarmAt !== undefined
        ? [{ at: opts.alarmAt as number, kind: 'alarm' as const, name: opts.alarms[0] as string, state: 'ALARM' as const, reason: 'limits test', holdSeconds: 24 * 3600 }]
        : []),
    ],
    expect: { deployments: [{ service: 'api', status: rollback ? 'ROLLED_BACK' : 'SUCCEEDED' }] },
    maxVirtualSeconds: opts.maxVirtualSeconds ?? 12 * 3600,
  };
}

/**
 * A rehearsal action: the shift Lambda's `call`-th invocation is followed by an ALARM event for
 * `alarmName` delivered to the real alarm watcher (the deployment then rolls back from that step).
 */
export function alarmAfterShift(call: number, alarmName: string) {
  return {
    at: 0,
    label: `alarm after shift #${call}`,
    run(ctx: RehearsalContext) {
      let calls = 0;
      ctx.runner.registerFunction(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:cutover-shift`, async (payload) => {
        calls++;
        const out = await ctx.invoke('shift', payload);
        if (calls === call) {
          const at = new Date(ctx.clock.now()).toISOString();
          await ctx.invoke('alarm-watcher', {
            version: '0',
            id: `limits-alarm-${call}`,
            'detail-type': 'CloudWatch Alarm State Change',
            source: 'aws.cloudwatch',
            account: ACCOUNT,
            time: at,
            region: REGION,
            resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmName}`],
            detail: { alarmName, state: { value: 'ALARM', reason: 'limits test', timestamp: at }, previousState: { value: 'OK', reason: '', timestamp: at } },
          });
        }
        return out;
      });
    },
  };
}

export interface Margins {
  /** The largest state input or output (bytes of its JSON, UTF-8). */
  readonly largestStateBytes: number;
  readonly largestStateName: string;
  /** The steps Map's collected result: the array of its iterations' outputs. */
  readonly mapResultBytes: number;
  readonly mapIterations: number;
  /** History events the runner recorded (state entered/exited/failed/retried/caught, Lambda, tokens). */
  readonly historyEvents: number;
}

const bytes = (v: unknown): number => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v), 'utf8'));

/** Measure what Step Functions would hold against its limits for one execution. */
export function marginsOf(exec: ExecutionRecord): Margins {
  let largestStateBytes = 0;
  let largestStateName = '';
  const iterationOutputs = new Map<number, unknown>();
  let mapSucceeded = false;
  let mapFailed = false;
  for (const h of exec.history) {
    if (h.kind === 'StateExited' && h.stateType === 'Map' && h.mapIndex === undefined) mapSucceeded = true;
    if ((h.kind === 'StateCaught' || h.kind === 'StateFailed') && h.stateType === 'Map' && h.mapIndex === undefined) mapFailed = true;
    if (h.kind === 'StateEntered' || h.kind === 'StateExited') {
      const size = bytes(h.kind === 'StateEntered' ? h.input : h.output);
      if (size > largestStateBytes) {
        largestStateBytes = size;
        largestStateName = `${h.stateName} (${h.kind === 'StateEntered' ? 'input' : 'output'})`;
      }
      // An iteration's output is the output of the last state it exits (its Succeed state).
      if (h.kind === 'StateExited' && h.mapIndex !== undefined) iterationOutputs.set(h.mapIndex, h.output);
    }
  }
  // A Map that fails has no collected result (the error goes to its Catch instead).
  const collected = !mapSucceeded || mapFailed ? [] : [...iterationOutputs.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  return {
    largestStateBytes,
    largestStateName,
    mapResultBytes: bytes(collected),
    mapIterations: collected.length,
    historyEvents: exec.history.length,
  };
}
