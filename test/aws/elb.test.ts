import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { ElbTargetHealth, ElbTrafficRouter, forwardWeights, toPercentages } from '../../functions/aws/elb.js';
import { AwsRequestFailed, AwsThrottled, LiveStateInvalid, ValidationError } from '../../functions/core/errors.js';
import type { TargetGroupWeight } from '../../functions/core/model.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/alb/1/2';
const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/alb/1/2/3';
const BLUE = 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/blue/1';
const GREEN = 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/green/2';

const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });
const elb = mockClient(client);
beforeEach(() => elb.reset());

/** An OIDC action as DescribeListeners returns it: no client secret. */
const oidc: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp',
    AuthorizationEndpoint: 'https://idp/auth',
    TokenEndpoint: 'https://idp/token',
    UserInfoEndpoint: 'https://idp/user',
    ClientId: 'cutover',
    SessionCookieName: 'AWSELBAuthSessionCookie',
    Scope: 'openid',
    SessionTimeout: 604800,
    OnUnauthenticatedRequest: 'authenticate',
  },
};
const stickiness = { Enabled: true, DurationSeconds: 3600 };
/** The forward action as AWS describes a weighted forward. */
const forward: Action = {
  Type: 'forward',
  Order: 2,
  ForwardConfig: {
    TargetGroups: [
      { TargetGroupArn: BLUE, Weight: 100 },
      { TargetGroupArn: GREEN, Weight: 0 },
    ],
    TargetGroupStickinessConfig: stickiness,
  },
};

describe('ElbTrafficRouter.readWeights', () => {
  it.each<[string, Action, TargetGroupWeight[]]>([
    ['weighted forward', forward, [{ targetGroupArn: BLUE, weight: 100 }, { targetGroupArn: GREEN, weight: 0 }]],
    ['legacy TargetGroupArn only', { Type: 'forward', TargetGroupArn: BLUE }, [{ targetGroupArn: BLUE, weight: 100 }]],
    [
      'plain forward as AWS describes it (TargetGroupArn + one tuple of weight 1)',
      { Type: 'forward', TargetGroupArn: BLUE, ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE, Weight: 1 }] } },
      [{ targetGroupArn: BLUE, weight: 100 }],
    ],
    [
      'relative weights scaled to percentages',
      { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE, Weight: 1 }, { TargetGroupArn: GREEN, Weight: 3 }] } },
      [{ targetGroupArn: BLUE, weight: 25 }, { targetGroupArn: GREEN, weight: 75 }],
    ],
  ])('%s', async (_name, action, expected) => {
    // Prepare
    elb.on(DescribeListenersCommand, { ListenerArns: [LISTENER] }).resolves({ Listeners: [{ DefaultActions: [oidc, action] }] });
    // Act
    const weights = await new ElbTrafficRouter(client).readWeights({ kind: 'listener', arn: LISTENER });
    // Assess
    expect(weights).toEqual(expected);
  });

  it('reads a listener rule', async () => {
    elb.on(DescribeRulesCommand, { RuleArns: [RULE] }).resolves({ Rules: [{ RuleArn: RULE, Actions: [forward] }] });
    await expect(new ElbTrafficRouter(client).readWeights({ kind: 'rule', arn: RULE })).resolves.toEqual([
      { targetGroupArn: BLUE, weight: 100 },
      { targetGroupArn: GREEN, weight: 0 },
    ]);
  });

  it('throws LiveStateInvalid when the route has no forward action', async () => {
    elb.on(DescribeListenersCommand).resolves({
      Listeners: [{ DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }] }],
    });
    await expect(new ElbTrafficRouter(client).readWeights({ kind: 'listener', arn: LISTENER })).rejects.toThrow(LiveStateInvalid);
  });

  it('surfaces a missing listener as AwsRequestFailed', async () => {
    elb.on(DescribeListenersCommand).rejects(new ListenerNotFoundException({ message: 'nope', $metadata: {} }));
    await expect(new ElbTrafficRouter(client).readWeights({ kind: 'listener', arn: LISTENER })).rejects.toThrow(AwsRequestFailed);
  });

  it('surfaces throttling as AwsThrottled', async () => {
    elb.on(DescribeListenersCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    await expect(new ElbTrafficRouter(client).readWeights({ kind: 'listener', arn: LISTENER })).rejects.toThrow(AwsThrottled);
  });
});

