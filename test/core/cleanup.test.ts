import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffSeconds,
  CLEANUP_LIMITS,
  type CleanupInventory,
  type CleanupSettings,
  familiesOf,
  formatCleanupReport,
  imageKeepRefs,
  nextWrite,
  parseImageReference,
  planImageCleanup,
  planServiceCleanup,
  revisionKey,
  revisionsInUse,
} from '../../functions/core/cleanup.js';
import { Cleanup } from '../../functions/core/config.js';
import type { PlannedAction } from '../../functions/core/maintenance.js';
import type { DeploymentRecord, DeploymentStatus } from '../../functions/core/model.js';
import type { RepositoryImage, RevisionInfo, TaskSetInfo } from '../../functions/core/ports.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const ARN = (family: string, revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`;
const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/0123456789abcdef';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/0123456789abcdee';
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const uri = (n: number) => `${REGISTRY}/web@${digest(n)}`;

const cleanup = (over: Record<string, unknown> = {}) => Cleanup.parse({ keepRevisions: 2, ...over });
const settings = (over: Partial<CleanupSettings> = {}, cfg: Record<string, unknown> = {}): CleanupSettings => ({
  cleanup: cleanup(cfg),
  recordRetentionSeconds: 90 * 24 * 3600,
  nowMs: NOW,
  ...over,
});

function active(revision: number, family = 'web'): RevisionInfo {
  return { arn: ARN(family, revision), family, revision, status: 'ACTIVE', images: [uri(revision)] };
}
function inactive(revision: number, deregisteredAgoMs: number, family = 'web'): RevisionInfo {
  return { arn: ARN(family, revision), family, revision, status: 'INACTIVE', deregisteredAt: iso(NOW - deregisteredAgoMs), images: [uri(revision)] };
}
function taskSet(id: string, revision: number, over: Partial<TaskSetInfo> = {}): TaskSetInfo {
  return {
    id,
    arn: `arn:aws:ecs:us-east-1:123456789012:task-set/demo/web/${id}`,
    status: 'ACTIVE',
    taskDefinitionArn: ARN('web', revision),
    targetGroupArns: [TG_B],
    scalePercent: 100,
    runningCount: 2,
    pendingCount: 0,
    computedDesiredCount: 2,
    stabilityStatus: 'STEADY_STATE',
    createdAt: iso(NOW - 2 * DAY),
    ...over,
  };
}
function record(id: string, status: DeploymentStatus, over: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    deploymentId: id,
    service: 'web',
    environment: 'production',
    status,
    image: { repository: 'web', digest: digest(900), uri: uri(900) },
    strategy: 'canary',
    alarmNames: [],
    timeline: [],
    createdAt: iso(NOW - DAY),
    updatedAt: iso(NOW - DAY),
    ...over,
  };
}
function inventory(over: Partial<CleanupInventory> = {}): CleanupInventory {
  return {
    service: 'web',
    environment: 'production',
    cluster: 'demo',
    ecsService: 'web',
    taskSets: [taskSet('primary', 6, { status: 'PRIMARY', targetGroupArns: [TG_A] })],
    revisions: [1, 2, 3, 4, 5, 6].map((r) => active(r)),
    runningTaskDefinitions: [],
    records: [],
    productionWeights: [
      { targetGroupArn: TG_A, weight: 100 },
      { targetGroupArn: TG_B, weight: 0 },
    ],
    ...over,
  };
}
const targets = (actions: readonly PlannedAction[], kind: string) => actions.filter((a) => a.kind === kind).map((a) => a.target);

