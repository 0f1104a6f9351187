import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { ARN_PATTERNS, parseConfig } from '../../functions/core/config.js';
import { World } from '../../local/world/world.js';
import { digest, LISTENER_ARN, ManualClock, setup, TG_BLUE, TG_GREEN } from './world.fixtures.js';

const OIDC: Action = {
  Type: 'authenticate-oidc',
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/authorize',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'shop',
    ClientSecret: 'not-for-your-eyes',
  },
};

const weighted = (blue: number, green: number, stickiness = { Enabled: false }): Action => ({
  Type: 'forward',
  ForwardConfig: {
    TargetGroups: [
      { TargetGroupArn: TG_BLUE, Weight: blue },
      { TargetGroupArn: TG_GREEN, Weight: green },
    ],
    TargetGroupStickinessConfig: stickiness,
  },
});

describe('local world: ELBv2 listeners and rules', () => {
  it('seeds the production listener with a weighted forward 100/0', async () => {
    const { elb, world } = setup();
    const out = await elb.send(new DescribeListenersCommand({ ListenerArns: [LISTENER_ARN] }));
    expect(out.Listeners?.[0]?.DefaultActions).toEqual([weighted(100, 0)]);
    expect(world.weights(LISTENER_ARN)).toEqual([
      { targetGroupArn: TG_BLUE, weight: 100 },
      { targetGroupArn: TG_GREEN, weight: 0 },
    ]);
  });

  it('ModifyListener keeps the other actions (OIDC with its existing secret, stickiness) when the caller sends them back', async () => {
    // Prepare
    const { elb, world } = setup({ extraActions: [OIDC], stickiness: { enabled: true, durationSeconds: 300 } });
    const before = (await elb.send(new DescribeListenersCommand({ ListenerArns: [LISTENER_ARN] }))).Listeners?.[0]?.DefaultActions ?? [];
    // Assess: the describe output never carries the client secret
    expect(before[0]?.AuthenticateOidcConfig?.ClientSecret).toBeUndefined();
    // Act: send everything back with new weights, asking to keep the secret
    const next = before.map((a) =>
      a.Type === 'forward'
        ? { ...a, ForwardConfig: { ...a.ForwardConfig, TargetGroups: [{ TargetGroupArn: TG_BLUE, Weight: 90 }, { TargetGroupArn: TG_GREEN, Weight: 10 }] } }
        : { ...a, AuthenticateOidcConfig: { ...a.AuthenticateOidcConfig, UseExistingClientSecret: true } },
    ) as Action[];
    await elb.send(new ModifyListenerCommand({ ListenerArn: LISTENER_ARN, DefaultActions: next }));
    // Assess
    const after = (await elb.send(new DescribeListenersCommand({ ListenerArns: [LISTENER_ARN] }))).Listeners?.[0]?.DefaultActions ?? [];
    expect(after).toHaveLength(2);
    expect(after[0]).toEqual(before[0]);
    expect(after[1]?.ForwardConfig?.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 300 });
    expect(world.weights(LISTENER_ARN).map((w) => w.weight)).toEqual([90, 10]);
  });

  it('ModifyListener refuses an OIDC action without its secret unless UseExistingClientSecret is set', async () => {
    const { elb } = setup({ extraActions: [OIDC] });
    const before = (await elb.send(new DescribeListenersCommand({ ListenerArns: [LISTENER_ARN] }))).Listeners?.[0]?.DefaultActions ?? [];
    await expect(elb.send(new ModifyListenerCommand({ ListenerArn: LISTENER_ARN, DefaultActions: before }))).rejects.toMatchObject({
      name: 'ValidationError',
      $fault: 'client',
    });
  });

  it.each([
    ['a weight above 999', [weighted(1000, 0)], 'ValidationError'],
    ['a negative weight', [weighted(-1, 101)], 'ValidationError'],
    [
      'a target group that does not exist',
      [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_BLUE.replace('1111111111111111', '9999999999999999'), Weight: 1 }] } }],
      'TargetGroupNotFoundException',
    ],
    ['ForwardConfig together with a different TargetGroupArn', [{ ...weighted(50, 50), TargetGroupArn: TG_BLUE }], 'ValidationError'],
    ['no terminal action', [{ ...OIDC, Order: 1 }], 'InvalidLoadBalancerActionException'],
  ] as Array<[string, Action[], string]>)('ModifyListener rejects %s and changes nothing', async (_name, actions, errorName) => {
    const { elb, world } = setup();
    await expect(elb.send(new ModifyListenerCommand({ ListenerArn: LISTENER_ARN, DefaultActions: actions }))).rejects.toMatchObject({
      name: errorName,
    });
    expect(world.weights(LISTENER_ARN).map((w) => w.weight)).toEqual([100, 0]);
  });

  it('rejects an unknown target group with the SDK exception class', async () => {
    const { elb } = setup();
    const bogus = TG_BLUE.replace('1111111111111111', '9999999999999999');
    await expect(elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [bogus] }))).rejects.toThrow(TargetGroupNotFoundException);
    await expect(elb.send(new DescribeListenersCommand({ ListenerArns: [LISTENER_ARN.replace('fedcba', '000000')] }))).rejects.toThrow(
      ListenerNotFoundException,
    );
  });

  it('ModifyRule changes the actions only; the rule conditions stay untouched', async () => {
    // Prepare
    const conditions = [{ Field: 'host-header', Values: ['shop.example.com'], HostHeaderConfig: { Values: ['shop.example.com'] } }];
    const { elb, shop, world } = setup({ listener: undefined, rule: { listenerArn: LISTENER_ARN, priority: 7, conditions } });
    // Act
    await elb.send(new ModifyRuleCommand({ RuleArn: shop.ruleArn, Actions: [weighted(50, 50)] }));
    // Assess
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: shop.listenerArn }))).Rules ?? [];
    expect(rules.map((r) => r.Priority)).toEqual(['7', 'default']);
    expect(rules[0]?.Conditions).toEqual(conditions);
    expect(rules[0]?.Actions).toEqual([weighted(50, 50)]);
    expect(rules[1]?.Actions?.[0]?.Type).toBe('fixed-response');
    expect(world.weights(shop.routeArn).map((w) => w.weight)).toEqual([50, 50]);
    expect(shop.ruleArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule\/app\/shop-alb\/0123456789abcdef\/fedcba9876543210\/[0-9a-f]{16}$/);
  });

  it('DescribeTargetGroups lists the load balancer each group is behind', async () => {
    const { elb, shop } = setup();
    const out = await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [TG_BLUE, TG_GREEN] }));
    expect(out.TargetGroups?.map((t) => t.LoadBalancerArns)).toEqual([[shop.loadBalancerArn], [shop.loadBalancerArn]]);
    expect(out.TargetGroups?.[0]?.HealthCheckIntervalSeconds).toBe(10);
    expect(out.TargetGroups?.[0]?.HealthyThresholdCount).toBe(3);
  });
});

