/**
 * Runs the concurrency benchmark in its own process (bench/run.ts spawns it with a time limit):
 * `tsx bench/concurrent-child.ts <deployments> <push-each|one-repo>` prints one JSON line, the
 * ConcurrentResult, on stdout. A local run that gives up can leave dynalite and timers behind; in a
 * child process they go with it.
 */
import { benchConcurrent, type ConcurrentMode } from './scenarios.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const count = Number(process.argv[2] ?? 100);
const mode = (process.argv[3] ?? 'push-each') as ConcurrentMode;

benchConcurrent(count, mode).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)),
  (e: unknown) => process.stderr.write(`${(e as Error).message}\n`, () => process.exit(1)),
);
