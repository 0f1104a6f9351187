/**
 * reconcile: the scheduled sweep. Orphans (in-flight records whose execution no longer runs) are
 * listed and, after the settle, closed through the deploy rollback; the newest push of a repository
 * that has no deployment (a lost ECR event) gets one, exactly once.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { deploymentIdFor } from '../../functions/core/deploy-state.js';
import type { ImageInventory, RepositoryImage } from '../../functions/core/ports.js';
import { createHandler, type Orphan, type SweepResult } from '../../functions/handlers/reconcile.js';
import { ARN, BLUE_TASK_SET, CLUSTER, digestOf, ECS_SERVICE, FakeOrchestrator, REPOSITORY, useDynalite, WEB_ROUTE, World } from '../helpers/fakes.js';

const db = useDynalite();

/** The fake orchestrator, with the status of executions set by the test (default RUNNING). */
class Executions extends FakeOrchestrator {
  readonly statuses = new Map<string, string>();
  override async executionStatus(executionArn: string): Promise<string | undefined> {
    return this.statuses.get(executionArn) ?? 'RUNNING';
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
const reconcile = () =>
  createHandler({ env: w.env, clock: w.clock, store: w.store, orchestrator: executions, images: inventory, taskSets: w.taskSets, logLevel: 'SILENT' });
const sweep = async () => (await reconcile()({ op: 'sweep' })) as SweepResult;
const closeState = async (orphan: Orphan) => (await reconcile()({ op: 'close-state', orphan })) as { close: import('../../functions/core/deploy-state.js').DeployState | null };
const split = (blue: number, green: number) => [
  { targetGroupArn: ARN.webBlue, weight: blue },
  { targetGroupArn: ARN.webGreen, weight: green },
];

beforeEach(async () => {
  w = (await World.create(db)).seed();
  executions = new Executions();
  inventory = new Inventory();
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
      image: { repository: REPOSITORY, digest: digestOf(5), uri: `x@${digestOf(5)}` },
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
    expect(started?.deploymentId).toMatch(new RegExp(`^${id}-rc-[0-9a-f]{8}$`));
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

  it('a repository that cannot be read is reported and the sweep goes on', async () => {
    inventory.list = async () => {
      throw Object.assign(new Error('ECR:DescribeImages answered 500'), { name: 'AwsUnavailable' });
    };
    const result = await sweep();
    expect(result.errors[0]).toMatch(/AwsUnavailable/);
    expect(result.started).toEqual([]);
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
