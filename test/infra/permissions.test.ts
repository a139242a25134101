import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TikTokConnectStack } from '../../infra/tiktok-connect-stack.js';
import { ROUTES } from '../../shared/http/route-table.js';
import { actionsOf, PUBLISHING_FUNCTIONS, SETTINGS, type Statement, synthesize } from './synthesize.js';

const LOGS = ['logs:CreateLogStream on its log group', 'logs:PutLogEvents on its log group'];
/** What DynamoDB needs of TokenKey on the caller's behalf (the table is encrypted with it). */
const TABLE_KEY_READ = [
  'kms:Decrypt on TokenKey through DynamoDB',
  'kms:DescribeKey on TokenKey through DynamoDB',
];
const TABLE_KEY_WRITE = [
  ...TABLE_KEY_READ,
  'kms:Encrypt on TokenKey through DynamoDB',
  'kms:GenerateDataKey on TokenKey through DynamoDB',
];
/** Sealing and opening tokens (envelope encryption), only in the app's encryption context. */
const SEAL_TOKENS = 'kms:GenerateDataKey on TokenKey in the app encryption context';
const OPEN_TOKENS = 'kms:Decrypt on TokenKey in the app encryption context';
const TOKEN_ENVELOPE = [OPEN_TOKENS, SEAL_TOKENS];
const CLIENT_SECRET = ['secretsmanager:GetSecretValue on ClientSecret'];
const PUT_EVENTS = ['events:PutEvents on ConnectionEventsBus'];
const items = (...actions: string[]) => actions.map((action) => `dynamodb:${action} on ConnectionsTable`);

/** A refresh or disconnect looks for other connections of the account before it revokes a grant. */
const OTHER_HOLDERS = 'dynamodb:Query on ConnectionsTable/index/ByOpenId';
const DUE_FOR_REFRESH = 'dynamodb:Query on ConnectionsTable/index/DueForRefresh';
const PRESIGN_UPLOADS = 's3:PutObject on UploadBucket/uploads/*';
const READ_UPLOADS = 's3:GetObject on UploadBucket/uploads/*';

/**
 * Calling TikTok with a token refreshed on demand; the display routes' rate budget is a counter item (the same
 * GetItem and UpdateItem), their response cache is off here (no PutItem).
 */
const FRESH_TOKEN = [
  ...LOGS,
  ...TABLE_KEY_WRITE,
  ...items('GetItem', 'UpdateItem'),
  OTHER_HOLDERS,
  ...TOKEN_ENVELOPE,
  ...CLIENT_SECRET,
  ...PUT_EVENTS,
];

