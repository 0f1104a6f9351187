/**
 * `simulate` holds a scenario to its `expect` (issue #16: it ignored it): a mismatch prints what
 * differed and exits non-zero; `--no-expect` explores without the check.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { expectationDifferences } from '../../local/expectations.js';
import type { ScenarioSummary } from '../../local/rehearsal.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cutover-expect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deployment = (status: string, reasonCode: string | null = null) =>
  ({ service: 'api', environment: 'production', deploymentId: 'd', status, reason: reasonCode ? `${reasonCode}: why` : null, reasonCode }) as unknown as ScenarioSummary['deployments'][number];
const summary = (over: Partial<ScenarioSummary>): ScenarioSummary => ({ scenario: 's', deployments: [], invariantViolations: [], ...over });

describe('expectationDifferences', () => {
  it('none when the outcome is the expected one', () => {
    expect(expectationDifferences({ deployments: [{ service: 'api', status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' }] }, summary({ deployments: [deployment('ROLLED_BACK', 'AlarmTriggered')] }))).toEqual([]);
    expect(expectationDifferences(undefined, summary({ deployments: [deployment('FAILED')] }))).toEqual([]);
  });

  it('names the deployment, what was expected and what happened, with the reason', () => {
    expect(expectationDifferences({ deployments: [{ service: 'api', status: 'SUCCEEDED' }] }, summary({ deployments: [deployment('ROLLED_BACK', 'AlarmTriggered')] }))).toEqual([
      'deployments[0] (production/api): expected SUCCEEDED, got ROLLED_BACK (AlarmTriggered: why)',
    ]);
    expect(expectationDifferences({ deployments: [{ service: 'api', status: 'SUCCEEDED' }, { service: 'api', status: 'SUCCEEDED' }] }, summary({ deployments: [deployment('SUCCEEDED')] }))[0]).toBe(
      'deployments: expected 2 (production/api SUCCEEDED, production/api SUCCEEDED), got 1 (production/api SUCCEEDED)',
    );
  });

  it('checks releases per environment and action tallies', () => {
    const releases = [{ releaseId: 'r1', status: 'ABORTED', reason: null, reasonCode: 'APPROVAL_EXPIRED', environments: [{ environment: 'production', status: 'APPROVAL_EXPIRED', deployments: [] }], stateTransitions: 1, virtualSeconds: 1 }];
    expect(
      expectationDifferences(
        { deployments: [], releases: [{ status: 'ABORTED', environments: { production: 'SUCCEEDED' } }], actions: [{ kind: 'delete-image', outcome: 'done', count: 2 }] },
        summary({ releases, actions: [] }),
      ),
    ).toEqual(['releases[0] (r1) environment production: expected SUCCEEDED, got APPROVAL_EXPIRED', 'actions: expected 2 delete-image done, got 0']);
  });
});

describe('cutover simulate and expect', () => {
  const wrong = join(dir, 'wrong-expect.json');
  const raw = JSON.parse(readFileSync(join(ROOT, 'examples/scenarios/bad-release-alarm.json'), 'utf8'));
  raw.name = 'wrong-expect';
  raw.expect = { deployments: [{ service: 'api', status: 'SUCCEEDED' }] };
  writeFileSync(wrong, JSON.stringify(raw));

  async function cutover(...argv: string[]) {
    const io = bufferIO({ cwd: ROOT, env: {} });
    const code = await main(argv, io);
    return { code, out: io.out(), err: io.err() };
  }

  it('a mismatch prints what differed and exits 1', async () => {
    const { code, err } = await cutover('simulate', '--scenario', wrong, '--quiet');
    expect(code).toBe(1);
    expect(err).toContain("wrong-expect: the outcome differs from the scenario's expect:");
    expect(err).toMatch(/deployments\[0\] \(production\/api\): expected SUCCEEDED, got ROLLED_BACK \(AlarmTriggered/);
  });

  it('--no-expect runs it for exploring and exits 0', async () => {
    const { code, err } = await cutover('simulate', '--scenario', wrong, '--quiet', '--no-expect');
    expect(code).toBe(0);
    expect(err).not.toContain('differs');
  });
});
