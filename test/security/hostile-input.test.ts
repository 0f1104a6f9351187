/**
 * Hostile and malformed input, end to end on the local rehearsal runtime (the real handlers and the
 * real deploy state machine against the in-memory AWS world and dynalite):
 *
 * "Every handler and every state machine input is parsed with a schema. Property tests generate
 * malformed and hostile events — wrong source, detail-type that disagrees with detail, detail that
 * is not an object, oversized tag, path traversal or shell metacharacters in names, a foreign
 * account or region, unknown alarm, replayed event — and assert each is rejected or ignored with a
 * named error and that the world saw no write at all."
 *
 * "No write at all" is checked three ways around every generated input: the AWS world's mutating
 * calls (`world.writeCount()`), the whole DynamoDB table (a consistent scan, compared item by item)
 * and the deployment records of the configured service (`ctx.store`).
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeClient } from '../../functions/aws/clients.js';
import { DIGEST, EXECUTION_NAME } from '../../functions/core/deploy-state.js';
import { ErrorName } from '../../functions/core/errors.js';
import { type RehearsalContext, runScenario, type ScenarioTrace } from '../../local/rehearsal.js';
import type { ExecutionRecord } from '../../local/runner/index.js';
import { parseScenario, type ScenarioInput } from '../../local/scenario.js';
import { ACCOUNT, builtinScenario, digestOf, REGION } from '../../local/scenarios/builtin.js';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// The world: the built-in good-canary scenario (service `api` in `production`, fed by `shop/api`,
// watching the alarms api-5xx-a and api-5xx-b).
// ---------------------------------------------------------------------------------------------
const SERVICE = 'api';
const ENVIRONMENT = 'production';
const REPOSITORY = 'shop/api';
const WATCHED_ALARMS = ['api-5xx-a', 'api-5xx-b'];
const V2 = digestOf('shop/api:v2');
/** Fixed seeds: a failure reproduces; CI runs the same cases every time. */
const SEED = 20_261_129;

function goodCanary(): ScenarioInput {
  const input = builtinScenario('good-canary');
  if (!input) throw new Error('built-in scenario good-canary is missing');
  return structuredClone(input);
}

/** good-canary without its push: nothing deploys unless an action starts it. */
function quietWorld(): ScenarioInput {
  return {
    ...goodCanary(),
    name: 'quiet-world',
    // The timeline needs one input: an alarm that is already OK stays OK.
    timeline: [{ at: 0, kind: 'alarm', name: 'api-5xx-a', state: 'OK', reason: 'quiet' }],
  };
}

type Body = (ctx: RehearsalContext) => Promise<void>;

/**
 * Run `input` with `steps` as actions at virtual times. An assertion failing inside an action is
 * kept and rethrown here (the runtime would otherwise only record it as a runtime error).
 */
async function rehearse(input: ScenarioInput, steps: ReadonlyArray<{ at: number; label: string; body: Body }>): Promise<ScenarioTrace> {
  const failures: unknown[] = [];
  const trace = await runScenario(parseScenario(input, input.name), {
    actions: steps.map((s) => ({
      at: s.at,
      label: s.label,
      run: async (ctx: RehearsalContext) => {
        try {
          await s.body(ctx);
        } catch (e) {
          failures.push(e);
        }
      },
    })),
  });
  if (failures.length > 0) throw failures[0];
  return trace;
}

// ---------------------------------------------------------------------------------------------
// "No write at all"
// ---------------------------------------------------------------------------------------------
/** JSON with object keys sorted, so equal items compare equal whatever order DynamoDB returns. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const tableClients = new WeakMap<RehearsalContext, DynamoDBClient>();

/** Every item of the deployments table (consistent scan), canonical and sorted. */
async function tableItems(ctx: RehearsalContext): Promise<string[]> {
  let client = tableClients.get(ctx);
  if (!client) {
    client = makeClient(DynamoDBClient, { ...ctx.clientOptions, plugins: [] }, 'dynamodb');
    tableClients.set(ctx, client);
  }
  const items: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new ScanCommand({ TableName: ctx.env.tableName, ConsistentRead: true, ...(startKey ? { ExclusiveStartKey: startKey as never } : {}) }),
    );
    items.push(...(out.Items ?? []).map(canonical));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items.sort();
}

interface WorldSnapshot {
  readonly worldWrites: number;
  readonly executions: number;
  readonly records: number;
  readonly table: string[];
}

async function snapshot(ctx: RehearsalContext): Promise<WorldSnapshot> {
  return {
    worldWrites: ctx.world.writeCount(),
    executions: ctx.runner.listExecutions().length,
    records: (await ctx.store.listDeployments(SERVICE, ENVIRONMENT)).length,
    table: await tableItems(ctx),
  };
}

type Outcome = { readonly kind: 'returned'; readonly value: unknown } | { readonly kind: 'threw'; readonly error: Error };

