import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ValidationError } from '../../functions/core/errors.js';
import { CommandError, UsageError } from '../../cli/io.js';
import { controlInput, parseImageArg, table } from '../../cli/operator.js';
import { resolveService, resolveSettings } from '../../cli/settings.js';
import { service } from '../../local/scenarios/builtin.js';

const dir = mkdtempSync(join(tmpdir(), 'cutover-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ARN = (name: string) => `arn:aws:states:eu-west-1:123456789012:stateMachine:${name}`;

function settings(flags: Record<string, string> = {}, env: Record<string, string> = {}, outputs: Record<string, string> | Error = {}) {
  const reads: string[] = [];
  const s = resolveSettings({
    flags,
    env,
    cwd: dir,
    clientOptions: {},
    readStackOutputs: async (stack) => {
      reads.push(stack);
      if (outputs instanceof Error) throw outputs;
      return outputs;
    },
  });
  return { s, reads };
}

describe('where the CLI finds the control plane', () => {
  it('a flag wins over the environment, which wins over the stack outputs', async () => {
    const { s } = settings({ 'control-arn': ARN('flag') }, { CUTOVER_CONTROL_STATE_MACHINE_ARN: ARN('env'), CUTOVER_TABLE_NAME: 'from-env' }, {
      ControlStateMachineArn: ARN('stack'),
      TableName: 'from-stack',
      DeployStateMachineArn: ARN('deploy-stack'),
    });
    expect(await s.require('control')).toBe(ARN('flag'));
    expect(await s.require('tableName')).toBe('from-env');
    expect(await s.require('deploy')).toBe(ARN('deploy-stack'));
  });

  it('reads the stack outputs only when something is missing, once, from the named stack', async () => {
    const { s, reads } = settings({ stack: 'MyCutover' }, { CUTOVER_TABLE_NAME: 't' }, { DeployStateMachineArn: ARN('d'), RollbackStateMachineArn: ARN('r') });
    await s.require('tableName');
    expect(reads).toEqual([]);
    await s.require('deploy');
    await s.require('rollback');
    expect(reads).toEqual(['MyCutover']);
  });

  it('CUTOVER_STACK_NAME names the stack, CutoverStack by default', async () => {
    const a = settings({}, { CUTOVER_STACK_NAME: 'Other' }, { TableName: 'x' });
    await a.s.require('tableName');
    const b = settings({}, {}, { TableName: 'x' });
    await b.s.require('tableName');
    expect([a.reads, b.reads]).toEqual([['Other'], ['CutoverStack']]);
  });

  it('a missing setting names the flag, the variable and the stack output to set', async () => {
    const { s } = settings({}, {}, {});
    await expect(s.require('rollback')).rejects.toThrow(CommandError);
    await expect(s.require('rollback')).rejects.toThrow('no rollback state machine ARN (stack CutoverStack has no output RollbackStateMachineArn)');
    await expect(s.require('rollback')).rejects.toMatchObject({ hint: expect.stringContaining('pass --rollback-arn, set CUTOVER_ROLLBACK_STATE_MACHINE_ARN') });
  });

  it('when the stack cannot be read, says why', async () => {
    const { s } = settings({}, {}, new Error('Stack with id CutoverStack does not exist'));
    await expect(s.require('tableName')).rejects.toThrow('reading stack CutoverStack failed: Stack with id CutoverStack does not exist');
  });

  it('reads the configuration from --config, and says when that file is missing', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ services: [service()] }));
    expect(settings({ config: file }).s.config?.services[0]?.name).toBe('api');
    expect(() => settings({ config: join(dir, 'missing.json') })).toThrow('configuration file');
    expect(settings().s.config).toBeUndefined(); // no ./cutover.config.json in the working directory: fine
  });
});

describe('which service and environment', () => {
  const config = parseConfig({
    environments: [{ name: 'staging' }, { name: 'production' }],
    services: [service(), { ...service(), environment: 'staging' }, service({ name: 'checkout' })],
  });
  const withConfig = { config, configPath: 'cutover.config.json' };

  it.each([
    ['the only environment of a service', 'checkout', undefined, 'production'],
    ['the environment asked for', 'api', 'staging', 'staging'],
  ])('%s', (_n, svc, env, expected) => {
    expect(resolveService(withConfig, svc, env).environment).toBe(expected);
  });

  it.each([
    ['a service in two environments without --env', 'api', undefined, /runs in production, staging/, /--env ENV/],
    ['an environment the service does not run in', 'checkout', 'staging', /does not run in environment "staging"/, /with --env/],
    ['an unknown service', 'web', undefined, /no service "web" in cutover.config.json \(services: api, checkout\)/, /check the name/],
    ['no service at all', undefined, undefined, /which service\?/, /cutover status/],
  ])('%s: an error that says what to do', (_n, svc, env, message, hint) => {
    let error: unknown;
    try {
      resolveService(withConfig, svc, env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).message).toMatch(message);
    expect((error as CommandError).hint).toMatch(hint);
  });

  it('without a configuration, trusts the name and defaults to production', () => {
    expect(resolveService({}, 'anything', undefined)).toEqual({ service: 'anything', environment: 'production' });
  });
});

describe('--image', () => {
  const D = `sha256:${'a1'.repeat(32)}`;
  it.each([
    [`shop/api@${D}`, { repository: 'shop/api', digest: D }],
    [`shop/api:v2@${D}`, { repository: 'shop/api', tag: 'v2', digest: D }],
    [`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:v2@${D}`, { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'shop/api', tag: 'v2', digest: D }],
    [`localhost:5000/api@${D}`, { registry: 'localhost:5000', repository: 'api', digest: D }],
  ])('%s', (arg, expected) => expect(parseImageArg(arg)).toEqual(expected));

  it.each([
    ['shop/api:v2', /has no digest/],
    ['shop/api@sha256:abc', /is not sha256: followed by 64/],
    [`@${D}`, /names no repository/],
  ])('%s is refused', (arg, message) => {
    expect(() => parseImageArg(arg)).toThrow(UsageError);
    expect(() => parseImageArg(arg)).toThrow(message);
  });
});

describe('the control input', () => {
  it('is the documented document, validated by the control schema', () => {
    expect(controlInput('extend', 'api', 'production', { seconds: '900', id: 'api-production-1', reason: 'watch longer' }, 'alice')).toEqual({
      action: 'extend',
      service: 'api',
      environment: 'production',
      deploymentId: 'api-production-1',
      reason: 'watch longer',
      extendSeconds: 900,
      by: 'alice',
    });
    expect(controlInput('abort', 'api', 'production', {}, 'bob')).toEqual({ action: 'abort', service: 'api', environment: 'production', by: 'bob' });
  });

  it('refuses --seconds on anything but extend, and a bad deployment id by its field', () => {
    expect(() => controlInput('promote', 'api', 'production', { seconds: '60' }, 'x')).toThrow('--seconds only applies to extend');
    expect(() => controlInput('promote', 'api', 'production', { id: 'not an id!' }, 'x')).toThrow(ValidationError);
    expect(() => controlInput('promote', 'api', 'production', { id: 'not an id!' }, 'x')).toThrow(/deploymentId/);
  });
});

it('table() pads columns to the widest cell', () => {
  expect(table([['A', 'BB', 'C'], ['aaa', 'b', 'c']])).toBe('A    BB  C\naaa  b   c');
});
