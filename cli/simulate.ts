/**
 * `cutover simulate`, `cutover demo` and `cutover scenarios export`: the local rehearsal from the
 * command line.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { type RunOptions, runScenario, type ScenarioSummary, type ScenarioTrace } from '../local/rehearsal.js';
import { expectationDifferences } from '../local/expectations.js';
import { renderReportsHtml } from '../local/report/html.js';
import { MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES } from '../local/runner/index.js';
import { LiveView } from '../local/report/live.js';
import { buildReport, type ScenarioReport } from '../local/report/model.js';
import { parseScenario, type Scenario } from '../local/scenario.js';
import { BUILTIN_SCENARIOS, builtinScenario } from '../local/scenarios/builtin.js';
import { type CliIO, CommandError, resolvePath, UsageError } from './io.js';

/** The scenarios `cutover demo` rehearses, in order. */
export const DEMO_SCENARIOS = ['good-canary', 'bad-release-alarm'] as const;
export const DEFAULT_REPORT_FILE = 'cutover-report.html';
/** Where `npm run scenarios:export` writes the built-ins. */
export const EXAMPLES_DIR = 'examples/scenarios';

/** A built-in scenario by name, or a scenario file (`*.json`); errors name the field. */
export function loadScenario(ref: string, io?: CliIO): Scenario {
  const builtin = builtinScenario(ref);
  if (builtin) return parseScenario(builtin, ref);
  if (!ref.endsWith('.json')) {
    throw new UsageError(`no built-in scenario "${ref}"; run \`cutover simulate --list\`, or pass a FILE.json`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(io ? resolvePath(io, ref) : ref, 'utf8'));
  } catch (e) {
    throw new CommandError(`cannot read scenario file ${ref}: ${(e as Error).message}`, 'check the path, or start from a file in examples/scenarios/');
  }
  return parseScenario(raw, ref);
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The summary as text (reasons clipped; `--json` has them whole). */
export function summaryLines(summary: ScenarioSummary): string[] {
  const lines = [`scenario ${summary.scenario}`];
  for (const d of summary.deployments) {
    const reaction = d.rollbackReaction
      ? `, rollback reaction ${d.rollbackReaction.transitions} transitions / ${d.rollbackReaction.virtualSeconds} s`
      : '';
    lines.push(
      `  ${d.service}/${d.environment} ${d.deploymentId}: ${d.status}${d.reason ? ` (${clip(d.reason, 110)})` : ''} — ${d.stateTransitions} transitions, ${d.virtualSeconds} virtual s${reaction}, largest payload ${d.largestPayloadBytes} B of ${MAX_PAYLOAD_BYTES}, ${d.historyEvents} of ${MAX_HISTORY_EVENTS} history events`,
    );
  }
  lines.push(`  invariant violations: ${summary.invariantViolations.length}`);
  for (const v of summary.invariantViolations) lines.push(`    - ${v}`);
  return lines;
}

interface Rehearsal {
  readonly scenario: Scenario;
  readonly trace: ScenarioTrace;
  readonly report: ScenarioReport;
  readonly wallMs: number;
}

/** Run one scenario, with the live view unless `quiet`. */
async function rehearse(
  scenario: Scenario,
  io: CliIO,
  opts: { quiet?: boolean; pace?: number; plain?: boolean; run?: Partial<RunOptions> } = {},
): Promise<Rehearsal> {
  const started = performance.now();
  const view = opts.quiet
    ? undefined
    : new LiveView(scenario, {
        out: io.stdout,
        ...(opts.plain ? { mode: 'plain' as const } : {}),
        ...(opts.pace !== undefined ? { paceMsPerVirtualMinute: opts.pace } : {}),
      });
  const live = view?.runOptions();
  const trace = await runScenario(scenario, {
    ...opts.run,
    ...(live ? { onProgress: live.onProgress, actions: [...live.actions, ...(opts.run?.actions ?? [])] } : {}),
  });
  view?.finish(trace);
  return { scenario, trace, report: buildReport(trace, { description: scenario.description }), wallMs: performance.now() - started };
}

function writeReport(io: CliIO, path: string, reports: readonly ScenarioReport[], title?: string): string {
  const file = resolvePath(io, path);
  writeFileSync(file, renderReportsHtml(reports, title));
  return file;
}

const paceOf = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 10_000) throw new UsageError(`--pace must be 0-10000 (ms of real time per virtual minute), got "${value}"`);
  return n;
};

export const SIMULATE_USAGE = `cutover simulate --scenario NAME|FILE.json [--json] [--report PATH] [--endpoint URL] [--quiet] [--plain] [--pace MS] [--no-expect]
cutover simulate --list`;

