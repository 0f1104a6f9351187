/**
 * The configuration a handler reads at cold start is the file `cdk synth` validated and bundled
 * (BundledConfig in lib/cutover-function.ts). It is not re-parsed with the schema (that would put the
 * schema into every bundle), but a file that is not such a configuration fails with a ConfigError.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';
import { bundledConfig } from '../../functions/handlers/shared/env.js';
import { BundledConfig } from '../../lib/cutover-function.js';
import { testConfig } from '../helpers/fakes.js';

describe('bundledConfig', () => {
  it('reads back exactly the validated, defaults-filled configuration the construct bundles', () => {
    const validated = parseConfig(testConfig(), 'test');
    const file = new BundledConfig(validated, '/nonexistent', 'unused.json');

    expect(bundledConfig(file.json, 'cutover.config.json')).toEqual(validated);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['not JSON', '{"services": [', /not JSON/],
    ['a list at the root', '[]', /\(root\): not an object/],
    ['no services list', '{"environments": []}', /services: not a list/],
    ['a raw service without defaults', '{"services": [{"name": "web", "environment": "production"}]}', /services\[0\]: not a validated service/],
    ['a service that is not an object', '{"services": [42]}', /services\[0\]/],
  ];
  for (const [label, text, message] of bad) {
    it(`rejects ${label} with a ConfigError that says to redeploy`, () => {
      let thrown: unknown;
      try {
        bundledConfig(text, '/var/task/cutover.config.json');
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).message).toMatch(message);
      expect((thrown as ConfigError).message).toMatch(/redeploy/);
      expect((thrown as ConfigError).message).toContain('/var/task/cutover.config.json');
    });
  }
});