describe('revisionKey / familyOf / parseImageReference', () => {
  it.each([
    [ARN('web', 12), 'web:12'],
    ['web:3', 'web:3'],
    ['web', undefined],
    [undefined, undefined],
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/my_fam-1:007', 'my_fam-1:7'],
  ])('revisionKey(%s) = %s', (ref, key) => {
    expect(revisionKey(ref)).toBe(key);
  });

  it('familiesOf collects the families of task sets, records, the stable pointer and the bootstrap revision', () => {
    const inv = inventory({
      records: [record('d1', 'SUCCEEDED', { green: { targetGroupArn: TG_B, taskDefinitionArn: ARN('web-next', 1) } })],
      stable: { deploymentId: 'd1', taskDefinitionArn: ARN('web', 6), targetGroupArn: TG_A, updatedAt: iso(NOW) },
    });
    expect(familiesOf(inv, 'boot:2')).toEqual(['boot', 'web', 'web-next']);
  });

  it.each([
    [`${REGISTRY}/shop/api@${digest(1)}`, { repository: 'shop/api', digest: digest(1) }],
    [`${REGISTRY}/shop/api:v2`, { repository: 'shop/api', tag: 'v2' }],
    [`${REGISTRY}/shop/api:v2@${digest(1)}`, { repository: 'shop/api', digest: digest(1), tag: 'v2' }],
    [`${REGISTRY}/shop/api`, { repository: 'shop/api', tag: 'latest' }],
    ['nginx:1.27', { repository: 'nginx', tag: '1.27' }],
    ['localhost:5000/app:dev', { repository: 'app', tag: 'dev' }],
  ])('parseImageReference(%s)', (ref, parsed) => {
    expect(parseImageReference(ref)).toEqual(parsed);
  });
});

describe('planServiceCleanup: revisions', () => {
  it('keeps the newest N ACTIVE revisions and every one in use; deregisters the rest, oldest reason included', () => {
    // Prepare: web:6 primary; web:3 runs a one-off task; web:5, web:6 are the newest two.
    const inv = inventory({ runningTaskDefinitions: [ARN('web', 3)] });
    // Act
    const plan = planServiceCleanup(inv, settings());
    // Assess
    expect(targets(plan.actions, 'deregister-revision')).toEqual([ARN('web', 1), ARN('web', 2), ARN('web', 4)]);
    expect(plan.keptRevisions.sort()).toEqual([ARN('web', 3), ARN('web', 5), ARN('web', 6)].sort());
    expect(plan.kept.find((k) => k.target === ARN('web', 3))?.reason).toContain('running task');
    expect(plan.kept.find((k) => k.target === ARN('web', 6))?.reason).toMatch(/task set primary \(PRIMARY\).*newest 2/);
    expect(plan.actions[0]?.reason).toBe('beyond the newest 2 revisions of web and not in use');
  });

  it.each([
    ['blue of an in-flight deployment', { records: [record('d9', 'IN_PROGRESS', { blue: { targetGroupArn: TG_A, taskDefinitionArn: ARN('web', 2) } })] }],
    ['green of a recent rollback', { records: [record('d8', 'ROLLED_BACK', { green: { targetGroupArn: TG_B, taskDefinitionArn: ARN('web', 2) } })] }],
    ['the previous stable version', {
      stable: {
        deploymentId: 'd7',
        taskDefinitionArn: ARN('web', 6),
        targetGroupArn: TG_A,
        updatedAt: iso(NOW),
        previous: { deploymentId: 'd6', taskDefinitionArn: ARN('web', 2), targetGroupArn: TG_B, updatedAt: iso(NOW - DAY) },
      },
    }],
    ['a non-primary task set', { taskSets: [taskSet('primary', 6, { status: 'PRIMARY' }), taskSet('other', 2)] }],
  ] as const)('a revision named by %s is kept', (_name, over) => {
    const plan = planServiceCleanup(inventory(over as Partial<CleanupInventory>), settings());
    expect(targets(plan.actions, 'deregister-revision')).not.toContain(ARN('web', 2));
    expect(plan.keptRevisions).toContain(ARN('web', 2));
  });

  it('a rollback that ended longer ago than recentDeploymentSeconds protects nothing', () => {
    const old = record('d8', 'ROLLED_BACK', { updatedAt: iso(NOW - 10 * DAY), green: { targetGroupArn: TG_B, taskDefinitionArn: ARN('web', 2) } });
    const plan = planServiceCleanup(inventory({ records: [old] }), settings());
    expect(targets(plan.actions, 'deregister-revision')).toContain(ARN('web', 2));
  });

  it('deletes INACTIVE revisions older than deleteInactiveAfterSeconds, never one in use, never a young one', () => {
    const inv = inventory({
      revisions: [inactive(1, 40 * DAY), inactive(2, 40 * DAY), inactive(3, 2 * DAY), active(5), active(6)],
      runningTaskDefinitions: [ARN('web', 2)],
    });
    const plan = planServiceCleanup(inv, settings());
    expect(targets(plan.actions, 'delete-revision')).toEqual([ARN('web', 1)]);
    expect(plan.kept.find((k) => k.target === ARN('web', 2))?.reason).toBe('inactive but used by a running task');
    expect(plan.actions.find((a) => a.kind === 'delete-revision')?.reason).toMatch(/^inactive for 40 d \(delete after 30 d\)/);
  });
});

