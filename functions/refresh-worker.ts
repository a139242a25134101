import { createDepsFromEnv } from '../shared/deps.js';
import { buildRefreshWorkerHandler } from '../shared/lifecycle/refresh-handlers.js';

export const handler = buildRefreshWorkerHandler(createDepsFromEnv());
