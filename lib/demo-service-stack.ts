/**
 * `DemoServiceStack`: an ECS service to try Cutover on, deployed next to the control plane with
 * `cdk deploy CutoverDemoService`. A VPC, an internet-facing ALB with a production listener (port
 * 80) and a test listener (8080, reachable from inside the VPC), two IP target groups, a Fargate
 * cluster, an ECR repository, and a service with the `EXTERNAL` deployment controller whose initial
 * task set runs a public image on the first target group. Two alarms per target group (5xx count,
 * p99 latency). The output `CutoverServiceConfig` is the service's entry for cutover.config.json.
 *
 * ## Why CloudFormation never holds the weights
 *
 * Cutover moves production traffic by rewriting the weights of a forward action. If that action
 * lived in the template (a listener's `DefaultActions` or a `ListenerRule`'s `Actions`), any later
 * `cdk deploy` that updates the resource — a certificate, an SSL policy, a CDK upgrade that
 * re-renders it — would write the template's weights back: 100 % to target group A, which after an
 * even number of deployments is the retired side with no tasks. An outage from a routine deploy
 * (the trap CDK and Terraform users keep reporting; `ignore_changes` in Terraform, nothing in
 * CloudFormation). So the template holds no weights at all:
 *
 * - the production listener's default action is a fixed 404; production traffic is a listener rule
 *   (`/*`, priority 1) that a custom resource creates once, on Create, forwarding A 100 / B 0 — the
 *   service's `listenerRuleArn` in the Cutover configuration. Listener updates never touch rules;
 * - the test listener is created by the same custom resource (its default action is what Cutover
 *   points at green during a blue-green bake);
 * - the initial task set is created by it too (CloudFormation would otherwise try to replace or
 *   delete a task set that Cutover retired long ago);
 * - on Update the custom resource does nothing: after Create, Cutover owns the weights and the task
 *   sets. On Delete it removes what it created and every task set, so the stack deletes cleanly.
 *
 * (The alternative — a `CfnListener` whose forward action is set once, plus a cdk.json flag or an
 * escape hatch to stop re-rendering it — only holds as long as nobody changes that listener, and a
 * forgotten flag is an outage. The custom resource cannot drift back.)
 *
 * ## `engine: 'native'`: an ECS-controller service (issue #17)
 *
 * With `engine: 'native'` the service uses ECS's own deployment controller instead, set up for ECS's
 * blue/green, canary and linear deployments behind the same ALB: `DeploymentController` ECS, a
 * `DeploymentConfiguration` strategy mapped from `strategy` ({@link nativeDeploymentConfiguration}),
 * the task definition and the load balancer on the service itself (target group A, with
 * `AdvancedConfiguration` naming B as the alternate target group, the production listener rule, and
 * an ECS infrastructure role for load balancers). ECS moves the weights of that rule; the bootstrap
 * creates the rule just the same (Create only, A 100 / B 0) and nothing else: no task set, no test
 * listener (ECS would shift a test listener *rule*, which the demo does not set up), so the output
 * has no `testListenerArn`. Cutover's lifecycle hook is not in the template: Cutover adds it with
 * the strategy on each deployment's UpdateService. The CDK L2 (`AlternateTarget`,
 * `ListenerRuleConfiguration`) takes a CloudFormation-managed `ApplicationListenerRule`, whose
 * forward weights a later deploy would write back (the trap above), so the service is the L1
 * `CfnService`. A later `cdk deploy` that changes the task definition starts an ECS deployment of
 * the template's revision (CloudFormation owns that property of a native service); deploy images
 * through Cutover.
 */
import { Aws, type CfnResource, CfnOutput, CustomResource, Duration, Fn, RemovalPolicy, Stack, type StackProps, Token } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Peer, Port, SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Repository } from 'aws-cdk-lib/aws-ecr';
import { CfnService, Cluster, ContainerImage, ContainerInsights, FargateTaskDefinition, LogDrivers } from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  ListenerAction,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcards } from './nag.js';

