/**
 * reconcile: the scheduled sweep. Orphans (in-flight records whose execution no longer runs) are
 * listed and, after the settle, closed through the deploy rollback; the newest push of a repository
 * that has no deployment (a lost ECR event) gets one, exactly once.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { deploymentIdFor } from '../../functions/core/deploy-state.js';
import type { ImageInventory, RepositoryImage } from '../../functions/core/ports.js';
import { createHandler, type Orphan, type SweepResult } from '../../functions/handlers/reconcile.js';
import type { HandlerEnv } from '../../functions/handlers/shared/env.js';
import { recordingMetrics } from '../../functions/handlers/shared/metrics.js';
import type { ReleaseRecord } from '../../functions/core/release.js';
import { releaseIdFor } from '../../functions/core/release.js';
import { ACCOUNT, ARN, BLUE_TASK_SET, CLUSTER, REGION, digestOf, ECS_SERVICE, FakeOrchestrator, REPOSITORY, useDynalite, WEB_ROUTE, World } from '../helpers/fakes.js';

const db = useDynalite();

/** The fake orchestrator, with the status of executions set by the test (default RUNNING). */
class Executions extends FakeOrchestrator {
  readonly statuses = new Map<string, string>();
  override async executionStatus(executionArn: string): Promise<string | undefined> {
    return this.statuses.get(executionArn) ?? 'RUNNING';
  }
  override async describe(executionArn: string): Promise<{ status: string; startedAt: string } | undefined> {
    const known = [...this.executions.values()].some((e) => e.executionArn === executionArn);
    return known ? { status: this.statuses.get(executionArn) ?? 'RUNNING', startedAt: '2025-01-01T00:00:00.000Z' } : undefined;
  }
}

class Inventory implements ImageInventory {
  readonly images = new Map<string, RepositoryImage[]>();
  async list(repository: string): Promise<RepositoryImage[]> {
    return [...(this.images.get(repository) ?? [])];
  }
  async delete(): Promise<{ deleted: string[]; failures: Array<{ digest: string; reason: string }> }> {
    throw new Error('the sweep never deletes images');
  }
}

let w: World;
let executions: Executions;
let inventory: Inventory;
let env: HandlerEnv;
const releaseRecords = new Map<string, ReleaseRecord>();
const RELEASE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:cutover-release';
const reconcile = () =>
  createHandler({
    env: env ?? w.env,
    clock: w.clock,
    store: w.store,
    orchestrator: executions,
    images: inventory,
    registry: w.images,
    releases: { getRelease: async (id: string) => releaseRecords.get(id) },
    taskSets: w.taskSets,
    router: w.router,
    taskDefinitions: w.taskDefinitions,
    logLevel: 'SILENT',
  });
const sweep = async () => (await reconcile()({ op: 'sweep' })) as SweepResult;
const closeState = async (orphan: Orphan) => (await reconcile()({ op: 'close-state', orphan })) as { close: import('../../functions/core/deploy-state.js').DeployState | null };
const split = (blue: number, green: number) => [
  { targetGroupArn: ARN.webBlue, weight: blue },
  { targetGroupArn: ARN.webGreen, weight: green },
];

/** Cutover has managed every configured service for a week (a first sweep a week ago recorded it). */
const MANAGED_FOR_MS = 7 * 24 * 3600 * 1000;

beforeEach(async () => {
  w = (await World.create(db)).seed();
  env = w.env;
  releaseRecords.clear();
  executions = new Executions();
  inventory = new Inventory();
  for (const svc of w.env.config.services) await w.store.markManaged(svc.name, svc.environment, new Date(w.clock.now() - MANAGED_FOR_MS).toISOString());
});

