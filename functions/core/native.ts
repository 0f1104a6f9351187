/**
 * The native engine's pure core (issue #17): which engine a service gets, how a Cutover strategy
 * maps onto ECS's own deployment configuration, and what Cutover's lifecycle-hook Lambda answers
 * ECS at each gate. No I/O, no clock (the time is a fact passed in), no AWS SDK.
 *
 * AWS shapes relied on (each row is also in docs/aws-behaviour.md, "Native engine: core mappings"):
 * - DeploymentConfiguration `strategy` ROLLING | BLUE_GREEN | LINEAR | CANARY and `bakeTimeInMinutes`
 *   (0-1440, the time both revisions run after all production traffic moved; needed for BLUE_GREEN):
 *   ECS API reference, DeploymentConfiguration
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html).
 * - `linearConfiguration { stepPercent, stepBakeTimeInMinutes }`: stepPercent multiples of 0.1 from
 *   3.0 to 100.0, bake 0-1440 minutes, "not applied after reaching 100 percent traffic":
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html
 * - `canaryConfiguration { canaryPercent, canaryBakeTimeInMinutes }`: percent multiples of 0.1 from
 *   0.1 to 100.0, bake 0-1440 minutes, then "shifts the remaining traffic":
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html
 * - Lifecycle stages that accept a hook: RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP,
 *   TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT,
 *   POST_PRODUCTION_TRAFFIC_SHIFT (SCALE_UP, BAKE_TIME and CLEAN_UP are stages a deployment passes
 *   but are not valid `lifecycleStages` values):
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHook.html
 * - The Lambda hook answers `{ hookStatus: SUCCEEDED | FAILED | IN_PROGRESS, callBackDelay?,
 *   hookDetails? }`; IN_PROGRESS is invoked again after `callBackDelay` seconds (30 by default);
 *   `hookDetails` returned with IN_PROGRESS comes back on the next invocation; no valid hookStatus or
 *   a failed function rolls back:
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html
 * - A hook's time limit: `timeoutConfiguration { timeoutInMinutes (1-20160, default 1440), action
 *   ROLLBACK | CONTINUE (default ROLLBACK) }`:
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHookTimeoutConfiguration.html
 * - CODE_DEPLOY -> ECS in place: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/migrate-code-deploy-to-ecs-blue-green.html
 *   and https://docs.aws.amazon.com/AmazonECS/latest/developerguide/migrate-codedeploy-to-ecs-bluegreen.html
 */
import type { StrategyConfig } from './config.js';
import { CodeDeployNotSupported, EngineMismatch, type ErrorName, NativeStrategyRefused } from './errors.js';
import type { PlanStep } from './model.js';
import { planSteps } from './plan.js';

/** Which engine drives a service's deployments: Cutover's task sets (EXTERNAL) or ECS's own deployments. */
export type Engine = 'task-set' | 'native';

/** What engineOf reads of a live service (DescribeServices). No `deploymentController` means ECS (the default). */
export interface LiveController {
  readonly serviceName: string;
  readonly deploymentController?: { readonly type?: string };
}

/**
 * The steps, shown to a user whose service uses CODE_DEPLOY, to switch it to the ECS deployment
 * controller in place (no new service, same load balancer resources), from the ECS developer guide
 * "Migrating from a CodeDeploy blue/green to an Amazon ECS blue/green service deployment".
 */
export const CODE_DEPLOY_MIGRATION_STEPS: readonly string[] = [
  'give the service an ECS infrastructure role for load balancers (ECS developer guide: "Amazon ECS infrastructure IAM role for load balancers") in place of the CodeDeploy service role',
  'turn off the CodeDeploy deployment group\'s automation (CodeDeploy user guide: "Working with deployment groups in CodeDeploy")',
  'reuse the production target group, production listener and rule, and the test target group: the alternate target group of the ECS blue/green deployment',
  'make sure both target groups are associated with the production listener rule (or one with the production and one with the test listener rule)',
  'wait until the service has no service deployment in progress',
  'update the service\'s deployment controller to ECS (console: "Update deployment controller type"; or UpdateService with deploymentController { type: ECS }), then let Cutover manage it with engine "native"',
];

/**
 * The engine of a live service, checked against the configured one.
 *
 * Worked examples:
 * - `{ deploymentController: { type: 'EXTERNAL' } }` -> `'task-set'`
 * - `{ deploymentController: { type: 'ECS' } }` or no deploymentController -> `'native'`
 * - `{ type: 'ECS' }` with configured `'task-set'` -> throws {@link EngineMismatch}
 * - `{ type: 'CODE_DEPLOY' }` -> throws {@link CodeDeployNotSupported} whose message lists
 *   {@link CODE_DEPLOY_MIGRATION_STEPS}
 */