export interface DemoServiceStackProps extends StackProps {
  /**
   * The service's name in the Cutover configuration; also the ECS service and container-image
   * repository name (`cutover-demo/<name>`).
   * @default 'web'
   */
  readonly serviceName?: string;
  /** @default 'production' */
  readonly environment?: string;
  /** Tasks the service runs. @default 2 */
  readonly desiredCount?: number;
  /**
   * What the initial task set runs, before Cutover deploys an image from the repository.
   * @default 'public.ecr.aws/nginx/nginx:stable-alpine'
   */
  readonly initialImage?: string;
  /**
   * Which deployment controller the service uses: `task-set` (EXTERNAL, Cutover's task sets) or
   * `native` (ECS, ECS's own blue/green, canary or linear gated by Cutover's lifecycle hook).
   * @default 'task-set'
   */
  readonly engine?: 'task-set' | 'native';
  /** The port the container listens on. @default 80 */
  readonly containerPort?: number;
  /** Health-check path of both target groups. @default '/' */
  readonly healthCheckPath?: string;
  /** Who may reach the production listener. @default '0.0.0.0/0' (a public demo) */
  readonly allowFrom?: string;
  /** The strategy written into the `CutoverServiceConfig` output. @default a 10 % canary with a 5-minute bake */
  readonly strategy?: Readonly<Record<string, unknown>>;
  /** 5xx responses per minute of one target group that trip its alarm. @default 10 */
  readonly max5xxPerMinute?: number;
  /** p99 target response time that trips the latency alarm. @default Duration.seconds(1) */
  readonly maxP99Latency?: Duration;
}

/** The Cutover configuration entry of the demo service (the `CutoverServiceConfig` output). */
export interface DemoServiceConfigInput {
  readonly name: string;
  readonly environment: string;
  readonly cluster: string;
  readonly service: string;
  readonly containerName: string;
  readonly repository: string;
  readonly listenerRuleArn: string;
  /** Absent with engine native (the demo sets up no test listener rule for ECS). */
  readonly testListenerArn?: string;
  readonly targetGroupArns: readonly [string, string];
  readonly alarms: readonly string[];
  readonly strategy: Readonly<Record<string, unknown>>;
  /** Written only when `native` (the default, task-set, is what Inspect detects for an EXTERNAL service). */
  readonly engine?: 'task-set' | 'native';
}

/** The service entry for cutover.config.json (plain data: tokens at synth, ARNs once deployed). */
export function demoServiceConfig(input: DemoServiceConfigInput): Record<string, unknown> {
  return {
    name: input.name,
    environment: input.environment,
    cluster: input.cluster,
    service: input.service,
    containerName: input.containerName,
    repository: input.repository,
    tagFilter: '*',
    listenerRuleArn: input.listenerRuleArn,
    targetGroupArns: [...input.targetGroupArns],
    ...(input.testListenerArn !== undefined ? { testListenerArn: input.testListenerArn } : {}),
    alarms: [...input.alarms],
    strategy: { ...input.strategy },
    ...(input.engine === 'native' ? { engine: 'native' } : {}),
  };
}

/** ECS's `DeploymentConfiguration` fields for a native service (the ones Cutover's UpdateService also sets). */
export interface NativeDeploymentConfiguration {
  readonly strategy: 'BLUE_GREEN' | 'CANARY' | 'LINEAR';
  readonly bakeTimeInMinutes: number;
  readonly canaryConfiguration?: { readonly canaryPercent: number; readonly canaryBakeTimeInMinutes: number };
  readonly linearConfiguration?: { readonly stepPercent: number; readonly stepBakeTimeInMinutes: number };
}

/**
 * The service's deployment configuration for a Cutover strategy, as Cutover's native engine maps it
 * (functions/core/native.ts `strategyFor`, which lib/ may not import; a test holds the two equal):
 * ECS's canary and step bakes are 0 (Cutover's hook holds those bakes), the bake after 100 % is
 * ECS's `bakeTimeInMinutes`. Used for the deployments ECS starts itself (a CloudFormation update);
 * Cutover sets its own on each deployment.
 *
 * Worked examples:
 * - `{ type: 'canary', percent: 10, bakeSeconds: 300 }` -> CANARY, canaryPercent 10, bakes 0
 * - `{ type: 'blue-green', bakeSeconds: 300, finalBakeSeconds: 120 }` -> BLUE_GREEN, bakeTimeInMinutes 2
 * - `{ type: 'linear', stepPercent: 25 }` -> LINEAR, stepPercent 25, bakes 0
 * - `{ type: 'all-at-once', bakeSeconds: 120 }` -> BLUE_GREEN, bakeTimeInMinutes 2 (its bake is after 100 %)
 * - refused (an Error naming `strategy`): a step list, a linear step under 3 %, a final bake that is
 *   not whole minutes up to 1440
 */
