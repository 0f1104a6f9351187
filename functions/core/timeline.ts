/**
 * Bounding a deployment's timeline (issue #14, Low). The timeline lives on the deployment's item,
 * and DynamoDB refuses any write that makes an item larger than 400 KB ("Service, account, and table
 * quotas in Amazon DynamoDB": item size). Every alarm event and every hook retry appends an entry,
 * so a flapping alarm during a long bake could grow the item past the limit, and the next append —
 * the rollback's own `rollback-traffic`, after its traffic flip — would fail. So:
 *
 * - each entry is at most {@link MAX_TIMELINE_ENTRY_BYTES} of JSON ({@link boundedEntry} shortens
 *   long detail values and says so);
 * - a timeline of {@link MAX_TIMELINE_ENTRIES} is compacted ({@link compactTimeline}) before the
 *   next append: it keeps the first entries, the first entry of every kind (what the handlers look
 *   up: the first `alarm`, `promote`, the `event` markers ...), every `event` entry and the latest
 *   entries, and puts one `timeline-compacted` entry with the count of dropped ones where they were.
 *
 * Worst case: 120 entries x 2,000 bytes + their keys (at most 300 bytes each in the dedupe set) is
 * about 276 KB, under 400 KB with the rest of the record. Sizes seen: an analysis entry (verdict,
 * reasons, window) is about 1.1 KB; a deployment's whole timeline in the builtin scenarios 14-16
 * entries and under 5 KB.
 */
import type { TimelineEntry } from './model.js';

/** A timeline this long is compacted before the next append. */
export const MAX_TIMELINE_ENTRIES = 120;
/** Entries kept from the start of the timeline when compacting. */
export const TIMELINE_HEAD = 40;
/** Entries kept from the end of the timeline when compacting (the new entry comes after them). */
export const TIMELINE_TAIL = 69;
/** The largest entry (UTF-8 bytes of its JSON); longer detail values are shortened. */
export const MAX_TIMELINE_ENTRY_BYTES = 2_000;
/** How long a detail value may be before it is shortened. */
const MAX_DETAIL_VALUE_CHARS = 256;
/** The kind (and key) of the entry that stands for the dropped ones. */
export const COMPACTED_KIND = 'timeline-compacted';

const utf8 = new TextEncoder();
const bytes = (value: unknown): number => utf8.encode(JSON.stringify(value)).length;

function shorten(text: string): string {
  return text.length <= MAX_DETAIL_VALUE_CHARS ? text : `${text.slice(0, MAX_DETAIL_VALUE_CHARS)}… (${text.length} characters)`;
}

/**
 * `entry`, at most {@link MAX_TIMELINE_ENTRY_BYTES}: string values of its detail longer than 256
 * characters are cut (with their length), other values whose JSON is longer become that JSON cut;
 * when that is still too large, the detail is replaced by `{ truncated: true, bytes }`.
 *
 * Example: `{ key: 'alarm-x-e1', kind: 'alarm', detail: { alarmName: 'x', reason: <2,000 characters> } }`
 * -> the same entry with `reason` cut to 256 characters and `… (2000 characters)`.
 */
export function boundedEntry(entry: TimelineEntry): TimelineEntry {
  if (bytes(entry) <= MAX_TIMELINE_ENTRY_BYTES || !entry.detail) return entry;
  const detail: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry.detail)) {
    if (typeof v === 'string') detail[k] = shorten(v);
    else if (v !== undefined && JSON.stringify(v).length > MAX_DETAIL_VALUE_CHARS) detail[k] = shorten(JSON.stringify(v));
    else detail[k] = v;
  }
  const shortened = { ...entry, detail };
  if (bytes(shortened) <= MAX_TIMELINE_ENTRY_BYTES) return shortened;
  return { ...entry, detail: { truncated: true, bytes: bytes(entry.detail) } };
}

/**
 * A shorter timeline, dropping from the middle: kept are the first {@link TIMELINE_HEAD} entries,
 * the first entry of every kind, every `event` entry (publish-once markers, a handful per
 * deployment), and the last {@link TIMELINE_TAIL} entries, in their order; one
 * `timeline-compacted` entry (detail `dropped`: how many in all, earlier compactions included)
 * takes the place of the first dropped run. Returns the timeline unchanged when nothing is dropped.
 *
 * Example (head 2, tail 2): `[a, b, alarm#1, alarm#2, alarm#3, alarm#4, c]` -> `[a, b, alarm#1,
 * compacted{dropped: 2}, alarm#4, c]`.
 */
export function compactTimeline(
  timeline: readonly TimelineEntry[],
  nowIso: string,
  limits: { head: number; tail: number } = { head: TIMELINE_HEAD, tail: TIMELINE_TAIL },
): TimelineEntry[] {
  const seenKinds = new Set<string>();
  let droppedBefore = 0;
  // Entries kept for what they are (first of a kind, `event`) besides head and tail: a bounded
  // number, so a compacted timeline is always well under the limit.
  let protectedLeft = Math.max(0, MAX_TIMELINE_ENTRIES - limits.head - limits.tail - 2);
  const keep = timeline.map((e, i) => {
    if (e.kind === COMPACTED_KIND) {
      droppedBefore += typeof e.detail?.dropped === 'number' ? e.detail.dropped : 0;
      return false;
    }
    const firstOfKind = !seenKinds.has(e.kind);
    seenKinds.add(e.kind);
    if (i < limits.head || i >= timeline.length - limits.tail) return true;
    if ((firstOfKind || e.kind === 'event') && protectedLeft > 0) {
      protectedLeft -= 1;
      return true;
    }
    return false;
  });
  const dropped = keep.filter((k, i) => !k && timeline[i]?.kind !== COMPACTED_KIND).length;
  if (dropped === 0) return [...timeline];
  const out: TimelineEntry[] = [];
  let marked = false;
  timeline.forEach((e, i) => {
    if (keep[i]) out.push(e);
    else if (!marked) {
      marked = true;
      out.push({ key: COMPACTED_KIND, kind: COMPACTED_KIND, at: nowIso, detail: { dropped: droppedBefore + dropped } });
    }
  });
  return out;
}
