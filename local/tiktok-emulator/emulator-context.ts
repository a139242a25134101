import type { EmulatedUser } from './built-in-users.js';
import type { CallLog } from './call-log.js';
import type { EmulatorSettings } from './emulator-options.js';
import type { FaultQueue } from './fault-queue.js';
import type { EmulatorClock } from './live-stats.js';
import type { PostingState } from './posting-state.js';
import type { TokenStore } from './token-store.js';

/** Everything a route needs, built once per emulator; no module-level state so emulators stay independent. */
export type EmulatorContext = {
  settings: EmulatorSettings;
  users: EmulatedUser[];
  tokens: TokenStore;
  faults: FaultQueue;
  calls: CallLog;
  posting: PostingState;
  origin: string;
  /** Aborted by close(): ends latency waits and hanging requests. */
  closing: AbortSignal;
  /** What "now" is for posted videos and live stats. */
  clock: EmulatorClock;
};

export function findUser(ctx: EmulatorContext, openId: string): EmulatedUser | undefined {
  return ctx.users.find((user) => user.openId === openId);
}
