import { createDepsFromEnv } from '../shared/deps.js';
import { buildWebhookHandler } from '../shared/http/lifecycle-routes.js';

export const handler = buildWebhookHandler(createDepsFromEnv());
