/**
 * The native engine's event-driven handlers (issue #17), against the real store over dynalite:
 * native-event (an ECS deployment state change answers the deploy state machine's wait only when
 * the service deployment ended), native-hook (Cutover's lifecycle hook: what it answers ECS and
 * records), and the alarm watcher's StopServiceDeployment ROLLBACK for a native deployment.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../functions/core/model.js';
import type { NativeDeploymentInfo, NativeDeployments } from '../../functions/core/ports.js';
import { createHandler as createAlarmWatcher } from '../../functions/handlers/alarm-watcher.js';
import { createHandler as createNativeEvent } from '../../functions/handlers/native-event.js';
import { createHandler as createNativeHook } from '../../functions/handlers/native-hook.js';
import { createHandler as createRollback } from '../../functions/handlers/rollback.js';
import { NATIVE_STARTED } from '../../functions/handlers/shared/native.js';
import { ACCOUNT, ARN, CLUSTER, digestOf, ECS_SERVICE, FakeMetrics, REGION, REPOSITORY, samples, useDynalite, WEB_ALARMS, World } from '../helpers/fakes.js';

const SERVICE_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${ECS_SERVICE}`;
const SD_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/${CLUSTER}/${ECS_SERVICE}/0123456789abcdef012345`;
const TARGET_REV = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/${CLUSTER}/${ECS_SERVICE}/2`;
const SOURCE_REV = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/${CLUSTER}/${ECS_SERVICE}/1`;

/** ECS's side as the native port reads it: one service deployment whose status the test sets. */
class FakeNative implements NativeDeployments {
  status = 'IN_PROGRESS';
  readonly stopped: string[] = [];
  async describeService(): Promise<never> {
    throw new Error('not used');
  }
  async startDeployment(): Promise<never> {
    throw new Error('not used');
  }
  async describeDeployment(arn: string): Promise<NativeDeploymentInfo | undefined> {
    return arn === SD_ARN ? { arn, status: this.status } : undefined;
  }
  async listInProgress(): Promise<NativeDeploymentInfo[]> {
    return [];
  }
  async stopWithRollback(arn: string): Promise<void> {
    this.stopped.push(arn);
  }
  readonly continued: string[] = [];
  async continuePause(_arn: string, hookId: string): Promise<void> {
    this.continued.push(hookId);
  }
}

const db = useDynalite();
let w: World;
let native: FakeNative;
beforeEach(async () => {
  w = await World.create(db);
  native = new FakeNative();
});

/** An in-flight web/production deployment; `started`: it names its service deployment; `token`: its wait. */
async function inFlight(opts: { started?: boolean; token?: string } = {}): Promise<string> {
  const id = 'web-production-native';
  const at = w.clock.iso();
  const record: DeploymentRecord = {
    deploymentId: id,
    service: 'web',
    environment: 'production',
    status: 'IN_PROGRESS',
    image: { repository: REPOSITORY, digest: digestOf(id), uri: `x@${digestOf(id)}` },
    strategy: 'canary',
    alarmNames: [...WEB_ALARMS],
    blue: { targetGroupArn: ARN.webBlue, taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1' },
    green: { targetGroupArn: ARN.webGreen },
    timeline: opts.started === false ? [] : [{ key: NATIVE_STARTED, kind: 'native', at, detail: { serviceDeploymentArn: SD_ARN } }],
    createdAt: at,
    updatedAt: at,
  };
  await w.store.createDeployment(record);
  if (opts.token) await w.store.setTaskToken('web', 'production', id, opts.token);
  return id;
}

const stateChange = (serviceArn = SERVICE_ARN) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'ECS Deployment State Change',
  source: 'aws.ecs',
  account: ACCOUNT,
  time: '2026-01-01T00:00:00Z',
  region: REGION,
  resources: [serviceArn],
  detail: { eventType: 'INFO', eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: 'ecs-svc/1', reason: 'done' },
});

const hookPayload = (stage: string, percent: number, hookDetails?: unknown) => ({
  executionId: 'x1',
  lifecycleStage: stage,
  resourceArn: SD_ARN,
  executionDetails: {
    serviceArn: SERVICE_ARN,
    targetServiceRevisionArn: TARGET_REV,
    testTrafficWeights: {},
    productionTrafficWeights: { [SOURCE_REV]: 100 - percent, [TARGET_REV]: percent },
  },
  ...(hookDetails === undefined ? {} : { hookDetails }),
});

