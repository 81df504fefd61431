// Building the page: every value from the API goes in as text (text nodes, textContent), never as
// HTML; links out are made only of https URLs. Loading and error states are shown in words.

export const $ = (id) => document.getElementById(id);
export const STATUSES = ['REGISTERED', 'ACTIVE', 'FAILED', 'BROKEN', 'REVOKED'];

/** An element; string children become text nodes, so data is never parsed as markup. */
export function h(tag, attributes = {}, ...children) {
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
export function externalLink(url, label) {
  const safe = typeof url === 'string' && URL.canParse(url) && new URL(url).protocol === 'https:';
  return safe
    ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, label)
    : h('span', {}, label);
}

export const when = (iso) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—');
export const path = (...parts) => parts.map(encodeURIComponent).join('/');

let generation = 0;
/** Starts loading: says so, clears the last error, and returns a ticket that a newer load outdates. */
export function loading(text) {
  $('status').textContent = text;
  $('error').replaceChildren();
  return ++generation;
}
/** Whether the load with this ticket is still the one the page shows. */
export const current = (ticket) => ticket === generation;
export function settled(text = '') {
  $('status').textContent = text;
}
export function failed(what, error) {
  $('status').textContent = '';
  $('error').replaceChildren(h('p', {}, `${what} failed: ${error.message}`));
}
export function show(title, ...content) {
  $('view').replaceChildren(h('h2', { id: 'view-title' }, title), ...content);
}

/**
 * A confirmation naming what will happen to whom; resolves true only on the confirm button. The
 * modal dialog keeps the keyboard inside it, starts on Cancel, closes on Escape and gives the focus
 * back to the control that opened it.
 */
export function confirmAction(title, text, label) {
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

export function table(caption, headings, rows) {
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

export const badge = (status) => h('span', { class: `badge status-${status}` }, status);
