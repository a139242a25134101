import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';

/** Where `npm start` listens unless HOST says otherwise: this machine only. */
export const DEFAULT_LOCAL_HOST = '127.0.0.1';

/** 127.0.0.0/8, ::1, and IPv4 loopback seen through an IPv6 socket (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return address === '::1';
}

/** A Host header naming this machine by a loopback name (`localhost`, `*.localhost`, 127.x, [::1]), any port. */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  let hostname: string;
  try {
    const url = new URL(`http://${hostHeader}`);
    // A Host header is a host and an optional port, nothing more.
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return false;
    hostname = url.hostname.toLowerCase();
  } catch {
    return false;
  }
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (hostname === '[::1]') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}

/**
 * The /dev routes mint JWTs for any user: only a request from this machine, addressed to it by a loopback
 * name, may use them. The Host check stops DNS rebinding (a web page whose name resolves to 127.0.0.1 reaches
 * the server from the user's own browser, but its requests carry the page's host name).
 */
export function isLocalDevRequest(request: IncomingMessage): boolean {
  return isLoopbackAddress(request.socket.remoteAddress) && isLoopbackHost(request.headers.host);
}