describe('native-event', () => {
  const handler = () => createNativeEvent({ env: w.env, clock: w.clock, native, store: w.store, orchestrator: w.orchestrator, logLevel: 'SILENT' });

  it('answers the wait with how the service deployment ended, once it ended, and clears the token', async () => {
    // Prepare
    const id = await inFlight({ token: 'tok-1' });
    // Act
    const early = await handler()(stateChange());
    native.status = 'ROLLBACK_SUCCESSFUL';
    const late = await handler()(stateChange());
    // Assess
    expect(early).toEqual({ answered: [] });
    expect(late).toEqual({ answered: [id] });
    expect(w.orchestrator.signals).toEqual([{ kind: 'success', token: 'tok-1', output: { terminal: true, status: 'ROLLBACK_SUCCESSFUL' } }]);
    expect((await w.store.getDeployment('web', 'production', id))?.taskToken).toBeUndefined();
  });

  it('ignores a service the configuration does not name, and a deployment with no token waiting', async () => {
    await inFlight();
    native.status = 'SUCCESSFUL';
    expect(await handler()(stateChange(`arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/payments`))).toMatchObject({ answered: [], ignored: expect.stringMatching(/no configured service/) });
    expect(await handler()(stateChange())).toEqual({ answered: [] });
    expect(w.orchestrator.signals).toEqual([]);
  });
});

