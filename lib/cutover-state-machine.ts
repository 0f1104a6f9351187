/**
 * The one way Cutover loads a state machine: `statemachines/<name>.asl.json` through
 * `DefinitionBody.fromFile` with `definitionSubstitutions`, logging to its own log group, X-Ray
 * tracing on, and every permission the definition needs granted explicitly — CDK cannot see into a
 * definition file, so nothing is inferred.
 *
 * At synth the file is parsed: each `${Key}` must be one Cutover knows (lib/asl.ts), each
 * `${<Name>FunctionArn}` must name a built handler, and each Task Resource must be an integration
 * this construct knows how to grant; anything else is a synth error naming the file and the state.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ArnFormat, Aws, Fn, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type AslJson, AslError, classifyPlaceholder, type Integration, integrations, placeholderKeys } from './asl.js';
import { chunkArns, type ScopedHookFunctions, type ScopedPassRoles } from './iam-scope.js';
import { acknowledge, acknowledgeWildcards } from './nag.js';

/** `deploy.asl.json` -> `deploy`. */
export function stateMachineNameOf(file: string): string {
  return basename(file).replace(/\.asl\.json$/, '');
}

/** A state machine another definition may start, by its file name (`cleanup`). */
export interface StateMachineRef {
  readonly arn: string;
  /** The physical name (for execution ARNs). */
  readonly name: string;
}

export interface CutoverStateMachineProps {
  /** Path of the `.asl.json` file. */
  readonly definitionFile: string;
  /** Physical name; known before creation so handlers can get the ARN without a reference cycle. */
  readonly stateMachineName: string;
  /**
   * The state machine's ARN, built from its name: the role trusts Step Functions only on behalf of
   * this state machine (`aws:SourceArn`) in this account (`aws:SourceAccount`).
   */
  readonly stateMachineArn: string;
  /** Built handlers by name (`alarm-watcher`), for `${<Name>FunctionArn}`. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** Every loaded state machine by name (`deploy`), for `${<Name>StateMachineArn}`. */
  readonly stateMachines: Readonly<Record<string, StateMachineRef>>;
  readonly eventBus: IEventBus;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** The configured hook functions, for a `lambda:invoke` whose `FunctionName.$` is a path (none: no grant). */
  readonly hookFunctions: ScopedHookFunctions;
  /**
   * Where `ecs:runTask` may run tasks: the clusters of the services with a `migration` (none: no
   * RunTask, PassRole or task grant at all — the migration states are never reached), and the roles
   * RunTask may pass (`taskRoleArns`; none: no PassRole).
   */
  readonly taskClusters: {
    readonly clusters: readonly string[];
    readonly tasks: readonly string[];
    readonly passRoles: ScopedPassRoles;
    /**
     * The task-definition families RunTask may run (`task-definition/FAMILY:*`, the migrating
     * services'); RunTask's resource is the task definition.
     * @default every family in the account and region
     */
    readonly families?: readonly string[];
  };
}

