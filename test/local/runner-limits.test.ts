/**
 * The local runner fails like Step Functions where AWS enforces a limit (issue #12):
 * - States.DataLimitExceeded over 256 KiB (a Task's parameters or result, a state's output after
 *   ResultPath, a Map's collected result, a Map item), which States.ALL does not catch;
 * - the execution fails at 25,000 history events (States.Runtime);
 * - States.Runtime for a TimeoutSecondsPath / HeartbeatSecondsPath that is not a positive integer;
 * - ExecutionAlreadyExists for a name used in the last 90 days; the same name and input of a running
 *   execution returns it;
 * - InvalidExecutionInput / InvalidOutput for StartExecution input / SendTaskSuccess output over 256 KiB.
 * Sources are cited in local/runner/limits.ts next to each constant.
 */
import { describe, expect, it } from 'vitest';
import {
  errorMatches,
  LocalRunner,
  MAX_HISTORY_EVENTS,
  MAX_PAYLOAD_BYTES,
  payloadBytes,
  SfnApiError,
} from '../../local/runner/index.js';

const DAY_MS = 24 * 3600 * 1000;
const CATCH_ALL = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recovered' }];
const RECOVERED = { Type: 'Pass', End: true };

/** A string of `n` bytes of JSON text once quoted (ASCII). */
const blob = (bytes: number): string => 'x'.repeat(bytes - 2);

function machine(definition: unknown, fns: Record<string, (payload: unknown) => Promise<unknown>> = {}) {
  const runner = new LocalRunner();
  const { stateMachineArn } = runner.registerStateMachine({ name: 'limits', definition });
  for (const [name, fn] of Object.entries(fns)) runner.registerFunction(name, fn);
  const start = async (input: unknown = {}, name?: string) => {
    const { executionArn } = await runner.startExecution({ stateMachineArn, input: JSON.stringify(input), ...(name === undefined ? {} : { name }) });
    return executionArn;
  };
  const run = async (input: unknown = {}) => {
    const arn = await start(input);
    await runner.runUntilQuiescent({ failOnErrors: false });
    return runner.getExecution(arn);
  };
  return { runner, stateMachineArn, start, run };
}

const task = (fn: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: fn, 'Payload.$': '$' },
  ...extra,
});

