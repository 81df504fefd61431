import { describe, expect, it } from 'vitest';
import {
  CorruptItemError,
  decodeAuditEntry,
  decodeConnection,
  decodeConnectionAccess,
  decodeLegacyListing,
  decodeLinkHolder,
  decodeSetup,
} from '#shared/store/decoders.ts';
import { itemKeys } from '#shared/store/table-definition.ts';
import { buildRoleConnection, buildSetup } from '../../support/builders.ts';

const STORAGE_ATTRIBUTES = ['PK', 'SK', 'legacyPK', 'legacySK', 'ttl', 'type'];

/** A role connection as the store writes it, keys and index keys included. */
function storedConnection(overrides: Record<string, unknown> = {}) {
  const connection = buildRoleConnection({ customerId: 'acme-corp', accountId: '111122223333' });
  return {
    ...itemKeys.connection(connection.customerId, connection.accountId),
    type: 'CONNECTION',
    legacyPK: 'LEGACY',
    legacySK: 'x',
    ttl: 1,
    ...connection,
    ...overrides,
  };
}

/** The error `decode` throws, or a failure if it throws none. */
function refusal(decode: () => unknown): CorruptItemError {
  try {
    decode();
  } catch (error) {
    if (error instanceof CorruptItemError) return error;
    throw error;
  }
  throw new Error('the item was accepted');
}

