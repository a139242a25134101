import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import type { DepsOverrides } from '../../shared/deps.js';
import { createS3Client, S3UploadFiles } from '../../shared/files/s3-upload-files.js';
import {
  buildCancelPostHandler,
  buildCreatePostHandler,
  buildCreateUploadHandler,
  buildCreatorInfoHandler,
  buildGetPostHandler,
  buildListPostsHandler,
} from '../../shared/http/posting-routes.js';
import type { ChunkRules } from '../../shared/publish/chunk-plan.js';
import { runPublisher } from '../../shared/publish/publisher.js';
import type { ApiAnswer } from './api-driver.js';
import { lambdaContext } from './api-events.js';
import type { HttpAnswer } from './connect-driver.js';
import { expectContract } from './openapi-contract.js';
import { routeEvent } from './route-events.js';
import { startTestService, type TestService } from './service.js';

export const POSTING_SCOPES =
  'user.info.basic,user.info.profile,user.info.stats,video.list,video.publish,video.upload';
/** Small chunk sizes (the emulator is told the same), so real multi-chunk uploads take kilobytes. */
export const SMALL_RULES: ChunkRules = {
  minChunkBytes: 5_000,
  maxChunkBytes: 64_000,
  maxFinalChunkBytes: 128_000,
  maxChunks: 1000,
  maxVideoBytes: 4_000_000_000,
};

/** The service with posting on: the local S3 (global setup), the emulator with the same small chunk rules. */
export async function startPostingService(
  options: {
    env?: Record<string, string>;
    overrides?: DepsOverrides;
    rules?: ChunkRules;
    /** `key-file` when a child process opens the tokens too (it cannot reach the KMS stand-in). */
    tokenKeys?: 'kms' | 'key-file';
  } = {},
): Promise<TestService> {
  const env = {
    TIKTOK_SCOPES: POSTING_SCOPES,
    UPLOAD_BUCKET_NAME: 'test-uploads',
    S3_ENDPOINT: inject('s3Endpoint'),
    TIKTOK_POSTING_AUDITED: 'true',
    ...options.env,
  };
  const rules = options.rules ?? SMALL_RULES;
  const files = new S3UploadFiles({
    client: createS3Client(loadConfig({ ...baseEnv(), ...env })),
    bucket: 'test-uploads',
  });
  const service = await startTestService({
    env,
    ...(options.tokenKeys ? { tokenKeys: options.tokenKeys } : {}),
    overrides: { uploadFiles: files, chunkRules: rules, ...options.overrides },
  });
  service.emulator.setOptions({
    chunkRules: {
      minChunkBytes: rules.minChunkBytes,
      maxChunkBytes: rules.maxChunkBytes,
      maxFinalChunkBytes: rules.maxFinalChunkBytes,
    },
    processingMs: 50,
  });
  return service;
}

function baseEnv() {
  return { TIKTOK_CLIENT_KEY: 'k', TIKTOK_CLIENT_SECRET: 's' };
}

const ROUTE = {
  creatorInfo: 'GET /tiktok/connections/{openId}/creator-info',
  upload: 'POST /tiktok/connections/{openId}/uploads',
  createPost: 'POST /tiktok/connections/{openId}/posts',
  listPosts: 'GET /tiktok/connections/{openId}/posts',
  getPost: 'GET /tiktok/connections/{openId}/posts/{postId}',
  cancelPost: 'DELETE /tiktok/connections/{openId}/posts/{postId}',
} as const;