describe('payload quota: States.DataLimitExceeded, which States.ALL does not catch', () => {
  it('a Task result over 256 KiB fails the execution even with a States.ALL catcher and retrier', async () => {
    // Prepare: the function returns 300 KB; the Task retries and catches States.ALL.
    let calls = 0;
    const { run } = machine(
      {
        StartAt: 'Big',
        States: {
          Big: task('big', { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }], Catch: CATCH_ALL, Next: 'After' }),
          After: { Type: 'Pass', End: true },
          Recovered: RECOVERED,
        },
      },
      {
        big: async () => {
          calls++;
          return { data: blob(300_000) };
        },
      },
    );

    // Act
    const rec = await run();

    // Assess
    expect(rec.status).toBe('FAILED');
    expect(rec.error).toBe('States.DataLimitExceeded');
    expect(rec.cause).toContain("The state/task 'Big' returned a result with a size exceeding the maximum number of bytes service limit");
    expect(calls).toBe(1);
    expect(rec.statesEntered.map((s) => s.name)).toEqual(['Big']);
    expect(rec.largestPayloadBytes).toBeGreaterThan(MAX_PAYLOAD_BYTES);
  });

  it('a catcher that names States.DataLimitExceeded explicitly does catch it', async () => {
    const { run } = machine(
      {
        StartAt: 'Big',
        States: {
          Big: task('big', { Catch: [{ ErrorEquals: ['States.DataLimitExceeded'], ResultPath: '$.error', Next: 'Recovered' }], End: true }),
          Recovered: RECOVERED,
        },
      },
      { big: async () => ({ data: blob(300_000) }) },
    );
    const rec = await run();
    expect(rec.status).toBe('SUCCEEDED');
    expect(rec.statesEntered.map((s) => s.name)).toEqual(['Big', 'Recovered']);
  });

  it("a state's output over 256 KiB after ResultPath fails it, though the result alone is within", async () => {
    // Prepare: 150 KB of input, a 150 KB result merged into it at $.result.
    const { run } = machine(
      {
        StartAt: 'Merge',
        States: {
          Merge: task('half', { ResultSelector: { 'data.$': '$.Payload.data' }, ResultPath: '$.result', Catch: CATCH_ALL, Next: 'After' }),
          After: { Type: 'Pass', End: true },
          Recovered: RECOVERED,
        },
      },
      { half: async () => ({ data: blob(150_000) }) },
    );

    // Act
    const rec = await run({ input: blob(150_000) });

    // Assess
    expect(rec.status).toBe('FAILED');
    expect(rec.error).toBe('States.DataLimitExceeded');
    expect(rec.statesEntered.map((s) => s.name)).toEqual(['Merge']);
    expect(rec.history.at(-1)).toMatchObject({ kind: 'StateFailed', stateName: 'Merge', error: 'States.DataLimitExceeded' });
  });

  it("a Task's input after Parameters over 256 KiB fails before the function runs", async () => {
    let called = false;
    const { run } = machine(
      {
        StartAt: 'Twice',
        States: {
          Twice: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'fn', Payload: { 'a.$': '$.data', 'b.$': '$.data' } },
            Catch: CATCH_ALL,
            End: true,
          },
          Recovered: RECOVERED,
        },
      },
      {
        fn: async () => {
          called = true;
          return {};
        },
      },
    );
    const rec = await run({ data: blob(140_000) });
    expect(rec.status).toBe('FAILED');
    expect(rec.error).toBe('States.DataLimitExceeded');
    expect(called).toBe(false);
  });

  it("a Map's collected result over 256 KiB fails it even with ResultPath null; the next state never runs", async () => {
    // Prepare: 5 iterations of 60 KB each (300 KB collected), discarded by ResultPath: null.
    let after = false;
    const { run } = machine(
      {
        StartAt: 'Steps',
        States: {
          Steps: {
            Type: 'Map',
            ItemsPath: '$.items',
            MaxConcurrency: 1,
            ItemProcessor: { StartAt: 'Step', States: { Step: task('step', { OutputPath: '$.Payload', End: true }) } },
            ResultPath: null,
            Catch: CATCH_ALL,
            Next: 'Promote',
          },
          Promote: task('promote', { End: true }),
          Recovered: RECOVERED,
        },
      },
      {
        step: async () => ({ data: blob(60_000) }),
        promote: async () => {
          after = true;
          return {};
        },
      },
    );

    // Act
    const rec = await run({ items: [1, 2, 3, 4, 5] });

    // Assess
    expect(rec.status).toBe('FAILED');
    expect(rec.error).toBe('States.DataLimitExceeded');
    expect(rec.cause).toContain("'Steps'");
    expect(after).toBe(false);
    expect(rec.statesEntered.map((s) => s.name)).toEqual(['Steps', 'Step', 'Step', 'Step', 'Step', 'Step']);
    expect(rec.largestPayloadBytes).toBeGreaterThan(5 * 60_000);
  });

  it('the same Map within the quota succeeds and reports its collected result as the largest payload', async () => {
    const { run } = machine(
      {
        StartAt: 'Steps',
        States: {
          Steps: {
            Type: 'Map',
            ItemsPath: '$.items',
            MaxConcurrency: 1,
            ItemProcessor: { StartAt: 'Step', States: { Step: task('step', { OutputPath: '$.Payload', End: true }) } },
            ResultPath: null,
            End: true,
          },
        },
      },
      { step: async () => ({ data: blob(40_000) }) },
    );
    const rec = await run({ items: [1, 2, 3, 4, 5] });
    expect(rec.status).toBe('SUCCEEDED');
    // Five results of 40,010 bytes ({"data":"..."}), four commas, two brackets.
    expect(rec.largestPayloadBytes).toBe(5 * payloadBytes({ data: blob(40_000) }) + 4 + 2);
  });

  it('measures UTF-8 bytes, not characters', () => {
    expect(payloadBytes('é')).toBe(2);
    expect(payloadBytes({ a: 'é' })).toBe('{"a":"é"}'.length + 1);
    expect(errorMatches(['States.ALL'], 'States.DataLimitExceeded')).toBe(false);
    expect(errorMatches(['States.TaskFailed'], 'States.DataLimitExceeded')).toBe(false);
    expect(errorMatches(['States.DataLimitExceeded'], 'States.DataLimitExceeded')).toBe(true);
  });
});

describe('a failed Map stops', () => {
  it('no state of a queued iteration runs after one failed; the Catch goes on', async () => {
    const ran: number[] = [];
    const { run } = machine(
      {
        StartAt: 'Steps',
        States: {
          Steps: {
            Type: 'Map',
            ItemsPath: '$.items',
            MaxConcurrency: 1,
            ItemProcessor: {
              StartAt: 'Kind',
              States: {
                Kind: { Type: 'Pass', Next: 'Step' },
                Step: task('step', { End: true }),
              },
            },
            ResultPath: null,
            Catch: CATCH_ALL,
            End: true,
          },
          Recovered: RECOVERED,
        },
      },
      {
        step: async (p) => {
          const n = (p as { n: number }).n;
          ran.push(n);
          if (n === 1) throw Object.assign(new Error('alarm'), { name: 'AlarmTriggered' });
          return {};
        },
      },
    );

    const rec = await run({ items: [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }] });

    expect(rec.status).toBe('SUCCEEDED');
    expect(ran).toEqual([0, 1]);
    expect(rec.statesEntered.map((s) => `${s.name}${s.mapIndex ?? ''}`)).toEqual(['Steps', 'Kind0', 'Step0', 'Kind1', 'Step1', 'Recovered']);
    expect(rec.transitions).toBe(6);
  });
});

