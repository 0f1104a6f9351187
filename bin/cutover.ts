#!/usr/bin/env -S npx tsx
/**
 * The `cutover` command line (see cli/main.ts for the commands and cli/settings.ts for
 * how the operator commands find a deployed control plane).
 *
 *   cutover demo                                   a good canary, then a bad release rolled back
 *   cutover simulate --scenario NAME|FILE.json     rehearse a scenario on the local runtime
 *   cutover status|history|deploy|promote|approve|abort|rollback|cleanup ...   operate a deployed control plane
 */
import { processIO } from '../cli/io.js';
import { main } from '../cli/main.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

main(process.argv.slice(2), processIO()).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
