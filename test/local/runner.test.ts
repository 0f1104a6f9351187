import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ExecutionRecord,
  LocalRunner,
  type LocalRunnerOptions,
  SfnApiError,
  UnsupportedAslError,
  decideRetry,
  lambdaFunctionKey,
  readReferencePath,
} from '../../local/runner/index.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const WORK_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:work';
const SUBSTITUTIONS = {
  WorkFunctionArn: WORK_ARN,
  BakeFunctionArn: 'bake',
  TickFunctionArn: 'tick',
  WatchFunctionArn: 'watch',
  ApprovalFunctionArn: 'approval',
};
const s = (seconds: number): number => START + seconds * 1000;

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

function named(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** States entered, with virtual seconds since START. */
function entered(rec: ExecutionRecord): Array<[string, number]> {
  return rec.statesEntered.map((e) => [e.name, (e.at - START) / 1000]);
}

interface PipelineOptions {
  readonly prepare?: (payload: { input: Record<string, unknown>; startedAt: string; executionId: string }) => Promise<unknown>;
  readonly runner?: LocalRunnerOptions;
}

/** The pipeline fixture with a 'work' and a 'bake' function; the bake records its task tokens. */
function pipeline(options: PipelineOptions = {}) {
  const runner = new LocalRunner(options.runner);
  const { stateMachineArn } = runner.registerStateMachine({
    name: 'pipeline',
    definition: fixture('pipeline.asl.json'),
    substitutions: SUBSTITUTIONS,
  });
  const tokens: string[] = [];
  const calls: string[] = [];
  const prepareCalls: Array<{ at: number; payload: unknown }> = [];
  runner.registerFunction(WORK_ARN, async (payload) => {
    const p = payload as { action: string; input: Record<string, unknown>; percent: number; startedAt: string; executionId: string };
    calls.push(`call:${p.action}`);
    if (p.action === 'prepare') {
      prepareCalls.push({ at: runner.clock.now(), payload });
      return options.prepare ? options.prepare(p) : { ...p.input };
    }
    return { shifted: p.percent };
  });
  runner.registerFunction('bake', async (payload) => {
    const p = payload as { taskToken: string };
    calls.push('call:bake');
    tokens.push(p.taskToken);
    return { stored: true };
  });
  const start = (input: Record<string, unknown>, name?: string) =>
    runner.startExecution({ stateMachineArn, input: JSON.stringify(input), ...(name === undefined ? {} : { name }) });
  return { runner, clock: runner.clock, stateMachineArn, tokens, calls, prepareCalls, start };
}

const TWO_STEPS = { steps: [{ percent: 10 }, { percent: 100 }] };

describe('LocalRunner: the pipeline fixture on the virtual clock', () => {
  it('runs Wait(300 s) and a callback answered 60 s into the bake in well under a second of wall time', async () => {
    // Prepare
    const { runner, clock, tokens, start } = pipeline();
    const { executionArn, startDate } = await start(TWO_STEPS);
    clock.at(s(360), () => runner.sendTaskSuccess(tokens[0] as string, JSON.stringify({ verdict: 'promote' })), {
      label: 'operator promotes',
    });

    // Act
    const wallStart = performance.now();
    const report = await runner.runUntilQuiescent();
    const wallMs = performance.now() - wallStart;

    // Assess
    const rec = runner.getExecution(executionArn);
    expect(report.outcome).toBe('quiescent');
    expect(rec.status).toBe('SUCCEEDED');
    expect(startDate.getTime()).toBe(START);
    expect(rec.stopMs).toBe(s(360));
    expect(clock.now() - START).toBeGreaterThanOrEqual(300_000);
    expect(wallMs).toBeLessThan(1000);
    expect(JSON.parse(rec.output as string)).toEqual({
      ...TWO_STEPS,
      signal: { verdict: 'promote' },
      shifted: [{ shifted: 10 }, { shifted: 100 }],
    });
    expect(entered(rec)).toEqual([
      ['Prepare', 0],
      ['Route', 0],
      ['Pause', 0],
      ['Bake', 300],
      ['Steps', 360],
      ['Shift', 360],
      ['Shift', 360],
      ['Done', 360],
    ]);
    expect(rec.transitions).toBe(8);
    expect(rec.lambdaInvocations).toBe(4);
  });

  it('gives the handlers the execution id and the VIRTUAL start time through the context object', async () => {
    const { runner, prepareCalls, start } = pipeline();
    const { executionArn } = await start(TWO_STEPS, 'release-42');

    await runner.runUntilQuiescent();

    expect(executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:pipeline:release-42');
    expect(prepareCalls[0]?.payload).toMatchObject({
      executionId: executionArn,
      startedAt: '2026-01-01T00:00:00.000Z',
      input: TWO_STEPS,
    });
  });

  it('a SendTaskFailure with a named error is caught by that name (AlarmTriggered -> RolledBack)', async () => {
    const { runner, clock, tokens, start } = pipeline();
    const { executionArn } = await start(TWO_STEPS);
    clock.at(s(420), () => runner.sendTaskFailure(tokens[0] as string, 'AlarmTriggered', 'alarm cpu-high went to ALARM'));

    await runner.runUntilQuiescent();

    const rec = runner.getExecution(executionArn);
    expect(rec.status).toBe('FAILED');
    expect(rec.error).toBe('RolledBack');
    expect(rec.cause).toBe('alarm cpu-high went to ALARM');
    expect(rec.stopMs).toBe(s(420));
    expect(entered(rec).map(([n]) => n)).toEqual(['Prepare', 'Route', 'Pause', 'Bake', 'RolledBack']);
    const described = await runner.describeExecution(executionArn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'RolledBack', stopDate: new Date(s(420)) });
  });

  it('a callback nobody answers times out on the virtual clock as States.Timeout (not States.TaskFailed)', async () => {
    const { runner, tokens, start } = pipeline();
    const { executionArn } = await start(TWO_STEPS);

    await runner.runUntilQuiescent();

    const rec = runner.getExecution(executionArn);
    expect(rec.status).toBe('SUCCEEDED');
    // The fixture lists a States.TaskFailed catcher before the States.Timeout one: Step Functions
    // does not let States.TaskFailed match a timeout, and neither does the runner.
    expect(JSON.parse(rec.output as string).bakeTimeout).toMatchObject({ Error: 'States.Timeout' });
    expect(entered(rec)).toContainEqual(['Steps', 600]);
    expect(rec.stopMs).toBe(s(600));
    await expect(runner.sendTaskSuccess(tokens[0] as string, '{}')).rejects.toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
  });

  it('skips the Wait when the Choice says so', async () => {
    const { runner, clock, tokens, start } = pipeline();
    const { executionArn } = await start({ ...TWO_STEPS, skipPause: true });
    clock.at(s(10), () => runner.sendTaskSuccess(tokens[0] as string, '"ok"'));

    await runner.runUntilQuiescent();

    const rec = runner.getExecution(executionArn);
    expect(entered(rec).map(([n]) => n)).toEqual(['Prepare', 'Route', 'Bake', 'Steps', 'Shift', 'Shift', 'Done']);
    expect(rec.stopMs).toBe(s(10));
  });
});

describe('LocalRunner: Retry and Catch of Lambda errors', () => {
  it('retries an error named AwsThrottled per the Retry block, backing off on the virtual clock', async () => {
    // Prepare: throttled twice, then fine
    let throttles = 2;
    const { runner, clock, tokens, prepareCalls, start } = pipeline({
      prepare: async (p) => {
        if (throttles-- > 0) throw named('AwsThrottled', 'Rate exceeded');
        return p.input;
      },
    });
    const { executionArn } = await start({ ...TWO_STEPS, skipPause: true });
    clock.at(s(100), () => runner.sendTaskSuccess(tokens[0] as string, '{}'));

    // Act
    await runner.runUntilQuiescent();

    // Assess: IntervalSeconds 2, BackoffRate 2 -> attempts at 0 s, 2 s, 6 s
    const rec = runner.getExecution(executionArn);
    expect(rec.status).toBe('SUCCEEDED');
    expect(prepareCalls.map((c) => (c.at - START) / 1000)).toEqual([0, 2, 6]);
    expect(rec.history.filter((h) => h.kind === 'StateRetried')).toEqual([
      expect.objectContaining({ stateName: 'Prepare', attempt: 1, delayMs: 2000, error: 'AwsThrottled' }),
      expect.objectContaining({ stateName: 'Prepare', attempt: 2, delayMs: 4000, error: 'AwsThrottled' }),
    ]);
    expect(entered(rec)[1]).toEqual(['Route', 6]);
    // 7 states entered + 2 retries
    expect(rec.transitions).toBe(9);
    expect(rec.retries).toBe(2);
  });

  it('stops retrying at MaxAttempts and hands the Catch a Lambda-style error (name + JSON cause)', async () => {
    const { runner, prepareCalls, start } = pipeline({
      prepare: async () => {
        throw named('AwsThrottled', 'Rate exceeded');
      },
    });
    const { executionArn } = await start(TWO_STEPS);

    await runner.runUntilQuiescent();

    const rec = runner.getExecution(executionArn);
    expect(prepareCalls).toHaveLength(4); // 1 + MaxAttempts 3
    expect(rec.status).toBe('FAILED');
    expect(rec.error).toBe('PrepareFailed');
    expect(JSON.parse(rec.cause as string)).toEqual({ errorType: 'AwsThrottled', errorMessage: 'Rate exceeded', trace: [] });
    expect(entered(rec).map(([n]) => n)).toEqual(['Prepare', 'PrepareFailed']);
    expect(rec.stopMs).toBe(s(2 + 4 + 8));
  });

  it('does not retry an error no retrier names; the Catch takes it at once', async () => {
    const { runner, prepareCalls, start } = pipeline({
      prepare: async () => {
        throw named('ValidationError', 'bad input');
      },
    });
    const { executionArn } = await start(TWO_STEPS);

    await runner.runUntilQuiescent();

    expect(prepareCalls).toHaveLength(1);
    expect(runner.getExecution(executionArn)).toMatchObject({ status: 'FAILED', error: 'PrepareFailed', stopMs: START });
  });
});

describe('LocalRunner: executions side by side', () => {
  it('interleaves two executions: one waits while the other runs', async () => {
    // Prepare
    const { runner, clock, tokens, start } = pipeline();
    const ticker = runner.registerStateMachine({ name: 'ticker', definition: fixture('ticker.asl.json'), substitutions: SUBSTITUTIONS });
    runner.registerFunction('tick', async () => ({ at: clock.now() }));
    const statusOfAWhenBFinished: string[] = [];
    const a = await start(TWO_STEPS, 'a');
    let bArn = '';
    clock.at(s(100), async () => {
      bArn = (await runner.startExecution({ stateMachineArn: ticker.stateMachineArn, name: 'b', input: '{"holdSeconds":50,"label":"b"}' })).executionArn;
    });
    runner.onExecutionFinished(async (rec) => {
      if (rec.name === 'b') statusOfAWhenBFinished.push(runner.getExecution(a.executionArn).status);
    });
    clock.at(s(320), () => runner.sendTaskSuccess(tokens[0] as string, '{}'));

    // Act
    await runner.runUntilQuiescent();

    // Assess
    const recA = runner.getExecution(a.executionArn);
    const recB = runner.getExecution(bArn);
    expect(recB).toMatchObject({ status: 'SUCCEEDED', startMs: s(100), stopMs: s(150) });
    expect(JSON.parse(recB.output as string).tick).toEqual({ tickedAt: s(150) });
    expect(statusOfAWhenBFinished).toEqual(['RUNNING']);
    expect(recA).toMatchObject({ status: 'SUCCEEDED', stopMs: s(320) });
    expect(entered(recA)).toContainEqual(['Bake', 300]);
  });

  it('starting the same name again returns the running execution for the same input, else ExecutionAlreadyExists', async () => {
    const { runner, start } = pipeline();
    const first = await start(TWO_STEPS, 'once');

    const again = await start(TWO_STEPS, 'once');
    expect(again.executionArn).toBe(first.executionArn);
    await expect(start({ steps: [] }, 'once')).rejects.toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));

    await runner.runUntilQuiescent();
    expect(runner.getExecution(first.executionArn).status).not.toBe('RUNNING');
    // Like AWS: once closed, even the identical input is rejected.
    await expect(start(TWO_STEPS, 'once')).rejects.toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
    expect(runner.listExecutions()).toHaveLength(1);
  });

  it('generates deterministic names and tokens: two identical runs have identical histories', async () => {
    const run = async () => {
      const { runner, clock, tokens, start } = pipeline();
      const { executionArn } = await start(TWO_STEPS);
      clock.at(s(330), () => runner.sendTaskSuccess(tokens[0] as string, '{}'));
      await runner.runUntilQuiescent();
      return { executionArn, history: runner.getExecution(executionArn).history };
    };

    const [one, two] = [await run(), await run()];

    expect(one.executionArn).toMatch(/:execution:pipeline:exec-000001$/);
    expect(two).toEqual(one);
  });
});