describe('nested Maps', () => {
  it('an inner Map inside a later outer iteration completes and its results are counted (the release pipeline shape)', async () => {
    // The executor reports a nested state's index as the outer iteration's and the inner Map's
    // iteration events with the inner index: the runner must not confuse the two (it once waited
    // forever for the inner Map of the second environment).
    const deployed: string[] = [];
    const { run } = machine(
      {
        StartAt: 'Environments',
        States: {
          Environments: {
            Type: 'Map',
            ItemsPath: '$.environments',
            MaxConcurrency: 1,
            ItemProcessor: {
              StartAt: 'Deployments',
              States: {
                Deployments: {
                  Type: 'Map',
                  ItemsPath: '$.services',
                  MaxConcurrency: 0,
                  ItemProcessor: { StartAt: 'Deploy', States: { Deploy: task('deploy', { End: true }) } },
                  ResultPath: null,
                  Next: 'EnvironmentDeployed',
                },
                EnvironmentDeployed: task('deploy', { Parameters: { FunctionName: 'deploy', Payload: { env: 'done' } }, End: true }),
              },
            },
            ResultPath: null,
            End: true,
          },
        },
      },
      {
        deploy: async (p) => {
          deployed.push(JSON.stringify(p));
          return {};
        },
      },
    );

    const rec = await run({ environments: [{ services: [{ s: 'a' }] }, { services: [{ s: 'b' }, { s: 'c' }] }] });

    expect(rec.status).toBe('SUCCEEDED');
    expect(deployed).toEqual(['{"s":"a"}', '{"env":"done"}', expect.stringMatching(/"s":"[bc]"/), expect.stringMatching(/"s":"[bc]"/), '{"env":"done"}']);
    expect(rec.historyEvents).toBeGreaterThan(0);
  });
});

describe('execution history quota: 25,000 events', () => {
  it('counts events as Step Functions writes them: 2 for the execution, 5 per Lambda Task, 2 per Pass', async () => {
    const { run } = machine({ StartAt: 'T', States: { T: task('fn', { Next: 'P' }), P: { Type: 'Pass', End: true } } }, { fn: async () => ({}) });
    const rec = await run();
    expect(rec.status).toBe('SUCCEEDED');
    expect(rec.historyEvents).toBe(2 + 5 + 2);
  });

  it('a lock-wait style loop (Task, Choice, Wait 15 s: 9 events) fails after about 11.6 hours with States.Runtime', async () => {
    // Prepare: the loop of issue #12, defect 7 (AcquireLock, LockOutcome, WaitForLock).
    const { run } = machine(
      {
        StartAt: 'Acquire',
        States: {
          Acquire: task('acquire', { ResultPath: '$.lock', Catch: CATCH_ALL, Next: 'Outcome' }),
          Outcome: { Type: 'Choice', Choices: [{ Variable: '$.lock.Payload.acquired', BooleanEquals: true, Next: 'Done' }], Default: 'WaitForLock' },
          WaitForLock: { Type: 'Wait', Seconds: 15, Next: 'Acquire' },
          Done: { Type: 'Succeed' },
          Recovered: RECOVERED,
        },
      },
      { acquire: async () => ({ acquired: false }) },
    );

    // Act
    const rec = await run();

    // Assess
    expect(rec.status).toBe('FAILED');
    expect(rec.error).toBe('States.Runtime');
    expect(rec.cause).toBe('The execution reached the maximum number of history events (25000).');
    expect(rec.historyEvents).toBe(MAX_HISTORY_EVENTS);
    // (25,000 - 2) / 9 loops of 15 s.
    const hours = ((rec.stopMs ?? 0) - rec.startMs) / 3600_000;
    expect(hours).toBeGreaterThan(11);
    expect(hours).toBeLessThan(12);
    expect(rec.statesEntered.some((s) => s.name === 'Recovered')).toBe(false);
  }, 120_000);
});

describe('timeout paths must select a positive integer (States.Runtime, not caught)', () => {
  for (const [field, value] of [
    ['TimeoutSecondsPath', 0],
    ['TimeoutSecondsPath', 1.5],
    ['HeartbeatSecondsPath', 'ten'],
    ['HeartbeatSecondsPath', -1],
  ] as const) {
    it(`${field} selecting ${JSON.stringify(value)} fails the execution with States.Runtime past a States.ALL catcher`, async () => {
      let called = false;
      const { run } = machine(
        {
          StartAt: 'Gate',
          States: {
            Gate: { ...task('fn'), [field]: '$.seconds', Catch: CATCH_ALL, End: true },
            Recovered: RECOVERED,
          },
        },
        {
          fn: async () => {
            called = true;
            return {};
          },
        },
      );
      const rec = await run({ seconds: value });
      expect(rec.status).toBe('FAILED');
      expect(rec.error).toBe('States.Runtime');
      expect(rec.cause).toContain(`${field} '$.seconds' must point to a positive integer`);
      expect(called).toBe(false);
    });
  }
});

