import { api } from './api.js';
import { badge, current, failed, h, loading, path, settled, show, when } from './dom.js';

// History: the audit timeline of GET /customers/{id}/audit.
export async function historyPage(customerId, accountId) {
  if (!customerId) {
    settled();
    return show('History', h('p', {}, 'Enter a customer id above to see its history.'));
  }
  const ticket = loading(`Loading the history of customer ${customerId}…`);
  const timeline = h('ol', { class: 'timeline' });
  const more = h('p', {});
  const filter = h(
    'form',
    {
      class: 'inline',
      onsubmit: (event) => {
        event.preventDefault();
        const account = new FormData(event.target).get('account').trim();
        location.hash = `#history/${account ? path(customerId, account) : path(customerId)}`;
      },
    },
    h('label', { for: 'account-filter' }, 'Account'),
    h('input', { id: 'account-filter', name: 'account', value: accountId ?? '', inputmode: 'numeric' }),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const onError = (error) => current(ticket) && failed(`Loading the history of ${customerId}`, error);
  const load = async (cursor) => {
    const query = new URLSearchParams({
      limit: '50',
      ...(accountId ? { accountId } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const data = await api('GET', `/customers/${path(customerId)}/audit?${query}`);
    if (!current(ticket)) return;
    timeline.append(
      ...data.entries.map((entry) =>
        h(
          'li',
          {},
          h('time', { datetime: entry.at }, when(entry.at)),
          h('p', {}, `Account ${entry.accountId}: `, badge(entry.from), ' → ', badge(entry.to)),
          h('p', {}, `${entry.reason} — by ${entry.actor}`),
          entry.sourceEventId ? h('p', { class: 'quiet' }, `event ${entry.sourceEventId}`) : '',
        ),
      ),
    );
    if (timeline.children.length === 0) timeline.replaceChildren(h('li', {}, 'No changes yet.'));
    more.replaceChildren(
      data.cursor
        ? h('button', { type: 'button', onclick: () => load(data.cursor).catch(onError) }, 'Load more')
        : '',
    );
    settled(`${timeline.children.length} change(s) of customer ${customerId}, newest first.`);
  };
  show(`History of ${customerId}${accountId ? `, account ${accountId}` : ''}`, filter, timeline, more);
  await load().catch(onError);
}
