import { createDepsFromEnv } from '../shared/deps.js';
import { buildDisconnectHandler } from '../shared/http/lifecycle-routes.js';

export const handler = buildDisconnectHandler(createDepsFromEnv());