describe('planServiceCleanup: task sets', () => {
  const withSet = (ts: TaskSetInfo, over: Partial<CleanupInventory> = {}) =>
    inventory({ taskSets: [taskSet('primary', 6, { status: 'PRIMARY', targetGroupArns: [TG_A] }), ts], ...over });

  it('removes an orphan: not primary, no in-flight deployment, no traffic, past its grace', () => {
    const plan = planServiceCleanup(withSet(taskSet('orphan', 4, { externalId: 'old-deploy' })), settings());
    expect(plan.actions.filter((a) => a.kind === 'delete-task-set')).toEqual([
      expect.objectContaining({ target: 'orphan', detail: expect.objectContaining({ cluster: 'demo', ecsService: 'web' }) }),
    ]);
    // Task sets go first: their revisions are freed for the next run, not this one.
    expect(plan.actions[0]?.kind).toBe('delete-task-set');
    expect(plan.keptRevisions).toContain(ARN('web', 4));
  });

  it.each<[string, TaskSetInfo, Partial<CleanupInventory>, RegExp]>([
    ['attached to an in-flight deployment', taskSet('green', 4, { externalId: 'd9' }), { records: [record('d9', 'IN_PROGRESS')] }, /in-flight deployment d9/],
    ['carrying production traffic', taskSet('split', 4), { productionWeights: [{ targetGroupArn: TG_A, weight: 90 }, { targetGroupArn: TG_B, weight: 10 }] }, /10 % of production traffic/],
    ['within its grace period', taskSet('young', 4, { createdAt: iso(NOW - 10 * 60_000) }), {}, /created only 10 min ago/],
    ['of unknown age', taskSet('ageless', 4, { createdAt: undefined }), {}, /age is unknown/],
  ])('keeps a task set %s', (_name, ts, over, reason) => {
    const plan = planServiceCleanup(withSet(ts, over), settings());
    expect(targets(plan.actions, 'delete-task-set')).toEqual([]);
    expect(plan.kept.find((k) => k.target === ts.id)?.reason).toMatch(reason);
  });

  it('ignores a DRAINING task set (already being deleted) but keeps its revision in use', () => {
    const plan = planServiceCleanup(withSet(taskSet('draining', 2, { status: 'DRAINING' })), settings());
    expect(targets(plan.actions, 'delete-task-set')).toEqual([]);
    expect(plan.keptRevisions).toContain(ARN('web', 2));
  });
});

