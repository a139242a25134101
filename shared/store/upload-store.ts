import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type Item, num, readStr, requireNum, requireStr, str } from './attributes.js';

/** How long an upload record is kept (the bucket's lifecycle rule deletes the file a little later). */
export const UPLOAD_RETENTION_DAYS = 30;

export type UploadRecord = {
  appUser: string;
  openId: string;
  uploadId: string;
  objectKey: string;
  size: number;
  contentType: string;
  createdAt: number;
};

const itemKey = (appUser: string, openId: string, uploadId: string) => ({
  pk: str(`USER#${appUser}`),
  sk: str(`UPLOAD#${openId}#${uploadId}`),
});

/** Which upload belongs to which connection: a post may only use an upload of its own connection. */
export class UploadStore {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { db: DynamoDBClient; tableName: string }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
  }

  async create(upload: UploadRecord): Promise<void> {
    await this.#db.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: {
          ...itemKey(upload.appUser, upload.openId, upload.uploadId),
          kind: str('upload'),
          appUser: str(upload.appUser),
          uploadOpenId: str(upload.openId),
          uploadId: str(upload.uploadId),
          objectKey: str(upload.objectKey),
          size: num(upload.size),
          contentType: str(upload.contentType),
          createdAt: num(upload.createdAt),
          ttl: num(Math.ceil(upload.createdAt / 1000) + UPLOAD_RETENTION_DAYS * 86_400),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(appUser: string, openId: string, uploadId: string): Promise<UploadRecord | undefined> {
    const result = await this.#db.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: itemKey(appUser, openId, uploadId),
        ConsistentRead: true,
      }),
    );
    return result.Item && readStr(result.Item, 'kind') === 'upload' ? uploadFrom(result.Item) : undefined;
  }
}

function uploadFrom(item: Item): UploadRecord {
  return {
    appUser: requireStr(item, 'appUser'),
    openId: requireStr(item, 'uploadOpenId'),
    uploadId: requireStr(item, 'uploadId'),
    objectKey: requireStr(item, 'objectKey'),
    size: requireNum(item, 'size'),
    contentType: requireStr(item, 'contentType'),
    createdAt: requireNum(item, 'createdAt'),
  };
}
