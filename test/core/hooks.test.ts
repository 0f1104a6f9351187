/** Lifecycle hooks, the pure parts: which hooks run where, how an answer is read, what happens next. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CALLBACK_DELAY_SECONDS,
  decideHook,
  deployHooks,
  type HookLimits,
  type HookProgress,
  type HookRef,
  type HookReply,
  parseHookAnswer,
  progressFor,
} from '../../functions/core/hooks.js';

const arn = (n: string) => `arn:aws:lambda:us-east-1:123456789012:function:${n}`;
const LIMITS: HookLimits = { timeoutSeconds: 300, invocationTimeoutSeconds: 30, maxCallBackDelaySeconds: 120 };
const T = Date.parse('2026-01-01T00:00:00Z');
const HOOKS: HookRef[] = [
  { stage: 'afterHealthy', functionArn: arn('warm') },
  { stage: 'afterTestTraffic', functionArn: arn('smoke') },
];
const answered = (answer: unknown): HookReply => ({ kind: 'answered', answer });

describe('deployHooks', () => {
  const lists = { afterHealthy: [arn('a')], afterTestTraffic: [arn('b'), arn('c')], beforeShift: [arn('d')], afterFullTraffic: [] };
  it('preTraffic runs afterHealthy then afterTestTraffic, in the configured order', () => {
    expect(deployHooks(lists, 'preTraffic')).toEqual([
      { stage: 'afterHealthy', functionArn: arn('a') },
      { stage: 'afterTestTraffic', functionArn: arn('b') },
      { stage: 'afterTestTraffic', functionArn: arn('c') },
    ]);
  });
  it('beforeShift and afterFullTraffic are their own lists', () => {
    expect(deployHooks(lists, 'beforeShift')).toEqual([{ stage: 'beforeShift', functionArn: arn('d') }]);
    expect(deployHooks(lists, 'afterFullTraffic')).toEqual([]);
  });
});

describe('parseHookAnswer (the ECS lifecycle-hook answer)', () => {
  it.each([
    [{ hookStatus: 'SUCCEEDED' }, { kind: 'pass' }],
    [{ hookStatus: 'SUCCEEDED', hookDetails: { checks: 12 } }, { kind: 'pass' }],
    [{ hookStatus: 'FAILED', reason: 'smoke test failed' }, { kind: 'fail', reason: 'smoke test failed' }],
    [{ hookStatus: 'FAILED', hookDetails: { reason: 'p99 too high' } }, { kind: 'fail', reason: 'p99 too high' }],
    [{ hookStatus: 'FAILED' }, { kind: 'fail', reason: 'no reason given' }],
    [{ hookStatus: 'IN_PROGRESS', callBackDelay: 60 }, { kind: 'ask-again', delaySeconds: 60 }],
    [{ hookStatus: 'IN_PROGRESS' }, { kind: 'ask-again' }],
  ])('%j -> %j', (raw, expected) => {
    expect(parseHookAnswer(raw)).toEqual(expected);
  });

  it.each([null, 'SUCCEEDED', { status: 'SUCCEEDED' }, { hookStatus: 'succeeded' }, { hookStatus: 'IN_PROGRESS', callBackDelay: -1 }])('%j is invalid, quoting the answer', (raw) => {
    const answer = parseHookAnswer(raw);
    expect(answer.kind).toBe('invalid');
    if (answer.kind === 'invalid') expect(answer.problem).toContain('expected {"hookStatus"');
  });
});

describe('decideHook', () => {
  const start = progressFor(undefined, 'preTraffic');
  const decide = (reply: HookReply, progress: HookProgress = start, nowMs = T + 1000, invokedAtMs = T) =>
    decideHook({ hooks: HOOKS, progress, reply, invokedAtMs, nowMs, limits: LIMITS });

  it('a pass moves to the next hook at once, and the last pass is done', () => {
    const first = decide(answered({ hookStatus: 'SUCCEEDED' }));
    expect(first).toEqual({ kind: 'progress', answer: 'pass', progress: { ...start, index: 1, status: 'invoke' } });
    const last = decide(answered({ hookStatus: 'SUCCEEDED' }), first.kind === 'progress' ? first.progress : start);
    expect(last).toMatchObject({ kind: 'progress', progress: { index: 1, status: 'done' } });
  });

  it('ask again: waits its callBackDelay, capped at maxCallBackDelaySeconds; 30 s without one', () => {
    expect(decide(answered({ hookStatus: 'IN_PROGRESS', callBackDelay: 45 }))).toMatchObject({ progress: { status: 'wait', waitSeconds: 45, attempt: 1, startedMs: T } });
    expect(decide(answered({ hookStatus: 'IN_PROGRESS', callBackDelay: 900 }))).toMatchObject({ progress: { waitSeconds: 120 } });
    expect(decide(answered({ hookStatus: 'IN_PROGRESS', callBackDelay: 0 }))).toMatchObject({ progress: { waitSeconds: 1 } });
    expect(decide(answered({ hookStatus: 'IN_PROGRESS' }))).toMatchObject({ progress: { waitSeconds: DEFAULT_CALLBACK_DELAY_SECONDS } });
  });

  it('ask again never waits past timeoutSeconds after the first invocation, and fails once they passed', () => {
    const asked: HookProgress = { ...start, attempt: 3, startedMs: T, status: 'wait', waitSeconds: 60 };
    expect(decide(answered({ hookStatus: 'IN_PROGRESS', callBackDelay: 60 }), asked, T + 280_000)).toMatchObject({ progress: { waitSeconds: 20, attempt: 4, startedMs: T } });
    const late = decide(answered({ hookStatus: 'IN_PROGRESS' }), asked, T + 300_000);
    expect(late).toMatchObject({ kind: 'failed', message: expect.stringMatching(/function:warm \(afterHealthy\) did not pass within 300 s .* IN_PROGRESS 4 times/) });
  });

  it.each<[string, HookReply, RegExp]>([
    ['a FAILED answer', answered({ hookStatus: 'FAILED', reason: 'GET / -> 503' }), /function:warm \(afterHealthy\) failed: GET \/ -> 503$/],
    ['a function error', { kind: 'error', errorType: 'TypeError', message: 'x is undefined' }, /failed: TypeError: x is undefined/],
    ['no answer in time', { kind: 'timeout' }, /did not answer within 30 s \(invocationTimeoutSeconds\)/],
    ['nonsense', answered({ ok: true }), /answered \{"ok":true\}; expected/],
  ])('%s fails, naming the hook and its stage', (_name, reply, message) => {
    const decision = decide(reply);
    expect(decision.kind).toBe('failed');
    if (decision.kind === 'failed') {
      expect(decision.message).toMatch(message);
      expect(decision.details).toMatchObject({ stage: 'afterHealthy', functionArn: arn('warm'), attempt: 1 });
    }
  });

  it('property: whatever the hooks answer, a phase ends (done or failed) and no wait exceeds the cap or the time left', () => {
    const reply = fc.oneof(
      fc.constant(answered({ hookStatus: 'SUCCEEDED' })),
      fc.record({ hookStatus: fc.constant('IN_PROGRESS'), callBackDelay: fc.nat(2000) }).map(answered),
      fc.constant(answered({ hookStatus: 'FAILED' })),
      fc.constant<HookReply>({ kind: 'timeout' }),
    );
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 400 }), (replies) => {
        let progress = start;
        let now = T;
        for (const r of replies) {
          const d = decideHook({ hooks: HOOKS, progress, reply: r, invokedAtMs: now, nowMs: now, limits: LIMITS });
          if (d.kind === 'failed') return;
          progress = d.progress;
          if (progress.status === 'done') return;
          if (progress.status === 'wait') {
            expect(progress.waitSeconds).toBeGreaterThanOrEqual(1);
            expect(progress.waitSeconds).toBeLessThanOrEqual(LIMITS.maxCallBackDelaySeconds);
            expect(now + progress.waitSeconds * 1000).toBeLessThanOrEqual(progress.startedMs + LIMITS.timeoutSeconds * 1000);
            now += progress.waitSeconds * 1000;
          }
        }
        // Not over yet: only because the replies ran out, never past the deadline.
        expect(now).toBeLessThanOrEqual(T + HOOKS.length * LIMITS.timeoutSeconds * 1000);
      }),
    );
  });
});

describe('progressFor', () => {
  it('continues the same point, starts fresh at another phase or step', () => {
    const waiting: HookProgress = { phase: 'beforeShift', step: 0, index: 0, attempt: 2, startedMs: T, status: 'wait', waitSeconds: 30 };
    expect(progressFor(waiting, 'beforeShift', 0)).toBe(waiting);
    expect(progressFor(waiting, 'beforeShift', 2)).toEqual({ phase: 'beforeShift', step: 2, index: 0, attempt: 0, startedMs: 0, status: 'invoke', waitSeconds: 0 });
    expect(progressFor(waiting, 'afterFullTraffic', 0)).toMatchObject({ phase: 'afterFullTraffic', attempt: 0 });
  });
});
