import { createHash } from 'node:crypto';
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type Item, num, readNum, readStr, readStrList, str, strList } from './attributes.js';
import { CONDITION_FAILED, ifConditionHolds } from './conditional-write.js';
import { ANALYTICS_DUE_INDEX } from './table-schema.js';

export type AnalyticsKey = { appUser: string; openId: string };

/** One account snapshot; a counter is undefined when the connection lacks user.info.stats. */
export type AccountPoint = {
  at: number;
  followerCount?: number | undefined;
  followingCount?: number | undefined;
  likesCount?: number | undefined;
  videoCount?: number | undefined;
};

export type VideoPoint = {
  at: number;
  viewCount?: number | undefined;
  likeCount?: number | undefined;
  commentCount?: number | undefined;
  shareCount?: number | undefined;
};

/** What we keep of a video between snapshots: when it was posted, its caption's tags, its schedule. */
export type TrackedVideo = {
  id: string;
  /** Unix milliseconds (TikTok's create_time is seconds). */
  createdAt: number;
  description: string | undefined;
  hashtags: string[];
  dueAt: number;
  lastAt: number | undefined;
  latest: VideoPoint | undefined;
  /** Consecutive snapshots in which TikTok no longer returned it (deleted, made private). */
  missingCount: number;
  /** Views per hour over the first 24 h, once known. */
  velocity24h: number | undefined;
  breakoutAt: number | undefined;
};

export type AnalyticsState = AnalyticsKey & {
  connectedAt: number;
  accountDueAt: number;
  accountLastAt: number | undefined;
  /** The earliest of the account's and its videos' next snapshots: the due index's sort key. */
  dueAt: number;
  /** The last day whose points were reduced to one a day (YYYY-MM-DD). */
  downsampledThrough: string | undefined;
  /** Why snapshots are on hold (e.g. `connection_reauth_required`), with when it started. */
  pausedReason: string | undefined;
  pausedSince: number | undefined;
};

/** One day of one connection: every snapshot point taken that day, account and videos. */
export type AnalyticsDay = {
  day: string;
  account: AccountPoint[];
  videos: Map<string, VideoPoint[]>;
  downsampled: boolean;
};

export const ANALYTICS_SHARD_COUNT = 16;
const DAY_MS = 86_400_000;
/** DynamoDB's limit per BatchWriteItem. */
const BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 8;

/**
 * Time series in the one table, shaped for the reads: a range query over `DAY#` items returns every point of every
 * video and of the account for those days in a few pages; the catalog (`VIDEO#<createTime>#<id>`) lists videos
 * newest first for paging. Points are stored as strings in String Sets, so writing the same point twice (a retry, a
 * pass that died after writing) adds nothing.
 */

/** Videos one UpdateItem adds points for: 50 × (`#vNN :vNN`, a name, a set) stays well under the 4 KB limit. */
const VIDEOS_PER_UPDATE = 50;
export class AnalyticsStore {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;
  readonly #retentionMs: number;

  constructor(options: { db: DynamoDBClient; tableName: string; retentionDays: number }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
    this.#retentionMs = options.retentionDays * DAY_MS;
  }

