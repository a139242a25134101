import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Receives every alarm; AWS sends it a confirmation link first. Other subscribers use the topic's ARN. */
  readonly email: string | undefined;
  /** Only alarms whose names start with this may publish, e.g. `TikTokConnect-`. */
  readonly alarmNamePrefix: string;
}

/**
 * Where the alarms go: an SNS topic (with an email subscription if one is given), HTTPS-only, encrypted with a key of its own.
 * Not the AWS managed `aws/sns` key: its key policy cannot be changed to let CloudWatch encrypt, so alarm
 * actions on such a topic fail. Not TokenKey either: it stays limited to tokens, opened to no other service.
 */
export class AlarmTopic extends Topic {
  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    const key = new Key(scope, `${id}Key`, {
      description: 'TikTok Connect: encrypts the alarm notifications topic',
      enableKeyRotation: true,
      // It guards notifications in flight only; nothing stored needs it once the topic is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch encrypts the notification itself when it publishes to an encrypted topic.
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    super(scope, id, {
      displayName: 'TikTok Connect alarms',
      masterKey: key,
      enforceSSL: true,
    });

    // The topic policy enforceSSL creates replaces SNS's default one, which let the account's alarms publish.
    const { partition, region, account } = Stack.of(this);
    const alarmArns = `arn:${partition}:cloudwatch:${region}:${account}:alarm:${props.alarmNamePrefix}*`;
    this.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': alarmArns,
          },
        },
      }),
    );
    if (props.email) this.addSubscription(new EmailSubscription(props.email));
  }
}
