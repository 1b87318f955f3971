import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  type AlarmProps,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  type IMetric,
  SearchExpression,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS } from '../../workflows/metrics.ts';

/** The custom metrics the Lambdas publish (workflows/metrics.ts), as the alarms key their series. */
export const FLOWLINK_METRICS = {
  namespace: METRICS.namespace,
  dimensions: { service: METRICS.serviceName },
  healthScore: METRICS.healthScore,
  criticalViolations: METRICS.criticalViolations,
  failingChecks: METRICS.failingChecks,
  rowsStored: METRICS.rowsStored,
} as const;

function flowlinkMetric(metricName: string, statistic: string, period: Duration): Metric {
  return new Metric({ namespace: FLOWLINK_METRICS.namespace, metricName, dimensionsMap: FLOWLINK_METRICS.dimensions, statistic, period });
}

/** Every per-check metric of the integrity check (one series per check id), whatever checks exist. */
export function integrityCheckSearch(): string {
  const m = FLOWLINK_METRICS;
  const others = [m.healthScore, m.criticalViolations, m.failingChecks, m.rowsStored].map((name) => `NOT MetricName="${name}"`).join(' AND ');
  return `SEARCH('{${m.namespace},service} service="${m.dimensions.service}" AND ${others}', 'Maximum', 86400)`;
}

export interface OperationsProps {
  readonly stateMachine: IStateMachine;
  /** Every Lambda, by a readable name (alarm names and the dashboard use it). */
  readonly functions: Record<string, IFunction>;
  /** Queues that hold what could not be delivered: any message is an alarm. */
  readonly deadLetterQueues: Record<string, IQueue>;
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string;
  readonly dashboardName?: string;
  /** The PostgreSQL instance and its RDS Proxy, by name (they live in the stateful stack). */
  /**
   * Sessions the proxy may pin without an alarm: every proxied step container (each pins its one
   * session: the fence's set_config, StoreImport's advisory lock), so their connection budget.
   */
  readonly pinnedSessionsExpected?: number;
  /**
   * Functions whose errors and throttles the state machine retries and, when retries run out,
   * records through MarkFailed and the failed execution: they page through ExecutionsFailed, not one by one.
   */
  readonly retriedByWorkflow?: readonly string[];
  /** What happens to the alarm topic's key when it leaves the stack (a throwaway stage deletes it). */
  readonly keyRemovalPolicy?: RemovalPolicy;
  readonly database: {
    readonly instanceIdentifier: string;
    readonly proxyName: string;
    readonly maxConnections: number;
    readonly allocatedStorageGiB: number;
  };
}

