/**
 * Maintenance in the local rehearsal: the capability (local/capability.ts) that makes cleanup and
 * scaling run end to end, as the CDK construct wires them in AWS (`maintenance` at the end).
 *
 * - Seeding: each service's history (older and newer revisions, images, an orphaned task set, a
 *   running one-off task, recent records) and, for services with `scaling`, the scalable target and
 *   target-tracking policy the construct creates (functions/core/scaling.ts `scalableTargets`).
 * - EventBridge rules: `CloudWatch Alarm State Change` of a scaling alarm, and Cutover's own
 *   `Deployment *` events of a scaled service, go to the `scale` handler; the timeline's `schedule`
 *   input is what EventBridge Scheduler sends it; `cleanup` starts the cleanup state machine.
 * - The summary's `actions`: every cleanup action (from the runs' reports) and scaling action (from
 *   the handler's results), in virtual time; and invariants: nothing in use was deleted, desired
 *   counts stayed within their bounds.
 */
import type { CutoverConfig, ServiceConfig } from '../functions/core/config.js';
import { findService } from '../functions/core/services.js';
import type { CleanupRunReport } from '../functions/core/cleanup.js';
import { ECS_DESIRED_COUNT, type MaintenanceAction, ecsResourceId } from '../functions/core/maintenance.js';
import { DeploymentStatus, EVENT_SOURCE, type DeploymentRecord } from '../functions/core/model.js';
import type { DeploymentStore } from '../functions/core/ports.js';
import { scalableTargets, scalingAlarmNames, scalingSchedules } from '../functions/core/scaling.js';
import * as cleanup from '../functions/handlers/cleanup.js';
import * as scale from '../functions/handlers/scale.js';
import type { CapabilityContext, RehearsalCapability } from './capability.js';
import type { VirtualClockImpl } from './clock.js';
import type { PutEvent } from './contracts.js';
import type { ServiceHistory } from './maintenance-schema.js';
import type { ExecutionRecord } from './runner/index.js';
import type { Scenario, TimelineInput } from './scenario.js';
import { maintenanceSchedules } from './schedules.js';
import type { AwsEvent } from './world/types.js';
import type { World } from './world/world.js';

/** One cleanup or scaling action as the scenario summary lists it. */
export interface ActionSummary {
  /** Virtual seconds from the start. */
  readonly at: number;
  readonly source: 'cleanup' | 'scaling';
  /** The cleanup run (execution name). */
  readonly run?: string;
  readonly kind: string;
  readonly service: string;
  readonly environment: string;
  readonly target: string;
  readonly outcome: string;
  readonly reason: string;
  readonly error?: string;
}

/** What the world holds at the end, for the things maintenance touches. */
export interface MaintenanceInventory {
  readonly taskDefinitions: Array<{ arn: string; status: string }>;
  readonly images: Array<{ repository: string; digest: string; tags: string[] }>;
  readonly taskSets: Array<{ service: string; id: string; status: string; taskDefinitionArn: string }>;
  readonly desiredCounts: Array<{ service: string; environment: string; desiredCount: number }>;
  readonly scalableTargets: Array<{ resourceId: string; minCapacity: number; maxCapacity: number; scaleInSuspended: boolean }>;
}

export interface MaintenanceHooks {
  readonly world: World;
  readonly clock: VirtualClockImpl;
  readonly config: CutoverConfig;
  readonly scenario: Scenario;
  readonly store: DeploymentStore;
  /** The rehearsal's handler table: `scale` is wrapped here to record its results. */
  readonly invoke: Record<string, (event: unknown) => Promise<unknown>>;
  /** EventBridge -> Lambda delivery (asynchronous, retried) as the rehearsal does it. */
  readonly deliver: (target: 'scale', label: string, event: unknown) => void;
  /** StartExecution of the cleanup state machine. */
  readonly startCleanup: (input: unknown) => void;
}

export interface Maintenance {
  /** Call once the handlers are registered: wraps `invoke.scale` to record its results. */
  ready(): void;
  /** Seed the revisions registered *before* the running one (call before the services are created). */
  beforeServices(): void;
  /** Call after the services, alarms and images are created. */
  afterServices(services: readonly ServiceConfig[]): Promise<void>;
  /** The timeline inputs maintenance owns. */
  apply(input: Extract<TimelineInput, { kind: 'cleanup' | 'schedule' }>): void;
  /**
   * Invariant violations now (nothing in use deleted; desired counts within bounds), for `services`
   * (default: every configured one). A service's check covers its task sets and every task running
   * in its cluster.
   */
  check(services?: readonly ServiceConfig[]): string[];
  /** Every action, in virtual time. */
  actions(cleanupExecutions: readonly ExecutionRecord[]): ActionSummary[];
  inventory(): MaintenanceInventory;
}

