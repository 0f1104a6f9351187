// biome-ignore-all lint/suspicious/noExplicitAny: CloudFormation JSON read from templates
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER } from '../../lib/cutover-function.js';
import { CutoverStack } from '../../lib/cutover-stack.js';
import { HANDLER_NAMES } from '../../lib/handlers.js';
import { exampleConfig, FIXTURES, testApp } from '../helpers/cdk.js';

/**
 * Real local esbuild bundling (no Docker, no network) of the fixture handlers: what `cdk synth`
 * does with the real ones.
 */
describe('bundling with local esbuild', () => {
  let outdir: string;
  let template: Template;
  beforeAll(() => {
    const app = testApp({ bundling: true });
    const stack = new CutoverStack(app, 'CutoverStack', {
      config: exampleConfig(),
      controlPlane: { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.stateMachinesDir },
    });
    template = Template.fromStack(stack);
    outdir = app.outdir;
  }, 120_000);

  /** The asset folder of each function, from the template's S3 keys. */
  function assetDirs(): string[] {
    const fns = Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties: any }>).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    return fns.map((f) => join(outdir, `asset.${String(f.Properties.Code.S3Key).replace(/\.zip$/, '')}`));
  }

  it('bundles every handler into an ESM file with the createRequire banner, next to the configuration', () => {
    const dirs = assetDirs();
    expect(dirs).toHaveLength(HANDLER_NAMES.length);
    for (const dir of dirs) {
      expect(readdirSync(dir).sort(), dir).toEqual(['cutover.config.json', 'index.mjs']);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8').startsWith(ESM_REQUIRE_BANNER), dir).toBe(true);
    }
  });

  it('the bundled cutover.config.json is the validated configuration with defaults filled', () => {
    for (const dir of assetDirs()) {
      const bundled = JSON.parse(readFileSync(join(dir, 'cutover.config.json'), 'utf8'));
      expect(bundled).toEqual(exampleConfig());
      expect(bundled.services[0].analysis.confidence).toBe(0.95);
    }
  });

  it('minifies and bundles without source maps', () => {
    for (const dir of assetDirs()) {
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(false);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).not.toMatch(/\n\s{2,}/);
    }
  });
});
