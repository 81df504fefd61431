import { api } from './api.js';
import {
  badge,
  confirmAction,
  current,
  externalLink,
  failed,
  h,
  loading,
  path,
  settled,
  show,
  table,
  when,
} from './dom.js';

// Connections: one row per account of GET /customers/{id}/connections.
function templateCell(connection) {
  const upgrade = connection.upgrade;
  if (!upgrade) return connection.templateVersion ? `v${connection.templateVersion}` : '—';
  return h(
    'div',
    {},
    `v${upgrade.fromVersion} → v${upgrade.toVersion}: `,
    upgrade.changes.join('; '),
    ' ',
    externalLink(upgrade.updateUrl, 'Update the stack'),
    h('details', {}, h('summary', {}, 'Command'), h('code', { class: 'wrap' }, upgrade.updateCommand)),
  );
}

function permissionsCell(permissions) {
  if (!permissions) return 'not checked';
  const list = (items) => items.map((item) => `${item.action} (denied by ${item.layer})`).join(', ');
  const parts = [];
  if (permissions.missing.length > 0)
    parts.push(h('p', { class: 'bad' }, `Missing: ${list(permissions.missing)}`));
  if (permissions.optionalMissing.length > 0)
    parts.push(h('p', {}, `Optional, missing: ${list(permissions.optionalMissing)}`));
  if (permissions.unchecked) parts.push(h('p', {}, `Not checked: ${permissions.unchecked}`));
  if (parts.length === 0) parts.push(h('p', {}, 'All granted'));
  parts.push(h('p', { class: 'quiet' }, `checked ${when(permissions.checkedAt)}`));
  return h('div', {}, parts);
}

function connectionRow(customerId, connection, reload, outcome) {
  const account = connection.accountId;
  const canRotate = connection.authMethod === 'ROLE' && ['ACTIVE', 'BROKEN'].includes(connection.status);
  return h(
    'tr',
    { 'data-account': account },
    h('th', { scope: 'row', 'data-label': 'Account' }, account),
    h(
      'td',
      { 'data-label': 'Status' },
      badge(connection.status),
      connection.changePending ? h('p', { class: 'quiet' }, 'change pending') : '',
    ),
    h('td', { 'data-label': 'Auth' }, connection.authMethod === 'ROLE' ? 'role' : 'access keys'),
    h('td', { 'data-label': 'Source' }, connection.source),
    h('td', { 'data-label': 'Template' }, templateCell(connection)),
    h('td', { 'data-label': 'Permissions' }, permissionsCell(connection.permissions)),
    h('td', { 'data-label': 'Last validated' }, when(connection.validatedAt)),
    h('td', { class: 'reason', 'data-label': 'Last error' }, connection.lastError ?? '—'),
    h(
      'td',
      { class: 'actions', 'data-label': 'Actions' },
      canRotate
        ? h('button', { type: 'button', onclick: () => rotate(customerId, account, outcome) }, 'Rotate')
        : '',
      connection.status === 'REVOKED'
        ? ''
        : h(
            'button',
            { type: 'button', class: 'danger', onclick: () => revoke(customerId, account, reload) },
            'Revoke',
          ),
      h('a', { href: `#history/${path(customerId, account)}` }, 'History'),
    ),
  );
}

export async function connectionsPage(customerId) {
  if (!customerId) {
    settled();
    return show('Connections', h('p', {}, 'Enter a customer id above to see its connections.'));
  }
  const ticket = loading(`Loading the connections of customer ${customerId}…`);
  const reload = () => connectionsPage(customerId);
  const outcome = h('div', { id: 'action-outcome' });
  const rows = h('tbody', {});
  const more = h('p', {});
  const load = async (cursor) => {
    const query = new URLSearchParams({ limit: '50', ...(cursor ? { cursor } : {}) });
    const data = await api('GET', `/customers/${path(customerId)}/connections?${query}`);
    if (!current(ticket)) return;
    rows.append(
      ...data.connections.map((connection) => connectionRow(customerId, connection, reload, outcome)),
    );
    more.replaceChildren(
      data.cursor
        ? h('button', { type: 'button', onclick: () => load(data.cursor).catch(onError) }, 'Load more')
        : '',
    );
    settled(`${rows.children.length} connection(s) of customer ${customerId}.`);
  };
  const onError = (error) => current(ticket) && failed(`Loading the connections of ${customerId}`, error);
  const grid = table(
    `Connections of customer ${customerId}`,
    [
      'Account',
      'Status',
      'Auth',
      'Source',
      'Template',
      'Permissions',
      'Last validated',
      'Last error',
      'Actions',
    ],
    [],
  );
  grid.querySelector('tbody').replaceWith(rows);
  // On a narrow screen each row becomes a card of labelled cells (style.css).
  grid.querySelector('table').classList.add('cards');
  show(`Connections of ${customerId}`, outcome, grid, more);
  await load().catch(onError);
}

async function revoke(customerId, accountId, reload) {
  const ok = await confirmAction(
    'Revoke access?',
    `Revoke account ${accountId} of customer ${customerId}? Keyless stops vending credentials for it at once, and this cannot be undone.`,
    'Revoke',
  );
  if (!ok) return;
  loading(`Revoking account ${accountId} of customer ${customerId}…`);
  try {
    const result = await api('POST', `/customers/${path(customerId)}/connections/${path(accountId)}/revoke`);
    await reload();
    settled(`Account ${accountId} of customer ${customerId} is ${result.connection.status}.`);
  } catch (error) {
    failed(`Revoking account ${accountId} of customer ${customerId}`, error);
  }
}

async function rotate(customerId, accountId, outcome) {
  const ok = await confirmAction(
    'Rotate the External ID?',
    `Rotate the External ID of account ${accountId} of customer ${customerId}? The customer updates the stack; the old ID keeps working until the new one is proven.`,
    'Rotate',
  );
  if (!ok) return;
  loading(`Rotating the External ID of account ${accountId} of customer ${customerId}…`);
  try {
    const offer = await api('POST', `/customers/${path(customerId)}/connections/${path(accountId)}/rotate`);
    outcome.replaceChildren(
      h(
        'div',
        { class: 'panel' },
        h('p', {}, `Rotation ${offer.setupId} for account ${accountId}, until ${when(offer.expiresAt)}.`),
        offer.updateUrl
          ? h('p', {}, 'Send the customer this link: ', externalLink(offer.updateUrl, 'Update the stack'))
          : h(
              'p',
              {},
              `Put the new External ID ${offer.externalId} in the role's trust policy, then register the role again through setup ${offer.setupId}.`,
            ),
      ),
    );
    settled(`Rotation started for account ${accountId} of customer ${customerId}.`);
  } catch (error) {
    failed(`Rotating account ${accountId} of customer ${customerId}`, error);
  }
}
