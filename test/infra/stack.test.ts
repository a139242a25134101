import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceFunction } from '../../infra/service-function.js';
import { TikTokConnectStack, type TikTokConnectStackProps } from '../../infra/tiktok-connect-stack.js';
import { createTableInput } from '../../shared/store/table-schema.js';

/** The same feature flags as `cdk synth`, so the template under test is the one that gets deployed. */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

const SETTINGS: TikTokConnectStackProps = {
  tiktokClientKey: 'awclientkey123',
  defaultReturnUrl: 'https://app.example.com/settings/tiktok',
  allowedReturnOrigins: ['https://admin.example.com'],
  jwtIssuer: 'https://auth.example.com',
  jwtAudience: ['web-app', 'admin-app'],
};

const EXPECTED_ENVIRONMENT_KEYS = [
  'ALLOWED_RETURN_ORIGINS',
  'DEFAULT_RETURN_URL',
  'NODE_OPTIONS',
  'TABLE_NAME',
  'TIKTOK_CLIENT_KEY',
  'TIKTOK_CLIENT_SECRET_ARN',
  'TIKTOK_PKCE_ENCODING',
  'TIKTOK_REDIRECT_URI',
  'TIKTOK_SCOPES',
  'TOKEN_KMS_KEY_ID',
];

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

