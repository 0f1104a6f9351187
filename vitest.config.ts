import { defineConfig } from 'vitest/config';

/** The environment every test process gets (this suite and the conformance suite): no AWS, quiet logs. */
export const TEST_ENV = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_DEV: 'false',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test-no-aws',
  AWS_SECRET_ACCESS_KEY: 'test-no-aws',
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The conformance suite needs moto and cfn-lint: `npm run test:conformance` (vitest.conformance.config.ts).
    exclude: ['**/node_modules/**', 'test/conformance/**'],
    environment: 'node',
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    env: TEST_ENV,
  },
});
