import type { Duration } from 'aws-cdk-lib';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { REFRESH_METRIC_DIMENSIONS, type RefreshMetricName } from '../shared/lifecycle/refresh-metrics.js';
import { METRICS_NAMESPACE, STACK_DIMENSION } from '../shared/metrics.js';

/** The dimensions of the metrics one stack emits: the fixed ones of the operation, and the stack's name. */
export function stackDimensions(
  stackName: string,
  dimensions: Readonly<Record<string, string>>,
): Record<string, string> {
  return { ...dimensions, [STACK_DIMENSION]: stackName };
}

/** The sum of one refresh metric of `stackName` per `period`, over the scheduled runs and the workers. */
export function refreshMetric(stackName: string, metricName: RefreshMetricName, period: Duration): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: stackDimensions(stackName, REFRESH_METRIC_DIMENSIONS),
    statistic: Stats.SUM,
    period,
  });
}
