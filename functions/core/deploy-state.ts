/**
 * The data that flows through the deploy state machine (statemachines/deploy.asl.json).
 *
 * Every Lambda of the deploy path receives `{ action?, state }` and returns the next `DeployState`
 * (the ASL uses `OutputPath: $.Payload`), so each handler is a function from state to state and the
 * execution history shows exactly what each step decided. Callback tasks (bake, approval) put their
 * result under their own ResultPath instead.
 */
import type { AnalysisConfig } from './config.js';
import type { DeployRequest } from './deploy-request.js';
import type { ImageRef, Plan, PlanStep, Route, Side } from './model.js';
import type { DeployGates, MigrationState } from './gates.js';
import type { HookProgress } from './hooks.js';
import type { PauseHook } from './native.js';
import type { NativeServiceInfo, TrafficKind } from './ports.js';

export const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Step Functions execution names: 1-80 characters of letters, digits, - and _. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** The execution input; the schema is in deploy-request.ts (only the handlers that parse it bundle it). */
export type { DeployRequest };

/** Resolved once (after the lock is taken) and carried through the execution. */
export interface DeployContext {
  readonly cluster: string;
  readonly ecsService: string;
  readonly containerName: string;
  /**
   * How traffic moves (functions/core/traffic.ts): absent or `alb-weights` for a web service,
   * `task-share` for a worker, which then has no route, target groups or load-balancer dimension.
   */
  readonly traffic?: TrafficKind;
  readonly route?: Route;
  readonly testListenerArn?: string;
  readonly targetGroupArns?: readonly [string, string];
  /** The live version; undefined on a service's first deployment. */
  readonly blue?: Side;
  readonly greenTargetGroupArn?: string;
  readonly firstDeployment: boolean;
  readonly plan: Plan;
  readonly capacity: 'full' | 'proportional';
  readonly desiredCount: number;
  readonly healthTimeoutSeconds: number;
  readonly terminationWaitSeconds: number;
  readonly alarmNames: readonly string[];
  readonly analysis: AnalysisConfig;
  /** CloudWatch `LoadBalancer` dimension (app/NAME/ID) of the production route (web services). */
  readonly loadBalancerDimension?: string;
  readonly image: ImageRef;
  readonly startedAt: string;
  /** Optional gates the service has (migration, hooks); absent when none (Choice states test IsPresent). */
  readonly gates?: DeployGates;
  /** `native`: an ECS-controller service, deployed by ECS's own deployment (issue #17); absent: task sets. */
  readonly engine?: 'native';
  /** The native deployment's configuration (functions/core/native.ts strategyFor), set by Inspect when `engine` is native. */
  readonly native?: {
    readonly serviceArn: string;
    readonly deploymentConfiguration: Record<string, unknown>;
    readonly lifecycleStages: readonly string[];
    readonly hookTimeoutMinutes: number;
    /** Approvals held by ECS PAUSE hooks (nativeApproval "pause"), beside Cutover's Lambda hook at their stage. */
    readonly pauses?: readonly PauseHook[];
    /** The service's launch type and network, read at Inspect: a migration task runs the same way. */
    readonly placement?: NativeServiceInfo['placement'];
    /** How ECS moves the traffic of this service: an ALB rule, an NLB listener, Service Connect, or none (blue/green only). */
    readonly shape: 'alb' | 'nlb' | 'service-connect' | 'headless';
  };
}

