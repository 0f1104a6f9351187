/**
 * shift: make sure green can take the step's traffic, set the weights, read them back.
 * Safety: every weight AWS held sums to 100 and names only the service's two target groups, and
 * traffic never moved to a green with fewer healthy targets than the step requires.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthCheckTimeout, InsufficientHealthyTargets, ValidationError, WeightVerificationFailed } from '../../functions/core/errors.js';
import { checkWeights } from '../../functions/core/invariants.js';
import { LifecycleEvent } from '../../functions/core/model.js';
import { SCALE_CHECK_SECONDS } from '../../functions/handlers/shift.js';
import { ARN, CLUSTER, ECS_SERVICE, testConfig, useDynalite, WEB_ROUTE, World } from '../helpers/fakes.js';

const db = useDynalite();
let w: World;
beforeEach(async () => {
  w = (await World.create(db)).seed();
});
afterEach(() => {
  // The invariant, over everything AWS held during the test.
  for (const weights of w.router.heldWrites(WEB_ROUTE)) expect(checkWeights(weights, [ARN.webBlue, ARN.webGreen])).toEqual([]);
});

const split = (blue: number, green: number) => [
  { targetGroupArn: ARN.webBlue, weight: blue },
  { targetGroupArn: ARN.webGreen, weight: green },
];

describe('shift (full capacity)', () => {
  it('sets the weights, reads them back, records the step and announces it', async () => {
    // Prepare
    const state = await w.greenHealthy(w.request(1));
    // Act
    const out = await w.shift({ item: w.item(state, 0) });
    // Assess
    expect(out.shift).toEqual({ status: 'done', waitSeconds: 0, deadlineMs: 0 });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(90, 10));
    const record = await w.store.getDeployment('web', 'production', state.request.deploymentId);
    expect(record?.timeline.find((e) => e.key === 'shift-0')?.detail).toMatchObject({ percent: 10, weights: split(90, 10) });
    expect(w.events.of(LifecycleEvent.StepCompleted)).toEqual([
      expect.objectContaining({ deploymentId: state.request.deploymentId, step: 0, kind: 'shift', percent: 10, weights: split(90, 10) }),
    ]);
  });

  it('walks the plan to 100 % on green', async () => {
    const state = await w.greenHealthy(w.request(1));
    await w.shiftedThrough(state, 2);
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(0, 100));
    expect(w.router.heldWrites(WEB_ROUTE)).toEqual([split(90, 10), split(0, 100)]);
  });

  it('a retry of the same step sets the same weights again (idempotent)', async () => {
    const state = await w.greenHealthy(w.request(1));
    await w.shift({ item: w.item(state, 0) });
    await w.shift({ item: w.item(state, 0) });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(90, 10));
    const record = await w.store.getDeployment('web', 'production', state.request.deploymentId);
    expect(record?.timeline.filter((e) => e.key === 'shift-0')).toHaveLength(1);
  });

  it('WeightVerificationFailed when the listener does not hold what was set; nothing is recorded as shifted', async () => {
    // Prepare
    const state = await w.greenHealthy(w.request(1));
    w.router.doNotHold(WEB_ROUTE);
    // Act
    const error = await w.shift({ item: w.item(state, 0) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBeInstanceOf(WeightVerificationFailed);
    expect((error as WeightVerificationFailed).details).toEqual({ wanted: split(90, 10), held: split(100, 0) });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
    expect(w.events.of(LifecycleEvent.StepCompleted)).toEqual([]);
  });

  it('InsufficientHealthyTargets when green lacks healthy targets for full capacity; traffic does not move', async () => {
    // Prepare: green healthy at the check, then one target fails before the shift.
    const state = await w.greenHealthy(w.request(1));
    w.health.set(ARN.webGreen, 3, 4);
    // Act
    const error = await w.shift({ item: w.item(state, 0) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBeInstanceOf(InsufficientHealthyTargets);
    expect((error as InsufficientHealthyTargets).details).toEqual({ healthy: 3, required: 4, percent: 10 });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
    expect(w.router.heldWrites(WEB_ROUTE)).toEqual([]);
  });

  it('a step that is not a shift is a ValidationError', async () => {
    const state = await w.greenHealthy(w.request(1));
    await expect(w.shift({ item: w.item(state, 1) })).rejects.toThrow(ValidationError);
  });
});

describe('shift (proportional capacity)', () => {
  let p: World;
  beforeEach(async () => {
    p = (await World.create(db, testConfig({ web: { capacity: 'proportional' } }))).seed({ desiredCount: 10 });
  });
  afterEach(() => {
    for (const weights of p.router.heldWrites(WEB_ROUTE)) expect(checkWeights(weights, [ARN.webBlue, ARN.webGreen])).toEqual([]);
  });

  it('scales green up for the step and answers scaling, without moving traffic, until green is big enough', async () => {
    // Prepare: 10 % live on a 1-task green.
    const state = await p.greenHealthy(p.request(1));
    await p.shift({ item: p.item(state, 0) });
    const greenId = state.green?.taskSetId ?? '';
    // Act 1: the shift to 100 %.
    const scaling = await p.shift({ item: p.item(state, 2) });
    // Assess 1
    expect(scaling.shift).toEqual({ status: 'scaling', waitSeconds: SCALE_CHECK_SECONDS, deadlineMs: p.clock.now() + 600_000 });
    expect(p.taskSets.find(CLUSTER, ECS_SERVICE, greenId)).toMatchObject({ scalePercent: 100, computedDesiredCount: 10 });
    expect(p.router.weightsOf(WEB_ROUTE)).toEqual(split(90, 10));

    // Act 2: still coming up.
    p.clock.advanceSeconds(SCALE_CHECK_SECONDS);
    p.health.set(ARN.webGreen, 6, 10);
    const stillScaling = await p.shift({ item: scaling });
    expect(stillScaling.shift?.status).toBe('scaling');
    expect(stillScaling.shift?.deadlineMs).toBe(scaling.shift?.deadlineMs);

    // Act 3: green can take everything.
    p.taskSets.settle(CLUSTER, ECS_SERVICE, greenId);
    p.health.set(ARN.webGreen, 10);
    const done = await p.shift({ item: stillScaling });
    expect(done.shift?.status).toBe('done');
    expect(p.router.weightsOf(WEB_ROUTE)).toEqual(split(0, 100));
  });

  it('HealthCheckTimeout when green does not reach the step\'s size before the deadline', async () => {
    const state = await p.greenHealthy(p.request(1));
    await p.shift({ item: p.item(state, 0) });
    const scaling = await p.shift({ item: p.item(state, 2) });
    p.clock.advanceSeconds(600);
    await expect(p.shift({ item: scaling })).rejects.toThrow(HealthCheckTimeout);
    expect(p.router.weightsOf(WEB_ROUTE)).toEqual(split(90, 10));
  });
});
