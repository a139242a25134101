import { createDepsFromEnv } from '../shared/deps.js';
import { buildProfileHandler } from '../shared/http/display-routes.js';

export const handler = buildProfileHandler(createDepsFromEnv());