describe('planServiceCleanup: records and limits', () => {
  it('gives an ended record without expiry end + retention; leaves in-flight ones and ones that expire sooner', () => {
    const ended = NOW - 5 * DAY;
    const inv = inventory({
      records: [
        record('no-ttl', 'SUCCEEDED', { updatedAt: iso(ended) }),
        record('late-ttl', 'FAILED', { updatedAt: iso(ended), expiresAt: Math.floor(ended / 1000) + 400 * 86_400 }),
        record('fine', 'SUCCEEDED', { updatedAt: iso(ended), expiresAt: Math.floor(ended / 1000) + 86_400 }),
        record('running', 'IN_PROGRESS'),
      ],
    });
    const plan = planServiceCleanup(inv, settings());
    expect(plan.actions.filter((a) => a.kind === 'expire-record').map((a) => [a.target, a.detail?.expiresAt])).toEqual([
      ['no-ttl', Math.floor(ended / 1000) + 90 * 86_400],
      ['late-ttl', Math.floor(ended / 1000) + 90 * 86_400],
    ]);
  });

  it('plans at most maxActions; the rest are reported as deferred to the next run', () => {
    const inv = inventory({ revisions: Array.from({ length: 30 }, (_, i) => active(i + 1)), taskSets: [taskSet('p', 30, { status: 'PRIMARY' })] });
    const plan = planServiceCleanup(inv, settings({ maxActions: 10 }));
    expect(plan.actions).toHaveLength(10);
    expect(plan.deferred).toBe(18);
  });
});

describe('planImageCleanup', () => {
  const images: RepositoryImage[] = [
    { digest: digest(1), tags: ['v1'], pushedAt: iso(NOW - 20 * DAY) },
    { digest: digest(2), tags: ['v2', 'latest'], pushedAt: iso(NOW - 20 * DAY) },
    { digest: digest(3), tags: ['v3'], pushedAt: iso(NOW - 20 * DAY) },
    { digest: digest(4), tags: [], pushedAt: iso(NOW - 20 * DAY) },
    { digest: digest(5), tags: ['v5'], pushedAt: iso(NOW - HOUR) },
    { digest: digest(6), tags: ['stable'], pushedAt: iso(NOW - 20 * DAY) },
  ];
  const input = (keep: Parameters<typeof planImageCleanup>[0]['keep']) => ({
    repository: 'web',
    service: 'web',
    environment: 'production',
    images,
    keep,
    protectTags: ['latest'],
    imageGraceSeconds: 86_400,
    nowMs: NOW,
  });

  it('deletes what nothing keeps; keeps by digest, by tag, by protected tag and by grace, each with its reason', () => {
    const plan = planImageCleanup(
      input([
        { image: uri(1), reason: 'run by kept revision web:1' },
        { image: `${REGISTRY}/web:stable`, reason: 'run by kept revision web:9 (by tag)' },
        { image: `${REGISTRY}/other@${digest(3)}`, reason: 'another repository' },
      ]),
    );
    expect(plan.actions.map((a) => a.detail?.digest)).toEqual([digest(3), digest(4)]);
    const why = Object.fromEntries(plan.kept.map((k) => [k.target.split(' ')[0], k.reason]));
    expect(why[`web@${digest(1)}`]).toBe('run by kept revision web:1');
    expect(why[`web@${digest(6)}`]).toBe('run by kept revision web:9 (by tag)');
    expect(why[`web@${digest(2)}`]).toBe('tag latest is protected (cleanup.protectTags)');
    expect(why[`web@${digest(5)}`]).toMatch(/pushed only 60 min ago/);
    expect(plan.actions.find((a) => a.detail?.digest === digest(4))?.reason).toMatch(/^untagged, pushed 20 d ago/);
  });

  it('imageKeepRefs: kept revisions, in-flight and recent deployments, the stable pointer and its previous version', () => {
    const inv = inventory({
      records: [
        record('now', 'IN_PROGRESS', { image: { repository: 'web', digest: digest(11), uri: uri(11) } }),
        record('recent', 'ROLLED_BACK', { updatedAt: iso(NOW - DAY), image: { repository: 'web', digest: digest(12), uri: uri(12) } }),
        record('old', 'SUCCEEDED', { updatedAt: iso(NOW - 60 * DAY), image: { repository: 'web', digest: digest(13), uri: uri(13) } }),
      ],
      stable: {
        deploymentId: 's',
        taskDefinitionArn: ARN('web', 6),
        digest: digest(14),
        targetGroupArn: TG_A,
        updatedAt: iso(NOW),
        previous: { deploymentId: 'p', taskDefinitionArn: ARN('web', 5), digest: digest(15), targetGroupArn: TG_B, updatedAt: iso(NOW) },
      },
    });
    const refs = imageKeepRefs([active(6)], inv, settings()).map((r) => r.image);
    expect(refs).toEqual([uri(6), digest(11), digest(12), digest(14), digest(15)]);
  });
});

