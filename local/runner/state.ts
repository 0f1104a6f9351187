/**
 * What one runner holds: its options, registrations, executions, open task tokens, hooks and
 * reported errors. The LocalRunner owns one; the functions in the files beside it take it as `rt`.
 */
import { type ActivityError, VirtualClockImpl } from '../clock.js';
import type { Execution, ParkedTask, RegisteredMachine } from './records.js';
import { seededRandom } from './retries.js';
import {
  type ExecutionHook,
  ExecutionStatus,
  type LocalFunction,
  type LocalRunnerOptions,
  type LocalTaskResource,
  type StateEventInfo,
  type StateExitedInfo,
  type StateHook,
  type TokenOutcome,
} from './types.js';

export class RunnerState {
  readonly clock: VirtualClockImpl;
  readonly region: string;
  readonly accountId: string;
  readonly random: () => number;
  readonly closedTokens: 'throw' | 'ignore-duplicates';
  readonly quietTurns: number;
  readonly stallTimeoutMs: number;
  readonly recordStateData: boolean;

  readonly machines = new Map<string, RegisteredMachine>();
  readonly functions = new Map<string, LocalFunction>();
  readonly resources = new Map<string, LocalTaskResource>();
  readonly executions = new Map<string, Execution>();
  readonly parked = new Map<string, ParkedTask>();
  readonly closed = new Map<string, TokenOutcome>();
  readonly enteredHooks = new Set<StateHook<StateEventInfo>>();
  readonly exitedHooks = new Set<StateHook<StateExitedInfo>>();
  readonly finishedHooks = new Set<ExecutionHook>();
  errors: ActivityError[] = [];
  executionSeq = 0;
  tokenSeq = 0;

  constructor(options: LocalRunnerOptions = {}) {
    this.clock = options.clock ?? new VirtualClockImpl();
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.random = seededRandom(options.seed ?? 1);
    this.closedTokens = options.closedTokens ?? 'throw';
    this.quietTurns = options.quietTurns ?? 3;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
    this.recordStateData = options.recordStateData ?? true;
  }

  recordError(label: string, error: unknown): void {
    this.errors.push({ label, at: this.clock.now(), error });
  }

  /** Errors reported so far (and forget them): hooks, timer callbacks, bindings, invokeAsync. */
  takeErrors(): ActivityError[] {
    const out = [...this.errors, ...this.clock.takeErrors()];
    this.errors = [];
    return out;
  }

  runningExecutions(): Execution[] {
    return [...this.executions.values()].filter((e) => e.status === ExecutionStatus.Running);
  }
}
