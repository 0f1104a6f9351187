/**
 * functions/core/control.ts: the operator's JSON documents (one schema for console and CLI, errors
 * that name the field), what each action means for what the deployment waits for, and the rollback
 * and lost-push decisions. Pure: named tables and properties, no mocks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_ACTIONS,
  type ControlInput,
  decideControl,
  EXTEND_SECONDS,
  type InFlightView,
  namedVersion,
  parseControlInput,
  parseRollbackInput,
  planRollback,
  previousVersion,
  selectInFlight,
  signalOutcome,
  versionRef,
} from '../../functions/core/control.js';
import { LOST_PUSH_GRACE_SECONDS, LOST_PUSH_MAX_AGE_SECONDS, lostPush } from '../../functions/core/lost-push.js';
import { NotBaking, NotWaitingForApproval, NothingInFlight, ValidationError } from '../../functions/core/errors.js';
import type { DeploymentRecord, DeploymentStatus, StablePointer, WaitingFor } from '../../functions/core/model.js';

const TD = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/api:${n}`;
const DIGEST = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const HOLD = { timeoutSeconds: 3600, onTimeout: 'abort' } as const;

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('parseControlInput', () => {
  it.each([
    { name: 'promote', doc: { action: 'promote', service: 'api', environment: 'production' } },
    { name: 'promote-fully with a deployment id and who', doc: { action: 'promote-fully', service: 'api', environment: 'production', deploymentId: 'api-production-1', by: 'alice' } },
    { name: 'abort with a reason', doc: { action: 'abort', service: 'api', environment: 'production', reason: 'error budget' } },
    { name: 'extend with seconds', doc: { action: 'extend', service: 'api', environment: 'production', extendSeconds: 900 } },
    { name: 'hold', doc: { action: 'hold', service: 'api', environment: 'staging' } },
    { name: 'approve', doc: { action: 'approve', service: 'api', environment: 'production' } },
  ])('accepts $name', ({ doc }) => {
    expect(parseControlInput(doc)).toMatchObject(doc);
  });

  it('extend defaults to 300 seconds', () => {
    expect(parseControlInput({ action: 'extend', service: 'api', environment: 'production' })).toMatchObject({ extendSeconds: EXTEND_SECONDS.default });
  });

  it.each([
    { name: 'no action', doc: { service: 'api', environment: 'production' }, path: 'action', says: 'is required' },
    { name: 'an unknown action', doc: { action: 'rollback', service: 'api', environment: 'production' }, path: 'action', says: '"promote"' },
    { name: 'no service', doc: { action: 'promote', environment: 'production' }, path: 'service', says: 'is required' },
    { name: 'a service name in capitals', doc: { action: 'promote', service: 'API', environment: 'production' }, path: 'service', says: 'configured service name' },
    { name: 'extendSeconds on promote', doc: { action: 'promote', service: 'api', environment: 'production', extendSeconds: 60 }, path: 'extendSeconds', says: 'only applies to action "extend"' },
    { name: 'extendSeconds 0', doc: { action: 'extend', service: 'api', environment: 'production', extendSeconds: 0 }, path: 'extendSeconds', says: 'at least 1' },
    { name: 'extendSeconds beyond a day', doc: { action: 'extend', service: 'api', environment: 'production', extendSeconds: 86401 }, path: 'extendSeconds', says: 'at most 86400' },
    { name: 'a fractional extendSeconds', doc: { action: 'extend', service: 'api', environment: 'production', extendSeconds: 1.5 }, path: 'extendSeconds', says: '' },
    { name: 'an unknown key', doc: { action: 'abort', service: 'api', environment: 'production', reasons: 'x' }, path: '(root)', says: 'unknown key "reasons"' },
    { name: 'an empty reason', doc: { action: 'abort', service: 'api', environment: 'production', reason: '' }, path: 'reason', says: 'omit it' },
    { name: 'a deployment id with a space', doc: { action: 'abort', service: 'api', environment: 'production', deploymentId: 'a b' }, path: 'deploymentId', says: 'deployment id' },
  ])('rejects $name, naming $path', ({ doc, path, says }) => {
    const problems = problemsOf(() => parseControlInput(doc));
    const line = problems.find((p) => p.startsWith(`${path}:`));
    expect(line, problems.join('\n')).toBeDefined();
    expect(line).toContain(says);
  });

  it('rejects what is not an object', () => {
    expect(problemsOf(() => parseControlInput('abort'))[0]).toMatch(/^\(root\): expected object/);
  });

  it('accepts every well-formed document (property)', () => {
    const doc = fc.record(
      {
        action: fc.constantFrom(...CONTROL_ACTIONS),
        service: fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/),
        environment: fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
        deploymentId: fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/),
        reason: fc.string({ minLength: 1, maxLength: 1024 }),
        by: fc.string({ minLength: 1, maxLength: 256 }),
      },
      { requiredKeys: ['action', 'service', 'environment'] },
    );
    fc.assert(
      fc.property(doc, (d) => {
        const parsed = parseControlInput(d);
        expect(parsed.action).toBe(d.action);
        if (parsed.action === 'extend') expect(parsed.extendSeconds).toBe(EXTEND_SECONDS.default);
      }),
    );
  });
});

describe('parseRollbackInput and versionRef', () => {
  it('takes a deployment id or a task-definition ARN as toVersion', () => {
    expect(versionRef(parseRollbackInput({ service: 'api', environment: 'production', toVersion: 'api-production-3d7b' }).toVersion ?? '')).toEqual({
      kind: 'deployment',
      deploymentId: 'api-production-3d7b',
    });
    expect(versionRef(parseRollbackInput({ service: 'api', environment: 'production', toVersion: TD(7) }).toVersion ?? '')).toEqual({
      kind: 'taskDefinition',
      arn: TD(7),
    });
  });

  it.each([
    { name: 'a family:revision', doc: { service: 'api', environment: 'production', toVersion: 'api:7' }, path: 'toVersion' },
    { name: 'an action (a control document sent to rollback)', doc: { action: 'abort', service: 'api', environment: 'production' }, path: '(root)' },
    { name: 'no environment', doc: { service: 'api' }, path: 'environment' },
  ])('rejects $name', ({ doc, path }) => {
    expect(problemsOf(() => parseRollbackInput(doc)).some((p) => p.startsWith(`${path}:`))).toBe(true);
  });
});

// -------------------------------------------------------------------------------------------
// decideControl
// -------------------------------------------------------------------------------------------

const view = (waitingFor: WaitingFor | undefined, status: DeploymentStatus = 'IN_PROGRESS'): InFlightView => ({
  deploymentId: 'd-1',
  status,
  ...(waitingFor ? { taskToken: `token-${waitingFor}`, waitingFor } : {}),
});
const input = (action: ControlInput['action'], extra: Record<string, unknown> = {}): ControlInput =>
  parseControlInput({ action, service: 'api', environment: 'production', ...extra });

describe('decideControl', () => {
  type Expect = { kind: 'succeed'; signal: Record<string, unknown> } | { kind: 'fail'; error: string } | { kind: 'stop' } | { kind: 'none' } | { throws: typeof NotBaking | typeof NotWaitingForApproval };
  const cases: Array<{ name: string; action: ControlInput['action']; waiting: WaitingFor | undefined; status?: DeploymentStatus; want: Expect }> = [
    { name: 'promote ends a bake as passed', action: 'promote', waiting: 'bake', want: { kind: 'succeed', signal: { action: 'promote', by: 'alice' } } },
    { name: 'promote at an approval approves it', action: 'promote', waiting: 'approval', want: { kind: 'succeed', signal: { action: 'promote' } } },
    { name: 'promote in the termination wait retires blue now', action: 'promote', waiting: 'termination', want: { kind: 'succeed', signal: { action: 'promote' } } },
    { name: 'promote between steps is refused', action: 'promote', waiting: undefined, want: { throws: NotBaking } },
    { name: 'promote-fully from a bake', action: 'promote-fully', waiting: 'bake', want: { kind: 'succeed', signal: { action: 'promote-fully' } } },
    { name: 'promote-fully from an approval', action: 'promote-fully', waiting: 'approval', want: { kind: 'succeed', signal: { action: 'promote-fully' } } },
    { name: 'extend a bake by its seconds', action: 'extend', waiting: 'bake', want: { kind: 'succeed', signal: { action: 'extend', seconds: 300 } } },
    { name: 'extend an approval is refused', action: 'extend', waiting: 'approval', want: { throws: NotBaking } },
    { name: 'extend the termination wait is refused', action: 'extend', waiting: 'termination', want: { throws: NotBaking } },
    { name: 'hold a bake: wait for approval with the environment policy', action: 'hold', waiting: 'bake', want: { kind: 'succeed', signal: { action: 'hold', timeoutSeconds: 3600, onTimeout: 'abort' } } },
    { name: 'hold while waiting for approval changes nothing', action: 'hold', waiting: 'approval', want: { kind: 'none' } },
    { name: 'hold between steps is refused', action: 'hold', waiting: undefined, want: { throws: NotBaking } },
    { name: 'approve an approval', action: 'approve', waiting: 'approval', want: { kind: 'succeed', signal: { action: 'approve' } } },
    { name: 'approve a bake is refused', action: 'approve', waiting: 'bake', want: { throws: NotWaitingForApproval } },
    { name: 'approve the termination wait is refused', action: 'approve', waiting: 'termination', want: { throws: NotWaitingForApproval } },
    { name: 'abort a bake fails its token with Aborted', action: 'abort', waiting: 'bake', want: { kind: 'fail', error: 'Aborted' } },
    { name: 'abort an approval', action: 'abort', waiting: 'approval', want: { kind: 'fail', error: 'Aborted' } },
    { name: 'abort in the termination wait (a weight flip)', action: 'abort', waiting: 'termination', want: { kind: 'fail', error: 'Aborted' } },
    { name: 'abort between steps stops the execution', action: 'abort', waiting: undefined, want: { kind: 'stop' } },
    { name: 'abort a queued deployment stops it', action: 'abort', waiting: undefined, status: 'QUEUED', want: { kind: 'stop' } },
  ];
  it.each(cases)('$name', ({ action, waiting, status, want }) => {
    const act = () => decideControl(input(action), view(waiting, status), 'alice', HOLD);
    if ('throws' in want) {
      expect(act).toThrow(want.throws);
      return;
    }
    const d = act();
    expect(d.kind).toBe(want.kind);
    if (want.kind === 'succeed' && d.kind === 'succeed') {
      expect(d.signal).toMatchObject(want.signal);
      expect(d.taskToken).toBe(`token-${waiting}`);
    }
    if (want.kind === 'fail' && d.kind === 'fail') {
      expect(d.error).toBe(want.error);
      expect(d.taskToken).toBe(`token-${waiting}`);
    }
  });

  it('the abort message names who and why', () => {
    const d = decideControl(input('abort', { reason: 'p99 doubled' }), view('bake'), 'alice', HOLD);
    expect(d).toMatchObject({ kind: 'fail', message: 'Aborted by alice: p99 doubled' });
  });

  it('a refusal says what the deployment is doing and what would work', () => {
    expect(() => decideControl(input('approve'), view('bake'), 'alice', HOLD)).toThrow(/is baking, not waiting for approval; use promote/);
    expect(() => decideControl(input('promote'), view(undefined, 'QUEUED'), 'alice', HOLD)).toThrow(/queued/);
  });

  it('never answers a token it does not have, and abort always acts (property)', () => {
    const arb = fc.record({
      action: fc.constantFrom(...CONTROL_ACTIONS),
      waiting: fc.constantFrom<WaitingFor | undefined>('bake', 'approval', 'termination', undefined),
      status: fc.constantFrom<DeploymentStatus>('QUEUED', 'IN_PROGRESS'),
    });
    fc.assert(
      fc.property(arb, ({ action, waiting, status }) => {
        let d: ReturnType<typeof decideControl> | undefined;
        try {
          d = decideControl(input(action), view(waiting, status), 'x', HOLD);
        } catch (e) {
          expect(e instanceof NotBaking || e instanceof NotWaitingForApproval).toBe(true);
          expect(action).not.toBe('abort');
          return;
        }
        if (d.kind === 'succeed' || d.kind === 'fail') {
          expect(status).toBe('IN_PROGRESS');
          expect(d.taskToken).toBe(`token-${waiting}`);
        }
        if (action === 'abort') expect(['fail', 'stop']).toContain(d.kind);
      }),
    );
  });
});

describe('selectInFlight', () => {
  const rec = (deploymentId: string, status: DeploymentStatus, createdAt: string) => ({ deploymentId, status, createdAt });
  it('prefers the deployment IN_PROGRESS, then the newest QUEUED', () => {
    const list = [rec('q-old', 'QUEUED', '2026-01-01T00:00:01Z'), rec('run', 'IN_PROGRESS', '2026-01-01T00:00:00Z'), rec('q-new', 'QUEUED', '2026-01-01T00:00:02Z')];
    expect(selectInFlight('api', 'production', list).deploymentId).toBe('run');
    expect(selectInFlight('api', 'production', list.filter((r) => r.status === 'QUEUED')).deploymentId).toBe('q-new');
  });
  it('NothingInFlight when nothing is in flight, or the named one ended', () => {
    expect(() => selectInFlight('api', 'production', [])).toThrow(NothingInFlight);
    expect(() => selectInFlight('api', 'production', [], 'd-9', rec('d-9', 'SUCCEEDED', '2026-01-01T00:00:00Z'))).toThrow(/already ended SUCCEEDED/);
    expect(() => selectInFlight('api', 'production', [], 'd-9')).toThrow(/No deployment d-9/);
  });
});

describe('signalOutcome', () => {
  it.each([
    { name: 'a success signal is done once sent', kind: 'succeed' as const, record: { status: 'IN_PROGRESS' as const, taskToken: 't1' }, want: 'done' },
    { name: 'rolled back: done', kind: 'fail' as const, record: { status: 'ROLLED_BACK' as const }, want: 'done' },
    { name: 'still on the token: pending', kind: 'fail' as const, record: { status: 'IN_PROGRESS' as const, taskToken: 't1' }, want: 'pending' },
    { name: 'token cleared, rollback running: pending', kind: 'fail' as const, record: { status: 'IN_PROGRESS' as const }, want: 'pending' },
    { name: 'another token: the signal missed (decide again)', kind: 'fail' as const, record: { status: 'IN_PROGRESS' as const, taskToken: 't2' }, want: 'missed' },
    { name: 'it succeeded first: ended', kind: 'fail' as const, record: { status: 'SUCCEEDED' as const }, want: 'ended' },
  ])('$name', ({ kind, record, want }) => {
    expect(signalOutcome({ taskToken: 't1', kind }, record)).toBe(want);
  });
});

// -------------------------------------------------------------------------------------------
// Rollback
// -------------------------------------------------------------------------------------------

function deployment(id: string, n: number, status: DeploymentStatus, createdAt: string, extra: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    deploymentId: id,
    service: 'api',
    environment: 'production',
    status,
    image: { repository: 'shop/api', digest: DIGEST(n), tag: `v${n}`, uri: `x@${DIGEST(n)}` },
    strategy: 'canary',
    alarmNames: [],
    green: { targetGroupArn: 'tg', taskDefinitionArn: TD(n) },
    timeline: status === 'SUCCEEDED' ? [{ key: 'promoted', kind: 'promote', at: createdAt }] : [],
    createdAt,
    updatedAt: createdAt,
    ...extra,
  };
}
const pointer = (d: DeploymentRecord, previous?: DeploymentRecord): StablePointer => ({
  deploymentId: d.deploymentId,
  taskDefinitionArn: d.green?.taskDefinitionArn as string,
  digest: d.image.digest,
  targetGroupArn: 'tg',
  updatedAt: d.createdAt,
  ...(previous
    ? { previous: { deploymentId: previous.deploymentId, taskDefinitionArn: previous.green?.taskDefinitionArn as string, digest: previous.image.digest, targetGroupArn: 'tg', updatedAt: previous.createdAt } }
    : {}),
});

describe('previousVersion', () => {
  const v2 = deployment('d-v2', 2, 'SUCCEEDED', '2026-01-01T01:00:00Z');
  const v3 = deployment('d-v3', 3, 'SUCCEEDED', '2026-01-01T02:00:00Z');
  const bad = deployment('d-v4', 4, 'ROLLED_BACK', '2026-01-01T03:00:00Z');

  it('the newest SUCCEEDED deployment before the live one', () => {
    expect(previousVersion(pointer(v3, v2), [bad, v3, v2])).toMatchObject({ fromDeploymentId: 'd-v2', taskDefinitionArn: TD(2), image: { digest: DIGEST(2) } });
  });
  it('not a version that was rolled back, even when the pointer names it as previous', () => {
    expect(previousVersion(pointer(v3, bad), [bad, v3])).toBeUndefined();
  });
  it('the pointer when the records of older deployments expired', () => {
    const p = pointer(v3, v2);
    expect(previousVersion(p, [v3])).toBeUndefined(); // its repository is unknown without the service's
    expect(previousVersion(p, [v3], 'shop/api')).toMatchObject({ taskDefinitionArn: TD(2), image: { repository: 'shop/api', digest: DIGEST(2) } });
  });
  it('nothing before the first Cutover deployment', () => {
    expect(previousVersion(pointer(v2), [v2])).toBeUndefined();
  });
});

describe('namedVersion', () => {
  const v2 = deployment('d-v2', 2, 'SUCCEEDED', '2026-01-01T01:00:00Z');
  const failed = deployment('d-f', 5, 'ROLLED_BACK', '2026-01-01T04:00:00Z', { reason: { code: 'AlarmTriggered', message: 'x' } });
  it('by deployment id or by task-definition ARN', () => {
    expect(namedVersion('d-v2', undefined, [v2])).toMatchObject({ taskDefinitionArn: TD(2) });
    expect(namedVersion(TD(2), undefined, [v2])).toMatchObject({ fromDeploymentId: 'd-v2' });
  });
  it('ValidationError on toVersion for an unknown or never-live version', () => {
    expect(problemsOf(() => namedVersion('d-x', undefined, [v2]))[0]).toMatch(/^toVersion: no deployment "d-x"/);
    expect(problemsOf(() => namedVersion('d-f', undefined, [failed]))[0]).toMatch(/never went live/);
    expect(problemsOf(() => namedVersion(TD(9), undefined, [v2]))[0]).toMatch(/^toVersion: no deployment of .*:9/);
  });
});

describe('planRollback', () => {
  const v2 = deployment('d-v2', 2, 'SUCCEEDED', '2026-01-01T01:00:00Z');
  const v3 = deployment('d-v3', 3, 'SUCCEEDED', '2026-01-01T02:00:00Z');
  const base = parseRollbackInput({ service: 'api', environment: 'production', reason: 'bad' });

  it('in the termination wait: fail its token with RollbackRequested (a weight flip)', () => {
    const plan = planRollback(base, { inFlight: { deploymentId: 'd-v4', status: 'IN_PROGRESS', taskToken: 't', waitingFor: 'termination' }, records: [] }, 'alice');
    expect(plan).toEqual({ kind: 'in-flight', deploymentId: 'd-v4', decision: expect.objectContaining({ kind: 'fail', error: 'RollbackRequested', taskToken: 't', message: 'Rolled back by alice: bad' }) });
  });
  it('in flight without a token: stop and roll back', () => {
    expect(planRollback(base, { inFlight: { deploymentId: 'd-v4', status: 'QUEUED' }, records: [] }, 'a')).toMatchObject({ kind: 'in-flight', decision: { kind: 'stop' } });
  });
  it('after success: deploy the previous version', () => {
    expect(planRollback(base, { stable: pointer(v3, v2), records: [v3, v2] }, 'a')).toMatchObject({ kind: 'deploy', target: { taskDefinitionArn: TD(2) } });
  });
  it('once the in-flight deployment is rolled back, no second rollback', () => {
    expect(planRollback(base, { stable: pointer(v3, v2), records: [v3, v2], rolledBack: 'd-v4' }, 'a')).toMatchObject({ kind: 'noop' });
  });
  it('toVersion that is already live: nothing to do', () => {
    const named = parseRollbackInput({ service: 'api', environment: 'production', toVersion: 'd-v3' });
    expect(planRollback(named, { stable: pointer(v3, v2), records: [v3, v2] }, 'a')).toMatchObject({ kind: 'noop' });
  });
  it('no earlier version: a ValidationError that says to name one', () => {
    expect(problemsOf(() => planRollback(base, { stable: pointer(v2), records: [v2] }, 'a'))[0]).toMatch(/^toVersion: api\/production has no earlier version/);
  });
});

describe('lostPush', () => {
  const NOW = Date.parse('2026-01-02T00:00:00Z');
  const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
  const any = () => true;
  const image = (n: number, pushedSecondsAgo: number, tags = [`v${n}`]) => ({ digest: DIGEST(n), tags, pushedAt: ago(pushedSecondsAgo) });
  const rec = (n: number, createdSecondsAgo: number) => ({ image: { repository: 'r', digest: DIGEST(n), uri: 'x' }, createdAt: ago(createdSecondsAgo) });
  /** Managed for a week: older than every push below. */
  const MANAGED = NOW - 7 * 24 * 3600 * 1000;

  it.each([
    { name: 'the newest push without a deployment', images: [image(1, 90_000), image(2, 600)], records: [], want: 2 },
    { name: 'not while EventBridge may still deliver it', images: [image(2, LOST_PUSH_GRACE_SECONDS - 1)], records: [], want: undefined },
    { name: 'not an old image (first install)', images: [image(2, LOST_PUSH_MAX_AGE_SECONDS + 1)], records: [], want: undefined },
    { name: 'not when it has a deployment', images: [image(2, 600)], records: [rec(2, 590)], want: undefined },
    { name: 'not when a later deployment (e.g. a rollback) happened since', images: [image(2, 600)], records: [rec(1, 300)], want: undefined },
    { name: 'only the newest counts: an older lost push is history', images: [image(2, 900), image(3, 600)], records: [rec(3, 590)], want: undefined },
  ])('$name', ({ images, records, want }) => {
    const got = lostPush(any, images, records, undefined, NOW, MANAGED);
    expect(got?.digest).toBe(want === undefined ? undefined : DIGEST(want));
  });

  it('respects the tag filter and the stable digest', () => {
    const images = [image(2, 600, ['latest']), image(3, 700, ['v3'])];
    expect(lostPush((t) => t?.startsWith('v') ?? false, images, [], undefined, NOW, MANAGED)?.digest).toBe(DIGEST(3));
    expect(lostPush(any, [image(2, 600)], [], DIGEST(2), NOW, MANAGED)).toBeUndefined();
  });

  it('only a push made after the service came under management (install, or the service added later)', () => {
    // Managed since 5 minutes ago: v2, pushed 10 minutes ago, was pushed while nothing watched.
    expect(lostPush(any, [image(2, 600)], [], undefined, NOW, NOW - 300_000)).toBeUndefined();
    // A push after management is taken, whatever was pushed before it; two pushes before it: nothing.
    expect(lostPush(any, [image(1, 200), image(2, 600)], [], undefined, NOW, NOW - 300_000)?.digest).toBe(DIGEST(1));
    expect(lostPush(any, [image(1, 400), image(2, 600)], [], undefined, NOW, NOW - 300_000)).toBeUndefined();
    // Pushed at the very moment management began: taken.
    expect(lostPush(any, [image(2, 300)], [], undefined, NOW, NOW - 300_000)?.digest).toBe(DIGEST(2));
  });
});
