import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceDeps } from '../deps.js';
import { AppError, TikTokError } from '../errors.js';
import {
  type FreshToken,
  getFreshAccessToken,
  withFreshAccessToken,
} from '../lifecycle/fresh-access-token.js';
import { num, str } from '../store/attributes.js';
import { allPostShards, type PostKey, type PostRecord } from '../store/post-store.js';
import { DUE_INDEX } from '../store/table-schema.js';
import { type ChunkPlan, chunkAt, planChunks } from './chunk-plan.js';
import { postingOptionsWith, SCOPE_FOR_MODE } from './creator-info.js';
import { finishPost } from './post-outcome.js';
import { checkPostStatus, nextCheckDelay } from './status-follow-up.js';

/** A publisher holds a post this long without writing progress; a holder that died is taken over after it. */
export const PUBLISH_LEASE_MS = 120_000;
/** A chunk PUT answered 5xx or not at all is tried this many times in one run. */
const CHUNK_ATTEMPTS = 3;
const CHUNK_TIMEOUT_MS = 5 * 60_000;
/** Runs in a row that end with a chunk unanswered before the post fails (`tiktok_upload_unavailable`). */
const MAX_UPLOAD_RETRY_RUNS = 3;
/** A run that got no usable chunk answer gives the post back for this long, doubling per run. */
const UPLOAD_RETRY_MS = 30_000;
/** 416s answered in one run before the upload counts as out of sync (TikTok and we disagree for good). */
const MAX_RESYNCS_PER_RUN = 3;
/** Rate-limited, TikTok or storage unreachable, or an unexpected error before init: back off from this... */
const RETRY_BEFORE_INIT_MS = 60_000;
const MAX_RETRY_BEFORE_INIT_MS = 15 * 60_000;
/** ...and fail the post with the last reason after this many tries (init was never sent: nothing to undo). */
export const MAX_ATTEMPTS_BEFORE_INIT = 6;
/** TikTok's upload URL lives an hour; we stop using it a little before. */
const UPLOAD_URL_LIFETIME_MS = 55 * 60_000;

export type PublisherReport = {
  due: number;
  started: number;
  resumed: number;
  checked: number;
  skipped: number;
};

/**
 * One publisher run: every due post in the due index is worked on once — a scheduled post is claimed and started,
 * a publishing post whose holder died is resumed (or failed as `publish_interrupted` if init's answer was lost),
 * a processing post gets one status check. Bounded concurrency (PUBLISH_START_CONCURRENCY posts started at once,
 * PUBLISH_CONCURRENCY uploads at once); stops taking new work near the deadline.
 *
 * Starts go first: a worker that got init's answer leaves the chunk upload to the run's upload queue, which workers
 * take only when no start is waiting, so posts due in the same minute are all started (init sent) before any of them
 * streams its file. With `lookaheadMs`, posts due before the next run are read too, and each is taken at its own
 * due instant (never before: the claim requires it), so a once-a-minute schedule starts posts on time, not up to
 * a minute late.
 */
