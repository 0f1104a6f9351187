/**
 * cfn-lint (AWS's CloudFormation linter, checked against the CloudFormation resource
 * specifications) over every template the CDK app writes: the control plane as
 * cutover.config.json configures it, the demo service stack (`-c demo=true`), and a rich
 * configuration (two environments, a migration, hooks, a test listener and scaling rules).
 * Errors fail; warnings are allowed (W3005: CDK's explicit DependsOn repeats a GetAtt).
 *
 * The apps are built in process exactly as bin/app.ts builds them, with cdk.json's context, and
 * synthesized to a temporary cdk.out; only esbuild bundling (it changes asset hashes, not
 * templates; the real `npx cdk synth` runs in `npm test` with CUTOVER_CDK_SYNTH=1) and CDK's own
 * CloudFormation validation (cfn-lint's job here) are skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { CutoverStack, envOf } from '../../lib/cutover-stack.js';
import { DemoServiceStack } from '../../lib/demo-service-stack.js';
import { cdkJsonContext, everyFeatureConfig, exampleConfig } from '../helpers/cdk.js';

const out = mkdtempSync(join(tmpdir(), 'cutover-cfn-lint-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function synth(dir: string, build: (app: App) => void): string[] {
  const outdir = join(out, dir);
  // CDK's own CloudFormation validation (a WebAssembly rule engine) is left to cfn-lint here.
  const app = new App({ outdir, builtinCloudFormationValidation: false, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  build(app);
  app.synth();
  return readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => join(outdir, f));
}

interface Finding {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Filename: string;
  Location: { Path?: unknown[] };
}

describe('cfn-lint over every template cdk synth writes', () => {
  it('the control plane, the demo service and a rich configuration: no error', () => {
    const templates = [
      ...synth('default', (app) => {
        const config = exampleConfig();
        new CutoverStack(app, 'CutoverStack', { config });
        new DemoServiceStack(app, 'CutoverDemoService', { env: envOf(config) });
        // The ECS-controller variant (issue #17): ECS's own deployments on the same ALB shape.
        new DemoServiceStack(app, 'CutoverDemoServiceNative', { env: envOf(config), engine: 'native' });
      }),
      ...synth('rich', (app) => {
        new CutoverStack(app, 'CutoverStack', { config: everyFeatureConfig() });
      }),
    ];
    expect(templates.map((t) => t.slice(out.length + 1)).sort()).toEqual([
      'default/CutoverDemoService.template.json',
      'default/CutoverDemoServiceNative.template.json',
      'default/CutoverStack.template.json',
      'rich/CutoverStack.template.json',
    ]);

    const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], { encoding: 'utf8', timeout: 240_000 });
    expect(run.error, 'cfn-lint must be on the PATH (pip install cfn-lint)').toBeUndefined();
    // Exit code: 0 clean, bits 2 (error), 4 (warning), 8 (informational); 1 is a failure of cfn-lint itself.
    expect(run.status === 1, run.stderr).toBe(false);
    const findings = JSON.parse(run.stdout || '[]') as Finding[];
    const errors = findings.filter((f) => f.Level === 'Error').map((f) => `${f.Filename.slice(out.length + 1)}: ${f.Rule.Id} ${f.Message} at ${JSON.stringify(f.Location.Path)}`);
    expect(errors).toEqual([]);
    // And the exit code agrees: no error bit.
    expect((run.status ?? 0) & 2).toBe(0);
  }, 300_000);
});
