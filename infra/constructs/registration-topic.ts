/**
 * The SNS topic customer stacks use as their custom resource's ServiceToken, one per region (a ServiceToken
 * must be in the stack's own region). Its name is fixed by stage, so the customer template can name it
 * before any deployment. Customer accounts may publish (any account, or only an Organization's, or only
 * listed accounts); every message is untrusted until the callback has checked it.
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface RegistrationTopicProps {
  topicName: string;
  /** Only principals of this Organization may publish; empty: no Organization condition. */
  allowedPrincipalOrgId: string;
  /** Only these accounts may publish; empty: any account. */
  allowedCustomerAccounts: readonly string[];
}

export class RegistrationTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: RegistrationTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: 'Keyless registrations',
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CustomerStacksPublishRegistrations',
        effect: iam.Effect.ALLOW,
        principals:
          props.allowedCustomerAccounts.length > 0
            ? props.allowedCustomerAccounts.map((account) => new iam.AccountPrincipal(account))
            : [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        ...(props.allowedPrincipalOrgId
          ? { conditions: { StringEquals: { 'aws:PrincipalOrgID': props.allowedPrincipalOrgId } } }
          : {}),
      }),
    );
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudFormation in customer accounts publishes to this topic; SSE-KMS would need every customer ' +
        'account granted on a provider key. Messages hold no credential: the External ID is useless without ' +
        "the provider's own roles, and the callback treats every message as untrusted.",
    });
  }
}
