import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TikTokConnectStack } from '../../infra/tiktok-connect-stack.js';
import { ROUTES } from '../../shared/http/route-table.js';
import { createTableInput } from '../../shared/store/table-schema.js';
import { nagFindings, PUBLISHING_FUNCTIONS, SETTINGS, synthesize } from './synthesize.js';

/** The only routes a browser or TikTok may call without a JWT; each has its own reason in the stack. */
const PUBLIC_ROUTES = ['GET /auth/tiktok/launch', 'GET /auth/tiktok/callback', 'POST /webhooks/tiktok'];

const ROUTE_FUNCTIONS = ROUTES.map((route) => route.functionName);
const ALL_FUNCTIONS = [
  ...ROUTE_FUNCTIONS,
  'RefresherFunction',
  'RefreshWorkerFunction',
  'AnalyticsSnapshotFunction',
  'PublisherFunction',
];
/** HTTP functions that read TikTok's Display API (its rate budget, the response cache). */
const DISPLAY_FUNCTIONS = ['ProfileFunction', 'VideosFunction', 'VideoQueryFunction'];
/** HTTP functions that refresh a token on demand before calling TikTok. */
const FRESH_TOKEN_FUNCTIONS = [...DISPLAY_FUNCTIONS, 'CreatorInfoFunction', 'CreatePostFunction'];
/** HTTP functions that presign uploads or read uploaded files. */
const UPLOAD_FUNCTIONS = ['CreateUploadFunction', 'CreatePostFunction'];
const REFRESH_SETTINGS = [
  'REFRESH_AHEAD_MINUTES',
  'REFRESH_CONCURRENCY',
  'REFRESH_MAX_INLINE',
  'PUBLISH_REFRESHED_EVENTS',
];
/** The display routes' own settings: TikTok's rate budget and the response cache. */
const DISPLAY_SETTINGS = ['DISPLAY_CACHE_SECONDS', 'TIKTOK_RATE_LIMIT_PER_MINUTE'];

const BASE_ENVIRONMENT_KEYS = [
  'ALLOWED_RETURN_ORIGINS',
  'DEFAULT_RETURN_URL',
  'NODE_OPTIONS',
  'STACK_NAME',
  'TABLE_NAME',
  'TIKTOK_CLIENT_KEY',
  'TIKTOK_CLIENT_SECRET_ARN',
  'TIKTOK_PKCE_ENCODING',
  'TIKTOK_REDIRECT_URI',
  'TIKTOK_SCOPES',
  'TOKEN_KMS_KEY_ID',
];

