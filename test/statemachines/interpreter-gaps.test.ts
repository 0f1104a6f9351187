/**
 * Choice rules the local ASL interpreter evaluates differently from Step Functions. aws-local-
 * stepfunctions 3.0.0 answers `IsPresent: false` and `IsNull: false` with false whatever the value
 * (it computes `IsPresent && present`), so a rule that AWS matches when a field is absent never
 * matches in the rehearsal, and the next rule reading that field fails with States.Runtime. The
 * definitions write the negative test as `Not: { IsPresent: true }` (or `Not: { IsNull: true }`),
 * which both evaluate the same way. This test keeps it that way, and shows the gap is real.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LocalRunner } from '../../local/runner/index.js';

const DIR = new URL('../../statemachines/', import.meta.url);
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.asl.json')).sort();

/** Every choice rule (nested And / Or / Not too) with a `false` IsPresent or IsNull, by file and state. */
function negativeTests(value: unknown, at: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      negativeTests(v, `${at}[${i}]`, out);
    });
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.IsPresent === false || o.IsNull === false) out.push(`${at}: ${JSON.stringify(o)}`);
    for (const [k, v] of Object.entries(o)) negativeTests(v, `${at}.${k}`, out);
  }
}

describe('ASL the rehearsal runs the same way as Step Functions', () => {
  it('no choice rule tests IsPresent: false or IsNull: false (write Not: { IsPresent: true })', () => {
    const found: string[] = [];
    for (const f of FILES) negativeTests(JSON.parse(readFileSync(new URL(f, DIR), 'utf8')), f, found);
    expect(found).toEqual([]);
  });

  it('the gap is real: IsPresent false never matches in the interpreter, Not { IsPresent: true } does', async () => {
    const machine = (rule: Record<string, unknown>) =>
      JSON.stringify({
        StartAt: 'C',
        States: {
          C: { Type: 'Choice', Choices: [{ ...rule, Next: 'Absent' }], Default: 'Present' },
          Absent: { Type: 'Pass', Result: 'absent', End: true },
          Present: { Type: 'Pass', Result: 'present', End: true },
        },
      });
    const run = async (rule: Record<string, unknown>) => {
      const runner = new LocalRunner({ seed: 1 });
      const { stateMachineArn } = runner.registerStateMachine({ name: 'gap', definition: machine(rule) });
      const { executionArn } = await runner.startExecution({ stateMachineArn, input: JSON.stringify({ a: 1 }) });
      await runner.runUntilQuiescent();
      const output = runner.getExecution(executionArn).output;
      runner.dispose();
      return JSON.parse(output ?? 'null') as string;
    };
    expect(await run({ Variable: '$.b', IsPresent: false })).toBe('present');
    expect(await run({ Not: { Variable: '$.b', IsPresent: true } })).toBe('absent');
  });
});
