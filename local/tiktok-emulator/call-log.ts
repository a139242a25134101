import type { ApiEndpoint } from './api-endpoints.js';
import type { FaultKind } from './fault-queue.js';

export type CallEndpoint = ApiEndpoint | 'authorize' | 'authorize_decision';

/** What a test needs to assert on TikTok traffic; tokens are deliberately not recorded. */
export type CallRecord = {
  endpoint: CallEndpoint;
  /** Epoch milliseconds. */
  at: number;
  /** HTTP status sent; 0 when no status line was ever written ('hang'). */
  status: number;
  /** The log_id the answer carried (x-tt-logid, and in the body where TikTok puts it). */
  logId?: string;
  /** OAuth `error` or Display API `error.code` (absent on success). */
  errorCode?: string;
  openId?: string;
  grantType?: string;
  fault?: FaultKind;
};

export class CallLog {
  readonly #records: CallRecord[] = [];

  record(call: CallRecord): void {
    this.#records.push(call);
  }

  count(endpoint?: CallEndpoint): number {
    return this.list(endpoint).length;
  }

  list(endpoint?: CallEndpoint): CallRecord[] {
    return this.#records
      .filter((call) => endpoint === undefined || call.endpoint === endpoint)
      .map((c) => ({ ...c }));
  }

  reset(): void {
    this.#records.length = 0;
  }
}
