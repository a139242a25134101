import { createHash, randomBytes } from 'node:crypto';
import {
  type EmulatorOptions,
  startTikTokEmulator,
  type TikTokEmulator,
} from '../../../local/tiktok-emulator/index.js';

export const CLIENT_KEY = 'test-client-key';
export const CLIENT_SECRET = 'test-client-secret';
export const REDIRECT_URI = 'https://connect.example.test/tiktok/callback/';
export const ALL_SCOPES = ['user.info.basic', 'user.info.profile', 'user.info.stats', 'video.list'];

export type TokenBody = {
  access_token: string;
  expires_in: number;
  open_id: string;
  refresh_token: string;
  refresh_expires_in: number;
  scope: string;
  token_type: string;
};

export function startEmulator(options: Partial<EmulatorOptions> = {}): Promise<TikTokEmulator> {
  return startTikTokEmulator({ clientKey: CLIENT_KEY, clientSecret: CLIENT_SECRET, ...options });
}

export function userNamed(emulator: TikTokEmulator, displayName: string) {
  const user = emulator.users.find((candidate) => candidate.displayName === displayName);
  if (user === undefined) throw new Error(`no emulated user ${displayName}`);
  return user;
}

/** A fresh verifier and its challenge, computed here independently of the emulator. */
export function pkcePair(encoding: 'hex' | 'base64url' = 'hex') {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest(encoding) };
}

export function postForm(
  url: string,
  fields: Record<string, string>,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    ...init,
  });
}

export function exchangeCode(
  emulator: TikTokEmulator,
  fields: { code: string; codeVerifier: string; redirectUri?: string },
): Promise<Response> {
  return postForm(`${emulator.apiBaseUrl}/v2/oauth/token/`, {
    client_key: CLIENT_KEY,
    client_secret: CLIENT_SECRET,
    grant_type: 'authorization_code',
    code: fields.code,
    redirect_uri: fields.redirectUri ?? REDIRECT_URI,
    code_verifier: fields.codeVerifier,
  });
}

export function refresh(
  emulator: TikTokEmulator,
  refreshToken: string,
  init: RequestInit = {},
): Promise<Response> {
  const fields = {
    client_key: CLIENT_KEY,
    client_secret: CLIENT_SECRET,
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  };
  return postForm(`${emulator.apiBaseUrl}/v2/oauth/token/`, fields, init);
}

/** The whole consent flow short-cut: a code issued for `openId`, exchanged for tokens. */
export async function connectUser(
  emulator: TikTokEmulator,
  openId: string,
  scopes: string[] = ALL_SCOPES,
): Promise<TokenBody> {
  const { verifier, challenge } = pkcePair();
  const code = emulator.issueCode({
    userId: openId,
    scopes,
    redirectUri: REDIRECT_URI,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
  });
  const response = await exchangeCode(emulator, { code, codeVerifier: verifier });
  if (response.status !== 200) throw new Error(`token exchange failed: ${await response.text()}`);
  return (await response.json()) as TokenBody;
}

export function getUserInfo(
  emulator: TikTokEmulator,
  accessToken: string,
  fields: string,
): Promise<Response> {
  return fetch(`${emulator.apiBaseUrl}/v2/user/info/?fields=${encodeURIComponent(fields)}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
}

export function postVideos(
  emulator: TikTokEmulator,
  path: 'list' | 'query',
  accessToken: string,
  body: unknown,
  fields = 'id,create_time,title',
): Promise<Response> {
  const query = fields === '' ? '' : `?fields=${encodeURIComponent(fields)}`;
  return fetch(`${emulator.apiBaseUrl}/v2/video/${path}/${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export type DisplayBody<T = Record<string, unknown>> = {
  data: T;
  error: { code: string; message: string; log_id: string };
};
