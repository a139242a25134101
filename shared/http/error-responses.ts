import type { MiddlewareObj } from '@middy/core';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HttpEvent } from './api-event.js';
import { type HttpResult, problem } from './responses.js';

/**
 * Middy middleware: the one place errors become HTTP answers. AppErrors keep their status and code; anything
 * else is logged in full and answered as a bare 500, so no stack trace or upstream text reaches the client.
 */
export function errorResponses(logger: Logger): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      const routeKey = request.event?.routeKey;
      if (error instanceof AppError && error.status < 500) {
        logger.warn('request refused', { event: 'request_refused', routeKey, reason: error.code, error });
        request.response = problem(error);
        return;
      }
      logger.error('request failed', { event: 'request_failed', routeKey, error });
      const upstream = error instanceof AppError && error.code.startsWith('tiktok_');
      request.response = upstream
        ? problem(error)
        : problem({ status: 500, code: 'internal', detail: 'Something went wrong on our side' });
    },
  };
}
