/**
 * The error contract between functions/core/errors.ts and the state machines: every error name the
 * ASL retries, catches or raises is defined in errors.ts, and every name defined there is either
 * used by some ASL or listed in UNCAUGHT_BY_DESIGN with its reason. Every error class sets `name`
 * to its ErrorName.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../../functions/core/errors.js';
import { CutoverError, ErrorName, UNCAUGHT_BY_DESIGN } from '../../functions/core/errors.js';

const DIR = new URL('../../statemachines/', import.meta.url);
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.asl.json'))
  .sort();

interface Use {
  readonly file: string;
  readonly state: string;
  readonly how: 'Retry' | 'Catch' | 'Fail';
  readonly name: string;
}

type AslState = {
  Type?: string;
  Error?: string;
  Retry?: Array<{ ErrorEquals?: string[] }>;
  Catch?: Array<{ ErrorEquals?: string[] }>;
  Iterator?: AslMachine;
  ItemProcessor?: AslMachine;
  Branches?: AslMachine[];
};
type AslMachine = { States?: Record<string, AslState> };

/** Every ErrorEquals name (Retry and Catch) and every Fail state's Error, recursively into Map and Parallel. */
function errorUses(file: string, machine: AslMachine, path = ''): Use[] {
  const uses: Use[] = [];
  for (const [name, state] of Object.entries(machine.States ?? {})) {
    const at = path ? `${path}/${name}` : name;
    for (const r of state.Retry ?? []) for (const e of r.ErrorEquals ?? []) uses.push({ file, state: at, how: 'Retry', name: e });
    for (const c of state.Catch ?? []) for (const e of c.ErrorEquals ?? []) uses.push({ file, state: at, how: 'Catch', name: e });
    if (state.Type === 'Fail' && state.Error !== undefined) uses.push({ file, state: at, how: 'Fail', name: state.Error });
    for (const inner of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) {
      if (inner) uses.push(...errorUses(file, inner, at));
    }
  }
  return uses;
}

const USES: Use[] = FILES.flatMap((f) => errorUses(f, JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as AslMachine));
const isBuiltIn = (name: string): boolean => name.startsWith('States.') || name.startsWith('Lambda.');
const DEFINED = new Set<string>(Object.values(ErrorName));
/** Step Functions' predefined error names and the Lambda service errors of the optimized integration. */
const BUILT_IN = new Set([
  'States.ALL',
  'States.DataLimitExceeded',
  'States.ExceedToleratedFailureThreshold',
  'States.HeartbeatTimeout',
  'States.Http.Socket',
  'States.IntrinsicFailure',
  'States.ItemReaderFailed',
  'States.NoChoiceMatched',
  'States.ParameterPathFailure',
  'States.Permissions',
  'States.QueryEvaluationError',
  'States.ResultPathMatchFailure',
  'States.ResultWriterFailed',
  'States.Runtime',
  'States.TaskFailed',
  'States.Timeout',
  'States.BranchFailed',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
]);

describe('error contract: ASL <-> errors.ts', () => {
  it('finds the state machines and the names they use (including inside the steps Map)', () => {
    expect(FILES).toContain('deploy.asl.json');
    expect(USES.some((u) => u.how === 'Fail' && u.state.includes('/'))).toBe(true);
    expect(USES.some((u) => u.how === 'Catch')).toBe(true);
    expect(USES.some((u) => u.how === 'Retry')).toBe(true);
  });

  it('every name the ASL retries, catches or raises (other than States.* / Lambda.*) is an ErrorName', () => {
    const unknown = USES.filter((u) => !isBuiltIn(u.name) && !DEFINED.has(u.name)).map((u) => `${u.file} ${u.state} ${u.how}: ${u.name}`);
    expect(unknown).toEqual([]);
  });

  it('every States.* / Lambda.* name is one Step Functions and Lambda actually raise (a typo never matches)', () => {
    const typos = USES.filter((u) => isBuiltIn(u.name) && !BUILT_IN.has(u.name)).map((u) => `${u.file} ${u.state} ${u.how}: ${u.name}`);
    expect(typos).toEqual([]);
  });

  it('every ErrorName is retried, caught or raised by some ASL, or listed in UNCAUGHT_BY_DESIGN', () => {
    const used = new Set(USES.map((u) => u.name));
    const orphans = Object.values(ErrorName).filter((n) => !used.has(n) && !(n in UNCAUGHT_BY_DESIGN));
    expect(orphans).toEqual([]);
  });

  it('UNCAUGHT_BY_DESIGN names only real errors, each with a reason', () => {
    for (const [name, reason] of Object.entries(UNCAUGHT_BY_DESIGN)) {
      expect(DEFINED.has(name), name).toBe(true);
      expect(reason?.trim().length, name).toBeGreaterThan(10);
    }
  });

  it('the state machines retry exactly the errors errors.ts calls retryable', () => {
    const retried = new Set(USES.filter((u) => u.how === 'Retry' && !isBuiltIn(u.name)).map((u) => u.name));
    expect([...retried].sort()).toEqual([...errors.RETRYABLE_ERRORS].sort());
  });
});

describe('error classes', () => {
  type ErrorClass = new (...args: never[]) => CutoverError;
  const classes: Array<[string, ErrorClass]> = [];
  for (const [k, v] of Object.entries(errors)) {
    if (typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof CutoverError) {
      classes.push([k, v as unknown as ErrorClass]);
    }
  }
  /** Construct with arguments every constructor accepts (message-only, or what + problems). */
  const instance = (C: ErrorClass): CutoverError => new (C as unknown as new (a: string, b: string[]) => CutoverError)('what', ['p: wrong']);

  it('there is one exported class per ErrorName', () => {
    expect(classes.map(([k]) => k).sort()).toEqual(Object.keys(ErrorName).sort());
  });

  it.each(classes.map(([k, C]) => ({ k, C })))('$k sets name to ErrorName.$k', ({ k, C }) => {
    const e = instance(C);
    expect(e.name).toBe(k);
    expect(ErrorName[k as keyof typeof ErrorName]).toBe(e.name);
    expect(e).toBeInstanceOf(Error);
    // What Lambda reports to Step Functions is `name`; it must survive JSON and a cause.
    expect(e.toJSON().name).toBe(k);
  });
});
