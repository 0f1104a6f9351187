/**
 * The fault-injection matrix (shared by the fault-matrix-*.test.ts files, which vitest runs in
 * parallel): for every AWS operation the deploy path and the rollback path call, (a) one throttle,
 * (b) a persistent 5xx, (c) one timeout (a write that took effect, its response lost). Every cell
 * must end with exactly one terminal deployment, zero invariant violations (traffic only on healthy
 * targets, weights sound, the record complete with a reason, the lock released, nothing left
 * running) — a persistent 5xx until the outage ends, after which the reconcile sweep may finish
 * the job, as it would in AWS.
 */
import { expect } from 'vitest';
import { runScenario, type ScenarioTrace } from '../../local/rehearsal.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { ACCOUNT, digestOf, REGION, service, TASK_ROLE_ARNS } from '../../local/scenarios/builtin.js';

export type FaultKind = 'throttle' | '5xx' | 'timeout';
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', '5xx', 'timeout'];

export type MatrixPath = 'deploy' | 'rollback';

/** When the faults start (virtual seconds): the deploy path from the start; the rollback path once the bake runs (green is healthy at 40 s, the alarm fires at 60 s). */
export const FAULTS_FROM: Readonly<Record<MatrixPath, number>> = { deploy: 0, rollback: 45 };

/** When the persistent 5xx ends and the reconcile sweep runs (virtual seconds). */
export const OUTAGE_ENDS_AT = 1500;

const V1 = digestOf('shop/api:v1');
const V2 = digestOf('shop/api:v2');

/**
 * A short release: canary 10 % with a 120-second bake (the analysis runs), 60-second termination
 * wait. `deploy`: a good release, faults from the start. `rollback`: a bad release rolled back by
 * its alarm, faults from the bake on (so they land on the alarm watcher and the rollback).
 */
export function matrixScenario(path: MatrixPath, fault?: { operation: string; kind: FaultKind }): ScenarioInput {
  const svc = service({
    // 120 s: with the analysis's extensions, a whole minute of ALB data after the shift (issue #13, item 8).
    strategy: { type: 'canary', percent: 10, bakeSeconds: 120 },
    extra: { terminationWaitSeconds: 60, healthTimeoutSeconds: 300 },
  });
  const faultAt = FAULTS_FROM[path];
  const timeline: ScenarioInput['timeline'] = [
    {
      at: 10,
      kind: 'push',
      repository: 'shop/api',
      digest: V2,
      tag: 'v2',
      profile: path === 'deploy' ? { errorRate: 0.002, latencyMs: 82 } : { errorRate: 0.35, latencyMs: 90 },
    },
  ];
  if (fault) {
    timeline.push({
      at: faultAt,
      kind: 'fault',
      operation: fault.operation,
      fault: fault.kind,
      ...(fault.kind === '5xx' ? {} : { count: 1 }),
      ...(fault.kind === 'timeout' ? { applied: true } : {}),
    });
    if (fault.kind === '5xx') {
      timeline.push({ at: OUTAGE_ENDS_AT, kind: 'clear-faults' }, { at: OUTAGE_ENDS_AT + 30, kind: 'reconcile' });
    }
  }
  return {
    name: `matrix-${path}`,
    description: `fault matrix, ${path} path${fault ? `: ${fault.kind} on ${fault.operation}` : ''}`,
    accountId: ACCOUNT,
    region: REGION,
    config: { account: ACCOUNT, region: REGION, taskRoleArns: TASK_ROLE_ARNS, services: [svc] },
    world: {
      // Green is healthy at its first check: fewer health-check rounds per cell.
      settings: { taskStartDelaySeconds: 5, healthCheckIntervalSeconds: 5, healthyThresholdCount: 2 },
      services: [{ service: 'api', desiredCount: 2, requestsPerMinute: 1200, initialDigest: V1 }],
      images: [{ repository: 'shop/api', digest: V1, tags: ['v1'], profile: { errorRate: 0.002, latencyMs: 80 } }],
      alarms: ['api-5xx-a', 'api-5xx-b'].map((name, i) => ({
        name,
        service: 'api',
        targetGroupIndex: i as 0 | 1,
        metric: 'HTTPCode_Target_5XX_Count' as const,
        statistic: 'Sum' as const,
        threshold: 10,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
      })),
    },
    timeline,
    maxVirtualSeconds: 4 * 3600,
  };
}

