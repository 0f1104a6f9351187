/** taskRoleArns: the schema field, and matching the carried-over roles the way IAM matches resources. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ConfigError, TaskRoleNotAllowed } from '../../functions/core/errors.js';
import { assertRolesAllowed, disallowedRoles, roleArnMatches } from '../../functions/core/task-roles.js';

const IAM = 'arn:aws:iam::123456789012';
const role = (name: string) => `${IAM}:role/${name}`;

describe('roleArnMatches (IAM resource matching: * any run, / included; the rest literal, case-sensitive)', () => {
  it.each([
    ['an exact ARN matches itself', role('checkout-task'), role('checkout-task'), true],
    ['an exact ARN does not match a longer name', role('checkout-task'), role('checkout-task-admin'), false],
    ['an exact ARN does not match another case', role('checkout-task'), role('Checkout-task'), false],
    ['a prefix matches a name with it', role('shop-*'), role('shop-checkout-task'), true],
    ['a prefix matches the bare prefix (* may be empty)', role('shop-*'), role('shop-'), true],
    ['a prefix does not match another name', role('shop-*'), role('Admin'), false],
    ['a prefix does not match the prefix without its dash', role('shop-*'), role('shopadmin'), false],
    ['a path matches a role on it', role('ecs-tasks/*'), role('ecs-tasks/checkout'), true],
    ['a path matches a role on a deeper path (* spans /)', role('ecs-tasks/*'), role('ecs-tasks/team/checkout'), true],
    ['a path does not match a role off it', role('ecs-tasks/*'), role('checkout'), false],
    ['a suffix matches', role('*-task'), role('api-task'), true],
    ['a suffix does not match a role that merely contains it', role('*-task'), role('api-task-admin'), false],
    ['two wildcards in order', role('shop-*-task-*'), role('shop-checkout-task-v2'), true],
    ['two wildcards out of order', role('shop-*-task-*'), role('shop-checkout-v2'), false],
    ['regex characters are literal', role('svc.a+b=c,d@e-*'), role('svc.a+b=c,d@e-x'), true],
    ['a dot is not "any character"', role('svc.a'), role('svcXa'), false],
    ['another account never matches', role('shop-*'), 'arn:aws:iam::999999999999:role/shop-x', false],
    ['first and last literal may not overlap', role('ab*ba'), role('aba'), false],
  ])('%s', (_name, pattern, arn, expected) => {
    expect(roleArnMatches(pattern, arn)).toBe(expected);
  });

  /** The reference: the pattern as a regular expression (literal parts escaped, * as .*). */
  const reference = (pattern: string, arn: string) =>
    new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 's').test(arn);
  const text = (chars: string[]) => fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((c) => c.join(''));

  it('agrees with a regular expression for any pattern and role over a small alphabet (with . + / and *)', () => {
    fc.assert(
      fc.property(text(['a', 'b', '-', '.', '+', '/', '*']), text(['a', 'b', '-', '.', '+', '/']), (pattern, arn) => {
        expect(roleArnMatches(pattern, arn)).toBe(reference(pattern, arn));
      }),
      { numRuns: 2000 },
    );
  });

  it('a pattern PREFIX* matches PREFIX followed by anything, and a pattern without * only itself', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (prefix, rest, other) => {
        const literal = prefix.replaceAll('*', '');
        expect(roleArnMatches(`${literal}*`, `${literal}${rest}`)).toBe(true);
        expect(roleArnMatches(literal, other.replaceAll('*', ''))).toBe(literal === other.replaceAll('*', ''));
      }),
    );
  });
});

