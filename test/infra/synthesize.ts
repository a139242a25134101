/** Synthesis of the stack for the template tests, and the questions they ask of a template. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { ServiceFunction } from '../../infra/service-function.js';
import { TikTokConnectStack, type TikTokConnectStackProps } from '../../infra/tiktok-connect-stack.js';

/** The same feature flags as `cdk synth`, so the template under test is the one that gets deployed. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

export const SETTINGS: TikTokConnectStackProps = {
  tiktokClientKey: 'awclientkey123',
  defaultReturnUrl: 'https://app.example.com/settings/tiktok',
  allowedReturnOrigins: ['https://admin.example.com'],
  jwtIssuer: 'https://auth.example.com',
  jwtAudience: ['web-app', 'admin-app'],
};

/** The functions that publish connection events (and so get EVENT_BUS_NAME and events:PutEvents). */
export const PUBLISHING_FUNCTIONS = [
  'ConfirmConnectFunction',
  'DisconnectFunction',
  'TikTokWebhookFunction',
  'ProfileFunction',
  'VideosFunction',
  'VideoQueryFunction',
  'RefresherFunction',
  'RefreshWorkerFunction',
  'AnalyticsSnapshotFunction',
  // Refresh a token on demand before calling TikTok; a refresh that finds the grant gone publishes.
  'CreatorInfoFunction',
  'CreatePostFunction',
  // tiktok.post.* events.
  'PublisherFunction',
];

export type Statement = {
  Effect?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
};

/**
 * One synthesis with cdk-nag, whose findings go to validation-report.json instead of failing. `bundle: false`
 * skips esbuild (seconds per function) for tests that read only the template.
 */
export function synthesize(props: TikTokConnectStackProps, options: { bundle: boolean; nag?: boolean }) {
  const app = new App({
    context: {
      ...CDK_JSON_CONTEXT,
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new TikTokConnectStack(app, 'TikTokConnect', props);
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  return { stack, template, assemblyDir: assembly.directory, ...templateQueries(stack, template) };
}

function templateQueries(stack: TikTokConnectStack, template: Template) {
  const logicalId = (construct: Construct) =>
    stack.getLogicalId(construct.node.defaultChild as Parameters<typeof stack.getLogicalId>[0]);
  const serviceFunction = (id: string) => stack.node.findChild(id) as ServiceFunction;
  const { Resources } = template.toJSON();
  const resources = () => Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  return {
    logicalId,
    serviceFunction,
    /** The Lambda function's properties, by the construct id of its ServiceFunction. */
    functionProps: (id: string) =>
      resources()[logicalId(serviceFunction(id).lambda)]?.Properties as {
        Environment: { Variables: Record<string, unknown> };
        Code: { S3Key: string };
        Timeout: number;
        MemorySize: number;
      },
    /** Every statement of the policies attached to the function's role. */
    statementsOf: (id: string): Statement[] => {
      const roleId = logicalId(serviceFunction(id).role);
      return Object.values(resources())
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .filter((r) => JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    },
    tableArn: () => ({ 'Fn::GetAtt': [logicalId(stack.table), 'Arn'] }),
    keyArn: () => ({ 'Fn::GetAtt': [logicalId(stack.tokenKey), 'Arn'] }),
  };
}

export const actionsOf = (statements: Statement[], prefix: string) =>
  statements.flatMap((s) => [s.Action].flat()).filter((action) => action.startsWith(prefix));

/** cdk-nag's findings as `<pack> <severity> <rule> at <path>`, from the report the synthesis wrote. */
export function nagFindings(assemblyDir: string): string[] {
  const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')) as {
    pluginReports: {
      pluginName: string;
      violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
    }[];
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map(
        (c) => `${plugin.pluginName} ${v.severity} ${v.ruleName} at ${c.constructPath}`,
      ),
    ),
  );
}
