import { randomUUID } from 'node:crypto';
import type { ServiceDeps } from '../deps.js';
import type { RefreshBatch } from '../queue/refresh-queue.js';
import type { ConnectionKey } from '../store/connection-store.js';
import { allRefreshShards } from '../store/refresh-schedule.js';
import { type RefreshOutcome, refreshConnection } from './refresh-connection.js';
import { emitRunMetrics } from './refresh-metrics.js';

export type RefreshRunReport = {
  runId: string;
  /** Due connections found in the index (items read from it). */
  due: number;
  /** Connections this run worked on itself. */
  attempted: number;
  refreshed: number;
  skipped: number;
  superseded: number;
  retryLater: number;
  reauthRequired: number;
  operatorErrors: number;
  errors: number;
  /** In-run retries of TikTok calls. */
  retries: number;
  /** Handed to the queue for workers. */
  enqueued: number;
  /** Due but neither done nor handed on: the time budget ran out. The next run picks them up. */
  leftOver: number;
  durationMs: number;
};

const QUERY_PAGE = 200;

/**
 * One scheduled pass: read what is due from every shard of the due index, refresh up to `maxInline` of them here
 * with bounded concurrency, and hand the rest to the queue in batches. Stops taking new work when the time budget
 * is spent; whatever is left is still due and the next run takes it.
 */
export async function runScheduledRefresh(
  deps: ServiceDeps,
  options: { deadline: number; runId?: string; handToQueue?: boolean },
): Promise<RefreshRunReport> {
  const startedAt = deps.now();
  const runId = options.runId ?? `run-${randomUUID()}`;
  const dueBefore = startedAt;
  const { maxInline, batchSize } = deps.config.refresh;
  const queue = options.handToQueue === false ? undefined : deps.refreshQueue;
  const inlineLimit = queue ? maxInline : Number.POSITIVE_INFINITY;

  const { keys: due, failedShards } = await findDue(deps, dueBefore, queue ? undefined : inlineLimit);
  const inline = due.slice(0, inlineLimit);
  const overflow = due.slice(inline.length);

  let enqueued = 0;
  if (queue && overflow.length > 0) {
    const batches: RefreshBatch[] = [];
    for (let i = 0; i < overflow.length; i += batchSize) {
      batches.push({ connections: overflow.slice(i, i + batchSize), enqueuedAt: deps.now() });
    }
    try {
      await queue.send(batches);
      enqueued = overflow.length;
    } catch (error) {
      // A queue outage must not become a refresh outage: the inline share still runs, the rest stays due.
      deps.logger.error('handing refresh batches to the queue failed', {
        event: 'refresh_enqueue_failed',
        error,
      });
    }
  }

  const report = await refreshMany(deps, inline, { owner: runId, dueBefore, deadline: options.deadline });
  const result: RefreshRunReport = {
    runId,
    due: due.length,
    ...report,
    // A shard that could not be read counts as an error (alarmed): what it holds waits for the next run.
    errors: report.errors + failedShards,
    enqueued,
    leftOver: inline.length - report.attempted + (overflow.length - enqueued),
    durationMs: deps.now() - startedAt,
  };
  // An idle run (nothing due, nothing wrong) is debug: the metrics record every run, the log keeps the news.
  const idle = result.due === 0 && result.errors === 0;
  deps.logger[idle ? 'debug' : 'info']('refresh run finished', { event: 'refresh_run', ...result });
  emitRunMetrics(deps, result);
  return result;
}

/** A worker's share: the keys of one queue message, refreshed the same way. */
export async function refreshBatch(
  deps: ServiceDeps,
  batch: RefreshBatch,
  options: { deadline: number; owner?: string },
): Promise<Omit<RefreshRunReport, 'runId' | 'due' | 'enqueued' | 'durationMs'>> {
  const startedAt = deps.now();
  const report = await refreshMany(deps, batch.connections, {
    owner: options.owner ?? `worker-${randomUUID()}`,
    dueBefore: startedAt,
    deadline: options.deadline,
  });
  const result = { ...report, leftOver: batch.connections.length - report.attempted };
  deps.logger.info('refresh batch finished', { event: 'refresh_batch', ...result });
  emitRunMetrics(deps, {
    ...result,
    due: batch.connections.length,
    enqueued: 0,
    durationMs: deps.now() - startedAt,
  });
  return result;
}

/**
 * Every shard of the due index, queried in parallel. A shard that fails (throttling past the SDK's retries) is
 * logged and counted, and the run goes on with the others: one bad shard must not stop all refreshes.
 */
async function findDue(
  deps: ServiceDeps,
  dueBefore: number,
  cap: number | undefined,
): Promise<{ keys: ConnectionKey[]; failedShards: number }> {
  const perShard = await Promise.allSettled(
    allRefreshShards().map(async (shard) => {
      const keys: (ConnectionKey & { dueAt: number })[] = [];
      let startKey: Awaited<ReturnType<ServiceDeps['connections']['queryDue']>>['nextKey'];
      do {
        const page = await deps.connections.queryDue({ shard, dueBefore, limit: QUERY_PAGE, startKey });
        keys.push(...page.keys);
        startKey = page.nextKey;
      } while (startKey && (cap === undefined || keys.length < cap));
      return keys;
    }),
  );
  const failed = perShard.filter((result) => result.status === 'rejected');
  for (const result of failed) {
    deps.logger.error('querying a due-index shard failed', {
      event: 'refresh_shard_failed',
      error: result.reason,
    });
  }
  // Most urgent first across shards.
  const all = perShard
    .flatMap((result) => (result.status === 'fulfilled' ? result.value : []))
    .sort((a, b) => a.dueAt - b.dueAt);
  const keys = (cap === undefined ? all : all.slice(0, cap)).map(({ appUser, openId }) => ({
    appUser,
    openId,
  }));
  return { keys, failedShards: failed.length };
}

async function refreshMany(
  deps: ServiceDeps,
  keys: ConnectionKey[],
  options: { owner: string; dueBefore: number; deadline: number },
) {
  const counts = {
    attempted: 0,
    refreshed: 0,
    skipped: 0,
    superseded: 0,
    retryLater: 0,
    reauthRequired: 0,
    operatorErrors: 0,
    errors: 0,
    retries: 0,
  };
  const budgetLeft = () => deps.now() + deps.config.tiktok.httpTimeoutMs < options.deadline;
  let next = 0;
  const worker = async () => {
    while (next < keys.length && budgetLeft()) {
      const key = keys[next++] as ConnectionKey;
      counts.attempted++;
      try {
        count(counts, await refreshConnection(deps, { key, ...options }));
      } catch (error) {
        counts.errors++;
        deps.logger.error('refresh crashed for one connection', {
          event: 'refresh_error',
          appUser: key.appUser,
          openId: key.openId,
          error,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.config.refresh.concurrency, keys.length) }, worker));
  return counts;
}

function count(counts: Record<string, number>, outcome: RefreshOutcome): void {
  const field = {
    refreshed: 'refreshed',
    skipped: 'skipped',
    superseded: 'superseded',
    retry_later: 'retryLater',
    reauth_required: 'reauthRequired',
    operator_error: 'operatorErrors',
  }[outcome.kind];
  counts[field] = (counts[field] ?? 0) + 1;
  if ('retries' in outcome) counts.retries = (counts.retries ?? 0) + outcome.retries;
}