export async function runPublisher(
  deps: ServiceDeps,
  options: {
    deadline: number;
    /** Also check every post waiting on TikTok now, whatever its backoff (POST /dev/posts/run). */
    checkWaiting?: boolean;
    /** Also take posts due within this long, each at its due instant (the scheduled run: its period). */
    lookaheadMs?: number;
  },
): Promise<PublisherReport> {
  const report: PublisherReport = { due: 0, started: 0, resumed: 0, checked: 0, skipped: 0 };
  const keys: DueKey[] = [];
  const lookaheadMs = options.checkWaiting ? 10 * 60_000 : (options.lookaheadMs ?? 0);
  for (const shard of allPostShards()) {
    let startKey: Record<string, never> | undefined;
    do {
      const page = await deps.posts.queryDue({
        shard,
        dueBefore: deps.now() + lookaheadMs,
        limit: 100,
        startKey,
      });
      keys.push(...page.keys);
      startKey = page.nextKey as typeof startKey;
    } while (startKey && keys.length < 1000);
  }
  report.due = keys.length;
  const starts = keys.sort((a, b) => a.dueAt - b.dueAt);
  const uploads: { postId: string; run: () => Promise<void> }[] = [];
  const uploadSlots = deps.config.publishing.concurrency;
  let uploading = 0;
  const nearDeadline = () => Date.now() > options.deadline - 10_000;
  const worker = async () => {
    for (;;) {
      if (nearDeadline()) return;
      const key = starts.shift();
      if (key) {
        // Not yet due (lookahead): wait for its instant if the run lives that long; a later run takes it otherwise.
        // 1 ms past: a lease ending at dueAt is taken over only once it has ended (leaseUntil < now).
        const wait = options.checkWaiting ? 0 : key.dueAt + 1 - deps.now();
        if (wait > 0) {
          if (Date.now() + wait > options.deadline - 10_000) continue;
          await sleep(wait);
        }
        try {
          const outcome = await processPost(
            deps,
            key,
            options.deadline,
            options.checkWaiting ?? false,
            (run) => uploads.push({ postId: key.postId, run }),
          );
          report[outcome] += 1;
        } catch (error) {
          deps.logger.error('publishing a post failed', {
            event: 'publish_error',
            postId: key.postId,
            error,
          });
        }
        continue;
      }
      // Uploads hold memory and bandwidth: at most PUBLISH_CONCURRENCY at once. A worker that finds them all taken
      // ends; the uploading workers take what is left as they finish.
      if (uploading >= uploadSlots) return;
      const upload = uploads.shift();
      if (!upload) return;
      uploading += 1;
      try {
        await upload.run();
      } catch (error) {
        deps.logger.error('uploading a post failed', {
          event: 'publish_error',
          postId: upload.postId,
          error,
        });
      } finally {
        uploading -= 1;
      }
    }
  };
  const workers = Math.max(deps.config.publishing.startConcurrency, uploadSlots);
  await Promise.all(Array.from({ length: workers }, worker));
  return report;
}

type DueKey = PostKey & { dueAt: number };

/** Where a run puts a post's chunk upload after init answered (its upload queue); without one, it runs at once. */
type LaterUpload = (upload: () => Promise<void>) => void;

/** The work one due post needs now. */
export async function processPost(
  deps: ServiceDeps,
  key: PostKey,
  deadline: number,
  checkWaiting = false,
  uploadLater?: LaterUpload,
): Promise<'started' | 'resumed' | 'checked' | 'skipped'> {
  const post = await deps.posts.get(key);
  if (!post) return 'skipped';
  if (post.status === 'processing') {
    if (!checkWaiting && (post.dueAt ?? 0) > deps.now()) return 'skipped';
    await checkPostStatus(deps, post);
    return 'checked';
  }
  if (post.status !== 'scheduled' && post.status !== 'publishing') return 'skipped';
  const owner = `publisher-${randomUUID()}`;
  const before = await deps.posts.claim(key, owner, deps.now(), PUBLISH_LEASE_MS);
  if (!before) return 'skipped';
  const held = { ...before, status: 'publishing' as const, leaseOwner: owner };
  switch (before.stage) {
    case undefined:
    case 'claimed':
      try {
        await startPublishing(deps, held, owner, deadline, uploadLater);
      } catch (error) {
        await giveBackAfterError(deps, held, owner, error);
      }
      return before.status === 'scheduled' ? 'started' : 'resumed';
    case 'init_sent':
      // init may have reached TikTok, its publish_id is lost: sending init again could post twice.
      await finishPost(deps, key, {
        status: 'failed',
        from: ['publishing'],
        owner,
        failReason: 'publish_interrupted',
      });
      return 'resumed';
    case 'uploading':
      await uploadFromQueue(deps, key, owner, deadline, uploadLater);
      return 'resumed';
  }
}

/**
 * creator_info again (the creator's options may have changed since scheduling), the file, the chunk plan, then
 * init — at most once: the post is marked `init_sent` before the request leaves, so no later run sends it again.
 */
