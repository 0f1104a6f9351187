/**
 * Reading the configuration file for `cdk synth`: a missing file, bad JSON and a bad config all
 * become one {@link ConfigError} whose lines say `path: what is wrong; what is allowed`.
 */
import { readFileSync } from 'node:fs';
import { type CutoverConfig, parseConfig } from '../functions/core/config.js';
import { ConfigError } from '../functions/core/errors.js';

/** The file `cdk synth` reads unless `-c config=PATH` names another. */
export const DEFAULT_CONFIG_FILE = 'cutover.config.json';

export function loadConfigFile(path: string): CutoverConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [
      `(file): cannot be read (${code ?? (e as Error).message}); pass another file with -c config=PATH`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(path, [`(root): is not valid JSON (${(e as Error).message})`]);
  }
  return parseConfig(raw, path);
}
