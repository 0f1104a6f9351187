import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CutoverConfigInput, parseConfig } from '../../functions/core/config.js';
import { servicesForPush, tagMatches } from '../../functions/core/services.js';
import { ConfigError } from '../../functions/core/errors.js';

const ACCOUNT = '123456789012';
const ELB = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}`;
const LISTENER = `${ELB}:listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const RULE = `${ELB}:listener-rule/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const TG_BLUE = `${ELB}:targetgroup/checkout-blue/6d0ecf831eec9f09`;
const TG_GREEN = `${ELB}:targetgroup/checkout-green/2a4b6c8d0e1f3a5b`;

// Plain JSON, as it would come from cutover.config.json (mutated freely to make bad configs).
// biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
type Raw = Record<string, any>;

/** The smallest valid configuration: one service, everything else defaulted. */
function minimal(): Raw {
  return {
    services: [
      {
        name: 'checkout',
        environment: 'production',
        cluster: 'shop',
        service: 'checkout',
        containerName: 'app',
        repository: 'shop/checkout',
        listenerArn: LISTENER,
        targetGroupArns: [TG_BLUE, TG_GREEN],
        strategy: { type: 'canary', percent: 10 },
      },
    ],
  };
}

/** `minimal()` pinned to an account and region. */
function pinned(): Raw {
  return { account: ACCOUNT, region: 'us-east-1', ...minimal() };
}

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseConfig(raw, 'test.json');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError, but the configuration parsed');
}

interface BadCase {
  readonly name: string;
  readonly base?: () => Raw;
  readonly mutate: (c: Raw) => void;
  /** The exact path the message must name (`path: ...`). */
  readonly path: string;
  /** Words that say what is wrong / what is allowed. */
  readonly says: RegExp;
}

const BAD: readonly BadCase[] = [
  {
    name: 'missing field',
    mutate: (c) => delete c.services[0].cluster,
    path: 'services[0].cluster',
    says: /is required \(expected string\)/,
  },
  {
    name: 'wrong type',
    mutate: (c) => (c.services[0].alarms = 'checkout-5xx'),
    path: 'services[0].alarms',
    says: /expected array, got "checkout-5xx"/,
  },
  {
    name: 'unknown key (a typo)',
    mutate: (c) => (c.services[0].listnerArn = LISTENER),
    path: 'services[0]',
    says: /unknown key "listnerArn"; remove or fix the spelling/,
  },
  {
    name: 'unknown key at the top level',
    mutate: (c) => (c.servics = []),
    path: '(root)',
    says: /unknown key "servics"/,
  },
  {
    name: 'percent over 100',
    mutate: (c) => (c.services[0].strategy = { type: 'steps', steps: [{ percent: 120 }, { percent: 100 }] }),
    path: 'services[0].strategy.steps[0].percent',
    says: /number 120 is too large; allowed at most 100/,
  },
  {
    name: 'canary percent of 100',
    mutate: (c) => (c.services[0].strategy.percent = 100),
    path: 'services[0].strategy.percent',
    says: /allowed at most 99/,
  },
  {
    name: 'steps not ending at 100',
    mutate: (c) => (c.services[0].strategy = { type: 'steps', steps: [{ percent: 10 }, { percent: 50 }] }),
    path: 'services[0].strategy.steps',
    says: /last traffic step must be percent 100 \(found 50\)/,
  },
  {
    name: 'steps going backwards',
    mutate: (c) =>
      (c.services[0].strategy = { type: 'steps', steps: [{ percent: 50 }, { percent: 10 }, { percent: 100 }] }),
    path: 'services[0].strategy.steps[1].percent',
    says: /10 is below the previous step's 50/,
  },
  {
    name: 'duplicate service names in one environment',
    mutate: (c) => c.services.push(structuredClone(c.services[0])),
    path: 'services[1].name',
    says: /duplicate service "checkout" in environment "production"/,
  },
  {
    name: 'a target-group ARN where the listener ARN goes',
    mutate: (c) => (c.services[0].listenerArn = TG_BLUE),
    path: 'services[0].listenerArn',
    says: /must be an ALB listener ARN \(arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener\/app\//,
  },
  {
    name: 'a listener ARN where a target group goes',
    mutate: (c) => (c.services[0].targetGroupArns[1] = LISTENER),
    path: 'services[0].targetGroupArns[1]',
    says: /must be an ALB target-group ARN/,
  },
  {
    name: 'ARN in another region than config.region',
    base: pinned,
    mutate: (c) => (c.region = 'eu-west-1'),
    path: 'services[0].listenerArn',
    says: /region us-east-1 differs from the control plane's region eu-west-1/,
  },
  {
    name: 'ARN in another account than config.account',
    base: pinned,
    mutate: (c) => (c.services[0].targetGroupArns[0] = TG_BLUE.replace(ACCOUNT, '210987654321')),
    path: 'services[0].targetGroupArns[0]',
    says: /account 210987654321 differs from the control plane's account 123456789012/,
  },
  {
    name: 'task role in another account than config.account',
    base: pinned,
    mutate: (c) => (c.taskRoleArns = ['arn:aws:iam::210987654321:role/checkout-*']),
    path: 'taskRoleArns[0]',
    says: /account 210987654321 differs from the control plane's account 123456789012; ECS tasks take roles of their own account/,
  },
  {
    name: 'tag filter written as a regular expression',
    mutate: (c) => (c.services[0].tagFilter = 'v[0-9]+'),
    path: 'services[0].tagFilter',
    says: /"v\[0-9\]\+" looks like a regular expression; tagFilter is a glob/,
  },
  {
    name: 'tag filter that is not a valid pattern',
    mutate: (c) => (c.services[0].tagFilter = 'v1/2'),
    path: 'services[0].tagFilter',
    says: /"v1\/2" must be a tag pattern of A-Z a-z 0-9 _ \. - with \* and \? wildcards/,
  },
  {
    name: 'unknown environment',
    mutate: (c) => (c.services[0].environment = 'staging'),
    path: 'services[0].environment',
    says: /"staging" is not a configured environment; allowed: production/,
  },
  {
    name: 'both listenerArn and listenerRuleArn',
    mutate: (c) => (c.services[0].listenerRuleArn = RULE),
    path: 'services[0]',
    says: /set exactly one of listenerArn .* or listenerRuleArn/,
  },
  {
    name: 'neither listenerArn nor listenerRuleArn',
    mutate: (c) => delete c.services[0].listenerArn,
    path: 'services[0]',
    says: /set exactly one of listenerArn/,
  },
  {
    name: 'identical target groups',
    mutate: (c) => (c.services[0].targetGroupArns = [TG_BLUE, TG_BLUE]),
    path: 'services[0].targetGroupArns',
    says: /the two target groups must differ/,
  },
  {
    name: 'one target group only',
    mutate: (c) => (c.services[0].targetGroupArns = [TG_BLUE]),
    path: 'services[0].targetGroupArns',
    says: /too short; allowed at least 2 items/,
  },
  {
    name: 'bad strategy type',
    mutate: (c) => (c.services[0].strategy = { type: 'rolling' }),
    path: 'services[0].strategy.type',
    says: /must be one of "canary", "linear", "blue-green", "all-at-once", "steps"/,
  },
  {
    name: 'uppercase repository name',
    mutate: (c) => (c.services[0].repository = 'Shop/Checkout'),
    path: 'services[0].repository',
    says: /must be an ECR repository name/,
  },
  {
    name: 'alarm name with a leading blank',
    mutate: (c) => (c.services[0].alarms = [' checkout-5xx']),
    path: 'services[0].alarms[0]',
    says: /must be a CloudWatch alarm name/,
  },
  {
    name: 'hook that is not a Lambda ARN',
    mutate: (c) => (c.services[0].hooks = { beforeShift: [TG_BLUE] }),
    path: 'services[0].hooks.beforeShift[0]',
    says: /must be a Lambda function ARN/,
  },
  {
    name: 'account that is not 12 digits',
    mutate: (c) => (c.account = '1234'),
    path: 'account',
    says: /must be a 12-digit AWS account id/,
  },
  {
    name: 'scaling bounds inverted',
    mutate: (c) => (c.services[0].scaling = { minCount: 5, maxCount: 2 }),
    path: 'services[0].scaling.minCount',
    says: /5 exceeds maxCount 2/,
  },
];

describe('parseConfig rejects a bad configuration, naming the field and what is allowed', () => {
  it.each(BAD)('$name -> $path', ({ base, mutate, path, says }) => {
    // Prepare
    const raw = (base ?? minimal)();
    mutate(raw);

    // Act
    const problems = problemsOf(raw);

    // Assess: one line names exactly this path and says what is wrong / allowed.
    const line = problems.find((p) => p.startsWith(`${path}: `));
    expect(line, `problems were:\n${problems.join('\n')}`).toBeDefined();
    expect(line).toMatch(says);
  });

  it('throws ConfigError whose message names the source and lists every problem', () => {
    const raw = minimal();
    delete raw.services[0].cluster;
    raw.services[0].tagFilter = 'v[0-9]+';

    expect(() => parseConfig(raw, 'cutover.config.json')).toThrow(ConfigError);
    expect(() => parseConfig(raw, 'cutover.config.json')).toThrow(
      /Cutover configuration cutover\.config\.json is invalid:\n {2}- services\[0\]\.cluster: .*\n {2}- services\[0\]\.tagFilter: /,
    );
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a string', 'services: []'],
  ])('a root that is %s is rejected at (root)', (_label, raw) => {
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^\(root\): expected object, got /)]);
  });
});

describe('parseConfig accepts a good configuration and fills every default', () => {
  it('a minimal service gets the documented defaults', () => {
    const config = parseConfig(minimal());
    const s = config.services[0];

    expect(config.environments).toEqual([
      { name: 'production', requiresApproval: false, approvalTimeoutSeconds: 86400, onApprovalTimeout: 'abort', verification: { hooks: [], timeoutSeconds: 600, invocationTimeoutSeconds: 30, maxCallBackDelaySeconds: 300 } },
    ]);
    expect(config.recordRetentionSeconds).toBe(90 * 24 * 3600);
    expect(s).toMatchObject({
      tagFilter: '*',
      alarms: [],
      strategy: { type: 'canary', percent: 10, bakeSeconds: 300, finalBakeSeconds: 0 },
      healthTimeoutSeconds: 600,
      terminationWaitSeconds: 300,
      capacity: 'full',
      analysis: { enabled: true, confidence: 0.95, onInconclusive: 'extend', maxExtensions: 2 },
      hooks: { afterHealthy: [], beforeShift: [], timeoutSeconds: 300 },
      imageScan: { blockSeverity: 'NONE', waitSeconds: 300, onTimeout: 'reject' },
      cleanup: { keepRevisions: 5, protectTags: ['latest'] },
    });
    expect(s?.migration).toBeUndefined();
    expect(s?.scaling).toBeUndefined();
  });

  it.each<[string, Raw['strategy'], unknown]>([
    ['linear', { type: 'linear', stepPercent: 25 }, { type: 'linear', stepPercent: 25, intervalSeconds: 120 }],
    ['blue-green', { type: 'blue-green' }, { type: 'blue-green', bakeSeconds: 300, finalBakeSeconds: 0 }],
    ['all-at-once', { type: 'all-at-once' }, { type: 'all-at-once', bakeSeconds: 0 }],
    [
      'steps with an approval',
      { type: 'steps', steps: [{ percent: 10 }, { approval: {} }, { percent: 100, bakeSeconds: 60 }] },
      {
        type: 'steps',
        steps: [
          { percent: 10, bakeSeconds: 0 },
          { approval: { timeoutSeconds: 3600, onTimeout: 'abort' } },
          { percent: 100, bakeSeconds: 60 },
        ],
      },
    ],
  ])('strategy %s gets its defaults', (_name, strategy, expected) => {
    const raw = minimal();
    raw.services[0].strategy = strategy;

    expect(parseConfig(raw).services[0]?.strategy).toEqual(expected);
  });

  it('a listener-rule service in a second environment, pinned to its account and region, parses', () => {
    const raw = pinned();
    raw.environments = [{ name: 'production' }, { name: 'staging', requiresApproval: true }];
    raw.services.push({ ...structuredClone(raw.services[0]), environment: 'staging', listenerArn: undefined, listenerRuleArn: RULE });
    delete raw.services[1].listenerArn;

    const config = parseConfig(raw);

    expect(config.services.map((s) => `${s.name}/${s.environment}`)).toEqual(['checkout/production', 'checkout/staging']);
    expect(config.environments[1]).toEqual({
      name: 'staging',
      requiresApproval: true,
      approvalTimeoutSeconds: 86400,
      onApprovalTimeout: 'abort',
      verification: { hooks: [], timeoutSeconds: 600, invocationTimeoutSeconds: 30, maxCallBackDelaySeconds: 300 },
    });
  });

  it('parsing is idempotent: a parsed configuration parses to itself', () => {
    const once = parseConfig(pinned());
    expect(parseConfig(structuredClone(once))).toEqual(once);
  });

  it('the example cutover.config.json in the repository is valid', () => {
    const raw = JSON.parse(readFileSync(new URL('../../cutover.config.json', import.meta.url), 'utf8')) as CutoverConfigInput;
    const config = parseConfig(raw, 'cutover.config.json');
    expect(config.account).toBe(ACCOUNT);
    expect(config.services).toHaveLength(1);
  });
});

describe('tag filters', () => {
  it.each([
    ['*', 'anything', true],
    ['*', undefined, true],
    ['v*', 'v1.2.3', true],
    ['v*', 'release-1', false],
    ['release-?', 'release-7', true],
    ['release-?', 'release-17', false],
    ['1.2.*', '1.2.3', true],
    ['1.2.*', '1x2.3', false],
    ['v*', undefined, false],
  ])('%s matches %s: %s', (filter, tag, expected) => {
    expect(tagMatches(filter, tag)).toBe(expected);
  });

  it('servicesForPush picks the services fed by the repository whose filter matches', () => {
    const raw = minimal();
    raw.services[0].tagFilter = 'v*';
    const config = parseConfig(raw);

    expect(servicesForPush(config, 'shop/checkout', 'v2').map((s) => s.name)).toEqual(['checkout']);
    expect(servicesForPush(config, 'shop/checkout', 'latest')).toEqual([]);
    expect(servicesForPush(config, 'shop/cart', 'v2')).toEqual([]);
  });
});

describe('config: a bake too short for the canary analysis is refused at synth (issue #13, item 8)', () => {
  const refused = (strategy: Raw, analysis: Raw = {}): string[] => {
    const raw = minimal();
    raw.services[0].strategy = strategy;
    raw.services[0].analysis = analysis;
    try {
      parseConfig(raw);
      return [];
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.problems.filter((p) => p.includes('too short for the canary analysis'));
    }
  };

  it.each([
    ['a 60 s canary bake (3 tries x 60 s < 240 s)', { type: 'canary', percent: 10, bakeSeconds: 60 }, {}, 'services[0].strategy.bakeSeconds: a 60 s bake at 10 %'],
    ['a 60 s linear interval without extensions', { type: 'linear', stepPercent: 20, intervalSeconds: 60 }, { onInconclusive: 'fail' }, 'services[0].strategy.intervalSeconds: a 60 s bake at 20 %'],
    ['a 90 s explicit step with onInconclusive pass', { type: 'steps', steps: [{ percent: 5, bakeSeconds: 90 }, { percent: 100 }] }, { onInconclusive: 'pass' }, 'services[0].strategy.steps[0].bakeSeconds: a 90 s bake at 5 %'],
  ])('%s', (_name, strategy, analysis, path) => {
    const problems = refused(strategy, analysis);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(path);
    expect(problems[0]).toMatch(/minRequests 100.*up to 120 s late.*analysis\.enabled false/);
  });

  it.each([
    ['the default canary (300 s)', { type: 'canary', percent: 10 }, {}],
    ['80 s with two extensions (3 x 80 s = 240 s)', { type: 'linear', stepPercent: 25, intervalSeconds: 80 }, {}],
    ['the default linear interval (120 s)', { type: 'linear', stepPercent: 25 }, {}],
    ['a short bake with the analysis off', { type: 'canary', percent: 10, bakeSeconds: 30 }, { enabled: false }],
    ['blue-green: its bake is at 0 % and not analysed', { type: 'blue-green', bakeSeconds: 30 }, {}],
    ['a bake at 100 % is not analysed', { type: 'steps', steps: [{ percent: 10, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 30 }] }, {}],
  ])('accepts %s', (_name, strategy, analysis) => {
    expect(refused(strategy, analysis)).toEqual([]);
  });
});
