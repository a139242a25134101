import { randomBytes } from 'node:crypto';

/** Shaped like TikTok's: UTC yyyyMMddHHmmss + 20 upper-case hex digits, e.g. 20220829194722CBE87ED59D524E727021. */
export function createLogId(now = new Date()): string {
  const timestamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return timestamp + randomBytes(10).toString('hex').toUpperCase();
}
