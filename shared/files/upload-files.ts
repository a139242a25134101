import type { Readable } from 'node:stream';

/** A stored upload as S3 reports it. */
export type StoredFile = { size: number; contentType: string | undefined };

/**
 * Where the browser's video files live (S3; locally an S3-compatible server). The API hands out presigned PUT
 * URLs and the publisher reads byte ranges; nothing here parses a video.
 */
export interface UploadFiles {
  /** A PUT URL that accepts exactly this Content-Type and Content-Length until it expires. */
  presignPut(input: {
    key: string;
    contentType: string;
    size: number;
    expiresInSeconds: number;
  }): Promise<string>;
  /** undefined when no object is stored under the key. */
  head(key: string): Promise<StoredFile | undefined>;
  /** Bytes first..last (inclusive) as a stream: memory stays bounded whatever the file size. */
  readRange(key: string, first: number, last: number): Promise<Readable>;
}
