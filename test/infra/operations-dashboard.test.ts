import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONNECT_METRIC_DIMENSIONS,
  emitConnectCompleted,
  emitConnectFailed,
} from '../../shared/connect/connect-metrics.js';
import { TikTokError } from '../../shared/errors.js';
import { emitTikTokError } from '../../shared/tiktok/tiktok-error-metrics.js';
import { nagFindings, SETTINGS, synthesize } from './synthesize.js';

/** A graph's metric: `[namespace, name, dimension, value, ..., options?]`, or `[{ expression, label }]`. */
type MetricRow = (string | Record<string, unknown>)[];
type Widget = {
  type: string;
  properties: { title?: string; alarms?: string[]; metrics?: MetricRow[] };
};

const REFRESH_DIMENSIONS = ['Operation', 'refresh', 'Service', 'tiktok-connect', 'Stack', 'TikTokConnect'];
const CONNECT_DIMENSIONS = ['Operation', 'connect', 'Service', 'tiktok-connect', 'Stack', 'TikTokConnect'];

/**
 * The dashboard's widgets. DashboardBody is a Fn::Join of JSON text around references (function names, queue
 * names, alarm ARNs); each reference is put back as a string `Ref:<id>` or `GetAtt:<id>.<attribute>`.
 */
function dashboardWidgets(template: Template): Widget[] {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as {
    Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } };
  }[];
  const [separator, parts] = dashboard?.Properties.DashboardBody['Fn::Join'] ?? ['', []];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      return token.Ref ? `Ref:${token.Ref}` : `GetAtt:${token['Fn::GetAtt']?.join('.')}`;
    })
    .join(separator);
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

/** What one EMF line declares: namespace, the metric's name, and its dimension names. */
function emfShape(line: string | undefined) {
  const doc = JSON.parse(line ?? '{}') as {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  };
  const [directive] = doc._aws.CloudWatchMetrics;
  return {
    namespace: directive?.Namespace,
    names: directive?.Metrics.map((m) => m.Name),
    dimensions: [...(directive?.Dimensions[0] ?? [])].sort(),
  };
}

