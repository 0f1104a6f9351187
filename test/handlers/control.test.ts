/**
 * control: the operator's Lambda behind the control and rollback state machines, over the honest
 * fakes and the real store. Each op is driven the way the state machine drives it (the output of
 * one is the input of the next), starting from deployments the real deploy handlers produced.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeployState } from '../../functions/core/deploy-state.js';
import { NotBaking, NotWaitingForApproval, NothingInFlight, UnknownService, ValidationError } from '../../functions/core/errors.js';
import type { ExecutionStopper } from '../../functions/core/ports.js';
import { type ControlState, createHandler, rollbackDeploymentId } from '../../functions/handlers/control.js';
import { ARN, BLUE_TASK_SET, CLUSTER, ECS_SERVICE, testConfig, useDynalite, WEB_ROUTE, World } from '../helpers/fakes.js';
import { sha256 } from '../../functions/handlers/shared/signal-proof.js';

const db = useDynalite();
const CONTROL_EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:cutover-control:op-1';
const ROLLBACK_EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:cutover-rollback:rb-1';

class RecordingStopper implements ExecutionStopper {
  readonly stopped: Array<{ executionArn: string; error: string; cause: string }> = [];
  async stop(executionArn: string, error: string, cause: string): Promise<void> {
    this.stopped.push({ executionArn, error, cause });
  }
}

let w: World;
let stopper: RecordingStopper;
const control = () => createHandler({ env: w.env, clock: w.clock, store: w.store, orchestrator: w.orchestrator, stopper, taskSets: w.taskSets, logLevel: 'SILENT' });
const op = (name: string, state: unknown, extra: Record<string, unknown> = {}) => control()({ op: name, state, ...extra });
const start = (input: Record<string, unknown>): ControlState => ({ input, mode: 'control' });
const decide = (input: Record<string, unknown>) => op('decide', start({ service: 'web', environment: 'production', ...input }), { executionArn: CONTROL_EXECUTION });
const record = (state: DeployState) => w.store.getDeployment('web', 'production', state.request.deploymentId);
const split = (blue: number, green: number) => [
  { targetGroupArn: ARN.webBlue, weight: blue },
  { targetGroupArn: ARN.webGreen, weight: green },
];

beforeEach(async () => {
  w = (await World.create(db, testConfig({ web: { strategy: { type: 'steps', steps: [{ percent: 10, bakeSeconds: 300 }, { approval: { timeoutSeconds: 600 } }, { percent: 100 }] } } }))).seed();
  stopper = new RecordingStopper();
});

/** web/production at 10 %, baking step 1 with token `bake-token`. */
async function baking(): Promise<DeployState> {
  const state = await w.greenHealthy(w.request(1));
  await w.shiftedThrough(state, 0);
  await w.bake({ item: w.item(state, 1), taskToken: 'bake-token', kind: 'bake' });
  return state;
}

/** web/production at 10 %, waiting at the approval step 2 with token `approval-token`. */
async function awaitingApproval(): Promise<DeployState> {
  const state = await w.greenHealthy(w.request(1));
  await w.shiftedThrough(state, 0);
  await w.bake({ item: w.item(state, 2), taskToken: 'approval-token', kind: 'approval' });
  return state;
}

