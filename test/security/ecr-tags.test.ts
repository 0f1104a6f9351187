/**
 * Issue #14 (Low): ECR accepts tags of up to 300 characters (Amazon ECR API Reference,
 * ImageIdentifier.imageTag), Docker and Cutover at most 128. A push tagged with 129-300 characters
 * errored in intake and was then picked up by the reconcile sweep as a lost push every 5 minutes for
 * a day. Such a tag now matches no tag filter: the sweep never takes it for a lost push.
 */
import { describe, expect, it } from 'vitest';
import { lostPush } from '../../functions/core/lost-push.js';
import { servicesForPush, tagMatches } from '../../functions/core/services.js';
import { parseConfig } from '../../functions/core/config.js';
import { exampleConfig } from '../helpers/cdk.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const LONG = `v${'1'.repeat(199)}`;

describe('a tag ECR takes but Docker does not', () => {
  it.each([129, 200, 300])('a %i-character tag matches no filter, not even *', (n) => {
    const tag = `v${'a'.repeat(n - 1)}`;
    expect(tagMatches('*', tag)).toBe(false);
    expect(tagMatches('v*', tag)).toBe(false);
    expect(servicesForPush(parseConfig(exampleConfig()), exampleConfig().services[0]?.repository as string, tag)).toEqual([]);
  });

  it('a 128-character tag still matches', () => {
    expect(tagMatches('*', `v${'a'.repeat(127)}`)).toBe(true);
  });

  it('the sweep does not take an image tagged only with it for a lost push', () => {
    const images = [{ digest: digest('b'), tags: [LONG], pushedAt: new Date(NOW - 10 * 60_000).toISOString() }];
    expect(lostPush((t) => tagMatches('*', t), images, [], undefined, NOW, 0)).toBeUndefined();
    // The same image with a Docker tag is a lost push (the test can fail).
    expect(lostPush((t) => tagMatches('*', t), [{ ...images[0], tags: ['v2'] } as (typeof images)[number]], [], undefined, NOW, 0)?.digest).toBe(digest('b'));
  });
});
