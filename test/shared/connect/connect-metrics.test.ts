import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  connectAccount,
  connectDriver,
  outcomeOf,
  pendingConfirmation,
} from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';

let service: TestService;
let driver: ReturnType<typeof connectDriver>;

beforeAll(async () => {
  service = await startTestService();
  driver = connectDriver(service);
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.metricLines.length = 0;
});

type EmfDocument = {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [member: string]: unknown;
};

/** The EMF documents the service wrote for one metric. */
function emitted(metricName: string): EmfDocument[] {
  return service.metricLines
    .map((line) => JSON.parse(line) as EmfDocument)
    .filter((doc) => doc._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === metricName));
}

describe('connect metrics', () => {
  it('emit ConnectCompleted once for an account connected, and no failure', async () => {
    await connectAccount(service, 'metrics-connected');
    const [doc, ...more] = emitted('ConnectCompleted');
    expect(more).toEqual([]);
    expect(doc?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'TikTokConnect',
        Dimensions: [['Service', 'Operation']],
        Metrics: [{ Name: 'ConnectCompleted', Unit: 'Count' }],
      },
    ]);
    expect(doc).toMatchObject({ Service: 'tiktok-connect', Operation: 'connect', ConnectCompleted: 1 });
    expect(emitted('ConnectFailed')).toEqual([]);
    expect(emitted('TikTokError')).toEqual([]);
  });

  it('emit ConnectFailed with the reason the user was sent back with; declining is not a TikTok error', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'metrics-decline' });
    const state = new URL(authorizeUrl).searchParams.get('state') as string;
    const query = new URLSearchParams({ error: 'access_denied', state }).toString();
    expect(outcomeOf(await driver.callback(query, cookies)).reason).toBe('access_denied');
    const [doc, ...more] = emitted('ConnectFailed');
    expect(more).toEqual([]);
    expect(doc?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Service', 'Operation', 'Reason']]);
    expect(doc).toMatchObject({
      Service: 'tiktok-connect',
      Operation: 'connect',
      Reason: 'access_denied',
      ConnectFailed: 1,
    });
    expect(emitted('ConnectCompleted')).toEqual([]);
    expect(emitted('TikTokError')).toEqual([]);
  });

  it('emit ConnectFailed and TikTokError with our code when TikTok fails the token exchange', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'metrics-tiktok-down' });
    service.emulator.faults.push({ endpoint: 'token', kind: 'http_503' });
    const answer = await driver.callback(driver.consent(authorizeUrl).query, cookies);
    expect(outcomeOf(answer).reason).toBe('tiktok_unavailable');
    expect(emitted('ConnectFailed')).toEqual([expect.objectContaining({ Reason: 'tiktok_unavailable' })]);
    const [doc, ...more] = emitted('TikTokError');
    expect(more).toEqual([]);
    expect(doc?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Service', 'Operation', 'Code']]);
    expect(doc).toMatchObject({
      Service: 'tiktok-connect',
      Operation: 'connect',
      Code: 'tiktok_unavailable',
      TikTokError: 1,
    });
  });

  it('emit ConnectCompleted only when confirmed, and ConnectFailed connect_user_mismatch for another user’s confirm', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'metrics-starter' });
    const answer = await driver.callback(driver.consent(authorizeUrl).query, cookies);
    expect(emitted('ConnectCompleted')).toEqual([]);
    const refused = await driver.confirm(pendingConfirmation(answer), 'metrics-someone-else');
    expect(refused.statusCode).toBe(403);
    expect(emitted('ConnectFailed')).toEqual([expect.objectContaining({ Reason: 'connect_user_mismatch' })]);
    expect(emitted('ConnectCompleted')).toEqual([]);
  });

  it('emit ConnectFailed for a callback refused before its flow is known (a used state)', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'metrics-replay' });
    const consent = driver.consent(authorizeUrl);
    expect(outcomeOf(await driver.callback(consent.query, cookies)).tiktok).toBe('pending');
    service.metricLines.length = 0;
    expect((await driver.callback(consent.query, cookies)).statusCode).toBe(400);
    expect(emitted('ConnectFailed')).toEqual([expect.objectContaining({ Reason: 'state_invalid' })]);
    expect(emitted('ConnectCompleted')).toEqual([]);
  });
});
