/**
 * Lifecycle hooks, the pure parts: which user Lambdas run at which point, the payload they get,
 * how their answer is read, and what happens next.
 *
 * A hook is a Lambda function the team owns. Cutover invokes it synchronously at a named stage and
 * reads its answer the way ECS reads its own lifecycle hooks:
 *
 * ```json
 * { "hookStatus": "SUCCEEDED" }                                  // pass
 * { "hookStatus": "FAILED", "reason": "smoke test: 3/20 failed" } // fail: the deployment rolls back (HookFailed)
 * { "hookStatus": "IN_PROGRESS", "callBackDelay": 60 }           // ask again in 60 s (bounded)
 * ```
 *
 * The hooks of one point run one after the other, in the configured order. A hook that throws,
 * answers anything else, does not answer within `invocationTimeoutSeconds`, or has not passed
 * `timeoutSeconds` after its first invocation (asking again counts) fails with the hook named.
 *
 * | point (config key) | phase | when |
 * | --- | --- | --- |
 * | hooks.afterHealthy | preTraffic | green is steady and healthy, before production traffic |
 * | hooks.afterTestTraffic | preTraffic | the test listener points at green (after the afterHealthy hooks) |
 * | hooks.beforeShift | beforeShift | before each production shift (every step of the strategy) |
 * | hooks.afterFullTraffic | afterFullTraffic | right after the shift that puts 100 % on green |
 * | environments[].verification.hooks | verify | a release: every service of the environment deployed |
 */
import * as z from 'zod/mini';

export const HookStage = {
  AfterHealthy: 'afterHealthy',
  AfterTestTraffic: 'afterTestTraffic',
  BeforeShift: 'beforeShift',
  AfterFullTraffic: 'afterFullTraffic',
  Verify: 'verify',
} as const;
export type HookStage = (typeof HookStage)[keyof typeof HookStage];

export const HookPhase = {
  PreTraffic: 'preTraffic',
  BeforeShift: 'beforeShift',
  AfterFullTraffic: 'afterFullTraffic',
  Verify: 'verify',
} as const;
export type HookPhase = (typeof HookPhase)[keyof typeof HookPhase];
export type DeployHookPhase = Exclude<HookPhase, 'verify'>;

/** One hook to run: the stage it is invoked for and its function. */
export interface HookRef {
  readonly stage: HookStage;
  readonly functionArn: string;
}

/** The per-service hook lists (config `hooks`). */
export interface DeployHookLists {
  readonly afterHealthy: readonly string[];
  readonly afterTestTraffic: readonly string[];
  readonly beforeShift: readonly string[];
  readonly afterFullTraffic: readonly string[];
}

/** The hooks of a deploy phase, in the order they run. */
export function deployHooks(hooks: DeployHookLists, phase: DeployHookPhase): HookRef[] {
  const of = (stage: HookStage, arns: readonly string[]) => arns.map((functionArn) => ({ stage, functionArn }));
  switch (phase) {
    case HookPhase.PreTraffic:
      return [...of(HookStage.AfterHealthy, hooks.afterHealthy), ...of(HookStage.AfterTestTraffic, hooks.afterTestTraffic)];
    case HookPhase.BeforeShift:
      return of(HookStage.BeforeShift, hooks.beforeShift);
    case HookPhase.AfterFullTraffic:
      return of(HookStage.AfterFullTraffic, hooks.afterFullTraffic);
    default: {
      const never: never = phase;
      throw new TypeError(`unknown hook phase ${String(never)}`);
    }
  }
}

/** How long hooks may take. */
export interface HookLimits {
  /** A hook must pass within this long of its first invocation (asking again included). */
  readonly timeoutSeconds: number;
  /** One invocation must answer within this long. */
  readonly invocationTimeoutSeconds: number;
  /** An IN_PROGRESS answer's callBackDelay is capped at this. */
  readonly maxCallBackDelaySeconds: number;
}

/** An IN_PROGRESS answer without callBackDelay is asked again after this long (ECS's default too). */
export const DEFAULT_CALLBACK_DELAY_SECONDS = 30;

// ---------------------------------------------------------------------------------------------
// Payload
// ---------------------------------------------------------------------------------------------

