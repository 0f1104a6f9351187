/**
 * Mistakes a new user makes that used to pass synth and then fail silently (issue #16): each is
 * refused with the fix in the message. The values are what the AWS console copies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig, tagFilterMistake } from '../../functions/core/config.js';
import { tagMatches } from '../../functions/core/services.js';
import { ConfigError } from '../../functions/core/errors.js';

const ACCOUNT = '123456789012';
const ELB = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}`;
const LISTENER = `${ELB}:listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const RULE = `${ELB}:listener-rule/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;

// biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
type Raw = Record<string, any>;
function service(patch: Raw = {}): Raw {
  return {
    name: 'payments-api',
    environment: 'production',
    cluster: 'shop',
    service: 'payments',
    containerName: 'app',
    repository: 'acme/payments',
    listenerArn: LISTENER,
    targetGroupArns: [`${ELB}:targetgroup/pay-blue/6d0ecf831eec9f09`, `${ELB}:targetgroup/pay-green/2a4b6c8d0e1f3a5b`],
    strategy: { type: 'canary', percent: 10 },
    ...patch,
  };
}
function problemsOf(svc: Raw): readonly string[] {
  try {
    parseConfig({ services: [svc] }, 'test.json');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError, but the configuration parsed');
}

describe('silent mistakes fail synth with their fix', () => {
  it('a repository given as an image URI names the repository to use', () => {
    const p = problemsOf(service({ repository: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/acme/payments` }));
    expect(p).toEqual([`services[0].repository: "${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/acme/payments" is an image URI; give the repository name only: "acme/payments"`]);
    expect(problemsOf(service({ repository: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/acme/payments:v2` }))[0]).toContain('"acme/payments"');
  });

  it('an alarm ARN in alarms names the alarm to list', () => {
    const p = problemsOf(service({ alarms: [`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:payments-5xx`] }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^services\[0\]\.alarms\[0\]: .* is an alarm ARN; list the alarm by its name: "payments-5xx"/);
  });

  it('a tag filter written as a regular expression says it is a glob and shows an example', () => {
    const p = problemsOf(service({ tagFilter: 'release-.*' }));
    expect(p).toHaveLength(1);
    expect(p[0]).toContain('services[0].tagFilter: "release-.*" looks like a regular expression; tagFilter is a glob');
    expect(p[0]).toContain('"release-*" matches "release-1.4.2"');
    for (const regex of ['^v[0-9]+$', 'v\\d+', '.*', '(a|b)']) expect(tagFilterMistake(regex), regex).toBeDefined();
  });

  it('globs that are not regular expressions still parse', () => {
    for (const glob of ['*', 'v*', 'v1.*', 'release-?', 'release-*', 'v1.2.*-rc?']) {
      expect(tagFilterMistake(glob), glob).toBeUndefined();
      expect(() => parseConfig({ services: [service({ tagFilter: glob })] })).not.toThrow();
    }
  });

  it('the suggested glob matches the example it shows', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}[-_](\.\*|\.\+)$/), (regex) => {
        const m = /e\.g\. "([^"]+)" matches "([^"]+)"/.exec(tagFilterMistake(regex) ?? '');
        expect(m).not.toBeNull();
        expect(tagMatches(m?.[1] ?? '', m?.[2] ?? '')).toBe(true);
      }),
    );
  });

  it('a rule ARN in listenerArn says to use listenerRuleArn, and the reverse', () => {
    expect(problemsOf(service({ listenerArn: RULE }))).toEqual([
      `services[0].listenerArn: "${RULE}" is a listener-rule ARN; put it in listenerRuleArn (listenerArn is for a listener's default action)`,
    ]);
    const { listenerArn: _, ...noListener } = service();
    expect(problemsOf({ ...noListener, listenerRuleArn: LISTENER })[0]).toContain('is a listener ARN; put it in listenerArn');
  });

  it('approval and percent in one step say which keys go together', () => {
    const p = problemsOf(service({ strategy: { type: 'steps', steps: [{ percent: 25, approval: {} }, { percent: 100 }] } }));
    expect(p).toEqual([
      'services[0].strategy.steps[0]: a step is either a shift { "percent", "bakeSeconds" } or an approval { "approval": { "timeoutSeconds", "onTimeout" } }, not both; split it into two steps (the approval before or after the shift)',
    ]);
  });

  it('a step percent is 1-100, as documented (0 moves no traffic)', () => {
    expect(problemsOf(service({ strategy: { type: 'steps', steps: [{ percent: 0 }, { percent: 100 }] } }))[0]).toMatch(
      /^services\[0\]\.strategy\.steps\[0\]\.percent: number 0 is too small; allowed at least 1/,
    );
    expect(() => parseConfig({ services: [service({ strategy: { type: 'steps', steps: [{ percent: 1 }, { percent: 100 }] } })] })).not.toThrow();
  });
});