describe('control: decide and signal', () => {
  it('promote during a bake: records who and when, then answers exactly that token with success', async () => {
    // Prepare
    const state = await baking();
    w.clock.advanceSeconds(60);
    // Act
    const decided = await decide({ action: 'promote', by: 'alice@example.com', reason: 'looks good' });
    await op('signal', decided);
    // Assess
    expect(decided.decision).toEqual({ kind: 'succeed', taskToken: 'bake-token', waitingFor: 'bake', signal: { action: 'promote', by: 'alice@example.com' } });
    // Issue #14 (5): the success carries a one-time nonce; the record holds its hash and the token's.
    expect(w.orchestrator.signals).toEqual([
      { kind: 'success', token: 'bake-token', output: { action: 'promote', by: 'alice@example.com', nonce: expect.stringMatching(/^[0-9a-f]{64}$/) } },
    ]);
    const nonce = (w.orchestrator.signals[0] as { output: { nonce: string } }).output.nonce;
    const r = await record(state);
    expect(r?.controls).toEqual([
      { action: 'promote', by: 'alice@example.com', at: w.clock.iso(), detail: { decision: 'succeed', waitingFor: 'bake', reason: 'looks good', executionArn: CONTROL_EXECUTION } },
      { action: 'signal', by: 'alice@example.com', at: w.clock.iso(), detail: { tokenHash: sha256('bake-token'), signalNonceHash: sha256(nonce) } },
    ]);
    expect(JSON.stringify(r)).not.toContain(nonce);
    expect(r?.timeline.some((e) => e.kind === 'control' && e.detail?.action === 'promote')).toBe(true);
  });

  it('without `by`, the control execution is who (CloudTrail names its caller)', async () => {
    await baking();
    const decided = await decide({ action: 'extend', extendSeconds: 600 });
    expect(decided.by).toBe('execution/op-1');
    expect(decided.decision).toMatchObject({ kind: 'succeed', signal: { action: 'extend', seconds: 600, by: 'execution/op-1' } });
  });

  it('approve at an approval step', async () => {
    await awaitingApproval();
    const decided = await decide({ action: 'approve', by: 'bob' });
    await op('signal', decided);
    expect(w.orchestrator.signals).toEqual([
      expect.objectContaining({ kind: 'success', token: 'approval-token', output: { action: 'approve', by: 'bob', nonce: expect.any(String) } }),
    ]);
  });

  it('hold during a bake carries the environment approval policy', async () => {
    await baking();
    const decided = await decide({ action: 'hold' });
    expect(decided.decision).toMatchObject({ kind: 'succeed', signal: { action: 'hold', timeoutSeconds: 86_400, onTimeout: 'abort' } });
  });

  it('abort during a bake fails its token with Aborted and the reason; verify waits for the rollback', async () => {
    // Prepare
    const state = await baking();
    // Act
    const decided = await decide({ action: 'abort', by: 'alice', reason: 'error budget' });
    await op('signal', decided);
    const pending = await op('verify', decided);
    w.orchestrator.close('bake-token');
    const signal = w.orchestrator.signals[0];
    await w.rollback({ state: { ...state, error: { Error: signal?.error ?? '', Cause: signal?.cause ?? '' } } });
    const done = await op('verify', decided);
    // Assess
    expect(signal).toMatchObject({ kind: 'failure', token: 'bake-token', error: 'Aborted' });
    expect(JSON.parse(signal?.cause ?? '{}')).toEqual({ errorType: 'Aborted', errorMessage: 'Aborted by alice: error budget' });
    expect(pending.verify).toBe('pending');
    expect(done.verify).toBe('done');
    expect(await record(state)).toMatchObject({ status: 'ROLLED_BACK', reason: { code: 'Aborted', message: 'Aborted by alice: error budget' } });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
  });

  it('verify: the bake timed out before the abort landed and a later callback waits -> missed (decide again)', async () => {
    const state = await baking();
    const decided = await decide({ action: 'abort' });
    w.orchestrator.close('bake-token');
    await op('signal', decided);
    await w.bake({ item: w.item(state, 2), taskToken: 'approval-token', kind: 'approval' });
    expect((await op('verify', decided)).verify).toBe('missed');
    const again = await decide({ action: 'abort' });
    expect(again.decision).toMatchObject({ kind: 'fail', taskToken: 'approval-token' });
  });
});