async function startPublishing(
  deps: ServiceDeps,
  post: PostRecord,
  owner: string,
  deadline: number,
  uploadLater?: LaterUpload,
): Promise<void> {
  const key = keyOf(post);
  const fail = (failReason: string) =>
    finishPost(deps, key, { status: 'failed', from: ['publishing'], owner, failReason });

  let plan: ChunkPlan;
  try {
    plan = planChunks(post.videoSize, deps.chunkRules);
  } catch {
    await fail('video_size_not_allowed');
    return;
  }
  const stored = await deps.uploadFiles.head(post.objectKey).catch(() => 'unavailable' as const);
  if (stored === 'unavailable') return retryLater(deps, post, owner, 'upload_storage_unavailable');
  if (!stored || stored.size !== post.videoSize) {
    await fail('upload_missing');
    return;
  }

  const token = await tokenOrGiveBack(deps, post, owner, fail);
  if (!token) return;
  if (!token.record.scopes.includes(SCOPE_FOR_MODE[post.mode])) {
    await fail('scope_not_authorized');
    return;
  }

  if (post.mode === 'direct') {
    try {
      const options = await withFreshAccessToken(deps, key, (accessToken, record) =>
        postingOptionsWith(deps, accessToken, record),
      );
      if (options.postingBlockedReason) {
        await fail(options.postingBlockedReason);
        return;
      }
      if (!(options.allowedPrivacyLevels as string[]).includes(post.privacyLevel)) {
        await fail('privacy_level_option_mismatch');
        return;
      }
    } catch (error) {
      if (error instanceof TikTokError && !error.retryable && error.tiktokCode) {
        await fail(error.tiktokCode);
        return;
      }
      // e.g. creator_info's 20 a minute spent: later, with a fresh creator_info then (never init without it).
      return retryLater(
        deps,
        post,
        owner,
        error instanceof AppError ? error.code : 'publish_error',
        retryAfterMs(error),
      );
    }
  }

  // Opened again (creator_info may have refreshed it) before init_sent is written: a DynamoDB or KMS failure here
  // leaves nothing sent, so the post is retried, not failed as publish_interrupted.
  const initToken = await tokenOrGiveBack(deps, post, owner, fail);
  if (!initToken) return;
  const marked = await deps.posts.updateAsHolder(key, owner, {
    stage: 'claimed',
    set: { stage: str('init_sent'), updatedAt: num(deps.now()) },
  });
  if (!marked) return; // lost the lease: whoever holds it now carries on
  let init: Awaited<ReturnType<ServiceDeps['tiktokPosting']['init']>>;
  try {
    init = await deps.tiktokPosting.init(initToken.accessToken, {
      mode: post.mode,
      postInfo: {
        title: post.caption,
        privacyLevel: post.privacyLevel as never,
        disableComment: post.disableComment,
        disableDuet: post.disableDuet,
        disableStitch: post.disableStitch,
        brandContentToggle: post.brandContentToggle,
        brandOrganicToggle: post.brandOrganicToggle,
      },
      source: plan,
    });
  } catch (error) {
    await initRefused(deps, post, owner, error, initToken.record.version);
    return;
  }
  await deps.publishCheckpoint('init_answered');
  const recorded = await deps.posts.recordInit(key, owner, {
    publishId: init.publishId,
    uploadUrl: init.uploadUrl,
    uploadUrlExpiresAt: deps.now() + UPLOAD_URL_LIFETIME_MS,
    chunkSize: plan.chunkSize,
    totalChunks: plan.totalChunkCount,
    now: deps.now(),
    leaseUntil: deps.now() + PUBLISH_LEASE_MS,
  });
  if (!recorded) {
    deps.logger.error('init answered but the post was taken over', {
      event: 'publish_init_orphaned',
      postId: post.postId,
      publishId: init.publishId,
    });
    return;
  }
  deps.logger.info('TikTok init answered', {
    event: 'publish_init',
    postId: post.postId,
    publishId: init.publishId,
    chunks: plan.totalChunkCount,
    tiktokLogId: init.logId,
  });
  await uploadFromQueue(deps, key, owner, deadline, uploadLater);
}

/**
 * The chunk upload of a post this run holds, left to the run's upload queue when it has one (starts go first).
 * The lease is renewed as the upload begins (it may have waited in the queue); a run that took the post over
 * meanwhile (the lease ran out) has it now, and this one writes and sends nothing.
 */
async function uploadFromQueue(
  deps: ServiceDeps,
  key: PostKey,
  owner: string,
  deadline: number,
  uploadLater: LaterUpload | undefined,
): Promise<void> {
  const upload = async () => {
    const now = deps.now();
    const current = await deps.posts.updateAsHolder(key, owner, {
      stage: 'uploading',
      set: { leaseUntil: num(now + PUBLISH_LEASE_MS), [DUE_INDEX.sortKey]: num(now + PUBLISH_LEASE_MS) },
    });
    if (current) await uploadChunks(deps, current, owner, deadline);
  };
  if (uploadLater) uploadLater(upload);
  else await upload();
}

