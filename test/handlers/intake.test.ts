/**
 * intake: `ECR Image Action` -> one deploy execution per matching service, named deterministically,
 * image by digest. Driven with the AWS-documented push event (test/fixtures/events, region set to
 * the control plane's; the shape is exactly AWS's).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { DeployRequestSchema } from '../../functions/core/deploy-request.js';
import { AwsThrottled, ValidationError } from '../../functions/core/errors.js';
import { createHandler } from '../../functions/handlers/intake.js';
import { recordingMetrics } from '../../functions/handlers/shared/metrics.js';
import { ACCOUNT, ARN, digestOf, FakeImages, FakeOrchestrator, REGION, REPOSITORY, testConfig, testEnv } from '../helpers/fakes.js';

type Json = Record<string, unknown>;
const FIXTURE: Json = JSON.parse(
  readFileSync(new URL('../fixtures/events/ecr-image-action-push.json', import.meta.url), 'utf8'),
) as Json;
const DIGEST = (FIXTURE.detail as Json)['image-digest'] as string;
const HEX16 = DIGEST.slice(7, 23);

/** Marks a key to remove in {@link push}. */
const DROP = Symbol('drop');
type Patch = Record<string, unknown>;

/**
 * A copy of the fixture with `patch` applied: a `detail` object merges into the fixture's detail
 * (any other `detail` replaces it), other keys replace; a key set to {@link DROP} is removed.
 */
function push(patch: Patch = {}): Json {
  const e = structuredClone(FIXTURE);
  const { detail, ...top } = patch;
  const merge = (target: Json, p: Patch) => {
    for (const [k, v] of Object.entries(p)) {
      if (v === DROP) delete target[k];
      else target[k] = v;
    }
  };
  merge(e, top);
  if (detail !== undefined) {
    if (typeof detail === 'object' && detail !== null && !Array.isArray(detail)) merge(e.detail as Json, detail as Patch);
    else e.detail = detail;
  }
  return e;
}

function setup(config = testConfig(), logLevel = 'SILENT') {
  const orchestrator = new FakeOrchestrator();
  const images = new FakeImages();
  // ECR's push time of the fixture's image: the event's time (ECR keeps it across later pushes of the digest).
  images.put(REPOSITORY_OF_FIXTURE, { digest: DIGEST, tags: ['latest'], pushedAt: '2019-11-16T01:54:34.000Z' });
  const metrics = recordingMetrics();
  const intake = createHandler({ env: testEnv(config), orchestrator, images, deploymentMetrics: metrics, logLevel });
  return { orchestrator, intake, images, metrics };
}

