/**
 * Image deletion is opt-in (issue #16, "Safe defaults"), and the dry run's report comes first: with
 * the default `cleanup.deleteImages: false`, a real cleanup deletes no image of the repository,
 * while a dry run (`cutover cleanup --dry-run` starts one) still lists, per repository, what a real
 * run would delete once it is turned on, and says that it is off. Real cleanup state machine and
 * handlers, in-memory world, virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { CLEANUP, CLEANUP_AT, cleanupScenario, digestFor } from '../../local/scenarios/maintenance.js';

const { deleteImages: _optIn, ...DEFAULTS } = CLEANUP;
const v = (n: number) => digestFor(`shop/api:v${n}`);

async function cleanupRun(dryRun: boolean) {
  const input = cleanupScenario(`cleanup-default-${dryRun ? 'dry' : 'real'}`, 'cleanup with the default deleteImages', [{ at: CLEANUP_AT, kind: 'cleanup', dryRun }], { deployments: [] }, DEFAULTS);
  const trace = await runScenario(parseScenario(input, input.name));
  const images = (trace.summary.actions ?? []).filter((a) => a.kind === 'delete-image');
  const skips = (trace.summary.actions ?? []).filter((a) => a.kind === 'skip');
  return { trace, images, skips };
}

describe('cleanup with the default cleanup.deleteImages (false)', () => {
  it('a real run deletes no image (revisions and task sets are still cleaned) and says why', async () => {
    const { trace, images, skips } = await cleanupRun(false);
    expect(images).toEqual([]);
    expect(trace.summary.invariantViolations).toEqual([]);
    expect((trace.summary.actions ?? []).some((a) => a.kind === 'deregister-revision' && a.outcome === 'done')).toBe(true);
    expect(skips.map((s) => s.reason).join('\n')).toMatch(/does not allow image cleanup \(cleanup\.enabled \/ cleanup\.deleteImages\)/);
    // Every image of the history is still there, unused ones included.
    const left = (trace.maintenance?.images ?? []).map((i) => i.digest);
    for (const d of [v(1), v(2), v(8), digestFor('shop/api:ci-build-1')]) expect(left).toContain(d);
  }, 120_000);

  it('a dry run lists what a real run would delete with deleteImages: true, and says it is off', async () => {
    const { trace, images, skips } = await cleanupRun(true);
    expect(images.map((a) => a.outcome)).toEqual(['would', 'would', 'would', 'would']);
    expect(skips.map((s) => s.reason).join('\n')).toMatch(/cleanup\.deleteImages is off for api\/production: a real run deletes none of these images/);
    expect(trace.summary.invariantViolations).toEqual([]);
    expect((trace.maintenance?.images ?? []).map((i) => i.digest)).toContain(v(1));
  }, 120_000);
});
