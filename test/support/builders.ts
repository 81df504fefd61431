/** Builders for domain objects, so each test states only what matters to it. */
import { randomInt } from 'node:crypto';
import type { LegacyConnection, RoleConnection } from '#shared/domain/connection.ts';
import type { Setup } from '#shared/domain/setup.ts';

export const randomAccountId = () => String(randomInt(100_000_000_000, 999_999_999_999));

export function buildRoleConnection(overrides: Partial<RoleConnection> = {}): RoleConnection {
  const accountId = overrides.accountId ?? randomAccountId();
  const now = new Date().toISOString();
  return {
    customerId: 'acme-corp',
    accountId,
    authMethod: 'ROLE',
    status: 'REGISTERED',
    version: 1,
    roleArn: `arn:aws:iam::${accountId}:role/KeylessAccess`,
    externalId: 'keyless-acme-corp-9f86d081884c7d659a2feaa0c55ad015',
    stackId: `arn:aws:cloudformation:us-east-1:${accountId}:stack/keyless-acme/3b0d6a20-0f4e-11ef-9c5e-0a1b2c3d4e5f`,
    setupId: 'setup-1',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function buildSetup(overrides: Partial<Setup> = {}): Setup {
  const now = Date.now();
  return {
    customerId: 'acme-corp',
    setupId: 'setup-1',
    externalId: 'keyless-acme-corp-9f86d081884c7d659a2feaa0c55ad015',
    status: 'OPEN',
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 7 * 86_400_000).toISOString(),
    ...overrides,
  };
}

export function buildLegacyConnection(overrides: Partial<LegacyConnection> = {}): LegacyConnection {
  const now = new Date().toISOString();
  return {
    customerId: 'legacy-corp',
    accountId: randomAccountId(),
    authMethod: 'ACCESS_KEYS',
    status: 'ACTIVE',
    version: 1,
    secretRef: 'keyless/legacy/legacy-corp',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
