// @ts-check
/**
 * The Notifications tab: what was published on the topic, newest first, with the file each one
 * is about (a digest: its route, files and window) and how its deliveries went. A row opens its
 * file's detail.
 */
import { api } from './api.js';
import { select } from './detail.js';
import { badge, el, h } from './dom.js';
import { clock } from './format.js';
import { debounce } from './schedule.js';
import { state } from './state.js';

async function loadNotifications() {
  const table = el('notifications-table');
  try {
    const { notifications } = await api('/notifications?limit=200');
    const thead = h(
      'thead',
      null,
      h(
        'tr',
        null,
        ...['time', 'subject', 'file', 'status', 'deliveries', 'message id'].map((n) => h('th', null, n)),
      ),
    );
    const colgroup = h(
      'colgroup',
      null,
      ...['110px', '150px', '34%', '100px', '140px', '30%'].map((w) => h('col', { width: w })),
    );
    const tbody = h('tbody');
    for (const n of [...notifications].reverse()) {
      const { key, status, digest } = describeNotification(n);
      const delivered = (n.deliveries ?? []).filter(
        (/** @type {any} */ d) => d.status === 'delivered',
      ).length;
      const failed = (n.deliveries ?? []).filter((/** @type {any} */ d) => d.status === 'failed').length;
      const total = (n.deliveries ?? []).length;
      const tr = h(
        'tr',
        { class: key ? 'clickable' : '', 'data-file': key ?? '', 'data-digest': digest?.id ?? '' },
        h('td', null, clock(n.timestamp)),
        h('td', null, n.subject ?? ''),
        h('td', { class: 'mono', title: digest?.title ?? '' }, digest ? digest.summary : (key ?? '–')),
        h('td', null, status ? badge(status.toLowerCase()) : '–'),
        h(
          'td',
          { title: reached(n.deliveries ?? []) },
          total === 0
            ? 'no subscribers'
            : `${delivered}/${total} delivered${failed ? `, ${failed} failed` : ''}: ${protocols(n.deliveries ?? [])}`,
        ),
        h('td', { class: 'mono muted' }, n.messageId),
      );
      if (key) tr.addEventListener('click', () => select(key));
      tbody.append(tr);
    }
    if (notifications.length === 0)
      tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: 6 }, 'no notifications yet')));
    table.replaceChildren(colgroup, thead, tbody);
  } catch (error) {
    table.replaceChildren(
      h(
        'tbody',
        null,
        h('tr', { class: 'empty-row' }, h('td', null, `could not list notifications: ${String(error)}`)),
      ),
    );
  }
}

/** Which subscriptions a notification reached, one line each (the cell's tooltip). @param {any[]} deliveries */
function reached(deliveries) {
  return deliveries
    .map((d) => `${d.protocol} ${d.endpoint}: ${d.status}${d.error ? ` (${d.error})` : ''}`)
    .join('\n');
}

/** `sqs ✓, sms ✓, lambda ✗`: each delivery's protocol and how it went. @param {any[]} deliveries */
function protocols(deliveries) {
  const mark = (/** @type {string} */ status) =>
    status === 'delivered' ? '✓' : status === 'failed' ? '✗' : '…';
  return deliveries.map((d) => `${d.protocol} ${mark(d.status)}`).join(', ');
}

/** The SMS the sms subscribers got, newest first, as a phone shows them. */
async function loadPhoneMessages() {
  const table = el('sms-table');
  /** @type {any[]} */
  let messages;
  try {
    ({ messages } = await api('/sms?limit=200'));
  } catch (error) {
    table.replaceChildren(
      h(
        'tbody',
        null,
        h('tr', { class: 'empty-row' }, h('td', null, `could not list SMS: ${String(error)}`)),
      ),
    );
    return;
  }
  const thead = h(
    'thead',
    null,
    h('tr', null, ...['time', 'to', 'from', 'parts', 'text'].map((n) => h('th', null, n))),
  );
  const tbody = h('tbody');
  for (const m of [...messages].reverse()) {
    tbody.append(
      h(
        'tr',
        null,
        h('td', null, clock(m.timestamp)),
        h('td', { class: 'mono' }, m.phoneNumber),
        h('td', null, m.sender ?? ''),
        h('td', null, String(m.parts)),
        h('td', { class: 'sms' }, m.text),
      ),
    );
  }
  if (messages.length === 0)
    tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: 5 }, 'no SMS yet')));
  table.replaceChildren(thead, tbody);
}

/**
 * The file and status a notification is about (its machine-readable part, else its text); for a
 * digest, its route, files and window.
 * @param {any} n
 */
function describeNotification(n) {
  /** @type {{ key?: string, status?: string, digest?: { id: string, summary: string, title: string } }} */
  const out = {};
  try {
    const structure = n.messageStructure === 'json' ? JSON.parse(n.message) : null;
    const machine = structure
      ? JSON.parse(structure.http ?? structure['email-json'] ?? structure.default)
      : JSON.parse(n.message);
    if (typeof machine?.key === 'string') out.key = machine.key;
    if (typeof machine?.status === 'string') out.status = machine.status;
    if (machine?.status === 'DIGEST' && machine.window && machine.files) {
      const { total, failed } = machine.files;
      out.digest = {
        id: String(machine.window.id),
        summary: `digest of ${machine.route}: ${total} file${total === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}, ${clock(machine.window.start)}–${clock(machine.window.end)}`,
        title: (machine.failures ?? []).map((/** @type {any} */ f) => `${f.key}: ${f.reason}`).join('\n'),
      };
    }
  } catch {
    const match = /^(?:New file processed|File failed): (.+)$/m.exec(String(n.message));
    if (match?.[1]) out.key = match[1];
  }
  const attr = n.messageAttributes?.status;
  if (!out.status && attr) out.status = attr.StringValue ?? attr.stringValue;
  return out;
}
const refreshNotificationsSoon = debounce(() => {
  if (state.tab !== 'notifications') return;
  void loadNotifications();
  void loadPhoneMessages();
}, 1000);

/** @type {import('./hooks.js').Feature} */
export const notifications = {
  name: 'notifications',
  tab: 'notifications',
  wire() {
    el('notifications-refresh').addEventListener('click', () => {
      void loadNotifications();
      void loadPhoneMessages();
    });
  },
  show: () => {
    void loadNotifications();
    void loadPhoneMessages();
  },
  feed(entry) {
    if (entry.kind === 'outcome') refreshNotificationsSoon();
  },
  resync() {
    if (state.tab !== 'notifications') return;
    void loadNotifications();
    void loadPhoneMessages();
  },
};
