/**
 * rollback: from any point after the task definition is registered, traffic back to 100/0 on blue,
 * green deleted, ROLLED_BACK with the reason from `$.error`, lock released, one event. Idempotent.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeployState } from '../../functions/core/deploy-state.js';
import { AwsRequestFailed, HealthCheckTimeout, WeightVerificationFailed } from '../../functions/core/errors.js';
import { checkTerminal, checkWeights } from '../../functions/core/invariants.js';
import { LifecycleEvent } from '../../functions/core/model.js';
import {
  ARN,
  BLUE_TASK_SET,
  CLUSTER,
  ECS_SERVICE,
  flakyStore,
  lambdaError,
  TEST_ROUTE,
  useDynalite,
  WEB_ROUTE,
  World,
} from '../helpers/fakes.js';

const db = useDynalite();
let w: World;
beforeEach(async () => {
  w = (await World.create(db)).seed();
});

const split = (blue: number, green: number) => [
  { targetGroupArn: ARN.webBlue, weight: blue },
  { targetGroupArn: ARN.webGreen, weight: green },
];
/** What the alarm watcher's SendTaskFailure puts at `$.error` once the steps Map catches it. */
const ALARM_ERROR = {
  Error: 'AlarmTriggered',
  Cause: JSON.stringify({ errorType: 'AlarmTriggered', errorMessage: 'Alarm web-5xx-rate is in ALARM: 5xx 7 % > 1 %', alarmName: 'web-5xx-rate' }),
};
const record = (state: DeployState) => w.store.getDeployment('web', 'production', state.request.deploymentId);

/** A deployment at 10 % (90/10), baking. */
async function halfShifted(): Promise<DeployState> {
  const state = await w.greenHealthy(w.request(1));
  await w.shiftedThrough(state, 0);
  await w.bake({ item: w.item(state, 1), taskToken: 'bake-token', kind: 'bake' });
  return state;
}

describe('rollback from half-shifted weights', () => {
  it('returns traffic to 100/0 on blue, deletes green, marks ROLLED_BACK with the reason, releases the lock, announces it', async () => {
    // Prepare
    const state = await halfShifted();
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(90, 10));
    w.clock.advanceSeconds(42);
    // Act
    const out = await w.rollback({ state: { ...state, error: ALARM_ERROR } });
    // Assess: traffic
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
    expect(w.router.weightsOf(TEST_ROUTE)).toEqual(split(100, 0));
    for (const weights of w.router.heldWrites(WEB_ROUTE)) expect(checkWeights(weights, [ARN.webBlue, ARN.webGreen])).toEqual([]);
    // ECS: blue untouched and primary, green gone
    expect(w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE)).toEqual([
      expect.objectContaining({ id: BLUE_TASK_SET, status: 'PRIMARY', scalePercent: 100, targetGroupArns: [ARN.webBlue] }),
    ]);
    expect(w.taskSets.deleted.map((d) => d.id)).toEqual([state.green?.taskSetId]);
    // Record
    const r = await record(state);
    expect(r).toMatchObject({
      status: 'ROLLED_BACK',
      reason: { code: 'AlarmTriggered', message: 'Alarm web-5xx-rate is in ALARM: 5xx 7 % > 1 %' },
      expiresAt: Math.floor(w.clock.now() / 1000) + w.config.recordRetentionSeconds,
    });
    expect(r?.taskToken).toBeUndefined();
    expect(checkTerminal({ ...(r as NonNullable<typeof r>) })).toEqual([]);
    expect(await w.store.listInFlight()).toEqual([]);
    // Lock and event
    expect((await w.store.getLock('web', 'production'))?.holder).toBeUndefined();
    expect(w.events.of(LifecycleEvent.RolledBack)).toEqual([
      expect.objectContaining({ deploymentId: state.request.deploymentId, status: 'ROLLED_BACK', reason: r?.reason }),
    ]);
    expect(out.outcome).toEqual({
      status: 'ROLLED_BACK',
      code: 'AlarmTriggered',
      message: 'AlarmTriggered: Alarm web-5xx-rate is in ALARM: 5xx 7 % > 1 %',
    });
  });

  it('running it twice is a no-op the second time', async () => {
    // Prepare
    const state = await halfShifted();
    const input = { state: { ...state, error: ALARM_ERROR } };
    const first = await w.rollback(input);
    // updatedAt aside: clearing the (already cleared) task token re-stamps it on every replay.
    const observe = async () => {
      const { updatedAt: _stamp, ...r } = (await record(state)) ?? ({} as NonNullable<Awaited<ReturnType<typeof record>>>);
      return {
        weights: w.router.weightsOf(WEB_ROUTE),
        test: w.router.weightsOf(TEST_ROUTE),
        taskSets: w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE),
        deleted: w.taskSets.deleted.length,
        record: r,
        lock: await w.store.getLock('web', 'production'),
        events: w.events.published.length,
      };
    };
    const snapshot = await observe();
    w.clock.advanceSeconds(30);
    // Act
    const again = await w.rollback(input);
    // Assess
    expect(await observe()).toEqual(snapshot);
    expect(again.outcome).toEqual(first.outcome);
  });

  it('a second rollback does not release a lock the next deployment has taken since', async () => {
    const state = await halfShifted();
    const input = { state: { ...state, error: ALARM_ERROR } };
    await w.rollback(input);
    w.clock.advanceSeconds(60);
    const next = await w.locked(w.request(2));
    await w.rollback(input);
    expect((await w.store.getLock('web', 'production'))?.holder).toBe(next.request.deploymentId);
  });

  it('WeightVerificationFailed when the listener does not hold 100/0; the deployment is not marked ended', async () => {
    const state = await halfShifted();
    w.router.doNotHold(WEB_ROUTE);
    await expect(w.rollback({ state: { ...state, error: ALARM_ERROR } })).rejects.toThrow(WeightVerificationFailed);
    expect((await record(state))?.status).toBe('IN_PROGRESS');
    expect((await w.store.getLock('web', 'production'))?.holder).toBe(state.request.deploymentId);
  });
});