describe('nextWrite and backoff', () => {
  const a = (kind: PlannedAction['kind'], target: string, repository?: string): PlannedAction => ({
    kind,
    service: 'web',
    environment: 'production',
    target,
    reason: 'r',
    ...(repository ? { detail: { repository, digest: target } } : {}),
  });

  it('groups consecutive revision deletions (10 a call) and image deletions of one repository (100 a call)', () => {
    const pending = [
      ...Array.from({ length: 12 }, (_, i) => a('delete-revision', `r${i}`)),
      a('delete-image', 'd1', 'web'),
      a('delete-image', 'd2', 'web'),
      a('delete-image', 'd3', 'api'),
      a('deregister-revision', 'x'),
    ];
    const w1 = nextWrite(pending);
    expect(w1.write).toHaveLength(10);
    const w2 = nextWrite(w1.rest);
    expect(w2.write.map((x) => x.target)).toEqual(['r10', 'r11']);
    const w3 = nextWrite(w2.rest);
    expect(w3.write.map((x) => x.target)).toEqual(['d1', 'd2']);
    expect(nextWrite(w3.rest).write.map((x) => x.target)).toEqual(['d3']);
  });

  it.each([
    [1, 5],
    [2, 10],
    [3, 20],
    [4, 40],
    [5, 60],
    [9, 60],
  ])('after %i throttled attempts the wait is %i s', (attempts, seconds) => {
    expect(backoffSeconds(attempts)).toBe(seconds);
  });
});