export function nativeDeploymentConfiguration(strategy: Readonly<Record<string, unknown>>): NativeDeploymentConfiguration {
  const at = `DemoServiceStack strategy (engine native): ${JSON.stringify(strategy)}`;
  // The bake after 100 %: all-at-once's bakeSeconds, else finalBakeSeconds (linear has none).
  const finalKey = strategy.type === 'all-at-once' ? 'bakeSeconds' : 'finalBakeSeconds';
  const finalBake = strategy.type === 'linear' ? 0 : (strategy[finalKey] ?? 0);
  if (typeof finalBake !== 'number' || !Number.isInteger(finalBake / 60) || finalBake < 0 || finalBake > 1440 * 60) {
    throw new Error(`${at}: ${finalKey} ${String(finalBake)} must be whole minutes up to 1440 (ECS's bakeTimeInMinutes)`);
  }
  const bakeTimeInMinutes = finalBake / 60;
  switch (strategy.type) {
    case 'canary': {
      const percent = strategy.percent;
      if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 99) {
        throw new Error(`${at}: percent must be a whole number from 1 to 99`);
      }
      return { strategy: 'CANARY', bakeTimeInMinutes, canaryConfiguration: { canaryPercent: percent, canaryBakeTimeInMinutes: 0 } };
    }
    case 'linear': {
      const step = strategy.stepPercent;
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 3 || step > 100) {
        throw new Error(`${at}: stepPercent must be a whole number from 3 to 100 (ECS's LinearConfiguration.stepPercent starts at 3)`);
      }
      // One step of 100 % is one shift: BLUE_GREEN, as Cutover maps it.
      if (step === 100) return { strategy: 'BLUE_GREEN', bakeTimeInMinutes };
      return { strategy: 'LINEAR', bakeTimeInMinutes, linearConfiguration: { stepPercent: step, stepBakeTimeInMinutes: 0 } };
    }
    case 'blue-green':
    case 'all-at-once':
      return { strategy: 'BLUE_GREEN', bakeTimeInMinutes };
    default:
      throw new Error(`${at}: the demo's native service maps "canary", "linear", "blue-green" or "all-at-once"; use one of those (a step list is mapped by Cutover itself, engine "native")`);
  }
}

/** Port of the test listener (inside the VPC only). */
export const TEST_LISTENER_PORT = 8080;
export const CONTAINER_NAME = 'app';

/**
 * The custom resource's handler (inline: CloudFormation's ZipFile takes at most 4096 characters).
 * Create: the production rule (A 100 / B 0), the test listener (-> B), the initial task set on A,
 * made primary. Update: nothing — Cutover owns weights and task sets. Delete: all of it, and every
 * task set of the service. Answers CloudFormation itself (no provider framework).
 *
 * Issue #14 (Low): invoked directly, it did the same (force-deleted the task sets) and answered any
 * ResponseURL. It now acts only on a request CloudFormation made for this resource: the ResponseURL is
 * CloudFormation's pre-signed S3 URL (`https://cloudformation-custom-resource-response-<region>.s3...
 * .amazonaws.com/...`, AWS CloudFormation User Guide, "Custom resource request objects"), StackId
 * and LogicalResourceId are this stack's and this resource's, and CloudFormation reports the resource
 * as `<RequestType>_IN_PROGRESS` (DescribeStackResource). Anything else is refused without acting
 * or replying.
 */
