/**
 * The role proof's calls as X-Ray sees them (shared/onboarding/role-proof.ts, docs/architecture.md
 * §11): against the local STS endpoint, a proof's AssumeRole calls (the platform's STS client) and the
 * session's GetCallerIdentity (a client made for the session, captured by the hook) are each a
 * subsegment, the denied decoy attempt an error, and no credential is in any document.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIdentityEndpoint } from '#local/emulator/endpoint.ts';
import { createLocalIam } from '#local/emulator/iam.ts';
import { instantiateCustomerTemplate } from '#local/emulator/instantiate.ts';
import { createLocalSts, type PolicyDocument } from '#local/emulator/sts.ts';
import {
  buildCustomerTemplate,
  resolveCustomerTemplateConfig,
  trustedPrincipalArns,
} from '#shared/customer-template/template.ts';
import { generateExternalId } from '#shared/domain/external-id.ts';
import { createRoleProver } from '#shared/onboarding/role-proof.ts';
import { recordingTracer } from '../../support/xray.ts';

const PROVIDER = '999988887777';
const CUSTOMER = '111122223333';
const EXTERNAL_ID = generateExternalId('acme');
const config = resolveCustomerTemplateConfig({
  providerAccountId: PROVIDER,
  stage: 'local',
  regions: ['us-east-1'],
  providerName: 'Acme Analytics',
  permissions: {
    ongoing: { managedPolicyArns: [], statements: [] },
    setupPhase: { managedPolicyArns: [], statements: [] },
  },
});
const [validatorRoleArn] = trustedPrincipalArns(config) as [string];
const { role } = instantiateCustomerTemplate(buildCustomerTemplate(config), {
  accountId: CUSTOMER,
  region: 'us-east-1',
  parameters: { ExternalId: EXTERNAL_ID, CustomerId: 'acme', RoleName: 'AcmeAnalyticsAccess' },
});

let endpoint: Awaited<ReturnType<typeof startIdentityEndpoint>>;
beforeAll(async () => {
  const sts = createLocalSts({ providerAccountId: PROVIDER, providerRoleArn: validatorRoleArn });
  endpoint = await startIdentityEndpoint({ sts, iam: createLocalIam({ sts }), accountId: PROVIDER });
  await sts.putRole({
    arn: role.arn,
    trustPolicy: role.trustPolicy,
    policies: Object.fromEntries(
      role.policies.map((p) => [p.policyName, p.policyDocument as PolicyDocument]),
    ),
  });
});
afterAll(() => endpoint.close());
// The session's own client finds the endpoint as the local runtime's functions do.
beforeEach(() => {
  vi.stubEnv('AWS_ENDPOINT_URL_STS', endpoint.url);
});
afterEach(() => vi.unstubAllEnvs());

describe('the role proof, traced', () => {
  it("records the proof's STS calls, the session's own client included, without credentials", async () => {
    const { tracer, documents } = recordingTracer('role-validator');
    const sts = new STSClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAPROVIDERLOCAL000', secretAccessKey: 'local' },
    });
    tracer.captureAWSv3Client(sts);
    const prover = createRoleProver({
      sts,
      captureClient: (client) => tracer.captureAWSv3Client(client),
      sleep: async () => undefined,
    });
    const proof = await tracer.traceHandler(() =>
      prover.prove({
        customerId: 'acme',
        roleArn: role.arn,
        externalId: EXTERNAL_ID,
        decoyExternalId: generateExternalId('acme'),
        deadline: Date.now() + 30_000,
      }),
    )();
    expect(proof).toMatchObject({ ok: true });
    const calls = documents.filter((d) => d.namespace === 'aws');
    const operations = calls.map((d) => (d.aws as { operation: string }).operation);
    expect(operations).toContain('GetCallerIdentity');
    expect(operations.filter((operation) => operation === 'AssumeRole').length).toBeGreaterThanOrEqual(2);
    // The attempts without the customer's External ID are refused: errors of the call, not faults.
    const refused = calls.filter((d) => d.error === true);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const call of refused) expect(call).toMatchObject({ http: { response: { status: 403 } } });
    expect(calls.every((d) => d.name === 'STS')).toBe(true);
    // The session's secret and token, which every call of the session signed with, are in no document.
    const session = proof.ok ? proof.credentials : undefined;
    expect(session?.SecretAccessKey).toBeTruthy();
    expect(JSON.stringify(documents)).not.toContain(session?.SecretAccessKey);
    expect(JSON.stringify(documents)).not.toContain(session?.SessionToken);
  });
});
