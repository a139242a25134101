import { createDepsFromEnv } from '../shared/deps.js';
import { buildCallbackHandler } from '../shared/http/connect-routes.js';

export const handler = buildCallbackHandler(createDepsFromEnv());
