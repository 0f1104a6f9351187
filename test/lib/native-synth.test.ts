/**
 * The native engine in the stack (issue #17): the rule on "ECS Deployment State Change" of the
 * services that may deploy natively (engine not task-set), targeting the native-event function; the role
 * ECS assumes to invoke Cutover's hook; the native function told both.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ACCOUNT, manyServices, REGION, resourcesOfType, synthStack } from '../helpers/cdk.js';

const ECS = `arn:aws:ecs:${REGION}:${ACCOUNT}`;

function synth(engines: ReadonlyArray<'task-set' | 'native' | undefined>) {
  const raw = manyServices(engines.length);
  const config = parseConfig({ ...raw, services: raw.services.map((s, i) => ({ ...s, ...(engines[i] ? { engine: engines[i] } : {}) })) });
  return { config, ...synthStack({ config }) };
}

describe('native engine synth', () => {
  it('one rule on ECS Deployment State Change of the services that may deploy natively, targeting the native-event function', () => {
    // Prepare / Act
    const { config, template, stack } = synth(['native', 'task-set', undefined]);
    // Assess
    const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) => r.Properties?.EventPattern?.source?.[0] === 'aws.ecs');
    expect(rules).toHaveLength(1);
    const rule = rules[0]?.[1];
    expect(rule?.Properties?.EventPattern['detail-type']).toEqual(['ECS Deployment State Change']);
    expect(rule?.Properties?.State).toBe('ENABLED');
    const resources = JSON.stringify(stack.resolve(rule?.Properties?.EventPattern.resources));
    const [native, taskSet, detected] = config.services;
    expect(resources).toContain(`service/${native?.cluster}/${native?.service}`);
    expect(resources).toContain(`service/${detected?.cluster}/${detected?.service}"`);
    expect(resources).not.toContain(`service/${taskSet?.cluster}/${taskSet?.service}"`);
    const fnId = stack.getLogicalId(stack.controlPlane.functions['native-event'].node.defaultChild as never);
    expect(JSON.stringify(rule?.Properties?.Targets)).toContain(fnId);
  });

  it('the hook-invoke role is trusted by ECS and may invoke only the native-hook function; the native function is told both', () => {
    const { template, stack } = synth(['native']);
    const roleId = stack.getLogicalId(stack.controlPlane.nativeHookInvokeRole.node.defaultChild as never);
    const role = resourcesOfType(template, 'AWS::IAM::Role').find(([id]) => id === roleId)?.[1];
    expect(role?.Properties?.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
    ]);
    const hookFnId = stack.getLogicalId(stack.controlPlane.functions['native-hook'].node.defaultChild as never);
    const policies = resourcesOfType(template, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties?.Roles).includes(roleId));
    const statements = policies.flatMap(([, p]) => p.Properties?.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>);
    expect(statements).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [hookFnId, 'Arn'] } }]);
    const nativeId = stack.getLogicalId(stack.controlPlane.functions.native.node.defaultChild as never);
    const env = resourcesOfType(template, 'AWS::Lambda::Function').find(([id]) => id === nativeId)?.[1]?.Properties?.Environment?.Variables;
    expect(env?.CUTOVER_NATIVE_HOOK_FUNCTION_ARN).toEqual({ 'Fn::GetAtt': [hookFnId, 'Arn'] });
    expect(env?.CUTOVER_NATIVE_HOOK_ROLE_ARN).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
  });

  it('every service on task sets: the rule exists but is disabled, and no role may UpdateService a service natively', () => {
    const { template } = synth(['task-set', 'task-set']);
    const rule = resourcesOfType(template, 'AWS::Events::Rule').find(([, r]) => r.Properties?.EventPattern?.source?.[0] === 'aws.ecs')?.[1];
    expect(rule?.Properties?.State).toBe('DISABLED');
    const text = JSON.stringify(resourcesOfType(template, 'AWS::IAM::Policy'));
    expect(text).not.toContain('ecs:StopServiceDeployment');
    expect(text).not.toContain(`${ECS}:service-deployment`);
  });
});
