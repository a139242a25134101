import { Duration, type Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  type AlarmProps,
  ComparisonOperator,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { type ITable, Operation } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { AlarmTopic } from './alarm-topic.js';

/** The period of the alarms on AWS's own metrics. */
const PERIOD = Duration.minutes(5);

/** Below this many requests in a period the 5xx rate says little (one failure of two is 50%). */
const MIN_REQUESTS_FOR_RATE = 20;

/** Every DynamoDB operation the functions call: a throttled one of any of them raises the table's alarm. */
export const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.QUERY,
  Operation.TRANSACT_WRITE_ITEMS,
];

export type ServiceAlarmProps = Omit<AlarmProps, 'alarmName' | 'treatMissingData'>;

/**
 * The stack's alarms and where they go. Every alarm is named `<stack>-<id>`, notifies AlarmTopic when it
 * fires and again when it is OK, and reads only metrics of its own stack (the Stack dimension on our embedded
 * metrics, this stack's resources for AWS's). The topic exists whether or not anyone is subscribed: its ARN
 * is an output for PagerDuty, Chatbot or email subscriptions made outside the stack.
 */
export class ServiceAlarms {
  readonly topic: AlarmTopic;
  readonly #scope: Stack;
  readonly #action: SnsAction;
  readonly #alarms: Alarm[] = [];

  constructor(scope: Stack, props: { readonly email: string | undefined }) {
    this.#scope = scope;
    this.topic = new AlarmTopic(scope, 'AlarmTopic', {
      email: props.email,
      alarmNamePrefix: `${scope.stackName}-`,
    });
    this.#action = new SnsAction(this.topic);
  }

  /** In the order they were added. */
  get alarms(): readonly Alarm[] {
    return this.#alarms;
  }

  /**
   * An alarm of the service. No data counts as fine (an idle function, an hour without failures) unless
   * the props say otherwise.
   */
  add(id: string, props: ServiceAlarmProps & { readonly treatMissingData?: TreatMissingData }): Alarm {
    const alarm = new Alarm(this.#scope, id, {
      treatMissingData: TreatMissingData.NOT_BREACHING,
      ...props,
      alarmName: `${this.#scope.stackName}-${id.replace(/Alarm$/, '')}`,
    });
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
    this.#alarms.push(alarm);
    return alarm;
  }

  /**
   * Errors (a crash or a timeout: the handlers answer every expected failure themselves) and throttles of
   * one function. Every function the stack creates through `addFunction` gets these.
   */
  watchFunction(functionId: string, fn: IFunction): void {
    const name = functionId.replace(/Function$/, '');
    this.add(`${name}ErrorsAlarm`, {
      alarmDescription: `${functionId} failed (crash or timeout). See its log group.`,
      metric: fn.metricErrors({ statistic: Stats.SUM, period: PERIOD }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
    });
    this.add(`${name}ThrottlesAlarm`, {
      alarmDescription:
        `${functionId} was throttled: the account's (or its reserved) concurrency is used up. ` +
        'Raise the limit or the reserved concurrency, or look for what is using it.',
      metric: fn.metricThrottles({ statistic: Stats.SUM, period: PERIOD }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
    });
  }

  /** The share of requests answered 5xx, and the p99 latency, of the HTTP API. */
  watchApi(api: IHttpApi, thresholds: { readonly serverErrorPercent: number; readonly latencyMs: number }) {
    this.add('ApiServerErrorRateAlarm', {
      alarmDescription:
        `More than ${thresholds.serverErrorPercent}% of API requests were answered 5xx in five minutes ` +
        `(counted from ${MIN_REQUESTS_FOR_RATE} requests on). The function errors alarms say which route.`,
      metric: new MathExpression({
        expression: `IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * FILL(errors, 0) / requests, 0)`,
        usingMetrics: {
          requests: api.metricCount({ statistic: Stats.SUM, period: PERIOD }),
          errors: api.metricServerError({ statistic: Stats.SUM, period: PERIOD }),
        },
        label: 'API 5xx (% of requests)',
        period: PERIOD,
      }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: thresholds.serverErrorPercent,
      evaluationPeriods: 1,
    });
    this.add('ApiLatencyAlarm', {
      alarmDescription:
        `The API's p99 latency stayed above ${thresholds.latencyMs} ms for 15 minutes. Slow TikTok ` +
        'answers show in the TikTok errors graph; slow functions in the Lambda duration graph.',
      metric: api.metricLatency({ statistic: Stats.p(99), period: PERIOD }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: thresholds.latencyMs,
      evaluationPeriods: 3,
    });
  }

  /** Requests DynamoDB throttled (on-demand tables too, at a partition's or the account's limit). */
  watchTable(table: ITable): void {
    this.add('TableThrottlesAlarm', {
      alarmDescription:
        'DynamoDB throttled requests to the connections table: connects, reads or refreshes failed or ' +
        'were retried. Check the table-level limits and hot partitions.',
      metric: table.metricThrottledRequestsForOperations({
        operations: TABLE_OPERATIONS,
        period: PERIOD,
        label: 'Throttled requests',
      }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
    });
  }

  /** A dead-letter queue: its first message raises the alarm. */
  watchDeadLetterQueue(id: string, queue: IQueue, alarmDescription: string): Alarm {
    return this.add(id, {
      alarmDescription,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: Stats.MAXIMUM }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
    });
  }
}
