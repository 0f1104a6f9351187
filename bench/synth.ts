/**
 * Scale budget (DESIGN.md): CloudFormation resources do not grow with the number of managed
 * services, and synth at 100 services stays close to synth at 1.
 *
 * The CutoverStack is synthesized in process with bundling skipped and cdk.json's context, as
 * test/helpers/cdk.ts does for test/lib (that helper registers vitest hooks, so it is mirrored here,
 * not imported), from the real handler and state-machine folders, for generated configurations of
 * N services.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type CutoverConfigInput, parseConfig } from '../functions/core/config.js';
import { CutoverStack } from '../lib/cutover-stack.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const hex16 = (n: number, salt: number) => ((n + 1) * 2654435761 + salt).toString(16).padStart(16, '0').slice(-16);

/**
 * A valid configuration of `count` services: listener rules on 7 shared ALBs, 25 services per
 * cluster, 13 repository namespaces, two alarms each, a 10 % canary.
 */
export function generatedConfig(count: number): CutoverConfigInput {
  const elb = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
  const clusters = Math.max(1, Math.ceil(count / 25));
  const services = Array.from({ length: count }, (_, i) => {
    const alb = `app/shop-alb-${i % 7}/${hex16(i % 7, 1)}`;
    return {
      name: `svc-${i}`,
      environment: 'production',
      cluster: `cluster-${i % clusters}`,
      service: `svc-${i}`,
      containerName: 'app',
      repository: `team-${i % 13}/svc-${i}`,
      listenerRuleArn: `${elb}:listener-rule/${alb}/${hex16(i % 7, 2)}/${hex16(i, 3)}`,
      targetGroupArns: [`${elb}:targetgroup/svc-${i}-a/${hex16(i, 5)}`, `${elb}:targetgroup/svc-${i}-b/${hex16(i, 6)}`] as [string, string],
      alarms: [`svc-${i}-5xx`, `svc-${i}-latency`],
      strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 300 },
    };
  });
  return { account: ACCOUNT, region: REGION, services };
}

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface SynthResult {
  readonly services: number;
  readonly resources: number;
  /** Median wall seconds of constructing and synthesizing the stack (after a warm-up synth). */
  readonly seconds: number;
  /** Bytes of the synthesized template. */
  readonly templateBytes: number;
  /** The IAM scope level the roles got (service, cluster or account). */
  readonly iamScope: string;
}

export interface SynthSummary {
  /**
   * `real`: functions/handlers and statemachines/ of this repository. `fixtures`: the test/lib
   * fixtures, used when the real folders do not synthesize (the error is in `realError`).
   */
  readonly source: 'real' | 'fixtures';
  readonly realError?: string;
  readonly runs: SynthResult[];
  /** Same resource count at every size. */
  readonly resourcesConstant: boolean;
  /** Synth seconds at the largest size / at the smallest. */
  readonly secondsRatio: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const FIXTURES = {
  handlersDir: join(REPO_ROOT, 'test', 'lib', 'fixtures', 'handlers'),
  stateMachinesDir: join(REPO_ROOT, 'test', 'lib', 'fixtures', 'statemachines'),
};

function synthOnce(services: number, fixtures: boolean): { seconds: number; resources: number; templateBytes: number; iamScope: string } {
  const config = parseConfig(generatedConfig(services), `generated ${services} services`);
  const outdir = mkdtempSync(join(tmpdir(), 'cutover-bench-'));
  try {
    const t0 = performance.now();
    const app = new App({
      outdir,
      builtinCloudFormationValidation: false,
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new CutoverStack(app, 'CutoverStack', { config, ...(fixtures ? { controlPlane: FIXTURES } : {}) });
    const json = Template.fromStack(stack).toJSON() as { Resources?: Record<string, unknown> };
    const seconds = (performance.now() - t0) / 1000;
    return {
      seconds,
      resources: Object.keys(json.Resources ?? {}).length,
      templateBytes: JSON.stringify(json).length,
      iamScope: stack.controlPlane.iamScope.level,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function benchSynth(sizes: readonly number[] = [1, 10, 100], repeats = 5): SynthSummary {
  let fixtures = false;
  let realError: string | undefined;
  try {
    synthOnce(sizes[0] ?? 1, false); // warm-up: module loading and JIT, not synth
  } catch (e) {
    realError = (e as Error).message;
    fixtures = true;
    synthOnce(sizes[0] ?? 1, true);
  }
  // More warm-up at every size, so the first size measured does not pay for JIT.
  for (const n of sizes) synthOnce(n, fixtures);
  const runs = sizes.map((services) => {
    const samples = Array.from({ length: repeats }, () => synthOnce(services, fixtures));
    const first = samples[0] as ReturnType<typeof synthOnce>;
    return {
      services,
      resources: first.resources,
      seconds: Math.round(median(samples.map((s) => s.seconds)) * 1000) / 1000,
      templateBytes: first.templateBytes,
      iamScope: first.iamScope,
    };
  });
  const first = runs[0] as SynthResult;
  const last = runs[runs.length - 1] as SynthResult;
  return {
    source: fixtures ? 'fixtures' : 'real',
    ...(realError === undefined ? {} : { realError }),
    runs,
    resourcesConstant: runs.every((r) => r.resources === first.resources),
    secondsRatio: Math.round((last.seconds / first.seconds) * 100) / 100,
  };
}
