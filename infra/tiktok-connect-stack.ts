import { fileURLToPath } from 'node:url';
import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ClientSecret } from './client-secret.js';
import { ConnectionsTable } from './connections-table.js';
import { ServiceFunction, type ServiceFunctionProps } from './service-function.js';
import { ServiceHttpApi } from './service-http-api.js';
import { CALLBACK_PATH, resolveSettings, type ServiceSettings } from './service-settings.js';
import { TokenKey } from './token-key.js';

export interface TikTokConnectStackProps extends StackProps, ServiceSettings {
  /** Directory with `functions/` and `package-lock.json`. @default this repository */
  readonly projectRoot?: string;
  /** Retention of the function and access logs. @default three months */
  readonly logRetention?: RetentionDays;
  /** X-Ray active tracing on every function. @default false */
  readonly tracing?: boolean;
  /** Stage-wide limit in requests per second. @default 50/s, bursts of 100 */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * TikTok Connect: users connect their TikTok account through OAuth 2.0 (server-side state + PKCE); the tokens
 * are kept encrypted in DynamoDB.
 */
export class TikTokConnectStack extends Stack {
  readonly tokenKey: TokenKey;
  readonly table: ConnectionsTable;
  readonly clientSecret: ClientSecret;
  readonly api: ServiceHttpApi;
  /** The redirect URI registered at TikTok (a token until deploy when it is the API endpoint's). */
  readonly redirectUri: string;

  readonly #functionDefaults: Pick<
    ServiceFunctionProps,
    'environment' | 'logRetention' | 'tracing' | 'projectRoot'
  >;

  constructor(scope: Construct, id: string, props: TikTokConnectStackProps = {}) {
    super(scope, id, props);
    const settings = resolveSettings(props);
    for (const key of settings.missing) {
      Annotations.of(this).addWarningV2(
        `tiktok-connect:missing-${key}`,
        `${key} is not set (cdk.json context, -c ${key}=..., or a stack prop): synth uses a placeholder, ` +
          'a deployed stack would not work',
      );
    }
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;

    // At rest, tokens are encrypted twice under one key: the table's own encryption, and inside it each token
    // in an envelope whose data key the key wraps.
    this.tokenKey = new TokenKey(this, 'TokenKey', { alias: `alias/${this.stackName}/tokens` });
    this.table = new ConnectionsTable(this, 'ConnectionsTable', { encryptionKey: this.tokenKey });
    const clientSecretName = `${this.stackName}/tiktok-client-secret`;
    this.clientSecret = new ClientSecret(this, 'ClientSecret', { secretName: clientSecretName });

    // The API comes before the functions: unless set, the redirect URI is the API's own address.
    this.api = new ServiceHttpApi(this, 'HttpApi', {
      corsOrigins: settings.allowedReturnOrigins,
      jwt: settings.jwt,
      customDomain: settings.customDomain,
      logRetention,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
    });
    this.redirectUri = settings.redirectUri ?? `${this.api.url}${CALLBACK_PATH}`;

    // Every function reads the same configuration (shared/config.ts); the client secret goes by ARN only.
    this.#functionDefaults = {
      projectRoot: props.projectRoot ?? REPOSITORY_ROOT,
      logRetention,
      tracing: props.tracing ?? false,
      environment: {
        TABLE_NAME: this.table.tableName,
        TOKEN_KMS_KEY_ID: this.tokenKey.keyArn,
        TIKTOK_CLIENT_KEY: settings.tiktokClientKey,
        TIKTOK_CLIENT_SECRET_ARN: this.clientSecret.secretArn,
        TIKTOK_REDIRECT_URI: this.redirectUri,
        TIKTOK_SCOPES: settings.scopes.join(','),
        TIKTOK_PKCE_ENCODING: settings.pkceEncoding,
        ALLOWED_RETURN_ORIGINS: settings.allowedReturnOrigins.join(','),
        DEFAULT_RETURN_URL: settings.defaultReturnUrl,
      },
    };

    // 1. The signed-in user's frontend asks for a connect URL: the state and the encrypted PKCE verifier are
    //    stored (with a launch ticket, in one transaction) for the user named by the JWT's `sub`.
    const startConnect = this.addFunction('StartConnectFunction', {
      entry: 'auth-start',
      description: 'TikTok Connect: start a connection (state, PKCE, launch ticket)',
    });
    this.table.grantItemActions(startConnect, 'PutItem');
    this.tokenKey.grantEnvelopeEncryption(startConnect);
    this.api.addRoute(HttpMethod.GET, '/auth/tiktok/start', startConnect.lambda, 'jwt');

    // 2. The browser opens the launch URL; the ticket is redeemed, the flow bound to a cookie, then on to TikTok.
    const launchConnect = this.addFunction('LaunchConnectFunction', {
      entry: 'auth-launch',
      description: 'TikTok Connect: redeem a launch ticket and redirect to TikTok',
    });
    this.table.grantItemActions(launchConnect, 'DeleteItem', 'UpdateItem');
    this.api.addRoute(HttpMethod.GET, '/auth/tiktok/launch', launchConnect.lambda, {
      public:
        'A top-level browser navigation cannot send a bearer token. The request is authorised by a one-time ' +
        'launch ticket that /auth/tiktok/start issued to the authenticated user: random, stored hashed, ' +
        'deleted on first use and valid for two minutes.',
    });

    // 3. TikTok sends the browser back with a code: the flow is consumed, the code exchanged, the tokens stored.
    const completeConnect = this.addFunction('CompleteConnectFunction', {
      entry: 'auth-callback',
      description: 'TikTok Connect: OAuth callback (code exchange, store the connection)',
    });
    this.table.grantItemActions(completeConnect, 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem');
    this.tokenKey.grantEnvelopeEncryption(completeConnect);
    this.clientSecret.grantReadValue(completeConnect);
    this.api.addRoute(HttpMethod.GET, CALLBACK_PATH, completeConnect.lambda, {
      public:
        'TikTok redirects the browser here (OAuth 2.0 redirection endpoint), which cannot carry a bearer token. ' +
        'The request is authorised by the OAuth state: random, stored hashed server-side, consumed once, bound to ' +
        'a cookie of the browser that started the flow, with PKCE on the code exchange.',
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'CallbackUrl', {
      value: this.redirectUri,
      description: 'Register exactly this redirect URI in the TikTok developer portal',
    });
    new CfnOutput(this, 'ClientSecretName', {
      value: clientSecretName,
      description:
        'Store the TikTok client secret: aws secretsmanager put-secret-value --secret-id <this name>',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    if (this.api.domainTarget) {
      new CfnOutput(this, 'CustomDomainTarget', {
        value: this.api.domainTarget,
        description: 'Point a CNAME (or alias) for the custom domain at this name',
      });
    }
  }

  /**
   * A function with the service's shared settings and configuration (extra `environment` is added to it);
   * it starts with no permissions. `entry` is its file under `functions/`.
   */
  addFunction(
    id: string,
    options: Pick<ServiceFunctionProps, 'entry' | 'description'> & Partial<ServiceFunctionProps>,
  ): ServiceFunction {
    const defaults = this.#functionDefaults;
    return new ServiceFunction(this, id, {
      ...defaults,
      ...options,
      environment: { ...defaults.environment, ...options.environment },
    });
  }
}
