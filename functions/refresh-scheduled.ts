import { createDepsFromEnv } from '../shared/deps.js';
import { buildScheduledRefreshHandler } from '../shared/lifecycle/refresh-handlers.js';

export const handler = buildScheduledRefreshHandler(createDepsFromEnv());
