import type { Context } from 'aws-lambda';
import type { ServiceDeps } from '../deps.js';
import { type PublisherReport, runPublisher } from './publisher.js';

/** The scheduled publisher (every minute): works until shortly before the Lambda's own deadline. */
export function buildPublisherHandler(deps: ServiceDeps) {
  return async (
    event: { checkWaiting?: boolean } | undefined,
    context: Context,
  ): Promise<PublisherReport> => {
    const report = await runPublisher(deps, {
      deadline: Date.now() + context.getRemainingTimeInMillis() - 5_000,
      checkWaiting: event?.checkWaiting === true,
      lookaheadMs: deps.config.publishing.lookaheadMs,
    });
    if (report.due > 0) deps.logger.info('publisher run', { event: 'publisher_run', ...report });
    return report;
  };
}