describe('control: refusals name what to fix and change nothing', () => {
  it.each([
    { name: 'approve during a bake', input: { action: 'approve' }, error: NotWaitingForApproval, says: /use promote to end the bake now/ },
    { name: 'extend at an approval', input: { action: 'extend' }, error: NotBaking, says: /extend applies to a bake only/, at: 'approval' },
    { name: 'an unknown action', input: { action: 'resume' }, error: ValidationError, says: /action: "resume" is not allowed|action: must be one of/ },
    { name: 'an unknown service', input: { action: 'abort', service: 'payments' }, error: UnknownService, says: /payments/ },
  ])('$name', async ({ input, error, says, at }) => {
    const state = at === 'approval' ? await awaitingApproval() : await baking();
    const before = await record(state);
    const err = await decide(input).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(error);
    expect(err?.message).toMatch(says);
    expect(await record(state)).toEqual(before);
    expect(w.orchestrator.signals).toEqual([]);
  });

  it('NothingInFlight when the service has no deployment in flight', async () => {
    await expect(decide({ action: 'promote' })).rejects.toThrow(NothingInFlight);
  });

  it('NothingInFlight when the named deployment already ended', async () => {
    const state = await baking();
    await w.rollback({ state: { ...state, error: { Error: 'Aborted', Cause: '{}' } } });
    await expect(decide({ action: 'abort', deploymentId: state.request.deploymentId })).rejects.toThrow(/already ended ROLLED_BACK/);
  });
});

describe('control: abort without a task token (stop, settle, roll back)', () => {
  it('stops the execution, then the close state rolls it back from half-shifted weights', async () => {
    // Prepare: at 10 %, between steps (no token).
    const state = await w.greenHealthy(w.request(1));
    await w.shiftedThrough(state, 0);
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(90, 10));
    // Act
    const decided = await decide({ action: 'abort', by: 'alice' });
    await op('stop', decided);
    const closing = await op('close-state', decided);
    const rolled = await w.rollback({ state: closing.close });
    // Assess
    expect(decided.decision).toEqual({ kind: 'stop', error: 'Aborted', message: 'Aborted by alice' });
    expect(stopper.stopped).toEqual([{ executionArn: w.executionArn(state.request), error: 'Aborted', cause: 'Aborted by alice' }]);
    expect(closing.close?.ctx?.blue?.taskSetId).toBe(BLUE_TASK_SET);
    expect(rolled.outcome).toMatchObject({ status: 'ROLLED_BACK', code: 'Aborted' });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
    expect(w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE).map((t) => t.id)).toEqual([BLUE_TASK_SET]);
    expect((await w.store.getLock('web', 'production'))?.holder).toBeUndefined();
  });

  it('a queued deployment (another holds the lock) is closed without touching AWS', async () => {
    // Prepare: #1 holds the lock at 10 %; #2 is queued.
    const first = await w.greenHealthy(w.request(1));
    await w.shiftedThrough(first, 0);
    const second = await w.lock({ action: 'acquire', state: await w.validated(w.request(2)) });
    expect(second.lock?.outcome).toBe('busy');
    // Act
    const decided = await decide({ action: 'abort', deploymentId: second.request.deploymentId });
    const closing = await op('close-state', decided);
    await w.rollback({ state: closing.close });
    // Assess
    expect(closing.close?.ctx).toBeUndefined();
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(90, 10));
    expect((await record(second))?.status).toBe('ROLLED_BACK');
    expect((await w.store.getLock('web', 'production'))?.holder).toBe(first.request.deploymentId);
  });

  it('the close state is null when the deployment ended during the settle', async () => {
    const state = await w.greenHealthy(w.request(1));
    const decided = await decide({ action: 'abort' });
    await w.rollback({ state: { ...state, error: { Error: 'HealthCheckTimeout', Cause: '{}' } } });
    expect((await op('close-state', decided)).close).toBeNull();
  });
});

