/**
 * Issue #12, defect 7 (deploy side): a deployment queued behind the lock used to loop AcquireLock →
 * LockOutcome → WaitForLock every 15 s, about 9 history events per loop: behind a 7-day approval it
 * passed Step Functions' 25,000-event limit after about 12 hours and died (that push never
 * deployed). Now it parks a callback token on the lock (WaitForLockRelease); the release wakes it,
 * and a 30-minute timeout re-checks in case a wake is lost.
 */
import { describe, expect, it } from 'vitest';
import { type RehearsalContext, runScenario } from '../../local/rehearsal.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { ACCOUNT, digestOf, REGION, service, TASK_ROLE_ARNS } from '../../local/scenarios/builtin.js';
import { HISTORY_LIMIT_EVENTS } from './limits.js';

const WEEK = 7 * 24 * 3600;
const V1 = digestOf('shop/api:v1');
const tagged = (tag: string) => ({ repository: 'shop/api', digest: digestOf(`shop/api:${tag}`), tags: [tag], profile: { errorRate: 0.002, latencyMs: 82 }, existsAtStart: false });
const push = (at: number, tag: string) =>
  ({ at, kind: 'push' as const, repository: 'shop/api', digest: digestOf(`shop/api:${tag}`), tag, profile: { errorRate: 0.002, latencyMs: 82 } });

/** A release gated by a 7-day approval (nobody answers; onTimeout promote), and pushes queued behind it. */
function behindApproval(name: string, pushes: ScenarioInput['timeline'], approvalSeconds = WEEK): ScenarioInput {
  const svc = service({
    strategy: { type: 'steps', steps: [{ percent: 10 }, { approval: { timeoutSeconds: approvalSeconds, onTimeout: 'promote' } }, { percent: 100 }] },
    extra: { terminationWaitSeconds: 60 },
  });
  return {
    name,
    description: 'pushes queued behind a deployment that waits a week for its approval',
    accountId: ACCOUNT,
    region: REGION,
    config: { account: ACCOUNT, region: REGION, taskRoleArns: TASK_ROLE_ARNS, services: [svc] },
    world: {
      services: [{ service: 'api', desiredCount: 4, requestsPerMinute: 60, initialDigest: V1 }],
      images: [{ repository: 'shop/api', digest: V1, tags: ['v1'], profile: { errorRate: 0.002, latencyMs: 80 } }, tagged('v2'), tagged('v3'), tagged('v4')],
      alarms: [],
    },
    timeline: [push(10, 'v2'), ...pushes],
    // A week of virtual time: the sweep and the cleanup add nothing here but real seconds.
    schedulesOff: ['reconcile', 'cleanup'],
    maxVirtualSeconds: 3 * Math.max(approvalSeconds, 3600),
  };
}

describe('a deployment queued behind the lock', () => {
  it('waits out a 7-day approval far below 25,000 history events, then deploys', async () => {
    // Act
    // The queued deployment's own approval is answered by an operator once it waits for it.
    const approve = {
      at: WEEK + 1800,
      label: 'approve the queued deployment',
      run: (ctx: RehearsalContext) =>
        ctx.runner.startExecution({
          stateMachineArn: ctx.stateMachines.control as string,
          name: 'approve-queued',
          input: JSON.stringify({ action: 'approve', service: 'api', environment: 'production', by: 'alice@example.com' }),
        }),
    };
    const trace = await runScenario(parseScenario(behindApproval('lock-wait-week', [push(120, 'v3')]), 'lock-wait-week'), { actions: [approve] });
    // Assess
    const [first, queued] = trace.summary.deployments;
    expect(trace.summary.deployments.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(queued?.deploymentId).toContain(digestOf('shop/api:v3').slice(7, 23));
    // It waited the whole week behind the first deployment ...
    expect(queued?.virtualSeconds).toBeGreaterThan(WEEK);
    // ... for a small, bounded number of events: 336 thirty-minute re-checks at most, not 40,000 loops.
    expect(queued?.historyEvents).toBeLessThan(HISTORY_LIMIT_EVENTS / 4);
    expect(first?.historyEvents).toBeLessThan(1000);
    console.info(`[lock-wait] queued ${Math.round((queued?.virtualSeconds ?? 0) / 3600)} h behind a 7-day approval: ${queued?.historyEvents} history events (the first: ${first?.historyEvents})`);
    // Woken by the release: its lock-acquired entry is within seconds of the first one's end.
    const records = trace.records;
    const ended = Date.parse(records.find((r) => r.deploymentId === first?.deploymentId)?.timeline.find((e) => e.kind === 'terminal')?.at ?? '');
    const acquired = Date.parse(records.find((r) => r.deploymentId === queued?.deploymentId)?.timeline.find((e) => e.key === 'lock-acquired')?.at ?? '');
    expect(acquired - ended).toBeGreaterThanOrEqual(0);
    expect(acquired - ended).toBeLessThan(60_000);
    expect(trace.summary.invariantViolations).toEqual([]);
    // A week of virtual time takes minutes of real time (the world ticks every virtual minute).
  }, 600_000);

  it('supersede still works: a newer push wakes the older waiter, which ends SUPERSEDED at once; the newest deploys', async () => {
    // Act
    // A 2-hour approval: long enough for the 30-minute re-check to matter, short in real time.
    const trace = await runScenario(parseScenario(behindApproval('lock-wait-supersede', [push(120, 'v3'), push(300, 'v4')], 7200), 'lock-wait-supersede'));
    // Assess
    const byTag = (tag: string) => trace.summary.deployments.find((d) => d.deploymentId.endsWith(digestOf(`shop/api:${tag}`).slice(7, 23)));
    expect(byTag('v2')?.status).toBe('SUCCEEDED');
    expect(byTag('v3')?.status).toBe('SUPERSEDED');
    expect(byTag('v4')?.status).toBe('SUCCEEDED');
    // v3 learnt it was superseded when v4 queued (at 300 s), not at its next 30-minute re-check.
    const v3 = trace.executions.find((e) => e.name === byTag('v3')?.deploymentId);
    expect(((v3?.stopMs ?? 0) - (trace.startMs ?? 0)) / 1000).toBeLessThan(400);
    expect(trace.summary.invariantViolations).toEqual([]);
  }, 600_000);
});
