import { createHash, randomUUID } from 'node:crypto';
import type { ServiceDeps } from '../deps.js';
import { AppError } from '../errors.js';
import type { ConnectionKey } from '../store/connection-store.js';

/** The video types TikTok accepts (media transfer guide). */
export const VIDEO_CONTENT_TYPES = ['video/mp4', 'video/quicktime', 'video/webm'] as const;
export type VideoContentType = (typeof VIDEO_CONTENT_TYPES)[number];

export type CreatedUpload = {
  uploadId: string;
  uploadUrl: string;
  method: 'PUT';
  headers: { 'Content-Type': string };
  size: number;
  contentType: string;
  expiresAt: string;
};

/**
 * A place for one video: a presigned S3 PUT bound to this Content-Type and size, and a record tying the upload
 * to the connection (a post may use only its own connection's uploads). The object key carries no user input.
 */
export async function createUpload(
  deps: ServiceDeps,
  key: ConnectionKey,
  input: { size: number; contentType: VideoContentType },
): Promise<CreatedUpload> {
  await requireConnection(deps, key);
  const uploadId = `u_${randomUUID().replace(/-/g, '')}`;
  const owner = createHash('sha256').update(`${key.appUser}\u0000${key.openId}`).digest('hex').slice(0, 32);
  const objectKey = `uploads/${owner}/${uploadId}`;
  const now = deps.now();
  const expiresInSeconds = deps.config.publishing.uploadUrlSeconds;
  let uploadUrl: string;
  try {
    uploadUrl = await deps.uploadFiles.presignPut({
      key: objectKey,
      contentType: input.contentType,
      size: input.size,
      expiresInSeconds,
    });
  } catch (error) {
    throw new AppError('upload_storage_unavailable', 503, 'The upload storage is not available', {
      cause: error,
    });
  }
  await deps.uploads.create({
    ...key,
    uploadId,
    objectKey,
    size: input.size,
    contentType: input.contentType,
    createdAt: now,
  });
  deps.logger.info('upload created', {
    event: 'upload_created',
    appUser: key.appUser,
    openId: key.openId,
    uploadId,
    size: input.size,
  });
  return {
    uploadId,
    uploadUrl,
    method: 'PUT',
    headers: { 'Content-Type': input.contentType },
    size: input.size,
    contentType: input.contentType,
    expiresAt: new Date(now + expiresInSeconds * 1000).toISOString(),
  };
}

/** Another user's connection, or none: 404 as on every connection route. */
export async function requireConnection(deps: ServiceDeps, key: ConnectionKey) {
  const record = await deps.connections.get(key.appUser, key.openId);
  if (!record || record.status === 'disconnected') {
    throw new AppError('connection_not_found', 404, 'No such TikTok connection');
  }
  return record;
}
