/** The configuration options of release gates and the release pipeline: defaults and the problems they name. */
import { describe, expect, it } from 'vitest';
import { type CutoverConfigInput, parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const HOOK = 'arn:aws:lambda:us-east-1:123456789012:function:smoke';
const api = (extra: Record<string, unknown> = {}) => ({
  name: 'api',
  environment: 'production',
  cluster: 'demo',
  service: 'api',
  containerName: 'app',
  repository: 'shop/api',
  listenerArn: `${ELB}:listener/app/api/0123456789abcdef/0123456789abcdef`,
  targetGroupArns: [`${ELB}:targetgroup/api-a/0123456789abcdef`, `${ELB}:targetgroup/api-b/0123456789abcdef`],
  strategy: { type: 'all-at-once' },
  ...extra,
});
const parse = (config: Record<string, unknown>) => parseConfig({ account: '123456789012', region: 'us-east-1', ...config } as CutoverConfigInput);
const problems = (config: Record<string, unknown>): string[] => {
  try {
    parse(config);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
};

describe('hooks, migration and image scan options', () => {
  it('defaults: no hooks, 300 s per hook, 30 s per invocation, callBackDelay capped at 300 s; no migration; the image gate off', () => {
    const svc = parse({ services: [api()] }).services[0];
    expect(svc?.hooks).toEqual({
      afterHealthy: [],
      afterTestTraffic: [],
      beforeShift: [],
      afterFullTraffic: [],
      timeoutSeconds: 300,
      invocationTimeoutSeconds: 30,
      maxCallBackDelaySeconds: 300,
    });
    expect(svc?.migration).toBeUndefined();
    expect(svc?.imageScan).toEqual({ blockSeverity: 'NONE', waitSeconds: 300, onTimeout: 'reject' });
  });

  it('a full example parses', () => {
    const svc = parse({
      services: [
        api({
          testListenerArn: `${ELB}:listener/app/api/0123456789abcdef/fedcba9876543210`,
          hooks: { afterTestTraffic: [HOOK], testUrl: 'https://api.example.com:8443', invocationTimeoutSeconds: 60, maxCallBackDelaySeconds: 120 },
          migration: { command: ['npm', 'run', 'migrate'], containerName: 'app', timeoutSeconds: 900 },
          imageScan: { blockSeverity: 'HIGH', waitSeconds: 600, onTimeout: 'reject' },
        }),
      ],
    }).services[0];
    expect(svc?.hooks.testUrl).toBe('https://api.example.com:8443');
    expect(svc?.migration?.command).toEqual(['npm', 'run', 'migrate']);
  });

  it.each([
    ['afterTestTraffic hooks without a test listener', { hooks: { afterTestTraffic: [HOOK] } }, /hooks.afterTestTraffic: needs testListenerArn/],
    ['a hook that is not a Lambda ARN', { hooks: { afterHealthy: ['smoke'] } }, /hooks.afterHealthy\[0\]: "smoke" must be a Lambda function ARN/],
    ['a testUrl that is not a URL', { hooks: { testUrl: 'api.example.com' } }, /hooks.testUrl/],
    ['an invocation timeout beyond 840 s', { hooks: { invocationTimeoutSeconds: 900 } }, /hooks.invocationTimeoutSeconds/],
    ['a migration without a command', { migration: { command: [] } }, /migration.command/],
  ])('%s is a problem naming the field', (_name, extra, message) => {
    expect(problems({ services: [api(extra)] }).join('\n')).toMatch(message);
  });
});

describe('environments for the release pipeline', () => {
  it('each environment has a verification (no hooks by default); the default single environment too', () => {
    expect(parse({ services: [api()] }).environments).toEqual([
      {
        name: 'production',
        requiresApproval: false,
        approvalTimeoutSeconds: 86400,
        onApprovalTimeout: 'abort',
        verification: { hooks: [], timeoutSeconds: 600, invocationTimeoutSeconds: 30, maxCallBackDelaySeconds: 300 },
      },
    ]);
    const envs = parse({
      environments: [
        { name: 'staging', verification: { hooks: [HOOK], url: 'https://api.staging.example.com' } },
        { name: 'production', requiresApproval: true, approvalTimeoutSeconds: 3600, onApprovalTimeout: 'abort' },
      ],
      services: [api({ environment: 'staging' }), api()],
    }).environments;
    expect(envs.map((e) => [e.name, e.verification.hooks.length, e.requiresApproval])).toEqual([
      ['staging', 1, false],
      ['production', 0, true],
    ]);
  });

  it.each([
    ['a verification hook that is not a Lambda ARN', [{ name: 'production', verification: { hooks: ['e2e'] } }], /environments\[0\].verification.hooks\[0\]: "e2e" must be a Lambda function ARN/],
    [
      'a verification hook in another account',
      [{ name: 'production', verification: { hooks: ['arn:aws:lambda:us-east-1:210987654321:function:e2e'] } }],
      /account 210987654321 differs/,
    ],
  ])('%s is a problem naming the field', (_name, environments, message) => {
    expect(problems({ environments, services: [api()] }).join('\n')).toMatch(message);
  });
});
