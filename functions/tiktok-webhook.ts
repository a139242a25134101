import { createDepsFromEnv } from '../shared/deps.js';
import { eventBridgeEvents } from '../shared/events/eventbridge-connection-events.js';
import { buildWebhookHandler } from '../shared/http/lifecycle-routes.js';
import { secretsManagerClientSecret } from '../shared/secrets/secrets-manager-client-secret.js';

export const handler = buildWebhookHandler(
  createDepsFromEnv({ clientSecret: secretsManagerClientSecret, events: eventBridgeEvents }),
);
