import { createHash } from 'node:crypto';
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { Redacted } from '../redacted.js';
import { type Item, num, readNum, readStr, requireNum, requireStr, str } from './attributes.js';
import { CONDITION_FAILED, ifConditionHolds } from './conditional-write.js';
import { DUE_INDEX } from './table-schema.js';
import { updateExpression } from './update-expression.js';

export const POST_STATUSES = [
  'scheduled',
  'publishing',
  'processing',
  'published',
  'inbox',
  'failed',
  'cancelled',
] as const;
export type PostStatus = (typeof POST_STATUSES)[number];
export const FINAL_STATUSES: readonly PostStatus[] = ['published', 'inbox', 'failed', 'cancelled'];

/**
 * Where a `publishing` post is. `claimed`: nothing sent to TikTok yet (safe to start over). `init_sent`: init
 * may have reached TikTok but its publish_id is not recorded (never sent again). `uploading`: publish_id and
 * upload URL recorded, `nextChunk` says where to go on.
 */
export type PublishStage = 'claimed' | 'init_sent' | 'uploading';

export type PostKey = { appUser: string; openId: string; postId: string };

export type PostContent = {
  mode: 'direct' | 'inbox';
  caption: string;
  privacyLevel: string;
  disableComment: boolean;
  disableDuet: boolean;
  disableStitch: boolean;
  brandContentToggle: boolean;
  brandOrganicToggle: boolean;
};

export type PostRecord = PostKey &
  PostContent & {
    status: PostStatus;
    stage: PublishStage | undefined;
    uploadId: string;
    objectKey: string;
    videoSize: number;
    contentType: string;
    publishAt: number;
    createdAt: number;
    updatedAt: number;
    failReason: string | undefined;
    publishId: string | undefined;
    uploadUrl: Redacted | undefined;
    uploadUrlExpiresAt: number | undefined;
    chunkSize: number | undefined;
    totalChunks: number | undefined;
    nextChunk: number;
    leaseOwner: string | undefined;
    leaseUntil: number | undefined;
    processingSince: number | undefined;
    statusChecks: number;
    tiktokPostId: string | undefined;
    finishedAt: number | undefined;
    dueAt: number | undefined;
    /** Runs given back before init was sent (rate limits, outages, unexpected errors): bounded. */
    publishAttempts: number;
    /** Runs in a row whose chunk PUT got no usable answer (5xx, no answer): bounded. */
    uploadRetries: number;
  };

/** Shards of the post due index (posts share the table's sparse due index with the refresher, own shards). */
export const POST_SHARD_COUNT = 8;

const LEASE = ['leaseOwner', 'leaseUntil'];
const DUE = [DUE_INDEX.partitionKey, DUE_INDEX.sortKey];
const BOOLEANS = [
  'disableComment',
  'disableDuet',
  'disableStitch',
  'brandContentToggle',
  'brandOrganicToggle',
] as const;

export const postItemKey = (key: PostKey) => ({
  pk: str(`USER#${key.appUser}`),
  sk: str(`POST#${key.openId}#${key.postId}`),
});

