/**
 * What the permission check adds to a re-validation (docs/architecture.md §9.4): the role proof
 * alone (AssumeRole with the External ID, GetCallerIdentity, the two refusals) against the proof
 * plus the check (one SimulatePrincipalPolicy), and against the proof plus the check with the probe
 * keyless.config.json marks (one DescribeTable more), on the local STS, IAM and customer services
 * over HTTP, and the calls and the cost per 1,000 daily re-validations. The baseline is the proof
 * alone, in the same run.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createCustomerServices } from '#local/emulator/customer-services.ts';
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
  /** The same check with the config's probes (one): time, ratio to the proof alone, calls. */
  proofCheckAndProbeMs: number;
  probeRatio: number;
  probesPerRevalidation: number;
  probeIamCallsPerRevalidation: number;
  probeAddedMsPer1000: number;
  probeAddedLambdaCostPer1000Usd: number;
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
  const customerServices = createCustomerServices({ iam });
  const endpoint = await startIdentityEndpoint({ sts, iam, accountId: '999988887777', customerServices });
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
    const checks = permissionChecksOfTemplate(config);
    const withProbes = createPermissionChecker({ checks, region: 'us-east-1', endpoint: endpoint.url });
    // The simulator alone: the same checks with their probes left out.
    const checker = createPermissionChecker({
      checks: checks.map(({ probe: _probe, ...check }) => check),
      region: 'us-east-1',
      endpoint: endpoint.url,
    });
    const probes = checks.filter((check) => check.probe).length;
    if (probes !== 1) throw new Error(`the bench expects one probe in keyless.config.json, found ${probes}`);
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
      if (proof.ok && proof.credentials) {
        await checker.check({ roleArn: stack.role.arn, credentials: proof.credentials });
        await withProbes.check({ roleArn: stack.role.arn, credentials: proof.credentials });
      }
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

    const [simulatedBefore, probedBefore] = [iam.simulateCalls(), customerServices.calls()];
    const withProbe = performance.now();
    for (let i = 0; i < revalidations; i++) {
      const proof = await prover.prove(input);
      if (!proof.ok || !proof.credentials)
        throw new Error(`the bench role must prove: ${proof.ok ? 'no credentials' : proof.reason}`);
      const report = await withProbes.check({ roleArn: stack.role.arn, credentials: proof.credentials });
      if (report.unprobed || report.missing.length > 0)
        throw new Error(`the bench role's probe must be allowed: ${JSON.stringify(report)}`);
    }
    const proofCheckAndProbeMs = (performance.now() - withProbe) / revalidations;
    const probeAddedMsPer1000 = (proofCheckAndProbeMs - proofMs) * 1000;
    const lambdaCost = (ms: number) => (ms / 1000) * VALIDATOR_GB * ARM_PRICE_PER_GB_SECOND;
    const result: PermissionCheckResult = {
      revalidations,
      proofMs,
      proofAndCheckMs,
      ratio: proofAndCheckMs / proofMs,
      iamCallsPerRevalidation,
      addedMsPer1000,
      addedLambdaCostPer1000Usd: lambdaCost(addedMsPer1000),
      proofCheckAndProbeMs,
      probeRatio: proofCheckAndProbeMs / proofMs,
      probesPerRevalidation: (customerServices.calls() - probedBefore) / revalidations,
      probeIamCallsPerRevalidation: (iam.simulateCalls() - simulatedBefore) / revalidations,
      probeAddedMsPer1000,
      probeAddedLambdaCostPer1000Usd: lambdaCost(probeAddedMsPer1000),
    };
    const report = [
      `Permission check (${revalidations} re-validations, local STS and IAM over HTTP)`,
      `  proof alone            ${proofMs.toFixed(2)} ms per re-validation (baseline)`,
      `  proof + check          ${proofAndCheckMs.toFixed(2)} ms  ×${result.ratio.toFixed(2)} of the baseline`,
      `  IAM calls              ${iamCallsPerRevalidation} per re-validation (SimulatePrincipalPolicy)`,
      `  proof + check + probe  ${proofCheckAndProbeMs.toFixed(2)} ms  ×${result.probeRatio.toFixed(2)} of the baseline`,
      `  calls                  ${result.probeIamCallsPerRevalidation} IAM + ${result.probesPerRevalidation} probe (DynamoDB DescribeTable) per re-validation`,
      `  per 1,000 re-validations: ${(addedMsPer1000 / 1000).toFixed(1)} s more validator time here, $${result.addedLambdaCostPer1000Usd.toFixed(6)} of Lambda (512 MB arm64); IAM calls are free`,
      `  with the probe:           ${(probeAddedMsPer1000 / 1000).toFixed(1)} s, $${result.probeAddedLambdaCostPer1000Usd.toFixed(6)}; DescribeTable reads no item, so no read capacity`,
    ].join('\n');
    return { result, report };
  } finally {
    await endpoint.close();
  }
}
