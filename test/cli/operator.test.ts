/**
 * The operator commands against the local runtime: each command runs in-process at a virtual time
 * of a rehearsal (RunOptions.actions) and talks to the run's state machines, table and world through
 * the SDK, as it would to a deployed control plane. Outcomes are read from the run's trace.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { deploymentIdFor } from '../../functions/core/deploy-state.js';
import type { RehearsalContext, ScenarioTrace } from '../../local/rehearsal.js';
import { runScenario } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { builtinScenario, digestOf } from '../../local/scenarios/builtin.js';
import { type CliResult, cliFor } from './helpers.js';

const scenario = parseScenario(builtinScenario('good-canary'), 'good-canary');
const V1 = digestOf('shop/api:v1');
const V2 = digestOf('shop/api:v2');
const CANARY = deploymentIdFor('api', 'production', V2);
const REDEPLOY = deploymentIdFor('api', 'production', V1);

const pass = (result: unknown) => ({ StartAt: 'Done', States: { Done: { Type: 'Pass', Result: result, End: true } } });
const CLEANUP_REPORT = {
  runId: 'run-1',
  dryRun: true,
  startedAt: '2026-01-01T00:00:05.000Z',
  finishedAt: '2026-01-01T00:00:06.000Z',
  scopes: [],
  totals: { done: 0, would: 0, failed: 0, skipped: 0, deferred: 0, byKind: {} },
};

type Cli = ReturnType<typeof cliFor>;
const r: Record<string, CliResult> = {};
const fakeInputs: Record<string, unknown[]> = {};
let trace: ScenarioTrace;

/** An action at `at` virtual seconds that runs commands, saving each result under a name. */
function at(seconds: number, run: (cli: Cli, ctx: RehearsalContext) => Promise<void>) {
  return {
    at: seconds,
    label: `cli@${seconds}`,
    run: async (ctx: RehearsalContext) => {
      const cli = cliFor(ctx, scenario, ctx.clock.now() - seconds * 1000);
      await run(cli, ctx);
    },
  };
}

beforeAll(async () => {
  const fakes: Record<string, string> = {};
  trace = await runScenario(scenario, {
    actions: [
      at(0, async (_cli, ctx) => {
        // Stand-ins that only record their input: the CLI's side of the contract, exactly.
        for (const [name, def] of Object.entries({
          'fake-control': pass({ message: 'bake ended as passed' }),
          'fake-control-refuses': { StartAt: 'No', States: { No: { Type: 'Fail', Error: 'NotBaking', Cause: 'Deployment x is between steps; try again when it bakes' } } },
          'fake-cleanup': pass(CLEANUP_REPORT),
        })) {
          fakes[name] = ctx.runner.registerStateMachine({ name, definition: def }).stateMachineArn;
        }
        ctx.runner.onStateEntered((info) => {
          const exec = ctx.runner.getExecution(info.executionArn);
          const name = Object.entries(fakes).find(([, arn]) => arn === exec.stateMachineArn)?.[0];
          if (!name || info.stateType === 'Succeed') return;
          fakeInputs[name] = [...(fakeInputs[name] ?? []), JSON.parse(exec.input)];
        });
      }),
      at(5, async (cli, ctx) => {
        r.statusBefore = await cli.run('status', 'api');
        r.overviewBefore = await cli.run('status');
        r.historyBefore = await cli.run('history', 'api');
        r.abortNothing = await cli.run('abort', 'api');
        r.unknownService = await cli.run('status', 'nope');
        r.cleanup = await cli.run('cleanup', '--dry-run', '--cleanup-arn', fakes['fake-cleanup'] as string);
        r.cleanupNoArn = await cliFor(ctx, scenario, ctx.clock.now() - 5000, { CUTOVER_CLEANUP_STATE_MACHINE_ARN: '' }).run('cleanup', '--dry-run');
        r.cleanupService = await cli.run('cleanup', 'api', '--dry-run');
      }),
      at(200, async (cli) => {
        r.statusBaking = await cli.run('status', 'api');
        r.overviewBaking = await cli.run('status');
        r.approveBaking = await cli.run('approve', 'api');
        r.promoteFake = await cli.run('promote', 'api', '--reason', 'looks good', '--control-arn', fakes['fake-control'] as string);
        r.extendFake = await cli.run('extend', 'api', '--seconds', '600', '--control-arn', fakes['fake-control'] as string);
        r.promoteRefused = await cli.run('promote', 'api', '--fully', '--control-arn', fakes['fake-control-refuses'] as string);
        r.extendBadSeconds = await cli.run('extend', 'api', '--seconds', '0');
      }),
      at(250, async (cli) => {
        r.promote = await cli.run('promote', 'api', '--reason', 'canary looks fine');
      }),
      at(900, async (cli) => {
        r.historyAfter = await cli.run('history', 'api');
        r.statusAfter = await cli.run('status', 'api');
        r.rollbackNoEarlier = await cli.run('rollback', 'api');
        r.rollbackToLive = await cli.run('rollback', 'api', '--to', CANARY);
        r.deployWrongRepo = await cli.run('deploy', 'api', '--image', `shop/other@${V1}`);
        r.deployNoDigest = await cli.run('deploy', 'api', '--image', 'shop/api:v1');
        r.deploy = await cli.run('deploy', 'api', '--image', `123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:v1@${V1}`);
        r.deployAgain = await cli.run('deploy', 'api', '--image', `shop/api@${V1}`);
        r.cleanupReal = await cli.run('cleanup', '--dry-run');
      }),
      at(905, async (cli) => {
        r.watch = await cli.run('status', 'api', '--watch', '--interval', '30');
      }),
      at(1040, async (cli) => {
        r.abort = await cli.run('abort', 'api', '--reason', 'wrong version');
      }),
    ],
  });
}, 120_000);

