/**
 * The CDK app. Configuration comes from CDK context: `cdk.json` "context", `cdk.context.json`, or
 * `-c key=value` on the command line. Each key is also a prop of `TikTokConnectStack` of the same name.
 *
 *   tiktokClientKey       TikTok app client key. Required for deploy (synth without it uses SET-ME and warns).
 *   defaultReturnUrl      Where users land after connecting when the frontend names no return URL.
 *                         Required for deploy (placeholder otherwise). Its origin is always allowed.
 *   jwtIssuer             Issuer (`iss`) of the access tokens the frontend sends to /auth/tiktok/start,
 *                         e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>. Required for deploy.
 *   jwtAudience           Accepted audiences (`aud`, or `client_id` for Cognito access tokens), comma list.
 *                         Required for deploy.
 *   allowedReturnOrigins  Further origins users may be sent back to, comma list; also the API's CORS origins.
 *   domainName            Custom domain for the HTTP API, e.g. connect.example.com. Optional; needs
 *   certificateArn        an ACM certificate for it in the stack's region. DNS is yours to point (see outputs).
 *   redirectUri           The redirect URI registered at TikTok. Default: https://<domainName>/auth/tiktok/callback
 *                         with a custom domain, else <API endpoint>/auth/tiktok/callback.
 *   scopes                TikTok scopes, comma list. Default: user.info.basic,user.info.profile,user.info.stats,video.list
 *   pkceEncoding          hex (TikTok's web flow, default) or base64url (RFC 7636).
 *   tracing               true: X-Ray active tracing on the functions. Default false.
 *   stackName             Default TikTokConnect. One account can hold several (e.g. TikTokConnect-staging).
 *
 * Token refresh and its alarms (all optional):
 *   refreshScheduleMinutes        Minutes between scheduled refresh runs. Default 10.
 *   refreshAheadMinutes           Refresh this long before the access token expires. Default 30; must exceed
 *                                 refreshScheduleMinutes.
 *   refreshConcurrency            Connections one Lambda refreshes at a time. Default 8.
 *   refreshMaxInline              Connections a run refreshes itself before queueing the rest. Default 400.
 *   refreshWorkerConcurrency      Most queue workers at once, 2 to 1000. Default 10.
 *   publishRefreshedEvents        true: publish tiktok.connection.refreshed too. Default false.
 *   terminalFailureAlarmThreshold Terminal refresh failures per hour that raise the alarm. Default 10.
 *   alarmEmail                    Email address that receives the alarms (confirm the SNS subscription).
 *
 * A deploy with a setting still missing shows a warning; `cdk deploy --strict` refuses it.
 * The client secret is not configuration: it lives in Secrets Manager (see the ClientSecretName output).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Node } from 'constructs';
import type { PkceEncoding } from './service-settings.js';
import { TikTokConnectStack } from './tiktok-connect-stack.js';

const app = new App();
const context = contextReader(app.node);
const stackName = context.string('stackName') ?? 'TikTokConnect';

new TikTokConnectStack(app, stackName, {
  description: 'TikTok Connect: OAuth connection of TikTok accounts, tokens encrypted in DynamoDB',
  tiktokClientKey: context.string('tiktokClientKey'),
  defaultReturnUrl: context.string('defaultReturnUrl'),
  jwtIssuer: context.string('jwtIssuer'),
  jwtAudience: context.list('jwtAudience'),
  allowedReturnOrigins: context.list('allowedReturnOrigins'),
  domainName: context.string('domainName'),
  certificateArn: context.string('certificateArn'),
  redirectUri: context.string('redirectUri'),
  scopes: context.list('scopes'),
  pkceEncoding: context.string('pkceEncoding') as PkceEncoding | undefined,
  tracing: context.boolean('tracing'),
  refreshScheduleMinutes: context.number('refreshScheduleMinutes'),
  refreshAheadMinutes: context.number('refreshAheadMinutes'),
  refreshConcurrency: context.number('refreshConcurrency'),
  refreshMaxInline: context.number('refreshMaxInline'),
  refreshWorkerConcurrency: context.number('refreshWorkerConcurrency'),
  publishRefreshedEvents: context.boolean('publishRefreshedEvents'),
  terminalFailureAlarmThreshold: context.number('terminalFailureAlarmThreshold'),
  alarmEmail: context.string('alarmEmail'),
  corsAllowHeaders: context.list('corsAllowHeaders'),
  publicRouteRateLimit: context.number('publicRouteRateLimit'),
  publicRouteBurstLimit: context.number('publicRouteBurstLimit'),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

/** Context values arrive as strings from `-c`, as JSON values from cdk.json; empty means unset. */
function contextReader(node: Node) {
  const raw = (key: string): unknown => {
    const value: unknown = node.tryGetContext(key);
    return value === '' || value === null ? undefined : value;
  };
  return {
    string(key: string): string | undefined {
      const value = raw(key);
      if (value === undefined || typeof value === 'string') return value;
      throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
    },
    list(key: string): string[] | undefined {
      const value = raw(key);
      if (value === undefined) return undefined;
      const items = typeof value === 'string' ? value.split(',') : value;
      if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
        throw new Error(
          `context ${key} must be a comma list or an array of strings, got ${JSON.stringify(value)}`,
        );
      }
      return items.map((item: string) => item.trim()).filter(Boolean);
    },
    boolean(key: string): boolean | undefined {
      const value = raw(key);
      if (value === undefined || typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw new Error(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
    },
    /** Whether it is a whole number in range is for `resolveSettings` to say. */
    number(key: string): number | undefined {
      const value = raw(key);
      if (value === undefined || typeof value === 'number') return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
        return Number(value);
      }
      throw new Error(`context ${key} must be a number, got ${JSON.stringify(value)}`);
    },
  };
}
