import { kmsDataKeys } from '../shared/crypto/kms-data-keys.js';
import { createDepsFromEnv } from '../shared/deps.js';
import { eventBridgeEvents } from '../shared/events/eventbridge-connection-events.js';
import { buildGetPostHandler } from '../shared/http/posting-routes.js';
import { secretsManagerClientSecret } from '../shared/secrets/secrets-manager-client-secret.js';

export const handler = buildGetPostHandler(
  createDepsFromEnv({
    dataKeys: kmsDataKeys,
    clientSecret: secretsManagerClientSecret,
    events: eventBridgeEvents,
  }),
);