export interface DeployState {
  readonly request: DeployRequest;
  readonly executionArn?: string;
  readonly ctx?: DeployContext;
  readonly lock?: {
    readonly outcome: 'acquired' | 'busy' | 'superseded';
    readonly retryAfterSeconds: number;
    readonly holder?: string;
    readonly supersededBy?: { readonly deploymentId: string; readonly digest: string };
  };
  readonly taskDefinitionArn?: string;
  readonly green?: { readonly taskSetId: string; readonly taskSetArn: string };
  readonly health?: {
    readonly status: 'waiting' | 'healthy';
    readonly waitSeconds: number;
    /** Epoch ms after which waiting is HealthCheckTimeout. */
    readonly deadlineMs: number;
    readonly healthy: number;
    readonly required: number;
  };
  /** How the deployment ended (set by the terminal handlers; the Fail states read its message). */
  readonly outcome?: { readonly status: string; readonly code: string; readonly message: string };
  /** The migration task (RunMigration and its verdict). */
  readonly migration?: MigrationState;
  /** Progress through the pre-traffic hooks (PreTrafficHooks loop). */
  readonly hooks?: HookProgress;
  /** The native deployment (engine native): its service deployment ARN, and how it ended once it did. */
  readonly native?: { readonly serviceDeploymentArn: string; readonly ended?: { readonly terminal: boolean; readonly status: string } };
  /** Set by a Catch (ResultPath $.error): the error that sends the deployment to rollback or failure. */
  readonly error?: { readonly Error: string; readonly Cause?: string };
}

/** One iteration of the steps Map: the step, its index, and the deployment state. */
export interface StepItem {
  readonly state: DeployState;
  readonly step: PlanStep;
  readonly index: number;
  /** Bake extensions so far (inconclusive analysis with onInconclusive = extend). */
  readonly extensions?: number;
  /** What ended the callback (operator promote-now), when it was not the timeout. */
  readonly signal?: { readonly action: string; readonly by?: string };
  readonly verdict?: { readonly kind: string; readonly decision: 'pass' | 'fail' | 'extend' };
  /** An operator's promote-fully turned this iteration into the shift to 100 %; the Map ends after it. */
  readonly promotedFully?: boolean;
  /** Proportional capacity: green is being scaled up before this shift. */
  readonly shift?: { readonly status: 'scaling' | 'done'; readonly waitSeconds: number; readonly deadlineMs: number };
  /** Progress through this step's hooks (beforeShift, afterFullTraffic). */
  readonly hooks?: HookProgress;
}

/**
 * `svc-env-<first 16 hex of digest>`, or with `attempt` `svc-env-<hex>-<8 hex of attempt>`: the
 * deployment id IS the deploy execution's name. The same push delivered twice names the same
 * execution (one deployment); a later push of the same digest (or another release of it) passes an
 * `attempt` key of its own, because execution names cannot be reused for 90 days (Step Functions
 * Developer Guide, "StartExecution": "execution names ... must be unique ... for 90 days").
 * At most 32 + 16 + 16 + 8 + 3 = 75 characters (an execution name takes 80).
 */
export function deploymentIdFor(service: string, environment: string, digest: string, attempt?: string): string {
  const hex = digest.replace(/^sha256:/, '').slice(0, 16);
  return `${service}-${environment}-${hex}${attempt === undefined ? '' : `-${attemptSuffix(attempt)}`}`;
}

/** 8 hex characters naming one attempt (FNV-1a, 32 bits): stable for the same key. */
export function attemptSuffix(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * How far in the future a `requestedAt` may be (clock skew between the caller and AWS): a later one
 * is refused at the first state, and a lock claim dated later is never taken as newer (issue #14:
 * one input dated 2099 superseded every later push).
 */
export const MAX_REQUESTED_AT_SKEW_SECONDS = 300;

/** `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:...` — images are always deployed by digest. */
export function imageUri(accountId: string, region: string, repository: string, digest: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${accountId}.dkr.ecr.${region}.${domain}/${repository}@${digest}`;
}

/** Parse the Cause Step Functions carries for a Lambda error into `{ errorType, errorMessage }`. */
export function parseCause(cause: string | undefined): { errorType?: string; errorMessage: string } {
  if (!cause) return { errorMessage: '' };
  try {
    const parsed = JSON.parse(cause) as { errorType?: string; errorMessage?: string };
    if (typeof parsed === 'object' && parsed !== null) {
      return { errorType: parsed.errorType, errorMessage: parsed.errorMessage ?? cause };
    }
  } catch {
    // A plain-text cause (SendTaskFailure from an operator, States.Timeout ...).
  }
  return { errorMessage: cause };
}
