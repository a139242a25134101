import { createDepsFromEnv } from '../shared/deps.js';
import { buildVideoQueryHandler } from '../shared/http/display-routes.js';

export const handler = buildVideoQueryHandler(createDepsFromEnv());
