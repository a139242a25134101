import { createHmac, timingSafeEqual } from 'node:crypto';

/** TikTok retries for up to 72 h, but each delivery is signed anew; a signature older than this is refused. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/**
 * `TikTok-Signature: t=<unix seconds>,s=<hex>` where s = HMAC-SHA256(client_secret, "<t>.<raw body>")
 * (tiktok-api.md §12). Compared in constant time; a timestamp outside the tolerance is refused (replay).
 */
export function verifyWebhookSignature(input: {
  header: string | undefined;
  rawBody: string;
  clientSecret: string;
  nowSeconds: number;
}): SignatureCheck {
  if (!input.header) return { ok: false, reason: 'missing' };
  const parts = new Map<string, string>();
  for (const part of input.header.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const t = parts.get('t');
  const s = parts.get('s');
  if (!t || !/^\d{1,12}$/.test(t) || !s || !/^[0-9a-fA-F]{64}$/.test(s))
    return { ok: false, reason: 'malformed' };
  const timestamp = Number(t);
  if (Math.abs(input.nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS)
    return { ok: false, reason: 'stale' };
  const expected = createHmac('sha256', input.clientSecret).update(`${t}.${input.rawBody}`).digest();
  const given = Buffer.from(s, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? { ok: true, timestamp }
    : { ok: false, reason: 'mismatch' };
}

export function signWebhook(clientSecret: string, rawBody: string, timestamp: number): string {
  const signature = createHmac('sha256', clientSecret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},s=${signature}`;
}