/**
 * The alarm topic, the alarms an operator acts on, and the dashboard.
 *
 * Primary course:
 * 1. An SNS topic, encrypted with a rotated customer key CloudWatch may use, TLS only.
 * 2. Alarms: failed, timed-out, aborted and throttled executions, any message in a dead-letter
 *    queue, any critical integrity violation, a daily integrity check that did not run, any error or
 *    throttle of any Lambda, the database's CPU, free storage and connections, and the proxy's
 *    pinned sessions.
 * 3. A dashboard: import volume and outcome, rows stored per second, duration, Lambda errors, and
 *    the integrity metrics over time.
 */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const destroyKey = props.keyRemovalPolicy === RemovalPolicy.DESTROY;
    const key = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'flowlink alarm topic',
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
      ...(destroyKey ? { pendingWindow: Duration.days(7) } : {}),
    });
    // CloudWatch publishes alarm notifications to the encrypted topic: this account's alarms only
    // (no confused deputy: another account's alarm cannot use the key through the service)
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': `arn:${Stack.of(this).partition}:cloudwatch:${Stack.of(this).region}:${Stack.of(this).account}:alarm:*` },
        },
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true, displayName: 'flowlink alarms' });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default (same-account
    // publishers): CloudWatch publishes as the service, so only the topic policy can let it in
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': `arn:${Stack.of(this).partition}:cloudwatch:${Stack.of(this).region}:${Stack.of(this).account}:alarm:*` },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const fiveMinutes = Duration.minutes(5);
    const sm = props.stateMachine;
    this.alarm('ExecutionsFailed', sm.metricFailed({ period: fiveMinutes, statistic: 'Sum' }), 'An import execution failed: see the execution in the Step Functions console.');
    this.alarm('ExecutionsTimedOut', sm.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }), 'An import execution timed out.');
    this.alarm('ExecutionsAborted', sm.metricAborted({ period: fiveMinutes, statistic: 'Sum' }), 'An import execution was aborted (stopped by hand or by a deploy): start it again.');
    this.alarm('ExecutionsThrottled', sm.metricThrottled({ period: fiveMinutes, statistic: 'Sum' }), 'Step Functions throttled state transitions of the import workflow.');
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.alarm(`${name}Depth`, queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }), `${name} holds undelivered events: redrive after fixing the cause.`);
    }
    // Stays in ALARM through a day without a check (IGNORE keeps the state): only a clean check clears it.
    const critical = flowlinkMetric(FLOWLINK_METRICS.criticalViolations, 'Maximum', Duration.days(1));
    this.alarm('IntegrityCriticalViolations', critical, 'The integrity check found critical violations (orphaned or wrongly linked rows).', {
      treatMissingData: TreatMissingData.IGNORE,
    });
    // Every daily check publishes HealthScore. Two UTC days without one means the check stopped
    // running: the alarm goes from OK to INSUFFICIENT_DATA, which notifies. A new alarm starts in
    // INSUFFICIENT_DATA without a notification, so a fresh deploy does not page before the first check.
    const missing = this.alarm(
      'IntegrityCheckMissing',
      flowlinkMetric(FLOWLINK_METRICS.healthScore, 'SampleCount', Duration.days(1)),
      'No integrity check has published a HealthScore for two days (INSUFFICIENT_DATA after OK): see the integrity-check Lambda and its schedule.',
      {
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: TreatMissingData.MISSING,
      },
    );
    missing.addInsufficientDataAction(new SnsAction(this.topic));
    const retried = new Set(props.retriedByWorkflow ?? []);
    for (const [name, fn] of Object.entries(props.functions)) {
      // a step's throttles are expected while imports run at once (they share its reservation) and are retried
      if (retried.has(name)) continue;
      this.alarm(`${name}Errors`, fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }), `The ${name} Lambda reported errors.`);
      this.alarm(`${name}Throttles`, fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }), `The ${name} Lambda was throttled: its reserved concurrency or the account's is exhausted.`);
    }

    const db = props.database;
    const rds = (metricName: string, dimension: Record<string, string>, statistic: string) =>
      new Metric({ namespace: 'AWS/RDS', metricName, dimensionsMap: dimension, statistic, period: fiveMinutes });
    const instance = { DBInstanceIdentifier: db.instanceIdentifier };
    this.alarm('DatabaseCpu', rds('CPUUtilization', instance, 'Average'), 'PostgreSQL CPU above 80 % for 15 minutes.', { threshold: 80, evaluationPeriods: 3 });
    this.alarm('DatabaseFreeStorage', rds('FreeStorageSpace', instance, 'Minimum'), 'PostgreSQL has less than 10 % of its allocated storage free (autoscaling may be at its maximum).', {
      threshold: db.allocatedStorageGiB * 1024 ** 3 * 0.1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });
    this.alarm('DatabaseConnections', rds('DatabaseConnections', instance, 'Maximum'), `PostgreSQL connections above 90 % of max_connections (${db.maxConnections}).`, {
      threshold: Math.floor(db.maxConnections * 0.9),
      evaluationPeriods: 2,
    });
    // each proxied step container pins its session (set_config in every step transaction: RDS Proxy
    // pins on setting parameters); more than the containers that may exist means a leak or an
    // operator's session. Summed: the proxy publishes the metric per proxy host.
    this.alarm(
      'ProxySessionsPinned',
      rds('DatabaseConnectionsCurrentlySessionPinned', { ProxyName: db.proxyName }, 'Sum'),
      'RDS Proxy holds more pinned sessions than the proxied step containers explain: a leaked session or one opened by hand through the proxy.',
      {
        threshold: props.pinnedSessionsExpected ?? 0,
        evaluationPeriods: 3,
      },
    );

    const rowsStored = flowlinkMetric(FLOWLINK_METRICS.rowsStored, 'Sum', fiveMinutes);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new TextWidget({
            width: 24,
            height: 2,
            markdown:
              '## flowlink imports\nImport volume = executions started. Rows/s = `RowsStored` (published by StoreImport, per import) summed per period / period seconds. ' +
              'Integrity: published daily by the integrity check (one metric per check id, plus HealthScore and CriticalViolations).',
          }),
        ],
        [
          new GraphWidget({
            title: 'Imports (executions)',
            width: 8,
            left: [
              sm.metricStarted({ period: Duration.hours(1), statistic: 'Sum', label: 'started' }),
              sm.metricSucceeded({ period: Duration.hours(1), statistic: 'Sum', label: 'succeeded' }),
              sm.metricFailed({ period: Duration.hours(1), statistic: 'Sum', label: 'failed' }),
              sm.metricTimedOut({ period: Duration.hours(1), statistic: 'Sum', label: 'timed out' }),
            ],
          }),
          new GraphWidget({
            title: 'Rows stored per second',
            width: 8,
            left: [new MathExpression({ expression: 'rows / PERIOD(rows)', usingMetrics: { rows: rowsStored }, label: 'rows/s', period: fiveMinutes })],
          }),
          new GraphWidget({
            title: 'Execution duration (ms)',
            width: 8,
            left: [sm.metricTime({ period: Duration.hours(1), statistic: 'p50', label: 'p50' }), sm.metricTime({ period: Duration.hours(1), statistic: 'Maximum', label: 'max' })],
          }),
        ],
        [
          new GraphWidget({
            title: 'Lambda errors',
            width: 12,
            left: Object.entries(props.functions).map(([name, fn]) => fn.metricErrors({ period: fiveMinutes, statistic: 'Sum', label: name })),
          }),
          new GraphWidget({
            title: 'Dead-letter queues',
            width: 12,
            left: Object.entries(props.deadLetterQueues).map(([name, q]) => q.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum', label: name })),
          }),
        ],
        [
          new GraphWidget({
            title: 'Integrity: health score',
            width: 8,
            left: [flowlinkMetric(FLOWLINK_METRICS.healthScore, 'Minimum', Duration.days(1))],
            leftYAxis: { min: 0, max: 100 },
          }),
          new GraphWidget({
            title: 'Integrity: critical violations, failing checks',
            width: 8,
            left: [critical, flowlinkMetric(FLOWLINK_METRICS.failingChecks, 'Maximum', Duration.days(1))],
          }),
          new GraphWidget({
            title: 'Integrity: violations per check',
            width: 8,
            // one series per check id, whatever checks exist: no dashboard change when a check is added
            left: [
              new SearchExpression({
                expression: integrityCheckSearch(),
                label: '',
                period: Duration.days(1),
              }),
            ],
          }),
        ],
        [new SingleValueWidget({ title: 'Latest health score', width: 6, metrics: [flowlinkMetric(FLOWLINK_METRICS.healthScore, 'Minimum', Duration.days(1))] })],
      ],
    });
  }

  private alarm(id: string, metric: IMetric, description: string, options: Partial<Pick<AlarmProps, 'threshold' | 'comparisonOperator' | 'evaluationPeriods' | 'treatMissingData'>> = {}): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
      ...options,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}
