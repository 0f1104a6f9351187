/**
 * `npm run bench`: the budgets of DESIGN.md measured on this machine, as one JSON report.
 *
 * Output:
 * - default: a readable table on stdout, then the JSON report alone on the LAST line of stdout
 *   (`npm run bench --silent | tail -n 1 | jq .`);
 * - `--json`: only the JSON report on stdout (`npm run bench --silent -- --json | jq .`).
 * Progress goes to stderr. The report is also written to .bench/report.json, the bundles, their
 * metafiles and the generated bare entries under .bench/bundles/ and .bench/bare/ (gitignored).
 *
 * Flags: `--only=bundles,canary,rollbackReaction,native,limits,synth,concurrent` (a subset), `--load-runs=N`
 * (fresh node processes per bundle for the load time; default 11, at least 10), `--services=N`
 * (deployments of the concurrency run; default 100), `--concurrent-mode=push-each|one-repo`,
 * `--concurrent-timeout=S` (the concurrency run goes in its own process; default 1200 s), `--check` (exit 1 when a budget is exceeded),
 * `--help`.
 *
 * Report keys: `bundles`, `canary`, `rollbackReaction`, `native`, `limits`, `synth`, `concurrent`, `budgets` (each
 * budget and whether it holds), `environment`. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

// Before any SDK module loads (the sections are imported dynamically below).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.CDK_DISABLE_CLI_TELEMETRY ??= 'true';
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT_DIR = join(PROJECT_ROOT, '.bench');

export const SECTIONS = ['bundles', 'canary', 'rollbackReaction', 'native', 'limits', 'synth', 'concurrent'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchArgs {
  readonly json: boolean;
  readonly check: boolean;
  readonly help: boolean;
  readonly only: readonly Section[];
  readonly loadRuns: number;
  readonly services: number;
  readonly concurrentMode: 'push-each' | 'one-repo';
  readonly concurrentTimeoutSeconds: number;
}

const USAGE = `usage: npm run bench [-- [--json] [--check] [--only=${SECTIONS.join(',')}] [--load-runs=N] [--services=N]]

  (default)      table on stdout, then the JSON report alone on the last line
  --json         only the JSON report on stdout
  --check        exit 1 when a budget is exceeded
  --only=...     run only these sections (comma separated)
  --load-runs=N  fresh node processes per bundle for the load time (default 11, at least 10)
  --services=N   deployments in the concurrency run (default 100)
  --concurrent-mode=push-each|one-repo
                 one push per service 100 ms apart (default), or one repository feeding
                 every service and one push (all executions in lockstep)
  --concurrent-timeout=S
                 give the concurrency run (its own process) at most S seconds (default 1200)
Writes .bench/report.json and the bundles under .bench/.`;

export function parseArgs(argv: readonly string[]): BenchArgs {
  let json = false;
  let check = false;
  let help = false;
  let only: Section[] = [...SECTIONS];
  let loadRuns = 11;
  let services = 100;
  let concurrentMode: BenchArgs['concurrentMode'] = 'push-each';
  let concurrentTimeoutSeconds = 1200;
  for (const arg of argv) {
    const [key, value] = arg.split('=', 2) as [string, string | undefined];
    switch (key) {
      case '--json':
        json = true;
        break;
      case '--check':
        check = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      case '--only': {
        const names = (value ?? '').split(',').filter(Boolean);
        const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
        if (bad.length > 0 || names.length === 0) throw new Error(`--only: unknown section ${bad.join(', ') || '(none)'}; allowed: ${SECTIONS.join(', ')}`);
        only = names as Section[];
        break;
      }
      case '--load-runs':
        loadRuns = positiveInt(key, value);
        if (loadRuns < 10) throw new Error('--load-runs: at least 10');
        break;
      case '--services':
        services = positiveInt(key, value);
        break;
      case '--concurrent-timeout':
        concurrentTimeoutSeconds = positiveInt(key, value);
        break;
      case '--concurrent-mode':
        if (value !== 'push-each' && value !== 'one-repo') throw new Error('--concurrent-mode: push-each or one-repo');
        concurrentMode = value;
        break;
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return { json, check, help, only, loadRuns, services, concurrentMode, concurrentTimeoutSeconds };
}

function positiveInt(key: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${key}: expected a positive integer, got ${value ?? 'nothing'}`);
  return n;
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function timed<T>(label: string, f: () => Promise<T> | T): Promise<T> {
  log(`${label} ...`);
  const t0 = performance.now();
  const out = await f();
  log(`${label} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

/** The report so far (each section saves it, so a run cut short still leaves what it measured). */
function save(report: Record<string, unknown>): void {
  writeFileSync(join(OUT_DIR, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
}

type ConcurrentOutcome =
  | { readonly kind: 'result'; readonly result: import('./scenarios.js').ConcurrentResult }
  | { readonly kind: 'error'; readonly error: string };

/** bench/concurrent-child.ts in its own process, killed after `timeoutSeconds`. */
function runConcurrentChild(count: number, mode: string, timeoutSeconds: number): Promise<ConcurrentOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, join(PROJECT_ROOT, 'bench', 'concurrent-child.ts'), String(count), mode], {
      cwd: PROJECT_ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) {
        resolve({ kind: 'result', result: JSON.parse(line) });
        return;
      }
      const why = signal === 'SIGKILL' ? `did not finish within ${timeoutSeconds} s` : (stderr.split('\n').filter((l) => l && !l.includes('requestTimeout')).at(-1) ?? `exit ${code}`);
      resolve({ kind: 'error', error: why.slice(0, 500) });
    });
  });
}

