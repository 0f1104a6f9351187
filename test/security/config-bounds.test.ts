/**
 * Issue #14 (Low): `taskRoleArns` patterns nearly as broad as `role/*` were accepted (they become
 * iam:PassRole resources). A pattern must name at least 4 characters besides its `*` (at most two).
 */
import { describe, expect, it } from 'vitest';
import { MIN_ROLE_PATTERN_LITERALS, parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';
import { ACCOUNT, exampleConfig } from '../helpers/cdk.js';

const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const withRoles = (taskRoleArns: string[]) => () => parseConfig({ ...exampleConfig(), taskRoleArns });

describe('taskRoleArns refuses patterns nearly as broad as role/*', () => {
  it.each(['a*', '*-*', 'abc*', '**', 'x/*', '*a*b*c*d*'])('role/%s is refused with a ConfigError naming the field', (name) => {
    expect(withRoles([role(name)])).toThrow(ConfigError);
    expect(withRoles([role(name)])).toThrow(/taskRoleArns\[0\]: .*at least 4 characters of the role path or name besides its \*/);
  });

  it.each(['shop-*', 'ecs-tasks/*', 'checkout-task', 'svc-*', '*-task', '*-execution'])('role/%s is accepted', (name) => {
    expect(withRoles([role(name)])().taskRoleArns).toEqual([role(name)]);
  });

  it('the bound is 4 literal characters', () => {
    expect(MIN_ROLE_PATTERN_LITERALS).toBe(4);
  });
});
