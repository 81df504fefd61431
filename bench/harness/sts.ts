/**
 * The local runtime's STS (local/emulator/sts.ts) as the vending benchmark runs it: on an endpoint of
 * its own, answering AssumeRole after a uniform random 30–80 ms as STS does from inside a region,
 * dating credentials on the callers' simulated clock (harness/clock.ts), and recording every
 * granted call with its role and time. Each connection's role is the one the generated customer
 * template creates. Trust policies are not evaluated: the policy engine would spend a millisecond
 * or two of CPU per call in this process, which runs next to the measured one on the same cores.
 */

import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import { type AssumeRoleCall, createLocalSts } from '#local/emulator/sts.ts';
import { startLocalStsServer } from '#local/emulator/sts-server.ts';
import {
  buildCustomerTemplate,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '#shared/customer-template/template.ts';

const STS_LATENCY_MS = { min: 30, max: 80 };
const TEMPLATE_CONFIG = resolveCustomerTemplateConfig({
  providerAccountId: '999988887777',
  stage: 'bench',
  regions: ['us-east-1'],
});

export interface BenchRole {
  customerId: string;
  accountId: string;
  roleArn: string;
  externalId: string;
}

export interface BenchSts {
  endpoint: string;
  /** Granted AssumeRole calls, in the order STS issued them. */
  calls: readonly AssumeRoleCall[];
  stop(): Promise<void>;
}

export async function startBenchSts(roles: readonly BenchRole[]): Promise<BenchSts> {
  const calls: AssumeRoleCall[] = [];
  const sts = createLocalSts({
    providerAccountId: TEMPLATE_CONFIG.providerAccountId,
    // The broker's role: every caller signs with a key this STS did not issue, so it is taken for it.
    providerRoleArn: trustedPrincipalArns(TEMPLATE_CONFIG)[1] as string,
    assumeRoleLatencyMs: STS_LATENCY_MS,
    callerClock: true,
    evaluateTrustPolicies: false,
    onAssumeRole: (call) => calls.push(call),
  });
  const template = buildCustomerTemplate(TEMPLATE_CONFIG);
  for (const { customerId, accountId, roleArn, externalId } of roles) {
    const { role } = instantiateCustomerTemplate(template, {
      accountId,
      region: 'us-east-1',
      parameters: { CustomerId: customerId, ExternalId: externalId },
    });
    if (role.arn !== roleArn) throw new Error(`The template creates ${role.arn}, not ${roleArn}.`);
    await sts.putRole({
      arn: role.arn,
      trustPolicy: role.trustPolicy,
      maxSessionDuration: role.maxSessionDuration,
    });
  }
  const server = await startLocalStsServer(sts);
  return { endpoint: server.endpoint, calls, stop: server.stop };
}
