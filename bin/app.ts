#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` (cdk.json runs this with tsx).
 *
 * Reads `cutover.config.json`, or the file given with `-c config=PATH`. A bad configuration (or a
 * handler file or state-machine definition the control plane cannot use) stops here with the
 * problems listed one per line and exit code 1 — no stack trace.
 * cdk-nag's AwsSolutions checks run on every synth; an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../functions/core/errors.js';
import { CutoverStack, envOf } from '../lib/cutover-stack.js';
import { DemoServiceStack } from '../lib/demo-service-stack.js';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/load-config.js';
import { SynthError } from '../lib/synth-error.js';

const app = new App();
const configPath = (app.node.tryGetContext('config') as string | undefined) ?? DEFAULT_CONFIG_FILE;

try {
  new CutoverStack(app, 'CutoverStack', { config: loadConfigFile(configPath) });
} catch (e) {
  if (e instanceof ConfigError || e instanceof SynthError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
// A service to try Cutover on (lib/demo-service-stack.ts), only when asked for:
// `npx cdk deploy CutoverDemoService -c demo=true`, in the control plane's account and region.
if (app.node.tryGetContext('demo') === true || app.node.tryGetContext('demo') === 'true') {
  new DemoServiceStack(app, 'CutoverDemoService', { env: envOf(loadConfigFile(configPath)) });
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
