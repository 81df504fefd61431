import { api } from './api.js';
import { migrationChart } from './chart.js';
import { $, current, failed, h, loading, path, settled, show, table, when } from './dom.js';

export async function migrationPage(range) {
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
    if (!current(ticket)) return;
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
    if (current(ticket)) failed('Loading the migration report', error);
  }
}
