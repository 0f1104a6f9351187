/**
 * The operator's Lambda, behind the `control` and `rollback` state machines (console or CLI
 * StartExecution with the JSON documents of functions/core/control.ts). One step per state, so a
 * Step Functions retry repeats only that step:
 *
 * - `decide` (control): validate, find the deployment (default: the service's in-flight one), decide
 *   what the action means for what it waits for, record who asked and when on the deployment. A
 *   release is the target of `approve` / `abort` named by `releaseId`, or by service when no
 *   deployment of it waits for approval (approve) or is in flight (abort) but a release waits for
 *   approval before that environment with that service in it (issue #16; functions/core/release.ts).
 *   Its token is read from the release record only.
 * - `plan-rollback` (rollback): validate, then roll back what is in flight, or pick the revision to
 *   deploy (the previous stable version, or `toVersion`), or nothing.
 * - `signal`: SendTaskSuccess / SendTaskFailure to exactly the token `decide` read — a retry never
 *   answers a later bake by mistake. Before a success, the proof (hashes of the token and of a fresh
 *   nonce) goes on the deployment, or on the release; the waiting execution checks it (SignalNotVerified).
 * - `verify`: did an abort / rollback land (the task may have timed out just before)?
 * - `stop`: no token to answer: StopExecution (its Catch does not run; the state machine rolls back
 *   after a settle).
 * - `close-state`: after the settle, the deploy state the rollback handler needs (shared/recovery.ts).
 * - `start-deployment`: start the deploy state machine for the earlier revision (all at once, no
 *   alarms armed: see prepare.ts), named after this execution so a retry starts nothing twice.
 *
 * Who: `by` from the input, else the control execution's name (Step Functions does not hand the
 * caller's identity to an execution; CloudTrail's StartExecution event for that execution names it).
 */
import { createHash } from 'node:crypto';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsTaskSets } from '../aws/ecs.js';
import { getRelease, listWaitingReleases, recordApprovalSignal, updateStage } from '../aws/release-store.js';
import { executionArnFor } from '../aws/sfn.js';
import { appendTimeline, getDeployment, listDeployments, listInFlight, recordControl } from '../aws/store-deployments.js';
import { bindTable } from '../aws/store-items.js';
import { getLock } from '../aws/store-lock.js';
import { getStable } from '../aws/store-stable.js';
import { SfnExecutionStopper } from '../aws/sfn-stop.js';
import { findService } from '../core/services.js';
import {
  type ControlDecision,
  type ControlInput,
  decideControl,
  type InFlightView,
  namesRelease,
  parseControlInput,
  parseRollbackInput,
  planRollback,
  type RollbackInput,
  type RollbackPlan,
  selectInFlight,
  signalOutcome,
} from '../core/control.js';
import type { DeployRequest, DeployState } from '../core/deploy-state.js';
import { NothingInFlight, UnknownService, ValidationError } from '../core/errors.js';
import { type DeploymentRecord, isTerminal } from '../core/model.js';
import type { Clock, DeploymentStore, ExecutionStopper, Orchestrator, ReleaseStore, TaskSets } from '../core/ports.js';
import { decideReleaseControl, waitingReleaseFor } from '../core/release.js';
import { parseReleaseControl } from '../core/release-control.js';
import { parseOrThrow } from '../core/validation.js';
import { orchestratorFor } from './shared/clients.js';
import { tableFor } from './shared/store.js';
import { entry } from './shared/deploy.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { closeStateFor, type RecoveryStore } from './shared/recovery.js';
import { signalProof } from './shared/signal-proof.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

/** The deployment store operations the control function uses (a close-state reads what recovery reads). */
export type ControlStore = RecoveryStore &
  Pick<DeploymentStore, 'listInFlight' | 'listDeployments' | 'getStable' | 'recordControl' | 'appendTimeline'>;