describe('LocalRunner: stopping, tokens and errors', () => {
  it('stopExecution gives ABORTED without running Catch, and closes the task token', async () => {
    const { runner, clock, tokens, start } = pipeline();
    const { executionArn } = await start(TWO_STEPS);
    clock.at(s(400), () => runner.stopExecution(executionArn, 'Aborted', 'operator said stop'));

    const report = await runner.runUntilQuiescent();

    const rec = runner.getExecution(executionArn);
    expect(report.outcome).toBe('quiescent');
    expect(rec).toMatchObject({ status: 'ABORTED', error: 'Aborted', cause: 'operator said stop', stopMs: s(400) });
    expect(entered(rec).map(([n]) => n)).toEqual(['Prepare', 'Route', 'Pause', 'Bake']);
    expect(rec.history.some((h) => h.kind === 'StateCaught')).toBe(false);
    expect(clock.pendingTimers()).toEqual([]);
    expect(runner.openTaskTokens()).toEqual([]);
    await expect(runner.sendTaskSuccess(tokens[0] as string, '{}')).rejects.toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
    // Stopping again is a no-op.
    await expect(runner.stopExecution(executionArn)).resolves.toBeUndefined();
  });

  it('rejects unknown tokens (TaskDoesNotExist) and non-JSON output (InvalidOutput)', async () => {
    const { runner, tokens, start } = pipeline();
    await start({ ...TWO_STEPS, skipPause: true });
    await runner.settle();

    await expect(runner.sendTaskSuccess('no-such-token', '{}')).rejects.toThrow(expect.objectContaining({ name: 'TaskDoesNotExist' }));
    await expect(runner.sendTaskFailure('no-such-token', 'X', 'y')).rejects.toThrow(SfnApiError);
    await expect(runner.sendTaskSuccess(tokens[0] as string, 'not json')).rejects.toThrow(expect.objectContaining({ name: 'InvalidOutput' }));
    expect(runner.openTaskTokens()).toEqual([expect.objectContaining({ token: tokens[0], stateName: 'Bake' })]);
    runner.dispose();
  });

  const duplicateCases: Array<{ name: string; closedTokens?: 'throw' | 'ignore-duplicates'; expectThrow: boolean }> = [
    { name: 'by default (like AWS) a duplicate SendTaskSuccess is TaskTimedOut', expectThrow: true },
    { name: "with closedTokens: 'ignore-duplicates' it is a no-op", closedTokens: 'ignore-duplicates', expectThrow: false },
  ];
  it.each(duplicateCases)('$name', async ({ closedTokens, expectThrow }) => {
    const { runner, tokens, start } = pipeline({ runner: closedTokens === undefined ? {} : { closedTokens } });
    const { executionArn } = await start({ ...TWO_STEPS, skipPause: true });
    await runner.settle();
    await runner.sendTaskSuccess(tokens[0] as string, '{"first":true}');

    const duplicate = runner.sendTaskSuccess(tokens[0] as string, '{"second":true}');

    if (expectThrow) await expect(duplicate).rejects.toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
    else await expect(duplicate).resolves.toBeUndefined();
    await runner.runUntilQuiescent();
    expect(JSON.parse(runner.getExecution(executionArn).output as string).signal).toEqual({ first: true });
  });

  it('a Lambda function that is not registered fails the execution with States.Runtime and fails the run loudly', async () => {
    const runner = new LocalRunner();
    const { stateMachineArn } = runner.registerStateMachine({ name: 'ticker', definition: fixture('ticker.asl.json'), substitutions: SUBSTITUTIONS });
    const { executionArn } = await runner.startExecution({ stateMachineArn, input: '{"holdSeconds":1,"label":"x"}' });

    await expect(runner.runUntilQuiescent()).rejects.toThrow(/'tick' is not registered/);

    expect(runner.getExecution(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });

  it('rejects ASL it cannot run faithfully, and unresolved substitutions', () => {
    const runner = new LocalRunner();
    const withAssign = {
      StartAt: 'P',
      States: { P: { Type: 'Pass', Assign: { x: 1 }, End: true } },
    };
    expect(() => runner.registerStateMachine({ name: 'vars', definition: withAssign, validate: false })).toThrow(UnsupportedAslError);
    expect(() => runner.registerStateMachine({ name: 'subs', definition: fixture('ticker.asl.json') })).toThrow(/\$\{TickFunctionArn\}/);
  });
});

describe('LocalRunner: hooks, scopes and run limits', () => {
  it('runs onStateExited hooks after each state and before the next Task function', async () => {
    const { runner, clock, tokens, calls, start } = pipeline();
    runner.onStateExited(async (info) => {
      await new Promise((resolve) => setImmediate(resolve)); // a hook that does real async work
      calls.push(`exit:${info.stateName}@${(info.at - START) / 1000}`);
    });
    await start({ steps: [{ percent: 100 }] });
    clock.at(s(301), () => runner.sendTaskSuccess(tokens[0] as string, '{}'));

    await runner.runUntilQuiescent();

    expect(calls).toEqual([
      'call:prepare',
      'exit:Prepare@0',
      'exit:Route@0',
      'exit:Pause@300',
      'call:bake',
      'exit:Bake@301',
      'call:shift',
      'exit:Shift@301',
      'exit:Steps@301',
      'exit:Done@301',
    ]);
  });

  it('runs Parallel branches on the clock; heartbeats keep a callback alive until they stop', async () => {
    // Prepare
    const runner = new LocalRunner();
    const { stateMachineArn } = runner.registerStateMachine({
      name: 'parallel',
      definition: fixture('parallel-heartbeat.asl.json'),
      substitutions: SUBSTITUTIONS,
    });
    let token = '';
    runner.registerFunction('watch', async (payload) => {
      token = (payload as { token: string }).token;
      return null;
    });
    runner.clock.at(s(50), () => runner.sendTaskHeartbeat(token));
    runner.clock.at(s(100), () => runner.sendTaskHeartbeat(token));
    const { executionArn } = await runner.startExecution({ stateMachineArn, input: '{}' });

    // Act
    await runner.runUntilQuiescent();

    // Assess: last heartbeat at 100 s + HeartbeatSeconds 60 -> States.HeartbeatTimeout at 160 s,
    // caught by the catcher that names States.Timeout.
    const rec = runner.getExecution(executionArn);
    expect(rec.status).toBe('SUCCEEDED');
    expect(rec.stopMs).toBe(s(160));
    const [watched, lingered] = JSON.parse(rec.output as string) as [{ timedOut: { Error: string } }, unknown];
    expect(watched.timedOut.Error).toBe('States.HeartbeatTimeout');
    expect(lingered).toEqual({});
    expect(entered(rec)).toEqual([
      ['Fork', 0],
      ['Watch', 0],
      ['Linger', 0],
      ['Watched', 160],
    ]);
  });

  it('binds a state name repeated in two branches per branch (definitions registered with validate: false)', async () => {
    const runner = new LocalRunner();
    const { stateMachineArn } = runner.registerStateMachine({
      name: 'dupes',
      definition: fixture('duplicate-names.asl.json'),
      substitutions: SUBSTITUTIONS,
      validate: false,
    });
    runner.registerFunction('tick', async () => ({ tickedAt: runner.clock.now() }));
    const { executionArn } = await runner.startExecution({ stateMachineArn, input: '{}' });

    await runner.runUntilQuiescent();

    const rec = runner.getExecution(executionArn);
    expect(JSON.parse(rec.output as string)).toEqual([{ tickedAt: START }, {}]);
    expect(rec.stopMs).toBe(s(30));
    const exits = rec.history.flatMap((h) => (h.kind === 'StateExited' && h.stateName === 'Step' ? [[h.stateType, (h.at - START) / 1000]] : []));
    expect(exits).toEqual([
      ['Task', 0],
      ['Wait', 30],
    ]);
  });

  it('stops at maxVirtualMs, reports what is still running, and enforces the execution TimeoutSeconds', async () => {
    // Prepare: an approval with no task timeout, in a machine with a 2-hour execution timeout
    const runner = new LocalRunner();
    const definition = { ...(fixture('approval.asl.json') as object), TimeoutSeconds: 7200 };
    const { stateMachineArn } = runner.registerStateMachine({ name: 'approval', definition, substitutions: SUBSTITUTIONS });
    runner.registerFunction('approval', async () => null);
    runner.clock.every(60_000, () => {}, { label: 'metrics tick' });
    const { executionArn } = await runner.startExecution({ stateMachineArn, input: '{}', name: 'waiting' });

    // Act + Assess: an hour later it is still waiting
    const first = await runner.runUntilQuiescent({ maxVirtualMs: 3600_000 });
    expect(first.outcome).toBe('maxVirtualMs');
    expect(first.running).toEqual([{ executionArn, name: 'waiting', openStates: ['Approve'] }]);
    expect(runner.clock.now()).toBe(s(3600));

    // Act + Assess: the execution times out at 2 hours
    const second = await runner.runUntilQuiescent();
    expect(second.outcome).toBe('quiescent');
    expect(runner.getExecution(executionArn)).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout', stopMs: s(7200) });
  });

  it('reports stalled when running executions can never wake up', async () => {
    const runner = new LocalRunner();
    const { stateMachineArn } = runner.registerStateMachine({
      name: 'approval',
      definition: fixture('approval.asl.json'),
      substitutions: SUBSTITUTIONS,
    });
    runner.registerFunction('approval', async () => null);
    await runner.startExecution({ stateMachineArn, input: '{}' });

    const report = await runner.runUntilQuiescent();

    expect(report.outcome).toBe('stalled');
    expect(report.running.map((r) => r.openStates)).toEqual([['Approve']]);
    expect(report.endedAt).toBe(START);
    runner.dispose();
  });

  it('invokeAsync keeps the clock still while real async work runs', async () => {
    const runner = new LocalRunner();
    const seen: number[] = [];
    runner.clock.at(s(10), () => {
      void runner.invokeAsync('eventbridge target', async () => {
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 2)); // real I/O-ish
        seen.push(runner.clock.now());
      });
    });
    runner.clock.at(s(20), () => void seen.push(runner.clock.now()));

    await runner.runUntilQuiescent();

    expect(seen).toEqual([s(10), s(20)]);
  });
});

