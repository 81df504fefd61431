/**
 * The simulated organization's structure (docs/architecture.md §9.7): ids in AWS Organizations'
 * formats, every account under exactly one parent, MoveAccount's refusals, and deployment targets
 * that cover their child OUs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addAccount,
  createOrganizationalUnit,
  isTargeted,
  moveAccount,
  newOrganization,
  organizationStore,
  removeAccount,
  rootIdOf,
  targetedAccounts,
} from '#local/emulator/simulated-organization.ts';

const ORGANIZATION = 'o-initech0001';

function organization() {
  const tree = newOrganization(ORGANIZATION);
  createOrganizationalUnit(tree, 'ou-init-workloads', 'root');
  createOrganizationalUnit(tree, 'ou-init-production', 'ou-init-workloads');
  createOrganizationalUnit(tree, 'ou-init-sandbox01', tree.rootId);
  return tree;
}

describe('a simulated organization', () => {
  it('has a root in the r- format, whose part its OU ids carry', () => {
    expect(rootIdOf(ORGANIZATION)).toBe('r-init');
    expect(organization().organizationalUnits).toEqual({
      'ou-init-workloads': 'r-init',
      'ou-init-production': 'ou-init-workloads',
      'ou-init-sandbox01': 'r-init',
    });
  });

  it('refuses OU ids of another root, the root as an OU, duplicates and unknown parents', () => {
    const tree = organization();
    expect(() => createOrganizationalUnit(tree, 'ou-abcd-workloads', 'root')).toThrow(
      /InvalidInputException: ou-abcd-workloads is not the root or an OU of o-initech0001: its root is r-init/,
    );
    expect(() => createOrganizationalUnit(tree, 'r-init', 'root')).toThrow(/is the root, not an OU/);
    expect(() => createOrganizationalUnit(tree, 'ou-init-workloads', 'root')).toThrow(
      /DuplicateOrganizationalUnitException/,
    );
    expect(() => createOrganizationalUnit(tree, 'ou-init-elsewhere', 'ou-init-nowhere01')).toThrow(
      /ParentNotFoundException/,
    );
  });

  it('keeps each account under exactly one parent, moved as MoveAccount moves it', () => {
    const tree = organization();
    addAccount(tree, '111111111111');
    expect(tree.accounts['111111111111']).toBe('r-init');
    expect(() => addAccount(tree, '111111111111', 'ou-init-sandbox01')).toThrow(/DuplicateAccountException/);
    expect(moveAccount(tree, '111111111111', 'ou-init-production')).toEqual({
      from: 'r-init',
      to: 'ou-init-production',
    });
    expect(() => moveAccount(tree, '111111111111', 'ou-init-production')).toThrow(
      /DuplicateAccountException: Account 111111111111 is already in ou-init-production/,
    );
    expect(() => moveAccount(tree, '111111111111', 'ou-init-nowhere01')).toThrow(
      /DestinationParentNotFoundException/,
    );
    expect(() => moveAccount(tree, '222222222222', 'root')).toThrow(/AccountNotFoundException/);
    expect(moveAccount(tree, '111111111111', 'root').to).toBe('r-init');
    removeAccount(tree, '111111111111');
    expect(tree.accounts).toEqual({});
  });

  it('lets a target cover its OU and every child OU, and the root cover everything', () => {
    const tree = organization();
    addAccount(tree, '111111111111', 'ou-init-workloads');
    addAccount(tree, '222222222222', 'ou-init-production');
    addAccount(tree, '333333333333', 'ou-init-sandbox01');
    addAccount(tree, '444444444444');
    expect(targetedAccounts(tree, ['ou-init-workloads'])).toEqual(['111111111111', '222222222222']);
    expect(targetedAccounts(tree, ['ou-init-production'])).toEqual(['222222222222']);
    expect(targetedAccounts(tree, ['ou-init-production', 'ou-init-sandbox01'])).toEqual([
      '222222222222',
      '333333333333',
    ]);
    expect(targetedAccounts(tree, [tree.rootId])).toHaveLength(4);
    expect(isTargeted(tree, '444444444444', ['ou-init-workloads'])).toBe(false);
    expect(isTargeted(tree, '999999999999', [tree.rootId])).toBe(false);
  });

  it('is kept in the state directory, and is new the first time', () => {
    const store = organizationStore(mkdtempSync(join(tmpdir(), 'keyless-organization-')));
    expect(store.load(ORGANIZATION)).toEqual(newOrganization(ORGANIZATION));
    const tree = organization();
    addAccount(tree, '111111111111', 'ou-init-production');
    store.save(tree);
    expect(store.load(ORGANIZATION)).toEqual(tree);
  });
});
