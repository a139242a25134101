/**
 * CloudWatch embedded metric format: one JSON log line that CloudWatch turns into metrics, no API call.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export const METRICS_NAMESPACE = 'TikTokConnect';

export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

export type MetricSink = (line: string) => void;

export function emitMetrics(
  sink: MetricSink,
  metrics: Record<string, { value: number; unit: MetricUnit }>,
  dimensions: Record<string, string> = {},
  now: number = Date.now(),
): void {
  const names = Object.keys(metrics);
  if (names.length === 0) return;
  const values = Object.fromEntries(names.map((name) => [name, metrics[name]?.value]));
  sink(
    JSON.stringify({
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [Object.keys(dimensions)],
            Metrics: names.map((name) => ({ Name: name, Unit: metrics[name]?.unit ?? 'None' })),
          },
        ],
      },
      ...dimensions,
      ...values,
    }),
  );
}

export const stdoutMetricSink: MetricSink = (line) => {
  process.stdout.write(`${line}\n`);
};