async function outcomeOf(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { kind: 'returned', value: await p };
  } catch (error) {
    return { kind: 'threw', error: error as Error };
  }
}

/**
 * What a hostile input must come to: rejected with a named error (answered, not thrown: Lambda's
 * asynchronous retries would run it twice more and dead-letter it, issue #15), or ignored with a reason.
 */
type Expect = { readonly rejected: readonly string[] } | { readonly ignored: true };
interface Case {
  readonly label: string;
  readonly input: unknown;
  readonly expect: Expect;
}
const REJECTED: Expect = { rejected: [ErrorName.ValidationError] };
const IGNORED: Expect = { ignored: true };

function assessHandlerOutcome(c: Case, outcome: Outcome): void {
  if ('rejected' in c.expect) {
    expect(outcome.kind, `${c.label}: expected a rejection answered without throwing, got ${JSON.stringify(outcome)}`).toBe('returned');
    if (outcome.kind === 'returned') {
      const value = outcome.value as { rejected?: { error: string; message: string; fields: string[] }; started?: unknown[]; failed?: unknown[] };
      expect(c.expect.rejected, `${c.label}: ${JSON.stringify(value)}`).toContain(value.rejected?.error);
      expect(value.rejected?.message.length).toBeGreaterThan(0);
      expect(value.rejected?.fields.length, c.label).toBeGreaterThan(0);
      expect(value.started ?? value.failed ?? []).toEqual([]);
    }
  } else {
    expect(outcome.kind, `${c.label}: expected ignored, got ${outcome.kind === 'threw' ? outcome.error.message : ''}`).toBe('returned');
    if (outcome.kind === 'returned') {
      const value = outcome.value as { ignored?: unknown; started?: unknown[]; failed?: unknown[] };
      expect(typeof value.ignored, c.label).toBe('string');
      expect(value.started ?? value.failed ?? []).toEqual([]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------
const SAFE = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
const safeWord = fc.string({ unit: SAFE, minLength: 0, maxLength: 8 });
/** Path traversal, shell metacharacters, control characters, encodings of them. */
const METACHARACTERS = [
  '../', '/../', '..\\', '%2e%2e%2f', '..%2f', ';', '|', '||', '&&', '&', '`id`', '$(id)', '$' + '{IFS}', '$HOME',
  '\n', '\r\n', '\u0000', '\t', ' ', '>', '<', '*', '?', "'", '"', '#', '\\', '~', '!', '{', '}', '\u202e',
] as const;
const hostileName = fc
  .tuple(safeWord, fc.constantFrom(...METACHARACTERS), safeWord, fc.constantFrom('', 'etc/passwd', 'rm -rf /', 'x'))
  .map(([a, m, b, c]) => `${a}${m}${b}${c}`);
const TAG_CHARS = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-'.split(''));
const oversizedTag = fc.tuple(fc.constantFrom('v', 'a', '0'), fc.string({ unit: TAG_CHARS, minLength: 128, maxLength: 2_000 })).map(([h, t]) => h + t);
const notAnObject = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
);
const foreignAccount = fc.stringMatching(/^\d{12}$/).filter((a) => a !== ACCOUNT);
const foreignRegion = fc.constantFrom('us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'us-gov-west-1', 'cn-north-1', 'sa-east-1');
const notSource = (expected: string) =>
  fc
    .oneof(
      fc.constantFrom('aws.cloudwatch', 'aws.ecr', 'aws.ecs', 'AWS.ECR', 'aws.ecr ', ' aws.ecr', 'aws.ecr\u0000', 'custom.cutover', ''),
      fc.string({ maxLength: 20 }),
      fc.constant(null),
      fc.integer(),
    )
    .filter((s) => s !== expected);
const badDigest = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h.toUpperCase()}G`),
  fc.stringMatching(/^[0-9a-f]{63}$/).map((h) => `sha256:${h}`),
  fc.stringMatching(/^[0-9a-f]{128}$/).map((h) => `sha512:${h}`),
  hostileName.map((n) => `sha256:${n}`),
).filter((d) => !DIGEST.test(d));

/** Replace (or, with `undefined`, remove) keys of a copy of `base`; `detail` patches merge into detail. */
function patched(base: Json, patch: Json): Json {
  const out = structuredClone(base);
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'detail' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const detail = { ...(out.detail as Json) };
      for (const [dk, dv] of Object.entries(v as Json)) {
        if (dv === undefined) delete detail[dk];
        else detail[dk] = dv;
      }
      out.detail = detail;
    } else if (v === undefined) {
      delete out[k];
    } else {
      out[k] = v;
    }
  }
  return out;
}

// ECR `ECR Image Action`, exactly as AWS documents it (shared/events), for this control plane.
const ECR_PUSH: Json = {
  version: '0',
  id: '13cde686-328b-6117-af20-0e5566167482',
  'detail-type': 'ECR Image Action',
  source: 'aws.ecr',
  account: ACCOUNT,
  time: '2026-01-01T00:00:05Z',
  region: REGION,
  resources: [],
  detail: { result: 'SUCCESS', 'repository-name': REPOSITORY, 'image-digest': V2, 'action-type': 'PUSH', 'image-tag': 'v2' },
};
const push = (label: string, patch: Json, expect: Expect = REJECTED): Case => ({ label, input: patched(ECR_PUSH, patch), expect });

const hostilePush: fc.Arbitrary<Case> = fc.oneof(
  notAnObject.map((v) => ({ label: 'event is not an object', input: v, expect: REJECTED })),
  notSource('aws.ecr').map((s) => push(`wrong source ${JSON.stringify(s)}`, { source: s })),
  fc
    .constantFrom('CloudWatch Alarm State Change', 'ECR Image Scan', 'ECR Image Action ', 'ecr image action', 'ECR Image Action\n', '')
    .map((t) => push(`detail-type ${JSON.stringify(t)} disagrees`, { 'detail-type': t })),
  fc.constant(
    push('ECR detail-type over a CloudWatch alarm detail', {
      detail: { alarmName: 'api-5xx-a', state: { value: 'ALARM', reason: 'x', timestamp: '2026-01-01T00:00:00Z' } },
    }),
  ).map((c) => ({ ...c, input: { ...(c.input as Json), detail: { alarmName: 'api-5xx-a', state: { value: 'ALARM' } } } })),
  fc.oneof(fc.constant(null), fc.string({ maxLength: 20 }), fc.integer(), fc.array(fc.string(), { maxLength: 3 })).map((d) => ({
    label: `detail ${JSON.stringify(d)} is not an object`,
    input: { ...ECR_PUSH, detail: d },
    expect: REJECTED,
  })),
  fc.constant({ label: 'detail missing', input: patched(ECR_PUSH, { detail: undefined }), expect: REJECTED }),
  oversizedTag.map((t) => push(`oversized tag (${t.length} chars)`, { detail: { 'image-tag': t } })),
  hostileName.map((n) => push(`repository ${JSON.stringify(n)}`, { detail: { 'repository-name': n } })),
  hostileName.map((n) => push(`tag ${JSON.stringify(n)}`, { detail: { 'image-tag': n } })),
  badDigest.map((d) => push(`digest ${JSON.stringify(d)}`, { detail: { 'image-digest': d } })),
  foreignAccount.map((a) => push(`foreign account ${a}`, { account: a })),
  foreignRegion.map((r) => push(`foreign region ${r}`, { region: r })),
  fc.string({ maxLength: 30 }).filter((t) => Number.isNaN(Date.parse(t)) || !/^\d{4}-/.test(t)).map((t) => push(`time ${JSON.stringify(t)}`, { time: t })),
  fc.string({ unit: SAFE, minLength: 129, maxLength: 400 }).map((id) => push('oversized id', { id })),
  // Well-formed, but not for us: ignored with the reason, nothing started.
  fc.constantFrom('DELETE', 'REPLICATE', 'push').map((a) => push(`action-type ${a}`, { detail: { 'action-type': a } }, IGNORED)),
  fc.constantFrom('FAILURE', 'success').map((r) => push(`result ${r}`, { detail: { result: r } }, IGNORED)),
  fc
    .stringMatching(/^[a-z0-9]{2,10}(\/[a-z0-9]{2,10})?$/)
    .filter((r) => r !== REPOSITORY)
    .map((r) => push(`unconfigured repository ${r}`, { detail: { 'repository-name': r } }, IGNORED)),
);

// CloudWatch `Alarm State Change` (metric alarm), as AWS documents it.
const ALARM_EVENT: Json = {
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: ACCOUNT,
  time: '2026-01-01T00:03:20Z',
  region: REGION,
  resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:api-5xx-b`],
  detail: {
    alarmName: 'api-5xx-b',
    state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2026-01-01T00:03:20.000+0000' },
    previousState: { value: 'OK', reason: 'Threshold Crossed', timestamp: '2026-01-01T00:02:20.000+0000' },
  },
};
const alarm = (label: string, patch: Json, expect: Expect = REJECTED): Case => ({ label, input: patched(ALARM_EVENT, patch), expect });
const alarmState = (value: unknown, name = 'api-5xx-b') => ({
  alarmName: name,
  state: { value, reason: 'hostile', timestamp: '2026-01-01T00:03:20.000+0000' },
});

const hostileAlarm: fc.Arbitrary<Case> = fc.oneof(
  notAnObject.map((v) => ({ label: 'event is not an object', input: v, expect: REJECTED })),
  notSource('aws.cloudwatch').map((s) => alarm(`wrong source ${JSON.stringify(s)}`, { source: s })),
  fc
    .constantFrom('ECR Image Action', 'CloudWatch Alarm Configuration Change', 'CloudWatch Alarm State Change ', '')
    .map((t) => alarm(`detail-type ${JSON.stringify(t)} disagrees`, { 'detail-type': t })),
  fc.constant({
    label: 'alarm detail-type over an ECR push detail',
    input: { ...ALARM_EVENT, detail: ECR_PUSH.detail },
    expect: REJECTED,
  }),
  fc.oneof(fc.constant(null), fc.string({ maxLength: 20 }), fc.integer(), fc.array(fc.string(), { maxLength: 3 })).map((d) => ({
    label: `detail ${JSON.stringify(d)} is not an object`,
    input: { ...ALARM_EVENT, detail: d },
    expect: REJECTED,
  })),
  foreignAccount.map((a) => alarm(`foreign account ${a}`, { account: a })),
  foreignRegion.map((r) => alarm(`foreign region ${r}`, { region: r })),
  fc.constantFrom('FIRING', 'alarm', '', null).map((v) => alarm(`state ${JSON.stringify(v)}`, { detail: alarmState(v) })),
  fc.string({ minLength: 256, maxLength: 1_000 }).map((n) => alarm(`oversized alarm name (${n.length})`, { detail: alarmState('ALARM', n) })),
  fc.constant(alarm('empty alarm name', { detail: alarmState('ALARM', '') })),
  // Well-formed, but nothing in flight watches it (path traversal and metacharacters included): ignored.
  fc
    .oneof(hostileName, fc.string({ minLength: 1, maxLength: 255 }), fc.constantFrom('api-5xx', 'API-5XX-B', 'api-5xx-b ', 'api-5xx-c', '*', 'api-5xx-*'))
    .filter((n) => n.length >= 1 && n.length <= 255 && !WATCHED_ALARMS.includes(n))
    .map((n) => alarm(`unknown alarm ${JSON.stringify(n)}`, { detail: alarmState('ALARM', n) }, IGNORED)),
  // A watched alarm that did not go to ALARM: ignored.
  fc.constantFrom('OK', 'INSUFFICIENT_DATA').map((v) => alarm(`watched alarm to ${v}`, { detail: alarmState(v) }, IGNORED)),
);

// The deploy state machine's input (what the console and the CLI send).
const REQUEST: Json = {
  deploymentId: 'manual-api-v2',
  service: SERVICE,
  environment: ENVIRONMENT,
  image: { repository: REPOSITORY, digest: V2, tag: 'v2' },
  requestedAt: '2026-01-01T00:00:05Z',
  trigger: { kind: 'manual', by: 'alice@example.com' },
};
const UNKNOWN_SERVICE: Expect = { rejected: [ErrorName.UnknownService] };
const request = (label: string, patch: (r: Json) => void, expect: Expect = REJECTED): Case => {
  const r = structuredClone(REQUEST);
  patch(r);
  return { label, input: r, expect };
};
const image = (r: Json) => r.image as Json;
const REQUIRED_KEYS = ['deploymentId', 'service', 'environment', 'image', 'requestedAt'] as const;

/**
 * A hostile input and its execution name. Validate requires deploymentId to equal the execution's
 * name, so an input whose deploymentId can name an execution gets a unique one (`…-N`) and is
 * started under it: what refuses the input is then the field under test, not the name.
 */
function named(input: unknown, seq: number): { input: unknown; name: string } {
  const id = (input as { deploymentId?: unknown } | null)?.deploymentId;
  if (typeof id !== 'string' || !EXECUTION_NAME.test(id) || typeof input !== 'object' || input === null) return { input, name: `hostile-${seq}` };
  const name = `${id.slice(0, 60)}-${seq}`;
  return { input: { ...(input as Json), deploymentId: name }, name };
}

/** JSON execution inputs that are not an object (see the tests of their own below). */
const NOT_OBJECT_INPUTS: readonly unknown[] = ['deploy api', 42, -1.5, true, [], [REQUEST], 'null', false, 0, null, ''];

const hostileRequest: fc.Arbitrary<Case> = fc.oneof(
  fc.constantFrom(...REQUIRED_KEYS).map((k) => request(`missing ${k}`, (r) => delete r[k])),
  fc.constantFrom('repository', 'digest').map((k) => request(`missing image.${k}`, (r) => delete image(r)[k])),
  // Smuggled state: a resolved context would skip Inspect; unknown keys are refused, not ignored.
  fc
    .constantFrom('ctx', 'lock', 'green', 'executionArn', 'constructor', 'prototype', 'admin')
    .map((k) => request(`unknown key ${k}`, (r) => Object.assign(r, { [k]: { cluster: 'other', blue: { targetGroupArn: 'x' } } }))),
  fc.constant({
    label: '__proto__ key',
    input: JSON.parse(JSON.stringify(REQUEST).replace(/^\{/, '{"__proto__":{"polluted":true},')) as unknown,
    expect: REJECTED,
  }),
  fc.constantFrom('cluster', 'uri2', 'registry').map((k) => request(`unknown image key ${k}`, (r) => Object.assign(image(r), { [k]: 'x' }))),
  fc
    .oneof(hostileName, fc.string({ unit: SAFE, minLength: 81, maxLength: 300 }))
    .filter((n) => !EXECUTION_NAME.test(n))
    .map((n) => request(`deploymentId ${JSON.stringify(n)}`, (r) => Object.assign(r, { deploymentId: n }))),
  hostileName.map((n) => request(`service ${JSON.stringify(n)}`, (r) => Object.assign(r, { service: n }))),
  fc.constantFrom('API', 'Api', 'a'.repeat(33), '-api', '1api').map((n) => request(`malformed service ${n}`, (r) => Object.assign(r, { service: n }))),
  hostileName.map((n) => request(`environment ${JSON.stringify(n)}`, (r) => Object.assign(r, { environment: n }))),
  fc
    .stringMatching(/^[a-z][a-z0-9-]{0,31}$/)
    .filter((s) => s !== SERVICE)
    .map((s) => request(`unconfigured service ${s}`, (r) => Object.assign(r, { service: s }), UNKNOWN_SERVICE)),
  fc
    .stringMatching(/^[a-z][a-z0-9-]{0,15}$/)
    .filter((e) => e !== ENVIRONMENT)
    .map((e) => request(`unconfigured environment ${e}`, (r) => Object.assign(r, { environment: e }), UNKNOWN_SERVICE)),
  hostileName.map((n) => request(`image.repository ${JSON.stringify(n)}`, (r) => Object.assign(image(r), { repository: n }))),
  fc
    .constantFrom('shop/other', 'evil/api', 'api', 'shop/api-evil')
    .map((n) => request(`image.repository ${n} does not feed the service`, (r) => Object.assign(image(r), { repository: n }))),
  badDigest.map((d) => request(`image.digest ${JSON.stringify(d)}`, (r) => Object.assign(image(r), { digest: d }))),
  oversizedTag.map((t) => request(`oversized image.tag (${t.length})`, (r) => Object.assign(image(r), { tag: t }))),
  hostileName.map((t) => request(`image.tag ${JSON.stringify(t)}`, (r) => Object.assign(image(r), { tag: t }))),
  fc
    .constantFrom(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop/api:latest`, `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop/api`, 'evil.example.com/shop/api:v2')
    .map((u) => request(`image.uri by tag ${u}`, (r) => Object.assign(image(r), { uri: u }))),
  fc.string({ unit: SAFE, minLength: 520, maxLength: 2_000 }).map((u) => request('oversized image.uri', (r) => Object.assign(image(r), { uri: `${u}@${V2}` }))),
  fc
    .string({ maxLength: 30 })
    .filter((t) => !/^\d{4}-\d{2}-\d{2}T/.test(t))
    .map((t) => request(`requestedAt ${JSON.stringify(t)}`, (r) => Object.assign(r, { requestedAt: t }))),
  fc.constantFrom('deploy', 'ecr-push ', 'MANUAL', '').map((k) => request(`trigger.kind ${k}`, (r) => Object.assign(r, { trigger: { kind: k } }))),
  // taskDefinitionArn is a known key (a rollback's pinned revision): a well-formed one is refused
  // unless it is a rollback with proof on record (issue #14, 1-2), not merely for its type.
  fc
    .constantFrom('manual', 'ecr-push', 'release', 'reconcile', 'rollback')
    .map((kind) =>
      request(`a well-formed taskDefinitionArn with trigger.kind ${kind} and no promoted version on record`, (r) =>
        Object.assign(r, { taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:1`, trigger: { kind } }),
      ),
    ),
  fc.constant(request('trigger.kind rollback without a pinned revision', (r) => Object.assign(r, { trigger: { kind: 'rollback' } }))),
  fc.constantFrom('ctx', 'lock', 'green').map((k) =>
    request(`a non-string taskDefinitionArn (${k}-shaped object)`, (r) => Object.assign(r, { taskDefinitionArn: { cluster: 'other', blue: { targetGroupArn: 'x' } } })),
  ),
  fc.string({ minLength: 257, maxLength: 600 }).map((b) => request('oversized trigger.by', (r) => Object.assign(r, { trigger: { kind: 'manual', by: b } }))),
);