describe('disallowedRoles / assertRolesAllowed', () => {
  const patterns = [role('web-task'), role('web-execution'), role('jobs/*')];

  it('lists each carried-over role no pattern names, by field', () => {
    expect(disallowedRoles(patterns, { taskRoleArn: role('web-task'), executionRoleArn: role('web-execution') })).toEqual([]);
    expect(disallowedRoles(patterns, { taskRoleArn: role('jobs/nightly') })).toEqual([]);
    expect(disallowedRoles(patterns, { taskRoleArn: role('Admin'), executionRoleArn: role('web-execution') })).toEqual([
      ['taskRoleArn', role('Admin')],
    ]);
    expect(disallowedRoles([], { taskRoleArn: role('a'), executionRoleArn: role('b') })).toEqual([
      ['taskRoleArn', role('a')],
      ['executionRoleArn', role('b')],
    ]);
  });

  it('a revision with no roles needs no pattern', () => {
    expect(disallowedRoles([], {})).toEqual([]);
    expect(() => assertRolesAllowed([], {}, 'web:7')).not.toThrow();
  });

  it('throws TaskRoleNotAllowed naming the revision, the field, the role and the fix', () => {
    const act = () => assertRolesAllowed(patterns, { executionRoleArn: role('web-exec') }, 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7');
    expect(act).toThrow(TaskRoleNotAllowed);
    expect(act).toThrow(/task-definition\/web:7 carries executionRoleArn arn:aws:iam::123456789012:role\/web-exec/);
    expect(act).toThrow(/add the role, or a pattern .*, to taskRoleArns/);
    const thrown = (() => {
      try {
        act();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(TaskRoleNotAllowed);
    expect((thrown as TaskRoleNotAllowed).details).toMatchObject({ denied: { executionRoleArn: role('web-exec') }, taskRoleArns: patterns });
  });
});

describe('config: taskRoleArns', () => {
  const service = {
    name: 'web',
    environment: 'production',
    cluster: 'shop',
    service: 'web',
    containerName: 'app',
    repository: 'shop/web',
    listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/0123456789abcdef/0123456789abcdef',
    targetGroupArns: [
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/0123456789abcdef',
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/0123456789abcdee',
    ],
    strategy: { type: 'all-at-once' },
  };
  const withRoles = (taskRoleArns: unknown) => parseConfig({ taskRoleArns, services: [service] });

  it('defaults to none (register then passes no role)', () => {
    expect(parseConfig({ services: [service] }).taskRoleArns).toEqual([]);
  });

  it.each([
    ['role names', [role('web-task'), role('web-execution')]],
    ['a naming prefix', [role('shop-*')]],
    ['a role path', [role('ecs-tasks/*')]],
    ['a path and a prefix', [role('ecs/shop-*')]],
    ['other partitions', ['arn:aws-cn:iam::123456789012:role/web-task', 'arn:aws-us-gov:iam::123456789012:role/web-task']],
    ['the most it allows: 20', Array.from({ length: 20 }, (_, i) => role(`svc-${i}-*`))],
  ])('accepts %s', (_name, arns) => {
    expect(withRoles(arns).taskRoleArns).toEqual(arns);
  });

  it.each([
    ['every role of the account', role('*')],
    ['every role, twice over', role('**')],
    ['a wildcard in the path', role('*/web-task')],
    ['a user, not a role', `${IAM}:user/web`],
    ['another service', 'arn:aws:ecs:us-east-1:123456789012:role/web'],
    ['a bare role name', 'web-task'],
    ['a region in an IAM ARN', 'arn:aws:iam:us-east-1:123456789012:role/web'],
    ['a ? wildcard', role('web-?')],
    ['a name longer than 64 characters', role('x'.repeat(65))],
  ])('refuses %s, naming the field and the allowed form', (_name, arn) => {
    expect(() => withRoles([arn])).toThrow(ConfigError);
    expect(() => withRoles([arn])).toThrow(/taskRoleArns\[0\].*IAM role ARN/);
  });

  it('refuses more than 20 entries (the policy must not grow with the services)', () => {
    expect(() => withRoles(Array.from({ length: 21 }, (_, i) => role(`svc-${i}`)))).toThrow(/taskRoleArns/);
  });
});
