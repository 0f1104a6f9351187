/**
 * The release pipeline end to end on the local runtime: one push taken through staging then
 * production by the release state machine (nested deploy executions, verification hooks, an
 * approval), every environment's outcome on the release record, and a failure in staging never
 * reaching production.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { releaseIdFor } from '../../functions/core/release.js';
import { bufferIO } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { expectationDifferences } from '../../local/expectations.js';
import { type RehearsalContext, runScenario } from '../../local/rehearsal.js';
import { releaseStoreFor } from '../../functions/handlers/release.js';
import { parseScenario, type Scenario } from '../../local/scenario.js';
import { gateScenario, runAsDesigned, weightsOf } from './gates-scenarios.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function pushedDigest(scenario: Scenario): string {
  const push = scenario.timeline.find((t) => t.kind === 'push');
  if (push?.kind !== 'push') throw new Error('the scenario pushes nothing');
  return push.digest;
}

/** The production approval of prod-approval-expired, approved (or aborted) through the control state machine. */
function withOperator(base: Scenario, input: Record<string, unknown>, expectations: NonNullable<Scenario['expect']>): Scenario {
  return { ...base, timeline: [...base.timeline, { at: 600, kind: 'operator', by: 'alice@example.com', ...input } as Scenario['timeline'][number]], expect: expectations };
}
const APPROVED: NonNullable<Scenario['expect']> = {
  deployments: [
    { service: 'api', environment: 'staging', status: 'SUCCEEDED' },
    { service: 'api', environment: 'production', status: 'SUCCEEDED' },
  ],
  releases: [{ status: 'SUCCEEDED', reasonCode: 'Released', environments: { staging: 'SUCCEEDED', production: 'SUCCEEDED' } }],
};

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

  it('an approve by service (the control state machine) finds the waiting release: production deploys; the record says who approved', async () => {
    // Prepare: the same release; at 600 s staging is done and production waits.
    const base = gateScenario('prod-approval-expired');
    // Act
    const trace = await runAsDesigned(withOperator(base, { action: 'approve', service: 'api', environment: 'production' }, APPROVED));
    // Assess
    const production = trace.executions[1];
    expect(((production?.startMs ?? 0) - trace.startMs) / 1000).toBeGreaterThanOrEqual(600);
    expect(trace.lifecycleEvents.some((e) => e.detailType === 'Release Succeeded')).toBe(true);
    expect(trace.summary.operations?.map((o) => [o.stateMachine, o.status])).toEqual([['control', 'SUCCEEDED']]);
    const approval = trace.summary.releases?.[0]?.environments.find((e) => e.environment === 'production')?.approval;
    expect(approval).toMatchObject({ action: 'approve', by: 'alice@example.com' });
  });

  it('an abort by release id stops the release before production, with the reason and who aborted', async () => {
    const base = gateScenario('prod-approval-expired');
    const releaseId = releaseIdFor('shop/api', pushedDigest(base));
    const trace = await runAsDesigned(
      withOperator(base, { action: 'abort', releaseId, environment: 'production', reason: 'freeze for the holidays' }, {
        deployments: [{ service: 'api', environment: 'staging', status: 'SUCCEEDED' }],
        releases: [{ status: 'ABORTED', reasonCode: 'Aborted', environments: { staging: 'SUCCEEDED', production: 'ABORTED' } }],
      }),
    );
    expect(trace.summary.releases?.[0]?.reason).toContain('Aborted by alice@example.com: freeze for the holidays');
    expect((trace.endMs - trace.startMs) / 1000).toBeLessThan(1800);
  });

  it('an approve that arrives too early waits for the state (`when`) and is delivered as soon as production waits', async () => {
    // Prepare: the approve is typed at 20 s, long before staging is done.
    const base = gateScenario('prod-approval-expired');
    const scenario = { ...withOperator(base, { action: 'approve', service: 'api', environment: 'production', when: { waitingFor: 'approval' } }, APPROVED) };
    scenario.timeline = scenario.timeline.map((t) => (t.kind === 'operator' ? { ...t, at: 20 } : t));
    // Act
    const trace = await runAsDesigned(parseScenario(scenario, 'too-early'));
    // Assess: delivered once the release waited (after staging), not at 20 s; one control execution, which succeeded.
    const [wait] = trace.summary.waits ?? [];
    expect(wait?.found).toMatch(/^release shop-api-[0-9a-f]{16} before production$/);
    expect(wait?.deliveredAt).toBeGreaterThan(60);
    expect(trace.summary.operations?.map((o) => [o.startedAt, o.status])).toEqual([[wait?.deliveredAt, 'SUCCEEDED']]);
  });

  it('a wait that never comes sends nothing, and the summary says so (expect fails)', async () => {
    // Prepare: staging-then-prod needs no approval: nothing ever waits for one.
    const base = gateScenario('staging-then-prod');
    const scenario = parseScenario(
      { ...base, timeline: [...base.timeline, { at: 5, kind: 'operator', action: 'approve', service: 'api', environment: 'production', when: { waitingFor: 'approval', withinSeconds: 120 } }] },
      'never',
    );
    // Act
    const trace = await runScenario(scenario);
    // Assess
    expect(trace.summary.waits).toEqual([
      { at: 5, action: 'approve', condition: 'approval of api/production', withinSeconds: 120, deliveredAt: null, found: null },
    ]);
    expect(trace.summary.operations).toEqual([]);
    expect(expectationDifferences(scenario.expect, trace.summary)).toEqual([
      'waits: the approve at 5 s waited for approval of api/production, which did not come within 120 s; nothing was sent',
    ]);
  });

  it('a SendTaskSuccess outside the control path (token copied from the table) is refused: SignalNotVerified, production untouched (issue #14, item 4)', async () => {
    const base = gateScenario('prod-approval-expired');
    let token: string | undefined;
    const trace = await runScenario(base, {
      actions: [
        {
          at: 600,
          label: 'forged release approval',
          run: async (ctx: RehearsalContext) => {
            const releases = releaseStoreFor(ctx.clientOptions, ctx.env);
            token = (await releases.getRelease(releaseIdFor('shop/api', pushedDigest(base))))?.taskToken;
            await ctx.runner.sendTaskSuccess(token as string, JSON.stringify({ action: 'approve', by: 'mallory' }));
          },
        },
      ],
    });
    expect(token?.length ?? 0).toBeGreaterThan(0);
    expect(trace.summary.releases?.[0]).toMatchObject({ status: 'FAILED', reasonCode: 'SignalNotVerified' });
    expect(trace.summary.deployments.filter((d) => d.environment === 'production')).toEqual([]);
    expect(weightsOf(trace, 'production').every(([, w]) => w === '100/0')).toBe(true);
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