type Report = Record<string, unknown> & {
  budgets: Array<{ budget: string; limit: string; actual: string; holds: boolean }>;
};

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  mkdirSync(OUT_DIR, { recursive: true });
  const report: Report = {
    generatedAt: new Date().toISOString(),
    environment: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
    },
    budgets: [],
  };
  const budgets = report.budgets;
  const has = (s: Section) => args.only.includes(s);

  if (has('bundles')) {
    const { benchBundles, BUNDLE_BUDGET_RATIO } = await import('./bundles.js');
    const bundles = await timed(`bundles (esbuild as lib/cutover-function.ts, ${args.loadRuns} loads each)`, () =>
      benchBundles({ projectRoot: PROJECT_ROOT, outDir: OUT_DIR, loadRuns: args.loadRuns }),
    );
    report.bundles = bundles;
    save(report);
    for (const b of bundles) {
      budgets.push({
        budget: `bundle ${b.name}`,
        limit: `<= ${BUNDLE_BUDGET_RATIO} x bare (${Math.floor(BUNDLE_BUDGET_RATIO * b.bareBytes)} B)`,
        actual: `${b.bytes} B = ${b.ratio} x`,
        holds: b.withinBudget,
      });
    }
  }
  if (has('canary')) {
    const { benchCanary, CANARY_TRANSITIONS_BUDGET } = await import('./scenarios.js');
    const canary = await timed('canary (good-canary)', benchCanary);
    report.canary = canary;
    save(report);
    budgets.push({
      budget: 'canary state transitions',
      limit: `< ${CANARY_TRANSITIONS_BUDGET}, deployment SUCCEEDED`,
      actual: `${canary.stateTransitions} (${canary.status})`,
      holds: canary.withinBudget,
    });
    budgets.push({
      budget: 'no polling during bakes',
      limit: '0 states entered while a bake waits',
      actual: String(canary.transitionsDuringBakes),
      holds: canary.transitionsDuringBakes === 0,
    });
  }
  if (has('rollbackReaction')) {
    const { benchRollback, ROLLBACK_TRANSITIONS_BUDGET } = await import('./scenarios.js');
    const rollback = await timed('rollback reaction (bad-release-alarm)', benchRollback);
    report.rollbackReaction = rollback;
    save(report);
    budgets.push({
      budget: 'rollback reaction',
      limit: `<= ${ROLLBACK_TRANSITIONS_BUDGET} states from the failed bake to the rollback task, ROLLED_BACK by AlarmTriggered`,
      actual: `${rollback.transitions ?? 'n/a'} (${rollback.path.join(' > ') || rollback.status}), ${rollback.virtualSeconds ?? 'n/a'} s`,
      holds: rollback.withinBudget,
    });
  }
  if (has('native')) {
    const { benchNative } = await import('./native.js');
    const native = await timed('native engine beside task sets (good-canary, native-alb-canary, bad-release-alarm, native-alarm-during-bake)', benchNative);
    report.native = native;
    save(report);
    const { taskSet, native: ecs } = native.canary;
    budgets.push({
      budget: 'native canary state transitions',
      limit: `< task-set canary's (${taskSet.stateTransitions}), both SUCCEEDED`,
      actual: `${ecs.stateTransitions} (${ecs.status})`,
      holds: native.withinBudget.transitions,
    });
    const r = native.reaction.native;
    budgets.push({
      budget: 'native rollback reaction',
      limit: '0 s and 0 states from the alarm to StopServiceDeployment ROLLBACK, ROLLED_BACK by AlarmTriggered',
      actual: `${r.reactionSeconds ?? 'n/a'} s, ${r.transitions ?? 'n/a'} states (${r.status} ${r.reasonCode ?? ''})`.trimEnd(),
      holds: native.withinBudget.reaction,
    });
  }
  if (has('limits')) {
    const { benchLimits } = await import('./limits.js');
    const limits = await timed("Step Functions margins at the schema's extremes (4 deployments)", () =>
      benchLimits(undefined, (r) => log(`limits ${r.plan} ${r.outcome}: ${r.status}, largest payload ${r.largestPayloadBytes} B, ${r.historyEvents} history events`)),
    );
    report.limits = limits;
    save(report);
    for (const r of limits) {
      budgets.push({
        budget: `limits ${r.plan} ${r.outcome}`,
        limit: `payload <= ${r.payloadLimitBytes} B, history < ${r.historyLimit} events, ${r.outcome === 'deploy' ? 'SUCCEEDED' : 'ROLLED_BACK'}`,
        actual: r.error ? `error: ${r.error.slice(0, 120)}` : `${r.largestPayloadBytes} B, ${r.historyEvents} events, ${r.status}${r.executionError ? ` (${r.executionError})` : ''}`,
        holds: r.withinLimits,
      });
    }
  }
  if (has('synth')) {
    const { benchSynth } = await import('./synth.js');
    const synth = await timed('synth at 1, 10, 100 services', () => benchSynth([1, 10, 100]));
    report.synth = synth.runs;
    save(report);
    report.synthSummary = { source: synth.source, resourcesConstant: synth.resourcesConstant, secondsRatio: synth.secondsRatio, ...(synth.realError ? { realError: synth.realError } : {}) };
    budgets.push({
      budget: 'resources do not grow with services',
      limit: 'same count at 1, 10, 100',
      actual: synth.runs.map((r) => `${r.services}:${r.resources}`).join(' '),
      holds: synth.resourcesConstant,
    });
    budgets.push({
      budget: 'synth at 100 close to synth at 1',
      limit: '<= 2 x',
      actual: `${synth.secondsRatio} x`,
      holds: synth.secondsRatio <= 2,
    });
  }
  if (has('concurrent')) {
    const t0 = performance.now();
    const label = `${args.services} deployments at once (${args.concurrentMode}, at most ${args.concurrentTimeoutSeconds} s)`;
    const outcome = await timed(label, () => runConcurrentChild(args.services, args.concurrentMode, args.concurrentTimeoutSeconds));
    if (outcome.kind === 'result') {
      const concurrent = outcome.result;
      report.concurrent = concurrent;
      budgets.push({
        budget: `${args.services} concurrent deployments`,
        limit: `all ${args.services} in flight at once, 0 invariant violations, all SUCCEEDED`,
        actual: `${concurrent.maxInFlight} at once, ${concurrent.invariantViolations} violations, ${JSON.stringify(concurrent.statuses)}`,
        holds:
          concurrent.maxInFlight === args.services &&
          concurrent.invariantViolations === 0 &&
          (concurrent.statuses.SUCCEEDED ?? 0) === concurrent.deployments,
      });
    } else {
      // The local runtime gave up (e.g. its stall timeout) or ran out of time: a result too.
      log(`concurrent: ${outcome.error}`);
      report.concurrent = {
        mode: args.concurrentMode,
        deployments: args.services,
        wallSeconds: Math.round((performance.now() - t0) / 10) / 100,
        invariantViolations: null,
        error: outcome.error,
      };
      budgets.push({ budget: `${args.services} concurrent deployments`, limit: 'the run completes', actual: `error: ${outcome.error.slice(0, 120)}`, holds: false });
    }
    save(report);
  }

  const json = JSON.stringify(report);
  save(report);
  if (!args.json) process.stdout.write(`${renderTables(report)}\n`);
  process.stdout.write(`${json}\n`);
  const broken = budgets.filter((b) => !b.holds);
  if (broken.length > 0) log(`${broken.length} budget(s) exceeded: ${broken.map((b) => b.budget).join('; ')}`);
  return args.check && broken.length > 0 ? 1 : 0;
}

