import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Config } from '../config.js';
import {
  type ConnectionEvent,
  type ConnectionEvents,
  detailTypeOf,
  EVENT_SOURCE,
} from './connection-events.js';

/** EventBridge: one entry per state change on the configured bus. */
export class EventBridgeConnectionEvents implements ConnectionEvents {
  readonly #client: EventBridgeClient;
  readonly #busName: string;

  constructor(options: { client: EventBridgeClient; busName: string }) {
    this.#client = options.client;
    this.#busName = options.busName;
  }

  async publish(event: ConnectionEvent): Promise<void> {
    const result = await this.#client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.#busName,
            Source: EVENT_SOURCE,
            DetailType: detailTypeOf(event.type),
            Detail: JSON.stringify(event),
          },
        ],
      }),
    );
    if (result.FailedEntryCount) {
      throw new Error(`EventBridge refused the event: ${result.Entries?.[0]?.ErrorCode ?? 'unknown'}`);
    }
  }
}

/** For the functions that publish: events go to the configured bus (`EVENT_BUS_NAME`). */
export function eventBridgeEvents(config: Config): ConnectionEvents | undefined {
  if (!config.events.busName) return undefined;
  return new EventBridgeConnectionEvents({
    client: new EventBridgeClient({ region: config.region }),
    busName: config.events.busName,
  });
}
