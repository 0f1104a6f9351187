/**
 * Operator control of a release (issue #14 item 4, issue #16): the control input that names a
 * release, what approve / abort decide from the release record, and which release waits for a
 * service. No input carries a token or a stage item: a crafted one is refused by name.
 */
import { describe, expect, it } from 'vitest';
import { namesRelease, parseControlInput } from '../../functions/core/control.js';
import { NotWaitingForApproval, ValidationError } from '../../functions/core/errors.js';
import { decideReleaseControl, type ReleaseRecord, waitingReleaseFor } from '../../functions/core/release.js';
import { parseReleaseControl } from '../../functions/core/release-control.js';

const record = (over: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  releaseId: 'shop-api-3d7bf616c0c3c348',
  status: 'IN_PROGRESS',
  image: { repository: 'shop/api', digest: `sha256:${'3d7bf616c0c3c348'.repeat(4)}`, uri: 'x' },
  trigger: { kind: 'ecr-push' },
  stages: [
    { environment: 'staging', status: 'SUCCEEDED', requiresApproval: false, verificationHooks: 0, deployments: [{ service: 'api', deploymentId: 'a-s' }] },
    { environment: 'production', status: 'WAITING_FOR_APPROVAL', requiresApproval: true, verificationHooks: 0, deployments: [{ service: 'api', deploymentId: 'a-p' }] },
  ],
  taskToken: 'token-from-the-record',
  waitingFor: { environment: 'production', since: '2026-01-01T00:10:00.000Z' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:10:00.000Z',
  ...over,
});

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('the release control input', () => {
  it('parses approve / abort by release id, environment, by and reason', () => {
    expect(parseReleaseControl({ action: 'approve', releaseId: 'shop-api-1', environment: 'production', by: 'alice' })).toEqual({
      action: 'approve',
      releaseId: 'shop-api-1',
      environment: 'production',
      by: 'alice',
    });
    expect(namesRelease({ releaseId: 'x' })).toBe(true);
    expect(namesRelease({ service: 'api' })).toBe(false);
  });

  it('refuses a task token or a stage item by name (issue #14, item 4)', () => {
    expect(problemsOf(() => parseReleaseControl({ action: 'approve', releaseId: 'shop-api-1', taskToken: 'AAAA' }))).toEqual([
      '(root): unknown key "taskToken"; remove or fix the spelling',
    ]);
    expect(problemsOf(() => parseReleaseControl({ action: 'abort', releaseId: 'shop-api-1', item: { stage: {} } }))).toEqual([
      '(root): unknown key "item"; remove or fix the spelling',
    ]);
    // The same by service.
    expect(problemsOf(() => parseControlInput({ action: 'approve', service: 'api', environment: 'production', taskToken: 'AAAA' }))).toEqual([
      '(root): unknown key "taskToken"; remove or fix the spelling',
    ]);
  });

  it('refuses other actions, and a release id mixed with a service or a deployment id', () => {
    expect(problemsOf(() => parseReleaseControl({ action: 'promote', releaseId: 'shop-api-1' }))[0]).toBe('action: "promote" is not allowed; allowed: "approve", "abort"');
    expect(problemsOf(() => parseControlInput({ action: 'approve', releaseId: 'shop-api-1', service: 'api', environment: 'production' }))).toEqual([
      "releaseId: names a release; remove service (or remove releaseId to act on the service's deployment, or on the release waiting before its environment)",
    ]);
  });
});

describe('decideReleaseControl', () => {
  it('approve answers the token on the record with who approved; abort fails it with Aborted, who and why', () => {
    expect(decideReleaseControl({ action: 'approve' }, record(), 'alice')).toEqual({
      kind: 'succeed',
      releaseId: 'shop-api-3d7bf616c0c3c348',
      environment: 'production',
      taskToken: 'token-from-the-record',
      signal: { action: 'approve', by: 'alice' },
    });
    expect(decideReleaseControl({ action: 'abort', environment: 'production', reason: 'freeze' }, record(), 'bob')).toMatchObject({
      kind: 'fail',
      error: 'Aborted',
      message: 'Aborted by bob: freeze (release shop-api-3d7bf616c0c3c348, before production)',
    });
  });

  it('refuses a release that ended, that waits for nothing, or waits before another environment', () => {
    expect(() => decideReleaseControl({ action: 'approve' }, record({ status: 'ABORTED' }), 'a')).toThrow(/already ended ABORTED/);
    const { taskToken: _t, waitingFor: _w, ...busy } = record();
    expect(() =>
      decideReleaseControl({ action: 'approve' }, { ...busy, stages: [{ ...record().stages[0], status: 'DEPLOYING' } as never] }, 'a'),
    ).toThrow(/not waiting for an approval \(staging is DEPLOYING\)/);
    expect(() => decideReleaseControl({ action: 'approve', environment: 'staging' }, record(), 'a')).toThrow(NotWaitingForApproval);
    expect(() => decideReleaseControl({ action: 'approve', environment: 'staging' }, record(), 'a')).toThrow(/waits for approval before production, not staging/);
  });
});

describe('waitingReleaseFor', () => {
  it('finds the release waiting before the environment with the service in it, newest first', () => {
    const older = record({ releaseId: 'old', createdAt: '2026-01-01T00:00:00.000Z' });
    const newer = record({ releaseId: 'new', createdAt: '2026-01-02T00:00:00.000Z' });
    expect(waitingReleaseFor('api', 'production', [older, newer])?.releaseId).toBe('new');
    expect(waitingReleaseFor('web', 'production', [older, newer])).toBeUndefined();
    expect(waitingReleaseFor('api', 'staging', [older, newer])).toBeUndefined();
  });
});