/**
 * An error nobody planned for (a DynamoDB outage, a bug). Before init the post goes back to `scheduled` at once,
 * with backoff and bounded tries, instead of sitting out the claim's lease. Once init_sent is written, nothing is
 * given back: a dead holder's post becomes `publish_interrupted` when its lease runs out (init is never resent).
 */
async function giveBackAfterError(
  deps: ServiceDeps,
  post: PostRecord,
  owner: string,
  error: unknown,
): Promise<void> {
  deps.logger.error('publishing failed unexpectedly', {
    event: 'publish_error',
    postId: post.postId,
    error,
  });
  try {
    const current = await deps.posts.get(keyOf(post));
    if (
      current?.status !== 'publishing' ||
      current.leaseOwner !== owner ||
      (current.stage !== undefined && current.stage !== 'claimed')
    )
      return;
    await retryLater(deps, current, owner, 'publish_error');
  } catch (second) {
    // The store is down too: the lease runs out and the next run takes the post over.
    deps.logger.error('giving a post back failed', {
      event: 'publish_error',
      postId: post.postId,
      error: second,
    });
  }
}

/**
 * TikTok's answer to init was an error. A definite refusal (an error code in the answer) created nothing: a rate
 * limit goes back to the queue, anything else is the post's fail reason, never retried blindly. No answer (timeout,
 * network, 5xx) leaves it open whether TikTok created the post: `publish_interrupted`, the user decides.
 */
async function initRefused(
  deps: ServiceDeps,
  post: PostRecord,
  owner: string,
  error: unknown,
  tokenVersion: number,
): Promise<void> {
  const key = keyOf(post);
  const httpStatus = error instanceof TikTokError ? Number(error.logFields.tiktokHttpStatus ?? 0) : 0;
  const definite =
    error instanceof TikTokError &&
    error.tiktokCode !== undefined &&
    error.tiktokCode !== 'internal_error' &&
    httpStatus < 500;
  // TikTok refused before creating anything (its limit, or a token it no longer takes): init may be sent again.
  const tokenRefused = definite && error.code === 'tiktok_access_token_invalid';
  if (definite && (error.code === 'tiktok_rate_limited' || tokenRefused)) {
    const back = await deps.posts.updateAsHolder(key, owner, {
      stage: 'init_sent',
      set: { stage: str('claimed'), updatedAt: num(deps.now()) },
    });
    if (tokenRefused) {
      // Refreshed now (past the version TikTok refused), so the next try has a token TikTok takes.
      await getFreshAccessToken(deps, key, { staleVersion: tokenVersion }).catch(() => undefined);
    }
    if (back) await retryLater(deps, back, owner, error.code, retryAfterMs(error));
    return;
  }
  const failReason = definite ? (error.tiktokCode as string) : 'publish_interrupted';
  deps.logger.warn('TikTok init refused or unanswered', {
    event: 'publish_init_failed',
    postId: post.postId,
    failReason,
    tiktokLogId: error instanceof TikTokError ? error.logId : undefined,
  });
  await finishPost(deps, key, { status: 'failed', from: ['publishing'], owner, failReason });
}

/**
 * The chunks from `nextChunk` on, each streamed from S3 by a ranged GET into the PUT, progress recorded after
 * each, so a run that stops (deadline, crash) is resumed at the next chunk while the upload URL lives.
 */
