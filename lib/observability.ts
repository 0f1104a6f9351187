/**
 * What operators watch: a dashboard of the four DORA measures per service (from the handlers'
 * EMF metrics, namespace `Cutover`), deployments in flight and rollback reasons; and alarms on
 * Cutover itself (handler errors, dead-letter queue depth, failed or stopped deploy executions,
 * a deployment stuck longer than its longest possible run) whose state changes are forwarded to
 * Cutover's own bus.
 *
 * Nothing here grows with the number of services: the per-service widgets are CloudWatch SEARCH
 * expressions over the `service`/`environment` dimensions, and the alarms are per function, per
 * queue and per state machine.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { type EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { longestRunOfAny, METRIC, METRICS_NAMESPACE } from '../functions/core/budgets.js';
import type { CutoverConfig } from '../functions/core/config.js';

/** The EMF namespace and metric names the handlers publish: one source, functions/core/budgets.ts. */
export { METRIC, METRICS_NAMESPACE };

export interface ObservabilityProps {
  readonly functions: Readonly<Record<string, NodejsFunction>>;
  readonly deadLetterQueues: Readonly<Record<string, Queue | undefined>>;
  readonly deployStateMachine: StateMachine;
  readonly bus: EventBus;
  /**
   * A deployment in flight longer than this is stuck (the longest run any configured service can
   * take, with every bake extension and the termination wait).
   */
  readonly stuckAfter: Duration;
  /**
   * The DORA dashboard (configuration `observability.dashboard`).
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * The alarms on Cutover itself and the rule forwarding their state changes (configuration
   * `observability.cutoverAlarms`). The forwarding role is kept either way (IAM roles cost nothing).
   * @default true
   */
  readonly alarms?: boolean;
}

/** A Metrics Insights query over every service and environment: one time series, so an alarm can use it. */
const insightsOverServices = (fn: 'SUM' | 'MAX', metric: string) =>
  `SELECT ${fn}(${metric}) FROM SCHEMA("${METRICS_NAMESPACE}", environment, service)`;

const perService = (metric: string, stat: string, period: Duration) =>
  `SEARCH('{${METRICS_NAMESPACE},environment,service} MetricName="${metric}"', '${stat}', ${period.toSeconds()})`;

export class CutoverObservability extends Construct {
  /** The DORA dashboard; none when `dashboard` is false. */
  readonly dashboard: Dashboard | undefined;
  readonly alarms: Alarm[] = [];
  /** The rule forwarding the alarms' state changes; none when `alarms` is false. */
  readonly alarmForwarding: Rule | undefined;
  /** The role the forwarding rule puts events on Cutover's bus with (admitted by the bus policy). */
  readonly forwardingRole: Role;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const day = Duration.days(1);

