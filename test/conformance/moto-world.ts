/**
 * A realistic Cutover world built in moto through the AWS APIs, as a team's own stack would have
 * it: a VPC with DNS hostnames and two subnets, a security group, an ALB with a production
 * listener (forwarding itself, or through a path rule), an optional test listener, two target
 * groups, an EXTERNAL-controller ECS service with its first task set (or an ECS-controller one with
 * the load balancer's advancedConfiguration, issue #17), a task definition with
 * secrets, environment, tags and both roles, three alarms, an ECR repository with images pushed
 * by manifest and digest, and a scalable target on the service's desired count.
 *
 * EC2 has no SDK client in this project (Cutover never calls EC2), so the VPC is made over EC2's
 * Query API directly (the same wire format the SDK sends).
 *
 * moto's gaps worked around here (see TOOLCHAIN.md, "moto's gaps"):
 * - moto registers no targets for a task set: build the world through the proxy (moto-proxy.ts),
 *   which registers them as ECS would.
 * - UpdateServicePrimaryTaskSet in moto matches only a full task-set ARN: the seed passes the ARN.
 * - CreateTaskSet in awsvpc mode fails in moto without security groups or on a VPC without DNS
 *   hostnames: the seed gives both (as a real Fargate service has them anyway).
 * - CreateTaskSet with a scale above 0 fails in moto when no container sets memory or
 *   memoryReservation (optional on Fargate in AWS): the container reserves 256 MiB.
 * - PutImage without imageDigest computes a wrong digest in moto: the seed sends the digest of the
 *   manifest (sha256 of its bytes, as ECR computes it).
 */
import { createHash } from 'node:crypto';
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateRepositoryCommand, ECRClient, PutImageCommand, StartImageScanCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  CreateTaskSetCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServicePrimaryTaskSetCommand,
} from '@aws-sdk/client-ecs';
import {
  type Action,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';

export const ACCOUNT = '123456789012';
export const CREDENTIALS = { accessKeyId: 'conformance', secretAccessKey: 'conformance' } as const;

export interface MotoClients {
  readonly ecs: ECSClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly ecr: ECRClient;
  readonly autoscaling: ApplicationAutoScalingClient;
  readonly events: EventBridgeClient;
}

export function motoClients(endpoint: string, region: string): MotoClients {
  const config = { endpoint, region, credentials: CREDENTIALS, maxAttempts: 1 };
  return {
    ecs: new ECSClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
    ecr: new ECRClient(config),
    autoscaling: new ApplicationAutoScalingClient(config),
    events: new EventBridgeClient(config),
  };
}

/** One EC2 Query API call; returns the response XML (throws on an error response). */
async function ec2(endpoint: string, region: string, action: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: '2016-11-15', ...params }).toString();
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      // moto reads the region from the credential scope; it does not check the signature.
      authorization: `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`EC2 ${action} failed (${res.status}): ${text.slice(0, 400)}`);
  return text;
}
const xmlValue = (xml: string, tag: string): string => {
  const m = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml);
  if (!m?.[1]) throw new Error(`no <${tag}> in ${xml.slice(0, 300)}`);
  return m[1];
};

export interface Network {
  readonly vpcId: string;
  readonly subnetIds: readonly [string, string];
  readonly securityGroupId: string;
}

/** A VPC with DNS support and hostnames, two subnets in two zones, and a security group. */
export async function createNetwork(endpoint: string, region: string): Promise<Network> {
  const vpcId = xmlValue(await ec2(endpoint, region, 'CreateVpc', { CidrBlock: '10.0.0.0/16' }), 'vpcId');
  await ec2(endpoint, region, 'ModifyVpcAttribute', { VpcId: vpcId, 'EnableDnsSupport.Value': 'true' });
  await ec2(endpoint, region, 'ModifyVpcAttribute', { VpcId: vpcId, 'EnableDnsHostnames.Value': 'true' });
  const subnet = async (cidr: string, zone: string) =>
    xmlValue(await ec2(endpoint, region, 'CreateSubnet', { VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: `${region}${zone}` }), 'subnetId');
  const subnetIds = [await subnet('10.0.1.0/24', 'a'), await subnet('10.0.2.0/24', 'b')] as const;
  const securityGroupId = xmlValue(
    await ec2(endpoint, region, 'CreateSecurityGroup', { GroupName: 'service', GroupDescription: 'service tasks', VpcId: vpcId }),
    'groupId',
  );
  return { vpcId, subnetIds, securityGroupId };
}

/** A docker image manifest (schema 2) unique to `seed`, and its digest as ECR computes it. */
export function imageManifest(seed: string): { manifest: string; digest: string } {
  const layer = createHash('sha256').update(`layer ${seed}`).digest('hex');
  const config = createHash('sha256').update(`config ${seed}`).digest('hex');
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1469, digest: `sha256:${config}` },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 2_811_478, digest: `sha256:${layer}` }],
  });
  return { manifest, digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` };
}

