import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config.js';
import { LocalKeyFileProvider, rotateLocalKey } from '../../../shared/crypto/local-key-file.js';
import { createDeps } from '../../../shared/deps.js';
import { resealAllTokens } from '../../../shared/lifecycle/reseal-tokens.js';
import { Logger } from '../../../shared/log.js';
import { connectAccount } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ tokenKeys: 'key-file' });
});
afterAll(async () => {
  await service.close();
});

describe('resealing tokens after a key rotation', () => {
  it('seals every connection again with the new key version; the tokens stay the same; a second run does nothing', async () => {
    const keys = [
      { appUser: 'reseal-a', openId: await connectAccount(service, 'reseal-a', 0) },
      { appUser: 'reseal-b', openId: await connectAccount(service, 'reseal-b', 1) },
    ];
    const before = await Promise.all(
      keys.map(async (k) =>
        (
          await service.deps.connections.openTokens(
            (await service.deps.connections.get(k.appUser, k.openId))!,
          )
        ).accessToken.reveal(),
      ),
    );
    await rotateLocalKey(service.env.TOKEN_KEY_FILE as string);
    const dataKeys = new LocalKeyFileProvider(service.env.TOKEN_KEY_FILE as string);
    const rotated = createDeps(loadConfig(service.env), {
      dataKeys,
      logger: new Logger({ sink: () => undefined }),
    });

    const report = await resealAllTokens(rotated, { currentKeyVersion: 'local:2' });
    expect(report).toMatchObject({ resealed: 2, failed: 0 });
    for (const [i, k] of keys.entries()) {
      const record = (await rotated.connections.get(k.appUser, k.openId))!;
      expect(record.sealedTokens?.keyRef.keyVersion).toBe('local:2');
      expect((await rotated.connections.openTokens(record)).accessToken.reveal()).toBe(before[i]);
      expect(record.status).toBe('active');
    }
    expect(await resealAllTokens(rotated, { currentKeyVersion: 'local:2' })).toMatchObject({
      resealed: 0,
      alreadyCurrent: 2,
    });
  });
});
