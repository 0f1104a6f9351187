import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/core/errors.js';
import { loadBalancerDimension, targetGroupDimension } from '../../functions/core/metrics-dimensions.js';

const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';

describe('targetGroupDimension', () => {
  const cases = [
    { name: 'commercial partition', arn: `${PREFIX}:targetgroup/api-blue/0123456789abcdef`, dimension: 'targetgroup/api-blue/0123456789abcdef' },
    {
      name: 'GovCloud partition',
      arn: 'arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067',
      dimension: 'targetgroup/api/73e2d6bc24d8a067',
    },
  ];
  for (const c of cases) it(c.name, () => expect(targetGroupDimension(c.arn)).toBe(c.dimension));

  const invalid = [
    { name: 'a listener ARN', arn: `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2` },
    { name: 'a bare name', arn: 'api-blue' },
    { name: 'an id that is not hex', arn: `${PREFIX}:targetgroup/api-blue/zzzzzzzzzzzzzzzz` },
    { name: 'trailing junk', arn: `${PREFIX}:targetgroup/api-blue/0123456789abcdef/x` },
  ];
  for (const c of invalid) it(`throws ValidationError for ${c.name}`, () => expect(() => targetGroupDimension(c.arn)).toThrow(ValidationError));
});

describe('loadBalancerDimension', () => {
  const cases = [
    { name: 'listener', arn: `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`, dimension: 'app/shop/50dc6c495c0c9188' },
    {
      name: 'listener rule',
      arn: `${PREFIX}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
      dimension: 'app/shop/50dc6c495c0c9188',
    },
    { name: 'load balancer', arn: `${PREFIX}:loadbalancer/app/shop/50dc6c495c0c9188`, dimension: 'app/shop/50dc6c495c0c9188' },
  ];
  for (const c of cases) it(c.name, () => expect(loadBalancerDimension(c.arn)).toBe(c.dimension));

  const invalid = [
    { name: 'a Network Load Balancer listener', arn: `${PREFIX}:listener/net/shop/50dc6c495c0c9188/f2f7dc8efc522ab2` },
    { name: 'a target group ARN', arn: `${PREFIX}:targetgroup/api-blue/0123456789abcdef` },
    { name: 'an empty string', arn: '' },
  ];
  for (const c of invalid) {
    it(`throws ValidationError for ${c.name}`, () => {
      expect(() => loadBalancerDimension(c.arn)).toThrow(ValidationError);
      expect(() => loadBalancerDimension(c.arn)).toThrow(/is not an ALB listener, listener-rule or load balancer ARN/);
    });
  }
});
