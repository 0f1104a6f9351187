import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_START_MS, VirtualClockImpl } from '../../local/clock.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('VirtualClockImpl time and timers', () => {
  it('starts at 2026-01-01T00:00:00Z unless told otherwise', () => {
    expect(new VirtualClockImpl().now()).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(DEFAULT_START_MS).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(new VirtualClockImpl(42).now()).toBe(42);
  });

  it('fires timers in (time, insertion) order', () => {
    // Prepare
    const clock = new VirtualClockImpl(0);
    const fired: string[] = [];
    clock.at(20, () => void fired.push('b@20'));
    clock.at(10, () => void fired.push('a@10'));
    clock.at(20, () => void fired.push('c@20'));
    clock.at(5, () => void fired.push('z@5'));

    // Act
    while (clock.advance() !== undefined) {
      /* drain */
    }

    // Assess
    expect(fired).toEqual(['z@5', 'a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(20);
  });

  it('advance jumps to the earliest timer and fires everything due then, nothing later', () => {
    const clock = new VirtualClockImpl(1000);
    const fired: number[] = [];
    clock.at(1500, () => void fired.push(1));
    clock.at(1500, () => void fired.push(2));
    clock.at(1600, () => void fired.push(3));

    const t = clock.advance();

    expect(t).toBe(1500);
    expect(clock.now()).toBe(1500);
    expect(fired).toEqual([1, 2]);
    expect(clock.pendingTimers().map((p) => p.at)).toEqual([1600]);
  });

  it('fires, in the same advance, a timer a callback schedules for the same instant', () => {
    const clock = new VirtualClockImpl(0);
    const fired: string[] = [];
    clock.at(10, () => {
      fired.push('first');
      clock.at(10, () => void fired.push('same instant'));
    });

    clock.advance();

    expect(fired).toEqual(['first', 'same instant']);
  });

  it('advance keeps time and returns undefined when nothing is pending', () => {
    const clock = new VirtualClockImpl(7);
    expect(clock.advance()).toBeUndefined();
    expect(clock.now()).toBe(7);
  });

  it('a timer set in the past fires at the next advance without moving time backwards', () => {
    const clock = new VirtualClockImpl(100);
    let firedAt: number | undefined;
    clock.at(50, () => {
      firedAt = clock.now();
    });

    clock.advance();

    expect(firedAt).toBe(100);
  });

  it('a cancelled timer never fires', () => {
    const clock = new VirtualClockImpl(0);
    const fired: string[] = [];
    const cancel = clock.at(10, () => void fired.push('cancelled'));
    clock.at(20, () => void fired.push('kept'));

    cancel();
    cancel();
    while (clock.advance() !== undefined) {
      /* drain */
    }

    expect(fired).toEqual(['kept']);
  });

  it('every fires periodically as a background timer until cancelled', () => {
    const clock = new VirtualClockImpl(0);
    const ticks: number[] = [];
    const stop = clock.every(60_000, () => void ticks.push(clock.now()));

    expect(clock.pendingTimers()).toEqual([expect.objectContaining({ at: 60_000, background: true, periodMs: 60_000 })]);
    expect(clock.hasForegroundTimers()).toBe(false);
    clock.advance();
    clock.advance();
    clock.advance();
    stop();

    expect(ticks).toEqual([60_000, 120_000, 180_000]);
    expect(clock.pendingTimers()).toEqual([]);
  });

  it('every can be made a foreground timer, and at a background one', () => {
    const clock = new VirtualClockImpl(0);
    clock.every(10, () => {}, { background: false, label: 'poll' });
    clock.at(5, () => {}, { background: true, label: 'ambient' });

    expect(clock.pendingTimers().map((t) => [t.label, t.background])).toEqual([
      ['ambient', true],
      ['poll', false],
    ]);
    expect(clock.hasForegroundTimers()).toBe(true);
  });

  it('rejects a non-positive period', () => {
    const clock = new VirtualClockImpl(0);
    expect(() => clock.every(0, () => {})).toThrow(RangeError);
  });

  it('advanceTo moves time but never skips a pending timer', () => {
    const clock = new VirtualClockImpl(0);
    clock.at(100, () => {});

    clock.advanceTo(100);
    expect(clock.now()).toBe(100);
    expect(() => clock.advanceTo(150)).toThrow(/due earlier/);
  });

  it('sleep resolves after the virtual delay; sleep(0) at the next advance', async () => {
    const clock = new VirtualClockImpl(0);
    const woke: string[] = [];
    void clock.sleep(0).then(() => woke.push(`zero@${clock.now()}`));
    void clock.sleep(30).then(() => woke.push(`thirty@${clock.now()}`));
    await flush();
    expect(woke).toEqual([]);

    clock.advance();
    await flush();
    expect(woke).toEqual(['zero@0']);

    clock.advance();
    await flush();
    expect(woke).toEqual(['zero@0', 'thirty@30']);
  });

  it('timer orders are (time, insertion) for any schedule', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }), (times) => {
        const clock = new VirtualClockImpl(0);
        const fired: Array<{ at: number; i: number }> = [];
        for (const [i, at] of times.entries()) clock.at(at, () => void fired.push({ at: clock.now(), i }));
        while (clock.advance() !== undefined) {
          /* drain */
        }
        const expected = times.map((at, i) => ({ at, i })).sort((a, b) => a.at - b.at || a.i - b.i);
        expect(fired).toEqual(expected);
      }),
    );
  });
});

