/**
 * `--help`, `-h` and `help COMMAND` print that command's usage and exit 0, for every command
 * (issue #15: `cutover simulate --help` answered "Unknown option '--help'" with exit 2).
 */
import { describe, expect, it } from 'vitest';
import { bufferIO } from '../../cli/io.js';
import { COMMANDS, main } from '../../cli/main.js';

async function run(argv: string[]) {
  const io = bufferIO();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('help for every command', () => {
  it.each(COMMANDS.flatMap((c) => [[c, '--help'], [c, '-h'], ['help', c]]))('cutover %s %s', async (a, b) => {
    const command = a === 'help' ? b : a;
    const { code, out, err } = await run([a, b]);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^usage:/);
    // The command's own line, not the global usage of every command.
    expect(out).toContain(command === 'scenarios' ? 'cutover scenarios export' : `${command}`);
    expect(out).not.toContain('cutover scenarios export [DIR]\n  cutover status');
  });

  it('the simulate usage names its options; an operator command gets the shared options', async () => {
    expect((await run(['simulate', '--help'])).out).toContain('--scenario NAME|FILE.json');
    const abort = (await run(['help', 'abort'])).out;
    expect(abort).toContain('abort SERVICE [--reason TEXT]');
    expect(abort).toContain('operator options:');
    expect(abort).not.toContain('cutover history');
  });

  it('help for an unknown command is a usage error that lists the commands', async () => {
    const { code, err } = await run(['help', 'deploi']);
    expect(code).toBe(2);
    expect(err).toContain('no help for "deploi"');
    expect(err).toContain('simulate, demo, scenarios, adopt, status');
  });

  it('a --help after -- is an operand, not a request for help', async () => {
    const { code } = await run(['simulate', '--', '--help']);
    expect(code).not.toBe(0);
  });
});