export function engineOf(live: LiveController, configured?: Engine): Engine {
  const type = live.deploymentController?.type ?? 'ECS';
  let engine: Engine;
  if (type === 'EXTERNAL') engine = 'task-set';
  else if (type === 'ECS') engine = 'native';
  else if (type === 'CODE_DEPLOY') {
    throw new CodeDeployNotSupported(
      `service ${live.serviceName} uses the CODE_DEPLOY deployment controller, which Cutover cannot drive; switch it in place to the ECS controller: ${CODE_DEPLOY_MIGRATION_STEPS.map((s, i) => `(${i + 1}) ${s}`).join('; ')} (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/migrate-code-deploy-to-ecs-blue-green.html)`,
      { details: { service: live.serviceName, deploymentController: type, steps: CODE_DEPLOY_MIGRATION_STEPS } },
    );
  } else {
    throw new EngineMismatch(`service ${live.serviceName} has deployment controller "${type}", which is none of ECS, EXTERNAL, CODE_DEPLOY`, {
      details: { service: live.serviceName, deploymentController: type },
    });
  }
  if (configured !== undefined && configured !== engine) {
    const fix =
      configured === 'native'
        ? 'the service uses the EXTERNAL controller (task sets): set engine "task-set" or remove engine'
        : 'the service uses the ECS controller (ECS\'s own deployments): set engine "native" or remove engine';
    throw new EngineMismatch(`service ${live.serviceName}: the configuration says engine "${configured}" but ${fix}`, {
      details: { service: live.serviceName, deploymentController: type, configured, live: engine },
    });
  }
  return engine;
}

// ---------------------------------------------------------------------------------------------
// Strategy mapping
// ---------------------------------------------------------------------------------------------

/** The lifecycle stages at which Cutover's hook gates a deployment (all accept a Lambda hook). */
export type GateStage = 'POST_SCALE_UP' | 'POST_TEST_TRAFFIC_SHIFT' | 'PRODUCTION_TRAFFIC_SHIFT' | 'POST_PRODUCTION_TRAFFIC_SHIFT';
/** Every stage ECS accepts in `lifecycleStages` (API reference, DeploymentLifecycleHook). */
export const HOOKABLE_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;

/** ECS's bounds (API reference pages cited at the top of this module). */
export const ECS_LIMITS = {
  maxBakeMinutes: 1440,
  minLinearStepPercent: 3,
  maxHookTimeoutMinutes: 20160,
  defaultCallBackDelaySeconds: 30,
} as const;

/** The longest callBackDelay Cutover answers: a held gate re-checks alarms, approvals and aborts at least this often. */
export const MAX_CALLBACK_DELAY_SECONDS = 60;
/** How long after a bake the hook waits for the analysis verdict (ALB metrics arrive 1-2 minutes late) before failing. */
export const ANALYSIS_GRACE_SECONDS = 180;
/** Added to the longest gate to set the hook's timeoutInMinutes, so ECS's timeout never fires before Cutover answers. */
export const HOOK_TIMEOUT_MARGIN_MINUTES = 10;

/**
 * A point where Cutover's hook holds the deployment: at `stage`, with `percent` of production on
 * green, it waits for green's health (POST_SCALE_UP), then `bakeSeconds` from the moment production
 * reached `percent` (ECS's own bake field, when there is one, runs the same wall-clock time), then the
 * canary analysis when `analyse`, then the approval when there is one.
 */
export interface NativeGate {
  readonly stage: GateStage;
  readonly percent: number;
  readonly healthTimeoutSeconds?: number;
  readonly bakeSeconds: number;
  readonly analyse: boolean;
  /** An inconclusive analysis bakes this many times more (onInconclusive "extend"), as the task-set engine's extensions. */
  readonly maxExtensions?: number;
  readonly approval?: { readonly timeoutSeconds: number; readonly onTimeout: 'abort' | 'promote' };
}

/** ECS's deploymentConfiguration fields Cutover sets (the rest of the service is the user's and is kept). */
export type EcsDeploymentStrategy =
  | { readonly strategy: 'BLUE_GREEN'; readonly bakeTimeInMinutes: number }
  | {
      readonly strategy: 'CANARY';
      readonly bakeTimeInMinutes: number;
      readonly canaryConfiguration: { readonly canaryPercent: number; readonly canaryBakeTimeInMinutes: number };
    }
  | {
      readonly strategy: 'LINEAR';
      readonly bakeTimeInMinutes: number;
      readonly linearConfiguration: { readonly stepPercent: number; readonly stepBakeTimeInMinutes: number };
    };

export interface NativeStrategy {
  readonly deploymentConfiguration: EcsDeploymentStrategy;
  /** Where Cutover's hook holds, in deployment order. */
  readonly gates: readonly NativeGate[];
  /** The hook's `lifecycleStages`: the distinct stages of `gates`. */
  readonly lifecycleStages: readonly GateStage[];
  /** The hook's `timeoutConfiguration.timeoutInMinutes` (action ROLLBACK): longer than the longest gate. */
  readonly hookTimeoutMinutes: number;
  /** The production percentages on green ECS moves through, in order (the plan's shifts). */
  readonly productionPercents: readonly number[];
  /**
   * With `approvals: 'pause'`: the approvals as ECS PAUSE hooks (ContinueServiceDeployment answers
   * them), beside Cutover's Lambda hook at the same stage; empty otherwise.
   */
  readonly pauses: readonly PauseHook[];
}