/** The JSON log lines (Powertools) written while `fn` runs. */
async function logsOf<T>(fn: () => Promise<T>): Promise<{ result: T; logs: Array<Record<string, unknown>> }> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const result = await fn();
    return { result, logs: lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
const REPOSITORY_OF_FIXTURE = (FIXTURE.detail as Json)['repository-name'] as string;

describe('intake: a push that deploys', () => {
  it('the documented fixture matches the project identity (only the region was adjusted)', () => {
    expect(FIXTURE).toMatchObject({ account: ACCOUNT, region: REGION, source: 'aws.ecr', 'detail-type': 'ECR Image Action' });
    expect(Object.keys(FIXTURE.detail as Json).sort()).toEqual(['action-type', 'image-digest', 'image-tag', 'repository-name', 'result']);
  });

  it('starts one execution per service fed by the repository whose tag filter matches, named by service, environment and digest', async () => {
    // Prepare: web/production takes any tag, web/staging takes `latest`, worker only `v*`.
    const { orchestrator, intake } = setup();
    // Act
    const result = await intake(push());
    // Assess
    expect(result.ignored).toBeUndefined();
    expect(orchestrator.started.map((s) => s.name).sort()).toEqual([`web-production-${HEX16}`, `web-staging-${HEX16}`]);
    expect(result.started.map((s) => s.deploymentId).sort()).toEqual([`web-production-${HEX16}`, `web-staging-${HEX16}`]);
    expect(result.started.every((s) => !s.alreadyStarted)).toBe(true);
    for (const s of orchestrator.started) expect(s.stateMachineArn).toBe(ARN.deployStateMachine);
  });

  it('hands each execution an input the deploy state machine accepts, with the image by digest (never the tag)', async () => {
    const { orchestrator, intake } = setup();
    await intake(push());
    const inputs = orchestrator.started.map((s) => DeployRequestSchema.parse(s.input));
    const uri = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}@${DIGEST}`;
    for (const input of inputs) {
      expect(input.image).toEqual({ repository: REPOSITORY, digest: DIGEST, tag: 'latest', uri });
      expect(input.image.uri).not.toContain(':latest');
      // ECR's push time of the image (here the event's time, to the millisecond).
      expect(Date.parse(input.requestedAt)).toBe(Date.parse(FIXTURE.time as string));
      expect(input.trigger).toEqual({ kind: 'ecr-push', eventId: FIXTURE.id });
      expect(input.deploymentId).toBe(`${input.service}-${input.environment}-${HEX16}`);
    }
  });

  it('the same event delivered twice starts one execution per service (the second is alreadyStarted)', async () => {
    const { orchestrator, intake } = setup();
    await intake(push());
    const again = await intake(push());
    expect(orchestrator.started).toHaveLength(2);
    expect(again.started.map((s) => s.alreadyStarted)).toEqual([true, true]);
  });

  it('the same digest pushed again under another tag and event id does not start a second deployment', async () => {
    const { orchestrator, intake } = setup(testConfig());
    await intake(push());
    const retag = await intake(push({ id: 'a-different-event-id', detail: { 'image-tag': 'v2' } }));
    expect(retag.started.find((s) => s.deploymentId === `web-production-${HEX16}`)?.alreadyStarted).toBe(true);
    expect(orchestrator.started.filter((s) => s.name === `web-production-${HEX16}`)).toHaveLength(1);
  });

  it('a later push of a digest whose deployment ended starts a new deployment; that event delivered twice starts it once (issue #12, defect 6)', async () => {
    // Prepare: the first push deployed and ended (rolled back, say).
    const { orchestrator, intake } = setup(testConfig());
    const first = await intake(push());
    for (const s of first.started) orchestrator.end(s.executionArn, 'SUCCEEDED');
    // Act: the same digest pushed again an hour later (a new event); EventBridge delivers it twice.
    const later = push({ id: 'a-later-push', time: '2019-11-16T02:54:34Z' });
    const again = await intake(later);
    const twice = await intake(later);
    // Assess: new executions under names of their own, each deploymentId the execution's name.
    const names = again.started.map((s) => s.deploymentId);
    expect(again.started.every((s) => !s.alreadyStarted)).toBe(true);
    expect(names.every((n) => n.startsWith('web-production-') || n.startsWith('web-staging-'))).toBe(true);
    expect(names).not.toContain(`web-production-${HEX16}`);
    expect(names.every((n) => /^[A-Za-z0-9_-]{1,80}$/.test(n))).toBe(true);
    for (const s of orchestrator.started.filter((x) => names.includes(x.name))) expect((s.input as { deploymentId: string }).deploymentId).toBe(s.name);
    expect(twice.started.every((s) => s.alreadyStarted)).toBe(true);
    expect(orchestrator.started).toHaveLength(first.started.length * 2);
    // Its requestedAt is that push's own time (ECR kept the first push time of the digest).
    const input = orchestrator.started.at(-1)?.input as { requestedAt: string };
    expect(input.requestedAt).toBe('2019-11-16T02:54:34Z');
  });

  it('the first push event delivered again after its deployment ended starts nothing (it is the same push)', async () => {
    const { orchestrator, intake } = setup(testConfig());
    const first = await intake(push());
    for (const s of first.started) orchestrator.end(s.executionArn, 'SUCCEEDED');
    const late = await intake(push());
    expect(late.started.every((s) => s.alreadyStarted)).toBe(true);
    expect(orchestrator.started).toHaveLength(first.started.length);
  });

  it("requestedAt is ECR's push time of the image (the trusted time the lock orders by), not the event's", async () => {
    const { orchestrator, intake, images } = setup(testConfig());
    images.put(REPOSITORY_OF_FIXTURE, { digest: DIGEST, tags: ['latest'], pushedAt: '2019-11-16T01:54:30.000Z' });
    await intake(push({ time: '2019-11-16T01:54:34Z' }));
    expect((orchestrator.started[0]?.input as { requestedAt?: string } | undefined)?.requestedAt).toBe('2019-11-16T01:54:30.000Z');
  });

  it('a different digest is a different deployment', async () => {
    const { orchestrator, intake } = setup();
    await intake(push());
    await intake(push({ detail: { 'image-digest': digestOf('next') } }));
    expect(new Set(orchestrator.started.map((s) => s.name)).size).toBe(4);
  });

  it('an untagged push deploys only where the tag filter is `*`', async () => {
    const { orchestrator, intake } = setup();
    await intake(push({ detail: { 'image-tag': DROP } }));
    expect(orchestrator.started.map((s) => s.name)).toEqual([`web-production-${HEX16}`]);
    expect(DeployRequestSchema.parse(orchestrator.started[0]?.input).image.tag).toBeUndefined();
  });
});

describe('intake: a well-formed push that is not for us is ignored and starts nothing', () => {
  const cases: Array<{ name: string; config?: ReturnType<typeof testConfig>; patch: Patch; why: RegExp }> = [
    { name: 'a repository no service deploys from', patch: { detail: { 'repository-name': 'someone/else' } }, why: /no managed service deploys someone\/else/ },
    {
      name: 'a tag no tag filter matches',
      config: testConfig({ web: { tagFilter: 'v*' } }),
      patch: { detail: { 'image-tag': 'nightly' } },
      why: /no managed service deploys my-repository-name:nightly/,
    },
    { name: 'a DELETE action', patch: { detail: { 'action-type': 'DELETE' } }, why: /only successful pushes deploy/ },
    { name: 'a failed push', patch: { detail: { result: 'FAILURE' } }, why: /only successful pushes deploy/ },
  ];
  it.each(cases)('$name', async ({ config, patch, why }) => {
    const { orchestrator, intake } = setup(config);
    const result = await intake(push(patch));
    expect(result.ignored).toMatch(why);
    expect(result.started).toEqual([]);
    expect(orchestrator.started).toEqual([]);
  });
});

describe('intake: malformed or foreign events are rejected (ValidationError naming the field), not thrown, and start nothing', () => {
  const cases: Array<{ name: string; event: unknown; field: string }> = [
    { name: 'not an object', event: 'ECR Image Action', field: '(root)' },
    { name: 'null', event: null, field: '(root)' },
    { name: 'an array', event: [FIXTURE], field: '(root)' },
    { name: 'wrong source', event: push({ source: 'aws.ecs' }), field: 'source' },
    { name: 'no source', event: push({ source: DROP }), field: 'source' },
    { name: 'a detail-type that disagrees with the source', event: push({ 'detail-type': 'ECR Image Scan' }), field: 'detail-type' },
    { name: 'detail is a string', event: push({ detail: 'PUSH' }), field: 'detail' },
    { name: 'detail is an array', event: push({ detail: [] }), field: 'detail' },
    { name: 'detail is null', event: push({ detail: null }), field: 'detail' },
    { name: 'a digest of 63 hex characters', event: push({ detail: { 'image-digest': DIGEST.slice(0, -1) } }), field: 'detail.image-digest' },
    { name: 'a digest in upper case', event: push({ detail: { 'image-digest': DIGEST.toUpperCase() } }), field: 'detail.image-digest' },
    { name: 'a tag where the digest belongs', event: push({ detail: { 'image-digest': 'latest' } }), field: 'detail.image-digest' },
    { name: 'a digest that is not a string', event: push({ detail: { 'image-digest': 42 } }), field: 'detail.image-digest' },
    { name: 'a repository name in upper case', event: push({ detail: { 'repository-name': 'My-Repository' } }), field: 'detail.repository-name' },
    { name: 'a repository name with an empty path segment', event: push({ detail: { 'repository-name': 'team//app' } }), field: 'detail.repository-name' },
    { name: 'a repository name starting with a separator', event: push({ detail: { 'repository-name': '-app' } }), field: 'detail.repository-name' },
    { name: 'a repository name of one character', event: push({ detail: { 'repository-name': 'a' } }), field: 'detail.repository-name' },
    { name: 'a tag of 129 characters', event: push({ detail: { 'image-tag': `v${'1'.repeat(128)}` } }), field: 'detail.image-tag' },
    // ECR takes tags of up to 300 characters (issue #14 Low): refused once, never retried.
    { name: 'a tag of 300 characters (ECR takes it, Docker does not)', event: push({ detail: { 'image-tag': `v${'1'.repeat(299)}` } }), field: 'detail.image-tag' },
    { name: 'a tag starting with a dot', event: push({ detail: { 'image-tag': '.hidden' } }), field: 'detail.image-tag' },
    { name: 'an empty tag', event: push({ detail: { 'image-tag': '' } }), field: 'detail.image-tag' },
    { name: 'another account', event: push({ account: '210987654321' }), field: 'account' },
    { name: 'an account that is not 12 digits', event: push({ account: '12345' }), field: 'account' },
    { name: 'another region (the fixture as AWS published it)', event: push({ region: 'us-west-2' }), field: 'region' },
    { name: 'no id', event: push({ id: DROP }), field: 'id' },
    { name: 'a time that is not ISO 8601', event: push({ time: '16/11/2019 01:54' }), field: 'time' },
  ];

  it.each(cases)('$name -> rejected with ValidationError on $field, logged at WARN, counted in RejectedEvents', async ({ event, field }) => {
    // Prepare
    const { orchestrator, intake, metrics } = setup(testConfig(), 'WARN');
    // Act: answered, not thrown (a throw is retried twice by Lambda and dead-lettered).
    const { result, logs } = await logsOf(() => intake(event));
    // Assess
    expect(result.rejected?.error).toBe('ValidationError');
    expect(result.rejected?.fields).toContain(field);
    expect(result.rejected?.message).toContain(field);
    expect(result.started).toEqual([]);
    expect(orchestrator.started).toEqual([]);
    expect(metrics.points).toEqual([{ name: 'RejectedEvents', value: 1, unit: 'Count', dimensions: {} }]);
    const warn = logs.find((l) => l.message === 'event rejected');
    expect(warn?.level).toBe('WARN');
    expect(warn?.error).toBe('ValidationError');
    expect(warn?.fields).toContain(field);
  });

  it('a push that is accepted or ignored counts no rejection', async () => {
    const { intake, metrics } = setup();
    await intake(push());
    await intake(push({ detail: { 'action-type': 'DELETE' } }));
    expect(metrics.points.filter((p) => p.name === 'RejectedEvents')).toEqual([]);
  });

  it('AWS trouble while starting still throws (a retry may pass)', async () => {
    const { orchestrator, intake, metrics } = setup();
    orchestrator.start = async () => {
      throw new AwsThrottled('Rate exceeded');
    };
    await expect(intake(push())).rejects.toThrow(AwsThrottled);
    expect(metrics.points).toEqual([]);
  });
});

describe('intake: property — any mutation of the documented event is accepted, ignored or rejected (ValidationError), never thrown', () => {
  const PATHS = [
    'version',
    'id',
    'detail-type',
    'source',
    'account',
    'time',
    'region',
    'resources',
    'detail',
    'detail.result',
    'detail.repository-name',
    'detail.image-digest',
    'detail.action-type',
    'detail.image-tag',
    'detail.extra',
    'extra',
  ] as const;
  const interesting = fc.constantFrom<unknown>(
    'aws.ecr',
    'ECR Image Action',
    'ECR Image Scan',
    'PUSH',
    'DELETE',
    'SUCCESS',
    'FAILURE',
    ACCOUNT,
    '210987654321',
    REGION,
    'eu-west-1',
    '',
    'latest',
    'v1.2.3',
    'x'.repeat(129),
    REPOSITORY,
    'shop/checkout',
    'Bad_Repo',
    DIGEST,
    digestOf('other'),
    '2024-02-29T23:59:59.999+05:30',
    '2019-11-16 01:54:34',
    {},
    [],
    null,
  );
  const value = fc.oneof(
    interesting,
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ maxLength: 140 }),
    fc.stringMatching(/^sha256:[0-9a-f]{64}$/),
    fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)?$/),
    fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,130}$/),
  );
  const mutation = fc.record({
    path: fc.constantFrom(...PATHS),
    op: fc.oneof(fc.constant<{ kind: 'delete' }>({ kind: 'delete' }), fc.record({ kind: fc.constant<'set'>('set'), value })),
  });

  function apply(event: Json, m: { path: string; op: { kind: 'delete' } | { kind: 'set'; value: unknown } }): void {
    const [head, tail] = m.path.split('.') as [string, string | undefined];
    let target: Json = event;
    let key = head;
    if (tail !== undefined) {
      const detail = event.detail;
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return; // detail already replaced
      target = detail as Json;
      key = tail;
    }
    if (m.op.kind === 'delete') delete target[key];
    else target[key] = structuredClone(m.op.value);
  }

  it('never throws, never starts on rejection, and every start is a valid deploy input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        // Prepare
        const event = push();
        for (const m of mutations) apply(event, m);
        const { orchestrator, intake } = setup();
        // Act
        const outcome = await intake(event).then(
          (result) => ({ ok: true as const, result }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        // Assess
        expect(outcome.ok, outcome.ok ? '' : String(outcome.error)).toBe(true);
        if (!outcome.ok) return;
        if (outcome.result.rejected) {
          expect(outcome.result.rejected.error).toBe(ValidationError.name);
          expect(orchestrator.started).toEqual([]);
          return;
        }
        expect(event).toMatchObject({ account: ACCOUNT, region: REGION, source: 'aws.ecr', 'detail-type': 'ECR Image Action' });
        expect(outcome.result.started.map((s) => s.deploymentId).sort()).toEqual(orchestrator.started.map((s) => s.name).sort());
        for (const s of orchestrator.started) {
          const input = DeployRequestSchema.parse(s.input);
          expect(input.image.uri).toMatch(/@sha256:[0-9a-f]{64}$/);
          expect(s.name).toBe(input.deploymentId);
        }
      }),
      { numRuns: 400 },
    );
  });
});
