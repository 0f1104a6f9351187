#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` (cdk.json runs this with tsx).
 *
 * Reads `cutover.config.json`, or the file given with `-c config=PATH`. A bad configuration (or a
 * handler file or state-machine definition the control plane cannot use) stops here with the
 * problems listed one per line and exit code 1 — no stack trace.
 * cdk-nag's AwsSolutions checks run on every synth; an unacknowledged finding fails it.
 *
 * The app builds one thing per invocation, so neither gets in the other's way:
 * - by default, `CutoverStack` (the control plane) from the configuration;
 * - with `-c demo=true`, only `CutoverDemoService` (lib/demo-service-stack.ts), a service to try
 *   Cutover on. It does not read the configuration at all: the demo is deployed before its own entry
 *   exists (its outputs are that entry), and a sample or half-written configuration must not stop it.
 *   It goes to the CLI's account and region (`CDK_DEFAULT_ACCOUNT`/`CDK_DEFAULT_REGION`, from the
 *   credentials and region `cdk deploy` runs with): deploy both with the same ones.
 *   `-c demoEngine=native` makes its service an ECS-controller one (ECS's own blue/green, canary or
 *   linear, gated by Cutover's hook; issue #17) instead of the EXTERNAL-controller default
 *   (`task-set`).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../functions/core/errors.js';
import { CutoverStack } from '../lib/cutover-stack.js';
import { DemoServiceStack } from '../lib/demo-service-stack.js';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/load-config.js';
import { SynthError } from '../lib/synth-error.js';

const app = new App();
const configPath = (app.node.tryGetContext('config') as string | undefined) ?? DEFAULT_CONFIG_FILE;
const demo = app.node.tryGetContext('demo') === true || app.node.tryGetContext('demo') === 'true';
const demoEngine: unknown = app.node.tryGetContext('demoEngine') ?? 'task-set';

try {
  if (demo) {
    if (demoEngine !== 'task-set' && demoEngine !== 'native') {
      throw new SynthError(`-c demoEngine=${String(demoEngine)}: must be "task-set" (EXTERNAL deployment controller, the default) or "native" (ECS deployment controller)`);
    }
    new DemoServiceStack(app, 'CutoverDemoService', { env: cliEnvironment(), engine: demoEngine });
  } else {
    new CutoverStack(app, 'CutoverStack', { config: loadConfigFile(configPath) });
  }
} catch (e) {
  if (e instanceof ConfigError || e instanceof SynthError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

/** The account and region the CDK CLI runs with (each only when it knows it; else environment-agnostic). */
function cliEnvironment(): { account?: string; region?: string } | undefined {
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  if (!account && !region) return undefined;
  return { ...(account ? { account } : {}), ...(region ? { region } : {}) };
}