// ---------------------------------------------------------------------------------------------
// The execution of a hostile input
// ---------------------------------------------------------------------------------------------
/** Resolves when the execution has ended; rejects after `realMs` (a hostile input that got past Validate). */
function ended(ctx: RehearsalContext, executionArn: string, realMs = 5_000): Promise<ExecutionRecord> {
  const done = () => {
    const e = ctx.runner.getExecution(executionArn);
    return e.status === 'RUNNING' ? undefined : e;
  };
  const now = done();
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      const e = ctx.runner.getExecution(executionArn);
      reject(new Error(`execution ${e.name} still RUNNING in ${e.openStates.join(', ')}: the input got past Validate`));
    }, realMs);
    const off = ctx.runner.onExecutionFinished((record) => {
      if (record.executionArn !== executionArn) return;
      clearTimeout(timer);
      off();
      resolve(record);
    });
  });
}

/** The error name the Validate task failed with (the Lambda's errorType). */
function validateError(exec: ExecutionRecord): string | undefined {
  const failed = exec.history.find((h) => h.kind === 'StateFailed' && h.stateName === 'Validate');
  return failed && failed.kind === 'StateFailed' ? failed.error : undefined;
}

// ---------------------------------------------------------------------------------------------
describe('hostile input on the local runtime: rejected or ignored with a named error, and no write at all', () => {
  it('intake: malformed, foreign and not-for-us ECR events start nothing and write nothing', async () => {
    // Prepare: a world with nothing deploying.
    const labels: string[] = [];
    let rejected = 0;
    const trace = await rehearse(quietWorld(), [
      {
        at: 5,
        label: 'hostile ECR events',
        body: async (ctx) => {
          // Act + Assess, per generated event.
          await fc.assert(
            fc.asyncProperty(hostilePush, async (c) => {
              labels.push(c.label);
              if ('rejected' in c.expect) rejected += 1;
              const before = await snapshot(ctx);
              const outcome = await outcomeOf(ctx.invoke('intake', c.input));
              assessHandlerOutcome(c, outcome);
              expect(await snapshot(ctx), c.label).toEqual(before);
            }),
            { numRuns: 40, seed: SEED },
          );
        },
      },
    ]);
    // Assess: no deployment at all came of it, and the run itself saw no other problem.
    expect(labels.length).toBeGreaterThanOrEqual(40);
    expect(trace.summary.deployments).toEqual([]);
    expect(trace.records).toEqual([]);
    // Each rejection counted once in RejectedEvents (what the alarm on Cutover reads); none threw.
    expect(rejected).toBeGreaterThan(0);
    expect(trace.deploymentMetrics.filter((m) => m.name === 'RejectedEvents')).toHaveLength(rejected);
    expect(trace.summary.invariantViolations).toEqual([]);
  });

  it('alarm watcher: hostile, unknown and foreign alarm events during a bake neither fail the bake nor write', async () => {
    // Prepare: good-canary; at 200 s its 10 % canary is baking (a task token is parked).
    let baking = 0;
    let rejected = 0;
    const trace = await rehearse(goodCanary(), [
      {
        at: 200,
        label: 'hostile alarm events',
        body: async (ctx) => {
          baking = ctx.runner.openTaskTokens().filter((t) => t.stateName === 'Bake').length;
          expect(baking, 'the canary bakes at 200 s').toBe(1);
          // Act + Assess, per generated event.
          await fc.assert(
            fc.asyncProperty(hostileAlarm, async (c) => {
              if ('rejected' in c.expect) rejected += 1;
              const before = await snapshot(ctx);
              const outcome = await outcomeOf(ctx.invoke('alarm-watcher', c.input));
              assessHandlerOutcome(c, outcome);
              expect(await snapshot(ctx), c.label).toEqual(before);
              expect(ctx.runner.openTaskTokens().filter((t) => t.stateName === 'Bake'), c.label).toHaveLength(1);
            }),
            { numRuns: 40, seed: SEED },
          );
        },
      },
    ]);
    // Assess: the bake went on undisturbed and the release was promoted; no alarm on its timeline.
    expect(baking).toBe(1);
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['SUCCEEDED', 'Promoted']]);
    expect(trace.records[0]?.timeline.filter((e) => e.kind === 'alarm')).toEqual([]);
    expect(rejected).toBeGreaterThan(0);
    expect(trace.deploymentMetrics.filter((m) => m.name === 'RejectedEvents')).toHaveLength(rejected);
    expect(trace.summary.invariantViolations).toEqual([]);
  });

  it('deploy state machine: a hostile execution input fails at its first state (ValidationError/UnknownService) and writes nothing', async () => {
    // Prepare: a world with nothing deploying.
    let seq = 0;
    let control: ExecutionRecord | undefined;
    let controlUri: string | undefined;
    await rehearse(quietWorld(), [
      {
        at: 5,
        label: 'hostile StartExecution inputs',
        body: async (ctx) => {
          await fc.assert(
            fc.asyncProperty(hostileRequest, async (c) => {
              const before = await snapshot(ctx);
              // Act
              const started = named(c.input, ++seq);
              const { executionArn } = await ctx.runner.startExecution({
                stateMachineArn: ctx.stateMachines.deploy as string,
                name: started.name,
                input: JSON.stringify(started.input),
              });
              const exec = await ended(ctx, executionArn);
              // Assess: failed at Validate, caught into Rejected, one Lambda call, nothing else ran.
              expect(exec.status, c.label).toBe('FAILED');
              expect(exec.statesEntered.map((s) => s.name), c.label).toEqual(['Validate', 'Rejected']);
              // The Rejected state reports ValidationError (or, given an ErrorPath, the handler's own name).
              expect([ErrorName.ValidationError, ErrorName.UnknownService], c.label).toContain(exec.error);
              expect('rejected' in c.expect ? c.expect.rejected : [], `${c.label}: ${exec.cause}`).toContain(validateError(exec));
              expect(exec.lambdaInvocations, c.label).toBe(1);
              expect(JSON.parse(exec.cause ?? '{}').errorMessage, c.label).toMatch(/is invalid: |is not in the Cutover configuration/);
              const after = await snapshot(ctx);
              expect({ ...after, executions: after.executions - 1 }, c.label).toEqual(before);
            }),
            { numRuns: 30, seed: SEED },
          );
          // Control: a well-formed request gets past Validate (so the rejections above are the schema's
          // doing), and an image.uri naming another account's registry is not what gets deployed.
          const foreignUri = `999999999999.dkr.ecr.eu-west-1.amazonaws.com/shop/api@${V2}`;
          const { executionArn } = await ctx.runner.startExecution({
            stateMachineArn: ctx.stateMachines.deploy as string,
            name: REQUEST.deploymentId as string,
            input: JSON.stringify({ ...REQUEST, image: { ...(REQUEST.image as Json), uri: foreignUri } }),
          });
          control = ctx.runner.getExecution(executionArn);
          // Validate ran synchronously enough to have created the record by the time the lock is asked for.
          for (let i = 0; i < 200 && !ctx.runner.getExecution(executionArn).statesEntered.some((s) => s.name === 'AcquireLock'); i++) {
            await new Promise((r) => setImmediate(r));
          }
          control = ctx.runner.getExecution(executionArn);
          controlUri = (await ctx.store.getDeployment(SERVICE, ENVIRONMENT, REQUEST.deploymentId as string))?.image.uri;
        },
      },
    ]);
    expect(seq).toBeGreaterThanOrEqual(30);
    expect(control?.statesEntered.map((s) => s.name).slice(0, 2)).toEqual(['Validate', 'AcquireLock']);
    expect(controlUri).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop/api@${V2}`);
  });

  /**
   * Runs every {@link NOT_OBJECT_INPUTS} input as an execution and returns what became of each,
   * with the snapshot before and after.
   */
  async function runNotObjectInputs(): Promise<Array<{ input: unknown; exec: ExecutionRecord; same: boolean }>> {
    const out: Array<{ input: unknown; exec: ExecutionRecord; same: boolean }> = [];
    await rehearse(quietWorld(), [
      {
        at: 5,
        label: 'non-object inputs',
        body: async (ctx) => {
          for (const [i, input] of NOT_OBJECT_INPUTS.entries()) {
            const before = await snapshot(ctx);
            const { executionArn } = await ctx.runner.startExecution({
              stateMachineArn: ctx.stateMachines.deploy as string,
              name: `not-object-${i}`,
              input: JSON.stringify(input),
            });
            const exec = await ended(ctx, executionArn);
            const after = await snapshot(ctx);
            out.push({ input, exec, same: canonical({ ...after, executions: after.executions - 1 }) === canonical(before) });
          }
        },
      },
    ]);
    return out;
  }

  it('deploy state machine: an input that is not a JSON object fails at its first state and writes nothing', async () => {
    const results = await runNotObjectInputs();
    expect(results).toHaveLength(NOT_OBJECT_INPUTS.length);
    for (const r of results) {
      const label = `input ${JSON.stringify(r.input)}`;
      expect(r.exec.status, label).toBe('FAILED');
      // Validate, then Rejected (the falsy inputs stop at Validate in the local executor; see below).
      expect(r.exec.statesEntered.map((s) => s.name), label).toEqual(r.input ? ['Validate', 'Rejected'] : ['Validate']);
      expect(r.exec.lambdaInvocations, label).toBeLessThanOrEqual(1);
      expect(r.same, label).toBe(true);
    }
  });

  // Validate's Catch has no ResultPath, so the error replaces the input: `$.error` could not be
  // set on an input that is not an object (States.ResultPathMatchFailure, with no message, on AWS as
  // here). Rejected reads the error from `$.Error` / `$.Cause`.
  // The falsy inputs (false, 0, null, "") are left out: the local executor (aws-local-stepfunctions)
  // fails them with States.Runtime "Path expression '$' does not point to a value" before the Lambda
  // runs, which AWS does not do.
  it('deploy state machine: an input that is not a JSON object is rejected with ValidationError (Rejected state)', async () => {
    const results = (await runNotObjectInputs()).filter((r) => Boolean(r.input));
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      const label = `input ${JSON.stringify(r.input)}`;
      expect(r.exec.statesEntered.map((s) => s.name), label).toEqual(['Validate', 'Rejected']);
      expect(r.exec.error, label).toBe(ErrorName.ValidationError);
      expect(validateError(r.exec), label).toBe(ErrorName.ValidationError);
    }
  });

  it('replayed events: a push delivered again and an alarm delivered after the rollback change nothing', async () => {
    // Prepare: bad-release-alarm (its 5xx alarm fires during the canary bake and it rolls back).
    const input = builtinScenario('bad-release-alarm');
    if (!input) throw new Error('bad-release-alarm is missing');
    // The sweep's schedule is off: its own executions (every 5 minutes) would count as changes here.
    const scenario: ScenarioInput = {
      ...structuredClone(input),
      timeline: [{ at: 0, kind: 'alarm', name: 'api-5xx-a', state: 'OK', reason: 'quiet' }],
      schedulesOff: ['reconcile'],
    };
    const alarmEvents: Json[] = [];
    let pushEvent: Json | undefined;
    const replays: Array<{ label: string; result: unknown; sameWorld: boolean; otherWrites: number }> = [];
    const replay = async (ctx: RehearsalContext, label: string, target: 'intake' | 'alarm-watcher', event: Json) => {
      const before = await snapshot(ctx);
      const startsBefore = ctx.world.calls.filter((c) => c.operation === 'StartExecution').length;
      const result = await ctx.invoke(target, structuredClone(event));
      const after = await snapshot(ctx);
      const starts = ctx.world.calls.filter((c) => c.operation === 'StartExecution').length - startsBefore;
      replays.push({
        label,
        result,
        sameWorld: canonical({ ...after, worldWrites: 0 }) === canonical({ ...before, worldWrites: 0 }),
        // Writes other than the StartExecution that SFN answers by name (idempotent / ExecutionAlreadyExists).
        otherWrites: after.worldWrites - before.worldWrites - starts,
      });
    };
    const trace = await rehearse(scenario, [
      {
        at: 1,
        label: 'listen',
        body: async (ctx) => {
          ctx.world.onAwsEvent((e) => {
            if (e.source === 'aws.cloudwatch') alarmEvents.push(structuredClone(e) as unknown as Json);
          });
        },
      },
      {
        at: 10,
        label: 'push v2 (first delivery)',
        body: async (ctx) => {
          ctx.world.setImageProfile(V2, { errorRate: 0.35, latencyMs: 90, healthy: true, crashes: false });
          pushEvent = ctx.world.pushImage(REPOSITORY, V2, ['v2']) as unknown as Json;
          const first = (await ctx.invoke('intake', pushEvent)) as { started: Array<{ alreadyStarted: boolean }> };
          expect(first.started.map((s) => s.alreadyStarted)).toEqual([false]);
        },
      },
      { at: 20, label: 'replay push while in flight', body: (ctx) => replay(ctx, 'push replayed in flight', 'intake', pushEvent as Json) },
      {
        at: 3_600,
        label: 'replays after the rollback',
        body: async (ctx) => {
          expect(alarmEvents.length, 'the alarm fired').toBeGreaterThan(0);
          for (const e of alarmEvents) await replay(ctx, `alarm ${(e.detail as Json).alarmName} replayed`, 'alarm-watcher', e);
          await replay(ctx, 'push replayed after the end', 'intake', pushEvent as Json);
        },
      },
    ]);
    // Assess: one deployment, rolled back by the alarm; every replay changed nothing.
    expect(trace.summary.deployments.map((d) => [d.status, d.reasonCode])).toEqual([['ROLLED_BACK', 'AlarmTriggered']]);
    expect(replays.length).toBeGreaterThanOrEqual(3);
    for (const r of replays) {
      expect(r.sameWorld, r.label).toBe(true);
      expect(r.otherWrites, r.label).toBe(0);
    }
    // After the end SFN answers ExecutionAlreadyExists and intake says so. While in flight SFN answers
    // an identical StartExecution with the running execution, which the adapter cannot tell from a
    // new start (it reports alreadyStarted: false); no second execution exists either way.
    const late = replays.find((x) => x.label === 'push replayed after the end')?.result as { started: Array<{ alreadyStarted: boolean }> } | undefined;
    expect(late?.started.map((s) => s.alreadyStarted)).toEqual([true]);
    const inFlight = replays.find((x) => x.label === 'push replayed in flight')?.result as { started: unknown[] } | undefined;
    expect(inFlight?.started).toHaveLength(1);
    expect(trace.executions).toHaveLength(1);
    for (const r of replays.filter((x) => x.label.startsWith('alarm'))) {
      expect((r.result as { ignored?: string; failed: unknown[] }).failed, r.label).toEqual([]);
    }
  });
});
