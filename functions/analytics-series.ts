import { createDepsFromEnv } from '../shared/deps.js';
import { buildAnalyticsSeriesHandler } from '../shared/http/analytics-routes.js';

// Reads stored history only: no token is opened, TikTok is not called.
export const handler = buildAnalyticsSeriesHandler(createDepsFromEnv());