    // --- Alarms on Cutover itself -------------------------------------------------------------
    // (Configuration `observability.cutoverAlarms: false` leaves them out, and their forwarding rule.)
    if (props.alarms ?? true) {
      for (const [name, fn] of Object.entries(props.functions)) {
        this.alarms.push(
          new Alarm(this, `${name}Errors`, {
            alarmDescription: `Cutover handler ${name} threw errors (see its log group)`,
            metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
            threshold: 0,
            comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          }),
        );
      }
      for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
        if (!queue) continue;
        this.alarms.push(
          new Alarm(this, `${name}DeadLetters`, {
            alarmDescription: `Events for Cutover handler ${name} landed in its dead-letter queue`,
            metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
            threshold: 0,
            comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          }),
        );
      }
      // A rolled-back deployment ends its execution in a Fail state on purpose, so the state
      // machine's ExecutionsFailed counts rollbacks too. "Failed" here is Cutover's own FAILED
      // outcome (it could not finish, or could not even start), plus executions that were stopped or
      // timed out (which never reach a terminal handler).
      this.alarms.push(
        new Alarm(this, 'DeploymentsFailed', {
          alarmDescription: 'A deployment ended FAILED: Cutover could not complete or roll it back cleanly',
          // A Metrics Insights query, not SEARCH: an alarm cannot use SEARCH (CDK MathExpression docs;
          // CloudWatch "Create a CloudWatch alarm based on a Metrics Insights query"): one time series,
          // the sum over every service and environment.
          metric: new MathExpression({
            expression: insightsOverServices('SUM', METRIC.failed),
            usingMetrics: {},
            period: Duration.minutes(5),
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, 'DeployExecutionsStopped', {
          alarmDescription: 'Deploy executions were stopped or timed out (the reconcile sweep closes them)',
          metric: new MathExpression({
            expression: 'aborted + timedOut',
            usingMetrics: {
              aborted: props.deployStateMachine.metricAborted({ period: Duration.minutes(5), statistic: 'Sum' }),
              timedOut: props.deployStateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
            },
            period: Duration.minutes(5),
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, 'StuckDeployment', {
          alarmDescription: `A deployment has been in flight longer than ${props.stuckAfter.toHumanString()}, its longest possible run`,
          // The reconcile sweep publishes each in-flight deployment's age (per service and environment)
          // every run; the alarm takes the maximum over all of them. No sweep (reconcileSchedule off):
          // no data, and the alarm stays OK.
          metric: new MathExpression({
            expression: insightsOverServices('MAX', METRIC.oldestInFlight),
            usingMetrics: {},
            period: Duration.minutes(15),
          }),
          threshold: props.stuckAfter.toSeconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        // A security signal: intake or the alarm watcher refused an event (malformed, foreign, wrong
        // source or detail-type). The handlers answer it without an error (a retry would fail the same
        // way), so neither the Errors nor the DeadLetters alarms see it; their WARN log line names the field.
        new Alarm(this, 'RejectedEvents', {
          alarmDescription: 'Intake or the alarm watcher rejected an event (malformed, foreign account or region, wrong source): see their WARN log lines "event rejected"',
          metric: new Metric({ namespace: METRICS_NAMESPACE, metricName: METRIC.rejectedEvents, period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // CloudWatch alarms cannot target EventBridge directly: their state changes are events on the
    // default bus; one rule forwards those of Cutover's own alarms to Cutover's bus.
    // The role EventBridge forwards with: only rules of this account (confused deputy, issue #14 Low;
    // IAM User Guide, "The confused deputy problem": aws:SourceAccount / aws:SourceArn). The rule's
    // own ARN would make a cycle (the rule names the role), so rules of this account and region.
    const stack = Stack.of(this);
    this.forwardingRole = new Role(this, 'ForwardAlarmsRole', {
      description: "Cutover: EventBridge forwards Cutover's alarm state changes to Cutover's bus",
      assumedBy: new ServicePrincipal('events.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }) },
        },
      }),
    });
    this.alarmForwarding =
      this.alarms.length === 0
        ? undefined
        : new Rule(this, 'ForwardAlarmsToBus', {
          description: "Forward state changes of Cutover's own alarms to Cutover's event bus",
          eventPattern: {
            source: ['aws.cloudwatch'],
            detailType: ['CloudWatch Alarm State Change'],
            account: [stack.account],
            resources: this.alarms.map((a) => a.alarmArn),
          },
          targets: [new EventBusTarget(props.bus, { role: this.forwardingRole })],
        });

    // --- Dashboard ----------------------------------------------------------------------------
    const search = (metric: string, stat: string, period: Duration, label: string) =>
      new MathExpression({ expression: perService(metric, stat, period), usingMetrics: {}, label, period });
    // (Configuration `observability.dashboard: false` leaves it out.)
    this.dashboard =
      props.dashboard === false
        ? undefined
        : new Dashboard(this, 'Dashboard', {
          defaultInterval: Duration.days(14),
          widgets: [
            [
              new TextWidget({
                markdown:
                  '# Cutover\nThe four DORA measures per service and environment, from the deploy handlers. Change failure rate = (rolled back + failed) / started.',
                width: 24,
                height: 2,
              }),
            ],
            [
              new GraphWidget({
                title: 'Deployment frequency (succeeded per day)',
                left: [search(METRIC.succeeded, 'Sum', day, '')],
                width: 12,
              }),
              new GraphWidget({
                title: 'Lead time, push to promoted (seconds)',
                left: [search(METRIC.leadTime, 'Average', day, '')],
                width: 12,
              }),
            ],
            [
              new GraphWidget({
                title: 'Change failure rate (%)',
                left: [
                  new MathExpression({
                    expression: `100 * (SUM(${perService(METRIC.rolledBack, 'Sum', day)}) + SUM(${perService(METRIC.failed, 'Sum', day)})) / SUM(${perService(METRIC.started, 'Sum', day)})`,
                    usingMetrics: {},
                    label: 'all services',
                    period: day,
                  }),
                  new MathExpression({
                    expression: `100 * ${perService(METRIC.rolledBack, 'Sum', day)} / ${perService(METRIC.started, 'Sum', day)}`,
                    usingMetrics: {},
                    label: '',
                    period: day,
                  }),
                ],
                width: 12,
              }),
              new GraphWidget({
                title: 'Time to restore, alarm to traffic back on blue (seconds)',
                left: [search(METRIC.timeToRestore, 'Average', day, '')],
                width: 12,
              }),
            ],
            [
              new SingleValueWidget({
                title: 'Deployments in flight (started minus ended, last 24 h)',
                metrics: [
                  new MathExpression({
                    expression: `SUM(${perService(METRIC.started, 'Sum', day)}) - SUM(${perService(METRIC.succeeded, 'Sum', day)}) - SUM(${perService(METRIC.rolledBack, 'Sum', day)}) - SUM(${perService(METRIC.failed, 'Sum', day)})`,
                    usingMetrics: {},
                    label: 'in flight',
                    period: day,
                  }),
                ],
                width: 8,
              }),
              new GraphWidget({
                title: 'Rollback reasons',
                left: [
                  new MathExpression({
                    expression: `SEARCH('{${METRICS_NAMESPACE},reason} MetricName="${METRIC.rollbackReason}"', 'Sum', ${day.toSeconds()})`,
                    usingMetrics: {},
                    label: '',
                    period: day,
                  }),
                ],
                stacked: true,
                width: 16,
              }),
            ],
          ],
        });
  }
}

/** The longest a deployment of any configured service can run (the lock's lease uses the same). */
export const longestRunSeconds = (config: CutoverConfig): number => longestRunOfAny(config);
