import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Config } from '../config.js';
import type { StoredFile, UploadFiles } from './upload-files.js';

/** The local S3-compatible server's fixed account (it refuses any other key). */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** The upload bucket through the AWS SDK; with S3_ENDPOINT set, the local server (path-style addressing). */
export class S3UploadFiles implements UploadFiles {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: { client: S3Client; bucket: string }) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async presignPut(input: {
    key: string;
    contentType: string;
    size: number;
    expiresInSeconds: number;
  }): Promise<string> {
    const command = new PutObjectCommand({
      Bucket: this.#bucket,
      Key: input.key,
      ContentType: input.contentType,
      ContentLength: input.size,
    });
    // Content-Type and Content-Length are signed: S3 refuses a PUT with another type or size.
    return getSignedUrl(this.#client, command, {
      expiresIn: input.expiresInSeconds,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
  }

  async head(key: string): Promise<StoredFile | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: head.ContentLength ?? 0, contentType: head.ContentType };
    } catch (error) {
      if (error instanceof NotFound || error instanceof NoSuchKey) return undefined;
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw error;
    }
  }

  async readRange(key: string, first: number, last: number): Promise<Readable> {
    const object = await this.#client.send(
      new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=${first}-${last}` }),
    );
    const expected = `bytes ${first}-${last}/`;
    if (!object.ContentRange?.startsWith(expected)) {
      // A store that ignored the Range header would send the whole file as this chunk.
      (object.Body as Readable | undefined)?.destroy?.();
      throw new Error(`S3 answered range ${object.ContentRange ?? 'none'} for bytes ${first}-${last}`);
    }
    return object.Body as Readable;
  }
}

export function createS3Client(config: Config): S3Client {
  const endpoint = config.publishing.s3Endpoint;
  return new S3Client({
    region: config.region,
    // Checksums only where S3 requires them: a presigned PUT must not carry a checksum of an empty body.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(endpoint ? { endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS } : {}),
  });
}

/** For the function entries that read or presign uploads (see AwsProviders in shared/deps.ts). */
export function s3UploadFiles(config: Config): UploadFiles | undefined {
  const bucket = config.publishing.uploadBucket;
  return bucket ? new S3UploadFiles({ client: createS3Client(config), bucket }) : undefined;
}
