/** What `bench/requests.ts` writes to bench/results/requests.json, and `bench/cost.ts` reads. */
import type { Counts } from './meter.js';

export type FlowResult = {
  id: string;
  label: string;
  functionName: string;
  units: number;
  /** The first run in a fresh container. */
  cold: Counts;
  /** The second run in the same container. */
  warm: Counts;
  coldMs: number;
  /** Median handler time of the warm runs. */
  warmMs: number;
  warmSamplesMs: number[];
  /** Counters of later warm runs that differed from the second run's (e.g. a rate-budget minute rolled over). */
  warmVariations: string[];
};

export type ItemSizes = Record<string, { items: number; meanBytes: number }>;

export type Check = { name: string; pass: boolean; detail: string };

export type RequestsReport = {
  generatedAt: string;
  node: string;
  cacheSeconds: number;
  flows: FlowResult[];
  itemSizes: ItemSizes;
  /** CloudWatch metrics the flows emitted (namespace|dimensions|name); failures would add more. */
  emfMetrics: string[];
  checks: Check[];
  notes: string[];
};
