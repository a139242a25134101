import { createDepsFromEnv } from '../shared/deps.js';
import { buildVideosHandler } from '../shared/http/display-routes.js';

export const handler = buildVideosHandler(createDepsFromEnv());