  /**
   * Enrols a connection, or wakes an enrolled one (a reconnect after re-auth): its next snapshot is due at
   * `dueAt`. The history and the first connect time of an enrolled connection stay as they are.
   */
  async enrol(key: AnalyticsKey, input: { connectedAt: number; dueAt: number; now: number }): Promise<void> {
    await this.#db.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: keyItem(key, 'STATE'),
        UpdateExpression:
          'SET kind = :kind, appUser = :appUser, openId = :openId, ' +
          'connectedAt = if_not_exists(connectedAt, :connectedAt), accountDueAt = :due, ' +
          '#shard = :shard, #due = :due, #ttl = :ttl REMOVE pausedReason, pausedSince',
        ExpressionAttributeNames: {
          '#shard': ANALYTICS_DUE_INDEX.partitionKey,
          '#due': ANALYTICS_DUE_INDEX.sortKey,
          '#ttl': 'ttl',
        },
        ExpressionAttributeValues: {
          ':kind': str('analytics_state'),
          ':appUser': str(key.appUser),
          ':openId': str(key.openId),
          ':connectedAt': num(input.connectedAt),
          ':due': num(input.dueAt),
          ':shard': str(shardOf(key)),
          ':ttl': num(this.#expiry(input.now)),
        },
      }),
    );
  }

  async getState(key: AnalyticsKey): Promise<AnalyticsState | undefined> {
    const { Item } = await this.#db.send(
      new GetItemCommand({ TableName: this.#tableName, Key: keyItem(key, 'STATE'), ConsistentRead: true }),
    );
    return Item ? stateFrom(Item) : undefined;
  }

  /** Connections whose next snapshot is due by `horizon`, most overdue first within each shard. */
  async *dueKeys(horizon: number): AsyncGenerator<AnalyticsKey & { dueAt: number }> {
    for (let shard = 0; shard < ANALYTICS_SHARD_COUNT; shard++) {
      let startKey: Item | undefined;
      do {
        const page = await this.#db.send(
          new QueryCommand({
            TableName: this.#tableName,
            IndexName: ANALYTICS_DUE_INDEX.name,
            KeyConditionExpression: '#shard = :shard AND #due <= :horizon',
            ExpressionAttributeNames: {
              '#shard': ANALYTICS_DUE_INDEX.partitionKey,
              '#due': ANALYTICS_DUE_INDEX.sortKey,
            },
            ExpressionAttributeValues: { ':shard': str(String(shard)), ':horizon': num(horizon) },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const key = parsePk(readStr(item, 'pk') ?? '');
          const dueAt = readNum(item, ANALYTICS_DUE_INDEX.sortKey);
          if (key && dueAt !== undefined) yield { ...key, dueAt };
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  }

  /** Writes what a pass decided about the connection's schedule (and keeps the history alive for retention). */
  async saveSchedule(
    key: AnalyticsKey,
    input: {
      accountDueAt: number;
      accountLastAt?: number | undefined;
      dueAt: number;
      downsampledThrough?: string | undefined;
      paused?: { reason: string; since: number } | undefined;
      now: number;
    },
  ): Promise<void> {
    const names: Record<string, string> = { '#due': ANALYTICS_DUE_INDEX.sortKey };
    const values: Item = {
      ':accountDueAt': num(input.accountDueAt),
      ':due': num(input.dueAt),
      ':ttl': num(this.#expiry(input.now)),
    };
    const set = ['accountDueAt = :accountDueAt', '#due = :due', '#ttl = :ttl'];
    names['#ttl'] = 'ttl';
    const remove: string[] = [];
    if (input.accountLastAt !== undefined) {
      set.push('accountLastAt = :accountLastAt');
      values[':accountLastAt'] = num(input.accountLastAt);
    }
    if (input.downsampledThrough !== undefined) {
      set.push('downsampledThrough = :ds');
      values[':ds'] = str(input.downsampledThrough);
    }
    if (input.paused) {
      set.push('pausedReason = :pausedReason', 'pausedSince = if_not_exists(pausedSince, :pausedSince)');
      values[':pausedReason'] = str(input.paused.reason);
      values[':pausedSince'] = num(input.paused.since);
    } else {
      remove.push('pausedReason', 'pausedSince');
    }
    // Only an enrolled connection has a schedule: a pass racing a deletion must not bring a STATE item back.
    await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyItem(key, 'STATE'),
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** Every tracked video, newest first. */
  async trackedVideos(key: AnalyticsKey): Promise<TrackedVideo[]> {
    const items = await this.#queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': str(pkOf(key)), ':prefix': str('VIDEO#') },
      ScanIndexForward: false,
    });
    return items.map(videoFrom);
  }

  /** One page of tracked videos, newest first; `after` is the previous page's `next`. */
  async videoPage(
    key: AnalyticsKey,
    input: { limit: number; after?: string | undefined },
  ): Promise<{ videos: TrackedVideo[]; next: string | undefined }> {
    const page = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: input.after
          ? 'pk = :pk AND sk BETWEEN :prefix AND :after'
          : 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': str(pkOf(key)),
          ':prefix': str('VIDEO#'),
          ...(input.after ? { ':after': str(input.after) } : {}),
        },
        ScanIndexForward: false,
        Limit: input.limit + (input.after ? 1 : 0),
      }),
    );
    // BETWEEN is inclusive: the previous page's last item comes back first and is dropped.
    const items = (page.Items ?? []).filter((item) => readStr(item, 'sk') !== input.after);
    const videos = items.slice(0, input.limit).map(videoFrom);
    const last = items[input.limit - 1];
    const more = page.LastEvaluatedKey !== undefined && last !== undefined;
    return { videos, next: more ? readStr(last, 'sk') : undefined };
  }

  /** Starts tracking videos found by discovery; a video already tracked keeps its schedule and history. */
  async trackVideo(
    key: AnalyticsKey,
    video: { id: string; createdAt: number; description: string | undefined; hashtags: string[] },
    input: { dueAt: number; now: number },
  ): Promise<void> {
    await this.#db.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: keyItem(key, videoSk(video.id, video.createdAt)),
        UpdateExpression:
          'SET kind = :kind, videoId = :id, createdAt = :createdAt, description = :description, ' +
          'hashtags = :hashtags, dueAt = if_not_exists(dueAt, :dueAt), #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':kind': str('analytics_video'),
          ':id': str(video.id),
          ':createdAt': num(video.createdAt),
          ':description': str(video.description ?? ''),
          ':hashtags': strList(video.hashtags),
          ':dueAt': num(input.dueAt),
          ':ttl': num(this.#expiry(input.now)),
        },
      }),
    );
  }

  /**
   * Adds points to the day they were taken in, one write per day whatever the number of videos. String Sets
   * ignore a point already stored, so a repeated write changes nothing.
   */
  async addPoints(
    key: AnalyticsKey,
    input: { account?: AccountPoint | undefined; videos: { id: string; point: VideoPoint }[]; now: number },
  ): Promise<number> {
    const byDay = new Map<string, { account: AccountPoint[]; videos: Map<string, VideoPoint[]> }>();
    const dayOf = (at: number) => {
      const day = dayString(at);
      let entry = byDay.get(day);
      if (!entry) {
        entry = { account: [], videos: new Map() };
        byDay.set(day, entry);
      }
      return entry;
    };
    if (input.account) dayOf(input.account.at).account.push(input.account);
    for (const { id, point } of input.videos) {
      const videos = dayOf(point.at).videos;
      videos.set(id, [...(videos.get(id) ?? []), point]);
    }
    for (const [day, points] of byDay) {
      // DynamoDB caps an update expression at 4 KB: a day's videos go in slices of VIDEOS_PER_UPDATE, each its
      // own ADD to string sets (idempotent, so a slice written twice after a retry changes nothing).
      const videos = [...points.videos];
      for (let first = 0; first === 0 || first < videos.length; first += VIDEOS_PER_UPDATE) {
        const names: Record<string, string> = { '#ttl': 'ttl' };
        const values: Item = {
          ':ttl': num(this.#expiry(Date.parse(`${day}T00:00:00Z`) + DAY_MS)),
          ':kind': str('analytics_day'),
        };
        const add: string[] = [];
        if (first === 0 && points.account.length > 0) {
          add.push('#a :a');
          names['#a'] = 'a';
          values[':a'] = { SS: points.account.map(encodeAccountPoint) };
        }
        videos.slice(first, first + VIDEOS_PER_UPDATE).forEach(([id, videoPoints], i) => {
          add.push(`#v${i} :v${i}`);
          names[`#v${i}`] = `v${id}`;
          values[`:v${i}`] = { SS: [...new Set(videoPoints.map(encodeVideoPoint))] };
        });
        if (add.length === 0) continue;
        await this.#db.send(
          new UpdateItemCommand({
            TableName: this.#tableName,
            Key: keyItem(key, `DAY#${day}`),
            UpdateExpression: `SET #ttl = :ttl, kind = :kind ADD ${add.join(', ')}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      }
    }
    return byDay.size;
  }

  /**
   * Moves a video's schedule on after a snapshot at `at`. Refused (`moved: false`) when a snapshot at or after
   * `at` is already recorded: a late or repeated pass never moves the schedule backwards. `breakoutClaimed`: this
   * write marked the video a breakout (it was not marked before), so its event is published once.
   */
  async markSnapshotted(
    key: AnalyticsKey,
    video: { id: string; createdAt: number },
    input: {
      point: VideoPoint;
      dueAt: number;
      now: number;
      velocity24h?: number | undefined;
      breakoutAt?: number | undefined;
    },
  ): Promise<{ moved: boolean; breakoutClaimed: boolean }> {
    const { point } = input;
    const values: Item = {
      ':at': num(point.at),
      ':dueAt': num(input.dueAt),
      ':latest': str(encodeVideoPoint(point)),
      ':ttl': num(this.#expiry(input.now)),
      ':zero': num(0),
    };
    let set = 'lastAt = :at, dueAt = :dueAt, latest = :latest, missingCount = :zero, #ttl = :ttl';
    if (input.velocity24h !== undefined) {
      set += ', velocity24h = :velocity24h';
      values[':velocity24h'] = num(input.velocity24h);
    }
    if (input.breakoutAt !== undefined) {
      set += ', breakoutAt = if_not_exists(breakoutAt, :breakoutAt)';
      values[':breakoutAt'] = num(input.breakoutAt);
    }
    const result = await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyItem(key, videoSk(video.id, video.createdAt)),
          UpdateExpression: `SET ${set}`,
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastAt) OR lastAt < :at)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: values,
          // The old breakoutAt tells whether this write is the one that marked the breakout (two runs may race).
          ReturnValues: 'UPDATED_OLD',
        }),
      ),
    );
    if (result === CONDITION_FAILED) return { moved: false, breakoutClaimed: false };
    return {
      moved: true,
      breakoutClaimed: input.breakoutAt !== undefined && result.Attributes?.breakoutAt === undefined,
    };
  }

  /** TikTok did not return a tracked video: count it and look again at `dueAt` (fail open: never deleted here). */
  async markMissing(
    key: AnalyticsKey,
    video: { id: string; createdAt: number },
    input: { dueAt: number },
  ): Promise<void> {
    await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyItem(key, videoSk(video.id, video.createdAt)),
          UpdateExpression: 'SET dueAt = :dueAt ADD missingCount :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':dueAt': num(input.dueAt), ':one': num(1) },
        }),
      ),
    );
  }

  /** The days from `fromDay` to `toDay` (inclusive, YYYY-MM-DD), oldest first. */
  async days(key: AnalyticsKey, fromDay: string, toDay: string): Promise<AnalyticsDay[]> {
    const items = await this.#queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': str(pkOf(key)),
        ':from': str(`DAY#${fromDay}`),
        ':to': str(`DAY#${toDay}`),
      },
    });
    return items.map(dayFrom);
  }

  /**
   * Keeps one point a day (the day's last, per video and for the account) in the given day. Days this old get no
   * new points (points are taken at the present), so rewriting the item races nothing.
   */
  async downsampleDay(key: AnalyticsKey, day: string): Promise<'downsampled' | 'absent' | 'already'> {
    const [found] = await this.days(key, day, day);
    if (!found) return 'absent';
    if (found.downsampled) return 'already';
    const item: Item = {
      ...keyItem(key, `DAY#${day}`),
      kind: str('analytics_day'),
      downsampled: { BOOL: true },
      ttl: num(this.#expiry(Date.parse(`${day}T00:00:00Z`) + DAY_MS)),
    };
    const lastAccount = found.account.at(-1);
    if (lastAccount) item.a = { SS: [encodeAccountPoint(lastAccount)] };
    for (const [id, points] of found.videos) {
      const last = points.at(-1);
      if (last) item[`v${id}`] = { SS: [encodeVideoPoint(last)] };
    }
    await this.#db.send(new PutItemCommand({ TableName: this.#tableName, Item: item }));
    return 'downsampled';
  }

  /** Deletes every analytics item of the connection (STATE first, so no pass schedules it again). */
  async deleteAll(key: AnalyticsKey): Promise<number> {
    const items = await this.#queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': str(pkOf(key)) },
      ProjectionExpression: 'pk, sk',
    });
    items.sort((a, b) => Number(readStr(b, 'sk') === 'STATE') - Number(readStr(a, 'sk') === 'STATE'));
    for (let i = 0; i < items.length; i += BATCH_SIZE) {
      let requests: { DeleteRequest: { Key: Item } }[] = items.slice(i, i + BATCH_SIZE).map((item) => ({
        DeleteRequest: { Key: { pk: item.pk as Item[string], sk: item.sk as Item[string] } },
      }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > MAX_BATCH_ATTEMPTS) throw new Error('DynamoDB kept refusing analytics deletes');
        const result = await this.#db.send(
          new BatchWriteItemCommand({ RequestItems: { [this.#tableName]: requests } }),
        );
        requests = (result.UnprocessedItems?.[this.#tableName] ?? []).flatMap((request) =>
          request.DeleteRequest?.Key ? [{ DeleteRequest: { Key: request.DeleteRequest.Key } }] : [],
        );
        if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
    return items.length;
  }

  #expiry(from: number): number {
    return Math.ceil((from + this.#retentionMs) / 1000);
  }

  async #queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({ TableName: this.#tableName, ...input, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

export function dayString(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

function pkOf(key: AnalyticsKey): string {
  // open_id first: TikTok's ids carry no '#', so the app user (which might) is simply the rest.
  return `ANALYTICS#${key.openId}#${key.appUser}`;
}

function parsePk(pk: string): AnalyticsKey | undefined {
  const match = /^ANALYTICS#([^#]+)#(.+)$/s.exec(pk);
  return match ? { openId: match[1] as string, appUser: match[2] as string } : undefined;
}

function keyItem(key: AnalyticsKey, sk: string): Item {
  return { pk: str(pkOf(key)), sk: str(sk) };
}

function shardOf(key: AnalyticsKey): string {
  const digest = createHash('sha256').update(pkOf(key)).digest();
  return String(digest.readUInt32BE(0) % ANALYTICS_SHARD_COUNT);
}

/** Newest first in a descending query: create time zero-padded (seconds fit 11 digits until the year 5138). */
function videoSk(id: string, createdAt: number): string {
  return `VIDEO#${String(Math.floor(createdAt / 1000)).padStart(11, '0')}#${id}`;
}

const count = (value: string | undefined) =>
  value === undefined || value === '' ? undefined : Number(value);
const field = (value: number | undefined) => (value === undefined ? '' : String(value));

function encodeAccountPoint(p: AccountPoint): string {
  return [p.at, p.followerCount, p.followingCount, p.likesCount, p.videoCount].map(field).join(',');
}

function encodeVideoPoint(p: VideoPoint): string {
  return [p.at, p.viewCount, p.likeCount, p.commentCount, p.shareCount].map(field).join(',');
}

function decodeAccountPoint(s: string): AccountPoint {
  const [at, followerCount, followingCount, likesCount, videoCount] = s.split(',');
  return {
    at: Number(at),
    followerCount: count(followerCount),
    followingCount: count(followingCount),
    likesCount: count(likesCount),
    videoCount: count(videoCount),
  };
}

export function decodeVideoPoint(s: string): VideoPoint {
  const [at, viewCount, likeCount, commentCount, shareCount] = s.split(',');
  return {
    at: Number(at),
    viewCount: count(viewCount),
    likeCount: count(likeCount),
    commentCount: count(commentCount),
    shareCount: count(shareCount),
  };
}

const byTime = <T extends { at: number }>(a: T, b: T) => a.at - b.at;

function dayFrom(item: Item): AnalyticsDay {
  const sk = readStr(item, 'sk') ?? '';
  const videos = new Map<string, VideoPoint[]>();
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith('v') || !value.SS) continue;
    videos.set(name.slice(1), value.SS.map(decodeVideoPoint).sort(byTime));
  }
  return {
    day: sk.slice('DAY#'.length),
    account: (item.a?.SS ?? []).map(decodeAccountPoint).sort(byTime),
    videos,
    downsampled: item.downsampled?.BOOL === true,
  };
}

function videoFrom(item: Item): TrackedVideo {
  const latest = readStr(item, 'latest');
  return {
    id: readStr(item, 'videoId') ?? '',
    createdAt: readNum(item, 'createdAt') ?? 0,
    description: readStr(item, 'description') || undefined,
    hashtags: readStrList(item, 'hashtags'),
    dueAt: readNum(item, 'dueAt') ?? 0,
    lastAt: readNum(item, 'lastAt'),
    latest: latest ? decodeVideoPoint(latest) : undefined,
    missingCount: readNum(item, 'missingCount') ?? 0,
    velocity24h: readNum(item, 'velocity24h'),
    breakoutAt: readNum(item, 'breakoutAt'),
  };
}

function stateFrom(item: Item): AnalyticsState {
  return {
    appUser: readStr(item, 'appUser') ?? '',
    openId: readStr(item, 'openId') ?? '',
    connectedAt: readNum(item, 'connectedAt') ?? 0,
    accountDueAt: readNum(item, 'accountDueAt') ?? 0,
    accountLastAt: readNum(item, 'accountLastAt'),
    dueAt: readNum(item, ANALYTICS_DUE_INDEX.sortKey) ?? 0,
    downsampledThrough: readStr(item, 'downsampledThrough'),
    pausedReason: readStr(item, 'pausedReason'),
    pausedSince: readNum(item, 'pausedSince'),
  };
}
