/**
 * CDK test helpers: an App with cdk.json's context (feature flags change IAM policies and more, and
 * `new App()` in a test does not read cdk.json), bundling skipped unless asked for, configurations
 * of any size, and the cdk-nag validation report of a synth.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll } from 'vitest';
import { type CutoverConfig, type CutoverConfigInput, parseConfig } from '../../functions/core/config.js';
import type { ControlPlaneProps } from '../../lib/control-plane.js';
import { CutoverStack } from '../../lib/cutover-stack.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = {
  handlersDir: join(REPO_ROOT, 'test', 'lib', 'fixtures', 'handlers'),
  /** deploy.asl.json shaped like the real one (10 lambda:invoke tasks, bake with a task token). */
  stateMachinesDir: join(REPO_ROOT, 'test', 'lib', 'fixtures', 'statemachines'),
  /** deploy.asl.json using every supported integration (a hook by `FunctionName.$` too), and child.asl.json it starts. */
  allIntegrationsDir: join(REPO_ROOT, 'test', 'lib', 'fixtures', 'statemachines-all'),
} as const;

/** cdk.json's `context` (feature flags, `cli-telemetry`). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface TestAppOptions {
  /** Run esbuild for the functions (slow-ish); otherwise bundling is skipped. */
  readonly bundling?: boolean;
  /** Extra context (e.g. `config`). */
  readonly context?: Record<string, unknown>;
  /**
   * Run CDK's built-in CloudFormation validation (a WebAssembly rule engine: ~5 s to start per test
   * worker). `cdk synth` runs it; tests that only read the template skip it. @default false
   */
  readonly cfnValidation?: boolean;
}

