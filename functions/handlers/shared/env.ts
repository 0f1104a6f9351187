/**
 * What every handler needs from its environment, read once per cold start. The configuration comes
 * from the JSON the CDK bundles next to the handler (CUTOVER_CONFIG_PATH): no CloudFormation
 * resource per service.
 *
 * That file is the output of `parseConfig` at synth time (validated, every default filled in) and
 * ships in the same bundle as this code, so it is not parsed with the schema again here: that would
 * put the whole config schema into every Lambda bundle (DESIGN.md cold-start budget) to re-check
 * what the synth already checked. A file that is not a Cutover configuration at all (edited by hand
 * in the console, a wrong path) still fails with a ConfigError that says so.
 */
import { readFileSync } from 'node:fs';
import type { CutoverConfig } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';

export interface HandlerEnv {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly accountId: string;
  readonly region: string;
  readonly deployStateMachineArn?: string;
  /** The release state machine (intake starts it for a push when more than one environment is configured). */
  readonly releaseStateMachineArn?: string;
  readonly config: CutoverConfig;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set; the ControlPlane construct sets it — redeploy the stack`);
  }
  return value;
}

/**
 * The configuration the synth bundled (see the module comment). Checks that it is one: an object
 * with the top-level lists every validated configuration has, and services that carry their
 * defaults-filled strategy.
 */
export function bundledConfig(text: string, source: string): CutoverConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(source, [`not JSON (${(e as Error).message}); redeploy the stack to bundle the validated configuration again`]);
  }
  const problems: string[] = [];
  const obj = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (!obj) problems.push('(root): not an object');
  else {
    const services = obj.services;
    if (!Array.isArray(services)) problems.push('services: not a list');
    else {
      services.forEach((s, i) => {
        const svc = typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : undefined;
        if (!svc || typeof svc.name !== 'string' || typeof svc.environment !== 'string' || typeof svc.strategy !== 'object') {
          problems.push(`services[${i}]: not a validated service (name, environment and strategy expected)`);
        }
      });
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(source, [...problems, 'this is not the configuration `cdk synth` validated and bundled; redeploy the stack']);
  }
  return raw as CutoverConfig;
}

let cached: HandlerEnv | undefined;

/** The handler environment from process.env (cached for the life of the execution environment). */
export function envFromProcess(env: NodeJS.ProcessEnv = process.env): HandlerEnv {
  if (cached) return cached;
  const configPath = env.CUTOVER_CONFIG_PATH ?? `${env.LAMBDA_TASK_ROOT ?? '.'}/cutover.config.json`;
  const config = bundledConfig(readFileSync(configPath, 'utf8'), configPath);
  cached = {
    tableName: required(env, 'CUTOVER_TABLE_NAME'),
    eventBusName: required(env, 'CUTOVER_EVENT_BUS_NAME'),
    accountId: required(env, 'CUTOVER_ACCOUNT_ID'),
    region: required(env, 'AWS_REGION'),
    deployStateMachineArn: env.CUTOVER_DEPLOY_STATE_MACHINE_ARN,
    ...(env.CUTOVER_RELEASE_STATE_MACHINE_ARN ? { releaseStateMachineArn: env.CUTOVER_RELEASE_STATE_MACHINE_ARN } : {}),
    config,
  };
  return cached;
}
