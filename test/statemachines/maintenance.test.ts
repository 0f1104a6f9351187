/**
 * Cleanup and scaling end to end: the real cleanup state machine and the real cleanup and scale
 * handlers against the in-memory AWS world and dynalite, on the virtual clock. Every maintenance
 * scenario ends with its expected actions and zero invariant violations (among them: nothing in
 * use was deleted, desired counts stayed within their bounds); the world shows exactly what went.
 */
import { describe, expect, it } from 'vitest';
import { CLEANUP_LIMITS } from '../../functions/core/cleanup.js';
import type { ActionSummary } from '../../local/maintenance.js';
import { type RunOptions, runScenario, type ScenarioTrace } from '../../local/rehearsal.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { BUILTIN_SCENARIOS } from '../../local/scenarios/builtin.js';
import { CLEANUP_AT, cleanupScenario, digestFor, MAINTENANCE_SCENARIOS } from '../../local/scenarios/maintenance.js';
import type { World } from '../../local/world/world.js';

const byName = (name: string): ScenarioInput => {
  const s = MAINTENANCE_SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
};

type TaskSetSnapshot = Array<{ status: string; scalePercent: number; computedDesiredCount: number }>;
interface Run {
  readonly trace: ScenarioTrace;
  readonly world: World;
  /** The service's task sets at the requested virtual seconds. */
  readonly taskSetsAt: ReadonlyMap<number, TaskSetSnapshot>;
}

/** Run a scenario once per test file; keep the world for what the trace does not show. */
const runs = new Map<string, Promise<Run>>();
function run(input: ScenarioInput, snapshotsAt: readonly number[] = []): Promise<Run> {
  const key = JSON.stringify([input, snapshotsAt]);
  let p = runs.get(key);
  if (!p) {
    let world: World | undefined;
    const taskSetsAt = new Map<number, TaskSetSnapshot>();
    const actions: NonNullable<RunOptions['actions']> = [
      {
        at: 0,
        label: 'grab the world',
        run: (ctx) => {
          world = ctx.world;
        },
      },
      ...snapshotsAt.map((at) => ({
        at,
        label: `task sets at ${at}`,
        run: (ctx: { world: World }) => {
          taskSetsAt.set(
            at,
            ctx.world.taskSets('demo', 'api').map((t) => ({ status: t.status, scalePercent: t.scalePercent, computedDesiredCount: t.computedDesiredCount })),
          );
        },
      })),
    ];
    p = runScenario(parseScenario(input, input.name), { actions }).then((trace) => ({ trace, world: world as World, taskSetsAt }));
    runs.set(key, p);
  }
  return p;
}

const tally = (actions: readonly ActionSummary[]) => {
  const out: Record<string, number> = {};
  for (const a of actions) out[`${a.kind} ${a.outcome}`] = (out[`${a.kind} ${a.outcome}`] ?? 0) + 1;
  return out;
};
const expectedTally = (input: ScenarioInput) =>
  Object.fromEntries((input.expect?.actions ?? []).map((a) => [`${a.kind} ${a.outcome}`, a.count]));

