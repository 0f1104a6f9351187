/**
 * What a CLI command may touch of its process: output streams, environment, working directory,
 * time. Commands take a {@link CliIO} so tests run them in-process and read what they printed.
 */
import { resolve } from 'node:path';
import type { LiveOutput } from '../local/report/live.js';

export interface CliIO {
  readonly stdout: LiveOutput;
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Wall clock (epoch ms). */
  now(): number;
  /** Real sleep (polling, --watch). */
  sleep(ms: number): Promise<void>;
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** An in-memory CliIO for tests: `out()` / `err()` give what was written. */
export function bufferIO(overrides: Partial<Omit<CliIO, 'stdout' | 'stderr'>> & { isTTY?: boolean; columns?: number } = {}): CliIO & {
  out(): string;
  err(): string;
} {
  let out = '';
  let err = '';
  return {
    stdout: {
      write: (t: string) => {
        out += t;
        return true;
      },
      isTTY: overrides.isTTY ?? false,
      columns: overrides.columns ?? 100,
    },
    stderr: {
      write: (t: string) => {
        err += t;
        return true;
      },
    },
    env: overrides.env ?? {},
    cwd: overrides.cwd ?? process.cwd(),
    now: overrides.now ?? (() => Date.now()),
    sleep: overrides.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    out: () => out,
    err: () => err,
  };
}

export const resolvePath = (io: CliIO, path: string): string => resolve(io.cwd, path);

/** A mistake in how the command was called: exit code 2, with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The command could not do what was asked; `message` says why and what to do next. Exit code 1.
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    /** What to do next, printed under the message. */
    readonly hint?: string,
  ) {
    super(message);
  }
}
