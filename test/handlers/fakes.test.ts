/** The fakes keep the contracts of the ports they stand in for (functions/core/ports.ts). */
import { describe, expect, it } from 'vitest';
import { AwsRequestFailed, LiveStateInvalid } from '../../functions/core/errors.js';
import {
  ARN,
  CLUSTER,
  FakeOrchestrator,
  FakeTaskDefinitions,
  FakeTaskSets,
  FakeTrafficRouter,
  ManualClock,
  testConfig,
  testEnv,
  WEB_ROUTE,
} from '../helpers/fakes.js';

const input = (over: Record<string, unknown> = {}) => ({
  cluster: CLUSTER,
  service: 'web',
  taskDefinitionArn: ARN.webTaskDefinition,
  targetGroupArn: ARN.webGreen,
  containerName: 'app',
  containerPort: 8080,
  scalePercent: 50,
  clientToken: 'token-1',
  externalId: 'd-1',
  ...over,
});

describe('FakeTaskSets', () => {
  const make = () => {
    const ts = new FakeTaskSets(new ManualClock());
    ts.addService(CLUSTER, 'web', { desiredCount: 3 });
    return ts;
  };

  it('CreateTaskSet is idempotent by client token and sizes the set from the desired count', async () => {
    const ts = make();
    const a = await ts.createTaskSet(input());
    const b = await ts.createTaskSet(input({ scalePercent: 100 }));
    expect(b).toEqual(a);
    expect(a).toMatchObject({ status: 'ACTIVE', computedDesiredCount: 2, runningCount: 0, stabilityStatus: 'STABILIZING' });
    expect(ts.created).toHaveLength(1);
  });

  it('rejects client tokens ECS would reject', async () => {
    await expect(make().createTaskSet(input({ clientToken: 'x'.repeat(37) }))).rejects.toThrow(AwsRequestFailed);
  });

  it('UpdateTaskSet and UpdateServicePrimaryTaskSet on a missing set fail; DeleteTaskSet of a missing set does not', async () => {
    const ts = make();
    await expect(ts.updateScale(CLUSTER, 'web', 'nope', 0)).rejects.toThrow(AwsRequestFailed);
    await expect(ts.setPrimary(CLUSTER, 'web', 'nope')).rejects.toThrow(AwsRequestFailed);
    await expect(ts.deleteTaskSet(CLUSTER, 'web', 'nope')).resolves.toBeUndefined();
  });

  it('one primary at a time', async () => {
    const ts = make();
    const a = ts.addTaskSet(CLUSTER, 'web', { taskDefinitionArn: ARN.webTaskDefinition, targetGroupArn: ARN.webBlue });
    const b = await ts.createTaskSet(input());
    await ts.setPrimary(CLUSTER, 'web', b.id);
    expect(ts.find(CLUSTER, 'web', a.id)?.status).toBe('ACTIVE');
    expect(ts.find(CLUSTER, 'web', b.id)?.status).toBe('PRIMARY');
  });

  it('an unknown service is LiveStateInvalid to describe, as the ECS adapter answers', async () => {
    await expect(make().describeService(CLUSTER, 'other')).rejects.toThrow(LiveStateInvalid);
  });
});

describe('FakeTrafficRouter', () => {
  it('holds what was set, unless told not to; an unknown listener is an error', async () => {
    const r = new FakeTrafficRouter();
    await expect(r.readWeights(WEB_ROUTE)).rejects.toThrow(AwsRequestFailed);
    r.seed(WEB_ROUTE, [{ targetGroupArn: ARN.webBlue, weight: 100 }]);
    await r.setWeights(WEB_ROUTE, [{ targetGroupArn: ARN.webGreen, weight: 100 }]);
    expect(await r.readWeights(WEB_ROUTE)).toEqual([{ targetGroupArn: ARN.webGreen, weight: 100 }]);
    r.doNotHold(WEB_ROUTE, 1);
    await r.setWeights(WEB_ROUTE, [{ targetGroupArn: ARN.webBlue, weight: 100 }]);
    expect(await r.readWeights(WEB_ROUTE)).toEqual([{ targetGroupArn: ARN.webGreen, weight: 100 }]);
    await r.setWeights(WEB_ROUTE, [{ targetGroupArn: ARN.webBlue, weight: 100 }]);
    expect(await r.readWeights(WEB_ROUTE)).toEqual([{ targetGroupArn: ARN.webBlue, weight: 100 }]);
    expect(r.writes.map((w) => w.held)).toEqual([true, false, true]);
  });
});

describe('FakeTaskDefinitions', () => {
  it('registers the next revision with one image replaced; unknown sources fail', async () => {
    const td = new FakeTaskDefinitions();
    td.add(ARN.webTaskDefinition, { app: 'old', sidecar: 'envoy' });
    const { arn } = await td.registerWithImage(ARN.webTaskDefinition, 'app', 'new@sha256:1');
    expect(arn).toMatch(/web:8$/);
    expect(td.imagesOf(arn)).toEqual({ app: 'new@sha256:1', sidecar: 'envoy' });
    await expect(td.registerWithImage('other:1', 'app', 'x')).rejects.toThrow(AwsRequestFailed);
    await expect(td.registerWithImage(ARN.webTaskDefinition, 'nope', 'x')).rejects.toThrow(AwsRequestFailed);
  });
});

describe('FakeOrchestrator', () => {
  it('starts once per name, rejects names Step Functions rejects, and swallows late signals', async () => {
    const o = new FakeOrchestrator();
    expect((await o.start(ARN.deployStateMachine, 'd-1', { a: 1 })).alreadyStarted).toBe(false);
    expect((await o.start(ARN.deployStateMachine, 'd-1', { a: 2 })).alreadyStarted).toBe(true);
    expect(o.started).toEqual([{ stateMachineArn: ARN.deployStateMachine, name: 'd-1', input: { a: 1 } }]);
    await expect(o.start(ARN.deployStateMachine, 'has space', {})).rejects.toThrow(AwsRequestFailed);
    await expect(o.start(ARN.deployStateMachine, 'x'.repeat(81), {})).rejects.toThrow(AwsRequestFailed);
    o.close('late');
    await o.sendTaskFailure('late', 'AlarmTriggered', '');
    await o.sendTaskFailure('live', 'AlarmTriggered', 'c');
    expect(o.signals).toEqual([{ kind: 'failure', token: 'live', error: 'AlarmTriggered', cause: 'c' }]);
  });
});

describe('testEnv', () => {
  it('is a valid configuration in account 123456789012 / us-east-1', () => {
    const env = testEnv(testConfig());
    expect(env).toMatchObject({ accountId: '123456789012', region: 'us-east-1' });
    expect(env.config.services.map((s) => `${s.name}/${s.environment}`)).toEqual([
      'web/production',
      'web/staging',
      'worker/production',
      'checkout/production',
    ]);
  });
});
