import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';

export type RawAnswer = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

/** One HTTP request with exactly the Host header given (fetch would set its own). */
export function rawRequest(options: {
  address: string;
  port: number;
  path: string;
  method?: string;
  host: string;
  headers?: Record<string, string>;
}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.address,
        port: options.port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: { ...options.headers, host: options.host },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** This machine's first non-loopback IPv4 address (how another host on the network would reach it). */
export function networkAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

/** Whether a TCP connection to address:port is accepted. */
export function acceptsConnections(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.setTimeout(3000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
