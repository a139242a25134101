import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { KMS_ENCRYPTION_CONTEXT } from '../shared/crypto/kms-data-keys.js';

/** `{ 'kms:EncryptionContext:app': 'tiktok-connect' }`: the context the Lambdas send with every call. */
const ENCRYPTION_CONTEXT_CONDITION = Object.fromEntries(
  Object.entries(KMS_ENCRYPTION_CONTEXT).map(([key, value]) => [`kms:EncryptionContext:${key}`, value]),
);

/** What a function does with token envelopes: seal new tokens, open stored ones, or both. */
export type TokenEnvelopeUse = 'seal' | 'open' | 'seal-and-open';

export interface TokenKeyProps {
  /** e.g. `alias/TikTokConnect/tokens`. */
  readonly alias: string;
}

/**
 * The KMS key behind the TikTok tokens: it encrypts the connections table at rest and wraps the data keys of
 * the tokens' envelope encryption. Retained on stack deletion: without it no stored token can be read again.
 */
export class TokenKey extends Key {
  constructor(scope: Construct, id: string, props: TokenKeyProps) {
    super(scope, id, {
      alias: props.alias,
      description: 'TikTok Connect: encrypts the connections table and wraps the data keys of stored tokens',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Envelope encryption of tokens, only with this application's encryption context (a wrapped key lifted from
   * the table does not decrypt in any other context): GenerateDataKey to seal, Decrypt to open.
   */
  grantEnvelopeEncryption(grantee: IGrantable, use: TokenEnvelopeUse = 'seal-and-open'): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: [
        ...(use === 'open' ? [] : ['kms:GenerateDataKey']),
        ...(use === 'seal' ? [] : ['kms:Decrypt']),
      ],
      resourceArns: [this.keyArn],
      conditions: { StringEquals: ENCRYPTION_CONTEXT_CONDITION },
    });
  }
}
