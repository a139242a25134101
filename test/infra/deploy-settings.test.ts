import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { deployedStack, readDeploySettings } from '../../infra/deploy-settings.js';
import { REQUIRED_SETTINGS } from '../../infra/service-settings.js';
import { CDK_JSON_CONTEXT } from './synthesize.js';

const REPOSITORY_DEPLOY = fileURLToPath(new URL('../../deploy', import.meta.url));

/** A deploy/ directory of its own, holding the given `<stage>.json` files. */
function settingsDirectory(files: Record<string, unknown> = {}): string {
  const directory = join(mkdtempSync(join(tmpdir(), 'deploy-settings-')), 'deploy');
  mkdirSync(directory);
  for (const [stage, content] of Object.entries(files)) {
    writeFileSync(
      join(directory, `${stage}.json`),
      typeof content === 'string' ? content : JSON.stringify(content),
    );
  }
  return directory;
}

/** What `cdk synth -c …` does: the app's context, then the stack app.ts builds (without bundling). */
function synthDeployed(directory: string, context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = deployedStack(app, { settingsDirectory: directory });
  return { stack, template: Template.fromStack(stack), annotations: Annotations.fromStack(stack) };
}

/** The message synthesis fails with (as `cdk deploy` prints it), or the test fails. */
function synthRefusal(directory: string, context: Record<string, unknown>): string {
  try {
    synthDeployed(directory, context);
  } catch (error) {
    expect((error as Error).name).toBe('ValidationFailed');
    return (error as Error).message;
  }
  throw new Error('synthesis did not fail');
}

const PROD = {
  stackName: 'TikTokConnect',
  tiktokClientKey: 'awprodclientkey',
  defaultReturnUrl: 'https://app.example.com/settings/tiktok',
  allowedReturnOrigins: ['https://admin.example.com'],
  jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC',
  jwtAudience: ['prodclientid'],
  alarmEmail: 'ops@example.com',
  logRetentionDays: 365,
  apiThrottleRateLimit: 200,
  apiThrottleBurstLimit: 400,
  displayCacheSeconds: 60,
  tiktokRateLimitPerMinute: 300,
  refresherReservedConcurrency: 2,
};

describe('deploy settings (deploy/<stage>.json)', () => {
  it('refuses a deploy without a settings file: synth fails with an error naming each missing setting', () => {
    const refusal = synthRefusal(settingsDirectory(), { stage: 'prod' });
    const errors = refusal.split('\n').filter((line) => line.startsWith('ERROR '));
    expect(errors.map((line) => line.split(' ')[1])).toEqual([...REQUIRED_SETTINGS]);
    for (const error of errors) {
      expect(error).toContain('deploy/prod.json (no such file: copy deploy/example.json to it');
    }
  });

  it('refuses a settings file that lacks a required setting, naming only that one', () => {
    const { jwtAudience: _left, ...withoutAudience } = PROD;
    const refusal = synthRefusal(settingsDirectory({ prod: withoutAudience }), { stage: 'prod' });
    expect(refusal.split('\n').filter((line) => line.startsWith('ERROR '))).toEqual([
      expect.stringMatching(/^ERROR jwtAudience is not set: add it to deploy\/prod\.json /),
    ]);
  });

  it('builds the stack the file describes: its name, and the values of its settings in the template', () => {
    const { stack, template, annotations } = synthDeployed(settingsDirectory({ prod: PROD }), {
      stage: 'prod',
    });
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(stack.stackName).toBe('TikTokConnect');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TIKTOK_CLIENT_KEY: 'awprodclientkey',
          DEFAULT_RETURN_URL: 'https://app.example.com/settings/tiktok',
          ALLOWED_RETURN_ORIGINS: 'https://app.example.com,https://admin.example.com',
          DISPLAY_CACHE_SECONDS: '60',
          TIKTOK_RATE_LIMIT_PER_MINUTE: '300',
        }),
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: {
        Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC',
        Audience: ['prodclientid'],
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(365);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'TikTok Connect: scheduled token refresh',
      ReservedConcurrentExecutions: 2,
    });
    // With the response cache on, the display routes may write its items.
    const profilePolicy = Object.values(template.findResources('AWS::IAM::Policy')).find((policy) =>
      JSON.stringify(policy.Properties.Roles).includes('ProfileFunctionRole'),
    );
    expect(JSON.stringify(profilePolicy)).toContain('dynamodb:PutItem');
  });

  it('names the stack after the stage unless the file names it', () => {
    const { stackName: _name, ...unnamed } = PROD;
    const { stack } = synthDeployed(settingsDirectory({ staging: unnamed }), { stage: 'staging' });
    expect(stack.stackName).toBe('TikTokConnect-staging');
  });

  it('uses the dev stage when none is given', () => {
    const { stack, annotations } = synthDeployed(settingsDirectory({ dev: PROD }));
    expect(stack.stackName).toBe('TikTokConnect');
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  });

  it('lets CI synthesize offline without settings (-c ciSynth=true): warnings, not errors', () => {
    const { annotations } = synthDeployed(settingsDirectory(), { stage: 'prod', ciSynth: 'true' });
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('is not set')).length).toBe(
      REQUIRED_SETTINGS.length,
    );
  });

  it('refuses settings given as -c flags, which the next deploy would not remember', () => {
    expect(() =>
      synthDeployed(settingsDirectory({ prod: PROD }), { stage: 'prod', tiktokClientKey: 'other' }),
    ).toThrow(/-c tiktokClientKey: settings go into deploy\/<stage>\.json/);
  });

  it.each([
    [{ ...PROD, jwtIsuer: 'https://typo.example.com' }, /jwtIsuer/],
    [{ ...PROD, logRetentionDays: '365' }, /logRetentionDays/],
    [{ ...PROD, jwtAudience: 'prodclientid' }, /jwtAudience/],
    [{ ...PROD, stackName: 'bad name' }, /stackName: must be a stack name/],
    ['{ "tiktokClientKey": ', /deploy\/prod\.json is not valid JSON/],
  ])('refuses a settings file with a mistake: %j', (content, message) => {
    expect(() =>
      readDeploySettings({ stage: 'prod', directory: settingsDirectory({ prod: content }) }),
    ).toThrow(message);
  });

  it.each(['../etc/passwd', 'Prod', 'prod.json', ''])('refuses the stage name %j', (stage) => {
    expect(() => readDeploySettings({ stage, directory: settingsDirectory() })).toThrow(/stage must be/);
  });

  it("the repository's deploy/example.json is complete and valid", () => {
    const example = readDeploySettings({ stage: 'example', directory: REPOSITORY_DEPLOY });
    expect(example.found).toBe(true);
    for (const key of REQUIRED_SETTINGS) expect(example.settings[key]).toBeDefined();
    const { annotations } = synthDeployed(REPOSITORY_DEPLOY, { stage: 'example' });
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  });
});
