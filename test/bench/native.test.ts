/**
 * The native section of `npm run bench` (bench/native.ts): the native engine's canary and alarm
 * reaction measured beside the task-set engine's, and the pure counting rules it uses.
 */
import { describe, expect, it } from 'vitest';
import { benchNative, eventTargetCounts, nativeStatesWhileWaiting } from '../../bench/native.js';
import { benchCanary } from '../../bench/scenarios.js';
import type { ScenarioTrace } from '../../local/rehearsal.js';

const event = (source: string, detailType: string, detail: Record<string, unknown> = {}) =>
  ({ version: '0', id: 'e', source, 'detail-type': detailType, account: '1', time: '', region: 'us-east-1', resources: [], detail }) as ScenarioTrace['awsEvents'][number];

describe('bench: native engine beside task sets', () => {
  it('native-alb-canary SUCCEEDED in fewer state transitions than good-canary; ECS invoked the hook; native-alarm-during-bake stopped at the alarm with 0 states between', async () => {
    // Act
    const result = await benchNative();
    const canary = await benchCanary();

    // Assess
    const { taskSet, native } = result.canary;
    expect([taskSet.status, native.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // The task-set column is the canary section's measurement.
    expect(taskSet.stateTransitions).toBe(canary.stateTransitions);
    expect(taskSet.lambdaInvocations.stateMachine).toBe(canary.lambdaInvocations);
    expect(taskSet.apiCalls).toBe(canary.apiCalls);
    expect(native.stateTransitions).toBeLessThan(taskSet.stateTransitions);
    expect(native.lambdaInvocations.lifecycleHook).toBeGreaterThan(0);
    expect(taskSet.lambdaInvocations.lifecycleHook).toBe(0);
    // ECS's start and end state changes each reached native-event.
    expect(native.lambdaInvocations.nativeEvent).toBeGreaterThanOrEqual(2);
    const l = native.lambdaInvocations;
    expect(l.total).toBe(l.stateMachine + l.intake + l.alarmWatcher + l.nativeEvent + l.lifecycleHook);
    expect(native.apiCallsByOperation['ECS:UpdateService']).toBe(1);
    expect(native.apiCallsByOperation['ECS:CreateTaskSet']).toBeUndefined();

    const r = result.reaction.native;
    expect([r.status, r.reasonCode]).toEqual(['ROLLED_BACK', 'AlarmTriggered']);
    expect(r.reactionSeconds).toBe(0);
    expect(r.transitions).toBe(0);
    expect(r.decisionSeconds).toBe(0);
    expect(r.rollbackCompleteSeconds).not.toBeNull();
    expect(r.statesAfterAlarm).not.toContain('Rollback');
    expect(result.reaction.taskSet.statesAfterAlarm).toContain('Rollback');
    expect(result.withinBudget).toEqual({ transitions: true, reaction: true });
  }, 120_000);

  it.each<[string, string[], number]>([
    ['the terminal event answered the first wait', ['StartNativeDeployment', 'WaitForNativeDeployment', 'NativeEnded', 'NativeSucceeded'], 0],
    ['one fallback check, then the event', ['StartNativeDeployment', 'WaitForNativeDeployment', 'CheckNativeDeployment', 'NativeEnded', 'WaitForNativeDeployment', 'NativeEnded', 'NativeSucceeded'], 3],
    ['a task-set execution', ['Validate', 'CreateGreen', 'Bake', 'Promote'], 0],
  ])('nativeStatesWhileWaiting: %s', (_name, names, expected) => {
    // Act + Assess
    expect(nativeStatesWhileWaiting(names)).toBe(expected);
  });

  it("eventTargetCounts counts what the stack's rules deliver: pushes, alarms going to ALARM only, ECS deployment state changes", () => {
    // Prepare
    const events = [
      event('aws.ecr', 'ECR Image Action'),
      event('aws.cloudwatch', 'CloudWatch Alarm State Change', { state: { value: 'OK' } }),
      event('aws.cloudwatch', 'CloudWatch Alarm State Change', { state: { value: 'ALARM' } }),
      event('aws.ecs', 'ECS Deployment State Change'),
      event('aws.ecs', 'ECS Deployment State Change'),
      event('aws.ecs', 'ECS Task State Change'),
    ];

    // Act + Assess
    expect(eventTargetCounts(events)).toEqual({ intake: 1, alarmWatcher: 1, nativeEvent: 2 });
  });
});