export class CutoverStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  /** Every `${Key}` in the definition. */
  readonly placeholders: readonly string[];
  /** Handlers the definition invokes (by name). */
  readonly invokedHandlers: readonly string[];
  readonly integrations: readonly Integration[];

  constructor(scope: Construct, id: string, props: CutoverStateMachineProps) {
    super(scope, id);
    const file = props.definitionFile;
    const text = readFileSync(file, 'utf8');
    let definition: AslJson;
    try {
      definition = JSON.parse(text) as AslJson;
    } catch (e) {
      throw new AslError(`${file}: not valid JSON: ${(e as Error).message}`);
    }

    // Placeholders -> substitutions.
    this.placeholders = placeholderKeys(text);
    const substitutions: Record<string, string> = {};
    const invoked = new Set<string>();
    for (const key of this.placeholders) {
      const p = classifyPlaceholder(key);
      if (p === undefined) {
        throw new AslError(
          `${file}: unknown placeholder \${${key}}; allowed: \${<Name>FunctionArn} (a handler), \${<Name>StateMachineArn}, \${EventBusName}, \${EventBusArn}`,
        );
      }
      switch (p.kind) {
        case 'functionArn': {
          const fn = props.functions[p.handler];
          if (fn === undefined) {
            throw new AslError(
              `${file}: placeholder \${${key}} names handler "${p.handler}", which is not built (known: ${Object.keys(props.functions).sort().join(', ')}); add functions/handlers/${p.handler}.ts to lib/handlers.ts`,
            );
          }
          substitutions[key] = fn.functionArn;
          invoked.add(p.handler);
          break;
        }
        case 'stateMachineArn': {
          const sm = props.stateMachines[p.stateMachine];
          if (sm === undefined) {
            throw new AslError(
              `${file}: placeholder \${${key}} names state machine "${p.stateMachine}", but statemachines/${p.stateMachine}.asl.json is not loaded`,
            );
          }
          substitutions[key] = sm.arn;
          break;
        }
        case 'eventBusName':
          substitutions[key] = props.eventBus.eventBusName;
          break;
        case 'eventBusArn':
          substitutions[key] = props.eventBus.eventBusArn;
          break;
        default: {
          const never: never = p;
          throw new AslError(`unhandled placeholder ${JSON.stringify(never)}`);
        }
      }
    }
    this.invokedHandlers = [...invoked].sort();
    this.integrations = integrations(definition, file);

    this.logGroup = new LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs from growing its account-wide resource policy.
      // The name ends with the stack's id (a new GUID for every stack created): a RETAINed group left by
      // a deleted stack or a failed first deploy never blocks the next create with "already exists"
      // (CloudFormation User Guide, "DeletionPolicy attribute": a retained resource stays in the account).
      logGroupName: stateMachineLogGroupName(props.stateMachineName),
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    // Issue #14 (Low): CDK's default role trusts states.amazonaws.com for every state machine in every
    // account; this one only for this state machine (IAM User Guide, "The confused deputy problem";
    // Step Functions supports aws:SourceArn / aws:SourceAccount in the trust policy).
    const role = new Role(this, 'Role', {
      description: `Cutover: the ${props.stateMachineName} state machine`,
      assumedBy: new ServicePrincipal('states.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnEquals: { 'aws:SourceArn': props.stateMachineArn },
        },
      }),
    });
    this.stateMachine = new StateMachine(this, 'Resource', {
      role,
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(file),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      // ALL events, without execution data: inputs and outputs carry task tokens (a bearer credential
      // for SendTaskSuccess) and deployment details; the execution history keeps them behind IAM.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups (Step Functions log delivery) and xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules and GetSamplingTargets (tracing) support no resource-level permissions',
    );

    for (const statement of this.statementsFor(this.integrations, props)) {
      this.stateMachine.addToRolePolicy(statement.statement);
      if (statement.wildcardReason) acknowledgeWildcards(this.stateMachine.role, statement.statement, statement.wildcardReason);
    }
  }

  /** The explicit grants for the integrations, merged by kind. */
  private statementsFor(
    used: readonly Integration[],
    props: CutoverStateMachineProps,
  ): Array<{ statement: PolicyStatement; wildcardReason?: string }> {
    const stack = Stack.of(this);
    const out: Array<{ statement: PolicyStatement; wildcardReason?: string }> = [];
    const functionArns = new Set<string>();
    const startArns = new Set<string>();
    const syncChildren = new Set<string>();
    let putEvents = false;
    const runTaskModes = new Set<string>();
    const sfnEventsRule = () =>
      stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule' });
    const ecsEventsRule = () =>
      stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForECSTaskRule' });

    let hookInvoke = false;
    for (const i of used) {
      switch (i.kind) {
        case 'lambdaInvoke': {
          const p = classifyPlaceholder(i.functionKey);
          if (p?.kind !== 'functionArn') throw new AslError(`state "${i.state}": ${i.functionKey} is not a function`);
          const fn = props.functions[p.handler];
          if (fn === undefined) throw new AslError(`state "${i.state}": handler "${p.handler}" is not built`);
          functionArns.add(fn.functionArn);
          break;
        }
        case 'hookInvoke':
          hookInvoke = true;
          break;
        case 'startExecution': {
          const p = classifyPlaceholder(i.stateMachineKey);
          if (p?.kind !== 'stateMachineArn') throw new AslError(`state "${i.state}": ${i.stateMachineKey} is not a state machine`);
          const sm = props.stateMachines[p.stateMachine];
          if (sm === undefined) throw new AslError(`state "${i.state}": state machine "${p.stateMachine}" is not loaded`);
          startArns.add(sm.arn);
          if (i.mode === 'sync' || i.mode === 'sync2') syncChildren.add(sm.name);
          break;
        }
        case 'ecsRunTask':
          runTaskModes.add(i.mode);
          break;
        case 'putEvents':
          putEvents = true;
          break;
        default: {
          const never: never = i;
          throw new AslError(`unhandled integration ${JSON.stringify(never)}`);
        }
      }
    }

    if (functionArns.size > 0) {
      out.push({ statement: new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...functionArns] }) });
    }
    if (hookInvoke && props.hookFunctions.arns.length > 0) {
      // Each configured hook by its ARN, however many (issue #14: never `function:*`).
      for (const chunk of chunkArns(props.hookFunctions.arns)) {
        out.push({ statement: new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: chunk }) });
      }
    }
    if (startArns.size > 0) {
      out.push({ statement: new PolicyStatement({ actions: ['states:StartExecution'], resources: [...startArns] }) });
    }
    if (syncChildren.size > 0) {
      out.push({
        statement: new PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: [...syncChildren].map((name) =>
            stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          ),
        }),
        wildcardReason: 'startExecution.sync waits on child executions whose ids are generated at StartExecution; the wildcard is limited to executions of the named child state machine',
      });
      out.push({
        statement: new PolicyStatement({
          actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
          resources: [sfnEventsRule()],
        }),
      });
    }
    const { clusters, tasks, passRoles, families } = props.taskClusters;
    if (runTaskModes.size > 0 && clusters.length > 0) {
      out.push({
        statement: new PolicyStatement({
          actions: ['ecs:RunTask'],
          resources: families && families.length > 0 ? [...families] : [stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: '*' })],
          conditions: { ArnLike: { 'ecs:cluster': [...clusters] } },
        }),
        wildcardReason:
          'ecs:RunTask runs the migration task of the revision registered for this deployment, a revision (known only at run time) of the family of a service that configures a migration; the ecs:cluster condition allows only those services\' clusters',
      });
      // RunTask passes the registered revision's roles, which register checked against the same list.
      if (passRoles.arns.length > 0) {
        out.push({
          statement: new PolicyStatement({
            actions: ['iam:PassRole'],
            resources: [...passRoles.arns],
            conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
          }),
          wildcardReason: passRoles.wildcardReason,
        });
      }
      if (runTaskModes.has('sync')) {
        out.push({
          statement: new PolicyStatement({ actions: ['ecs:StopTask', 'ecs:DescribeTasks'], resources: [...tasks] }),
          wildcardReason:
            'ecs:runTask.sync watches and stops the task it started, whose id is generated at RunTask; the wildcard is limited to tasks of the clusters that run migrations',
        });
        out.push({
          statement: new PolicyStatement({
            actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
            resources: [ecsEventsRule()],
          }),
        });
      }
    }
    if (putEvents) {
      out.push({ statement: new PolicyStatement({ actions: ['events:PutEvents'], resources: [props.eventBus.eventBusArn] }) });
    }
    return out;
  }
}

/**
 * `/aws/vendedlogs/states/<state machine name>-<stack GUID>`: unique to the stack instance (the last
 * part of `AWS::StackId`), so a retained log group never collides with the next stack's.
 */
export function stateMachineLogGroupName(stateMachineName: string): string {
  return `/aws/vendedlogs/states/${stateMachineName}-${Fn.select(2, Fn.split('/', Aws.STACK_ID))}`;
}