describe('decoders', () => {
  describe('decodeConnection', () => {
    it('strips every storage attribute and keeps every domain field', () => {
      // Prepare
      const item = storedConnection({ pendingAnswer: { requestId: 'r-1' }, answeredRequestIds: ['r-0'] });
      // Act
      const connection = decodeConnection(item);
      // Assess
      for (const attribute of STORAGE_ATTRIBUTES) expect(connection).not.toHaveProperty(attribute);
      expect(connection).toEqual({
        ...buildRoleConnection({
          customerId: 'acme-corp',
          accountId: '111122223333',
          createdAt: item.createdAt,
          updatedAt: item.updatedAt,
        }),
        pendingAnswer: { requestId: 'r-1' },
        answeredRequestIds: ['r-0'],
      });
    });

    it('refuses a connection without a status, naming its key and the field', () => {
      // Prepare
      const { status: _status, ...item } = storedConnection();
      // Act
      const error = refusal(() => decodeConnection(item));
      // Assess
      expect(error).toMatchObject({ key: 'CUSTOMER#acme-corp, CONN#111122223333', field: 'status' });
      expect(error.message).toBe('Corrupt item (CUSTOMER#acme-corp, CONN#111122223333): status is missing.');
    });

    it('refuses an unknown status, naming it and the statuses allowed', () => {
      const error = refusal(() => decodeConnection(storedConnection({ status: 'ZOMBIE' })));
      expect(error.message).toBe(
        'Corrupt item (CUSTOMER#acme-corp, CONN#111122223333): status is "ZOMBIE", not one of REGISTERED, ACTIVE, FAILED, BROKEN, REVOKED.',
      );
    });

    it.each([
      ['version', '2', 'version is string, not an integer'],
      ['version', 1.5, 'version is number, not an integer'],
      ['authMethod', 'PASSWORD', 'authMethod is "PASSWORD", not one of ROLE, ACCESS_KEYS'],
      ['customerId', undefined, 'customerId is missing'],
      ['updatedAt', null, 'updatedAt is null, not a string'],
      ['answeredRequestIds', 'r-1', 'answeredRequestIds is not a list of strings'],
      ['pendingAnswer', 'https://example.com', 'pendingAnswer is string, not an object'],
    ])('refuses a connection whose %s is %j', (field, value, problem) => {
      const error = refusal(() => decodeConnection(storedConnection({ [field]: value })));
      expect(error.field).toBe(field);
      expect(error.message).toContain(problem);
    });

    it('names only the type of a mistyped value, never the value', () => {
      const error = refusal(() =>
        decodeConnection(storedConnection({ externalId: { leaked: 'keyless-secret-value' } })),
      );
      expect(error.message).toContain('externalId is object, not a string');
      expect(error.message).not.toContain('keyless-secret-value');
    });

    it('names the key it was given when the item carries none', () => {
      const { PK: _pk, SK: _sk, ...merged } = storedConnection({ version: 'two' });
      const error = refusal(() => decodeConnection(merged, itemKeys.connection('acme-corp', '111122223333')));
      expect(error.key).toBe('CUSTOMER#acme-corp, CONN#111122223333');
    });
  });

  describe('decodeConnectionAccess', () => {
    const key = itemKeys.connection('acme-corp', '111122223333');
    const projected = {
      customerId: 'acme-corp',
      accountId: '111122223333',
      status: 'ACTIVE',
      authMethod: 'ROLE',
      roleArn: 'arn:aws:iam::111122223333:role/KeylessAccess',
      externalId: 'keyless-acme',
      version: 3,
      createdAt: '2026-11-24T00:00:00.000Z',
    };

    it('returns exactly the projected fields', () => {
      expect(decodeConnectionAccess(projected, key)).toEqual(projected);
    });

    it('refuses an unknown status, naming the key it was read with', () => {
      const error = refusal(() => decodeConnectionAccess({ ...projected, status: 'active' }, key));
      expect(error).toMatchObject({ key: 'CUSTOMER#acme-corp, CONN#111122223333', field: 'status' });
    });

    it('keeps a missing role or secret for the broker to refuse, but not a mistyped one', () => {
      const { roleArn: _roleArn, ...withoutRole } = projected;
      expect(decodeConnectionAccess(withoutRole, key)).not.toHaveProperty('roleArn');
      expect(refusal(() => decodeConnectionAccess({ ...projected, secretRef: 42 }, key)).field).toBe(
        'secretRef',
      );
    });
  });

  describe('decodeSetup', () => {
    const stored = (overrides: Record<string, unknown> = {}) => {
      const setup = buildSetup({ customerId: 'acme-corp', setupId: 'setup-1' });
      return {
        ...itemKeys.setup(setup.customerId, setup.setupId),
        type: 'SETUP',
        ttl: 1,
        ...setup,
        ...overrides,
      };
    };

    it('strips the storage attributes and keeps the slots', () => {
      const setup = decodeSetup(stored({ pendingValidations: { '111122223333': 5 }, slotVersion: 1 }));
      for (const attribute of STORAGE_ATTRIBUTES) expect(setup).not.toHaveProperty(attribute);
      expect(setup).toMatchObject({ pendingValidations: { '111122223333': 5 }, slotVersion: 1 });
    });

    it.each([
      ['status', 'CLOSED', 'status is "CLOSED", not one of OPEN, USED, EXPIRED'],
      ['externalId', undefined, 'externalId is missing'],
      ['slotVersion', '1', 'slotVersion is string, not an integer'],
      ['pendingValidations', { '111122223333': 'soon' }, 'pendingValidations is not a map'],
    ])('refuses a setup whose %s is %j', (field, value, problem) => {
      const error = refusal(() => decodeSetup(stored({ [field]: value })));
      expect(error).toMatchObject({ key: 'CUSTOMER#acme-corp, SETUP#setup-1', field });
      expect(error.message).toContain(problem);
    });
  });

  describe('decodeAuditEntry', () => {
    const stored = (overrides: Record<string, unknown> = {}) => ({
      ...itemKeys.audit('acme-corp', '2026-11-24T00:00:00.000Z', 'a-1'),
      type: 'AUDIT',
      customerId: 'acme-corp',
      accountId: '111122223333',
      auditId: 'a-1',
      at: '2026-11-24T00:00:00.000Z',
      from: 'NONE',
      to: 'REGISTERED',
      actor: 'test',
      reason: 'because',
      version: 1,
      ...overrides,
    });

    it('strips the storage attributes', () => {
      const entry = decodeAuditEntry(stored());
      for (const attribute of STORAGE_ATTRIBUTES) expect(entry).not.toHaveProperty(attribute);
      expect(entry).toMatchObject({ from: 'NONE', to: 'REGISTERED', version: 1 });
    });

    it.each([
      ['from', 'NOWHERE'],
      ['to', 'NONE'],
      ['reason', undefined],
      ['version', '1'],
    ])('refuses an entry whose %s is %j', (field, value) => {
      expect(refusal(() => decodeAuditEntry(stored({ [field]: value }))).field).toBe(field);
    });
  });

  describe('decodeLinkHolder and decodeLegacyListing', () => {
    it('refuses a link without the account it points to', () => {
      const error = refusal(() =>
        decodeLinkHolder({ ...itemKeys.roleLink('arn:r'), customerId: 'acme-corp' }),
      );
      expect(error).toMatchObject({ key: 'ROLE#arn:r, ROLE', field: 'accountId' });
    });

    it('refuses a legacy listing without a version, and drops an empty lastRemindedAt', () => {
      const listing = {
        ...itemKeys.connection('legacy-corp', '111122223333'),
        customerId: 'legacy-corp',
        accountId: '111122223333',
        createdAt: '2026-01-01T00:00:00.000Z',
        status: 'ACTIVE',
        version: 1,
        lastRemindedAt: '',
      };
      expect(decodeLegacyListing(listing)).toEqual({
        customerId: 'legacy-corp',
        accountId: '111122223333',
        createdAt: '2026-01-01T00:00:00.000Z',
        status: 'ACTIVE',
        version: 1,
      });
      expect(refusal(() => decodeLegacyListing({ ...listing, version: undefined })).field).toBe('version');
    });
  });
});
