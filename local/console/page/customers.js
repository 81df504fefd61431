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
  STATUSES,
  settled,
  show,
  table,
  when,
} from './dom.js';

// Customers: the summary of GET /customers/{id}, and starting a setup.
export async function customersPage(customerId) {
  if (!customerId) {
    settled();
    return show('Customers', h('p', {}, 'Enter a customer id above to see its summary.'));
  }
  const outcome = h('div', { id: 'action-outcome' });
  const actions = h(
    'section',
    { 'aria-labelledby': 'actions-title' },
    h('h3', { id: 'actions-title' }, 'Actions'),
    h('button', { type: 'button', onclick: () => startSetup(customerId, outcome) }, 'Start a setup'),
    outcome,
  );
  const summary = h('div', {});
  show(`Customer ${customerId}`, summary, actions);
  const ticket = loading(`Loading customer ${customerId}…`);
  try {
    const data = await api('GET', `/customers/${path(customerId)}`);
    if (!current(ticket)) return;
    const counts = data.connections;
    const last = data.lastChange;
    summary.replaceChildren(
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Connections'),
        h('dd', {}, counts.total),
        h('dt', {}, 'Changes pending'),
        h('dd', {}, counts.changePending),
        h('dt', {}, 'Open setups'),
        h('dd', {}, data.openSetups),
        h('dt', {}, 'On a role / on access keys'),
        h('dd', {}, `${counts.byAuthMethod.ROLE ?? 0} / ${counts.byAuthMethod.ACCESS_KEYS ?? 0}`),
        h('dt', {}, 'Last change'),
        h(
          'dd',
          {},
          last
            ? `${when(last.at)}: account ${last.accountId} ${last.from} → ${last.to} by ${last.actor} (${last.reason})`
            : 'none yet',
        ),
      ),
      table(
        'Connections by status',
        ['Status', 'Connections'],
        STATUSES.map((status) =>
          h('tr', {}, h('td', {}, badge(status)), h('td', {}, counts.byStatus[status] ?? 0)),
        ),
      ),
      h(
        'p',
        {},
        h('a', { href: `#connections/${path(customerId)}` }, 'Connections'),
        ' · ',
        h('a', { href: `#history/${path(customerId)}` }, 'History'),
      ),
    );
    settled(`Customer ${customerId} loaded.`);
  } catch (error) {
    if (current(ticket)) failed(`Loading customer ${customerId}`, error);
  }
}

async function startSetup(customerId, outcome) {
  const ok = await confirmAction(
    'Start a setup?',
    `Start a setup for customer ${customerId}? It issues a new External ID and a launch link for the customer.`,
    'Start the setup',
  );
  if (!ok) return;
  loading(`Starting a setup for customer ${customerId}…`);
  try {
    const offer = await api('POST', '/setups', { customerId });
    outcome.replaceChildren(
      h(
        'div',
        { class: 'panel', id: 'setup-offer' },
        h('p', {}, `Setup ${offer.setupId} for customer ${customerId}, until ${when(offer.expiresAt)}.`),
        h(
          'p',
          {},
          'Send the customer this link: ',
          externalLink(offer.launchUrl, `Launch stack ${offer.stackName}`),
        ),
        h('p', {}, 'Or the whole link to copy:'),
        h('code', { class: 'wrap' }, offer.launchUrl),
      ),
    );
    settled(`Setup started for customer ${customerId}.`);
  } catch (error) {
    failed(`Starting a setup for customer ${customerId}`, error);
  }
}
