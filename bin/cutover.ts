#!/usr/bin/env -S npx tsx
/**
 * The `cutover` command line.
 *
 *   cutover simulate --scenario NAME|FILE.json [--json]   rehearse a scenario on the local runtime
 *   cutover simulate --list                              list the built-in scenarios
 *   cutover demo                                         a good canary, then a bad release rolled back
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CutoverError } from '../functions/core/errors.js';
import { runScenario, type ScenarioSummary } from '../local/rehearsal.js';
import { parseScenario, type Scenario } from '../local/scenario.js';
import { BUILTIN_SCENARIOS, builtinScenario } from '../local/scenarios/builtin.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const USAGE = `usage:
  cutover simulate --scenario NAME|FILE.json [--json]
  cutover simulate --list
  cutover demo`;

class UsageError extends Error {}

function loadScenario(ref: string): Scenario {
  const builtin = builtinScenario(ref);
  if (builtin) return parseScenario(builtin, ref);
  if (!ref.endsWith('.json')) {
    throw new UsageError(`no built-in scenario "${ref}"; run \`cutover simulate --list\`, or pass a FILE.json`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(ref, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read scenario file ${ref}: ${(e as Error).message}`);
  }
  return parseScenario(raw, ref);
}

function printSummary(summary: ScenarioSummary): void {
  console.log(`scenario ${summary.scenario}`);
  for (const d of summary.deployments) {
    const reaction = d.rollbackReaction ? `, rollback reaction ${d.rollbackReaction.transitions} transitions / ${d.rollbackReaction.virtualSeconds} s` : '';
    console.log(
      `  ${d.service}/${d.environment} ${d.deploymentId}: ${d.status}${d.reason ? ` (${d.reason})` : ''} — ${d.stateTransitions} transitions, ${d.virtualSeconds} virtual s${reaction}`,
    );
  }
  console.log(`  invariant violations: ${summary.invariantViolations.length}`);
  for (const v of summary.invariantViolations) console.log(`    - ${v}`);
}

async function simulate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { scenario: { type: 'string' }, json: { type: 'boolean' }, list: { type: 'boolean' } },
    strict: true,
  });
  if (values.list) {
    for (const s of BUILTIN_SCENARIOS) console.log(`${s.name.padEnd(24)} ${s.description}`);
    return 0;
  }
  if (!values.scenario) throw new UsageError('simulate needs --scenario NAME|FILE.json (or --list)');
  const scenario = loadScenario(values.scenario);
  const trace = await runScenario(scenario);
  if (values.json) console.log(JSON.stringify(trace.summary));
  else printSummary(trace.summary);
  return 0;
}

async function demo(): Promise<number> {
  for (const name of ['good-canary', 'bad-release-alarm']) {
    const started = performance.now();
    const trace = await runScenario(loadScenario(name));
    printSummary(trace.summary);
    console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s wall time)\n`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'simulate':
      return simulate(rest);
    case 'demo':
      return demo();
    case undefined:
    case '-h':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) console.error(`cutover: ${e.message}\n${USAGE}`);
    else if (e instanceof CutoverError) console.error(`cutover: ${e.name}: ${e.message}`);
    else console.error(e);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