/** Every permission of every function, and nothing else. */
const EXPECTED_PERMISSIONS: Record<string, string[]> = {
  StartConnectFunction: [...LOGS, ...TABLE_KEY_WRITE, ...items('PutItem'), SEAL_TOKENS],
  LaunchConnectFunction: [...LOGS, ...TABLE_KEY_WRITE, ...items('DeleteItem', 'UpdateItem')],
  // No event: the callback keeps the result pending; the confirm stores and announces the connection.
  CallbackFunction: [
    ...LOGS,
    ...TABLE_KEY_WRITE,
    ...items('GetItem', 'PutItem', 'DeleteItem'),
    'dynamodb:Query on ConnectionsTable/index/ByOpenId',
    ...TOKEN_ENVELOPE,
    ...CLIENT_SECRET,
  ],
  ConfirmConnectFunction: [
    ...LOGS,
    ...TABLE_KEY_WRITE,
    ...items('GetItem', 'UpdateItem', 'DeleteItem'),
    'dynamodb:Query on ConnectionsTable/index/ByOpenId',
    ...TOKEN_ENVELOPE,
    ...CLIENT_SECRET,
    ...PUT_EVENTS,
  ],
  ListConnectionsFunction: [...LOGS, ...TABLE_KEY_READ, 'dynamodb:Query on ConnectionsTable'],
  ProfileFunction: FRESH_TOKEN,
  VideosFunction: FRESH_TOKEN,
  VideoQueryFunction: FRESH_TOKEN,
  CreatorInfoFunction: FRESH_TOKEN,
  // Presigns a PUT; reads no object and opens no token.
  CreateUploadFunction: [...LOGS, ...TABLE_KEY_WRITE, ...items('GetItem', 'PutItem'), PRESIGN_UPLOADS],
  // Checks the uploaded file (HeadObject), reads creator_info with a fresh token, stores the post.
  CreatePostFunction: [
    ...LOGS,
    ...TABLE_KEY_WRITE,
    ...items('GetItem', 'PutItem', 'UpdateItem'),
    OTHER_HOLDERS,
    ...TOKEN_ENVELOPE,
    ...CLIENT_SECRET,
    ...PUT_EVENTS,
    READ_UPLOADS,
  ],
  ListPostsFunction: [...LOGS, ...TABLE_KEY_READ, ...items('GetItem'), 'dynamodb:Query on ConnectionsTable'],
  GetPostFunction: [...LOGS, ...TABLE_KEY_READ, ...items('GetItem')],
  CancelPostFunction: [...LOGS, ...TABLE_KEY_WRITE, ...items('GetItem', 'UpdateItem')],
  PublisherFunction: [
    ...LOGS,
    ...TABLE_KEY_WRITE,
    ...items('GetItem', 'PutItem', 'UpdateItem'),
    DUE_FOR_REFRESH,
    OTHER_HOLDERS,
    ...TOKEN_ENVELOPE,
    ...CLIENT_SECRET,
    ...PUT_EVENTS,
    READ_UPLOADS,
  ],
  DisconnectFunction: [
    ...LOGS,
    ...TABLE_KEY_WRITE,
    ...items('GetItem', 'UpdateItem', 'BatchWriteItem'),
    'dynamodb:Query on ConnectionsTable',
    OTHER_HOLDERS,
    // An expired access token is refreshed before the revoke, and the new tokens sealed.
    ...TOKEN_ENVELOPE,
    ...CLIENT_SECRET,
    ...PUT_EVENTS,
  ],
  TikTokWebhookFunction: [
    ...LOGS,
    ...TABLE_KEY_WRITE,
    // GetItem: post.publish.* deliveries read the publish_id lookup and the post.
    ...items('GetItem', 'PutItem', 'DeleteItem', 'UpdateItem', 'BatchWriteItem'),
    'dynamodb:Query on ConnectionsTable',
    OTHER_HOLDERS,
    ...CLIENT_SECRET,
    ...PUT_EVENTS,
  ],
  RefresherFunction: [
    ...LOGS,
    ...TABLE_KEY_WRITE,
    ...items('GetItem', 'UpdateItem', 'DeleteItem'),
    DUE_FOR_REFRESH,
    OTHER_HOLDERS,
    ...TOKEN_ENVELOPE,
    ...CLIENT_SECRET,
    ...PUT_EVENTS,
    'sqs:SendMessage on RefreshQueue',
    // Its on-failure destination: Lambda sends the failed run's record with the function's role.
    'sqs:SendMessage on ScheduledRunFailures',
  ],
  RefreshWorkerFunction: [
    ...LOGS,
    ...TABLE_KEY_WRITE,
    ...items('GetItem', 'UpdateItem'),
    OTHER_HOLDERS,
    ...TOKEN_ENVELOPE,
    ...CLIENT_SECRET,
    ...PUT_EVENTS,
    // Granted by its SQS event source, which receives messages for it and deletes the finished ones.
    ...[
      'ChangeMessageVisibility',
      'DeleteMessage',
      'GetQueueAttributes',
      'GetQueueUrl',
      'ReceiveMessage',
    ].map((action) => `sqs:${action} on RefreshQueue`),
  ],
  AnalyticsSnapshotFunction: [
    ...LOGS,
    ...TABLE_KEY_WRITE,
    ...items('GetItem', 'UpdateItem', 'PutItem', 'BatchWriteItem'),
    'dynamodb:Query on ConnectionsTable/index/AnalyticsDue',
    'dynamodb:Query on ConnectionsTable',
    OTHER_HOLDERS,
    ...TOKEN_ENVELOPE,
    ...CLIENT_SECRET,
    ...PUT_EVENTS,
  ],
  // Stored history only: no token, no TikTok, no write.
  ...Object.fromEntries(
    [
      'AnalyticsSeriesFunction',
      'AnalyticsHashtagsFunction',
      'AnalyticsFollowersFunction',
      'AnalyticsVideosFunction',
      'AnalyticsBreakoutsFunction',
      'AnalyticsHeatmapFunction',
    ].map((id) => [
      id,
      [...LOGS, ...TABLE_KEY_READ, ...items('GetItem'), 'dynamodb:Query on ConnectionsTable'],
    ]),
  ),
};

