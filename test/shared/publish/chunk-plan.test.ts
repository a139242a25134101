import { describe, expect, it } from 'vitest';
import {
  checkChunkPlan,
  chunkAt,
  planChunks,
  TIKTOK_CHUNK_RULES,
} from '../../../shared/publish/chunk-plan.js';

const MB = 1_000_000;

describe('chunk plan (TikTok media transfer guide, decimal MB)', () => {
  it.each([
    [1, 1, 1],
    [5 * MB - 1, 5 * MB - 1, 1],
    [5 * MB, 5 * MB, 1],
    [64 * MB, 64 * MB, 1],
    [64 * MB + 1, 32 * MB, 2],
    [128 * MB - 1, 64 * MB - 1, 2],
    [128 * MB, 64 * MB, 2],
    [128 * MB + 1, 64 * MB, 2],
    [192 * MB - 1, 64 * MB, 2],
    [500 * MB, 64 * MB, 7],
    [4_000 * MB, 64 * MB, 62],
  ])('%i bytes → chunks of %i, %i of them', (size, chunkSize, count) => {
    const plan = planChunks(size);
    expect(plan).toEqual({ videoSize: size, chunkSize, totalChunkCount: count });
    expect(checkChunkPlan(plan)).toBeUndefined();
    expect(plan.totalChunkCount).toBe(Math.floor(size / plan.chunkSize));
    const last = chunkAt(plan, count - 1);
    expect(last.last).toBe(size - 1);
    expect(last.last - last.first + 1).toBeLessThanOrEqual(128 * MB);
  });

  it('covers every byte exactly once, in order', () => {
    const plan = planChunks(300 * MB + 7);
    let next = 0;
    for (let i = 0; i < plan.totalChunkCount; i++) {
      const chunk = chunkAt(plan, i);
      expect(chunk.first).toBe(next);
      next = chunk.last + 1;
    }
    expect(next).toBe(300 * MB + 7);
  });

  it('refuses over 4 GB and empty files', () => {
    expect(() => planChunks(4_000 * MB + 1)).toThrow(RangeError);
    expect(() => planChunks(0)).toThrow(RangeError);
  });

  it('names what breaks the rules in a hand-made plan', () => {
    expect(checkChunkPlan({ videoSize: 100 * MB, chunkSize: 100 * MB, totalChunkCount: 1 })).toMatch(
      /chunk_size over/,
    );
    expect(checkChunkPlan({ videoSize: 70 * MB, chunkSize: 4 * MB, totalChunkCount: 17 })).toMatch(/under/);
    expect(checkChunkPlan({ videoSize: 4 * MB, chunkSize: 1 * MB, totalChunkCount: 4 })).toMatch(
      /one whole chunk/,
    );
    expect(checkChunkPlan({ videoSize: 50 * MB, chunkSize: 10 * MB, totalChunkCount: 4 })).toMatch(/floor/);
    expect(
      checkChunkPlan({ videoSize: 50_000_123, chunkSize: 10_000_000, totalChunkCount: 5 }),
    ).toBeUndefined();
    expect(checkChunkPlan({ videoSize: 65 * MB, chunkSize: 64 * MB, totalChunkCount: 1 })).toMatch(
      /chunk_size over|split/,
    );
  });

  it('keeps within 1000 chunks with test-sized rules', () => {
    const rules = { ...TIKTOK_CHUNK_RULES, minChunkBytes: 1, maxChunkBytes: 10, maxFinalChunkBytes: 20 };
    expect(() => planChunks(20_000, rules)).toThrow(/no chunk plan/);
    expect(planChunks(9_000, rules)).toEqual({ videoSize: 9_000, chunkSize: 10, totalChunkCount: 900 });
  });
});