/** An approval as an ECS PAUSE lifecycle hook (ECS developer guide, "Pause hooks for Amazon ECS service deployments"). */
export interface PauseHook {
  /** Stages a deployment passes once (POST_SCALE_UP: a headless service's 0 %). */
  readonly stage: Exclude<GateStage, 'PRODUCTION_TRAFFIC_SHIFT'>;
  /** The approval's timeout, rounded up to whole minutes (1-20160). */
  readonly timeoutInMinutes: number;
  /** onTimeout `promote` -> CONTINUE, `abort` -> ROLLBACK. */
  readonly action: 'CONTINUE' | 'ROLLBACK';
}

export interface StrategyOptions {
  /** A service with no load balancer (a worker): ECS deploys it blue/green only. */
  readonly headless?: boolean;
  /** The canary analysis is enabled (a gate after a bake at 1-99 % analyses). Default true. */
  readonly analyse?: boolean;
  /** With the analysis: how many times an inconclusive verdict bakes again (onInconclusive "extend": maxExtensions; else 0). */
  readonly maxExtensions?: number;
  /** Green's health timeout, held at POST_SCALE_UP. Default 600. */
  readonly healthTimeoutSeconds?: number;
  /**
   * Who holds an approval: Cutover's Lambda hook (`lambda`, default: IN_PROGRESS, asked again at
   * most every 60 s; an approval at any traffic point), or an ECS PAUSE hook (`pause`: no
   * invocations while it waits; ContinueServiceDeployment ends it) — only at 0 % or after 100 %,
   * since a PAUSE hook at PRODUCTION_TRAFFIC_SHIFT would pause every traffic step.
   */
  readonly approvals?: 'lambda' | 'pause';
}

interface Segment {
  readonly percent: number;
  readonly steps: PlanStep[];
}

const wholeMinutes = (seconds: number): boolean => seconds % 60 === 0 && seconds / 60 <= ECS_LIMITS.maxBakeMinutes;
const bakeSum = (steps: readonly PlanStep[]): number => steps.reduce((s, x) => s + (x.kind === 'bake' ? x.seconds : 0), 0);

function refuse(strategy: StrategyConfig, reason: string): never {
  throw new NativeStrategyRefused(`strategy "${strategy.type}" cannot run on ECS's own deployments (engine "native"): ${reason}`, {
    details: { strategy: strategy.type, reason },
  });
}

/**
 * Cutover's strategy as ECS's deploymentConfiguration plus the gates Cutover's hook holds, or
 * {@link NativeStrategyRefused} with the reason when ECS cannot express the step list.
 *
 * ECS moves production traffic in one of three shapes: all at once (BLUE_GREEN), one canary step
 * then the rest (CANARY), or equal steps (LINEAR, steps of at least 3 %). Every bake before 100 %
 * (at 0 % and between steps) and every approval is held by Cutover's hook (IN_PROGRESS, any number
 * of seconds), with ECS's own canary / step bake at 0: the bake runs once, counted from the moment
 * the hook first sees the traffic point, whichever order ECS uses between its step bake and the
 * PRODUCTION_TRAFFIC_SHIFT hook. Only the bake after 100 % is ECS's (bakeTimeInMinutes, whole minutes).
 *
 * Worked examples:
 * - canary `{ percent: 10, bakeSeconds: 300, finalBakeSeconds: 60 }` -> CANARY canaryPercent 10,
 *   canaryBakeTimeInMinutes 0, bakeTimeInMinutes 1; gates: POST_SCALE_UP (health) and
 *   PRODUCTION_TRAFFIC_SHIFT at 10 % (bake 300 s, analysis) before the rest moves
 * - linear `{ stepPercent: 30, intervalSeconds: 120 }` -> LINEAR stepPercent 30,
 *   stepBakeTimeInMinutes 0 (ECS moves 30, 60, 90, 100); gates at 30, 60 and 90 % (120 s each)
 * - blue-green `{ bakeSeconds: 300, finalBakeSeconds: 120 }` -> BLUE_GREEN bakeTimeInMinutes 2; the
 *   300 s bake at 0 % is held at POST_TEST_TRAFFIC_SHIFT
 * - steps `[{ percent: 10, bakeSeconds: 60 }, { approval }, { percent: 100 }]` -> CANARY 10 %; the
 *   hook holds 60 s, the analysis, then the approval at PRODUCTION_TRAFFIC_SHIFT at 10 %
 * - refused: steps `[10, 25, 100]` (neither one canary step nor equal steps); linear
 *   `{ stepPercent: 2 }` (ECS's smallest linear step is 3 %); a final bake of 90 s (ECS's
 *   bakeTimeInMinutes is whole minutes); any 1-99 % step on a headless service (blue/green only)
 */