/** The release store operations the control function uses. */
export type ControlReleases = Pick<ReleaseStore, 'getRelease' | 'listWaitingReleases' | 'updateStage' | 'recordApprovalSignal'>;

export interface ControlDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly store: ControlStore;
  readonly orchestrator: Orchestrator;
  readonly stopper: ExecutionStopper;
  readonly taskSets: TaskSets;
  /** Release records (approve / abort of a release waiting for approval); without it only deployments are controlled. */
  readonly releases?: ControlReleases;
  readonly logLevel?: string;
}

/** The state the control and rollback state machines carry between their states. */
export interface ControlState {
  /** The execution input as typed (validated by `decide` / `plan-rollback`). */
  readonly input: unknown;
  readonly mode: 'control' | 'rollback';
  readonly by?: string;
  /** The deployment acted on. */
  readonly target?: { readonly service: string; readonly environment: string; readonly deploymentId: string };
  /** The release acted on (approve / abort of the environment it waits for); no `target` then. */
  readonly release?: { readonly releaseId: string; readonly environment: string; readonly action: 'approve' | 'abort'; readonly reason?: string };
  readonly decision?: ControlDecision;
  readonly plan?: RollbackPlan;
  /** Rollback: the in-flight deployment this execution already rolled back. */
  readonly rolledBack?: string;
  readonly verify?: 'done' | 'pending' | 'missed' | 'ended';
  readonly close?: DeployState | null;
  readonly started?: { readonly deploymentId: string; readonly executionArn: string; readonly alreadyStarted: boolean; readonly taskDefinitionArn: string; readonly fromDeploymentId: string };
}

export const CONTROL_OPS = ['decide', 'plan-rollback', 'signal', 'verify', 'stop', 'close-state', 'start-deployment'] as const;
const Payload = z.object({
  op: z.enum(CONTROL_OPS),
  state: z.looseObject({ input: z.unknown(), mode: z.enum(['control', 'rollback']) }),
  executionArn: z.optional(z.string()),
  startedAt: z.optional(z.string()),
});

const executionName = (arn: string | undefined): string => (arn ? (arn.split(':').pop() ?? arn) : 'unknown');

/** `svc-env-rb-<12 hex of the rollback execution>`: a retry of the start names the same execution. */
export function rollbackDeploymentId(service: string, environment: string, rollbackExecutionArn: string): string {
  return `${service}-${environment}-rb-${createHash('sha256').update(rollbackExecutionArn).digest('hex').slice(0, 12)}`;
}

const viewOf = (r: DeploymentRecord): InFlightView => ({
  deploymentId: r.deploymentId,
  status: r.status,
  ...(r.taskToken ? { taskToken: r.taskToken } : {}),
  ...(r.waitingFor ? { waitingFor: r.waitingFor } : {}),
});

function targetOf(state: ControlState): NonNullable<ControlState['target']> {
  if (!state.target) throw new ValidationError('control state', ['target: is required (decide or plan-rollback sets it)']);
  return state.target;
}

function decisionOf(state: ControlState): ControlDecision {
  if (!state.decision) throw new ValidationError('control state', ['decision: is required (decide or plan-rollback sets it)']);
  return state.decision;
}

