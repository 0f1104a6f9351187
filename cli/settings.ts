/**
 * Where the operator commands find the deployed control plane. Each setting comes from, in order:
 *
 * 1. a flag (`--table`, `--deploy-arn`, `--control-arn`, `--rollback-arn`, `--cleanup-arn`, `--bus`),
 * 2. an environment variable (`CUTOVER_TABLE_NAME`, `CUTOVER_DEPLOY_STATE_MACHINE_ARN`,
 *    `CUTOVER_CONTROL_STATE_MACHINE_ARN`, `CUTOVER_ROLLBACK_STATE_MACHINE_ARN`,
 *    `CUTOVER_CLEANUP_STATE_MACHINE_ARN`, `CUTOVER_EVENT_BUS_NAME`),
 * 3. the outputs of the control plane's CloudFormation stack (`--stack NAME`, `CUTOVER_STACK_NAME`,
 *    default `CutoverStack`): `TableName`, `DeployStateMachineArn`, `ControlStateMachineArn`,
 *    `RollbackStateMachineArn`, `CleanupStateMachineArn`, `EventBusName`. Read only when a setting a
 *    command needs is missing after 1 and 2.
 *
 * The configuration (`--config PATH`, `CUTOVER_CONFIG`, default `./cutover.config.json`: the file the
 * control plane was deployed with) names the services, their environments and repositories. Without
 * it the commands still work; `--env` then defaults to `production`.
 *
 * Credentials and region come from the SDK's standard chain (AWS_PROFILE, AWS_REGION, SSO, ...);
 * `CUTOVER_AWS_ENDPOINT` / `CUTOVER_DYNAMODB_ENDPOINT` point the clients elsewhere (emulators).
 */
import { existsSync, readFileSync } from 'node:fs';
import { type ClientOptions, clientOptionsFromEnv } from '../functions/aws/clients.js';
import { type CutoverConfig, parseConfig, type ServiceConfig } from '../functions/core/config.js';
import { awsProblem } from './aws-hints.js';
import { CommandError } from './io.js';

export const SETTINGS = {
  tableName: { flag: 'table', env: 'CUTOVER_TABLE_NAME', output: 'TableName', what: 'state table name' },
  deploy: { flag: 'deploy-arn', env: 'CUTOVER_DEPLOY_STATE_MACHINE_ARN', output: 'DeployStateMachineArn', what: 'deploy state machine ARN' },
  control: { flag: 'control-arn', env: 'CUTOVER_CONTROL_STATE_MACHINE_ARN', output: 'ControlStateMachineArn', what: 'control state machine ARN' },
  rollback: { flag: 'rollback-arn', env: 'CUTOVER_ROLLBACK_STATE_MACHINE_ARN', output: 'RollbackStateMachineArn', what: 'rollback state machine ARN' },
  cleanup: { flag: 'cleanup-arn', env: 'CUTOVER_CLEANUP_STATE_MACHINE_ARN', output: 'CleanupStateMachineArn', what: 'cleanup state machine ARN' },
  eventBusName: { flag: 'bus', env: 'CUTOVER_EVENT_BUS_NAME', output: 'EventBusName', what: 'event bus name' },
} as const;
export type SettingKey = keyof typeof SETTINGS;

export const DEFAULT_STACK_NAME = 'CutoverStack';
export const DEFAULT_CONFIG_FILE = 'cutover.config.json';
export const DEFAULT_ENVIRONMENT = 'production';

/** The flags every operator command accepts (node:util parseArgs options). */
export const SETTINGS_FLAGS = {
  table: { type: 'string' },
  'deploy-arn': { type: 'string' },
  'control-arn': { type: 'string' },
  'rollback-arn': { type: 'string' },
  'cleanup-arn': { type: 'string' },
  bus: { type: 'string' },
  stack: { type: 'string' },
  config: { type: 'string' },
  region: { type: 'string' },
} as const;

/** Reads a stack's outputs (DescribeStacks); injectable for tests. */
export type StackOutputsReader = (stackName: string, clientOptions: ClientOptions) => Promise<Record<string, string>>;

export interface ControlPlaneSettings {
  readonly clientOptions: ClientOptions;
  /** The deployed configuration, when found. */
  readonly config?: CutoverConfig;
  readonly configPath?: string;
  /** A setting, or a CommandError that says where to set it. */
  require(key: SettingKey): Promise<string>;
  /** A setting if it can be found, else undefined. */
  get(key: SettingKey): Promise<string | undefined>;
}

const blank = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** Read the stack outputs with the CloudFormation client (loaded only when needed). */
export const describeStackOutputs: StackOutputsReader = async (stackName, clientOptions) => {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const { makeClient } = await import('../functions/aws/clients.js');
  const client = makeClient(CloudFormationClient, clientOptions);
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = out.Stacks?.[0]?.Outputs ?? [];
    return Object.fromEntries(outputs.filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey as string, o.OutputValue as string]));
  } finally {
    client.destroy();
  }
};

