import { createDepsFromEnv } from '../shared/deps.js';
import { buildListConnectionsHandler } from '../shared/http/connections-routes.js';

export const handler = buildListConnectionsHandler(createDepsFromEnv());
