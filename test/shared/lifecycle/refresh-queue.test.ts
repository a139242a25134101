import { createHash, randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RefreshRunReport, runScheduledRefresh } from '../../../shared/lifecycle/refresh-run.js';
import type { RefreshBatch, RefreshQueue } from '../../../shared/queue/refresh-queue.js';
import { SqsRefreshQueue } from '../../../shared/queue/sqs-refresh-queue.js';
import type { ConnectionKey } from '../../../shared/store/connection-store.js';
import { connectAccount } from '../../support/connect-driver.js';
import { type FunctionHandler, handlerOf } from '../../support/function-handlers.js';
import { startTestService, type TestService } from '../../support/service.js';

// SQS cannot run here (no local SQS in this project). So the hand-off is tested from both sides of the queue:
// (a) SqsRefreshQueue against a mocked SQSClient — what it asks SQS to do; and (b) the refresher and the worker
// around an in-process stand-in queue, whose batches are delivered to the worker as the SQSEvent Lambda gets.

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/tiktok-connect-refresh';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:tiktok-connect-refresh';

describe('SqsRefreshQueue', () => {
  const sqs = mockClient(SQSClient);

  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: 'x' })),
      Failed: [],
    }));
  });

  const queue = () =>
    new SqsRefreshQueue({ sqs: new SQSClient({ region: 'us-east-1' }), queueUrl: QUEUE_URL });
  const batchesOf = (count: number): RefreshBatch[] =>
    Array.from({ length: count }, (_, i) => ({
      connections: [
        { appUser: `user-${i}`, openId: `open-${i}-a` },
        { appUser: `user-${i}`, openId: `open-${i}-b` },
      ],
      enqueuedAt: 1_764_000_000_000 + i,
    }));

  it('sends SendMessageBatch requests of at most 10 entries, to the configured queue, with unique ids', async () => {
    await queue().send(batchesOf(23));
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(calls.map((c) => c.Entries?.length)).toEqual([10, 10, 3]);
    for (const call of calls) {
      expect(call.QueueUrl).toBe(QUEUE_URL);
      const ids = call.Entries?.map((e) => e.Id) ?? [];
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    }
  });

  it('puts one batch per message, as JSON holding only connection keys (never a token)', async () => {
    const batches = batchesOf(3);
    await queue().send(batches);
    const entries = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((e) => JSON.parse(e.MessageBody ?? ''))).toEqual(batches);
    for (const entry of entries) {
      const body = JSON.parse(entry.MessageBody ?? '') as RefreshBatch;
      expect(Object.keys(body).sort()).toEqual(['connections', 'enqueuedAt']);
      for (const key of body.connections) expect(Object.keys(key).sort()).toEqual(['appUser', 'openId']);
      expect(entry.MessageBody).not.toMatch(/act\.|rft\.|token/i);
    }
  });

  it('sends nothing for no batches', async () => {
    await queue().send([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('throws when SQS reports any entry as Failed', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' }],
    });
    await expect(queue().send(batchesOf(2))).rejects.toThrow(/SQS refused 1 refresh batches: InternalError/);
  });

  it('throws when the SQS call itself fails', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('AccessDenied'));
    await expect(queue().send(batchesOf(1))).rejects.toThrow('AccessDenied');
  });
});

/** The queue in process: remembers what the refresher handed over, and can be told to fail like SQS. */
class RecordingQueue implements RefreshQueue {
  readonly sends: RefreshBatch[][] = [];
  failWith: Error | undefined;

