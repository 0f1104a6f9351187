/**
 * A small IAM-simulator harness over a synthesized Cutover stack (@cloud-copilot/iam-simulate):
 * intrinsics resolved to the ARNs CloudFormation would give (each resource's logical id standing in
 * for its generated name), a role's identity policies collected (inline, AWS::IAM::Policy and
 * AWS::IAM::ManagedPolicy), and one request decided, optionally against a resource policy.
 * (test/security/iam.test.ts has its own copy for its fixed configuration.)
 */
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';
import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { ACCOUNT, REGION } from '../helpers/cdk.js';

type CfnResource = { Type: string; Properties?: Record<string, unknown> };
export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface SimRole {
  readonly arn: string;
  readonly policies: Array<{ name: string; policy: unknown }>;
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

export function simulatorFor(template: Template, stack: Stack) {
  const resources = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources;

  const arnOf = (id: string): string => {
    const type = resources[id]?.Type;
    switch (type) {
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${id}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${id}`;
      default:
        throw new Error(`no ARN known for ${id} (${type ?? 'not in the template'})`);
    }
  };

  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = obj[key];
      if (key === 'Ref') {
        const name = arg as string;
        if (PSEUDO[name]) return PSEUDO[name];
        const type = resources[name]?.Type;
        return type === 'AWS::StepFunctions::StateMachine' || type === 'AWS::IAM::ManagedPolicy' ? arnOf(name) : name;
      }
      if (key === 'Fn::GetAtt') {
        const [id, attr] = arg as [string, string];
        if (attr !== 'Arn') throw new Error(`Fn::GetAtt ${id}.${attr} is not resolved here`);
        return arnOf(id);
      }
      if (key === 'Fn::Join') {
        const [sep, parts] = arg as [string, unknown[]];
        return (resolve(parts) as unknown[]).map(String).join(sep);
      }
      if (key.startsWith('Fn::')) throw new Error(`${key} is not resolved here`);
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolve(v)]));
  };

  const roleOf = (construct: IRole): SimRole => {
    const roleId = stack.getLogicalId(construct.node.defaultChild as never);
    const policies: Array<{ name: string; policy: unknown }> = [];
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
        const roles = (r.Properties?.Roles ?? []) as Array<{ Ref?: string }>;
        if (roles.some((x) => x.Ref === roleId)) policies.push({ name: id, policy: resolve(r.Properties?.PolicyDocument) });
      }
    }
    for (const p of (resources[roleId]?.Properties?.Policies ?? []) as Array<{ PolicyName: string; PolicyDocument: unknown }>) {
      policies.push({ name: p.PolicyName, policy: resolve(p.PolicyDocument) });
    }
    return { arn: arnOf(roleId), policies };
  };

  /** A principal with administrator rights in the account (what "anyone in the account" can be). */
  const admin = (name: string): SimRole => ({
    arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    policies: [{ name: 'admin', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
  });

  const decide = async (
    role: SimRole,
    action: string,
    resource: string,
    context: Record<string, string> = {},
    resourcePolicy?: unknown,
  ): Promise<Decision> => {
    const [service, name] = action.split(':') as [string, string];
    const target = (await isWildcardOnlyAction(service, name)) ? '*' : resource;
    const result = await runSimulation(
      {
        request: {
          principal: role.arn,
          action,
          resource: { resource: target, accountId: target.split(':')[4] || ACCOUNT },
          // AWS sets aws:PrincipalArn on every request by a role (the role's ARN, not the session's).
          contextVariables: { 'aws:PrincipalArn': role.arn, ...context },
        },
        identityPolicies: role.policies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(`${action} on ${target}: ${JSON.stringify(result.errors)}`);
    return result.overallResult as Decision;
  };

  return { resources, resolve, arnOf, roleOf, admin, decide };
}