describe('LocalRunner: time only moves when nothing is busy', () => {
  it("never moves virtual time during a Task function's real async work", async () => {
    // Prepare: three tickers holding 1, 2 and 3 s while each tick does real (macrotask) async work
    const runner = new LocalRunner();
    const { stateMachineArn } = runner.registerStateMachine({ name: 'ticker', definition: fixture('ticker.asl.json'), substitutions: SUBSTITUTIONS });
    const drift: number[] = [];
    runner.registerFunction('tick', async () => {
      const before = runner.clock.now();
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 3));
      drift.push(runner.clock.now() - before);
      return { at: before };
    });
    runner.clock.every(500, () => {}, { label: 'background ticker' });
    for (const hold of [1, 2, 3]) {
      await runner.startExecution({ stateMachineArn, input: JSON.stringify({ holdSeconds: hold, label: `t${hold}` }) });
    }

    // Act
    await runner.runUntilQuiescent();

    // Assess
    expect(drift).toEqual([0, 0, 0]);
    expect(runner.listExecutions().map((e) => [e.status, (e.stopMs as number) - START])).toEqual([
      ['SUCCEEDED', 1000],
      ['SUCCEEDED', 2000],
      ['SUCCEEDED', 3000],
    ]);
  });

  it('runFor drives the clock for a fixed span and leaves later work pending', async () => {
    const runner = new LocalRunner();
    const { stateMachineArn } = runner.registerStateMachine({ name: 'ticker', definition: fixture('ticker.asl.json'), substitutions: SUBSTITUTIONS });
    runner.registerFunction('tick', async () => ({ at: runner.clock.now() }));
    const { executionArn } = await runner.startExecution({ stateMachineArn, input: '{"holdSeconds":50,"label":"x"}' });

    const first = await runner.runFor(30_000);
    expect(first.outcome).toBe('maxVirtualMs');
    expect(runner.getExecution(executionArn)).toMatchObject({ status: 'RUNNING', openStates: ['Hold'] });
    expect(runner.clock.now()).toBe(s(30));

    const second = await runner.runFor(30_000);
    expect(second.outcome).toBe('quiescent');
    expect(runner.getExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED', stopMs: s(50) });
    expect(runner.clock.now()).toBe(s(60));
  });

  it('numbers the states of Map iterations', async () => {
    const { runner, clock, tokens, start } = pipeline();
    const { executionArn } = await start({ ...TWO_STEPS, skipPause: true });
    clock.at(s(1), () => runner.sendTaskSuccess(tokens[0] as string, '{}'));

    await runner.runUntilQuiescent();

    const shifts = runner.getExecution(executionArn).statesEntered.filter((e) => e.name === 'Shift');
    expect(shifts.map((e) => e.mapIndex)).toEqual([0, 1]);
  });
});