describe('OperationsDashboard', () => {
  let q: ReturnType<typeof synthesize>;
  let widgets: Widget[];
  const widget = (title: string) => {
    const found = widgets.find((w) => w.properties.title === title);
    expect(found, title).toBeDefined();
    return found as Widget;
  };
  /** The widget's plain metrics, without their options: `[namespace, name, dimension, value, ...]`. */
  const metricsOf = (title: string) =>
    (widget(title).properties.metrics ?? [])
      .filter((row) => typeof row[0] === 'string')
      .map((row) => row.filter((cell) => typeof cell === 'string'));
  const optionsOf = (title: string, name: string) =>
    (widget(title).properties.metrics ?? [])
      .filter((row) => row[1] === name)
      .map((row) => row.find((cell) => typeof cell === 'object'));
  const expressionsOf = (title: string) =>
    (widget(title).properties.metrics ?? [])
      .map((row) => row[0])
      .filter((cell): cell is { expression: string; label?: string } => typeof cell === 'object');
  // In the order the stack creates them: the routes', then the scheduled ones and the worker.
  const functionIds = [
    'StartConnectFunction',
    'LaunchConnectFunction',
    'CallbackFunction',
    'ListConnectionsFunction',
    'ProfileFunction',
    'VideosFunction',
    'VideoQueryFunction',
    'DisconnectFunction',
    'TikTokWebhookFunction',
    'CreatorInfoFunction',
    'CreateUploadFunction',
    'CreatePostFunction',
    'ListPostsFunction',
    'GetPostFunction',
    'CancelPostFunction',
    'AnalyticsSeriesFunction',
    'AnalyticsHashtagsFunction',
    'AnalyticsFollowersFunction',
    'AnalyticsVideosFunction',
    'AnalyticsBreakoutsFunction',
    'AnalyticsHeatmapFunction',
    'ConfirmConnectFunction',
    'RefresherFunction',
    'PublisherFunction',
    'RefreshWorkerFunction',
    'AnalyticsSnapshotFunction',
  ];

  beforeAll(() => {
    q = synthesize(SETTINGS, { bundle: false });
    widgets = dashboardWidgets(q.template);
  });

  it('is one dashboard named <stackName>-operations', () => {
    q.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    q.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'TikTokConnect-operations',
    });
    expect(q.logicalId(q.stack.dashboard)).toMatch(/^OperationsDashboard/);
  });

  it('shows the state of every alarm of the stack first', () => {
    const [first] = widgets;
    expect(first?.type).toBe('alarm');
    expect(first?.properties.alarms).toEqual(
      q.stack.alarms.map((alarm) => `GetAtt:${q.logicalId(alarm)}.Arn`),
    );
    expect(first?.properties.alarms?.length).toBeGreaterThan(20);
  });

  it('graphs connects completed and failed, and the failures by reason', () => {
    expect(metricsOf('Connects')).toEqual([['TikTokConnect', 'ConnectCompleted', ...CONNECT_DIMENSIONS]]);
    const failuresSearch =
      `SEARCH('{TikTokConnect,Service,Operation,Stack,Reason} MetricName="ConnectFailed" ` +
      `Service="tiktok-connect" Operation="connect" Stack="TikTokConnect"', 'Sum', 300)`;
    expect(expressionsOf('Connects')).toEqual([{ expression: `SUM(${failuresSearch})`, label: 'Failed' }]);
    expect(expressionsOf('Connect failures by reason')).toEqual([
      { expression: failuresSearch, label: `\${PROP('Dim.Reason')}` },
    ]);
  });

  it('graphs refreshes by outcome, summed per scheduled run', () => {
    const title = 'Refreshes by outcome (runs and workers)';
    expect(metricsOf(title)).toEqual(
      ['Refreshed', 'FailedRetryable', 'FailedTerminal', 'InvalidClient', 'Errors'].map((name) => [
        'TikTokConnect',
        name,
        ...REFRESH_DIMENSIONS,
      ]),
    );
    expect(optionsOf(title, 'FailedTerminal')).toEqual([
      expect.objectContaining({ period: 600, stat: 'Sum' }),
    ]);
  });

  it('graphs the due backlog (the largest report per run) and what runs left unfinished', () => {
    expect(metricsOf('Due backlog')).toEqual([
      ['TikTokConnect', 'DueBacklog', ...REFRESH_DIMENSIONS],
      ['TikTokConnect', 'UnfinishedDue', ...REFRESH_DIMENSIONS],
    ]);
    expect(optionsOf('Due backlog', 'DueBacklog')).toEqual([expect.objectContaining({ stat: 'Maximum' })]);
  });

  it('graphs connections enqueued and the depth of the refresh queue and its dead-letter queue', () => {
    const queueName = (queue: Parameters<typeof q.logicalId>[0]) => `GetAtt:${q.logicalId(queue)}.QueueName`;
    expect(metricsOf('Refresh queue')).toEqual([
      ['TikTokConnect', 'Enqueued', ...REFRESH_DIMENSIONS],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(q.stack.refreshQueue)],
      [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        queueName(q.stack.refreshDeadLetterQueue),
      ],
    ]);
  });

  it('graphs TikTok errors by operation and code, whatever codes occur', () => {
    expect(expressionsOf('TikTok errors by code (connect, refresh, display)')).toEqual([
      {
        expression:
          `SEARCH('{TikTokConnect,Service,Stack,Operation,Code} MetricName="TikTokError" ` +
          `Service="tiktok-connect" Stack="TikTokConnect"', 'Sum', 300)`,
        label: `\${PROP('Dim.Operation')} \${PROP('Dim.Code')}`,
      },
    ]);
  });

  it('searches exactly the namespace, names and dimension sets the functions emit', () => {
    const lines: string[] = [];
    const deps = {
      metrics: { stack: 'TikTokConnect', write: (line: string) => lines.push(line) },
      now: () => 1,
    };
    emitConnectCompleted(deps);
    emitConnectFailed(deps, 'access_denied');
    emitTikTokError(
      deps,
      CONNECT_METRIC_DIMENSIONS,
      new TikTokError('tiktok_rate_limited', 'slow down', { retryable: true }),
    );
    const [completed, failed, tiktokError] = lines.map(emfShape);
    expect(completed).toEqual({
      namespace: 'TikTokConnect',
      names: ['ConnectCompleted'],
      dimensions: ['Operation', 'Service', 'Stack'],
    });
    expect(failed).toEqual({
      namespace: 'TikTokConnect',
      names: ['ConnectFailed'],
      dimensions: ['Operation', 'Reason', 'Service', 'Stack'],
    });
    expect(tiktokError).toEqual({
      namespace: 'TikTokConnect',
      names: ['TikTokError'],
      dimensions: ['Code', 'Operation', 'Service', 'Stack'],
    });
  });

  it('graphs HTTP API requests and latency and integration latency at p50 and p99, and the refresh run time', () => {
    const api = `Ref:${q.logicalId(q.stack.api.api)}`;
    expect(metricsOf('HTTP API requests')).toEqual(
      ['Count', '4xx', '5xx'].map((name) => ['AWS/ApiGateway', name, 'ApiId', api]),
    );
    const latency = widget('HTTP API latency (ms)').properties.metrics ?? [];
    expect(latency.map((row) => [row[1], (row[4] as { stat: string }).stat])).toEqual([
      ['Latency', 'p50'],
      ['Latency', 'p99'],
      ['IntegrationLatency', 'p50'],
      ['IntegrationLatency', 'p99'],
    ]);
    expect(metricsOf('HTTP API latency (ms)').every((row) => row[2] === 'ApiId' && row[3] === api)).toBe(
      true,
    );
    expect(metricsOf('Refresh run duration (ms)')).toEqual([
      ['TikTokConnect', 'RunDuration', ...REFRESH_DIMENSIONS],
      ['TikTokConnect', 'RunDuration', ...REFRESH_DIMENSIONS],
    ]);
  });

  it.each([
    ['Lambda errors', 'Errors'],
    ['Lambda throttles', 'Throttles'],
    ['Lambda duration p99 (ms)', 'Duration'],
  ])('%s: %s of every function of the stack', (title, metricName) => {
    expect(metricsOf(title)).toEqual(
      functionIds.map((id) => [
        'AWS/Lambda',
        metricName,
        'FunctionName',
        `Ref:${q.logicalId(q.serviceFunction(id).lambda)}`,
      ]),
    );
  });

  it('keeps the cdk-nag AwsSolutions checks clean', () => {
    expect(nagFindings(q.assemblyDir)).toEqual([]);
  });
});
