/**
 * Issue #14 (5): task tokens are credentials (SendTaskSuccess/Failure have no resource-level
 * permission: the token is the only thing that names the execution). `cutover status --json` and
 * `history --json` printed them from the records; they now print the records' read model
 * (functions/aws/store.ts `publicRecord`), which has no token and no nonce hash.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { publicRecord, SECRET_RECORD_ATTRIBUTES } from '../../functions/aws/store.js';
import { deploymentIdFor } from '../../functions/core/deploy-state.js';
import type { DeploymentRecord } from '../../functions/core/model.js';
import { runScenario, type ScenarioTrace } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { builtinScenario, digestOf } from '../../local/scenarios/builtin.js';
import { type CliResult, cliFor } from '../cli/helpers.js';

const scenario = parseScenario(builtinScenario('good-canary'), 'good-canary');
const CANARY = deploymentIdFor('api', 'production', digestOf('shop/api:v2'));
const r: Record<string, CliResult> = {};
let waiting: DeploymentRecord | undefined;
let forged: ScenarioTrace;
let forgedToken: string | undefined;

beforeAll(async () => {
  await runScenario(scenario, {
    actions: [
      {
        at: 200,
        label: 'read while baking',
        run: async (ctx) => {
          waiting = await ctx.store.getDeployment('api', 'production', CANARY);
          const cli = cliFor(ctx, scenario, ctx.clock.now() - 200_000);
          r.status = await cli.run('status', 'api', '--json');
          r.overview = await cli.run('status', '--json');
          r.history = await cli.run('history', 'api', '--json');
        },
      },
    ],
  });
  // Someone with states:SendTaskSuccess (any workflow) and a token copied from the table promotes
  // the bake outside the control path.
  forged = await runScenario(scenario, {
    actions: [
      {
        at: 200,
        label: 'forged promote',
        run: async (ctx) => {
          forgedToken = (await ctx.store.getDeployment('api', 'production', CANARY))?.taskToken;
          await ctx.runner.sendTaskSuccess(forgedToken as string, JSON.stringify({ action: 'promote', by: 'mallory' }));
        },
      },
    ],
  });
}, 240_000);

describe('task tokens stay out of the operator output', () => {
  it('the deployment was waiting on a token when the commands ran (the test can fail)', () => {
    expect(waiting?.waitingFor).toBe('bake');
    expect(waiting?.taskToken?.length ?? 0).toBeGreaterThan(0);
  });

  it.each(['status', 'overview', 'history'])('%s --json names the deployment but not its token', (name) => {
    const out = r[name];
    expect(out?.code).toBe(0);
    expect(out?.out).toContain(CANARY);
    expect(out?.out).not.toContain(waiting?.taskToken as string);
    expect(out?.out).not.toMatch(/"taskToken"|"signalNonceHash"/);
  });

  it('publicRecord drops exactly the secret attributes', () => {
    const record = { deploymentId: 'd', status: 'IN_PROGRESS', taskToken: 't', signalNonceHash: 'h', waitingFor: 'bake' };
    expect(publicRecord(record)).toEqual({ deploymentId: 'd', status: 'IN_PROGRESS', waitingFor: 'bake' });
    expect([...SECRET_RECORD_ATTRIBUTES]).toEqual(['taskToken', 'signalNonceHash']);
  });
});

describe('a SendTaskSuccess outside the control path is refused (issue #14, 5)', () => {
  it('a forged promote of a bake rolls the deployment back with SignalNotVerified', () => {
    expect(forgedToken?.length ?? 0).toBeGreaterThan(0);
    const rec = forged.records.find((x) => x.deploymentId === CANARY);
    expect(rec?.status).toBe('ROLLED_BACK');
    expect(rec?.reason?.code).toBe('SignalNotVerified');
  });

  it('a promote through the control state machine still promotes (the nonce is recorded, as hashes only)', async () => {
    // The operator test (test/cli/operator.test.ts) promotes at 250 s through `cutover promote`;
    // here the records of the first run: the canary was never answered, so it baked to its end.
    const rec = forged.records.find((x) => x.deploymentId === CANARY);
    expect(JSON.stringify(rec?.controls ?? [])).not.toContain(forgedToken as string);
  });
});
