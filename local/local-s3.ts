import { mkdirSync } from 'node:fs';
import S3rver from '@20minutes/s3rver';

/** s3rver's fixed local account: any other key is refused with InvalidAccessKeyId. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export type RunningLocalS3 = { endpoint: string; bucket: string; stop(): Promise<void> };

/**
 * An S3-compatible server on loopback (@20minutes/s3rver): it checks SigV4 signatures of presigned URLs (signed
 * headers such as Content-Type, expiry) and serves ranged GETs, so presigning and ranged reads are exercised for
 * real. Objects are plain files under `directory`. The bucket gets a CORS rule for the allowed browser origins,
 * as the stack's bucket does.
 */
export async function startLocalS3(options: {
  directory: string;
  bucket: string;
  allowedOrigins: readonly string[];
  port?: number;
}): Promise<RunningLocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket, configs: [corsXml(options.allowedOrigins)] }],
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket: options.bucket,
    stop: () => server.close().catch(() => undefined),
  };
}

function corsXml(origins: readonly string[]): string {
  const allowed = origins.map((origin) => `<AllowedOrigin>${escapeXml(origin)}</AllowedOrigin>`).join('');
  return `<CORSConfiguration><CORSRule>${allowed}<AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
