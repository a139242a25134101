import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { refreshConnection } from '../../shared/lifecycle/refresh-connection.js';
import { Redacted } from '../../shared/redacted.js';
import { runScenario } from './scenario-harness.js';

const dynamodb = await startDynamoDbLocal();
try {
  const r = await runScenario({ dynamodbEndpoint: dynamodb.endpoint, workDir: mkdtempSync(join(tmpdir(), 'x-')) }, {
    name: 'sanity', connections: 4,
    run: async (ctx) => {
      const deps = ctx.deps();
      const [k0, k1, k2] = ctx.keys as [any, any, any];
      const before0 = await deps.connections.openTokens((await deps.connections.get(k0.appUser, k0.openId))!);
      await refreshConnection(deps, { key: k0, owner: 'a', deadline: deps.now() + 60000 });
      await deps.tiktokOAuth.refresh(before0.refreshToken).catch(() => undefined); // duplicate
      const t1 = await deps.connections.openTokens((await deps.connections.get(k1.appUser, k1.openId))!);
      await deps.tiktokOAuth.refresh(t1.refreshToken); // answer received, never stored
      await deps.connections.saveConnected({ appUser: k2.appUser, openId: k2.openId, profile: {}, now: deps.now(), grant: {
        accessToken: new Redacted('bogus'), refreshToken: new Redacted('bogus-r'), accessExpiresAt: deps.now() + 7200_000, refreshExpiresAt: deps.now() + 1e10, scopes: ['user.info.basic'] } });
      return [];
    },
  }, 1);
  console.log(r);
} finally { await dynamodb.stop(); }
