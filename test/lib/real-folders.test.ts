// biome-ignore-all lint/suspicious/noExplicitAny: CloudFormation JSON read from templates
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { bundledConfig } from '../../functions/handlers/shared/env.js';
import { placeholderKeys } from '../../lib/asl.js';
import { DEFAULT_HANDLERS_DIR, DEFAULT_STATE_MACHINES_DIR } from '../../lib/control-plane.js';
import { HANDLER_NAMES, HANDLERS, pascalCase } from '../../lib/handlers.js';
import { everyFeatureConfig, REPO_ROOT, synthStack, synthWithNag, unacknowledged } from '../helpers/cdk.js';

const DEPLOY_ASL = join(DEFAULT_STATE_MACHINES_DIR, 'deploy.asl.json');
const missing = [
  ...HANDLER_NAMES.map((n) => join(DEFAULT_HANDLERS_DIR, HANDLERS[n].entry)),
  DEPLOY_ASL,
].filter((f) => !existsSync(f));

/** With the real functions/handlers and statemachines (skipped while any file is missing). */
describe.skipIf(missing.length > 0)('the control plane from the real handlers and state machines', () => {
  it(
    'synthesizes with no unacknowledged cdk-nag finding',
    () => {
      const { threw, report } = synthWithNag({ fixtures: false, cfnValidation: false });
      expect(unacknowledged(report)).toEqual([]);
      expect(threw).toBe(false);
    },
    120_000,
  );

  it(
    'nor with every optional feature configured (migration, hooks, scaling, a release across environments)',
    () => {
      const { threw, report } = synthWithNag({ fixtures: false, cfnValidation: false, config: everyFeatureConfig() });
      expect(unacknowledged(report)).toEqual([]);
      expect(threw).toBe(false);
    },
    120_000,
  );

  it('substitutes every placeholder of every definition, and invokes only state-machine handlers', () => {
    const { template, stack } = synthStack({ fixtures: false });
    const machines = Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties: any }>).filter(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    const files = readdirSync(DEFAULT_STATE_MACHINES_DIR).filter((f) => f.endsWith('.asl.json'));
    expect(machines).toHaveLength(files.length);

    for (const file of files) {
      const keys = placeholderKeys(readFileSync(join(DEFAULT_STATE_MACHINES_DIR, file), 'utf8'));
      const suffix = `-${pascalCase(file.replace(/\.asl\.json$/, ''))}`;
      const machine = machines.find((m) => String(m.Properties.StateMachineName).endsWith(suffix));
      expect(machine, file).toBeDefined();
      expect(Object.keys(machine?.Properties.DefinitionSubstitutions ?? {}).sort(), file).toEqual([...keys].sort());
      for (const key of keys.filter((k) => k.endsWith('FunctionArn'))) {
        const handler = key.replace(/FunctionArn$/, '').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
        expect(HANDLERS[handler as keyof typeof HANDLERS]?.trigger.kind, `${file}: ${key}`).toBe('stateMachine');
      }
    }
    expect(stack.controlPlane.deployStateMachine).toBeDefined();
  });

  it('every handler file is in the manifest (a new handler must be wired with its permissions)', () => {
    const files = readdirSync(DEFAULT_HANDLERS_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...HANDLER_NAMES].sort());
  });
});

/**
 * `npx cdk synth` as a user runs it: real esbuild bundling, no AWS credentials, no network.
 * About 20 s, so only with CUTOVER_CDK_SYNTH=1 (.ci/run sets it).
 */
describe.skipIf(missing.length > 0 || !process.env.CUTOVER_CDK_SYNTH)('npx cdk synth, offline', () => {
  it(
    'synthesizes with no credentials and bundles the configuration into every function',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'cutover-synth-'));
      const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CDK_DISABLE_CLI_TELEMETRY: 'true' },
        encoding: 'utf8',
        timeout: 300_000,
      });
      try {
        expect(run.status, run.stderr).toBe(0);
        const bundles = readdirSync(out).filter((d) => existsSync(join(out, d, 'index.mjs')));
        expect(bundles).toHaveLength(HANDLER_NAMES.length);
        // Every function carries the validated, defaults-filled configuration, and reads it back
        // (without the schema) as exactly what parseConfig made of cutover.config.json.
        const validated = parseConfig(JSON.parse(readFileSync(join(REPO_ROOT, 'cutover.config.json'), 'utf8')), 'cutover.config.json');
        for (const d of bundles) {
          const file = join(out, d, 'cutover.config.json');
          expect(existsSync(file)).toBe(true);
          expect(bundledConfig(readFileSync(file, 'utf8'), file)).toEqual(validated);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    300_000,
  );
});
