/**
 * `cutover adopt SERVICE --cluster C --service S [--env ENV] [--json]`: inspect a live ECS service
 * and print its Cutover configuration entry and what must change before Cutover can deploy it.
 * Read-only: it calls only Describe* APIs (DescribeServices, DescribeTaskDefinition,
 * DescribeTargetGroups, DescribeListeners, DescribeRules, DescribeAlarms) and touches nothing.
 * See docs/onboarding.md.
 *
 * What it reads, in order:
 * 1. the service (deployment controller, task sets or load balancers, task definition);
 * 2. the task definition (the container on the target group, its image and repository, the roles);
 * 3. the target group's load balancer, its listeners and their rules: the route that forwards to it
 *    (a listener's default action or a rule) and a second target group if that route names one;
 * 4. every metric alarm of the account and region whose dimensions name one of the target groups or
 *    the ECS service.
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandOutput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, type Service, type TaskSet } from '@aws-sdk/client-ecs';
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseArgs } from 'node:util';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../functions/aws/clients.js';
import { parseConfig } from '../functions/core/config.js';
import { ConfigError } from '../functions/core/errors.js';
import { type CliIO, CommandError, UsageError } from './io.js';

export const ADOPT_USAGE = 'cutover adopt SERVICE --cluster CLUSTER --service ECS_SERVICE [--env ENV] [--region REGION] [--json]';

const FLAGS = {
  cluster: { type: 'string' },
  service: { type: 'string' },
  env: { type: 'string', short: 'e' },
  region: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** What adopt found, and what it proposes. */
export interface AdoptReport {
  /** The `services[]` entry for cutover.config.json. */
  readonly entry: Record<string, unknown>;
  /** Roles the service's task definition carries: add them to the configuration's `taskRoleArns`. */
  readonly taskRoleArns: readonly string[];
  /** The account and region of the service (the control plane's `account`/`region`). */
  readonly account: string | undefined;
  readonly region: string | undefined;
  readonly deploymentController: string;
  /** Facts worth knowing, one a line. */
  readonly found: readonly string[];
  /** What must change before Cutover can deploy the service (empty: nothing). */
  readonly changes: readonly string[];
  /** Problems parseConfig finds in a configuration of this entry alone (empty: it validates). */
  readonly problems: readonly string[];
}

/** Placeholders in an entry that adopt could not fill; the entry does not validate until they are replaced. */
export const FILL_IN = {
  secondTargetGroup: 'FILL-IN: the ARN of a second target group (same port, protocol, VPC and health check)',
  repository: 'FILL-IN: the ECR repository name the service deploys from',
  route: 'FILL-IN: the listener or listener-rule ARN that forwards to the target groups',
} as const;

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@\s]+)/;
const ARN_PARTS = /^arn:[^:]+:[^:]+:([a-z0-9-]*):(\d{12}):/;

/** `targetgroup/NAME/ID` of a target-group ARN (the CloudWatch `TargetGroup` dimension). */
const targetGroupDimension = (arn: string) => /:(targetgroup\/[^/]+\/[^/]+)$/.exec(arn)?.[1] ?? arn;

/** The target groups a forward action names (plain TargetGroupArn or ForwardConfig). */
function forwardTargets(actions: readonly Action[] | undefined): string[] {
  const out: string[] = [];
  for (const a of actions ?? []) {
    if (a.Type !== 'forward') continue;
    if (a.TargetGroupArn) out.push(a.TargetGroupArn);
    for (const t of a.ForwardConfig?.TargetGroups ?? []) if (t.TargetGroupArn) out.push(t.TargetGroupArn);
  }
  return [...new Set(out)];
}

