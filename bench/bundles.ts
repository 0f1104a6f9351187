/**
 * Cold-start budget (DESIGN.md "Budgets"): each Lambda bundle within 1.25 x a bundle of only the
 * bare SDK clients its handler calls, both built here side by side, and their module load time.
 *
 * - The handler bundle is built exactly as lib/cutover-function.ts has the CDK build it (esbuild,
 *   minified ESM for Node.js with the createRequire banner, main fields module/main, every package
 *   bundled including @aws-sdk, target from the Lambda runtime, no source map).
 * - The clients a handler calls are read from the handler bundle's metafile: every
 *   `@aws-sdk/client-*` package that contributes bytes to the output, with the commands of it that
 *   are in the output (`dist-es/commands/*Command.js`), and the DynamoDB document client
 *   (`@aws-sdk/lib-dynamodb`, the SDK's client for DynamoDB items) with its commands when present.
 * - The bare bundle is a generated entry that imports and constructs those clients (inside an
 *   exported handler, as the real handlers construct theirs lazily) and references the commands the
 *   handler sends, built with the same options. A client that sends nothing is not "the client the
 *   Lambda calls": without its commands the baseline would charge every API call's request and
 *   response schema (about 1 KB each; 20 KB for the ECS calls of cleanup) to Cutover's own code.
 *   `bareClientsOnlyBytes` keeps the clients-without-commands size for comparison.
 * - Load time is the median over fresh `node` processes of `await import(bundle)`, measured inside
 *   the child with performance.now() (process spawn is not counted).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import * as esbuild from 'esbuild';
import { ESM_REQUIRE_BANNER, LAMBDA_RUNTIME } from '../lib/cutover-function.js';

/** A bundle may be at most this many times its bare-clients bundle. */
export const BUNDLE_BUDGET_RATIO = 1.25;

export interface BundleResult {
  readonly name: string;
  /** Bytes of the handler bundle (index.mjs as the CDK builds it). */
  readonly bytes: number;
  /** Bytes of the bundle of only the SDK clients the handler calls and the commands it sends. */
  readonly bareBytes: number;
  /** Bytes of a bundle of the same clients without any command (the baseline before commands counted). */
  readonly bareClientsOnlyBytes: number;
  /** bytes / bareBytes. */
  readonly ratio: number;
  readonly withinBudget: boolean;
  /** Median ms of `await import()` of the handler bundle in a fresh node process. */
  readonly loadMsMedian: number;
  /** The same for the bare bundle. */
  readonly bareLoadMsMedian: number;
  /** The `@aws-sdk/client-*` packages the handler's bundle contains. */
  readonly clients: readonly string[];
  /** Bytes in the handler bundle by origin (package, or project folder), largest first. */
  readonly topContributors: ReadonlyArray<{ readonly source: string; readonly bytes: number }>;
  /** Bytes of the handler bundle that the bare bundle does not have, by origin, largest first. */
  readonly overBare: ReadonlyArray<{ readonly source: string; readonly bytes: number }>;
}

export interface BundleOptions {
  readonly projectRoot: string;
  /** Where bundles, metafiles and generated entries go (under .bench/). */
  readonly outDir: string;
  /** Fresh node processes per bundle for the load time (at least 10). */
  readonly loadRuns: number;
  /** Only these handlers (file stems); all when empty. */
  readonly only?: readonly string[];
}

/** esbuild's target from the construct's Lambda runtime (`nodejs24.x` -> `node24`), as CDK derives it. */
export function esbuildTarget(runtimeName: string = LAMBDA_RUNTIME.name): string {
  const match = /nodejs(\d+)/.exec(runtimeName);
  if (!match) throw new Error(`cannot derive an esbuild target from runtime ${runtimeName}`);
  return `node${match[1]}`;
}

/** The build options lib/cutover-function.ts gives NodejsFunction, as esbuild API options. */
export function cdkBuildOptions(projectRoot: string): esbuild.BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: esbuildTarget(),
    format: 'esm',
    minify: true,
    sourcemap: false,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    external: [],
    logLevel: 'warning',
    absWorkingDir: projectRoot,
    metafile: true,
    write: true,
  };
}

/** The handler files: functions/handlers/*.ts (shared/ is not a handler). */
export function handlerNames(handlersDir: string): string[] {
  return readdirSync(handlersDir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => basename(e.name, '.ts'))
    .sort();
}

/** `node_modules/@aws-sdk/client-ecs/dist-es/x.js` -> `@aws-sdk/client-ecs`; project files by folder. */
export function sourceOf(inputPath: string): string {
  const parts = inputPath.split('node_modules/');
  const last = parts[parts.length - 1] as string;
  if (parts.length > 1) {
    const segs = last.split('/');
    return segs[0]?.startsWith('@') ? `${segs[0]}/${segs[1]}` : (segs[0] as string);
  }
  const dir = inputPath.split('/').slice(0, -1).join('/');
  return dir === '' ? inputPath : dir;
}

