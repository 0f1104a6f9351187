/** The release pipeline, the pure parts: input, plan, environment and release outcomes. */
import { describe, expect, it } from 'vitest';
import { type CutoverConfigInput, parseConfig } from '../../functions/core/config.js';
import { ValidationError } from '../../functions/core/errors.js';
import {
  closeStages,
  environmentResult,
  newReleaseRecord,
  planRelease,
  type ReleaseStage,
  releaseIdFor,
  releaseOutcome,
} from '../../functions/core/release.js';
import { parseReleaseControl } from '../../functions/core/release-control.js';
import { parseReleaseRequest } from '../../functions/core/release-request.js';

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const DIGEST = `sha256:${'3d7bf616c0c3c348'.repeat(4)}`;
const NOW = '2026-01-01T00:00:00.000Z';
const ctx = { releaseId: 'shop-api-3d7bf616c0c3c348', nowIso: NOW, accountId: '123456789012', region: 'us-east-1' };

function svc(name: string, environment: string, extra: Record<string, unknown> = {}) {
  const id = `${name}-${environment}`.slice(0, 20);
  return {
    name,
    environment,
    cluster: environment,
    service: name,
    containerName: 'app',
    repository: 'shop/api',
    listenerArn: `${ELB}:listener/app/${id}/0123456789abcdef/0123456789abcdef`,
    targetGroupArns: [`${ELB}:targetgroup/${id}-a/0123456789abcdef`, `${ELB}:targetgroup/${id}-b/0123456789abcdef`],
    strategy: { type: 'all-at-once' },
    ...extra,
  };
}

const config = (extra: Partial<CutoverConfigInput> = {}) =>
  parseConfig({
    environments: [
      { name: 'staging', verification: { hooks: ['arn:aws:lambda:us-east-1:123456789012:function:e2e'] } },
      { name: 'qa' },
      { name: 'production', requiresApproval: true, approvalTimeoutSeconds: 1, onApprovalTimeout: 'promote' },
    ],
    services: [svc('api', 'staging'), svc('api', 'production'), svc('worker', 'production', { tagFilter: 'v*' })],
    ...extra,
  } as CutoverConfigInput);

const request = (over: Record<string, unknown> = {}) =>
  parseReleaseRequest({ image: { repository: 'shop/api', digest: DIGEST, tag: 'v2' }, trigger: { kind: 'ecr-push', eventId: 'e-1' }, ...over });

