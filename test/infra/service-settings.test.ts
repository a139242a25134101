import { describe, expect, it } from 'vitest';
import { resolveSettings, SettingsError } from '../../infra/service-settings.js';

const COMPLETE = {
  tiktokClientKey: 'awclientkey123',
  defaultReturnUrl: 'https://app.example.com/settings/tiktok',
  jwtIssuer: 'https://auth.example.com',
  jwtAudience: ['web-app'],
};

describe('resolveSettings', () => {
  it('fills in TikTok defaults: the four scopes and hex PKCE', () => {
    const settings = resolveSettings(COMPLETE);
    expect(settings.scopes).toEqual([
      'user.info.basic',
      'user.info.profile',
      'user.info.stats',
      'video.list',
    ]);
    expect(settings.pkceEncoding).toBe('hex');
    expect(settings.missing).toEqual([]);
  });

  it('refreshes every 10 minutes, 30 minutes ahead, with 10 workers, and alarms only in the console', () => {
    const settings = resolveSettings(COMPLETE);
    expect(settings.refresh).toEqual({
      scheduleMinutes: 10,
      aheadMinutes: 30,
      concurrency: 8,
      maxInline: 400,
      workerConcurrency: 10,
      publishRefreshedEvents: false,
    });
    expect(settings.alarms).toEqual({
      terminalFailureThreshold: 10,
      email: undefined,
      api5xxPercent: 5,
      apiLatencyMs: 10_000,
    });
  });

  it('keeps logs 90 days, throttles the API at 50/s (bursts of 100), caches nothing, reserves nothing', () => {
    const settings = resolveSettings(COMPLETE);
    expect(settings.logRetentionDays).toBe(90);
    expect(settings.apiThrottle).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect(settings.displayCacheSeconds).toBe(0);
    expect(settings.tiktokRateLimitPerMinute).toBe(600);
    expect(settings.reservedConcurrency).toEqual({ refresher: undefined, refreshWorker: undefined });
    expect(settings.eventSubscriberAccounts).toEqual([]);
    expect(settings.hostedZone).toBeUndefined();
  });

  it('takes the alarm email as given, trimmed', () => {
    expect(resolveSettings({ ...COMPLETE, alarmEmail: ' ops@example.com ' }).alarms.email).toBe(
      'ops@example.com',
    );
  });

  it('stands placeholders in for what a deployment needs, and lists them', () => {
    const settings = resolveSettings({});
    expect(settings.missing).toEqual(['tiktokClientKey', 'defaultReturnUrl', 'jwtIssuer', 'jwtAudience']);
    expect(settings.tiktokClientKey).toBe('SET-ME');
    expect(settings.jwt.audience).toEqual(['SET-ME']);
  });

  it('keeps the issuer exactly as given, since the authorizer compares it with `iss` verbatim', () => {
    expect(resolveSettings({ ...COMPLETE, jwtIssuer: 'https://auth.example.com' }).jwt.issuer).toBe(
      'https://auth.example.com',
    );
  });

  it('allows the default return URL origin and the configured origins, each once', () => {
    const settings = resolveSettings({
      ...COMPLETE,
      allowedReturnOrigins: ['https://admin.example.com/any/path', 'https://app.example.com'],
    });
    expect(settings.allowedReturnOrigins).toEqual(['https://app.example.com', 'https://admin.example.com']);
  });

  it('derives the redirect URI from the custom domain, or leaves it to the API endpoint', () => {
    const withDomain = resolveSettings({
      ...COMPLETE,
      domainName: 'Connect.Example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abcd',
    });
    expect(withDomain.redirectUri).toBe('https://connect.example.com/auth/tiktok/callback');
    expect(resolveSettings(COMPLETE).redirectUri).toBeUndefined();
    expect(resolveSettings({ ...COMPLETE, redirectUri: 'https://x.example.com/cb' }).redirectUri).toBe(
      'https://x.example.com/cb',
    );
  });

  it.each([
    [{ redirectUri: 'https://x.example.com/cb?next=1' }, /no query string/],
    [{ redirectUri: 'http://x.example.com/cb' }, /https/],
    [{ domainName: 'connect.example.com' }, /domainName and certificateArn go together/],
    [{ domainName: 'https://connect.example.com', certificateArn: 'arn' }, /host name/],
    [{ defaultReturnUrl: '/relative' }, /absolute URL/],
    [{ jwtIssuer: 'http://auth.example.com' }, /https/],
    [{ allowedReturnOrigins: ['*'] }, /absolute URL/],
    [{ pkceEncoding: 'plain' as 'hex' }, /hex or base64url/],
    [{ tiktokClientKey: '  ' }, /must not be empty/],
    [{ refreshWorkerConcurrency: 1 }, /refreshWorkerConcurrency must be a whole number from 2 to 1000/],
    [{ refreshWorkerConcurrency: 1001 }, /from 2 to 1000/],
    [{ refreshScheduleMinutes: 0 }, /refreshScheduleMinutes must be a whole number/],
    [{ refreshScheduleMinutes: 2.5 }, /refreshScheduleMinutes must be a whole number/],
    [{ refreshConcurrency: Number.NaN }, /refreshConcurrency must be a whole number/],
    [{ refreshMaxInline: 0 }, /refreshMaxInline must be a whole number at least 1/],
    [{ refreshScheduleMinutes: 30 }, /refreshAheadMinutes \(30\) must exceed refreshScheduleMinutes \(30\)/],
    [{ refreshScheduleMinutes: 15, refreshAheadMinutes: 10 }, /a token can expire between two runs/],
    [
      { terminalFailureAlarmThreshold: -1 },
      /terminalFailureAlarmThreshold must be a whole number at least 0/,
    ],
    [{ alarmEmail: 'ops' }, /alarmEmail must be an email address/],
    [{ logRetentionDays: 10 }, /logRetentionDays must be one of 1, 3, 5/],
    [{ apiThrottleRateLimit: 0 }, /apiThrottleRateLimit must be a whole number/],
    [{ displayCacheSeconds: -1 }, /displayCacheSeconds must be a whole number from 0/],
    [{ tiktokRateLimitPerMinute: 0 }, /tiktokRateLimitPerMinute must be a whole number at least 1/],
    [{ refresherReservedConcurrency: 0 }, /refresherReservedConcurrency must be a whole number from 1/],
    [
      { refreshWorkerConcurrency: 10, refreshWorkerReservedConcurrency: 5 },
      /refreshWorkerReservedConcurrency must be a whole number from 10/,
    ],
    [{ api5xxAlarmPercent: 0 }, /api5xxAlarmPercent must be a whole number from 1 to 100/],
    [{ eventSubscriberAccounts: ['1234'] }, /12-digit AWS account ids/],
    [{ hostedZoneId: 'Z1' }, /hostedZoneId and hostedZoneName go together/],
    [{ hostedZoneId: 'Z1', hostedZoneName: 'example.com' }, /needs domainName and certificateArn/],
    [
      {
        domainName: 'connect.example.com',
        certificateArn: 'arn',
        hostedZoneId: 'Z1',
        hostedZoneName: 'example.org',
      },
      /does not contain domainName/,
    ],
  ])('refuses %j', (override, message) => {
    expect(() => resolveSettings({ ...COMPLETE, ...override })).toThrow(SettingsError);
    expect(() => resolveSettings({ ...COMPLETE, ...override })).toThrow(message);
  });

  it('takes the CORS request headers from corsAllowHeaders (default: bearer, JSON and tracing headers)', () => {
    expect(resolveSettings(COMPLETE).corsAllowHeaders).toEqual([
      'authorization',
      'content-type',
      'traceparent',
      'sentry-trace',
    ]);
    expect(
      resolveSettings({ ...COMPLETE, corsAllowHeaders: ['Authorization', 'X-Request-Id'] }).corsAllowHeaders,
    ).toEqual(['authorization', 'x-request-id']);
    expect(() => resolveSettings({ ...COMPLETE, corsAllowHeaders: ['bad header'] })).toThrow(SettingsError);
  });
});