describe('native-hook', () => {
  let metrics: FakeMetrics;
  beforeEach(() => {
    metrics = new FakeMetrics();
  });
  const handler = () => createNativeHook({ env: w.env, clock: w.clock, store: w.store, alarms: w.alarms, metrics, logLevel: 'SILENT' });

  it('POST_SCALE_UP with no watched alarm in ALARM: SUCCEEDED, recorded on the timeline', async () => {
    const id = await inFlight();
    const answer = await handler()(hookPayload('POST_SCALE_UP', 0));
    expect(answer.hookStatus).toBe('SUCCEEDED');
    expect((await w.store.getDeployment('web', 'production', id))?.timeline.map((e) => e.key)).toContain('native-hook-POST_SCALE_UP-0-passed');
  });

  it('a watched alarm already in ALARM: FAILED, and the reason recorded as the rollback\'s decision', async () => {
    const id = await inFlight();
    w.alarms.set(WEB_ALARMS[0], 'ALARM');
    const answer = await handler()(hookPayload('POST_SCALE_UP', 0));
    expect(answer).toEqual({ hookStatus: 'FAILED', hookDetails: expect.any(Object) });
    const decision = (await w.store.getDeployment('web', 'production', id))?.timeline.find((e) => e.kind === 'native-decision');
    expect(decision?.detail).toMatchObject({ code: 'AlarmTriggered', stage: 'POST_SCALE_UP' });
  });

  it('the canary step (10 %, bake 300 s): IN_PROGRESS with a callBackDelay and hookDetails, then the analysis: green as good as blue -> SUCCEEDED', async () => {
    const id = await inFlight();
    const first = await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10));
    expect(first.hookStatus).toBe('IN_PROGRESS');
    expect(first.callBackDelay).toBe(60);
    metrics.set(ARN.webGreen, samples({ minutes: 3, perMinute: 120, errorRate: 0.002, latencyS: 0.08 }));
    metrics.set(ARN.webBlue, samples({ minutes: 3, perMinute: 1080, errorRate: 0.002, latencyS: 0.08 }));
    w.clock.advance(300_000);
    const again = await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10, first.hookDetails));
    expect(again.hookStatus).toBe('SUCCEEDED');
    // Green's and blue's target groups, over the whole minutes since the traffic point.
    expect(new Set(metrics.queries.map((q) => q.targetGroup))).toEqual(new Set([ARN.webGreen, ARN.webBlue].map((a) => a.split(':').slice(5).join(':'))));
    const analysis = (await w.store.getDeployment('web', 'production', id))?.timeline.find((e) => e.kind === 'analysis');
    expect(analysis?.detail).toMatchObject({ verdict: 'Pass', decision: 'pass', engine: 'native', percent: 10 });
  });

  it('the analysis finds green worse than blue: FAILED with AnalysisFailed as the rollback decision', async () => {
    const id = await inFlight();
    const first = await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10));
    metrics.set(ARN.webGreen, samples({ minutes: 3, perMinute: 120, errorRate: 0.08, latencyS: 0.08 }));
    metrics.set(ARN.webBlue, samples({ minutes: 3, perMinute: 1080, errorRate: 0.002, latencyS: 0.08 }));
    w.clock.advance(300_000);
    const again = await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10, first.hookDetails));
    expect(again.hookStatus).toBe('FAILED');
    const decision = (await w.store.getDeployment('web', 'production', id))?.timeline.find((e) => e.kind === 'native-decision');
    expect(decision?.detail).toMatchObject({ code: 'AnalysisFailed', percent: 10 });
  });

  it('no data yet after the bake: IN_PROGRESS (the verdict waits), never SUCCEEDED on no data', async () => {
    await inFlight();
    const first = await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10));
    w.clock.advance(300_000);
    const again = await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10, first.hookDetails));
    expect(again.hookStatus).not.toBe('SUCCEEDED');
  });

  it('an inconclusive verdict bakes the step again (onInconclusive extend, up to maxExtensions): held another 300 s, then judged again; still inconclusive after the last one: FAILED', async () => {
    const id = await inFlight();
    const first = await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10));
    // Too few requests for a verdict (below minRequests): inconclusive.
    metrics.set(ARN.webGreen, samples({ minutes: 3, perMinute: 2, errorRate: 0, latencyS: 0.08 }));
    metrics.set(ARN.webBlue, samples({ minutes: 3, perMinute: 20, errorRate: 0, latencyS: 0.08 }));
    w.clock.advance(300_000);
    const extended = await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10, first.hookDetails));
    expect(extended.hookStatus).toBe('IN_PROGRESS');
    expect(extended.callBackDelay).toBe(60);
    // Enough traffic by the end of the extension: pass.
    metrics.set(ARN.webGreen, samples({ minutes: 8, perMinute: 120, errorRate: 0.002, latencyS: 0.08 }));
    metrics.set(ARN.webBlue, samples({ minutes: 8, perMinute: 1080, errorRate: 0.002, latencyS: 0.08 }));
    w.clock.advance(240_000);
    expect((await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10, extended.hookDetails))).hookStatus).toBe('IN_PROGRESS');
    w.clock.advance(60_000);
    expect((await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10, extended.hookDetails))).hookStatus).toBe('SUCCEEDED');
    const analyses = (await w.store.getDeployment('web', 'production', id))?.timeline.filter((e) => e.kind === 'analysis').map((e) => [(e.detail as { decision?: string }).decision, (e.detail as { extensions?: number }).extensions]);
    expect(analyses?.[0]).toEqual(['extend', 0]);
    expect(analyses?.at(-1)).toEqual(['pass', 1]);
  });

  it('still inconclusive after maxExtensions (2) extensions: FAILED AnalysisFailed, after three bakes', async () => {
    const id = await inFlight();
    let details = (await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10))).hookDetails;
    metrics.set(ARN.webGreen, samples({ minutes: 3, perMinute: 2, errorRate: 0, latencyS: 0.08 }));
    metrics.set(ARN.webBlue, samples({ minutes: 3, perMinute: 20, errorRate: 0, latencyS: 0.08 }));
    const answers: string[] = [];
    for (let t = 300; t <= 900; t += 300) {
      w.clock.advance(300_000);
      const a = await handler()(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10, details));
      answers.push(a.hookStatus);
      details = a.hookDetails;
    }
    expect(answers).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'FAILED']);
    const decision = (await w.store.getDeployment('web', 'production', id))?.timeline.find((e) => e.kind === 'native-decision');
    expect(decision?.detail).toMatchObject({ code: 'AnalysisFailed' });
  });

  it('an approval step: held IN_PROGRESS until an operator approve is recorded after the gate began, then SUCCEEDED', async () => {
    const env = { ...w.env, config: { ...w.env.config, services: w.env.config.services.map((s) => (s.name === 'web' && s.environment === 'production' ? { ...s, analysis: { ...s.analysis, enabled: false }, strategy: { type: 'steps' as const, steps: [{ percent: 10, bakeSeconds: 60 }, { approval: { timeoutSeconds: 3600, onTimeout: 'abort' as const } }, { percent: 100, bakeSeconds: 0 }] } } : s)) } };
    const hook = createNativeHook({ env, clock: w.clock, store: w.store, alarms: w.alarms, metrics, logLevel: 'SILENT' });
    const id = await inFlight();
    // An approve recorded before the gate began does not count.
    await w.store.recordControl('web', 'production', id, { action: 'approve', by: 'early', at: w.clock.iso() });
    w.clock.advance(1000);
    const first = await hook(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10));
    w.clock.advance(61_000);
    const waiting = await hook(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10, first.hookDetails));
    expect(waiting.hookStatus).toBe('IN_PROGRESS');
    await w.store.recordControl('web', 'production', id, { action: 'approve', by: 'alice', at: w.clock.iso() });
    w.clock.advance(30_000);
    const approved = await hook(hookPayload('PRODUCTION_TRAFFIC_SHIFT', 10, waiting.hookDetails));
    expect(approved.hookStatus).toBe('SUCCEEDED');
  });

  it('no in-flight Cutover deployment follows the service deployment: FAILED (ECS rolls back)', async () => {
    const answer = await handler()(hookPayload('POST_SCALE_UP', 0));
    expect(answer.hookStatus).toBe('FAILED');
  });
});

