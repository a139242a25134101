import { createDepsFromEnv } from '../shared/deps.js';
import { buildLaunchHandler } from '../shared/http/connect-routes.js';

export const handler = buildLaunchHandler(createDepsFromEnv());
