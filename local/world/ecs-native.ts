/**
 * ECS's own deployments in memory: services with the ECS deployment controller deploy a new task
 * definition through UpdateService with deploymentConfiguration.strategy BLUE_GREEN, CANARY or
 * LINEAR (ROLLING too, without stages), as the ECS developer guide describes them:
 *
 * - a deployment is a service deployment (ARN `service-deployment/<cluster>/<service>/<id>`) from the
 *   source service revision to a target service revision (`service-revision/<cluster>/<service>/<id>`);
 *   DescribeServiceDeployments, ListServiceDeployments, DescribeServiceRevisions read them;
 * - the lifecycle stages run in order on the virtual clock: (RECONCILE_SERVICE when a deployment
 *   replaces one in progress), PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT,
 *   POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT (per step for CANARY and LINEAR, with the
 *   PRE_PRODUCTION_TRAFFIC_SHIFT hook before each step), POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME,
 *   CLEAN_UP;
 * - Lambda lifecycle hooks are invoked through the `invokeHook` callback the test or rehearsal
 *   registers (the world runs no Lambda), with the documented payload; the answer is SUCCEEDED,
 *   FAILED or IN_PROGRESS (+ callBackDelay, default 30 s; hookDetails carried to the next call);
 *   anything else, a thrown invocation or an unknown function rolls back; a hook still IN_PROGRESS
 *   at its timeout (timeoutConfiguration, default 1440 min, action ROLLBACK) takes its action;
 * - all hooks configured at one stage run in parallel, Lambda and pause alike (ECS developer guide,
 *   "Pause hooks for Amazon ECS service deployments", Multiple hooks at the same stage,
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/pause-lifecycle-hooks.html: "All
 *   hooks configured at the same lifecycle stage run in parallel"; "Lifecycle hooks for Amazon ECS
 *   service deployments", deployment-lifecycle-hooks.html: Lambda and pause hooks at one stage "must
 *   complete before the deployment proceeds to the next stage"): every Lambda hook is invoked at
 *   the stage's start and runs its own IN_PROGRESS / callBackDelay / hookDetails / timeout cycle; the
 *   stage goes on when all are done (SUCCEEDED, CONTINUE on timeout, a pause continued); the first
 *   rollback by any of them rolls the whole deployment back and the others are not invoked again;
 * - PAUSE lifecycle hooks (no hookTargetArn or roleArn; not at TEST_TRAFFIC_SHIFT or
 *   PRODUCTION_TRAFFIC_SHIFT; at most 10 per service) hold their stage with a hook AWAITING_ACTION
 *   (hookId `ecs-pause-...`) and an "ECS Hook State Change" HOOK_AWAITING_ACTION event, beside the
 *   stage's Lambda hooks (hooks of one stage run in parallel), until ContinueServiceDeployment
 *   CONTINUE (HOOK_SUCCEEDED) or ROLLBACK (HOOK_FAILED, rollback), or expiresAt (HOOK_TIMED_OUT, then
 *   the timeout action); at PRE_PRODUCTION_TRAFFIC_SHIFT they pause before every production step with
 *   a new hookId; a rollback for any other reason ends them FAILED (HOOK_FAILED);
 * - traffic shifts on the ALB production listener rule (and the test listener rule) between the
 *   production and the alternate target group of advancedConfiguration; the roles alternate from one
 *   deployment to the next, as ECS runs the new revision on the target group without traffic;
 * - behind a Network Load Balancer, productionListenerRule (and testListenerRule) is the NLB
 *   listener's ARN and the shift rewrites the listener's default forward (weighted target groups);
 *   ECS adds `settings.nativeNlbShiftDelayMs` (10 min) to TEST_TRAFFIC_SHIFT and every
 *   PRODUCTION_TRAFFIC_SHIFT step;
 * - with Service Connect (serviceConnectConfiguration, no load balancer) the shift happens at the
 *   Service Connect proxy: no listener is rewritten, the production (and test) weights per revision
 *   are what the deployment reports and what {@link NativeDeployments.productionSharesAt} gives the
 *   world's traffic models;
 * - rollback on a FAILED hook, StopServiceDeployment (ROLLBACK), ContinueServiceDeployment (ROLLBACK) or a deployment alarm in ALARM
 *   (polled every `nativeAlarmPollMs`; an alarm already in ALARM when the deployment starts is
 *   ignored until it has left ALARM: the statement of ECS's behaviour);
 * - "ECS Deployment State Change" events (SERVICE_DEPLOYMENT_IN_PROGRESS / _COMPLETED / _FAILED)
 *   through the world's emit.
 *
 * Sources: docs/aws-behaviour.md, section "ECS's own deployments (world model)".
 */
import type {
  ContinueServiceDeploymentCommandInput,
  ContinueServiceDeploymentCommandOutput,
  DeploymentConfiguration,
  ServiceConnectConfiguration,
  DeploymentLifecycleHook,
  DeploymentLifecycleHookDetail,
  DescribeServiceDeploymentsCommandInput,
  DescribeServiceDeploymentsCommandOutput,
  DescribeServiceRevisionsCommandInput,
  DescribeServiceRevisionsCommandOutput,
  Failure,
  ListServiceDeploymentsCommandInput,
  ListServiceDeploymentsCommandOutput,
  LoadBalancer,
  NetworkConfiguration,
  Service,
  ServiceDeployment,
  ServiceDeploymentLifecycleStage,
  ServiceDeploymentStatus,
  ServiceRevision,
  StopServiceDeploymentCommandInput,
  StopServiceDeploymentCommandOutput,
  UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AlarmStateValue } from './cloudwatch.js';
import type { EcsWorld, NativeEnginePort } from './ecs.js';
import type { ElbWorld } from './elb.js';
import { fault } from './errors.js';
import type { AwsEvent, WorldContext } from './types.js';

type Out<T> = Omit<T, '$metadata'>;

/** What ECS sends a Lambda lifecycle hook (ECS developer guide, "Lambda hooks for Amazon ECS service deployments"). */
export interface HookPayload {
  readonly executionId: string;
  readonly lifecycleStage: string;
  /** The service deployment's ARN. */
  readonly resourceArn: string;
  readonly executionDetails: {
    readonly serviceArn: string;
    readonly targetServiceRevisionArn: string;
    /** Service revision ARN to its test traffic weight (percent). */
    readonly testTrafficWeights: Record<string, number>;
    /** Service revision ARN to its production traffic weight (percent). */
    readonly productionTrafficWeights: Record<string, number>;
  };
  readonly hookDetails?: unknown;
}
/** What the hook answers (anything: the world checks it is one of the documented answers). */
export type HookAnswer = unknown;
/** Invokes the Lambda function `functionArn` with `payload`; undefined: no such function. */
export type HookInvoker = (functionArn: string, payload: HookPayload) => Promise<HookAnswer> | HookAnswer;