export const BOOTSTRAP_HANDLER = `const X=require('@aws-sdk/client-ecs'),E=require('@aws-sdk/client-elastic-load-balancing-v2'),C=require('@aws-sdk/client-cloudformation'),https=require('https');
const ecs=new X.ECSClient({}),elb=new E.ElasticLoadBalancingV2Client({}),cfn=new C.CloudFormationClient({});
const genuine=async ev=>{let u;try{u=new URL(ev.ResponseURL)}catch{return false}
if(u.protocol!=='https:'||!/^cloudformation-custom-resource-response-[a-z0-9]+\\.s3([.-][a-z0-9-]+)*\\.amazonaws\\.com(\\.cn)?$/.test(u.hostname))return false;
if(ev.StackId!==process.env.STACK_ID||ev.LogicalResourceId!==process.env.LOGICAL_ID||!['Create','Update','Delete'].includes(ev.RequestType))return false;
const r=await cfn.send(new C.DescribeStackResourceCommand({StackName:ev.StackId,LogicalResourceId:ev.LogicalResourceId}));
return !!r.StackResourceDetail&&r.StackResourceDetail.ResourceStatus===ev.RequestType.toUpperCase()+'_IN_PROGRESS'};
const reply=(ev,Status,id,Data,Reason)=>new Promise((ok,ko)=>{const b=JSON.stringify({Status,Reason:Reason||'see the CloudWatch log',PhysicalResourceId:id,StackId:ev.StackId,RequestId:ev.RequestId,LogicalResourceId:ev.LogicalResourceId,Data});const u=new URL(ev.ResponseURL);const r=https.request({hostname:u.hostname,path:u.pathname+u.search,method:'PUT',headers:{'content-type':'','content-length':Buffer.byteLength(b)}},s=>{s.resume();s.on('end',ok)});r.on('error',ko);r.end(b)});
const gone=e=>{if(!/NotFound|NotActive/.test(e.name||''))throw e};
const testListener=async p=>((await elb.send(new E.DescribeListenersCommand({LoadBalancerArn:p.LoadBalancerArn}))).Listeners||[]).find(l=>l.Port===Number(p.TestPort));
const forward=a=>[{Type:'forward',ForwardConfig:{TargetGroups:[{TargetGroupArn:a.TargetGroupA,Weight:a.W},{TargetGroupArn:a.TargetGroupB,Weight:100-a.W}]}}];
exports.handler=async ev=>{if(!(await genuine(ev).catch(()=>false))){console.error('refused: not a CloudFormation request for this stack and resource');return}
const p=ev.ResourceProperties;let id=ev.PhysicalResourceId,Data={};
try{
if(ev.RequestType==='Create'){
id=(await elb.send(new E.CreateRuleCommand({ListenerArn:p.ListenerArn,Priority:1,Conditions:[{Field:'path-pattern',PathPatternConfig:{Values:['/*']}}],Actions:forward({...p,W:100})}))).Rules[0].RuleArn;
if(p.Engine!=='native'){await elb.send(new E.CreateListenerCommand({LoadBalancerArn:p.LoadBalancerArn,Protocol:'HTTP',Port:Number(p.TestPort),DefaultActions:forward({...p,W:0})}));
const t=await ecs.send(new X.CreateTaskSetCommand({cluster:p.Cluster,service:p.Service,taskDefinition:p.TaskDefinition,launchType:'FARGATE',externalId:'cutover-demo-initial',clientToken:ev.RequestId.slice(0,36),networkConfiguration:{awsvpcConfiguration:{subnets:p.Subnets,securityGroups:p.SecurityGroups,assignPublicIp:'DISABLED'}},loadBalancers:[{targetGroupArn:p.TargetGroupA,containerName:p.ContainerName,containerPort:Number(p.ContainerPort)}],scale:{unit:'PERCENT',value:100}}));
await ecs.send(new X.UpdateServicePrimaryTaskSetCommand({cluster:p.Cluster,service:p.Service,primaryTaskSet:t.taskSet.taskSetArn}))}
}else if(ev.RequestType==='Delete'){
const l=await testListener(p);if(l)await elb.send(new E.DeleteListenerCommand({ListenerArn:l.ListenerArn})).catch(gone);
if(/^arn:/.test(id))await elb.send(new E.DeleteRuleCommand({RuleArn:id})).catch(gone);
const s=p.Engine==='native'?[]:(await ecs.send(new X.DescribeServicesCommand({cluster:p.Cluster,services:[p.Service]}))).services||[];
for(const t of (s[0]&&s[0].taskSets)||[])await ecs.send(new X.DeleteTaskSetCommand({cluster:p.Cluster,service:p.Service,taskSet:t.id,force:true})).catch(gone);
}
if(ev.RequestType!=='Delete'){const l=await testListener(p);Data={ProductionRuleArn:id,TestListenerArn:l?l.ListenerArn:''}}
await reply(ev,'SUCCESS',id,Data);
}catch(e){console.error(e);await reply(ev,'FAILED',id||'not-created',{},String(e.message||e).slice(0,400))}};
`;