/** Scheduled posts and their publishing state, in the service's one table. */
export class PostStore {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { db: DynamoDBClient; tableName: string }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
  }

  /** A new `scheduled` post, in the due index at its publish time. */
  async create(
    post: PostKey &
      PostContent &
      Pick<PostRecord, 'uploadId' | 'objectKey' | 'videoSize' | 'contentType' | 'publishAt' | 'createdAt'>,
  ): Promise<void> {
    const item: Item = {
      ...postItemKey(post),
      kind: str('post'),
      appUser: str(post.appUser),
      // Not `openId`: that attribute puts an item in the ByOpenId index, which lists connections only.
      postOpenId: str(post.openId),
      postId: str(post.postId),
      status: str('scheduled'),
      mode: str(post.mode),
      caption: str(post.caption),
      privacyLevel: str(post.privacyLevel),
      uploadId: str(post.uploadId),
      objectKey: str(post.objectKey),
      videoSize: num(post.videoSize),
      contentType: str(post.contentType),
      publishAt: num(post.publishAt),
      createdAt: num(post.createdAt),
      updatedAt: num(post.createdAt),
      nextChunk: num(0),
      statusChecks: num(0),
      version: num(1),
      ...dueFields(post, post.publishAt),
    };
    for (const name of BOOLEANS) item[name] = { BOOL: post[name] };
    await this.#db.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(key: PostKey): Promise<PostRecord | undefined> {
    const result = await this.#db.send(
      new GetItemCommand({ TableName: this.#tableName, Key: postItemKey(key), ConsistentRead: true }),
    );
    return result.Item && readStr(result.Item, 'kind') === 'post' ? postFrom(result.Item) : undefined;
  }

  /** One page of a connection's posts, newest first; `cursor` is the last postId of the previous page. */
  async list(
    appUser: string,
    openId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ posts: PostRecord[]; nextCursor: string | undefined }> {
    const result = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': str(`USER#${appUser}`), ':prefix': str(`POST#${openId}#`) },
        ScanIndexForward: false,
        Limit: page.limit,
        ...(page.cursor ? { ExclusiveStartKey: postItemKey({ appUser, openId, postId: page.cursor }) } : {}),
      }),
    );
    const posts = (result.Items ?? []).map(postFrom);
    return { posts, nextCursor: result.LastEvaluatedKey ? posts.at(-1)?.postId : undefined };
  }

  /** scheduled → cancelled in one conditional write; undefined when the post was no longer `scheduled`. */
  async cancel(key: PostKey, now: number): Promise<PostRecord | undefined> {
    return this.#update(key, {
      set: { status: str('cancelled'), updatedAt: num(now), finishedAt: num(now) },
      remove: DUE,
      conditions: ['#st = :scheduled'],
      values: { ':scheduled': str('scheduled') },
    });
  }

  async queryDue(input: { shard: string; dueBefore: number; limit: number; startKey?: Item | undefined }) {
    const page = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: DUE_INDEX.name,
        KeyConditionExpression: '#shard = :shard AND #due <= :dueBefore',
        ExpressionAttributeNames: { '#shard': DUE_INDEX.partitionKey, '#due': DUE_INDEX.sortKey },
        ExpressionAttributeValues: { ':shard': str(input.shard), ':dueBefore': num(input.dueBefore) },
        Limit: input.limit,
        ExclusiveStartKey: input.startKey,
      }),
    );
    // The index's sort key comes with every item: the instant each post is due (publishAt, a lease's end, a check).
    const keys = (page.Items ?? []).map((item) => ({
      ...postKeyFrom(item),
      dueAt: readNum(item, DUE_INDEX.sortKey) ?? 0,
    }));
    return { keys, nextKey: page.LastEvaluatedKey };
  }

  /**
   * The claim: one conditional write that only one publisher can win, for a `scheduled` post that is due or a
   * `publishing` one whose holder's lease ran out (it died). The post stays in the due index at the lease's end,
   * so a holder that dies is taken over then. Returns the post as it was before the claim.
   */
  async claim(key: PostKey, owner: string, now: number, leaseMs: number): Promise<PostRecord | undefined> {
    const leaseUntil = now + leaseMs;
    const result = await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: postItemKey(key),
          ...updateExpression({
            set: {
              status: str('publishing'),
              leaseOwner: str(owner),
              leaseUntil: num(leaseUntil),
              updatedAt: num(now),
              [DUE_INDEX.sortKey]: num(leaseUntil),
            },
            bumpVersion: true,
            conditionNames: { '#st': 'status', '#due': DUE_INDEX.sortKey },
            conditionValues: {
              ':scheduled': str('scheduled'),
              ':publishing': str('publishing'),
              ':now': num(now),
            },
          }),
          ConditionExpression:
            '(#st = :scheduled AND #due <= :now) OR (#st = :publishing AND leaseUntil < :now)',
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (result === CONDITION_FAILED || !result.Attributes) return undefined;
    return postFrom(result.Attributes);
  }

  /** A change made by the lease holder only (a publisher whose lease was taken over writes nothing). */
  async updateAsHolder(
    key: PostKey,
    owner: string,
    change: { set?: Item; remove?: readonly string[]; stage?: PublishStage },
  ): Promise<PostRecord | undefined> {
    const conditions = ['leaseOwner = :owner', '#st = :publishing'];
    const values: Item = { ':owner': str(owner), ':publishing': str('publishing') };
    if (change.stage) {
      // A post claimed from `scheduled` has no stage yet: that is `claimed`.
      conditions.push(
        change.stage === 'claimed' ? '(attribute_not_exists(stage) OR stage = :stage)' : 'stage = :stage',
      );
      values[':stage'] = str(change.stage);
    }
    return this.#update(key, { set: change.set, remove: change.remove, conditions, values });
  }

  /**
   * Nothing was sent to TikTok (`claimed`): the post goes back to `scheduled`, due again at `dueAt` (a user may
   * still cancel it meanwhile). Only by the holder, only before init — after init_sent the post is never restarted.
   */
  async releaseClaim(
    key: PostKey,
    owner: string,
    input: { now: number; dueAt: number; attempts: number },
  ): Promise<PostRecord | undefined> {
    return this.#update(key, {
      set: {
        status: str('scheduled'),
        publishAttempts: num(input.attempts),
        updatedAt: num(input.now),
        [DUE_INDEX.sortKey]: num(input.dueAt),
      },
      remove: [...LEASE, 'stage'],
      conditions: [
        'leaseOwner = :owner',
        '#st = :publishing',
        '(attribute_not_exists(stage) OR stage = :claimed)',
      ],
      values: { ':owner': str(owner), ':publishing': str('publishing'), ':claimed': str('claimed') },
    });
  }

  /**
   * init answered: publish_id, upload URL and chunk plan stored, and the publish_id → post lookup the webhook
   * needs, in one transaction, only while this holder still owns the `init_sent` post.
   */
  async recordInit(
    key: PostKey,
    owner: string,
    init: {
      publishId: string;
      uploadUrl: Redacted;
      uploadUrlExpiresAt: number;
      chunkSize: number;
      totalChunks: number;
      now: number;
      /** The holder's lease, renewed: the upload may wait in its run's queue behind other posts' starts. */
      leaseUntil: number;
    },
  ): Promise<boolean> {
    const update = updateExpression({
      set: {
        leaseUntil: num(init.leaseUntil),
        [DUE_INDEX.sortKey]: num(init.leaseUntil),
        stage: str('uploading'),
        publishId: str(init.publishId),
        uploadUrl: str(init.uploadUrl.reveal()),
        uploadUrlExpiresAt: num(init.uploadUrlExpiresAt),
        chunkSize: num(init.chunkSize),
        totalChunks: num(init.totalChunks),
        nextChunk: num(0),
        updatedAt: num(init.now),
      },
      conditionNames: { '#st': 'status' },
      conditionValues: { ':owner': str(owner), ':publishing': str('publishing'), ':sent': str('init_sent') },
    });
    try {
      await this.#db.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.#tableName,
                Key: postItemKey(key),
                ...update,
                ConditionExpression: 'leaseOwner = :owner AND #st = :publishing AND stage = :sent',
              },
            },
            {
              Put: {
                TableName: this.#tableName,
                Item: {
                  pk: str(`PUBLISH#${init.publishId}`),
                  sk: str('PUBLISH'),
                  kind: str('publish_lookup'),
                  appUser: str(key.appUser),
                  postOpenId: str(key.openId),
                  postId: str(key.postId),
                },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  /** The post a webhook's publish_id belongs to. */
  async findByPublishId(publishId: string): Promise<PostKey | undefined> {
    const result = await this.#db.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: { pk: str(`PUBLISH#${publishId}`), sk: str('PUBLISH') },
        ConsistentRead: true,
      }),
    );
    const item = result.Item;
    if (!item) return undefined;
    return {
      appUser: requireStr(item, 'appUser'),
      openId: requireStr(item, 'postOpenId'),
      postId: requireStr(item, 'postId'),
    };
  }

  /** Upload done: `processing`, followed by status checks from `checkAt` on (the polling fallback). */
  async markProcessing(key: PostKey, owner: string, now: number, checkAt: number) {
    return this.updateAsHolder(key, owner, {
      set: {
        status: str('processing'),
        processingSince: num(now),
        updatedAt: num(now),
        [DUE_INDEX.sortKey]: num(checkAt),
      },
      remove: [...LEASE, 'stage', 'uploadUrl'],
    });
  }

  /** The next status check of a `processing` post. */
  async scheduleCheck(key: PostKey, now: number, checkAt: number, checks: number): Promise<void> {
    await this.#update(key, {
      set: { [DUE_INDEX.sortKey]: num(checkAt), statusChecks: num(checks), updatedAt: num(now) },
      conditions: ['#st = :processing'],
      values: { ':processing': str('processing') },
    });
  }

  /**
   * A final state, written once: only from one of `from` (and by the lease holder, when given). The due index
   * entry, the lease and the upload URL go. Returns the post as written; undefined if the condition failed.
   */
  async finish(
    key: PostKey,
    input: {
      status: 'published' | 'inbox' | 'failed';
      now: number;
      from: readonly PostStatus[];
      owner?: string;
      failReason?: string;
      tiktokPostId?: string;
    },
  ): Promise<PostRecord | undefined> {
    const values: Item = {};
    const placeholders = input.from.map((status, i) => {
      values[`:from${i}`] = str(status);
      return `:from${i}`;
    });
    const conditions = [`#st IN (${placeholders.join(', ')})`];
    if (input.owner !== undefined) {
      conditions.push('leaseOwner = :owner');
      values[':owner'] = str(input.owner);
    }
    const set: Item = { status: str(input.status), updatedAt: num(input.now), finishedAt: num(input.now) };
    if (input.failReason) set.failReason = str(input.failReason);
    if (input.tiktokPostId) set.tiktokPostId = str(input.tiktokPostId);
    return this.#update(key, { set, remove: [...DUE, ...LEASE, 'stage', 'uploadUrl'], conditions, values });
  }

  /** TikTok's public post id, learned after the post was marked published (post.publish.publicly_available). */
  async addTikTokPostId(key: PostKey, postId: string, now: number): Promise<PostRecord | undefined> {
    return this.#update(key, {
      set: { tiktokPostId: str(postId), updatedAt: num(now) },
      conditions: ['#st = :published', 'attribute_not_exists(tiktokPostId)'],
      values: { ':published': str('published') },
    });
  }

  async #update(
    key: PostKey,
    change: { set?: Item; remove?: readonly string[]; conditions: string[]; values: Item },
  ): Promise<PostRecord | undefined> {
    const result = await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: postItemKey(key),
          ...updateExpression({
            set: change.set,
            remove: change.remove,
            bumpVersion: true,
            conditionNames: { '#st': 'status' },
            conditionValues: change.values,
          }),
          ConditionExpression: ['attribute_exists(pk)', ...change.conditions].join(' AND '),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result === CONDITION_FAILED || !result.Attributes) return undefined;
    return postFrom(result.Attributes);
  }
}

