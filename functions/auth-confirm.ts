import { kmsDataKeys } from '../shared/crypto/kms-data-keys.js';
import { createDepsFromEnv } from '../shared/deps.js';
import { eventBridgeEvents } from '../shared/events/eventbridge-connection-events.js';
import { buildConfirmHandler } from '../shared/http/connect-routes.js';
import { secretsManagerClientSecret } from '../shared/secrets/secrets-manager-client-secret.js';

export const handler = buildConfirmHandler(
  createDepsFromEnv({
    dataKeys: kmsDataKeys,
    clientSecret: secretsManagerClientSecret,
    events: eventBridgeEvents,
  }),
);
