/**
 * The native engine end to end (issue #17): the built-in native scenarios run through the real deploy
 * state machine, the native and native-hook handlers, the alarm watcher and the in-memory world's
 * ECS deployments; what ECS did is read back from the world (service deployments, hook invocations,
 * the deployment state change events).
 */
import { describe, expect, it } from 'vitest';
import { type RehearsalContext, runScenario } from '../../local/rehearsal.js';
import { storeFor } from '../../functions/handlers/shared/store.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { GATE_SCENARIOS } from '../../local/scenarios/gates.js';
import { NATIVE_SCENARIOS } from '../../local/scenarios/native.js';
import type { World } from '../../local/world/world.js';

async function run(name: string, edit: (input: ScenarioInput) => ScenarioInput = (i) => i) {
  const input = edit(structuredClone(NATIVE_SCENARIOS.find((s) => s.name === name) as ScenarioInput));
  let world: World | undefined;
  const trace = await runScenario(parseScenario(input, name), { actions: [{ at: 0, run: (ctx) => { world = ctx.world; } }] });
  const w = world as World;
  const serviceArn = 'arn:aws:ecs:us-east-1:123456789012:service/demo/api';
  const arns = w.native.deploymentArns(serviceArn);
  const deployments = arns.length === 0 ? [] : (w.native.describeServiceDeployments({ serviceDeploymentArns: arns }).serviceDeployments ?? []);
  const record = trace.records.find((r) => r.service === 'api');
  return { trace, world: w, deployments, record, invocations: w.native.invocations };
}

