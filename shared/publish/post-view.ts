import type { PostRecord } from '../store/post-store.js';

export type PostView = {
  postId: string;
  openId: string;
  status: PostRecord['status'];
  mode: PostRecord['mode'];
  uploadId: string;
  caption: string;
  privacyLevel: string;
  disableComment: boolean;
  disableDuet: boolean;
  disableStitch: boolean;
  brandContentToggle: boolean;
  brandOrganicToggle: boolean;
  publishAt: string;
  createdAt: string;
  updatedAt: string;
  failReason?: string;
  publishId?: string;
  tiktokPostId?: string;
  finishedAt?: string;
  upload?: { chunksSent: number; totalChunks: number };
};

const iso = (ms: number) => new Date(ms).toISOString();

/** What the API shows of a post: never the upload URL, the lease or the storage key. */
export function postView(post: PostRecord): PostView {
  return {
    postId: post.postId,
    openId: post.openId,
    status: post.status,
    mode: post.mode,
    uploadId: post.uploadId,
    caption: post.caption,
    privacyLevel: post.privacyLevel,
    disableComment: post.disableComment,
    disableDuet: post.disableDuet,
    disableStitch: post.disableStitch,
    brandContentToggle: post.brandContentToggle,
    brandOrganicToggle: post.brandOrganicToggle,
    publishAt: iso(post.publishAt),
    createdAt: iso(post.createdAt),
    updatedAt: iso(post.updatedAt),
    ...(post.failReason ? { failReason: post.failReason } : {}),
    ...(post.publishId ? { publishId: post.publishId } : {}),
    ...(post.tiktokPostId ? { tiktokPostId: post.tiktokPostId } : {}),
    ...(post.finishedAt ? { finishedAt: iso(post.finishedAt) } : {}),
    ...(post.totalChunks ? { upload: { chunksSent: post.nextChunk, totalChunks: post.totalChunks } } : {}),
  };
}
