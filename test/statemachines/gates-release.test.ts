/**
 * The release pipeline end to end on the local runtime: one push taken through staging then
 * production by the release state machine (nested deploy executions, verification hooks, an
 * approval), every environment's outcome on the release record, and a failure in staging never
 * reaching production.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { releaseIdFor } from '../../functions/core/release.js';
import { bufferIO } from '../../local/cli/io.js';
import { main } from '../../local/cli/main.js';
import type { RehearsalContext } from '../../local/rehearsal.js';
import type { Scenario } from '../../local/scenario.js';
import { gateScenario, runAsDesigned, weightsOf } from './gates-scenarios.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function pushedDigest(scenario: Scenario): string {
  const push = scenario.timeline.find((t) => t.kind === 'push');
  if (push?.kind !== 'push') throw new Error('the scenario pushes nothing');
  return push.digest;
}

const control = (scenario: Scenario, action: 'approve' | 'abort', reason?: string) => ({
  at: 600,
  label: `release ${action}`,
  run: (ctx: RehearsalContext) =>
    ctx.invoke('release', {
      action: 'control',
      control: { releaseId: releaseIdFor('shop/api', pushedDigest(scenario)), action, by: 'alice@example.com', ...(reason ? { reason } : {}) },
    }),
});

describe('the release pipeline', () => {
  it('staging-then-prod: staging deploys and is verified, then production; the release record shows both', async () => {
    const trace = await runAsDesigned(gateScenario('staging-then-prod'));
    const [staging, production] = trace.executions;
    // Production starts only after staging ended and its verification hook passed (it asked again once).
    expect(production?.startMs).toBeGreaterThanOrEqual((staging?.stopMs as number) + 30_000);
    const release = trace.summary.releases?.[0];
    expect(release?.environments.map((e) => e.deployments)).toEqual([[{ service: 'api', status: 'SUCCEEDED' }], [{ service: 'api', status: 'SUCCEEDED' }]]);
    // Each nested deployment is an ordinary deploy execution named by its deployment id.
    expect(trace.records.map((r) => r.deploymentId)).toEqual(trace.executions.map((x) => x.name));
    const releaseId = trace.summary.releases?.[0]?.releaseId;
    expect(trace.executions.map((x) => (JSON.parse(x.input) as { trigger: unknown }).trigger)).toEqual([
      { kind: 'release', eventId: releaseId },
      { kind: 'release', eventId: releaseId },
    ]);
  });

  it('staging-fails: the rollback in staging stops the release; production is never touched', async () => {
    const trace = await runAsDesigned(gateScenario('staging-fails'));
    expect(trace.executions.map((x) => (JSON.parse(x.input) as { environment: string }).environment)).toEqual(['staging']);
    expect(weightsOf(trace, 'production').every(([, w]) => w === '100/0')).toBe(true);
    expect(trace.summary.releases?.[0]?.reason).toContain('api in staging ended ROLLED_BACK (AlarmTriggered');
  });

  it('prod-approval-expired: nobody approves production within its timeout: ABORTED, naming the environment; production untouched', async () => {
    const trace = await runAsDesigned(gateScenario('prod-approval-expired'));
    const release = trace.summary.releases?.[0];
    expect(release?.reason).toBe('ApprovalExpired: production was not approved within 1800 s (onApprovalTimeout abort): the release stopped before it');
    expect(weightsOf(trace, 'production').every(([, w]) => w === '100/0')).toBe(true);
    const requested = trace.lifecycleEvents.filter((e) => e.detailType === 'Release Approval Requested');
    expect(requested.map((e) => (e.detail as { environment: string }).environment)).toEqual(['production']);
  });

  it('prod-approval-expired with a reconcile sweep at 310 s (and the 5-minute schedule on): production is never deployed by the sweep (issue #12, defect 1)', async () => {
    // Prepare: the built-in scenario, plus the sweep a new user would see run at 310 s.
    const base = gateScenario('prod-approval-expired');
    const scenario: Scenario = { ...base, timeline: [...base.timeline, { at: 310, kind: 'reconcile' }] };
    // Act
    const trace = await runAsDesigned(scenario);
    // Assess: only staging's deployment ever ran; production's traffic never moved; the release ABORTED.
    expect(trace.executions.map((x) => (JSON.parse(x.input) as { environment: string }).environment)).toEqual(['staging']);
    expect(trace.summary.deployments.filter((d) => d.environment === 'production')).toEqual([]);
    expect(weightsOf(trace, 'production').every(([, w]) => w === '100/0')).toBe(true);
    expect(trace.summary.releases?.[0]).toMatchObject({ status: 'ABORTED', reasonCode: 'ApprovalExpired' });
    // The sweeps ran (the explicit one and the schedule's) and started nothing.
    const sweeps = (trace.summary.operations ?? []).filter((o) => o.stateMachine === 'reconcile');
    expect(sweeps.map((o) => [o.startedAt, o.status])).toEqual([[310, 'SUCCEEDED']]);
    expect(trace.summary.scheduled?.reconcile?.runs).toBeGreaterThanOrEqual(1);
    expect(trace.summary.scheduled?.reconcile?.failed).toEqual([]);
  });

  it('an approval (the release control input) lets production deploy; the record says who approved', async () => {
    // Prepare: the same release, approved 10 minutes in (staging is done, production waits).
    const base = gateScenario('prod-approval-expired');
    const scenario: Scenario = {
      ...base,
      expect: {
        deployments: [
          { service: 'api', environment: 'staging', status: 'SUCCEEDED' },
          { service: 'api', environment: 'production', status: 'SUCCEEDED' },
        ],
        releases: [{ status: 'SUCCEEDED', reasonCode: 'Released', environments: { staging: 'SUCCEEDED', production: 'SUCCEEDED' } }],
      },
    };
    // Act
    const trace = await runAsDesigned(scenario, { actions: [control(base, 'approve')] });
    // Assess
    const production = trace.executions[1];
    expect(((production?.startMs ?? 0) - trace.startMs) / 1000).toBeGreaterThanOrEqual(600);
    expect(trace.lifecycleEvents.some((e) => e.detailType === 'Release Succeeded')).toBe(true);
  });

  it('an abort stops the release before production, with the reason and who aborted', async () => {
    const base = gateScenario('prod-approval-expired');
    const scenario: Scenario = {
      ...base,
      expect: {
        deployments: [{ service: 'api', environment: 'staging', status: 'SUCCEEDED' }],
        releases: [{ status: 'ABORTED', reasonCode: 'Aborted', environments: { staging: 'SUCCEEDED', production: 'ABORTED' } }],
      },
    };
    const trace = await runAsDesigned(scenario, { actions: [control(base, 'abort', 'freeze for the holidays')] });
    expect(trace.summary.releases?.[0]?.reason).toContain('Aborted by alice@example.com: freeze for the holidays');
    expect(((trace.endMs - trace.startMs) / 1000)).toBeLessThan(1800);
  });

  it('npx cutover simulate --scenario staging-fails --json prints the release with every environment', async () => {
    const io = bufferIO({ cwd: ROOT, env: {} });
    const code = await main(['simulate', '--scenario', 'staging-fails', '--json'], io);
    expect(code).toBe(0);
    const summary = JSON.parse(io.out()) as { releases: Array<{ status: string; environments: Array<{ environment: string; status: string }> }> };
    expect(summary.releases.map((r) => [r.status, r.environments.map((e) => `${e.environment}:${e.status}`)])).toEqual([
      ['FAILED', ['staging:ROLLED_BACK', 'production:NOT_REACHED']],
    ]);
  });
});
