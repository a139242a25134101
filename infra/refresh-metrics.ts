import type { Duration } from 'aws-cdk-lib';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { REFRESH_METRIC_DIMENSIONS, type RefreshMetricName } from '../shared/lifecycle/refresh-metrics.js';
import { METRICS_NAMESPACE } from '../shared/metrics.js';

/** The sum of one refresh metric per `period`, over the scheduled runs and the workers together. */
export function refreshMetric(metricName: RefreshMetricName, period: Duration): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { ...REFRESH_METRIC_DIMENSIONS },
    statistic: Stats.SUM,
    period,
  });
}
