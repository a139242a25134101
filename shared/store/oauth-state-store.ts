import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { TokenCipher } from '../crypto/token-cipher.js';
import { ConnectFlowError } from '../errors.js';
import type { Redacted } from '../redacted.js';
import {
  bin,
  type Item,
  num,
  readStr,
  readStrList,
  requireBin,
  requireNum,
  requireStr,
  str,
  strList,
} from './attributes.js';
import { keyRefAttributes, readKeyRef } from './key-ref-attributes.js';

/** One connect attempt, stored server-side between /start and /callback. Keyed by sha256(state). */
export type OAuthFlow = {
  stateHash: string;
  appUser: string;
  codeVerifier: Redacted;
  redirectUri: string;
  returnTo: string;
  requestedScopes: string[];
  /** sha256 of the browser nonce cookie; set at /start (redirect mode) or at /launch (JSON mode). */
  nonceHash: string | undefined;
  createdAt: number;
  expiresAt: number;
};

/** JSON mode: a one-time ticket the browser exchanges at /launch for the cookie and the redirect to TikTok. */
export type LaunchTicket = {
  ticketHash: string;
  /** The authorize URL (it carries the raw state), sealed with a key derived from the ticket. */
  sealedAuthorizeUrl: Uint8Array;
  expiresAt: number;
};

export type ConsumedLaunch = { stateHash: string; sealedAuthorizeUrl: Uint8Array };

const stateKey = (stateHash: string) => ({ pk: `STATE#${stateHash}`, sk: 'STATE' });
const launchKey = (ticketHash: string) => ({ pk: `LAUNCH#${ticketHash}`, sk: 'LAUNCH' });
const keyItem = (key: { pk: string; sk: string }): Item => ({ pk: str(key.pk), sk: str(key.sk) });
/**
 * The attempt's plain fields, bound into the AAD of its sealed verifier: a table write that re-points an attempt
 * (another app user, another return URL, redirect URI or scopes) makes the verifier fail to open, so the
 * callback stops before the code exchange.
 */
const sealContext = (flow: Pick<OAuthFlow, 'appUser' | 'returnTo' | 'redirectUri' | 'requestedScopes'>) => [
  'oauth_state',
  flow.appUser,
  flow.returnTo,
  flow.redirectUri,
  flow.requestedScopes.join(','),
];
/** DynamoDB TTL deletes within about 48 h; the `expiresAt` condition is what enforces the 10 minutes. */
const ttlOf = (expiresAtMs: number) => Math.ceil(expiresAtMs / 1000) + 3600;

export class OAuthStateStore {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;
  readonly #cipher: TokenCipher;

  constructor(options: { db: DynamoDBClient; tableName: string; cipher: TokenCipher }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
    this.#cipher = options.cipher;
  }