describe('local world: generated ARNs', () => {
  it('match the patterns the Cutover config schema validates', () => {
    const world = new World({ clock: new ManualClock(), seed: 3 });
    const listener = world.createService({ cluster: 'c', service: 'api', desiredCount: 1, containerName: 'web', containerPort: 80, initialImage: { repository: 'api', digest: digest('d') } });
    const ruled = world.createService({
      cluster: 'c',
      service: 'admin',
      desiredCount: 1,
      rule: { listenerArn: listener.listenerArn },
      containerName: 'web',
      containerPort: 80,
      initialImage: { repository: 'admin', digest: digest('e') },
    });
    expect(listener.listenerArn).toMatch(ARN_PATTERNS.listener);
    expect(ruled.ruleArn).toMatch(ARN_PATTERNS.listenerRule);
    for (const tg of [...listener.targetGroupArns, ...ruled.targetGroupArns]) expect(tg).toMatch(ARN_PATTERNS.targetGroup);
    const config = parseConfig({
      account: '123456789012',
      region: 'us-east-1',
      services: [
        { name: 'api', environment: 'production', cluster: 'c', service: 'api', containerName: 'web', repository: 'api', listenerArn: listener.listenerArn, targetGroupArns: listener.targetGroupArns, strategy: { type: 'all-at-once' } },
        { name: 'admin', environment: 'production', cluster: 'c', service: 'admin', containerName: 'web', repository: 'admin', listenerRuleArn: ruled.ruleArn, targetGroupArns: ruled.targetGroupArns, strategy: { type: 'all-at-once' } },
      ],
    });
    expect(config.services).toHaveLength(2);
  });
});
