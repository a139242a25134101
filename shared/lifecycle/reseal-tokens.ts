import type { ServiceDeps } from '../deps.js';

export type ResealReport = {
  scanned: number;
  resealed: number;
  alreadyCurrent: number;
  changedMeanwhile: number;
  failed: number;
};

/**
 * After rotating the token-encryption key (a new local key version, or a new KMS key): every connection's tokens
 * sealed again with the current data key, so the old key can be retired. Connections already on the current key
 * version are left alone; one that changes meanwhile (a refresh) is skipped, since that write used the new key.
 */
export async function resealAllTokens(
  deps: ServiceDeps,
  options: { currentKeyVersion: string; concurrency?: number },
): Promise<ResealReport> {
  const report: ResealReport = { scanned: 0, resealed: 0, alreadyCurrent: 0, changedMeanwhile: 0, failed: 0 };
  const pending = new Set<Promise<void>>();
  for await (const record of deps.connections.connectionsWithTokens()) {
    report.scanned++;
    if (record.sealedTokens?.keyRef.keyVersion === options.currentKeyVersion) {
      report.alreadyCurrent++;
      continue;
    }
    const work = deps.connections
      .reseal(record, deps.now())
      .then((outcome) => {
        if (outcome === 'resealed') report.resealed++;
        else report.changedMeanwhile++;
      })
      .catch((error: unknown) => {
        report.failed++;
        deps.logger.error('resealing a connection failed', {
          event: 'reseal_failed',
          appUser: record.appUser,
          openId: record.openId,
          error,
        });
      })
      .finally(() => pending.delete(work));
    pending.add(work);
    if (pending.size >= (options.concurrency ?? 8)) await Promise.race(pending);
  }
  await Promise.all(pending);
  deps.logger.info('reseal finished', { event: 'reseal_finished', ...report });
  return report;
}
