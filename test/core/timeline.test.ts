/**
 * Bounding a deployment's timeline (issue #14, Low): entries are bounded in size, and a full
 * timeline is compacted keeping what the handlers look up.
 */
import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../functions/core/model.js';
import { recordedAlarm } from '../../functions/core/recorded-alarm.js';
import { boundedEntry, COMPACTED_KIND, compactTimeline, MAX_TIMELINE_ENTRIES, MAX_TIMELINE_ENTRY_BYTES } from '../../functions/core/timeline.js';

const AT = '2026-01-01T00:00:00.000Z';
const e = (key: string, kind = key.replace(/-\d+$/, ''), detail?: Record<string, unknown>): TimelineEntry => ({ key, kind, at: AT, ...(detail ? { detail } : {}) });
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

describe('boundedEntry', () => {
  it('leaves a small entry as it is', () => {
    const small = e('shift-1', 'shift', { percent: 10 });
    expect(boundedEntry(small)).toBe(small);
  });

  it('cuts a long alarm reason, keeping the alarm name and saying how long the reason was', () => {
    const big = e('alarm-a-1', 'alarm', { alarmName: 'api-5xx', reason: 'x'.repeat(5_000) });
    const out = boundedEntry(big);
    expect(bytes(out)).toBeLessThanOrEqual(MAX_TIMELINE_ENTRY_BYTES);
    expect(out.detail?.alarmName).toBe('api-5xx');
    expect(out.detail?.reason).toMatch(/^x{256}… \(5000 characters\)$/);
  });

  it('replaces a detail that is still too large by its size', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`field${i}`, 'y'.repeat(200)]));
    const out = boundedEntry(e('hook-1', 'hook', many));
    expect(out.detail).toEqual({ truncated: true, bytes: bytes(many) });
    expect(bytes(out)).toBeLessThanOrEqual(MAX_TIMELINE_ENTRY_BYTES);
  });
});

describe('compactTimeline', () => {
  it('keeps the head, the first of each kind, every event marker and the tail, with one count of the dropped', () => {
    const timeline = [e('a-1', 'a'), e('b-1', 'b'), e('alarm-1', 'alarm'), e('alarm-2', 'alarm'), e('event-x', 'event'), e('alarm-3', 'alarm'), e('alarm-4', 'alarm'), e('c-1', 'c')];
    const out = compactTimeline(timeline, AT, { head: 2, tail: 2 });
    expect(out.map((x) => x.key)).toEqual(['a-1', 'b-1', 'alarm-1', COMPACTED_KIND, 'event-x', 'alarm-4', 'c-1']);
    expect(out.find((x) => x.kind === COMPACTED_KIND)?.detail).toEqual({ dropped: 2 });
  });

  it('a second compaction adds to the count of the first and leaves one marker', () => {
    const alarms = Array.from({ length: 1_000 }, (_, i) => e(`alarm-${i}`, 'alarm'));
    let timeline: TimelineEntry[] = [e('validated-0', 'validated'), ...alarms.slice(0, MAX_TIMELINE_ENTRIES - 1)];
    timeline = compactTimeline(timeline, AT);
    const firstDropped = timeline.find((x) => x.kind === COMPACTED_KIND)?.detail?.dropped as number;
    expect(firstDropped).toBeGreaterThan(0);
    timeline = compactTimeline([...timeline, ...alarms.slice(MAX_TIMELINE_ENTRIES - 1, MAX_TIMELINE_ENTRIES + 150)], AT);
    const markers = timeline.filter((x) => x.kind === COMPACTED_KIND);
    expect(markers).toHaveLength(1);
    // Every entry ever appended is either kept or counted.
    expect(timeline.length - 1 + (markers[0]?.detail?.dropped as number)).toBe(1 + MAX_TIMELINE_ENTRIES + 150);
    expect(timeline.length).toBeLessThan(MAX_TIMELINE_ENTRIES);
    // The first alarm (what Shift, Analyze and Promote read) survives.
    expect(recordedAlarm({ timeline })?.alarmName).toBe(recordedAlarm({ timeline: alarms })?.alarmName);
    expect(timeline[0]?.key).toBe('validated-0');
  });

  it('returns the timeline unchanged when nothing would be dropped', () => {
    const timeline = [e('a-1'), e('b-1')];
    expect(compactTimeline(timeline, AT)).toEqual(timeline);
  });

  it('stays bounded even with hundreds of distinct kinds', () => {
    const timeline = Array.from({ length: MAX_TIMELINE_ENTRIES }, (_, i) => e(`k${i}-0`, `k${i}`));
    expect(compactTimeline(timeline, AT).length).toBeLessThan(MAX_TIMELINE_ENTRIES);
  });
});
