// @ts-check
/**
 * One notification as delivered: its subject, the text and machine-readable parts of the
 * message, its attributes and each subscription's delivery. Used by the file detail.
 */
import { badge, h } from './dom.js';
import { clock, pretty } from './format.js';

/** @param {any} message @param {any} fileState */
export function renderNotification(message, fileState) {
  const box = h('div', { id: 'detail-notification' });
  if (!message) {
    const pending = fileState?.notification?.status;
    box.append(
      h(
        'p',
        { class: 'muted' },
        pending === 'PENDING'
          ? `not sent yet${fileState.notification.error ? `: ${fileState.notification.error}` : ''}`
          : 'no notification for this file',
      ),
    );
    return box;
  }
  const card = h(
    'div',
    { class: 'card' },
    h(
      'div',
      { class: 'card-head' },
      h('b', null, message.subject ?? '(no subject)'),
      h('span', { class: 'muted' }, clock(message.timestamp, true)),
    ),
    h('div', { class: 'muted mono' }, `MessageId ${message.messageId}`),
  );
  let structure = null;
  if (message.messageStructure === 'json') {
    try {
      structure = JSON.parse(message.message);
    } catch {
      structure = null;
    }
  }
  if (structure && typeof structure === 'object') {
    if (typeof structure.default === 'string') card.append(h('pre', { class: 'json' }, structure.default));
    const machine = structure.http ?? structure.https ?? structure['email-json'];
    if (typeof machine === 'string') {
      let parsed = machine;
      try {
        parsed = pretty(JSON.parse(machine));
      } catch {
        // shown as published
      }
      card.append(
        h('div', { class: 'muted' }, 'for http/https/email-json subscribers:'),
        h('pre', { class: 'json' }, parsed),
      );
    }
  } else {
    card.append(h('pre', { class: 'json' }, String(message.message)));
  }
  const attributes = message.messageAttributes ?? {};
  const attributeText = Object.entries(attributes)
    .map(
      ([name, value]) =>
        `${name}=${/** @type {any} */ (value)?.StringValue ?? /** @type {any} */ (value)?.stringValue ?? JSON.stringify(value)}`,
    )
    .join('  ');
  if (attributeText) card.append(h('div', { class: 'muted mono' }, attributeText));
  const deliveries = h('div', { class: 'deliveries' });
  for (const d of message.deliveries ?? []) {
    deliveries.append(
      h(
        'div',
        null,
        badge(d.status),
        ` ${d.protocol} → ${d.endpoint} · ${d.attempts} attempt(s)${d.statusCode ? ` · HTTP ${d.statusCode}` : ''}${d.error ? ` · ${d.error}` : ''}`,
      ),
    );
  }
  if ((message.deliveries ?? []).length === 0)
    deliveries.append(h('span', { class: 'muted' }, 'published; the topic has no subscriptions'));
  card.append(deliveries);
  box.append(card);
  return box;
}
