import { inspect } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import { SecretsManagerClientSecret } from '../../../shared/secrets/secrets-manager-client-secret.js';

// Secrets Manager cannot run here: the client is mocked at the SDK boundary (what GetSecretValue returns).
const secretsManager = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tiktok-client-secret-AbCdEf';

beforeEach(() => {
  secretsManager.reset();
});

function sourceWith(options: { cacheSeconds?: number; now?: () => number } = {}) {
  return new SecretsManagerClientSecret({
    client: new SecretsManagerClient({ region: 'us-east-1' }),
    secretId: SECRET_ARN,
    cacheSeconds: options.cacheSeconds ?? 300,
    ...(options.now ? { now: options.now } : {}),
  });
}

const reads = () => secretsManager.commandCalls(GetSecretValueCommand).length;

describe('SecretsManagerClientSecret', () => {
  it('reads the secret once and serves it from the cache afterwards', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'secret-one' });
    const source = sourceWith();
    expect((await source.get()).reveal()).toBe('secret-one');
    expect((await source.get()).reveal()).toBe('secret-one');
    expect(reads()).toBe(1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
    });
  });

  it('lets concurrent callers share one read', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    secretsManager.on(GetSecretValueCommand).callsFake(async () => {
      await gate;
      return { SecretString: 'shared-secret' };
    });
    const source = sourceWith();
    const pending = Promise.all([source.get(), source.get(), source.get({ forceRefresh: true })]);
    release();
    const values = await pending;
    expect(values.map((v) => v.reveal())).toEqual(['shared-secret', 'shared-secret', 'shared-secret']);
    expect(reads()).toBe(1);
  });

  it('reads again once the cache time has passed, picking up a rotation', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'before-rotation' })
      .resolves({ SecretString: 'after-rotation' });
    let now = 1_000_000;
    const source = sourceWith({ cacheSeconds: 60, now: () => now });
    expect((await source.get()).reveal()).toBe('before-rotation');
    now += 59_999;
    expect((await source.get()).reveal()).toBe('before-rotation');
    expect(reads()).toBe(1);
    now += 1;
    expect((await source.get()).reveal()).toBe('after-rotation');
    expect(reads()).toBe(2);
  });

  it('re-reads at once on forceRefresh (TikTok said invalid_client: the secret may have rotated)', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'old-secret' })
      .resolves({ SecretString: 'new-secret' });
    const source = sourceWith();
    expect((await source.get()).reveal()).toBe('old-secret');
    expect((await source.get({ forceRefresh: true })).reveal()).toBe('new-secret');
    expect((await source.get()).reveal()).toBe('new-secret');
    expect(reads()).toBe(2);
  });

  it('forces at most one re-read per 30 seconds (forged webhook signatures cannot drive GetSecretValue)', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'the-secret' });
    let now = 1_000_000;
    const source = sourceWith({ now: () => now });
    await source.get();
    await source.get({ forceRefresh: true });
    for (let i = 0; i < 20; i++) await source.get({ forceRefresh: true });
    expect(reads()).toBe(2);
    now += 30_000;
    await source.get({ forceRefresh: true });
    expect(reads()).toBe(3);
  });

  it('accepts the JSON form {"client_secret": "..."} as the console stores key/value secrets', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: '{"client_secret":"json-held-secret","note":"x"}' });
    expect((await sourceWith().get()).reveal()).toBe('json-held-secret');
  });

  it('trims whitespace around a plain secret', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '  padded-secret\n' });
    expect((await sourceWith().get()).reveal()).toBe('padded-secret');
  });

  it.each([
    ['the SET-ME placeholder the stack creates', 'SET-ME-in-the-console'],
    ['an empty string', ''],
    ['only whitespace', '   '],
    ['JSON without client_secret', '{"clientSecret":"wrong-key"}'],
    ['JSON holding the placeholder', '{"client_secret":"SET-ME"}'],
    ['broken JSON', '{"client_secret":'],
  ])('refuses %s with a ConfigError that points to the README', async (_label, value) => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: value });
    const error = await sourceWith()
      .get()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('config_invalid');
    expect((error as ConfigError).message).toMatch(/README/);
    if (value.trim()) expect((error as ConfigError).message).not.toContain(value.trim());
  });

  it('refuses a secret with no SecretString (e.g. a binary secret)', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    await expect(sourceWith().get()).rejects.toBeInstanceOf(ConfigError);
  });

  it('does not cache a failed read: the next call tries again', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: 'second-try' });
    const source = sourceWith();
    await expect(source.get()).rejects.toThrow('throttled');
    expect((await source.get()).reveal()).toBe('second-try');
    expect(reads()).toBe(2);
  });

  it('returns a value that prints [redacted] in String, JSON and util.inspect', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'do-not-print-me' });
    const value = await sourceWith().get();
    expect(String(value)).toBe('[redacted]');
    expect(`${value}`).toBe('[redacted]');
    expect(JSON.stringify({ value })).toBe('{"value":"[redacted]"}');
    expect(inspect(value)).toBe('[redacted]');
    expect(inspect({ nested: { value } }, { depth: 5 })).not.toContain('do-not-print-me');
    expect(value.reveal()).toBe('do-not-print-me');
  });
});
