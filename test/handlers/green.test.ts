/** green: create the green task set idempotently, then wait until it is steady and healthy. */
import { beforeEach, describe, expect, it } from 'vitest';
import { HealthCheckTimeout } from '../../functions/core/errors.js';
import { CHECK_INTERVAL_SECONDS, FIRST_CHECK_SECONDS } from '../../functions/handlers/green.js';
import { clientTokenFor } from '../../functions/handlers/shared/deploy.js';
import { ARN, CLUSTER, CONTAINER_PORT, ECS_SERVICE, TEMPLATE, TEST_ROUTE, testConfig, useDynalite, World } from '../helpers/fakes.js';

const db = useDynalite();
let w: World;
beforeEach(async () => {
  w = (await World.create(db)).seed();
});

describe('green create', () => {
  it('creates the green task set on the green target group with the new revision, full scale, copying blue\'s network', async () => {
    // Prepare
    const req = w.request(1);
    const registered = await w.registered(req);
    // Act
    const state = await w.green({ action: 'create', state: registered });
    // Assess
    const green = w.taskSets.find(CLUSTER, ECS_SERVICE, state.green?.taskSetId ?? '');
    expect(green).toMatchObject({
      status: 'ACTIVE',
      taskDefinitionArn: registered.taskDefinitionArn,
      targetGroupArns: [ARN.webGreen],
      scalePercent: 100,
      externalId: req.deploymentId,
    });
    expect(await w.taskSets.describeTaskSetTemplate(CLUSTER, ECS_SERVICE, state.green?.taskSetId ?? '')).toEqual({
      containerPort: CONTAINER_PORT,
      template: TEMPLATE,
    });
    expect(state.health).toEqual({
      status: 'waiting',
      waitSeconds: FIRST_CHECK_SECONDS,
      deadlineMs: w.clock.now() + 600_000,
      healthy: 0,
      required: 4,
    });
    const record = await w.store.getDeployment('web', 'production', req.deploymentId);
    expect(record?.green).toMatchObject({ taskSetId: state.green?.taskSetId, taskSetArn: state.green?.taskSetArn });
  });

  it('is idempotent: a retry with the same deployment creates nothing twice (same client token, same task set)', async () => {
    const registered = await w.registered(w.request(1));
    const first = await w.green({ action: 'create', state: registered });
    const retry = await w.green({ action: 'create', state: registered });
    expect(retry.green).toEqual(first.green);
    expect(w.taskSets.created).toHaveLength(1);
    expect(w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE)).toHaveLength(2);
  });

  it('uses a client token ECS accepts (at most 36 characters), stable per deployment', () => {
    const long = `web-production-${'f'.repeat(64)}`;
    expect(clientTokenFor(long)).toHaveLength(32);
    expect(clientTokenFor(long)).toBe(clientTokenFor(long));
    expect(clientTokenFor(long)).not.toBe(clientTokenFor(`${long}x`));
  });

  it('with proportional capacity, green starts at the first shift\'s share', async () => {
    const g = (await World.create(db, testConfig({ web: { capacity: 'proportional' } }))).seed({ desiredCount: 10 });
    const state = await g.greenCreated(g.request(1));
    expect(g.taskSets.find(CLUSTER, ECS_SERVICE, state.green?.taskSetId ?? '')).toMatchObject({ scalePercent: 10, computedDesiredCount: 1 });
    expect(state.health?.required).toBe(1);
  });
});

describe('green check', () => {
  it('waits while tasks start, waits while targets are unhealthy, then answers healthy and points the test listener at green', async () => {
    // Prepare
    const created = await w.greenCreated(w.request(1));
    const id = created.green?.taskSetId ?? '';
    w.clock.advanceSeconds(FIRST_CHECK_SECONDS);
    // Act 1: tasks still starting.
    const starting = await w.green({ action: 'check', state: created });
    // Assess 1
    expect(starting.health).toMatchObject({ status: 'waiting', waitSeconds: CHECK_INTERVAL_SECONDS, healthy: 0 });
    expect(w.router.weightsOf(TEST_ROUTE)).toEqual([{ targetGroupArn: ARN.webBlue, weight: 100 }]);

    // Act 2: tasks running, targets still in their health-check grace.
    w.taskSets.settle(CLUSTER, ECS_SERVICE, id);
    w.health.set(ARN.webGreen, 2, 4);
    w.clock.advanceSeconds(CHECK_INTERVAL_SECONDS);
    const unhealthy = await w.green({ action: 'check', state: starting });
    expect(unhealthy.health).toMatchObject({ status: 'waiting', healthy: 2, required: 4 });

    // Act 3: all healthy.
    w.health.set(ARN.webGreen, 4);
    w.clock.advanceSeconds(CHECK_INTERVAL_SECONDS);
    const healthy = await w.green({ action: 'check', state: unhealthy });
    expect(healthy.health).toMatchObject({ status: 'healthy', waitSeconds: 0, healthy: 4, required: 4 });
    expect(w.router.weightsOf(TEST_ROUTE)).toEqual([
      { targetGroupArn: ARN.webBlue, weight: 0 },
      { targetGroupArn: ARN.webGreen, weight: 100 },
    ]);
  });

  it('the last wait is shortened to the deadline', async () => {
    const created = await w.greenCreated(w.request(1));
    w.clock.advanceSeconds(600 - 5);
    const out = await w.green({ action: 'check', state: created });
    expect(out.health?.waitSeconds).toBe(5);
  });

  it('HealthCheckTimeout once the deadline has passed and green is still not healthy', async () => {
    // Prepare
    const created = await w.greenCreated(w.request(1));
    w.taskSets.settle(CLUSTER, ECS_SERVICE, created.green?.taskSetId ?? '');
    w.health.set(ARN.webGreen, 1, 4);
    w.clock.advanceSeconds(600);
    // Act
    const error = await w.green({ action: 'check', state: created }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBeInstanceOf(HealthCheckTimeout);
    expect((error as HealthCheckTimeout).details).toMatchObject({ healthy: 1, required: 4 });
    expect(w.router.weightsOf(TEST_ROUTE)).toEqual([{ targetGroupArn: ARN.webBlue, weight: 100 }]);
  });

  it('healthy at the deadline is healthy (health is looked at before the timeout)', async () => {
    const created = await w.greenCreated(w.request(1));
    w.makeGreenHealthy(created);
    w.clock.advanceSeconds(600);
    expect((await w.green({ action: 'check', state: created })).health?.status).toBe('healthy');
  });
});