export function strategyFor(strategy: StrategyConfig, options: StrategyOptions = {}): NativeStrategy {
  const analyseEnabled = options.analyse ?? true;
  const healthTimeoutSeconds = options.healthTimeoutSeconds ?? 600;
  const plan = planSteps(strategy);

  // Segments: what happens at 0 % (before the first shift), then after each distinct shift.
  const segments: Segment[] = [{ percent: 0, steps: [] }];
  for (const step of plan.steps) {
    const last = segments[segments.length - 1] as Segment;
    if (step.kind === 'shift') {
      if (step.percent !== last.percent) segments.push({ percent: step.percent, steps: [] });
    } else last.steps.push(step);
  }
  const percents = segments.slice(1).map((s) => s.percent);
  const middle = segments.slice(1, -1);
  const final = segments[segments.length - 1] as Segment;

  if (options.headless && middle.length > 0) {
    refuse(
      strategy,
      `a service with no load balancer (a worker) deploys natively as blue/green only: ECS splits production traffic (canary, linear) only on a load balancer, Service Connect or VPC Lattice, and this plan moves ${percents.join(', ')} %; use blue-green or all-at-once, or engine "task-set" (green sized by share of tasks)`,
    );
  }

  const gates: NativeGate[] = [{ stage: 'POST_SCALE_UP', percent: 0, healthTimeoutSeconds, bakeSeconds: 0, analyse: false }];
  const pauses: PauseHook[] = [];
  const gateOf = (stage: GateStage, seg: Segment, steps: readonly PlanStep[]): NativeGate | undefined => {
    const approvals = steps.filter((s): s is Extract<PlanStep, { kind: 'approval' }> => s.kind === 'approval');
    if (approvals.length > 1) refuse(strategy, `${approvals.length} approvals at ${seg.percent} %: Cutover's hook holds one approval per traffic point; merge them`);
    const firstApproval = steps.findIndex((s) => s.kind === 'approval');
    if (firstApproval !== -1 && bakeSum(steps.slice(firstApproval + 1)) > 0) {
      refuse(strategy, `a bake after the approval at ${seg.percent} %: Cutover's hook holds the bake, then the analysis, then the approval at each traffic point; move the approval after the bake`);
    }
    const bakeSeconds = bakeSum(steps);
    const analyse = analyseEnabled && seg.percent > 0 && seg.percent < 100 && bakeSeconds > 0;
    let approval: (typeof approvals)[number] | undefined = approvals[0];
    if (approval && options.approvals === 'pause') {
      if (stage === 'PRODUCTION_TRAFFIC_SHIFT') {
        refuse(
          strategy,
          `an approval at ${seg.percent} % with approvals "pause": an ECS PAUSE hook runs at a lifecycle stage, and PRODUCTION_TRAFFIC_SHIFT comes at every traffic step, so it would pause at each one; hold it with Cutover's hook (nativeApproval "lambda"), or move the approval before the first shift or after 100 %`,
        );
      }
      pauses.push({ stage: stage as PauseHook['stage'], timeoutInMinutes: Math.min(ECS_LIMITS.maxHookTimeoutMinutes, Math.max(1, Math.ceil(approval.timeoutSeconds / 60))), action: approval.onTimeout === 'promote' ? 'CONTINUE' : 'ROLLBACK' });
      approval = undefined;
    }
    if (bakeSeconds === 0 && !approval && !analyse) return undefined;
    const maxExtensions = analyse ? (options.maxExtensions ?? 0) : 0;
    return { stage, percent: seg.percent, bakeSeconds, analyse, ...(maxExtensions > 0 ? { maxExtensions } : {}), ...(approval ? { approval: { timeoutSeconds: approval.timeoutSeconds, onTimeout: approval.onTimeout } } : {}) };
  };

  // Before any production traffic: held after the test traffic shift (a headless service has no
  // test traffic: held at POST_SCALE_UP, after green is healthy).
  const zero = gateOf(options.headless ? 'POST_SCALE_UP' : 'POST_TEST_TRAFFIC_SHIFT', segments[0] as Segment, (segments[0] as Segment).steps);
  if (zero && options.headless) gates[0] = { ...zero, healthTimeoutSeconds };
  else if (zero) gates.push(zero);

  // Between shifts: Cutover's hook holds the bake (IN_PROGRESS) from the moment production reached
  // the step, then analyses and holds any approval, before ECS moves the next step; ECS's own step
  // bake is set to 0 (below), so the bake runs once whichever order ECS uses between its step bake
  // and the PRODUCTION_TRAFFIC_SHIFT hook, and takes any number of seconds.
  for (const seg of middle) {
    const gate = gateOf('PRODUCTION_TRAFFIC_SHIFT', seg, seg.steps);
    if (gate) gates.push(gate);
  }

  // After 100 %: ECS's bake time (BAKE_TIME has no hook) takes the bakes after the last approval;
  // an approval (and the bakes before it) is held at POST_PRODUCTION_TRAFFIC_SHIFT.
  const lastApproval = final.steps.map((s) => s.kind).lastIndexOf('approval');
  const finalBake = bakeSum(final.steps.slice(lastApproval + 1));
  if (!wholeMinutes(finalBake)) {
    refuse(strategy, `a ${finalBake} s bake after 100 %: ECS's bakeTimeInMinutes is whole minutes up to ${ECS_LIMITS.maxBakeMinutes}; use ${Math.max(60, Math.round(finalBake / 60) * 60)} s`);
  }
  if (lastApproval !== -1) {
    const gate = gateOf('POST_PRODUCTION_TRAFFIC_SHIFT', final, final.steps.slice(0, lastApproval + 1));
    if (gate) gates.push(gate);
  }
  const bakeTimeInMinutes = finalBake / 60;

  let deploymentConfiguration: EcsDeploymentStrategy;
  const linearStep = percents[0] as number;
  const isLinear = percents.length === Math.ceil(100 / linearStep) && percents.every((p, i) => p === Math.min((i + 1) * linearStep, 100));
  // One shift (all at once, or linear { stepPercent: 100 }) is BLUE_GREEN: the same traffic, and the only shape a headless service has.
  if (percents.length > 1 && (strategy.type === 'linear' || (percents.length > 2 && isLinear))) {
    if (!isLinear) refuse(strategy, `production moves ${percents.join(', ')} %, not in equal steps`);
    if (linearStep < ECS_LIMITS.minLinearStepPercent) {
      refuse(strategy, `a linear step of ${linearStep} %: ECS's linear steps are ${ECS_LIMITS.minLinearStepPercent}-100 % (LinearConfiguration.stepPercent); use stepPercent ${ECS_LIMITS.minLinearStepPercent} or more, a canary, or engine "task-set"`);
    }
    deploymentConfiguration = {
      strategy: 'LINEAR',
      bakeTimeInMinutes,
      linearConfiguration: { stepPercent: linearStep, stepBakeTimeInMinutes: 0 },
    };
  } else if (percents.length === 1) {
    deploymentConfiguration = { strategy: 'BLUE_GREEN', bakeTimeInMinutes };
  } else if (percents.length === 2) {
    deploymentConfiguration = {
      strategy: 'CANARY',
      bakeTimeInMinutes,
      canaryConfiguration: { canaryPercent: linearStep, canaryBakeTimeInMinutes: 0 },
    };
  } else {
    refuse(
      strategy,
      `production moves ${percents.join(', ')} %: ECS moves traffic all at once (BLUE_GREEN), in one canary step then the rest (CANARY), or in equal steps of at least ${ECS_LIMITS.minLinearStepPercent} % (LINEAR); use one of those shapes, or engine "task-set" for any step list`,
    );
  }

  const longest = Math.max(...gates.map(gateHoldSeconds));
  const hookTimeoutMinutes = Math.ceil(longest / 60) + HOOK_TIMEOUT_MARGIN_MINUTES;
  if (hookTimeoutMinutes > ECS_LIMITS.maxHookTimeoutMinutes) {
    refuse(strategy, `a gate may hold ${Math.ceil(longest / 60)} minutes, longer than ECS lets a lifecycle hook run (${ECS_LIMITS.maxHookTimeoutMinutes} minutes, timeoutConfiguration.timeoutInMinutes); shorten the approval timeout or the bake`);
  }
  const lifecycleStages = [...new Set(gates.map((g) => g.stage))];
  return { deploymentConfiguration, gates, lifecycleStages, hookTimeoutMinutes, productionPercents: percents, pauses };
}

