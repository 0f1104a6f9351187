/**
 * docs/configuration.md is generated from the schema; this fails when they drift apart
 * (run `npm run docs:config` after changing functions/core/config.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_PATH, renderConfigReference } from '../../scripts/config-reference.js';

describe('configuration reference', () => {
  it('docs/configuration.md matches the schema (npm run docs:config regenerates it)', () => {
    expect(readFileSync(REFERENCE_PATH, 'utf8')).toBe(renderConfigReference());
  });

  it('lists every strategy type and the fields a reader needs most', () => {
    const doc = renderConfigReference();
    for (const field of ['services[].strategy.percent', 'services[].tagFilter', 'services[].alarms', 'services[].healthTimeoutSeconds', 'services[].terminationWaitSeconds']) {
      expect(doc).toContain(`\`${field}\``);
    }
    for (const type of ['canary', 'linear', 'blue-green', 'all-at-once', 'steps']) expect(doc).toContain(`(${type})`);
  });
});
