import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';

const BLOCK_BYTES = 8_000_000;

/** Writes `size` random bytes (one random block repeated) and returns their SHA-256, to check what TikTok got. */
export async function writeRandomFile(path: string, size: number): Promise<string> {
  const block = randomFillSync(Buffer.alloc(Math.min(size, BLOCK_BYTES)));
  const hash = createHash('sha256');
  await pipeline(
    (async function* () {
      for (let written = 0; written < size; written += block.length) {
        const part = block.subarray(0, Math.min(block.length, size - written));
        hash.update(part);
        yield part;
      }
    })(),
    createWriteStream(path),
  );
  if (statSync(path).size !== size) throw new Error(`short write of ${path}`);
  return hash.digest('hex');
}

/**
 * The floor for an S3 → HTTP relay: one streamed GET of `url` piped into a PUT to a loopback server that counts
 * and discards the bytes (no ranges, no chunk bookkeeping, no hashing on the receiving side).
 */
export async function streamToSink(url: string, size: number): Promise<void> {
  let received = 0;
  const sink = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    req.on('end', () => res.end());
  });
  await new Promise<void>((done) => sink.listen(0, '127.0.0.1', done));
  const { port } = sink.address() as AddressInfo;
  try {
    const source = await fetch(url);
    if (!source.ok || !source.body) throw new Error(`floor GET answered ${source.status}`);
    const put = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'PUT',
      body: source.body,
      headers: { 'content-length': String(size) },
      duplex: 'half',
    } as RequestInit);
    await put.arrayBuffer();
    if (received !== size) throw new Error(`the sink received ${received} of ${size} bytes`);
  } finally {
    sink.close();
  }
}