export interface ResolveSettingsInput {
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly readStackOutputs?: StackOutputsReader;
  /** Use these instead of clientOptionsFromEnv (tests against the local runtime). */
  readonly clientOptions?: ClientOptions;
}

export function resolveSettings(input: ResolveSettingsInput): ControlPlaneSettings {
  const { flags, env } = input;
  const flag = (name: string) => (typeof flags[name] === 'string' ? blank(flags[name] as string) : undefined);
  const region = flag('region');
  const clientOptions: ClientOptions = input.clientOptions ?? { ...clientOptionsFromEnv(env), ...(region ? { region } : {}) };
  const stackName = flag('stack') ?? blank(env.CUTOVER_STACK_NAME) ?? DEFAULT_STACK_NAME;
  const reader = input.readStackOutputs ?? describeStackOutputs;
  let outputs: Promise<Record<string, string>> | undefined;
  let outputsError: unknown;
  const fromStack = async (key: SettingKey): Promise<string | undefined> => {
    outputs ??= reader(stackName, clientOptions).catch((e: unknown) => {
      outputsError = e;
      return {};
    });
    return blank((await outputs)[SETTINGS[key].output]);
  };
  const get = async (key: SettingKey): Promise<string | undefined> =>
    flag(SETTINGS[key].flag) ?? blank(env[SETTINGS[key].env]) ?? (await fromStack(key));

  const { config, configPath } = loadConfig(flag('config') ?? blank(env.CUTOVER_CONFIG), input.cwd);
  return {
    clientOptions,
    ...(config ? { config, configPath } : {}),
    get,
    require: async (key) => {
      const value = await get(key);
      if (value !== undefined) return value;
      const s = SETTINGS[key];
      // No region or no credentials: say that (the missing table name is only its consequence).
      const aws = outputsError === undefined ? undefined : awsProblem(outputsError);
      if (aws?.setup) {
        throw new CommandError(`${aws.what}, so the ${s.what} could not be read from stack ${stackName}`, aws.next);
      }
      const why = outputsError ? ` (reading stack ${stackName} failed: ${(outputsError as Error).message})` : ` (stack ${stackName} has no output ${s.output})`;
      throw new CommandError(
        `no ${s.what}${why}`,
        `pass --${s.flag}, set ${s.env}, or name the control plane's stack with --stack / CUTOVER_STACK_NAME`,
      );
    },
  };
}

function loadConfig(path: string | undefined, cwd: string): { config?: CutoverConfig; configPath?: string } {
  const file = path ?? DEFAULT_CONFIG_FILE;
  const full = file.startsWith('/') ? file : `${cwd}/${file}`;
  if (!existsSync(full)) {
    if (path !== undefined) throw new CommandError(`configuration file ${path} does not exist`, 'pass --config PATH of the configuration the control plane was deployed with');
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(full, 'utf8'));
  } catch (e) {
    throw new CommandError(`configuration file ${file} is not valid JSON: ${(e as Error).message}`, 'fix the file, or pass --config PATH');
  }
  return { config: parseConfig(raw, file), configPath: file };
}

/**
 * The service and environment a command acts on. With a configuration: the service must be in it,
 * and `--env` may be omitted when the service runs in one environment only.
 */
export function resolveService(
  settings: Pick<ControlPlaneSettings, 'config' | 'configPath'>,
  service: string | undefined,
  environment: string | undefined,
): { service: string; environment: string; config?: ServiceConfig } {
  if (!service) throw new CommandError('which service? name it: cutover <command> SERVICE', 'run `cutover status` to see the services');
  const config = settings.config;
  if (!config) return { service, environment: environment ?? DEFAULT_ENVIRONMENT };
  const matches = config.services.filter((s) => s.name === service);
  if (matches.length === 0) {
    const names = [...new Set(config.services.map((s) => s.name))].join(', ');
    throw new CommandError(
      `no service "${service}" in ${settings.configPath ?? 'the configuration'} (services: ${names})`,
      'check the name, or pass --config PATH of the configuration the control plane was deployed with',
    );
  }
  if (environment !== undefined) {
    const svc = matches.find((s) => s.environment === environment);
    if (!svc) {
      throw new CommandError(
        `service "${service}" does not run in environment "${environment}" (it runs in: ${matches.map((s) => s.environment).join(', ')})`,
        'pass one of those with --env',
      );
    }
    return { service, environment, config: svc };
  }
  if (matches.length > 1) {
    throw new CommandError(`service "${service}" runs in ${matches.map((s) => s.environment).join(', ')}`, 'say which with --env ENV');
  }
  const only = matches[0] as ServiceConfig;
  return { service, environment: only.environment, config: only };
}