export class DemoServiceStack extends Stack {
  readonly vpc: Vpc;
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly targetGroups: readonly [ApplicationTargetGroup, ApplicationTargetGroup];
  readonly cluster: Cluster;
  readonly service: CfnService;
  readonly repository: Repository;
  readonly alarms: readonly Alarm[];
  /** The production listener rule Cutover (task-set) or ECS (native) shifts (created by the bootstrap custom resource). */
  readonly productionRuleArn: string;
  /** The test listener (task-set only; engine native sets up none). */
  readonly testListenerArn?: string;
  /** Which deployment controller the service uses (the `engine` prop). */
  readonly engine: 'task-set' | 'native';
  /**
   * Engine native: the ECS infrastructure role for load balancers (trusted by ecs.amazonaws.com, with
   * the AWS managed policy AmazonECSInfrastructureRolePolicyForLoadBalancers) that ECS uses to move
   * the production rule's weights between the two target groups.
   */
  readonly infrastructureRole?: Role;
  /** The `CutoverServiceConfig` entry (with tokens). */
  readonly serviceConfig: Record<string, unknown>;
  /**
   * The task role and execution role of the service's task definition: Cutover's register passes
   * them (iam:PassRole), so they belong in the configuration's `taskRoleArns` (else the first push
   * fails at register with TaskRoleNotAllowed). The `CutoverTaskRoleArns` output.
   */
  readonly taskRoleArns: readonly string[];
  /** A whole cutover.config.json for the demo alone (the `CutoverConfig` output, with tokens). */
  readonly cutoverConfig: Record<string, unknown>;