describe('formatCleanupReport', () => {
  it('says per service what goes and why, what stays and why, and that a dry run changed nothing', () => {
    const plan = planServiceCleanup(inventory({ runningTaskDefinitions: [ARN('web', 3)] }), settings());
    const text = formatCleanupReport({
      runId: 'nightly',
      dryRun: true,
      startedAt: iso(NOW),
      finishedAt: iso(NOW + 60_000),
      scopes: [
        {
          scope: { kind: 'service', service: 'web', environment: 'production' },
          status: 'done',
          counts: { done: 0, would: 3, failed: 0, skipped: 0, deferred: 0 },
          actions: plan.actions.map((x) => ({ ...x, outcome: 'would' as const, at: iso(NOW) })),
          kept: plan.kept,
          omitted: 0,
          deferred: 0,
        },
      ],
      totals: { done: 0, would: 3, failed: 0, skipped: 0, deferred: 0, byKind: { 'deregister-revision': 3 } },
    });
    expect(text).toContain('DRY RUN: nothing was changed');
    expect(text).toContain('service web/production: 3 would go, 4 kept');
    expect(text).toMatch(/would +deregister-revision +web\/production .*web:1 — beyond the newest 2 revisions/);
    expect(text).toMatch(/kept +revision +.*web:3 — used by a running task/);
    expect(text).toContain('Totals: would 3 (3 deregister-revision); skipped 0.');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: never deletes what is in use
// ---------------------------------------------------------------------------------------------

const arbInventory = fc
  .record({
    revisions: fc.uniqueArray(
      fc.record({
        revision: fc.integer({ min: 1, max: 40 }),
        status: fc.constantFrom('ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS' as const),
        deregisteredAgoDays: fc.integer({ min: 0, max: 100 }),
      }),
      { selector: (r) => r.revision, minLength: 1, maxLength: 25 },
    ),
    taskSets: fc.array(
      fc.record({
        revision: fc.integer({ min: 1, max: 40 }),
        status: fc.constantFrom('PRIMARY', 'ACTIVE', 'DRAINING'),
        ageMinutes: fc.integer({ min: 0, max: 5000 }),
        onB: fc.boolean(),
        externalId: fc.constantFrom('d-live', 'd-old', undefined),
      }),
      { maxLength: 4 },
    ),
    running: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 4 }),
    records: fc.array(
      fc.record({
        id: fc.constantFrom('d-live', 'd-old', 'd-x', 'd-y'),
        status: fc.constantFrom('IN_PROGRESS', 'QUEUED', 'SUCCEEDED', 'ROLLED_BACK', 'FAILED' as const),
        blue: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        green: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        endedAgoDays: fc.integer({ min: 0, max: 30 }),
      }),
      { maxLength: 4 },
    ),
    stable: fc.option(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 })), { nil: undefined }),
    weightOnB: fc.constantFrom(0, 0, 10, 100),
    keepRevisions: fc.integer({ min: 1, max: 6 }),
  })
  .map((x) => {
    const inv: CleanupInventory = {
      service: 'web',
      environment: 'production',
      cluster: 'demo',
      ecsService: 'web',
      revisions: x.revisions.map((r) =>
        r.status === 'ACTIVE'
          ? active(r.revision)
          : { ...inactive(r.revision, r.deregisteredAgoDays * DAY), status: r.status as RevisionInfo['status'] },
      ),
      taskSets: x.taskSets.map((t, i) =>
        taskSet(`ts${i}`, t.revision, {
          status: t.status,
          createdAt: iso(NOW - t.ageMinutes * 60_000),
          targetGroupArns: [t.onB ? TG_B : TG_A],
          ...(t.externalId ? { externalId: t.externalId } : {}),
        }),
      ),
      runningTaskDefinitions: x.running.map((r) => ARN('web', r)),
      records: x.records.map((r, i) =>
        record(`${r.id}-${i}`, r.status as DeploymentStatus, {
          updatedAt: iso(NOW - r.endedAgoDays * DAY),
          ...(r.blue ? { blue: { targetGroupArn: TG_A, taskDefinitionArn: ARN('web', r.blue) } } : {}),
          ...(r.green ? { green: { targetGroupArn: TG_B, taskDefinitionArn: ARN('web', r.green) } } : {}),
        }),
      ),
      ...(x.stable
        ? {
            stable: {
              deploymentId: 's',
              taskDefinitionArn: ARN('web', x.stable[0]),
              targetGroupArn: TG_A,
              updatedAt: iso(NOW),
              previous: { deploymentId: 'p', taskDefinitionArn: ARN('web', x.stable[1]), targetGroupArn: TG_B, updatedAt: iso(NOW) },
            },
          }
        : {}),
      productionWeights: [
        { targetGroupArn: TG_A, weight: 100 - x.weightOnB },
        { targetGroupArn: TG_B, weight: x.weightOnB },
      ],
    };
    return { inv, keepRevisions: x.keepRevisions };
  });

