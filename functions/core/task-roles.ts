/**
 * Which IAM roles a registered task-definition revision may carry (`taskRoleArns` in the
 * configuration). Registering a revision passes its task role and execution role to ECS
 * (`iam:PassRole`), and the register role may pass only the roles these patterns name — the same
 * list is the resource of that IAM statement. So register checks the roles it is about to carry
 * over before it calls RegisterTaskDefinition, and fails with a named error that says what to add,
 * rather than with an AccessDenied from AWS.
 *
 * A pattern is matched the way IAM matches a resource ARN: `*` stands for any run of characters
 * (`/` included), everything else is literal and case-sensitive.
 *
 * | pattern                                        | role ARN                                             | allowed |
 * | ---------------------------------------------- | ---------------------------------------------------- | ------- |
 * | `arn:aws:iam::123456789012:role/shop-*`        | `arn:aws:iam::123456789012:role/shop-checkout-task`  | yes     |
 * | `arn:aws:iam::123456789012:role/shop-*`        | `arn:aws:iam::123456789012:role/Admin`               | no      |
 * | `arn:aws:iam::123456789012:role/ecs-tasks/*`   | `arn:aws:iam::123456789012:role/ecs-tasks/checkout`  | yes     |
 * | `arn:aws:iam::123456789012:role/checkout-task` | `arn:aws:iam::123456789012:role/checkout-task-admin` | no      |
 */
import { TaskRoleNotAllowed } from './errors.js';
import type { TaskDefinitionRoles } from './ports.js';

/** True when `roleArn` is one `pattern` names (IAM resource matching: `*` any run, the rest literal). */
export function roleArnMatches(pattern: string, roleArn: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === roleArn;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (roleArn.length < first.length + last.length || !roleArn.startsWith(first) || !roleArn.endsWith(last)) return false;
  // Each middle literal at its earliest place after the previous one: with `*` as the only wildcard,
  // the earliest place never loses a match a later one would find.
  let at = first.length;
  const end = roleArn.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = roleArn.indexOf(middle, at);
    if (found === -1 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** True when some pattern names `roleArn`. */
export function roleAllowed(patterns: readonly string[], roleArn: string): boolean {
  return patterns.some((p) => roleArnMatches(p, roleArn));
}

/** The carried-over roles no pattern names, as `[field, arn]` (empty: every role may be passed). */
export function disallowedRoles(
  patterns: readonly string[],
  roles: TaskDefinitionRoles,
): Array<readonly [field: keyof TaskDefinitionRoles, arn: string]> {
  const out: Array<readonly [keyof TaskDefinitionRoles, string]> = [];
  for (const field of ['taskRoleArn', 'executionRoleArn'] as const) {
    const arn = roles[field];
    if (arn !== undefined && arn !== '' && !roleAllowed(patterns, arn)) out.push([field, arn]);
  }
  return out;
}

/**
 * Throws {@link TaskRoleNotAllowed} when the revision copied from `source` carries a task or
 * execution role that `patterns` (the configuration's `taskRoleArns`) does not name.
 */
export function assertRolesAllowed(patterns: readonly string[], roles: TaskDefinitionRoles, source: string): void {
  const denied = disallowedRoles(patterns, roles);
  if (denied.length === 0) return;
  const listed = patterns.length === 0 ? 'taskRoleArns is empty' : `taskRoleArns allows ${patterns.join(', ')}`;
  throw new TaskRoleNotAllowed(
    `Task definition ${source} carries ${denied.map(([field, arn]) => `${field} ${arn}`).join(' and ')}, which Cutover may not pass to ECS (${listed}); ` +
      'add the role, or a pattern such as arn:aws:iam::ACCOUNT:role/PREFIX-*, to taskRoleArns in cutover.config.json and redeploy',
    { details: { taskDefinition: source, denied: Object.fromEntries(denied), taskRoleArns: [...patterns] } },
  );
}
