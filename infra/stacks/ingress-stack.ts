/**
 * A thin stack in a region where customers launch stacks but the core does not run: only the
 * registration topic, subscribed cross-region by the home region's registration callback.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { providerResourceNames } from '#shared/customer-template/names.ts';
import { RegistrationTopic } from '../constructs/registration-topic.ts';
import type { KeylessSettings } from './settings.ts';

export interface IngressStackProps extends StackProps {
  settings: KeylessSettings;
}

export class IngressStack extends Stack {
  readonly registrations: RegistrationTopic;

  constructor(scope: Construct, id: string, props: IngressStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.registrations = new RegistrationTopic(this, 'Registrations', {
      topicName: providerResourceNames(settings.stage).registrationTopicName,
      allowedPrincipalOrgId: settings.allowedPrincipalOrgId,
      allowedCustomerAccounts: settings.allowedCustomerAccounts,
    });
    new CfnOutput(this, 'TopicArn', {
      description: `The registration topic customer stacks in ${this.region} publish to.`,
      value: this.registrations.topic.topicArn,
    });
  }
}