describe('VirtualClockImpl activities', () => {
  it('an activity is busy while it works, not while it sleeps on the clock, and busy again after', async () => {
    // Prepare
    const clock = new VirtualClockImpl(0);
    let release!: () => void;
    const realWork = new Promise<void>((resolve) => {
      release = resolve;
    });
    const done = clock.track('handler', async () => {
      await realWork; // stands for real I/O
      await clock.sleep(1000);
      await realWork;
      return 'ok';
    });

    // Assess: busy during real work
    expect(clock.busyCount()).toBe(1);
    expect(clock.busyLabels()).toEqual(['handler']);

    // Act + Assess: idle while sleeping
    release();
    await clock.whenIdle();
    expect(clock.busyCount()).toBe(0);
    expect(clock.activityLabels()).toEqual([{ label: 'handler', blocked: true }]);

    clock.advance();
    await expect(done).resolves.toBe('ok');
    expect(clock.activityLabels()).toEqual([]);
  });

  it('a sleep deep inside nested calls blocks the activity it runs in', async () => {
    const clock = new VirtualClockImpl(0);
    const inner = async (): Promise<void> => {
      await Promise.resolve();
      await clock.sleep(5);
    };
    const done = clock.track('outer', async () => {
      await inner();
    });

    await clock.whenIdle();
    expect(clock.busyCount()).toBe(0);
    clock.advance();
    await done;
    expect(clock.now()).toBe(5);
  });

  it('blockedOn marks the activity blocked until the promise settles', async () => {
    const clock = new VirtualClockImpl(0);
    let settle!: (v: number) => void;
    const parked = new Promise<number>((resolve) => {
      settle = resolve;
    });
    const done = clock.track('parked', () => clock.blockedOn(parked));

    await clock.whenIdle();
    expect(clock.busyCount()).toBe(0);
    settle(7);
    await expect(done).resolves.toBe(7);
  });

  it('runs timer callbacks as activities and collects their errors', async () => {
    const clock = new VirtualClockImpl(0);
    let sawActivity: string | undefined;
    clock.at(1, () => {
      sawActivity = clock.currentActivity();
    }, { label: 'scenario event' });
    clock.at(2, async () => {
      await Promise.resolve();
      throw new Error('boom');
    }, { label: 'bad event' });

    clock.advance();
    clock.advance();
    await clock.whenIdle();
    await flush();

    expect(sawActivity).toBe('scenario event');
    const errors = clock.takeErrors();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ label: 'bad event', at: 2, error: expect.objectContaining({ message: 'boom' }) });
    expect(clock.takeErrors()).toEqual([]);
  });

  it('detached work is not attributed to the calling activity', async () => {
    const clock = new VirtualClockImpl(0);
    let inside: string | undefined = 'unset';
    await clock.track('caller', () => {
      clock.detached(() => {
        inside = clock.currentActivity();
      });
    });
    expect(inside).toBeUndefined();
  });
});
