import { createServer } from 'node:net';

/** A port P with P + 1 free too (the local stack's emulator takes PORT + 1, as `npm start` uses 3001 and 3002). */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const candidate = await listenOnce(0);
    if ((await listenOnce(candidate + 1).catch(() => 0)) === candidate + 1) return candidate;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolvePort(bound));
    });
  });
}