const DEPLOYMENT_EVENTS = new Set([
  'Deployment Started',
  'Deployment Succeeded',
  'Deployment Rolled Back',
  'Deployment Failed',
  'Deployment Superseded',
]);

/** The hooks the rehearsal calls (nothing is changed before `ready`). */
export function attachMaintenance(h: MaintenanceHooks): Maintenance {
  const { world, clock, config, scenario } = h;
  const startMs = clock.now();
  const scalingActions: Array<{ atMs: number; action: MaintenanceAction }> = [];
  const historyOf = (svc: ServiceConfig): ServiceHistory | undefined =>
    scenario.world.history.find((x) => x.service === svc.name && (x.environment ?? svc.environment) === svc.environment);
  const serviceOf = (name: string, environment?: string): ServiceConfig | undefined =>
    findService(config, name, environment ?? config.services.find((s) => s.name === name)?.environment ?? '');

  // The scale handler's results, recorded as the rehearsal delivers events to it.
  function ready(): void {
    const inner = h.invoke.scale;
    if (inner) {
      h.invoke.scale = async (event: unknown) => {
        const result = (await inner(event)) as { actions?: MaintenanceAction[] } | undefined;
        for (const action of result?.actions ?? []) scalingActions.push({ atMs: clock.now(), action });
        return result;
      };
    }
  }

  const containerPort = (svc: ServiceConfig) => scenario.world.services.find((w) => w.service === svc.name)?.containerPort ?? 8080;
  const register = (svc: ServiceConfig, digestValue: string): string => {
    const family = svc.service;
    const td = world.ecs.register({
      family,
      taskRoleArn: `arn:aws:iam::${world.accountId}:role/${family}-task`,
      executionRoleArn: `arn:aws:iam::${world.accountId}:role/${family}-execution`,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: svc.containerName,
          image: world.imageUri(svc.repository, digestValue),
          essential: true,
          portMappings: [{ containerPort: containerPort(svc), protocol: 'tcp' }],
        },
      ],
      tags: [{ key: 'service', value: svc.service }],
    });
    return td.taskDefinitionArn as string;
  };
  const pushHistoryImage = (svc: ServiceConfig, d: string, tags: readonly string[]) => {
    if (!world.ecr.hasImage(svc.repository, d)) world.pushImage(svc.repository, d, tags);
  };

  // ---- revisions older than the running one, before createService registers it
  const seeded: Array<{ svc: ServiceConfig; arn: string; rev: ServiceHistory['before'][number] }> = [];
  function beforeServices(): void {
    for (const hist of scenario.world.history) {
      const svc = serviceOf(hist.service, hist.environment);
      if (!svc) throw new Error(`world.history: ${hist.service} is not configured`);
      for (const rev of hist.before) {
        if (rev.imageExists) pushHistoryImage(svc, rev.digest, rev.tags);
        seeded.push({ svc, arn: register(svc, rev.digest), rev });
      }
    }
  }

  async function afterServices(services: readonly ServiceConfig[]): Promise<void> {
    for (const svc of services) {
      const hist = historyOf(svc);
      if (!hist) continue;
      for (const rev of hist.after) {
        if (rev.imageExists) pushHistoryImage(svc, rev.digest, rev.tags);
        seeded.push({ svc, arn: register(svc, rev.digest), rev });
      }
      for (const img of hist.images) pushHistoryImage(svc, img.digest, img.tags);
    }
    for (const { svc, arn, rev } of seeded) {
      const primary = world.ecs.taskSetViews(svc.cluster, svc.service).find((t) => t.status === 'PRIMARY');
      const network = primary?.networkConfiguration;
      if (rev.runningTask) {
        world.setImageProfile(rev.digest, { runMs: 14 * 24 * 3600 * 1000 });
        world.ecs.runTask({
          cluster: svc.cluster,
          taskDefinition: arn,
          count: 1,
          launchType: 'FARGATE',
          startedBy: 'migration',
          ...(network ? { networkConfiguration: network } : {}),
        });
      }
      if (rev.orphanTaskSet) {
        world.ecs.createTaskSet({
          cluster: svc.cluster,
          service: svc.service,
          taskDefinition: arn,
          externalId: `orphan-${rev.digest.slice(7, 19)}`,
          // A worker's task sets have no load balancer.
          ...(svc.targetGroupArns
            ? { loadBalancers: [{ targetGroupArn: svc.targetGroupArns[1], containerName: svc.containerName, containerPort: containerPort(svc) }] }
            : {}),
          launchType: 'FARGATE',
          scale: { unit: 'PERCENT', value: 0 },
          ...(network ? { networkConfiguration: network } : {}),
        });
      }
      if (rev.record) await seedRecord(svc, arn, rev.digest, rev.record, true, primary?.taskDefinition);
      if (rev.deregistered) world.ecs.deregisterTaskDefinition({ taskDefinition: arn });
    }
    for (const svc of services) {
      const hist = historyOf(svc);
      const primary = world.ecs.taskSetViews(svc.cluster, svc.service).find((t) => t.status === 'PRIMARY');
      for (let i = 0; i < (hist?.recordsWithoutExpiry ?? 0); i++) {
        const d = scenario.world.services.find((w) => w.service === svc.name)?.initialDigest ?? '';
        await seedRecord(svc, primary?.taskDefinition ?? '', d, 'SUCCEEDED', false, primary?.taskDefinition, `legacy-${i + 1}`);
      }
    }
    // What the construct creates per scaled service: the scalable target and its target tracking.
    for (const t of scalableTargets(config)) {
      if (!services.some((s) => s.name === t.service && s.environment === t.environment)) continue;
      world.autoscaling.registerScalableTarget({
        ServiceNamespace: 'ecs',
        ResourceId: t.resourceId,
        ScalableDimension: ECS_DESIRED_COUNT,
        MinCapacity: t.minCapacity,
        MaxCapacity: t.maxCapacity,
      });
      if (t.targetCpuPercent !== undefined) {
        world.autoscaling.putScalingPolicy({
          PolicyName: `cutover-${t.service}-${t.environment}-cpu`,
          ServiceNamespace: 'ecs',
          ResourceId: t.resourceId,
          ScalableDimension: ECS_DESIRED_COUNT,
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: {
            TargetValue: t.targetCpuPercent,
            PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          },
        });
      }
    }

    // ---- EventBridge rules of the scaling handler
    const alarms = new Set(scalingAlarmNames(config));
    world.onAwsEvent((event: AwsEvent) => {
      const name = (event.detail as { alarmName?: unknown }).alarmName;
      if (event.source === 'aws.cloudwatch' && event['detail-type'] === 'CloudWatch Alarm State Change' && typeof name === 'string' && alarms.has(name)) {
        h.deliver('scale', `scale ${event.id}`, event);
      }
    });
    const scaled = new Set(config.services.filter((s) => s.scaling).map((s) => `${s.name}/${s.environment}`));
    let seq = 0;
    world.onPutEvent((e: PutEvent) => {
      const d = e.detail as { service?: string; environment?: string };
      if (e.source !== EVENT_SOURCE || !DEPLOYMENT_EVENTS.has(e.detailType) || !scaled.has(`${d.service}/${d.environment}`)) return;
      const event = {
        version: '0',
        id: `cutover-${++seq}`,
        'detail-type': e.detailType,
        source: e.source,
        account: world.accountId,
        time: new Date(e.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: world.region,
        resources: [],
        detail: e.detail,
      };
      h.deliver('scale', `scale ${e.detailType} ${d.service}`, event);
    });
  }

  async function seedRecord(
    svc: ServiceConfig,
    arn: string,
    d: string,
    status: 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED',
    withExpiry: boolean,
    blueArn: string | undefined,
    id?: string,
  ): Promise<void> {
    const at = new Date(clock.now()).toISOString();
    const deploymentId = id ?? `${svc.name}-${d.slice(7, 19)}`;
    const record: DeploymentRecord = {
      deploymentId,
      service: svc.name,
      environment: svc.environment,
      status: status as DeploymentStatus,
      image: { repository: svc.repository, digest: d, uri: world.imageUri(svc.repository, d) },
      strategy: svc.strategy.type,
      alarmNames: [],
      timeline: [],
      createdAt: at,
      updatedAt: at,
      ...(blueArn ? { blue: { ...(svc.targetGroupArns ? { targetGroupArn: svc.targetGroupArns[0] } : {}), taskDefinitionArn: blueArn } } : {}),
      green: { ...(svc.targetGroupArns ? { targetGroupArn: svc.targetGroupArns[1] } : {}), taskDefinitionArn: arn },
      reason: { code: status === DeploymentStatus.SUCCEEDED ? 'Promoted' : 'AlarmTriggered', message: 'seeded history' },
      ...(withExpiry ? { expiresAt: Math.floor(clock.now() / 1000) + config.recordRetentionSeconds } : {}),
    };
    await h.store.createDeployment(record);
  }

  function apply(input: Extract<TimelineInput, { kind: 'cleanup' | 'schedule' }>): void {
    switch (input.kind) {
      case 'cleanup':
        h.startCleanup({ dryRun: input.dryRun, ...(input.services ? { services: input.services } : {}) });
        return;
      case 'schedule': {
        const svc = serviceOf(input.service, input.environment);
        if (!svc) throw new Error(`timeline schedule: ${input.service} is not configured`);
        h.deliver('scale', `scale schedule ${svc.name}#${input.rule}`, {
          source: 'cutover.scheduler',
          kind: 'scheduled-scaling',
          service: svc.name,
          environment: svc.environment,
          ruleIndex: input.rule,
        });
        return;
      }
      default: {
        const never: never = input;
        throw new Error(`unknown maintenance input ${JSON.stringify(never)}`);
      }
    }
  }

  function check(services: readonly ServiceConfig[] = config.services): string[] {
    const problems: string[] = [];
    // One listing per cluster and one lookup per task definition and image per check, however many services share them.
    const tasksIn = once((cluster: string): Array<{ arn: string; by: string }> => {
      try {
        return world.ecs.liveTasks(cluster).map((t) => ({ arn: t.taskDefinitionArn, by: `task ${t.taskArn}` }));
      } catch {
        return []; // no cluster
      }
    });
    const taskDefinition = once((arn: string) => world.ecs.taskDefinitionUsage(arn));
    const resolves = once((image: string) => world.ecr.resolves(image));
    for (const svc of services) {
      let sets: ReturnType<World['taskSets']>;
      try {
        sets = world.taskSets(svc.cluster, svc.service);
      } catch {
        continue; // not in this scenario's world
      }
      const inUse = sets.filter((t) => t.status !== 'DRAINING').map((t) => ({ arn: t.taskDefinitionArn, by: `task set ${t.id}` }));
      inUse.push(...tasksIn(svc.cluster));
      for (const u of inUse) {
        const td = taskDefinition(u.arn);
        if (!td || td.status === 'DELETE_IN_PROGRESS') problems.push(`${u.arn} was deleted while ${u.by} uses it`);
        for (const image of td?.images ?? []) {
          if (image.includes('.dkr.ecr.') && !resolves(image)) problems.push(`image ${image} was deleted while ${u.by} runs it`);
        }
      }
      if (svc.scaling) {
        const desired = world.ecs.describeServices({ cluster: svc.cluster, services: [svc.service] }).services?.[0]?.desiredCount;
        if (desired !== undefined && (desired < svc.scaling.minCount || desired > svc.scaling.maxCount)) {
          problems.push(`${svc.name}/${svc.environment}: desired count ${desired} outside ${svc.scaling.minCount}-${svc.scaling.maxCount}`);
        }
      }
    }
    return problems;
  }

  function actions(cleanupExecutions: readonly ExecutionRecord[]): ActionSummary[] {
    const out: Array<ActionSummary & { ms: number }> = [];
    for (const x of cleanupExecutions) {
      if (x.output === undefined) continue;
      let report: CleanupRunReport;
      try {
        report = JSON.parse(x.output) as CleanupRunReport;
      } catch {
        continue;
      }
      for (const scope of report.scopes ?? []) {
        for (const a of scope.actions) {
          const ms = Date.parse(a.at);
          out.push({ ms, ...summary(a, ms, 'cleanup'), run: x.name });
        }
      }
    }
    for (const { atMs, action } of scalingActions) out.push({ ms: atMs, ...summary(action, atMs, 'scaling') });
    return out.sort((a, b) => a.ms - b.ms).map(({ ms: _ms, ...a }) => a);
  }

  function summary(a: MaintenanceAction, ms: number, source: ActionSummary['source']): ActionSummary {
    return {
      at: (ms - startMs) / 1000,
      source,
      kind: a.kind,
      service: a.service,
      environment: a.environment,
      target: a.target,
      outcome: a.outcome,
      reason: a.reason,
      ...(a.error ? { error: a.error } : {}),
    };
  }

  function inventory(): MaintenanceInventory {
    const taskDefinitions: MaintenanceInventory['taskDefinitions'] = [];
    for (const status of ['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'] as const) {
      let nextToken: string | undefined;
      do {
        const page = world.ecs.listTaskDefinitions({ status, maxResults: 100, ...(nextToken ? { nextToken } : {}) });
        for (const arn of page.taskDefinitionArns ?? []) taskDefinitions.push({ arn, status });
        nextToken = page.nextToken;
      } while (nextToken);
    }
    const repos = [...new Set(config.services.map((s) => s.repository))];
    const images: MaintenanceInventory['images'] = [];
    for (const repository of repos) {
      try {
        for (const d of world.ecr.describeImages({ repositoryName: repository }).imageDetails ?? []) {
          images.push({ repository, digest: d.imageDigest as string, tags: d.imageTags ?? [] });
        }
      } catch {
        // no such repository in this world
      }
    }
    const taskSets: MaintenanceInventory['taskSets'] = [];
    const desiredCounts: MaintenanceInventory['desiredCounts'] = [];
    const targets: MaintenanceInventory['scalableTargets'] = [];
    for (const svc of config.services) {
      try {
        for (const t of world.taskSets(svc.cluster, svc.service)) {
          taskSets.push({ service: svc.name, id: t.id, status: t.status, taskDefinitionArn: t.taskDefinitionArn });
        }
        const desired = world.ecs.describeServices({ cluster: svc.cluster, services: [svc.service] }).services?.[0]?.desiredCount;
        if (desired !== undefined) desiredCounts.push({ service: svc.name, environment: svc.environment, desiredCount: desired });
      } catch {
        continue;
      }
      const resourceId = ecsResourceId(svc.cluster, svc.service);
      const t = world.autoscaling.target(resourceId);
      if (t) targets.push({ resourceId, ...t });
    }
    return { taskDefinitions, images, taskSets, desiredCounts, scalableTargets: targets };
  }

  return { ready, beforeServices, afterServices, apply, check, actions, inventory };
}

