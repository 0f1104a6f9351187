import { defineConfig } from 'vitest/config';
import { TEST_ENV } from './vitest.config.js';

/**
 * The conformance suite (`npm run test:conformance`): Cutover's adapters and end-to-end rehearsals
 * against moto, an independent implementation of the AWS APIs, and cfn-lint over every template
 * `cdk synth` writes. One moto server for the run (test/conformance/global-setup.ts); every file
 * (and every end-to-end case) builds its world in a region of its own there.
 */
export default defineConfig({
  test: {
    include: ['test/conformance/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/conformance/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // The files share the moto server but not its regions (each builds its world in its own).
    maxWorkers: 2,
    maxConcurrency: 2,
    reporters: ['default', './test/conformance/counted-reporter.ts'],
    env: TEST_ENV,
  },
});
