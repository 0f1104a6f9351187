/**
 * Issue #14: the IAM and event boundaries around Cutover, checked on the synthesized template with
 * the IAM simulator where a decision is involved.
 *
 * - (8) Cutover's bus: a bus policy denies PutEvents to every principal but Cutover's publishing
 *   roles (an administrator of the account included), and every rule filters on this account.
 * - (Low) RegisterTaskDefinition of a privileged container is explicitly denied.
 * - (Low) each state machine role trusts Step Functions only for that state machine in this
 *   account; the alarm-forwarding role only EventBridge rules of this account.
 * - (Low) the deployments table has deletion protection.
 */
import { describe, expect, it } from 'vitest';
import { ACCOUNT, everyFeatureConfig, REGION, synthStack } from '../helpers/cdk.js';
import { simulatorFor } from './iam-sim.js';

const { template, stack } = synthStack({ config: everyFeatureConfig(), fixtures: false });
const sim = simulatorFor(template, stack);
const cp = stack.controlPlane;
const BUS = sim.resolve(stack.resolve(cp.bus.eventBusArn)) as string;

const ofType = (type: string) => Object.entries(sim.resources).filter(([, r]) => r.Type === type);

/** The bus policy as a resource policy document. */
const busPolicy = (() => {
  const policies = ofType('AWS::Events::EventBusPolicy');
  expect(policies, 'one bus policy').toHaveLength(1);
  const [, p] = policies[0] as [string, { Properties?: Record<string, unknown> }];
  return { Version: '2012-10-17', Statement: [sim.resolve(p.Properties?.Statement)] };
})();

describe("Cutover's bus admits only Cutover's publishers (issue #14, 8)", () => {
  const NOT_A_SERVICE = { 'aws:PrincipalIsAWSService': 'false' };

  it('an administrator of the account may not put an event on the bus', async () => {
    const admin = sim.admin('Admin');
    expect(await sim.decide(admin, 'events:PutEvents', BUS, NOT_A_SERVICE)).toBe('Allowed');
    expect(await sim.decide(admin, 'events:PutEvents', BUS, NOT_A_SERVICE, busPolicy)).toBe('ExplicitlyDenied');
  });

  it('a Cutover role that does not publish (alarm-watcher) may not either', async () => {
    const watcher = sim.roleOf(cp.handlers['alarm-watcher'].role);
    expect(await sim.decide(watcher, 'events:PutEvents', BUS, NOT_A_SERVICE, busPolicy)).not.toBe('Allowed');
  });

  it('every publishing handler, state machine and the alarm forwarding role may', async () => {
    expect(cp.busPublisherRoleArns.length).toBeGreaterThanOrEqual(5);
    const roles = [
      ...(['prepare', 'shift', 'rollback', 'finish', 'scale'] as const).map((n) => cp.handlers[n].role),
      ...Object.values(cp.stateMachines)
        .map((sm) => sm.role)
        .filter((r) => cp.busPublisherRoleArns.includes(r.roleArn)),
      cp.observability.forwardingRole,
    ];
    for (const role of roles) {
      const r = sim.roleOf(role);
      expect(await sim.decide(r, 'events:PutEvents', BUS, NOT_A_SERVICE, busPolicy), r.arn).toBe('Allowed');
    }
  });

  it("every rule Cutover listens with filters on this account", () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties?.EventPattern !== undefined);
    expect(rules.length).toBeGreaterThanOrEqual(4);
    for (const [id, r] of rules) {
      expect(sim.resolve((r.Properties?.EventPattern as { account?: unknown } | undefined)?.account), id).toEqual([ACCOUNT]);
    }
  });
});

describe('register may not make a privileged container (issue #14, Low)', () => {
  const TASK_DEFINITION = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/checkout:42`;
  it('RegisterTaskDefinition with ecs:privileged true is explicitly denied; without it, allowed', async () => {
    const register = sim.roleOf(cp.handlers.register.role);
    expect(await sim.decide(register, 'ecs:RegisterTaskDefinition', TASK_DEFINITION, { 'ecs:privileged': 'true' })).toBe('ExplicitlyDenied');
    expect(await sim.decide(register, 'ecs:RegisterTaskDefinition', TASK_DEFINITION, { 'ecs:privileged': 'false' })).toBe('Allowed');
  });
});

describe('service roles trust only their own source (issue #14, Low)', () => {
  const trustOf = (role: { node: { defaultChild?: unknown } }) => {
    const id = stack.getLogicalId(role.node.defaultChild as never);
    return sim.resolve(sim.resources[id]?.Properties?.AssumeRolePolicyDocument) as { Statement: Array<{ Principal: unknown; Condition?: unknown }> };
  };

  it('each state machine role: states.amazonaws.com for that state machine of this account only', () => {
    expect(Object.keys(cp.stateMachines).length).toBeGreaterThanOrEqual(5);
    for (const [name, sm] of Object.entries(cp.stateMachines)) {
      const id = stack.getLogicalId(sm.node.defaultChild as never);
      const arn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${sim.resources[id]?.Properties?.StateMachineName as string}`;
      const [statement] = trustOf(sm.role).Statement;
      expect(statement?.Principal, name).toEqual({ Service: 'states.amazonaws.com' });
      expect(statement?.Condition, name).toEqual({
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
        ArnEquals: { 'aws:SourceArn': arn },
      });
    }
  });

  it('the alarm forwarding role: EventBridge rules of this account only', () => {
    const [statement] = trustOf(cp.observability.forwardingRole).Statement;
    expect(statement?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:events:${REGION}:${ACCOUNT}:rule/*` },
    });
  });

  it('no role in the template is assumable by a service without a source condition, except Lambda functions', () => {
    for (const [id, r] of ofType('AWS::IAM::Role')) {
      const trust = r.Properties?.AssumeRolePolicyDocument as { Statement: Array<{ Principal: { Service?: string }; Condition?: unknown }> } | undefined;
      for (const s of trust?.Statement ?? []) {
        // A Lambda execution role is assumed by the Lambda service for that function only.
        if (s.Principal.Service === 'lambda.amazonaws.com') continue;
        expect(s.Condition, `${id} trusts ${JSON.stringify(s.Principal)}`).toBeDefined();
      }
    }
  });
});

describe('the deployments table (issue #14, Low)', () => {
  it('has deletion protection by default', () => {
    const tables = [...ofType('AWS::DynamoDB::GlobalTable'), ...ofType('AWS::DynamoDB::Table')];
    expect(tables).toHaveLength(1);
    const [, table] = tables[0] as [string, { Properties?: Record<string, unknown> }];
    const replicas = table.Properties?.Replicas as Array<{ DeletionProtectionEnabled?: boolean }> | undefined;
    const enabled = table.Properties?.DeletionProtectionEnabled ?? replicas?.[0]?.DeletionProtectionEnabled;
    expect(enabled).toBe(true);
  });
});
