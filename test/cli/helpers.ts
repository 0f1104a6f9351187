/**
 * Running `cutover` commands in-process against a rehearsal: the same state machines, handlers,
 * in-memory AWS world and dynalite table as the run, reached through the SDK clients the CLI builds
 * from the run's client options. Time is the run's virtual clock (polling sleeps on it), and the
 * CloudFormation look-up is stubbed: no test reaches AWS.
 */
import { bufferIO } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import type { OperatorOverrides } from '../../cli/operator.js';
import type { RehearsalContext } from '../../local/rehearsal.js';
import type { Scenario } from '../../local/scenario.js';

export interface CliResult {
  readonly argv: readonly string[];
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** Virtual seconds from the scenario start when the command finished. */
  readonly at: number;
}

/** The control plane of a run as the CLI's environment variables name it. */
export function controlPlaneEnv(ctx: RehearsalContext): Record<string, string> {
  const m = ctx.stateMachines;
  return {
    CUTOVER_TABLE_NAME: ctx.env.tableName,
    ...(m.deploy ? { CUTOVER_DEPLOY_STATE_MACHINE_ARN: m.deploy } : {}),
    ...(m.control ? { CUTOVER_CONTROL_STATE_MACHINE_ARN: m.control } : {}),
    ...(m.rollback ? { CUTOVER_ROLLBACK_STATE_MACHINE_ARN: m.rollback } : {}),
    ...(m.cleanup ? { CUTOVER_CLEANUP_STATE_MACHINE_ARN: m.cleanup } : {}),
    CUTOVER_EVENT_BUS_NAME: ctx.env.eventBusName,
  };
}

/** A `cutover` bound to a run: `run(argv)` executes one command line and records the result. */
export function cliFor(ctx: RehearsalContext, scenario: Scenario, startMs: number, env: Record<string, string> = {}) {
  const results: CliResult[] = [];
  const overrides: OperatorOverrides = {
    clientOptions: ctx.clientOptions,
    config: scenario.config,
    readStackOutputs: async () => ({}),
  };
  return {
    results,
    async run(...argv: string[]): Promise<CliResult> {
      const io = bufferIO({
        env: { USER: 'tester', ...controlPlaneEnv(ctx), ...env },
        now: () => ctx.clock.now(),
        sleep: (ms) => ctx.clock.sleep(ms),
      });
      const code = await main(argv, io, overrides);
      const result = { argv, code, out: io.out(), err: io.err(), at: (ctx.clock.now() - startMs) / 1000 };
      results.push(result);
      return result;
    },
  };
}

/** The results of the commands whose argv starts with these words. */
export const find = (results: readonly CliResult[], ...argv: string[]): CliResult => {
  const r = results.find((x) => argv.every((a, i) => x.argv[i] === a));
  if (!r) throw new Error(`no result for: cutover ${argv.join(' ')} (ran: ${results.map((x) => x.argv.join(' ')).join(' | ')})`);
  return r;
};