/** Bytes in the output by origin, largest first. */
export function contributors(meta: esbuild.Metafile): Array<{ source: string; bytes: number }> {
  const totals = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const source = sourceOf(path);
      totals.set(source, (totals.get(source) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals.entries()]
    .map(([source, bytes]) => ({ source, bytes }))
    .filter((c) => c.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/** The `@aws-sdk/client-*` packages that contribute bytes to the output. */
export function sdkClientsIn(meta: esbuild.Metafile): string[] {
  return contributors(meta)
    .map((c) => c.source)
    .filter((s) => /^@aws-sdk\/client-[a-z0-9-]+$/.test(s))
    .sort();
}

/** The client class a `@aws-sdk/client-*` package exports (`ECSClient` for client-ecs). */
export async function clientClassOf(pkg: string): Promise<string> {
  const mod = (await import(pkg)) as Record<string, unknown>;
  const names = Object.keys(mod).filter((k) => {
    const v = mod[k];
    const send = typeof v === 'function' ? (v.prototype as { send?: unknown } | undefined)?.send : undefined;
    return /^[A-Z][A-Za-z0-9]*Client$/.test(k) && typeof send === 'function';
  });
  if (names.length !== 1) throw new Error(`${pkg}: expected one client class, found ${names.join(', ') || 'none'}`);
  return names[0] as string;
}

/** The SDK commands in the output, by package: `dist-es/commands/XCommand.js` files that contribute bytes. */
export function sdkCommandsIn(meta: esbuild.Metafile): Map<string, string[]> {
  const found = new Map<string, Set<string>>();
  for (const output of Object.values(meta.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const m = /node_modules\/(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))\/dist-es\/commands\/([A-Z][A-Za-z0-9]*Command)\.js$/.exec(path);
      if (!m || input.bytesInOutput === 0) continue;
      const set = found.get(m[1] as string) ?? new Set<string>();
      set.add(m[2] as string);
      found.set(m[1] as string, set);
    }
  }
  return new Map([...found].map(([pkg, set]) => [pkg, [...set].sort()]));
}

/** Whether the output holds the DynamoDB document client. */
export function usesDocumentClient(meta: esbuild.Metafile): boolean {
  return Object.values(meta.outputs).some((o) =>
    Object.entries(o.inputs).some(([path, i]) => path.includes('node_modules/@aws-sdk/lib-dynamodb/') && i.bytesInOutput > 0),
  );
}

/**
 * A tiny entry that imports and constructs `clients` (each `[package, className]`), as a handler
 * would, and references `commands` (package -> command class names) so they are bundled as the
 * handler's are; `documentClient` wraps the DynamoDB client in the SDK's document client.
 */
export function bareEntry(
  clients: ReadonlyArray<readonly [string, string]>,
  commands: ReadonlyMap<string, readonly string[]> = new Map(),
  documentClient = false,
): string {
  // Commands are imported under aliases: lib-dynamodb's QueryCommand and client-dynamodb's share a name.
  const lines: string[] = [];
  const refs: string[] = [];
  let n = 0;
  for (const [pkg, cls] of clients) lines.push(`import { ${cls} } from '${pkg}';`);
  if (documentClient) lines.push(`import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';`);
  for (const [pkg, names] of commands) {
    const aliased = names.map((name) => `${name} as c${n++}`);
    refs.push(...names.map((_, i) => `c${n - names.length + i}`));
    lines.push(`import { ${aliased.join(', ')} } from '${pkg}';`);
  }
  const construct = clients.map(([, cls]) =>
    documentClient && cls === 'DynamoDBClient' ? 'DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 1 }))' : `new ${cls}({ maxAttempts: 1 })`,
  );
  return [
    '// Generated by bench/bundles.ts: only the SDK clients the handler calls and the commands it sends, constructed on first use.',
    ...lines,
    'let clients;',
    `const commands = [${refs.join(', ')}];`,
    `export const handler = async (i) => { clients ??= [${construct.join(', ')}]; return [clients.length, commands[i]]; };`,
    '',
  ].join('\n');
}

const PROBE = [
  "import { performance } from 'node:perf_hooks';",
  "import { pathToFileURL } from 'node:url';",
  'const t0 = performance.now();',
  'await import(pathToFileURL(process.argv[2]).href);',
  'process.stdout.write(JSON.stringify(performance.now() - t0));',
  '',
].join('\n');

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** ms to import `file` in a fresh node process, measured inside the child. */
function loadOnce(probe: string, file: string): number {
  const out = execFileSync(process.execPath, [probe, file], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return Number(JSON.parse(out));
}

/** Median load ms of each file, the runs interleaved so that machine noise hits every file alike. */
export function loadMedians(probe: string, files: readonly string[], runs: number): number[] {
  const samples = files.map(() => [] as number[]);
  for (const f of files) loadOnce(probe, f); // warm the file cache
  for (let r = 0; r < runs; r++) {
    files.forEach((f, i) => {
      samples[i]?.push(loadOnce(probe, f));
    });
  }
  return samples.map((s) => Math.round(median(s) * 100) / 100);
}

/** Bytes each origin has in `a` beyond what it has in `b`, largest first. */
function difference(
  a: ReadonlyArray<{ source: string; bytes: number }>,
  b: ReadonlyArray<{ source: string; bytes: number }>,
): Array<{ source: string; bytes: number }> {
  const inB = new Map(b.map((c) => [c.source, c.bytes]));
  return a
    .map((c) => ({ source: c.source, bytes: c.bytes - (inB.get(c.source) ?? 0) }))
    .filter((c) => c.bytes > 0)
    .sort((x, y) => y.bytes - x.bytes);
}

export async function benchBundles(options: BundleOptions): Promise<BundleResult[]> {
  const { projectRoot, outDir, loadRuns } = options;
  if (loadRuns < 10) throw new Error(`loadRuns: ${loadRuns} is too few; at least 10 fresh processes per bundle`);
  const handlersDir = join(projectRoot, 'functions', 'handlers');
  const names = handlerNames(handlersDir).filter((n) => !options.only?.length || options.only.includes(n));
  mkdirSync(outDir, { recursive: true });
  const probe = join(outDir, 'load-probe.mjs');
  writeFileSync(probe, PROBE);
  const base = cdkBuildOptions(projectRoot);
  const classes = new Map<string, string>();

  const built: Array<Omit<BundleResult, 'loadMsMedian' | 'bareLoadMsMedian'> & { file: string; bareFile: string }> = [];
  for (const name of names) {
    const dir = join(outDir, 'bundles', name);
    const bareDir = join(outDir, 'bare', name);
    mkdirSync(dir, { recursive: true });
    mkdirSync(bareDir, { recursive: true });
    const file = join(dir, 'index.mjs');
    const full = await esbuild.build({ ...base, entryPoints: [join(handlersDir, `${name}.ts`)], outfile: file });
    const meta = full.metafile as esbuild.Metafile;
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));

    const clients = sdkClientsIn(meta);
    const pairs: Array<[string, string]> = [];
    for (const pkg of clients) {
      if (!classes.has(pkg)) classes.set(pkg, await clientClassOf(pkg));
      pairs.push([pkg, classes.get(pkg) as string]);
    }
    const entry = join(bareDir, 'entry.mjs');
    writeFileSync(entry, bareEntry(pairs, sdkCommandsIn(meta), usesDocumentClient(meta)));
    const bareFile = join(bareDir, 'index.mjs');
    const bare = await esbuild.build({ ...base, entryPoints: [entry], outfile: bareFile });
    const bareMeta = bare.metafile as esbuild.Metafile;
    writeFileSync(join(bareDir, 'meta.json'), JSON.stringify(bareMeta));
    const clientsOnlyEntry = join(bareDir, 'clients-only.mjs');
    writeFileSync(clientsOnlyEntry, bareEntry(pairs));
    const clientsOnly = await esbuild.build({ ...base, entryPoints: [clientsOnlyEntry], outfile: join(bareDir, 'clients-only.out.mjs') });

    const bytes = outputBytes(meta);
    const bareBytes = outputBytes(bareMeta);
    const ratio = Math.round((bytes / bareBytes) * 1000) / 1000;
    const mine = contributors(meta);
    built.push({
      name,
      bytes,
      bareBytes,
      bareClientsOnlyBytes: outputBytes(clientsOnly.metafile as esbuild.Metafile),
      ratio,
      withinBudget: bytes <= BUNDLE_BUDGET_RATIO * bareBytes,
      clients,
      topContributors: mine.slice(0, 12).map((c) => ({ ...c, source: relativeSource(projectRoot, c.source) })),
      overBare: difference(mine, contributors(bareMeta))
        .slice(0, 12)
        .map((c) => ({ ...c, source: relativeSource(projectRoot, c.source) })),
      file,
      bareFile,
    });
  }

  const files = built.flatMap((b) => [b.file, b.bareFile]);
  const medians = loadMedians(probe, files, loadRuns);
  return built.map(({ file: _f, bareFile: _b, ...b }, i) => ({
    ...b,
    loadMsMedian: medians[2 * i] as number,
    bareLoadMsMedian: medians[2 * i + 1] as number,
  }));
}

function outputBytes(meta: esbuild.Metafile): number {
  return Object.values(meta.outputs).reduce((n, o) => n + o.bytes, 0);
}

function relativeSource(projectRoot: string, source: string): string {
  return source.startsWith('/') ? relative(projectRoot, source) : source;
}