describe('properties', () => {
  it('never deregisters or deletes a revision in use, nor removes a primary, in-flight, traffic-carrying or young task set', () => {
    fc.assert(
      fc.property(arbInventory, ({ inv, keepRevisions }) => {
        const s = settings({}, { keepRevisions });
        const plan = planServiceCleanup(inv, s);
        const used = revisionsInUse(inv, s);
        for (const a of plan.actions) {
          if (a.kind === 'deregister-revision' || a.kind === 'delete-revision') {
            expect(used.has(revisionKey(a.target) as string)).toBe(false);
          }
          if (a.kind === 'delete-task-set') {
            const ts = inv.taskSets.find((t) => t.id === a.target) as TaskSetInfo;
            expect(ts.status).toBe('ACTIVE');
            expect(inv.records.some((r) => !['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'SUPERSEDED'].includes(r.status) && r.deploymentId === ts.externalId)).toBe(false);
            const weightOnIt = inv.productionWeights.filter((w) => ts.targetGroupArns.includes(w.targetGroupArn)).reduce((n, w) => n + w.weight, 0);
            expect(weightOnIt).toBe(0);
            expect(NOW - Date.parse(ts.createdAt as string)).toBeGreaterThanOrEqual(s.cleanup.orphanGraceSeconds * 1000);
          }
        }
        // Every in-use revision the run listed stays usable for its images.
        for (const r of inv.revisions) {
          if (r.status !== 'DELETE_IN_PROGRESS' && used.has(`${r.family}:${r.revision}`)) expect(plan.keptRevisions).toContain(r.arn);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps at least min(keepRevisions, ACTIVE revisions) ACTIVE revisions per family, and only deletes INACTIVE ones old enough', () => {
    fc.assert(
      fc.property(arbInventory, ({ inv, keepRevisions }) => {
        const s = settings({}, { keepRevisions });
        const plan = planServiceCleanup(inv, s);
        const activeCount = inv.revisions.filter((r) => r.status === 'ACTIVE').length;
        const deregistered = plan.actions.filter((a) => a.kind === 'deregister-revision').length;
        expect(activeCount - deregistered).toBeGreaterThanOrEqual(Math.min(keepRevisions, activeCount));
        for (const a of plan.actions.filter((x) => x.kind === 'delete-revision')) {
          const r = inv.revisions.find((x) => x.arn === a.target) as RevisionInfo;
          expect(r.status).toBe('INACTIVE');
          expect(NOW - Date.parse(r.deregisteredAt as string)).toBeGreaterThanOrEqual(s.cleanup.deleteInactiveAfterSeconds * 1000);
        }
        expect(plan.actions.length).toBeLessThanOrEqual(CLEANUP_LIMITS.maxActionsPerService);
      }),
      { numRuns: 300 },
    );
  });

  it('never deletes an image something keeps, a protected tag, or one pushed within the grace period', () => {
    const arbImages = fc.uniqueArray(
      fc.record({ n: fc.integer({ min: 1, max: 30 }), tags: fc.subarray(['v1', 'v2', 'latest', 'release-1', 'rc']), ageHours: fc.integer({ min: 0, max: 500 }) }),
      { selector: (x) => x.n, maxLength: 20 },
    );
    fc.assert(
      fc.property(arbImages, fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 8 }), (imgs, keepN) => {
        const images = imgs.map((x) => ({ digest: digest(x.n), tags: x.tags, pushedAt: iso(NOW - x.ageHours * HOUR) }));
        const keep = keepN.map((n, i) => (i % 2 === 0 ? { image: uri(n), reason: 'k' } : { image: digest(n), reason: 'k' }));
        const plan = planImageCleanup({
          repository: 'web',
          service: 'web',
          environment: 'production',
          images,
          keep,
          protectTags: ['latest', 'release-*'],
          imageGraceSeconds: 24 * 3600,
          nowMs: NOW,
        });
        for (const a of plan.actions) {
          const img = images.find((i) => i.digest === a.detail?.digest) as RepositoryImage;
          expect(keepN.map(digest)).not.toContain(img.digest);
          expect(img.tags.some((t) => t === 'latest' || t.startsWith('release-'))).toBe(false);
          expect(NOW - Date.parse(img.pushedAt as string)).toBeGreaterThanOrEqual(24 * HOUR);
        }
      }),
      { numRuns: 300 },
    );
  });
});