/** A fixed-width table. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

/** The native engine beside the task-set engine, same units, one column each. */
function renderNative(n: import('./native.js').NativeResult): string {
  const { taskSet: t, native: e } = n.canary;
  const { taskSet: rt, native: re } = n.reaction;
  const l = (c: import('./native.js').EngineCanary) => c.lambdaInvocations;
  const v = (x: number | null) => (x === null ? 'n/a' : String(x));
  const rows: Array<[string, string, string]> = [
    ['scenario', t.scenario, e.scenario],
    ['status', t.status, e.status],
    ['state transitions (deploy execution)', String(t.stateTransitions), String(e.stateTransitions)],
    ['Lambda: deploy Task states', String(l(t).stateMachine), String(l(e).stateMachine)],
    ['Lambda: intake / alarm watcher / native-event', `${l(t).intake} / ${l(t).alarmWatcher} / ${l(t).nativeEvent}`, `${l(e).intake} / ${l(e).alarmWatcher} / ${l(e).nativeEvent}`],
    ['Lambda: lifecycle hook (invoked by ECS)', String(l(t).lifecycleHook), String(l(e).lifecycleHook)],
    ['Lambda: total', String(l(t).total), String(l(e).total)],
    ['API calls', String(t.apiCalls), String(e.apiCalls)],
    ['virtual seconds (push to end)', String(t.virtualSeconds), String(e.virtualSeconds)],
    ['states entered while traffic waited', String(t.transitionsWhileWaiting), `${e.transitionsWhileWaiting} (${e.fallbackChecks} fallback check)`],
    ['rollback: scenario', rt.scenario, re.scenario],
    ['rollback: status', `${rt.status} ${rt.reasonCode ?? ''}`.trimEnd(), `${re.status} ${re.reasonCode ?? ''}`.trimEnd()],
    ['rollback: alarm to the call taking production off green (s)', v(rt.reactionSeconds), v(re.reactionSeconds)],
    ['rollback: states from the alarm to that call', v(rt.transitions), v(re.transitions)],
    ['rollback: alarm to ECS ROLLBACK_SUCCESSFUL (s)', 'n/a', v(re.rollbackCompleteSeconds)],
    ['rollback: alarm to the execution end (s)', v(rt.executionEndSeconds), v(re.executionEndSeconds)],
  ];
  return [
    'Two engines on the local rehearsal runtime (task sets: EXTERNAL controller; native: ECS deployments with Cutover\'s hook)',
    table(['measure', 'task sets', 'native'], rows),
  ].join('\n');
}

