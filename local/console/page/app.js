// The Keyless operator console (docs/architecture.md §10.1): plain DOM in small modules, no
// framework; the console bundles them with the chart library (uPlot) into this one script.
import { connectionsPage } from './connections.js';
import { customersPage } from './customers.js';
import { $, path } from './dom.js';
import { historyPage } from './history.js';
import { migrationPage } from './migration.js';

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
// The skip link moves the focus to the content without touching the route in the URL's hash.
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  $('main').focus();
});
window.addEventListener('hashchange', route);
route();
