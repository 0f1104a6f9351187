/**
 * alarm-watcher: `CloudWatch Alarm State Change` to ALARM fails the bake of every in-flight
 * deployment that watches that exact alarm name. Driven with the AWS-documented metric-alarm event
 * (test/fixtures/events; its account and region already are the control plane's), against the real
 * store over dynalite.
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseCause } from '../../functions/core/deploy-state.js';
import { AlarmTriggered } from '../../functions/core/errors.js';
import { createHandler as createAlarmWatcher } from '../../functions/handlers/alarm-watcher.js';
import { recordingMetrics } from '../../functions/handlers/shared/metrics.js';
import type { DeploymentRecord } from '../../functions/core/model.js';
import { digestOf, lambdaError, REPOSITORY, useDynalite, World } from '../helpers/fakes.js';

type Json = Record<string, unknown>;
const FIXTURE: Json = JSON.parse(
  readFileSync(new URL('../fixtures/events/cloudwatch-alarm-state-change-metric-alarm.json', import.meta.url), 'utf8'),
) as Json;
const ALARM = 'ServerCpuTooHigh';

function alarmEvent(change: (e: Json & { detail: Json & { state: Json } }) => void = () => undefined): Json {
  const e = structuredClone(FIXTURE) as Json & { detail: Json & { state: Json } };
  change(e);
  return e;
}

const db = useDynalite();
let w: World;
beforeEach(async () => {
  w = await World.create(db);
});

/** A deployment record as validate writes it, watching `alarmNames`, optionally waiting on a callback. */
async function deployment(
  deploymentId: string,
  alarmNames: string[],
  opts: { service?: string; environment?: string; waitingFor?: 'bake' | 'approval' } = {},
): Promise<{ id: string; token: string }> {
  const service = opts.service ?? 'web';
  const environment = opts.environment ?? 'production';
  const at = w.clock.iso();
  const record: DeploymentRecord = {
    deploymentId,
    service,
    environment,
    status: 'IN_PROGRESS',
    image: { repository: REPOSITORY, digest: digestOf(deploymentId), uri: `x@${digestOf(deploymentId)}` },
    strategy: 'canary',
    alarmNames,
    timeline: [],
    createdAt: at,
    updatedAt: at,
  };
  await w.store.createDeployment(record);
  const token = `token-${deploymentId}`;
  if (opts.waitingFor) await w.store.setTaskToken(service, environment, deploymentId, token, opts.waitingFor);
  return { id: deploymentId, token };
}

describe('alarm-watcher: who is failed', () => {
  it('fails exactly the waiting deployments (bake, approval) that watch that exact alarm name', async () => {
    // Prepare
    const exact = await deployment('d-exact', [ALARM, 'other'], { waitingFor: 'bake' });
    const otherService = await deployment('d-checkout', [ALARM], { service: 'checkout', waitingFor: 'bake' });
    await deployment('d-prefix', [`${ALARM}-2`], { waitingFor: 'bake' });
    await deployment('d-shorter', [ALARM.slice(0, -1)], { waitingFor: 'bake' });
    await deployment('d-substring', ['CpuTooHigh'], { waitingFor: 'bake' });
    await deployment('d-case', [ALARM.toLowerCase()], { waitingFor: 'bake' });
    // Waiting for an approver, green still serves its share of production: the alarm ends that wait too.
    const approval = await deployment('d-approval', [ALARM], { waitingFor: 'approval' });
    await deployment('d-shifting', [ALARM]);
    // Act
    const result = await w.alarmWatcher(alarmEvent());
    // Assess
    expect([...result.failed].sort()).toEqual(['d-approval', 'd-checkout', 'd-exact']);
    expect(w.orchestrator.signals.map((s) => s.token).sort()).toEqual([otherService.token, exact.token, approval.token].sort());
    for (const s of w.orchestrator.signals) {
      expect(s.kind).toBe('failure');
      expect(s.error).toBe('AlarmTriggered');
      const cause = parseCause(s.cause);
      expect(cause.errorType).toBe('AlarmTriggered');
      expect(cause.errorMessage).toContain(`Alarm ${ALARM} is in ALARM`);
      expect(cause.errorMessage).toContain('Threshold Crossed');
    }
  });

  it('notes the alarm on a watching deployment that is not baking right now, without signalling it', async () => {
    await deployment('d-shifting', [ALARM]);
    const result = await w.alarmWatcher(alarmEvent());
    expect(result.failed).toEqual([]);
    expect(w.orchestrator.signals).toEqual([]);
    const record = await w.store.getDeployment('web', 'production', 'd-shifting');
    expect(record?.timeline.filter((e) => e.kind === 'alarm')).toHaveLength(1);
  });

  it('ignores an alarm no in-flight deployment watches', async () => {
    await deployment('d-1', ['web-5xx-rate'], { waitingFor: 'bake' });
    const result = await w.alarmWatcher(alarmEvent());
    expect(result.ignored).toMatch(/no in-flight deployment watches ServerCpuTooHigh/);
    expect(w.orchestrator.signals).toEqual([]);
  });

  it.each(['OK', 'INSUFFICIENT_DATA'])('ignores a change to %s', async (value) => {
    await deployment('d-1', [ALARM], { waitingFor: 'bake' });
    const result = await w.alarmWatcher(alarmEvent((e) => { e.detail.state.value = value; }));
    expect(result).toEqual({ ignored: `state ${value}: only ALARM rolls back`, failed: [] });
    expect(w.orchestrator.signals).toEqual([]);
  });
});