/** What {@link userLifecycleHooks} reads of `services[].hooks` (functions/core/config.ts Hooks). */
export interface UserHooks {
  readonly afterHealthy: readonly string[];
  readonly afterTestTraffic: readonly string[];
  readonly beforeShift: readonly string[];
  readonly afterFullTraffic: readonly string[];
  readonly timeoutSeconds: number;
}

/** One entry of ECS's `deploymentConfiguration.lifecycleHooks` (API reference, DeploymentLifecycleHook). */
export interface EcsLifecycleHook {
  readonly targetType: 'AWS_LAMBDA';
  readonly hookTargetArn: string;
  readonly roleArn: string;
  readonly lifecycleStages: readonly GateStage[];
  readonly timeoutConfiguration: { readonly timeoutInMinutes: number; readonly action: 'ROLLBACK' };
}

/** Where each kind of the user's hooks runs in ECS's lifecycle (the same moment as on the task-set engine). */
const USER_HOOK_STAGES: Readonly<Record<Exclude<keyof UserHooks, 'timeoutSeconds'>, GateStage>> = {
  afterHealthy: 'POST_SCALE_UP',
  afterTestTraffic: 'POST_TEST_TRAFFIC_SHIFT',
  beforeShift: 'PRODUCTION_TRAFFIC_SHIFT',
  afterFullTraffic: 'POST_PRODUCTION_TRAFFIC_SHIFT',
};

