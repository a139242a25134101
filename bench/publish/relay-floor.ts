/**
 * The floor's relay, in a process of its own as the service is: one GET of the whole object (node:http, as the
 * AWS SDK reads it) piped into one PUT to the sink the parent runs. No ranges, no chunk bookkeeping, no DynamoDB.
 * Argv: source URL, sink URL, byte count. Sends the parent `{ ms }` (the copy alone, not the process start).
 */
import { request } from 'node:http';

const [source = '', sink = '', size = '0'] = process.argv.slice(2);
if (!process.send) throw new Error('run by bench/publish/bench-files.ts (needs an IPC channel)');

const started = performance.now();
await new Promise<void>((done, fail) => {
  request(source, (got) => {
    if (got.statusCode !== 200) return fail(new Error(`floor GET answered ${got.statusCode}`));
    const put = request(sink, { method: 'PUT', headers: { 'content-length': size } }, (answer) => {
      answer.resume();
      answer.on('end', () =>
        answer.statusCode === 200 ? done() : fail(new Error(`sink answered ${answer.statusCode}`)),
      );
    });
    put.on('error', fail);
    got.on('error', fail).pipe(put);
  })
    .on('error', fail)
    .end();
});
process.send({ ms: performance.now() - started }, () => process.exit(0));