/** PutImage by manifest, with the manifest's digest (and a tag when given). */
export async function pushImage(ecr: ECRClient, repository: string, seed: string, tag?: string): Promise<string> {
  const { manifest, digest } = imageManifest(seed);
  await ecr.send(
    new PutImageCommand({
      repositoryName: repository,
      imageManifest: manifest,
      imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      imageDigest: digest,
      ...(tag ? { imageTag: tag } : {}),
    }),
  );
  return digest;
}

export interface MotoServiceSpec {
  /** The ECS service name (also the prefix of its load balancer, target groups and alarms). */
  readonly name: string;
  readonly cluster: string;
  /** `rule`: a path rule on the production listener forwards; `listener`: the listener's default action. */
  readonly route: 'listener' | 'rule';
  /** The route forwards to blue alone (a plain forward, as the console and the CDK make it). */
  readonly blueOnly?: boolean;
  /** false: the service has no task set yet (a first deployment). Default true. */
  readonly initialTaskSet?: boolean;
  readonly testListener?: boolean;
  readonly desiredCount?: number;
  readonly repository: string;
  /** The digest the first task set runs (pushed to `repository` beforehand). */
  readonly digest: string;
  readonly family?: string;
  readonly containerName?: string;
  readonly containerPort?: number;
  /**
   * `ECS`: an ECS-controller service (issue #17, ECS's own deployments) running the revision itself,
   * launch type FARGATE in the awsvpc network, its load balancer blue's target group with
   * advancedConfiguration { alternateTargetGroupArn: green, productionListenerRule: the rule (or the
   * listener), roleArn }; no task set (`initialTaskSet` is ignored). Default EXTERNAL.
   */
  readonly controller?: 'EXTERNAL' | 'ECS';
}

export interface MotoService {
  readonly spec: MotoServiceSpec;
  readonly cluster: string;
  readonly service: string;
  readonly serviceArn: string;
  readonly family: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly desiredCount: number;
  readonly loadBalancerArn: string;
  /** `app/NAME/ID`, the LoadBalancer dimension of ALB metrics. */
  readonly loadBalancerFullName: string;
  readonly listenerArn: string;
  readonly ruleArn?: string;
  readonly routeArn: string;
  readonly testListenerArn?: string;
  readonly targetGroupArns: readonly [string, string];
  /** `targetgroup/NAME/ID`, the TargetGroup dimension. */
  readonly targetGroupFullNames: readonly [string, string];
  readonly taskDefinitionArn: string;
  readonly taskSetId?: string;
  readonly taskSetArn?: string;
  readonly alarms: readonly [string, string, string];
  readonly scalableResourceId: string;
}

/** The metric dimension of an ARN: `app/NAME/ID` for a load balancer, `targetgroup/NAME/ID` for a target group. */
const fullNameOf = (arn: string, kind: 'loadbalancer' | 'targetgroup'): string => {
  const rest = arn.slice(arn.indexOf(`:${kind}/`) + kind.length + 2);
  return kind === 'targetgroup' ? `targetgroup/${rest}` : rest;
};


