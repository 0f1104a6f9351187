/**
 * Fault matrix, rollback path: one throttle, a persistent 5xx, one timeout on each AWS operation the
 * alarm watcher and the rollback call, injected once the bake runs. And the baselines that keep the
 * matrix's operation lists complete. See fault-matrix.ts for what every cell must show.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { BASELINE, calledFrom, cells, matrixScenario, OPERATIONS, runCell } from './fault-matrix.js';

describe('fault matrix: baselines', () => {
  it.each(['deploy', 'rollback'] as const)('%s: the outcome without faults, and the list of operations it calls', async (path) => {
    const trace = await runScenario(parseScenario(matrixScenario(path), `matrix-${path}`));
    expect(trace.summary.invariantViolations).toEqual([]);
    expect(trace.summary.deployments.map((d) => d.status)).toEqual([BASELINE[path]]);
    expect(calledFrom(trace, path)).toEqual([...OPERATIONS[path]]);
  });
});

describe('fault matrix: rollback path', () => {
  it.each(cells('rollback'))('$kind on $operation', async ({ operation, kind }) => {
    await runCell('rollback', operation, kind);
  });
});
