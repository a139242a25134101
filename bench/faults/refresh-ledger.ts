import type { ConnectionKey } from '../../shared/store/connection-store.js';
import type { FetchLike } from '../../shared/tiktok/tiktok-http.js';

/** One refresh-grant call as the service's HTTP client saw it, attributed to a connection by the token it sent. */
export type RefreshCall = {
  connection: string | undefined;
  /** TikTok sent new tokens back. */
  outcome: 'rotated' | 'no_answer' | 'error';
  httpStatus: number | undefined;
  errorCode: string | undefined;
  /** The token sent had already been rotated by a call whose answer this process received. */
  spentBefore: boolean;
};

/** Why TikTok said invalid_grant for a connection. */
export type InvalidGrantCause =
  /** The scenario made TikTok say it (error_200 invalid_grant): the grant is gone as far as we can know. */
  | 'injected'
  /** TikTok had rotated the token in a call whose answer never reached a live refresher (lost in transit or
   * with the process that held it): the protocol cannot recover this. */
  | 'answer_lost'
  /** TikTok's answer did reach the service, which then presented the old token again: the service's fault. */
  | 'answer_dropped';

export const connectionId = (key: ConnectionKey) => `${key.appUser}#${key.openId}`;

/**
 * Watches the service's refresh-grant traffic through its `fetch` override: which connection each call was for
 * (by the refresh token sent), what TikTok answered, and which refresh token each connection should hold now.
 * Tokens stay in this process's memory only; nothing is printed.
 */
export class RefreshLedger {
  readonly calls: RefreshCall[] = [];
  readonly #ownerOfToken = new Map<string, string>();
  readonly #latest = new Map<string, string>();
  readonly #rotatedTokens = new Set<string>();

  /** A refresh token TikTok issued outside a refresh (connect, reconnect). */
  register(key: ConnectionKey, refreshToken: string): void {
    const id = connectionId(key);
    this.#ownerOfToken.set(refreshToken, id);
    this.#latest.set(id, refreshToken);
  }

  /** The newest refresh token this process saw TikTok issue for the connection (older ones are dead). */
  latestRefreshToken(key: ConnectionKey): string | undefined {
    return this.#latest.get(connectionId(key));
  }

  wrap(inner: FetchLike = fetch): FetchLike {
    return async (input, init) => {
      const body = typeof init?.body === 'string' ? new URLSearchParams(init.body) : undefined;
      if (body?.get('grant_type') !== 'refresh_token') return inner(input, init);
      const presented = body.get('refresh_token') ?? '';
      const connection = this.#ownerOfToken.get(presented);
      const call: RefreshCall = {
        connection,
        outcome: 'no_answer',
        httpStatus: undefined,
        errorCode: undefined,
        spentBefore: this.#rotatedTokens.has(presented),
      };
      this.calls.push(call);
      const response = await inner(input, init);
      call.httpStatus = response.status;
      let answer: unknown;
      try {
        answer = JSON.parse(await response.clone().text());
      } catch {
        return response; // cut mid-body or not JSON: no tokens reached us
      }
      const fields = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : {};
      if (typeof fields.refresh_token === 'string' && typeof fields.access_token === 'string') {
        call.outcome = 'rotated';
        this.#rotatedTokens.add(presented);
        if (connection !== undefined) {
          this.#ownerOfToken.set(fields.refresh_token, connection);
          this.#latest.set(connection, fields.refresh_token);
        }
      } else {
        call.outcome = 'error';
        call.errorCode = typeof fields.error === 'string' ? fields.error : undefined;
      }
      return response;
    };
  }

  callsFor(key: ConnectionKey): RefreshCall[] {
    const id = connectionId(key);
    return this.calls.filter((call) => call.connection === id);
  }

  /** Undefined if TikTok never said invalid_grant for this connection. */
  invalidGrantCause(key: ConnectionKey): InvalidGrantCause | undefined {
    const said = this.callsFor(key).filter((call) => call.errorCode === 'invalid_grant');
    if (said.length === 0) return undefined;
    // TikTok's own invalid_grant comes with HTTP 400; the emulator's error_200 fault sends it with 200.
    if (said.some((call) => call.httpStatus === 200)) return 'injected';
    return said.some((call) => call.spentBefore) ? 'answer_dropped' : 'answer_lost';
  }

  /**
   * Refresh calls that should not have happened: a token presented again after its rotation was received, or
   * more than `needed` rotations for one connection.
   */
  duplicates(needed = 1): number {
    let count = this.calls.filter((call) => call.spentBefore).length;
    const rotations = new Map<string, number>();
    for (const call of this.calls) {
      if (call.outcome !== 'rotated' || call.connection === undefined) continue;
      rotations.set(call.connection, (rotations.get(call.connection) ?? 0) + 1);
    }
    for (const n of rotations.values()) count += Math.max(0, n - needed);
    return count;
  }
}