  /** Stores the flow (and its launch ticket, in the same transaction: both or neither). */
  async saveFlow(flow: OAuthFlow, ticket?: LaunchTicket): Promise<void> {
    const key = stateKey(flow.stateHash);
    const { keyRef, sealed } = await this.#cipher.seal(
      key,
      { codeVerifier: flow.codeVerifier },
      sealContext(flow),
    );
    const stateItem: Item = {
      ...keyItem(key),
      kind: str('oauth_state'),
      appUser: str(flow.appUser),
      codeVerifier: bin(sealed.codeVerifier),
      redirectUri: str(flow.redirectUri),
      returnTo: str(flow.returnTo),
      requestedScopes: strList(flow.requestedScopes),
      createdAt: num(flow.createdAt),
      expiresAt: num(flow.expiresAt),
      ttl: num(ttlOf(flow.expiresAt)),
      ...keyRefAttributes(keyRef),
    };
    if (flow.nonceHash) stateItem.nonceHash = str(flow.nonceHash);
    const putState = {
      TableName: this.#tableName,
      Item: stateItem,
      ConditionExpression: 'attribute_not_exists(pk)',
    };
    if (!ticket) {
      await this.#db.send(new PutItemCommand(putState));
      return;
    }
    const ticketItem: Item = {
      ...keyItem(launchKey(ticket.ticketHash)),
      kind: str('launch_ticket'),
      stateHash: str(flow.stateHash),
      authorizeUrl: bin(ticket.sealedAuthorizeUrl),
      expiresAt: num(ticket.expiresAt),
      ttl: num(ttlOf(ticket.expiresAt)),
    };
    await this.#db.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: putState },
          {
            Put: {
              TableName: this.#tableName,
              Item: ticketItem,
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  }

  /**
   * Redeems a launch ticket once and binds the flow to this browser's nonce. The ticket delete is conditional
   * (exists, not expired), so a ticket opened twice works once; the flow accepts a nonce only if it has none.
   */
  async consumeLaunch(ticketHash: string, nonceHash: string, now: number): Promise<ConsumedLaunch> {
    let old: Item | undefined;
    try {
      const result = await this.#db.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: keyItem(launchKey(ticketHash)),
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': num(now) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = result.Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConnectFlowError('launch_invalid', 'This connect link is unknown, expired or already used');
      }
      throw error;
    }
    if (!old)
      throw new ConnectFlowError('launch_invalid', 'This connect link is unknown, expired or already used');
    const stateHash = requireStr(old, 'stateHash');
    try {
      await this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyItem(stateKey(stateHash)),
          UpdateExpression: 'SET nonceHash = :nonce',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(nonceHash) AND expiresAt > :now',
          ExpressionAttributeValues: { ':nonce': str(nonceHash), ':now': num(now) },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConnectFlowError('launch_invalid', 'This connect attempt expired or was already started');
      }
      throw error;
    }
    return { stateHash, sealedAuthorizeUrl: requireBin(old, 'authorizeUrl') };
  }

  /**
   * Consumes the flow exactly once: a conditional delete that returns the old item. Of two concurrent
   * callbacks with the same state, only one delete can see the item. A wrong or missing browser nonce, or an
   * expired flow, fails the condition and leaves nothing to reuse by a third party: the old item tells which.
   */
  async consumeFlow(stateHash: string, nonceHash: string | undefined, now: number): Promise<OAuthFlow> {
    const key = stateKey(stateHash);
    try {
      const result = await this.#db.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: keyItem(key),
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND nonceHash = :nonce',
          ExpressionAttributeValues: { ':now': num(now), ':nonce': str(nonceHash ?? '-') },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (!result.Attributes) throw new ConnectFlowError('state_invalid', 'Unknown or already used state');
      return this.#flowFrom(stateHash, result.Attributes);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = error.Item;
      if (!old) throw new ConnectFlowError('state_invalid', 'Unknown or already used state');
      // Only the non-secret facts are needed to say what went wrong and where to send the browser back.
      const flow = { appUser: requireStr(old, 'appUser'), returnTo: requireStr(old, 'returnTo') };
      if (requireNum(old, 'expiresAt') <= now) {
        throw new ConnectFlowError('state_expired', 'The connect attempt expired; start again', {
          returnTo: flow.returnTo,
          logFields: { appUser: flow.appUser },
        });
      }
      throw new ConnectFlowError(
        'state_browser_mismatch',
        'The connect attempt was started in another browser',
        {
          returnTo: flow.returnTo,
          logFields: { appUser: flow.appUser },
        },
      );
    }
  }

  /** The flow's non-secret facts (where to send the user back) for a failure that happened after lookup. */
  async #flowFrom(stateHash: string, item: Item): Promise<OAuthFlow> {
    const key = stateKey(stateHash);
    const facts = {
      appUser: requireStr(item, 'appUser'),
      redirectUri: requireStr(item, 'redirectUri'),
      returnTo: requireStr(item, 'returnTo'),
      requestedScopes: readStrList(item, 'requestedScopes'),
    };
    let codeVerifier: Redacted;
    try {
      codeVerifier = await this.#cipher.open(
        key,
        readKeyRef(item),
        'codeVerifier',
        requireBin(item, 'codeVerifier'),
        sealContext(facts),
      );
    } catch (error) {
      // Re-pointed by a table write (or the verifier swapped): trust none of it, not even where to go back.
      throw new ConnectFlowError('state_invalid', 'This connect attempt failed its integrity check', {
        cause: error,
        logFields: { integrity: 'failed' },
      });
    }
    return {
      stateHash,
      ...facts,
      codeVerifier,
      nonceHash: readStr(item, 'nonceHash'),
      createdAt: requireNum(item, 'createdAt'),
      expiresAt: requireNum(item, 'expiresAt'),
    };
  }
}
