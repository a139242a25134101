import { describe, expect, it } from 'vitest';
import { emitMetrics, METRICS_NAMESPACE, type MetricSink } from '../../shared/metrics.js';

/** The CloudWatch units EMF accepts (PutMetricData's StandardUnit). */
const CLOUDWATCH_UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

type EmfDocument = {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
};

function capture(stack = 'TikTokConnect-test'): { lines: string[]; sink: MetricSink } {
  const lines: string[] = [];
  return { lines, sink: { stack, write: (line) => lines.push(line) } };
}

/**
 * The checks of the EMF specification that make CloudWatch accept or drop a document: _aws metadata with an
 * integer millisecond Timestamp, directives with a Namespace, dimension sets naming root string members, metric
 * definitions naming root number members with a known unit.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
function expectValidEmf(line: string): EmfDocument {
  expect(line).not.toContain('\n');
  const doc = JSON.parse(line) as EmfDocument;
  expect(Number.isInteger(doc._aws.Timestamp)).toBe(true);
  expect(doc._aws.CloudWatchMetrics.length).toBeGreaterThan(0);
  for (const directive of doc._aws.CloudWatchMetrics) {
    expect(directive.Namespace).toMatch(/^[^:].{0,254}$/);
    expect(Array.isArray(directive.Dimensions)).toBe(true);
    for (const set of directive.Dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const key of set) expect(typeof doc[key], `dimension ${key}`).toBe('string');
    }
    expect(directive.Metrics.length).toBeGreaterThan(0);
    expect(directive.Metrics.length).toBeLessThanOrEqual(100);
    for (const metric of directive.Metrics) {
      expect(typeof doc[metric.Name], `metric ${metric.Name}`).toBe('number');
      expect(Number.isFinite(doc[metric.Name]), `metric ${metric.Name}`).toBe(true);
      expect(CLOUDWATCH_UNITS.has(metric.Unit), metric.Unit).toBe(true);
    }
  }
  return doc;
}

describe('emitMetrics', () => {
  it('writes one EMF line with namespace, dimensions, metric names and units, and values at top level', () => {
    const { lines, sink } = capture();
    emitMetrics(
      sink,
      { Refreshed: { value: 3, unit: 'Count' }, RunDuration: { value: 1234, unit: 'Milliseconds' } },
      { Service: 'tiktok-connect', Operation: 'refresh' },
      1_764_000_000_000,
    );
    expect(lines).toHaveLength(1);
    const doc = expectValidEmf(lines[0] ?? '');
    expect(doc).toEqual({
      _aws: {
        Timestamp: 1_764_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['Service', 'Operation', 'Stack']],
            Metrics: [
              { Name: 'Refreshed', Unit: 'Count' },
              { Name: 'RunDuration', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      Service: 'tiktok-connect',
      Operation: 'refresh',
      Stack: 'TikTokConnect-test',
      Refreshed: 3,
      RunDuration: 1234,
    });
    expect(METRICS_NAMESPACE).toBe('TikTokConnect');
  });

  it('names the emitting stack in every metric, so two stacks of one account never share one', () => {
    const staging = capture('TikTokConnect-staging');
    const prod = capture('TikTokConnect-prod');
    for (const { sink } of [staging, prod]) {
      emitMetrics(sink, { InvalidClient: { value: 1, unit: 'Count' } }, { Service: 'tiktok-connect' }, 1);
    }
    const [stagingDoc, prodDoc] = [staging, prod].map(({ lines }) => expectValidEmf(lines[0] ?? ''));
    expect(stagingDoc?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Service', 'Stack']]);
    expect(stagingDoc?.Stack).toBe('TikTokConnect-staging');
    expect(prodDoc?.Stack).toBe('TikTokConnect-prod');
  });

  it('lets no caller replace the stack dimension', () => {
    const { lines, sink } = capture('TikTokConnect-prod');
    emitMetrics(sink, { Errors: { value: 1, unit: 'Count' } }, { Stack: 'TikTokConnect-staging' }, 1);
    expect(expectValidEmf(lines[0] ?? '').Stack).toBe('TikTokConnect-prod');
  });

  it('emits zero values (a quiet run still reports 0, so alarms see data)', () => {
    const { lines, sink } = capture();
    emitMetrics(sink, { Errors: { value: 0, unit: 'Count' } }, { Service: 'tiktok-connect' }, 1);
    expect(expectValidEmf(lines[0] ?? '').Errors).toBe(0);
  });

  it('stamps the current time when no time is given', () => {
    const { lines, sink } = capture();
    const before = Date.now();
    emitMetrics(sink, { Errors: { value: 1, unit: 'None' } }, { Service: 'tiktok-connect' });
    const stamped = expectValidEmf(lines[0] ?? '')._aws.Timestamp;
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });

  it('writes nothing when there is no metric', () => {
    const { lines, sink } = capture();
    emitMetrics(sink, {}, { Service: 'tiktok-connect' });
    expect(lines).toEqual([]);
  });
});

describe('formatMetricLine (LOG_FORMAT=pretty)', () => {
  it('prints the non-zero metrics on one line, and nothing for an idle run', async () => {
    const { formatMetricLine } = await import('../../shared/metrics.js');
    const lines: string[] = [];
    emitMetrics(
      { stack: 'TikTokConnect-test', write: (line) => lines.push(line) },
      {
        RefreshDue: { value: 0, unit: 'Count' },
        Refreshed: { value: 0, unit: 'Count' },
      },
    );
    emitMetrics(
      { stack: 'TikTokConnect-test', write: (line) => lines.push(line) },
      {
        RefreshDue: { value: 3, unit: 'Count' },
        Refreshed: { value: 2, unit: 'Count' },
        RefreshFailed: { value: 0, unit: 'Count' },
      },
    );
    expect(formatMetricLine(lines[0] as string)).toBeUndefined();
    expect(formatMetricLine(lines[1] as string)).toMatch(/^\d\d:\d\d:\d\d metrics RefreshDue=3 Refreshed=2$/);
  });
});