describe('alarm-watcher: with the real bake and rollback handlers', () => {
  it('fails the token the bake stored, and a repeated event after the rollback changes nothing', async () => {
    // Prepare: web/production baking at 10 %.
    w.seed();
    const state = await w.greenHealthy(w.request(1));
    await w.shiftedThrough(state, 0);
    await w.bake({ item: w.item(state, 1), taskToken: 'bake-token-1', kind: 'bake' });
    const event = alarmEvent((e) => {
      e.detail.alarmName = 'web-5xx-rate';
      e.resources = ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx-rate'];
    });
    // Act 1: the alarm fires.
    const first = await w.alarmWatcher(event);
    // Assess 1
    expect(first.failed).toEqual([state.request.deploymentId]);
    expect(w.orchestrator.signals).toEqual([expect.objectContaining({ kind: 'failure', token: 'bake-token-1', error: 'AlarmTriggered' })]);

    // Step Functions fails the bake; the steps Map catches it into Rollback with the signal's error.
    const signal = w.orchestrator.signals[0];
    w.orchestrator.close('bake-token-1');
    await w.rollback({ state: { ...state, error: { Error: signal?.error ?? '', Cause: signal?.cause ?? '' } } });
    const after = await w.store.getDeployment('web', 'production', state.request.deploymentId);
    expect(after?.status).toBe('ROLLED_BACK');
    expect(after?.reason?.code).toBe('AlarmTriggered');

    // Act 2: EventBridge delivers the same event again.
    const second = await w.alarmWatcher(event);
    // Assess 2
    expect(second.failed).toEqual([]);
    expect(w.orchestrator.signals).toHaveLength(1);
    expect(await w.store.getDeployment('web', 'production', state.request.deploymentId)).toEqual(after);
  });

  it('an alarm already in ALARM when the bake starts fails the bake itself (the watcher is not needed)', async () => {
    w.seed();
    const state = await w.greenHealthy(w.request(1));
    await w.shiftedThrough(state, 0);
    w.alarms.set('web-5xx-rate', 'ALARM');
    await expect(w.bake({ item: w.item(state, 1), taskToken: 't', kind: 'bake' })).rejects.toThrow(AlarmTriggered);
    // What the rollback records from that Lambda error:
    const rolled = await w.rollback({ state: { ...state, error: lambdaError(new AlarmTriggered('Alarm web-5xx-rate is in ALARM')) } });
    expect(rolled.outcome?.code).toBe('AlarmTriggered');
  });
});

describe('alarm-watcher: malformed or foreign events', () => {
  const cases: Array<{ name: string; event: unknown; field: string }> = [
    { name: 'an ECR event', event: alarmEvent((e) => { e.source = 'aws.ecr'; }), field: 'source' },
    { name: 'a detail-type that disagrees', event: alarmEvent((e) => { e['detail-type'] = 'CloudWatch Alarm Configuration Change'; }), field: 'detail-type' },
    { name: 'no alarm name', event: alarmEvent((e) => { delete e.detail.alarmName; }), field: 'detail.alarmName' },
    { name: 'an unknown state', event: alarmEvent((e) => { e.detail.state.value = 'FIRING'; }), field: 'detail.state.value' },
    { name: 'another account', event: alarmEvent((e) => { e.account = '210987654321'; }), field: 'account' },
    { name: 'another region', event: alarmEvent((e) => { e.region = 'eu-west-1'; }), field: 'region' },
  ];
  it.each(cases)('$name -> rejected (ValidationError on $field, answered, not thrown), counted, nothing signalled or written', async ({ event, field }) => {
    // Prepare
    await deployment('d-1', [ALARM], { waitingFor: 'bake' });
    const metrics = recordingMetrics();
    const watcher = createAlarmWatcher({ env: w.env, clock: w.clock, store: w.store, orchestrator: w.orchestrator, deploymentMetrics: metrics, logLevel: 'SILENT' });
    // Act: a throw would be retried twice by Lambda and dead-lettered; the same event fails the same way.
    const result = await watcher(event);
    // Assess
    expect(result.rejected?.error).toBe('ValidationError');
    expect(result.rejected?.fields).toContain(field);
    expect(result.failed).toEqual([]);
    expect(metrics.points).toEqual([{ name: 'RejectedEvents', value: 1, unit: 'Count', dimensions: {} }]);
    expect(w.orchestrator.signals).toEqual([]);
    expect((await w.store.getDeployment('web', 'production', 'd-1'))?.timeline).toEqual([]);
  });
});
