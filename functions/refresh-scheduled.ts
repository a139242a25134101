import { kmsDataKeys } from '../shared/crypto/kms-data-keys.js';
import { createDepsFromEnv } from '../shared/deps.js';
import { eventBridgeEvents } from '../shared/events/eventbridge-connection-events.js';
import { buildScheduledRefreshHandler } from '../shared/lifecycle/refresh-handlers.js';
import { sqsRefreshQueue } from '../shared/queue/sqs-refresh-queue.js';
import { secretsManagerClientSecret } from '../shared/secrets/secrets-manager-client-secret.js';

export const handler = buildScheduledRefreshHandler(
  createDepsFromEnv({
    dataKeys: kmsDataKeys,
    clientSecret: secretsManagerClientSecret,
    events: eventBridgeEvents,
    refreshQueue: sqsRefreshQueue,
  }),
);
