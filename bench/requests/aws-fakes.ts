import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { Meter } from './meter.js';

export const BENCH_KMS_KEY_ARN =
  'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000';
export const BENCH_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tiktok-client-secret';
export const BENCH_EVENT_BUS = 'bench-connection-events';
export const BENCH_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-refresh';

const WRAP_PREFIX = Buffer.from('bench-wrapped:');

/**
 * One container's KMS, Secrets Manager, EventBridge and SQS clients: real SDK clients whose `send` is mocked
 * (none of these services runs here), so the service's own classes (KmsDataKeyProvider, SecretsManagerClientSecret,
 * EventBridgeConnectionEvents, SqsRefreshQueue) run unchanged, caches included, and every call they make is counted.
 *
 * KMS: GenerateDataKey returns 32 random bytes and a "wrapped" blob from which Decrypt recovers them (in any
 * container, as with the real key). The fake also notes calls the cache should have saved: a second Decrypt of a
 * blob this container already unwrapped, or a second GenerateDataKey, within the cache time (`kms-redundant:*`).
 */
export class AwsFakes {
  readonly kms = new KMSClient({ region: 'us-east-1' });
  readonly secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
  readonly eventBridge = new EventBridgeClient({ region: 'us-east-1' });
  readonly sqs = new SQSClient({ region: 'us-east-1' });
  /** Bodies of the SQS messages sent (refresh batches). */
  readonly sentMessages: string[] = [];

  constructor(meter: Meter, options: { clientSecret: string; cacheMs: number; now?: () => number }) {
    const now = options.now ?? Date.now;
    const unwrappedAt = new Map<string, number>();
    let generatedAt: number | undefined;

    mockClient(this.kms)
      .on(GenerateDataKeyCommand)
      .callsFake(() => {
        meter.add('kms:GenerateDataKey');
        if (generatedAt !== undefined && now() - generatedAt < options.cacheMs)
          meter.add('kms-redundant:GenerateDataKey');
        generatedAt = now();
        const plaintext = randomBytes(32);
        return {
          KeyId: BENCH_KMS_KEY_ARN,
          Plaintext: plaintext,
          CiphertextBlob: Buffer.concat([WRAP_PREFIX, plaintext]),
        };
      })
      .on(DecryptCommand)
      .callsFake((input: { CiphertextBlob: Uint8Array }) => {
        meter.add('kms:Decrypt');
        const blob = Buffer.from(input.CiphertextBlob);
        const id = createHash('sha256').update(blob).digest('hex');
        const seen = unwrappedAt.get(id);
        if (seen !== undefined && now() - seen < options.cacheMs) meter.add('kms-redundant:Decrypt');
        unwrappedAt.set(id, now());
        return { KeyId: BENCH_KMS_KEY_ARN, Plaintext: blob.subarray(WRAP_PREFIX.length) };
      });

    mockClient(this.secretsManager)
      .on(GetSecretValueCommand)
      .callsFake(() => {
        meter.add('secrets:GetSecretValue');
        return {
          ARN: BENCH_SECRET_ARN,
          SecretString: JSON.stringify({ client_secret: options.clientSecret }),
        };
      });

    mockClient(this.eventBridge)
      .on(PutEventsCommand)
      .callsFake((input: { Entries?: unknown[] }) => {
        meter.add('events:PutEvents');
        meter.add('events:entries', input.Entries?.length ?? 0);
        return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: randomUUID() })) };
      });

    mockClient(this.sqs)
      .on(SendMessageBatchCommand)
      .callsFake((input: { Entries?: { Id: string; MessageBody: string }[] }) => {
        meter.add('sqs:SendMessageBatch');
        meter.add('sqs:messages', input.Entries?.length ?? 0);
        for (const entry of input.Entries ?? []) this.sentMessages.push(entry.MessageBody);
        return {
          Successful: (input.Entries ?? []).map((entry) => ({
            Id: entry.Id,
            MessageId: randomUUID(),
            MD5OfMessageBody: '',
          })),
          Failed: [],
        };
      });
  }
}