describe('reconcile: orphaned deployments', () => {
  it('an in-flight record whose execution was stopped is an orphan; closing it rolls back half-shifted traffic', async () => {
    // Prepare: web/production at 10 %, then its execution is stopped from the console.
    const state = await w.greenHealthy(w.request(1));
    await w.shiftedThrough(state, 0);
    const executionArn = w.executionArn(state.request);
    executions.statuses.set(executionArn, 'ABORTED');
    // Act
    const found = await sweep();
    const orphan = found.orphans[0] as Orphan;
    const { close } = await closeState(orphan);
    const rolled = await w.rollback({ state: close });
    // Assess
    expect(found.orphans).toEqual([
      { service: 'web', environment: 'production', deploymentId: state.request.deploymentId, executionArn, executionStatus: 'ABORTED' },
    ]);
    expect(rolled.outcome).toMatchObject({ status: 'ROLLED_BACK', code: 'ExecutionStopped' });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
    expect(w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE).map((t) => t.id)).toEqual([BLUE_TASK_SET]);
    const record = await w.store.getDeployment('web', 'production', state.request.deploymentId);
    expect(record?.reason?.message).toContain(`${executionArn} is ABORTED`);
    expect((await w.store.getLock('web', 'production'))?.holder).toBeUndefined();
  });

  it('publishes each in-flight deployment\'s age, which the StuckDeployment alarm reads', async () => {
    // Prepare: web/production in flight, then ten minutes pass.
    const state = await w.greenHealthy(w.request(1));
    executions.statuses.set(w.executionArn(state.request), 'RUNNING');
    const record = await w.store.getDeployment('web', 'production', state.request.deploymentId);
    w.clock.advance(600_000);
    const points = recordingMetrics();
    // Act
    await createHandler({
      env: w.env, clock: w.clock, store: w.store, orchestrator: executions, images: inventory, registry: w.images,
      releases: { getRelease: async () => undefined }, taskSets: w.taskSets, router: w.router, taskDefinitions: w.taskDefinitions,
      deploymentMetrics: points, logLevel: 'SILENT',
    })({ op: 'sweep' });
    // Assess
    const expected = (w.clock.now() - Date.parse(record?.createdAt ?? '')) / 1000;
    expect(expected).toBeGreaterThanOrEqual(600);
    expect(points.points).toEqual([{ name: 'OldestInFlightSeconds', value: expected, unit: 'Seconds', dimensions: { service: 'web', environment: 'production' } }]);
  });

  it('a running execution is left alone', async () => {
    await w.greenHealthy(w.request(1));
    expect((await sweep()).orphans).toEqual([]);
  });

  it('close-state is null when the execution runs again or the record ended meanwhile', async () => {
    const state = await w.greenHealthy(w.request(1));
    const executionArn = w.executionArn(state.request);
    executions.statuses.set(executionArn, 'FAILED');
    const [orphan] = (await sweep()).orphans;
    executions.statuses.set(executionArn, 'RUNNING');
    expect((await closeState(orphan as Orphan)).close).toBeNull();
    executions.statuses.set(executionArn, 'FAILED');
    await w.rollback({ state: { ...state, error: { Error: 'HealthCheckTimeout', Cause: '{}' } } });
    expect((await closeState(orphan as Orphan)).close).toBeNull();
  });

  it('a record with missing fields (no blue, no green task set id): AWS is trusted for both', async () => {
    // Prepare: the execution wrote little before it died; AWS holds a green task set at 10 %.
    const id = 'web-production-partial';
    const at = w.clock.iso();
    await w.store.createDeployment({
      deploymentId: id,
      service: 'web',
      environment: 'production',
      status: 'IN_PROGRESS',
      image: { repository: REPOSITORY, digest: digestOf(5), uri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}@${digestOf(5)}` },
      strategy: 'canary',
      alarmNames: [],
      green: { targetGroupArn: ARN.webGreen },
      timeline: [],
      createdAt: at,
      updatedAt: at,
    });
    const green = w.taskSets.addTaskSet(CLUSTER, ECS_SERVICE, {
      status: 'ACTIVE',
      taskDefinitionArn: ARN.webTaskDefinition,
      targetGroupArn: ARN.webGreen,
      externalId: id,
    });
    w.router.seed(WEB_ROUTE, split(90, 10));
    const orphan: Orphan = { service: 'web', environment: 'production', deploymentId: id, executionArn: null, executionStatus: 'UNKNOWN' };
    executions.statuses.set(`${ARN.deployStateMachine.replace(':stateMachine:', ':execution:')}:${id}`, 'ABORTED');
    // Act
    const { close } = await closeState(orphan);
    await w.rollback({ state: close });
    // Assess
    expect(close?.ctx?.blue?.taskSetId).toBe(BLUE_TASK_SET);
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
    expect(w.taskSets.deleted.map((d) => d.id)).toEqual([green.id]);
    expect((await w.store.getDeployment('web', 'production', id))?.status).toBe('ROLLED_BACK');
  });
});

describe('reconcile: lost push events', () => {
  const pushed = (label: number, secondsAgo: number, tag = `v${label}`): RepositoryImage => ({
    digest: digestOf(label),
    tags: [tag],
    pushedAt: new Date(w.clock.now() - secondsAgo * 1000).toISOString(),
  });

  it('starts a deployment of the newest push that has none, as intake would, once', async () => {
    inventory.images.set(REPOSITORY, [pushed(1, 3 * 24 * 3600), pushed(2, 600)]);
    const first = await sweep();
    const second = await sweep();
    const id = deploymentIdFor('web', 'production', digestOf(2));
    expect(first.started.map((s) => s.deploymentId)).toContain(id);
    expect(second.started.find((s) => s.deploymentId === id)?.alreadyStarted).toBe(true);
    const started = executions.started.filter((s) => s.name === id);
    expect(started).toHaveLength(1);
    expect(started[0]?.input).toMatchObject({
      deploymentId: id,
      service: 'web',
      environment: 'production',
      image: { repository: REPOSITORY, digest: digestOf(2), tag: 'v2' },
      trigger: { kind: 'reconcile' },
    });
  });

  it('a push whose execution ended before writing a record is deployed under a new name (names are not reusable)', async () => {
    inventory.images.set(REPOSITORY, [pushed(2, 600)]);
    const id = deploymentIdFor('web', 'production', digestOf(2));
    const first = await executions.start(ARN.deployStateMachine, id, {});
    executions.statuses.set(first.executionArn, 'FAILED');
    const result = await reconcile()({ op: 'sweep', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:cutover-reconcile:s-1' }) as SweepResult;
    const started = result.started.find((s) => s.deploymentId.startsWith(id));
    expect(started?.deploymentId).toMatch(new RegExp(`^${id}-[0-9a-f]{8}$`));
    expect(started?.alreadyStarted).toBe(false);
    expect(executions.started.find((x) => x.name === started?.deploymentId)?.input).toMatchObject({ deploymentId: started?.deploymentId, image: { digest: digestOf(2) } });
  });

  it('each service by its own tag filter (worker takes v* only; web/staging takes latest only)', async () => {
    inventory.images.set(REPOSITORY, [pushed(7, 600, 'latest')]);
    const { started } = await sweep();
    expect(started.map((s) => s.deploymentId).sort()).toEqual([
      deploymentIdFor('web', 'production', digestOf(7)),
      deploymentIdFor('web', 'staging', digestOf(7)),
    ]);
  });

  it('a push already deployed, or too fresh, starts nothing', async () => {
    const state = await w.validated(w.request(3));
    inventory.images.set(REPOSITORY, [{ ...pushed(3, 600), digest: state.request.image.digest }]);
    expect((await sweep()).started.filter((s) => s.deploymentId.startsWith('web-production'))).toEqual([]);
    inventory.images.set(REPOSITORY, [pushed(4, 30)]);
    expect((await sweep()).started).toEqual([]);
  });

  it('a push tagged only with 129-300 characters (ECR takes it, Docker does not) is skipped with the reason, every sweep, never started (issue #14, Low)', async () => {
    // Prepare: a 300-character tag pushed 10 minutes ago, and a Docker-tagged push before it.
    inventory.images.set(REPOSITORY, [pushed(5, 600, `v${'1'.repeat(299)}`), pushed(6, 1200, 'v6')]);
    // Act: the schedule runs the sweep again and again.
    const runs = [await sweep(), await sweep()];
    // Assess: the long-tagged push is named as skipped, and never started (only the older Docker-tagged one is).
    for (const r of runs) {
      expect(r.skipped).toEqual([{ repository: REPOSITORY, digest: digestOf(5), reason: expect.stringMatching(/300 characters.*at most 128/) }]);
      expect(r.started.some((s) => s.digest === digestOf(5))).toBe(false);
    }
    expect(executions.started.some((s) => JSON.stringify(s.input).includes(digestOf(5)))).toBe(false);
    // A recent push with a Docker tag is not skipped (the test can fail).
    inventory.images.set(REPOSITORY, [pushed(7, 600, 'v7')]);
    expect((await sweep()).skipped).toBeUndefined();
  });

  it('with a release pipeline, a push lost before a later environment starts nothing there: the release owns it (issue #12, defect 1)', async () => {
    // Prepare: production then staging; the push's release deployed production (its first
    // environment) and is still on its way; staging (web/staging takes `latest`) has no record yet.
    env = { ...w.env, releaseStateMachineArn: RELEASE_ARN };
    inventory.images.set(REPOSITORY, [pushed(2, 600, 'latest')]);
    await w.validated(w.request(2, { deploymentId: deploymentIdFor('web', 'production', digestOf(2)) }));
    // Act
    const result = await sweep();
    // Assess: no deploy execution, in staging or anywhere; no release either (its first environment has the push).
    expect(result.started).toEqual([]);
    expect(result.releases).toEqual([]);
    expect(executions.started.filter((s) => s.stateMachineArn === ARN.deployStateMachine)).toEqual([]);
  });

  it('with a release pipeline, a lost push goes through the release, as intake would (never a deploy execution), once', async () => {
    env = { ...w.env, releaseStateMachineArn: RELEASE_ARN };
    inventory.images.set(REPOSITORY, [pushed(2, 600, 'v2')]);
    const first = await sweep();
    const second = await sweep();
    expect(first.started).toEqual([]);
    expect(first.releases).toEqual([expect.objectContaining({ releaseId: releaseIdFor(REPOSITORY, digestOf(2)), alreadyStarted: false })]);
    expect(second.releases[0]?.alreadyStarted).toBe(true);
    expect(executions.started.map((s) => s.stateMachineArn)).toEqual([RELEASE_ARN]);
    expect(executions.started[0]?.input).toMatchObject({ image: { repository: REPOSITORY, digest: digestOf(2), tag: 'v2' }, trigger: { kind: 'reconcile' } });
    // Its release ended (aborted before production, say): the sweep never starts it again.
    executions.statuses.set(first.releases[0]?.executionArn as string, 'FAILED');
    releaseRecords.set(releaseIdFor(REPOSITORY, digestOf(2)), {
      releaseId: releaseIdFor(REPOSITORY, digestOf(2)),
      status: 'ABORTED',
      image: { repository: REPOSITORY, digest: digestOf(2), uri: 'u' },
      trigger: { kind: 'ecr-push' },
      stages: [],
      createdAt: w.clock.iso(),
      updatedAt: w.clock.iso(),
    });
    const third = await sweep();
    expect(third.releases[0]?.alreadyStarted).toBe(true);
    expect(executions.started).toHaveLength(1);
  });

  it('right after install, a push made before the service came under management is not deployed; a push lost after is', async () => {
    // Prepare: a fresh table (Cutover just installed: no management record), and an image pushed
    // an hour before install that nobody deployed.
    w = (await World.create(db)).seed();
    env = w.env;
    inventory.images.set(REPOSITORY, [pushed(2, 3600)]);
    // Act: the first sweep after install.
    const first = await sweep();
    // Assess: nothing deployed, and the sweep recorded when it first saw web/production.
    expect(first.started).toEqual([]);
    expect(executions.started).toEqual([]);
    const installedAt = w.clock.iso();
    expect(await w.store.markManaged('web', 'production', '2099-01-01T00:00:00.000Z')).toBe(installedAt);
    // Prepare: ten minutes later a push whose event EventBridge lost.
    w.clock.advance(600_000);
    inventory.images.set(REPOSITORY, [pushed(2, 4200), pushed(3, 300)]);
    // Act
    const later = await sweep();
    // Assess: the push after management is deployed, once, in every environment its tag filter takes.
    expect(later.started.map((s) => s.deploymentId)).toContain(deploymentIdFor('web', 'production', digestOf(3)));
    expect(later.started.every((s) => s.digest === digestOf(3))).toBe(true);
    // The first-seen time does not move on later sweeps.
    expect(await w.store.markManaged('web', 'production', w.clock.iso())).toBe(installedAt);
  });

  it('two sweeps seeing a service for the first time at once agree on when it came under management (a conditional put)', async () => {
    const [a, b] = await Promise.all([
      w.store.markManaged('fresh', 'production', '2026-01-01T00:00:00.000Z'),
      w.store.markManaged('fresh', 'production', '2026-01-01T00:05:00.000Z'),
    ]);
    expect(a).toBe(b);
    expect(['2026-01-01T00:00:00.000Z', '2026-01-01T00:05:00.000Z']).toContain(a);
    expect(await w.store.markManaged('fresh', 'production', '2027-01-01T00:00:00.000Z')).toBe(a);
  });

  it('a service added to the configuration later: a push made before it was added is not deployed, another service is unaffected', async () => {
    // Prepare: web and worker have been managed for a week (beforeEach); `added-later`, a copy of the
    // worker (same repository and tag filter), was just added to the configuration.
    const worker = w.env.config.services.find((s) => s.name === 'worker');
    expect(worker?.repository).toBe(REPOSITORY);
    const added = { ...(worker as NonNullable<typeof worker>), name: 'added-later' };
    env = { ...w.env, config: { ...w.env.config, services: [...w.env.config.services, added] } };
    inventory.images.set(REPOSITORY, [pushed(8, 900)]);
    // Act
    const result = await sweep();
    // Assess: web (managed for a week) deploys the lost push; the newly added service does not.
    const ids = result.started.map((s) => s.deploymentId);
    expect(ids).toContain(deploymentIdFor('web', 'production', digestOf(8)));
    expect(ids).toContain(deploymentIdFor('worker', 'production', digestOf(8)));
    expect(ids.filter((id) => id.startsWith('added-later'))).toEqual([]);
  });

  it('the image the service already runs (its primary task set) is not deployed again', async () => {
    inventory.images.set(REPOSITORY, [{ digest: digestOf('stable'), tags: ['v9'], pushedAt: new Date(w.clock.now() - 600_000).toISOString() }]);
    expect((await sweep()).started.filter((s) => s.deploymentId.startsWith('web-production'))).toEqual([]);
  });

  it('a repository that cannot be read is reported and the sweep goes on', async () => {
    inventory.list = async () => {
      throw Object.assign(new Error('ECR:DescribeImages answered 500'), { name: 'AwsUnavailable' });
    };
    const result = await sweep();
    expect(result.errors[0]).toMatch(/AwsUnavailable/);
    expect(result.started).toEqual([]);
  });
});

describe('reconcile: lock claims dated in the future (issue #14, item 3)', () => {
  it('a claim dated beyond the clock skew is cleared, and never supersedes a later push', async () => {
    // Prepare: a deployment dated 2099 took the lock and released it (its `granted` claim stays).
    const future = { deploymentId: 'web-production-future', digest: digestOf(9), requestedAt: '2099-01-01T00:00:00Z', leaseSeconds: 600, nowMs: w.clock.now() };
    expect(await w.store.acquireLock('web', 'production', future)).toEqual({ outcome: 'acquired' });
    await w.store.releaseLock('web', 'production', future.deploymentId);
    // Assess: a push of now is not superseded by it ...
    const now = { deploymentId: 'web-production-now', digest: digestOf(2), requestedAt: w.clock.iso(), leaseSeconds: 600, nowMs: w.clock.now() };
    expect(await w.store.acquireLock('web', 'production', now)).toEqual({ outcome: 'acquired' });
    await w.store.releaseLock('web', 'production', now.deploymentId);
    // ... and the sweep clears such a claim (written before claims were checked: here by a caller whose clock said 2099).
    await w.store.acquireLock('web', 'production', { ...future, deploymentId: 'web-production-future-2', nowMs: Date.parse('2099-01-01T00:00:00Z') });
    await w.store.releaseLock('web', 'production', 'web-production-future-2');
    const result = await sweep();
    expect(result.clearedClaims).toEqual([
      { service: 'web', environment: 'production', deploymentId: 'web-production-future-2', requestedAt: '2099-01-01T00:00:00Z' },
    ]);
    expect((await sweep()).clearedClaims).toEqual([]);
    const later = { ...now, deploymentId: 'web-production-later', requestedAt: w.clock.iso() };
    expect(await w.store.acquireLock('web', 'production', later)).toEqual({ outcome: 'acquired' });
  });
});

describe('reconcile: traffic left on a task set that is not primary (issue #12, defect 5)', () => {
  it('after a deployment ended with traffic on green (no task set primary there), the sweep puts it back on the primary', async () => {
    // Prepare: a deployment ended ROLLED_BACK but its rollback gave up with 50 % still on green.
    const state = await w.validated(w.request(2));
    await w.store.finish('web', 'production', state.request.deploymentId, 'ROLLED_BACK', { code: 'AlarmTriggered', message: 'x' }, 0);
    await w.router.setWeights(WEB_ROUTE, split(50, 50));
    // Act
    const result = await sweep();
    // Assess
    expect(result.repaired).toEqual([expect.objectContaining({ service: 'web', environment: 'production', deploymentId: state.request.deploymentId, to: ARN.webBlue })]);
    expect(await w.router.readWeights(WEB_ROUTE)).toEqual(split(100, 0));
    expect((await w.store.getDeployment('web', 'production', state.request.deploymentId))?.timeline.map((e) => e.key)).toContain('traffic-repaired');
    // A second sweep finds nothing to do; a deployment in flight is never touched.
    expect((await sweep()).repaired).toEqual([]);
    await w.validated(w.request(3));
    await w.router.setWeights(WEB_ROUTE, split(90, 10));
    expect((await sweep()).repaired).toEqual([]);
  });
});

describe('reconcile: stale locks', () => {
  it('a lock still held by a deployment that ended is released; a live holder keeps it', async () => {
    // Prepare: #1 failed after its terminal write, before releasing the lock.
    const state = await w.locked(w.request(1));
    await w.store.finish('web', 'production', state.request.deploymentId, 'FAILED', { code: 'AwsUnavailable', message: 'DynamoDB down' }, 0);
    executions.statuses.set(w.executionArn(state.request), 'FAILED');
    // Act
    const result = await sweep();
    // Assess
    expect(result.releasedLocks).toEqual([{ service: 'web', environment: 'production', deploymentId: state.request.deploymentId }]);
    expect((await w.store.getLock('web', 'production'))?.holder).toBeUndefined();
    const next = await w.locked(w.request(2));
    expect((await sweep()).releasedLocks).toEqual([]);
    expect((await w.store.getLock('web', 'production'))?.holder).toBe(next.request.deploymentId);
  });
});