function renderTables(report: Report): string {
  const out: string[] = [];
  const bundles = report.bundles as
    | Array<{ name: string; bytes: number; bareBytes: number; ratio: number; withinBudget: boolean; loadMsMedian: number; bareLoadMsMedian: number; clients: string[]; overBare: Array<{ source: string; bytes: number }> }>
    | undefined;
  if (bundles) {
    out.push('Lambda bundles (KiB; budget <= 1.25 x bare; load = median ms of import in a fresh node)');
    out.push(
      table(
        ['handler', 'bundle', 'bare', 'ratio', 'ok', 'load ms', 'bare ms', 'clients', 'largest extra over bare'],
        bundles.map((b) => [
          b.name,
          kb(b.bytes),
          kb(b.bareBytes),
          b.ratio.toFixed(3),
          b.withinBudget ? 'yes' : 'NO',
          b.loadMsMedian.toFixed(1),
          b.bareLoadMsMedian.toFixed(1),
          b.clients.map((c) => c.replace('@aws-sdk/client-', '')).join(','),
          b.overBare.slice(0, 3).map((c) => `${c.source} ${kb(c.bytes)}`).join(', '),
        ]),
      ),
    );
    out.push('');
  }
  const canary = report.canary as Record<string, unknown> | undefined;
  const rollback = report.rollbackReaction as Record<string, unknown> | undefined;
  if (canary || rollback) {
    out.push('Scenarios on the local rehearsal runtime');
    const rows: Array<[string, string]> = [];
    if (canary) {
      for (const k of ['status', 'stateTransitions', 'lambdaInvocations', 'apiCalls', 'virtualSeconds', 'transitionsDuringBakes']) {
        rows.push([`canary ${k}`, String(canary[k])]);
      }
    }
    if (rollback) {
      for (const k of ['status', 'transitions', 'virtualSeconds']) rows.push([`rollback ${k}`, String(rollback[k])]);
      rows.push(['rollback path', (rollback.path as string[]).join(' > ')]);
    }
    out.push(table(['measure', 'value'], rows));
    out.push('');
  }
  const native = report.native as import('./native.js').NativeResult | undefined;
  if (native) out.push(renderNative(native), '');
  const limits = report.limits as import('./limits.js').LimitsResult[] | undefined;
  if (limits) {
    out.push("Step Functions margins at the schema's extremes (1 % linear steps or 50 explicit steps, 100 alarms, names at maximum length)");
    out.push(
      table(
        ['plan', 'outcome', 'status', 'largest payload B', 'limit B', 'history events', 'limit', 'execution error', 'wall s'],
        limits.map((r) => [r.plan, r.outcome, r.status, r.largestPayloadBytes, r.payloadLimitBytes, r.historyEvents, r.historyLimit, r.executionError ?? '-', r.wallSeconds]),
      ),
    );
    out.push('');
  }
  const synth = report.synth as Array<{ services: number; resources: number; seconds: number; templateBytes: number; iamScope: string }> | undefined;
  if (synth) {
    const source = (report.synthSummary as { source: string }).source;
    out.push(`Synth (in process, bundling skipped, ${source} handler and state-machine folders)`);
    out.push(table(['services', 'resources', 'seconds', 'template KiB', 'IAM scope'], synth.map((s) => [s.services, s.resources, s.seconds.toFixed(3), kb(s.templateBytes), s.iamScope])));
    out.push('');
  }
  const concurrent = report.concurrent as Record<string, unknown> | undefined;
  if (concurrent?.error) {
    out.push('Concurrent deployments on the local runtime');
    out.push(`${String(concurrent.deployments)} deployments: did not complete after ${String(concurrent.wallSeconds)} s: ${String(concurrent.error)}`);
    out.push('');
  } else if (concurrent) {
    out.push('Concurrent deployments on the local runtime');
    out.push(
      table(
        ['mode', 'deployments', 'max in flight', 'wall s', 'virtual s', 'violations', 'statuses', 'transitions', 'api calls'],
        [[String(concurrent.mode), String(concurrent.deployments), String(concurrent.maxInFlight), String(concurrent.wallSeconds), String(concurrent.virtualSeconds), String(concurrent.invariantViolations), JSON.stringify(concurrent.statuses), String(concurrent.stateTransitions), String(concurrent.apiCalls)]],
      ),
    );
    out.push('');
  }
  out.push('Budgets');
  out.push(table(['budget', 'limit', 'actual', 'holds'], report.budgets.map((b) => [b.budget, b.limit, b.actual, b.holds ? 'yes' : 'NO'])));
  out.push('');
  return out.join('\n');
}

// Exit explicitly: a local run that gave up (runner stall) can leave dynalite and timers behind.
main().then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`, () => process.exit(2));
  },
);
