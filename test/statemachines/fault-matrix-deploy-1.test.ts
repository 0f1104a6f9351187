/**
 * Fault matrix, deploy path (part 1 of 2): one throttle, a persistent 5xx, one timeout on each
 * AWS operation a release calls. See fault-matrix.ts for what every cell must show.
 */
import { describe, it } from 'vitest';
import { cells, runCell } from './fault-matrix.js';

describe('fault matrix: deploy path', () => {
  it.each(cells('deploy', 0, 2))('$kind on $operation', async ({ operation, kind }) => {
    await runCell('deploy', operation, kind);
  });
});