function synthesize(props: TikTokConnectStackProps, options: { bundle: boolean } = { bundle: true }) {
  const app = new App({
    context: {
      ...CDK_JSON_CONTEXT,
      // Report findings in validation-report.json instead of throwing, so the test can show them.
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new TikTokConnectStack(app, 'TikTokConnect', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { stack, template: Template.fromStack(stack), assemblyDir: assembly.directory };
}

describe('TikTokConnectStack', () => {
  let stack: TikTokConnectStack;
  let template: Template;
  let assemblyDir: string;

  beforeAll(() => {
    ({ stack, template, assemblyDir } = synthesize(SETTINGS));
  });

  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as CfnFunction);
  const serviceFunction = (id: string) => stack.node.findChild(id) as ServiceFunction;
  const functionProps = (id: string) =>
    template.toJSON().Resources[logicalId(serviceFunction(id).lambda)].Properties as {
      Environment: { Variables: Record<string, unknown> };
      Code: { S3Key: string };
    };
  /** Every statement of the function role's policies. */
  const statementsOf = (id: string): Statement[] => {
    const roleId = stack.getLogicalId(serviceFunction(id).role.node.defaultChild as CfnRole);
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
    return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  };
  const actionsOf = (statements: Statement[], prefix: string) =>
    statements.flatMap((s) => [s.Action].flat()).filter((action) => action.startsWith(prefix));
  const tableArn = () => ({ 'Fn::GetAtt': [logicalId(stack.table), 'Arn'] });
  const keyArn = () => ({ 'Fn::GetAtt': [logicalId(stack.tokenKey), 'Arn'] });

  describe('routes', () => {
    it('requires a JWT from the configured issuer and audiences on /auth/tiktok/start', () => {
      const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer', {
        Properties: {
          AuthorizerType: 'JWT',
          IdentitySource: ['$request.header.Authorization'],
          JwtConfiguration: { Issuer: 'https://auth.example.com', Audience: ['web-app', 'admin-app'] },
        },
      });
      expect(Object.keys(authorizers)).toHaveLength(1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: 'GET /auth/tiktok/start',
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: Object.keys(authorizers)[0] },
      });
    });

    it('leaves /auth/tiktok/launch and /auth/tiktok/callback open to the browser', () => {
      for (const routeKey of ['GET /auth/tiktok/launch', 'GET /auth/tiktok/callback']) {
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          RouteKey: routeKey,
          AuthorizationType: 'NONE',
        });
      }
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
    });

    it('sends each route to its own function', () => {
      const { Resources } = template.toJSON();
      /** The function behind a route: route → integration → function. */
      const targetOf = (routeKey: string): string => {
        const [route] = Object.values(
          template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }),
        );
        const integrationId = route?.Properties.Target['Fn::Join'][1][1].Ref;
        return Resources[integrationId].Properties.IntegrationUri['Fn::GetAtt'][0];
      };
      expect(targetOf('GET /auth/tiktok/start')).toBe(
        logicalId(serviceFunction('StartConnectFunction').lambda),
      );
      expect(targetOf('GET /auth/tiktok/launch')).toBe(
        logicalId(serviceFunction('LaunchConnectFunction').lambda),
      );
      expect(targetOf('GET /auth/tiktok/callback')).toBe(
        logicalId(serviceFunction('CompleteConnectFunction').lambda),
      );
    });

    it('lets the frontend origins call with credentials and a bearer token', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: {
          AllowOrigins: ['https://app.example.com', 'https://admin.example.com'],
          AllowCredentials: true,
          AllowHeaders: Match.arrayWith(['authorization']),
          AllowMethods: ['GET'],
        },
      });
    });
  });

  describe('functions', () => {
    it('run Node.js 24 on arm64 with 512 MB, ESM source maps and their own log group', () => {
      const functions = template.findResources('AWS::Lambda::Function');
      expect(Object.keys(functions)).toHaveLength(3);
      for (const fn of Object.values(functions)) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          MemorySize: 512,
          Timeout: 15,
          Handler: 'index.handler',
          LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
          Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
        });
      }
    });

    it.each(['StartConnectFunction', 'LaunchConnectFunction', 'CompleteConnectFunction'])(
      '%s is bundled from functions/ as an ES module that can still require CommonJS',
      (id) => {
        const assetDir = join(assemblyDir, `asset.${functionProps(id).Code.S3Key.replace(/\.zip$/, '')}`);
        const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
        expect(bundle.startsWith('import { createRequire as __createRequire }')).toBe(true);
        expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b/);
        expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
      },
    );

    it.each(['StartConnectFunction', 'LaunchConnectFunction', 'CompleteConnectFunction'])(
      '%s gets the configuration shared/config.ts reads, and the client secret only by ARN',
      (id) => {
        const env = functionProps(id).Environment.Variables;
        expect(Object.keys(env).sort()).toEqual(EXPECTED_ENVIRONMENT_KEYS);
        expect(env).toMatchObject({
          TABLE_NAME: { Ref: logicalId(stack.table) },
          TOKEN_KMS_KEY_ID: keyArn(),
          TIKTOK_CLIENT_KEY: 'awclientkey123',
          TIKTOK_CLIENT_SECRET_ARN: { Ref: logicalId(stack.clientSecret) },
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

    it('sends TikTok back to the API endpoint when no domain or redirect URI is set', () => {
      const expected = {
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [logicalId(stack.api.api), 'ApiEndpoint'] }, '/auth/tiktok/callback'],
        ],
      };
      expect(functionProps('CompleteConnectFunction').Environment.Variables.TIKTOK_REDIRECT_URI).toEqual(
        expected,
      );
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
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn() },
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
        TargetKeyId: keyArn(),
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

  describe('permissions', () => {
    it('lets StartConnectFunction only put items and wrap data keys', () => {
      const statements = statementsOf('StartConnectFunction');
      expect(actionsOf(statements, 'dynamodb:')).toEqual(['dynamodb:PutItem']);
      expect(actionsOf(statements, 'secretsmanager:')).toEqual([]);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: keyArn(),
          Condition: { StringEquals: { 'kms:EncryptionContext:app': 'tiktok-connect' } },
        }),
      );
    });

    it('lets LaunchConnectFunction only delete and update items, with no access to tokens', () => {
      const statements = statementsOf('LaunchConnectFunction');
      expect(actionsOf(statements, 'dynamodb:').sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:UpdateItem',
      ]);
      expect(actionsOf(statements, 'secretsmanager:')).toEqual([]);
      expect(
        statements.filter((s) => JSON.stringify(s.Condition ?? {}).includes('EncryptionContext')),
      ).toEqual([]);
    });

    it('lets CompleteConnectFunction read the client secret, use the table and wrap data keys', () => {
      const statements = statementsOf('CompleteConnectFunction');
      expect(actionsOf(statements, 'dynamodb:').sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: logicalId(stack.clientSecret) },
      });
      expect(statements).toContainEqual(
        expect.objectContaining({
          Condition: { StringEquals: { 'kms:EncryptionContext:app': 'tiktok-connect' } },
        }),
      );
    });

    it.each(['StartConnectFunction', 'LaunchConnectFunction', 'CompleteConnectFunction'])(
      '%s has table actions on the base table only, and key use only through DynamoDB or with our context',
      (id) => {
        const statements = statementsOf(id);
        for (const statement of statements) {
          expect(JSON.stringify(statement)).not.toContain('*');
          const actions = [statement.Action].flat();
          if (actions.some((a) => a.startsWith('dynamodb:'))) expect(statement.Resource).toEqual(tableArn());
          if (actions.some((a) => a.startsWith('kms:'))) {
            expect(statement.Resource).toEqual(keyArn());
            expect(Object.keys(statement.Condition?.StringEquals ?? {})).toEqual([
              expect.stringMatching(/^kms:(ViaService|EncryptionContext:app)$/),
            ]);
          }
        }
        expect(statements).toContainEqual(
          expect.objectContaining({
            Condition: {
              StringEquals: {
                'kms:ViaService': {
                  'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
                },
              },
            },
          }),
        );
      },
    );

    it('attaches no AWS managed policies to the function roles', () => {
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('HTTP API stage', () => {
    it('writes one JSON access log line per request, without query strings or headers', () => {
      const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
      expect(stage?.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalId(stack.api.accessLogs), 'Arn'] } },
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
      const format = JSON.parse(stage?.Properties.AccessLogSettings.Format) as Record<string, string>;
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
      expect(Object.values(format).join(' ')).not.toMatch(/querystring|header|cookie/i);
    });
  });

  it('outputs the API URL, the callback URL to register, the secret name and the table name', () => {
    for (const output of ['ApiUrl', 'CallbackUrl', 'ClientSecretName', 'TableName']) {
      template.hasOutput(output, {});
    }
    template.hasOutput('ClientSecretName', { Value: 'TikTokConnect/tiktok-client-secret' });
  });

  it('passes the cdk-nag AwsSolutions checks, every exception acknowledged with a reason', () => {
    const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        pluginName: string;
        violations: {
          ruleName: string;
          severity: string;
          violatingConstructs: { constructPath: string }[];
        }[];
      }[];
    };
    const findings = report.pluginReports.flatMap((plugin) =>
      plugin.violations.flatMap((v) =>
        v.violatingConstructs.map(
          (c) => `${plugin.pluginName} ${v.severity} ${v.ruleName} at ${c.constructPath}`,
        ),
      ),
    );
    expect(findings).toEqual([]);
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
    template.hasOutput('CustomDomainTarget', {});
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TIKTOK_REDIRECT_URI: 'https://connect.example.com/auth/tiktok/callback',
        }),
      },
    });
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it('synthesizes offline without settings, with placeholders and a warning for each missing one', () => {
    const { stack, template } = synthesize({}, { bundle: false });
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
