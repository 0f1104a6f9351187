/**
 * Issue #12, defect 4: every configuration value that reaches a `TimeoutSecondsPath` (or
 * `HeartbeatSecondsPath`) must be a positive integer, or Step Functions fails the state at run time
 * (States.Runtime) with the deployment half-way and its lock held. The schema refuses 0 by name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
// biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
type Raw = Record<string, any>;

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
        listenerArn: `${ELB}:listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`,
        targetGroupArns: [`${ELB}:targetgroup/checkout-blue/6d0ecf831eec9f09`, `${ELB}:targetgroup/checkout-green/2a4b6c8d0e1f3a5b`],
        strategy: { type: 'canary', percent: 10 },
      },
    ],
  };
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

const SAYS = /^(\S+): must be at least 1 second: Step Functions task timeouts are positive integers/;

const CASES: ReadonlyArray<{ name: string; state: string; path: string; set: (c: Raw, v: number) => void }> = [
  {
    name: 'an approval step',
    state: 'deploy Approval ($.step.timeoutSeconds)',
    path: 'services[0].strategy.steps[1].approval.timeoutSeconds',
    set: (c, v) => {
      c.services[0].strategy = { type: 'steps', steps: [{ percent: 10 }, { approval: { timeoutSeconds: v } }, { percent: 100 }] };
    },
  },
  {
    name: 'the migration',
    state: 'deploy RunMigration ($.migration.timeoutSeconds)',
    path: 'services[0].migration.timeoutSeconds',
    set: (c, v) => {
      c.services[0].migration = { command: ['migrate'], timeoutSeconds: v };
    },
  },
  {
    name: "an environment's approval",
    state: 'release WaitForApproval ($.stage.approvalTimeoutSeconds) and deploy Hold ($.signal.timeoutSeconds)',
    path: 'environments[0].approvalTimeoutSeconds',
    set: (c, v) => {
      c.environments = [{ name: 'production', requiresApproval: true, approvalTimeoutSeconds: v }];
    },
  },
];

describe('timeouts that reach a TimeoutSecondsPath are at least 1 second', () => {
  it.each(CASES)('$name: timeoutSeconds 0 is refused with a message naming the field ($state)', ({ path, set }) => {
    const raw = minimal();
    set(raw, 0);
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(SAYS);
    expect(problems[0]?.startsWith(`${path}: `)).toBe(true);
  });

  it.each(CASES)('$name: 1 second is accepted', ({ set }) => {
    const raw = minimal();
    set(raw, 1);
    expect(() => parseConfig(raw, 'test.json')).not.toThrow();
  });

  it('every TimeoutSecondsPath and HeartbeatSecondsPath in the state machines is one of the fields above, or derived from a bounded one', () => {
    // The paths and where their value comes from; a new timeout path must be added here (and to the schema).
    const KNOWN: Record<string, string> = {
      '$.migration.timeoutSeconds': 'services[].migration.timeoutSeconds (>= 1), clamped by the migration handler',
      '$.step.seconds': 'a bake: plans omit 0-second bakes (functions/core/plan.ts)',
      '$.signal.seconds': 'an operator extend: extendSeconds 1..86400 (functions/core/control.ts)',
      '$.signal.timeoutSeconds': "an operator hold: the environment's approvalTimeoutSeconds (>= 1)",
      '$.step.timeoutSeconds': 'an approval step: approval.timeoutSeconds (>= 1)',
      '$.ctx.terminationWaitSeconds': 'behind the HasTerminationWait choice (> 0)',
      '$.stage.approvalTimeoutSeconds': "the environment's approvalTimeoutSeconds (>= 1)",
      '$.lock.retryAfterSeconds': 'the lock wait: LOCK_RETRY_SECONDS of the lock handler (functions/handlers/lock.ts)',
    };
    const found = new Set<string>();
    for (const file of ['deploy', 'release', 'rollback', 'control', 'reconcile', 'cleanup']) {
      const text = readFileSync(new URL(`../../statemachines/${file}.asl.json`, import.meta.url), 'utf8');
      for (const m of text.matchAll(/"(?:TimeoutSecondsPath|HeartbeatSecondsPath)":\s*"([^"]+)"/g)) found.add(m[1] as string);
    }
    expect([...found].filter((p) => !(p in KNOWN))).toEqual([]);
  });
});