describe('control: rollback state machine', () => {
  const plan = (input: Record<string, unknown> = {}, extra: Partial<ControlState> = {}) =>
    op('plan-rollback', { input: { service: 'web', environment: 'production', ...input }, mode: 'rollback', ...extra }, { executionArn: ROLLBACK_EXECUTION });

  /** Drive one deployment of image `label` to SUCCEEDED with the real handlers (or stop in its termination wait). */
  async function deployed(label: number, opts: { stopInTerminationWait?: boolean } = {}): Promise<DeployState> {
    const state = await w.greenHealthy(w.request(label));
    await w.shiftedThrough(state, 3);
    const promoted = await w.promote({ state });
    const steps = state.ctx?.plan.steps.length ?? 0;
    await w.bake({ item: { state: promoted, step: { kind: 'bake', seconds: 300 }, index: steps }, taskToken: `termination-${label}`, kind: 'termination' });
    if (opts.stopInTerminationWait) return promoted;
    w.clock.advanceSeconds(300);
    await w.finish({ action: 'succeed', state: promoted });
    w.clock.advanceSeconds(60);
    return promoted;
  }

  it('in the termination wait: fails the token with RollbackRequested (the deployment flips the weights back)', async () => {
    const state = await deployed(1, { stopInTerminationWait: true });
    const planned = await plan({ reason: 'mobile app broken', by: 'alice' });
    await op('signal', planned);
    expect(planned.plan).toMatchObject({ kind: 'in-flight', deploymentId: state.request.deploymentId });
    expect(w.orchestrator.signals).toEqual([expect.objectContaining({ kind: 'failure', token: 'termination-1', error: 'RollbackRequested' })]);
    expect((await record(state))?.controls?.[0]).toMatchObject({ action: 'rollback', by: 'alice', detail: { reason: 'mobile app broken' } });
  });

  it('after success: deploys the previous revision once, named after the rollback execution', async () => {
    // Prepare: image 1 then image 2 succeeded (blue of each retired).
    const one = await deployed(1);
    await deployed(2);
    const oneRevision = (await record(one))?.green?.taskDefinitionArn;
    // Act
    const planned = await plan({ by: 'alice' });
    const started = await op('start-deployment', planned, { executionArn: ROLLBACK_EXECUTION, startedAt: '2025-06-02T10:00:00.000Z' });
    const again = await op('start-deployment', planned, { executionArn: ROLLBACK_EXECUTION, startedAt: '2025-06-02T10:00:00.000Z' });
    // Assess
    expect(planned.plan).toMatchObject({ kind: 'deploy', target: { fromDeploymentId: one.request.deploymentId, taskDefinitionArn: oneRevision } });
    const id = rollbackDeploymentId('web', 'production', ROLLBACK_EXECUTION);
    expect(started.started).toMatchObject({ deploymentId: id, alreadyStarted: false, taskDefinitionArn: oneRevision });
    expect(again.started?.alreadyStarted).toBe(true);
    expect(w.orchestrator.started).toEqual([
      {
        stateMachineArn: ARN.deployStateMachine,
        name: id,
        input: {
          deploymentId: id,
          service: 'web',
          environment: 'production',
          image: { repository: one.request.image.repository, digest: one.request.image.digest, tag: 'v1' },
          requestedAt: '2025-06-02T10:00:00.000Z',
          taskDefinitionArn: oneRevision,
          trigger: { kind: 'rollback', by: 'alice' },
        },
      },
    ]);
  });

  it('a rollback deployment reuses the named revision, watches no alarms and goes all at once', async () => {
    const one = await deployed(1);
    await deployed(2);
    const planned = await plan();
    await op('start-deployment', planned, { executionArn: ROLLBACK_EXECUTION, startedAt: w.clock.iso() });
    const request = w.orchestrator.started[0]?.input as DeployState['request'];
    const registered = await w.registered(request);
    expect(registered.taskDefinitionArn).toBe((await record(one))?.green?.taskDefinitionArn);
    expect(registered.ctx?.plan).toEqual({ strategy: 'rollback', steps: [{ kind: 'shift', percent: 100 }] });
    expect(registered.ctx?.alarmNames).toEqual([]);
    expect((await w.store.getDeployment('web', 'production', request.deploymentId))?.alarmNames).toEqual([]);
  });

  it('nothing earlier on record: a ValidationError that says to name a version', async () => {
    await deployed(1);
    await expect(plan()).rejects.toThrow(/toVersion: web\/production has no earlier version on record/);
  });
});
