/**
 * CloudWatch embedded metric format: one JSON log line that CloudWatch turns into metrics, no API call.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export const METRICS_NAMESPACE = 'TikTokConnect';

/**
 * The dimension every metric carries: the stack that emitted it. The namespace is shared by every stack of an
 * account, so without it staging's failures would raise production's alarms. The stack's alarms and dashboard
 * read it (infra/service-metrics.ts).
 */
export const STACK_DIMENSION = 'Stack';

export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

/** Where EMF lines go: stdout in Lambda (CloudWatch Logs picks them up), a list in tests. */
export type MetricLineWriter = (line: string) => void;

/** The writer, and the stack whose metrics it writes. */
export interface MetricSink {
  readonly stack: string;
  readonly write: MetricLineWriter;
}

export function emitMetrics(
  sink: MetricSink,
  metrics: Record<string, { value: number; unit: MetricUnit }>,
  dimensions: Record<string, string> = {},
  now: number = Date.now(),
): void {
  const names = Object.keys(metrics);
  if (names.length === 0) return;
  const values = Object.fromEntries(names.map((name) => [name, metrics[name]?.value]));
  const allDimensions = { ...dimensions, [STACK_DIMENSION]: sink.stack };
  sink.write(
    JSON.stringify({
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [Object.keys(allDimensions)],
            Metrics: names.map((name) => ({ Name: name, Unit: metrics[name]?.unit ?? 'None' })),
          },
        ],
      },
      ...allDimensions,
      ...values,
    }),
  );
}

export const stdoutMetricLines: MetricLineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * Local terminals (`LOG_FORMAT=pretty`): one short line, and nothing when every value is zero (an idle refresher
 * would otherwise print a blob a minute). CloudWatch needs the JSON form, so AWS keeps stdoutMetricLines.
 */
export const prettyMetricLines: MetricLineWriter = (line) => {
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