describe('StartExecution and SendTaskSuccess', () => {
  const waiter = () => {
    const tokens: string[] = [];
    const m = machine(
      {
        StartAt: 'Wait',
        States: {
          Wait: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: 'park', Payload: { 'token.$': '$$.Task.Token' } },
            End: true,
          },
        },
      },
      {
        park: async (p) => {
          tokens.push((p as { token: string }).token);
          return {};
        },
      },
    );
    return { ...m, tokens };
  };

  it('a name is ExecutionAlreadyExists for 90 days after its execution closed, whatever the input; then reusable', async () => {
    // Prepare: one execution named "push-1" that succeeds.
    const { runner, stateMachineArn, start } = machine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const first = await start({ a: 1 }, 'push-1');
    await runner.runUntilQuiescent();
    expect(runner.getExecution(first).status).toBe('SUCCEEDED');

    // Act / Assess: same name, same or different input, while within 90 days.
    for (const input of [{ a: 1 }, { a: 2 }]) {
      await expect(runner.startExecution({ stateMachineArn, name: 'push-1', input: JSON.stringify(input) })).rejects.toMatchObject({
        name: 'ExecutionAlreadyExists',
      });
    }
    runner.clock.advanceTo(runner.getExecution(first).stopMs! + 90 * DAY_MS - 1);
    await expect(runner.startExecution({ stateMachineArn, name: 'push-1', input: '{"a":1}' })).rejects.toBeInstanceOf(SfnApiError);
    runner.clock.advanceTo(runner.getExecution(first).stopMs! + 90 * DAY_MS);
    const again = await runner.startExecution({ stateMachineArn, name: 'push-1', input: '{"a":3}' });
    await runner.runUntilQuiescent();
    expect(again.executionArn).toBe(first);
    expect(runner.getExecution(again.executionArn)).toMatchObject({ status: 'SUCCEEDED', input: '{"a":3}' });
  });

  it('the same name and input as a RUNNING execution returns it; a different input is ExecutionAlreadyExists', async () => {
    const { runner, stateMachineArn, start, tokens } = waiter();
    const arn = await start({ a: 1 }, 'push-2');
    await runner.settle();
    const same = await runner.startExecution({ stateMachineArn, name: 'push-2', input: JSON.stringify({ a: 1 }) });
    expect(same.executionArn).toBe(arn);
    await expect(runner.startExecution({ stateMachineArn, name: 'push-2', input: JSON.stringify({ a: 2 }) })).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    expect(runner.listExecutions()).toHaveLength(1);
    await runner.sendTaskSuccess(tokens[0] as string, '{}');
    await runner.runUntilQuiescent();
  });

  it('StartExecution input over 256 KiB (UTF-8 bytes) is InvalidExecutionInput; exactly 256 KiB starts', async () => {
    const { runner, stateMachineArn } = machine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    // 2-byte characters: 131,072 characters would pass a character count but are 262,146 bytes with quotes.
    const wide = JSON.stringify('é'.repeat(131_072));
    expect(wide.length).toBeLessThan(MAX_PAYLOAD_BYTES);
    await expect(runner.startExecution({ stateMachineArn, input: wide })).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(runner.startExecution({ stateMachineArn, input: JSON.stringify(blob(MAX_PAYLOAD_BYTES + 1)) })).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
    const ok = await runner.startExecution({ stateMachineArn, input: JSON.stringify(blob(MAX_PAYLOAD_BYTES)) });
    await runner.runUntilQuiescent();
    expect(runner.getExecution(ok.executionArn).status).toBe('SUCCEEDED');
    expect(runner.listExecutions()).toHaveLength(1);
  });

  it('SendTaskSuccess output over 256 KiB is InvalidOutput and leaves the task open', async () => {
    const { runner, start, tokens } = waiter();
    const arn = await start();
    await runner.settle();
    const token = tokens[0] as string;
    await expect(runner.sendTaskSuccess(token, JSON.stringify({ data: blob(MAX_PAYLOAD_BYTES) }))).rejects.toMatchObject({ name: 'InvalidOutput' });
    expect(runner.openTaskTokens().map((t) => t.token)).toEqual([token]);
    await runner.sendTaskSuccess(token, '{"ok":true}');
    await runner.runUntilQuiescent();
    expect(runner.getExecution(arn)).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });
  });
});
