import { kmsDataKeys } from '../shared/crypto/kms-data-keys.js';
import { createDepsFromEnv } from '../shared/deps.js';
import { buildStartHandler } from '../shared/http/connect-routes.js';

export const handler = buildStartHandler(createDepsFromEnv({ dataKeys: kmsDataKeys }));
