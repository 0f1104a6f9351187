import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../lib/load-config.js';
import { ConfigError } from '../../functions/core/errors.js';
import { REPO_ROOT } from '../helpers/cdk.js';

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** Run bin/app.ts as the CDK CLI would, with `-c config=PATH` passed as CDK_CONTEXT_JSON. */
function runApp(configPath: string) {
  const outdir = mkdtempSync(join(tmpdir(), 'cutover-app-'));
  temporary.push(outdir);
  return spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bin', 'app.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ config: configPath, 'aws:cdk:bundling-stacks': [] }),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

function writeTemp(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-test-config-'));
  temporary.push(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('bin/app.ts with a bad configuration', () => {
  it(
    'exits 1 and prints each problem as "path: what is wrong; what is allowed", without a stack trace',
    () => {
      const good = JSON.parse(readFileSync(join(REPO_ROOT, 'cutover.config.json'), 'utf8'));
      good.services[0].tagFilter = 'v[0-9]+';
      good.services[0].listenerArn = good.services[0].targetGroupArns[0];
      const file = writeTemp('bad.json', JSON.stringify(good));

      const run = runApp(file);

      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`Cutover configuration ${file} is invalid:`);
      expect(run.stderr).toMatch(/- services\[0\]\.listenerArn: .* must be an ALB listener ARN/);
      expect(run.stderr).toMatch(/- services\[0\]\.tagFilter: "v\[0-9\]\+" looks like a regular expression; tagFilter is a glob/);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    },
    60_000,
  );

  it(
    'exits 1 naming a file that does not exist',
    () => {
      const run = runApp('/nonexistent/cutover.json');

      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/\(file\): cannot be read \(ENOENT\); pass another file with -c config=PATH/);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    },
    60_000,
  );
});

describe('loadConfigFile', () => {
  it('turns bad JSON into a ConfigError at (root)', () => {
    const file = writeTemp('broken.json', '{ "services": [ }');
    expect(() => loadConfigFile(file)).toThrow(ConfigError);
    expect(() => loadConfigFile(file)).toThrow(/\(root\): is not valid JSON/);
  });

  it('reads and validates the example configuration', () => {
    expect(loadConfigFile(join(REPO_ROOT, 'cutover.config.json')).services[0]?.tagFilter).toBe('v*');
  });
});
