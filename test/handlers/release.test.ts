/**
 * release: plan and record a release, the approval (await, approve, abort), each environment's
 * outcome from its deployment records, and the end of the release. The release store is the real
 * DynamoDB adapter over dynalite.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoReleaseStore } from '../../functions/aws/release-store.js';
import type { CutoverConfigInput } from '../../functions/core/config.js';
import { DeploymentRolledBack, SignalNotVerified, ValidationError } from '../../functions/core/errors.js';
import { signalProof } from '../../functions/handlers/shared/signal-proof.js';
import { DeploymentStatus, LifecycleEvent } from '../../functions/core/model.js';
import { publicRelease, type ReleaseStageItem } from '../../functions/core/release.js';
import { createHandler as createIntake } from '../../functions/handlers/intake.js';
import { attemptSuffix } from '../../functions/core/deploy-state.js';
import { createHandler, type ReleaseOutput, type ReleaseState } from '../../functions/handlers/release.js';
import { dynaliteClient, freshStoreTable, type RunningDynalite, startDynalite } from '../helpers/dynalite.js';
import { ARN, digestOf, REPOSITORY, testConfig, useDynalite, World } from '../helpers/fakes.js';

/** web in staging then production (the test config's services; staging deploys only `latest`). */
const CONFIG: CutoverConfigInput = {
  ...testConfig(),
  environments: [{ name: 'staging' }, { name: 'production', requiresApproval: true, approvalTimeoutSeconds: 3600 }],
};
const RELEASE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:cutover-release';

const db = useDynalite();
let dynalite: RunningDynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite?.close();
});

let w: World;
let releases: DynamoReleaseStore;
beforeEach(async () => {
  w = await World.create(db, CONFIG);
  const { doc, tableName } = await freshStoreTable(dynaliteClient(dynalite.endpoint));
  releases = new DynamoReleaseStore(doc, tableName, w.clock);
});

const release = () =>
  createHandler({ env: w.env, clock: w.clock, releases, store: w.store, events: w.events, logLevel: 'SILENT' }) as (
    e: unknown,
  ) => Promise<unknown>;
const input = (over: Record<string, unknown> = {}) => ({
  releaseId: 'rel-1',
  image: { repository: REPOSITORY, digest: digestOf(2), tag: 'latest' },
  trigger: { kind: 'ecr-push', eventId: 'e-1' },
  ...over,
});
const started = async (over: Record<string, unknown> = {}) => (await release()({ action: 'start', input: input(over), executionName: 'rel-1' })) as ReleaseState;
const itemOf = (state: ReleaseState, index: number, extra: Partial<ReleaseStageItem> = {}): ReleaseStageItem => ({
  release: state.release,
  stage: state.stages[index] as ReleaseStageItem['stage'],
  index,
  ...extra,
});

/** A deployment record of the plan, ended with `status`. */
async function ended(state: ReleaseState, index: number, status: DeploymentStatus, code = 'Promoted') {
  for (const d of state.stages[index]?.deployments ?? []) {
    await w.store.createDeployment({
      deploymentId: d.deploymentId,
      service: d.service,
      environment: state.stages[index]?.environment as string,
      status: DeploymentStatus.QUEUED,
      image: state.release.image as never,
      strategy: 'canary',
      alarmNames: [],
      timeline: [],
      createdAt: w.clock.iso(),
      updatedAt: w.clock.iso(),
    });
    await w.store.finish(d.service, state.stages[index]?.environment as string, d.deploymentId, status, { code, message: `${code} message` }, 0);
  }
}

