/**
 * Validation messages say what was received: the type, or the value shortened and escaped. A
 * present value is never described as "nothing" (issue #15: `detail.image-digest: nothing must be
 * sha256: ...` was what a user saw for a malformed digest).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { ValidationError } from '../../functions/core/errors.js';
import { EcrImageActionEvent, parseEvent } from '../../functions/core/events.js';
import { describeInput, parseOrThrow } from '../../functions/core/validation.js';

type Json = Record<string, unknown>;
const FIXTURE = JSON.parse(
  readFileSync(new URL('../fixtures/events/ecr-image-action-push.json', import.meta.url), 'utf8'),
) as Json;
const ORIGIN = { accountId: FIXTURE.account as string, region: FIXTURE.region as string };
const ECR = { source: 'aws.ecr', detailType: 'ECR Image Action' };

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as Error).message;
  }
  throw new Error('expected a ValidationError');
}

function pushWith(detail: Json): Json {
  const e = structuredClone(FIXTURE);
  Object.assign(e.detail as Json, detail);
  return e;
}

describe('messages name what was received', () => {
  it('a malformed digest is quoted, not called nothing', () => {
    const msg = messageOf(() => parseEvent(EcrImageActionEvent, pushWith({ 'image-digest': 'sha256:XYZ' }), ECR, ORIGIN));
    expect(msg).toContain('detail.image-digest');
    expect(msg).toContain('"sha256:XYZ"');
    expect(msg).not.toMatch(/\bnothing\b/);
  });

  it('a tag that is too long is shortened, escaped and its length given', () => {
    const tag = `v1\n${'a'.repeat(200)}`;
    const msg = messageOf(() => parseEvent(EcrImageActionEvent, pushWith({ 'image-tag': tag }), ECR, ORIGIN));
    expect(msg).toContain('detail.image-tag');
    expect(msg).toContain('"v1\\naaaa');
    expect(msg).toContain(`(${tag.length} characters)`);
    expect(msg).toContain('at most 128');
    expect(msg).not.toMatch(/\bnothing\b/);
    expect(msg).not.toContain('a'.repeat(60));
  });

  it('a wrong type says which type arrived', () => {
    const msg = messageOf(() => parseEvent(EcrImageActionEvent, pushWith({ 'image-digest': 42 }), ECR, ORIGIN));
    expect(msg).toMatch(/detail\.image-digest: expected string, got number 42/);
  });

  it('an unknown variant lists the allowed kinds; a missing tag says it is required', () => {
    const schema = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('push') }),
      z.object({ kind: z.literal('approve'), who: z.string() }),
    ]);
    const unknown = messageOf(() => parseOrThrow(schema, { kind: 'aprove' }, 'scenario input'));
    expect(unknown).toContain('kind: "aprove" does not name a known variant; allowed: "push", "approve"');
    const missing = messageOf(() => parseOrThrow(schema, { who: 'x' }, 'scenario input'));
    expect(missing).toContain('kind: is required; allowed: "push", "approve"');
    expect(missing).not.toMatch(/\bnothing\b/);
  });
});

describe('describeInput', () => {
  it('is short, single-line and never "nothing" for any present value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const d = describeInput(v);
        expect(d).not.toBe('nothing');
        expect(d).not.toMatch(/[\n\r]/);
        expect(d.length).toBeLessThanOrEqual(80);
      }),
    );
  });

  it('keeps short strings whole and quotes them', () => {
    expect(describeInput('abc')).toBe('"abc"');
    expect(describeInput('')).toBe('an empty string');
    expect(describeInput([1, 2])).toBe('an array of 2 items');
  });
});
