/**
 * What the permission check adds to a re-validation (docs/architecture.md §9.4): the role proof
 * alone (AssumeRole with the External ID, GetCallerIdentity, the two refusals) against the proof
 * plus the check (one SimulatePrincipalPolicy), on the local STS and IAM over HTTP, and the IAM calls
 * and the cost per 1,000 daily re-validations. The baseline is the proof alone, in the same run.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startIdentityEndpoint } from '#local/emulator/endpoint.ts';
import { createLocalIam } from '#local/emulator/iam.ts';
import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import { createLocalSts, type PolicyDocument } from '#local/emulator/sts.ts';
import {
  buildCustomerTemplate,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '#shared/customer-template/template.ts';
import { createRoleProver } from '#shared/onboarding/role-proof.ts';
import { createPermissionChecker } from '#shared/permissions/permission-check.ts';
import { permissionChecksOfTemplate } from '#shared/permissions/template-checks.ts';
import { loadProviderConfig } from '#shared/provider-config/load.ts';
import type { BenchOptions } from '../harness/options.ts';

/** AWS Lambda's arm64 price per GB-second (US East, https://aws.amazon.com/lambda/pricing/). */
const ARM_PRICE_PER_GB_SECOND = 0.0000133334;
const VALIDATOR_GB = 0.5;

export interface PermissionCheckResult {
  revalidations: number;
  proofMs: number;
  proofAndCheckMs: number;
  ratio: number;
  iamCallsPerRevalidation: number;
  addedMsPer1000: number;
  addedLambdaCostPer1000Usd: number;
}

export async function runPermissionCheck({
  quick,
}: BenchOptions): Promise<{ result: PermissionCheckResult; report: string }> {
  const revalidations = quick ? 100 : 400;
  const provider = loadProviderConfig('keyless.config.json');
  const config = resolveCustomerTemplateConfig({
    providerAccountId: '999988887777',
    stage: 'bench',
    regions: ['us-east-1'],
    providerName: provider.providerName,
    permissions: provider.permissions,
  });
  const sts = createLocalSts({
    providerAccountId: '999988887777',
    providerRoleArn: trustedPrincipalArns(config)[0]!,
  });
  const iam = createLocalIam({ sts });
  const endpoint = await startIdentityEndpoint({ sts, iam, accountId: '999988887777' });
  try {
    const externalId = 'keyless-bench-0123456789abcdef0123456789abcdef';
    const stack = instantiateCustomerTemplate(buildCustomerTemplate(config), {
      accountId: '111122223333',
      region: 'us-east-1',
      parameters: { ExternalId: externalId, CustomerId: 'bench' },
    });
    await sts.putRole({
      arn: stack.role.arn,
      trustPolicy: stack.role.trustPolicy,
      policies: Object.fromEntries(
        stack.role.policies.map((p) => [p.policyName, p.policyDocument as PolicyDocument]),
      ),
    });
    const client = new STSClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIABENCHPROVIDER000', secretAccessKey: 'bench' },
    });
    const prover = createRoleProver({
      sts: client,
      maxAttempts: 1,
      // The identity check's own client, pointed at the local endpoint as the proof's session.
      callerIdentity: (credentials) =>
        new STSClient({
          endpoint: endpoint.url,
          region: 'us-east-1',
          credentials: {
            accessKeyId: credentials.AccessKeyId!,
            secretAccessKey: credentials.SecretAccessKey!,
            sessionToken: credentials.SessionToken!,
          },
        }).send(new GetCallerIdentityCommand({})),
    });
    const checker = createPermissionChecker({
      checks: permissionChecksOfTemplate(config),
      region: 'us-east-1',
      endpoint: endpoint.url,
    });
    const input = {
      customerId: 'bench',
      roleArn: stack.role.arn,
      externalId,
      decoyExternalId: 'keyless-bench-ffffffffffffffffffffffffffffffff',
      deadline: Number.MAX_SAFE_INTEGER,
    };
    // Warm both paths (connections, the engine's caches) before timing.
    for (let i = 0; i < 5; i++) {
      const proof = await prover.prove(input);
      if (proof.ok && proof.credentials)
        await checker.check({ roleArn: stack.role.arn, credentials: proof.credentials });
    }

    const started = performance.now();
    for (let i = 0; i < revalidations; i++) await prover.prove(input);
    const proofMs = (performance.now() - started) / revalidations;

    const callsBefore = iam.simulateCalls();
    const withCheck = performance.now();
    for (let i = 0; i < revalidations; i++) {
      const proof = await prover.prove(input);
      if (!proof.ok || !proof.credentials)
        throw new Error(`the bench role must prove: ${proof.ok ? 'no credentials' : proof.reason}`);
      await checker.check({ roleArn: stack.role.arn, credentials: proof.credentials });
    }
    const proofAndCheckMs = (performance.now() - withCheck) / revalidations;
    const iamCallsPerRevalidation = (iam.simulateCalls() - callsBefore) / revalidations;
    const addedMsPer1000 = (proofAndCheckMs - proofMs) * 1000;
    const result: PermissionCheckResult = {
      revalidations,
      proofMs,
      proofAndCheckMs,
      ratio: proofAndCheckMs / proofMs,
      iamCallsPerRevalidation,
      addedMsPer1000,
      addedLambdaCostPer1000Usd: (addedMsPer1000 / 1000) * VALIDATOR_GB * ARM_PRICE_PER_GB_SECOND,
    };
    const report = [
      `Permission check (${revalidations} re-validations, local STS and IAM over HTTP)`,
      `  proof alone            ${proofMs.toFixed(2)} ms per re-validation (baseline)`,
      `  proof + check          ${proofAndCheckMs.toFixed(2)} ms  ×${result.ratio.toFixed(2)} of the baseline`,
      `  IAM calls              ${iamCallsPerRevalidation} per re-validation (SimulatePrincipalPolicy)`,
      `  per 1,000 re-validations: ${(addedMsPer1000 / 1000).toFixed(1)} s more validator time here, $${result.addedLambdaCostPer1000Usd.toFixed(6)} of Lambda (512 MB arm64); IAM calls are free`,
    ].join('\n');
    return { result, report };
  } finally {
    await endpoint.close();
  }
}