describe('start', () => {
  it('plans staging then production and records every environment PENDING', async () => {
    const state = await started();
    expect(state.stages.map((s) => [s.environment, s.deployments.map((d) => d.deploymentId)])).toEqual([
      // rel-1 is not the push's first release name: its deployments are named after it.
      ['staging', [`web-staging-${digestOf(2).slice(7, 23)}-${attemptSuffix('rel-1')}`]],
      ['production', [`web-production-${digestOf(2).slice(7, 23)}-${attemptSuffix('rel-1')}`]],
    ]);
    const record = await releases.getRelease('rel-1');
    expect(record?.status).toBe('IN_PROGRESS');
    expect(record?.stages.map((s) => [s.environment, s.status, s.requiresApproval])).toEqual([
      ['staging', 'PENDING', false],
      ['production', 'PENDING', true],
    ]);
  });

  it('a replay continues the same release; a release that ended cannot start again', async () => {
    await started();
    await expect(started()).resolves.toMatchObject({ release: { releaseId: 'rel-1' } });
    await releases.finishRelease('rel-1', 'FAILED', { code: 'DeploymentFailed', message: 'x' }, [], 0);
    await expect(started()).rejects.toThrow(/already ended FAILED/);
  });

  it("a releaseId that is not the execution's name is refused, and nothing is recorded (issue #14, item 2)", async () => {
    // A second execution naming a release in flight cannot join it (and answer its approvals).
    await started();
    const join = release()({ action: 'start', input: input(), executionName: 'someone-elses' });
    await expect(join).rejects.toThrow(ValidationError);
    await expect(release()({ action: 'start', input: input({ releaseId: 'rel-2' }), executionName: 'rel-3' })).rejects.toThrow(/releaseId: "rel-2" must equal the execution's name \("rel-3"\)/);
    expect(await releases.getRelease('rel-2')).toBeUndefined();
  });

  it('a requestedAt beyond the clock skew is refused; a manual release is ordered by its start (issue #14, item 3)', async () => {
    await expect(release()({ action: 'start', input: input({ requestedAt: '2099-01-01T00:00:00Z' }), executionName: 'rel-1' })).rejects.toThrow(/requestedAt/);
    expect(await releases.getRelease('rel-1')).toBeUndefined();
    const state = (await release()({
      action: 'start',
      input: input({ requestedAt: '2020-01-01T00:00:00Z', trigger: { kind: 'manual', by: 'alice' } }),
      executionName: 'rel-1',
      startedAt: w.clock.iso(),
    })) as ReleaseState;
    expect(state.release.requestedAt).toBe(w.clock.iso());
    expect(state.release.deployTrigger).toEqual({ kind: 'release', eventId: 'rel-1', by: 'alice' });
  });

  it('bad input starts nothing: a ValidationError naming the field', async () => {
    await expect(release()({ action: 'start', input: input({ environments: ['prod'] }) })).rejects.toThrow(ValidationError);
    await expect(release()({ action: 'start', input: { image: { repository: REPOSITORY } } })).rejects.toThrow(/image.digest/);
    expect(await releases.getRelease('rel-1')).toBeUndefined();
  });
});

describe('the approval', () => {
  const EXECUTION = `${RELEASE_ARN.replace(':stateMachine:', ':execution:')}:rel-1`;
  const startedUnder = async () => (await release()({ action: 'start', input: input(), executionName: 'rel-1', executionArn: EXECUTION })) as ReleaseState;

  it('await-approval stores the token (on the waiting index) and announces it; the release function answers no token', async () => {
    // Prepare
    const state = await startedUnder();
    // Act
    await release()({ action: 'await-approval', item: itemOf(state, 1), taskToken: 'tok-1', executionArn: EXECUTION });
    // Assess
    const record = await releases.getRelease('rel-1');
    expect(record?.stages[1]?.status).toBe('WAITING_FOR_APPROVAL');
    expect(record?.waitingFor?.environment).toBe('production');
    expect((await releases.listWaitingReleases()).map((r) => r.releaseId)).toEqual(['rel-1']);
    expect(w.events.of(LifecycleEvent.ReleaseApprovalRequested)).toEqual([
      expect.objectContaining({ releaseId: 'rel-1', environment: 'production', timeoutSeconds: 3600, onTimeout: 'abort' }),
    ]);
    // The operator's old door is shut: `control` is not an action of this function any more (issue #14, item 4).
    await expect(release()({ action: 'control', control: { releaseId: 'rel-1', action: 'approve', by: 'mallory' } })).rejects.toThrow(ValidationError);
    expect(w.orchestrator.signals).toEqual([]);
    // Once begun, the token leaves the record and the index.
    await release()({ action: 'begin', item: itemOf(state, 1, { approval: { action: 'approve', by: 'alice' } }) });
    expect((await releases.getRelease('rel-1'))?.taskToken).toBeUndefined();
    expect(await releases.listWaitingReleases()).toEqual([]);
  });

  it('await-approval plants no token on a release another execution runs, or on an environment that needs no approval', async () => {
    const state = await startedUnder();
    await expect(release()({ action: 'await-approval', item: itemOf(state, 1), taskToken: 'tok-x', executionArn: `${EXECUTION}-other` })).rejects.toThrow(
      /not a release in progress under execution .*-other/,
    );
    await expect(release()({ action: 'await-approval', item: itemOf(state, 1), taskToken: 'tok-x' })).rejects.toThrow(ValidationError);
    await expect(release()({ action: 'await-approval', item: itemOf(state, 0), taskToken: 'tok-x', executionArn: EXECUTION })).rejects.toThrow(ValidationError);
    expect((await releases.getRelease('rel-1'))?.taskToken).toBeUndefined();
  });

  it('verify-signal: an approval without the control path\'s nonce is SignalNotVerified; with it, it passes', async () => {
    // Prepare: production waits on tok-1.
    const state = await startedUnder();
    await release()({ action: 'await-approval', item: itemOf(state, 1), taskToken: 'tok-1', executionArn: EXECUTION });
    // Act + Assess: a SendTaskSuccess from outside (no nonce, or a made-up one)
    await expect(release()({ action: 'verify-signal', item: itemOf(state, 1, { approval: { action: 'approve', by: 'mallory' } }) })).rejects.toThrow(SignalNotVerified);
    await expect(
      release()({ action: 'verify-signal', item: itemOf(state, 1, { approval: { action: 'approve', nonce: 'made-up' } as never }) }),
    ).rejects.toThrow(SignalNotVerified);
    // The control path recorded the hashes of this token and of its nonce.
    const proof = signalProof('tok-1');
    await releases.recordApprovalSignal('rel-1', { ...proof.recorded, by: 'alice', at: w.clock.iso() });
    await expect(release()({ action: 'verify-signal', item: itemOf(state, 1, { approval: { action: 'approve', nonce: proof.nonce } as never }) })).resolves.toEqual({
      checked: true,
    });
    // A public read of the record has neither the token nor the hashes.
    const shown = publicRelease((await releases.getRelease('rel-1')) as never);
    expect(JSON.stringify(shown)).not.toMatch(/tok-1|signalNonceHash|tokenHash/);
  });
});

describe('each environment', () => {
  it('begin, deployed (all SUCCEEDED), verified: the stage goes DEPLOYING, VERIFYING, SUCCEEDED', async () => {
    const state = await started();
    const staging = { ...itemOf(state, 0), stage: { ...itemOf(state, 0).stage, verify: true } };
    await release()({ action: 'begin', item: staging });
    expect((await releases.getRelease('rel-1'))?.stages[0]?.status).toBe('DEPLOYING');
    await ended(state, 0, DeploymentStatus.SUCCEEDED);
    const deployed = (await release()({ action: 'deployed', item: { ...staging, results: [{ status: 'SUCCEEDED' }] } })) as ReleaseStageItem;
    expect(deployed.deployed).toEqual([{ service: 'web', deploymentId: staging.stage.deployments[0]?.deploymentId, status: 'SUCCEEDED' }]);
    expect((await releases.getRelease('rel-1'))?.stages[0]?.status).toBe('VERIFYING');
    await release()({ action: 'verified', item: deployed });
    expect((await releases.getRelease('rel-1'))?.stages[0]).toMatchObject({ status: 'SUCCEEDED', deployments: [{ service: 'web', status: 'SUCCEEDED' }] });
  });

  it('a rolled-back deployment stops the release with DeploymentRolledBack naming the service and its reason', async () => {
    const state = await started();
    await ended(state, 0, DeploymentStatus.ROLLED_BACK, 'AlarmTriggered');
    await expect(release()({ action: 'deployed', item: itemOf(state, 0) })).rejects.toThrow(DeploymentRolledBack);
    await expect(release()({ action: 'deployed', item: itemOf(state, 0) })).rejects.toThrow(/web in staging ended ROLLED_BACK \(AlarmTriggered: AlarmTriggered message\)/);
    expect((await releases.getRelease('rel-1'))?.stages[0]?.status).toBe('ROLLED_BACK');
  });
});

describe('finish', () => {
  it('success: SUCCEEDED, Release Succeeded once (a replay announces nothing more)', async () => {
    const state = await started();
    const out = (await release()({ action: 'finish', state })) as ReleaseOutput;
    expect(out.outcome).toEqual({ status: 'SUCCEEDED', code: 'Released', message: 'Released: every environment deployed and verified' });
    // The output names each environment's outcome, never the plan's deployments (issue #12, defect 10).
    expect(Object.keys(out).sort()).toEqual(['environments', 'image', 'outcome', 'releaseId', 'skipped']);
    expect(out.environments).toEqual([
      { environment: 'staging', status: 'PENDING', deployments: 1 },
      { environment: 'production', status: 'PENDING', deployments: 1 },
    ]);
    expect(JSON.stringify(out)).not.toContain('deploymentId');
    await release()({ action: 'finish', state });
    expect(w.events.of(LifecycleEvent.ReleaseSucceeded)).toHaveLength(1);
  });

  it('an expired approval: ABORTED naming the environment and its timeout; every later environment NOT_REACHED', async () => {
    const execution = `${RELEASE_ARN.replace(':stateMachine:', ':execution:')}:rel-1`;
    const state = (await release()({ action: 'start', input: input(), executionName: 'rel-1', executionArn: execution })) as ReleaseState;
    const staging = (await releases.getRelease('rel-1'))?.stages[0];
    if (!staging) throw new Error('no staging stage');
    await releases.updateStage('rel-1', 0, { ...staging, status: 'SUCCEEDED' });
    await release()({ action: 'await-approval', item: itemOf(state, 1), taskToken: 'tok-3', executionArn: execution });
    const out = (await release()({ action: 'finish', state: { ...state, error: { Error: 'ApprovalExpired', Cause: 'expired' } } })) as ReleaseOutput;
    expect(out.outcome?.message).toBe('ApprovalExpired: production was not approved within 3600 s (onApprovalTimeout abort): the release stopped before it');
    const record = await releases.getRelease('rel-1');
    expect([record?.status, record?.taskToken, record?.stages.map((s) => s.status)]).toEqual(['ABORTED', undefined, ['SUCCEEDED', 'APPROVAL_EXPIRED']]);
    expect(w.events.of(LifecycleEvent.ReleaseFailed)).toEqual([expect.objectContaining({ releaseId: 'rel-1', status: 'ABORTED' })]);
  });
});

describe('intake with more than one environment', () => {
  const push = JSON.parse(readFileSync(new URL('../fixtures/events/ecr-image-action-push.json', import.meta.url), 'utf8')) as {
    detail: Record<string, string>;
  };

  it('starts the release (named by repository and digest) instead of one deployment per service', async () => {
    w = await World.create(db, CONFIG);
    const env = { ...w.env, releaseStateMachineArn: RELEASE_ARN };
    const intake = createIntake({ env, orchestrator: w.orchestrator, images: w.images, logLevel: 'SILENT' });
    const result = await intake(push);
    const digest = push.detail['image-digest'] as string;
    expect(result.release).toMatchObject({ releaseId: `my-repository-name-${digest.slice(7, 23)}`, alreadyStarted: false });
    expect(w.orchestrator.started).toEqual([
      {
        stateMachineArn: RELEASE_ARN,
        name: `my-repository-name-${digest.slice(7, 23)}`,
        input: {
          releaseId: `my-repository-name-${digest.slice(7, 23)}`,
          image: { repository: 'my-repository-name', digest, tag: 'latest' },
          requestedAt: '2019-11-16T01:54:34Z',
          trigger: { kind: 'ecr-push', eventId: '13cde686-328b-6117-af20-0e5566167482' },
        },
      },
    ]);
    // The same event delivered twice starts one release.
    expect((await intake(push)).release?.alreadyStarted).toBe(true);
    expect(w.orchestrator.started.map((s) => s.stateMachineArn)).not.toContain(ARN.deployStateMachine);
  });
});