describe('runner helpers', () => {
  it('decideRetry follows the Step Functions matching and backoff rules', () => {
    const retriers = [
      { ErrorEquals: ['States.Timeout'], MaxAttempts: 1, IntervalSeconds: 5 },
      { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, BackoffRate: 3, MaxDelaySeconds: 5, MaxAttempts: 4 },
    ];
    const attempts = [0, 0];
    const never = () => 0.5;

    expect(decideRetry(retriers, attempts, 'Boom', never)).toEqual({ retrierIndex: 1, attempt: 1, delayMs: 1000 });
    expect(decideRetry(retriers, attempts, 'Boom', never)).toEqual({ retrierIndex: 1, attempt: 2, delayMs: 3000 });
    expect(decideRetry(retriers, attempts, 'Boom', never)).toEqual({ retrierIndex: 1, attempt: 3, delayMs: 5000 });
    expect(decideRetry(retriers, attempts, 'States.HeartbeatTimeout', never)).toEqual({ retrierIndex: 0, attempt: 1, delayMs: 5000 });
    expect(decideRetry(retriers, attempts, 'States.Timeout', never)).toBeUndefined();
    expect(decideRetry([{ ErrorEquals: ['X'], JitterStrategy: 'FULL', IntervalSeconds: 10 }], [0], 'X', () => 0.25)).toMatchObject({
      delayMs: 2500,
    });
    expect(decideRetry([{ ErrorEquals: ['X'], MaxAttempts: 0 }], [0], 'X', never)).toBeUndefined();
  });

  it('readReferencePath reads input and context paths', () => {
    const input = { a: { b: [10, { 'c d': 'x' }] } };
    expect(readReferencePath('$.a.b[0]', input, {})).toBe(10);
    expect(readReferencePath("$.a.b[1]['c d']", input, {})).toBe('x');
    expect(readReferencePath('$.a.missing', input, {})).toBeUndefined();
    expect(readReferencePath('$$.Execution.Id', input, { Execution: { Id: 'arn' } })).toBe('arn');
    expect(readReferencePath('$', input, {})).toBe(input);
  });

  it('lambdaFunctionKey matches ARNs, partial ARNs, qualifiers and names', () => {
    expect(lambdaFunctionKey('arn:aws:lambda:us-east-1:123456789012:function:work')).toBe('work');
    expect(lambdaFunctionKey('arn:aws:lambda:us-east-1:123456789012:function:work:live')).toBe('work');
    expect(lambdaFunctionKey('123456789012:function:work')).toBe('work');
    expect(lambdaFunctionKey('work:$LATEST')).toBe('work');
    expect(lambdaFunctionKey('work')).toBe('work');
  });
});
