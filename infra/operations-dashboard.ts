import { Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
  Metric,
  SearchExpression,
  Stats,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  CONNECT_FAILURE_REASON_DIMENSION,
  CONNECT_METRIC_DIMENSIONS,
  type ConnectMetricName,
} from '../shared/connect/connect-metrics.js';
import { REFRESH_METRIC_DIMENSIONS } from '../shared/lifecycle/refresh-metrics.js';
import { METRICS_NAMESPACE } from '../shared/metrics.js';
import { TIKTOK_ERROR_CODE_DIMENSION, TIKTOK_ERROR_METRIC } from '../shared/tiktok/tiktok-error-metrics.js';
import { refreshMetric, stackDimensions } from './refresh-metrics.js';
import { TABLE_OPERATIONS } from './service-alarms.js';

export interface OperationsDashboardProps {
  readonly dashboardName: string;
  readonly api: IHttpApi;
  /** Every function of the service, by construct id. */
  readonly functions: ReadonlyMap<string, IFunction>;
  readonly refreshQueue: IQueue;
  readonly refreshDeadLetterQueue: IQueue;
  /** Time between scheduled refresh runs: the refresh graphs sum per run, not per half run. */
  readonly refreshInterval: Duration;
  readonly table: ITable;
  /** Scheduled runs that could not start or failed. */
  readonly scheduledRunFailures: IQueue;
  /** Shown with their state at the top. */
  readonly alarms: readonly IAlarm[];
}

/** The period of every graph but the refresh ones, which sum per scheduled run. */
const PERIOD = Duration.minutes(5);
const WIDE = { width: 12, height: 6 } as const;
const THIRD = { width: 8, height: 6 } as const;
/** TikTokError carries the dimensions of the operation it ended (see emitTikTokError): Service and this. */
const OPERATION_DIMENSION = 'Operation' satisfies keyof typeof REFRESH_METRIC_DIMENSIONS;

/**
 * One page for whoever runs the service: alarms first, then connects, token refreshes and the refresh queue,
 * what TikTok refuses, latency, and the Lambdas underneath. Connect, refresh and TikTok-error figures are the
 * embedded metrics the functions emit (namespace TikTokConnect); the rest are AWS's own.
 */