describe('alarm-watcher on a native deployment', () => {
  it('calls StopServiceDeployment ROLLBACK at once and records the alarm as the decision; no token is failed', async () => {
    // Prepare
    const id = await inFlight({ token: 'tok-2' });
    const handler = createAlarmWatcher({ env: w.env, clock: w.clock, store: w.store, orchestrator: w.orchestrator, native, logLevel: 'SILENT' });
    // Act
    const out = await handler({
      version: '0',
      id: 'a1',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: ACCOUNT,
      time: '2026-01-01T00:00:00Z',
      region: REGION,
      resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${WEB_ALARMS[0]}`],
      detail: { alarmName: WEB_ALARMS[0], state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2026-01-01T00:00:00.000+0000' }, previousState: { value: 'OK', reason: 'ok', timestamp: '2026-01-01T00:00:00.000+0000' }, configuration: { metrics: [] } },
    });
    // Assess
    expect(out).toEqual({ failed: [id] });
    expect(native.stopped).toEqual([SD_ARN]);
    expect(w.orchestrator.signals).toEqual([]);
    const decision = (await w.store.getDeployment('web', 'production', id))?.timeline.find((e) => e.kind === 'native-decision');
    expect(decision?.detail).toMatchObject({ code: 'AlarmTriggered', alarmName: WEB_ALARMS[0], serviceDeploymentArn: SD_ARN });
  });
});

describe('rollback of a native deployment (an orphan the sweep found, its execution stopped)', () => {
  it('asks ECS to roll it back (StopServiceDeployment ROLLBACK) and writes nothing on the listener or the task sets; ROLLED_BACK with the reason', async () => {
    // Prepare
    const id = await inFlight();
    const rollback = createRollback({ ...w, native, logLevel: 'SILENT' });
    const routeBefore = JSON.stringify(w.router.weightsOf({ kind: 'listener', arn: ARN.listener }));
    const request = { deploymentId: id, service: 'web', environment: 'production', image: { repository: REPOSITORY, digest: digestOf(id), uri: `x@${digestOf(id)}` }, requestedAt: w.clock.iso(), trigger: { kind: 'ecr-push', eventId: 'e' } };
    // Act
    const out = await rollback({ state: { request, error: { Error: 'ExecutionStopped', Cause: JSON.stringify({ errorType: 'ExecutionStopped', errorMessage: 'the execution stopped' }) } } });
    // Assess
    expect(native.stopped).toEqual([SD_ARN]);
    expect(JSON.stringify(w.router.weightsOf({ kind: 'listener', arn: ARN.listener }))).toBe(routeBefore);
    expect(w.router.heldWrites({ kind: 'listener', arn: ARN.listener })).toEqual([]);
    const rec = await w.store.getDeployment('web', 'production', id);
    expect(rec?.status).toBe('ROLLED_BACK');
    expect(rec?.timeline.find((e) => e.key === 'rollback-native')?.detail).toMatchObject({ serviceDeploymentArn: SD_ARN, stopped: true });
    expect((out as { outcome?: { status: string } }).outcome?.status).toBe('ROLLED_BACK');
  });
});