/**
 * The service's own hooks (`services[].hooks`) as ECS lifecycle hooks beside Cutover's (ECS runs the
 * hooks of one stage in parallel and goes on when all have passed): ECS invokes
 * them with its lifecycle-hook payload and reads the same answers Cutover's hooks give
 * (SUCCEEDED / FAILED / IN_PROGRESS with callBackDelay); a FAILED answer, an error or the timeout
 * (the configured `timeoutSeconds`, rounded up to whole minutes) rolls the deployment back. The role
 * is the one ECS assumes to invoke Cutover's hook (it may invoke exactly these functions).
 *
 * Example: `{ afterHealthy: [smoke], beforeShift: [], ..., timeoutSeconds: 300 }` -> one hook
 * `{ hookTargetArn: smoke, lifecycleStages: ['POST_SCALE_UP'], timeoutConfiguration: { timeoutInMinutes: 5, action: 'ROLLBACK' } }`.
 */
export function userLifecycleHooks(hooks: UserHooks, roleArn: string): EcsLifecycleHook[] {
  const timeoutInMinutes = Math.min(ECS_LIMITS.maxHookTimeoutMinutes, Math.max(1, Math.ceil(hooks.timeoutSeconds / 60)));
  const out: EcsLifecycleHook[] = [];
  for (const kind of Object.keys(USER_HOOK_STAGES) as Array<keyof typeof USER_HOOK_STAGES>) {
    for (const arn of hooks[kind]) {
      out.push({ targetType: 'AWS_LAMBDA', hookTargetArn: arn, roleArn, lifecycleStages: [USER_HOOK_STAGES[kind]], timeoutConfiguration: { timeoutInMinutes, action: 'ROLLBACK' } });
    }
  }
  return out;
}

/** What {@link strategyOptionsOf} reads of a configured service. */
export interface NativeServiceShape {
  readonly targetGroupArns?: readonly string[];
  readonly serviceConnect?: boolean;
  readonly nativeApproval?: 'lambda' | 'pause';
  readonly healthTimeoutSeconds: number;
  readonly analysis: { readonly enabled: boolean; readonly onInconclusive?: string; readonly maxExtensions?: number };
}

/**
 * The options of {@link strategyFor} for a configured service — one place, so the synth check,
 * Inspect and the hook map a service the same way. A rollback deployment is not analysed.
 *
 * Example: a service with no target groups and no Service Connect -> `{ headless: true, ... }`.
 */
export function strategyOptionsOf(svc: NativeServiceShape, rollback = false): StrategyOptions {
  return {
    headless: (svc.targetGroupArns ?? []).length === 0 && svc.serviceConnect !== true,
    analyse: svc.analysis.enabled && !rollback,
    maxExtensions: svc.analysis.onInconclusive === 'extend' ? svc.analysis.maxExtensions : 0,
    healthTimeoutSeconds: svc.healthTimeoutSeconds,
    approvals: svc.nativeApproval ?? 'lambda',
  };
}

/**
 * The longest a gate may hold: health timeout + bake (and each extension's bake again) + analysis grace
 * (when analysed) + approval timeout.
 *
 * Example: `{ bakeSeconds: 300, analyse: true, approval: { timeoutSeconds: 3600 } }` -> 300 + 180 + 3600 = 4080.
 */
export function gateHoldSeconds(gate: NativeGate): number {
  const bakes = gate.bakeSeconds * (1 + (gate.maxExtensions ?? 0));
  return (gate.healthTimeoutSeconds ?? 0) + bakes + (gate.analyse ? ANALYSIS_GRACE_SECONDS : 0) + (gate.approval?.timeoutSeconds ?? 0);
}

/**
 * The gate that applies when ECS invokes the hook at `stage` with `percent` of production on green
 * (from the payload's productionTrafficWeights), or undefined (the hook then answers SUCCEEDED).
 *
 * Example: canary 10 % mapping, `('PRODUCTION_TRAFFIC_SHIFT', 10)` -> the 10 % gate;
 * `('PRODUCTION_TRAFFIC_SHIFT', 0)` -> undefined (the canary step itself is not gated).
 */
export function gateAt(mapping: Pick<NativeStrategy, 'gates'>, stage: string, percent: number): NativeGate | undefined {
  return mapping.gates.find((g) => g.stage === stage && (g.stage === 'POST_SCALE_UP' || g.stage === 'POST_TEST_TRAFFIC_SHIFT' || g.percent === percent));
}

// ---------------------------------------------------------------------------------------------
// Hook answers
// ---------------------------------------------------------------------------------------------

export type HookStatus = 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';

/** What Cutover keeps between invocations of one gate, under `hookDetails.cutover` (other keys are the user's and pass through). */
export interface CutoverHookState {
  /** `stage@percent`: a different gate starts afresh. */
  readonly gate: string;
  /** When the hook first saw this gate (epoch ms). */
  readonly firstSeenAt: number;
  /** When green was first healthy (POST_SCALE_UP), epoch ms. */
  readonly readyAt?: number;
  /** When the approval started waiting (epoch ms). */
  readonly approvalSince?: number;
  readonly invocations: number;
}

