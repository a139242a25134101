/**
 * Per-environment settings that persist: `deploy/<stage>.json`, committed next to the code, chosen with
 * `-c stage=<stage>`. A `-c key=value` flag is not remembered by the next deploy, so settings are read from
 * the file only; the flags the CDK app takes are the stage and the CI opt-out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import * as v from 'valibot';
import { type ServiceSettings, SettingsError } from './service-settings.js';
import { TikTokConnectStack } from './tiktok-connect-stack.js';

/** What `deploy/<stage>.json` may hold: every ServiceSettings key, plus the stack's name. */
export interface DeploySettingsFile extends ServiceSettings {
  /** CloudFormation stack name. @default TikTokConnect-<stage> */
  readonly stackName?: string;
}

const text = v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'));
const texts = v.array(text);
const wholeNumber = v.pipe(v.number(), v.integer('must be a whole number'));

/** Strict: a misspelt key (`jwtIsuer`) is an error, not a setting silently left at its default. */
const SettingsFileSchema = v.strictObject({
  $comment: v.optional(v.string()),
  stackName: v.optional(v.pipe(text, v.regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a stack name'))),
  tiktokClientKey: v.optional(text),
  domainName: v.optional(text),
  certificateArn: v.optional(text),
  redirectUri: v.optional(text),
  allowedReturnOrigins: v.optional(texts),
  defaultReturnUrl: v.optional(text),
  jwtIssuer: v.optional(text),
  jwtAudience: v.optional(texts),
  scopes: v.optional(texts),
  pkceEncoding: v.optional(v.picklist(['hex', 'base64url'])),
  refreshScheduleMinutes: v.optional(wholeNumber),
  refreshAheadMinutes: v.optional(wholeNumber),
  refreshConcurrency: v.optional(wholeNumber),
  refreshMaxInline: v.optional(wholeNumber),
  refreshWorkerConcurrency: v.optional(wholeNumber),
  publishRefreshedEvents: v.optional(v.boolean()),
  terminalFailureAlarmThreshold: v.optional(wholeNumber),
  alarmEmail: v.optional(text),
  logRetentionDays: v.optional(wholeNumber),
  tracing: v.optional(v.boolean()),
  apiThrottleRateLimit: v.optional(wholeNumber),
  apiThrottleBurstLimit: v.optional(wholeNumber),
  displayCacheSeconds: v.optional(wholeNumber),
  tiktokRateLimitPerMinute: v.optional(wholeNumber),
  refresherReservedConcurrency: v.optional(wholeNumber),
  refreshWorkerReservedConcurrency: v.optional(wholeNumber),
  api5xxAlarmPercent: v.optional(wholeNumber),
  apiLatencyAlarmMs: v.optional(wholeNumber),
  eventSubscriberAccounts: v.optional(texts),
  hostedZoneId: v.optional(text),
  hostedZoneName: v.optional(text),
  corsAllowHeaders: v.optional(texts),
});

/** Every key the schema reads is a setting the stack knows, and every setting has a key (compile-time). */
type SchemaKeys = Exclude<keyof v.InferOutput<typeof SettingsFileSchema>, '$comment'>;
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaCoversSettings: SameKeys<SchemaKeys, keyof DeploySettingsFile> = true;
void schemaCoversSettings;

/** The setting keys, e.g. to refuse `-c tiktokClientKey=…` with a pointer to the file. */
export const SETTING_KEYS: readonly string[] = Object.keys(SettingsFileSchema.entries).filter(
  (key) => key !== '$comment',
);

export interface DeploySettings {
  readonly stage: string;
  readonly stackName: string;
  /** The file's path as the operator knows it, e.g. `deploy/prod.json`. */
  readonly file: string;
  /** Whether that file exists; without it every setting is at its default and the required ones missing. */
  readonly found: boolean;
  readonly settings: ServiceSettings;
}

/**
 * The stack `cdk deploy` deploys: the stage from `-c stage=…` (default dev), its settings from
 * `<settingsDirectory>/<stage>.json`, and `-c ciSynth=true` for CI's offline synth (placeholders allowed).
 */
export function deployedStack(app: App, options: { readonly settingsDirectory: string }): TikTokConnectStack {
  const context = (key: string): unknown => app.node.tryGetContext(key);
  const flagged = SETTING_KEYS.filter((key) => context(key) !== undefined);
  if (flagged.length > 0) {
    throw new SettingsError(
      `${flagged.map((key) => `-c ${key}`).join(', ')}: settings go into deploy/<stage>.json, where the ` +
        'next deploy finds them again; -c takes only stage and ciSynth',
    );
  }
  const stage = context('stage') ?? 'dev';
  if (typeof stage !== 'string') throw new SettingsError('-c stage must be a name, e.g. -c stage=prod');
  const ciSynth = context('ciSynth');
  if (![undefined, true, false, 'true', 'false'].includes(ciSynth as string)) {
    throw new SettingsError(`-c ciSynth must be true or false, got ${JSON.stringify(ciSynth)}`);
  }
  const deploy = readDeploySettings({ stage, directory: options.settingsDirectory });
  return new TikTokConnectStack(app, deploy.stackName, {
    description: 'TikTok Connect: OAuth connection of TikTok accounts, tokens encrypted in DynamoDB',
    ...deploy.settings,
    allowPlaceholders: ciSynth === true || ciSynth === 'true',
    settingsSource: deploy.found
      ? deploy.file
      : `${deploy.file} (no such file: copy deploy/example.json to it and fill it in)`,
  });
}

/** Reads `<directory>/<stage>.json`; a file that is not valid JSON, or holds an unknown key, throws. */
export function readDeploySettings(options: { stage: string; directory: string }): DeploySettings {
  const { stage, directory } = options;
  // The stage names a file: no path separators, no dots.
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(stage)) {
    throw new SettingsError(
      `stage must be lower-case letters, digits and dashes, got ${JSON.stringify(stage)}`,
    );
  }
  const path = join(directory, `${stage}.json`);
  const file = `deploy/${stage}.json`;
  const defaultStackName = `TikTokConnect-${stage}`;
  if (!existsSync(path)) {
    return { stage, stackName: defaultStackName, file, found: false, settings: {} };
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SettingsError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const result = v.safeParse(SettingsFileSchema, json);
  if (!result.success) {
    const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? '(file)'}: ${issue.message}`);
    throw new SettingsError(`${file}: ${problems.join('; ')}`);
  }
  const { $comment: _comment, stackName, ...settings } = result.output;
  return { stage, stackName: stackName ?? defaultStackName, file, found: true, settings };
}
