/**
 * The gates of one deployment at the handler level: the image gate in prepare's inspect (a scan
 * that has not finished is waited for) and the migration handler (prepare the RunTask parameters,
 * judge the stopped task, never run a migration twice).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeployState } from '../../functions/core/deploy-state.js';
import { ImageRejected, ImageScanPending, MigrationFailed } from '../../functions/core/errors.js';
import { MIGRATION_GROUP } from '../../functions/core/gates.js';
import { createHandler as createMigration, MIGRATION_SUCCEEDED } from '../../functions/handlers/migration.js';
import { CLUSTER, REPOSITORY, TEMPLATE, testConfig, useDynalite, World } from '../helpers/fakes.js';

const db = useDynalite();

describe('the image gate (prepare inspect)', () => {
  const scanning = async (imageScan: Record<string, unknown>, scanStatus: string | undefined, findingCounts: Record<string, number> = {}) => {
    const w = (await World.create(db, testConfig({ web: { imageScan } }))).seed();
    const req = w.request('fresh');
    w.images.put(REPOSITORY, { digest: req.image.digest, tags: [req.image.tag ?? 'v9'], pushedAt: w.clock.iso(), ...(scanStatus ? { scanStatus } : {}), findingCounts });
    return { w, req, locked: await w.locked(req) };
  };

  it('a scan still IN_PROGRESS is ImageScanPending (the ASL waits 30 s and looks again); nothing is announced yet', async () => {
    // Prepare
    const { w, req, locked } = await scanning({ blockSeverity: 'HIGH', waitSeconds: 300 }, 'IN_PROGRESS');
    // Act
    const outcome = w.prepare({ action: 'inspect', state: locked });
    // Assess
    await expect(outcome).rejects.toThrow(ImageScanPending);
    await expect(w.prepare({ action: 'inspect', state: locked })).rejects.toThrow(/is IN_PROGRESS; looking again in 30 s \(at most 300 s more/);
    const record = await w.store.getDeployment('web', 'production', req.deploymentId);
    expect(record?.status).toBe('QUEUED');
    expect(record?.timeline.some((e) => e.key === 'image-scan-pending')).toBe(true);
    expect(w.events.published).toEqual([]);
  });

  it('once the scan completes clean, the next look passes and the deployment starts', async () => {
    const { w, req, locked } = await scanning({ blockSeverity: 'HIGH', waitSeconds: 300 }, 'IN_PROGRESS');
    await expect(w.prepare({ action: 'inspect', state: locked })).rejects.toThrow(ImageScanPending);
    w.clock.advanceSeconds(90);
    w.images.put(REPOSITORY, { digest: req.image.digest, tags: [req.image.tag ?? 'v9'], pushedAt: new Date(w.clock.now() - 90_000).toISOString(), scanStatus: 'COMPLETE', findingCounts: { MEDIUM: 3 } });
    const state = await w.prepare({ action: 'inspect', state: locked });
    expect(state.ctx).toBeDefined();
    expect((await w.store.getDeployment('web', 'production', req.deploymentId))?.status).toBe('IN_PROGRESS');
  });

  it('waitSeconds after the push: onTimeout reject rejects, onTimeout allow lets it through', async () => {
    const rejecting = await scanning({ blockSeverity: 'HIGH', waitSeconds: 120, onTimeout: 'reject' }, 'IN_PROGRESS');
    rejecting.w.clock.advanceSeconds(121);
    await expect(rejecting.w.prepare({ action: 'inspect', state: rejecting.locked })).rejects.toThrow(ImageRejected);
    const allowing = await scanning({ blockSeverity: 'HIGH', waitSeconds: 120, onTimeout: 'allow' }, 'IN_PROGRESS');
    allowing.w.clock.advanceSeconds(121);
    expect((await allowing.w.prepare({ action: 'inspect', state: allowing.locked })).ctx).toBeDefined();
  });

  it('an image that was never scanned is rejected when a gate is set, saying what to turn on', async () => {
    const { w, locked } = await scanning({ blockSeverity: 'CRITICAL' }, undefined);
    await expect(w.prepare({ action: 'inspect', state: locked })).rejects.toThrow(/never been scanned.*scan on push/);
  });

  it('the deploy context carries the gates the service has (the Choice states test them)', async () => {
    const hook = 'arn:aws:lambda:us-east-1:123456789012:function:smoke';
    const w = (await World.create(db, testConfig({ web: { migration: { command: ['migrate'] }, hooks: { beforeShift: [hook] } } }))).seed();
    expect((await w.inspected(w.request(1))).ctx?.gates).toEqual({ migration: true, beforeShift: true });
    const plain = (await World.create(db)).seed();
    expect((await plain.inspected(plain.request(1))).ctx).not.toHaveProperty('gates');
  });
});

describe('the migration handler', () => {
  let w: World;
  beforeEach(async () => {
    w = (await World.create(db, testConfig({ web: { migration: { command: ['npm', 'run', 'migrate'], containerName: 'app', timeoutSeconds: 900 } } }))).seed();
  });
  const migration = () => createMigration({ env: w.env, clock: w.clock, taskSets: w.taskSets, store: w.store, logLevel: 'SILENT' }) as (e: unknown) => Promise<DeployState>;
  const stopped = (exitCode: number) => ({
    TaskArn: 'arn:aws:ecs:us-east-1:123456789012:task/shop/0a1b2c',
    LastStatus: 'STOPPED',
    StopCode: 'EssentialContainerExited',
    StoppedReason: 'Essential container in task exited',
    Containers: [{ Name: 'app', ExitCode: exitCode }],
  });

  it('prepare: the new revision, the command on the container, the stable task set\'s network; the timeout for the state', async () => {
    const registered = await w.registered(w.request(1));
    const state = await migration()({ action: 'prepare', state: registered });
    expect(state.migration).toEqual({
      status: 'run',
      timeoutSeconds: 900,
      run: {
        Cluster: CLUSTER,
        TaskDefinition: registered.taskDefinitionArn,
        LaunchType: 'FARGATE',
        NetworkConfiguration: { AwsvpcConfiguration: { Subnets: [...TEMPLATE.networkConfiguration.awsvpcConfiguration.subnets], SecurityGroups: ['sg-0abc1234'], AssignPublicIp: 'DISABLED' } },
        Overrides: { ContainerOverrides: [{ Name: 'app', Command: ['npm', 'run', 'migrate'] }] },
        Group: MIGRATION_GROUP,
      },
    });
  });

  it('verdict: exit 0 passes and is recorded; prepare then never runs it again for this deployment', async () => {
    const req = w.request(1);
    const prepared = await migration()({ action: 'prepare', state: await w.registered(req) });
    const passed = await migration()({ action: 'verdict', state: { ...prepared, migration: { ...prepared.migration, task: stopped(0) } } });
    expect(passed.migration).toEqual({ status: 'done', taskArn: stopped(0).TaskArn });
    // A retry (redrive, duplicate) of the same deployment:
    const again = await migration()({ action: 'prepare', state: prepared });
    expect(again.migration).toEqual({ status: 'done', taskArn: stopped(0).TaskArn });
    const record = await w.store.getDeployment('web', 'production', req.deploymentId);
    expect(record?.timeline.filter((e) => e.key === MIGRATION_SUCCEEDED)).toHaveLength(1);
  });

  it.each([
    ['a non-zero exit code', { task: stopped(3) }, /exit code 3 in container app: Essential container in task exited/],
    ['a timeout', { error: { Error: 'States.Timeout', Cause: 'RunMigration timed out' } }, /did not finish within 900 s/],
    ['RunTask failing', { error: { Error: 'ECS.AmazonECSException', Cause: 'ClientException: unable to place' } }, /could not run/],
  ])('verdict: %s is MigrationFailed with what happened, on the timeline', async (_name, result, message) => {
    const req = w.request(1);
    const prepared = await migration()({ action: 'prepare', state: await w.registered(req) });
    const verdict = migration()({ action: 'verdict', state: { ...prepared, migration: { ...prepared.migration, ...result } } });
    await expect(verdict).rejects.toThrow(MigrationFailed);
    await expect(migration()({ action: 'verdict', state: { ...prepared, migration: { ...prepared.migration, ...result } } })).rejects.toThrow(message);
    const record = await w.store.getDeployment('web', 'production', req.deploymentId);
    expect(record?.timeline.map((e) => e.key)).toEqual(expect.arrayContaining(['migration-started', 'migration-failed']));
  });
});
