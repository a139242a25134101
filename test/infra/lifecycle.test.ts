import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TikTokConnectStack } from '../../infra/tiktok-connect-stack.js';
import { ROUTES } from '../../shared/http/route-table.js';
import { nagFindings, SETTINGS, synthesize } from './synthesize.js';

const ALARM_EMAIL = 'ops@example.com';
const REFRESH_DIMENSIONS = [
  { Name: 'Operation', Value: 'refresh' },
  { Name: 'Service', Value: 'tiktok-connect' },
  { Name: 'Stack', Value: 'TikTokConnect' },
];
const ALL_FUNCTIONS = [
  ...ROUTES.map((route) => route.functionName),
  'RefresherFunction',
  'RefreshWorkerFunction',
  'PublisherFunction',
  'AnalyticsSnapshotFunction',
];

describe('TikTokConnectStack connection lifecycle', () => {
  let stack: TikTokConnectStack;
  let template: Template;
  let assemblyDir: string;
  let q: ReturnType<typeof synthesize>;

  beforeAll(() => {
    q = synthesize({ ...SETTINGS, alarmEmail: ALARM_EMAIL }, { bundle: false });
    ({ stack, template, assemblyDir } = q);
  });

  const ref = (construct: Parameters<typeof q.logicalId>[0]) => ({ Ref: q.logicalId(construct) });
  const arnOf = (construct: Parameters<typeof q.logicalId>[0]) => ({
    'Fn::GetAtt': [q.logicalId(construct), 'Arn'],
  });
  const lambdaOf = (id: string) => q.serviceFunction(id).lambda;
  const alarm = (id: string) => {
    const found = template.toJSON().Resources[q.logicalId(stack.node.findChild(id))];
    expect(found?.Type).toBe('AWS::CloudWatch::Alarm');
    return found.Properties;
  };

  describe('scheduled refresh', () => {
    it('runs the refresher every 10 minutes, dropping a run that the next one overtook', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(10 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: arnOf(lambdaOf('RefresherFunction')),
            RetryPolicy: { MaximumEventAgeInSeconds: 600 },
            DeadLetterConfig: { Arn: arnOf(stack.scheduledRunFailures) },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(lambdaOf('RefresherFunction')),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(stack.node.findChild('RefreshSchedule')),
      });
    });

    it('gives the refresher 5 minutes and 1 GB, and no asynchronous retry beside the next run', () => {
      expect(q.functionProps('RefresherFunction')).toMatchObject({ Timeout: 300, MemorySize: 1024 });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(lambdaOf('RefresherFunction')),
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: arnOf(stack.scheduledRunFailures) } },
      });
    });

    it('records a scheduled run that could not start or failed, and lets EventBridge and Lambda say so', () => {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(stack.scheduledRunFailures)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sqs:SendMessage',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': arnOf(stack.node.findChild('RefreshSchedule')) } },
            }),
          ]),
        },
      });
      // The on-failure destination is written by the refresher's own role.
      expect(JSON.stringify(q.statementsOf('RefresherFunction'))).toContain(
        JSON.stringify(arnOf(stack.scheduledRunFailures)),
      );
      expect(alarm('ScheduledRunFailuresAlarm')).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [q.logicalId(stack.scheduledRunFailures), 'QueueName'] },
          },
        ],
        Threshold: 1,
      });
      template.hasOutput('ScheduledRunFailuresQueueArn', { Value: arnOf(stack.scheduledRunFailures) });
      template.hasOutput('RefreshDeadLetterQueueArn', { Value: arnOf(stack.refreshDeadLetterQueue) });
    });

    it('reserves no concurrency unless asked', () => {
      for (const id of ALL_FUNCTIONS) {
        expect(q.functionProps(id)).not.toHaveProperty('ReservedConcurrentExecutions');
      }
    });

    it('gives the refresher and the worker the refresh settings, and only the refresher the queue', () => {
      const refreshSettings = {
        REFRESH_AHEAD_MINUTES: '30',
        REFRESH_CONCURRENCY: '8',
        REFRESH_MAX_INLINE: '400',
        PUBLISH_REFRESHED_EVENTS: 'false',
        EVENT_BUS_NAME: ref(stack.eventBus),
      };
      const refresher = q.functionProps('RefresherFunction').Environment.Variables;
      const worker = q.functionProps('RefreshWorkerFunction').Environment.Variables;
      expect(refresher).toMatchObject({ ...refreshSettings, REFRESH_QUEUE_URL: ref(stack.refreshQueue) });
      expect(worker).toMatchObject(refreshSettings);
      expect(worker).not.toHaveProperty('REFRESH_QUEUE_URL');
    });
  });

  describe('refresh queue', () => {
    it('is encrypted, HTTPS-only, and hides a message for six times the worker timeout', () => {
      const workerTimeout = q.functionProps('RefreshWorkerFunction').Timeout;
      expect(workerTimeout).toBe(120);
      expect(template.toJSON().Resources[q.logicalId(stack.refreshQueue)].Properties).toEqual({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 6 * workerTimeout,
        RedrivePolicy: { deadLetterTargetArn: arnOf(stack.refreshDeadLetterQueue), maxReceiveCount: 3 },
      });
    });

    it('keeps failed batches in RefreshDeadLetterQueue for 14 days, encrypted and HTTPS-only', () => {
      expect(template.toJSON().Resources[q.logicalId(stack.refreshDeadLetterQueue)].Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86_400,
      });
    });

    it.each(['refreshQueue', 'refreshDeadLetterQueue'] as const)(
      '%s refuses requests without TLS',
      (name) => {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(stack[name])],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Principal: { AWS: '*' },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      },
    );

    it('feeds the worker one batch at a time, with partial failures and at most 10 workers', () => {
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(stack.refreshQueue),
        FunctionName: ref(lambdaOf('RefreshWorkerFunction')),
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 10 },
      });
    });
  });

  describe('connection events', () => {
    it('go to the ConnectionEventsBus named after the stack, whose name and ARN are outputs', () => {
      template.resourceCountIs('AWS::Events::EventBus', 1);
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'TikTokConnect-connection-events' });
      template.hasOutput('EventBusName', { Value: ref(stack.eventBus) });
      template.hasOutput('EventBusArn', { Value: arnOf(stack.eventBus) });
    });
  });

  describe('alarms', () => {
    it.each([
      ['TerminalFailuresAlarm', 'FailedTerminal', 3600, 'GreaterThanThreshold', 10, 1],
      ['InvalidClientAlarm', 'InvalidClient', 300, 'GreaterThanOrEqualToThreshold', 1, 1],
      ['UnfinishedRefreshAlarm', 'UnfinishedDue', 600, 'GreaterThanOrEqualToThreshold', 1, 2],
    ])('%s watches the sum of %s per %i s', (id, metricName, period, comparison, threshold, periods) => {
      expect(alarm(id)).toMatchObject({
        Namespace: 'TikTokConnect',
        MetricName: metricName,
        Statistic: 'Sum',
        Period: period,
        ComparisonOperator: comparison,
        Threshold: threshold,
        EvaluationPeriods: periods,
        TreatMissingData: 'notBreaching',
      });
      // Every evaluated period must breach (absent means all of them).
      expect(alarm(id).DatapointsToAlarm ?? 1).toBe(periods);
      expect(
        [...alarm(id).Dimensions].sort((a: { Name: string }, b: { Name: string }) =>
          a.Name.localeCompare(b.Name),
        ),
      ).toEqual(REFRESH_DIMENSIONS);
    });

    it('DeadLetterQueueAlarm fires on the first message in the dead-letter queue', () => {
      expect(alarm('DeadLetterQueueAlarm')).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [q.logicalId(stack.refreshDeadLetterQueue), 'QueueName'] },
          },
        ],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      });
    });

    it.each(ALL_FUNCTIONS)('%s has an errors alarm and a throttles alarm of its own', (id) => {
      const name = id.replace(/Function$/, '');
      for (const [suffix, metricName] of [
        ['Errors', 'Errors'],
        ['Throttles', 'Throttles'],
      ] as const) {
        expect(alarm(`${name}${suffix}Alarm`)).toMatchObject({
          AlarmName: `TikTokConnect-${name}${suffix}`,
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: ref(lambdaOf(id)) }],
          Statistic: 'Sum',
          Period: 300,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: 1,
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it('ApiServerErrorRateAlarm fires when more than 5% of at least 20 requests in five minutes were 5xx', () => {
      const { Metrics, ...rest } = alarm('ApiServerErrorRateAlarm');
      expect(rest).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 5 });
      const apiMetric = (name: string) =>
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'AWS/ApiGateway',
              MetricName: name,
              Dimensions: [{ Name: 'ApiId', Value: ref(stack.api.api) }],
            },
            Stat: 'Sum',
          }),
        });
      expect(Metrics).toHaveLength(3);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'TikTokConnect-ApiServerErrorRate',
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)' }),
          apiMetric('Count'),
          apiMetric('5xx'),
        ]),
      });
    });

    it('ApiLatencyAlarm fires on a p99 latency above 10 s for 15 minutes', () => {
      expect(alarm('ApiLatencyAlarm')).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: 'Latency',
        ExtendedStatistic: 'p99',
        Dimensions: [{ Name: 'ApiId', Value: ref(stack.api.api) }],
        Threshold: 10_000,
        EvaluationPeriods: 3,
      });
    });

    it('TableThrottlesAlarm fires on any throttled request to the table', () => {
      const { Metrics } = alarm('TableThrottlesAlarm');
      const throttled = (
        Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } } }[]
      )
        .filter((m) => m.MetricStat)
        .map((m) => m.MetricStat?.Metric);
      expect(throttled.length).toBeGreaterThan(0);
      for (const metric of throttled) {
        expect(metric?.MetricName).toBe('ThrottledRequests');
        expect(metric?.Dimensions).toContainEqual({ Name: 'TableName', Value: ref(stack.table) });
      }
      expect(throttled.map((m) => JSON.stringify(m?.Dimensions))).toEqual(
        expect.arrayContaining([
          expect.stringContaining('Query'),
          expect.stringContaining('TransactWriteItems'),
        ]),
      );
    });

    it('AnalyticsCadenceDegradedAlarm fires when every snapshot pass of an hour deferred snapshots', () => {
      expect(alarm('AnalyticsCadenceDegradedAlarm')).toMatchObject({
        Namespace: 'TikTokConnect',
        MetricName: 'AnalyticsCadenceDegraded',
        Dimensions: [
          { Name: 'Operation', Value: 'analytics' },
          { Name: 'Service', Value: 'tiktok-connect' },
          // Every metric carries its stack, so the alarms of two stacks in one account never see each other's.
          { Name: 'Stack', Value: 'TikTokConnect' },
        ],
        Statistic: 'Minimum',
        Period: 900,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        EvaluationPeriods: 4,
        DatapointsToAlarm: 4,
      });
    });

    it('runs the publisher every minute, undeliverable runs in ScheduledRunFailures', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [
          Match.objectLike({
            Arn: arnOf(lambdaOf('PublisherFunction')),
            RetryPolicy: { MaximumEventAgeInSeconds: 60 },
            DeadLetterConfig: { Arn: arnOf(stack.scheduledRunFailures) },
          }),
        ],
      });
      // Each run looks one period ahead, so a post starts at its publishAt, not up to a minute late.
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('scheduled publisher'),
        Environment: { Variables: Match.objectLike({ PUBLISH_LOOKAHEAD_SECONDS: '60' }) },
      });
    });

    it('runs the analytics snapshot pass on its own 15-minute schedule, in its own function', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(15 minutes)',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AnalyticsSnapshotFunction'), 'Arn'] },
            RetryPolicy: { MaximumEventAgeInSeconds: 900 },
            DeadLetterConfig: { Arn: arnOf(stack.scheduledRunFailures) },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: 'TikTok Connect: scheduled analytics snapshot pass',
        Timeout: 840,
      });
    });

    it('starts a connection’s first snapshot from the connected and recovered events on ConnectionEventsBus', () => {
      const rule = stack.node.findChild('ConnectedFirstSnapshotRule');
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: ref(stack.eventBus),
        EventPattern: {
          source: ['tiktok-connect'],
          'detail-type': ['tiktok.connection.connected', 'tiktok.connection.recovered'],
        },
        Targets: [
          Match.objectLike({
            Arn: arnOf(lambdaOf('AnalyticsSnapshotFunction')),
            // Past a pass interval the scheduled pass has taken it anyway.
            RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 2 },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(lambdaOf('AnalyticsSnapshotFunction')),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(rule),
      });
    });

    it('all notify AlarmTopic, which mails alarmEmail, is HTTPS-only and encrypted with its own key', () => {
      const alarms = template.findResources('AWS::CloudWatch::Alarm');
      // Two per function, and the refresh, queue, API, table and analytics ones.
      expect(Object.keys(alarms)).toHaveLength(2 * ALL_FUNCTIONS.length + 9);
      expect(stack.alarms).toHaveLength(Object.keys(alarms).length);
      for (const each of Object.values(alarms)) {
        expect(each.Properties.AlarmActions).toEqual([ref(stack.alarmTopic)]);
        expect(each.Properties.OKActions).toEqual([ref(stack.alarmTopic)]);
        expect(each.Properties.AlarmName).toMatch(/^TikTokConnect-/);
      }
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: arnOf(stack.node.findChild('AlarmTopicKey')),
      });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: ALARM_EMAIL,
        TopicArn: ref(stack.alarmTopic),
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Action: 'sns:Publish',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
            }),
          ]),
        },
      });
      // CloudWatch encrypts what it publishes: the AWS managed aws/sns key could not allow it.
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
      template.hasOutput('AlarmTopicArn', { Value: ref(stack.alarmTopic) });
    });
  });

  it('passes the cdk-nag AwsSolutions checks with the alarm topic too', () => {
    expect(nagFindings(assemblyDir)).toEqual([]);
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});