export function allPostShards(): string[] {
  return Array.from({ length: POST_SHARD_COUNT }, (_, shard) => `POST#${shard}`);
}

function dueFields(key: PostKey, dueAt: number): Item {
  const digest = createHash('sha256').update(`${key.appUser}\u0000${key.openId}\u0000${key.postId}`).digest();
  return {
    [DUE_INDEX.partitionKey]: str(`POST#${digest.readUInt32BE(0) % POST_SHARD_COUNT}`),
    [DUE_INDEX.sortKey]: num(dueAt),
  };
}

function postKeyFrom(item: Item): PostKey {
  const appUser = requireStr(item, 'pk').slice('USER#'.length);
  const rest = requireStr(item, 'sk').slice('POST#'.length);
  const hash = rest.lastIndexOf('#');
  return { appUser, openId: rest.slice(0, hash), postId: rest.slice(hash + 1) };
}

function postFrom(item: Item): PostRecord {
  const bool = (name: string) => item[name]?.BOOL === true;
  const url = readStr(item, 'uploadUrl');
  const stage = readStr(item, 'stage') as PublishStage | undefined;
  return {
    ...postKeyFrom(item),
    status: requireStr(item, 'status') as PostStatus,
    stage,
    mode: requireStr(item, 'mode') as 'direct' | 'inbox',
    caption: readStr(item, 'caption') ?? '',
    privacyLevel: requireStr(item, 'privacyLevel'),
    disableComment: bool('disableComment'),
    disableDuet: bool('disableDuet'),
    disableStitch: bool('disableStitch'),
    brandContentToggle: bool('brandContentToggle'),
    brandOrganicToggle: bool('brandOrganicToggle'),
    uploadId: requireStr(item, 'uploadId'),
    objectKey: requireStr(item, 'objectKey'),
    videoSize: requireNum(item, 'videoSize'),
    contentType: requireStr(item, 'contentType'),
    publishAt: requireNum(item, 'publishAt'),
    createdAt: requireNum(item, 'createdAt'),
    updatedAt: requireNum(item, 'updatedAt'),
    failReason: readStr(item, 'failReason'),
    publishId: readStr(item, 'publishId'),
    uploadUrl: url === undefined ? undefined : new Redacted(url),
    uploadUrlExpiresAt: readNum(item, 'uploadUrlExpiresAt'),
    chunkSize: readNum(item, 'chunkSize'),
    totalChunks: readNum(item, 'totalChunks'),
    nextChunk: readNum(item, 'nextChunk') ?? 0,
    leaseOwner: readStr(item, 'leaseOwner'),
    leaseUntil: readNum(item, 'leaseUntil'),
    processingSince: readNum(item, 'processingSince'),
    statusChecks: readNum(item, 'statusChecks') ?? 0,
    tiktokPostId: readStr(item, 'tiktokPostId'),
    finishedAt: readNum(item, 'finishedAt'),
    dueAt: readNum(item, DUE_INDEX.sortKey),
    publishAttempts: readNum(item, 'publishAttempts') ?? 0,
    uploadRetries: readNum(item, 'uploadRetries') ?? 0,
  };
}