export async function simulateCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string', short: 's' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
      report: { type: 'string' },
      endpoint: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      plain: { type: 'boolean' },
      pace: { type: 'string' },
      // Exploring: run a scenario without holding it to its `expect`.
      'no-expect': { type: 'boolean' },
    },
    strict: true,
  });
  if (values.list) {
    for (const s of BUILTIN_SCENARIOS) io.stdout.write(`${s.name.padEnd(24)} ${s.description}\n`);
    return 0;
  }
  if (!values.scenario) throw new UsageError('simulate needs --scenario NAME|FILE.json (or --list)');
  const scenario = loadScenario(values.scenario, io);
  const endpoint = values.endpoint;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    throw new UsageError(`--endpoint must be an http(s) URL, got "${endpoint}"`);
  }
  const dynamodbEndpoint = io.env.CUTOVER_DYNAMODB_ENDPOINT?.trim();
  const run: Partial<RunOptions> = endpoint
    ? {
        endpoint,
        ...(dynamodbEndpoint ? { dynamodb: { endpoint: dynamodbEndpoint, tableName: io.env.CUTOVER_TABLE_NAME?.trim() || 'cutover-local' } } : {}),
      }
    : {};
  const pace = paceOf(values.pace);
  const { trace, report } = await rehearse(scenario, io, {
    quiet: values.json === true || values.quiet === true,
    ...(values.plain ? { plain: true } : {}),
    ...(pace !== undefined ? { pace } : {}),
    run,
  });
  // --json keeps stdout one JSON document; everything else goes to stderr then.
  const info = values.json ? io.stderr : io.stdout;
  if (values.json) io.stdout.write(`${JSON.stringify(trace.summary)}\n`);
  else io.stdout.write(`${summaryLines(trace.summary).join('\n')}\n`);
  if (values.report) info.write(`report written to ${writeReport(io, values.report, [report])}\n`);
  const differences = values['no-expect'] ? [] : expectationDifferences(scenario.expect, trace.summary);
  if (differences.length > 0) {
    io.stderr.write(`${scenario.name}: the outcome differs from the scenario's expect:\n${differences.map((d) => `  - ${d}\n`).join('')}  (run with --no-expect to explore without the check)\n`);
  }
  return trace.summary.invariantViolations.length > 0 || differences.length > 0 ? 1 : 0;
}

export const DEMO_USAGE = 'cutover demo [--report PATH] [--plain] [--pace MS]';

/** A good canary, then a bad release that an alarm rolls back; one report for both. */
export async function demoCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { report: { type: 'string' }, plain: { type: 'boolean' }, pace: { type: 'string' } },
    strict: true,
  });
  const pace = paceOf(values.pace ?? io.env.CUTOVER_DEMO_PACE_MS);
  const results: Rehearsal[] = [];
  for (const name of DEMO_SCENARIOS) {
    const scenario = loadScenario(name);
    io.stdout.write(`\n▶ ${scenario.name}: ${scenario.description}\n`);
    const result = await rehearse(scenario, io, { ...(values.plain ? { plain: true } : {}), ...(pace !== undefined ? { pace } : {}) });
    results.push(result);
    io.stdout.write(`${summaryLines(result.trace.summary).join('\n')}\n  (${(result.wallMs / 1000).toFixed(1)} s wall time)\n`);
  }
  const file = writeReport(io, values.report ?? DEFAULT_REPORT_FILE, results.map((r) => r.report), 'Cutover demo');
  io.stdout.write(`\nreport: ${file}\n`);
  return results.some((r) => r.trace.summary.invariantViolations.length > 0) ? 1 : 0;
}

/** The JSON text of a built-in scenario file (stable: what `scenarios export` writes). */
export function scenarioFileText(name: string): string {
  const s = builtinScenario(name);
  if (!s) throw new UsageError(`no built-in scenario "${name}"`);
  return `${JSON.stringify(s, null, 2)}\n`;
}

/** Write every built-in scenario to `dir` as NAME.json; returns the files written. */
export function exportScenarios(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const s of BUILTIN_SCENARIOS) {
    const file = join(dir, `${s.name}.json`);
    writeFileSync(file, scenarioFileText(s.name));
    written.push(file);
  }
  // A built-in that was removed must not linger as a file.
  const names = new Set(BUILTIN_SCENARIOS.map((s) => `${s.name}.json`));
  const stale = readdirSync(dir).filter((f) => f.endsWith('.json') && !names.has(basename(f)));
  if (stale.length > 0) throw new CommandError(`${dir} holds files that are not built-in scenarios: ${stale.join(', ')}`, 'remove them or add them to local/scenarios/builtin.ts');
  return written;
}

export async function scenariosCommand(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'export') throw new UsageError('usage: cutover scenarios export [DIR]');
  const dir = resolvePath(io, rest[0] ?? EXAMPLES_DIR);
  for (const f of exportScenarios(dir)) io.stdout.write(`${f}\n`);
  return 0;
}
