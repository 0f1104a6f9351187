/**
 * The rehearsal's one extension point (issue #15): what a part of the control plane registers with
 * the local rehearsal (local/rehearsal.ts), and the context the rehearsal hands it.
 *
 * The rehearsal's core builds the virtual clock, the in-memory world, the runner, dynalite and the
 * scenario's world, runs the timeline, checks the safety invariants after every state and writes
 * the summary. Everything else comes from a list of capabilities, each a function of a
 * `CapabilityContext` that returns a `RehearsalCapability`; the rehearsal asks every one at each
 * point, in list order, and names none of them:
 *
 * 1. created (`RehearsalCapabilityFactory`), once the runner and the world exist: register task
 *    resources or scripted functions with `ctx.runner` here;
 * 2. `plugins`: SDK middleware every handler's clients carry (after the world's and DynamoDB's);
 * 3. `handlers`, then `stateMachines`: Lambda functions (`cutover-NAME`) and state machines
 *    (`statemachines/NAME.asl.json`, `cutover-NAME`); every definition may use `${NameFunctionArn}`
 *    of every function and `${NameStateMachineArn}` of every state machine, whoever registered it;
 * 4. `ready()`: every function and state machine is registered (`ctx.invoke` is complete);
 * 5. world hooks (not in an endpoint run, which creates nothing): `beforeServices()` for what
 *    existed before the scenario's services, `afterServices(services)` once they are created;
 * 6. `inputs` + `apply(input)`: the timeline inputs it owns (each kind has one owner);
 *    `schedules` + `fire(rule, atMs)`: the stack's schedules it deploys (state machine targets are
 *    started by the rehearsal; any other target is fired by its capability);
 * 7. `check(services)`: invariant violations after every state and at the end;
 * 8. `summary(executions)`: its part of the summary (before the runner is disposed), `trace()`:
 *    its part of the trace (after).
 *
 * The deploy path (local/deploy-path.ts), release gates (local/gates-runtime.ts) and maintenance
 * (local/maintenance.ts) are the users today (local/capabilities.ts lists them). A new capability —
 * another service shape, several accounts and regions — is one more factory in that list: it
 * registers its handlers and state machines, seeds and wires the world in its hooks, checks its own
 * invariants and adds its own summary part, without an edit to the rehearsal's core.
 */
import type { Pluggable } from '@smithy/types';
import type { ClientOptions } from '../functions/aws/clients.js';
import type { CutoverConfig, ServiceConfig } from '../functions/core/config.js';
import type { DeploymentStore } from '../functions/core/ports.js';
import type { HandlerEnv } from '../functions/handlers/shared/env.js';
import type { VirtualClockImpl } from './clock.js';
import type { ExecutionRecord, LocalRunner } from './runner/index.js';
import type { Scenario, TimelineInput } from './scenario.js';
import type { ScheduledRule } from './schedules.js';
import type { World } from './world/world.js';

/**
 * A Lambda handler module of the control plane (functions/handlers/NAME.ts): the rehearsal builds
 * each the same way, `createHandler({ ...makeDeps(clientOptions, env, clock), logLevel, deploymentMetrics })`.
 */
export interface HandlerModule {
  readonly makeDeps: unknown;
  readonly createHandler: unknown;
}

/** A state machine of the control plane, from statemachines/NAME.asl.json, deployed as `cutover-NAME`. */
export interface CapabilityStateMachine {
  readonly name: string;
  /** Started by an operator, the timeline or a schedule (not by another state machine): its executions are the summary's `operations`. */
  readonly operation?: boolean;
  /** A sweep: its states move traffic only when they repair or roll back, so they are checked for traffic on healthy targets only when they moved it. */
  readonly sweep?: boolean;
}

/** What the rehearsal hands every capability. Everything is there when the factory runs; `invoke` is complete from `ready()` on. */
export interface CapabilityContext {
  readonly scenario: Scenario;
  readonly config: CutoverConfig;
  readonly accountId: string;
  readonly region: string;
  /** An endpoint run: AWS calls go to a real endpoint, the world is not seeded and its invariants are not checked. */
  readonly remote: boolean;
  readonly clock: VirtualClockImpl;
  /** Virtual time the run started at. */
  readonly startMs: number;
  readonly world: World;
  readonly runner: LocalRunner;
  /** The handlers' environment (table, bus, deploy and release state machine ARNs, configuration). */
  readonly env: HandlerEnv;
  /** Client options without the capabilities' plugins (for a store or client of the capability's own). */
  readonly baseClientOptions: ClientOptions;
  readonly store: DeploymentStore;
  /** The handlers by file name (`alarm-watcher`, ...), as the rehearsal invokes them: a capability may wrap one in `ready()`. */
  readonly invoke: Record<string, (event: unknown) => Promise<unknown>>;
  /** `arn:aws:states:REGION:ACCOUNT:stateMachine:cutover-NAME`. */
  stateMachineArn(name: string): string;
  /** EventBridge -> Lambda: asynchronous, retried twice, then dead-lettered. */
  deliver(target: string, label: string, event: unknown): void;
  /** StartExecution of a state machine as the console (or, `scheduled`, a schedule of the stack) does it. */
  startOperation(stateMachine: string, input: unknown, scheduled?: boolean): void;
}

/**
 * One part of the control plane in the rehearsal. `Summary` and `Trace` are the parts of the
 * scenario summary and trace it adds (the rehearsal's ScenarioSummary and ScenarioTrace declare them).
 */
export interface RehearsalCapability<Summary extends object = object, Trace extends object = object> {
  /** For messages: `deploy`, `gates`, `maintenance`. */
  readonly name: string;
  readonly plugins?: readonly Pluggable<object, object>[];
  /** Lambda handlers by file name (registered as `cutover-NAME`). */
  readonly handlers?: Readonly<Record<string, HandlerModule>>;
  readonly stateMachines?: readonly CapabilityStateMachine[];
  /** Every function and state machine is registered; the world is not built yet. */
  ready?(): void | Promise<void>;
  /** World hook: before the scenario's images and services are created. */
  beforeServices?(): void | Promise<void>;
  /** World hook: the scenario's images and services exist (alarms not yet). */
  afterServices?(services: readonly ServiceConfig[]): void | Promise<void>;
  /** Timeline input kinds this capability applies. */
  readonly inputs?: readonly TimelineInput['kind'][];
  apply?(input: TimelineInput): void;
  /** The stack's schedules this capability deploys (every capability's together are what `schedulesOff` names). */
  readonly schedules?: readonly ScheduledRule[];
  /** Fire one of its schedules whose target is not a state machine. */
  fire?(rule: ScheduledRule, atMs: number): void;
  /** Invariant violations now, for `services`. */
  check?(services: readonly ServiceConfig[]): string[];
  /** Its part of the summary, from every execution of the run (called before the runner is disposed). */
  summary?(executions: readonly ExecutionRecord[]): Summary | Promise<Summary>;
  /** Its part of the trace (after the runner is disposed). */
  trace?(): Trace;
}

export type RehearsalCapabilityFactory<Summary extends object = object, Trace extends object = object> = (
  ctx: CapabilityContext,
) => RehearsalCapability<Summary, Trace>;
