import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** Small typed readers and writers for DynamoDB attribute values (the few shapes this table uses). */
export type Item = Record<string, AttributeValue>;

export const str = (value: string): AttributeValue => ({ S: value });
export const num = (value: number): AttributeValue => ({ N: String(value) });
export const bin = (value: Uint8Array): AttributeValue => ({ B: value });
export const strList = (values: readonly string[]): AttributeValue => ({ L: values.map(str) });

export function readStr(item: Item, name: string): string | undefined {
  const value = item[name];
  return value && 'S' in value ? value.S : undefined;
}

export function readNum(item: Item, name: string): number | undefined {
  const value = item[name];
  return value && 'N' in value && value.N !== undefined ? Number(value.N) : undefined;
}

export function readBin(item: Item, name: string): Uint8Array | undefined {
  const value = item[name];
  return value && 'B' in value ? value.B : undefined;
}

export function readStrList(item: Item, name: string): string[] {
  const value = item[name];
  if (!value || !('L' in value) || !value.L) return [];
  return value.L.flatMap((entry) => ('S' in entry && entry.S !== undefined ? [entry.S] : []));
}

export function requireStr(item: Item, name: string): string {
  const value = readStr(item, name);
  if (value === undefined) throw new Error(`stored item lacks ${name}`);
  return value;
}

export function requireNum(item: Item, name: string): number {
  const value = readNum(item, name);
  if (value === undefined) throw new Error(`stored item lacks ${name}`);
  return value;
}

export function requireBin(item: Item, name: string): Uint8Array {
  const value = readBin(item, name);
  if (value === undefined) throw new Error(`stored item lacks ${name}`);
  return value;
}
