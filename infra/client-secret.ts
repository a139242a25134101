import { SecretValue, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PLACEHOLDER } from './service-settings.js';

/**
 * The TikTok app's client secret. The stack creates it holding only a placeholder; the operator stores the
 * real value with `aws secretsmanager put-secret-value` (never through CDK, so it is in no template).
 *
 * Encrypted with the AWS managed key `aws/secretsmanager`, not TokenKey: access is governed by this
 * secret's IAM grants alone (only the callback reads it), TokenKey stays limited to the tokens, and losing or
 * disabling TokenKey cannot also lock away a credential that is re-issued from TikTok's portal anyway.
 */
export interface ClientSecretProps {
  /** A fixed name, so the operator's command is predictable, e.g. `TikTokConnect/tiktok-client-secret`. */
  readonly secretName: string;
}

export class ClientSecret extends Secret {
  constructor(scope: Construct, id: string, props: ClientSecretProps) {
    super(scope, id, {
      secretName: props.secretName,
      description: 'TikTok Connect: the TikTok app client secret (set it with put-secret-value)',
      // A placeholder, not a secret; the Lambdas refuse it with a pointer to the README. Never change it:
      // CloudFormation would write the new placeholder over the value the operator stored.
      secretStringValue: SecretValue.unsafePlainText(PLACEHOLDER),
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'TikTok issues the client secret in its developer portal and offers no API to rotate it, so there is ' +
        'nothing for a rotation Lambda to call; it is rotated by hand (portal, then put-secret-value), and the ' +
        'Lambdas re-read it on invalid_client.',
    });
  }

  /** GetSecretValue only (no DescribeSecret, no versions listing). */
  grantReadValue(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.secretArn],
    });
  }
}
