/**
 * The CDK app. Settings persist in `deploy/<stage>.json` (see deploy/example.json and docs/deploy.md), one file
 * per environment, committed; `-c stage=<stage>` chooses it (default `dev`). The stack is named by the file's
 * `stackName`, else `TikTokConnect-<stage>`.
 *
 *   npm run deploy -- -c stage=prod     deploy deploy/prod.json's stack
 *   npm run synth                       offline synth for CI: missing settings are warnings (-c ciSynth=true)
 *
 * A required setting the file does not give (tiktokClientKey, defaultReturnUrl, jwtIssuer, jwtAudience) is a
 * synth error naming it, so `cdk deploy` refuses; `-c ciSynth=true` turns those into warnings for an offline
 * synth that is never deployed. Settings are not taken from `-c key=value`: the next deploy would not
 * remember them. Every setting is described in `infra/service-settings.ts` (ServiceSettings).
 * The client secret is not a setting: it lives in Secrets Manager (see the ClientSecretName output).
 */
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { deployedStack } from './deploy-settings.js';

const app = new App();
deployedStack(app, { settingsDirectory: fileURLToPath(new URL('../deploy', import.meta.url)) });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
