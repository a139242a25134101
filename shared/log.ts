/**
 * Structured JSON logs with redaction by construction: whatever a caller passes, fields whose names say
 * "secret" (tokens, codes, verifiers, cookies, authorization) and values shaped like TikTok tokens are
 * replaced before the line is written. `Redacted` values print `[redacted]` on their own.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogSink = (line: string) => void;

const SENSITIVE_KEY =
  /(token|secret|password|verifier|cookie|authorization|nonce|^code$|^state$|^ticket$|^launch$|^id_token$|credential|^key$|datakey)/i;
// TikTok token prefixes (act. rft. clt.) and JWT-shaped strings.
const SENSITIVE_VALUE =
  /\b(act|rft|clt)\.[A-Za-z0-9!._~-]{8,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
const REDACTED = '[redacted]';
const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function redactForLog(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[truncated]';
  if (typeof value === 'string') return value.replace(SENSITIVE_VALUE, REDACTED);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return errorForLog(value, depth);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return redactForLog((value as { toJSON: () => unknown }).toJSON(), depth + 1);
  }
  if (Array.isArray(value)) return value.map((item) => redactForLog(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      SENSITIVE_KEY.test(key) && inner !== undefined && inner !== null
        ? REDACTED
        : redactForLog(inner, depth + 1);
  }
  return out;
}

function errorForLog(error: Error, depth: number): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    name: error.name,
    message: redactForLog(error.message, depth + 1),
  };
  const withCode = error as Error & { code?: unknown; logFields?: Record<string, unknown> };
  if (typeof withCode.code === 'string') fields.errorCode = withCode.code;
  if (withCode.logFields) Object.assign(fields, redactForLog(withCode.logFields, depth + 1));
  if (error.cause !== undefined) fields.cause = redactForLog(error.cause, depth + 1);
  return fields;
}

/** `json`: one JSON object a line (CloudWatch Logs Insights reads it). `pretty`: one readable line (`npm start`). */
export type LogFormat = 'json' | 'pretty';

export class Logger {
  readonly #sink: LogSink;
  readonly #context: Record<string, unknown>;
  readonly #minLevel: number;
  readonly #format: LogFormat;

  constructor(
    options: { sink?: LogSink; context?: Record<string, unknown>; level?: LogLevel; format?: LogFormat } = {},
  ) {
    this.#sink = options.sink ?? ((line) => process.stdout.write(`${line}\n`));
    this.#context = options.context ?? {};
    this.#minLevel = LEVEL_ORDER[options.level ?? 'info'];
    this.#format = options.format ?? 'json';
  }

  child(context: Record<string, unknown>): Logger {
    return new Logger({
      sink: this.#sink,
      context: { ...this.#context, ...context },
      level: levelName(this.#minLevel),
      format: this.#format,
    });
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.#write('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.#write('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.#write('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.#write('error', message, fields);
  }

  #write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (LEVEL_ORDER[level] < this.#minLevel) return;
    const entry = redactForLog({
      level,
      time: new Date().toISOString(),
      message,
      ...this.#context,
      ...fields,
    });
    this.#sink(
      this.#format === 'pretty' ? prettyLine(entry as Record<string, unknown>) : JSON.stringify(entry),
    );
  }
}

/** The already-redacted entry as `12:03:04 WARN  message  key=value …` (the service name left out: it is one). */
export function prettyLine(entry: Record<string, unknown>): string {
  const { level, time, message, service: _service, ...fields } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 19) : '';
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(
      ([key, value]) => `${key}=${typeof value === 'string' ? quoteIfSpaced(value) : JSON.stringify(value)}`,
    );
  return [`${clock} ${String(level).toUpperCase().padEnd(5)} ${String(message)}`, ...pairs].join('  ');
}

function quoteIfSpaced(value: string): string {
  return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
}

function levelName(order: number): LogLevel {
  return (Object.entries(LEVEL_ORDER).find(([, value]) => value === order)?.[0] as LogLevel) ?? 'info';
}
