/**
 * TikTok's FILE_UPLOAD chunk rules (Content Posting API media transfer guide; MB are decimal):
 * every chunk 5–64 MB except the last, which absorbs the trailing bytes and may reach 128 MB; a video under 5 MB
 * goes as one chunk of its whole size; a video over 64 MB must be split; 1–1000 chunks;
 * `total_chunk_count = floor(video_size / chunk_size)`.
 */
export type ChunkRules = {
  minChunkBytes: number;
  maxChunkBytes: number;
  maxFinalChunkBytes: number;
  maxChunks: number;
  maxVideoBytes: number;
};

export const TIKTOK_CHUNK_RULES: ChunkRules = {
  minChunkBytes: 5_000_000,
  maxChunkBytes: 64_000_000,
  maxFinalChunkBytes: 128_000_000,
  maxChunks: 1000,
  maxVideoBytes: 4_000_000_000,
};

export type Chunk = { index: number; first: number; last: number };

export type ChunkPlan = { videoSize: number; chunkSize: number; totalChunkCount: number };

/**
 * The largest allowed chunks (fewest PUTs): one chunk up to the maximum chunk size, else the maximum chunk size,
 * or half the video when that is smaller (a video just over 64 MB still needs two chunks).
 */
export function planChunks(videoSize: number, rules: ChunkRules = TIKTOK_CHUNK_RULES): ChunkPlan {
  if (!Number.isSafeInteger(videoSize) || videoSize < 1) throw new RangeError('video size must be >= 1 byte');
  if (videoSize > rules.maxVideoBytes) throw new RangeError(`video size over ${rules.maxVideoBytes} bytes`);
  if (videoSize <= rules.maxChunkBytes) return { videoSize, chunkSize: videoSize, totalChunkCount: 1 };
  let chunkSize = Math.min(rules.maxChunkBytes, Math.floor(videoSize / 2));
  // Only reachable with test-sized rules: more chunks than allowed means larger chunks.
  if (Math.floor(videoSize / chunkSize) > rules.maxChunks) chunkSize = Math.ceil(videoSize / rules.maxChunks);
  const plan = { videoSize, chunkSize, totalChunkCount: Math.floor(videoSize / chunkSize) };
  const problem = checkChunkPlan(plan, rules);
  if (problem) throw new RangeError(`no chunk plan for ${videoSize} bytes: ${problem}`);
  return plan;
}

/** Why a (video_size, chunk_size, total_chunk_count) triple breaks TikTok's rules; undefined when it keeps them. */
export function checkChunkPlan(plan: ChunkPlan, rules: ChunkRules = TIKTOK_CHUNK_RULES): string | undefined {
  const { videoSize, chunkSize, totalChunkCount } = plan;
  for (const [name, value] of Object.entries(plan)) {
    if (!Number.isSafeInteger(value) || value < 1) return `${name} must be a positive integer`;
  }
  if (videoSize > rules.maxVideoBytes) return `video_size over ${rules.maxVideoBytes}`;
  if (chunkSize > videoSize) return 'chunk_size larger than video_size';
  if (totalChunkCount !== Math.floor(videoSize / chunkSize))
    return 'total_chunk_count must be floor(video_size / chunk_size)';
  if (totalChunkCount > rules.maxChunks) return `more than ${rules.maxChunks} chunks`;
  if (videoSize < rules.minChunkBytes) {
    return chunkSize === videoSize
      ? undefined
      : 'a video under the minimum chunk size goes as one whole chunk';
  }
  if (chunkSize < rules.minChunkBytes) return `chunk_size under ${rules.minChunkBytes}`;
  if (chunkSize > rules.maxChunkBytes) return `chunk_size over ${rules.maxChunkBytes}`;
  if (videoSize > rules.maxChunkBytes && totalChunkCount < 2)
    return `a video over ${rules.maxChunkBytes} bytes must be split into chunks`;
  const finalChunk = videoSize - (totalChunkCount - 1) * chunkSize;
  if (totalChunkCount > 1 && finalChunk > rules.maxFinalChunkBytes)
    return `final chunk over ${rules.maxFinalChunkBytes}`;
  return undefined;
}

/** Chunk `index` of a plan: full chunks, the last one running to the end of the video. */
export function chunkAt(plan: ChunkPlan, index: number): Chunk {
  const first = index * plan.chunkSize;
  const last = index === plan.totalChunkCount - 1 ? plan.videoSize - 1 : first + plan.chunkSize - 1;
  return { index, first, last };
}
