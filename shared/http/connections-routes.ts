import middy from '@middy/core';
import type * as v from 'valibot';
import type { ServiceDeps } from '../deps.js';
import type { ConnectionRecord } from '../store/connection-store.js';
import { type HttpEvent, requireAppUser } from './api-event.js';
import type { ConnectionListSchema, ConnectionSchema } from './api-schemas.js';
import { errorResponses } from './error-responses.js';
import { type HttpResult, json } from './responses.js';

/** What the frontend may see of a connection: never a token. */
export function connectionView(record: ConnectionRecord): v.InferOutput<typeof ConnectionSchema> {
  return {
    openId: record.openId,
    displayName: record.profile.displayName ?? null,
    avatarUrl: record.profile.avatarUrl ?? null,
    username: record.profile.username ?? null,
    scopes: record.scopes,
    status: record.status,
    connectedAt: new Date(record.connectedAt).toISOString(),
    accessTokenExpiresAt: record.accessExpiresAt ? new Date(record.accessExpiresAt).toISOString() : null,
    refreshTokenExpiresAt: record.refreshExpiresAt ? new Date(record.refreshExpiresAt).toISOString() : null,
  };
}

/**
 * GET /tiktok/connections — behind the JWT authorizer; only the caller's own connections. Ones the user
 * disconnected are gone from their point of view; revoked and re-auth-required ones stay, to be connected again.
 */
export function buildListConnectionsHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const appUser = requireAppUser(event);
      const records = await deps.connections.listForUser(appUser);
      const body: v.InferOutput<typeof ConnectionListSchema> = {
        connections: records.filter((record) => record.status !== 'disconnected').map(connectionView),
      };
      return json(200, body);
    });
}