describe('TikTokConnectStack', () => {
  let stack: TikTokConnectStack;
  let template: Template;
  let assemblyDir: string;
  let q: ReturnType<typeof synthesize>;

  beforeAll(() => {
    q = synthesize(SETTINGS, { bundle: true });
    ({ stack, template, assemblyDir } = q);
  });

  describe('routes', () => {
    const jwtAuthorizerId = () => {
      const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer', {
        Properties: {
          AuthorizerType: 'JWT',
          IdentitySource: ['$request.header.Authorization'],
          JwtConfiguration: { Issuer: 'https://auth.example.com', Audience: ['web-app', 'admin-app'] },
        },
      });
      expect(Object.keys(authorizers)).toHaveLength(1);
      return Object.keys(authorizers)[0];
    };
    /** The function behind a route: route → integration → function. */
    const targetOf = (routeKey: string): string | undefined => {
      const [route] = Object.values(
        template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }),
      );
      const integrationId = route?.Properties.Target['Fn::Join'][1][1].Ref;
      return template.toJSON().Resources[integrationId]?.Properties.IntegrationUri['Fn::GetAtt'][0];
    };

    it('has exactly the routes of shared/http/route-table.ts', () => {
      const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
        (route) => route.Properties.RouteKey,
      );
      expect(routeKeys.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    });

    it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
      '%s is served by its own function with the authorization the table gives',
      (routeKey, route) => {
        expect(route.auth).toBe(PUBLIC_ROUTES.includes(routeKey) ? 'none' : 'jwt');
        template.hasResourceProperties(
          'AWS::ApiGatewayV2::Route',
          route.auth === 'jwt'
            ? { RouteKey: routeKey, AuthorizationType: 'JWT', AuthorizerId: { Ref: jwtAuthorizerId() } }
            : { RouteKey: routeKey, AuthorizationType: 'NONE', AuthorizerId: Match.absent() },
        );
        expect(targetOf(routeKey)).toBe(q.logicalId(q.serviceFunction(route.functionName).lambda));
      },
    );

    it('lets the frontend origins call the JWT routes with a bearer token, without credentials', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: {
          AllowOrigins: ['https://app.example.com', 'https://admin.example.com'],
          AllowCredentials: Match.absent(),
          AllowHeaders: ['authorization', 'content-type', 'traceparent', 'sentry-trace'],
          AllowMethods: [...new Set(ROUTES.filter((r) => r.auth === 'jwt').map((r) => r.method))],
          ExposeHeaders: ['retry-after'],
        },
      });
    });
  });

  describe('functions', () => {
    it('run Node.js 24 on arm64 with ESM source maps and their own log group', () => {
      const functions = template.findResources('AWS::Lambda::Function');
      expect(Object.keys(functions)).toHaveLength(ALL_FUNCTIONS.length);
      for (const fn of Object.values(functions)) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
          Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
        });
      }
    });

    it.each(ROUTE_FUNCTIONS)('%s answers within what API Gateway waits for, on 512 MB', (id) => {
      // An on-demand refresh (waiting for another holder, two TikTok calls) and the TikTok call fit in 29 s,
      // within API Gateway's 30; the others answer well within 15.
      const timeout = FRESH_TOKEN_FUNCTIONS.includes(id) ? 29 : 15;
      expect(q.functionProps(id)).toMatchObject({ Timeout: timeout, MemorySize: 512 });
    });

    it.each([
      ...ROUTES.map((route) => [route.functionName, route.entry]),
      ['RefresherFunction', 'functions/refresh-scheduled.ts'],
      ['RefreshWorkerFunction', 'functions/refresh-worker.ts'],
      ['PublisherFunction', 'functions/publisher-scheduled.ts'],
      ['AnalyticsSnapshotFunction', 'functions/analytics-snapshot.ts'],
    ])('%s is bundled from %s as an ES module that can still require CommonJS', (id, entry) => {
      const assetDir = join(assemblyDir, `asset.${q.functionProps(id).Code.S3Key.replace(/\.zip$/, '')}`);
      const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
      expect(bundle.startsWith('import { createRequire as __createRequire }')).toBe(true);
      expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b/);
      const sourceMap = JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as {
        sources: string[];
      };
      expect(sourceMap.sources.some((source) => source.endsWith(entry))).toBe(true);
    });

    it.each(ALL_FUNCTIONS)(
      '%s gets the configuration shared/config.ts reads, and the client secret only by ARN',
      (id) => {
        const env = q.functionProps(id).Environment.Variables;
        expect(Object.keys(env)).toEqual(expect.arrayContaining(BASE_ENVIRONMENT_KEYS));
        expect(env).toMatchObject({
          TABLE_NAME: { Ref: q.logicalId(stack.table) },
          TOKEN_KMS_KEY_ID: q.keyArn(),
          TIKTOK_CLIENT_KEY: 'awclientkey123',
          TIKTOK_CLIENT_SECRET_ARN: { Ref: q.logicalId(stack.clientSecret) },
          TIKTOK_SCOPES: 'user.info.basic,user.info.profile,user.info.stats,video.list',
          TIKTOK_PKCE_ENCODING: 'hex',
          ALLOWED_RETURN_ORIGINS: 'https://app.example.com,https://admin.example.com',
          DEFAULT_RETURN_URL: 'https://app.example.com/settings/tiktok',
        });
        expect(env).not.toHaveProperty('TIKTOK_CLIENT_SECRET');
        // No value of the secret, not even as a CloudFormation dynamic reference resolved at deploy time.
        expect(JSON.stringify(env)).not.toMatch(/resolve:secretsmanager|SecretString/);
      },
    );

    it.each(ROUTE_FUNCTIONS)(
      '%s gets the event bus name only if it publishes, refresh settings only if it refreshes',
      (id) => {
        const env = q.functionProps(id).Environment.Variables;
        const expected = [
          ...BASE_ENVIRONMENT_KEYS,
          ...(PUBLISHING_FUNCTIONS.includes(id) ? ['EVENT_BUS_NAME'] : []),
          ...(FRESH_TOKEN_FUNCTIONS.includes(id) ? REFRESH_SETTINGS : []),
          ...(DISPLAY_FUNCTIONS.includes(id) ? DISPLAY_SETTINGS : []),
          ...(UPLOAD_FUNCTIONS.includes(id) ? ['UPLOAD_BUCKET_NAME'] : []),
        ];
        expect(Object.keys(env).sort()).toEqual(expected.sort());
      },
    );

    it('sends TikTok back to the API endpoint when no domain or redirect URI is set', () => {
      const expected = {
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [q.logicalId(stack.api.api), 'ApiEndpoint'] }, '/auth/tiktok/callback'],
        ],
      };
      expect(q.functionProps('CallbackFunction').Environment.Variables.TIKTOK_REDIRECT_URI).toEqual(expected);
      template.hasOutput('CallbackUrl', { Value: expected });
    });
  });

  describe('connections table', () => {
    it('has the keys and indexes of shared/store/table-schema.ts', () => {
      const shape = createTableInput('unused');
      const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
      const bySortedName = <T extends { AttributeName?: string; IndexName?: string }>(items: T[]) =>
        [...items].sort((a, b) =>
          (a.AttributeName ?? a.IndexName ?? '').localeCompare(b.AttributeName ?? b.IndexName ?? ''),
        );
      expect(table?.Properties.KeySchema).toEqual(shape.KeySchema);
      expect(bySortedName(table?.Properties.AttributeDefinitions)).toEqual(
        bySortedName(shape.AttributeDefinitions ?? []),
      );
      expect(bySortedName(table?.Properties.GlobalSecondaryIndexes)).toEqual(
        bySortedName(shape.GlobalSecondaryIndexes ?? []),
      );
    });

    it('bills per request, expires items by `ttl`, keeps point-in-time backups and is encrypted with TokenKey', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: q.keyArn() },
          DeletionProtectionEnabled: true,
        },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });
  });

  describe('keys and secrets', () => {
    it('rotates TokenKey yearly, retains it, and names it after the stack', () => {
      template.hasResource('AWS::KMS::Key', {
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
      });
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: 'alias/TikTokConnect/tokens',
        TargetKeyId: q.keyArn(),
      });
    });

    it('creates the client secret with a placeholder for the operator to replace', () => {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: 'TikTokConnect/tiktok-client-secret',
        SecretString: 'SET-ME',
        KmsKeyId: Match.absent(),
      });
    });
  });

  describe('HTTP API stage', () => {
    it('writes one JSON access log line per request, without query strings or headers', () => {
      const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
      expect(stage?.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [q.logicalId(stack.api.accessLogs), 'Arn'] } },
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
      const format = JSON.parse(stage?.Properties.AccessLogSettings.Format) as Record<string, string>;
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
      expect(Object.values(format).join(' ')).not.toMatch(/querystring|header|cookie/i);
    });
  });

  it('outputs the URLs, names and ARNs an operator needs, and an alarm topic with no one subscribed unasked', () => {
    for (const output of [
      'ApiUrl',
      'CallbackUrl',
      'ClientSecretName',
      'TableName',
      'UploadBucketName',
      'EventBusName',
      'EventBusArn',
      'AlarmTopicArn',
      'DashboardUrl',
      'RefreshDeadLetterQueueArn',
      'ScheduledRunFailuresQueueArn',
    ]) {
      template.hasOutput(output, {});
    }
    template.hasOutput('ClientSecretName', { Value: 'TikTokConnect/tiktok-client-secret' });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: q.logicalId(stack.alarmTopic) } });
    template.hasOutput('DashboardUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: 'AWS::Region' },
            '.console.aws.amazon.com/cloudwatch/home?region=',
            { Ref: 'AWS::Region' },
            '#dashboards/dashboard/',
            { Ref: q.logicalId(stack.dashboard) },
          ],
        ],
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'TikTokConnect-operations',
    });
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(template.findOutputs('CustomDomainTarget')).toEqual({});
    expect(template.findOutputs('CustomDomainHostedZoneId')).toEqual({});
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: q.logicalId(stack.alarmTopic) }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: q.logicalId(stack.alarmTopic) }]);
    }
  });

  it('passes the cdk-nag AwsSolutions checks, every exception acknowledged with a reason', () => {
    expect(nagFindings(assemblyDir)).toEqual([]);
    // The same check, straight from the rule pack (it also honours the acknowledgements).
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it('warns about no missing setting when all are given', () => {
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('TikTokConnectStack variants', () => {
  it('serves a custom domain and registers its callback URL when domainName and certificateArn are set', () => {
    const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/abcd';
    const { stack, template } = synthesize(
      { ...SETTINGS, domainName: 'connect.example.com', certificateArn },
      { bundle: false },
    );
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'connect.example.com',
      DomainNameConfigurations: [Match.objectLike({ CertificateArn: certificateArn })],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
      ApiId: { Ref: stack.getLogicalId(stack.api.api.node.defaultChild as CfnApi) },
      DomainName: { Ref: Match.anyValue() },
      Stage: '$default',
    });
    template.hasOutput('CallbackUrl', { Value: 'https://connect.example.com/auth/tiktok/callback' });
    template.hasOutput('ApiUrl', { Value: 'https://connect.example.com' });
    template.hasOutput('CustomDomainTarget', {
      Value: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalDomainName'] },
    });
    template.hasOutput('CustomDomainHostedZoneId', {
      Value: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalHostedZoneId'] },
    });
    // DNS stays the operator's unless the zone is given.
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TIKTOK_REDIRECT_URI: 'https://connect.example.com/auth/tiktok/callback',
        }),
      },
    });
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it('creates the alias records in the hosted zone when it is given', () => {
    const { template } = synthesize(
      {
        ...SETTINGS,
        domainName: 'connect.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abcd',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        hostedZoneName: 'example.com',
      },
      { bundle: false },
    );
    for (const type of ['A', 'AAAA']) {
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'connect.example.com.',
        Type: type,
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        AliasTarget: {
          DNSName: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalDomainName'] },
          HostedZoneId: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalHostedZoneId'] },
        },
      });
    }
  });

  it('refuses to synthesize a deployable stack without settings: an error for each missing one', () => {
    const { stack } = synthesize({}, { bundle: false });
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('is not set'));
    expect(errors.map((e) => String(e.entry.data).split(' ')[0])).toEqual([
      'tiktokClientKey',
      'defaultReturnUrl',
      'jwtIssuer',
      'jwtAudience',
    ]);
  });

  it('synthesizes offline for CI (allowPlaceholders), with placeholders and a warning for each missing one', () => {
    const { stack, template } = synthesize({ allowPlaceholders: true }, { bundle: false });
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('is not set'));
    expect(warnings.map((w) => String(w.entry.data).split(' ')[0])).toEqual([
      'tiktokClientKey',
      'defaultReturnUrl',
      'jwtIssuer',
      'jwtAudience',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TIKTOK_CLIENT_KEY: 'SET-ME' }) },
    });
  });

  it('acknowledges the X-Ray wildcard only when tracing is on', () => {
    const { stack, template } = synthesize({ ...SETTINGS, tracing: true }, { bundle: false });
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
