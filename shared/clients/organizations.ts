/**
 * organizations:DescribeOrganization with a session's own credentials: the one AWS Organizations
 * call Keyless makes (docs/architecture.md §9.7), through the SDK's Organizations client.
 * Organizations has one endpoint per partition: us-east-1, cn-northwest-1 in China,
 * us-gov-west-1 in GovCloud (Organizations API reference, "Endpoint to call").
 */
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Credentials } from '@aws-sdk/client-sts';
import type { CaptureClient } from '../xray/tracer.ts';

export type OrganizationLookup =
  | { kind: 'member'; organizationId: string; managementAccountId?: string }
  /** AWSOrganizationsNotInUseException: the account is in no organization. */
  | { kind: 'not-in-organization' }
  /** The session may not call DescribeOrganization (AccessDenied). */
  | { kind: 'denied'; message: string }
  /** Throttled, an outage, a timeout: try again. */
  | { kind: 'unavailable'; message: string };

export type DescribeOrganization = (credentials: Credentials) => Promise<OrganizationLookup>;

/** Organizations' endpoint and signing region for the partition of `region`. */
export function organizationsEndpointFor(region: string): { url: string; signingRegion: string } {
  if (region.startsWith('cn-'))
    return { url: 'https://organizations.cn-northwest-1.amazonaws.com.cn', signingRegion: 'cn-northwest-1' };
  if (region.startsWith('us-gov-'))
    return { url: 'https://organizations.us-gov-west-1.amazonaws.com', signingRegion: 'us-gov-west-1' };
  return { url: 'https://organizations.us-east-1.amazonaws.com', signingRegion: 'us-east-1' };
}

/**
 * A DescribeOrganization caller for `region`'s partition, or for `endpoint` (the local endpoint)
 * when given. Errors become lookups; only an answer without an organization throws.
 */
export function createDescribeOrganization({
  region,
  endpoint,
  captureClient,
}: {
  region: string;
  endpoint?: string | undefined;
  /** Traces each session's client (docs/architecture.md §11). */
  captureClient?: CaptureClient;
}): DescribeOrganization {
  const target = endpoint ? { url: endpoint, signingRegion: region } : organizationsEndpointFor(region);
  return async function describeOrganization(credentials) {
    const client = new OrganizationsClient({
      region: target.signingRegion,
      endpoint: target.url,
      maxAttempts: 2,
      credentials: {
        accessKeyId: credentials.AccessKeyId ?? '',
        secretAccessKey: credentials.SecretAccessKey ?? '',
        ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
      },
    });
    captureClient?.(client);
    try {
      const { Organization } = await client.send(new DescribeOrganizationCommand({}));
      if (!Organization?.Id) throw new Error('DescribeOrganization answered no organization id.');
      return {
        kind: 'member',
        organizationId: Organization.Id,
        ...(Organization.MasterAccountId ? { managementAccountId: Organization.MasterAccountId } : {}),
      };
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      if (name === 'AWSOrganizationsNotInUseException') return { kind: 'not-in-organization' };
      if (name === 'AccessDeniedException' || name === 'AccessDenied') return { kind: 'denied', message };
      if (message === 'DescribeOrganization answered no organization id.') throw error;
      return { kind: 'unavailable', message: `${name}: ${message}` };
    } finally {
      client.destroy();
    }
  };
}
