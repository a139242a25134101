import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CodeRequest, issueAuthorizationCode } from './authorize-routes.js';
import { createBuiltInUsers, type EmulatedUser } from './built-in-users.js';
import { CallLog } from './call-log.js';
import type { EmulatorContext } from './emulator-context.js';
import {
  applyTunableOptions,
  type EmulatorOptions,
  resolveSettings,
  type TunableOptions,
} from './emulator-options.js';
import { FaultQueue } from './fault-queue.js';
import { addLiveActivity, EmulatorClock } from './live-stats.js';
import { PostingState } from './posting-state.js';
import { createRequestListener } from './request-router.js';
import { TokenStore } from './token-store.js';

export type { ApiEndpoint } from './api-endpoints.js';
export type { CodeRequest } from './authorize-routes.js';
export type { EmulatedUser, EmulatedVideo } from './built-in-users.js';
export type { CallEndpoint, CallRecord } from './call-log.js';
export { CallLog } from './call-log.js';
export type { EmulatorOptions, PkceEncoding, TunableOptions } from './emulator-options.js';
export type { FaultEndpoint, FaultInput, FaultKind, QueuedFault } from './fault-queue.js';
export { FaultQueue } from './fault-queue.js';
export { computeCodeChallenge } from './pkce.js';
export type { PostingProfile, ProcessingOutcome, PublishTask } from './posting-state.js';
export type { Scope } from './scopes.js';

export type TikTokEmulator = {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** `${origin}/v2/auth/authorize/` */
  authorizeUrl: string;
  /** The origin: API paths are /v2/… as on open.tiktokapis.com. */
  apiBaseUrl: string;
  users: EmulatedUser[];
  faults: FaultQueue;
  calls: CallLog;
  /** Content posting: creators' account settings, publish tasks, queued processing outcomes, webhooks sent. */
  posting: PostingState;
  /** Local simulation: shift the emulator's "now" (videos posted, live counters) by offsetSeconds. */
  clock: EmulatorClock;
  setOptions(partial: TunableOptions): void;
  /** Issue an authorization code as if `userId` approved `scopes` on the consent page. */
  issueCode(input: CodeRequest): string;
  /** Revoke every token of a user from TikTok's side (as if the user removed the app). */
  revokeUser(openId: string): void;
  /** Every code, access token, refresh token and PKCE verifier the emulator issued or received. */
  secretsSeen(): string[];
  close(): Promise<void>;
};

export async function startTikTokEmulator(options: EmulatorOptions): Promise<TikTokEmulator> {
  const settings = resolveSettings(options);
  const users = createBuiltInUsers();
  if (options.liveStats) addLiveActivity(users, options.liveStats);
  const clock = new EmulatorClock();
  if (
    settings.autoConsent !== undefined &&
    !users.some((user) => user.openId === settings.autoConsent?.userId)
  ) {
    throw new TypeError(`autoConsent user ${settings.autoConsent.userId} is not a built-in emulator user`);
  }
  const closing = new AbortController();
  // Every delayed or hanging request listens for close(); benchmarks run many at once.
  setMaxListeners(0, closing.signal);

  const server = createServer();
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const ctx: EmulatorContext = {
    settings,
    users,
    tokens: new TokenStore({ stateFile: options.stateFile }),
    faults: new FaultQueue(),
    calls: new CallLog(),
    posting: new PostingState(),
    origin,
    closing: closing.signal,
    clock,
  };
  // Leo Bakes keeps a private account: the one an unaudited app may post to.
  const leo = users.find((user) => user.username === 'leo.bakes');
  if (leo) ctx.posting.profileOf(leo.openId).privateAccount = true;
  server.on('request', createRequestListener(ctx));

  let closed: Promise<void> | undefined;
  return {
    origin,
    authorizeUrl: `${origin}/v2/auth/authorize/`,
    apiBaseUrl: origin,
    users,
    faults: ctx.faults,
    calls: ctx.calls,
    posting: ctx.posting,
    clock,
    setOptions: (partial) => applyTunableOptions(settings, partial),
    issueCode: (input) => issueAuthorizationCode(ctx, input),
    revokeUser: (openId) => ctx.tokens.revokeUser(openId),
    secretsSeen: () => [settings.clientSecret, ...ctx.tokens.secretsSeen()],
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        ctx.tokens.flush();
        closing.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
