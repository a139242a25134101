import { fork } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
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
 * The floor for an S3 → HTTP relay, in the publisher's layout: a child process (bench/publish/relay-floor.ts)
 * streams one GET of `url` into a PUT to a loopback server here that hashes the bytes as the TikTok emulator
 * does (SHA-256, checked against `sha256`) and discards them. Milliseconds of the copy alone.
 */
export async function relayToSink(url: string, size: number, sha256: string): Promise<number> {
  let received = 0;
  const hash = createHash('sha256');
  const sink = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => res.end());
  });
  await new Promise<void>((done) => sink.listen(0, '127.0.0.1', done));
  const { port } = sink.address() as AddressInfo;
  try {
    const relay = fork(
      resolve(import.meta.dirname, 'relay-floor.ts'),
      [url, `http://127.0.0.1:${port}/`, String(size)],
      { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const ms = await new Promise<number>((done, fail) => {
      relay.once('message', (message) => done((message as { ms: number }).ms));
      relay.once('exit', (code) => fail(new Error(`the floor relay exited (${code}) without a figure`)));
    });
    if (received !== size || hash.digest('hex') !== sha256)
      throw new Error(`the sink received ${received} of ${size} bytes, or other bytes`);
    return ms;
  } finally {
    sink.close();
  }
}