/**
 * Cleanup and scaling as a rehearsal capability: the cleanup and scale handlers, the cleanup state
 * machine, the history seeding and EventBridge rules above, the `cleanup` and `schedule` timeline
 * inputs, the cleanup and scaling schedules, the invariants (nothing in use deleted, desired counts
 * within bounds), the summary's `actions` and the trace's `maintenance` inventory.
 */
export function maintenance(ctx: CapabilityContext): RehearsalCapability<{ actions: ActionSummary[] }, { maintenance?: MaintenanceInventory }> {
  const m = attachMaintenance({
    world: ctx.world,
    clock: ctx.clock,
    config: ctx.config,
    scenario: ctx.scenario,
    store: ctx.store,
    invoke: ctx.invoke,
    deliver: (target, label, event) => ctx.deliver(target, label, event),
    startCleanup: (input) => ctx.startOperation('cleanup', input),
  });
  const cleanupArn = ctx.stateMachineArn('cleanup');
  return {
    name: 'maintenance',
    handlers: { cleanup, scale },
    stateMachines: [{ name: 'cleanup', operation: true, sweep: true }],
    ready: m.ready,
    beforeServices: m.beforeServices,
    afterServices: m.afterServices,
    inputs: ['cleanup', 'schedule'],
    apply(input) {
      if (input.kind !== 'cleanup' && input.kind !== 'schedule') throw new Error(`maintenance: not its timeline input: ${input.kind}`);
      m.apply(input);
    },
    schedules: maintenanceSchedules(ctx.config, scalingSchedules(ctx.config)),
    fire(rule) {
      if (rule.target.kind === 'scale') ctx.deliver('scale', `scale ${rule.name}`, rule.target.input);
    },
    check: (services) => m.check(services),
    summary: (executions) => ({ actions: m.actions(executions.filter((x) => x.stateMachineArn === cleanupArn)) }),
    trace: () => (ctx.remote ? {} : { maintenance: m.inventory() }),
  };
}

/** `f` answering each argument once (for the span of one invariant check). */
function once<K, V>(f: (key: K) => V): (key: K) => V {
  const seen = new Map<K, V>();
  return (key) => {
    if (!seen.has(key)) seen.set(key, f(key));
    return seen.get(key) as V;
  };
}
