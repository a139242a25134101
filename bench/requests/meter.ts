/**
 * What one flow costs, as flat named counters (`dynamodb:GetItem`, `tiktok:/v2/oauth/token/`, `kms:Decrypt`,
 * `logs:bytes`…). Every instrument of a container adds to one meter; a flow's figures are the difference of two
 * snapshots taken around it (flows run one at a time).
 */
export type Counts = Record<string, number>;

export class Meter {
  readonly #counts = new Map<string, number>();

  add(name: string, amount = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + amount);
  }

  snapshot(): Counts {
    return Object.fromEntries(this.#counts);
  }

  /** A log line as CloudWatch Logs ingests it: the line and its newline. */
  logLine(kind: 'logs' | 'metrics', line: string): void {
    this.add(`${kind}:lines`);
    this.add(`${kind}:bytes`, Buffer.byteLength(line) + 1);
  }
}

export function difference(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const [name, value] of Object.entries(after)) {
    const delta = value - (before[name] ?? 0);
    if (delta !== 0) out[name] = round(delta);
  }
  return out;
}

export function scaled(counts: Counts, divisor: number): Counts {
  return Object.fromEntries(Object.entries(counts).map(([name, value]) => [name, round(value / divisor)]));
}

/** The counters under one prefix, without it: `byPrefix(c, 'kms')` → `{ Decrypt: 1 }`. */
export function byPrefix(counts: Counts, prefix: string): Counts {
  return Object.fromEntries(
    Object.entries(counts)
      .filter(([name]) => name.startsWith(`${prefix}:`))
      .map(([name, value]) => [name.slice(prefix.length + 1), value]),
  );
}

export const get = (counts: Counts, name: string): number => counts[name] ?? 0;

/** Float noise from summing half read units. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
