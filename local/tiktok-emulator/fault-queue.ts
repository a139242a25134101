import { API_ENDPOINTS, type ApiEndpoint, isOAuthEndpoint } from './api-endpoints.js';

export const FAULT_KINDS = [
  'http_500',
  'http_503',
  'rate_limit',
  'error_200',
  'invalid_grant',
  'invalid_client',
  'server_error',
  'temporarily_unavailable',
  'access_token_invalid',
  'slow',
  'hang',
  'close',
  'rotate_then_fail',
  'answer_lost',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultEndpoint = ApiEndpoint | 'any';

export type FaultInput = {
  endpoint: FaultEndpoint;
  kind: FaultKind;
  /** How many matching calls it breaks; default 1. */
  count?: number;
  /** Wait before the fault acts ('slow': before answering normally). Default 0. */
  delayMs?: number;
  /** 'error_200' only: the error code in the body (default invalid_client / internal_error). */
  errorCode?: string;
  /** 'rate_limit' and 'http_503': the Retry-After header TikTok sends with the answer (none by default). */
  retryAfterSeconds?: number;
};

export type QueuedFault = {
  endpoint: FaultEndpoint;
  kind: FaultKind;
  remaining: number;
  delayMs: number;
  errorCode?: string;
  retryAfterSeconds?: number;
};

/** One use of a fault, handed to the request that consumed it. */
export type FaultHit = Pick<QueuedFault, 'kind' | 'delayMs' | 'errorCode' | 'retryAfterSeconds'>;

const OAUTH_ONLY: readonly FaultKind[] = [
  'invalid_grant',
  'invalid_client',
  'server_error',
  'temporarily_unavailable',
];

export function faultApplies(kind: FaultKind, endpoint: ApiEndpoint): boolean {
  if (kind === 'rotate_then_fail') return endpoint === 'refresh';
  // TikTok did the work (a chunk stored, a task created) but the answer never arrived.
  if (kind === 'answer_lost') return !isOAuthEndpoint(endpoint);
  if (kind === 'access_token_invalid') return !isOAuthEndpoint(endpoint);
  if (OAUTH_ONLY.includes(kind)) return isOAuthEndpoint(endpoint);
  return true;
}

/** Faults are consumed in the order they were pushed; 'any' matches every endpoint the kind makes sense for. */
export class FaultQueue {
  readonly #queue: QueuedFault[] = [];

  push(input: FaultInput): void {
    this.#queue.push(validateFault(input));
  }

  clear(): void {
    this.#queue.length = 0;
  }

  list(): QueuedFault[] {
    return this.#queue.map((fault) => ({ ...fault }));
  }

  take(endpoint: ApiEndpoint): FaultHit | undefined {
    const index = this.#queue.findIndex(
      (fault) =>
        (fault.endpoint === 'any' || fault.endpoint === endpoint) && faultApplies(fault.kind, endpoint),
    );
    const fault = this.#queue[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#queue.splice(index, 1);
    const hit: FaultHit = { kind: fault.kind, delayMs: fault.delayMs };
    if (fault.errorCode !== undefined) hit.errorCode = fault.errorCode;
    if (fault.retryAfterSeconds !== undefined) hit.retryAfterSeconds = fault.retryAfterSeconds;
    return hit;
  }
}

function validateFault(input: FaultInput): QueuedFault {
  const { endpoint, kind, count = 1, delayMs = 0, errorCode, retryAfterSeconds } = input;
  if (endpoint !== 'any' && !(API_ENDPOINTS as readonly string[]).includes(endpoint)) {
    throw new TypeError(
      `unknown fault endpoint ${String(endpoint)}; use one of ${API_ENDPOINTS.join(', ')}, any`,
    );
  }
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new TypeError(`unknown fault kind ${String(kind)}; use one of ${FAULT_KINDS.join(', ')}`);
  }
  if (endpoint !== 'any' && !faultApplies(kind, endpoint)) {
    throw new TypeError(`fault ${kind} cannot happen on ${endpoint}`);
  }
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`fault count must be a positive integer`);
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`fault delayMs must be >= 0`);
  if (errorCode !== undefined && typeof errorCode !== 'string')
    throw new TypeError('fault errorCode must be a string');
  if (retryAfterSeconds !== undefined && (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0))
    throw new RangeError('fault retryAfterSeconds must be a non-negative integer');
  const fault: QueuedFault = { endpoint, kind, remaining: count, delayMs };
  if (errorCode !== undefined) fault.errorCode = errorCode;
  if (retryAfterSeconds !== undefined) fault.retryAfterSeconds = retryAfterSeconds;
  return fault;
}