/** The load-balancer binding the service runs on: from its primary task set (EXTERNAL) or the service (ECS). */
function bindingOf(svc: Service): { taskDefinition?: string; targetGroupArn?: string; containerName?: string; containerPort?: number; alternate?: string } {
  const primary: TaskSet | undefined = (svc.taskSets ?? []).find((t) => t.status === 'PRIMARY') ?? svc.taskSets?.[0];
  const lb = primary ? primary.loadBalancers?.[0] : svc.loadBalancers?.[0];
  const alternate = (svc.loadBalancers?.[0] as { advancedConfiguration?: { alternateTargetGroupArn?: string } } | undefined)?.advancedConfiguration
    ?.alternateTargetGroupArn;
  return {
    ...((primary?.taskDefinition ?? svc.taskDefinition) ? { taskDefinition: primary?.taskDefinition ?? svc.taskDefinition } : {}),
    ...(lb?.targetGroupArn ? { targetGroupArn: lb.targetGroupArn } : {}),
    ...(lb?.containerName ? { containerName: lb.containerName } : {}),
    ...(lb?.containerPort !== undefined ? { containerPort: lb.containerPort } : {}),
    ...(alternate ? { alternate } : {}),
  };
}

/** Inspect the live service through read-only calls and propose its configuration entry. */
export async function inspectService(
  clients: { ecs: ECSClient; elb: ElasticLoadBalancingV2Client; cloudwatch: CloudWatchClient },
  input: { name: string; environment: string; cluster: string; service: string },
): Promise<AdoptReport> {
  const found: string[] = [];
  const changes: string[] = [];

  // 1. The service.
  const described = await clients.ecs.send(new DescribeServicesCommand({ cluster: input.cluster, services: [input.service] }));
  const svc = described.services?.[0];
  if (svc === undefined || svc.status === 'INACTIVE' || svc.status === 'DRAINING') {
    throw new CommandError(
      `ECS service ${input.service} not found in cluster ${input.cluster}${svc?.status ? ` (it is ${svc.status})` : ''}`,
      'check --cluster and --service (names, not ARNs) and that AWS_REGION is the service\'s region',
    );
  }
  const [, region, account] = ARN_PARTS.exec(svc.serviceArn ?? '') ?? [];
  const controller = svc.deploymentController?.type ?? 'ECS';
  found.push(`service ${input.service} in cluster ${input.cluster}: deployment controller ${controller}, desired count ${svc.desiredCount ?? 0}, ${(svc.taskSets ?? []).length} task set(s)`);
  if (controller === 'ECS') {
    found.push(
      'the ECS deployment controller: Cutover deploys this service with its native engine (ECS\'s own blue/green, canary or linear, gated by Cutover\'s lifecycle hook), in place: nothing on the service or its load balancer changes; set engine "native" (README, "Two engines")',
    );
  } else if (controller !== 'EXTERNAL') {
    changes.push(
      `the service uses the ${controller} deployment controller (CodeDeploy), which Cutover cannot drive: switch it in place to the ECS controller (ECS developer guide, "Migrating from a CodeDeploy blue/green to an Amazon ECS blue/green service deployment"; the steps are in Cutover's CodeDeployNotSupported error) for the native engine, or recreate it with EXTERNAL for the task-set engine (docs/onboarding.md)`,
    );
  }
  const binding = bindingOf(svc);
  if (binding.targetGroupArn === undefined) {
    changes.push('no load balancer is attached to the service (or its primary task set): Cutover\'s task-set engine shifts ALB traffic, so attach a target group');
  }

  // 2. The task definition.
  let containerName = binding.containerName;
  let repository: string | undefined;
  let family: string | undefined;
  const roles: string[] = [];
  if (binding.taskDefinition) {
    const td = (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: binding.taskDefinition }))).taskDefinition;
    family = td?.family;
    const container = td?.containerDefinitions?.find((c) => c.name === containerName) ?? td?.containerDefinitions?.[0];
    containerName ??= container?.name;
    const image = container?.image ?? '';
    const ecr = ECR_IMAGE.exec(image);
    found.push(`task definition ${binding.taskDefinition}: container ${container?.name ?? '?'} runs ${image || '?'}${binding.containerPort !== undefined ? ` on port ${binding.containerPort}` : ''}`);
    if (ecr) {
      repository = ecr[3];
      if (account && ecr[1] !== account) changes.push(`the image comes from ECR of account ${ecr[1]}; Cutover listens for pushes in its own account (${account}): push to a repository of this account`);
    } else {
      changes.push(`the container's image "${image}" is not in ECR: Cutover deploys on pushes to an ECR repository of this account; push the image there and set "repository"`);
    }
    for (const arn of [td?.taskRoleArn, td?.executionRoleArn]) if (arn && !roles.includes(arn)) roles.push(arn);
    if (roles.length > 0) changes.push(`add the task definition's roles to "taskRoleArns" (Cutover passes them when it registers a revision; else TaskRoleNotAllowed): ${roles.join(', ')}`);
  }

  // 3. The route and the second target group.
  let listenerArn: string | undefined;
  let listenerRuleArn: string | undefined;
  let second = binding.alternate;
  const otherTaskSetTg = (svc.taskSets ?? []).flatMap((t) => t.loadBalancers ?? []).map((l) => l.targetGroupArn).find((a) => a && a !== binding.targetGroupArn);
  second ??= otherTaskSetTg;
  if (binding.targetGroupArn) {
    const tg = (await clients.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [binding.targetGroupArn] }))).TargetGroups?.[0];
    found.push(`target group ${binding.targetGroupArn}: ${tg?.Protocol ?? '?'} port ${tg?.Port ?? '?'}, target type ${tg?.TargetType ?? '?'}`);
    for (const lbArn of tg?.LoadBalancerArns ?? []) {
      const listeners = (await clients.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners ?? [];
      for (const l of listeners) {
        const defaults = forwardTargets(l.DefaultActions);
        if (defaults.includes(binding.targetGroupArn) && listenerArn === undefined && listenerRuleArn === undefined) {
          listenerArn = l.ListenerArn;
          second ??= defaults.find((a) => a !== binding.targetGroupArn);
        }
        const rules = (await clients.elb.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn }))).Rules ?? [];
        for (const r of rules) {
          if (r.IsDefault) continue;
          const targets = forwardTargets(r.Actions);
          if (targets.includes(binding.targetGroupArn) && listenerArn === undefined && listenerRuleArn === undefined) {
            listenerRuleArn = r.RuleArn;
            second ??= targets.find((a) => a !== binding.targetGroupArn);
          }
        }
      }
    }
    if (listenerArn) found.push(`production traffic: the default action of listener ${listenerArn}`);
    else if (listenerRuleArn) found.push(`production traffic: listener rule ${listenerRuleArn}`);
    else changes.push('no listener or listener rule forwards to the service\'s target group: Cutover needs the route production traffic takes (listenerArn or listenerRuleArn)');
    if (second === undefined) {
      changes.push(
        'the service has one target group: create a second one like it (same protocol, port, VPC, target type and health check), unattached; it goes second in "targetGroupArns" and holds each new version in turn',
      );
    } else {
      found.push(`second target group: ${second}`);
    }
  }

  // 4. Alarms that reference the target groups or the service.
  const dims = new Set([binding.targetGroupArn, second].filter((a): a is string => a !== undefined).map(targetGroupDimension));
  const alarms: string[] = [];
  const mentions = (a: MetricAlarm) => {
    const all = [...(a.Dimensions ?? []), ...(a.Metrics ?? []).flatMap((m) => m.MetricStat?.Metric?.Dimensions ?? [])];
    const tg = all.some((d) => d.Name === 'TargetGroup' && d.Value !== undefined && dims.has(d.Value));
    const service = all.some((d) => d.Name === 'ServiceName' && d.Value === input.service) && all.some((d) => d.Name === 'ClusterName' && d.Value === input.cluster);
    return tg || service;
  };
  let token: string | undefined;
  do {
    const page: DescribeAlarmsCommandOutput = await clients.cloudwatch.send(new DescribeAlarmsCommand({ ...(token ? { NextToken: token } : {}) }));
    for (const a of page.MetricAlarms ?? []) if (a.AlarmName && mentions(a)) alarms.push(a.AlarmName);
    token = page.NextToken;
  } while (token);
  if (alarms.length > 0) found.push(`alarms on its target groups or service: ${alarms.join(', ')}`);
  else changes.push('no alarm references the service\'s target groups or the service: create at least a 5xx alarm per target group (HTTPCode_Target_5XX_Count) so a bad release rolls back');

  const entry: Record<string, unknown> = {
    name: input.name,
    environment: input.environment,
    cluster: input.cluster,
    service: input.service,
    containerName: containerName ?? 'FILL-IN: the container on the target group',
    ...(family && family !== input.service ? { taskDefinitionFamily: family } : {}),
    repository: repository ?? FILL_IN.repository,
    ...(listenerRuleArn ? { listenerRuleArn } : { listenerArn: listenerArn ?? FILL_IN.route }),
    targetGroupArns: [binding.targetGroupArn ?? 'FILL-IN: the target group the service runs on', second ?? FILL_IN.secondTargetGroup],
    alarms,
    strategy: { type: 'canary', percent: 10, bakeSeconds: 300 },
  };
  const problems = validate(entry, roles, account, region, input.environment);
  return { entry, taskRoleArns: roles, account, region, deploymentController: controller, found, changes, problems };
}