describe('rollback finds green however far the deployment got', () => {
  it('deletes green by its external id when the state lost the task set id (create succeeded, its write did not)', async () => {
    // Prepare: CreateTaskSet succeeds, recording it on the deployment fails; the Catch passes the
    // CreateGreen input (no green) to Rollback.
    const registered = await w.registered(w.request(1));
    const lossy = w.with({ store: flakyStore(w.store, 'updateDeployment', 10) });
    const error = await lossy.green({ action: 'create', state: registered }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('AwsUnavailable');
    const orphan = w.taskSets.created[0];
    expect(orphan?.externalId).toBe(registered.request.deploymentId);
    expect((await record(registered))?.green?.taskSetId).toBeUndefined();
    // Act
    await w.rollback({ state: { ...registered, error: lambdaError(error as Error) } });
    // Assess
    expect(w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE).map((t) => t.id)).toEqual([BLUE_TASK_SET]);
    expect(w.taskSets.deleted.map((d) => d.id)).toEqual([orphan?.id]);
    expect((await record(registered))?.status).toBe('ROLLED_BACK');
  });

  it('after HealthCheckTimeout (no traffic moved): green deleted, weights untouched, reason recorded', async () => {
    const created = await w.greenCreated(w.request(1));
    w.clock.advanceSeconds(600);
    const timeout = await w.green({ action: 'check', state: created }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(timeout).toBeInstanceOf(HealthCheckTimeout);
    await w.rollback({ state: { ...created, error: lambdaError(timeout as Error) } });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
    expect(w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE).map((t) => t.id)).toEqual([BLUE_TASK_SET]);
    expect((await record(created))?.reason?.code).toBe('HealthCheckTimeout');
  });

  it('when green was never created: nothing to delete, ROLLED_BACK all the same', async () => {
    const registered = await w.registered(w.request(1));
    await w.rollback({ state: { ...registered, error: lambdaError(new AwsRequestFailed('ECS:CreateTaskSet: InvalidParameterException')) } });
    expect(w.taskSets.deleted).toEqual([]);
    expect((await record(registered))).toMatchObject({ status: 'ROLLED_BACK', reason: { code: 'AwsRequestFailed' } });
  });

  it('after a promotion that half happened: blue primary again at full scale, green deleted, traffic on blue', async () => {
    const state = await w.greenHealthy(w.request(1));
    await w.shiftedThrough(state, 2);
    await w.taskSets.setPrimary(CLUSTER, ECS_SERVICE, state.green?.taskSetId ?? '');
    await w.taskSets.updateScale(CLUSTER, ECS_SERVICE, BLUE_TASK_SET, 50);
    await w.rollback({ state: { ...state, error: lambdaError(new AwsRequestFailed('ECS: something')) } });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
    expect(w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE)).toEqual([
      expect.objectContaining({ id: BLUE_TASK_SET, status: 'PRIMARY', scalePercent: 100 }),
    ]);
  });
});

describe('rollback: known bugs', () => {
  // BUG (functions/handlers/rollback.ts, step 4): the RolledBack event is published only when
  // `store.finish` changed the record. If PutEvents fails (AwsUnavailable) after `finish` succeeded,
  // the Lambda fails, Step Functions retries it, `finish` now answers false, and the event is never
  // sent: `Deployment Rolled Back` is lost for good. Fix: publish when the record is ROLLED_BACK
  // and no event was sent yet (e.g. a timeline entry `event-rolled-back` appended after a successful
  // publish and checked before publishing), or publish before `finish` (at-least-once).
  it('a retry after the event bus failed still announces Deployment Rolled Back', async () => {
    const state = await halfShifted();
    w.events.failNext(1);
    const input = { state: { ...state, error: ALARM_ERROR } };
    await expect(w.rollback(input)).rejects.toThrow(/EventBridge/);
    await w.rollback(input); // Step Functions' Retry on AwsUnavailable
    expect(w.events.of(LifecycleEvent.RolledBack)).toHaveLength(1);
  });

  // BUG (functions/handlers/rollback.ts): the stable pointer is not restored. Promote moves it to
  // green before any later failure, and Promote's Catch goes to Rollback; the rollback puts blue
  // back as primary and deletes green, but `getStable` keeps naming the rolled-back deployment and
  // the deleted green task set. Fix: when the stable pointer names this deployment, set it back to
  // its `previous` (or to blue from the record).
  it('a rollback after a promotion leaves the stable pointer on blue, not on the deleted green', async () => {
    const state = await w.greenHealthy(w.request(1));
    await w.shiftedThrough(state, 2);
    await w.promote({ state });
    await w.rollback({ state: { ...state, error: lambdaError(new AwsRequestFailed('after promote')) } });
    const stable = await w.store.getStable('web', 'production');
    expect(stable?.deploymentId).not.toBe(state.request.deploymentId);
    expect(stable?.taskSetId).not.toBe(state.green?.taskSetId);
  });
});
