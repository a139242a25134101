import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ConnectionKey } from '../store/connection-store.js';

/** A batch of connections for a refresh worker: keys only, never tokens. */
export type RefreshBatch = { connections: ConnectionKey[]; enqueuedAt: number };

/** Hands refresh work to workers when one run cannot do it all (SQS in AWS). */
export interface RefreshQueue {
  send(batches: RefreshBatch[]): Promise<void>;
}

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

/** Reads a message body back into a batch; anything malformed is refused (it goes to the DLQ after retries). */
export function parseRefreshBatch(body: string): RefreshBatch {
  const parsed = JSON.parse(body) as Partial<RefreshBatch>;
  if (!Array.isArray(parsed.connections)) throw new Error('refresh batch has no connections');
  const connections = parsed.connections.map((key) => {
    if (typeof key?.appUser !== 'string' || typeof key?.openId !== 'string')
      throw new Error('bad connection key');
    return { appUser: key.appUser, openId: key.openId };
  });
  return { connections, enqueuedAt: typeof parsed.enqueuedAt === 'number' ? parsed.enqueuedAt : 0 };
}