/** What the path does with no fault. */
export const BASELINE: Readonly<Record<MatrixPath, string>> = { deploy: 'SUCCEEDED', rollback: 'ROLLED_BACK' };

/**
 * Every AWS operation each path calls (`Service:Operation`), as the baseline runs record them
 * (test/statemachines/fault-matrix-baseline.test.ts keeps this list complete). For `rollback`: the
 * operations called from the bake on, where its faults are injected.
 */
export const OPERATIONS: Readonly<Record<MatrixPath, readonly string[]>> = {
  deploy: [
    'CloudWatch:DescribeAlarms',
    'CloudWatch:GetMetricData',
    'DynamoDB:GetItem',
    'DynamoDB:PutItem',
    'DynamoDB:Query',
    'DynamoDB:UpdateItem',
    'ECR:DescribeImages',
    'ECS:CreateTaskSet',
    'ECS:DeleteTaskSet',
    'ECS:DescribeServices',
    'ECS:DescribeTaskDefinition',
    'ECS:DescribeTaskSets',
    'ECS:RegisterTaskDefinition',
    'ECS:UpdateServicePrimaryTaskSet',
    'ECS:UpdateTaskSet',
    'ElasticLoadBalancingV2:DescribeListeners',
    'ElasticLoadBalancingV2:DescribeTargetHealth',
    'ElasticLoadBalancingV2:ModifyListener',
    'EventBridge:PutEvents',
    'SFN:DescribeExecution',
    'SFN:StartExecution',
  ],
  rollback: [
    'DynamoDB:GetItem',
    'DynamoDB:Query',
    'DynamoDB:UpdateItem',
    'ECS:DeleteTaskSet',
    'ECS:DescribeServices',
    'ElasticLoadBalancingV2:DescribeListeners',
    'ElasticLoadBalancingV2:ModifyListener',
    'EventBridge:PutEvents',
    'SFN:SendTaskFailure',
  ],
};

/** Cells of one path, `part` of `parts` (the files split the deploy path to run in parallel). */
export function cells(path: MatrixPath, part = 0, parts = 1): Array<{ operation: string; kind: FaultKind }> {
  const ops = OPERATIONS[path].filter((_, i) => i % parts === part);
  return ops.flatMap((operation) => FAULT_KINDS.map((kind) => ({ operation, kind })));
}

/** Run one cell and assert what every cell must show. */
export async function runCell(path: MatrixPath, operation: string, kind: FaultKind): Promise<ScenarioTrace> {
  const trace = await runScenario(parseScenario(matrixScenario(path, { operation, kind }), `matrix ${path} ${kind} ${operation}`));
  const { summary } = trace;
  expect(summary.invariantViolations).toEqual([]);
  // Exactly one deployment. With the table down at the first state, the execution fails before a
  // record exists (REJECTED: nothing was changed); the sweep then deploys the push under a new name.
  const rejected = summary.deployments.filter((x) => x.status === 'REJECTED');
  if (kind !== '5xx') expect(rejected).toEqual([]);
  const deployments = summary.deployments.filter((x) => x.status !== 'REJECTED');
  expect(deployments).toHaveLength(1);
  const [d] = deployments;
  expect(['SUCCEEDED', 'ROLLED_BACK', 'FAILED']).toContain(d?.status);
  // A single throttle or timeout is retried away: the same outcome as without it.
  if (kind !== '5xx') expect(d?.status, d?.reason ?? '').toBe(BASELINE[path]);
  // The fault was really met by the path.
  expect(calledFrom(trace, path)).toContain(operation);
  return trace;
}

/** The operations a run called from where the path's faults are injected on (sorted, distinct). */
export function calledFrom(trace: ScenarioTrace, path: MatrixPath): string[] {
  const fromMs = trace.startMs + FAULTS_FROM[path] * 1000;
  return [...new Set((trace.awsCalls ?? []).filter((c) => c.at >= fromMs).map((c) => c.operation))].sort();
}