export async function createService(
  c: MotoClients,
  region: string,
  network: Network,
  spec: MotoServiceSpec,
): Promise<MotoService> {
  const containerName = spec.containerName ?? 'app';
  const containerPort = spec.containerPort ?? 8080;
  const family = spec.family ?? spec.name;
  const desiredCount = spec.desiredCount ?? 4;
  const lb = (
    await c.elb.send(
      new CreateLoadBalancerCommand({
        Name: `${spec.name}-alb`.slice(0, 32),
        Subnets: [...network.subnetIds],
        SecurityGroups: [network.securityGroupId],
        Scheme: 'internet-facing',
        Type: 'application',
        IpAddressType: 'ipv4',
      }),
    )
  ).LoadBalancers?.[0];
  if (!lb?.LoadBalancerArn) throw new Error('CreateLoadBalancer returned no load balancer');
  const targetGroup = async (suffix: string) => {
    const tg = (
      await c.elb.send(
        new CreateTargetGroupCommand({
          Name: `${spec.name}-${suffix}`.slice(0, 32),
          Protocol: 'HTTP',
          Port: containerPort,
          VpcId: network.vpcId,
          TargetType: 'ip',
          HealthCheckPath: '/health',
          HealthCheckIntervalSeconds: 10,
          HealthyThresholdCount: 2,
        }),
      )
    ).TargetGroups?.[0];
    if (!tg?.TargetGroupArn) throw new Error('CreateTargetGroup returned no target group');
    return tg.TargetGroupArn;
  };
  const blue = await targetGroup('blue');
  const green = await targetGroup('green');
  const forward: Action = spec.blueOnly
    ? { Type: 'forward', TargetGroupArn: blue }
    : {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: blue, Weight: 100 },
            { TargetGroupArn: green, Weight: 0 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
        },
      };
  const notFound: Action = { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } };
  const listener = (
    await c.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancerArn,
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [spec.route === 'rule' ? notFound : forward],
      }),
    )
  ).Listeners?.[0];
  if (!listener?.ListenerArn) throw new Error('CreateListener returned no listener');
  let ruleArn: string | undefined;
  if (spec.route === 'rule') {
    const rule = (
      await c.elb.send(
        new CreateRuleCommand({
          ListenerArn: listener.ListenerArn,
          Priority: 10,
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [`/${spec.name}/*`] } }],
          Actions: [forward],
        }),
      )
    ).Rules?.[0];
    if (!rule?.RuleArn) throw new Error('CreateRule returned no rule');
    ruleArn = rule.RuleArn;
  }
  let testListenerArn: string | undefined;
  if (spec.testListener) {
    const test = (
      await c.elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Protocol: 'HTTP',
          Port: 8080,
          DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 100 }, { TargetGroupArn: green, Weight: 0 }] } }],
        }),
      )
    ).Listeners?.[0];
    testListenerArn = test?.ListenerArn;
  }

  await c.ecs.send(new CreateClusterCommand({ clusterName: spec.cluster }));
  const image = `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${spec.repository}@${spec.digest}`;
  const td = (
    await c.ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/${family}-task`,
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${family}-execution`,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: containerName,
            image,
            essential: true,
            // moto gap: CreateTaskSet with a scale above 0 fails (HTTP 500) when a container has
            // neither memory nor memoryReservation; AWS makes both optional on Fargate, where the
            // task-level memory applies (ContainerDefinition.memory, ECS API reference). Many real
            // task definitions set a reservation anyway.
            memoryReservation: 256,
            portMappings: [{ containerPort, protocol: 'tcp' }],
            environment: [
              { name: 'PORT', value: String(containerPort) },
              { name: 'LOG_LEVEL', value: 'info' },
            ],
            secrets: [
              { name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${family}/db-AbCdEf` },
              { name: 'API_KEY', valueFrom: `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${family}/api-key` },
            ],
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': `/ecs/${family}`, 'awslogs-region': region, 'awslogs-stream-prefix': containerName },
            },
          },
        ],
        tags: [
          { key: 'team', value: 'payments' },
          { key: 'service', value: spec.name },
        ],
      }),
    )
  ).taskDefinition;
  if (!td?.taskDefinitionArn) throw new Error('RegisterTaskDefinition returned no task definition');
  const native = spec.controller === 'ECS';
  const svc = (
    await c.ecs.send(
      new CreateServiceCommand(
        native
          ? {
              cluster: spec.cluster,
              serviceName: spec.name,
              desiredCount,
              taskDefinition: td.taskDefinitionArn,
              launchType: 'FARGATE',
              networkConfiguration: {
                awsvpcConfiguration: { subnets: [...network.subnetIds], securityGroups: [network.securityGroupId], assignPublicIp: 'DISABLED' },
              },
              loadBalancers: [
                {
                  targetGroupArn: blue,
                  containerName,
                  containerPort,
                  advancedConfiguration: {
                    alternateTargetGroupArn: green,
                    productionListenerRule: ruleArn ?? listener.ListenerArn,
                    roleArn: `arn:aws:iam::${ACCOUNT}:role/ecsInfrastructureRoleForLoadBalancers`,
                  },
                },
              ],
              deploymentController: { type: 'ECS' },
              // moto gap (docs/aws-behaviour.md, moto's departures): CreateService drops
              // deploymentConfiguration; nothing here reads it back from the created service.
              deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1 },
            }
          : { cluster: spec.cluster, serviceName: spec.name, desiredCount, deploymentController: { type: 'EXTERNAL' } },
      ),
    )
  ).service;
  if (!svc?.serviceArn) throw new Error('CreateService returned no service');
  let taskSetId: string | undefined;
  let taskSetArn: string | undefined;
  if (spec.initialTaskSet !== false && !native) {
    const ts = (
      await c.ecs.send(
        new CreateTaskSetCommand({
          cluster: spec.cluster,
          service: spec.name,
          taskDefinition: td.taskDefinitionArn,
          externalId: 'initial',
          launchType: 'FARGATE',
          networkConfiguration: {
            awsvpcConfiguration: { subnets: [...network.subnetIds], securityGroups: [network.securityGroupId], assignPublicIp: 'DISABLED' },
          },
          loadBalancers: [{ targetGroupArn: blue, containerName, containerPort }],
          scale: { unit: 'PERCENT', value: 100 },
        }),
      )
    ).taskSet;
    if (!ts?.taskSetArn || !ts.id) throw new Error('CreateTaskSet returned no task set');
    taskSetId = ts.id;
    taskSetArn = ts.taskSetArn;
    // moto gap: UpdateServicePrimaryTaskSet matches the full ARN only (AWS also takes the id).
    await c.ecs.send(new UpdateServicePrimaryTaskSetCommand({ cluster: spec.cluster, service: spec.name, primaryTaskSet: ts.taskSetArn }));
    // moto gap: no targets are registered for a task set's tasks; the proxy in front of moto
    // (moto-proxy.ts) registers them as ECS would, so seed through it.
  }

  const lbFullName = fullNameOf(lb.LoadBalancerArn, 'loadbalancer');
  const tgFull = [fullNameOf(blue, 'targetgroup'), fullNameOf(green, 'targetgroup')] as const;
  const alarms = [`${spec.name}-5xx-blue`, `${spec.name}-5xx-green`, `${spec.name}-latency`] as const;
  const alarm = (name: string, metric: string, tg: string, stat: 'Sum' | 'Average', threshold: number) =>
    c.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: 'AWS/ApplicationELB',
        MetricName: metric,
        Dimensions: [
          { Name: 'TargetGroup', Value: tg },
          { Name: 'LoadBalancer', Value: lbFullName },
        ],
        Statistic: stat,
        Period: 60,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
  await alarm(alarms[0], 'HTTPCode_Target_5XX_Count', tgFull[0], 'Sum', 10);
  await alarm(alarms[1], 'HTTPCode_Target_5XX_Count', tgFull[1], 'Sum', 10);
  await alarm(alarms[2], 'TargetResponseTime', tgFull[0], 'Average', 1.5);

  const scalableResourceId = `service/${spec.cluster}/${spec.name}`;
  await c.autoscaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ResourceId: scalableResourceId,
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 2,
      MaxCapacity: 10,
    }),
  );
  return {
    spec,
    cluster: spec.cluster,
    service: spec.name,
    serviceArn: svc.serviceArn,
    family,
    containerName,
    containerPort,
    desiredCount,
    loadBalancerArn: lb.LoadBalancerArn,
    loadBalancerFullName: lbFullName,
    listenerArn: listener.ListenerArn,
    ...(ruleArn ? { ruleArn } : {}),
    routeArn: ruleArn ?? listener.ListenerArn,
    ...(testListenerArn ? { testListenerArn } : {}),
    targetGroupArns: [blue, green],
    targetGroupFullNames: tgFull,
    taskDefinitionArn: td.taskDefinitionArn,
    ...(taskSetId ? { taskSetId, taskSetArn } : {}),
    alarms,
    scalableResourceId,
  };
}

/**
 * An ECR repository (scan on push) holding `images`, pushed in order by manifest and digest; each
 * is scanned with the given finding counts (default: none), or left unscanned with `scan: null`.
 */
export async function createRepository(
  c: MotoClients,
  endpoint: string,
  region: string,
  repository: string,
  images: ReadonlyArray<{ seed: string; tag?: string; scan?: Record<string, number> | null }>,
): Promise<string[]> {
  await c.ecr.send(new CreateRepositoryCommand({ repositoryName: repository, imageScanningConfiguration: { scanOnPush: true } }));
  const digests: string[] = [];
  for (const im of images) {
    const digest = await pushImage(c.ecr, repository, im.seed, im.tag);
    if (im.scan !== null) await scanImage(c, endpoint, region, repository, digest, im.scan ?? {});
    digests.push(digest);
  }
  return digests;
}

/**
 * The image's scan, as ECR would report it after a basic scan on push. moto scans nothing on push
 * (a never-scanned image answers ScanNotFoundException) and reports one fake HIGH finding for any
 * scan: StartImageScan records the scan and moto's own API sets the result to these counts.
 */
export async function scanImage(
  c: MotoClients,
  endpoint: string,
  region: string,
  repository: string,
  digest: string,
  findingSeverityCounts: Record<string, number> = {},
): Promise<void> {
  await c.ecr.send(new StartImageScanCommand({ repositoryName: repository, imageId: { imageDigest: digest } }));
  const res = await fetch(`${endpoint}/moto-api/static/ecr/scan-finding-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      region,
      results: [
        {
          registryId: ACCOUNT,
          repositoryName: repository,
          imageId: { imageDigest: digest },
          imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
          imageScanFindings: { findings: [], findingSeverityCounts },
        },
      ],
    }),
  });
  if (!res.ok) throw new Error(`moto scan-finding-results failed: ${res.status}`);
}