describe('TikTokConnectStack connection lifecycle settings', () => {
  it('takes the schedule, worker concurrency, refresh settings and alarm threshold from its props', () => {
    const { template, functionProps } = synthesize(
      {
        ...SETTINGS,
        refreshScheduleMinutes: 5,
        refreshWorkerConcurrency: 2,
        refreshAheadMinutes: 45,
        refreshConcurrency: 4,
        refreshMaxInline: 100,
        publishRefreshedEvents: true,
        terminalFailureAlarmThreshold: 25,
      },
      { bundle: false },
    );
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    for (const id of ['RefresherFunction', 'RefreshWorkerFunction']) {
      expect(functionProps(id).Environment.Variables).toMatchObject({
        REFRESH_AHEAD_MINUTES: '45',
        REFRESH_CONCURRENCY: '4',
        REFRESH_MAX_INLINE: '100',
        PUBLISH_REFRESHED_EVENTS: 'true',
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FailedTerminal', Threshold: 25 });
    // Two runs in a row: the alarm period follows the schedule.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UnfinishedDue', Period: 300 });
  });

  it('reserves concurrency for the refresher and caps the workers when asked, so workers cannot starve it', () => {
    const { functionProps } = synthesize(
      { ...SETTINGS, refresherReservedConcurrency: 2, refreshWorkerReservedConcurrency: 10 },
      { bundle: false },
    );
    expect(functionProps('RefresherFunction')).toMatchObject({ ReservedConcurrentExecutions: 2 });
    expect(functionProps('RefreshWorkerFunction')).toMatchObject({ ReservedConcurrentExecutions: 10 });
    expect(functionProps('CallbackFunction')).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('lets subscriber accounts manage their own rules on the event bus, and nothing more', () => {
    const { template, stack } = synthesize(
      { ...SETTINGS, eventSubscriberAccounts: ['111122223333'] },
      { bundle: false },
    );
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: { Ref: stack.getLogicalId(stack.eventBus.node.defaultChild as never) },
      Statement: {
        Sid: 'cdk-Subscriber111122223333ManagesOwnRules',
        Effect: 'Allow',
        Principal: {
          AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] },
        },
        Action: Match.arrayWith(['events:PutRule', 'events:PutTargets', 'events:DeleteRule']),
        Condition: { StringEqualsIfExists: { 'events:creatorAccount': '111122223333' } },
      },
    });
    const [policy] = Object.values(template.findResources('AWS::Events::EventBusPolicy'));
    expect(JSON.stringify(policy?.Properties.Statement.Resource)).toContain(':rule/');
    expect(policy?.Properties.Statement.Action).not.toContain('events:PutEvents');
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it('has no event bus policy unless subscriber accounts are named', () => {
    const { template } = synthesize(SETTINGS, { bundle: false });
    template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
  });
});