describe('ElbTrafficRouter.setWeights', () => {
  const weights = [
    { targetGroupArn: BLUE, weight: 90 },
    { targetGroupArn: GREEN, weight: 10 },
  ];
  const expectedForward: Action = {
    Type: 'forward',
    Order: 2,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: BLUE, Weight: 90 },
        { TargetGroupArn: GREEN, Weight: 10 },
      ],
      TargetGroupStickinessConfig: stickiness,
    },
  };
  /** What ModifyListener must receive for the OIDC action: the same, using the existing secret. */
  const expectedOidc: Action = { ...oidc, AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig!, UseExistingClientSecret: true } };

  it('ModifyListener keeps the other actions (with their Order) and the stickiness, and names only the given groups', async () => {
    // Prepare
    elb.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: LISTENER, Port: 443, DefaultActions: [oidc, forward] }] });
    elb.on(ModifyListenerCommand).resolves({});
    // Act
    await new ElbTrafficRouter(client).setWeights({ kind: 'listener', arn: LISTENER }, weights);
    // Assess
    const calls = elb.commandCalls(ModifyListenerCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ ListenerArn: LISTENER, DefaultActions: [expectedOidc, expectedForward] });
  });

  it('ModifyRule sends the actions only (conditions and priority stay as they are)', async () => {
    // Prepare
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        {
          RuleArn: RULE,
          Priority: '10',
          IsDefault: false,
          Conditions: [{ Field: 'host-header', Values: ['api.example.com'] }],
          Actions: [oidc, forward],
        },
      ],
    });
    elb.on(ModifyRuleCommand).resolves({});
    // Act
    await new ElbTrafficRouter(client).setWeights({ kind: 'rule', arn: RULE }, weights);
    // Assess
    expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toEqual({ RuleArn: RULE, Actions: [expectedOidc, expectedForward] });
  });

  it('drops the legacy TargetGroupArn (AWS rejects it next to a ForwardConfig naming other groups)', async () => {
    // Prepare: a plain forward to blue, as AWS describes it
    elb.on(DescribeListenersCommand).resolves({
      Listeners: [
        {
          DefaultActions: [
            { Type: 'forward', TargetGroupArn: BLUE, ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE, Weight: 1 }] } },
          ],
        },
      ],
    });
    elb.on(ModifyListenerCommand).resolves({});
    // Act
    await new ElbTrafficRouter(client).setWeights({ kind: 'listener', arn: LISTENER }, weights);
    // Assess
    expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input.DefaultActions).toEqual([
      { Type: 'forward', ForwardConfig: { TargetGroups: expectedForward.ForwardConfig!.TargetGroups } },
    ]);
  });

  it.each([
    ['not summing to 100', [{ targetGroupArn: BLUE, weight: 90 }, { targetGroupArn: GREEN, weight: 20 }]],
    ['negative', [{ targetGroupArn: BLUE, weight: 110 }, { targetGroupArn: GREEN, weight: -10 }]],
    ['fractional', [{ targetGroupArn: BLUE, weight: 99.5 }, { targetGroupArn: GREEN, weight: 0.5 }]],
    ['a group named twice', [{ targetGroupArn: BLUE, weight: 50 }, { targetGroupArn: BLUE, weight: 50 }]],
    ['empty', []],
  ])('refuses weights %s without calling AWS', async (_name, bad) => {
    await expect(new ElbTrafficRouter(client).setWeights({ kind: 'listener', arn: LISTENER }, bad)).rejects.toThrow(ValidationError);
    expect(elb.calls()).toHaveLength(0);
  });
});

describe('forwardWeights / toPercentages', () => {
  it('always sums to 100 for any non-zero relative weights', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 2, maxLength: 5 }), (ws) => {
        fc.pre(ws.some((w) => w > 0));
        const out = toPercentages(ws.map((weight, i) => ({ targetGroupArn: `tg${i}`, weight })));
        expect(out.reduce((s, w) => s + w.weight, 0)).toBe(100);
        expect(out.every((w) => Number.isInteger(w.weight) && w.weight >= 0)).toBe(true);
      }),
    );
  });
  it('reads nothing from an action without target groups', () => {
    expect(forwardWeights({ Type: 'forward' })).toEqual([]);
  });
});

describe('ElbTargetHealth', () => {
  it('counts healthy targets; total leaves out draining ones', async () => {
    // Prepare
    const states = ['healthy', 'healthy', 'initial', 'unhealthy', 'draining', 'unhealthy.draining', 'unused'] as const;
    elb.on(DescribeTargetHealthCommand, { TargetGroupArn: GREEN }).resolves({
      TargetHealthDescriptions: states.map((State, i) => ({ Target: { Id: `10.0.0.${i}`, Port: 8080 }, TargetHealth: { State } })),
    });
    // Act
    const health = await new ElbTargetHealth(client).health(GREEN);
    // Assess
    expect(health).toMatchObject({ healthy: 2, total: 5 });
  });
  it('says why targets are not healthy, by state and ELB reason code (they reach the HealthCheckTimeout message)', async () => {
    // Prepare (issue #13, item 10)
    const th = (State: string, Reason?: string, Description?: string) => ({ Target: { Id: '10.0.0.1', Port: 8080 }, TargetHealth: { State, Reason, Description } });
    elb.on(DescribeTargetHealthCommand, { TargetGroupArn: GREEN }).resolves({
      TargetHealthDescriptions: [
        th('healthy'),
        th('unused', 'Target.NotInUse', 'Target group is not configured to receive traffic from the load balancer'),
        th('unused', 'Target.NotInUse', 'Target group is not configured to receive traffic from the load balancer'),
        th('initial', 'Elb.InitialHealthChecking', 'Initial health checks in progress'),
        th('unhealthy', 'Target.FailedHealthChecks', 'Health checks failed'),
        th('draining', 'Target.DeregistrationInProgress'),
      ] as never,
    });
    // Act
    const health = await new ElbTargetHealth(client).health(GREEN);
    // Assess
    expect(health).toEqual({
      healthy: 1,
      total: 5,
      reasons: [
        { state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer', count: 2 },
        { state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress', count: 1 },
        { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed', count: 1 },
      ],
    });
  });
  it('reads an empty group as 0 of 0', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    await expect(new ElbTargetHealth(client).health(GREEN)).resolves.toEqual({ healthy: 0, total: 0 });
  });
});