export function createHandler(deps: ControlDeps): Handler<unknown, ControlState> {
  const logger = makeLogger('cutover-control', deps.logLevel);

  const serviceOrThrow = (service: string, environment: string) => {
    const svc = findService(deps.env.config, service, environment);
    if (!svc) {
      throw new UnknownService(
        `Service "${service}" in environment "${environment}" is not in the Cutover configuration; check service and environment`,
      );
    }
    return svc;
  };

  /** The in-flight deployment of a service (strongly consistent re-read of what the index names). */
  const inFlightOf = async (service: string, environment: string, deploymentId?: string): Promise<DeploymentRecord> => {
    const listed = (await deps.store.listInFlight()).filter((r) => r.service === service && r.environment === environment);
    const known = deploymentId ? await deps.store.getDeployment(service, environment, deploymentId) : undefined;
    const picked = selectInFlight(service, environment, listed, deploymentId, known);
    const fresh = (await deps.store.getDeployment(service, environment, picked.deploymentId)) ?? picked;
    if (isTerminal(fresh.status)) {
      throw new NothingInFlight(`Deployment ${fresh.deploymentId} of ${service}/${environment} just ended ${fresh.status}; nothing to control`, {
        details: { deploymentId: fresh.deploymentId, status: fresh.status },
      });
    }
    return fresh;
  };

  const record = async (
    target: NonNullable<ControlState['target']>,
    action: string,
    by: string,
    executionArn: string | undefined,
    detail: Record<string, unknown>,
  ) => {
    const now = deps.clock.now();
    const at = new Date(now).toISOString();
    const full = { ...detail, ...(executionArn ? { executionArn } : {}) };
    await deps.store.recordControl(target.service, target.environment, target.deploymentId, { action, by, at, detail: full });
    await deps.store.appendTimeline(target.service, target.environment, target.deploymentId,
      entry(`control-${action}-${executionName(executionArn)}`, 'control', now, { action, by, ...detail }));
  };

  /** Approve or abort the environment a release waits for (the token from its record only). */
  const decideRelease = async (
    input: { readonly action: 'approve' | 'abort'; readonly releaseId: string; readonly environment?: string; readonly reason?: string },
    by: string,
    state: ControlState,
  ): Promise<ControlState> => {
    if (!deps.releases) throw new Error('the control function has no release store');
    const record = await deps.releases.getRelease(input.releaseId);
    if (!record) {
      throw new ValidationError('control input', [`releaseId: no release "${input.releaseId}" is on record; cutover release status lists the releases waiting for approval`]);
    }
    const d = decideReleaseControl(input, record, by);
    logger.appendKeys({ releaseId: d.releaseId, environment: d.environment });
    logger.info('release control decided', { action: input.action, by });
    const decision: ControlDecision =
      d.kind === 'succeed'
        ? { kind: 'succeed', taskToken: d.taskToken, waitingFor: 'approval', signal: d.signal }
        : { kind: 'fail', taskToken: d.taskToken, waitingFor: 'approval', error: d.error, message: d.message };
    return {
      input: state.input,
      mode: 'control',
      by,
      release: { releaseId: d.releaseId, environment: d.environment, action: input.action, ...(input.reason ? { reason: input.reason } : {}) },
      decision,
    };
  };

  const decide = async (state: ControlState, executionArn: string | undefined): Promise<ControlState> => {
    if (namesRelease(state.input)) {
      const input = parseReleaseControl(state.input);
      return decideRelease(input, input.by ?? `execution/${executionName(executionArn)}`, state);
    }
    const input: ControlInput = parseControlInput(state.input);
    serviceOrThrow(input.service, input.environment);
    const by = input.by ?? `execution/${executionName(executionArn)}`;
    if ((input.action === 'approve' || input.action === 'abort') && input.deploymentId === undefined && deps.releases) {
      // By service: the deployment when one waits for approval (approve) or is in flight (abort);
      // else the release waiting for approval before this environment with this service in it.
      const mine = (await deps.store.listInFlight()).filter((r) => r.service === input.service && r.environment === input.environment);
      const deploymentFirst = input.action === 'approve' ? mine.some((r) => r.waitingFor === 'approval' || r.waitingFor === 'native') : mine.length > 0;
      if (!deploymentFirst) {
        const release = waitingReleaseFor(input.service, input.environment, await deps.releases.listWaitingReleases());
        if (release) {
          return decideRelease({ action: input.action, releaseId: release.releaseId, environment: input.environment, ...(input.reason ? { reason: input.reason } : {}) }, by, state);
        }
      }
    }
    const rec = await inFlightOf(input.service, input.environment, input.deploymentId);
    const env = deps.env.config.environments.find((e) => e.name === input.environment);
    const hold = { timeoutSeconds: Math.max(1, env?.approvalTimeoutSeconds ?? 24 * 3600), onTimeout: env?.onApprovalTimeout ?? 'abort' } as const;
    const decision = decideControl(input, viewOf(rec), by, hold);
    const target = { service: rec.service, environment: rec.environment, deploymentId: rec.deploymentId };
    logger.appendKeys({ deploymentId: rec.deploymentId, cutoverService: rec.service, environment: rec.environment });
    await record(target, input.action, by, executionArn, {
      decision: decision.kind,
      ...(rec.waitingFor ? { waitingFor: rec.waitingFor } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.action === 'extend' ? { extendSeconds: input.extendSeconds } : {}),
    });
    logger.info('control decided', { action: input.action, decision: decision.kind, by });
    return { input: state.input, mode: 'control', by, target, decision };
  };

  const planRollbackOp = async (state: ControlState, executionArn: string | undefined): Promise<ControlState> => {
    const input: RollbackInput = parseRollbackInput(state.input);
    serviceOrThrow(input.service, input.environment);
    const by = input.by ?? `execution/${executionName(executionArn)}`;
    const { service, environment } = input;
    const listed = (await deps.store.listInFlight()).filter((r) => r.service === service && r.environment === environment);
    const candidates = listed.filter((r) => r.deploymentId !== state.rolledBack);
    const inFlight = candidates.length > 0 ? await inFlightOf(service, environment, selectInFlight(service, environment, candidates).deploymentId) : undefined;
    const [stable, records] = await Promise.all([deps.store.getStable(service, environment), deps.store.listDeployments(service, environment)]);
    const svc = serviceOrThrow(service, environment);
    const plan = planRollback(
      input,
      { ...(inFlight ? { inFlight: viewOf(inFlight) } : {}), ...(stable ? { stable } : {}), records, repository: svc.repository, ...(state.rolledBack ? { rolledBack: state.rolledBack } : {}) },
      by,
    );
    const base: ControlState = { input: state.input, mode: 'rollback', by, plan, ...(state.rolledBack ? { rolledBack: state.rolledBack } : {}) };
    const detail = { ...(input.reason ? { reason: input.reason } : {}), ...(input.toVersion ? { toVersion: input.toVersion } : {}) };
    switch (plan.kind) {
      case 'in-flight': {
        const target = { service, environment, deploymentId: plan.deploymentId };
        await record(target, 'rollback', by, executionArn, { ...detail, decision: plan.decision.kind });
        return { ...base, target, decision: plan.decision };
      }
      case 'deploy': {
        const current = stable ? records.find((r) => r.deploymentId === stable.deploymentId) : undefined;
        const target = { service, environment, deploymentId: current?.deploymentId ?? plan.target.fromDeploymentId };
        if (current && !state.rolledBack) {
          await record(target, 'rollback', by, executionArn, { ...detail, to: plan.target.taskDefinitionArn, from: plan.target.fromDeploymentId });
        }
        return { ...base, target };
      }
      case 'noop':
        logger.info('rollback: nothing to do', { why: plan.why });
        return base;
      default: {
        const never: never = plan;
        throw new TypeError(`unhandled rollback plan ${JSON.stringify(never)}`);
      }
    }
  };

  /** A release's approve / abort: who and when on its stage, the proof before a success, then the signal. */
  const signalRelease = async (state: ControlState, release: NonNullable<ControlState['release']>, decision: ControlDecision): Promise<ControlState> => {
    if (!deps.releases) throw new Error('the control function has no release store');
    if (decision.kind !== 'succeed' && decision.kind !== 'fail') {
      throw new ValidationError('control state', [`decision.kind: "${decision.kind}" has no token to signal`]);
    }
    const at = new Date(deps.clock.now()).toISOString();
    const by = state.by ?? 'unknown';
    const record = await deps.releases.getRelease(release.releaseId);
    const index = record?.stages.findIndex((s) => s.environment === release.environment) ?? -1;
    const stage = record?.stages[index];
    // Only while the release still waits on this very token (a retry after it moved on changes nothing).
    if (record?.status !== 'IN_PROGRESS' || record.taskToken !== decision.taskToken || !stage) return state;
    await deps.releases.updateStage(release.releaseId, index, {
      ...stage,
      approval: { action: release.action, by, at, ...(release.reason ? { reason: release.reason } : {}) },
    });
    if (decision.kind === 'succeed') {
      const proof = signalProof(decision.taskToken);
      await deps.releases.recordApprovalSignal(release.releaseId, { ...proof.recorded, by, at });
      await deps.orchestrator.sendTaskSuccess(decision.taskToken, { ...decision.signal, nonce: proof.nonce });
    } else {
      await deps.orchestrator.sendTaskFailure(decision.taskToken, decision.error, JSON.stringify({ errorType: decision.error, errorMessage: decision.message }));
    }
    return state;
  };

  const signal = async (state: ControlState): Promise<ControlState> => {
    const decision = decisionOf(state);
    if (state.release) return signalRelease(state, state.release, decision);
    switch (decision.kind) {
      case 'succeed': {
        // Issue #14 (5): SendTaskSuccess has no resource-level permission, so the deploy path checks
        // that a success came through here: a one-time nonce whose hash is recorded on the deployment
        // next to the hash of the token it answers (shared/signal-proof.ts). A table reader sees only hashes.
        const target = targetOf(state);
        const proof = signalProof(decision.taskToken);
        await deps.store.recordControl(target.service, target.environment, target.deploymentId, {
          action: 'signal',
          by: state.by ?? 'unknown',
          at: new Date(deps.clock.now()).toISOString(),
          detail: proof.recorded,
        });
        await deps.orchestrator.sendTaskSuccess(decision.taskToken, { ...decision.signal, nonce: proof.nonce });
        break;
      }
      case 'fail':
        await deps.orchestrator.sendTaskFailure(
          decision.taskToken,
          decision.error,
          JSON.stringify({ errorType: decision.error, errorMessage: decision.message }),
        );
        break;
      case 'stop':
      case 'none':
        throw new ValidationError('control state', [`decision.kind: "${decision.kind}" has no token to signal`]);
      default: {
        const never: never = decision;
        throw new TypeError(`unhandled decision ${JSON.stringify(never)}`);
      }
    }
    return state;
  };

  const verify = async (state: ControlState): Promise<ControlState> => {
    const decision = decisionOf(state);
    if (state.release) {
      // An abort landed when the release no longer waits on that token (it ended, or moved on).
      const record = await deps.releases?.getRelease(state.release.releaseId);
      const token = decision.kind === 'succeed' || decision.kind === 'fail' ? decision.taskToken : undefined;
      return { ...state, verify: record?.status === 'IN_PROGRESS' && record.taskToken === token ? 'pending' : 'done' };
    }
    const target = targetOf(state);
    if (decision.kind !== 'succeed' && decision.kind !== 'fail') return { ...state, verify: 'done' };
    const rec = await deps.store.getDeployment(target.service, target.environment, target.deploymentId);
    const outcome = signalOutcome({ taskToken: decision.taskToken, kind: decision.kind }, rec);
    if (outcome === 'ended' && state.mode === 'control') {
      throw new NothingInFlight(
        `Deployment ${target.deploymentId} ended ${rec?.status ?? '(record gone)'} before the ${decision.kind === 'fail' ? decision.error : 'signal'} landed; to undo it, start the rollback state machine`,
        { details: { deploymentId: target.deploymentId, status: rec?.status ?? null } },
      );
    }
    return { ...state, verify: outcome };
  };

  const stop = async (state: ControlState): Promise<ControlState> => {
    const target = targetOf(state);
    const decision = decisionOf(state);
    if (decision.kind !== 'stop') throw new ValidationError('control state', [`decision.kind: "${decision.kind}" is not a stop`]);
    const rec = await deps.store.getDeployment(target.service, target.environment, target.deploymentId);
    if (!rec || isTerminal(rec.status)) return state;
    const executionArn =
      rec.executionArn ?? (deps.env.deployStateMachineArn ? executionArnFor(deps.env.deployStateMachineArn, rec.deploymentId) : undefined);
    if (executionArn) await deps.stopper.stop(executionArn, decision.error, decision.message);
    await deps.store.appendTimeline(target.service, target.environment, target.deploymentId,
      entry('execution-stopped', 'control', deps.clock.now(), { executionArn: executionArn ?? null, error: decision.error, message: decision.message }));
    return state;
  };

  const closeState = async (state: ControlState): Promise<ControlState> => {
    const target = targetOf(state);
    const decision = decisionOf(state);
    const reason = decision.kind === 'stop' || decision.kind === 'fail' ? { code: decision.error, message: decision.message } : { code: 'Aborted', message: 'aborted' };
    const close = await closeStateFor(deps, target.service, target.environment, target.deploymentId, reason);
    return { ...state, close };
  };

  const startDeployment = async (state: ControlState, executionArn: string | undefined, startedAt: string | undefined): Promise<ControlState> => {
    const plan = state.plan;
    if (plan?.kind !== 'deploy') throw new ValidationError('control state', ['plan.kind: "deploy" is required (plan-rollback sets it)']);
    const input = parseRollbackInput(state.input);
    if (!deps.env.deployStateMachineArn) throw new Error('CUTOVER_DEPLOY_STATE_MACHINE_ARN is not set');
    const deploymentId = rollbackDeploymentId(input.service, input.environment, executionArn ?? `${input.service}-${deps.clock.now()}`);
    const request: DeployRequest = {
      deploymentId,
      service: input.service,
      environment: input.environment,
      image: { ...plan.target.image },
      requestedAt: startedAt ?? new Date(deps.clock.now()).toISOString(),
      taskDefinitionArn: plan.target.taskDefinitionArn,
      trigger: { kind: 'rollback', by: state.by ?? 'unknown' },
    };
    const started = await deps.orchestrator.start(deps.env.deployStateMachineArn, deploymentId, request);
    logger.info('rollback deployment started', { deploymentId, taskDefinitionArn: plan.target.taskDefinitionArn, ...started });
    return {
      ...state,
      started: { deploymentId, ...started, taskDefinitionArn: plan.target.taskDefinitionArn, fromDeploymentId: plan.target.fromDeploymentId },
    };
  };

  return wrap(logger, async (event: unknown) => {
    const payload = parseOrThrow(Payload, event, 'control payload');
    const state = payload.state as ControlState;
    switch (payload.op) {
      case 'decide':
        return decide(state, payload.executionArn);
      case 'plan-rollback':
        return planRollbackOp(state, payload.executionArn);
      case 'signal':
        return signal(state);
      case 'verify':
        return verify(state);
      case 'stop':
        return stop(state);
      case 'close-state':
        return closeState(state);
      case 'start-deployment':
        return startDeployment(state, payload.executionArn, payload.startedAt);
      default: {
        const never: never = payload.op;
        throw new TypeError(`unknown op ${String(never)}`);
      }
    }
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): ControlDeps {
  // Only the store operations bound here are bundled (functions/aws/store-items.ts bindTable).
  const table = tableFor(opts, env);
  return {
    env,
    clock,
    store: bindTable(table, { listInFlight, getDeployment, listDeployments, getStable, recordControl, appendTimeline, getLock }),
    orchestrator: orchestratorFor(opts),
    stopper: new SfnExecutionStopper(makeClient(SFNClient, opts)),
    taskSets: new EcsTaskSets(makeClient(ECSClient, opts)),
    releases: bindTable({ ...table, clock }, { getRelease, listWaitingReleases, updateStage, recordApprovalSignal }),
  };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
