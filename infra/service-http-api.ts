import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  type CorsHttpMethod,
  DomainName,
  HttpApi,
  type HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AaaaRecord, ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface ServiceHttpApiProps {
  /** Browser origins allowed to call the API (the frontend's). */
  readonly corsOrigins: readonly string[];
  /** Request headers those origins may send (the bearer token, JSON, tracing headers). */
  readonly corsAllowHeaders: readonly string[];
  /** Methods the frontend calls cross-origin (a DELETE with a bearer token needs a preflight). */
  readonly corsMethods: readonly CorsHttpMethod[];
  readonly jwt: { readonly issuer: string; readonly audience: readonly string[] };
  readonly customDomain: { readonly domainName: string; readonly certificateArn: string } | undefined;
  readonly logRetention: RetentionDays;
  /** Requests per second over the whole stage. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** The custom domain's public Route 53 zone: the API creates its alias records there. @default DNS is yours */
  readonly hostedZone?: { readonly zoneId: string; readonly zoneName: string } | undefined;
}

/** Who may call a route: a bearer JWT from the identity provider, or anyone, for the reason given. */
export type RouteAccess = 'jwt' | { readonly public: string };

/**
 * The HTTP API: routes require a JWT from the configured issuer unless declared public (with a reason),
 * JSON access logs without query strings (the callback's carry the OAuth code and state), stage-wide
 * throttling, CORS for the frontend, and an optional custom domain.
 */
export class ServiceHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** The base URL clients use: the custom domain if there is one, else the execute-api endpoint. */
  readonly url: string;
  /** DNS target for the custom domain (CNAME or alias), if there is one. */
  readonly domainTarget: string | undefined;
  /** The hosted zone id of `domainTarget`, for an alias record. */
  readonly domainHostedZoneId: string | undefined;

  constructor(scope: Construct, id: string, props: ServiceHttpApiProps) {
    super(scope, id);

    this.api = new HttpApi(this, 'Api', {
      apiName: Stack.of(this).stackName,
      description: 'TikTok Connect',
      createDefaultStage: false,
      // Secure by default: a new route needs a JWT unless it says otherwise.
      defaultAuthorizer: new HttpJwtAuthorizer('JwtAuthorizer', props.jwt.issuer, {
        jwtAudience: [...props.jwt.audience],
      }),
      corsPreflight: {
        allowOrigins: [...props.corsOrigins],
        allowMethods: [...props.corsMethods],
        allowHeaders: [...props.corsAllowHeaders],
        // A 429 says when to come back; the frontend's script may read it.
        exposeHeaders: ['retry-after'],
        // No credentials: the frontend sends a bearer token, never a cookie, to these routes.
        maxAge: Duration.hours(1),
      },
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    if (props.customDomain) {
      const domain = new DomainName(this, 'CustomDomain', {
        domainName: props.customDomain.domainName,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
      });
      new ApiMapping(this, 'ApiMapping', { api: this.api, domainName: domain, stage: this.stage });
      this.url = `https://${props.customDomain.domainName}`;
      this.domainTarget = domain.regionalDomainName;
      this.domainHostedZoneId = domain.regionalHostedZoneId;
      if (props.hostedZone) {
        const zone = HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
          hostedZoneId: props.hostedZone.zoneId,
          zoneName: props.hostedZone.zoneName,
        });
        const target = RecordTarget.fromAlias(
          new ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId),
        );
        const recordName = props.customDomain.domainName;
        new ARecord(this, 'AliasRecord', { zone, recordName, target });
        new AaaaRecord(this, 'AliasRecordIpv6', { zone, recordName, target });
      }
    } else {
      this.url = this.api.apiEndpoint;
      this.domainTarget = undefined;
      this.domainHostedZoneId = undefined;
    }
  }

  /** Routes `method path` to the function; `access` says who may call it. */
  addRoute(method: HttpMethod, path: string, handler: IFunction, access: RouteAccess): HttpRoute {
    const id = `${method} ${path}`;
    const route = new HttpRoute(this, id, {
      httpApi: this.api,
      routeKey: HttpRouteKey.with(path, method),
      integration: new HttpLambdaIntegration(`${id} Integration`, handler),
      ...(access === 'jwt' ? {} : { authorizer: new HttpNoneAuthorizer() }),
    });
    if (access !== 'jwt') {
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: access.public });
    }
    return route;
  }
}

/**
 * One JSON object per request. `$context.path` has no query string, so the callback's `code` and `state`
 * never reach the logs; neither do headers or cookies.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};