export class OperationsDashboard extends Dashboard {
  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id, { dashboardName: props.dashboardName, defaultInterval: Duration.days(1) });
    // Our own metrics are this stack's only: every one carries the Stack dimension.
    const stackName = Stack.of(this).stackName;
    const perRun = (name: Parameters<typeof refreshMetric>[1], label: string) =>
      refreshMetric(stackName, name, props.refreshInterval).with({ label });
    const connectMetric = (metricName: ConnectMetricName) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: stackDimensions(stackName, CONNECT_METRIC_DIMENSIONS),
        statistic: Stats.SUM,
        period: PERIOD,
      });
    const connectFailuresSearch = () => {
      const failed: ConnectMetricName = 'ConnectFailed';
      return search(
        failed,
        stackDimensions(stackName, CONNECT_METRIC_DIMENSIONS),
        CONNECT_FAILURE_REASON_DIMENSION,
      );
    };
    const tiktokErrorsSearch = () => {
      const { Service } = REFRESH_METRIC_DIMENSIONS;
      return search(
        TIKTOK_ERROR_METRIC,
        stackDimensions(stackName, { Service }),
        OPERATION_DIMENSION,
        TIKTOK_ERROR_CODE_DIMENSION,
      );
    };

    this.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 6 }),
    );

    this.addWidgets(
      new GraphWidget({
        ...WIDE,
        title: 'Connects',
        left: [
          connectMetric('ConnectCompleted').with({ label: 'Completed' }),
          new MathExpression({
            expression: `SUM(${connectFailuresSearch()})`,
            label: 'Failed',
            period: PERIOD,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        ...WIDE,
        title: 'Connect failures by reason',
        left: [
          new SearchExpression({
            expression: connectFailuresSearch(),
            label: dimensionLabel(CONNECT_FAILURE_REASON_DIMENSION),
            period: PERIOD,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
    );

    this.addWidgets(
      new GraphWidget({
        ...WIDE,
        title: 'Refreshes by outcome (runs and workers)',
        left: [
          perRun('Refreshed', 'Refreshed'),
          perRun('FailedRetryable', 'Failed, will retry'),
          perRun('FailedTerminal', 'Failed, user must reconnect'),
          perRun('InvalidClient', 'Refused our client credentials'),
          perRun('Errors', 'Errors'),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        ...WIDE,
        title: 'Due backlog',
        left: [
          // A run reports all it found due and each worker its batch again: the largest report is the run's.
          perRun('DueBacklog', 'Due at a run (largest report)').with({ statistic: Stats.MAXIMUM }),
          perRun('UnfinishedDue', 'Due but not reached in time'),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
    );

    this.addWidgets(
      new GraphWidget({
        ...WIDE,
        title: 'Refresh queue',
        left: [perRun('Enqueued', 'Connections enqueued')],
        right: [
          props.refreshQueue.metricApproximateNumberOfMessagesVisible({
            label: 'Batches waiting',
            statistic: Stats.MAXIMUM,
            period: PERIOD,
          }),
          props.refreshDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            label: 'Batches in the dead-letter queue',
            statistic: Stats.MAXIMUM,
            period: PERIOD,
          }),
        ],
        leftYAxis: { min: 0, label: 'connections', showUnits: false },
        rightYAxis: { min: 0, label: 'messages', showUnits: false },
      }),
      new GraphWidget({
        ...WIDE,
        title: 'TikTok errors by code (connect, refresh, display)',
        left: [
          new SearchExpression({
            expression: tiktokErrorsSearch(),
            label: `${dimensionLabel(OPERATION_DIMENSION)} ${dimensionLabel(TIKTOK_ERROR_CODE_DIMENSION)}`,
            period: PERIOD,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
    );

    // Overall, not per route: per-route API metrics need detailed metrics, billed per route and metric. Each
    // route has its own function, so the Lambda duration graph below is the per-route view.
    const apiMetric = (metric: Metric, label: string, statistic: string) =>
      metric.with({ label, statistic, period: PERIOD });
    this.addWidgets(
      new GraphWidget({
        ...THIRD,
        title: 'HTTP API requests',
        left: [
          apiMetric(props.api.metricCount(), 'Requests', Stats.SUM),
          apiMetric(props.api.metricClientError(), '4xx', Stats.SUM),
          apiMetric(props.api.metricServerError(), '5xx', Stats.SUM),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        ...THIRD,
        title: 'HTTP API latency (ms)',
        left: [
          apiMetric(props.api.metricLatency(), 'Latency p50', Stats.p(50)),
          apiMetric(props.api.metricLatency(), 'Latency p99', Stats.p(99)),
          apiMetric(props.api.metricIntegrationLatency(), 'Integration latency p50', Stats.p(50)),
          apiMetric(props.api.metricIntegrationLatency(), 'Integration latency p99', Stats.p(99)),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        ...THIRD,
        title: 'Refresh run duration (ms)',
        left: [
          perRun('RunDuration', 'Longest run or batch').with({ statistic: Stats.MAXIMUM }),
          perRun('RunDuration', 'Average run or batch').with({ statistic: Stats.AVERAGE }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
    );

    const perFunction = (metricOf: (fn: IFunction, label: string) => IMetric) =>
      [...props.functions].map(([functionId, fn]) => metricOf(fn, functionId.replace(/Function$/, '')));
    this.addWidgets(
      new GraphWidget({
        ...THIRD,
        title: 'Lambda errors',
        left: perFunction((fn, label) => fn.metricErrors({ label, statistic: Stats.SUM, period: PERIOD })),
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        ...THIRD,
        title: 'Lambda throttles',
        left: perFunction((fn, label) => fn.metricThrottles({ label, statistic: Stats.SUM, period: PERIOD })),
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        ...THIRD,
        title: 'Lambda duration p99 (ms)',
        left: perFunction((fn, label) =>
          fn.metricDuration({ label, statistic: Stats.p(99), period: PERIOD }),
        ),
        leftYAxis: { min: 0, showUnits: false },
      }),
    );

    // What the stack-wide alarms watch, beside the figures above: the 5xx share, DynamoDB throttling, and
    // scheduled runs that did not happen.
    this.addWidgets(
      new GraphWidget({
        ...THIRD,
        title: 'HTTP API 5xx (% of requests)',
        left: [
          new MathExpression({
            expression: '100 * FILL(errors, 0) / requests',
            usingMetrics: {
              requests: apiMetric(props.api.metricCount(), 'Requests', Stats.SUM),
              errors: apiMetric(props.api.metricServerError(), '5xx', Stats.SUM),
            },
            label: '5xx %',
            period: PERIOD,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        ...THIRD,
        title: 'DynamoDB throttled requests',
        left: [
          props.table.metricThrottledRequestsForOperations({
            operations: TABLE_OPERATIONS,
            label: 'Throttled requests',
            period: PERIOD,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        ...THIRD,
        title: 'Failed scheduled runs',
        left: [
          props.scheduledRunFailures.metricApproximateNumberOfMessagesVisible({
            label: 'Waiting in ScheduledRunFailures',
            statistic: Stats.MAXIMUM,
            period: PERIOD,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
    );
  }
}

/** A dynamic label: the series' value of the dimension (CloudWatch fills it in). */
function dimensionLabel(dimension: string): string {
  return `\${PROP('Dim.${dimension}')}`;
}

/**
 * A search over the metrics of exactly these dimension names, fixed values for some and any for the others,
 * summed per PERIOD. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
 */
function search(metricName: string, fixed: Record<string, string>, ...open: string[]): string {
  const schema = [METRICS_NAMESPACE, ...Object.keys(fixed), ...open].join(',');
  const terms = [
    `MetricName="${metricName}"`,
    ...Object.entries(fixed).map(([name, value]) => `${name}="${value}"`),
  ].join(' ');
  return `SEARCH('{${schema}} ${terms}', 'Sum', ${PERIOD.toSeconds()})`;
}