  /**
   * The first two zones of the region, resolved by CloudFormation (Fn::GetAZs): with an env, CDK
   * would otherwise look them up at synth, and `cdk synth` must work offline.
   */
  override get availabilityZones(): string[] {
    return [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())];
  }

  constructor(scope: Construct, id: string, props: DemoServiceStackProps = {}) {
    const engine = props.engine ?? 'task-set';
    const controller = engine === 'native' ? 'ECS deployment controller, blue/green, canary or linear by ECS' : 'EXTERNAL deployment controller';
    super(scope, id, { description: `Cutover demo: an ECS service (${controller}) behind an ALB`, ...props });
    this.engine = engine;
    if (engine !== 'task-set' && engine !== 'native') {
      throw new Error(`DemoServiceStack engine: "${String(engine)}" must be "task-set" (EXTERNAL controller) or "native" (ECS controller)`);
    }
    const name = props.serviceName ?? 'web';
    const environment = props.environment ?? 'production';
    const port = props.containerPort ?? 80;
    const prefix = `cutover-demo-${name}`;
    const desiredCount = props.desiredCount ?? 2;
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) {
      throw new Error(`DemoServiceStack serviceName: "${name}" must be 1-32 characters of a-z, 0-9 and -, starting with a letter (a Cutover service name)`);
    }
    if (!Number.isInteger(desiredCount) || desiredCount < 1 || desiredCount > 100) {
      throw new Error(`DemoServiceStack desiredCount: ${desiredCount} must be a whole number from 1 to 100`);
    }

    // ---- network: two AZs, one NAT gateway, flow logs
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
    });
    this.vpc.addFlowLog('FlowLogs');

    // ---- load balancer: production listener (404 by default; the rule is Cutover's), access logs
    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(accessLogs, 'AwsSolutions-S1', 'this bucket receives the load balancer access logs; logging access to the log bucket itself is left to the account baseline');
    const albSg = new SecurityGroup(this, 'LoadBalancerSecurityGroup', { vpc: this.vpc, description: 'Cutover demo ALB', allowAllOutbound: false });
    const allowFrom = props.allowFrom ?? '0.0.0.0/0';
    albSg.addIngressRule(Peer.ipv4(allowFrom), Port.tcp(80), 'production traffic');
    albSg.addIngressRule(Peer.ipv4(this.vpc.vpcCidrBlock), Port.tcp(TEST_LISTENER_PORT), 'test traffic, from inside the VPC only');
    if (allowFrom === '0.0.0.0/0') {
      acknowledge(albSg, 'AwsSolutions-EC23', 'the demo service is a public web endpoint on port 80 (set allowFrom to narrow it)');
    }
    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      securityGroup: albSg,
      dropInvalidHeaderFields: true,
    });
    if (Token.isUnresolved(this.region)) {
      // ELB's log delivery principal depends on the region: an environment-agnostic stack cannot name it.
      acknowledge(this.loadBalancer, 'AwsSolutions-ELB2', 'environment-agnostic synth: give the stack an env (account and region) and access logs go to the AccessLogs bucket');
    } else {
      this.loadBalancer.logAccessLogs(accessLogs, 'alb');
    }
    const production = this.loadBalancer.addListener('Production', {
      port: 80,
      protocol: ApplicationProtocol.HTTP,
      open: false,
      defaultAction: ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'no route (the production rule is managed by Cutover)' }),
    });

    const targetGroup = (label: 'a' | 'b') =>
      new ApplicationTargetGroup(this, `TargetGroup${label.toUpperCase()}`, {
        vpc: this.vpc,
        targetType: TargetType.IP,
        port,
        protocol: ApplicationProtocol.HTTP,
        deregistrationDelay: Duration.seconds(30),
        healthCheck: {
          path: props.healthCheckPath ?? '/',
          interval: Duration.seconds(10),
          timeout: Duration.seconds(5),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 3,
        },
      });
    this.targetGroups = [targetGroup('a'), targetGroup('b')];

    // ---- containers: cluster, repository, task definition, the service (EXTERNAL controller)
    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc, clusterName: prefix, containerInsightsV2: ContainerInsights.ENABLED });
    this.repository = new Repository(this, 'Repository', {
      repositoryName: `cutover-demo/${name}`,
      imageScanOnPush: true,
      removalPolicy: RemovalPolicy.DESTROY,
      emptyOnDelete: true,
    });
    const taskSg = new SecurityGroup(this, 'TaskSecurityGroup', { vpc: this.vpc, description: 'Cutover demo tasks', allowAllOutbound: true });
    taskSg.addIngressRule(albSg, Port.tcp(port), 'from the load balancer');
    albSg.addEgressRule(taskSg, Port.tcp(port), 'to the tasks');
    const taskLogs = new LogGroup(this, 'TaskLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', { cpu: 256, memoryLimitMiB: 512 });
    taskDefinition.addContainer(CONTAINER_NAME, {
      image: ContainerImage.fromRegistry(props.initialImage ?? 'public.ecr.aws/nginx/nginx:stable-alpine'),
      portMappings: [{ containerPort: port }],
      logging: LogDrivers.awsLogs({ streamPrefix: name, logGroup: taskLogs }),
    });
    // Cutover registers revisions copied from the live one and runs them with these roles.
    this.repository.grantPull(taskDefinition.obtainExecutionRole());
    acknowledge(
      taskDefinition.obtainExecutionRole(),
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken (to pull the images Cutover deploys from the repository) supports no resource-level permissions',
    );
    const native = engine === 'native';
    // Task-set: the EXTERNAL service comes first (the bootstrap creates its initial task set). Native:
    // the service comes after the bootstrap, whose production rule it names (see below).
    const externalService = native
      ? undefined
      : new CfnService(this, 'Service', {
          cluster: this.cluster.clusterName,
          serviceName: name,
          desiredCount,
          deploymentController: { type: 'EXTERNAL' },
          propagateTags: 'SERVICE',
          enableEcsManagedTags: true,
        });

    // ---- the bootstrap: production rule, test listener, initial task set — once (see above)
    const bootstrapLogs = new LogGroup(this, 'BootstrapLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const bootstrapRole = new Role(this, 'BootstrapRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: native
        ? 'Cutover demo bootstrap: creates the production rule once (ECS shifts it)'
        : 'Cutover demo bootstrap: creates the production rule, the test listener and the initial task set once',
    });
    bootstrapLogs.grantWrite(bootstrapRole);
    const lbArn = this.loadBalancer.loadBalancerArn;
    const lbPath = this.loadBalancer.loadBalancerFullName; // app/NAME/ID
    const elbArn = (kind: string) => Stack.of(this).formatArn({ service: 'elasticloadbalancing', resource: kind, resourceName: `${lbPath}/*` });
    const serviceArn = Stack.of(this).formatArn({ service: 'ecs', resource: 'service', resourceName: `${prefix}/${name}` });
    const taskSetArn = Stack.of(this).formatArn({ service: 'ecs', resource: 'task-set', resourceName: `${prefix}/${name}/*` });
    // Native: the rule only (the handler's Delete still removes a listener on the test port, if any).
    const statements = [
      new PolicyStatement({ actions: ['elasticloadbalancing:CreateRule'], resources: [production.listenerArn] }),
      new PolicyStatement({ actions: ['elasticloadbalancing:DeleteRule'], resources: [elbArn('listener-rule/app')] }),
      ...(native ? [] : [new PolicyStatement({ actions: ['elasticloadbalancing:CreateListener'], resources: [lbArn] })]),
      new PolicyStatement({ actions: ['elasticloadbalancing:DeleteListener'], resources: [elbArn('listener/app')] }),
      new PolicyStatement({ actions: ['elasticloadbalancing:DescribeListeners'], resources: ['*'] }),
      ...(native
        ? []
        : [
            new PolicyStatement({ actions: ['ecs:CreateTaskSet', 'ecs:DescribeServices'], resources: [serviceArn] }),
            new PolicyStatement({ actions: ['ecs:UpdateServicePrimaryTaskSet', 'ecs:DeleteTaskSet'], resources: [serviceArn, taskSetArn] }),
            new PolicyStatement({
              actions: ['iam:PassRole'],
              resources: [taskDefinition.taskRole.roleArn, taskDefinition.obtainExecutionRole().roleArn],
              conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
            }),
          ]),
    ];
    const reasons = [
      'DeleteRule and DeleteListener on the rules and listeners of this load balancer only (their ids are generated)',
      'elasticloadbalancing:DescribeListeners supports no resource-level permissions',
      ...(native ? [] : ['task sets of this service only (their ids are generated)']),
    ];
    for (const s of statements) {
      bootstrapRole.addToPolicy(s);
      acknowledgeWildcards(bootstrapRole, s, reasons.join('; '));
    }
    acknowledge(bootstrapRole, `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(bootstrapLogs.node.defaultChild as never)}.Arn>:*]`, 'log streams of its own log group');
    const bootstrapFn = new LambdaFunction(this, 'Bootstrap', {
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: Code.fromInline(BOOTSTRAP_HANDLER),
      role: bootstrapRole,
      logGroup: bootstrapLogs,
      timeout: Duration.minutes(2),
      memorySize: 256,
      description: native
        ? 'Cutover demo bootstrap (custom resource): production rule; Create only'
        : 'Cutover demo bootstrap (custom resource): production rule, test listener, initial task set; Create only',
    });
    const privateSubnets = this.vpc.selectSubnets({ subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    // The request check (see BOOTSTRAP_HANDLER): this stack, and its resource's status.
    bootstrapFn.addEnvironment('STACK_ID', Aws.STACK_ID);
    bootstrapRole.addToPolicy(new PolicyStatement({ actions: ['cloudformation:DescribeStackResource'], resources: [Aws.STACK_ID] }));
    const bootstrap = new CustomResource(this, 'TrafficBootstrap', {
      serviceToken: bootstrapFn.functionArn,
      resourceType: 'Custom::CutoverDemoBootstrap',
      properties: {
        LoadBalancerArn: lbArn,
        ListenerArn: production.listenerArn,
        TestPort: String(TEST_LISTENER_PORT),
        TargetGroupA: this.targetGroups[0].targetGroupArn,
        TargetGroupB: this.targetGroups[1].targetGroupArn,
        // Native: the rule only, so a new task-definition revision never reaches the bootstrap.
        ...(native
          ? { Engine: 'native' }
          : {
              Cluster: this.cluster.clusterName,
              Service: name,
              TaskDefinition: taskDefinition.taskDefinitionArn,
              ContainerName: CONTAINER_NAME,
              ContainerPort: String(port),
              Subnets: privateSubnets,
              SecurityGroups: [taskSg.securityGroupId],
            }),
      },
    });
    bootstrap.node.addDependency(...(externalService ? [externalService] : []), this.vpc, bootstrapRole);
    bootstrapFn.addEnvironment('LOGICAL_ID', Stack.of(this).getLogicalId(bootstrap.node.defaultChild as CfnResource));
    this.productionRuleArn = bootstrap.getAttString('ProductionRuleArn');
    if (!native) this.testListenerArn = bootstrap.getAttString('TestListenerArn');

    // ---- native: the ECS-controller service, on the bootstrap's rule (ECS moves its weights)
    const strategy = props.strategy ?? { type: 'canary', percent: 10, bakeSeconds: 300 };
    if (externalService) {
      this.service = externalService;
    } else {
      this.infrastructureRole = new Role(this, 'EcsInfrastructureRole', {
        assumedBy: new ServicePrincipal('ecs.amazonaws.com'),
        managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonECSInfrastructureRolePolicyForLoadBalancers')],
        description: 'Cutover demo: the ECS infrastructure role for load balancers (ECS shifts the production rule between the two target groups)',
      });
      acknowledge(
        this.infrastructureRole,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
        'the AWS managed policy ECS documents for its infrastructure role for load balancers (blue/green, canary and linear deployments); AWS maintains it as ECS adds what it needs',
      );
      this.service = new CfnService(this, 'Service', {
        cluster: this.cluster.clusterName,
        serviceName: name,
        desiredCount,
        launchType: 'FARGATE',
        taskDefinition: taskDefinition.taskDefinitionArn,
        deploymentController: { type: 'ECS' },
        deploymentConfiguration: { ...nativeDeploymentConfiguration(strategy) },
        networkConfiguration: { awsvpcConfiguration: { subnets: privateSubnets, securityGroups: [taskSg.securityGroupId], assignPublicIp: 'DISABLED' } },
        loadBalancers: [
          {
            containerName: CONTAINER_NAME,
            containerPort: port,
            targetGroupArn: this.targetGroups[0].targetGroupArn,
            advancedConfiguration: {
              alternateTargetGroupArn: this.targetGroups[1].targetGroupArn,
              productionListenerRule: this.productionRuleArn,
              roleArn: this.infrastructureRole.roleArn,
            },
          },
        ],
        healthCheckGracePeriodSeconds: 30,
        propagateTags: 'SERVICE',
        enableEcsManagedTags: true,
      });
    }

    // ---- alarms: 5xx count and p99 latency of each target group
    const alarms: Alarm[] = [];
    this.targetGroups.forEach((tg, i) => {
      const side = i === 0 ? 'a' : 'b';
      const dimensionsMap = { TargetGroup: tg.targetGroupFullName, LoadBalancer: this.loadBalancer.loadBalancerFullName };
      alarms.push(
        new Alarm(this, `Http5xx${side.toUpperCase()}`, {
          alarmName: `${prefix}-5xx-${side}`,
          alarmDescription: `5xx responses of ${name} on target group ${side.toUpperCase()} (Cutover rolls back on ALARM)`,
          metric: new Metric({ namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensionsMap, statistic: 'Sum', period: Duration.minutes(1) }),
          threshold: props.max5xxPerMinute ?? 10,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, `Latency${side.toUpperCase()}`, {
          alarmName: `${prefix}-latency-${side}`,
          alarmDescription: `p99 response time of ${name} on target group ${side.toUpperCase()} (Cutover rolls back on ALARM)`,
          metric: new Metric({ namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensionsMap, statistic: 'p99', period: Duration.minutes(1) }),
          threshold: (props.maxP99Latency ?? Duration.seconds(1)).toMilliseconds() / 1000,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    });
    this.alarms = alarms;

    // ---- what to put into cutover.config.json
    this.serviceConfig = demoServiceConfig({
      name,
      environment,
      cluster: prefix,
      service: name,
      containerName: CONTAINER_NAME,
      repository: this.repository.repositoryName,
      listenerRuleArn: this.productionRuleArn,
      ...(this.testListenerArn !== undefined ? { testListenerArn: this.testListenerArn } : {}),
      targetGroupArns: [this.targetGroups[0].targetGroupArn, this.targetGroups[1].targetGroupArn],
      alarms: alarms.map((a) => a.alarmName),
      strategy,
      ...(native ? { engine: 'native' as const } : {}),
    });
    new CfnOutput(this, 'CutoverServiceConfig', {
      description: 'Add this object to "services" in cutover.config.json, then cdk deploy CutoverStack',
      value: Stack.of(this).toJsonString(this.serviceConfig),
    });
    this.taskRoleArns = [taskDefinition.taskRole.roleArn, taskDefinition.obtainExecutionRole().roleArn];
    new CfnOutput(this, 'CutoverTaskRoleArns', {
      description: 'Add these to "taskRoleArns" in cutover.config.json (Cutover passes them when it registers a revision)',
      value: Stack.of(this).toJsonString(this.taskRoleArns),
    });
    this.cutoverConfig = {
      account: Stack.of(this).account,
      region: Stack.of(this).region,
      environments: [{ name: environment }],
      taskRoleArns: [...this.taskRoleArns],
      services: [this.serviceConfig],
    };
    new CfnOutput(this, 'CutoverConfig', {
      description: 'A whole cutover.config.json for the demo (when it is the only service), then cdk deploy CutoverStack',
      value: Stack.of(this).toJsonString(this.cutoverConfig),
    });
    new CfnOutput(this, 'Url', { value: `http://${this.loadBalancer.loadBalancerDnsName}/` });
    new CfnOutput(this, 'RepositoryUri', { value: this.repository.repositoryUri });
  }
}