const outdirs: string[] = [];
// Registered while the importing test file is collected: removes that file's outdirs at its end.
afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An App as `cdk synth` would make it: cdk.json context, a fresh temporary outdir (removed on exit). */
export function testApp(options: TestAppOptions = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), 'cutover-cdk-'));
  outdirs.push(outdir);
  return new App({
    outdir,
    builtinCloudFormationValidation: options.cfnValidation ?? false,
    context: {
      ...cdkJsonContext(),
      ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
}

/** The example configuration in the repository root, parsed. */
export function exampleConfig(): CutoverConfig {
  return parseConfig(JSON.parse(readFileSync(join(REPO_ROOT, 'cutover.config.json'), 'utf8')), 'cutover.config.json');
}

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

const hex16 = (n: number, salt: number) => ((n + 1) * 2654435761 + salt).toString(16).padStart(16, '0').slice(-16);

export interface ManyServicesOptions {
  /** Services share this many clusters (round robin). @default one cluster per service */
  readonly clusters?: number;
  /** Use listener rules (shared ALB) instead of one listener per service. @default true */
  readonly listenerRules?: boolean;
  /** Alarms per service. @default 2 */
  readonly alarmsPerService?: number;
  /** Set account and region in the config. @default true */
  readonly withEnv?: boolean;
  /**
   * The first `services` services get `scaling` (bounds 2-20), with target tracking on CPU when
   * `targetCpu`, `schedules` schedule rules and `alarms` alarm rules each. @default no scaling
   */
  readonly scaling?: { readonly services: number; readonly targetCpu?: boolean; readonly schedules?: number; readonly alarms?: number };
}

/** A valid raw configuration with `count` services. */
export function manyServices(count: number, options: ManyServicesOptions = {}): CutoverConfigInput {
  const clusters = options.clusters ?? count;
  const rules = options.listenerRules ?? true;
  const alarms = options.alarmsPerService ?? 2;
  const elb = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
  const services = Array.from({ length: count }, (_, i) => {
    const alb = `app/shop-alb-${i % 7}/${hex16(i % 7, 1)}`;
    const listener = `${elb}:listener/${alb}/${hex16(i % 7, 2)}`;
    return {
      name: `svc-${i}`,
      environment: 'production',
      cluster: `cluster-${i % clusters}`,
      service: `svc-${i}`,
      containerName: 'app',
      repository: `team-${i % 13}/svc-${i}`,
      ...(rules
        ? { listenerRuleArn: `${elb}:listener-rule/${alb}/${hex16(i % 7, 2)}/${hex16(i, 3)}` }
        : { listenerArn: listener.replace(hex16(i % 7, 2), hex16(i, 4)) }),
      targetGroupArns: [`${elb}:targetgroup/svc-${i}-a/${hex16(i, 5)}`, `${elb}:targetgroup/svc-${i}-b/${hex16(i, 6)}`] as [
        string,
        string,
      ],
      alarms: Array.from({ length: alarms }, (_, j) => `svc-${i}-alarm-${j}`),
      strategy: { type: 'canary' as const, percent: 10 },
      ...(options.scaling && i < options.scaling.services ? { scaling: scalingFor(i, options.scaling) } : {}),
    };
  });
  return {
    ...(options.withEnv === false ? {} : { account: ACCOUNT, region: REGION }),
    // One naming prefix for every service's task and execution roles: the list does not grow.
    taskRoleArns: [`arn:aws:iam::${ACCOUNT}:role/svc-*`],
    services,
  };
}

function scalingFor(i: number, o: NonNullable<ManyServicesOptions['scaling']>) {
  return {
    minCount: 2,
    maxCount: 20,
    ...(o.targetCpu ? { targetCpuPercent: 60 } : {}),
    rules: [
      ...Array.from({ length: o.alarms ?? 0 }, (_, j) => ({ alarmName: `svc-${i}-busy-${j}`, adjustment: 2 })),
      ...Array.from({ length: o.schedules ?? 0 }, (_, j) => ({
        schedule: `cron(0 ${(8 + j) % 24} ? * MON-FRI *)`,
        timezone: 'Europe/Paris',
        minCount: 4,
        maxCount: 20,
      })),
    ],
  };
}

const LAMBDA = `arn:aws:lambda:${REGION}:${ACCOUNT}:function`;
/** The hook ARNs of {@link everyFeatureConfig}. */
export const HOOKS = {
  afterHealthy: `${LAMBDA}:smoke-test`,
  beforeShift: `${LAMBDA}:shift-check:live`,
  verifyProduction: `${LAMBDA}:verify-production`,
} as const;

/**
 * The example service in staging and production with every optional feature: hooks (a qualified
 * ARN among them), a migration (production only), a test listener, scaling with target tracking, an
 * alarm rule and two schedule rules (production only), and production verification hooks.
 */
export function everyFeatureConfig(): CutoverConfig {
  const base = exampleConfig();
  const svc = base.services[0] as CutoverConfig['services'][number];
  const production = {
    ...svc,
    testListenerArn: (svc.listenerArn as string).replace(/[0-9a-f]{16}$/, '00000000000000aa'),
    hooks: { ...svc.hooks, afterHealthy: [HOOKS.afterHealthy], beforeShift: [HOOKS.beforeShift] },
    migration: { command: ['npm', 'run', 'migrate'] },
    scaling: {
      minCount: 2,
      maxCount: 10,
      targetCpuPercent: 60,
      rules: [
        { alarmName: 'checkout-busy', adjustment: 2 },
        { schedule: 'cron(0 8 ? * MON-FRI *)', timezone: 'Europe/Paris', minCount: 4, maxCount: 10 },
        { schedule: 'rate(1 day)', adjustment: -1 },
      ],
    },
  };
  const staging = { ...svc, environment: 'staging', cluster: 'shop-staging', hooks: { ...svc.hooks, afterHealthy: [HOOKS.afterHealthy] } };
  return parseConfig(
    {
      account: ACCOUNT,
      region: REGION,
      // The example's roles, and a naming prefix for staging's (a pattern: its wildcard is acknowledged).
      taskRoleArns: [...base.taskRoleArns, `arn:aws:iam::${ACCOUNT}:role/shop-staging-*`],
      environments: [{ name: 'staging' }, { name: 'production', requiresApproval: true, verification: { hooks: [HOOKS.verifyProduction] } }],
      services: [staging, production],
    },
    'everyFeatureConfig',
  );
}

export interface SynthOptions extends TestAppOptions {
  readonly config?: CutoverConfig;
  readonly controlPlane?: Omit<ControlPlaneProps, 'config'>;
  /** Use the fixture handlers and state machines. @default true */
  readonly fixtures?: boolean;
  /** Add cdk-nag's AwsSolutions checks. @default false */
  readonly nag?: boolean;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: CutoverStack;
  readonly template: Template;
}

/** A CutoverStack for the given configuration, synthesized (bundling skipped unless asked for). */
export function synthStack(options: SynthOptions = {}): Synthesized {
  const app = testApp(options);
  const config = options.config ?? exampleConfig();
  const fixtures = options.fixtures ?? true;
  const stack = new CutoverStack(app, 'CutoverStack', {
    config,
    controlPlane: {
      ...(fixtures ? { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.stateMachinesDir } : {}),
      ...options.controlPlane,
    },
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: Template.fromStack(stack) };
}

/** The validation report (cdk-nag and CDK's own checks) of a synth, and whether the synth threw. */
export interface ValidationOutcome {
  readonly threw: boolean;
  readonly report: ValidationReport;
}
export interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: ReadonlyArray<{
      readonly ruleName: string;
      readonly violatingConstructs: ReadonlyArray<{ readonly constructPath: string }>;
    }>;
  }>;
}

export function synthWithNag(options: Omit<SynthOptions, 'nag'> = {}): ValidationOutcome {
  const app = testApp({ cfnValidation: true, ...options });
  const config = options.config ?? exampleConfig();
  const fixtures = options.fixtures ?? true;
  new CutoverStack(app, 'CutoverStack', {
    config,
    controlPlane: {
      ...(fixtures ? { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.stateMachinesDir } : {}),
      ...options.controlPlane,
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let threw = false;
  try {
    app.synth();
  } catch {
    threw = true;
  }
  const file = join(app.outdir, 'validation-report.json');
  const report: ValidationReport = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as ValidationReport)
    : { pluginReports: [] };
  return { threw, report };
}

/** `Rule[construct]` for every violation still standing in a report. */
export function unacknowledged(report: ValidationReport): string[] {
  return report.pluginReports.flatMap((p) =>
    p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${p.pluginName}: ${v.ruleName} at ${c.constructPath}`)),
  );
}

// ---------------------------------------------------------------------------------------------
// Reading synthesized templates
// ---------------------------------------------------------------------------------------------

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON read from templates
export type CfnResource = { Type: string; Properties?: Record<string, any>; DependsOn?: string[] };
export type PolicyStatementJson = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** `[logicalId, resource]` of every resource of a type. */
export function resourcesOfType(t: Template, type: string): Array<[string, CfnResource]> {
  return Object.entries(t.toJSON().Resources as Record<string, CfnResource>).filter(([, r]) => r.Type === type);
}

/** `alarm-watcher` -> `AlarmWatcher`. */
export const pascal = (kebab: string): string => kebab.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

/** Statements of the (default) policy whose logical id starts with `policyPrefix`. */
export function policyStatements(t: Template, policyPrefix: string): PolicyStatementJson[] {
  const policy = resourcesOfType(t, 'AWS::IAM::Policy').find(([id]) => id.startsWith(policyPrefix));
  if (!policy) throw new Error(`no policy ${policyPrefix}`);
  return policy[1].Properties?.PolicyDocument.Statement as PolicyStatementJson[];
}

/** Statements of a handler's role. */
export const handlerStatements = (t: Template, handler: string): PolicyStatementJson[] =>
  policyStatements(t, `ControlPlane${pascal(handler)}HandlerRole`);

/** `action -> sorted resources` of a statement list (resources as strings, or JSON for tokens). */
export function grantsOf(statements: readonly PolicyStatementJson[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    for (const a of asArray(s.Action)) {
      const rs = asArray(s.Resource as unknown).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
      out.set(a, [...(out.get(a) ?? []), ...rs].sort());
    }
  }
  return out;
}

/** The grants of a handler's role beyond its log group, tracing and own dead-letter queue. */
export function handlerGrants(t: Template, handler: string): Record<string, string[]> {
  const g = grantsOf(handlerStatements(t, handler));
  return Object.fromEntries(
    [...g.entries()].filter(([a, rs]) => !/^(logs|xray):/.test(a) && !(a.startsWith('sqs:') && rs.every((r) => r.includes('DeadLetterQueue')))).sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** The statement of a role's policy that allows `action` (its condition, resources). */
export function statementFor(statements: readonly PolicyStatementJson[], action: string): PolicyStatementJson | undefined {
  return statements.find((s) => asArray(s.Action).includes(action));
}