async function uploadChunks(
  deps: ServiceDeps,
  post: PostRecord,
  owner: string,
  deadline: number,
): Promise<void> {
  const key = keyOf(post);
  const fail = (failReason: string) =>
    finishPost(deps, key, { status: 'failed', from: ['publishing'], owner, failReason });
  const { uploadUrl, chunkSize, totalChunks } = post;
  if (!uploadUrl || !chunkSize || !totalChunks || !post.publishId) {
    await fail('publish_interrupted');
    return;
  }
  const plan: ChunkPlan = { videoSize: post.videoSize, chunkSize, totalChunkCount: totalChunks };
  let next = post.nextChunk;
  let slowest = 0;
  let resyncs = 0;
  /** No usable answer this run: given back for later, or failed once that has happened too often in a row. */
  const retryUpload = async (reason: string) => {
    const retries = post.uploadRetries + 1;
    if (retries >= MAX_UPLOAD_RETRY_RUNS) {
      await fail(reason);
      return;
    }
    const now = deps.now();
    const dueAt = now + UPLOAD_RETRY_MS * 2 ** (retries - 1);
    await deps.posts.updateAsHolder(key, owner, {
      set: {
        uploadRetries: num(retries),
        leaseUntil: num(dueAt - 1),
        [DUE_INDEX.sortKey]: num(dueAt),
        updatedAt: num(now),
      },
    });
  };
  /** Chunks up to `next` are with TikTok: the progress (and the lease) recorded, or the upload done. */
  const recordProgress = async (done: boolean) => {
    const now = deps.now();
    return done
      ? deps.posts.markProcessing(key, owner, now, now + nextCheckDelay(0))
      : deps.posts.updateAsHolder(key, owner, {
          set: {
            nextChunk: num(next),
            uploadRetries: num(0),
            updatedAt: num(now),
            leaseUntil: num(now + PUBLISH_LEASE_MS),
            [DUE_INDEX.sortKey]: num(now + PUBLISH_LEASE_MS),
          },
        });
  };
  while (next < totalChunks) {
    if ((post.uploadUrlExpiresAt ?? 0) < deps.now()) {
      // A new init would be a second post: the user decides (the composer can schedule it again).
      await fail('upload_url_expired');
      return;
    }
    if (Date.now() + slowest * 2 + 15_000 > deadline) {
      // Out of time: give the post back at once; the next run resumes at this chunk.
      await releaseLease(deps, key, owner, deps.now());
      return;
    }
    const chunk = chunkAt(plan, next);
    const started = Date.now();
    const answer = await sendChunk(deps, post, chunk, uploadUrl);
    slowest = Math.max(slowest, Date.now() - started);
    if (answer === 'unreachable') {
      await retryUpload('tiktok_upload_unavailable');
      return;
    }
    if (answer.status === 206 || answer.status === 201) {
      next += 1;
      const done = answer.status === 201 || next >= totalChunks;
      if (!(await recordProgress(done))) return; // taken over
      await deps.publishCheckpoint('chunk_sent');
      if (done) return;
      continue;
    }
    if (answer.status === 416 && resyncs < MAX_RESYNCS_PER_RUN) {
      // Out of step (an answer lost after TikTok took a chunk): ask TikTok how far it got and go on from there.
      resyncs += 1;
      const synced = await resync(deps, post, plan);
      if (synced === 'unavailable') {
        await retryUpload('upload_out_of_sync');
        return;
      }
      if (typeof synced === 'object') {
        // Not a failed run (TikTok only asked us to wait): given back until then, the retry count unchanged.
        await releaseLease(deps, key, owner, deps.now() + synced.waitMs);
        return;
      }
      if (synced === undefined) {
        await fail('upload_out_of_sync');
        return;
      }
      deps.logger.warn('upload resynchronised with TikTok', {
        event: 'publish_upload_resync',
        postId: post.postId,
        recordedChunk: next,
        tiktokChunk: synced,
      });
      next = synced;
      // TikTok has every byte (the last chunk's 201 was lost): the upload is done.
      if (next >= totalChunks && !(await recordProgress(true))) return;
      continue;
    }
    await fail(
      answer.status === 416
        ? 'upload_out_of_sync'
        : answer.status === 403
          ? 'upload_url_expired'
          : answer.status === 404
            ? 'upload_task_missing'
            : `upload_rejected_${answer.status}`,
    );
    return;
  }
}

async function sendChunk(
  deps: ServiceDeps,
  post: PostRecord,
  chunk: { index: number; first: number; last: number },
  uploadUrl: NonNullable<PostRecord['uploadUrl']>,
): Promise<{ status: number } | 'unreachable'> {
  for (let attempt = 1; attempt <= CHUNK_ATTEMPTS; attempt++) {
    try {
      const body = await deps.uploadFiles.readRange(post.objectKey, chunk.first, chunk.last);
      const answer = await deps.tiktokPosting.putChunk({
        uploadUrl,
        contentType: post.contentType,
        first: chunk.first,
        last: chunk.last,
        total: post.videoSize,
        body,
        timeoutMs: CHUNK_TIMEOUT_MS,
      });
      if (answer.status < 500) return answer;
      deps.logger.warn('chunk upload answered 5xx; retrying', {
        event: 'publish_chunk_retry',
        postId: post.postId,
        chunk: chunk.index,
        status: answer.status,
        attempt,
        tiktokLogId: answer.logId,
      });
    } catch (error) {
      deps.logger.warn('chunk upload failed; retrying', {
        event: 'publish_chunk_retry',
        postId: post.postId,
        chunk: chunk.index,
        attempt,
        reason: error instanceof AppError ? error.code : (error as Error).name,
      });
    }
    if (attempt < CHUNK_ATTEMPTS) await sleep(200 * 2 ** attempt);
  }
  return 'unreachable';
}