  async send(batches: RefreshBatch[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sends.push(structuredClone(batches));
  }
}

/** One SQS message as the Lambda event source mapping delivers it; the body is what SqsRefreshQueue sends. */
function sqsRecord(body: string, receiveCount = 1): SQSRecord {
  const sentAt = String(Date.now() - 1000);
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID().replaceAll('-', '')}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: sentAt,
      SenderId: 'AROAEXAMPLE:tiktok-connect-refresh',
      ApproximateFirstReceiveTimestamp: sentAt,
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

const workerContext = {
  functionName: 'tiktok-connect-refresh-worker',
  awsRequestId: 'worker-request-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('scheduled refresh overflow handed to workers through the queue', () => {
  const queue = new RecordingQueue();
  let service: TestService;
  let worker: FunctionHandler;
  let keys: ConnectionKey[];
  let report: RefreshRunReport;
  let workerEvent: SQSEvent;

  beforeAll(async () => {
    service = await startTestService({
      env: { REFRESH_MAX_INLINE: '2', REFRESH_BATCH_SIZE: '2' },
      overrides: { refreshQueue: queue },
    });
    worker = await handlerOf(service, 'RefreshWorkerFunction');
    // Access tokens living 2 minutes: inside the 30-minute refresh-ahead window, so due at once.
    service.emulator.setOptions({ accessTokenTtlSeconds: 120 });
    keys = [];
    for (let i = 0; i < 5; i++) {
      const appUser = `queue-user-${i}`;
      keys.push({ appUser, openId: await connectAccount(service, appUser, i % 3) });
    }
    service.emulator.setOptions({ accessTokenTtlSeconds: 86_400 });
    service.emulator.calls.reset();
  });
  afterAll(async () => {
    await service.close();
  });

  const versions = async () =>
    Promise.all(keys.map(async (k) => (await service.deps.connections.get(k.appUser, k.openId))?.version));

  it('refreshes REFRESH_MAX_INLINE connections itself and enqueues the rest in batches of REFRESH_BATCH_SIZE', async () => {
    report = await runScheduledRefresh(service.depsOf('RefresherFunction'), {
      deadline: Date.now() + 60_000,
    });

    expect(report).toMatchObject({ due: 5, attempted: 2, refreshed: 2, enqueued: 3, leftOver: 0, errors: 0 });
    expect(service.emulator.calls.count('refresh')).toBe(2);
    expect(queue.sends).toHaveLength(1);
    const batches = queue.sends[0] ?? [];
    expect(batches.map((b) => b.connections.length)).toEqual([2, 1]);
    for (const batch of batches) {
      expect(Object.keys(batch).sort()).toEqual(['connections', 'enqueuedAt']);
      for (const key of batch.connections) expect(Object.keys(key).sort()).toEqual(['appUser', 'openId']);
    }

    const enqueued = batches.flatMap((b) => b.connections.map((k) => `${k.appUser}/${k.openId}`));
    const all = keys.map((k) => `${k.appUser}/${k.openId}`);
    const current = await versions();
    const inline = all.filter((_, i) => current[i] === 2);
    expect(inline).toHaveLength(2);
    expect(current.filter((v) => v === 1)).toHaveLength(3);
    // Every due connection is either refreshed here or handed on, never both.
    expect([...inline, ...enqueued].sort()).toEqual([...all].sort());

    workerEvent = { Records: batches.map((batch) => sqsRecord(JSON.stringify(batch))) };
  });

  it('lets the worker refresh every enqueued connection and report no failed message', async () => {
    const answer = (await worker(workerEvent, workerContext)) as SQSBatchResponse;

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(service.emulator.calls.count('refresh')).toBe(5);
    for (const key of keys) {
      const record = await service.deps.connections.get(key.appUser, key.openId);
      expect(record?.status, key.appUser).toBe('active');
      expect(record?.version, key.appUser).toBe(2);
      expect(record?.refreshedAt, key.appUser).toBeGreaterThan(0);
      expect(record?.lease, key.appUser).toBeUndefined();
      // The new access token lives a day: nothing is due any more.
      expect(record?.accessExpiresAt ?? 0, key.appUser).toBeGreaterThan(Date.now() + 3_600_000);
    }
  });

  it('refreshes nothing twice when SQS redelivers a batch that was already done', async () => {
    const redelivered: SQSEvent = {
      Records: workerEvent.Records.map((r) => ({
        ...sqsRecord(r.body, 2),
        messageId: r.messageId,
      })),
    };

    const answer = (await worker(redelivered, workerContext)) as SQSBatchResponse;

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(service.emulator.calls.count('refresh')).toBe(5);
    expect(await versions()).toEqual([2, 2, 2, 2, 2]);
  });

  it('reports a malformed message as a batch item failure (for redelivery, then the DLQ) and still does the rest', async () => {
    const notJson = sqsRecord('{"connections": [');
    const noConnections = sqsRecord('{"enqueuedAt": 1}');
    const badKey = sqsRecord('{"connections":[{"appUser":42,"openId":"x"}],"enqueuedAt":1}');
    const fine = sqsRecord(JSON.stringify({ connections: [keys[0]], enqueuedAt: Date.now() }));

    const answer = (await worker(
      { Records: [notJson, fine, noConnections, badKey] },
      workerContext,
    )) as SQSBatchResponse;

    expect(answer.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [notJson.messageId, noConnections.messageId, badKey.messageId].sort(),
    );
    expect(service.emulator.calls.count('refresh')).toBe(5);
  });

  // BUG (shared/lifecycle/refresh-run.ts, runScheduledRefresh): the overflow is handed to the queue *before* the
  // inline share is refreshed, and a failing `queue.send` (SQS throttling, an outage, a Failed entry) throws out of
  // the run. The run then refreshes nothing at all — not even the REFRESH_MAX_INLINE connections that need no
  // queue — and emits no metrics. An SQS outage thus becomes a total refresh outage.
  it('keeps refreshing its inline share when the queue refuses the overflow', async () => {
    service.emulator.setOptions({ accessTokenTtlSeconds: 120 });
    const due: ConnectionKey[] = [];
    for (let i = 0; i < 3; i++) {
      const appUser = `queue-outage-user-${i}`;
      due.push({ appUser, openId: await connectAccount(service, appUser, i) });
    }
    service.emulator.setOptions({ accessTokenTtlSeconds: 86_400 });
    queue.failWith = new Error('SQS refused 1 refresh batches: InternalError');

    await runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: Date.now() + 60_000 }).catch(
      () => undefined,
    );

    const refreshed = await Promise.all(
      due.map(async (k) => (await service.deps.connections.get(k.appUser, k.openId))?.version === 2),
    );
    expect(refreshed.filter(Boolean)).toHaveLength(2);
  });
});
