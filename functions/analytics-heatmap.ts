import { createDepsFromEnv } from '../shared/deps.js';
import { buildHeatmapHandler } from '../shared/http/analytics-routes.js';

// Reads stored history only: no token is opened, TikTok is not called.
export const handler = buildHeatmapHandler(createDepsFromEnv());
