/**
 * The operator commands: thin clients of the deployed control plane — its state table, its state
 * machines (deploy, control, rollback, cleanup) and the production listeners — with credentials from
 * the SDK's standard chain. Where they find it: see ./settings.ts.
 *
 *   cutover status [SERVICE] [--watch]         what is live and what is in flight
 *   cutover history SERVICE                    the service's deployments, newest first
 *   cutover deploy SERVICE --image URI@DIGEST  start the deploy state machine by hand
 *   cutover promote|approve|abort SERVICE      the control state machine (also extend, hold); approve and
 *                                              abort reach the release waiting before --env when no
 *                                              deployment of SERVICE waits (approve) or is in flight (abort)
 *   cutover release status|approve|abort       releases waiting for approval (the control state machine)
 *   cutover rollback SERVICE [--to VERSION]    the rollback state machine
 *   cutover cleanup [--dry-run]                the cleanup state machine, now
 *
 * Controls are checked against the table before anything starts (`approve` while the deployment
 * bakes says "use promote"), then the state machine decides again with fresh data: the CLI never
 * sends a task token itself. Every error says what to do next.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { type ClientOptions, makeClient } from '../functions/aws/clients.js';
import { ElbTrafficRouter } from '../functions/aws/elb.js';
import { DynamoReleaseStore } from '../functions/aws/release-store.js';
import { DynamoStore, publicRecord } from '../functions/aws/store.js';
import { type CleanupRunReport, formatCleanupReport } from '../functions/core/cleanup.js';
import type { CutoverConfig, ServiceConfig } from '../functions/core/config.js';
import {
  type ControlAction,
  type ControlInputDocument,
  decideControl,
  EXTEND_SECONDS,
  parseControlInput,
  parseRollbackInput,
  planRollback,
  type RollbackInputDocument,
  selectInFlight,
} from '../functions/core/control.js';
import { DIGEST, type DeployRequest, deploymentIdFor, imageUri } from '../functions/core/deploy-state.js';
import type { DeploymentRecord, TargetGroupWeight } from '../functions/core/model.js';
import type { DeploymentStore, ReleaseStore } from '../functions/core/ports.js';
import { decideReleaseControl, publicRelease, type ReleaseRecord, waitingReleaseFor } from '../functions/core/release.js';
import { clockText, planText, shortDigest, stepRow, targetGroupName } from '../local/report/model.js';
import { type CliIO, CommandError, UsageError } from './io.js';
import { type ControlPlaneSettings, resolveService, resolveSettings, SETTINGS_FLAGS, type StackOutputsReader } from './settings.js';

export const OPERATOR_COMMANDS = ['status', 'history', 'deploy', 'promote', 'approve', 'abort', 'extend', 'hold', 'rollback', 'cleanup', 'release'] as const;
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];

export const OPERATOR_USAGE = `  cutover status [SERVICE] [--env ENV] [--watch [--interval SECONDS]] [--json]
  cutover history SERVICE [--env ENV] [--limit N] [--json]
  cutover deploy SERVICE --image [REGISTRY/]REPOSITORY[:TAG]@sha256:DIGEST [--env ENV] [--new]
  cutover promote SERVICE [--fully] | approve SERVICE | abort SERVICE [--reason TEXT]
  cutover extend SERVICE [--seconds N] | hold SERVICE
  cutover rollback SERVICE [--to DEPLOYMENT_ID|TASK_DEFINITION_ARN] [--reason TEXT]
  cutover cleanup [--dry-run] [--reason TEXT]
  cutover release status [RELEASE_ID | --service SERVICE [--env ENV]] [--json]
  cutover release approve|abort RELEASE_ID | --service SERVICE [--env ENV] [--reason TEXT]
  operator options: --id DEPLOYMENT_ID --by NAME --no-wait --wait-seconds N
  control plane: --stack NAME | --table NAME --deploy-arn ARN --control-arn ARN --rollback-arn ARN
                 --cleanup-arn ARN (or CUTOVER_* variables: cutover help) --config PATH --region REGION`;

/** How a test (or an embedding program) reaches a control plane that is not in the environment. */
export interface OperatorOverrides {
  readonly clientOptions?: ClientOptions;
  readonly config?: CutoverConfig;
  readonly readStackOutputs?: StackOutputsReader;
}

const FLAGS = {
  ...SETTINGS_FLAGS,
  env: { type: 'string', short: 'e' },
  id: { type: 'string' },
  by: { type: 'string' },
  json: { type: 'boolean' },
  watch: { type: 'boolean', short: 'w' },
  interval: { type: 'string' },
  limit: { type: 'string' },
  image: { type: 'string' },
  new: { type: 'boolean' },
  fully: { type: 'boolean' },
  seconds: { type: 'string' },
  reason: { type: 'string' },
  to: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  'wait-seconds': { type: 'string' },
  service: { type: 'string' },
} as const;