export interface HookFacts {
  /** The time of this invocation (epoch ms). */
  readonly now: number;
  /** The gate for this stage and percent ({@link gateAt}); undefined: nothing to hold. */
  readonly gate: NativeGate | undefined;
  /** When production traffic reached the gate's percent (epoch ms), if known; else the bake runs from when the hook first saw the gate (after health at POST_SCALE_UP). */
  readonly percentSince?: number;
  /** Watched alarms in ALARM now. */
  readonly alarmsInAlarm: readonly string[];
  /** Green's health at POST_SCALE_UP: steady and healthy, not yet, or failed (tasks stopping). */
  readonly greenHealth?: 'healthy' | 'pending' | 'failed';
  /** The analysis verdict for this gate's bake, once known (inconclusive already resolved by onInconclusive). */
  readonly verdict?: 'pass' | 'fail';
  readonly approval?: 'pending' | 'approved' | 'rejected';
  /** An operator aborted the deployment. */
  readonly aborted?: boolean;
}

export interface HookAnswer {
  readonly hookStatus: HookStatus;
  /** Seconds until ECS invokes the hook again; only with IN_PROGRESS, 1..MAX_CALLBACK_DELAY_SECONDS. */
  readonly callBackDelay?: number;
  readonly hookDetails: Record<string, unknown>;
  /** Why FAILED (the deployment's rollback reason), or what IN_PROGRESS waits for. */
  readonly reason: { readonly code: ErrorName | 'Waiting' | 'Passed'; readonly message: string };
}

const STATE_KEY = 'cutover';

/**
 * Reads Cutover's state from hookDetails (undefined when absent or malformed: the gate starts afresh).
 *
 * Example: `{ team: 'payments', cutover: { gate: 'PRODUCTION_TRAFFIC_SHIFT@10', firstSeenAt: 0, invocations: 3 } }`
 * -> `{ gate: 'PRODUCTION_TRAFFIC_SHIFT@10', firstSeenAt: 0, invocations: 3 }`; `{ cutover: { gate: 1 } }` -> undefined.
 */
export function readHookState(hookDetails: unknown): CutoverHookState | undefined {
  if (typeof hookDetails !== 'object' || hookDetails === null) return undefined;
  const s = (hookDetails as Record<string, unknown>)[STATE_KEY];
  if (typeof s !== 'object' || s === null) return undefined;
  const o = s as Record<string, unknown>;
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (typeof o.gate !== 'string' || !num(o.firstSeenAt) || !num(o.invocations)) return undefined;
  if (o.readyAt !== undefined && !num(o.readyAt)) return undefined;
  if (o.approvalSince !== undefined && !num(o.approvalSince)) return undefined;
  return {
    gate: o.gate,
    firstSeenAt: o.firstSeenAt,
    invocations: o.invocations,
    ...(o.readyAt !== undefined ? { readyAt: o.readyAt as number } : {}),
    ...(o.approvalSince !== undefined ? { approvalSince: o.approvalSince as number } : {}),
  };
}

/**
 * hookDetails with Cutover's state written under `cutover`, every other key kept (ECS passes the
 * service's configured hookDetails on every invocation, and what an IN_PROGRESS answer returned on the next).
 *
 * Example: `({ team: 'payments' }, state)` -> `{ team: 'payments', cutover: state }`; a non-object -> `{ cutover: state }`.
 */
export function writeHookState(hookDetails: unknown, state: CutoverHookState): Record<string, unknown> {
  const base = typeof hookDetails === 'object' && hookDetails !== null && !Array.isArray(hookDetails) ? (hookDetails as Record<string, unknown>) : {};
  return { ...base, [STATE_KEY]: { ...state } };
}

/** Seconds to wait until `deadline`, 1..MAX_CALLBACK_DELAY_SECONDS, never more than the time left rounded up. */
function delayUntil(now: number, deadline: number): number {
  return Math.min(MAX_CALLBACK_DELAY_SECONDS, Math.max(1, Math.ceil((deadline - now) / 1000)));
}

