import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ServiceFunction } from '../../infra/service-function.js';
import { TikTokConnectStack } from '../../infra/tiktok-connect-stack.js';
import { loadConfig } from '../../shared/config.js';

/** What the deployed stack is, as far as the bill goes: read from its synthesized template, not restated. */
export type StackFacts = {
  functions: Record<string, { memoryMb: number; architecture: string }>;
  scheduleMinutes: number;
  refresh: {
    aheadMinutes: number;
    concurrency: number;
    maxInline: number;
    batchSize: number;
    publishRefreshed: boolean;
  };
  workerConcurrency: number;
  logRetentionDays: number;
  /** The HTTP API's access-log line template (`$context.*` placeholders). */
  accessLogFormat: string;
  alarmMetrics: number;
  dashboards: number;
  kmsKeys: number;
  secrets: number;
  /** Seconds the display routes keep TikTok's answers (0: every read goes to TikTok). */
  displayCacheSeconds: number;
};

type Resource = { Type: string; Properties: Record<string, unknown> };

/** Synthesizes the stack as `cdk synth` would (bundling skipped: only the template is read). */
export function readStackFacts(root: string): StackFacts {
  const context = (
    JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
  ).context;
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'bench-cost-synth-')),
    context: { ...context, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new TikTokConnectStack(app, 'TikTokConnect', {
    tiktokClientKey: 'bench',
    defaultReturnUrl: 'https://app.example.com/settings/tiktok',
    jwtIssuer: 'https://auth.example.com',
    jwtAudience: ['bench'],
  });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, Resource>;
  };
  const resources = Object.entries(template.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([, r]) => r.Properties);
  const logicalId = (construct: Construct) =>
    (stack as Stack).getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);

  const functions: StackFacts['functions'] = {};
  for (const child of stack.node.children) {
    const lambda = (child as Partial<ServiceFunction>).lambda;
    if (!lambda) continue;
    const props = template.Resources[logicalId(lambda)]?.Properties as {
      MemorySize: number;
      Architectures?: string[];
    };
    functions[child.node.id] = {
      memoryMb: props.MemorySize,
      architecture: props.Architectures?.[0] ?? 'x86_64',
    };
  }

  const refresherEnv = environmentOf(
    template.Resources,
    logicalId(stack.node.findChild('RefresherFunction').node.findChild('Function') as Construct),
  );
  const config = loadConfig({ TIKTOK_CLIENT_KEY: 'bench', TIKTOK_CLIENT_SECRET: 'bench', ...refresherEnv });
  const profileEnv = environmentOf(
    template.Resources,
    logicalId(stack.node.findChild('ProfileFunction').node.findChild('Function') as Construct),
  );
  const displayConfig = loadConfig({
    TIKTOK_CLIENT_KEY: 'bench',
    TIKTOK_CLIENT_SECRET: 'bench',
    ...profileEnv,
  });

  const schedule = String(ofType('AWS::Events::Rule')[0]?.ScheduleExpression ?? '');
  const scheduleMatch = /^rate\((\d+) minutes?\)$/.exec(schedule);
  if (!scheduleMatch) throw new Error(`refresh schedule ${schedule} is not rate(N minutes)`);
  const mapping = ofType('AWS::Lambda::EventSourceMapping')[0] as {
    ScalingConfig?: { MaximumConcurrency?: number };
  };
  const stage = ofType('AWS::ApiGatewayV2::Stage')[0] as { AccessLogSettings?: { Format?: string } };
  const retention = ofType('AWS::Logs::LogGroup').map((p) => Number(p.RetentionInDays));

  return {
    functions,
    scheduleMinutes: Number(scheduleMatch[1]),
    refresh: {
      aheadMinutes: config.refresh.aheadMs / 60_000,
      concurrency: config.refresh.concurrency,
      maxInline: config.refresh.maxInline,
      batchSize: config.refresh.batchSize,
      publishRefreshed: config.events.publishRefreshed,
    },
    workerConcurrency: mapping.ScalingConfig?.MaximumConcurrency ?? 1000,
    logRetentionDays: Math.max(...retention),
    accessLogFormat: stage.AccessLogSettings?.Format ?? '',
    alarmMetrics: ofType('AWS::CloudWatch::Alarm').reduce(
      (sum, alarm) =>
        sum +
        (Array.isArray(alarm.Metrics)
          ? (alarm.Metrics as { MetricStat?: unknown }[]).filter((m) => m.MetricStat).length
          : 1),
      0,
    ),
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    kmsKeys: ofType('AWS::KMS::Key').length,
    secrets: ofType('AWS::SecretsManager::Secret').length,
    displayCacheSeconds: displayConfig.display.cacheSeconds,
  };
}

/** The function's environment variables that are plain strings (references to other resources are left out). */
function environmentOf(resources: Record<string, Resource>, id: string): Record<string, string> {
  const variables = (
    resources[id]?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined
  )?.Variables;
  const plain = Object.entries(variables ?? {}).filter(
    ([name, value]) => typeof value === 'string' && /^(REFRESH_|PUBLISH_|DISPLAY_|SECRET_)/.test(name),
  );
  return Object.fromEntries(plain) as Record<string, string>;
}
