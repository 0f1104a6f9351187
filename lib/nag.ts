/**
 * cdk-nag acknowledgements, kept next to the permissions they justify.
 *
 * cdk-nag 3 uses CDK's native `Validations.of(scope).acknowledge({ id, reason })`, and every finding
 * is acknowledged on its own: `AwsSolutions-IAM5[Resource::*]` and
 * `AwsSolutions-IAM5[Action::s3:*]` are separate ids (no prefix matching). For a wildcard we add
 * ourselves we compute the exact finding id from the statement, so the acknowledgement cannot drift
 * from the policy; several reasons for the same id on the same construct are merged into one (CDK
 * keeps the last acknowledgement per id and construct).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** How cdk-nag prints a CloudFormation value in a finding id (mirrors cdk-nag's flattenCfnReference). */
export function flattenCfnReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfnReference).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return flattenCfnReference(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined) return flattenCfnReference(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${flattenCfnReference(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** The `AwsSolutions-IAM5[...]` finding ids a statement produces (wildcard actions and resources). */
export function wildcardFindingIds(scope: IConstruct, statement: PolicyStatement): string[] {
  const stack = Stack.of(scope);
  const json = stack.resolve(statement.toStatementJson()) as { Action?: unknown; Resource?: unknown; Effect?: string };
  if (json.Effect !== undefined && json.Effect !== 'Allow') return [];
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const ids: string[] = [];
  for (const action of list(json.Action)) {
    if (typeof action === 'string' && action.includes('*')) ids.push(`AwsSolutions-IAM5[Action::${action}]`);
  }
  for (const resource of list(json.Resource)) {
    const flat = flattenCfnReference(resource);
    if (flat.includes('*')) ids.push(`AwsSolutions-IAM5[Resource::${flat}]`);
  }
  return ids;
}

const registries = new WeakMap<IConstruct, Map<string, string[]>>();

/**
 * Acknowledge a cdk-nag finding on `scope` with a reason; a second reason for the same id on the same
 * construct is appended (`; `), not lost.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  let registry = registries.get(scope);
  if (!registry) {
    registry = new Map();
    registries.set(scope, registry);
  }
  const reasons = registry.get(id) ?? [];
  if (!reasons.includes(reason)) reasons.push(reason);
  registry.set(id, reasons);
  Validations.of(scope).acknowledge({ id, reason: reasons.join('; ') });
}

/** Acknowledge every wildcard finding `statement` will produce on `scope` (a role or its parent). */
export function acknowledgeWildcards(scope: IConstruct, statement: PolicyStatement, reason: string): void {
  for (const id of wildcardFindingIds(scope, statement)) acknowledge(scope, id, reason);
}
