/**
 * Releases from the command line (issue #16): `cutover release status|approve|abort` and
 * `cutover approve SERVICE --env ENV` finding the release that waits for approval, against the local
 * runtime (prod-approval-expired: staging goes out, production requires an approval). Every command
 * goes through the control state machine; outcomes are read from the run's trace.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { releaseIdFor } from '../../functions/core/release.js';
import { bufferIO } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { type RehearsalContext, runScenario, type ScenarioTrace } from '../../local/rehearsal.js';
import type { Scenario } from '../../local/scenario.js';
import { gateScenario } from '../statemachines/gates-scenarios.js';
import { type CliResult, cliFor } from './helpers.js';

const scenario: Scenario = gateScenario('prod-approval-expired');
const push = scenario.timeline.find((t) => t.kind === 'push');
const RELEASE = releaseIdFor('shop/api', push?.kind === 'push' ? push.digest : '');
const r: Record<string, CliResult> = {};
let approved: ScenarioTrace;
let aborted: ScenarioTrace;

function at(seconds: number, run: (cli: ReturnType<typeof cliFor>) => Promise<void>) {
  return { at: seconds, label: `cli@${seconds}`, run: (ctx: RehearsalContext) => run(cliFor(ctx, scenario, ctx.clock.now() - seconds * 1000)) };
}

beforeAll(async () => {
  approved = await runScenario(scenario, {
    actions: [
      at(5, async (cli) => {
        r.statusNone = await cli.run('release', 'status');
        r.approveNothing = await cli.run('approve', 'api', '--env', 'production');
        r.releaseNoTarget = await cli.run('release', 'approve');
      }),
      at(600, async (cli) => {
        r.statusWaiting = await cli.run('release', 'status');
        r.statusJson = await cli.run('release', 'status', '--service', 'api', '--json');
        r.wrongEnv = await cli.run('release', 'approve', RELEASE, '--env', 'staging');
        r.approve = await cli.run('approve', 'api', '--env', 'production', '--by', 'alice');
      }),
      at(700, async (cli) => {
        r.statusAfter = await cli.run('release', 'status', RELEASE);
      }),
    ],
  });
  aborted = await runScenario(scenario, {
    actions: [
      at(600, async (cli) => {
        r.abort = await cli.run('release', 'abort', '--service', 'api', '--env', 'production', '--reason', 'code freeze', '--by', 'bob');
      }),
    ],
  });
}, 240_000);

describe('cutover release', () => {
  it('status before anything waits, and an approve with nothing to approve, say what to do next', () => {
    expect(r.statusNone?.out).toContain('No release waits for approval.');
    expect(r.approveNothing?.code).toBe(1);
    expect(r.approveNothing?.err).toContain('NothingInFlight');
    expect(r.releaseNoTarget?.code).toBe(2);
    expect(r.releaseNoTarget?.err).toContain('release approve needs RELEASE_ID or --service SERVICE [--env ENV]');
  });

  it('status lists the release waiting before production, how to approve it, and never its token', () => {
    expect(r.statusWaiting?.out).toContain(`release ${RELEASE} IN_PROGRESS`);
    expect(r.statusWaiting?.out).toMatch(/production +WAITING_FOR_APPROVAL since \d+/);
    expect(r.statusWaiting?.out).toContain(`cutover release approve ${RELEASE}`);
    expect(r.statusWaiting?.out).toContain('cutover approve api --env production');
    const json = JSON.parse(r.statusJson?.out ?? '[]') as Array<Record<string, unknown>>;
    expect(json.map((x) => x.releaseId)).toEqual([RELEASE]);
    expect(r.statusJson?.out).not.toMatch(/taskToken|approvalSignal|signalNonceHash/);
  });

  it('approve with the wrong environment is refused before anything starts', () => {
    expect(r.wrongEnv?.code).toBe(1);
    expect(r.wrongEnv?.err).toContain(`Release ${RELEASE} waits for approval before production, not staging`);
  });

  it('`cutover approve api --env production` approves the waiting release through the control state machine; production deploys', () => {
    expect(r.approve?.code, r.approve?.err).toBe(0);
    expect(r.approve?.out).toContain(`approved release ${RELEASE} before production: production deploys now`);
    expect(approved.summary.operations?.map((o) => [o.stateMachine, o.status, (o.input as { action?: string }).action])).toEqual([['control', 'SUCCEEDED', 'approve']]);
    expect(approved.summary.releases?.[0]).toMatchObject({ status: 'SUCCEEDED' });
    expect(r.statusAfter?.out).toMatch(/production +DEPLOYING .* approve by alice at /);
  });

  it('`cutover release abort --service api` stops the release before production with who and why', () => {
    expect(r.abort?.code, r.abort?.err).toBe(0);
    expect(r.abort?.out).toContain(`aborted release ${RELEASE} before production: the release stops here`);
    expect(aborted.summary.releases?.[0]).toMatchObject({ status: 'ABORTED', reasonCode: 'Aborted' });
    expect(aborted.summary.releases?.[0]?.reason).toContain('Aborted by bob: code freeze');
    expect(aborted.summary.releases?.[0]?.environments.find((e) => e.environment === 'production')?.approval).toMatchObject({ action: 'abort', by: 'bob' });
  });

  it('--help names the release commands', async () => {
    const io = bufferIO({ env: {} });
    expect(await main(['release', '--help'], io)).toBe(0);
    expect(io.out()).toContain('cutover release status [RELEASE_ID | --service SERVICE [--env ENV]] [--json]');
    expect(io.out()).toContain('cutover release approve|abort RELEASE_ID | --service SERVICE [--env ENV] [--reason TEXT]');
  });
});
