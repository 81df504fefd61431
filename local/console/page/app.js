// The Keyless operator console (docs/architecture.md §10.1): plain DOM, no framework, no build.
// Every value from the API goes in as text (text nodes, textContent), never as HTML; links are made
// only of https URLs. Calls go to the console's own /api/, with the per-run token from the page's path.

const token = location.pathname.split('/')[1] ?? '';
const $ = (id) => document.getElementById(id);
const STATUSES = ['REGISTERED', 'ACTIVE', 'FAILED', 'BROKEN', 'REVOKED'];

/** A failed call, with the API's own message. */
class ApiError extends Error {}

async function api(method, path, body) {
  const headers = { 'x-keyless-console-token': token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      headers,
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError('The console did not answer: is keyless console still running?');
  }
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const issues = Array.isArray(data?.issues)
      ? data.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')
      : '';
    const message = data?.message ?? (text || response.statusText);
    throw new ApiError(`${response.status}: ${message}${issues ? ` (${issues})` : ''}`);
  }
  return data;
}

/** An element; string children become text nodes, so data is never parsed as markup. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(typeof child === 'object' ? child : String(child));
  }
  return element;
}

/** A link to the AWS console or a launch page: only https, opened without a referrer. */
function externalLink(url, label) {
  const safe = typeof url === 'string' && URL.canParse(url) && new URL(url).protocol === 'https:';
  return safe
    ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, label)
    : h('span', {}, label);
}

const when = (iso) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—');
const path = (...parts) => parts.map(encodeURIComponent).join('/');

// Loading and error states, in words.
let generation = 0;
function loading(text) {
  $('status').textContent = text;
  $('error').replaceChildren();
  return ++generation;
}
function settled(text = '') {
  $('status').textContent = text;
}
function failed(what, error) {
  $('status').textContent = '';
  $('error').replaceChildren(h('p', {}, `${what} failed: ${error.message}`));
}
function show(title, ...content) {
  $('view').replaceChildren(h('h2', { id: 'view-title' }, title), ...content);
}