const TD = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/api:${n}`;
const v = (n: number | string) => digestFor(`shop/api:v${n}`);
const statusOf = (trace: ScenarioTrace) => Object.fromEntries((trace.maintenance?.taskDefinitions ?? []).map((t) => [t.arn, t.status]));
const digests = (trace: ScenarioTrace) => (trace.maintenance?.images ?? []).map((i) => i.digest).sort();

describe('maintenance scenarios', () => {
  it('are part of the built-in scenarios (so `cutover simulate --scenario NAME` runs them)', () => {
    const names = BUILTIN_SCENARIOS.map((s) => s.name);
    for (const s of MAINTENANCE_SCENARIOS) expect(names).toContain(s.name);
  });

  it.each(MAINTENANCE_SCENARIOS.map((s) => [s.name, s] as const))('%s: the expected actions and outcomes, zero invariant violations', async (_name, input) => {
    // Act
    const { trace } = await run(input);
    // Assess
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.service, d.status, d.reasonCode])).toEqual(
      (input.expect?.deployments ?? []).map((d) => [d.service, d.status, d.reasonCode]),
    );
    expect(tally(trace.summary.actions ?? [])).toEqual(expectedTally(input));
    for (const op of trace.summary.operations?.filter((o) => o.stateMachine === 'cleanup') ?? []) expect(op.status).toBe('SUCCEEDED');
  });
});

describe('cleanup', () => {
  it('removes exactly what is not in use: the world shows which revisions, task sets, images and records went', async () => {
    const { trace, world } = await run(byName('cleanup-keeps-in-use'));
    // Revisions: api:1 deleted, api:2/7/8 deregistered; in use (3 migration, 4 orphan's, 5 primary, 6 recent rollback) and the newest two stay.
    expect(statusOf(trace)).toEqual({
      [TD(1)]: 'DELETE_IN_PROGRESS',
      [TD(2)]: 'INACTIVE',
      [TD(3)]: 'ACTIVE',
      [TD(4)]: 'ACTIVE',
      [TD(5)]: 'ACTIVE',
      [TD(6)]: 'ACTIVE',
      [TD(7)]: 'INACTIVE',
      [TD(8)]: 'INACTIVE',
      [TD(9)]: 'ACTIVE',
      [TD(10)]: 'ACTIVE',
    });
    // Images: v1, v2, v8 and the untagged CI build went; v7 (latest) and release-2024 are protected by tag.
    expect(digests(trace)).toEqual([v(3), v(4), v(5), v(6), v(7), v(9), v(10), digestFor('shop/api:release-2024')].sort());
    // The orphaned task set is going (draining its targets); the primary is untouched.
    expect(trace.maintenance?.taskSets.map((t) => [t.status, t.taskDefinitionArn])).toEqual([
      ['PRIMARY', TD(5)],
      ['DRAINING', TD(4)],
    ]);
    expect(world.calls.filter((c) => c.operation === 'DeleteTaskSet')).toHaveLength(1);
    // The record without expiry got one (TTL).
    const expired = trace.summary.actions?.find((a) => a.kind === 'expire-record');
    expect(expired).toMatchObject({ target: 'legacy-1', outcome: 'done' });
  });

  it('puts a report on Cutover\'s bus: one Cleanup Report per service and repository with every action, one Cleanup Completed', async () => {
    const { trace } = await run(byName('cleanup-keeps-in-use'));
    const reports = trace.lifecycleEvents.filter((e) => e.detailType === 'Cleanup Report');
    expect(reports.map((e) => (e.detail as { scope: { kind: string } }).scope.kind).sort()).toEqual(['repository', 'service']);
    expect(reports.flatMap((e) => (e.detail as { actions: unknown[] }).actions)).toHaveLength(10);
    const completed = trace.lifecycleEvents.filter((e) => e.detailType === 'Cleanup Completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]?.detail).toMatchObject({ dryRun: false, totals: { done: 10, failed: 0 } });
  });

  it('paces its writes: a batch, then a pause, never more than a batch of writes within one pause', async () => {
    const { trace, world } = await run(byName('cleanup-keeps-in-use'));
    const writes = world.calls.filter((c) => (c.service === 'ECS' || c.service === 'ECR') && /^(Deregister|Delete|BatchDelete)/.test(c.operation)).map((c) => c.at);
    for (const t of writes) {
      const inWindow = writes.filter((x) => x >= t && x < t + CLEANUP_LIMITS.paceSeconds * 1000).length;
      expect(inWindow).toBeLessThanOrEqual(CLEANUP_LIMITS.writesPerBatch);
    }
    // The service had six writes: five, the pause, the sixth.
    const service = (trace.summary.actions ?? []).filter((a) => a.kind !== 'delete-image').map((a) => a.at);
    expect(service).toEqual([...Array(CLEANUP_LIMITS.writesPerBatch).fill(CLEANUP_AT), CLEANUP_AT + CLEANUP_LIMITS.paceSeconds]);
  });

  it('dry run: changes nothing, puts nothing on the bus, and its report says what would go and why, readably', async () => {
    const { trace: dry } = await run(byName('cleanup-dry-run'));
    const { trace: real } = await run(byName('cleanup-keeps-in-use'));
    expect(Object.values(statusOf(dry)).filter((s) => s !== 'ACTIVE')).toEqual(['INACTIVE']); // api:1, deregistered in the history
    expect(dry.maintenance?.images).toHaveLength(12);
    expect(dry.maintenance?.taskSets).toHaveLength(2);
    expect(dry.lifecycleEvents.filter((e) => e.detailType.startsWith('Cleanup'))).toEqual([]);
    // The dry run lists the very actions the real run took.
    const key = (a: ActionSummary) => `${a.kind} ${a.target}`;
    expect((dry.summary.actions ?? []).map(key).sort()).toEqual((real.summary.actions ?? []).map(key).sort());
    const output = dry.summary.operations?.find((o) => o.stateMachine === 'cleanup')?.output as { text?: string } | undefined;
    const text = output?.text ?? '';
    expect(text).toContain('DRY RUN: nothing was changed');
    expect(text).toMatch(/would +deregister-revision +api\/production .*api:2 — beyond the newest 2 revisions of api and not in use/);
    expect(text).toMatch(/kept +revision +.*api:3 — used by a running task/);
    expect(text).toMatch(/kept +image +shop\/api@\S+ \(v7, latest\) — tag latest is protected/);
    expect(text).toContain('Totals: would 10');
  });

  it('throttled: backs off, retries and ends with exactly the world of the unthrottled run', async () => {
    const { trace, world } = await run(byName('cleanup-throttled'));
    const { trace: calm } = await run(byName('cleanup-keeps-in-use'));
    expect(trace.maintenance?.taskDefinitions).toEqual(calm.maintenance?.taskDefinitions);
    expect(digests(trace)).toEqual(digests(calm));
    expect(world.calls.filter((c) => c.outcome === 'error').map((c) => `${c.service}:${c.operation} ${c.error?.name}`).sort()).toEqual([
      'ECR:BatchDeleteImage ThrottlingException',
      'ECR:BatchDeleteImage ThrottlingException',
      'ECS:DeleteTaskSet ServerException',
      'ECS:DeregisterTaskDefinition ThrottlingException',
      'ECS:DeregisterTaskDefinition ThrottlingException',
      'ECS:DeregisterTaskDefinition ThrottlingException',
      'ECS:DescribeServices ThrottlingException',
      'ECS:DescribeServices ThrottlingException',
    ]);
  });

  it('a write that keeps failing is reported failed and the run goes on; its revision then keeps its image', async () => {
    // Prepare: every DeregisterTaskDefinition is throttled, for good.
    const input = cleanupScenario(
      'cleanup-deregister-refused',
      'DeregisterTaskDefinition throttled for good',
      [
        { at: CLEANUP_AT - 10, kind: 'fault', operation: 'ECS:DeregisterTaskDefinition', fault: 'throttle' },
        { at: CLEANUP_AT, kind: 'cleanup', dryRun: false },
      ],
      { deployments: [] },
    );
    // Act
    const { trace } = await run(input);
    // Assess
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(tally(trace.summary.actions ?? [])).toEqual({
      'delete-task-set done': 1,
      'deregister-revision failed': 3,
      'delete-revision done': 1,
      'expire-record done': 1,
      'delete-image done': 2, // v1 and the CI build; v2 and v8 stay with their still ACTIVE revisions
    });
    expect(trace.summary.actions?.find((a) => a.outcome === 'failed')?.error).toMatch(/^AwsThrottled: ECS:DeregisterTaskDefinition failed/);
    expect(digests(trace)).toContain(v(2));
    expect(trace.summary.operations?.find((o) => o.stateMachine === 'cleanup')?.status).toBe('SUCCEEDED');
  });

  it('never runs for a service while it deploys: a cleanup during a canary skips it, deletes nothing, and the deployment succeeds', async () => {
    const input = cleanupScenario(
      'cleanup-during-deploy',
      'A cleanup while a canary is in flight',
      [
        { at: 10, kind: 'push', repository: 'shop/api', digest: v(11), tag: 'v11', profile: { errorRate: 0.002, latencyMs: 80 } },
        { at: 200, kind: 'cleanup', dryRun: false },
      ],
      { deployments: [{ service: 'api', status: 'SUCCEEDED' }] },
    );
    const { trace } = await run(input);
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => d.status)).toEqual(['SUCCEEDED']);
    expect(trace.summary.actions?.map((a) => `${a.kind} ${a.outcome}`)).toEqual(['skip skipped', 'skip skipped']);
    expect(trace.summary.actions?.[0]?.reason).toMatch(/^deployment .* (holds the lock|is IN_PROGRESS); cleanup never runs while a deployment is in flight/);
    expect(world_unchanged(trace)).toBe(true);
  });

  it('bad input fails the execution at its first state with a named error and changes nothing', async () => {
    const input = cleanupScenario(
      'cleanup-bad-input',
      'a cleanup for a service that is not configured',
      [{ at: 60, kind: 'cleanup', dryRun: false, services: [{ service: 'nope', environment: 'production' }] }],
      { deployments: [] },
    );
    const { trace } = await run(input);
    const op = trace.summary.operations?.find((o) => o.stateMachine === 'cleanup');
    expect(op?.status).toBe('FAILED');
    expect(op?.error).toBe('UnknownService'); // Rejected reports the handler's error by its own name
    expect(op?.cause).toContain('Service \\"nope\\" in environment \\"production\\" is not in the Cutover configuration');
    expect(trace.summary.actions).toEqual([]);
  });
});

/** Nothing deleted: every seeded revision is still there in its seeded status, all 12 images too. */
function world_unchanged(trace: ScenarioTrace): boolean {
  const statuses = statusOf(trace);
  const seeded = Array.from({ length: 10 }, (_, i) => statuses[TD(i + 1)]);
  return seeded.filter((s) => s === 'ACTIVE').length === 9 && statuses[TD(1)] === 'INACTIVE' && digests(trace).length >= 12;
}

describe('scaling', () => {
  it('scale-out-on-alarm: the desired count follows the alarm within bounds, each action on the bus', async () => {
    const { trace } = await run(byName('scale-out-on-alarm'));
    expect(trace.summary.actions?.map((a) => [a.at, a.outcome, a.reason.replace(/^alarm api-busy in ALARM: /, '')])).toEqual([
      [61, 'done', '4 -> 6 (+2; bounds 2-8)'],
      [130, 'skipped', 'cooldown: this rule acted 69 s ago (cooldown 300 s)'],
      [500, 'done', '6 -> 8 (+2; bounds 2-8)'],
      [900, 'skipped', 'already at the maximum 8'],
    ]);
    expect(trace.maintenance?.desiredCounts).toEqual([{ service: 'api', environment: 'production', desiredCount: 8 }]);
    expect(trace.lifecycleEvents.filter((e) => e.detailType === 'Scaling Action')).toHaveLength(4);
  });

  it('scale-bounds: clamped steps, a scale-in waits out the scale-out cooldown, a schedule narrows the bounds', async () => {
    const { trace } = await run(byName('scale-bounds'));
    expect(trace.summary.actions?.map((a) => `${a.at} ${a.kind} ${a.outcome}`)).toEqual([
      '61 scale done',
      '100 scale skipped',
      '250 scale skipped',
      '310 scale done',
      '500 scale skipped',
      '700 set-bounds done',
      '900 scale done',
    ]);
    expect(trace.summary.actions?.[3]?.reason).toContain('10 -> 2 (-20, clamped to the minimum 2');
    expect(trace.maintenance?.scalableTargets).toEqual([{ resourceId: 'service/demo/api', minCapacity: 3, maxCapacity: 6, scaleInSuspended: false }]);
    expect(trace.maintenance?.desiredCounts[0]?.desiredCount).toBe(6);
  });

  it('scheduled-scale: windows set the scalable target bounds (and the desired count into them)', async () => {
    const { trace } = await run(byName('scheduled-scale'));
    expect(trace.summary.actions?.map((a) => a.reason)).toEqual([
      'schedule cron(0 8 ? * MON-FRI *): bounds 6-12 (were 2-12); desired 4 -> 6',
      'schedule cron(0 20 ? * MON-FRI *): bounds 2-6 (were 6-12)',
      'schedule cron(0 23 * * ? *): 6 -> 4 (-2; bounds 2-6)',
    ]);
    expect(trace.maintenance?.scalableTargets[0]).toMatchObject({ minCapacity: 2, maxCapacity: 6 });
  });

  it('scale-during-canary: out goes ahead, in is deferred to the end of the deployment, and no scaling action moves traffic', async () => {
    const { trace, world } = await run(byName('scale-during-canary'));
    const actions = trace.summary.actions ?? [];
    expect(actions.map((a) => `${a.kind} ${a.outcome}`)).toEqual([
      'suspend-scale-in done',
      'scale done',
      'scale deferred',
      'resume-scale-in done',
      'scale done',
    ]);
    const deploy = trace.summary.deployments[0];
    const end = (deploy?.virtualSeconds ?? 0) + 10;
    const [, out, deferred, resumed, replayed] = actions;
    expect(out?.at).toBe(200);
    expect(deferred?.at).toBe(290);
    expect(deferred?.reason).toMatch(/scale-in 6 -> 4 deferred until deployment .* ends/);
    // The scale-in happened when the deployment ended, not before.
    expect(replayed?.at).toBeGreaterThan(end - 30);
    expect(replayed?.at).toBe(resumed?.at);
    expect(replayed?.reason).toMatch(/alarm api-quiet in ALARM \(deferred at .*\): 6 -> 4/);
    // No traffic moved at any scaling action: weight changes happen only in deploy states.
    const scalingTimes = new Set(actions.map((a) => trace.startMs + a.at * 1000));
    const routingWrites = world.calls.filter((c) => c.service === 'ElasticLoadBalancingV2' && /^Modify/.test(c.operation));
    expect(routingWrites.length).toBeGreaterThan(0);
    for (const c of routingWrites) expect(scalingTimes.has(c.at)).toBe(false);
    expect(trace.maintenance?.desiredCounts[0]?.desiredCount).toBe(4);
  });

  it('scale-during-canary: both versions scale together, as percentages of the desired count', async () => {
    const { trace, taskSetsAt } = await run(byName('scale-during-canary'), [190, 260]);
    expect(trace.summary.invariantViolations).toEqual([]);
    const count = (at: number, status: string) => taskSetsAt.get(at)?.find((t) => t.status === status)?.computedDesiredCount;
    // Before the scale-out 4 tasks per full-size task set, after it 6: blue (primary) and green (full capacity) alike.
    expect([count(190, 'PRIMARY'), count(190, 'ACTIVE')]).toEqual([4, 4]);
    expect([count(260, 'PRIMARY'), count(260, 'ACTIVE')]).toEqual([6, 6]);
  });
});
