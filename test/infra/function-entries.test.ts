import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/http/route-table.js';
import { SETTINGS, synthesize } from './synthesize.js';

/**
 * Each Lambda entry, loaded with exactly the environment the stack gives its function: a function that is told
 * about an AWS service (an event bus, a queue) its entry does not wire fails here, not on its first cold start.
 */
const ENTRIES: Record<string, string> = {
  ...Object.fromEntries(ROUTES.map((route) => [route.functionName, route.entry])),
  RefresherFunction: 'functions/refresh-scheduled.ts',
  RefreshWorkerFunction: 'functions/refresh-worker.ts',
  PublisherFunction: 'functions/publisher-scheduled.ts',
  AnalyticsSnapshotFunction: 'functions/analytics-snapshot.ts',
};

/** Deploy-time values (tokens in the template) as a Lambda would see them. */
const RESOLVED: Record<string, string> = {
  TABLE_NAME: 'TikTokConnect-ConnectionsTable',
  TIKTOK_CLIENT_SECRET_ARN:
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:TikTokConnect/tiktok-client-secret',
  TOKEN_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
  EVENT_BUS_NAME: 'TikTokConnect-connection-events',
  REFRESH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/TikTokConnect-RefreshQueue',
  TIKTOK_REDIRECT_URI: 'https://abc123.execute-api.eu-west-1.amazonaws.com/auth/tiktok/callback',
  UPLOAD_BUCKET_NAME: 'tiktokconnect-uploadbucket-abc123',
};

describe('Lambda entries against the stack’s environments', () => {
  const { functionProps } = synthesize(SETTINGS, { bundle: false });

  it.each(Object.entries(ENTRIES))('%s loads with its stack environment', async (functionName, entry) => {
    const variables = functionProps(functionName).Environment.Variables;
    const env: Record<string, string> = { AWS_REGION: 'eu-west-1' };
    for (const [name, value] of Object.entries(variables)) {
      env[name] = typeof value === 'string' ? value : (RESOLVED[name] ?? '');
      if (env[name] === '')
        throw new Error(`${functionName}: no stand-in for the deploy-time value of ${name}`);
    }
    expect(env.TIKTOK_CLIENT_SECRET).toBeUndefined();
    const saved = process.env;
    process.env = { PATH: saved.PATH, ...env };
    try {
      const module = (await import(pathToFileURL(resolve(import.meta.dirname, '../..', entry)).href)) as {
        handler?: unknown;
      };
      expect(typeof module.handler).toBe('function');
    } finally {
      process.env = saved;
    }
  });
});
