import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../errors.js';
import type { DataKey, DataKeyProvider, DataKeyRef } from './data-keys.js';

type KeyFile = { current: string; keys: Record<string, string> };

/**
 * Local development keys: a JSON file (mode 0600) under `.data/` holding numbered 256-bit keys.
 * Created on first use; `rotateLocalKey` adds a version and keeps the old ones for decryption.
 */
export class LocalKeyFileProvider implements DataKeyProvider {
  readonly #path: string;
  #file: Promise<KeyFile> | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  async keyForEncrypt(): Promise<DataKey> {
    const file = await this.#load();
    return { ref: { keyVersion: `local:${file.current}` }, key: keyBytes(file, file.current) };
  }

  async keyForDecrypt(ref: DataKeyRef): Promise<Buffer> {
    const match = /^local:(.+)$/.exec(ref.keyVersion);
    if (!match?.[1]) throw new ConfigError(`key version ${ref.keyVersion} is not a local key`);
    return keyBytes(await this.#load(), match[1]);
  }

  #load(): Promise<KeyFile> {
    this.#file ??= loadOrCreate(this.#path);
    return this.#file;
  }
}

export async function rotateLocalKey(path: string): Promise<string> {
  const file = await loadOrCreate(path);
  const next = String(Math.max(...Object.keys(file.keys).map(Number)) + 1);
  const rotated: KeyFile = {
    current: next,
    keys: { ...file.keys, [next]: randomBytes(32).toString('base64') },
  };
  await writeFile(path, JSON.stringify(rotated, null, 2), { mode: 0o600 });
  return next;
}

async function loadOrCreate(path: string): Promise<KeyFile> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as KeyFile;
    if (typeof parsed.current !== 'string' || typeof parsed.keys !== 'object') throw new Error('bad shape');
    return parsed;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`token key file ${path} is unreadable: ${(error as Error).message}`);
    }
  }
  const created: KeyFile = { current: '1', keys: { '1': randomBytes(32).toString('base64') } };
  await mkdir(dirname(path), { recursive: true });
  // `wx`: if another process created it meanwhile, use theirs rather than overwrite a key in use.
  try {
    await writeFile(path, JSON.stringify(created, null, 2), { mode: 0o600, flag: 'wx' });
    return created;
  } catch {
    return JSON.parse(await readFile(path, 'utf8')) as KeyFile;
  }
}

function keyBytes(file: KeyFile, version: string): Buffer {
  const encoded = file.keys[version];
  if (!encoded) throw new ConfigError(`token key version ${version} is not in the local key file`);
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new ConfigError(`token key version ${version} is not 256 bits`);
  return key;
}