/** Drives the posting handlers with API Gateway v2 events, each answer checked against openapi.json. */
export function postingDriver(service: TestService) {
  const handlers = {
    [ROUTE.creatorInfo]: buildCreatorInfoHandler(service.deps),
    [ROUTE.upload]: buildCreateUploadHandler(service.deps),
    [ROUTE.createPost]: buildCreatePostHandler(service.deps),
    [ROUTE.listPosts]: buildListPostsHandler(service.deps),
    [ROUTE.getPost]: buildGetPostHandler(service.deps),
    [ROUTE.cancelPost]: buildCancelPostHandler(service.deps),
  };
  async function call(
    route: (typeof ROUTE)[keyof typeof ROUTE],
    input: { sub: string; params: Record<string, string>; body?: unknown; query?: string },
  ): Promise<ApiAnswer> {
    const event = routeEvent({
      route,
      params: input.params,
      query: input.query,
      sub: input.sub,
      ...(input.body === undefined
        ? {}
        : { body: JSON.stringify(input.body), headers: { 'content-type': 'application/json' } }),
    });
    const answer = (await handlers[route](event, lambdaContext)) as HttpAnswer;
    const [method = '', path = ''] = route.split(' ');
    expectContract(method, path, answer);
    const json = answer.body ? JSON.parse(answer.body) : undefined;
    if (route === ROUTE.upload && typeof json?.uploadUrl === 'string') {
      // A presigned PUT is a capability: neither it nor its signature may reach a log line.
      service.secrets.push(json.uploadUrl, new URL(json.uploadUrl).searchParams.get('X-Amz-Signature') ?? '');
    }
    return { ...answer, json };
  }
  return {
    creatorInfo: (sub: string, openId: string) => call(ROUTE.creatorInfo, { sub, params: { openId } }),
    createUpload: (sub: string, openId: string, body: unknown) =>
      call(ROUTE.upload, { sub, params: { openId }, body }),
    createPost: (sub: string, openId: string, body: unknown) =>
      call(ROUTE.createPost, { sub, params: { openId }, body }),
    listPosts: (sub: string, openId: string, query?: string) =>
      call(ROUTE.listPosts, { sub, params: { openId }, query }),
    getPost: (sub: string, openId: string, postId: string) =>
      call(ROUTE.getPost, { sub, params: { openId, postId } }),
    cancelPost: (sub: string, openId: string, postId: string) =>
      call(ROUTE.cancelPost, { sub, params: { openId, postId } }),
    /** Upload route, then the browser's PUT of `bytes` to the presigned URL. */
    async uploadVideo(
      sub: string,
      openId: string,
      bytes: Buffer,
      contentType = 'video/mp4',
    ): Promise<string> {
      const created = await call(ROUTE.upload, {
        sub,
        params: { openId },
        body: { size: bytes.length, contentType },
      });
      if (created.statusCode !== 201) throw new Error(`upload refused: ${created.body}`);
      const put = await fetch(created.json.uploadUrl, {
        method: 'PUT',
        headers: { 'content-type': contentType },
        body: new Uint8Array(bytes),
      });
      if (put.status !== 200) throw new Error(`PUT to S3 failed: ${put.status} ${await put.text()}`);
      return created.json.uploadId as string;
    },
  };
}

export function videoBytes(size: number): Buffer {
  return randomBytes(size);
}

const FINAL = ['published', 'inbox', 'failed', 'cancelled'];

/**
 * Runs the publisher as `POST /dev/posts/run` does (every due post started, every waiting one checked) until the
 * post is final; the post as the API shows it. Fails with the publisher's recent log lines when it never is.
 */
export async function publishUntilFinal(
  service: TestService,
  sub: string,
  openId: string,
  postId: string,
  runs = 40,
) {
  const api = postingDriver(service);
  for (let i = 0; i < runs; i++) {
    // As the publisher Lambda: its AWS calls checked against its role in the synthesized stack.
    await runPublisher(service.depsOf('PublisherFunction'), {
      deadline: Date.now() + 60_000,
      checkWaiting: true,
    });
    const post = (await api.getPost(sub, openId, postId)).json;
    if (FINAL.includes(post.status)) return post;
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  const post = (await api.getPost(sub, openId, postId)).json;
  const logs = service.logs.filter((line) => line.includes('publish') || line.includes('error')).slice(-8);
  throw new Error(`post never reached a final state: ${JSON.stringify(post)}\n${logs.join('\n')}`);
}

/** The emulator's publish task of a post (its bytes' SHA-256, the PUTs it received). */
export function tiktokTask(service: TestService, publishId: string) {
  const task = service.emulator.posting.tasks.get(publishId);
  if (!task) throw new Error(`TikTok has no task ${publishId}`);
  return task;
}