/** A confirmation naming what will happen to whom; resolves true only on the confirm button. */
function confirmAction(title, text, label) {
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = label;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

function table(caption, headings, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headings.map((heading) => h('th', { scope: 'col' }, heading)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

const badge = (status) => h('span', { class: `badge status-${status}` }, status);

// Customers: the summary of GET /customers/{id}, and starting a setup.
async function customersPage(customerId) {
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
    if (ticket !== generation) return;
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
    if (ticket === generation) failed(`Loading customer ${customerId}`, error);
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
    h('th', { scope: 'row' }, account),
    h(
      'td',
      {},
      badge(connection.status),
      connection.changePending ? h('p', { class: 'quiet' }, 'change pending') : '',
    ),
    h('td', {}, connection.authMethod === 'ROLE' ? 'role' : 'access keys'),
    h('td', {}, connection.source),
    h('td', {}, templateCell(connection)),
    h('td', {}, permissionsCell(connection.permissions)),
    h('td', {}, when(connection.validatedAt)),
    h('td', { class: 'reason' }, connection.lastError ?? '—'),
    h(
      'td',
      { class: 'actions' },
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

async function connectionsPage(customerId) {
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
    if (ticket !== generation) return;
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
  const onError = (error) =>
    ticket === generation && failed(`Loading the connections of ${customerId}`, error);
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

// History: the audit timeline of GET /customers/{id}/audit.
async function historyPage(customerId, accountId) {
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
  const onError = (error) => ticket === generation && failed(`Loading the history of ${customerId}`, error);
  const load = async (cursor) => {
    const query = new URLSearchParams({
      limit: '50',
      ...(accountId ? { accountId } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const data = await api('GET', `/customers/${path(customerId)}/audit?${query}`);
    if (ticket !== generation) return;
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

// Migration: GET /migration as a chart of legacy remaining and migrated per day, and the oldest on keys.
const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function migrationChart(days) {
  const [width, height, left, bottom, top] = [720, 240, 36, 28, 12];
  const plotHeight = height - bottom - top;
  const max = Math.max(1, ...days.map((day) => Math.max(day.remaining, day.migrated)));
  const band = (width - left - 8) / Math.max(1, days.length);
  const y = (value) => top + plotHeight - (value / max) * plotHeight;
  const x = (i) => left + i * band + band / 2;
  const chart = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-labelledby': 'chart-title',
    class: 'chart',
  });
  const first = days[0];
  const last = days.at(-1);
  const migrated = days.reduce((sum, day) => sum + day.migrated, 0);
  chart.append(
    s(
      'title',
      { id: 'chart-title' },
      first && last
        ? `Connections on access keys: ${first.remaining} on ${first.day}, ${last.remaining} on ${last.day}; ${migrated} migrated in the range.`
        : 'No days in the range.',
    ),
  );
  for (const value of [0, Math.round(max / 2), max]) {
    chart.append(
      s('line', { x1: left, x2: width - 8, y1: y(value), y2: y(value), class: 'grid' }),
      s('text', { x: left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'axis' }, String(value)),
    );
  }
  days.forEach((day, i) => {
    const bar = Math.max(2, band * 0.6);
    chart.append(
      s(
        'g',
        { class: 'day', 'data-day': day.day, 'data-remaining': day.remaining, 'data-migrated': day.migrated },
        s(
          'title',
          {},
          `${day.day}: ${day.remaining} remaining, ${day.migrated} migrated, ${day.reminded} reminded`,
        ),
        s('rect', { x: x(i) - bar / 2, y: top, width: bar, height: plotHeight, class: 'hit' }),
        day.migrated > 0
          ? s('rect', {
              x: x(i) - bar / 2,
              y: y(day.migrated),
              width: bar,
              height: y(0) - y(day.migrated),
              class: 'migrated',
            })
          : s('g', {}),
      ),
    );
  });
  chart.append(
    s('polyline', {
      points: days.map((day, i) => `${x(i)},${y(day.remaining)}`).join(' '),
      class: 'remaining',
    }),
  );
  for (const [i, day] of [
    [0, first],
    [days.length - 1, last],
  ]) {
    if (day)
      chart.append(
        s(
          'text',
          { x: x(i), y: height - 8, 'text-anchor': i === 0 ? 'start' : 'end', class: 'axis' },
          day.day,
        ),
      );
  }
  return h(
    'figure',
    {},
    chart,
    h(
      'figcaption',
      { class: 'legend' },
      h('span', { class: 'key remaining' }, 'Still on access keys at the end of the day'),
      h('span', { class: 'key migrated' }, 'Migrated that day'),
    ),
  );
}

async function migrationPage(range) {
  const daysBack = [30, 90, 366].includes(Number(range)) ? Number(range) : 30;
  const ticket = loading('Loading the migration report…');
  const from = new Date(Date.now() - (daysBack - 1) * 86_400_000).toISOString().slice(0, 10);
  const picker = h(
    'select',
    { id: 'range', onchange: (event) => (location.hash = `#migration/${event.target.value}`) },
    [30, 90, 366].map((days) =>
      h('option', { value: days, selected: days === daysBack }, `the last ${days} days`),
    ),
  );
  show(
    'Migration off access keys',
    h('p', { class: 'inline' }, h('label', { for: 'range' }, 'Show'), picker),
  );
  try {
    const report = await api('GET', `/migration?${new URLSearchParams({ from, oldest: '10' })}`);
    if (ticket !== generation) return;
    $('view').append(
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'On access keys now'),
        h('dd', { id: 'remaining-now' }, report.remaining),
        h('dt', {}, `Migrated ${report.from} – ${report.to}`),
        h('dd', { id: 'migrated-total' }, report.totals.migrated),
        h('dt', {}, 'Reminders sent'),
        h('dd', {}, report.totals.reminded),
      ),
      migrationChart(report.days),
      table(
        'On access keys the longest',
        ['Customer', 'Account', 'On keys since', 'Days', 'Last reminded'],
        report.oldest.length > 0
          ? report.oldest.map((row) =>
              h(
                'tr',
                {},
                h('td', {}, h('a', { href: `#connections/${path(row.customerId)}` }, row.customerId)),
                h('td', {}, row.accountId),
                h('td', {}, when(row.createdAt)),
                h('td', {}, row.daysOnAccessKeys),
                h('td', {}, when(row.lastRemindedAt)),
              ),
            )
          : [h('tr', {}, h('td', { colspan: 5 }, 'No one is on access keys.'))],
      ),
    );
    settled(`Migration report ${report.from} – ${report.to} loaded.`);
  } catch (error) {
    if (ticket === generation) failed('Loading the migration report', error);
  }
}

// Routing: #customers/<id>, #connections/<id>, #history/<id>[/<account>], #migration[/<days>].
const PAGES = {
  customers: customersPage,
  connections: connectionsPage,
  history: historyPage,
  migration: migrationPage,
};
const CUSTOMER_PAGES = ['customers', 'connections', 'history'];
let currentCustomer = '';

function route() {
  const [name = '', ...rest] = location.hash.slice(1).split('/');
  const page = PAGES[name] ? name : 'customers';
  const args = rest.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  if (CUSTOMER_PAGES.includes(page)) currentCustomer = args[0] ?? currentCustomer;
  $('customer-id').value = currentCustomer;
  for (const link of document.querySelectorAll('nav a')) {
    const target = link.dataset.page;
    link.href = `#${target}${CUSTOMER_PAGES.includes(target) && currentCustomer ? `/${path(currentCustomer)}` : ''}`;
    if (target === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  $('search').hidden = page === 'migration';
  PAGES[page](...(CUSTOMER_PAGES.includes(page) ? [currentCustomer, ...args.slice(1)] : args));
}

$('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const customerId = $('customer-id').value.trim();
  const [name = ''] = location.hash.slice(1).split('/');
  const page = CUSTOMER_PAGES.includes(name) ? name : 'customers';
  const next = `#${page}/${path(customerId)}`;
  if (location.hash === next) route();
  else location.hash = next;
});
window.addEventListener('hashchange', route);
route();
