import { createHash, type Hash, randomBytes } from 'node:crypto';

export type PrivacyLevel =
  | 'PUBLIC_TO_EVERYONE'
  | 'MUTUAL_FOLLOW_FRIENDS'
  | 'FOLLOWER_OF_CREATOR'
  | 'SELF_ONLY';

/** How a creator's account is set up for posting (tests change these in place). */
export type PostingProfile = {
  privateAccount: boolean;
  commentDisabled: boolean;
  maxVideoPostDurationSec: number;
  /** TikTok refuses every post of a banned user (spam_risk_user_banned_from_posting). */
  bannedFromPosting: boolean;
};

/** What TikTok's processing of an uploaded video comes to; default `complete`. */
export type ProcessingOutcome = { kind: 'complete' } | { kind: 'fail'; reason: string } | { kind: 'stuck' };

export type PublishTask = {
  publishId: string;
  openId: string;
  mode: 'direct' | 'inbox';
  postInfo: Record<string, unknown> | undefined;
  videoSize: number;
  chunkSize: number;
  totalChunkCount: number;
  uploadId: string;
  uploadToken: string;
  uploadExpiresAt: number;
  receivedBytes: number;
  chunksReceived: number;
  /** SHA-256 over the bytes received so far (in order). */
  hash: Hash;
  sha256: string | undefined;
  status: 'PROCESSING_UPLOAD' | 'SEND_TO_USER_INBOX' | 'PUBLISH_COMPLETE' | 'FAILED';
  failReason: string | undefined;
  postId: string | undefined;
  createdAt: number;
  /** Every PUT to the upload URL that reached the task, in arrival order, with TikTok's answer. */
  chunkPuts: ChunkPut[];
};

export type ChunkPut = { first: number; last: number; status: number };

export type WebhookSent = { event: string; openId: string; content: Record<string, unknown>; status: number };

/** The Content Posting side of one emulator: tasks, per-token rate windows, daily caps. */
export class PostingState {
  readonly tasks = new Map<string, PublishTask>();
  readonly #byUploadId = new Map<string, string>();
  readonly #profiles = new Map<string, PostingProfile>();
  readonly #windows = new Map<string, number[]>();
  /** Successful inits: who posted when (the daily caps count these). */
  readonly #inits: { openId: string; at: number }[] = [];
  readonly outcomes: ProcessingOutcome[] = [];
  readonly webhooksSent: WebhookSent[] = [];

  profileOf(openId: string): PostingProfile {
    let profile = this.#profiles.get(openId);
    if (!profile) {
      profile = {
        privateAccount: false,
        commentDisabled: false,
        maxVideoPostDurationSec: 600,
        bannedFromPosting: false,
      };
      this.#profiles.set(openId, profile);
    }
    return profile;
  }

  /** Sliding one-minute window per (endpoint, token): false when the call is over the limit. */
  withinRate(endpoint: string, accessToken: string, limit: number, now: number): boolean {
    const key = `${endpoint}\u0000${accessToken}`;
    const recent = (this.#windows.get(key) ?? []).filter((at) => at > now - 60_000);
    if (recent.length >= limit) {
      this.#windows.set(key, recent);
      return false;
    }
    recent.push(now);
    this.#windows.set(key, recent);
    return true;
  }

  postsInLastDay(openId: string, now: number): number {
    return this.#inits.filter((init) => init.openId === openId && init.at > now - 86_400_000).length;
  }

  postingUsersInLastDay(now: number): Set<string> {
    return new Set(this.#inits.filter((init) => init.at > now - 86_400_000).map((init) => init.openId));
  }

  pendingInboxShares(openId: string): number {
    return [...this.tasks.values()].filter(
      (task) => task.openId === openId && task.mode === 'inbox' && task.status === 'PROCESSING_UPLOAD',
    ).length;
  }

  createTask(
    input: Pick<PublishTask, 'openId' | 'mode' | 'postInfo' | 'videoSize' | 'chunkSize' | 'totalChunkCount'>,
    now: number,
    uploadTtlMs: number,
  ): PublishTask {
    const task: PublishTask = {
      ...input,
      publishId: `v_pub_file~v2-1.${randomBytes(9).toString('hex')}`,
      uploadId: randomBytes(12).toString('hex'),
      uploadToken: randomBytes(24).toString('base64url'),
      uploadExpiresAt: now + uploadTtlMs,
      receivedBytes: 0,
      chunksReceived: 0,
      hash: createHash('sha256'),
      sha256: undefined,
      status: 'PROCESSING_UPLOAD',
      failReason: undefined,
      postId: undefined,
      createdAt: now,
      chunkPuts: [],
    };
    this.tasks.set(task.publishId, task);
    this.#byUploadId.set(task.uploadId, task.publishId);
    this.#inits.push({ openId: input.openId, at: now });
    return task;
  }

  taskByUploadId(uploadId: string): PublishTask | undefined {
    const publishId = this.#byUploadId.get(uploadId);
    return publishId === undefined ? undefined : this.tasks.get(publishId);
  }

  nextOutcome(): ProcessingOutcome {
    return this.outcomes.shift() ?? { kind: 'complete' };
  }
}