/** A worker (issue #18): an EXTERNAL-controller service with no load balancer, one task set at 100 %. */
export interface MotoWorkerService {
  readonly cluster: string;
  readonly service: string;
  readonly desiredCount: number;
  readonly containerName: string;
  readonly taskDefinitionArn: string;
  readonly taskSetId: string;
}

/**
 * A worker service as a user would have it before Cutover: a revision whose container has no port
 * mapping and CUTOVER_VERSION `initial` in its environment, the service with desiredCount tasks and
 * no load balancer, and its first task set (no loadBalancers) PRIMARY at 100 %.
 */
export async function createWorkerService(
  c: MotoClients,
  region: string,
  network: Network,
  spec: { readonly name: string; readonly cluster: string; readonly repository: string; readonly digest: string; readonly desiredCount?: number },
): Promise<MotoWorkerService> {
  const containerName = 'worker';
  const desiredCount = spec.desiredCount ?? 3;
  await c.ecs.send(new CreateClusterCommand({ clusterName: spec.cluster }));
  const td = (
    await c.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: spec.name,
        taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/${spec.name}-task`,
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${spec.name}-execution`,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: containerName,
            image: `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${spec.repository}@${spec.digest}`,
            essential: true,
            // The moto gap of createService: a container needs memory or memoryReservation for a scale above 0.
            memoryReservation: 256,
            environment: [
              { name: 'CUTOVER_VERSION', value: 'initial' },
              { name: 'CUTOVER_COLOR', value: 'blue' },
            ],
          },
        ],
      }),
    )
  ).taskDefinition;
  if (!td?.taskDefinitionArn) throw new Error('RegisterTaskDefinition returned no task definition');
  await c.ecs.send(new CreateServiceCommand({ cluster: spec.cluster, serviceName: spec.name, desiredCount, deploymentController: { type: 'EXTERNAL' } }));
  const ts = (
    await c.ecs.send(
      new CreateTaskSetCommand({
        cluster: spec.cluster,
        service: spec.name,
        taskDefinition: td.taskDefinitionArn,
        externalId: 'initial',
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: { subnets: [...network.subnetIds], securityGroups: [network.securityGroupId], assignPublicIp: 'DISABLED' },
        },
        scale: { unit: 'PERCENT', value: 100 },
      }),
    )
  ).taskSet;
  if (!ts?.taskSetArn || !ts.id) throw new Error('CreateTaskSet returned no task set');
  await c.ecs.send(new UpdateServicePrimaryTaskSetCommand({ cluster: spec.cluster, service: spec.name, primaryTaskSet: ts.taskSetArn }));
  return { cluster: spec.cluster, service: spec.name, desiredCount, containerName, taskDefinitionArn: td.taskDefinitionArn, taskSetId: ts.id };
}

export async function createEventBus(c: MotoClients, name: string): Promise<void> {
  await c.events.send(new CreateEventBusCommand({ Name: name }));
}

export async function resetMoto(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
}