const record = (id: string) => trace.records.find((x) => x.deploymentId === id);

describe('cutover status and history', () => {
  it('say what is live and that nothing is in flight before the first push', () => {
    expect(r.statusBefore?.code).toBe(0);
    expect(r.statusBefore?.out).toContain('api/production');
    expect(r.statusBefore?.out).toContain('no stable version recorded yet');
    expect(r.statusBefore?.out).toMatch(/traffic {3}api-a 100 \/ api-b 0/);
    expect(r.statusBefore?.out).toMatch(/in flight nothing/);
    expect(r.historyBefore?.out).toContain('No deployments of api/production on record');
    expect(r.overviewBefore?.out).toMatch(/api\/production +— +—/);
  });

  it('show a deployment that bakes: its step, the live weights and what the operator can do', () => {
    expect(r.statusBaking?.out).toContain(`in flight ${CANARY} IN_PROGRESS — baking`);
    expect(r.statusBaking?.out).toMatch(/traffic {3}blue api-a 90 \/ green api-b 10/);
    expect(r.statusBaking?.out).toContain('actions   cutover promote api (end the bake now) · cutover abort api');
    expect(r.statusBaking?.out).toContain('plan      canary: 10 % ▸ bake 300 s ▸ 100 %');
    expect(r.overviewBaking?.out).toMatch(new RegExp(`api/production +— +${CANARY} IN_PROGRESS +baking`));
  });

  it('list the deployments afterwards, newest first, with their outcome', () => {
    const lines = r.historyAfter?.out.trim().split('\n') ?? [];
    expect(lines[0]).toMatch(/^CREATED +DEPLOYMENT +STATUS +IMAGE +STRATEGY +TOOK +REASON$/);
    expect(lines[1]).toMatch(new RegExp(`${CANARY} +SUCCEEDED +shop/api:v2 sha256:3d7bf616c0c3 +canary +\\d\\d:\\d\\d +Promoted`));
    expect(r.statusAfter?.out).toMatch(new RegExp(`live +${CANARY} \\(api:2, sha256:3d7bf616c0c3\\)`));
    expect(r.statusAfter?.out).toMatch(/in flight nothing \(last: .* SUCCEEDED/);
  });

  it('--watch redraws until nothing is in flight', () => {
    expect(r.watch?.code).toBe(0);
    const snapshots = r.watch?.out.split('(as of ').length ?? 0;
    expect(snapshots - 1).toBeGreaterThanOrEqual(3);
    expect(r.watch?.out).toContain(`in flight ${REDEPLOY} IN_PROGRESS`);
    expect(r.watch?.out.trim().split('(as of ').at(-2)).toMatch(/in flight nothing \(last: .* ROLLED_BACK — Aborted/);
    expect(r.watch?.at).toBeGreaterThanOrEqual(1040);
  });

  it('name the services there are when asked about one that is not configured', () => {
    expect(r.unknownService?.code).toBe(1);
    expect(r.unknownService?.err).toContain('no service "nope"');
    expect(r.unknownService?.err).toContain('(services: api)');
    expect(r.unknownService?.err).toContain('next: check the name');
  });
});

describe('cutover promote, approve, abort, extend', () => {
  it('promote ends the bake through the control state machine: the canary goes to 100 % at once', () => {
    expect(r.promote?.code).toBe(0);
    expect(r.promote?.out).toContain(`promoted api/production ${CANARY}`);
    const rec = record(CANARY);
    expect(rec?.status).toBe('SUCCEEDED');
    const full = rec?.timeline.find((e) => e.kind === 'shift' && (e.detail as { percent?: number }).percent === 100);
    expect(Date.parse(full?.at ?? '') - trace.startMs).toBeLessThan(300_000); // the bake would have ended at 370 s
    expect(rec?.timeline.some((e) => e.kind === 'control' && (e.detail as { action?: string }).action === 'promote')).toBe(true);
  });

  it('sends the control input of the contract, for the deployment in flight', () => {
    expect(r.promoteFake?.code).toBe(0);
    expect(r.promoteFake?.out).toContain(`promoted api/production ${CANARY}: bake ended as passed`);
    expect(fakeInputs['fake-control']).toEqual([
      { action: 'promote', service: 'api', environment: 'production', deploymentId: CANARY, reason: 'looks good', by: 'tester' },
      { action: 'extend', service: 'api', environment: 'production', deploymentId: CANARY, extendSeconds: 600, by: 'tester' },
    ]);
  });

  it('approve while baking says what is going on and what to do instead, and starts nothing', () => {
    expect(r.approveBaking?.code).toBe(1);
    expect(r.approveBaking?.err).toContain('NotWaitingForApproval');
    expect(r.approveBaking?.err).toContain('is baking, not waiting for approval; use promote to end the bake now');
  });

  it('abort with nothing in flight says so and how to undo a finished deployment', () => {
    expect(r.abortNothing?.code).toBe(1);
    expect(r.abortNothing?.err).toContain('NothingInFlight');
    expect(r.abortNothing?.err).toContain('Nothing is in flight for api/production');
  });

  it('abort rolls the deployment in flight back, with the reason on record', () => {
    expect(r.abort?.code).toBe(0);
    expect(r.abort?.out).toContain(`aborted api/production ${REDEPLOY}`);
    expect(record(REDEPLOY)?.status).toBe('ROLLED_BACK');
    expect(record(REDEPLOY)?.reason?.code).toBe('Aborted');
    expect(record(REDEPLOY)?.reason?.message).toContain('wrong version');
  });

  it('a control the state machine refuses fails with its error and where to look', () => {
    expect(r.promoteRefused?.code).toBe(1);
    expect(r.promoteRefused?.err).toContain('FAILED: NotBaking: Deployment x is between steps; try again when it bakes');
    expect(r.promoteRefused?.err).toContain('next: see the execution in the Step Functions console');
    expect(fakeInputs['fake-control-refuses']).toEqual([expect.objectContaining({ action: 'promote-fully' })]);
  });

  it('rejects a bad option before anything starts', () => {
    expect(r.extendBadSeconds?.code).toBe(2);
    expect(r.extendBadSeconds?.err).toContain('--seconds must be a whole number from 1 to 86400');
  });
});

describe('cutover deploy', () => {
  it('starts the deploy state machine for the image by digest; it runs like a push', () => {
    expect(r.deploy?.code).toBe(0);
    expect(r.deploy?.out).toContain(`started deployment ${REDEPLOY} of shop/api:v1 sha256:2ce5428c8aee to api/production`);
    expect(r.deploy?.out).toContain('follow it: cutover status api --watch');
    const rec = record(REDEPLOY);
    expect(rec?.image.digest).toBe(V1);
    expect(rec?.image.tag).toBe('v1');
  });

  it('the same image twice is one deployment; the error says how to deploy it again', () => {
    expect(r.deployAgain?.code).toBe(1);
    expect(r.deployAgain?.err).toContain(`deployment ${REDEPLOY} of this image already exists`);
    expect(r.deployAgain?.err).toContain('add --new');
    expect(trace.summary.deployments.filter((d) => d.deploymentId === REDEPLOY)).toHaveLength(1);
  });

  it('an image from another repository, or without a digest, is refused', () => {
    expect(r.deployWrongRepo?.code).toBe(1);
    expect(r.deployWrongRepo?.err).toContain('api/production deploys images of shop/api, not shop/other');
    expect(r.deployNoDigest?.code).toBe(2);
    expect(r.deployNoDigest?.err).toContain('has no digest; give the image by digest');
  });
});

describe('cutover rollback', () => {
  it('with no earlier version on record, says to name one', () => {
    expect(r.rollbackNoEarlier?.code).toBe(1);
    expect(r.rollbackNoEarlier?.err).toContain('ValidationError: rollback input is invalid:');
    expect(r.rollbackNoEarlier?.err).toContain('toVersion: api/production has no earlier version on record');
  });

  it('to the version that is live already, does nothing and says so', () => {
    expect(r.rollbackToLive?.code).toBe(0);
    expect(r.rollbackToLive?.out).toContain('nothing to roll back');
    expect(r.rollbackToLive?.out).toContain('is already the live version');
  });
});

describe('cutover cleanup', () => {
  it('--dry-run starts the cleanup state machine with {dryRun: true} and prints its report', () => {
    expect(r.cleanup?.code).toBe(0);
    expect(fakeInputs['fake-cleanup']).toEqual([{ dryRun: true }]);
    expect(r.cleanup?.out).toContain('Cutover cleanup run-1 — DRY RUN: nothing was changed');
  });

  it('--dry-run against the cleanup state machine prints what a real run would remove, and removes nothing', () => {
    expect(r.cleanupReal?.code).toBe(0);
    expect(r.cleanupReal?.out).toContain('DRY RUN: nothing was changed');
    expect(r.cleanupReal?.out).toMatch(/Totals: would \d+/);
  });

  it('without a cleanup state machine, says where to configure it', () => {
    expect(r.cleanupNoArn?.code).toBe(1);
    expect(r.cleanupNoArn?.err).toContain('no cleanup state machine ARN');
    expect(r.cleanupNoArn?.err).toContain('pass --cleanup-arn, set CUTOVER_CLEANUP_STATE_MACHINE_ARN, or name the control plane');
  });

  it('takes no service', () => {
    expect(r.cleanupService?.code).toBe(2);
    expect(r.cleanupService?.err).toContain('cleanup takes no SERVICE');
  });
});

describe('the run the commands operated', () => {
  it('kept every safety invariant', () => {
    expect(trace.summary.invariantViolations).toEqual([]);
  });
});

describe('cutover rollback after a success', () => {
  const base = builtinScenario('rollback-after-success');
  if (!base) throw new Error('built-in scenario rollback-after-success is gone');
  // Two good releases (v2, then v3), then the operator rolls back from the command line.
  const twoReleases = parseScenario({ ...base, timeline: base.timeline.filter((t) => t.kind === 'push' && t.at < 1000) }, 'two-releases');
  const out: Record<string, CliResult> = {};
  let after: ScenarioTrace;

  beforeAll(async () => {
    const act = (seconds: number, run: (cli: Cli) => Promise<void>) => ({
      at: seconds,
      run: (ctx: RehearsalContext) => run(cliFor(ctx, twoReleases, ctx.clock.now() - seconds * 1000)),
    });
    after = await runScenario(twoReleases, {
      actions: [
        act(1500, async (cli) => {
          out.rollback = await cli.run('rollback', 'api', '--reason', 'v3 breaks the mobile app');
        }),
        act(3000, async (cli) => {
          out.history = await cli.run('history', 'api');
          out.status = await cli.run('status', 'api');
        }),
      ],
    });
  }, 120_000);

  it('deploys the previous version again through the rollback state machine', () => {
    const v2 = deploymentIdFor('api', 'production', V2);
    expect(out.rollback?.code).toBe(0);
    expect(out.rollback?.out).toContain(`rollback of api/production to ${v2} (api:2): done — deployment api-production-rb-`);
    const rollbacks = after.records.filter((x) => x.createdAt > new Date(after.startMs + 1_400_000).toISOString());
    expect(rollbacks.map((x) => x.status)).toEqual(['SUCCEEDED']);
    expect(out.status?.out).toMatch(/live {6}\S+ \(api:\d+, sha256:3d7bf616c0c3\)/); // v2's image is live again
    expect(out.history?.out.trim().split('\n')).toHaveLength(4); // header + v2, v3 and the rollback
    expect(after.summary.invariantViolations).toEqual([]);
  });
});
