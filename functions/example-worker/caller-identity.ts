/**
 * The smallest real call in a customer's account: STS GetCallerIdentity, signed with credentials
 * from the broker. It shows the whole intended use: one client per customer account, whose
 * credentials are a broker provider; the broker's cache keeps that cheap across invocations.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { CredentialBroker } from '@keyless/broker';

export interface CustomerIdentity {
  account: string;
  arn: string;
}

export async function getCustomerCallerIdentity(
  broker: CredentialBroker,
  {
    customerId,
    accountId,
    region,
    endpoint,
  }: { customerId: string; accountId: string; region: string; endpoint?: string | undefined },
): Promise<CustomerIdentity> {
  const sts = new STSClient({
    region,
    credentials: broker.credentialsFor({ customerId, accountId }),
    ...(endpoint ? { endpoint } : {}),
  });
  try {
    const { Account, Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (Account !== accountId || !Arn) {
      throw new Error(`Credentials for ${customerId}/${accountId} resolved to account ${String(Account)}.`);
    }
    return { account: Account, arn: Arn };
  } finally {
    sts.destroy();
  }
}
