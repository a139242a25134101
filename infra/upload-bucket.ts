import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { UPLOAD_RETENTION_DAYS } from '../shared/store/upload-store.js';

export interface UploadBucketProps {
  /** Browser origins that PUT files here with presigned URLs. */
  readonly corsOrigins: readonly string[];
}

/** Objects live under this prefix only (shared/publish/create-upload.ts). */
export const UPLOAD_PREFIX = 'uploads/';

/**
 * Videos the browser uploads before they are posted: private, encrypted, TLS only, CORS for the app's origins
 * (PUT with Content-Type only), and cleaned up by a lifecycle rule a little after the upload records expire.
 */
export class UploadBucket extends Bucket {
  constructor(scope: Construct, id: string, props: UploadBucketProps) {
    super(scope, id, {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
      cors: [
        {
          allowedMethods: [HttpMethods.PUT],
          allowedOrigins: [...props.corsOrigins],
          allowedHeaders: ['content-type'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        {
          id: 'DeleteOldUploads',
          prefix: UPLOAD_PREFIX,
          expiration: Duration.days(UPLOAD_RETENTION_DAYS + 1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Uploads are short-lived user files reached only by presigned URLs the API issues to signed-in users; ' +
        'every issue is logged by the API (upload_created) and S3 data events can be turned on in CloudTrail. ' +
        'A second bucket for server access logs would add cost and no record the API logs lack.',
    });
  }

  /** PutObject under the prefix: what a presigned PUT URL is signed with. */
  grantPresignPut(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.arnForObjects(`${UPLOAD_PREFIX}*`)],
    });
  }

  /** GetObject under the prefix: HeadObject and ranged GETs. */
  grantReadUploads(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: [this.arnForObjects(`${UPLOAD_PREFIX}*`)],
    });
  }
}