type Flags = { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

/** What a command works with. */
export interface OperatorContext {
  readonly io: CliIO;
  readonly settings: ControlPlaneSettings;
  readonly flags: Flags;
  readonly positionals: readonly string[];
  /** Who acts: --by, CUTOVER_OPERATOR, USER. */
  readonly by: string;
  store(): Promise<DeploymentStore>;
  /** Release records (the same table). */
  releases(): Promise<ReleaseStore>;
  sfn(): SFNClient;
}

export async function operatorCommand(command: string, args: readonly string[], io: CliIO, overrides: OperatorOverrides = {}): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options: FLAGS, allowPositionals: true, strict: true });
  const flags = values as Flags;
  const base = resolveSettings({
    flags,
    env: io.env,
    cwd: io.cwd,
    ...(overrides.readStackOutputs ? { readStackOutputs: overrides.readStackOutputs } : {}),
    ...(overrides.clientOptions ? { clientOptions: overrides.clientOptions } : {}),
  });
  const settings: ControlPlaneSettings = overrides.config ? { ...base, config: overrides.config, configPath: '(given)' } : base;
  let store: DeploymentStore | undefined;
  let releases: ReleaseStore | undefined;
  let sfn: SFNClient | undefined;
  const ctx: OperatorContext = {
    io,
    settings,
    flags,
    positionals,
    by: flags.by ?? io.env.CUTOVER_OPERATOR ?? io.env.USER ?? 'cli',
    store: async () => {
      if (!store) {
        const doc = DynamoDBDocumentClient.from(makeClient(DynamoDBClient, settings.clientOptions, 'dynamodb'), {
          marshallOptions: { removeUndefinedValues: true },
        });
        store = new DynamoStore(doc, await settings.require('tableName'), { now: () => io.now() });
      }
      return store;
    },
    releases: async () => {
      if (!releases) {
        const doc = DynamoDBDocumentClient.from(makeClient(DynamoDBClient, settings.clientOptions, 'dynamodb'), {
          marshallOptions: { removeUndefinedValues: true },
        });
        releases = new DynamoReleaseStore(doc, await settings.require('tableName'), { now: () => io.now() });
      }
      return releases;
    },
    sfn: () => {
      sfn ??= makeClient(SFNClient, settings.clientOptions);
      return sfn;
    },
  };
  switch (command as OperatorCommand) {
    case 'status':
      return status(ctx);
    case 'history':
      return history(ctx);
    case 'deploy':
      return deploy(ctx);
    case 'promote':
      return control(ctx, flags.fully ? 'promote-fully' : 'promote');
    case 'approve':
    case 'abort':
    case 'extend':
    case 'hold':
      return control(ctx, command as ControlAction);
    case 'rollback':
      return rollback(ctx);
    case 'cleanup':
      return cleanup(ctx);
    case 'release':
      return releaseCommand(ctx);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

// ------------------------------------------------------------------------------------ helpers

const write = (ctx: OperatorContext, text: string) => ctx.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

function intFlag(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** Columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

const ago = (io: CliIO, iso: string | undefined): string => {
  if (!iso) return '';
  const ms = io.now() - Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${clockText(ms)} ago`;
};

const imageText = (r: Pick<DeploymentRecord, 'image'>) => `${r.image.repository}${r.image.tag ? `:${r.image.tag}` : ''} ${shortDigest(r.image.digest)}`;

function lastStep(r: DeploymentRecord): string {
  if (r.waitingFor) return r.waitingFor === 'bake' ? 'baking' : r.waitingFor === 'approval' ? 'waiting for approval' : 'termination wait';
  const last = r.timeline.at(-1);
  return last ? stepRow(last, r.blue?.targetGroupArn ?? null, r.green?.targetGroupArn ?? null).title : r.status.toLowerCase();
}

function serviceConfigs(ctx: OperatorContext): ServiceConfig[] {
  return ctx.settings.config?.services ?? [];
}

async function liveWeights(ctx: OperatorContext, svc: ServiceConfig | undefined): Promise<TargetGroupWeight[] | undefined> {
  if (!svc) return undefined;
  const router = new ElbTrafficRouter(makeClient(ElasticLoadBalancingV2Client, ctx.settings.clientOptions));
  const arn = svc.listenerRuleArn ?? svc.listenerArn;
  if (!arn) return undefined;
  try {
    return await router.readWeights(svc.listenerRuleArn ? { kind: 'rule', arn } : { kind: 'listener', arn });
  } catch {
    return undefined;
  }
}

function weightsLine(weights: readonly TargetGroupWeight[], record?: DeploymentRecord): string {
  const role = (tg: string) => (record?.green?.targetGroupArn === tg ? 'green ' : record?.blue?.targetGroupArn === tg ? 'blue ' : '');
  return weights.map((w) => `${role(w.targetGroupArn)}${targetGroupName(w.targetGroupArn)} ${w.weight}`).join(' / ');
}

interface ExecutionResult {
  readonly status: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** Poll DescribeExecution until the execution ends or `timeoutMs` of CLI time passes. */
async function waitForExecution(ctx: OperatorContext, executionArn: string, timeoutMs: number): Promise<ExecutionResult> {
  const started = ctx.io.now();
  let delay = 250;
  for (;;) {
    const out = await ctx.sfn().send(new DescribeExecutionCommand({ executionArn }));
    const status = out.status ?? 'UNKNOWN';
    if (status !== 'RUNNING' && status !== 'PENDING_REDRIVE') {
      return { status, ...(out.output ? { output: out.output } : {}), ...(out.error ? { error: out.error } : {}), ...(out.cause ? { cause: out.cause } : {}) };
    }
    if (ctx.io.now() - started >= timeoutMs) return { status };
    await ctx.io.sleep(delay);
    delay = Math.min(delay * 2, 2000);
  }
}

/** Start an execution; ExecutionAlreadyExists becomes `undefined`. */
async function start(ctx: OperatorContext, stateMachineArn: string, name: string, input: unknown): Promise<string | undefined> {
  try {
    const out = await ctx.sfn().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return out.executionArn;
  } catch (e) {
    const err = e as { name?: string; message?: string };
    if (err.name === 'ExecutionAlreadyExists') return undefined;
    if (err.name === 'StateMachineDoesNotExist') {
      throw new CommandError(`state machine ${stateMachineArn} does not exist`, 'check the ARN (--*-arn, CUTOVER_*_STATE_MACHINE_ARN) or the stack outputs; is the control plane deployed in this region?');
    }
    throw e;
  }
}

/** A unique, valid execution name: `promote-api-production-<time>-<random>`. */
function executionName(ctx: OperatorContext, ...parts: string[]): string {
  const suffix = `${ctx.io.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const head = parts.join('-').replace(/[^A-Za-z0-9_-]/g, '-');
  return `${head.slice(0, 80 - suffix.length - 1)}-${suffix}`;
}

const waitSeconds = (ctx: OperatorContext) => intFlag(ctx.flags['wait-seconds'], 'wait-seconds', 0, 3600) ?? 120;

/** Wait for a control/rollback/cleanup execution and print what it did; errors say what next. */
async function finishExecution(ctx: OperatorContext, what: string, executionArn: string): Promise<ExecutionResult | undefined> {
  if (ctx.flags['no-wait']) {
    write(ctx, `${what}: started ${executionArn}`);
    return undefined;
  }
  const result = await waitForExecution(ctx, executionArn, waitSeconds(ctx) * 1000);
  if (result.status === 'RUNNING') {
    write(ctx, `${what}: still running after ${waitSeconds(ctx)} s: ${executionArn}`);
    return result;
  }
  if (result.status !== 'SUCCEEDED') {
    throw new CommandError(
      `${what} ${result.status}: ${result.error ?? ''}${result.cause ? `: ${causeText(result.cause)}` : ''}`,
      `see the execution in the Step Functions console: ${executionArn}`,
    );
  }
  return result;
}

/** A Lambda error's Cause is JSON `{errorType, errorMessage}`; a Fail state's is text. */
function causeText(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

/** What a control did, from the control state machine's output (its decision). */
export function controlSummary(output: string | undefined): string {
  let o: { decision?: { kind?: string; waitingFor?: string; signal?: { action?: string; seconds?: number; timeoutSeconds?: number; onTimeout?: string }; error?: string; message?: string; why?: string } };
  try {
    o = JSON.parse(output ?? '{}');
  } catch {
    return '';
  }
  const d = o.decision;
  if (!d?.kind) return outputSummary(output);
  switch (d.kind) {
    case 'succeed': {
      const sig = d.signal ?? {};
      if (d.waitingFor === 'termination' && (sig.action === 'promote' || sig.action === 'promote-fully')) return 'the termination wait ends now: blue is retired';
      switch (sig.action) {
        case 'promote':
          return d.waitingFor === 'approval' ? 'approved: the next step runs now' : 'the bake ends now and counts as passed';
        case 'promote-fully':
          return 'every step left is skipped: 100 % on green, then promoted';
        case 'extend':
          return `the bake goes on ${sig.seconds ?? '?'} s more, alarms armed`;
        case 'hold':
          return `held: waiting for approve or abort (${sig.timeoutSeconds ?? '?'} s, then ${sig.onTimeout ?? 'abort'})`;
        case 'approve':
          return 'approved: the next step runs now';
        default:
          return sig.action ?? 'signal sent';
      }
    }
    case 'fail':
      return `rolled back: ${d.message ?? d.error ?? ''}`;
    case 'stop':
      return `execution stopped and rolled back: ${d.message ?? d.error ?? ''}`;
    case 'none':
      return `nothing to do: ${d.why ?? ''}`;
    default:
      return outputSummary(output);
  }
}

/** What a rollback did, from the rollback state machine's output. */
export function rollbackSummary(output: string | undefined): string {
  let o: { started?: { deploymentId?: string }; decision?: { kind?: string; message?: string }; plan?: { kind?: string; why?: string }; rolledBack?: string };
  try {
    o = JSON.parse(output ?? '{}');
  } catch {
    return '';
  }
  if (o.started?.deploymentId) return `deployment ${o.started.deploymentId} runs the previous version (follow it: cutover status)`;
  if (o.plan?.kind === 'noop') return `nothing to do: ${o.plan.why ?? ''}`;
  if (o.decision?.kind === 'fail' || o.decision?.kind === 'stop') return `the deployment in flight rolled back: ${o.decision.message ?? ''}`;
  return '';
}

function outputSummary(output: string | undefined): string {
  if (!output) return '';
  try {
    const o = JSON.parse(output) as Record<string, unknown>;
    for (const key of ['message', 'summary', 'result', 'outcome', 'decision']) {
      const v = o[key];
      if (typeof v === 'string') return v;
      if (v && typeof v === 'object') {
        const m = (v as Record<string, unknown>).message ?? (v as Record<string, unknown>).why ?? (v as Record<string, unknown>).kind;
        if (typeof m === 'string') return m;
      }
    }
    return JSON.stringify(o).slice(0, 300);
  } catch {
    return output.slice(0, 300);
  }
}

// ------------------------------------------------------------------------------------- status

interface StatusSnapshot {
  readonly inFlight: readonly DeploymentRecord[];
  readonly text: string;
  readonly json: unknown;
}

async function statusSnapshot(ctx: OperatorContext): Promise<StatusSnapshot> {
  const store = await ctx.store();
  const name = ctx.positionals[0];
  const all = await store.listInFlight();
  if (!name) {
    const services = serviceConfigs(ctx);
    const rows: string[][] = [['SERVICE', 'LIVE', 'IN FLIGHT', 'STEP', 'SINCE']];
    const seen = new Set<string>();
    for (const svc of services) {
      const key = `${svc.name}/${svc.environment}`;
      seen.add(key);
      const stable = await store.getStable(svc.name, svc.environment);
      const r = all.find((x) => x.service === svc.name && x.environment === svc.environment && x.status === 'IN_PROGRESS') ??
        all.find((x) => x.service === svc.name && x.environment === svc.environment);
      rows.push([key, stable ? `${shortDigest(stable.digest) || stable.taskDefinitionArn.replace(/^.*task-definition\//, '')}` : '—', r ? `${r.deploymentId} ${r.status}` : '—', r ? lastStep(r) : '', r ? ago(ctx.io, r.createdAt) : '']);
    }
    for (const r of all) {
      const key = `${r.service}/${r.environment}`;
      if (seen.has(key)) continue;
      rows.push([key, '?', `${r.deploymentId} ${r.status}`, lastStep(r), ago(ctx.io, r.createdAt)]);
    }
    const text = rows.length > 1 ? table(rows) : 'Nothing in flight. (No configuration found: pass --config PATH to list every service.)';
    return { inFlight: all, text, json: { inFlight: all.map(publicRecord) } };
  }
  const { service, environment, config } = resolveService(ctx.settings, name, ctx.flags.env);
  const mine = all.filter((r) => r.service === service && r.environment === environment);
  const [stable, lock, weights, recent] = await Promise.all([
    store.getStable(service, environment),
    store.getLock(service, environment),
    liveWeights(ctx, config),
    store.listDeployments(service, environment, 1),
  ]);
  const current = mine.find((r) => r.status === 'IN_PROGRESS') ?? mine[0];
  const lines = [`${service}/${environment}`];
  lines.push(`  live      ${stable ? `${stable.deploymentId} (${stable.taskDefinitionArn.replace(/^.*task-definition\//, '')}${stable.digest ? `, ${shortDigest(stable.digest)}` : ''}), since ${ago(ctx.io, stable.updatedAt)}` : 'no stable version recorded yet'}`);
  if (weights) lines.push(`  traffic   ${weightsLine(weights, current)}`);
  if (current) {
    lines.push(`  in flight ${current.deploymentId} ${current.status} — ${lastStep(current)}`);
    lines.push(`  image     ${imageText(current)}`);
    if (current.plan) lines.push(`  plan      ${current.strategy}: ${planText(current.plan.steps as never)}`);
    const tail = current.timeline.slice(-6).map((e) => {
      const row = stepRow(e, current.blue?.targetGroupArn ?? null, current.green?.targetGroupArn ?? null);
      return `    ${new Date(row.at).toISOString().slice(11, 19)}  ${row.title}${row.detail ? ` — ${row.detail}` : ''}`;
    });
    if (tail.length > 0) lines.push('  recent steps', ...tail);
    const next =
      current.waitingFor === 'bake'
        ? `cutover promote ${service} (end the bake now) · cutover abort ${service}`
        : current.waitingFor === 'approval'
          ? `cutover approve ${service} · cutover abort ${service}`
          : `cutover abort ${service}`;
    lines.push(`  actions   ${next}`);
    for (const other of mine.filter((r) => r !== current)) lines.push(`  queued    ${other.deploymentId} ${other.status} (${imageText(other)})`);
  } else {
    const last = recent[0];
    lines.push(`  in flight nothing${last ? ` (last: ${last.deploymentId} ${last.status}${last.reason ? ` — ${last.reason.code}` : ''}, ${ago(ctx.io, last.updatedAt)})` : ''}`);
  }
  if (lock?.holder && !mine.some((r) => r.deploymentId === lock.holder)) lines.push(`  lock      held by ${lock.holder}`);
  if (lock?.waiter) lines.push(`  waiting   ${lock.waiter.deploymentId} (${shortDigest(lock.waiter.digest)})`);
  return { inFlight: mine, text: lines.join('\n'), json: { service, environment, stable: stable ?? null, weights: weights ?? null, inFlight: mine.map(publicRecord), lock: lock ?? null } };
}

async function status(ctx: OperatorContext): Promise<number> {
  const interval = intFlag(ctx.flags.interval, 'interval', 1, 3600) ?? 5;
  const tty = ctx.io.stdout.isTTY === true && !ctx.flags.json;
  for (let round = 0; ; round += 1) {
    const snap = await statusSnapshot(ctx);
    if (ctx.flags.json) write(ctx, JSON.stringify(snap.json));
    else if (ctx.flags.watch) write(ctx, `${tty ? '\x1b[H\x1b[2J' : round > 0 ? '\n' : ''}${snap.text}\n${tty ? `\n(every ${interval} s; Ctrl-C to stop)` : `(as of ${new Date(ctx.io.now()).toISOString()})`}`);
    else write(ctx, snap.text);
    if (!ctx.flags.watch || snap.inFlight.length === 0) return 0;
    await ctx.io.sleep(interval * 1000);
  }
}

// ------------------------------------------------------------------------------------ history

async function history(ctx: OperatorContext): Promise<number> {
  const { service, environment } = resolveService(ctx.settings, ctx.positionals[0], ctx.flags.env);
  const limit = intFlag(ctx.flags.limit, 'limit', 1, 1000) ?? 20;
  const store = await ctx.store();
  const records = await store.listDeployments(service, environment, limit);
  if (ctx.flags.json) {
    // Issue #14 (5): task tokens are credentials, not history; never printed.
    write(ctx, JSON.stringify(records.map(publicRecord)));
    return 0;
  }
  if (records.length === 0) {
    write(ctx, `No deployments of ${service}/${environment} on record. (Push an image, or: cutover deploy ${service} --image REPOSITORY@sha256:...)`);
    return 0;
  }
  const rows = [['CREATED', 'DEPLOYMENT', 'STATUS', 'IMAGE', 'STRATEGY', 'TOOK', 'REASON']];
  for (const r of records) {
    const end = r.timeline.findLast?.((e) => e.kind === 'terminal')?.at ?? (r.status === 'IN_PROGRESS' || r.status === 'QUEUED' ? undefined : r.updatedAt);
    const took = end ? clockText(Date.parse(end) - Date.parse(r.createdAt)) : 'running';
    rows.push([r.createdAt.replace('T', ' ').slice(0, 19), r.deploymentId, r.status, imageText(r), r.strategy, took, r.reason ? r.reason.code : '']);
  }
  write(ctx, table(rows));
  return 0;
}

// ------------------------------------------------------------------------------------- deploy

/** `[REGISTRY/]REPOSITORY[:TAG]@sha256:HEX` split up; errors say what the image must look like. */
export function parseImageArg(image: string): { registry?: string; repository: string; tag?: string; digest: string } {
  const at = image.lastIndexOf('@');
  const fix = 'give the image by digest: [ACCOUNT.dkr.ecr.REGION.amazonaws.com/]REPOSITORY[:TAG]@sha256:<64 hex> (docker inspect --format "{{index .RepoDigests 0}}" IMAGE prints it)';
  if (at < 0) throw new UsageError(`--image "${image}" has no digest; ${fix}`);
  const digest = image.slice(at + 1);
  if (!DIGEST.test(digest)) throw new UsageError(`--image digest "${digest}" is not sha256: followed by 64 lowercase hex characters; ${fix}`);
  let rest = image.slice(0, at);
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0 && /[.:]/.test(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const repository = tag === undefined ? rest : rest.slice(0, colon);
  if (!repository) throw new UsageError(`--image "${image}" names no repository; ${fix}`);
  return { ...(registry ? { registry } : {}), repository, ...(tag ? { tag } : {}), digest };
}

/** Account and region from a state machine ARN `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`. */
function arnParts(arn: string): { region: string; account: string } | undefined {
  const p = arn.split(':');
  return p.length >= 7 && p[3] && p[4] ? { region: p[3], account: p[4] } : undefined;
}

async function deploy(ctx: OperatorContext): Promise<number> {
  const { service, environment, config } = resolveService(ctx.settings, ctx.positionals[0], ctx.flags.env);
  if (!ctx.flags.image) throw new UsageError(`deploy needs --image REPOSITORY@sha256:DIGEST (the image ${service} should run)`);
  const image = parseImageArg(ctx.flags.image);
  if (config && config.repository !== image.repository) {
    throw new CommandError(
      `${service}/${environment} deploys images of ${config.repository}, not ${image.repository}`,
      `push the image to ${config.repository}, or check the service name`,
    );
  }
  const arn = await ctx.settings.require('deploy');
  const where = arnParts(arn);
  const uri = image.registry ? `${image.registry}/${image.repository}@${image.digest}` : where ? imageUri(where.account, where.region, image.repository, image.digest) : undefined;
  const baseId = deploymentIdFor(service, environment, image.digest);
  const deploymentId = ctx.flags.new ? `${baseId}-m${ctx.io.now().toString(36)}` : baseId;
  const request: DeployRequest = {
    deploymentId,
    service,
    environment,
    image: { repository: image.repository, digest: image.digest, ...(image.tag ? { tag: image.tag } : {}), ...(uri ? { uri } : {}) },
    requestedAt: new Date(ctx.io.now()).toISOString(),
    trigger: { kind: 'manual', by: ctx.by },
  };
  const executionArn = await start(ctx, arn, deploymentId, request);
  if (executionArn === undefined) {
    throw new CommandError(
      `deployment ${deploymentId} of this image already exists (a push or an earlier deploy started it)`,
      `follow it with \`cutover status ${service}\`; to deploy the same image again, add --new`,
    );
  }
  write(ctx, `started deployment ${deploymentId} of ${image.repository}${image.tag ? `:${image.tag}` : ''} ${shortDigest(image.digest)} to ${service}/${environment}`);
  write(ctx, `  execution ${executionArn}`);
  write(ctx, `  follow it: cutover status ${service} --watch`);
  return 0;
}

// ------------------------------------------------------------------------------------ control

const CONTROL_DONE: Record<ControlAction, string> = {
  promote: 'promoted',
  'promote-fully': 'promoted fully',
  extend: 'extended',
  hold: 'held',
  approve: 'approved',
  abort: 'aborted',
};

/** The control input the CLI sends (validated by the same schema the control state machine uses). */
export function controlInput(action: ControlAction, service: string, environment: string, flags: Flags, by: string): ControlInputDocument {
  const extendSeconds = action === 'extend' ? intFlag(flags.seconds, 'seconds', EXTEND_SECONDS.min, EXTEND_SECONDS.max) : undefined;
  if (action !== 'extend' && flags.seconds !== undefined) throw new UsageError('--seconds only applies to extend');
  const doc = {
    action,
    service,
    environment,
    ...(flags.id ? { deploymentId: flags.id } : {}),
    ...(flags.reason ? { reason: flags.reason } : {}),
    ...(extendSeconds !== undefined ? { extendSeconds } : {}),
    by,
  } as ControlInputDocument;
  parseControlInput(doc);
  return doc;
}

async function control(ctx: OperatorContext, action: ControlAction): Promise<number> {
  const { service, environment } = resolveService(ctx.settings, ctx.positionals[0], ctx.flags.env);
  const input = controlInput(action, service, environment, ctx.flags, ctx.by);
  // Check against the table first: a control that cannot apply says why without starting anything.
  const store = await ctx.store();
  const inFlight = (await store.listInFlight()).filter((r) => r.service === service && r.environment === environment);
  if ((action === 'approve' || action === 'abort') && input.deploymentId === undefined) {
    // No deployment waits for approval (approve) or is in flight (abort): the release waiting before
    // this environment, as the control function will find it (functions/handlers/control.ts).
    const deploymentFirst = action === 'approve' ? inFlight.some((r) => r.waitingFor === 'approval' || r.waitingFor === 'native') : inFlight.length > 0;
    const release = deploymentFirst ? undefined : waitingReleaseFor(service, environment, await (await ctx.releases()).listWaitingReleases());
    if (release) return controlRelease(ctx, action, release, input);
  }
  const known = input.deploymentId ? await store.getDeployment(service, environment, input.deploymentId) : undefined;
  const target = selectInFlight(service, environment, inFlight, input.deploymentId, known);
  const envConfig = ctx.settings.config?.environments.find((e) => e.name === environment);
  const decision = decideControl(parseControlInput(input), target, ctx.by, {
    timeoutSeconds: envConfig?.approvalTimeoutSeconds ?? 24 * 3600,
    onTimeout: envConfig?.onApprovalTimeout ?? 'abort',
  });
  if (decision.kind === 'none') {
    write(ctx, `nothing to do: ${decision.why}`);
    return 0;
  }
  const arn = await ctx.settings.require('control');
  const executionArn = await start(ctx, arn, executionName(ctx, action, service, environment), { ...input, deploymentId: target.deploymentId });
  if (!executionArn) throw new CommandError('a control execution with this name already exists', 'run the command again');
  const result = await finishExecution(ctx, `${action} ${target.deploymentId}`, executionArn);
  if (result?.status === 'SUCCEEDED') {
    const said = controlSummary(result.output);
    write(ctx, `${CONTROL_DONE[action]} ${service}/${environment} ${target.deploymentId}${said ? `: ${said}` : ''}`);
    write(ctx, `  follow it: cutover status ${service}`);
  }
  return 0;
}

// ------------------------------------------------------------------------------------ release

/** `cutover release status|approve|abort`. */
async function releaseCommand(ctx: OperatorContext): Promise<number> {
  const [sub, id, ...extra] = ctx.positionals;
  if (extra.length > 0) throw new UsageError(`release ${sub ?? ''} takes one RELEASE_ID; got "${extra.join(' ')}" too`);
  switch (sub) {
    case 'status':
      return releaseStatus(ctx, id);
    case 'approve':
    case 'abort': {
      if (id !== undefined && ctx.flags.service !== undefined) throw new UsageError(`release ${sub} takes RELEASE_ID or --service SERVICE, not both`);
      if (ctx.flags.seconds !== undefined || ctx.flags.id !== undefined) throw new UsageError(`release ${sub} takes no --seconds or --id`);
      const releases = await ctx.releases();
      let record: ReleaseRecord | undefined;
      if (id !== undefined) {
        record = await releases.getRelease(id);
        if (!record) throw new CommandError(`no release ${id} is on record`, 'list the releases waiting for approval: cutover release status');
      } else if (ctx.flags.service !== undefined) {
        const { service, environment } = resolveService(ctx.settings, ctx.flags.service, ctx.flags.env);
        record = waitingReleaseFor(service, environment, await releases.listWaitingReleases());
        if (!record) {
          throw new CommandError(
            `no release waits for approval before ${environment} with ${service} in it`,
            `see what waits: cutover release status --service ${service}; a deployment waiting for approval: cutover approve ${service} --env ${environment}`,
          );
        }
      } else {
        throw new UsageError(`release ${sub} needs RELEASE_ID or --service SERVICE [--env ENV]`);
      }
      const doc = { action: sub, releaseId: record.releaseId, ...(ctx.flags.env !== undefined && id !== undefined ? { environment: ctx.flags.env } : {}), ...(ctx.flags.reason ? { reason: ctx.flags.reason } : {}), by: ctx.by };
      return controlRelease(ctx, sub, record, doc);
    }
    default:
      throw new UsageError(`release needs status, approve or abort${sub === undefined ? '' : `; got "${sub}"`}`);
  }
}

/** Approve or abort a release through the control state machine (checked against its record first). */
async function controlRelease(ctx: OperatorContext, action: 'approve' | 'abort', record: ReleaseRecord, input: Record<string, unknown>): Promise<number> {
  const doc = { ...input, action };
  const environment = typeof input.environment === 'string' ? input.environment : undefined;
  const reason = typeof input.reason === 'string' ? input.reason : undefined;
  const decision = decideReleaseControl({ action, ...(environment ? { environment } : {}), ...(reason ? { reason } : {}) }, record, ctx.by);
  const arn = await ctx.settings.require('control');
  const executionArn = await start(ctx, arn, executionName(ctx, action, 'release', record.releaseId), doc);
  if (!executionArn) throw new CommandError('a control execution with this name already exists', 'run the command again');
  const result = await finishExecution(ctx, `${action} release ${record.releaseId} before ${decision.environment}`, executionArn);
  if (result?.status === 'SUCCEEDED') {
    write(ctx, `${action === 'approve' ? 'approved' : 'aborted'} release ${record.releaseId} before ${decision.environment}: ${action === 'approve' ? `${decision.environment} deploys now` : 'the release stops here'}`);
    write(ctx, `  follow it: cutover release status ${record.releaseId}`);
  }
  return 0;
}

/** One release as text: its image, then each environment with its status and approval. */
export function releaseText(r: ReleaseRecord, now: number): string {
  const lines = [`release ${r.releaseId} ${r.status}  ${r.image.repository}${r.image.tag ? `:${r.image.tag}` : ''} ${shortDigest(r.image.digest)}`];
  const rows = r.stages.map((s) => {
    const waiting = r.waitingFor?.environment === s.environment && r.status === 'IN_PROGRESS';
    const since = waiting && r.waitingFor ? ` since ${clockText(now - Date.parse(r.waitingFor.since))} ago` : '';
    const approval = s.approval ? `${s.approval.action}${s.approval.by ? ` by ${s.approval.by}` : ''} at ${s.approval.at.replace('T', ' ').slice(0, 19)}${s.approval.reason ? ` (${s.approval.reason})` : ''}` : s.requiresApproval ? 'requires approval' : '';
    return [`  ${s.environment}`, `${s.status}${since}`, s.deployments.map((d) => `${d.service}${d.status ? ` ${d.status}` : ''}`).join(', '), approval];
  });
  lines.push(table(rows));
  if (r.status === 'IN_PROGRESS' && r.waitingFor) {
    const svc = r.stages.find((s) => s.environment === r.waitingFor?.environment)?.deployments[0]?.service;
    lines.push(`  actions   cutover release approve ${r.releaseId} · cutover release abort ${r.releaseId}${svc ? ` (or: cutover approve ${svc} --env ${r.waitingFor.environment})` : ''}`);
  }
  if (r.reason) lines.push(`  reason    ${r.reason.code}: ${r.reason.message}`);
  return lines.join('\n');
}

async function releaseStatus(ctx: OperatorContext, id: string | undefined): Promise<number> {
  const releases = await ctx.releases();
  let shown: ReleaseRecord[];
  if (id !== undefined) {
    const record = await releases.getRelease(id);
    if (!record) throw new CommandError(`no release ${id} is on record`, 'list the releases waiting for approval: cutover release status (records are kept for recordRetentionSeconds after a release ends)');
    shown = [record];
  } else {
    const waiting = await releases.listWaitingReleases();
    const service = ctx.flags.service;
    const environment = service !== undefined && ctx.flags.env !== undefined ? resolveService(ctx.settings, service, ctx.flags.env).environment : undefined;
    shown = waiting.filter((r) =>
      service === undefined ? true : r.stages.some((s) => (environment === undefined || s.environment === environment) && s.deployments.some((d) => d.service === service)),
    );
  }
  if (ctx.flags.json) {
    // Issue #14 (5): the approval token and the signal's hashes are never printed.
    write(ctx, JSON.stringify(shown.map(publicRelease)));
    return 0;
  }
  if (shown.length === 0) {
    write(ctx, `No release waits for approval${ctx.flags.service ? ` with ${ctx.flags.service} in it` : ''}. (A release's outcome: cutover release status RELEASE_ID.)`);
    return 0;
  }
  write(ctx, shown.map((r) => releaseText(r, ctx.io.now())).join('\n\n'));
  return 0;
}

// ----------------------------------------------------------------------------------- rollback

async function rollback(ctx: OperatorContext): Promise<number> {
  const { service, environment } = resolveService(ctx.settings, ctx.positionals[0], ctx.flags.env);
  const doc: RollbackInputDocument = {
    service,
    environment,
    ...(ctx.flags.to ? { toVersion: ctx.flags.to } : {}),
    ...(ctx.flags.reason ? { reason: ctx.flags.reason } : {}),
    by: ctx.by,
  };
  const input = parseRollbackInput(doc);
  const store = await ctx.store();
  const [inFlightAll, stable, records] = await Promise.all([
    store.listInFlight(),
    store.getStable(service, environment),
    store.listDeployments(service, environment),
  ]);
  const inFlight = inFlightAll.filter((r) => r.service === service && r.environment === environment);
  const current = inFlight.find((r) => r.status === 'IN_PROGRESS') ?? inFlight[0];
  const plan = planRollback(input, { ...(current ? { inFlight: current } : {}), ...(stable ? { stable } : {}), records }, ctx.by);
  if (plan.kind === 'noop') {
    write(ctx, `nothing to roll back: ${plan.why}`);
    return 0;
  }
  const arn = await ctx.settings.require('rollback');
  const executionArn = await start(ctx, arn, executionName(ctx, 'rollback', service, environment), doc);
  if (!executionArn) throw new CommandError('a rollback execution with this name already exists', 'run the command again');
  const what =
    plan.kind === 'in-flight'
      ? `rollback of in-flight ${plan.deploymentId}`
      : `rollback of ${service}/${environment} to ${plan.target.fromDeploymentId} (${plan.target.taskDefinitionArn.replace(/^.*task-definition\//, '')})`;
  const result = await finishExecution(ctx, what, executionArn);
  if (result?.status === 'SUCCEEDED') {
    const said = rollbackSummary(result.output);
    write(ctx, `${what}: done${said ? ` — ${said}` : ''}`);
    write(ctx, `  see it: cutover history ${service}`);
  }
  return 0;
}

// ------------------------------------------------------------------------------------ cleanup

function isCleanupReport(v: unknown): v is CleanupRunReport {
  const o = v as Partial<CleanupRunReport> | undefined;
  return typeof o === 'object' && o !== null && typeof o.runId === 'string' && Array.isArray(o.scopes) && typeof o.totals === 'object';
}

async function cleanup(ctx: OperatorContext): Promise<number> {
  if (ctx.positionals.length > 0) throw new UsageError(`cleanup takes no SERVICE (it covers every service with cleanup enabled); got "${ctx.positionals[0]}"`);
  const dryRun = ctx.flags['dry-run'] === true;
  const arn = await ctx.settings.require('cleanup');
  const input = { dryRun, ...(ctx.flags.reason ? { reason: ctx.flags.reason } : {}) };
  const executionArn = await start(ctx, arn, executionName(ctx, dryRun ? 'cleanup-dry-run' : 'cleanup'), input);
  if (!executionArn) throw new CommandError('a cleanup execution with this name already exists', 'run the command again');
  const result = await finishExecution(ctx, dryRun ? 'cleanup (dry run)' : 'cleanup', executionArn);
  if (result?.status === 'SUCCEEDED') {
    let out: unknown;
    try {
      out = result.output ? JSON.parse(result.output) : undefined;
    } catch {
      out = undefined;
    }
    const report = isCleanupReport(out) ? out : isCleanupReport((out as { report?: unknown })?.report) ? (out as { report: CleanupRunReport }).report : undefined;
    const text = (report as { text?: unknown } | undefined)?.text;
    write(
      ctx,
      typeof text === 'string' ? text : report ? formatCleanupReport(report) : `cleanup${dryRun ? ' (dry run)' : ''} finished: ${outputSummary(result.output) || executionArn}`,
    );
  }
  return 0;
}
