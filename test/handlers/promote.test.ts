/** promote: green becomes the primary task set and the stable pointer moves; blue keeps running. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeployState } from '../../functions/core/deploy-state.js';
import { LiveStateInvalid } from '../../functions/core/errors.js';
import { ARN, BLUE_TASK_SET, CLUSTER, ECS_SERVICE, useDynalite, World } from '../helpers/fakes.js';

const db = useDynalite();
let w: World;
let state: DeployState;
beforeEach(async () => {
  w = (await World.create(db)).seed();
  state = await w.greenHealthy(w.request(1));
  await w.shiftedThrough(state, 2);
});

describe('promote', () => {
  it('makes green primary, keeps blue running at full scale, and moves the stable pointer', async () => {
    // Act
    const out = await w.promote({ state });
    // Assess
    expect(out).toEqual(state);
    const sets = w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE);
    expect(sets.find((t) => t.id === state.green?.taskSetId)?.status).toBe('PRIMARY');
    expect(sets.find((t) => t.id === BLUE_TASK_SET)).toMatchObject({ status: 'ACTIVE', scalePercent: 100 });
    expect(await w.store.getStable('web', 'production')).toEqual({
      deploymentId: state.request.deploymentId,
      taskDefinitionArn: state.taskDefinitionArn,
      digest: state.request.image.digest,
      targetGroupArn: ARN.webGreen,
      taskSetId: state.green?.taskSetId,
      updatedAt: w.clock.iso(),
    });
  });

  it('keeps the previous stable version for a later rollback, and a replay changes nothing', async () => {
    await w.store.setStable('web', 'production', {
      deploymentId: 'before',
      taskDefinitionArn: ARN.webTaskDefinition,
      targetGroupArn: ARN.webBlue,
      taskSetId: BLUE_TASK_SET,
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    await w.promote({ state });
    const once = await w.store.getStable('web', 'production');
    await w.promote({ state });
    expect(await w.store.getStable('web', 'production')).toEqual(once);
    expect(once?.previous).toMatchObject({ deploymentId: 'before', targetGroupArn: ARN.webBlue });
  });

  it('LiveStateInvalid when the state lost the green task set', async () => {
    const { green: _gone, ...lost } = state;
    await expect(w.promote({ state: lost })).rejects.toThrow(LiveStateInvalid);
  });
});
