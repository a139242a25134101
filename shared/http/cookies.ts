/**
 * The browser-binding cookie. HttpOnly and SameSite=Lax: it rides along on TikTok's top-level redirect back to
 * the callback but not on cross-site subrequests. Over https it is `Secure` with the `__Host-` prefix, which pins
 * it to this exact host (no Domain, Path=/), so a sibling subdomain cannot plant one.
 */
export function nonceCookieName(secure: boolean): string {
  return secure ? '__Host-tiktok_connect_nonce' : 'tiktok_connect_nonce';
}

export function nonceCookie(value: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  const parts = [
    `${nonceCookieName(options.secure)}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${options.maxAgeSeconds}`,
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

export function clearedNonceCookie(options: { secure: boolean }): string {
  return nonceCookie('', { secure: options.secure, maxAgeSeconds: 0 });
}
