/**
 * What issue 4 changed in the deploy-path handlers, over the honest fakes and the real store:
 * - bake: the termination wait is a callback with alarms armed; the pre-traffic alarm check;
 * - alarm-watcher: fails a deployment in its termination wait (the rollback is a weight flip);
 * - rollback: a deployment that ended another way first is left alone (AWS may be a newer one's).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeployState } from '../../functions/core/deploy-state.js';
import { AlarmTriggered, ValidationError } from '../../functions/core/errors.js';
import { ARN, BLUE_TASK_SET, CLUSTER, ECS_SERVICE, useDynalite, WEB_ROUTE, World } from '../helpers/fakes.js';

const db = useDynalite();
let w: World;
beforeEach(async () => {
  w = (await World.create(db)).seed();
});
const record = (state: DeployState) => w.store.getDeployment('web', 'production', state.request.deploymentId);
const split = (blue: number, green: number) => [
  { targetGroupArn: ARN.webBlue, weight: blue },
  { targetGroupArn: ARN.webGreen, weight: green },
];

/** Promoted (green primary at 100 %), blue still running: the termination wait. */
async function promoted(): Promise<DeployState> {
  const state = await w.greenHealthy(w.request(1));
  await w.shiftedThrough(state, 2);
  return w.promote({ state });
}
const terminationItem = (state: DeployState) => ({
  state,
  step: { kind: 'bake' as const, seconds: 300 },
  index: state.ctx?.plan.steps.length ?? 0,
});

describe('bake: pre-traffic alarm check', () => {
  it('passes and stores nothing when the watched alarms are quiet', async () => {
    const state = await w.greenHealthy(w.request(1));
    const before = await record(state);
    await expect(w.bake({ kind: 'pre-traffic', state })).resolves.toEqual({ checked: true });
    expect(await record(state)).toEqual(before);
  });

  it('AlarmTriggered, naming the alarm and that no traffic moved, when one is already firing', async () => {
    const state = await w.greenHealthy(w.request(1));
    w.alarms.set('web-p99-latency', 'ALARM', 'p99 2 s');
    const err = await w.bake({ kind: 'pre-traffic', state }).then(
      () => undefined,
      (e: unknown) => e as AlarmTriggered,
    );
    expect(err).toBeInstanceOf(AlarmTriggered);
    expect(err?.message).toBe('Alarm web-p99-latency is in ALARM before any production traffic moved to green: p99 2 s');
    expect(err?.details).toMatchObject({ alarmName: 'web-p99-latency', preTraffic: true });
  });

  it('a pre-traffic payload without a state is a ValidationError', async () => {
    await expect(w.bake({ kind: 'pre-traffic' })).rejects.toThrow(ValidationError);
  });
});

describe('the termination wait', () => {
  it('stores its token as waiting for termination, with the alarms armed', async () => {
    const state = await promoted();
    await w.bake({ item: terminationItem(state), taskToken: 'term-token', kind: 'termination' });
    expect(await record(state)).toMatchObject({ taskToken: 'term-token', waitingFor: 'termination' });
    w.alarms.set('web-5xx-rate', 'ALARM');
    await expect(w.bake({ item: terminationItem(state), taskToken: 'term-2', kind: 'termination' })).rejects.toThrow(AlarmTriggered);
  });

  it('the alarm watcher fails it; the rollback is a weight flip back to the still-running blue', async () => {
    // Prepare
    const state = await promoted();
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(0, 100));
    await w.bake({ item: terminationItem(state), taskToken: 'term-token', kind: 'termination' });
    // Act
    const event = {
      version: '0',
      id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '123456789012',
      time: w.clock.iso(),
      region: 'us-east-1',
      resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx-rate'],
      detail: {
        alarmName: 'web-5xx-rate',
        state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: w.clock.iso() },
        previousState: { value: 'OK', reason: 'ok', timestamp: w.clock.iso() },
        configuration: { metrics: [] },
      },
    };
    const watched = await w.alarmWatcher(event);
    const signal = w.orchestrator.signals[0];
    await w.rollback({ state: { ...state, error: { Error: signal?.error ?? '', Cause: signal?.cause ?? '' } } });
    // Assess
    expect(watched.failed).toEqual([state.request.deploymentId]);
    expect(signal).toMatchObject({ kind: 'failure', token: 'term-token', error: 'AlarmTriggered' });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(split(100, 0));
    expect(w.taskSets.taskSetsOf(CLUSTER, ECS_SERVICE)).toEqual([
      expect.objectContaining({ id: BLUE_TASK_SET, status: 'PRIMARY', scalePercent: 100 }),
    ]);
    expect((await w.store.getStable('web', 'production'))?.deploymentId).not.toBe(state.request.deploymentId);
  });
});

describe('rollback of a deployment that already ended another way', () => {
  it('changes nothing in AWS and keeps the record as it is', async () => {
    // Prepare: #1 succeeded; then a late close (e.g. a sweep that raced it) asks for its rollback.
    const state = await promoted();
    await w.finish({ action: 'succeed', state });
    const weights = w.router.weightsOf(WEB_ROUTE);
    const before = await record(state);
    // Act
    const out = await w.rollback({ state: { ...state, error: { Error: 'ExecutionStopped', Cause: '{}' } } });
    // Assess
    expect(out.outcome).toMatchObject({ status: 'SUCCEEDED', code: 'Promoted' });
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual(weights);
    expect(await record(state)).toEqual(before);
  });
});
