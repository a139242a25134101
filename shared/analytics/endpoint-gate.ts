import { setTimeout as sleep } from 'node:timers/promises';
import type { DisplayEndpoint } from '../display/tiktok-read.js';
import { AppError } from '../errors.js';

export type GateOutcome<T> = { ok: true; value: T } | { ok: false; reason: 'blocked' };

/**
 * One pass's view of each TikTok endpoint. Calls are spaced out when the pass plans more than a minute's share
 * (so snapshots never take the frontend's half in a burst); a refusal of our own budget is waited out while the
 * pass has time; a 429 from TikTok closes the endpoint for the rest of the pass (what was not read stays due and
 * the next pass resumes it).
 */
export class EndpointGate {
  readonly #spacingMs: Record<DisplayEndpoint, number>;
  readonly #nextSlot: Record<DisplayEndpoint, number> = { user_info: 0, video_list: 0, video_query: 0 };
  readonly #closed = new Map<DisplayEndpoint, string>();
  readonly #deadline: number;
  readonly #now: () => number;
  readonly calls: Record<DisplayEndpoint, number> = { user_info: 0, video_list: 0, video_query: 0 };
  rateLimited = 0;
  /**
   * Per endpoint, the instant TikTok's 429 asked us to stay away until (its `Retry-After`, else a minute): work this
   * pass leaves undone on that endpoint is not due again before it, so the next pass does not ask TikTok early.
   */
  readonly reopensAt: Record<DisplayEndpoint, number> = { user_info: 0, video_list: 0, video_query: 0 };

  constructor(input: {
    perMinuteShare: number;
    expectedCalls: Record<DisplayEndpoint, number>;
    deadline: number;
    now: () => number;
  }) {
    const spacing = (calls: number) => (calls > input.perMinuteShare ? 60_000 / input.perMinuteShare : 0);
    this.#spacingMs = {
      user_info: spacing(input.expectedCalls.user_info),
      video_list: spacing(input.expectedCalls.video_list),
      video_query: spacing(input.expectedCalls.video_query),
    };
    this.#deadline = input.deadline;
    this.#now = input.now;
  }

  isClosed(endpoint: DisplayEndpoint): boolean {
    return this.#closed.has(endpoint);
  }

  closedEndpoints(): Record<string, string> {
    return Object.fromEntries(this.#closed);
  }

  async run<T>(endpoint: DisplayEndpoint, call: () => Promise<T>): Promise<GateOutcome<T>> {
    for (;;) {
      if (this.#closed.has(endpoint)) return { ok: false, reason: 'blocked' };
      await this.#waitForSlot(endpoint);
      try {
        this.calls[endpoint]++;
        return { ok: true, value: await call() };
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (error.code === 'tiktok_rate_limited') {
          this.rateLimited++;
          this.#closed.set(endpoint, 'tiktok_rate_limited');
          this.reopensAt[endpoint] = Math.max(
            this.reopensAt[endpoint],
            this.#now() + (error.retryAfterSeconds ?? 60) * 1000,
          );
          continue;
        }
        if (error.code !== 'rate_budget_exhausted') throw error;
        // Our own budget said no before TikTok was asked: that call was not made.
        this.calls[endpoint]--;
        const waitMs = (error.retryAfterSeconds ?? 60) * 1000;
        if (this.#now() + waitMs >= this.#deadline) {
          this.#closed.set(endpoint, 'rate_budget_exhausted');
          continue;
        }
        await sleep(waitMs);
      }
    }
  }

  async #waitForSlot(endpoint: DisplayEndpoint): Promise<void> {
    const spacing = this.#spacingMs[endpoint];
    if (spacing === 0) return;
    const now = Date.now();
    const slot = Math.max(now, this.#nextSlot[endpoint]);
    this.#nextSlot[endpoint] = slot + spacing;
    if (slot > now) await sleep(slot - now);
  }
}
