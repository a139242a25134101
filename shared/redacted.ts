import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value (token, code, verifier, client secret) that cannot leak by accident:
 * string conversion, JSON and util.inspect all print `[redacted]`. Call `reveal()` where the value must be used.
 */
export class Redacted<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export function redact<T>(value: T): Redacted<T> {
  return new Redacted(value);
}