/** One version of the service as a hook sees it. */
export interface HookVersion {
  /** Absent for a worker (no load balancer). */
  readonly targetGroupArn?: string;
  readonly taskDefinitionArn?: string;
  readonly taskSetId?: string;
}

/**
 * What a hook Lambda receives (version 1). Deploy stages carry `deploymentId`, `service` and
 * `versions`; the release's `verify` stage carries `releaseId` and `deployments`.
 */
export interface HookPayload {
  readonly cutoverHookVersion: '1';
  readonly stage: HookStage;
  readonly environment: string;
  readonly image: { readonly repository: string; readonly digest: string; readonly tag?: string; readonly uri?: string };
  /** The test listener's URL (config testUrl), where green answers before production traffic. */
  readonly testUrl?: string;
  /** 1 for the first invocation of this hook at this point, 2 after one IN_PROGRESS answer ... */
  readonly attempt: number;
  readonly deploymentId?: string;
  readonly service?: string;
  /** blue: what runs now (absent on a first deployment); green: what is being deployed. */
  readonly versions?: { readonly blue?: HookVersion; readonly green: HookVersion };
  /** Production weight on green when the hook runs (beforeShift: before the shift, with `nextPercent`). */
  readonly trafficPercent?: number;
  readonly nextPercent?: number;
  readonly releaseId?: string;
  readonly deployments?: ReadonlyArray<{ readonly service: string; readonly deploymentId: string; readonly status: string }>;
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

export const HookAnswerSchema = z.object({
  hookStatus: z.enum(['SUCCEEDED', 'FAILED', 'IN_PROGRESS']),
  /** Seconds before the next invocation (IN_PROGRESS). */
  callBackDelay: z.optional(z.number().check(z.minimum(0))),
  reason: z.optional(z.string()),
  hookDetails: z.optional(z.unknown()),
});

/** What invoking a hook function gave. */
export type HookReply =
  | { readonly kind: 'answered'; readonly answer: unknown }
  /** The function threw (Lambda FunctionError) or could not be invoked. */
  | { readonly kind: 'error'; readonly errorType: string; readonly message: string }
  /** No answer within invocationTimeoutSeconds. */
  | { readonly kind: 'timeout' };

export type HookAnswer =
  | { readonly kind: 'pass' }
  | { readonly kind: 'fail'; readonly reason: string }
  | { readonly kind: 'ask-again'; readonly delaySeconds?: number }
  | { readonly kind: 'invalid'; readonly problem: string };

const MAX_REASON = 512;

/** Read a hook's answer; anything that is not one of the three documented shapes is `invalid`. */
export function parseHookAnswer(raw: unknown): HookAnswer {
  const result = HookAnswerSchema.safeParse(raw);
  if (!result.success) {
    const shown = JSON.stringify(raw) ?? String(raw);
    return {
      kind: 'invalid',
      problem: `answered ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}; expected {"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS"}`,
    };
  }
  const a = result.data;
  switch (a.hookStatus) {
    case 'SUCCEEDED':
      return { kind: 'pass' };
    case 'FAILED': {
      const details = a.hookDetails as { reason?: unknown } | undefined;
      const reason = a.reason ?? (typeof details?.reason === 'string' ? details.reason : undefined) ?? 'no reason given';
      return { kind: 'fail', reason: reason.slice(0, MAX_REASON) };
    }
    case 'IN_PROGRESS':
      return { kind: 'ask-again', ...(a.callBackDelay === undefined ? {} : { delaySeconds: a.callBackDelay }) };
    default: {
      const never: never = a.hookStatus;
      throw new TypeError(`unknown hookStatus ${String(never)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Progress through a phase
// ---------------------------------------------------------------------------------------------

/** Where a phase is: carried in the state (`$.hooks`), read by the Choice after the hook task. */
export interface HookProgress {
  readonly phase: HookPhase;
  /** The steps Map index (beforeShift, afterFullTraffic). */
  readonly step?: number;
  /** The hook being run (index into the phase's list). */
  readonly index: number;
  /** Invocations of that hook so far. */
  readonly attempt: number;
  /** Epoch ms of its first invocation (0 before it). */
  readonly startedMs: number;
  /** invoke: run the task again now; wait: after `waitSeconds`; done: every hook passed. */
  readonly status: 'invoke' | 'wait' | 'done';
  readonly waitSeconds: number;
}

/** Progress for `phase` (and step): the previous one when it is for the same point, else a fresh start. */
export function progressFor(previous: HookProgress | undefined, phase: HookPhase, step?: number): HookProgress {
  if (previous && previous.phase === phase && previous.step === step) return previous;
  return { phase, ...(step === undefined ? {} : { step }), index: 0, attempt: 0, startedMs: 0, status: 'invoke', waitSeconds: 0 };
}

export type HookDecision =
  | { readonly kind: 'progress'; readonly progress: HookProgress; readonly answer: 'pass' | 'ask-again' }
  | { readonly kind: 'failed'; readonly message: string; readonly details: Record<string, unknown> };

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * The next step after invoking `hooks[progress.index]` at `invokedAtMs` and reading `reply` at `nowMs`.
 *
 * - pass: the next hook (`invoke`), or `done` after the last;
 * - ask again: `wait` min(callBackDelay (default 30, capped at maxCallBackDelaySeconds), time left)
 *   seconds, at least 1; failed once timeoutSeconds have passed since the first invocation;
 * - fail, error, invalid answer, no answer in time: failed, naming the hook and its stage.
 */
export function decideHook(args: {
  readonly hooks: readonly HookRef[];
  readonly progress: HookProgress;
  readonly reply: HookReply;
  readonly invokedAtMs: number;
  readonly nowMs: number;
  readonly limits: HookLimits;
}): HookDecision {
  const { hooks, progress, reply, limits } = args;
  const hook = hooks[progress.index];
  if (!hook) return { kind: 'progress', progress: { ...progress, status: 'done', waitSeconds: 0 }, answer: 'pass' };
  const attempt = progress.attempt + 1;
  const startedMs = progress.attempt === 0 ? args.invokedAtMs : progress.startedMs;
  const name = `Hook ${hook.functionArn} (${hook.stage})`;
  const details = { stage: hook.stage, functionArn: hook.functionArn, attempt };
  if (reply.kind === 'timeout') {
    return { kind: 'failed', message: `${name} did not answer within ${limits.invocationTimeoutSeconds} s (invocationTimeoutSeconds)`, details };
  }
  if (reply.kind === 'error') {
    return { kind: 'failed', message: `${name} failed: ${reply.errorType}: ${reply.message}`, details: { ...details, errorType: reply.errorType } };
  }
  const answer = parseHookAnswer(reply.answer);
  switch (answer.kind) {
    case 'invalid':
      return { kind: 'failed', message: `${name} ${answer.problem}`, details };
    case 'fail':
      return { kind: 'failed', message: `${name} failed: ${answer.reason}`, details: { ...details, reason: answer.reason } };
    case 'pass': {
      const last = progress.index + 1 >= hooks.length;
      return {
        kind: 'progress',
        answer: 'pass',
        progress: last
          ? { ...progress, attempt, startedMs, status: 'done', waitSeconds: 0 }
          : { ...progress, index: progress.index + 1, attempt: 0, startedMs: 0, status: 'invoke', waitSeconds: 0 },
      };
    }
    case 'ask-again': {
      const deadline = startedMs + limits.timeoutSeconds * 1000;
      const leftMs = deadline - args.nowMs;
      if (leftMs <= 0) {
        return {
          kind: 'failed',
          message: `${name} did not pass within ${limits.timeoutSeconds} s (timeoutSeconds): it answered IN_PROGRESS ${attempt} time${attempt === 1 ? '' : 's'}`,
          details,
        };
      }
      const asked = clamp(Math.ceil(answer.delaySeconds ?? DEFAULT_CALLBACK_DELAY_SECONDS), 1, limits.maxCallBackDelaySeconds);
      const waitSeconds = Math.max(1, Math.min(asked, Math.ceil(leftMs / 1000)));
      return { kind: 'progress', answer: 'ask-again', progress: { ...progress, attempt, startedMs, status: 'wait', waitSeconds } };
    }
    default: {
      const never: never = answer;
      throw new TypeError(`unknown hook answer ${JSON.stringify(never)}`);
    }
  }
}
