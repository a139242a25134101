import { buildSnapshotHandler } from '../shared/analytics/snapshot-handler.js';
import { kmsDataKeys } from '../shared/crypto/kms-data-keys.js';
import { createDepsFromEnv } from '../shared/deps.js';
import { eventBridgeEvents } from '../shared/events/eventbridge-connection-events.js';
import { secretsManagerClientSecret } from '../shared/secrets/secrets-manager-client-secret.js';

export const handler = buildSnapshotHandler(
  createDepsFromEnv({
    dataKeys: kmsDataKeys,
    clientSecret: secretsManagerClientSecret,
    events: eventBridgeEvents,
  }),
);
