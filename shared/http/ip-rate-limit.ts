import type { RouteSpec } from './route-table.js';

/**
 * The routes anyone can reach without a session, or that take part in the connect flow: every public route
 * (launch, callback, webhook) and everything under /auth/tiktok/ (start, confirm). They are limited per client
 * IP in the local server, and by route throttles in the stack (API Gateway has no per-IP limit: WAF in front of
 * CloudFront is the option for that, see SECURITY.md).
 */
export function isPerIpLimited(route: Pick<RouteSpec, 'auth' | 'path'>): boolean {
  return route.auth === 'none' || route.path.startsWith('/auth/tiktok/');
}

export type IpLimitDecision = { granted: true } | { granted: false; retryAfterSeconds: number };

const WINDOW_MS = 60_000;

/** A fixed one-minute window per key (client IP + route), in memory: one process, as the local server is. */
export class PerIpRateLimiter {
  readonly #limit: number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(limitPerMinute: number) {
    this.#limit = limitPerMinute;
  }

  take(key: string, now: number): IpLimitDecision {
    const start = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    if (this.#windows.size > 10_000) this.#prune(start);
    const window = this.#windows.get(key);
    const current = window && window.start === start ? window : { start, count: 0 };
    if (current.count >= this.#limit) {
      return { granted: false, retryAfterSeconds: Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000)) };
    }
    current.count++;
    this.#windows.set(key, current);
    return { granted: true };
  }

  #prune(currentStart: number): void {
    for (const [key, window] of this.#windows) if (window.start < currentStart) this.#windows.delete(key);
  }
}
