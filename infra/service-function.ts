import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { type IGrantable, type IPrincipal, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ServiceFunctionProps {
  /** Directory holding `package-lock.json` and `functions/`. */
  readonly projectRoot: string;
  /** The entry module's path from `projectRoot`, as `ROUTES` gives it: `functions/auth-start.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  readonly tracing: boolean;
  /** @default 15 seconds: a TikTok call (8 s timeout) plus KMS, Secrets Manager and DynamoDB. */
  readonly timeout?: Duration;
  /** @default 512 MB (Lambda's CPU share grows with memory; cold starts and KMS/TLS work are CPU-bound). */
  readonly memorySize?: number;
  /** Concurrency kept for this function alone (and its ceiling). @default none reserved */
  readonly reservedConcurrentExecutions?: number | undefined;
}

// Makes `require` exist in the ESM bundle for the CommonJS dependencies esbuild inlines.
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * One Lambda of the service with the settings they all share: Node.js 24 on arm64, an ESM bundle built by the
 * project's own esbuild (never Docker), source maps, its own log group and a role that starts with nothing but
 * writing to that log group. Grant it what it needs, then route to `.lambda`.
 */
export class ServiceFunction extends Construct implements IGrantable {
  readonly lambda: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly grantPrincipal: IPrincipal;
  /** The entry module's path from the project root (the policy harness runs this module's handler as this function). */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    requireLocalEsbuild();
    this.entry = props.entry;

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    // Our own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (Lambda role)`,
    });
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    this.lambda = new NodejsFunction(this, 'Function', {
      description: props.description,
      entry: join(props.projectRoot, props.entry),
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      timeout: props.timeout ?? Duration.seconds(15),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: props.tracing ? Tracing.ACTIVE : undefined,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The SDK version the tests ran against, not whichever one the runtime ships this month.
        bundleAwsSDK: true,
        forceDockerBundling: false,
      },
    });
    if (props.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
      });
    }
  }
}

/** NodejsFunction falls back to Docker when it cannot find esbuild; we would rather fail and say why. */
function requireLocalEsbuild(): void {
  try {
    createRequire(import.meta.url).resolve('esbuild');
  } catch {
    throw new Error(
      'esbuild is not installed: run `npm ci` (Lambda bundling uses the local esbuild, never Docker)',
    );
  }
}