describe('TikTokConnectStack permissions', () => {
  let stack: TikTokConnectStack;
  let template: Template;
  let q: ReturnType<typeof synthesize>;

  beforeAll(() => {
    q = synthesize(SETTINGS, { bundle: false });
    ({ stack, template } = q);
  });

  /** A function's permissions as `<action> on <resource>[ <condition>]`, one per action and resource. */
  const permissionsOf = (id: string): string[] => {
    const fn = q.serviceFunction(id);
    const names = new Map<string, string>(
      [
        [q.tableArn(), 'ConnectionsTable'],
        [
          { 'Fn::Join': ['', [q.tableArn(), '/index/DueForRefresh']] },
          'ConnectionsTable/index/DueForRefresh',
        ],
        [{ 'Fn::Join': ['', [q.tableArn(), '/index/ByOpenId']] }, 'ConnectionsTable/index/ByOpenId'],
        [{ 'Fn::Join': ['', [q.tableArn(), '/index/AnalyticsDue']] }, 'ConnectionsTable/index/AnalyticsDue'],
        [q.keyArn(), 'TokenKey'],
        [{ Ref: q.logicalId(stack.clientSecret) }, 'ClientSecret'],
        [{ 'Fn::GetAtt': [q.logicalId(stack.eventBus), 'Arn'] }, 'ConnectionEventsBus'],
        [{ 'Fn::GetAtt': [q.logicalId(stack.refreshQueue), 'Arn'] }, 'RefreshQueue'],
        [{ 'Fn::GetAtt': [q.logicalId(stack.scheduledRunFailures), 'Arn'] }, 'ScheduledRunFailures'],
        [
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [q.logicalId(stack.uploadBucket), 'Arn'] }, '/uploads/*']] },
          'UploadBucket/uploads/*',
        ],
        [{ 'Fn::GetAtt': [q.logicalId(fn.logGroup), 'Arn'] }, 'its log group'],
      ].map(([arn, name]) => [JSON.stringify(arn), name as string]),
    );
    const condition = (statement: Statement) => {
      const text = JSON.stringify(statement.Condition ?? {});
      if (text === '{}') return '';
      if (text === JSON.stringify({ StringEquals: { 'kms:EncryptionContext:app': 'tiktok-connect' } })) {
        return ' in the app encryption context';
      }
      const viaDynamoDb = { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] };
      if (text === JSON.stringify({ StringEquals: { 'kms:ViaService': viaDynamoDb } }))
        return ' through DynamoDB';
      return ` if ${text}`;
    };
    return q.statementsOf(id).flatMap((statement) => {
      expect(statement.Effect).toBe('Allow');
      return [statement.Action].flat().flatMap((action) =>
        [statement.Resource].flat().map((resource) => {
          const json = JSON.stringify(resource);
          return `${action} on ${names.get(json) ?? json}${condition(statement)}`;
        }),
      );
    });
  };

  it('knows every function of the stack', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(functions.sort()).toEqual(
      Object.keys(EXPECTED_PERMISSIONS)
        .map((id) => q.logicalId(q.serviceFunction(id).lambda))
        .sort(),
    );
    expect(ROUTES.every((route) => route.functionName in EXPECTED_PERMISSIONS)).toBe(true);
  });

  it.each(Object.entries(EXPECTED_PERMISSIONS))('%s has exactly the permissions it needs', (id, expected) => {
    expect(permissionsOf(id).sort()).toEqual([...expected].sort());
  });

  it('lets only the refresher and the publisher Query DueForRefresh, only the analytics snapshot AnalyticsDue, and only the lists, the analytics routes and deletions the table', () => {
    const queries = Object.fromEntries(
      Object.keys(EXPECTED_PERMISSIONS).map((id) => [
        id,
        permissionsOf(id)
          .filter((permission) => permission.startsWith('dynamodb:Query'))
          .sort(),
      ]),
    );
    const byOpenId = 'dynamodb:Query on ConnectionsTable/index/ByOpenId';
    expect(
      Object.fromEntries(Object.entries(queries).filter(([, permissions]) => permissions.length)),
    ).toEqual({
      ListConnectionsFunction: ['dynamodb:Query on ConnectionsTable'],
      ListPostsFunction: ['dynamodb:Query on ConnectionsTable'],
      // Every one of these revokes a grant only if no other connection of the account holds it.
      CallbackFunction: [byOpenId],
      ProfileFunction: [byOpenId],
      VideosFunction: [byOpenId],
      VideoQueryFunction: [byOpenId],
      CreatorInfoFunction: [byOpenId],
      CreatePostFunction: [byOpenId],
      // Due posts are POST# shards of DueForRefresh.
      PublisherFunction: [byOpenId, 'dynamodb:Query on ConnectionsTable/index/DueForRefresh'],
      // Analytics history is deleted with the connection: Query on the table for its items.
      DisconnectFunction: ['dynamodb:Query on ConnectionsTable', byOpenId],
      TikTokWebhookFunction: ['dynamodb:Query on ConnectionsTable', byOpenId],
      RefresherFunction: [byOpenId, 'dynamodb:Query on ConnectionsTable/index/DueForRefresh'],
      RefreshWorkerFunction: [byOpenId],
      ConfirmConnectFunction: [byOpenId],
      AnalyticsSnapshotFunction: [
        'dynamodb:Query on ConnectionsTable',
        'dynamodb:Query on ConnectionsTable/index/AnalyticsDue',
        byOpenId,
      ],
      AnalyticsSeriesFunction: ['dynamodb:Query on ConnectionsTable'],
      AnalyticsHashtagsFunction: ['dynamodb:Query on ConnectionsTable'],
      AnalyticsFollowersFunction: ['dynamodb:Query on ConnectionsTable'],
      AnalyticsVideosFunction: ['dynamodb:Query on ConnectionsTable'],
      AnalyticsBreakoutsFunction: ['dynamodb:Query on ConnectionsTable'],
      AnalyticsHeatmapFunction: ['dynamodb:Query on ConnectionsTable'],
    });
  });

  it('gives ListConnectionsFunction no write and no token, and StartConnectFunction no client secret', () => {
    const list = q.statementsOf('ListConnectionsFunction');
    expect(actionsOf(list, 'dynamodb:')).toEqual(['dynamodb:Query']);
    expect(permissionsOf('ListConnectionsFunction').join('\n')).not.toMatch(/UpdateItem|encryption context/);
    expect(actionsOf(q.statementsOf('StartConnectFunction'), 'secretsmanager:')).toEqual([]);
  });

  it('lets only the publishing functions put events, and only on ConnectionEventsBus', () => {
    const busArn = { 'Fn::GetAtt': [q.logicalId(stack.eventBus), 'Arn'] };
    const roleIds = Object.fromEntries(
      Object.keys(EXPECTED_PERMISSIONS).map((id) => [q.logicalId(q.serviceFunction(id).role), id]),
    );
    const publishers: string[] = [];
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        if (!actionsOf([statement], 'events:').length) continue;
        expect(statement).toEqual({ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn });
        publishers.push(...policy.Properties.Roles.map((role: { Ref: string }) => roleIds[role.Ref]));
      }
    }
    expect(publishers.sort()).toEqual([...PUBLISHING_FUNCTIONS].sort());
  });

  it.each(Object.keys(EXPECTED_PERMISSIONS))('%s has no wildcard in any statement', (id) => {
    // The one exception: upload object keys are random, so S3 grants name the uploads/ prefix of the bucket.
    const uploads = JSON.stringify({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [q.logicalId(stack.uploadBucket), 'Arn'] }, '/uploads/*']],
    });
    for (const statement of q.statementsOf(id)) {
      const text = JSON.stringify(statement);
      const s3Only = [statement.Action].flat().every((action) => /^s3:(GetObject|PutObject)$/.test(action));
      expect(s3Only ? text.replace(uploads, '"<uploads>"') : text).not.toContain('*');
    }
  });

  it('attaches no AWS managed policies to the function roles', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});