describe('native engine scenarios (ECS-controller service, ECS\'s own deployments)', () => {
  it('native-alb-canary: one CANARY service deployment with Cutover\'s hook, SUCCESSFUL; the record SUCCEEDED; production on the alternate target group', async () => {
    // Act
    const { trace, deployments, record, invocations } = await run('native-alb-canary');
    // Assess
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['SUCCEEDED', 'Promoted']]);
    expect(deployments).toHaveLength(1);
    const d = deployments[0];
    expect(d?.status).toBe('SUCCESSFUL');
    expect(d?.deploymentConfiguration?.strategy).toBe('CANARY');
    expect(d?.deploymentConfiguration?.canaryConfiguration).toEqual({ canaryPercent: 10, canaryBakeTimeInMinutes: 0 });
    expect(d?.deploymentConfiguration?.bakeTimeInMinutes).toBe(1);
    expect(d?.deploymentConfiguration?.lifecycleHooks?.[0]?.hookTargetArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:cutover-native-hook');
    // The hook gated health after scale-up and held the 10 % step (IN_PROGRESS) before answering SUCCEEDED.
    const stages = invocations.map((i) => i.payload.lifecycleStage);
    expect(stages[0]).toBe('POST_SCALE_UP');
    expect(stages).toContain('PRODUCTION_TRAFFIC_SHIFT');
    expect(invocations.some((i) => (i.answer as { hookStatus?: string }).hookStatus === 'IN_PROGRESS')).toBe(true);
    expect(invocations.every((i) => (i.answer as { hookStatus?: string }).hookStatus !== 'FAILED')).toBe(true);
    const keys = (record?.timeline ?? []).map((e) => e.key);
    expect(keys).toContain('native-started');
    expect(keys).toContain('native-hook-POST_SCALE_UP-0-passed');
    expect(keys).toContain('native-hook-PRODUCTION_TRAFFIC_SHIFT-10-waiting');
    expect(keys).toContain('native-hook-PRODUCTION_TRAFFIC_SHIFT-10-passed');
    // The bake ran once (held by the hook from the 10 % point; ECS's own canary bake is 0), then the analysis passed.
    const at = (key: string) => Date.parse(record?.timeline.find((e) => e.key.startsWith(key))?.at ?? '');
    expect((at('native-hook-PRODUCTION_TRAFFIC_SHIFT-10-passed') - at('native-hook-PRODUCTION_TRAFFIC_SHIFT-10-waiting')) / 1000).toBe(300);
    expect(record?.timeline.find((e) => e.kind === 'analysis')?.detail).toMatchObject({ verdict: 'Pass', engine: 'native', percent: 10 });
    // The state machine followed the deployment: the wait's token was answered by the ECS deployment
    // state change event (NativeEnded right after the wait, at the event's second); DescribeServiceDeployments
    // ran only after each 300 s wait timed out (the late-event fallback).
    const deploy = trace.executions.find((e) => e.stateMachineArn.endsWith(':cutover-deploy'));
    const entered = (deploy?.statesEntered ?? []).map((x) => x.name);
    expect(entered.slice(-3)).toEqual(['NativeEnded', 'NativeSucceeded', 'Succeeded']);
    expect(entered[entered.length - 4]).toBe('WaitForNativeDeployment');
    const waits = entered.filter((n) => n === 'WaitForNativeDeployment').length;
    expect(entered.filter((n) => n === 'CheckNativeDeployment').length).toBe(waits - 1);
    expect(entered).not.toContain('CreateGreen');
    // All of production on the alternate target group (api-b) at the end.
    const last = trace.weights.filter((w) => w.service === 'api').at(-1);
    expect(last?.weights.find((w) => w.weight === 100)?.targetGroupArn).toMatch(/targetgroup\/api-b\//);
  });

  it('native-alarm-during-bake: the alarm watcher stops the deployment with ROLLBACK; ROLLED_BACK AlarmTriggered; production back on blue', async () => {
    // Act
    const { trace, deployments, record } = await run('native-alarm-during-bake');
    // Assess
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'AlarmTriggered']]);
    expect(record?.reason?.message).toMatch(/^Alarm api-5xx-b is in ALARM/);
    expect(deployments[0]?.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(deployments[0]?.rollback?.reason).toMatch(/StopServiceDeployment/);
    // The stop came at the alarm event (same virtual second), not at ECS's next alarm poll.
    const alarmAt = record?.timeline.find((e) => e.kind === 'alarm')?.at;
    const stopAt = record?.timeline.find((e) => e.kind === 'native-decision')?.at;
    expect(stopAt).toBeDefined();
    expect(stopAt).toBe(alarmAt);
    const last = trace.weights.filter((w) => w.service === 'api').at(-1);
    expect(last?.weights.find((w) => w.weight === 100)?.targetGroupArn).toMatch(/targetgroup\/api-a\//);
  });

  it('native-alarm-already-firing: the hook answers FAILED at POST_SCALE_UP; ROLLED_BACK AlarmTriggered before any production traffic moved', async () => {
    // Act
    const { trace, deployments, invocations } = await run('native-alarm-already-firing');
    // Assess
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'AlarmTriggered']]);
    expect(deployments[0]?.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(invocations.map((i) => [i.payload.lifecycleStage, (i.answer as { hookStatus?: string }).hookStatus])).toEqual([['POST_SCALE_UP', 'FAILED']]);
    // Green never had production traffic.
    for (const w of trace.weights.filter((x) => x.service === 'api')) {
      expect(w.weights.find((x) => /targetgroup\/api-b\//.test(x.targetGroupArn))?.weight ?? 0).toBe(0);
    }
  });

  it('native-analysis-fail: the hook judges green worse than blue after the bake, answers FAILED; ROLLED_BACK AnalysisFailed with 90 % never moved', async () => {
    const { trace, deployments, record } = await run('native-analysis-fail');
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'AnalysisFailed']]);
    expect(record?.reason?.message).toMatch(/^Canary analysis Fail at 10 %: error rate: green/);
    expect(deployments[0]?.status).toBe('ROLLBACK_SUCCESSFUL');
    for (const w of trace.weights.filter((x) => x.service === 'api')) {
      expect(w.weights.find((x) => /targetgroup\/api-b\//.test(x.targetGroupArn))?.weight ?? 0).toBeLessThanOrEqual(10);
    }
  });

  it('native-approval: held at 10 % (IN_PROGRESS) until the operator approves through the control state machine, then SUCCEEDED', async () => {
    const { trace, deployments, record, invocations } = await run('native-approval');
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['SUCCEEDED', 'Promoted']]);
    expect(deployments[0]?.status).toBe('SUCCESSFUL');
    expect(record?.controls?.map((c) => [c.action, c.by])).toContainEqual(['approve', 'alice']);
    // The hook held the 10 % point past the bake and the analysis, waiting for the approval, and let it go only after it.
    const approvedAt = Date.parse(record?.controls?.find((c) => c.action === 'approve')?.at ?? '');
    const at10 = invocations.filter((i) => i.payload.lifecycleStage === 'PRODUCTION_TRAFFIC_SHIFT' && i.payload.executionDetails.productionTrafficWeights[i.payload.executionDetails.targetServiceRevisionArn] === 10);
    const passed = at10.find((i) => (i.answer as { hookStatus?: string }).hookStatus === 'SUCCEEDED');
    expect(passed?.at).toBeGreaterThanOrEqual(approvedAt);
    expect((passed?.at ?? 0) - approvedAt).toBeLessThanOrEqual(60_000);
    expect(at10.filter((i) => (i.answer as { hookStatus?: string }).hookStatus === 'IN_PROGRESS').length).toBeGreaterThan(10);
  });

  it('an operator abort of a native deployment: the control state machine fails the wait, the deploy machine calls StopServiceDeployment ROLLBACK; ROLLED_BACK Aborted, production back on blue', async () => {
    const { trace, deployments, record } = await run('native-approval', (input) => ({
      ...input,
      timeline: input.timeline.map((t) => (t.kind === 'operator' ? { ...t, action: 'abort', at: 600 } : t)),
      expect: { deployments: [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'Aborted' }] },
    }));
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'Aborted']]);
    expect(record?.reason?.message).toMatch(/Aborted by alice/);
    expect(deployments[0]?.status).toBe('ROLLBACK_SUCCESSFUL');
    const deploy = trace.executions.find((e) => e.stateMachineArn.endsWith(':cutover-deploy'));
    expect((deploy?.statesEntered ?? []).map((x) => x.name)).toContain('StopNativeDeployment');
    const last = trace.weights.filter((w) => w.service === 'api').at(-1);
    expect(last?.weights.find((w) => w.weight === 100)?.targetGroupArn).toMatch(/targetgroup\/api-a\//);
  });

  it('native-nlb-blue-green: ECS moves the NLB listener from the production to the alternate target group; SUCCEEDED, Cutover enters none of its own traffic states', async () => {
    const { trace, deployments, record } = await run('native-nlb-blue-green');
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['SUCCEEDED', 'Promoted']]);
    expect(deployments[0]?.deploymentConfiguration?.strategy).toBe('BLUE_GREEN');
    expect(record?.timeline.find((e) => e.key === 'started')?.detail).toMatchObject({ engine: 'native', shape: 'nlb' });
    const entered = (trace.executions.find((e) => e.stateMachineArn.endsWith(':cutover-deploy'))?.statesEntered ?? []).map((x) => x.name);
    for (const own of ['CreateGreen', 'Steps', 'Shift', 'Promote', 'Rollback']) expect(entered).not.toContain(own);
    // All of production ended on the alternate target group (api-b), moved by ECS.
    const last = trace.weights.filter((w) => w.service === 'api').at(-1);
    expect(last?.weights.find((w) => w.weight === 100)?.targetGroupArn).toMatch(/targetgroup\/api-b\//);
  });

  it('native-service-connect-linear: LINEAR 25 % steps on Service Connect, each held and judged on version-tagged metrics; SUCCEEDED', async () => {
    const { trace, deployments, record } = await run('native-service-connect-linear');
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['SUCCEEDED', 'Promoted']]);
    expect(deployments[0]?.deploymentConfiguration).toMatchObject({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 0 } });
    expect(record?.timeline.find((e) => e.key === 'started')?.detail).toMatchObject({ shape: 'service-connect' });
    const verdicts = (record?.timeline ?? []).filter((e) => e.kind === 'analysis').map((e) => [(e.detail as { percent?: number }).percent, (e.detail as { verdict?: string }).verdict]);
    expect(verdicts.filter(([, v]) => v === 'Pass').map(([p]) => p)).toEqual([25, 50, 75]);
  });

  it('native-headless-blue-green: no load balancer; the hook holds the 2-minute bake after health at POST_SCALE_UP; SUCCEEDED', async () => {
    const { trace, deployments, record } = await run('native-headless-blue-green');
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['SUCCEEDED', 'Promoted']]);
    expect(deployments[0]?.deploymentConfiguration?.strategy).toBe('BLUE_GREEN');
    const at = (key: string) => Date.parse(record?.timeline.find((e) => e.key === key)?.at ?? '');
    expect((at('native-hook-POST_SCALE_UP-0-passed') - at('native-hook-POST_SCALE_UP-0-waiting')) / 1000).toBe(120);
  });

  it('native-codedeploy-refused: CodeDeployNotSupported with the steps to switch in place; no service deployment started', async () => {
    const { trace, deployments, record } = await run('native-codedeploy-refused');
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['FAILED', 'CodeDeployNotSupported']]);
    expect(record?.reason?.message).toMatch(/\(1\) give the service an ECS infrastructure role.*\(6\) update the service's deployment controller to ECS/);
    expect(deployments).toEqual([]);
  });

  it('DORA metrics as the task-set engine publishes them: a lead time on success; on an alarm rollback the reason and the time to restore', async () => {
    const { trace: good } = await run('native-alb-canary');
    const lead = good.deploymentMetrics.find((m) => m.name === 'LeadTimeSeconds');
    expect(lead?.value).toBeCloseTo(good.summary.deployments[0]?.virtualSeconds ?? 0, -1);
    expect(lead?.dimensions).toEqual({ service: 'api', environment: 'production' });
    const { trace: bad, record } = await run('native-alarm-during-bake');
    expect(bad.deploymentMetrics.find((m) => m.name === 'RollbackReason')?.dimensions).toEqual({ reason: 'AlarmTriggered' });
    const restore = bad.deploymentMetrics.find((m) => m.name === 'TimeToRestoreSeconds');
    const alarmAt = Date.parse(record?.timeline.find((e) => e.kind === 'alarm')?.at ?? '');
    const endedAt = Date.parse(record?.timeline.find((e) => e.key === 'rolled_back')?.at ?? '');
    expect(restore?.value).toBe((endedAt - alarmAt) / 1000);
    expect(bad.deploymentMetrics.some((m) => m.name === 'DeploymentSucceeded')).toBe(false);
  });

  it("the service's own hooks run as ECS lifecycle hooks beside Cutover's: a smoke test answering FAILED after scale-up rolls back before production moves (HookFailed); passing, the deployment SUCCEEDS", async () => {
    const SMOKE = 'arn:aws:lambda:us-east-1:123456789012:function:api-smoke';
    const withHook = (answer: 'pass' | 'fail') => (input: ScenarioInput): ScenarioInput => {
      const config = input.config as { services: Record<string, unknown>[] };
      return {
        ...input,
        config: { ...config, services: config.services.map((svc) => ({ ...svc, hooks: { afterHealthy: [SMOKE] } })) },
        world: { ...input.world, hooks: [{ arn: SMOKE, answers: [answer] }] },
        expect: { deployments: [{ service: 'api', status: answer === 'pass' ? 'SUCCEEDED' : 'ROLLED_BACK', ...(answer === 'fail' ? { reasonCode: 'HookFailed' } : {}) }] },
      };
    };
    const failed = await run('native-alb-canary', withHook('fail'));
    expect(failed.trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'HookFailed']]);
    expect(failed.record?.reason?.message).toMatch(/api-smoke/);
    expect(failed.deployments[0]?.deploymentConfiguration?.lifecycleHooks?.map((h) => [h.hookTargetArn?.split(':').at(-1), h.lifecycleStages])).toEqual([
      ['cutover-native-hook', expect.arrayContaining(['POST_SCALE_UP'])],
      ['api-smoke', ['POST_SCALE_UP']],
    ]);
    for (const w of failed.trace.weights.filter((x) => x.service === 'api')) {
      expect(w.weights.find((x) => /targetgroup\/api-b\//.test(x.targetGroupArn))?.weight ?? 0).toBe(0);
    }
    const passed = await run('native-alb-canary', withHook('pass'));
    expect(passed.trace.summary.deployments.map((d) => d.status)).toEqual(['SUCCEEDED']);
    expect(passed.invocations.filter((i) => i.functionArn === SMOKE).map((i) => i.payload.lifecycleStage)).toEqual(['POST_SCALE_UP']);
  });

  it('the migration gate runs before ECS is asked: exit 3 ends ROLLED_BACK MigrationFailed with no service deployment; exit 0 then deploys natively', async () => {
    const withMigration = (exitCode: number) => (input: ScenarioInput): ScenarioInput => {
      const config = input.config as { services: Record<string, unknown>[] };
      return {
        ...input,
        config: { ...config, services: config.services.map((svc) => ({ ...svc, migration: { command: ['npm', 'run', 'migrate'], timeoutSeconds: 600 } })) },
        timeline: input.timeline.map((t) => (t.kind === 'push' ? { ...t, profile: { errorRate: 0.002, latencyMs: 82, exitCode, runMs: 45_000 } } : t)),
        expect: { deployments: [{ service: 'api', status: exitCode === 0 ? 'SUCCEEDED' : 'ROLLED_BACK' }] },
      };
    };
    const failed = await run('native-alb-canary', withMigration(3));
    expect(failed.trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'MigrationFailed']]);
    expect(failed.deployments).toEqual([]);
    const entered = (failed.trace.executions.find((e) => e.stateMachineArn.endsWith(':cutover-deploy'))?.statesEntered ?? []).map((x) => x.name);
    expect(entered).toEqual(expect.arrayContaining(['RunMigration', 'MigrationVerdict', 'MigrationFailed', 'NativeRolledBack']));
    expect(entered).not.toContain('StartNativeDeployment');
    expect(entered).not.toContain('Rollback');
    const ok = await run('native-alb-canary', withMigration(0));
    expect(ok.trace.summary.deployments.map((d) => d.status)).toEqual(['SUCCEEDED']);
    const okEntered = (ok.trace.executions.find((e) => e.stateMachineArn.endsWith(':cutover-deploy'))?.statesEntered ?? []).map((x) => x.name);
    expect(okEntered.indexOf('RunMigration')).toBeLessThan(okEntered.indexOf('StartNativeDeployment'));
  });

  it('one deployment per service: a push during a native deployment waits on the lock, a third supersedes the waiting one, then the newest deploys natively', async () => {
    const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
    const { trace, world } = await run('native-alb-canary', (input) => ({
      ...input,
      timeline: [
        ...input.timeline,
        { at: 120, kind: 'push', repository: 'shop/api', digest: digest(3), tag: 'v3', profile: { errorRate: 0.002, latencyMs: 82 } },
        { at: 180, kind: 'push', repository: 'shop/api', digest: digest(4), tag: 'v4', profile: { errorRate: 0.002, latencyMs: 82 } },
      ],
      expect: undefined,
    }));
    expect(trace.summary.invariantViolations).toEqual([]);
    const byDigest = Object.fromEntries(trace.records.map((r) => [r.image.digest, r.status]));
    expect(byDigest[digest(3)]).toBe('SUPERSEDED');
    expect(byDigest[digest(4)]).toBe('SUCCEEDED');
    expect(Object.values(byDigest).filter((s) => s === 'SUCCEEDED')).toHaveLength(2);
    // ECS ran one service deployment at a time: never two in progress together.
    const arns = world.native.deploymentArns('arn:aws:ecs:us-east-1:123456789012:service/demo/api');
    const ds = world.native.describeServiceDeployments({ serviceDeploymentArns: arns }).serviceDeployments ?? [];
    expect(ds.map((d) => d.status)).toEqual(['SUCCESSFUL', 'SUCCESSFUL']);
    const [a, b] = [...ds].sort((x, y) => Number(x.createdAt) - Number(y.createdAt));
    expect(Number(b?.createdAt)).toBeGreaterThanOrEqual(Number(a?.finishedAt));
  });

  it('the release pipeline works the same on the native engine: staging (all at once, its verification hook), then production (canary), each an ECS deployment', async () => {
    const base = structuredClone(GATE_SCENARIOS.find((x) => x.name === 'staging-then-prod') as ScenarioInput);
    const config = base.config as { services: Record<string, unknown>[] };
    // Each service on ECS's own controller behind a listener rule of its own load balancer (the listener's ARN plus a rule id).
    const services = config.services.map((svc) => {
      const listener = svc.listenerArn as string;
      const { listenerArn: _l, ...rest } = svc;
      return { ...rest, engine: 'native', terminationWaitSeconds: 0, listenerRuleArn: `${listener.replace(':listener/', ':listener-rule/')}/${'ab'.repeat(8)}` };
    });
    let world: World | undefined;
    const input: ScenarioInput = {
      ...base,
      config: { ...config, services },
      world: { ...base.world, services: base.world.services.map((w) => ({ ...w, deploymentController: 'ECS' as const })) },
    };
    const trace = await runScenario(parseScenario(input, 'native-staging-then-prod'), { actions: [{ at: 0, run: (ctx) => { world = ctx.world; } }] });
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.environment, d.status])).toEqual([['staging', 'SUCCEEDED'], ['production', 'SUCCEEDED']]);
    expect(trace.summary.releases?.map((r) => [r.status, r.environments.map((e) => [e.environment, e.status])])).toEqual([['SUCCEEDED', [['staging', 'SUCCEEDED'], ['production', 'SUCCEEDED']]]]);
    for (const cluster of ['staging', 'demo']) {
      const arns = (world as World).native.deploymentArns(`arn:aws:ecs:us-east-1:123456789012:service/${cluster}/api`);
      expect(arns, cluster).toHaveLength(1);
    }
    // Production started only after staging's verification passed.
    const stagingEnd = Date.parse(trace.records.find((r) => r.environment === 'staging')?.timeline.find((e) => e.key === 'succeeded')?.at ?? '');
    const prodStart = Date.parse(trace.records.find((r) => r.environment === 'production')?.createdAt ?? '');
    expect(prodStart).toBeGreaterThanOrEqual(stagingEnd);
  });

  it('native-approval-pause: an ECS PAUSE hook holds the approval with no invocations; the approve wakes the deploy execution, which continues the pause; SUCCEEDED. Nobody approving: ROLLED_BACK ApprovalExpired', async () => {
    const { trace, deployments, record, invocations } = await run('native-approval-pause');
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['SUCCEEDED', 'Promoted']]);
    const d = deployments[0];
    expect(d?.deploymentConfiguration?.lifecycleHooks?.find((h) => h.targetType === 'PAUSE')).toMatchObject({ lifecycleStages: ['POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' } });
    const continued = record?.timeline.find((e) => e.key.startsWith('native-continued-'));
    expect(continued?.detail).toMatchObject({ by: 'alice', action: 'CONTINUE' });
    const approvedAt = Date.parse(record?.controls?.find((c) => c.action === 'approve')?.at ?? '');
    expect(Date.parse(continued?.at ?? '')).toBe(approvedAt);
    // While paused ECS invoked nothing: no hook call between the 100 % shift and the approve.
    const full = Math.min(...invocations.filter((i) => i.payload.executionDetails.productionTrafficWeights[i.payload.executionDetails.targetServiceRevisionArn] === 100).map((i) => i.at));
    expect(invocations.filter((i) => i.at > full && i.at < approvedAt)).toEqual([]);

    const expired = await run('native-approval-pause', (input) => ({
      ...input,
      timeline: input.timeline.filter((t) => t.kind !== 'operator'),
      expect: { deployments: [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'ApprovalExpired' }] },
    }));
    expect(expired.trace.summary.deployments.map((x) => [x.status, x.reasonCode])).toEqual([['ROLLED_BACK', 'ApprovalExpired']]);
    expect(expired.deployments[0]?.status).toBe('ROLLBACK_SUCCESSFUL');
  });

  it('a PAUSE hook is continued only on a wake-up the control path sent: an early approve plus a SendTaskSuccess outside the control path (token copied from the table) continues nothing; ROLLED_BACK ApprovalExpired', async () => {
    const input = structuredClone(NATIVE_SCENARIOS.find((x) => x.name === 'native-approval-pause') as ScenarioInput);
    // The operator approves during the 10 % bake (nothing pauses yet); later someone answers the wait directly.
    const scenario = parseScenario(
      { ...input, timeline: input.timeline.map((t) => (t.kind === 'operator' ? { ...t, at: 200 } : t)), expect: { deployments: [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'ApprovalExpired' }] } },
      'forged-pause-wake',
    );
    let token: string | undefined;
    const trace = await runScenario(scenario, {
      actions: [
        {
          at: 600,
          label: 'forged wake-up',
          run: async (ctx: RehearsalContext) => {
            const store = storeFor(ctx.clientOptions, ctx.env);
            token = (await store.listInFlight()).find((r) => r.service === 'api')?.taskToken;
            await ctx.runner.sendTaskSuccess(token as string, JSON.stringify({ action: 'approve', by: 'mallory', nonce: 'f'.repeat(64) }));
          },
        },
      ],
    });
    expect(token?.length ?? 0).toBeGreaterThan(0);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'ApprovalExpired']]);
    const record = trace.records.find((r) => r.service === 'api');
    expect(record?.timeline.some((e) => e.key.startsWith('native-continued-'))).toBe(false);
  });
});
