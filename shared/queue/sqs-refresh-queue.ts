import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config.js';
import type { RefreshBatch, RefreshQueue } from './refresh-queue.js';

const SQS_BATCH_LIMIT = 10;

export class SqsRefreshQueue implements RefreshQueue {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { sqs: SQSClient; queueUrl: string }) {
    this.#sqs = options.sqs;
    this.#queueUrl = options.queueUrl;
  }

  async send(batches: RefreshBatch[]): Promise<void> {
    for (let i = 0; i < batches.length; i += SQS_BATCH_LIMIT) {
      const chunk = batches.slice(i, i + SQS_BATCH_LIMIT);
      const result = await this.#sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          // Only keys leave the process, whatever the caller passed.
          Entries: chunk.map((batch, j) => ({ Id: String(j), MessageBody: JSON.stringify(keysOnly(batch)) })),
        }),
      );
      if (result.Failed?.length) {
        throw new Error(
          `SQS refused ${result.Failed.length} refresh batches: ${result.Failed[0]?.Code ?? 'unknown'}`,
        );
      }
    }
  }
}

function keysOnly(batch: RefreshBatch): RefreshBatch {
  return {
    connections: batch.connections.map(({ appUser, openId }) => ({ appUser, openId })),
    enqueuedAt: batch.enqueuedAt,
  };
}

/** For the scheduled refresher: overflow batches go to the configured queue (`REFRESH_QUEUE_URL`). */
export function sqsRefreshQueue(config: Config): RefreshQueue | undefined {
  if (!config.refresh.queueUrl) return undefined;
  return new SqsRefreshQueue({
    sqs: new SQSClient({ region: config.region }),
    queueUrl: config.refresh.queueUrl,
  });
}
