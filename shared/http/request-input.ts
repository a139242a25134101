import * as v from 'valibot';
import { RequestError } from '../errors.js';
import { type HttpEvent, readHeader } from './api-event.js';

/** Checks one part of a request (path, query, body) against its schema; the first problem becomes a clear 400. */
export function parseRequestPart<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  part: 'path' | 'query' | 'body',
): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue ? v.getDotPath(issue) : null;
  const where = path ? `${part} ${path}` : part;
  throw new RequestError('invalid_request', `Invalid ${where}: ${issue?.message ?? 'not accepted'}`);
}

/**
 * A JSON request body, checked before it is parsed: `application/json` (415 otherwise), at most `maxBytes`
 * (413), well-formed (400).
 */
export function readJsonBody(event: HttpEvent, options: { maxBytes: number }): unknown {
  const mediaType = (readHeader(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new RequestError('unsupported_media_type', 'The body must be application/json', 415);
  }
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (Buffer.byteLength(raw) > options.maxBytes) {
    throw new RequestError('payload_too_large', `The body may be at most ${options.maxBytes} bytes`, 413);
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new RequestError('invalid_request', 'The body is not valid JSON');
  }
}