/**
 * TikTok's `uploaded_bytes` names the next chunk; undefined when it is not a chunk boundary (or TikTok does not
 * say), `unavailable` when status/fetch did not answer (rate-limited, down): try again later.
 */
async function resync(
  deps: ServiceDeps,
  post: PostRecord,
  plan: ChunkPlan,
): Promise<number | undefined | 'unavailable' | { waitMs: number }> {
  try {
    const { status } = await withFreshAccessToken(deps, keyOf(post), (accessToken) =>
      deps.tiktokPosting.status(accessToken, post.publishId as string),
    );
    const uploaded = status.uploadedBytes;
    if (uploaded === undefined) return undefined;
    if (uploaded === plan.videoSize) return plan.totalChunkCount;
    if (uploaded < 0 || uploaded > plan.videoSize) return undefined;
    return uploaded % plan.chunkSize === 0 ? uploaded / plan.chunkSize : undefined;
  } catch (error) {
    // status/fetch's own limit (30 a minute per token): nothing is out of sync, ask again after TikTok's wait.
    if (error instanceof AppError && error.code === 'tiktok_rate_limited') {
      return { waitMs: retryAfterMs(error) ?? 60_000 };
    }
    return error instanceof TikTokError && error.retryable ? 'unavailable' : undefined;
  }
}

/**
 * Not now (init not sent): the post goes back to `scheduled`, due again after a backoff (at least TikTok's
 * Retry-After); after MAX_ATTEMPTS_BEFORE_INIT tries it fails with `reason`, never retried blindly forever.
 */
async function retryLater(
  deps: ServiceDeps,
  post: PostRecord,
  owner: string,
  reason: string,
  retryAfter?: number,
): Promise<void> {
  const key = keyOf(post);
  const attempts = post.publishAttempts + 1;
  if (attempts >= MAX_ATTEMPTS_BEFORE_INIT) {
    await finishPost(deps, key, { status: 'failed', from: ['publishing'], owner, failReason: reason });
    return;
  }
  const backoff = Math.min(MAX_RETRY_BEFORE_INIT_MS, RETRY_BEFORE_INIT_MS * 2 ** (attempts - 1));
  const delayMs = Math.max(backoff, retryAfter ?? 0);
  deps.logger.warn('publishing postponed', {
    event: 'publish_postponed',
    postId: post.postId,
    reason,
    attempts,
    delayMs,
  });
  const now = deps.now();
  await deps.posts.releaseClaim(key, owner, { now, dueAt: now + delayMs, attempts });
}

/**
 * A fresh access token for the post's connection, or nothing once the post is dealt with: failed when the connection
 * is gone or needs re-auth, given back to `scheduled` (retried later) when the token could not be opened or refreshed.
 */
async function tokenOrGiveBack(
  deps: ServiceDeps,
  post: PostRecord,
  owner: string,
  fail: (failReason: string) => Promise<unknown>,
): Promise<FreshToken | undefined> {
  try {
    return await getFreshAccessToken(deps, keyOf(post));
  } catch (error) {
    if (error instanceof AppError && error.code === 'connection_not_found') await fail('connection_removed');
    else if (error instanceof AppError && error.code === 'connection_reauth_required')
      await fail('connection_reauth_required');
    else
      await retryLater(
        deps,
        post,
        owner,
        error instanceof AppError ? error.code : 'publish_error',
        retryAfterMs(error),
      );
    return undefined;
  }
}

/** TikTok's Retry-After in milliseconds, when it sent one. */
function retryAfterMs(error: unknown): number | undefined {
  return error instanceof AppError && error.retryAfterSeconds !== undefined
    ? error.retryAfterSeconds * 1000
    : undefined;
}

async function releaseLease(deps: ServiceDeps, key: PostKey, owner: string, dueAt: number): Promise<void> {
  await deps.posts.updateAsHolder(key, owner, {
    set: { leaseUntil: num(dueAt - 1), [DUE_INDEX.sortKey]: num(dueAt), updatedAt: num(deps.now()) },
  });
}

function keyOf(post: PostRecord): PostKey {
  return { appUser: post.appUser, openId: post.openId, postId: post.postId };
}