/**
 * Cutover's answer to ECS at one hook invocation. Checked in order: abort, watched alarms in ALARM
 * (also one already in ALARM when the deployment started, which ECS's own alarm check ignores), green's
 * health (POST_SCALE_UP, up to `healthTimeoutSeconds`), the bake (held with IN_PROGRESS until
 * `percentSince + bakeSeconds`), the analysis verdict (up to {@link ANALYSIS_GRACE_SECONDS} after the
 * bake), the approval (up to its timeout; then `onTimeout`). IN_PROGRESS always carries a
 * `callBackDelay` of at most {@link MAX_CALLBACK_DELAY_SECONDS} and never past the deadline it waits
 * for, so a gate holds at most {@link gateHoldSeconds} (below the hook timeout strategyFor sets).
 *
 * Worked examples (gate: PRODUCTION_TRAFFIC_SHIFT at 10 %, bake 300 s, analysis, no approval;
 * production reached 10 % at t = 0):
 * - t = 100 s, no alarm -> IN_PROGRESS, callBackDelay 60, reason Waiting (bake: 200 s left)
 * - t = 290 s -> IN_PROGRESS, callBackDelay 10
 * - t = 300 s, verdict pass -> SUCCEEDED
 * - t = 300 s, verdict fail -> FAILED, AnalysisFailed
 * - t = 120 s, alarm "api-5xx" in ALARM -> FAILED, AlarmTriggered
 * - stage POST_SCALE_UP, greenHealth pending at t = 0 of a 600 s health timeout -> IN_PROGRESS 60;
 *   failed, or still pending at 600 s -> FAILED, HealthCheckTimeout
 */
export function hookAnswer(stage: string, facts: HookFacts, hookDetails: unknown): HookAnswer {
  const { now, gate } = facts;
  const key = gate ? `${gate.stage}@${gate.percent}` : `${stage}@-`;
  const prior = readHookState(hookDetails);
  let state: CutoverHookState = prior && prior.gate === key ? { ...prior, invocations: prior.invocations + 1 } : { gate: key, firstSeenAt: now, invocations: 1 };
  const answer = (hookStatus: HookStatus, code: HookAnswer['reason']['code'], message: string, callBackDelay?: number): HookAnswer => ({
    hookStatus,
    ...(callBackDelay !== undefined ? { callBackDelay } : {}),
    hookDetails: writeHookState(hookDetails, state),
    reason: { code, message },
  });

  if (facts.aborted) return answer('FAILED', 'Aborted', 'an operator aborted the deployment');
  if (facts.alarmsInAlarm.length > 0) return answer('FAILED', 'AlarmTriggered', `watched alarm(s) in ALARM at ${stage}: ${facts.alarmsInAlarm.join(', ')}`);
  if (!gate) return answer('SUCCEEDED', 'Passed', `Cutover holds nothing at ${stage}`);

  if (gate.healthTimeoutSeconds !== undefined) {
    if (state.readyAt === undefined) {
      if (facts.greenHealth === 'healthy') state = { ...state, readyAt: now };
      else {
        const deadline = state.firstSeenAt + gate.healthTimeoutSeconds * 1000;
        if (facts.greenHealth === 'failed' || now >= deadline) {
          return answer('FAILED', 'HealthCheckTimeout', `green was not healthy within ${gate.healthTimeoutSeconds} s (${facts.greenHealth ?? 'unknown'})`);
        }
        return answer('IN_PROGRESS', 'Waiting', 'waiting for green to be healthy', delayUntil(now, deadline));
      }
    }
  }
  const bakeFrom = facts.percentSince ?? state.readyAt ?? state.firstSeenAt;
  const bakeEnd = bakeFrom + gate.bakeSeconds * 1000;
  if (now < bakeEnd) return answer('IN_PROGRESS', 'Waiting', `baking at ${gate.percent} %: ${Math.ceil((bakeEnd - now) / 1000)} s left`, delayUntil(now, bakeEnd));
  if (gate.analyse) {
    if (facts.verdict === 'fail') return answer('FAILED', 'AnalysisFailed', `the canary analysis at ${gate.percent} % found green worse than blue`);
    if (facts.verdict !== 'pass') {
      const deadline = bakeEnd + ANALYSIS_GRACE_SECONDS * 1000;
      if (now >= deadline) return answer('FAILED', 'AnalysisFailed', `no analysis verdict within ${ANALYSIS_GRACE_SECONDS} s after the bake at ${gate.percent} %`);
      return answer('IN_PROGRESS', 'Waiting', `waiting for the analysis verdict at ${gate.percent} %`, delayUntil(now, deadline));
    }
  }
  if (gate.approval) {
    if (facts.approval === 'approved') return answer('SUCCEEDED', 'Passed', `approved at ${gate.percent} %`);
    if (facts.approval === 'rejected') return answer('FAILED', 'Aborted', `the approval at ${gate.percent} % was rejected`);
    if (state.approvalSince === undefined) state = { ...state, approvalSince: now };
    const deadline = (state.approvalSince as number) + gate.approval.timeoutSeconds * 1000;
    if (now >= deadline) {
      return gate.approval.onTimeout === 'promote'
        ? answer('SUCCEEDED', 'Passed', `approval at ${gate.percent} % timed out after ${gate.approval.timeoutSeconds} s: onTimeout promote`)
        : answer('FAILED', 'ApprovalExpired', `approval at ${gate.percent} % timed out after ${gate.approval.timeoutSeconds} s: onTimeout abort`);
    }
    return answer('IN_PROGRESS', 'Waiting', `waiting for approval at ${gate.percent} %`, delayUntil(now, deadline));
  }
  return answer('SUCCEEDED', 'Passed', `gate at ${stage} ${gate.percent} % passed`);
}
