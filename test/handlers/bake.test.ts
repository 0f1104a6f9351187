/**
 * bake: the callback side of a bake (or approval). The token is stored first and the alarms are
 * checked after, so an alarm firing in between is seen by this check or by the alarm watcher.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeployState } from '../../functions/core/deploy-state.js';
import { AlarmTriggered, ValidationError } from '../../functions/core/errors.js';
import { testConfig, useDynalite, WEB_ALARMS, World } from '../helpers/fakes.js';

const db = useDynalite();
let w: World;
let state: DeployState;
beforeEach(async () => {
  w = (await World.create(db)).seed();
  state = await w.greenHealthy(w.request(1));
  await w.shiftedThrough(state, 0);
});
const record = () => w.store.getDeployment('web', 'production', state.request.deploymentId);

describe('bake', () => {
  it('stores the token before it checks the alarms', async () => {
    // Prepare: look at the record at the moment the alarms are read.
    let tokenWhenChecked: string | undefined;
    let waitingWhenChecked: string | undefined;
    w.alarms.onDescribe = async () => {
      const r = await record();
      tokenWhenChecked = r?.taskToken;
      waitingWhenChecked = r?.waitingFor;
    };
    // Act
    const out = await w.bake({ item: w.item(state, 1), taskToken: 'token-bake-1', kind: 'bake' });
    // Assess
    expect(out).toEqual({ stored: true });
    expect(w.alarms.describeCalls).toEqual([[...WEB_ALARMS]]);
    expect(tokenWhenChecked).toBe('token-bake-1');
    expect(waitingWhenChecked).toBe('bake');
    expect(await record()).toMatchObject({ taskToken: 'token-bake-1', waitingFor: 'bake' });
  });

  it('AlarmTriggered at once when a watched alarm is already in ALARM, naming it and its reason', async () => {
    // Prepare
    w.alarms.set('web-p99-latency', 'ALARM', 'p99 1.8 s > 1 s for 3 datapoints');
    // Act
    const error = await w.bake({ item: w.item(state, 1), taskToken: 'token-bake-1', kind: 'bake' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBeInstanceOf(AlarmTriggered);
    expect((error as AlarmTriggered).message).toBe('Alarm web-p99-latency is in ALARM: p99 1.8 s > 1 s for 3 datapoints');
    expect((error as AlarmTriggered).details).toEqual({ alarmName: 'web-p99-latency', alarms: ['web-p99-latency'] });
  });

  it('INSUFFICIENT_DATA does not fail a bake', async () => {
    w.alarms.set('web-5xx-rate', 'INSUFFICIENT_DATA');
    await expect(w.bake({ item: w.item(state, 1), taskToken: 't', kind: 'bake' })).resolves.toEqual({ stored: true });
  });

  it('a service without alarms stores the token and checks nothing', async () => {
    const g = (await World.create(db, testConfig({ web: { alarms: [] } }))).seed();
    const s = await g.greenHealthy(g.request(1));
    await g.bake({ item: g.item(s, 1), taskToken: 't', kind: 'bake' });
    expect(g.alarms.describeCalls).toEqual([]);
    expect((await g.store.getDeployment('web', 'production', s.request.deploymentId))?.taskToken).toBe('t');
  });

  it('an approval stores its token as waiting for approval and does not look at alarms', async () => {
    w.alarms.set('web-5xx-rate', 'ALARM');
    const item = { ...w.item(state, 1), step: { kind: 'approval' as const, timeoutSeconds: 3600, onTimeout: 'abort' as const } };
    await expect(w.bake({ item, taskToken: 'token-approval', kind: 'approval' })).resolves.toEqual({ stored: true });
    expect(await record()).toMatchObject({ taskToken: 'token-approval', waitingFor: 'approval' });
  });

  it('an extended bake (after an inconclusive analysis) stores the new token and records its own timeline entry', async () => {
    await w.bake({ item: w.item(state, 1), taskToken: 'first', kind: 'bake' });
    await w.bake({ item: w.item(state, 1, { extensions: 1 }), taskToken: 'second', kind: 'bake' });
    const r = await record();
    expect(r?.taskToken).toBe('second');
    expect(r?.timeline.map((e) => e.key)).toEqual(expect.arrayContaining(['bake-1', 'bake-1-x1']));
  });

  it('a payload without a token is a ValidationError naming it, and nothing is stored', async () => {
    const error = await w.bake({ item: w.item(state, 1), kind: 'bake' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.some((p) => p.startsWith('taskToken'))).toBe(true);
    expect((await record())?.taskToken).toBeUndefined();
  });
});
