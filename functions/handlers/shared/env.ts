/**
 * What every handler needs from its environment, read once per cold start. The configuration comes
 * from the JSON the CDK bundles next to the handler (CUTOVER_CONFIG_PATH), validated with the same
 * schema `cdk synth` used: no CloudFormation resource per service.
 */
import { readFileSync } from 'node:fs';
import { type CutoverConfig, parseConfig } from '../../core/config.js';

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

let cached: HandlerEnv | undefined;

/** The handler environment from process.env (cached for the life of the execution environment). */
export function envFromProcess(env: NodeJS.ProcessEnv = process.env): HandlerEnv {
  if (cached) return cached;
  const configPath = env.CUTOVER_CONFIG_PATH ?? `${env.LAMBDA_TASK_ROOT ?? '.'}/cutover.config.json`;
  const config = parseConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
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
