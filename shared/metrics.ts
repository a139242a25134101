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

/**
 * Local terminals (`LOG_FORMAT=pretty`): one short line, and nothing when every value is zero (an idle refresher
 * would otherwise print a blob a minute). CloudWatch needs the JSON form, so AWS keeps stdoutMetricSink.
 */
export const prettyMetricSink: MetricSink = (line) => {
  const pretty = formatMetricLine(line);
  if (pretty) process.stdout.write(`${pretty}\n`);
};

export function formatMetricLine(line: string): string | undefined {
  const entry = JSON.parse(line) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };
  const names = entry._aws.CloudWatchMetrics.flatMap((group) => group.Metrics.map((metric) => metric.Name));
  const values = names.map(
    (name) => [name, (entry as unknown as Record<string, number>)[name] ?? 0] as const,
  );
  if (values.every(([, value]) => value === 0)) return undefined;
  const time = new Date().toISOString().slice(11, 19);
  return `${time} metrics ${values
    .filter(([, value]) => value !== 0)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ')}`;
}