/** The problems of a configuration holding this entry alone (empty: it validates). */
function validate(entry: Record<string, unknown>, roles: readonly string[], account: string | undefined, region: string | undefined, environment: string): string[] {
  try {
    parseConfig(
      { ...(account ? { account } : {}), ...(region ? { region } : {}), environments: [{ name: environment }], taskRoleArns: [...roles], services: [entry] },
      'cutover adopt',
    );
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
}

export function formatAdoptReport(r: AdoptReport): string {
  const lines = [
    ...r.found.map((f) => `found: ${f}`),
    '',
    'Configuration entry (add it to "services" in cutover.config.json; review the strategy):',
    JSON.stringify(r.entry, null, 2),
    '',
    ...(r.taskRoleArns.length > 0 ? [`Add to "taskRoleArns": ${JSON.stringify(r.taskRoleArns)}`, ''] : []),
    ...(r.changes.length > 0 ? ['What must change before Cutover can deploy it:', ...r.changes.map((c) => `  - ${c}`)] : ['Nothing must change: add the entry and `cdk deploy CutoverStack`.']),
    ...(r.problems.length > 0 ? ['', 'The entry does not validate yet:', ...r.problems.map((p) => `  - ${p}`)] : ['', 'The entry validates (parseConfig).']),
    '',
    'Nothing was changed: adopt only reads (docs/onboarding.md says how to make each change).',
  ];
  return `${lines.join('\n')}\n`;
}

/** `cutover adopt ...`; `clientOptions` reach a world that is not AWS (tests). */
export async function adoptCommand(args: readonly string[], io: CliIO, clientOptions?: ClientOptions): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options: FLAGS, allowPositionals: true, strict: true });
  const name = positionals[0];
  if (name === undefined || positionals.length > 1) throw new UsageError(`adopt takes one SERVICE (the name Cutover will use): ${ADOPT_USAGE}`);
  if (!values.cluster || !values.service) throw new UsageError(`adopt needs --cluster and --service (the live ECS service): ${ADOPT_USAGE}`);
  const base = clientOptions ?? clientOptionsFromEnv(io.env);
  const options: ClientOptions = values.region ? { ...base, region: values.region } : base;
  const clients = {
    ecs: makeClient(ECSClient, options),
    elb: makeClient(ElasticLoadBalancingV2Client, options),
    cloudwatch: makeClient(CloudWatchClient, options),
  };
  const report = await inspectService(clients, {
    name,
    environment: values.env ?? 'production',
    cluster: values.cluster,
    service: values.service,
  });
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatAdoptReport(report));
  return 0;
}
