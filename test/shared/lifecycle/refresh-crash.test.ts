import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshConnection } from '../../../shared/lifecycle/refresh-connection.js';
import { connectAccount } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';

let service: TestService;
const realNow = Date.now;

beforeAll(async () => {
  service = await startTestService({ env: { REFRESH_LEASE_SECONDS: '20' }, tokenKeys: 'key-file' });
});
afterAll(async () => {
  await service.close();
});

/** Runs a refresh in a child process and SIGKILLs it at the checkpoint: a real crash, not a thrown error. */
async function killRefreshAt(
  checkpoint: 'lease_taken' | 'tiktok_answered',
  key: { appUser: string; openId: string },
) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, '../../support/refresh-child.ts')],
    {
      env: {
        ...process.env,
        ...service.env,
        KILL_AT: checkpoint,
        APP_USER: key.appUser,
        OPEN_ID: key.openId,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`child never reached ${checkpoint}:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`CHECKPOINT ${checkpoint}`)) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        done();
      }
      if (output.includes('DONE')) fail(new Error(`child finished instead of stopping: ${output}`));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  await new Promise((done) => child.once('exit', done));
  expect(child.signalCode).toBe('SIGKILL');
}

async function connectDue(appUser: string, userIndex: number) {
  service.emulator.setOptions({ accessTokenTtlSeconds: 120 });
  const openId = await connectAccount(service, appUser, userIndex);
  service.emulator.calls.reset();
  return { appUser, openId };
}

describe('a refresher killed mid-refresh', () => {
  it('killed after taking the lease, before calling TikTok: the next run after the lease expiry refreshes normally', async () => {
    const key = await connectDue('crash-before-call', 0);
    await killRefreshAt('lease_taken', key);
    expect((await service.deps.connections.get(key.appUser, key.openId))?.lease?.owner).toBe('doomed-child');
    expect(service.emulator.calls.count('refresh')).toBe(0);

    // While the dead holder's lease runs, nobody else refreshes (one refresh at a time).
    expect(
      (
        await refreshConnection(service.depsOf('RefresherFunction'), {
          key,
          owner: 'next-run',
          deadline: Date.now() + 60_000,
        })
      ).kind,
    ).toBe('skipped');
    service.deps.now = () => realNow() + 21_000;
    try {
      const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
        key,
        owner: 'next-run',
        deadline: realNow() + 81_000,
      });
      expect(outcome.kind).toBe('refreshed');
    } finally {
      service.deps.now = realNow;
    }
    const record = await service.deps.connections.get(key.appUser, key.openId);
    expect(record?.status).toBe('active');
    expect(record?.lease).toBeUndefined();
    expect(service.emulator.calls.count('refresh')).toBe(1);
  });

  it('killed after TikTok rotated the token but before the write: detected, never looped, the user is asked to reconnect', async () => {
    const key = await connectDue('crash-after-call', 1);
    await killRefreshAt('tiktok_answered', key);
    expect(service.emulator.calls.count('refresh')).toBe(1);

    service.deps.now = () => realNow() + 21_000;
    try {
      const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
        key,
        owner: 'next-run',
        deadline: realNow() + 81_000,
      });
      // TikTok always rotates: the refresh token we still hold died with the lost answer. Nothing can recover it;
      // what matters is that it is known, named, and surfaced once.
      expect(outcome).toEqual({ kind: 'reauth_required', reason: 'refresh_interrupted' });
    } finally {
      service.deps.now = realNow;
    }
    const record = await service.deps.connections.get(key.appUser, key.openId);
    expect(record?.status).toBe('reauth_required');
    expect(record?.statusReason).toBe('refresh_interrupted');
    expect(record?.refreshDueAt).toBeUndefined();
    expect(
      service.events.published.filter((e) => e.type === 'reauth_required' && e.openId === key.openId),
    ).toEqual([expect.objectContaining({ reason: 'refresh_interrupted' })]);
  });
});
