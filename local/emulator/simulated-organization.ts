/**
 * The structure of a simulated AWS organization, as its management account sees it through AWS
 * Organizations (docs/architecture.md §9.7): one root (`r-…`), organizational units
 * (`ou-<root part>-…`) that may nest, and each member account under exactly one parent, the root
 * or an OU. It is what MoveAccount changes and what a service-managed StackSet's deployment
 * targets select: a target covers the accounts of that OU and of all its child OUs.
 *
 * Ids have the formats of the Organizations API reference: a root is `r-` and 4–32 lower-case
 * letters or digits; an OU is `ou-`, the root's part, `-` and 8–32 more. Locally the root's part is
 * the first four characters of the organization id's (`o-umbrella0001` → `r-umbr`), so OU ids can
 * be written before the organization exists (for `organizationalUnitIds` of POST /setups).
 *
 * Whether an account is in the organization at all (what DescribeOrganization answers) is the
 * local endpoint's (`/_local/organizations`); this tree is kept in the CLI's state directory
 * (`organizations/<o-…>.json`), beside the StackSet that reads it, and outlives the StackSet.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How the CLI names the root without knowing its id. */
export const ROOT_ALIAS = 'root';

const ROOT_ID_PATTERN = /^r-[0-9a-z]{4,32}$/;
const OU_ID_PATTERN = /^ou-([0-9a-z]{4,32})-[a-z0-9]{8,32}$/;

export interface OrganizationTree {
  organizationId: string;
  rootId: string;
  /** Each OU's parent: the root or another OU. */
  organizationalUnits: Record<string, string>;
  /** Each member account's parent: the root or an OU. */
  accounts: Record<string, string>;
}

/** A refusal of Organizations, named by its exception as the API names it. */
export class OrganizationStructureError extends Error {
  override readonly name = 'OrganizationStructureError';
  constructor(
    readonly type:
      | 'ParentNotFoundException'
      | 'DestinationParentNotFoundException'
      | 'DuplicateOrganizationalUnitException'
      | 'DuplicateAccountException'
      | 'AccountNotFoundException'
      | 'InvalidInputException',
    message: string,
  ) {
    super(`${type}: ${message}`);
  }
}

/** The root of a simulated organization. */
export const rootIdOf = (organizationId: string) => `r-${organizationId.slice(2, 6)}`;

export function newOrganization(organizationId: string): OrganizationTree {
  return { organizationId, rootId: rootIdOf(organizationId), organizationalUnits: {}, accounts: {} };
}

/** Whether `id` is written as a root or OU id of this organization (it need not exist). */
export function checkParentId(tree: OrganizationTree, id: string): void {
  const ou = OU_ID_PATTERN.exec(id);
  if (ROOT_ID_PATTERN.test(id) ? id !== tree.rootId : !ou || `r-${ou[1]}` !== tree.rootId)
    throw new OrganizationStructureError(
      'InvalidInputException',
      `${id} is not the root or an OU of ${tree.organizationId}: its root is ${tree.rootId}, and its OU ids read ou-${tree.rootId.slice(2)}-<8–32 lower-case letters or digits>.`,
    );
}

const exists = (tree: OrganizationTree, id: string) =>
  id === tree.rootId || Object.hasOwn(tree.organizationalUnits, id);

/** The root or an existing OU, by id or by `root`. */
export function resolveParent(
  tree: OrganizationTree,
  id: string,
  missing: 'ParentNotFoundException' | 'DestinationParentNotFoundException' = 'ParentNotFoundException',
): string {
  const resolved = id === ROOT_ALIAS ? tree.rootId : id;
  if (!exists(tree, resolved))
    throw new OrganizationStructureError(
      missing,
      `${id} is neither the root nor an OU of ${tree.organizationId}.`,
    );
  return resolved;
}

/** CreateOrganizationalUnit, with the id given (AWS generates it; locally it is written first). */
export function createOrganizationalUnit(tree: OrganizationTree, ouId: string, parentId: string): void {
  checkParentId(tree, ouId);
  if (ROOT_ID_PATTERN.test(ouId))
    throw new OrganizationStructureError('InvalidInputException', `${ouId} is the root, not an OU.`);
  if (exists(tree, ouId))
    throw new OrganizationStructureError(
      'DuplicateOrganizationalUnitException',
      `${ouId} already exists in ${tree.organizationId}.`,
    );
  tree.organizationalUnits[ouId] = resolveParent(tree, parentId);
}

export const parentOf = (tree: OrganizationTree, accountId: string): string | undefined =>
  tree.accounts[accountId];

/** An account joins the organization: it lands under `parentId` (the root unless moved). */
export function addAccount(tree: OrganizationTree, accountId: string, parentId = tree.rootId): void {
  if (parentOf(tree, accountId))
    throw new OrganizationStructureError(
      'DuplicateAccountException',
      `Account ${accountId} is already a member of ${tree.organizationId} (org-move moves it).`,
    );
  tree.accounts[accountId] = resolveParent(tree, parentId);
}

export function removeAccount(tree: OrganizationTree, accountId: string): void {
  delete tree.accounts[accountId];
}

/** MoveAccount: from its parent to `destination` (root or OU). Answers both parents. */
export function moveAccount(
  tree: OrganizationTree,
  accountId: string,
  destination: string,
): { from: string; to: string } {
  const from = parentOf(tree, accountId);
  if (!from)
    throw new OrganizationStructureError(
      'AccountNotFoundException',
      `Account ${accountId} is not a member of ${tree.organizationId}.`,
    );
  const to = resolveParent(tree, destination, 'DestinationParentNotFoundException');
  if (to === from)
    throw new OrganizationStructureError(
      'DuplicateAccountException',
      `Account ${accountId} is already in ${to}.`,
    );
  tree.accounts[accountId] = to;
  return { from, to };
}

/** Whether `id` (root or OU) is `target` or lies under it: a target covers its child OUs. */
export function isWithin(tree: OrganizationTree, id: string, target: string): boolean {
  const seen = new Set<string>();
  for (let current: string | undefined = id; current && !seen.has(current); ) {
    if (current === target) return true;
    seen.add(current);
    current = tree.organizationalUnits[current];
  }
  return false;
}

/** Whether the StackSet's deployment targets cover the account (wherever it sits under them). */
export function isTargeted(tree: OrganizationTree, accountId: string, targets: readonly string[]): boolean {
  const parent = parentOf(tree, accountId);
  return parent !== undefined && targets.some((target) => isWithin(tree, parent, target));
}

/** The organization's accounts the targets cover, in the order they joined. */
export const targetedAccounts = (tree: OrganizationTree, targets: readonly string[]): string[] =>
  Object.keys(tree.accounts).filter((accountId) => isTargeted(tree, accountId, targets));

/** The organization's structure, kept in the state directory. */
export function organizationStore(stateDir: string) {
  const file = (organizationId: string) => join(stateDir, 'organizations', `${organizationId}.json`);
  return {
    /** The organization's structure; a new one (a root, no OU, no account) the first time. */
    load(organizationId: string): OrganizationTree {
      try {
        return JSON.parse(readFileSync(file(organizationId), 'utf8')) as OrganizationTree;
      } catch {
        return newOrganization(organizationId);
      }
    },
    save(tree: OrganizationTree): void {
      mkdirSync(join(stateDir, 'organizations'), { recursive: true });
      writeFileSync(file(tree.organizationId), JSON.stringify(tree, null, 2));
    },
  };
}