const HOOK_STATUSES = new Set(['SUCCEEDED', 'FAILED', 'IN_PROGRESS']);
const HOOK_STAGES = new Set([
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
]);
/** Where a PAUSE hook may run: not TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT (ECS developer guide, "Pause hooks for Amazon ECS service deployments", Constraints). */
const PAUSE_STAGES = new Set([...HOOK_STAGES].filter((s) => s !== 'TEST_TRAFFIC_SHIFT' && s !== 'PRODUCTION_TRAFFIC_SHIFT'));
/** At most 10 pause hooks and 10 Lambda hooks per service (same page, Constraints). */
const MAX_HOOKS_PER_TYPE = 10;
const STRATEGIES = new Set(['ROLLING', 'BLUE_GREEN', 'CANARY', 'LINEAR']);
const TERMINAL = new Set<ServiceDeploymentStatus>(['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);
/** ECS's default callBackDelay for IN_PROGRESS (seconds). */
export const DEFAULT_CALLBACK_DELAY_S = 30;
/** How often the world checks whether a launching revision is steady. */
const STEADY_POLL_MS = 5_000;
/** A revision that is not steady within this long fails its deployment (the world's bound; ECS waits on its circuit breaker). */
const SCALE_UP_LIMIT_MS = 30 * 60_000;
/** Deployment events: ECS developer guide, "Amazon ECS service deployment state change events". */
export const DEPLOYMENT_STATE_CHANGE = 'ECS Deployment State Change';
/** Hook events: ECS developer guide, "Amazon ECS service deployment hook state change events". */
export const HOOK_STATE_CHANGE = 'ECS Hook State Change';
/** The hook state change event names the world emits for PAUSE hooks. */
export type HookEventName = 'HOOK_AWAITING_ACTION' | 'HOOK_SUCCEEDED' | 'HOOK_FAILED' | 'HOOK_TIMED_OUT';

interface RevisionRec {
  readonly arn: string;
  readonly serviceArn: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly loadBalancers: LoadBalancer[];
  readonly networkConfiguration?: NetworkConfiguration;
  readonly launchType?: string;
  readonly platformVersion?: string;
  readonly createdAt: number;
  /** The target group its tasks are registered in (undefined: no load balancer). */
  readonly targetGroupArn?: string;
  /** Its hidden task set in EcsWorld (undefined once retired). */
  taskSetId?: string;
}

interface HookRun {
  readonly hookId: string;
  /** The Lambda invocations' executionId (empty for a PAUSE hook). */
  readonly executionId: string;
  readonly hook: DeploymentLifecycleHook;
  readonly targetType: 'AWS_LAMBDA' | 'PAUSE';
  readonly stage: string;
  /** AWAITING_ACTION: a PAUSE hook waiting for ContinueServiceDeployment. */
  status: 'AWAITING_ACTION' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  readonly expiresAt: number;
  readonly timeoutAction: 'CONTINUE' | 'ROLLBACK';
  hookDetails: unknown;
  invocations: number;
  /** A PAUSE hook: lets its stage go on (CONTINUE, or a timeout with action CONTINUE). */
  readonly resume?: () => void;
}

/** One invocation of a hook as the world made it: what tests and the rehearsal's report read. */
export interface HookInvocationRecord {
  readonly at: number;
  readonly functionArn: string;
  readonly payload: HookPayload;
  readonly answer?: unknown;
  readonly error?: string;
}

interface DeploymentRec {
  readonly arn: string;
  /** `ecs-svc/<19 digits>`: the deploymentId of the state change events. */
  readonly deploymentId: string;
  readonly svc: NativeServiceRec;
  readonly source: RevisionRec | undefined;
  readonly target: RevisionRec;
  readonly config: DeploymentConfiguration;
  readonly strategy: string;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  stage?: ServiceDeploymentLifecycleStage;
  readonly createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  stoppedAt?: number;
  updatedAt: number;
  hooks: HookRun[];
  rollback?: { reason: string; startedAt: number; serviceRevisionArn?: string };
  alarmStatus: 'DISABLED' | 'MONITORING' | 'MONITORING_COMPLETE' | 'TRIGGERED';
  triggeredAlarms: string[];
  /** Alarms not in ALARM since the deployment started (only these can fail it). */
  armed: Set<string>;
  /** Production and test weights per revision ARN (percent). */
  prod: Record<string, number>;
  test: Record<string, number>;
  /** Bumped on every change of course: scheduled steps of an older generation do nothing. */
  gen: number;
  /** The traffic steps (percent of production on the target) and the current one. */
  readonly steps: number[];
  stepIndex: number;
  scaleUpSince?: number;
  readonly replaced?: string;
}

/** How a native service's traffic reaches it (what the shift rewrites). */
export type NativeTrafficShape = 'alb' | 'nlb' | 'service-connect' | 'headless';

interface NativeServiceRec {
  readonly arn: string;
  readonly cluster: string;
  readonly name: string;
  readonly clusterArn: string;
  readonly controller: 'ECS' | 'CODE_DEPLOY';
  config: DeploymentConfiguration;
  readonly loadBalancers: LoadBalancer[];
  readonly serviceConnect?: ServiceConnectConfiguration;
  readonly shape: NativeTrafficShape;
  /** Production weights per revision over time (what the Service Connect proxy or the listener routes). */
  readonly prodHistory: Array<{ at: number; weights: Record<string, number> }>;
  current: RevisionRec | undefined;
  readonly revisions: RevisionRec[];
  readonly deployments: DeploymentRec[];
  alarmTimer?: () => void;
}

export interface NativeSeed {
  readonly cluster: string;
  readonly service: string;
  /** The service's load balancer, with advancedConfiguration for BLUE_GREEN, CANARY and LINEAR. Omit: headless or Service Connect. */
  readonly loadBalancers?: LoadBalancer[];
  /** Service Connect (a client-server service: `services` names its endpoint); no load balancer. */
  readonly serviceConnectConfiguration?: ServiceConnectConfiguration;
  readonly deploymentConfiguration?: DeploymentConfiguration;
}

export class NativeDeployments implements NativeEnginePort {
  private readonly services = new Map<string, NativeServiceRec>();
  private readonly deployments = new Map<string, DeploymentRec>();
  private readonly revisions = new Map<string, RevisionRec>();
  /** Revision ARN to the task set it ran as (kept after the revision is retired, for traffic history). */
  private readonly taskSetOf = new Map<string, string>();
  private invoker: HookInvoker | undefined;
  /** Every hook invocation, in order. */
  readonly invocations: HookInvocationRecord[] = [];

  constructor(
    private readonly ctx: WorldContext,
    private readonly ecs: EcsWorld,
    private readonly elb: ElbWorld,
    private readonly alarmState: (name: string) => AlarmStateValue | undefined,
    private readonly alarmPollMs: number,
  ) {}

  private get now(): number {
    return this.ctx.clock.now();
  }
  private arn(resource: string): string {
    return `arn:aws:ecs:${this.ctx.region}:${this.ctx.accountId}:${resource}`;
  }

  /** Who answers Lambda lifecycle hooks (the test or the rehearsal). */
  setHookInvoker(fn: HookInvoker | undefined): void {
    this.invoker = fn;
  }

  // ------------------------------------------------------------------ seeding
  /** Register a seeded ECS or CODE_DEPLOY service: its running tasks become its first service revision. */
  register(seed: NativeSeed): { serviceArn: string; serviceRevisionArn?: string } {
    const rec = this.ecs.serviceRecord(seed.cluster, seed.service);
    if (!rec) throw new Error(`native: no ECS service ${seed.cluster}/${seed.service}`);
    if (rec.controller === 'EXTERNAL') throw new Error(`native: ${seed.cluster}/${seed.service} uses the EXTERNAL deployment controller`);
    const config = structuredClone(seed.deploymentConfiguration ?? {});
    const loadBalancers = structuredClone(seed.loadBalancers ?? []);
    const sc = seed.serviceConnectConfiguration ? structuredClone(seed.serviceConnectConfiguration) : undefined;
    if (sc) this.validateServiceConnect(sc, loadBalancers, this.ecs.revisionTaskSets(seed.cluster, seed.service)[0]?.taskDefinitionArn, 'createService');
    if (rec.controller === 'ECS') this.validateConfig(config, loadBalancers, 'createService', sc);
    const svc: NativeServiceRec = {
      arn: rec.arn,
      cluster: rec.cluster,
      name: rec.name,
      clusterArn: rec.clusterArn,
      controller: rec.controller,
      config: { maximumPercent: 200, minimumHealthyPercent: 100, strategy: 'ROLLING', ...config },
      loadBalancers,
      ...(sc ? { serviceConnect: sc } : {}),
      shape: this.shapeOf(loadBalancers, sc),
      prodHistory: [],
      current: undefined,
      revisions: [],
      deployments: [],
    };
    this.services.set(svc.arn, svc);
    const running = this.ecs.revisionTaskSets(seed.cluster, seed.service)[0];
    if (running) {
      const rev = this.newRevision(svc, { ...running, targetGroupArn: running.loadBalancers[0]?.targetGroupArn });
      rev.taskSetId = running.id;
      this.taskSetOf.set(rev.arn, running.id);
      svc.current = rev;
      svc.prodHistory.push({ at: Number.NEGATIVE_INFINITY, weights: { [rev.arn]: 100 } });
    }
    return { serviceArn: svc.arn, ...(svc.current ? { serviceRevisionArn: svc.current.arn } : {}) };
  }

  private newRevision(
    svc: NativeServiceRec,
    spec: { taskDefinitionArn: string; loadBalancers: LoadBalancer[]; networkConfiguration?: NetworkConfiguration; launchType?: string; platformVersion?: string; targetGroupArn: string | undefined },
  ): RevisionRec {
    const rev: RevisionRec = {
      arn: this.arn(`service-revision/${svc.cluster}/${svc.name}/${this.ctx.ids.digits(19)}`),
      serviceArn: svc.arn,
      clusterArn: svc.clusterArn,
      taskDefinitionArn: spec.taskDefinitionArn,
      loadBalancers: structuredClone(svc.loadBalancers),
      ...(spec.networkConfiguration ? { networkConfiguration: structuredClone(spec.networkConfiguration) } : {}),
      ...(spec.launchType ? { launchType: spec.launchType } : {}),
      ...(spec.platformVersion ? { platformVersion: spec.platformVersion } : {}),
      createdAt: this.now,
      ...(spec.targetGroupArn ? { targetGroupArn: spec.targetGroupArn } : {}),
    };
    svc.revisions.push(rev);
    this.revisions.set(rev.arn, rev);
    return rev;
  }

  // ------------------------------------------------------------------ validation
  private shapeOf(lbs: readonly LoadBalancer[], sc: ServiceConnectConfiguration | undefined): NativeTrafficShape {
    const lb = lbs[0];
    if (lb) {
      const rule = lb.advancedConfiguration?.productionListenerRule;
      const tg = lb.targetGroupArn;
      const type = (rule ? this.elb.loadBalancerType(rule) : undefined) ?? (tg ? this.elb.loadBalancerType(tg) : undefined);
      return type === 'network' ? 'nlb' : 'alb';
    }
    return sc?.enabled && (sc.services ?? []).length > 0 ? 'service-connect' : 'headless';
  }

  /**
   * ServiceConnectConfiguration as ECS takes it (ECS API reference, ServiceConnectConfiguration,
   * ServiceConnectService, ServiceConnectClientAlias, ServiceConnectTestTrafficRules): `enabled`;
   * the namespace (the world has no cluster default namespace: required); each service's `portName`
   * names a portMappings `name` of the task definition; `discoveryName` unique, at most 64 of
   * lowercase letters, digits, `_` and `-`, not starting with `-`; client alias ports 1-65535; a test
   * traffic rule needs a header name.
   */
  private validateServiceConnect(sc: ServiceConnectConfiguration, lbs: readonly LoadBalancer[], taskDefinitionArn: string | undefined, op: string): void {
    const bad = (m: string) => fault('InvalidParameterException', `${op}: serviceConnectConfiguration.${m}`);
    if (typeof sc.enabled !== 'boolean') throw bad('enabled is required (true or false).');
    if (!sc.enabled) return;
    if (!sc.namespace) throw bad('namespace is required: the Cloud Map namespace the service registers in (the world models no cluster default namespace).');
    if (lbs.length > 0) throw fault('InvalidParameterException', `${op}: the local world models Service Connect on services without a load balancer only (ECS's own deployments shift traffic at the Service Connect proxy).`);
    const td = taskDefinitionArn ? this.ecs.taskDefinitionRecord(taskDefinitionArn) : undefined;
    const portNames = new Set((td?.containerDefinitions ?? []).flatMap((c) => (c.portMappings ?? []).map((m) => m.name)).filter((n): n is string => !!n));
    const seen = new Set<string>();
    (sc.services ?? []).forEach((svc, k) => {
      if (!svc.portName) throw bad(`services[${k}].portName is required: the name of a portMappings entry of the task definition.`);
      if (td && !portNames.has(svc.portName)) throw bad(`services[${k}].portName '${svc.portName}' is not the name of a port mapping in ${td.taskDefinitionArn} (names: ${[...portNames].join(', ') || 'none'}).`);
      const dn = svc.discoveryName ?? svc.portName;
      if (!/^[a-z0-9_][a-z0-9_-]{0,63}$/.test(dn)) throw bad(`services[${k}].discoveryName '${dn}' must be 1-64 lowercase letters, digits, _ and -, not starting with -.`);
      if (seen.has(dn)) throw bad(`services[${k}].discoveryName '${dn}' is used twice.`);
      seen.add(dn);
      (svc.clientAliases ?? []).forEach((a, j) => {
        if (!(Number.isInteger(a.port) && (a.port as number) >= 1 && (a.port as number) <= 65535)) throw bad(`services[${k}].clientAliases[${j}].port must be 1-65535 (got ${String(a.port)}).`);
        if (a.testTrafficRules && !a.testTrafficRules.header?.name) throw bad(`services[${k}].clientAliases[${j}].testTrafficRules.header.name is required (the HTTP header that marks test traffic).`);
      });
    });
  }

  private validateConfig(c: DeploymentConfiguration, lbs: readonly LoadBalancer[], op: string, sc?: ServiceConnectConfiguration): void {
    const bad = (m: string) => fault('InvalidParameterException', `${op}: ${m}`);
    const strategy = c.strategy ?? 'ROLLING';
    if (!STRATEGIES.has(strategy)) throw bad(`deploymentConfiguration.strategy must be one of ROLLING, BLUE_GREEN, LINEAR, CANARY (got ${String(strategy)}).`);
    const tenths = (x: number) => Math.abs(Math.round(x * 10) - x * 10) < 1e-6;
    const minutes = (x: number | undefined, name: string) => {
      if (x !== undefined && !(Number.isInteger(x) && x >= 0 && x <= 1440)) throw bad(`${name} must be a whole number of minutes from 0 to 1440 (got ${x}).`);
    };
    minutes(c.bakeTimeInMinutes, 'deploymentConfiguration.bakeTimeInMinutes');
    if (c.linearConfiguration && strategy !== 'LINEAR') throw bad(`linearConfiguration is only valid with strategy LINEAR (strategy is ${strategy}).`);
    if (c.canaryConfiguration && strategy !== 'CANARY') throw bad(`canaryConfiguration is only valid with strategy CANARY (strategy is ${strategy}).`);
    if (c.linearConfiguration) {
      const p = c.linearConfiguration.stepPercent;
      if (p !== undefined && !(p >= 3 && p <= 100 && tenths(p))) throw bad(`linearConfiguration.stepPercent must be a multiple of 0.1 from 3.0 to 100.0 (got ${p}).`);
      minutes(c.linearConfiguration.stepBakeTimeInMinutes, 'linearConfiguration.stepBakeTimeInMinutes');
    }
    if (c.canaryConfiguration) {
      const p = c.canaryConfiguration.canaryPercent;
      if (p !== undefined && !(p >= 0.1 && p <= 100 && tenths(p))) throw bad(`canaryConfiguration.canaryPercent must be a multiple of 0.1 from 0.1 to 100.0 (got ${p}).`);
      minutes(c.canaryConfiguration.canaryBakeTimeInMinutes, 'canaryConfiguration.canaryBakeTimeInMinutes');
    }
    for (const h of c.lifecycleHooks ?? []) {
      const type = h.targetType ?? 'AWS_LAMBDA';
      if (type !== 'AWS_LAMBDA' && type !== 'PAUSE') throw bad(`lifecycleHooks[].targetType must be AWS_LAMBDA or PAUSE (got ${String(type)}).`);
      if (type === 'PAUSE') {
        // "Pause hooks do not use hookTargetArn or roleArn. These fields are only for Lambda hooks." (the
        // guide does not say how ECS answers them; the world refuses them rather than ignore them).
        if (h.hookTargetArn !== undefined) throw bad(`a PAUSE lifecycle hook takes no hookTargetArn (got ${h.hookTargetArn}): pause hooks do not use hookTargetArn or roleArn; remove it, or use targetType AWS_LAMBDA.`);
        if (h.roleArn !== undefined) throw bad(`a PAUSE lifecycle hook takes no roleArn (got ${h.roleArn}): pause hooks do not use hookTargetArn or roleArn; remove it.`);
      } else {
        if (!h.hookTargetArn || !/^arn:aws[a-z-]*:lambda:/.test(h.hookTargetArn)) throw bad(`lifecycleHooks[].hookTargetArn must be a Lambda function ARN (got ${String(h.hookTargetArn)}).`);
        if (!h.roleArn) throw bad(`lifecycleHooks[].roleArn is required: the role ECS assumes to invoke ${h.hookTargetArn}.`);
      }
      const stages = h.lifecycleStages ?? [];
      if (stages.length === 0) throw bad(`lifecycleHooks[].lifecycleStages must name at least one stage.`);
      for (const s of stages) if (!HOOK_STAGES.has(s)) throw bad(`lifecycleHooks[].lifecycleStages: '${s}' is not a lifecycle stage a hook can run at (${[...HOOK_STAGES].join(', ')}).`);
      if (type === 'PAUSE') {
        for (const s of stages) {
          if (!PAUSE_STAGES.has(s)) throw bad(`lifecycleHooks[].lifecycleStages: a PAUSE hook cannot be configured at ${s} (TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT are for AWS_LAMBDA hooks only); pause at ${[...PAUSE_STAGES].join(', ')} (PRE_PRODUCTION_TRAFFIC_SHIFT pauses before every production traffic step).`);
        }
      }
      const t = h.timeoutConfiguration;
      if (t?.timeoutInMinutes !== undefined && !(Number.isInteger(t.timeoutInMinutes) && t.timeoutInMinutes >= 1 && t.timeoutInMinutes <= 20160)) throw bad(`lifecycleHooks[].timeoutConfiguration.timeoutInMinutes must be 1..20160 (got ${t.timeoutInMinutes}).`);
      if (t?.action !== undefined && t.action !== 'CONTINUE' && t.action !== 'ROLLBACK') throw bad(`lifecycleHooks[].timeoutConfiguration.action must be CONTINUE or ROLLBACK (got ${String(t.action)}).`);
    }
    for (const type of ['PAUSE', 'AWS_LAMBDA'] as const) {
      const n = (c.lifecycleHooks ?? []).filter((h) => (h.targetType ?? 'AWS_LAMBDA') === type).length;
      if (n > MAX_HOOKS_PER_TYPE) throw bad(`lifecycleHooks: at most ${MAX_HOOKS_PER_TYPE} ${type} hooks per service (got ${n}).`);
    }
    if ((c.lifecycleHooks ?? []).length > 0 && strategy === 'ROLLING') throw bad('lifecycleHooks need strategy BLUE_GREEN, LINEAR or CANARY (the world models no lifecycle stages for ROLLING).');
    if (c.alarms?.enable && (c.alarms.alarmNames ?? []).length === 0) throw bad('deploymentConfiguration.alarms.alarmNames must name at least one alarm when enable is true.');
    if (strategy !== 'ROLLING') {
      const lb = lbs[0];
      if (!lb) {
        const meshed = sc?.enabled === true && (sc.services ?? []).length > 0;
        if (strategy !== 'BLUE_GREEN' && !meshed) {
          throw bad(`strategy ${strategy} shifts traffic in steps and needs a load balancer or Service Connect with a services entry (a headless service deploys with BLUE_GREEN only).`);
        }
      } else {
        const a = lb.advancedConfiguration;
        if (!a?.alternateTargetGroupArn || !a.productionListenerRule || !a.roleArn) {
          throw bad(`strategy ${strategy} with a load balancer needs loadBalancers[].advancedConfiguration with alternateTargetGroupArn, productionListenerRule and roleArn.`);
        }
        // AdvancedConfiguration: productionListenerRule / testListenerRule are a listener rule's ARN for
        // an Application Load Balancer and a listener's ARN for a Network Load Balancer.
        const type = this.elb.loadBalancerType(a.productionListenerRule);
        if (type === 'network') {
          if (!this.elb.hasListener(a.productionListenerRule)) {
            throw bad(`advancedConfiguration.productionListenerRule ${a.productionListenerRule} is a listener rule of a Network Load Balancer; for a Network Load Balancer give the listener's ARN.`);
          }
          if (a.testListenerRule) {
            if (!this.elb.hasListener(a.testListenerRule) || this.elb.loadBalancerType(a.testListenerRule) !== 'network') {
              throw bad(`advancedConfiguration.testListenerRule ${a.testListenerRule} must be a listener ARN of the same Network Load Balancer.`);
            }
            if (a.testListenerRule === a.productionListenerRule) throw bad('advancedConfiguration.testListenerRule must be another listener than productionListenerRule (test traffic has its own listener port).');
            if (this.elb.loadBalancerOfRoute(a.testListenerRule)?.arn !== this.elb.loadBalancerOfRoute(a.productionListenerRule)?.arn) {
              throw bad(`advancedConfiguration.testListenerRule ${a.testListenerRule} must be a listener of the same Network Load Balancer as productionListenerRule.`);
            }
          }
        } else {
          if (!this.elb.hasRule(a.productionListenerRule)) {
            throw bad(
              this.elb.hasListener(a.productionListenerRule)
                ? `advancedConfiguration.productionListenerRule ${a.productionListenerRule} is an Application Load Balancer listener; for an ALB give a listener rule's ARN (a listener ARN is for a Network Load Balancer).`
                : `advancedConfiguration.productionListenerRule ${a.productionListenerRule} is not a listener rule.`,
            );
          }
          if (a.testListenerRule && !this.elb.hasRule(a.testListenerRule)) throw bad(`advancedConfiguration.testListenerRule ${a.testListenerRule} is not a listener rule.`);
        }
        if (!this.elb.hasTargetGroup(a.alternateTargetGroupArn)) throw bad(`advancedConfiguration.alternateTargetGroupArn ${a.alternateTargetGroupArn} does not exist.`);
        if (a.alternateTargetGroupArn === lb.targetGroupArn) throw bad('advancedConfiguration.alternateTargetGroupArn must differ from the production target group.');
        const tgType = (arn: string | undefined) => (arn ? this.elb.targetGroupProtocol(arn) : undefined);
        const nlbTg = (arn: string | undefined) => ['TCP', 'TLS', 'UDP', 'TCP_UDP'].includes(tgType(arn) ?? '');
        if (type === 'network' && (!nlbTg(lb.targetGroupArn) || !nlbTg(a.alternateTargetGroupArn))) {
          throw bad(`the target groups of a Network Load Balancer service must use TCP, TLS, UDP or TCP_UDP (${lb.targetGroupArn}: ${tgType(lb.targetGroupArn)}, ${a.alternateTargetGroupArn}: ${tgType(a.alternateTargetGroupArn)}).`);
        }
      }
    }
  }

  // ------------------------------------------------------------------ UpdateService (port)
  updateService(i: UpdateServiceCommandInput, s: { arn: string; controller: 'ECS' | 'CODE_DEPLOY' }): void {
    const svc = this.services.get(s.arn);
    if (!svc) throw fault('InvalidParameterException', `The service ${s.arn} was not seeded with the native engine (World.createService deploymentController).`);
    if (svc.controller === 'CODE_DEPLOY') {
      // The answer ECS gives: deployments of CODE_DEPLOY services go through CodeDeploy.
      if (i.taskDefinition !== undefined || i.forceNewDeployment || i.loadBalancers !== undefined || i.networkConfiguration !== undefined) {
        throw fault('InvalidParameterException', 'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.');
      }
      if (i.deploymentConfiguration?.strategy !== undefined) throw fault('InvalidParameterException', 'deploymentConfiguration.strategy is only valid for services with the ECS deployment controller; this service uses CODE_DEPLOY.');
      return;
    }
    if (i.loadBalancers !== undefined) throw fault('InvalidParameterException', 'The local world keeps the load balancers a service was seeded with; UpdateService loadBalancers is not modelled.');
    if (i.serviceConnectConfiguration !== undefined) throw fault('InvalidParameterException', 'The local world keeps the Service Connect configuration a service was seeded with; UpdateService serviceConnectConfiguration is not modelled.');
    if (i.desiredCount !== undefined && !(Number.isInteger(i.desiredCount) && i.desiredCount >= 0)) throw fault('InvalidParameterException', 'desiredCount must be a non-negative integer.');
    const config: DeploymentConfiguration = i.deploymentConfiguration ? { ...svc.config, ...structuredClone(i.deploymentConfiguration) } : svc.config;
    if (i.deploymentConfiguration) {
      // A strategy change drops the other strategy's configuration.
      if (config.strategy !== 'LINEAR' && !i.deploymentConfiguration.linearConfiguration) delete config.linearConfiguration;
      if (config.strategy !== 'CANARY' && !i.deploymentConfiguration.canaryConfiguration) delete config.canaryConfiguration;
      this.validateConfig(config, svc.loadBalancers, 'UpdateService', svc.serviceConnect);
    }
    let taskDefinitionArn: string | undefined;
    if (i.taskDefinition !== undefined) {
      const td = this.ecs.taskDefinitionRecord(i.taskDefinition);
      if (!td?.taskDefinitionArn) throw fault('ClientException', 'Unable to describe task definition.');
      if (td.status !== 'ACTIVE') throw fault('ClientException', `TaskDefinition is inactive: ${td.taskDefinitionArn}`);
      taskDefinitionArn = td.taskDefinitionArn;
    }
    svc.config = config;
    if (taskDefinitionArn === undefined && !i.forceNewDeployment) return;
    this.start(svc, taskDefinitionArn ?? svc.current?.taskDefinitionArn, i.networkConfiguration);
  }

  // ------------------------------------------------------------------ the deployment
  private start(svc: NativeServiceRec, taskDefinitionArn: string | undefined, network: NetworkConfiguration | undefined): void {
    if (!taskDefinitionArn) throw fault('InvalidParameterException', 'The service has no task definition yet; give taskDefinition.');
    const source = svc.current;
    const lb = svc.loadBalancers[0];
    const strategy = svc.config.strategy ?? 'ROLLING';
    // The new revision runs on the target group that has no production traffic: the alternate one,
    // or back on the production one when the previous deployment moved to the alternate.
    const sourceTg = source?.targetGroupArn ?? lb?.targetGroupArn;
    const other = lb?.advancedConfiguration?.alternateTargetGroupArn;
    const targetTg = lb === undefined ? undefined : strategy === 'ROLLING' || !other ? lb.targetGroupArn : sourceTg === other ? lb.targetGroupArn : other;
    const sourceRunning = source?.taskSetId ? this.ecs.revisionTaskSets(svc.cluster, svc.name).find((t) => t.id === source.taskSetId) : undefined;
    const target = this.newRevision(svc, {
      taskDefinitionArn,
      loadBalancers: svc.loadBalancers,
      ...((network ?? sourceRunning?.networkConfiguration) ? { networkConfiguration: network ?? sourceRunning?.networkConfiguration } : {}),
      ...(sourceRunning?.launchType ? { launchType: sourceRunning.launchType } : {}),
      ...(sourceRunning?.platformVersion ? { platformVersion: sourceRunning.platformVersion } : {}),
      targetGroupArn: targetTg,
    });
    const inFlight = svc.deployments.find((d) => !TERMINAL.has(d.status));
    if (inFlight) {
      // A new deployment replaces the one in progress (its new revision is stopped, traffic back on its source).
      this.abandon(inFlight, `replaced by a new service deployment`);
    }
    const c = structuredClone(svc.config);
    const steps =
      strategy === 'CANARY'
        ? [round1(c.canaryConfiguration?.canaryPercent ?? 5), 100]
        : strategy === 'LINEAR'
          ? linearSteps(c.linearConfiguration?.stepPercent ?? 10)
          : [100];
    const id = this.ctx.ids.hex(22);
    const d: DeploymentRec = {
      arn: this.arn(`service-deployment/${svc.cluster}/${svc.name}/${id}`),
      deploymentId: `ecs-svc/${this.ctx.ids.digits(19)}`,
      svc,
      source,
      target,
      config: c,
      strategy,
      status: 'PENDING',
      createdAt: this.now,
      updatedAt: this.now,
      hooks: [],
      alarmStatus: c.alarms?.enable ? 'MONITORING' : 'DISABLED',
      triggeredAlarms: [],
      armed: new Set((c.alarms?.enable ? (c.alarms.alarmNames ?? []) : []).filter((n) => this.alarmState(n) !== 'ALARM')),
      prod: source ? { [source.arn]: 100, [target.arn]: 0 } : { [target.arn]: 0 },
      test: source ? { [source.arn]: 100, [target.arn]: 0 } : { [target.arn]: 0 },
      gen: 0,
      steps: steps.filter((p, k, all) => p > 0 && (k === 0 || p > (all[k - 1] as number))),
      stepIndex: 0,
      ...(inFlight ? { replaced: inFlight.arn } : {}),
    };
    svc.deployments.push(d);
    this.deployments.set(d.arn, d);
    d.status = 'IN_PROGRESS';
    d.startedAt = this.now;
    this.emitState(d, 'INFO', 'SERVICE_DEPLOYMENT_IN_PROGRESS', `ECS deployment ${d.deploymentId} in progress.`);
    this.watchAlarms(svc);
    if (strategy === 'ROLLING') {
      this.setStage(d, 'SCALE_UP');
      this.launchTarget(d);
      this.after(d, 0, () => this.waitSteady(d, () => this.finish(d)));
      return;
    }
    const first: ServiceDeploymentLifecycleStage = inFlight ? 'RECONCILE_SERVICE' : 'PRE_SCALE_UP';
    this.after(d, 0, () => this.enter(d, first));
  }

  /** Run `fn` at now + ms if the deployment is still on the same course. */
  private after(d: DeploymentRec, ms: number, fn: () => void | Promise<void>): void {
    const gen = d.gen;
    this.ctx.clock.at(this.now + ms, async () => {
      if (d.gen !== gen || TERMINAL.has(d.status)) return;
      await fn();
    });
  }

  private setStage(d: DeploymentRec, stage: ServiceDeploymentLifecycleStage): void {
    d.stage = stage;
    d.updatedAt = this.now;
  }

  /** The stages in order; each runs its work, then its hooks, then the next. */
  private enter(d: DeploymentRec, stage: ServiceDeploymentLifecycleStage): void {
    this.setStage(d, stage);
    const next = (s: ServiceDeploymentLifecycleStage) => () => this.enter(d, s);
    const hooksThen = (s: ServiceDeploymentLifecycleStage) => () => this.runHooks(d, stage, next(s));
    const steps: Record<ServiceDeploymentLifecycleStage, () => void> = {
      RECONCILE_SERVICE: hooksThen('PRE_SCALE_UP'),
      PRE_SCALE_UP: hooksThen('SCALE_UP'),
      SCALE_UP: () => {
        this.launchTarget(d);
        this.waitSteady(d, next('POST_SCALE_UP'));
      },
      POST_SCALE_UP: hooksThen('TEST_TRAFFIC_SHIFT'),
      TEST_TRAFFIC_SHIFT: () => {
        this.shift(d, 'test', 100);
        this.afterShift(d, hooksThen('POST_TEST_TRAFFIC_SHIFT'));
      },
      POST_TEST_TRAFFIC_SHIFT: hooksThen('PRODUCTION_TRAFFIC_SHIFT'),
      PRODUCTION_TRAFFIC_SHIFT: () => this.productionStep(d),
      POST_PRODUCTION_TRAFFIC_SHIFT: hooksThen('BAKE_TIME'),
      BAKE_TIME: () => this.after(d, (d.config.bakeTimeInMinutes ?? 0) * 60_000, next('CLEAN_UP')),
      CLEAN_UP: () => this.finish(d),
    };
    steps[stage]();
  }

  /** One production step: PRE_PRODUCTION_TRAFFIC_SHIFT hooks, the shift, PRODUCTION_TRAFFIC_SHIFT hooks, the step's bake. */
  private productionStep(d: DeploymentRec): void {
    const pct = d.steps[d.stepIndex] as number;
    this.runHooks(d, 'PRE_PRODUCTION_TRAFFIC_SHIFT', () => {
      this.shift(d, 'prod', pct);
      this.afterShift(d, () => this.runHooks(d, 'PRODUCTION_TRAFFIC_SHIFT', () => {
        if (d.stepIndex + 1 >= d.steps.length) return this.enter(d, 'POST_PRODUCTION_TRAFFIC_SHIFT');
        const bake = d.strategy === 'CANARY' ? (d.config.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10) : (d.config.linearConfiguration?.stepBakeTimeInMinutes ?? 6);
        d.stepIndex++;
        this.after(d, bake * 60_000, () => this.productionStep(d));
      }));
    });
  }

  /** Run `then` after ECS's added delay at a traffic-shift stage behind a Network Load Balancer (at once otherwise). */
  private afterShift(d: DeploymentRec, then: () => void): void {
    const delay = d.svc.shape === 'nlb' ? this.ctx.settings.nativeNlbShiftDelayMs : 0;
    if (delay > 0) this.after(d, delay, then);
    else then();
  }

  private launchTarget(d: DeploymentRec): void {
    const lb = d.svc.loadBalancers[0];
    const tg = d.target.targetGroupArn;
    const loadBalancers = lb && tg ? [{ targetGroupArn: tg, containerName: lb.containerName, containerPort: lb.containerPort }] : [];
    d.target.taskSetId = this.launchRecorded(d, {
      taskDefinitionArn: d.target.taskDefinitionArn,
      loadBalancers,
      ...(d.target.networkConfiguration ? { networkConfiguration: d.target.networkConfiguration } : {}),
      ...(d.target.launchType ? { launchType: d.target.launchType } : {}),
      ...(d.target.platformVersion ? { platformVersion: d.target.platformVersion } : {}),
      scalePercent: 100,
    });
    d.scaleUpSince = this.now;
  }

  private launchRecorded(d: DeploymentRec, spec: Parameters<EcsWorld['launchRevision']>[2]): string {
    const id = this.ecs.launchRevision(d.svc.cluster, d.svc.name, spec);
    this.taskSetOf.set(d.target.arn, id);
    return id;
  }

  private waitSteady(d: DeploymentRec, then: () => void): void {
    const id = d.target.taskSetId;
    if (id && this.ecs.revisionState(id).steady) {
      then();
      return;
    }
    if (this.now - (d.scaleUpSince ?? this.now) >= SCALE_UP_LIMIT_MS) {
        this.fail(d, `ECS deployment ${d.deploymentId}: the target service revision did not reach a steady state within ${SCALE_UP_LIMIT_MS / 60_000} minutes.`);
        return;
    }
    this.after(d, STEADY_POLL_MS, () => this.waitSteady(d, then));
  }

  /** Set production or test traffic to `pct` % on the target revision (the rest on the source). */
  private shift(d: DeploymentRec, which: 'prod' | 'test', pct: number): void {
    const w = which === 'prod' ? d.prod : d.test;
    w[d.target.arn] = pct;
    if (d.source) w[d.source.arn] = round1(100 - pct);
    const a = d.svc.loadBalancers[0]?.advancedConfiguration;
    const rule = which === 'prod' ? a?.productionListenerRule : a?.testListenerRule;
    if (rule && d.target.targetGroupArn) {
      if (d.svc.shape === 'nlb') this.writeListenerWeights(rule, d.target.targetGroupArn, pct, d.source?.targetGroupArn);
      else this.writeWeights(rule, d.target.targetGroupArn, pct, d.source?.targetGroupArn);
    }
    if (which === 'prod') d.svc.prodHistory.push({ at: this.now, weights: { ...d.prod } });
    d.updatedAt = this.now;
  }

  /** NLB: rewrite the listener's default forward (weighted target groups, integer weights). */
  private writeListenerWeights(listenerArn: string, targetTg: string, pct: number, otherTg: string | undefined): void {
    const listener = this.elb.describeListeners({ ListenerArns: [listenerArn] }).Listeners?.[0];
    if (!listener) throw new Error(`native: no listener ${listenerArn}`);
    const onTarget = Math.round(pct);
    const fwd = (listener.DefaultActions ?? []).find((x) => x.Type === 'forward');
    const groups = fwd?.ForwardConfig?.TargetGroups ?? (fwd?.TargetGroupArn ? [{ TargetGroupArn: fwd.TargetGroupArn }] : []);
    const arns = new Set(groups.map((g) => g.TargetGroupArn as string));
    if (otherTg) arns.add(otherTg);
    arns.add(targetTg);
    this.elb.modifyListener({
      ListenerArn: listenerArn,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [...arns].map((arn) => ({ TargetGroupArn: arn, Weight: arn === targetTg ? onTarget : 100 - onTarget })),
            ...(fwd?.ForwardConfig?.TargetGroupStickinessConfig ? { TargetGroupStickinessConfig: fwd.ForwardConfig.TargetGroupStickinessConfig } : {}),
          },
        },
      ],
    });
  }

  /** Rewrite the rule's forward: `targetTg` at `pct`, the other group at the rest (ALB weights are integers). */
  private writeWeights(ruleArn: string, targetTg: string, pct: number, otherTg: string | undefined): void {
    const rule = this.elb.describeRules({ RuleArns: [ruleArn] }).Rules?.[0];
    if (!rule) throw new Error(`native: no rule ${ruleArn}`);
    const onTarget = Math.round(pct);
    const actions = (rule.Actions ?? []).map((a): Action => {
      if (a.Type !== 'forward') return a;
      const groups = a.ForwardConfig?.TargetGroups ?? (a.TargetGroupArn ? [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }] : []);
      const arns = new Set(groups.map((g) => g.TargetGroupArn));
      if (otherTg) arns.add(otherTg);
      arns.add(targetTg);
      const { TargetGroupArn: _plain, ...rest } = a;
      return {
        ...rest,
        ForwardConfig: {
          ...(a.ForwardConfig ?? {}),
          TargetGroups: [...arns].map((arn) => ({ TargetGroupArn: arn, Weight: arn === targetTg ? onTarget : 100 - onTarget })),
        },
      };
    });
    this.elb.modifyRule({ RuleArn: ruleArn, Actions: actions });
  }

  // ------------------------------------------------------------------ hooks
  /**
   * Run every hook configured at `stage` in parallel, then `then` (ECS developer guide, "Pause hooks
   * for Amazon ECS service deployments", Multiple hooks at the same stage: "All hooks configured at
   * the same lifecycle stage run in parallel"; the deployment goes on only when all of them are done,
   * and a rollback by any one rolls the whole deployment back). Each Lambda hook is invoked at the
   * stage's start with its own executionId, IN_PROGRESS / callBackDelay / hookDetails cycle and
   * timeout; each pause hook awaits its own ContinueServiceDeployment. The stage is done when every
   * Lambda hook SUCCEEDED (or timed out with action CONTINUE) and every pause hook is continued; the
   * first FAILED answer, invalid answer, failed invocation or ROLLBACK timeout rolls back ({@link fail}
   * bumps the deployment's generation, so the other hooks are not invoked again).
   */
  private runHooks(d: DeploymentRec, stage: string, then: () => void): void {
    const atStage = (d.config.lifecycleHooks ?? []).filter((h) => (h.lifecycleStages ?? []).includes(stage as never));
    const lambdas = atStage.filter((h) => (h.targetType ?? 'AWS_LAMBDA') === 'AWS_LAMBDA');
    const pauses = atStage.filter((h) => h.targetType === 'PAUSE');
    let open = lambdas.length + pauses.length;
    if (open === 0) {
      then();
      return;
    }
    const settled = (): void => {
      open--;
      if (open === 0) then();
    };
    for (const p of pauses) this.pause(d, p, stage, settled);
    const runs = lambdas.map((hook): HookRun => {
      const timeout = hook.timeoutConfiguration;
      return {
        hookId: this.ctx.ids.uuid(),
        executionId: this.ctx.ids.uuid(),
        hook,
        targetType: 'AWS_LAMBDA',
        stage,
        status: 'IN_PROGRESS',
        expiresAt: this.now + (timeout?.timeoutInMinutes ?? 1440) * 60_000,
        timeoutAction: timeout?.action ?? 'ROLLBACK',
        hookDetails: hook.hookDetails === undefined ? undefined : structuredClone(hook.hookDetails),
        invocations: 0,
      };
    });
    d.hooks.push(...runs);
    // One timer starts them all: every first invocation is made before any answer is acted on, whatever
    // the clock (a clock that awaits each timer in turn would otherwise let a FAILED answer from the
    // first hook keep the second from being invoked at all).
    if (runs.length === 0) return;
    this.after(d, 0, async () => {
      await Promise.all(runs.map((h) => this.invoke(d, h, settled)));
    });
  }

  /**
   * A PAUSE hook reached (ECS developer guide, "Pause hooks for Amazon ECS service deployments"): ECS
   * generates a hookId (`ecs-pause-` + 43 URL-safe base64 characters, as in the guide's examples), the
   * hook is AWAITING_ACTION with expiresAt and timeoutAction, and an "ECS Hook State Change" event
   * HOOK_AWAITING_ACTION is sent. ContinueServiceDeployment CONTINUE calls `resume`; ROLLBACK rolls
   * back; at expiresAt the hook is TIMED_OUT and takes timeoutConfiguration.action (default ROLLBACK
   * after 1440 minutes).
   */
  private pause(d: DeploymentRec, hook: DeploymentLifecycleHook, stage: string, resume: () => void): void {
    const timeoutMs = (hook.timeoutConfiguration?.timeoutInMinutes ?? 1440) * 60_000;
    const h: HookRun = {
      hookId: `ecs-pause-${urlSafeId(this.ctx.ids, 43)}`,
      executionId: '',
      hook,
      targetType: 'PAUSE',
      stage,
      status: 'AWAITING_ACTION',
      expiresAt: this.now + timeoutMs,
      timeoutAction: hook.timeoutConfiguration?.action ?? 'ROLLBACK',
      hookDetails: undefined,
      invocations: 0,
      resume,
    };
    d.hooks.push(h);
    d.updatedAt = this.now;
    this.emitHook(d, h, 'HOOK_AWAITING_ACTION');
    this.after(d, timeoutMs, () => {
      if (h.status !== 'AWAITING_ACTION') return;
      h.status = 'TIMED_OUT';
      d.updatedAt = this.now;
      this.emitHook(d, h, 'HOOK_TIMED_OUT');
      if (h.timeoutAction === 'CONTINUE') return resume();
      this.fail(d, `Pause hook ${h.hookId} at ${stage} timed out.`);
    });
  }

  /**
   * "ECS Hook State Change" (ECS developer guide, "Amazon ECS service deployment hook state change
   * events"): resources [the service deployment], detail eventType, eventName, hookId, hookType,
   * expiresAt, lifecycleStage, clusterArn, serviceArn, serviceDeploymentArn, updatedAt. The guide's
   * examples are INFO (HOOK_AWAITING_ACTION); the world sends ERROR for HOOK_FAILED and HOOK_TIMED_OUT.
   */
  private emitHook(d: DeploymentRec, h: HookRun, eventName: HookEventName): void {
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.ctx.emit({
      version: '0',
      id: this.ctx.ids.uuid(),
      'detail-type': HOOK_STATE_CHANGE,
      source: 'aws.ecs',
      account: this.ctx.accountId,
      time: iso(this.now),
      region: this.ctx.region,
      resources: [d.arn],
      detail: {
        eventType: eventName === 'HOOK_FAILED' || eventName === 'HOOK_TIMED_OUT' ? 'ERROR' : 'INFO',
        eventName,
        hookId: h.hookId,
        hookType: h.targetType,
        expiresAt: iso(h.expiresAt),
        lifecycleStage: h.stage,
        clusterArn: d.svc.clusterArn,
        serviceArn: d.svc.arn,
        serviceDeploymentArn: d.arn,
        updatedAt: new Date(this.now).toISOString(),
      },
    });
  }

  /** The deployment rolls back or ends: hooks still running end FAILED (a pause hook with its HOOK_FAILED event). */
  private endHooks(d: DeploymentRec): void {
    for (const h of d.hooks) {
      if (h.status === 'IN_PROGRESS') h.status = 'FAILED';
      else if (h.status === 'AWAITING_ACTION') {
        h.status = 'FAILED';
        this.emitHook(d, h, 'HOOK_FAILED');
      }
    }
  }

  private async invoke(d: DeploymentRec, h: HookRun, then: () => void): Promise<void> {
    const fn = h.hook.hookTargetArn as string;
    if (this.now >= h.expiresAt) {
      h.status = 'TIMED_OUT';
      if (h.timeoutAction === 'CONTINUE') return then();
      return this.fail(d, `Lifecycle hook ${fn} at ${h.stage} timed out.`);
    }
    const payload: HookPayload = {
      executionId: h.executionId,
      lifecycleStage: h.stage,
      resourceArn: d.arn,
      executionDetails: {
        serviceArn: d.svc.arn,
        targetServiceRevisionArn: d.target.arn,
        testTrafficWeights: { ...d.test },
        productionTrafficWeights: { ...d.prod },
      },
      ...(h.hookDetails !== undefined ? { hookDetails: structuredClone(h.hookDetails) } : {}),
    };
    h.invocations++;
    const gen = d.gen;
    const at = this.now;
    let answer: unknown;
    try {
      if (!this.invoker) throw new Error('ResourceNotFoundException: no function answers lifecycle hooks in this world (setHookInvoker)');
      answer = await this.invoker(fn, structuredClone(payload));
    } catch (e) {
      this.invocations.push({ at, functionArn: fn, payload, error: (e as Error).message });
      if (d.gen !== gen || TERMINAL.has(d.status)) return;
      h.status = 'FAILED';
      return this.fail(d, `Lifecycle hook ${fn} at ${h.stage} failed: ${(e as Error).message}`);
    }
    this.invocations.push({ at, functionArn: fn, payload, answer: clone(answer) });
    if (d.gen !== gen || TERMINAL.has(d.status)) return;
    const a = answer as { hookStatus?: unknown; callBackDelay?: unknown; hookDetails?: unknown } | null;
    const status = a && typeof a === 'object' ? a.hookStatus : undefined;
    const delay = a && typeof a === 'object' ? a.callBackDelay : undefined;
    if (typeof status !== 'string' || !HOOK_STATUSES.has(status) || (delay !== undefined && !(typeof delay === 'number' && Number.isInteger(delay) && delay >= 0))) {
      h.status = 'FAILED';
      return this.fail(d, `Lifecycle hook ${fn} at ${h.stage} returned no valid hookStatus (SUCCEEDED, FAILED or IN_PROGRESS with an optional whole-second callBackDelay): ${JSON.stringify(answer) ?? 'undefined'}`);
    }
    if (status === 'SUCCEEDED') {
      h.status = 'SUCCEEDED';
      return then();
    }
    if (status === 'FAILED') {
      h.status = 'FAILED';
      return this.fail(d, `Lifecycle hook ${fn} returned FAILED at ${h.stage}.`);
    }
    if (a && a.hookDetails !== undefined) h.hookDetails = clone(a.hookDetails);
    this.after(d, ((delay as number | undefined) ?? DEFAULT_CALLBACK_DELAY_S) * 1000, () => this.invoke(d, h, then));
  }

  // ------------------------------------------------------------------ alarms
  private watchAlarms(svc: NativeServiceRec): void {
    if (svc.alarmTimer) return;
    svc.alarmTimer = this.ctx.clock.every(this.alarmPollMs, () => this.pollAlarms(svc));
  }

  private pollAlarms(svc: NativeServiceRec): void {
    const d = svc.deployments.find((x) => x.status === 'IN_PROGRESS');
    if (!d) {
      svc.alarmTimer?.();
      svc.alarmTimer = undefined;
      return;
    }
    if (d.alarmStatus !== 'MONITORING') return;
    const names = d.config.alarms?.alarmNames ?? [];
    const firing: string[] = [];
    for (const n of names) {
      const v = this.alarmState(n);
      if (v !== 'ALARM') d.armed.add(n);
      else if (d.armed.has(n)) firing.push(n);
    }
    if (firing.length === 0) return;
    d.alarmStatus = 'TRIGGERED';
    d.triggeredAlarms = firing;
    const reason = `ECS deployment ${d.deploymentId} failed: alarm(s) ${firing.join(', ')} in ALARM state.`;
    if (d.config.alarms?.rollback) this.fail(d, reason);
    else this.abandon(d, reason);
  }

  // ------------------------------------------------------------------ ends
  private finish(d: DeploymentRec): void {
    if (d.source?.taskSetId) this.ecs.retireRevision(d.source.taskSetId);
    if (d.source) d.source.taskSetId = undefined;
    d.svc.current = d.target;
    if (d.prod[d.target.arn] !== 100) d.svc.prodHistory.push({ at: this.now, weights: { [d.target.arn]: 100 } });
    d.status = 'SUCCESSFUL';
    d.statusReason = 'Service deployment completed successfully.';
    d.finishedAt = this.now;
    d.updatedAt = this.now;
    if (d.alarmStatus === 'MONITORING') d.alarmStatus = 'MONITORING_COMPLETE';
    this.emitState(d, 'INFO', 'SERVICE_DEPLOYMENT_COMPLETED', `ECS deployment ${d.deploymentId} completed.`);
  }

  /** A failed deployment (hook FAILED, invalid answer, alarm with rollback): ECS rolls back at once. */
  private fail(d: DeploymentRec, reason: string): void {
    this.emitState(d, 'ERROR', 'SERVICE_DEPLOYMENT_FAILED', reason);
    this.rollBack(d, reason, 'ROLLBACK_IN_PROGRESS');
  }

  private rollBack(d: DeploymentRec, reason: string, first: 'ROLLBACK_REQUESTED' | 'ROLLBACK_IN_PROGRESS'): void {
    d.gen++;
    d.status = first;
    d.statusReason = reason;
    d.updatedAt = this.now;
    d.rollback = { reason, startedAt: this.now, ...(d.source ? { serviceRevisionArn: d.source.arn } : {}) };
    this.endHooks(d);
    this.emitState(d, 'INFO', 'SERVICE_DEPLOYMENT_IN_PROGRESS', `ECS deployment ${d.deploymentId} rolling back to ${d.source?.arn ?? 'no revision'}: ${reason}`);
    const gen = d.gen;
    this.ctx.clock.at(this.now, () => {
      if (d.gen !== gen) return;
      d.status = 'ROLLBACK_IN_PROGRESS';
      d.updatedAt = this.now;
      // Traffic back on the source revision, then the target revision's tasks stop.
      if (d.prod[d.target.arn] !== 0 || d.test[d.target.arn] !== 0) {
        this.shift(d, 'prod', 0);
        this.shift(d, 'test', 0);
      }
      if (d.source?.taskSetId) this.ecs.scaleRevision(d.source.taskSetId, 100);
      if (d.target.taskSetId) this.ecs.retireRevision(d.target.taskSetId);
      d.target.taskSetId = undefined;
      const done = () => {
        if (d.gen !== gen) return;
        const id = d.source?.taskSetId;
        if (id && !this.ecs.revisionState(id).steady) {
          this.ctx.clock.at(this.now + STEADY_POLL_MS, done);
          return;
        }
        d.status = 'ROLLBACK_SUCCESSFUL';
        d.finishedAt = this.now;
        d.updatedAt = this.now;
        this.emitState(d, 'INFO', 'SERVICE_DEPLOYMENT_COMPLETED', `ECS deployment ${d.deploymentId} rolled back to ${d.source?.arn ?? 'no revision'}.`);
      };
      done();
    });
  }

  /** A deployment that ends without rollback (an alarm without rollback, or replaced): STOPPED. */
  private abandon(d: DeploymentRec, reason: string): void {
    d.gen++;
    if (d.prod[d.target.arn] !== 0 || d.test[d.target.arn] !== 0) {
      this.shift(d, 'prod', 0);
      this.shift(d, 'test', 0);
    }
    if (d.target.taskSetId) this.ecs.retireRevision(d.target.taskSetId);
    d.target.taskSetId = undefined;
    this.endHooks(d);
    d.status = 'STOPPED';
    d.statusReason = reason;
    d.stoppedAt = this.now;
    d.finishedAt = this.now;
    d.updatedAt = this.now;
    this.emitState(d, 'ERROR', 'SERVICE_DEPLOYMENT_FAILED', reason);
  }

  private emitState(d: DeploymentRec, eventType: 'INFO' | 'ERROR', eventName: string, reason: string): void {
    const time = new Date(this.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const event: AwsEvent = {
      version: '0',
      id: this.ctx.ids.uuid(),
      'detail-type': DEPLOYMENT_STATE_CHANGE,
      source: 'aws.ecs',
      account: this.ctx.accountId,
      time,
      region: this.ctx.region,
      resources: [d.svc.arn],
      detail: { eventType, eventName, deploymentId: d.deploymentId, updatedAt: new Date(this.now).toISOString(), reason },
    };
    this.ctx.emit(event);
  }

  // ------------------------------------------------------------------ API
  operations(): Record<string, (input: never) => unknown> {
    return {
      DescribeServiceDeployments: (i: DescribeServiceDeploymentsCommandInput) => this.describeServiceDeployments(i),
      ListServiceDeployments: (i: ListServiceDeploymentsCommandInput) => this.listServiceDeployments(i),
      DescribeServiceRevisions: (i: DescribeServiceRevisionsCommandInput) => this.describeServiceRevisions(i),
      StopServiceDeployment: (i: StopServiceDeploymentCommandInput) => this.stopServiceDeployment(i),
      ContinueServiceDeployment: (i: ContinueServiceDeploymentCommandInput) => this.continueServiceDeployment(i),
    };
  }

  private summary(rev: RevisionRec, d: DeploymentRec): NonNullable<ServiceDeployment['targetServiceRevision']> {
    const state = rev.taskSetId ? this.ecs.revisionState(rev.taskSetId) : { running: 0, pending: 0, desired: 0 };
    return {
      arn: rev.arn,
      requestedTaskCount: state.desired,
      runningTaskCount: state.running,
      pendingTaskCount: state.pending,
      requestedTestTrafficWeight: d.test[rev.arn] ?? 0,
      requestedProductionTrafficWeight: d.prod[rev.arn] ?? 0,
    };
  }

  private deploymentView(d: DeploymentRec): ServiceDeployment {
    const hooks: DeploymentLifecycleHookDetail[] = d.hooks
      .filter((h) => h.stage === d.stage || (d.stage === 'PRODUCTION_TRAFFIC_SHIFT' && h.stage === 'PRE_PRODUCTION_TRAFFIC_SHIFT'))
      .map((h) => ({
        hookId: h.hookId,
        targetType: h.targetType,
        // "For PAUSE hooks, this field is not set." (API reference, DeploymentLifecycleHookDetail)
        ...(h.targetType === 'AWS_LAMBDA' ? { targetArn: h.hook.hookTargetArn } : {}),
        status: h.status,
        expiresAt: new Date(h.expiresAt),
        timeoutAction: h.timeoutAction,
      }));
    return {
      serviceDeploymentArn: d.arn,
      serviceArn: d.svc.arn,
      clusterArn: d.svc.clusterArn,
      createdAt: new Date(d.createdAt),
      ...(d.startedAt !== undefined ? { startedAt: new Date(d.startedAt) } : {}),
      ...(d.finishedAt !== undefined ? { finishedAt: new Date(d.finishedAt) } : {}),
      ...(d.stoppedAt !== undefined ? { stoppedAt: new Date(d.stoppedAt) } : {}),
      updatedAt: new Date(d.updatedAt),
      sourceServiceRevisions: d.source ? [this.summary(d.source, d)] : [],
      targetServiceRevision: this.summary(d.target, d),
      status: d.status,
      ...(d.statusReason ? { statusReason: d.statusReason } : {}),
      ...(d.stage ? { lifecycleStage: d.stage } : {}),
      ...(hooks.length > 0 ? { lifecycleHookDetails: hooks } : {}),
      deploymentConfiguration: structuredClone(d.config),
      ...(d.rollback ? { rollback: { reason: d.rollback.reason, startedAt: new Date(d.rollback.startedAt), ...(d.rollback.serviceRevisionArn ? { serviceRevisionArn: d.rollback.serviceRevisionArn } : {}) } } : {}),
      deploymentCircuitBreaker: { status: 'DISABLED', failureCount: 0, threshold: 0 },
      alarms: {
        status: d.alarmStatus,
        ...(d.config.alarms?.alarmNames ? { alarmNames: [...d.config.alarms.alarmNames] } : {}),
        ...(d.triggeredAlarms.length > 0 ? { triggeredAlarmNames: [...d.triggeredAlarms] } : {}),
      },
    };
  }

  describeServiceDeployments(i: DescribeServiceDeploymentsCommandInput): Out<DescribeServiceDeploymentsCommandOutput> {
    const arns = i.serviceDeploymentArns ?? [];
    if (arns.length === 0 || arns.length > 20) throw fault('InvalidParameterException', 'serviceDeploymentArns must list between 1 and 20 service deployments.');
    const serviceDeployments: ServiceDeployment[] = [];
    const failures: Failure[] = [];
    for (const arn of arns) {
      const d = this.deployments.get(arn);
      if (d) serviceDeployments.push(this.deploymentView(d));
      else failures.push({ arn, reason: 'MISSING' });
    }
    return { serviceDeployments, failures };
  }

  listServiceDeployments(i: ListServiceDeploymentsCommandInput): Out<ListServiceDeploymentsCommandOutput> {
    if (!i.service) throw fault('InvalidParameterException', 'service is required.');
    const rec = this.ecs.serviceRecord(i.cluster ?? 'default', i.service);
    if (!rec) throw fault('ServiceNotFoundException', 'Service not found.');
    const svc = this.services.get(rec.arn);
    const max = i.maxResults ?? 20;
    if (!(Number.isInteger(max) && max >= 1 && max <= 100)) throw fault('InvalidParameterException', 'maxResults must be between 1 and 100.');
    const start = i.nextToken === undefined ? 0 : Number(i.nextToken);
    if (!Number.isInteger(start) || start < 0) throw fault('InvalidParameterException', 'Invalid nextToken.');
    const wanted = i.status && i.status.length > 0 ? new Set(i.status) : undefined;
    const all = [...(svc?.deployments ?? [])].reverse().filter((d) => !wanted || wanted.has(d.status));
    const page = all.slice(start, start + max);
    return {
      serviceDeployments: page.map((d) => ({
        serviceDeploymentArn: d.arn,
        serviceArn: d.svc.arn,
        clusterArn: d.svc.clusterArn,
        createdAt: new Date(d.createdAt),
        ...(d.startedAt !== undefined ? { startedAt: new Date(d.startedAt) } : {}),
        ...(d.finishedAt !== undefined ? { finishedAt: new Date(d.finishedAt) } : {}),
        targetServiceRevisionArn: d.target.arn,
        status: d.status,
        ...(d.statusReason ? { statusReason: d.statusReason } : {}),
      })),
      ...(start + max < all.length ? { nextToken: String(start + max) } : {}),
    };
  }

  describeServiceRevisions(i: DescribeServiceRevisionsCommandInput): Out<DescribeServiceRevisionsCommandOutput> {
    const arns = i.serviceRevisionArns ?? [];
    if (arns.length === 0 || arns.length > 20) throw fault('InvalidParameterException', 'serviceRevisionArns must list between 1 and 20 service revisions.');
    const serviceRevisions: ServiceRevision[] = [];
    const failures: Failure[] = [];
    for (const arn of arns) {
      const r = this.revisions.get(arn);
      if (!r) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      const td = this.ecs.taskDefinitionRecord(r.taskDefinitionArn);
      serviceRevisions.push({
        serviceRevisionArn: r.arn,
        serviceArn: r.serviceArn,
        clusterArn: r.clusterArn,
        taskDefinition: r.taskDefinitionArn,
        ...(r.launchType ? { launchType: r.launchType as ServiceRevision['launchType'] } : {}),
        ...(r.platformVersion ? { platformVersion: r.platformVersion } : {}),
        loadBalancers: structuredClone(r.loadBalancers),
        ...(this.services.get(r.serviceArn)?.serviceConnect ? { serviceConnectConfiguration: structuredClone(this.services.get(r.serviceArn)?.serviceConnect) } : {}),
        ...(r.networkConfiguration ? { networkConfiguration: structuredClone(r.networkConfiguration) } : {}),
        containerImages: (td?.containerDefinitions ?? []).map((c) => ({
          containerName: c.name,
          image: c.image,
          ...(this.ctx.digestOfImage(c.image) ? { imageDigest: this.ctx.digestOfImage(c.image) } : {}),
        })),
        createdAt: new Date(r.createdAt),
      });
    }
    return { serviceRevisions, failures };
  }

  stopServiceDeployment(i: StopServiceDeploymentCommandInput): Out<StopServiceDeploymentCommandOutput> {
    if (!i.serviceDeploymentArn) throw fault('InvalidParameterException', 'serviceDeploymentArn is required.');
    if (i.stopType !== undefined && i.stopType !== 'ROLLBACK') throw fault('InvalidParameterException', `stopType ${String(i.stopType)} is not supported: the valid value is ROLLBACK.`);
    const d = this.deployments.get(i.serviceDeploymentArn);
    if (!d) throw fault('ServiceDeploymentNotFoundException', `The service deployment ${i.serviceDeploymentArn} does not exist.`);
    if (TERMINAL.has(d.status)) throw fault('ConflictException', `The service deployment is ${d.status} and can no longer be stopped.`);
    if (d.status === 'PENDING' || d.status === 'IN_PROGRESS') this.rollBack(d, 'Service deployment rolled back because of a StopServiceDeployment request (stopType ROLLBACK).', 'ROLLBACK_REQUESTED');
    return { serviceDeploymentArn: d.arn };
  }

  /**
   * ContinueServiceDeployment (ECS API reference; ECS developer guide, "Continuing service
   * deployments"): on an IN_PROGRESS deployment, a PAUSE hook in AWAITING_ACTION goes on (CONTINUE,
   * the default: the hook SUCCEEDED, its stage goes on once every hook of the stage is done) or rolls
   * the deployment back (ROLLBACK: the hook FAILED, then as StopServiceDeployment ROLLBACK). The API
   * reference lists AccessDeniedException, ClientException, InvalidParameterException, ServerException,
   * ServiceDeploymentNotFoundException, UnsupportedFeatureException (no ConflictException) and does not
   * say which answers a hook that is not awaiting action: the world answers InvalidParameterException.
   */
  continueServiceDeployment(i: ContinueServiceDeploymentCommandInput): Out<ContinueServiceDeploymentCommandOutput> {
    if (!i.serviceDeploymentArn) throw fault('InvalidParameterException', 'serviceDeploymentArn is required.');
    if (!i.hookId) throw fault('InvalidParameterException', 'hookId is required: the hookId of a PAUSE hook in AWAITING_ACTION (DescribeServiceDeployments lifecycleHookDetails).');
    const action = i.action ?? 'CONTINUE';
    if (action !== 'CONTINUE' && action !== 'ROLLBACK') throw fault('InvalidParameterException', `action ${String(i.action)} is not valid: the valid values are CONTINUE and ROLLBACK.`);
    const d = this.deployments.get(i.serviceDeploymentArn);
    if (!d) throw fault('ServiceDeploymentNotFoundException', `The service deployment ${i.serviceDeploymentArn} does not exist.`);
    if (d.status !== 'IN_PROGRESS') throw fault('InvalidParameterException', `The service deployment is ${d.status}: only an IN_PROGRESS service deployment paused at a pause hook can be continued or rolled back.`);
    const h = d.hooks.find((x) => x.hookId === i.hookId);
    if (h?.targetType !== 'PAUSE') throw fault('InvalidParameterException', `${i.hookId} is not a pause hook of the service deployment ${d.arn} (DescribeServiceDeployments lifecycleHookDetails lists its hooks).`);
    if (h.status !== 'AWAITING_ACTION') throw fault('InvalidParameterException', `The pause hook ${h.hookId} at ${h.stage} is ${h.status}, not AWAITING_ACTION.`);
    d.updatedAt = this.now;
    if (action === 'CONTINUE') {
      h.status = 'SUCCEEDED';
      this.emitHook(d, h, 'HOOK_SUCCEEDED');
      const resume = h.resume;
      this.after(d, 0, () => resume?.());
    } else {
      h.status = 'FAILED';
      this.emitHook(d, h, 'HOOK_FAILED');
      this.rollBack(d, `Service deployment rolled back because of a ContinueServiceDeployment request (action ROLLBACK) on pause hook ${h.hookId} at ${h.stage}.`, 'ROLLBACK_REQUESTED');
    }
    return { serviceDeploymentArn: d.arn };
  }

  // ------------------------------------------------------------------ DescribeServices (port)
  serviceView(serviceArn: string): Partial<Service> | undefined {
    const svc = this.services.get(serviceArn);
    if (!svc) return undefined;
    const inFlight = svc.deployments.find((d) => !TERMINAL.has(d.status));
    const td = inFlight?.target.taskDefinitionArn ?? svc.current?.taskDefinitionArn;
    // Deployments as DescribeServices lists them: PRIMARY (the newest), ACTIVE (the one it replaces);
    // Service Connect is per deployment there (Deployment.serviceConnectConfiguration).
    const last = [...svc.deployments].reverse().find((d) => d.target.arn === svc.current?.arn);
    const entry = (rev: RevisionRec, status: 'PRIMARY' | 'ACTIVE', id: string, rollout: 'IN_PROGRESS' | 'COMPLETED') => ({
      id,
      status,
      taskDefinition: rev.taskDefinitionArn,
      createdAt: new Date(rev.createdAt),
      updatedAt: new Date(rev.createdAt),
      rolloutState: rollout,
      ...(svc.serviceConnect ? { serviceConnectConfiguration: structuredClone(svc.serviceConnect) } : {}),
    });
    const deployments = [
      ...(inFlight ? [entry(inFlight.target, 'PRIMARY', inFlight.deploymentId, 'IN_PROGRESS')] : []),
      ...(svc.current ? [entry(svc.current, inFlight ? 'ACTIVE' : 'PRIMARY', last?.deploymentId ?? `ecs-svc/${svc.current.arn.split('/').pop()}`, 'COMPLETED')] : []),
    ];
    // The service's network and launch type are the current revision's (DescribeServices gives them at the service level).
    const rev = inFlight?.target ?? svc.current;
    return {
      loadBalancers: structuredClone(svc.loadBalancers),
      deploymentConfiguration: structuredClone(svc.config),
      ...(rev?.networkConfiguration ? { networkConfiguration: structuredClone(rev.networkConfiguration) } : {}),
      ...(rev?.launchType ? { launchType: rev.launchType as Service['launchType'] } : {}),
      ...(td ? { taskDefinition: td } : {}),
      deployments,
    };
  }

  // ------------------------------------------------------------------ getters for tests and invariants
  /** How the service's traffic is shifted (alb, nlb, service-connect, headless); undefined: not a native service. */
  shapeOfService(serviceArn: string): NativeTrafficShape | undefined {
    return this.services.get(serviceArn)?.shape;
  }
  /** The service's Service Connect configuration as seeded. */
  serviceConnectOf(serviceArn: string): ServiceConnectConfiguration | undefined {
    const sc = this.services.get(serviceArn)?.serviceConnect;
    return sc ? structuredClone(sc) : undefined;
  }
  /**
   * The production weights (percent) per task set at virtual time `at`, as the Service Connect proxy
   * (or the listener) routes them: what the world's traffic models split a service's requests by.
   */
  productionSharesAt(serviceArn: string, at: number): Array<{ taskSetId: string; revisionArn: string; weight: number }> {
    const h = this.services.get(serviceArn)?.prodHistory ?? [];
    let found: Record<string, number> | undefined;
    for (const e of h) {
      if (e.at <= at) found = e.weights;
      else break;
    }
    return Object.entries(found ?? {})
      .map(([revisionArn, weight]) => ({ revisionArn, weight, taskSetId: this.taskSetOf.get(revisionArn) as string }))
      .filter((x) => x.taskSetId !== undefined);
  }
  /** The service's current (last successful) revision ARN. */
  currentRevision(serviceArn: string): string | undefined {
    return this.services.get(serviceArn)?.current?.arn;
  }
  /** The service's deployment ARNs, oldest first. */
  deploymentArns(serviceArn: string): string[] {
    return (this.services.get(serviceArn)?.deployments ?? []).map((d) => d.arn);
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
/** LINEAR: stepPercent, 2 x stepPercent, ... and 100 last. */
function linearSteps(step: number): number[] {
  const out: number[] = [];
  for (let k = 1; round1(k * step) < 100; k++) out.push(round1(k * step));
  out.push(100);
  return out;
}

/** `n` characters of the URL-safe base64 alphabet (a PAUSE hook's id: `ecs-pause-` + 43 of them in the guide's examples). */
function urlSafeId(ids: WorldContext['ids'], n: number): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let s = '';
  for (let k = 0; k < n; k++) s += abc[ids.int(64)];
  return s;
}

function clone<T>(v: T): T {
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}