describe('planRelease', () => {
  it('takes the environments in the configured order, skipping those with no service for the image', () => {
    const plan = planRelease(config(), request(), ctx);
    expect(plan.stages.map((s) => [s.environment, s.deployments.map((d) => d.service)])).toEqual([
      ['staging', ['api']],
      ['production', ['api', 'worker']],
    ]);
    expect(plan.skipped).toEqual(['qa']);
  });

  it('each deployment is the deploy input intake would send, named by service, environment and digest, triggered by the release', () => {
    const [staging, production] = planRelease(config(), request(), ctx).stages;
    // Only the id and service: the release ASL builds the deploy input from them and the release
    // (issue #12, defect 10). The push's first release names its deployments as intake would.
    expect(staging?.deployments[0]).toEqual({ deploymentId: 'api-staging-3d7bf616c0c3c348', service: 'api' });
    // Another release of the same digest names deployments of its own (an execution name is not reusable for 90 days).
    const again = planRelease(config(), request(), { ...ctx, releaseId: releaseIdFor('shop/api', DIGEST, 'event:later') }).stages[0]?.deployments[0];
    expect(again?.deploymentId).toMatch(/^api-staging-3d7bf616c0c3c348-[0-9a-f]{8}$/);
    expect(staging).toMatchObject({ index: 0, requiresApproval: false, verify: true });
    // The schema refuses 0 (test/core/config-timeouts.test.ts); the plan still never hands Step Functions less than 1 s.
    expect(production).toMatchObject({ index: 1, requiresApproval: true, approvalTimeoutSeconds: 1, onApprovalTimeout: 'promote', verify: false });
  });

  it('a push honours tag filters; a manual release deploys every service of the repository', () => {
    const push = planRelease(config(), request({ image: { repository: 'shop/api', digest: DIGEST, tag: 'latest' } }), ctx);
    expect(push.stages.at(-1)?.deployments.map((d) => d.service)).toEqual(['api']);
    const manual = planRelease(config(), request({ image: { repository: 'shop/api', digest: DIGEST }, trigger: { kind: 'manual', by: 'alice' } }), ctx);
    expect(manual.stages.at(-1)?.deployments.map((d) => d.service)).toEqual(['api', 'worker']);
    // Each deployment carries only its id and service (the ASL builds the deploy input: issue #12, defect 10).
    expect(Object.keys(manual.stages[0]?.deployments[0] ?? {}).sort()).toEqual(['deploymentId', 'service']);
  });

  it('environments narrows the release, keeping the configured order', () => {
    const plan = planRelease(config(), request({ environments: ['production', 'staging'] }), ctx);
    expect(plan.stages.map((s) => s.environment)).toEqual(['staging', 'production']);
    expect(planRelease(config(), request({ environments: ['production'] }), ctx).stages.map((s) => s.environment)).toEqual(['production']);
  });

  it.each([
    ['an unknown environment', { environments: ['prod'] }, /environments: "prod" is not configured; configured: staging, qa, production/],
    ['a repository nothing deploys', { image: { repository: 'shop/other', digest: DIGEST } }, /image.repository: no configured service deploys shop\/other/],
  ])('%s is a ValidationError naming the field', (_name, over, message) => {
    expect(() => planRelease(config(), request(over), ctx)).toThrow(ValidationError);
    expect(() => planRelease(config(), request(over), ctx)).toThrow(message);
  });

  it('the release input and the control input are validated with the field named', () => {
    expect(() => parseReleaseRequest({ image: { repository: 'shop/api', digest: 'sha256:abc' } })).toThrow(/image.digest/);
    expect(() => parseReleaseRequest({ image: { repository: 'shop/api', digest: DIGEST }, environments: [] })).toThrow(/environments: must name at least one/);
    expect(() => parseReleaseControl({ releaseId: 'r-1', action: 'promote' })).toThrow(/action/);
    expect(parseReleaseControl({ releaseId: 'r-1', action: 'approve', by: 'alice' })).toEqual({ releaseId: 'r-1', action: 'approve', by: 'alice' });
  });

  it('releaseIdFor: the same push names the same release; it fits an execution name', () => {
    expect(releaseIdFor('shop/api', DIGEST)).toBe('shop-api-3d7bf616c0c3c348');
    expect(releaseIdFor(`${'a'.repeat(120)}/b`, DIGEST)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('the new record lists every environment PENDING with its deployments', () => {
    const record = newReleaseRecord(planRelease(config(), request(), ctx), NOW, 'arn:exec');
    expect(record).toMatchObject({ releaseId: ctx.releaseId, status: 'IN_PROGRESS', executionArn: 'arn:exec' });
    expect(record.stages.map((s) => [s.environment, s.status, s.deployments.length])).toEqual([
      ['staging', 'PENDING', 1],
      ['production', 'PENDING', 2],
    ]);
  });
});

describe('environmentResult', () => {
  const d = (service: string, status?: 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED' | 'SUPERSEDED', code = 'Promoted') => ({
    service,
    deploymentId: `${service}-production-1`,
    ...(status ? { record: { status, reason: { code, message: `${code} msg` } } } : {}),
  });
  it.each([
    ['every deployment succeeded', [d('api', 'SUCCEEDED'), d('worker', 'SUCCEEDED')], 'SUCCEEDED', undefined],
    ['one rolled back', [d('api', 'SUCCEEDED'), d('worker', 'ROLLED_BACK', 'AlarmTriggered')], 'ROLLED_BACK', 'DeploymentRolledBack'],
    ['one failed', [d('api', 'FAILED', 'ImageRejected'), d('worker', 'SUCCEEDED')], 'FAILED', 'DeploymentFailed'],
    ['one never recorded anything', [d('api')], 'FAILED', 'DeploymentFailed'],
    ['one superseded by a newer push', [d('api', 'SUPERSEDED', 'Superseded')], 'SUPERSEDED', 'Superseded'],
    ['a rollback outranks a supersede', [d('api', 'SUPERSEDED', 'Superseded'), d('worker', 'ROLLED_BACK', 'HookFailed')], 'ROLLED_BACK', 'DeploymentRolledBack'],
  ])('%s -> %s', (_name, deployments, status, code) => {
    const result = environmentResult('production', deployments);
    expect(result.status).toBe(status);
    expect(result.failure?.code).toBe(code);
  });

  it('the failure message names the service, the environment and its reason', () => {
    const result = environmentResult('staging', [d('api', 'ROLLED_BACK', 'AlarmTriggered')]);
    expect(result.failure?.message).toBe('api in staging ended ROLLED_BACK (AlarmTriggered: AlarmTriggered msg)');
    const missing = environmentResult('staging', [{ service: 'api', deploymentId: 'x', error: { Error: 'States.TaskFailed', Cause: '{"Status":"FAILED"}' } }]);
    expect(missing.failure?.message).toMatch(/api in staging did not start \(DeploymentFailed: States.TaskFailed/);
  });
});

describe('releaseOutcome and closeStages', () => {
  const lambda = (name: string, message: string) => ({ Error: name, Cause: JSON.stringify({ errorType: name, errorMessage: message, trace: [] }) });
  it.each([
    ['no error', undefined, 'SUCCEEDED', 'Released'],
    ['an environment rolled back', lambda('DeploymentRolledBack', 'api in staging ...'), 'FAILED', 'DeploymentRolledBack'],
    ['an approval expired (a Fail state)', { Error: 'ApprovalExpired', Cause: 'expired' }, 'ABORTED', 'ApprovalExpired'],
    ['an operator aborted', { Error: 'Aborted', Cause: 'Aborted by alice' }, 'ABORTED', 'Aborted'],
    ['a verification hook failed', lambda('HookFailed', 'Hook e2e failed'), 'FAILED', 'HookFailed'],
    ['a newer push', lambda('Superseded', 'api superseded'), 'SUPERSEDED', 'Superseded'],
    ['something Step Functions raised', { Error: 'States.Runtime', Cause: 'bad path' }, 'FAILED', 'DeploymentFailed'],
  ])('%s -> %s (%s)', (_name, error, status, code) => {
    const outcome = releaseOutcome(error);
    expect(outcome.status).toBe(status);
    expect(outcome.reason.code).toBe(code);
  });

  const stage = (environment: string, status: ReleaseStage['status']): ReleaseStage => ({ environment, status, requiresApproval: false, deployments: [], verificationHooks: 0 });

  it('the environment in flight gets the failure; those after it are NOT_REACHED; those before keep SUCCEEDED', () => {
    const stages = [stage('dev', 'SUCCEEDED'), stage('staging', 'VERIFYING'), stage('production', 'PENDING')];
    expect(closeStages(stages, 'FAILED', 'HookFailed', NOW).map((s) => s.status)).toEqual(['SUCCEEDED', 'VERIFICATION_FAILED', 'NOT_REACHED']);
    expect(closeStages([stage('staging', 'SUCCEEDED'), stage('production', 'WAITING_FOR_APPROVAL')], 'ABORTED', 'ApprovalExpired', NOW).map((s) => s.status)).toEqual([
      'SUCCEEDED',
      'APPROVAL_EXPIRED',
    ]);
    expect(closeStages([stage('staging', 'ROLLED_BACK'), stage('production', 'PENDING')], 'FAILED', 'DeploymentRolledBack', NOW).map((s) => s.status)).toEqual([
      'ROLLED_BACK',
      'NOT_REACHED',
    ]);
  });

  it('a release that succeeded keeps its stages', () => {
    const stages = [stage('staging', 'SUCCEEDED'), stage('production', 'SUCCEEDED')];
    expect(closeStages(stages, 'SUCCEEDED', 'Released', NOW)).toEqual(stages);
  });
});
