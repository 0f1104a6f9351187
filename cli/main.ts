/**
 * The `cutover` command line: dispatch, usage, and turning errors into a message that says what to
 * do next (exit 1) or the usage (exit 2).
 */
import { CutoverError } from '../functions/core/errors.js';
import { ADOPT_USAGE, adoptCommand } from './adopt.js';
import { awsProblem } from './aws-hints.js';
import { type CliIO, CommandError, UsageError } from './io.js';
import { OPERATOR_COMMANDS, OPERATOR_USAGE, type OperatorOverrides, operatorCommand } from './operator.js';
import { DEMO_USAGE, demoCommand, SIMULATE_USAGE, scenariosCommand, simulateCommand } from './simulate.js';

const USAGE_HEAD = `usage:
  ${DEMO_USAGE}
  ${SIMULATE_USAGE.split('\n').join('\n  ')}
  cutover scenarios export [DIR]
  ${ADOPT_USAGE}
${OPERATOR_USAGE}

Run \`cutover help\` for how the operator commands find the control plane.`;

export const USAGE = USAGE_HEAD;

export const HELP = `${USAGE_HEAD.replace(/\n\nRun `cutover help`.*$/s, '')}

The operator commands (status, history, deploy, promote, approve, abort, extend, hold, rollback,
cleanup, release) talk to a deployed control plane with credentials and region from the AWS SDK's standard
chain (AWS_PROFILE, AWS_REGION, SSO, instance roles). They find it, setting by setting, from:
  1. flags:    --table NAME --deploy-arn ARN --control-arn ARN --rollback-arn ARN --cleanup-arn ARN --bus NAME
  2. variables: CUTOVER_TABLE_NAME CUTOVER_DEPLOY_STATE_MACHINE_ARN CUTOVER_CONTROL_STATE_MACHINE_ARN
               CUTOVER_ROLLBACK_STATE_MACHINE_ARN CUTOVER_CLEANUP_STATE_MACHINE_ARN CUTOVER_EVENT_BUS_NAME
  3. the outputs of the control plane's CloudFormation stack (--stack NAME, CUTOVER_STACK_NAME,
     default CutoverStack): TableName, DeployStateMachineArn, ControlStateMachineArn,
     RollbackStateMachineArn, CleanupStateMachineArn, EventBusName.
The configuration the control plane was deployed with (--config PATH, CUTOVER_CONFIG, default
./cutover.config.json) names the services and their environments; without it, --env defaults to
production. CUTOVER_AWS_ENDPOINT and CUTOVER_DYNAMODB_ENDPOINT point the clients at emulators.
A release waiting for approval before an environment (requiresApproval) is approved or aborted with
\`cutover release approve|abort\` (or \`cutover approve SERVICE --env ENV\` when no deployment of SERVICE
waits for approval there), through the control state machine like every control.
Exit codes: 0 done, 1 the command could not do it (the message says what to do next), 2 usage.`;

const OTHER_COMMANDS = ['simulate', 'demo', 'scenarios', 'adopt'] as const;
/** Every command `help COMMAND` and `COMMAND --help` know. */
export const COMMANDS: readonly string[] = [...OTHER_COMMANDS, ...OPERATOR_COMMANDS];

/**
 * One command's usage: its own lines of the global usage, plus the options it shares (the
 * operator commands' options and how they find the control plane).
 */
export function commandUsage(command: string): string | undefined {
  switch (command) {
    case 'simulate':
      return `usage:\n  ${SIMULATE_USAGE.split('\n').join('\n  ')}\n\nRehearse a scenario (a built-in name or a scenario file, see examples/scenarios/README.md) on the local runtime: the real state machines and handlers against an in-memory AWS on a virtual clock. --list names the built-in scenarios.`;
    case 'demo':
      return `usage:\n  ${DEMO_USAGE}\n\nRehearse the demo (a good canary, then a bad release rolled back by its alarm) and write cutover-report.html.`;
    case 'scenarios':
      return 'usage:\n  cutover scenarios export [DIR]\n\nWrite every built-in scenario as a JSON file into DIR (default examples/scenarios).';
    case 'adopt':
      return `usage:\n  ${ADOPT_USAGE}\n\nInspect a live ECS service (read-only: Describe calls only) and print its configuration entry for cutover.config.json and what must change before Cutover can deploy it (docs/onboarding.md). Credentials and region from the AWS SDK's standard chain.`;
    default: {
      if (!(OPERATOR_COMMANDS as readonly string[]).includes(command)) return undefined;
      const lines = OPERATOR_USAGE.split('\n');
      const own = lines.filter((l) => new RegExp(`^\\s*cutover ${command}\\b|\\| ${command}\\b`).test(l));
      const shared = lines.slice(lines.findIndex((l) => l.trim().startsWith('operator options:')));
      return `usage:\n${[...own, ...shared].join('\n')}\n\nRun \`cutover help\` for how the operator commands find the control plane.`;
    }
  }
}

/** `--help` or `-h` among a command's arguments (before a `--`, after which everything is an operand). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Run one command line; `overrides` reach a control plane that is not in the environment (tests). */
export async function main(argv: readonly string[], io: CliIO, overrides: OperatorOverrides = {}): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && COMMANDS.includes(command) && asksForHelp(rest)) {
      io.stdout.write(`${commandUsage(command)}\n`);
      return 0;
    }
    switch (command) {
      case 'simulate':
        return await simulateCommand(rest, io);
      case 'demo':
        return await demoCommand(rest, io);
      case 'scenarios':
        return await scenariosCommand(rest, io);
      case 'adopt':
        return await adoptCommand(rest, io, overrides.clientOptions);
      case undefined:
        io.stderr.write(`${USAGE}\n`);
        return 2;
      case 'help':
      case '-h':
      case '--help': {
        const topic = rest[0];
        if (topic !== undefined) {
          const usage = commandUsage(topic);
          if (usage === undefined) throw new UsageError(`no help for "${topic}": the commands are ${COMMANDS.join(', ')}`);
          io.stdout.write(`${usage}\n`);
          return 0;
        }
        io.stdout.write(`${HELP}\n`);
        return 0;
      }
      default:
        if ((OPERATOR_COMMANDS as readonly string[]).includes(command)) return await operatorCommand(command, rest, io, overrides);
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    return reportError(e, io);
  }
}

/** The exit code for an error, after printing it the way an operator can act on. */
export function reportError(e: unknown, io: CliIO): number {
  if (e instanceof UsageError || (e as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
    io.stderr.write(`cutover: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (e instanceof CommandError) {
    io.stderr.write(`cutover: ${e.message}\n${e.hint ? `  next: ${e.hint}\n` : ''}`);
    return 1;
  }
  const aws = awsProblem(e);
  if (aws !== undefined) {
    io.stderr.write(`cutover: ${aws.what}\n  next: ${aws.next}\n`);
    return 1;
  }
  if (e instanceof CutoverError) {
    const problems = (e as { problems?: readonly string[] }).problems;
    if (problems && problems.length > 0) {
      // `X is invalid: a; b` -> one problem a line (ValidationError, ConfigError).
      const head = e.message.split(/ is invalid:/)[0];
      io.stderr.write(`cutover: ${e.name}: ${head} is invalid:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    } else {
      io.stderr.write(`cutover: ${e.name}: ${e.message}\n`);
    }
    return 1;
  }
  io.stderr.write(`cutover: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}
